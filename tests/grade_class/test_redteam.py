#!/usr/bin/env python3
"""A hostile class against the class grader, with both engines (TAP).

Makes the red-team class of tests/grade_class/make_redteam.py (kmalloc: three
honest submissions and, each built on one of them, an attack per way issue
16 found to fool tools/grade-class, and a few more) and grades it:

1. the honest class alone, locally (OUT inside build/ of this tree, where
   the default OUT lies);
2. the attacks added to the same SUBMISSIONS and OUT;
3. again: nothing to grade, quickly (no archive is read again);
4. the whole class on a single-node Slurm cluster (tools/slurm-local);
5. an honest submission and two attacks as a user who is not root, from a
   copy of this tree that user owns, with --memory 1G (no cgroup there: the
   task's own watch must see memory kept in tmpfs files).

After each run it checks that

- every attack scores no more than its honest base (the manifest says
  which), the fork bomb is `out of resources`, the memory hog `out of
  memory`, the id with `=` scores as the reference it is;
- the instructor's tree (tracked and untracked files outside build/) is
  unchanged and holds no new __pycache__, with PYTHONDONTWRITEBYTECODE
  unset; OUT/base, SUBMISSIONS and every honest student's results and
  feedback are unchanged by grading the others;
- no process of a grade is left (none named with the class's token, none
  with its environment or OUT on its command line); no file the attacks
  write (named pagoda-redteam-<token>...) is in /tmp, /var/tmp, /dev/shm,
  /run, $HOME or under the test's directory; no connection reached the
  listeners opened on the port, abstract socket and path sockets the
  attacks try;
- no feedback file is above 64 KiB (the 512 MiB line's is the test), no
  log above 16 MiB, and none holds a line, a test name or a docstring of
  labs/kmalloc/hidden/grade.py;
- gradebook.csv names every submission once (ids mapped to a safe set:
  `alice=1` -> `alice%3D1`, read back with percent-decoding), no cell
  starts with = + - @, and both engines write byte-identical gradebooks;
- the non-root run gives the root run's verdicts, stops the tmpfs filler
  for memory, and changes nothing of its tree outside build/.

Needs root (tools/slurm-local, useradd). `make test-redteam` runs it; it
takes about 8 minutes on two cores (the class is graded three times and a
half: 3 honest, 9 attacks and 14 cheap unreadable entries). Leave the tree
alone while it runs: a handout ships the tree's untracked files too, so an
edit changes the grading tree and everything is graded again.

Usage: test_redteam.py [--only ID,ID...] [--skip ID,ID...] [--no-slurm] [--no-user] [--keep]
  --only     grade only these attacks (the honest class always)
  --skip     leave these attacks out
  --no-slurm, --no-user   skip the Slurm run, the run as a user who is not root
  --keep     leave the test's directory (build/test-redteam-*) for a look
"""
import argparse
import csv
import hashlib
import io
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.dont_write_bytecode = True
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# TIMEOUT stays well above console-cy's grade (about 85 s: two hidden
# tests each wait out a kernel that stopped): at 90 s that grade ended
# `timed out` under one engine and `kernel panicked` under the other.
LAB, SEED, TIMEOUT = "kmalloc", 4242, 150
FEEDBACK_CAP = 64 << 10
LOG_CAP = 16 << 20
QUICK = 30  # seconds for a run with nothing to grade
USER = "pagoda-redteam"
NONROOT = ("wrong-wes", "steal-sid")  # graded again as USER: the same verdicts
MEMORY_USER = "1G"  # the run as USER: shm-sue's 1.5 GiB of tmpfs files must be seen
HIDDEN = os.path.join(ROOT, "labs", LAB, "hidden", "grade.py")
PUBLIC = os.path.join(ROOT, "labs", LAB, "tests", "grade.py")
results = []


def say(ok, text, detail=""):
    results.append(bool(ok))
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), text), flush=True)
    if not ok and detail:
        for line in str(detail).splitlines()[-30:]:
            print("# " + line[:400])


def note(text):
    for line in str(text).splitlines():
        print("# " + line[:400], flush=True)


# ---------------------------------------------------------------- hashing

