#!/usr/bin/env python3
"""make bench-kernel: the page manager's speed inside the kernels, beside the host's.

Builds each architecture's kernel with OPT=-O2 (gnu toolchain), boots it in
QEMU as `make run` does, types `bench PAIRS` at its shell (waiting for the
prompt) and reads its ns per alloc+free pair for each workload: order0-hot,
order3-hot, order0-cold and run512 (shell/cmd_bench.c, os/mm/pmm_bench.c).
The same workloads of the host benchmark (build/bench/bench, -O2, the same
page-manager sources) run at the same memory size, and the table sets the
two side by side. Afterwards the -O0 kernel is relinked, as `make` leaves it.

The kernel runs under QEMU's TCG, which translates every guest instruction:
the kernel figures say how fast the emulated machine runs the page manager,
not how fast hardware would. The host's run512-empty finds its run at the
start of an empty pool; the kernel's run512 walks the blocks below its pool
(what the kernel allocated at boot, and the free blocks bench set aside).

Usage: kernel.py [--arches "riscv64 x86_64"] [--mem 128M] [--pairs 100000]
                 [--csv build/bench/kernel.csv]
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

LINE = re.compile(r"bench: (\S+) (\d+) pairs in (\d+) ns: (\d+\.\d) ns/op")
# The kernel's workload -> the host benchmark's (tools/bench/main.c).
HOST_NAME = {"order0-hot": "order0-hot", "order3-hot": "order3-hot",
             "order0-cold": "order0-cold", "run512": "run512-empty"}


def make(*args):
    subprocess.run(["make", "--no-print-directory"] + list(args), check=True,
                   stdout=subprocess.DEVNULL)


def mib(size):
    n, unit = int(size[:-1]), size[-1].upper()
    return n * {"M": 1, "G": 1024}[unit]


def kernel_bench(arch, mem, pairs):
    """One boot, one bench run: workload -> ns per pair."""
    with pc.Console(pc.qemu_command(arch, mem)) as c:
        if "Pagoda on " + arch not in c.boot_log:
            raise RuntimeError("booted the wrong kernel for " + arch)
        out = c.run("bench %d" % pairs, timeout=1800)
        c.poweroff()
    if not out or out[-1] != "bench: ok, the page manager is as it was":
        raise RuntimeError("bench on %s %s said:\n%s" % (arch, mem, "\n".join(out)))
    return {m.group(1): float(m.group(4)) for m in map(LINE.fullmatch, out) if m}


def host_bench(mem, repeats):
    """The host benchmark's median ns/op for the same workloads."""
    cmd = [os.path.join("build", "bench", "bench"), "--sizes", mem, "--repeats", str(repeats),
           "--alloc", "pmm", "--only", ",".join(HOST_NAME.values())]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                         check=True).stdout
    return {f[0]: float(f[6]) for f in (line.split("\t") for line in out.splitlines())
            if len(f) > 6 and f[6] != "-"}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arches", default="riscv64 x86_64")
    p.add_argument("--mem", default="128M")
    p.add_argument("--pairs", type=int, default=100000)
    p.add_argument("--repeats", type=int, default=5, help="host benchmark repeats")
    p.add_argument("--csv", default="build/bench/kernel.csv")
    args = p.parse_args()
    os.chdir(ROOT)
    sys.stderr.write("bench-kernel: building the host benchmark (-O2)\n")
    make("bench-build")
    host = host_bench("%dM" % mib(args.mem), args.repeats)
    rows = []
    try:
        for arch in args.arches.split():
            sys.stderr.write("bench-kernel: building %s with OPT=-O2\n" % arch)
            make("kernel", "ARCH=" + arch, "OPT=-O2")
            sys.stderr.write("bench-kernel: %s %s: bench %d\n" % (arch, args.mem, args.pairs))
            for name, ns in kernel_bench(arch, args.mem, args.pairs).items():
                h = host.get(HOST_NAME[name])
                rows.append({"arch": arch, "mem": args.mem, "workload": name,
                             "pairs": args.pairs, "kernel_ns_per_op": "%.1f" % ns,
                             "host_workload": HOST_NAME[name],
                             "host_ns_per_op": "%.1f" % h if h else "-",
                             "kernel_over_host": "%.0f" % (ns / h) if h else "-"})
    finally:
        for arch in args.arches.split():
            make("kernel", "ARCH=" + arch, "OPT=-O0")  # leave kernel.elf as make does
    cols = ["arch", "mem", "workload", "kernel_ns_per_op", "host_ns_per_op", "kernel_over_host"]
    head = ["arch", "mem", "workload", "kernel ns/op", "host ns/op", "kernel/host"]
    widths = [max(len(h), *(len(str(r[c])) for r in rows)) for h, c in zip(head, cols)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for r in rows:
        print("  ".join(str(r[c]).ljust(w) for c, w in zip(cols, widths)).rstrip())
    print("(kernel: OPT=-O2 under QEMU TCG, `bench %d`; host: build/bench/bench -O2, median of "
          "%d; one op = one alloc + free pair)" % (args.pairs, args.repeats))
    os.makedirs(os.path.dirname(args.csv) or ".", exist_ok=True)
    with open(args.csv, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else cols)
        w.writeheader()
        w.writerows(rows)
    print("csv: " + args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
