"""The jail a class grade compiles and runs a student's code in (bubblewrap).

A student's code is hostile until proven otherwise: a host test program
links it, the kernel is made of it, and its Makefile rules compile it. So
every command of a class grade that builds or runs it (make, the host test
programs, QEMU, nm on the kernel) runs here, and nothing else does:

- bubblewrap (`bwrap`, the sandbox Flatpak uses) makes new user, pid, net,
  ipc, uts and cgroup namespaces, drops every capability, and dies with its
  parent; run as root, the jail first becomes user nobody (65534), so
  outside its namespaces it is an unprivileged uid;
- the view holds the system read-only (/usr, /etc, dpkg's database), a fresh
  /tmp and /dev/shm of fixed sizes (the rest of / and /dev read-only), and
  at /pagoda the grading tree (the handout, read-only) with the student's files bound over the starter's and one writable
  directory, /pagoda/build; no reference code, no hidden tests (but for the
  hidden host programs, built and run last), no other submission, no OUT;
- limits inside (prlimit): processes, CPU seconds, file size, no core files;
  outside, run() keeps at most a cap of output and drops (and counts) the rest.

Memory, the time of a whole grade and the disk used in the scratch are
watched by the task that runs the grade (class_task.py), over every jail of
the grade at once.
"""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time

TREE = "/pagoda"
NOBODY = 65534
# Sanitizer settings a student's code cannot override: the environment wins
# over a __asan_default_options() it defines.
SANITIZERS = {
    "ASAN_OPTIONS": "halt_on_error=1:abort_on_error=0:exitcode=23:log_path=stderr:"
                    "detect_leaks=1:allocator_may_return_null=0:disable_coredump=1",
    "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1:exitcode=24:log_path=stderr",
    "LSAN_OPTIONS": "exitcode=25",
}
DEFAULT_LIMITS = {
    "processes": 128,          # per jail: a build needs about ten
    "cpu_seconds": 600,        # per process
    "file_bytes": 256 << 20,   # per file written
    "tmp_bytes": 256 << 20,    # the jail's /tmp (memory)
    "shm_bytes": 64 << 20,     # the jail's /dev/shm (memory)
    "output_bytes": 1 << 20,   # kept of one command's output
}


class Outcome:
    """What a jailed command did: @status (its exit status; None if it was
    stopped at its time limit), @output (bytes, at most the cap), @dropped
    (bytes of output beyond the cap), @seconds."""

    def __init__(self, status, output, dropped, seconds):
        self.status, self.output, self.dropped, self.seconds = status, output, dropped, seconds

    def text(self):
        """The output as text (undecodable bytes replaced), with a note of what was dropped."""
        note = "\n[%d more bytes of output dropped]\n" % self.dropped if self.dropped else ""
        return self.output.decode("utf-8", "replace") + note


