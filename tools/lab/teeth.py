#!/usr/bin/env python3
"""Prove a lab's grader has teeth (make test runs this for every lab; TAP).

For lab LAB:
  1. make handout into build/labs/LAB/handout; no cut reference line in its
     files or git objects (tools/lab/lab.py leaks);
  2. the handout builds warning-free: both kernels with gnu and llvm, and its
     host sources with gcc and clang;
  3. its starter scores below full, and a lab panic is reported as a reason;
  4. the handout with the reference files put back scores full;
  5. this tree, with the hidden tests, scores full;
  6. every labs/LAB/wrong/*.patch, applied to a copy of this tree, scores
     below full (with the hidden tests; the grade stops at the first failure).

Usage: tools/lab/teeth.py LAB [--keep-going]
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import labs as L  # noqa: E402

ROOT = L.ROOT
results = []


def say(ok, text, detail=""):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), text), flush=True)
    if not ok:
        for line in detail.splitlines()[-15:]:
            print("# " + line)


def run(args, cwd, timeout=600):
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    return r.returncode, r.stdout + r.stderr


def grade(cwd, lab, *extra):
    """(score, max, results) of `tools/lab/grade.py` in @cwd."""
    status, out = run([sys.executable, "tools/lab/grade.py", lab] + list(extra), cwd)
    with open(os.path.join(cwd, "build", "grade", lab + ".json")) as f:
        data = json.load(f)
    return data, status, out


def copy_tree(dest, files, builds):
    """@files of this tree into @dest, with the build directories @builds (so
    that make recompiles only what differs)."""
    for path in files:
        os.makedirs(os.path.join(dest, os.path.dirname(path)), exist_ok=True)
        shutil.copy2(os.path.join(ROOT, path), os.path.join(dest, path))
    for b in builds:
        src = os.path.join(ROOT, b)
        if os.path.isdir(src):
            # Files only: a debugging session leaves sockets (gdb.sock) behind.
            shutil.copytree(src, os.path.join(dest, b), symlinks=True, dirs_exist_ok=True,
                            ignore=lambda d, names: [n for n in names if not (
                                os.path.isdir(os.path.join(d, n)) or
                                os.path.isfile(os.path.join(d, n)))])


def main():
    lab = sys.argv[1]
    work = os.path.join(ROOT, "build", "labs", lab)
    handout = os.path.join(work, "handout")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    t0 = time.monotonic()

    status, out = run([sys.executable, "tools/lab/lab.py", "handout", lab, handout], ROOT)
    say(status == 0, "%s: make handout" % lab, out)
    if status != 0:
        return 1
    status, out = run([sys.executable, "tools/lab/lab.py", "leaks", lab, handout], ROOT)
    say(status == 0, "%s: no cut reference line in the handout's files or git objects" % lab,
        out)

    # Builds: the gnu ones last, so they are the kernels the grader boots.
    for arch in ("riscv64", "x86_64"):
        for tc in ("llvm", "gnu"):
            status, out = run(["make", "--no-print-directory", "-j2", "kernel", "ARCH=" + arch,
                               "TOOLCHAIN=" + tc], handout)
            warn = [l for l in out.splitlines() if "warning" in l.lower()]
            say(status == 0 and not warn, "%s: the handout builds warning-free (%s, %s)"
                % (lab, arch, tc), out if status or warn else "")
    status, out = run(["make", "--no-print-directory", "-j2", "host", "host-clang-check"],
                      handout)
    say(status == 0, "%s: the handout's host sources build warning-free (gcc, clang)" % lab, out)

    data, status, out = grade(handout, lab)
    panics = [r["reason"] for r in data["tests"] if (r["reason"] or "").startswith(
        "panic: lab %s:" % lab)]
    say(status != 0 and data["score"] < data["max"] and panics,
        "%s: the starter scores below full (%d/%d), a lab panic named as the reason (%d tests)"
        % (lab, data["score"], data["max"], len(panics)), out if status == 0 or not panics else "")

    regions = L.all_regions()
    for path in regions:
        if any(r.lab == lab for r in regions[path]):
            shutil.copy(os.path.join(ROOT, path), os.path.join(handout, path))  # new mtime: rebuilt
    data, status, out = grade(handout, lab)
    say(status == 0 and data["score"] == data["max"],
        "%s: the handout with the reference put back scores full (%d/%d)"
        % (lab, data["score"], data["max"]), out if status else "")

    data, status, out = grade(ROOT, lab, "--hidden")
    say(status == 0 and data["score"] == data["max"],
        "%s: the reference scores full with the hidden tests (%d/%d, seed %d)"
        % (lab, data["score"], data["max"], data["seed"]), out if status else "")

    patches = sorted(glob.glob(os.path.join(ROOT, "labs", lab, "wrong", "*.patch")))
    if patches:
        tree = os.path.join(work, "wrong")
        copy_tree(tree, [p for p in L.tracked_files() if not p.startswith("build/")],
                  ["build/riscv64", "build/x86_64", "build/host"])
        run(["git", "init", "-q"], tree)  # git apply works in this tree, not in ours
        for patch in patches:
            name = os.path.basename(patch)
            status, out = run(["git", "apply", patch], tree)
            if status != 0:
                say(False, "%s: wrong/%s applies" % (lab, name), out)
                continue
            data, gstatus, gout = grade(tree, lab, "--hidden", "--fail-fast")
            failed = [r for r in data["tests"] if not r["ok"] and
                      not r["reason"].startswith("not run")]
            first = failed[0] if failed else None
            say(gstatus != 0 and data["score"] < data["max"],
                "%s: wrong/%s scores below full (%s)" % (
                    lab, name, "%s: %s" % (first["name"], first["reason"][:160])
                    if first else "no test failed"), gout if gstatus == 0 else "")
            run(["git", "apply", "-R", patch], tree)
    print("# %s: %.0f s" % (lab, time.monotonic() - t0))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
