#!/usr/bin/env python3
"""Observations: how the class grader judges a host test without believing it.

A lab's host test program links the student's code, so whatever it prints
may come from the student's code. Each program therefore reports what it
saw (`obs: <text>` lines, tools/lab/labhost.h's lab_observe), and the class
grader compares those lines with the ones the reference solution gives for
the same test and seed, computed outside any jail (tools/lab/class_base.py).
The test passes only if every line is the reference's, in order, up to the
reference's last (`obs: end`); a missing, extra or malformed line fails it.

Usage (for whoever writes a host test):
  tools/lab/observations.py check LAB [--seed N]...
      builds the lab's host programs (this tree: the reference), runs every
      host test twice per seed: the observations must be the same both times,
      end with `end`, hold no host address; then applies each
      labs/LAB/wrong/*.patch to a copy of this tree and shows, per test, what
      `make grade` says (ok/FAIL) and whether the observations differ.
"""
import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

PREFIX = "obs: "
END = "end"
LINE_LIMIT = 500  # bytes of one observation; longer is malformed
# A host address (ASan's heap is at 0x6..., the stack 0x7ff...) in an observation
# would differ between machines; the check refuses it.
HOST_ADDRESS = re.compile(r"0x(6[0-9a-f]{11}|7f[0-9a-f]{10})\b")


def parse(data):
    """The observation lines (without `obs: `) in @data (bytes), and None or
    the first malformed one's description."""
    found = []
    for raw in data.split(b"\n"):
        if not raw.startswith(PREFIX.encode()):
            continue
        if len(raw) > LINE_LIMIT:
            return found, "observation %d is longer than %d bytes" % (len(found) + 1,
                                                                       LINE_LIMIT)
        try:
            text = raw[len(PREFIX):].decode("ascii")
        except UnicodeDecodeError:
            return found, "observation %d is not plain ASCII" % (len(found) + 1)
        if not text.isprintable():
            return found, "observation %d holds control characters" % (len(found) + 1)
        found.append(text)
    return found, None


def shown(text, limit=120):
    return text if len(text) <= limit else text[:limit - 3] + "..."


def judge(expected, data):
    """None if the output @data (bytes) observes exactly @expected (a list of
    lines ending with `end`), else the first difference, in words."""
    got, malformed = parse(data)
    for i, want in enumerate(expected):
        if i >= len(got):
            if malformed:
                return malformed
            return "observation %d missing: expected `%s`, the program stopped before it" % (
                i + 1, shown(want))
        if got[i] != want:
            return "observation %d: expected `%s`, got `%s`" % (i + 1, shown(want),
                                                                 shown(got[i]))
    if malformed:
        return malformed
    if len(got) > len(expected):
        return "observation %d: expected none after `end`, got `%s`" % (
            len(expected) + 1, shown(got[len(expected)]))
    return None


def host_seed(seed, name):
    """The seed a host test runs with (the same as tools/lab/grade.py's)."""
    return (seed ^ zlib.crc32(name.encode())) & 0x7fffffff


# ---- the check for test writers -------------------------------------------

def host_tests(lab, root):
    """[(name, program)] of the lab's public and hidden host tests."""
    import grade
    out = []
    for part in ("tests", "hidden"):
        for t in grade.load(lab, part):
            if t.kind == "host":
                out.append((t.name, t.program))
    return out


def build(root, programs):
    import grade
    targets = sorted({grade.host_binary(p) for p in programs})
    r = subprocess.run(["make", "-s", "--no-print-directory", "-j2"] + targets, cwd=root,
                       capture_output=True, text=True)
    if r.returncode != 0:
        return r.stdout + r.stderr
    return None


def run(root, name, program, seed):
    import grade
    binary = os.path.join(root, grade.host_binary(program))
    try:
        r = subprocess.run([binary, name.split("/")[-1], str(host_seed(seed, name))], cwd=root,
                           capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        return b"(timed out)"
    return r.stdout + r.stderr


def check(lab, seeds):
    import labs as L
    root = L.ROOT
    tests = host_tests(lab, root)
    err = build(root, [p for _, p in tests])
    if err:
        print("reference build failed:\n" + err)
        return 1
    bad = 0
    expected = {}
    for seed in seeds:
        for name, program in tests:
            a, b = run(root, name, program, seed), run(root, name, program, seed)
            obs, malformed = parse(a)
            problems = []
            if a != b:
                problems.append("two runs differ")
            if malformed:
                problems.append(malformed)
            if not obs or obs[-1] != END:
                problems.append("does not end with `obs: end`")
            addr = [o for o in obs if HOST_ADDRESS.search(o)]
            if addr:
                problems.append("a host address in `%s`" % shown(addr[0]))
            if not a.rstrip().endswith(b"ok"):
                problems.append("the reference does not pass")
            print("%-4s %s seed %d: %d observations, %d bytes%s" % (
                "ok" if not problems else "BAD", name, seed, len(obs), len(a),
                "; " + "; ".join(problems) if problems else ""))
            bad += bool(problems)
            expected[(name, seed)] = obs
    patches = sorted(glob.glob(os.path.join(root, "labs", lab, "wrong", "*.patch")))
    work = tempfile.mkdtemp(prefix="pagoda-obs-")
    try:
        for patch in patches:
            tree = os.path.join(work, "tree")
            shutil.rmtree(tree, ignore_errors=True)
            files = [p for p in L.tracked_files() if not p.startswith("build/")]
            for path in files:
                os.makedirs(os.path.join(tree, os.path.dirname(path)), exist_ok=True)
                shutil.copy2(os.path.join(root, path), os.path.join(tree, path))
            subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
            subprocess.run(["git", "apply", patch], cwd=tree, check=True)
            err = build(tree, [p for _, p in tests])
            print("wrong/%s%s" % (os.path.basename(patch), ": build failed" if err else ""))
            if err:
                continue
            for seed in seeds:
                for name, program in tests:
                    out = run(tree, name, program, seed)
                    local = "ok" if out.rstrip().endswith(b"ok") else "FAIL"
                    verdict = judge(expected[(name, seed)], out)
                    weak = local == "FAIL" and verdict is None
                    bad += weak
                    print("  %-4s %-5s %s seed %d: %s" % (
                        "WEAK" if weak else "", local, name, seed,
                        verdict or "observations equal the reference's"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if bad else 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("command", choices=["check"])
    p.add_argument("lab")
    p.add_argument("--seed", type=int, action="append")
    args = p.parse_args(argv)
    return check(args.lab, args.seed or [1, 4242])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