class Jail:
    """The jail of one grade.

    @tree: the grading tree (read-only; at /pagoda); @build: the grade's
    writable build directory (at /pagoda/build); @files: {path in the tree:
    host path} of the student's files; @hidden: {path in the tree: host
    path} bound only for commands run with hidden=True; @binds: host paths
    shown read-only at the same path (the trusted side's files for QEMU)."""

    def __init__(self, tree, build, files=None, hidden=None, binds=(), limits=None):
        self.tree, self.build = tree, build
        self.files, self.hidden, self.binds = dict(files or {}), dict(hidden or {}), list(binds)
        self.limits = dict(DEFAULT_LIMITS, **(limits or {}))

    def command(self, argv, writable=False, hidden=False):
        """@argv as run in the jail (its cwd /pagoda)."""
        lim = self.limits
        cmd = drop_privileges() + [
            "bwrap", "--unshare-all", "--unshare-user", "--die-with-parent", "--new-session",
            "--disable-userns", "--hostname", "pagoda-jail",
            "--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc",
            "--ro-bind-try", "/var/lib/dpkg", "/var/lib/dpkg",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(lim["tmp_bytes"]), "--tmpfs", "/tmp",
            "--size", str(lim["shm_bytes"]), "--tmpfs", "/dev/shm",
            "--remount-ro", "/dev",
        ]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = "/" + name
            if os.path.islink(path):
                cmd += ["--symlink", os.readlink(path), path]
            elif os.path.isdir(path):
                cmd += ["--ro-bind", path, path]
        cmd += ["--ro-bind", self.tree, TREE,
                "--bind" if writable else "--ro-bind", self.build, TREE + "/build"]
        mounts = dict(self.files, **(self.hidden if hidden else {}))
        for rel, host in sorted(mounts.items()):
            cmd += ["--ro-bind", host, os.path.join(TREE, rel)]
        for path in self.binds:
            cmd += ["--ro-bind", path, path]
            for arg in argv:
                if arg.startswith(path + os.sep) and os.path.isfile(arg):
                    _let_everyone_read(arg, path)
        # The root and /dev are bubblewrap's own memory: nothing may be
        # written there (a file held in no process's memory is not watched).
        cmd += ["--remount-ro", "/", "--clearenv", "--chdir", TREE]
        for k, v in sorted(jail_env().items()):
            cmd += ["--setenv", k, v]
        cmd += ["--", "prlimit", "--nproc=%d" % lim["processes"],
                "--cpu=%d" % lim["cpu_seconds"], "--fsize=%d" % lim["file_bytes"],
                "--core=0", "--"] + list(argv)
        return cmd

    def run(self, argv, timeout, writable=False, hidden=False):
        """Run @argv in the jail for at most @timeout seconds: an Outcome."""
        start, cap = time.monotonic(), self.limits["output_bytes"]
        proc = subprocess.Popen(self.command(argv, writable, hidden), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd="/",
                                start_new_session=True)
        kept, size, dropped, stopped = [], 0, 0, False
        fd = proc.stdout.fileno()
        try:
            while True:
                left = start + timeout - time.monotonic()
                if left <= 0:
                    stopped = True
                    break
                ready, _, _ = select.select([fd], [], [], min(left, 1.0))
                if not ready:
                    continue
                data = os.read(fd, 1 << 16)
                if not data:
                    break
                room = max(cap - size, 0)
                if room:
                    kept.append(data[:room])
                    size += len(kept[-1])
                dropped += max(len(data) - room, 0)
        finally:
            kill(proc)
            proc.stdout.close()
        return Outcome(None if stopped else proc.returncode, b"".join(kept), dropped,
                       time.monotonic() - start)


def _let_everyone_read(path, top):
    """The trusted side's @path (a device tree for QEMU, in a 0700 temporary
    directory under @top) readable by the jail's user."""
    os.chmod(path, 0o644)
    path = os.path.dirname(path)
    while path.startswith(top + os.sep):
        os.chmod(path, 0o711)
        path = os.path.dirname(path)


def kill(proc):
    """End @proc (started with a session of its own) and everything in its jail."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # bwrap dies; its pid namespace with it
        except ProcessLookupError:
            pass
    proc.wait()


def jail_env():
    """The whole environment inside: the same on every machine."""
    return dict(SANITIZERS, PATH="/usr/bin:/bin:/usr/sbin:/sbin", HOME="/tmp", TMPDIR="/tmp",
                LANG="C.UTF-8", LC_ALL="C.UTF-8", TERM="dumb")


def jail_uid():
    """The uid the jail runs as outside its namespaces."""
    return NOBODY if os.geteuid() == 0 else os.geteuid()


def drop_privileges():
    """The prefix that makes root user nobody before the jail is made
    (bubblewrap maps the jail's user to the uid that starts it)."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
            "--inh-caps=-all", "--bounding-set=-all"]


def give_to_jail(path):
    """Let the jail's user write @path (a directory tree of the grade's own)."""
    if os.geteuid() == 0:
        for root, dirs, files in os.walk(path):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                os.lchown(name, NOBODY, NOBODY)


def unreachable(path):
    """None if the jail's user can reach @path (every directory on the way
    searchable), else the first directory that stops it."""
    if os.geteuid() != 0:
        return None
    path = os.path.abspath(path)
    while True:
        st = os.stat(path) if os.path.exists(path) else None  # made later, 0755
        if st and not st.st_mode & 0o001 and not (st.st_uid == NOBODY and st.st_mode & 0o100):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            return None
        path = parent


def problem():
    """None if a jail can be made here, else why not (one line)."""
    if shutil.which("bwrap") is None:
        return "bubblewrap is not installed (tools/deps.sh installs it)"
    tree = tempfile.mkdtemp(prefix="pagoda-jail-probe-")
    try:
        os.chmod(tree, 0o755)
        os.mkdir(os.path.join(tree, "build"))
        r = subprocess.run(Jail(tree, os.path.join(tree, "build")).command(["true"]),
                           capture_output=True, text=True, timeout=30, cwd="/")
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    finally:
        shutil.rmtree(tree, ignore_errors=True)
    if r.returncode != 0:
        return " ".join(r.stderr.split())[:300] or "status %d" % r.returncode
    return None
