#!/usr/bin/env python3
"""tools/slurm-local brings a real one-node Slurm cluster up and down.

In a temporary directory: `up` starts munged, slurmctld and slurmd and
prints the export line; `up` again changes nothing; a 4-task job array runs
through sbatch --wait and each task writes its SLURM_ARRAY_TASK_ID; a task's
exit code reaches sbatch; `down` cancels a running job and leaves no process
of that directory. A job's --time limit takes Slurm over a minute to enforce
(limits are whole minutes, checked every 30 s), so that test runs only with
--slow.

Usage: test_slurm_local.py [--slow] [--only NAME]   (TAP output, then
"N passed, N failed"; needs root, slurm-wlm and munge)
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(ROOT, "tools", "slurm-local")
DIR = tempfile.mkdtemp(prefix="slurm-local-test-")
CONF = os.path.join(DIR, "slurm.conf")
SLOW = "--slow" in sys.argv
TESTS = []
NOTES = []   # measurements, printed as TAP comments at the end


def test(fn):
    TESTS.append(fn)
    return fn


class Skip(Exception):
    """Raised by a test that does not run here; the reason says why."""


def tool(*args, env=None):
    """Run tools/slurm-local; (exit status, stdout, stderr, seconds)."""
    began = time.monotonic()
    proc = subprocess.run([sys.executable, TOOL] + list(args), capture_output=True,
                          text=True, timeout=120, env=env)
    return proc.returncode, proc.stdout, proc.stderr, time.monotonic() - began


def slurm(*argv, timeout=60):
    """Run a Slurm command against the test cluster (SLURM_CONF is set only
    for it: this process must not look like one of the cluster's jobs)."""
    env = dict(os.environ, SLURM_CONF=CONF)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env=env, cwd=DIR)


def pids():
    """The pid of each daemon, from its pid file."""
    out = {}
    for name in ("munged", "slurmctld", "slurmd"):
        with open(os.path.join(DIR, "run", name + ".pid")) as f:
            out[name] = int(f.read().split()[0])
    return out


