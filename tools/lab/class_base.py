"""The grading tree of a class: the lab's handout, built once, and what is judged against.

Every submission is graded in a jail (jail.py) whose view is this tree with
the student's files put over the starter's, so nothing else of a submission
(tests, grader, Makefile) is ever used, and no reference code or hidden test
is in it. In OUT/base/:

    tree/       the handout, cut with `lab.py handout` and built once in a
                jail (the grades copy its build/, so only the student's files
                recompile); then made read-only
    hidden/     labs/<lab>/hidden: the hidden tests, read by the trusted side
                only (a hidden host program's source is bound into a jail
                only for its own build and runs, after every public test)
    expected/<seed>/<test>.obs
                the observations of the reference solution (this tree's
                code, built and run outside any jail) for each host test
    identity    what a grade depends on (see identity())
    integrity   a hash of every file above: each grade checks it first

When the instructor's tree changes what a handout, the hidden tests or the
reference hold, the tree is cut and built again, and every submission is
graded again. Editing documentation changes nothing.
"""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import jail  # noqa: E402
import labs as L  # noqa: E402
import observations  # noqa: E402


def clean_env(home):
    """The environment of the trusted side's own programs: the same on every
    machine and engine (no MAKEFLAGS of an outer make, no SLURM_* of a
    cluster), and Python that neither writes bytecode nor loads any (its
    cache is a directory that cannot exist: a planted __pycache__/*.pyc is
    never run)."""
    keep = {k: os.environ[k] for k in ("PATH", "LANG", "TERM") if k in os.environ}
    return dict(keep, HOME=home, TMPDIR=home, LC_ALL="C.UTF-8", PYTHONDONTWRITEBYTECODE="1",
                PYTHONPYCACHEPREFIX="/dev/null/pycache", PYTHONNOUSERSITE="1")


def python():
    """How the trusted side starts Python: -B, no bytecode written (with
    clean_env()'s cache prefix, none read from the tree either)."""
    return [sys.executable, "-B"]


def tree_hash(tree, docs=False):
    """A hash of the files under @tree: path, mode, bytes (a link: its target).
    Without @docs not .git/, build/, docs/, *.md or pictures, so that mending
    a typo in a handout grades nobody again."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(tree):
        dirs[:] = sorted(d for d in dirs if docs or (d not in (".git", "build") and
                         os.path.join(root, d) != os.path.join(tree, "docs")))
        names = sorted(f for f in files if docs or not f.endswith((".md", ".svg", ".png")))
        h.update(b"D" + os.path.relpath(root, tree).encode() + b"\0")
        for name in names:
            path = os.path.join(root, name)
            st = os.lstat(path)
            h.update(os.path.relpath(path, tree).encode() + b"\0")
            if stat.S_ISLNK(st.st_mode):
                h.update(b"L" + os.readlink(path).encode() + b"\0")
                continue
            h.update(b"x" if st.st_mode & 0o111 else b"-")
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def integrity(base):
    """The hash of everything a grade uses from @base."""
    h = hashlib.sha256()
    for part in ("tree", "hidden", "expected"):
        path = os.path.join(base, part)
        h.update(part.encode() + (tree_hash(path, docs=True).encode() if os.path.isdir(path)
                                  else b"-"))
    return h.hexdigest()


def verify(base):
    """None if @base is as it was built, else what is wrong."""
    want = _read(os.path.join(base, "integrity"))
    if want is None:
        return "%s has no integrity record: grade again to rebuild it" % base
    if integrity(base) != want:
        return "%s changed since it was built (its hash differs): delete it and grade " \
               "again" % base
    return None


def identity(lab, tree, hidden):
    """What every grade of the class depends on: the handout's files (not its
    documentation), the hidden tests, and the reference's student files
    (the source of the expected observations)."""
    h = hashlib.sha256(tree_hash(tree).encode())
    h.update(tree_hash(hidden).encode() if os.path.isdir(hidden) else b"-")
    for path in L.student_files(lab):
        with open(os.path.join(L.ROOT, path), "rb") as f:
            h.update(path.encode() + b"\0" + hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def cut(lab, dest, hidden):
    """The handout of @lab in @dest, and its hidden tests in @hidden."""
    r = subprocess.run(python() + [os.path.join(HERE, "lab.py"), "handout", lab, dest],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("make handout failed: " + (r.stderr or r.stdout).strip())
    shutil.rmtree(os.path.join(dest, ".git"))  # the copies need no history
    src = os.path.join(L.ROOT, "labs", lab, "hidden")
    if os.path.isdir(src):
        shutil.copytree(src, hidden, ignore=shutil.ignore_patterns("__pycache__"))
        # The mount point of the hidden host programs' jail.
        os.makedirs(os.path.join(dest, "labs", lab, "hidden"), exist_ok=True)


def prepare(lab, base, say, build=True):
    """@base/tree: the built grading tree of @lab, cut again only if the
    instructor's tree changed it. Returns (identity, [(points, test name)]).
    With @build false nothing under @base changes (a dry run)."""
    scratch = tempfile.mkdtemp(prefix="pagoda-base-")
    try:
        os.chmod(scratch, 0o755)
        fresh, fresh_hidden = os.path.join(scratch, "tree"), os.path.join(scratch, "hidden")
        cut(lab, fresh, fresh_hidden)
        ident = identity(lab, fresh, fresh_hidden)
        tree, hidden = os.path.join(base, "tree"), os.path.join(base, "hidden")
        if _read(os.path.join(base, "identity")) == ident and not verify(base):
            return ident, list_tests(lab, tree, hidden)
        if not build:
            return ident, list_tests(lab, fresh, fresh_hidden)
        say("cutting and building the grading tree of lab %s (once per change of the lab; "
            "about a minute)" % lab)
        os.makedirs(base, exist_ok=True)
        for part in ("identity", "integrity"):
            if os.path.exists(os.path.join(base, part)):
                os.remove(os.path.join(base, part))
        for part in ("tree", "hidden", "expected"):
            remove(os.path.join(base, part))
        os.rename(fresh, tree)
        if os.path.isdir(fresh_hidden):
            os.rename(fresh_hidden, hidden)
        build_tree(lab, tree, hidden)
        read_only(tree)
        if os.path.isdir(hidden):
            read_only(hidden)
        tests = list_tests(lab, tree, hidden)
        _write(os.path.join(base, "identity"), ident)
        _write(os.path.join(base, "integrity"), integrity(base))
        return ident, tests
    finally:
        remove(scratch)


def build_tree(lab, tree, hidden):
    """Build what the tests need in @tree, in a jail, as every grade will."""
    out = os.path.join(tree, "build")
    os.makedirs(out, exist_ok=True)
    jail.give_to_jail(out)
    r = _grade_py(lab, tree, {"tree": tree, "build": out, "files": {},
                              "hidden_tests": hidden}, "--build-only")
    if r.returncode != 0:
        raise RuntimeError("the grading tree does not build:\n" + r.stdout + r.stderr)


def list_tests(lab, tree, hidden):
    """[(points, name)] of the public and hidden tests, in the grader's order."""
    r = _grade_py(lab, tree, {"tree": tree, "build": os.path.join(tree, "build"), "files": {},
                              "hidden_tests": hidden}, "--list")
    if r.returncode != 0:
        raise RuntimeError("the grader cannot list its tests:\n" + r.stdout + r.stderr)
    return [(int(p), name) for p, name in (line.split(" ", 1) for line in r.stdout.split("\n")
                                           if line)]


