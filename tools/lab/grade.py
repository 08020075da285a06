#!/usr/bin/env python3
"""Grade a lab: host tests, then one kernel boot per architecture and test file.

Usage: tools/lab/grade.py LAB [--test NAME] [--hidden] [--seed N] [--fail-fast]
                          [--json PATH] [--list] [--build-only] [--jail CONFIG]

Prints one line per test (`ok`/`FAIL`, points, name, and for a failure the
first difference and how to replay it), then `score: <got>/<max>` as the last
line; exits 0 only at full marks. Writes build/grade/<lab>.json. The tests
are labs/<lab>/tests/grade.py (and with --hidden labs/<lab>/hidden/grade.py);
tools/lab/labtest.py says how they are written. --list prints `<points>
<name>` per test instead; --build-only builds what the tests need and stops;
--fail-fast stops at the first failure (the tests after it are "not run"),
and builds each kernel only when its tests are reached (make mutants).

With --jail (the class grader, tools/lab/class_task.py) this process is the
trusted side of a grade: every build and run of the student's code goes
through the jail (tools/lab/jail.py), a host test passes only if its
observations are the reference's (tools/lab/observations.py), and the
hidden host programs are built and run last, in a jail of their own.
CONFIG is a JSON file that class_task.py writes.
"""
import argparse
import importlib.util
import json
import os
import random
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))
import labtest  # noqa: E402
import observations  # noqa: E402
import pagoda_console as pc  # noqa: E402

CMD_TIMEOUT = 15.0
PANIC = re.compile(r"panic: [^\r\n]*")


def load(lab, part, where=None):
    """The tests that labs/<lab>/<part>/grade.py declares (or @where/grade.py)."""
    path = os.path.join(where or os.path.join(ROOT, "labs", lab, part), "grade.py")
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


class Here:
    """Builds and runs in this tree, as a student's `make grade` does."""

    def run(self, argv, timeout, hidden=False, writable=False):
        """(status, output text) of @argv in this tree; status None on timeout."""
        try:
            r = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, ""
        return r.returncode, (r.stdout + r.stderr).decode("utf-8", "replace")

    def console(self, argv):
        return argv


class Jailed:
    """Builds and runs in a jail (tools/lab/jail.py), for the class grader."""

    def __init__(self, config):
        import jail
        self.jail = jail.Jail(config["tree"], config["build"], config["files"],
                              config.get("hidden_files"), config.get("binds", ()),
                              config.get("limits"))

    def run(self, argv, timeout, hidden=False, writable=False):
        out = self.jail.run(argv, timeout, writable=writable, hidden=hidden)
        return out.status, out.text()

    def console(self, argv):
        return self.jail.command(argv)


RUNNER = Here()
EXPECTED = None  # with --jail: the directory of the reference's observations


def make(*args, hidden=False):
    """Run make quietly; None, or the first lines of its complaint."""
    status, out = RUNNER.run(["make", "--no-print-directory", "-s"] + list(args), 900,
                             hidden=hidden, writable=True)
    if status == 0:
        return None
    if status is None:
        return "build failed (make %s): it took longer than 900 s" % " ".join(args)
    lines = [l for l in out.splitlines() if "error" in l.lower()] or out.splitlines()[-3:]
    return "build failed (make %s): %s" % (" ".join(args), one_line(" | ".join(lines[:2])))


def host_binary(program):
    """build/host/lab/<lab>/<part>/<name> for labs/<lab>/<part>/<name>.c."""
    rel = os.path.relpath(os.path.join(ROOT, program), os.path.join(ROOT, "labs"))
    return os.path.join("build", "host", "lab", rel[:-2])


def expected_file(name):
    """Where the reference's observations of host test @name are kept."""
    return os.path.join(EXPECTED, name.replace("/", "__") + ".obs")


