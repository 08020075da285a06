#!/usr/bin/env python3
"""A small run of `make bench` for `make test`: it builds, runs every
workload at 64 MiB (few operations, two repeats, no valgrind, the
allocators' invariants checked after each run), and its table and CSV are
well-formed and every answer sane. No timing is asserted: the machine is
shared and noisy. TAP output.

Usage: smoke.py
"""
import csv
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import bench  # noqa: E402

CSV_PATH = "build/bench/smoke.csv"
results = []


def check(name, cond, detail=""):
    results.append(cond)
    print("%sok %d - %s" % ("" if cond else "not ", len(results), name))
    if not cond and detail:
        for line in str(detail).splitlines()[-20:]:
            print("# " + line)


def number(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def main():
    os.chdir(os.path.join(HERE, "..", ".."))
    built = subprocess.run(["make", "--no-print-directory", "bench-build"], capture_output=True,
                           text=True)
    check("the benchmark builds", built.returncode == 0, built.stdout + built.stderr)
    if built.returncode:
        return 1
    names = subprocess.run(["build/bench/bench", "--list"], capture_output=True, text=True,
                           check=True).stdout.split()
    if os.path.exists(CSV_PATH):
        os.remove(CSV_PATH)
    run = subprocess.run([sys.executable, os.path.join(HERE, "bench.py"), "--sizes", "64M",
                          "--repeats", "2", "--scale", "0.01", "--no-valgrind", "--check",
                          "--csv", CSV_PATH], capture_output=True, text=True)
    check("bench.py runs at 64 MiB and says every answer was right", run.returncode == 0,
          run.stdout + run.stderr)
    lines = run.stdout.splitlines()
    check("it prints one table with a header and the goals line",
          len(lines) > 2 and lines[0].split()[:3] == ["workload", "alloc", "size"]
          and any(line.startswith("goals met: ") for line in lines[-2:]), run.stdout)
    if not os.path.exists(CSV_PATH):
        check("it writes the CSV", False)
        return 1
    with open(CSV_PATH, newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        rows = [dict(zip(header, r)) for r in reader if len(r) == len(header)]
    with open(CSV_PATH, newline="") as f:
        widths = {len(r) for r in csv.reader(f)}
    check("the CSV has the documented columns, every row complete",
          header == bench.CSV_COLUMNS and widths == {len(header)}, (header, widths))
    pmm = {r["workload"]: r for r in rows if r["allocator"] == "pmm"}
    check("every workload has a page-manager row", sorted(pmm) == sorted(names),
          (sorted(names), sorted(pmm)))
    for name in names:
        r = pmm.get(name)
        if r is None:
            continue
        sane = r["ok"] == "1"
        if r["ns_median"] != "-":
            sane = sane and number(r["ns_min"]) and number(r["ns_median"]) \
                and 0 <= float(r["ns_min"]) <= float(r["ns_median"]) and int(r["ops"]) > 0
        if r["unit"] != "-":
            sane = sane and number(r["value"]) and float(r["value"]) >= 0
        skipped_right = r["note"].startswith("skipped") == name.startswith("run1g")
        check("pmm %s at 64 MiB: right answers, sane figures" % name, sane and skipped_right,
              r)
    others = [r for r in rows if r["allocator"] != "pmm"]
    bad = [(r["workload"], r["allocator"], r["note"]) for r in others if r["ok"] != "1"]
    check("the floor, naive and null allocators give right answers too",
          others and not bad, bad)
    meta = pmm.get("metadata", {})
    check("metadata per page is the descriptor's size",
          meta.get("value") not in (None, "-") and 8 <= float(meta["value"]) <= 64, meta)
    frag = pmm.get("fragmentation", {})
    check("fragmentation reports refused requests and the longest free run",
          frag.get("unit") == "failed" and "longest free run" in frag.get("note", ""), frag)
    print("1..%d" % len(results))
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
