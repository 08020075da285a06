#!/usr/bin/env python3
"""make bench-plot: draw build/bench/bench.csv with gnuplot, to PNG.

One figure per allocator and measure (ns per op, instructions per op):
cost per operation against managed memory size, one line per workload,
both axes logarithmic. A flat line is a cost that does not grow with
memory; a rising one walks something as long as memory.

Usage: plot.py CSV OUTDIR
"""
import csv
import os
import shutil
import subprocess
import sys

MEASURES = [("ns_median", "ns per operation (median)", "ns"),
            ("instr_per_op", "instructions per operation (valgrind)", "instr")]


def series(rows, allocator, column):
    """{workload: [(size_mib, value)]} for the rows that have the value."""
    out = {}
    for r in rows:
        v = r.get(column, "")
        if r["allocator"] != allocator or v in ("", "-") or float(v) <= 0:
            continue
        out.setdefault(r["workload"], []).append((int(r["size_mib"]), float(v)))
    return {w: sorted(p) for w, p in out.items()}


def draw(data, title, ylabel, png, workdir):
    plots = []
    for i, (workload, points) in enumerate(sorted(data.items())):
        dat = os.path.join(workdir, "%s-%s.dat" % (os.path.basename(png)[:-4], workload))
        with open(dat, "w") as f:
            f.writelines("%d %g\n" % p for p in points)
        plots.append("'%s' using 1:2 with linespoints lw 2 pt %d title '%s'"
                     % (dat, 1 + i % 13, workload))
    script = "\n".join([
        "set terminal pngcairo size 1100,700 noenhanced" if "cairo" in terminals()
        else "set terminal png size 1100,700 noenhanced",
        "set output '%s'" % png,
        "set title '%s'" % title,
        "set xlabel 'managed memory (MiB)'",
        "set ylabel '%s'" % ylabel,
        "set logscale xy",
        "set key outside right",
        "set grid",
        "plot " + ", \\\n     ".join(plots),
    ]) + "\n"
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


_terms = None


def terminals():
    global _terms
    if _terms is None:
        out = subprocess.run(["gnuplot", "-e", "set terminal"], capture_output=True, text=True)
        _terms = out.stdout + out.stderr
    return _terms


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    path, outdir = sys.argv[1], sys.argv[2]
    if not os.path.exists(path):
        sys.exit("bench-plot: %s not found: run make bench first" % path)
    if not shutil.which("gnuplot"):
        sys.exit("bench-plot: gnuplot is missing: run make deps (tools/deps.sh installs "
                 "gnuplot-nox)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    workdir = os.path.join(outdir, "plot")
    os.makedirs(workdir, exist_ok=True)
    made = []
    for allocator in ("pmm", "naive"):  # the floor and null have a workload or two
        for column, label, tag in MEASURES:
            data = series(rows, allocator, column)
            if not data:
                continue
            png = os.path.join(outdir, "%s-%s.png" % (tag, allocator))
            draw(data, "%s: %s" % (allocator, label), label, png, workdir)
            made.append(png)
    for png in made:
        print("bench-plot: " + png)
    return 0 if made else 1


if __name__ == "__main__":
    sys.exit(main())