def run_host(test, seed):
    binary = host_binary(test.program)
    status, out = RUNNER.run(["./" + binary, test.name.split("/")[-1], str(seed)], 60,
                             hidden=test.set == "hidden")
    if status is None:
        return "timed out after 60 s (an endless loop?)"
    if EXPECTED is None:
        return verdict_of_output(status, out)
    # The program's own verdict is the student's code's to forge: it passes
    # only if its observations are the reference's; a failure it reports
    # (a sanitizer's, a FAIL line) still fails it.
    with open(expected_file(test.name)) as f:
        expected = [l.rstrip("\n") for l in f]
    differs = observations.judge(expected, out.encode("utf-8", "replace"))
    said = verdict_of_output(status, out)
    return said or differs  # the program's own words are the clearer reason


def verdict_of_output(status, out):
    """None if the output of a host test program says it passed, else why not."""
    panic = PANIC.search(out)
    if panic:
        return panic.group(0)
    for pattern in (r"ERROR: AddressSanitizer: [^\n]*", r"runtime error: [^\n]*"):
        m = re.search(pattern, out)
        if m:
            where = re.search(r"#\d+ 0x[0-9a-f]+ in (\S+) (\S+)", out[m.end():])
            return m.group(0) + (" in %s (%s)" % where.groups() if where else "")
    lines = [l for l in out.splitlines() if l.strip() and not l.startswith(
        observations.PREFIX)]
    if status == 0 and lines and lines[-1] == "ok":
        return None
    fails = [l for l in lines if l.startswith("FAIL")]
    if fails:
        return fails[0][len("FAIL"):].lstrip(": ")
    # A signal (abort(), a segmentation fault with no sanitizer to report it)
    # is named, and so is silence.
    how = ("killed by %s" % signal.Signals(-status).name if status < 0 else
           "exited with status %d" % status)
    return "%s: %s" % (how, one_line(" | ".join(lines[-3:])) if lines
                       else "it printed nothing but observations")


def boot(arch, smp=None):
    return pc.Console(pc.qemu_command(arch, smp=smp), boot_timeout=60)


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
        first = m[0] if m else ""
        return "the kernel stopped answering: " + (first[len("kernel "):]
                                                   if first.startswith("kernel ") else first)
    return "%s: %s" % (type(exc).__name__, exc)


def build(tests):
    """Build what @tests need: {test name: why its build failed}."""
    broken = {}
    for program in sorted({t.program for t in tests if t.kind == labtest.HOST}):
        err = make(host_binary(program), hidden="/hidden/" in program)
        for t in tests:
            if t.program == program and err:
                broken[t.name] = err
    for arch in sorted({t.arch for t in tests if t.kind == labtest.KERNEL}):
        err = make("kernel", "ARCH=" + arch)
        for t in tests:
            if t.arch == arch and err:
                broken[t.name] = err
    return broken


def run_host_set(tests, broken, seed, results, fail_fast):
    for t in tests:
        if t.name in broken or (fail_fast and any(not r["ok"] for r in results)):
            results.append(result(t, broken.get(t.name, "not run (an earlier test failed)"),
                                  0, seed))
        else:
            start = time.monotonic()
            results.append(result(t, run_host(t, observations.host_seed(seed, t.name)),
                                  time.monotonic() - start, seed))
        print_result(results[-1])


def run_kernel_set(tests, seed, results, fail_fast):
    console, console_smp = None, None
    for t in tests:
        if fail_fast and any(not r["ok"] for r in results):
            results.append(result(t, "not run (an earlier test failed)", 0, seed))
            continue
        start = time.monotonic()
        reason = None
        try:
            if console is not None and console_smp != t.smp:
                console.close()
                console = None
            if console is None:
                console, console_smp = boot(t.arch, t.smp), t.smp
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


SAVE = []  # main()'s save(), called after each result


def print_result(r):
    head = "%-4s %3d/%-3d %s" % ("ok" if r["ok"] else "FAIL", r["points"], r["max"], r["name"])
    if r["ok"]:
        print(head, flush=True)
    else:
        print("%s: %s (replay: %s)" % (head, one_line(r["reason"]), r["replay"]), flush=True)
    for save in SAVE:
        save()


LAB = None


