#!/usr/bin/env python3
"""The class grader's jail and its verdicts, without grading a class (TAP; seconds).

A jail (tools/lab/jail.py) sees the handout and the student's files and
nothing else, writes only its build directory, has no network, no
capabilities and an unprivileged uid, and keeps to its limits; the task's
watch (tools/lab/class_task.py) stops a grade that runs out of time, memory
or processes and leaves no process behind; a host test is judged by its
observations (tools/lab/observations.py), never by what it says of itself;
feedback is made of the trusted side's results only.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
sys.path.insert(0, os.path.join(ROOT, "tests", "shell"))
import class_task  # noqa: E402
import jail  # noqa: E402
import observations as obs  # noqa: E402
import tap  # noqa: E402

TESTS = []
TMP = tempfile.mkdtemp(prefix="pagoda-test-jail-")
os.chmod(TMP, 0o755)


def test(fn):
    TESTS.append(fn)
    return fn


def a_jail(**limits):
    """A jail over a small tree: tree/f, tree/os/mm/memm.c (the starter's),
    the student's memm.c bound over it, a writable build/."""
    d = tempfile.mkdtemp(dir=TMP)
    os.chmod(d, 0o755)
    tree, build, files = (os.path.join(d, p) for p in ("tree", "build", "files"))
    for path, text in (("tree/f", "tree\n"), ("tree/os/mm/memm.c", "starter\n"),
                       ("files/memm.c", "student\n")):
        os.makedirs(os.path.dirname(os.path.join(d, path)), exist_ok=True)
        with open(os.path.join(d, path), "w") as f:
            f.write(text)
    os.makedirs(os.path.join(tree, "build"))
    os.makedirs(build)
    jail.give_to_jail(build)
    return jail.Jail(tree, build, {"os/mm/memm.c": os.path.join(files, "memm.c")},
                     limits=limits), d


FORKS = """
import os, time
n = 0
for i in range(40):
    try:
        if os.fork() == 0:
            time.sleep(3)
            os._exit(0)
        n += 1
    except OSError:
        break
print(n)
"""


def sh(j, script, timeout=30, **kw):
    return j.run(["sh", "-c", script], timeout, **kw)


@test
def a_jail_can_be_made_here():
    assert jail.problem() is None, jail.problem()


@test
def the_jail_is_an_unprivileged_uid_without_capabilities():
    j, _ = a_jail()
    out = sh(j, "id -u; grep CapEff /proc/self/status; grep CapBnd /proc/self/status")
    lines = out.text().split()
    assert out.status == 0 and lines[0] == "%d" % jail.jail_uid(), out.text()
    assert jail.jail_uid() != 0 and lines[2] == "0000000000000000", out.text()


@test
def the_jail_sees_the_tree_and_the_students_files_only():
    j, d = a_jail()
    out = sh(j, "cat f os/mm/memm.c; ls / | tr '\\n' ' '; echo; ls /proc | grep -c '^[0-9]'; "
                "test -e %s && echo SEES-INSTRUCTOR; test -e %s && echo SEES-SCRATCH; "
                "test -e /root && echo SEES-ROOT; true" % (ROOT, d))
    text = out.text()
    assert text.startswith("tree\nstudent\n"), text
    assert "SEES" not in text, text
    tops = set(text.split("\n")[2].split())
    assert tops <= {"bin", "dev", "etc", "lib", "lib32", "lib64", "libx32", "pagoda", "proc",
                    "sbin", "tmp", "usr", "var"}, tops
    assert int(text.split("\n")[3]) <= 5, "processes outside the jail are visible: " + text


@test
def the_jail_writes_only_its_build_and_a_fresh_tmp():
    j, d = a_jail()
    marker = "pagoda-jail-tmp-%d" % os.getpid()
    out = sh(j, "touch f 2>/dev/null && echo WROTE-TREE; touch os/mm/memm.c 2>/dev/null && "
                "echo WROTE-FILE; touch /usr/x 2>/dev/null && echo WROTE-USR; "
                "touch /x 2>/dev/null && echo WROTE-ROOT; touch /dev/x 2>/dev/null && "
                "echo WROTE-DEV; "
                "echo built > build/x; ls /tmp | wc -l; echo left > /tmp/%s" % marker,
             writable=True)
    assert "WROTE" not in out.text(), out.text()
    assert open(os.path.join(d, "build", "x")).read() == "built\n"
    assert out.text().split("\n")[0] == "0", "the jail's /tmp is not fresh: " + out.text()
    assert not os.path.exists(os.path.join("/tmp", marker)), "the jail wrote the host's /tmp"
    out = sh(j, "echo again > build/y 2>/dev/null || echo READ-ONLY")
    assert "READ-ONLY" in out.text(), "build is writable when it should not be"


@test
def the_jail_has_no_network():
    j, _ = a_jail()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        out = sh(j, "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '; "
                    "(echo x > /dev/tcp/127.0.0.1/%d) 2>/dev/null && echo CONNECTED; "
                    "bash -c 'echo x > /dev/tcp/127.0.0.1/%d' 2>/dev/null && echo CONNECTED; "
                    "true" % (port, port))
    finally:
        server.close()
    assert out.text().split() == ["lo"], out.text()


@test
def the_environment_is_the_jails_own():
    j, _ = a_jail()
    os.environ["PAGODA_SECRET_OF_THE_GRADER"] = "x"
    out = sh(j, "env | sort")
    del os.environ["PAGODA_SECRET_OF_THE_GRADER"]
    env = dict(l.split("=", 1) for l in out.text().splitlines() if "=" in l)
    assert "PAGODA_SECRET_OF_THE_GRADER" not in env and env["HOME"] == "/tmp", env
    # The sanitizers' settings come from the environment: a student's
    # __asan_default_options() cannot turn them off.
    assert "halt_on_error=1" in env.get("ASAN_OPTIONS", ""), env


@test
def processes_files_and_output_are_capped():
    j, _ = a_jail(processes=16, file_bytes=1 << 20, output_bytes=4096)
    out = j.run(["python3", "-c", FORKS], 30)
    count = int(out.text().split()[-1])
    assert 5 <= count <= 16, "%d processes started in a jail of 16" % count
    out = sh(j, "head -c 2000000 /dev/zero > /tmp/big 2>/dev/null; wc -c < /tmp/big")
    assert int(out.text().split()[-1]) <= 1 << 20, out.text()
    # Memory that no process holds: /tmp and /dev/shm are as large as set.
    small, _ = a_jail(tmp_bytes=4 << 20, shm_bytes=2 << 20)
    out = sh(small, "for d in /tmp /dev/shm; do for i in 1 2 3 4 5 6; do head -c 1000000 "
                "/dev/zero > $d/$i 2>/dev/null; done; du -sk $d | cut -f1; done")
    tmp_kib, shm_kib = map(int, out.text().split())
    assert tmp_kib <= 4096 and shm_kib <= 2048, out.text()
    out = sh(j, "yes pagoda | head -c 100000")
    assert len(out.output) == 4096 and out.dropped == 100000 - 4096, (len(out.output),
                                                                      out.dropped)
    assert "[95904 more bytes of output dropped]" in out.text()


@test
def a_jail_stopped_at_its_time_leaves_nothing_running():
    j, _ = a_jail()
    marker = "pagoda-jail-left-%d" % os.getpid()
    out = sh(j, "setsid sh -c 'exec -a %s sleep 300' & (exec -a %s sleep 300) & sleep 300"
             % (marker, marker), timeout=1.5)
    assert out.status is None, "not stopped at its time limit"
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert left.stdout.strip() == "", "still running: " + left.stdout


@test
def the_watch_stops_fork_bombs_memory_hogs_and_endless_grades():
    j, d = a_jail(processes=200)
    log = os.path.join(d, "log")
    cases = [
        # A bomb that keeps trying when fork fails, as a C loop of fork() does
        # (dash's `while true; do sleep 30 & done` exits at the first failed
        # fork, sometimes before the watch has looked: its jail is gone then).
        ("python3 -c 'import os, time\nwhile True:\n    try:\n        os.fork()\n"
         "    except OSError:\n        time.sleep(0.01)'", "out of resources", 120, 1 << 30),
        ("python3 -c 'x = bytearray(600 << 20); import time; time.sleep(60)'",
         "out of memory", 120, 200 << 20),
        ("sleep 300", "timed out", 2, 1 << 30),
    ]
    for script, want, timeout, memory in cases:
        verdict, seconds = class_task.supervise(
            j.command(["sh", "-c", script]), "/", dict(os.environ), log, timeout, memory,
            os.path.join(d, "build"), None)
        assert verdict == want and seconds < 60, (script, verdict, seconds)


@test
def observations_decide_not_what_the_program_says():
    want = ["alloc 0x40", "free 0", "end"]
    assert obs.judge(want, b"obs: alloc 0x40\nnoise\nobs: free 0\nobs: end\nok\n") is None
    forged = b"ok\n"
    assert "observation 1 missing" in obs.judge(want, forged)
    assert "expected `free 0`, got `free 1`" in obs.judge(
        want, b"obs: alloc 0x40\nobs: free 1\nobs: end\n")
    assert "none after `end`" in obs.judge(want, b"obs: alloc 0x40\nobs: free 0\nobs: end\n"
                                                 b"obs: more\n")
    assert "not plain ASCII" in obs.judge(want, b"obs: alloc 0x40\nobs: \xff\n")
    assert "longer than" in obs.judge(want, b"obs: " + b"x" * 600 + b"\n")
    assert "control characters" in obs.judge(want, b"obs: alloc\x1b[2J\n")


@test
def the_status_names_the_first_cause():
    def grade(*reasons, complete=True):
        return {"complete": complete, "tests": [{"reason": r} for r in reasons]}
    assert class_task.status_of(None, None) == "grader error"
    assert class_task.status_of(None, grade(None, complete=False)) == "grader error"
    assert class_task.status_of("out of resources", None) == "out of resources"
    assert class_task.status_of(None, grade(None, "build failed (make kernel)", "panic: x")) \
        == "build failed"
    assert class_task.status_of(None, grade(None, "panic: lab k: f is not written yet")) == \
        "kernel panicked"
    assert class_task.status_of(None, grade(None, "expected 3, got 4")) == "graded"


@test
def feedback_is_made_of_the_public_results_only():
    def t(name, points, reason=None):
        return {"name": name, "ok": reason is None, "points": points if reason is None else 0,
                "max": points, "reason": reason, "replay": "make grade TEST=%s SEED=7" % name}
    grade = {"complete": True, "tests": [
        t("alpha", 5), t("riscv64/beta", 10, "expected 3, got 4\x1b[2J" + "x" * 1000),
        t("hidden/riscv64/gamma", 10, "expected the secret 42")]}
    plan = {"lab": "k", "seed": 7, "tests": [(5, "alpha"), (10, "riscv64/beta"),
                                             (10, "hidden/riscv64/gamma")]}
    lines = class_task.public_lines(plan, grade)
    assert len(lines) == 2 and lines[0].endswith("alpha") and "beta" in lines[1], lines
    assert "\x1b" not in lines[1] and len(lines[1]) < 500, lines[1]
    result = {"status": "graded", "score": 5, "max": 25, "reason": "",
              "points": {"alpha": 5, "riscv64/beta": 0, "hidden/riscv64/gamma": 0}}
    text = class_task.feedback(plan, "ann", result, lines, ["os/mm/memm.c"])
    assert "secret" not in text and "gamma" not in text, text
    for words in ("Lab k, ann: 5/25 (graded)", "Public tests: 5/15 points.",
                  "Hidden tests: 0/10 points", "make grade SEED=7", "os/mm/memm.c"):
        assert words in text, (words, text)


if __name__ == "__main__":
    try:
        status = tap.run(TESTS, "grade-class-jail", sys.argv[1] if len(sys.argv) > 1 else None)
    finally:
        subprocess.run(["chmod", "-R", "u+w", TMP])
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)
