"""The grading tree of a class: the lab's handout plus its hidden tests, built once.

Every submission is graded in a copy of this tree with the student's files
put in, so nothing else of a submission (tests, grader, Makefile) is ever
used. The tree is cut from the instructor's tree with `lab.py handout`, the
lab's hidden tests are added, and everything the grader needs is built
once (the copies then recompile only the student's files).

Its identity is a hash of its files (not the documentation): when the
instructor's tree changes what a handout or the hidden tests hold, the tree
is cut and built again, and every submission is graded again.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import labs as L  # noqa: E402


def clean_env(home):
    """The environment a grade runs in: the same on every machine and engine
    (no MAKEFLAGS of an outer make, no SLURM_* of a cluster)."""
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "TERM") if k in os.environ}
    return dict(keep, HOME=home, TMPDIR=home, LC_ALL="C.UTF-8", PYTHONDONTWRITEBYTECODE="1")


def tree_hash(tree):
    """A hash of the files under @tree that a grade reads: path, mode, bytes.
    Not .git/ or build/, and not the documentation (docs/, *.md, pictures),
    so that mending a typo in a handout grades nobody again."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if d not in (".git", "build") and
                         os.path.join(root, d) != os.path.join(tree, "docs"))
        for name in sorted(f for f in files if not f.endswith((".md", ".svg", ".png"))):
            path = os.path.join(root, name)
            h.update(os.path.relpath(path, tree).encode() + b"\0")
            h.update(b"x" if os.access(path, os.X_OK) else b"-")
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def cut(lab, dest):
    """The handout of @lab in @dest, with labs/<lab>/hidden/ added."""
    r = subprocess.run([sys.executable, os.path.join(HERE, "lab.py"), "handout", lab, dest],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("make handout failed: " + (r.stderr or r.stdout).strip())
    shutil.rmtree(os.path.join(dest, ".git"))  # the copies need no history
    hidden = os.path.join(L.ROOT, "labs", lab, "hidden")
    if os.path.isdir(hidden):
        shutil.copytree(hidden, os.path.join(dest, "labs", lab, "hidden"))


def prepare(lab, base, say, build=True):
    """@base/tree: the built grading tree of @lab, cut again only if the
    instructor's tree changed it. Returns (identity, [(points, test name)]).
    With @build false nothing under @base changes (a dry run)."""
    tree, stamp = os.path.join(base, "tree"), os.path.join(base, "built")
    scratch = os.path.join(base, "tree.new") if build else tempfile.mkdtemp()
    fresh = os.path.join(scratch, "tree") if not build else scratch
    shutil.rmtree(fresh, ignore_errors=True)
    os.makedirs(base if build else scratch, exist_ok=True)
    try:
        cut(lab, fresh)
        identity = tree_hash(fresh)
        if os.path.isdir(tree) and _read(stamp) == identity:
            listed = tree
        elif not build:
            listed = fresh
        else:
            say("cutting and building the grading tree of lab %s (once per change of the "
                "lab; about a minute)" % lab)
            shutil.rmtree(tree, ignore_errors=True)
            if os.path.exists(stamp):
                os.remove(stamp)
            os.rename(fresh, tree)
            r = _grade_py(lab, tree, "--build-only")
            if r.returncode != 0:
                raise RuntimeError("the grading tree does not build:\n" + r.stdout + r.stderr)
            with open(stamp, "w") as f:
                f.write(identity + "\n")
            listed = tree
        r = _grade_py(lab, listed, "--list")
        if r.returncode != 0:
            raise RuntimeError("the grader cannot list its tests:\n" + r.stdout + r.stderr)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    tests = [(int(p), name) for p, name in (line.split(" ", 1) for line in r.stdout.split("\n")
                                             if line)]
    return identity, tests


def _grade_py(lab, tree, *args):
    home = tempfile.mkdtemp()
    try:
        return subprocess.run([sys.executable, "tools/lab/grade.py", lab, "--hidden"] +
                              list(args), cwd=tree, capture_output=True, text=True,
                              env=clean_env(home))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None