def use_jail(path):
    """Grade through the jail that @path (JSON) describes; returns the
    directory of the hidden tests (outside the grading tree)."""
    global RUNNER, EXPECTED
    with open(path) as f:
        config = json.load(f)
    RUNNER = Jailed(config)
    EXPECTED = config.get("expected")
    pc.WRAP = RUNNER.console
    labtest.TOOL = lambda argv: RUNNER.run(argv, 60)
    return config.get("hidden_tests")


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
    p.add_argument("--jail", help="the class grader's configuration (JSON)")
    args = p.parse_args()
    LAB = args.lab
    hidden_dir = None
    if args.jail:
        hidden_dir = use_jail(args.jail)
    if not os.path.isfile(os.path.join(ROOT, "labs", LAB, "lab.conf")):
        print("error: no lab '%s' here (make labs lists them)" % LAB)
        print("score: 0/0")
        return 1
    seed = int(args.seed) if args.seed else random.SystemRandom().randrange(1, 1 << 31)
    public = load(LAB, "tests")  # first: the hidden tests import its models
    hidden = load(LAB, "hidden", hidden_dir) if args.hidden else []
    if args.hidden and not hidden:
        # A handout: the hidden tests stay with the instructor.
        print("note: this tree has no hidden tests of lab %s (they stay with your "
              "instructor); grading the public ones" % LAB, file=sys.stderr, flush=True)
        args.hidden = False
    tests = public + hidden
    if args.test:
        every = tests
        tests = [t for t in tests if t.name == args.test or t.name.endswith("/" + args.test)]
        if not tests:
            print("error: no test '%s' in lab %s; its tests: %s" % (
                args.test, LAB, ", ".join(t.name for t in every)))
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
    path = args.json.replace("%s", LAB)
    os.makedirs(os.path.dirname(path), exist_ok=True)

    def save(complete):
        """The JSON of the results so far (@complete: of every test): after
        each test, so that a grade stopped at its limit still shows what ran."""
        got, total = sum(r["points"] for r in results), sum(r["max"] for r in results)
        with open(path + ".tmp", "w") as f:
            json.dump({"lab": LAB, "seed": seed, "hidden": args.hidden,
                       "test": args.test or None, "complete": complete, "score": got,
                       "max": total, "seconds": round(time.monotonic() - started, 1),
                       "tests": results}, f, indent=1)
            f.write("\n")
        os.replace(path + ".tmp", path)
        return got, total
    SAVE.append(lambda: save(False))

    # Build what the chosen tests need; a failed build fails its tests. The
    # hidden host programs are built last, after every public test ran: in
    # a jail, only that build and its runs see their sources.
    # With --fail-fast (make mutants, teeth.py's wrong solutions) each
    # kernel is built only when its tests are reached: a failure on the host
    # costs no kernel build.
    hidden_host = [t for t in tests if t.kind == labtest.HOST and t.set == "hidden"]
    public_host = [t for t in tests if t.kind == labtest.HOST and t not in hidden_host]
    broken = build(public_host if args.fail_fast else
                   [t for t in tests if t not in hidden_host])
    if args.build_only:
        for err in sorted(set(broken.values())):
            print(err)
        return 1 if broken else 0

    run_host_set(public_host, broken, seed, results, args.fail_fast)
    for part in ("tests", "hidden"):
        for arch in labtest.ARCHS:
            group = [t for t in tests if t.kind == labtest.KERNEL and t.set == part and
                     t.arch == arch]
            if args.fail_fast and group and not any(not r["ok"] for r in results):
                broken.update(build(group))
            for t in [t for t in group if t.name in broken]:
                results.append(result(t, broken[t.name], 0, seed))
                print_result(results[-1])
            run_kernel_set([t for t in group if t.name not in broken], seed, results,
                           args.fail_fast)
    if hidden_host:
        run_host_set(hidden_host, build(hidden_host), seed, results, args.fail_fast)

    got, total = save(True)
    print("score: %d/%d" % (got, total), flush=True)
    return 0 if got == total else 1


if __name__ == "__main__":
    sys.exit(main())
