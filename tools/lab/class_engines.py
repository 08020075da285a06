"""The engines that run a class's tasks: GNU parallel on this machine, or a
Slurm array job on a cluster.

Both run `tools/grade-class --task OUT N` for N = 0 .. count-1 (one task per
submission, class_task.py) and return when every task has ended. Neither
reports results itself: tools/grade-class watches results/<id>.json appear
(its progress line) and builds the gradebook from them, so the gradebook is
the same whichever engine ran the tasks.
"""
import os
import subprocess
import sys

GRADE_CLASS = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "grade-class"))


class EngineError(Exception):
    """The engine could not start or was not found; the message says what to do."""


def local_start(out, count, jobs):
    """GNU parallel, @jobs at a time (default: one per core). Returns the Popen."""
    cmd = ["parallel", "--will-cite", "--halt", "never"]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    cmd += [sys.executable, GRADE_CLASS, "--task", out, "{}", ":::"] + \
        [str(i) for i in range(count)]
    log = open(os.path.join(out, "logs", "parallel.log"), "w")
    try:
        return subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    except FileNotFoundError:
        raise EngineError("GNU parallel is not installed (tools/deps.sh installs Debian's "
                          "`parallel`)") from None
    finally:
        log.close()


def slurm_script(out, lab, count, timeout, memory, partition=None, account=None,
                 modules=()):
    """The sbatch script of @count tasks: one submission each, the same limits
    as a local grade (the task enforces them; Slurm's are a margin above)."""
    lines = [
        "#!/bin/sh",
        "# Grade %d submission%s of lab %s, one array task each (tools/grade-class)."
        % (count, "" if count == 1 else "s", lab),
        "#SBATCH --job-name=grade-%s" % lab,
        "#SBATCH --array=0-%d" % (count - 1),
        "#SBATCH --ntasks=1",
        "#SBATCH --cpus-per-task=1",
        "#SBATCH --mem=%dM" % ((memory >> 20) + 512),
        "#SBATCH --time=%d" % (timeout // 60 + 6),
        "#SBATCH --output=%s" % os.path.join(out, "slurm", "task-%a.out"),
    ]
    if partition:
        lines.append("#SBATCH --partition=%s" % partition)
    if account:
        lines.append("#SBATCH --account=%s" % account)
    lines += ["module load %s" % m for m in modules]
    lines.append('exec %s --task %s "$SLURM_ARRAY_TASK_ID"' % (GRADE_CLASS, out))
    return "\n".join(lines) + "\n"


def slurm_start(out, script):
    """Submit @script with `sbatch --wait`; returns (Popen, job id)."""
    path = os.path.join(out, "slurm", "grade.sbatch")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(script)
    try:
        proc = subprocess.Popen(["sbatch", "--parsable", "--wait", path], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
    except FileNotFoundError:
        raise EngineError("sbatch not found: this is no Slurm login node (--dry-run prints "
                          "the batch script; docs/grading.md)") from None
    job = proc.stdout.readline().strip().split(";")[0]
    if not job:
        proc.wait()
        raise EngineError("sbatch refused the job: " + " ".join(proc.stderr.read().split()))
    return proc, job


def slurm_cancel(job):
    subprocess.run(["scancel", job], capture_output=True)
