#!/usr/bin/env python3
"""The class grader on a test class, with GNU parallel and on a real Slurm cluster (TAP).

Makes the test class of tests/grade_class/make_class.py (kmalloc: the
reference, the starter, two wrong solutions, one that does not build, one
that never ends, one that rewrites its tests and grader), brings up a
single-node Slurm cluster (tools/slurm-local), and checks that

- `make grade-class` grades it with every submission's status right and
  the run going on past the bad ones, the cheater graded as the starter;
- the feedback files show the public tests only;
- a second run grades nothing and changes nothing;
- ENGINE=slurm gives the identical gradebook;
- after a submission changes, only that one is graded again;
- docs/grading.md shows what this run printed (its gradebook, a feedback
  file, the progress lines, a dry run's script); `--update-docs` rewrites
  those blocks from this run instead.

Takes about six minutes (the endless submission runs into TIMEOUT twice).
`make test-grade-class` runs it; CI runs it after make test.
"""
import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LAB, TIMEOUT, SEED = "kmalloc", 90, 4242
DOC = os.path.join(ROOT, "docs", "grading.md")
DOC_ROOT = "/home/you/pagoda"  # where docs/grading.md's dry run pretends to be
DRY_RUN = ["--engine", "slurm", "--dry-run", "--module", "pagoda-deps", "--partition", "short",
           "--account", "cs101"]
results = []


def say(ok, text, detail=""):
    results.append(bool(ok))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), text), flush=True)
    if not ok:
        for line in str(detail).splitlines()[-25:]:
            print("# " + line)


def grade_class(subs, out, engine="local", env=None):
    """`make grade-class` of the test class: (status, output)."""
    r = subprocess.run(["make", "--no-print-directory", "grade-class", "LAB=" + LAB,
                        "SUBMISSIONS=" + subs, "OUT=" + out, "ENGINE=" + engine,
                        "SEED=%d" % SEED, "TIMEOUT=%d" % TIMEOUT], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=1800)
    return r.returncode, r.stdout + r.stderr


def gradebook(out):
    with open(os.path.join(out, "gradebook.csv")) as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def check_first_run(out, status, text):
    say(status == 0 and "seed %d for every submission" % SEED in text,
        "make grade-class grades the class and prints its seed", text)
    progress = re.findall(r"^\[(\d+)/7\] \S+: .* \(\d+ failures? so far, (about .* left|done)\)$",
                          text, re.M)
    say(len(progress) == 7 and progress[-1][0] == "7",
        "a progress line per submission: done/total, failures, time left", text)
    book = gradebook(out)
    say(sorted(book) == ["broken-eve", "cheater-gus", "endless-fay", "reference-ann",
                         "starter-ben", "wrong-cat", "wrong-dan"],
        "the gradebook has a row per student", book.keys())
    ref, starter = book.get("reference-ann", {}), book.get("starter-ben", {})
    full = int(ref.get("max", -1))
    say(ref.get("status") == "graded" and int(ref.get("score", -1)) == full > 0,
        "the reference: graded, full marks (%s/%s)" % (ref.get("score"), full), ref)
    say(starter.get("status") == "kernel panicked" and int(starter.get("score", full)) < full / 2,
        "the starter: kernel panicked, low marks (%s/%s)" % (starter.get("score"), full), starter)
    for student in ("wrong-cat", "wrong-dan"):
        row = book.get(student, {})
        say(row.get("status") == "graded" and 0 <= int(row.get("score", full)) < full,
            "%s: graded below full marks (%s/%s)" % (student, row.get("score"), full), row)
    row = book.get("broken-eve", {})
    say(row.get("status") == "build failed" and row.get("score") == "0",
        "the submission that does not compile: build failed", row)
    row = book.get("endless-fay", {})
    say(row.get("status") == "timed out", "the endless submission: timed out", row)
    cheat = dict(book.get("cheater-gus", {}), student="starter-ben")
    say(cheat == starter, "the cheater's rewritten tests and grader changed nothing: graded as "
        "the starter", "%s\n%s" % (cheat, starter))
    tests = [n for n in ref if n not in ("student", "score", "max", "status")]
    say(tests and all(row[n] in ("0", "") or row[n].isdigit() for row in book.values()
                      for n in tests), "a column per test with its points (%d tests)"
        % len(tests), tests)


def check_feedback(out):
    feedback = os.path.join(out, "feedback")
    names = sorted(os.listdir(feedback)) if os.path.isdir(feedback) else []
    say(len(names) == 7, "a feedback file per student", names)
    leaks = []
    for name in names:
        with open(os.path.join(feedback, name)) as f:
            text = f.read()
        leaks += ["%s: %s" % (name, line) for line in text.splitlines() if "hidden/" in line]
    say(not leaks, "no feedback names a hidden test", "\n".join(leaks))
    with open(os.path.join(feedback, "reference-ann.txt")) as f:
        text = f.read()
    public = re.search(r"^Public tests: (\d+)/(\d+) points\.$", text, re.M)
    say(public and public.group(1) == public.group(2) and
        re.search(r"^ok +\d+/\d+ +riscv64/\w+$", text, re.M),
        "the reference's feedback: its public tests' lines, all points", text)


def doc_blocks(text):
    """{name: (start, end)} of the ``` blocks after `<!-- grade-class: name -->`."""
    found = {}
    for m in re.finditer(r"<!-- grade-class: ([^>]+?) -->\n```\n", text):
        end = text.index("```\n", m.end())
        found[m.group(1)] = (m.end(), end)
    return found


def progress_facts(text):
    return sorted(re.findall(r"^\[\d+/\d+\] (\S+): (.*) (\d+/\d+) \(", text, re.M))