def expected(lab, base, seed):
    """@base/expected/<seed>: the reference's observations of every host test
    with @seed, made once (in the instructor's tree, outside any jail)."""
    dest = os.path.join(base, "expected", str(seed))
    if os.path.isdir(dest):
        return dest
    import grade
    tests = [t for part in ("tests", "hidden") for t in grade.load(lab, part)
             if t.kind == "host"]
    tmp = dest + ".new"
    remove(tmp)
    os.makedirs(tmp)
    if tests:
        targets = sorted({grade.host_binary(t.program) for t in tests})
        r = subprocess.run(["make", "-s", "--no-print-directory"] + targets, cwd=L.ROOT,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("the reference's host tests do not build:\n" + r.stdout +
                               r.stderr)
    for t in tests:
        argv = [os.path.join(L.ROOT, grade.host_binary(t.program)), t.name.split("/")[-1],
                str(observations.host_seed(seed, t.name))]
        r = subprocess.run(argv, cwd=L.ROOT, capture_output=True, timeout=300,
                           env=dict(clean_env(tmp), **jail.SANITIZERS))
        lines, malformed = observations.parse(r.stdout)
        if r.returncode != 0 or malformed or not lines or lines[-1] != observations.END:
            raise RuntimeError("the reference fails host test %s (seed %d): %s" % (
                t.name, seed, malformed or r.stdout.decode(errors="replace")[-300:]))
        name = t.name.replace("/", "__") + ".obs"
        with open(os.path.join(tmp, name), "w") as f:
            f.write("\n".join(lines) + "\n")
    read_only(tmp)
    os.chmod(tmp, 0o755)
    os.rename(tmp, dest)
    read_only(dest)
    _write(os.path.join(base, "integrity"), integrity(base))
    return dest


def _grade_py(lab, tree, config, *args):
    home = tempfile.mkdtemp(prefix="pagoda-grade-")
    try:
        path = os.path.join(home, "jail.json")
        with open(path, "w") as f:
            json.dump(config, f)
        return subprocess.run(python() + ["tools/lab/grade.py", lab, "--hidden", "--jail", path]
                              + list(args), cwd=tree, capture_output=True, text=True,
                              env=clean_env(home))
    finally:
        remove(home)


def read_only(path):
    """Take write permission from everything under @path."""
    for root, dirs, files in os.walk(path):
        for name in [root] + [os.path.join(root, n) for n in dirs + files]:
            if not os.path.islink(name):
                mode = os.lstat(name).st_mode
                os.chmod(name, stat.S_IMODE(mode) & ~0o222)


def remove(path):
    """rmtree that also removes what read_only() protected."""
    if not os.path.lexists(path):
        return
    for root, dirs, _ in os.walk(path):
        for name in [root] + [os.path.join(root, d) for d in dirs]:
            if not os.path.islink(name):
                os.chmod(name, 0o755)
    shutil.rmtree(path, ignore_errors=True)


def _read(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text + "\n")
    os.replace(tmp, path)