def digest_file(path):
    if os.path.islink(path):
        return "link:" + os.readlink(path)
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError as e:
        return "unreadable:%s" % e.strerror
    return ("x" if os.access(path, os.X_OK) else "-") + h.hexdigest()


def dir_state(top):
    """{relative path: digest} of every file and link under @top (dot files
    and .git included), directories as `dir`."""
    state = {}
    for root, dirs, files in os.walk(top):
        for d in dirs:
            p = os.path.join(root, d)
            state[os.path.relpath(p, top)] = "link:" + os.readlink(p) if os.path.islink(p) \
                else "dir"
        for name in files:
            p = os.path.join(root, name)
            state[os.path.relpath(p, top)] = digest_file(p)
    return state


def tree_state():
    """The instructor's tree: tracked files and every untracked one (ignored
    ones too: __pycache__), outside build/."""
    r = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--", ".",
                        ":(exclude)build"], cwd=ROOT, capture_output=True, check=True)
    paths = sorted({p for p in r.stdout.decode("utf-8", "surrogateescape").split("\0")
                    if p and not p.startswith("build/")})
    state = {p: digest_file(os.path.join(ROOT, p)) if os.path.lexists(os.path.join(ROOT, p))
             else "gone" for p in paths}
    for root, dirs, _ in os.walk(ROOT):
        dirs[:] = [d for d in dirs if not (root == ROOT and d in ("build", ".git"))]
        for d in dirs:
            if d == "__pycache__":
                state[os.path.relpath(os.path.join(root, d), ROOT) + "/"] = "dir"
    return state


def differences(before, after, limit=15):
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return ["%s: %s -> %s" % (k, before.get(k, "none")[:20], after.get(k, "none")[:20])
            for k in changed[:limit]] + (["... %d more" % (len(changed) - limit)]
                                         if len(changed) > limit else [])


# ---------------------------------------------------------------- traces