def processes_of_dir():
    """Live processes that belong to the test cluster: DIR on their command
    line (the daemons, a job's script) or its SLURM_CONF in their environment
    (slurmstepd and every job process). Zombies have neither."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open("/proc/%s/environ" % entry, "rb") as f:
                environ = f.read().split(b"\0")
        except OSError:
            continue
        if DIR in cmdline or ("SLURM_CONF=" + CONF).encode() in environ:
            found.append("%s: %s" % (entry, cmdline.strip()))
    return found


def write_script(name, body):
    path = os.path.join(DIR, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


@test
def usage_and_unknown_command():
    status, out, err, _ = tool()
    assert status == 0 and out.startswith("usage: tools/slurm-local up|down|status"), (status, out)
    status, out, err, _ = tool("--help")
    assert status == 0 and "usage:" in out, (status, out)
    status, out, err, _ = tool("start")
    assert status == 2, status
    assert err.splitlines()[0] == "error: unknown command: start", err
    assert "usage:" in err and out == "", (out, err)


@test
def refuses_a_dir_it_did_not_make():
    other = tempfile.mkdtemp(prefix="slurm-local-other-")
    try:
        os.mkdir(os.path.join(other, "log"))
        with open(os.path.join(other, "log", "mine.txt"), "w") as f:
            f.write("not Slurm's\n")
        status, out, err, _ = tool("up", "--dir", other)
        assert status == 1 and out == "", (status, out)
        assert len(err.splitlines()) == 1 and err.startswith("error: "), err
        assert "did not make" in err, err
        assert os.listdir(other) == ["log"], os.listdir(other)
        assert os.listdir(os.path.join(other, "log")) == ["mine.txt"]
    finally:
        shutil.rmtree(other)


@test
def needs_root():
    # As nobody, with the system's python (pyenv's may be root's only).
    if os.geteuid() != 0 or not shutil.which("setpriv") or not os.path.exists("/usr/bin/python3"):
        raise Skip("needs root, setpriv and /usr/bin/python3")
    proc = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                           "/usr/bin/python3", TOOL, "up", "--dir", "/tmp/never-made"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stdout == "", (proc.returncode, proc.stdout)
    assert proc.stderr.startswith("error: up needs root"), proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert not os.path.exists("/tmp/never-made")


@test
def up_prints_the_export_line():
    status, out, err, secs = tool("up", "--dir", DIR)
    NOTES.append("up took %.2f s" % secs)
    assert status == 0, (status, err)
    assert out == "export SLURM_CONF=%s\n" % CONF, out
    assert os.path.isfile(CONF)
    assert "up in" in err, err
    status, out, err, _ = tool("status", "--dir", DIR)
    assert status == 0, (status, out, err)
    host = subprocess.run(["hostname", "-s"], capture_output=True, text=True).stdout.strip()
    assert out.splitlines() == ["up: node %s idle" % host, "export SLURM_CONF=" + CONF], out


@test
def up_again_changes_nothing():
    before = pids()
    status, out, err, secs = tool("up", "--dir", DIR)
    NOTES.append("up when already up took %.2f s" % secs)
    assert status == 0, (status, err)
    assert out == "export SLURM_CONF=%s\n" % CONF, out
    assert err.strip() == "slurm-local: already up (%s)" % DIR, err
    assert pids() == before, (before, pids())


@test
def job_array_runs_each_task():
    outdir = os.path.join(DIR, "out")
    os.mkdir(outdir)
    script = write_script("task.sh", 'echo "$SLURM_ARRAY_TASK_ID" > %s/task.$SLURM_ARRAY_TASK_ID\n'
                          % outdir)
    for run in ("first", "second"):
        for name in os.listdir(outdir):
            os.remove(os.path.join(outdir, name))
        began = time.monotonic()
        proc = slurm("sbatch", "--array=0-3", "--wait", "--output=/dev/null", script)
        NOTES.append("%s 4-task array, sbatch --wait: %.2f s" % (run, time.monotonic() - began))
        assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)
        assert re.match(r"Submitted batch job \d+$", proc.stdout.strip()), proc.stdout
        assert sorted(os.listdir(outdir)) == ["task.%d" % i for i in range(4)], os.listdir(outdir)
        for i in range(4):
            with open(os.path.join(outdir, "task.%d" % i)) as f:
                assert f.read() == "%d\n" % i


@test
def a_task_exit_code_reaches_sbatch():
    # sbatch --wait exits with the highest exit code of the array's tasks.
    script = write_script("fail2.sh", '[ "$SLURM_ARRAY_TASK_ID" = 2 ] && exit 3\nexit 0\n')
    proc = slurm("sbatch", "--array=0-3", "--wait", "--output=/dev/null", script)
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)


@test
def time_limit_is_enforced():
    if not SLOW:
        raise Skip("Slurm enforces --time in whole minutes, checked every 30 s:"
                   " 60-90 s; run with --slow")
    log = os.path.join(DIR, "limit.out")
    script = write_script("sleeper.sh", "echo started\nsleep 600\necho never\n")
    began = time.monotonic()
    proc = slurm("sbatch", "--time=1", "--wait", "--output=" + log, script, timeout=300)
    secs = time.monotonic() - began
    NOTES.append("--time=1 job killed after %.1f s" % secs)
    assert proc.returncode != 0, (proc.returncode, proc.stdout, proc.stderr)
    assert 55 < secs < 150, secs
    with open(log) as f:
        text = f.read()
    assert "started" in text and "never" not in text, text
    assert "DUE TO TIME LIMIT" in text, text


@test
def down_cancels_a_running_job_and_leaves_nothing():
    script = write_script("long.sh", "sleep 600\n")
    proc = slurm("sbatch", "--output=/dev/null", script)
    assert proc.returncode == 0, proc.stderr
    # Running, as squeue says, and its sleep started (a moment later): the
    # check below must see the job's processes for their absence to mean much.
    deadline = time.monotonic() + 30
    while (slurm("squeue", "--noheader", "--format=%T").stdout.strip() != "RUNNING"
           or not any("sleep 600" in p for p in processes_of_dir())):
        assert time.monotonic() < deadline, ("the job never ran", processes_of_dir())
        time.sleep(0.2)
    status, out, err, secs = tool("down", "--dir", DIR)
    NOTES.append("down (one running job) took %.2f s" % secs)
    assert status == 0 and out == "", (status, out, err)
    assert "down in" in err, err
    left = processes_of_dir()
    assert not left, left
    status, out, err, _ = tool("status", "--dir", DIR)
    assert status == 3 and out == "down\n", (status, out)
    status, out, err, _ = tool("down", "--dir", DIR)
    assert status == 0 and err.strip() == "slurm-local: not up (%s)" % DIR, (status, err)


def main():
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    tests = [t for t in TESTS if not only or only in t.__name__]
    print("1..%d" % len(tests))
    passed = failed = skipped = 0
    try:
        for i, t in enumerate(tests, 1):
            name = "slurm-local: " + t.__name__
            try:
                t()
                print("ok %d - %s" % (i, name))
                passed += 1
            except Skip as e:
                print("ok %d - %s # SKIP %s" % (i, name, e))
                skipped += 1
            except Exception as e:  # noqa: BLE001 - every failure is reported
                print("not ok %d - %s" % (i, name))
                for line in ("%s: %s" % (type(e).__name__, e)).splitlines()[:40]:
                    print("# " + line)
                failed += 1
            sys.stdout.flush()
    finally:
        # Never leave a cluster running, whatever failed.
        tool("down", "--dir", DIR)
    for note in NOTES:
        print("# " + note)
    if failed:
        print("# logs kept in %s/log" % DIR)
    else:
        shutil.rmtree(DIR, ignore_errors=True)
    print("%d passed, %d failed, %d skipped" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