def check_docs(out, run_text, dry_text, update):
    """docs/grading.md shows this run (or, with @update, is made to)."""
    real_out = os.path.join(ROOT, "build", "grade-class", LAB)
    with open(os.path.join(out, "gradebook.csv")) as f:
        book = f.read()
    with open(os.path.join(out, "feedback", "wrong-cat.txt")) as f:
        feedback = f.read()
    run_text = run_text.replace(out, os.path.relpath(real_out, ROOT))
    dry_text = dry_text.replace(ROOT, DOC_ROOT)
    want = {"gradebook": book, "feedback wrong-cat": feedback, "output": run_text,
            "dry run": dry_text}
    with open(DOC) as f:
        text = f.read()
    blocks = doc_blocks(text)
    say(sorted(blocks) == sorted(want), "docs/grading.md has its %d blocks" % len(want),
        sorted(blocks))
    if update:
        for name, (start, end) in sorted(blocks.items(), key=lambda b: -b[1][0]):
            text = text[:start] + want[name] + text[end:]
        with open(DOC, "w") as f:
            f.write(text)
        return
    for name in ("gradebook", "feedback wrong-cat", "dry run"):
        got = text[slice(*blocks[name])] if name in blocks else ""
        say(got == want[name], "docs/grading.md shows this run's %s" % name,
            "docs shows:\n%s\nthe run printed:\n%s" % (got, want[name]))
    shown = text[slice(*blocks["output"])] if "output" in blocks else ""
    same = [a for a, b in zip(shown.splitlines(), run_text.splitlines()) if a == b]
    say(progress_facts(shown) == progress_facts(run_text) and len(same) >= 4,
        "docs/grading.md shows this run's output (the order of progress lines may vary)",
        "docs shows:\n%s\nthe run printed:\n%s" % (shown, run_text))


def stamps(out):
    found = {}
    for root, _, files in os.walk(out):
        if "base" not in root.split(os.sep):
            for name in files:
                path = os.path.join(root, name)
                found[path] = os.stat(path).st_mtime_ns
    return found


def main():
    tmp = tempfile.mkdtemp(prefix="pagoda-grade-class-")
    os.chmod(tmp, 0o755)  # run as root, the jail is user nobody: it must reach OUT
    subs, local, slurm = (os.path.join(tmp, n) for n in ("class", "local", "slurm"))
    cluster = os.path.join(tmp, "cluster")
    try:
        r = subprocess.run([sys.executable, "tests/grade_class/make_class.py", LAB, subs],
                           cwd=ROOT, capture_output=True, text=True)
        say(r.returncode == 0, "the test class: 7 submissions", r.stdout + r.stderr)
        print("# " + "\n# ".join(r.stdout.splitlines()), flush=True)

        status, first_text = grade_class(subs, local)
        print("# " + "\n# ".join(first_text.splitlines()), flush=True)
        check_first_run(local, status, first_text)
        check_feedback(local)

        before = stamps(local)
        status, text = grade_class(subs, local)
        say(status == 0 and "nothing to grade" in text and stamps(local) == before,
            "a second run grades nothing and changes no file", text)

        r = subprocess.run(["tools/slurm-local", "up", "--dir", cluster], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
        conf = re.search(r"^export SLURM_CONF=(\S+)$", r.stdout, re.M)
        say(r.returncode == 0 and conf, "tools/slurm-local up", r.stdout + r.stderr)
        if conf:
            env = dict(os.environ, SLURM_CONF=conf.group(1))
            status, text = grade_class(subs, slurm, "slurm", env)
            print("# " + "\n# ".join(text.splitlines()), flush=True)
            with open(os.path.join(local, "gradebook.csv")) as a:
                with open(os.path.join(slurm, "gradebook.csv")) as b:
                    same = a.read() == b.read()
            say(status == 0 and "submitted Slurm job" in text and same,
                "ENGINE=slurm: the identical gradebook", text)

        dry = os.path.join(tmp, "dry")
        r = subprocess.run(["tools/grade-class", LAB, subs, "--out", dry] + DRY_RUN, cwd=ROOT,
                           capture_output=True, text=True)
        say(r.returncode == 0 and "#SBATCH --array=0-6\n" in r.stdout and
            r.stdout.startswith("#!/bin/sh") and not os.path.exists(dry),
            "--dry-run prints the batch script and writes nothing", r.stdout + r.stderr)
        check_docs(local, first_text, r.stdout.replace(dry, os.path.join(
            ROOT, "build", "grade-class", LAB)), "--update-docs" in sys.argv)

        # wrong-dan mends the bug: only that submission is graded again.
        dan = os.path.join(subs, "wrong-dan")
        for path in ("os/mm/memm.c", "os/mm/memm_slab.c", "os/mm/memm_first_fit.c"):
            shutil.copy(os.path.join(ROOT, path), os.path.join(dan, path))
        subprocess.run(["git", "-C", dan, "-c", "user.name=S", "-c", "user.email=s@s",
                        "commit", "-qam", "mended"], check=True)
        status, text = grade_class(subs, local)
        row = gradebook(local).get("wrong-dan", {})
        say(status == 0 and "grading 1 of 7 submissions" in text and
            row.get("score") == row.get("max"),
            "a changed submission is the only one graded again (now %s/%s)"
            % (row.get("score"), row.get("max")), text)
    finally:
        if os.path.isdir(cluster):
            r = subprocess.run(["tools/slurm-local", "down", "--dir", cluster], cwd=ROOT,
                               capture_output=True, text=True)
            say(r.returncode == 0, "tools/slurm-local down", r.stdout + r.stderr)
        subprocess.run(["chmod", "-R", "u+w", tmp])  # the grading tree is read-only
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
