"""Instructions per operation, counted by valgrind: deterministic, so a
change can be judged on a noisy machine.

Each workload runs twice under cachegrind (no cache simulation) in the
x86-64-v3 build, with N and then 2N operations; everything else (setting
up, the trace's warm-up, the teardown) is the same in both runs, so
(I(2N) - I(N)) / N is the cost of one operation alone.
"""
import re
import shutil
import subprocess
import sys

# Operations N per workload (the second run does 2N); None: not counted.
# Slow paths get few (one 512-page run in fragmented memory is milliseconds
# before issue 9's work); fill-free counts a sixteenth of the pool.
COUNT_OPS = {
    "order0-hot": 20000, "order0-cold": 5000,
    "order1-hot": 5000, "order2-hot": 5000, "order3-hot": 5000, "order4-hot": 5000,
    "order5-hot": 5000, "order6-hot": 5000, "order7-hot": 5000, "order8-hot": 5000,
    "fill-free": "pool/16", "mixed-trace": 20000,
    "run512-frag": 4, "run1g-frag": 2, "run512-empty": 200, "run1g-empty": 4,
    "err-interior": 4, "err-unaligned": 200, "err-foreign": 200, "err-double-free": 4,
}


def available():
    """True when valgrind is installed."""
    return shutil.which("valgrind") is not None


def instructions(binary, workload, allocator, size_mib, ops):
    """Instructions one run executes, all of it (setup included)."""
    cmd = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null",
           binary, "--only", workload, "--alloc", allocator, "--sizes", str(size_mib),
           "--repeats", "1", "--ops", str(ops)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    m = re.search(r"I\s+refs:\s+([\d,]+)", out.stderr)
    if out.returncode != 0 or not m:
        raise RuntimeError("valgrind failed: %s\n%s" % (" ".join(cmd), out.stderr[-2000:]))
    return int(m.group(1).replace(",", ""))


def per_op(binary, row):
    """Instructions per operation of a table row, or None if not counted."""
    n = COUNT_OPS.get(row["workload"])
    if n is None or row["ok"] != "1" or row["skipped"] == "1":
        return None
    if n == "pool/16":
        n = max(1, int(row["ops"]) // 16)
    sys.stderr.write("bench: counting %s %s at %s MiB under valgrind (%d and %d ops)\n"
                     % (row["allocator"], row["workload"], row["size_mib"], n, 2 * n))
    one = instructions(binary, row["workload"], row["allocator"], row["size_mib"], n)
    two = instructions(binary, row["workload"], row["allocator"], row["size_mib"], 2 * n)
    return (two - one) / n
