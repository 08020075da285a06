#!/usr/bin/env python3
"""Grade a lab: host tests, then one kernel boot per architecture and test file.

Usage: tools/lab/grade.py LAB [--test NAME] [--hidden] [--seed N] [--fail-fast]
                          [--json PATH] [--list] [--build-only]

Prints one line per test (`ok`/`FAIL`, points, name, and for a failure the
first difference and how to replay it), then `score: <got>/<max>` as the last
line; exits 0 only at full marks. Writes build/grade/<lab>.json. The tests
are labs/<lab>/tests/grade.py (and with --hidden labs/<lab>/hidden/grade.py);
tools/lab/labtest.py says how they are written. --list prints `<points>
<name>` per test instead; --build-only builds what the tests need and stops
(the class grader, tools/grade-class, uses both).
"""
import argparse
import importlib.util
import json
import os
import random
import re
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import labtest  # noqa: E402
import pagoda_console as pc  # noqa: E402

CMD_TIMEOUT = 15.0
PANIC = re.compile(r"panic: [^\r\n]*")


def load(lab, part):
    path = os.path.join(ROOT, "labs", lab, part, "grade.py")
    if not os.path.isfile(path):
        return []
    sys.path.insert(0, os.path.dirname(path))
    spec = importlib.util.spec_from_file_location("lab_%s_%s" % (lab, part), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    tests = labtest.take_declared()
    for t in tests:
        t.set = part
        if part != "tests":
            t.name = "%s/%s" % (part, t.name)
    return tests


def one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def make(*args):
    """Run make quietly; None, or the first lines of its complaint."""
    r = subprocess.run(["make", "--no-print-directory", "-s"] + list(args), cwd=ROOT,
                       capture_output=True, text=True)
    if r.returncode == 0:
        return None
    lines = [l for l in (r.stdout + r.stderr).splitlines() if "error" in l.lower()] or \
        (r.stdout + r.stderr).splitlines()[-3:]
    return "build failed (make %s): %s" % (" ".join(args), one_line(" | ".join(lines[:2])))


def host_binary(program):
    """build/host/lab/<lab>/<part>/<name> for labs/<lab>/<part>/<name>.c."""
    rel = os.path.relpath(os.path.join(ROOT, program), os.path.join(ROOT, "labs"))
    return os.path.join("build", "host", "lab", rel[:-2])


def run_host(test, seed):
    binary = host_binary(test.program)
    try:
        r = subprocess.run([os.path.join(ROOT, binary), test.name.split("/")[-1], str(seed)],
                           cwd=ROOT, capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        return "timed out after 60 s (an endless loop?)"
    out = r.stdout + r.stderr
    panic = PANIC.search(out)
    if panic:
        return panic.group(0)
    for pattern in (r"ERROR: AddressSanitizer: [^\n]*", r"runtime error: [^\n]*"):
        m = re.search(pattern, out)
        if m:
            where = re.search(r"#\d+ 0x[0-9a-f]+ in (\S+) (\S+)", out[m.end():])
            return m.group(0) + (" in %s (%s)" % where.groups() if where else "")
    lines = [l for l in out.splitlines() if l.strip()]
    if r.returncode == 0 and lines and lines[-1] == "ok":
        return None
    fails = [l for l in lines if l.startswith("FAIL")]
    if fails:
        return fails[0][len("FAIL"):].lstrip(": ")
    return "exited with status %d: %s" % (r.returncode, one_line(" | ".join(lines[-3:])))


def boot(arch):
    return pc.Console(pc.qemu_command(arch), boot_timeout=60)


def why(exc, console):
    """The reason for a failed kernel test: a lab panic first of all."""
    text = console.transcript if console else ""
    if isinstance(exc, pc.ConsoleError):
        text += str(exc)  # a boot that ends in a panic never had a console
    panic = PANIC.search(text) if text else None
    if panic:
        return panic.group(0)
    if isinstance(exc, AssertionError):
        return str(exc) or "assertion failed"
    if isinstance(exc, pc.ConsoleError):
        m = str(exc).splitlines()
        return "the kernel stopped answering: " + (m[0] if m else "")
    return "%s: %s" % (type(exc).__name__, exc)


def run_kernel_set(tests, seed, results, fail_fast):
    console = None
    for t in tests:
        if fail_fast and any(not r["ok"] for r in results):
            results.append(result(t, "not run (an earlier test failed)", 0, seed))
            continue
        start = time.monotonic()
        reason = None
        try:
            if console is None:
                console = boot(t.arch)
            t.fn(console, random.Random("%d:%s" % (seed, t.name)))
        except Exception as e:  # noqa: BLE001 - every failure is a reason
            reason = why(e, console)
        if reason is not None and console is not None:
            console.close()
            console = None
        results.append(result(t, reason, time.monotonic() - start, seed))
        print_result(results[-1])
    if console is not None:
        console.close()


def result(t, reason, seconds, seed):
    return {"name": t.name, "kind": t.kind, "max": t.points, "ok": reason is None,
            "points": t.points if reason is None else 0, "reason": reason,
            "seconds": round(seconds, 2),
            "replay": "make grade LAB=%s TEST=%s SEED=%d%s" % (
                LAB, t.name, seed, " HIDDEN=1" if t.set == "hidden" else "")}


def print_result(r):
    head = "%-4s %3d/%-3d %s" % ("ok" if r["ok"] else "FAIL", r["points"], r["max"], r["name"])
    if r["ok"]:
        print(head, flush=True)
    else:
        print("%s: %s (replay: %s)" % (head, one_line(r["reason"]), r["replay"]), flush=True)


LAB = None


def main():
    global LAB
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("lab")
    p.add_argument("--test", default="")
    p.add_argument("--hidden", action="store_true")
    p.add_argument("--seed", default="")
    p.add_argument("--fail-fast", action="store_true")
    p.add_argument("--json", default=os.path.join(ROOT, "build", "grade", "%s.json"))
    p.add_argument("--list", action="store_true")
    p.add_argument("--build-only", action="store_true")
    args = p.parse_args()
    LAB = args.lab
    if not os.path.isfile(os.path.join(ROOT, "labs", LAB, "lab.conf")):
        print("error: no lab '%s' here (make labs lists them)" % LAB)
        print("score: 0/0")
        return 1
    seed = int(args.seed) if args.seed else random.SystemRandom().randrange(1, 1 << 31)
    tests = load(LAB, "tests") + (load(LAB, "hidden") if args.hidden else [])
    if args.test:
        tests = [t for t in tests if t.name == args.test or t.name.endswith("/" + args.test)]
        if not tests:
            print("error: no test '%s' in lab %s" % (args.test, LAB))
            print("score: 0/0")
            return 1
    if args.list:
        for t in tests:
            print("%d %s" % (t.points, t.name))
        return 0
    print("grading lab %s%s, seed %d (replay: make grade LAB=%s SEED=%d%s)" % (
        LAB, " with its hidden tests" if args.hidden else "", seed, LAB, seed,
        " HIDDEN=1" if args.hidden else ""), flush=True)
    started = time.monotonic()
    results = []

    # Build what the chosen tests need; a failed build fails its tests.
    broken = {}
    for program in sorted({t.program for t in tests if t.kind == labtest.HOST}):
        err = make(host_binary(program))
        for t in tests:
            if t.program == program and err:
                broken[t.name] = err
    for arch in sorted({t.arch for t in tests if t.kind == labtest.KERNEL}):
        err = make("kernel", "ARCH=" + arch)
        for t in tests:
            if t.arch == arch and err:
                broken[t.name] = err
    if args.build_only:
        for err in sorted(set(broken.values())):
            print(err)
        return 1 if broken else 0

    for t in tests:
        if t.kind != labtest.HOST:
            continue
        if t.name in broken or (args.fail_fast and any(not r["ok"] for r in results)):
            results.append(result(t, broken.get(t.name, "not run (an earlier test failed)"),
                                  0, seed))
        else:
            start = time.monotonic()
            host_seed = (seed ^ zlib.crc32(t.name.encode())) & 0x7fffffff
            results.append(result(t, run_host(t, host_seed), time.monotonic() - start, seed))
        print_result(results[-1])
    for part in ("tests", "hidden"):
        for arch in labtest.ARCHS:
            group = [t for t in tests if t.kind == labtest.KERNEL and t.set == part and
                     t.arch == arch]
            for t in [t for t in group if t.name in broken]:
                results.append(result(t, broken[t.name], 0, seed))
                print_result(results[-1])
            run_kernel_set([t for t in group if t.name not in broken], seed, results,
                           args.fail_fast)

    got = sum(r["points"] for r in results)
    total = sum(r["max"] for r in results)
    path = args.json.replace("%s", LAB)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump({"lab": LAB, "seed": seed, "hidden": args.hidden, "test": args.test or None,
                   "score": got, "max": total, "seconds": round(time.monotonic() - started, 1),
                   "tests": results}, f, indent=1)
        f.write("\n")
    print("score: %d/%d" % (got, total), flush=True)
    return 0 if got == total else 1


if __name__ == "__main__":
    sys.exit(main())
