#!/usr/bin/env python3
"""make bench: run the page-manager benchmark and judge it in one table.

Runs build/bench/bench (timing: min and median of the repeats), counts
instructions per operation with valgrind where it is installed (count.py),
compares each row with the floor (goals.FLOOR_OF) and the goals of issues 9 and 20
(goals.GOALS), prints one table and writes the CSV.

Usage: bench.py [--sizes "4G 16G"] [--repeats 5] [--scale 1] [--only w1,w2]
                [--no-valgrind] [--check] [--csv build/bench/bench.csv]
"""
import argparse
import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import count  # noqa: E402
import goals  # noqa: E402

RAW = ["workload", "allocator", "size_mib", "repeats", "ops", "ns_min", "ns_median", "ok",
       "skipped", "value", "unit", "note"]
CSV_COLUMNS = ["workload", "allocator", "size_mib", "repeats", "ops", "ns_min", "ns_median",
               "floor_ratio", "instr_per_op", "instr_net", "value", "unit", "goal", "met", "ok",
               "note"]


def measure(binary, args):
    """The benchmark's rows (dicts of RAW), its progress going to stderr."""
    cmd = [binary, "--sizes", ",".join(args.sizes.split()), "--repeats", str(args.repeats),
           "--scale", str(args.scale)]
    if args.only:
        cmd += ["--only", args.only]
    if args.check:
        cmd.append("--check")
    out = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)
    rows = [dict(zip(RAW, line.split("\t"))) for line in out.stdout.splitlines()]
    for row in rows:
        row["size_mib"] = int(row["size_mib"])
    return rows, out.returncode


def add_floor_ratios(rows):
    floors = {(r["workload"], r["size_mib"]): r for r in rows if r["allocator"] == "floor"}
    for row in rows:
        ref = floors.get((goals.FLOOR_OF.get(row["workload"]), row["size_mib"]))
        row["floor_ratio"] = ""
        if ref and row["allocator"] not in ("floor", "null") and row["ns_median"] != "-" \
                and ref["ns_median"] not in ("-", "0.00"):
            row["floor_ratio_value"] = float(row["ns_median"]) / float(ref["ns_median"])
            row["floor_ratio"] = "%.1f" % row["floor_ratio_value"]


def add_counts(rows, binary, enabled):
    for row in rows:
        row["instr_per_op"] = ""
        if enabled and row["allocator"] in ("pmm", "pcp", "floor", "null"):
            n = count.per_op(binary, row)
            if n is not None:
                row["instr_per_op"] = "%.1f" % n
    # The page manager's own instructions: its count less the null
    # allocator's (the loop, random choices and records of the harness).
    harness = {(r["workload"], r["size_mib"]): r["instr_per_op"] for r in rows
               if r["allocator"] == "null"}
    for row in rows:
        base = harness.get((row["workload"], row["size_mib"]))
        row["instr_net"] = ""
        if row["allocator"] != "null" and base and row["instr_per_op"]:
            row["instr_net"] = "%.1f" % (float(row["instr_per_op"]) - float(base))


def size_text(mib):
    return "%d GiB" % (mib // 1024) if mib % 1024 == 0 else "%d MiB" % mib


def print_table(rows):
    head = ["workload", "alloc", "size", "ops", "ns/op min", "ns/op med", "x floor",
            "instr/op", "net", "value", "goal", "met", "note"]
    body = []
    for r in rows:
        value = "" if r["unit"] == "-" else "%s %s" % (r["value"], r["unit"])
        note = r["note"] if r["note"] != "-" else ""
        if r["ok"] != "1":
            note = "NOT OK: " + note
        body.append([r["workload"], r["allocator"], size_text(r["size_mib"]), r["ops"],
                     r["ns_min"], r["ns_median"], r["floor_ratio"], r["instr_per_op"],
                     r["instr_net"], value,
                     r["goal"], r["met"], note])
    widths = [max(len(str(x[i])) for x in [head] + body) for i in range(len(head))]
    numeric = {3, 4, 5, 6, 7, 8}
    for line in [head] + body:
        cells = [str(c).rjust(w) if i in numeric else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(line, widths))]
        print("  ".join(cells).rstrip())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="4G 16G")
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--only")
    p.add_argument("--no-valgrind", action="store_true")
    p.add_argument("--check", action="store_true")
    p.add_argument("--csv", default="build/bench/bench.csv")
    p.add_argument("--build", default="build/bench")
    args = p.parse_args()

    rows, status = measure(os.path.join(args.build, "bench"), args)
    counting = not args.no_valgrind and count.available()
    if not counting:
        sys.stderr.write("bench: no instruction counts (%s)\n"
                         % ("--no-valgrind" if args.no_valgrind else "valgrind not installed"))
    add_floor_ratios(rows)
    add_counts(rows, os.path.join(args.build, "bench-count"), counting)
    for row in rows:
        row["goal"], row["met"] = goals.judge(row)
    print_table(rows)
    os.makedirs(os.path.dirname(args.csv) or ".", exist_ok=True)
    with open(args.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    met = [r for r in rows if r["met"]]
    print("goals met: %d of %d; csv: %s" % (sum(r["met"] == "yes" for r in met), len(met),
                                            args.csv))
    if status != 0 or any(r["ok"] != "1" for r in rows):
        print("bench: some workload gave a wrong answer (NOT OK rows)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
