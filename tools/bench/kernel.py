#!/usr/bin/env python3
"""make bench-kernel: the page manager's speed inside the kernels.

Builds each architecture's kernel with OPT=-O2 (gnu toolchain), boots it in
QEMU as `make run` does, types `stress OPS SEED` at its shell (waiting for
the prompt, as tests/shell/test_stress.py does) and reports what stress
prints: operations, seconds, operations per second, turned into ns per
operation. Afterwards the -O0 kernel is relinked, as `make` leaves it.

What stress times is a mix, not the page manager alone: contiguous and
scattered allocations, kmalloc, mappings, stamping and checking every page
it holds, and a full pmm_check() + vm_check() every 1,000 operations (see
os/kernel/stress.c); and QEMU's TCG translates every guest instruction. So
these figures say how fast the kernels run the whole memory stack, to set
beside the host's per-operation figures, not a like-for-like comparison.

Usage: kernel.py [--arches "riscv64 x86_64"] [--mem "128M 1G"] [--ops 20000]
                 [--seed 12345] [--csv build/bench/kernel.csv]
"""
import argparse
import csv
import os
import re
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools"))
import pagoda_console as pc  # noqa: E402

STATS = re.compile(r"stress: (\d+) operations? in (\d+)\.(\d{3}) s \((\d+) ops/s\), "
                   r"peak (\d+) pages in use, (\d+) checks?")


def make_kernel(arch, opt):
    subprocess.run(["make", "--no-print-directory", "kernel", "ARCH=" + arch, "OPT=" + opt],
                   check=True, stdout=subprocess.DEVNULL)


def stress(arch, mem, ops, seed):
    """One boot, one stress run: a dict for the table."""
    with pc.Console(pc.qemu_command(arch, mem)) as c:
        if "Pagoda on " + arch not in c.boot_log:
            raise RuntimeError("booted the wrong kernel for " + arch)
        out = c.run("stress %d %d" % (ops, seed), timeout=900)
        c.poweroff()
    stats = [STATS.fullmatch(line) for line in out]
    stats = [m for m in stats if m]
    if not stats or out[-1] != "stress: ok":
        raise RuntimeError("stress on %s %s said:\n%s" % (arch, mem, "\n".join(out)))
    m = stats[0]
    n = int(m.group(1))
    ns = (int(m.group(2)) * 1000 + int(m.group(3))) * 1000000
    return {"arch": arch, "mem": mem, "opt": "-O2", "ops": n, "seconds": ns / 1e9,
            "ops_per_s": int(m.group(4)), "ns_per_op": "%.0f" % (ns / n),
            "checks": int(m.group(6)), "printed": out[-2] if len(out) > 1 else ""}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arches", default="riscv64 x86_64")
    p.add_argument("--mem", default="128M 1G")
    p.add_argument("--ops", type=int, default=20000)
    p.add_argument("--seed", type=int, default=12345)
    p.add_argument("--csv", default="build/bench/kernel.csv")
    args = p.parse_args()
    os.chdir(ROOT)
    rows = []
    try:
        for arch in args.arches.split():
            sys.stderr.write("bench-kernel: building %s with OPT=-O2\n" % arch)
            make_kernel(arch, "-O2")
            for mem in args.mem.split():
                sys.stderr.write("bench-kernel: %s %s: stress %d %d\n"
                                 % (arch, mem, args.ops, args.seed))
                rows.append(stress(arch, mem, args.ops, args.seed))
    finally:
        for arch in args.arches.split():
            make_kernel(arch, "-O0")  # leave build/<arch>/kernel.elf as make does
    cols = ["arch", "mem", "opt", "ops", "seconds", "ops_per_s", "ns_per_op", "checks"]
    print("  ".join("%-10s" % c for c in cols))
    for r in rows:
        print("  ".join("%-10s" % r[c] for c in cols))
    print("(stress: a seeded mix of every memory operation with a full check every 1,000 "
          "operations, in QEMU TCG; not the page manager alone)")
    os.makedirs(os.path.dirname(args.csv) or ".", exist_ok=True)
    with open(args.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    print("csv: " + args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