class Listeners:
    """The port, abstract socket and path sockets the attacks try: every
    connection or datagram is recorded."""

    def __init__(self, tag, port):
        self.got, self.socks, self.stop = [], [], False
        self.paths = [os.path.join(d, tag + "-listen.sock")
                      for d in ("/tmp", "/run", "/var/tmp", "/dev/shm")]
        self.add("tcp 127.0.0.1", socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", port))
        self.add("tcp ::1", socket.AF_INET6, socket.SOCK_STREAM, ("::1", port))
        self.add("udp 127.0.0.1", socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", port))
        self.add("abstract unix", socket.AF_UNIX, socket.SOCK_STREAM, "\0" + tag)
        for path in self.paths:
            if os.path.lexists(path):
                os.remove(path)
            self.add("unix " + path, socket.AF_UNIX, socket.SOCK_STREAM, path)

    def add(self, what, family, kind, address):
        try:
            s = socket.socket(family, kind)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(address)
            if kind == socket.SOCK_STREAM:
                s.listen(16)
            if isinstance(address, str) and not address.startswith("\0"):
                os.chmod(address, 0o777)
        except OSError as e:
            note("cannot listen on %s: %s" % (what, e))
            return
        s.settimeout(0.5)
        t = threading.Thread(target=self.serve, args=(s, what, kind), daemon=True)
        t.start()
        self.socks.append((s, t))

    def serve(self, s, what, kind):
        while not self.stop:
            try:
                if kind == socket.SOCK_DGRAM:
                    data, _ = s.recvfrom(4096)
                else:
                    c, _ = s.accept()
                    c.settimeout(1)
                    try:
                        data = c.recv(4096)
                    except OSError:
                        data = b""
                    c.close()
                self.got.append("%s: %r" % (what, data[:100]))
            except OSError:
                pass

    def close(self):
        self.stop = True
        for s, t in self.socks:
            t.join(2)
            s.close()
        for path in self.paths:
            if os.path.lexists(path):
                os.remove(path)


def trace_dirs(top):
    home = pwd.getpwuid(os.getuid()).pw_dir
    return ["/tmp", "/var/tmp", "/dev/shm", "/run", "/run/lock", "/var/lock", home,
            os.path.dirname(ROOT)], top


def traces(tag, top):
    """Files named after the class's token, but for the listeners' sockets."""
    flat, deep = trace_dirs(top)
    found = []
    for d in flat:
        try:
            found += [os.path.join(d, n) for n in os.listdir(d) if tag in n]
        except OSError:
            pass
    for root, dirs, files in os.walk(deep):
        found += [os.path.join(root, n) for n in dirs + files if tag in n]
    return sorted({f for f in found if not f.endswith("-listen.sock")})


def leftovers(tag, paths):
    """Processes of the class's grades still running: named with the token,
    with its environment, or with one of @paths on their command line."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%s/environ" % pid, "rb") as f:
                env = f.read()
        except OSError:
            continue
        name = os.path.basename(cmd.split(" ")[0])
        if name in ("munged", "slurmctld", "slurmd"):
            continue  # the test's own cluster
        if tag in cmd or ("REDTEAM_RUN=" + tag).encode() in env or \
                any(p in cmd for p in paths):
            found.append((int(pid), cmd.strip()[:200]))
    return found


def kill(procs):
    for pid, _ in procs:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


# ---------------------------------------------------------------- grading

def grade(subs, out, engine="local", env=None, user=None, root=ROOT, extra=()):
    """@root's tools/grade-class on @subs: (status, output, seconds)."""
    cmd = [os.path.join(root, "tools", "grade-class"), LAB, subs, "--out", out,
           "--engine", engine, "--seed", str(SEED), "--timeout", str(TIMEOUT)] + list(extra)
    if user:
        cmd = ["runuser", "-u", user, "--"] + cmd
    began = time.monotonic()
    try:
        r = subprocess.run(cmd, cwd=root, env=env, capture_output=True, timeout=3600)
        text = (r.stdout + r.stderr).decode("utf-8", "replace")
        status = r.returncode
    except subprocess.TimeoutExpired as e:
        text, status = "timed out after an hour\n" + str(e.stdout or b"")[-2000:], -1
    return status, text, time.monotonic() - began


def read_book(out):
    path = os.path.join(out, "gradebook.csv")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None, [], {}
    rows = list(csv.reader(io.StringIO(data.decode("utf-8", "replace"))))
    by_id = {}
    for row in rows[1:]:
        if row:
            by_id.setdefault(student_of(row[0]), []).append(dict(zip(rows[0], row)))
    return data, rows, by_id


IDS = []  # the class's ids, for student_of()


def student_of(cell):
    """The student a gradebook cell names: percent-decoded; an id cut for
    length (`<start>~<hash>`) names the one id of the class it starts."""
    if "~" in cell:
        start = urllib.parse.unquote_to_bytes(cell.split("~")[0])
        named = [i for i in IDS if os.fsencode(i).startswith(start) and
                 len(os.fsencode(i)) > len(start)]
        if len(named) == 1:
            return named[0]
    return urllib.parse.unquote(cell)


def score(row):
    try:
        return int(row.get("score", ""))
    except ValueError:
        return None


def hidden_needles():
    """What of the hidden tests must never reach a student: their lines
    (but those the public tests share, and short ones), names, docstrings."""
    with open(PUBLIC) as f:
        public = {l.strip() for l in f}
    with open(HIDDEN) as f:
        text = f.read()
    needles = {l.strip() for l in text.splitlines()
               if len(l.strip()) >= 16 and l.strip() not in public}
    needles |= set(re.findall(r"^def (\w+)\(", text, re.M))
    needles |= {d.strip() for d in re.findall(r'"""(.*?)"""', text, re.S)}
    return sorted(n for n in needles if n)


# ---------------------------------------------------------------- checks

class Run:
    """What every run must leave as it found: checked after each."""

    def __init__(self, man, top, subs, listeners):
        self.man, self.top, self.subs, self.listeners = man, top, subs, listeners
        self.tag = man["tag"]
        self.tree = tree_state()
        self.subs_state = None
        self.needles = hidden_needles()

    def after(self, what, out, status, text, seconds, extra_paths=()):
        note("%s: status %d, %.0f s" % (what, status, seconds))
        note("\n".join(text.splitlines()[-40:]))
        procs = leftovers(self.tag, [out, self.subs] + list(extra_paths))
        say(not procs, "%s: no process of a grade is left" % what,
            "\n".join("%d %s" % p for p in procs))
        kill(procs)
        now = tree_state()
        new_caches = [k for k in now if k.endswith("__pycache__/") and k not in self.tree]
        say(now == self.tree, "%s: the instructor's tree is unchanged%s" % (
            what, " (new: %s)" % ", ".join(new_caches) if new_caches else ""),
            "\n".join(differences(self.tree, now)))
        self.tree = now  # report each change once
        if self.subs_state is not None:
            s = dir_state(self.subs)
            say(s == self.subs_state, "%s: SUBMISSIONS is unchanged" % what,
                "\n".join(differences(self.subs_state, s)))
            self.subs_state = s
        found = traces(self.tag, self.top)
        say(not found, "%s: no file the attacks wrote is left (/tmp, /var/tmp, /dev/shm, "
            "/run, $HOME, the test's directory)" % what, "\n".join(found))
        for path in found:
            try:
                os.remove(path) if not os.path.isdir(path) else shutil.rmtree(path)
            except OSError:
                pass
        got = list(self.listeners.got)
        say(not got, "%s: no connection reached the listeners" % what, "\n".join(got))
        del self.listeners.got[:]

    def feedback(self, what, out):
        big, leaks, logs = [], [], []
        fb = os.path.join(out, "feedback")
        for name in sorted(os.listdir(fb)) if os.path.isdir(fb) else []:
            path = os.path.join(fb, name)
            size = os.path.getsize(path)
            if size > FEEDBACK_CAP:
                big.append("%s: %d bytes" % (name, size))
            with open(path, "rb") as f:
                text = f.read(8 << 20).decode("utf-8", "replace")
            leaks += ["%s: %s" % (name, n[:100]) for n in self.needles if n in text]
        say(not big, "%s: every feedback file is at most %d KiB" % (what, FEEDBACK_CAP >> 10),
            "\n".join(big))
        say(not leaks, "%s: no feedback holds a line, name or docstring of the hidden tests"
            % what, "\n".join(leaks))
        lg = os.path.join(out, "logs")
        for name in sorted(os.listdir(lg)) if os.path.isdir(lg) else []:
            size = os.path.getsize(os.path.join(lg, name))
            if size > LOG_CAP:
                logs.append("%s: %d bytes" % (name, size))
        say(not logs, "%s: every log is at most %d MiB" % (what, LOG_CAP >> 20), "\n".join(logs))

    def book(self, what, out, graded):
        """The verdicts of gradebook.csv against the manifest."""
        data, rows, by_id = read_book(out)
        say(data is not None, "%s: gradebook.csv is written" % what)
        if data is None:
            return
        want = [e["id"] for e in self.man["submissions"] if e["id"] in graded]
        missing = [i for i in want if len(by_id.get(i, [])) != 1]
        say(not missing, "%s: the gradebook has one row per submission, ids read back "
            "(percent-decoded)" % what, "missing or repeated: %r\nrows: %r" % (
                missing, [r[0] for r in rows[1:]]))
        bad_cells = [c for r in rows for c in r if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
        say(not bad_cells, "%s: no gradebook cell starts with = + - @ (formulas)" % what,
            "\n".join(bad_cells))
        raw = [r[0] for r in rows[1:] if "=" in r[0]]
        say(not raw, "%s: the ids with `=` appear mapped (alice%%3D1)" % what, "\n".join(raw))
        row = {i: (by_id.get(i) or [{}])[0] for i in want}
        for e in self.man["submissions"]:
            if e["id"] not in graded:
                continue
            got = row[e["id"]]
            expect = e["expect"]
            base = row.get(e["base"], {}) if e["base"] else {}
            head = "%s: %s" % (what, e["id"])
            if not got or (e["base"] and not base):
                say(False, "%s: in the gradebook, with its base %s" % (head, e["base"]))
                continue  # one line, not one per check, for a run that graded nothing
            if e["base"] and e["base"] != e["id"]:
                ok = score(got) is not None and score(base) is not None and \
                    score(got) <= score(base)
                say(ok, "%s scores no more than its honest base %s (%s <= %s; %s)" % (
                    head, e["base"], got.get("score"), base.get("score"), got.get("status")),
                    "%s\n%s" % (got, base))
            elif not e["base"]:
                say(score(got) == 0, "%s scores 0 (%s)" % (head, got.get("status")), got)
            if "status" in expect:
                say(got.get("status") == expect["status"], "%s: status `%s` (got `%s`)" % (
                    head, expect["status"], got.get("status")), got)
            if expect.get("score") == "max":
                say(got.get("score") == got.get("max"), "%s: full marks (%s/%s)" % (
                    head, got.get("score"), got.get("max")), got)
            if expect.get("same_as_base"):
                a = {k: v for k, v in got.items() if k != "student"}
                b = {k: v for k, v in base.items() if k != "student"}
                say(a == b, "%s: graded exactly as %s" % (head, e["base"]), "%s\n%s" % (a, b))
        return data


def results_state(out, ids):
    """{file: digest} of the results and feedback of @ids (mapped names or not)."""
    state = {}
    for sub in ("results", "feedback"):
        d = os.path.join(out, sub)
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            student = urllib.parse.unquote(os.path.splitext(name)[0])
            if student in ids:
                state[os.path.join(sub, name)] = digest_file(os.path.join(d, name))
    return state


def grading_env(tag):
    """This environment, but Python left to write bytecode unless the grader
    says otherwise, and a mark the grades' processes would inherit."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "SLURM_CONF")}
    env["REDTEAM_RUN"] = tag
    return env


def user_tree(dest, user):
    """A copy of this tree (its tracked and untracked files, in one commit)
    that @user owns: a non-root instructor grades from a tree of their own."""
    r = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                       cwd=ROOT, capture_output=True, check=True)
    for path in r.stdout.decode("utf-8", "surrogateescape").split("\0"):
        src = os.path.join(ROOT, path)
        if path and os.path.lexists(src) and not os.path.isdir(src):
            os.makedirs(os.path.join(dest, os.path.dirname(path)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, path), follow_symlinks=False)
    subprocess.run(["chown", "-R", "%s:" % user, dest], check=True)
    git = ["runuser", "-u", user, "--", "git", "-C", dest, "-c", "user.name=Instructor",
           "-c", "user.email=instructor@pagoda", "-c", "init.defaultBranch=main"]
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "the course"]):
        subprocess.run(git + args, check=True, capture_output=True)


def nonroot(run, man, class_dir, local_book, tag):
    """Grade NONROOT as USER from a tree of theirs, into an OUT of theirs:
    the same verdicts as root's, nothing of theirs changed but OUT."""
    if subprocess.run(["id", USER], capture_output=True).returncode != 0:
        r = subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", USER],
                           capture_output=True, text=True)
        if r.returncode != 0:
            say(False, "useradd %s" % USER, r.stdout + r.stderr)
            return
    home = pwd.getpwnam(USER).pw_dir
    top = tempfile.mkdtemp(prefix="pagoda-redteam-user-")
    try:
        os.chmod(top, 0o755)
        tree, subs, out = (os.path.join(top, n) for n in ("tree", "class", "out"))
        os.makedirs(subs)
        for e in man["submissions"]:
            if e["id"] in NONROOT or "held_1g" in e["expect"]:
                src = os.path.join(class_dir, e["entry"])
                dst = os.path.join(subs, e["entry"])
                shutil.copytree(src, dst, symlinks=True) if os.path.isdir(src) else \
                    shutil.copy2(src, dst)
        user_tree(tree, USER)
        subprocess.run(["chown", "-R", "%s:" % USER, top], check=True)
        before = {k: v for k, v in dir_state(tree).items() if not k.startswith("build")}
        env = {"PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME": home,
               "LANG": "C.UTF-8", "REDTEAM_RUN": tag}
        status, text, seconds = grade(subs, out, env=env, user=USER, root=tree,
                                      extra=["--memory", MEMORY_USER])
        run.after("as %s" % USER, out, status, text, seconds, [top])
        after = {k: v for k, v in dir_state(tree).items() if not k.startswith("build")}
        say(after == before, "as %s: their tree (outside build/) is unchanged" % USER,
            "\n".join(differences(before, after)))
        say(status == 0, "as %s: tools/grade-class succeeds (%.0f s)" % (USER, seconds), text)
        _, _, mine = read_book(out)
        for student in [e["id"] for e in man["submissions"] if e["id"] in NONROOT]:
            a = dict((mine.get(student) or [{}])[0])
            b = dict((local_book.get(student) or [{}])[0])
            say(a and a == b, "as %s: %s graded as root grades it (%s %s)" % (
                USER, student, a.get("score"), a.get("status")), "%s\n%s" % (a, b))
        for e in man["submissions"]:
            if "held_1g" in e["expect"]:
                row = (mine.get(e["id"]) or [{}])[0]
                base = (local_book.get(e["base"]) or [{}])[0]
                say(row.get("status") == "out of memory" or (
                    row.get("status") == "graded" and row.get("score") == base.get("score")),
                    "as %s, --memory %s: %s is stopped (`out of memory`) or cannot hold "
                    "that much (%s's score): %s %s" % (
                        USER, MEMORY_USER, e["id"], e["base"], row.get("status"),
                        row.get("score")), row)
        owners = {pwd.getpwuid(os.lstat(os.path.join(r, n)).st_uid).pw_name
                  for r, ds, fs in os.walk(out) for n in ds + fs}
        say(owners <= {USER}, "as %s: everything in OUT belongs to %s" % (USER, USER), owners)
    finally:
        subprocess.run(["rm", "-rf", top])


def slurm_run(run, subs, slurm, cluster, env, entries, local_bytes):
    r = subprocess.run([os.path.join(ROOT, "tools", "slurm-local"), "up", "--dir", cluster],
                       capture_output=True, text=True, timeout=300)
    conf = re.search(r"^export SLURM_CONF=(\S+)$", r.stdout, re.M)
    say(r.returncode == 0 and conf, "tools/slurm-local up", r.stdout + r.stderr)
    if not conf:
        return
    status, text, seconds = grade(subs, slurm, "slurm", dict(env, SLURM_CONF=conf.group(1)))
    run.after("slurm", slurm, status, text, seconds, [cluster])
    say(status == 0, "ENGINE=slurm grades the class (%.0f s)" % seconds, text)
    slurm_bytes = run.book("slurm", slurm, list(entries))
    run.feedback("slurm", slurm)
    # The ids whose rows differ go in the test's name: a CI report shows
    # the names of failing tests, not always their details.
    rows = [set((local_bytes or b"").splitlines()), set((slurm_bytes or b"").splitlines())]
    differ = sorted({r.split(b",")[0].decode(errors="replace") for r in rows[0] ^ rows[1]})
    say(slurm_bytes is not None and slurm_bytes == local_bytes,
        "the two engines write byte-identical gradebooks%s" % (
            " (rows differ: %s)" % ", ".join(differ) if differ else ""),
        "local:\n%s\nslurm:\n%s" % ((local_bytes or b"").decode(errors="replace"),
                                     (slurm_bytes or b"").decode(errors="replace")))


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default="")
    p.add_argument("--skip", default="")
    p.add_argument("--no-slurm", action="store_true")
    p.add_argument("--no-user", action="store_true")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (tools/slurm-local, useradd)")
        return 0
    tag_token = secrets.token_hex(4)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    # OUT where the default OUT lies (in this tree), if the jail's user
    # (nobody) can pass through to it; a clone under /root, say, cannot.
    sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
    import jail
    where = os.path.join(ROOT, "build")
    top = tempfile.mkdtemp(prefix="test-redteam-", dir=None if jail.unreachable(where)
                           else where)
    os.chmod(top, 0o755)
    all_dir, subs = os.path.join(top, "all"), os.path.join(top, "class")
    local, slurm = os.path.join(top, "local"), os.path.join(top, "slurm")
    cluster = tempfile.mkdtemp(prefix="pagoda-redteam-cluster-")
    listeners = None
    began = time.monotonic()
    try:
        run_env_tree = tree_state()  # before anything is made
        r = subprocess.run([sys.executable, "-B", os.path.join(ROOT, "tests", "grade_class",
                                                                "make_redteam.py"),
                            LAB, all_dir, "--token", tag_token], capture_output=True, text=True)
        say(r.returncode == 0, "make_redteam.py makes the class", r.stdout + r.stderr)
        if r.returncode != 0:
            return 1
        with open(all_dir + "-manifest.json") as f:
            man = json.load(f)
        tag = man["tag"]
        note("the class (id, honest base, attack):\n" + r.stdout)
        listeners = Listeners(tag, man["port"])
        run = Run(man, top, subs, listeners)
        run.tree = run_env_tree
        env = grading_env(tag)
        only = [i for i in args.only.split(",") if i]
        skip = [i for i in args.skip.split(",") if i]
        entries = {e["id"]: e for e in man["submissions"] if e["base"] == e["id"] or (
            (not only or e["id"] in only) and e["id"] not in skip)}
        man["submissions"] = list(entries.values())
        IDS[:] = list(entries)
        honest = [i for i, e in entries.items() if e["base"] == i]
        attacks = [i for i in entries if i not in honest]

        # 1. The honest class.
        os.makedirs(subs)
        for i in honest:
            os.rename(os.path.join(all_dir, entries[i]["entry"]),
                      os.path.join(subs, entries[i]["entry"]))
        status, text, seconds = grade(subs, local, env=env)
        run.after("honest class", local, status, text, seconds)
        say(status == 0, "the honest class is graded (%.0f s)" % seconds, text)
        run.book("honest class", local, honest)
        kept = results_state(local, honest)
        base = dir_state(os.path.join(local, "base"))

        # 2. The attacks join it.
        for i in attacks:
            os.rename(os.path.join(all_dir, entries[i]["entry"]),
                      os.path.join(subs, entries[i]["entry"]))
        run.subs_state = dir_state(subs)
        status, text, seconds = grade(subs, local, env=env)
        run.after("attacks", local, status, text, seconds)
        say(status == 0, "the attacks are graded, the run succeeds (%.0f s)" % seconds, text)
        local_bytes = run.book("attacks", local, list(entries))
        run.feedback("attacks", local)
        now = results_state(local, honest)
        say(now == kept, "the honest students' results and feedback are unchanged",
            "\n".join(differences(kept, now)))
        b = dir_state(os.path.join(local, "base"))
        say(b == base, "OUT/base (the grading tree) is unchanged", "\n".join(differences(base, b)))
        _, _, local_book = read_book(local)

        # 3. Nothing to grade, quickly.
        before = results_state(local, list(entries))
        status, text, seconds = grade(subs, local, env=env)
        run.after("again", local, status, text, seconds)
        say(status == 0 and seconds < QUICK, "a run with nothing new is quick: %.0f s "
            "(under %d s, archives not read again)" % (seconds, QUICK), text)
        _, _, again = read_book(local)
        say(again == local_book and results_state(local, list(entries)) == before,
            "it changes no verdict, result or feedback")

        # 4. Slurm.
        if not args.no_slurm:
            slurm_run(run, subs, slurm, cluster, env, entries, local_bytes)

        # 5. Not root.
        if not args.no_user:
            nonroot(run, man, subs, local_book, tag)
    finally:
        if os.path.isdir(os.path.join(cluster, "run")) or os.path.isfile(
                os.path.join(cluster, "slurm.conf")):
            r = subprocess.run([os.path.join(ROOT, "tools", "slurm-local"), "down", "--dir",
                                cluster], capture_output=True, text=True)
            say(r.returncode == 0, "tools/slurm-local down", r.stdout + r.stderr)
        if listeners:
            listeners.close()
        shutil.rmtree(cluster, ignore_errors=True)
        if args.keep:
            note("kept " + top)
        else:
            subprocess.run(["rm", "-rf", top])
    note("took %.0f s" % (time.monotonic() - began))
    print("1..%d" % len(results))
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
