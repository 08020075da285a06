"""The public tests of lab memmap (labs/memmap/README.md has the table).

Host tests: labs/memmap/tests/host_memmap.c runs memory_usable against a
model. Kernel tests boot the kernel at memory sizes drawn per run: on
riscv64 with a device tree the grader writes (RAM cut into pieces with
gaps, in several memory nodes and reg entries, and reserved ranges of its
own), on x86_64 with QEMU's PC memory map below and above the PCI hole.
memcheck.py says what is checked and where the truth comes from.
"""
import tempfile

import labtest as t
import memcheck as m

HOST = "labs/memmap/tests/host_memmap.c"
t.host("memory_usable_cases", 5, HOST)
t.host("memory_usable_random", 10, HOST)
t.host("memory_usable_room", 5, HOST)


@t.kernel(5, archs=("riscv64",))
def default_tree(c, rng):
    """QEMU's own device tree at the default size: one memory node, OpenSBI reserved."""
    m.check_riscv(c, "the default machine", [(m.RISCV_RAM, m.RISCV_RAM + 128 * m.MiB)], [])


@t.kernel(10, archs=("riscv64",))
def memory_nodes(c, rng):
    """RAM in three pieces: two memory nodes, one of them with two reg entries;
    reserved-memory children and a /memreserve/ entry of the grader's."""
    mem = rng.choice(["128M", "256M", "512M", "1G", "2G"])
    lay = m.Layout(mem)
    lay.split(rng, m.cuts(rng, mem, 2), odd=rng.random() < 0.5,
              nodes=rng.choice([[2, 1], [1, 2]]))
    lay.reserve(rng, rng.randint(1, 3), m.RISCV_RAM + 16 * m.MiB)
    lay.memreserve_add(rng, m.RISCV_RAM + 16 * m.MiB)
    with tempfile.TemporaryDirectory() as d, lay.boot(d) as k:
        m.check_riscv(k, "MEM=%s, ram %s" % (mem, " ".join(map(m.hexr, lay.ram))),
                      lay.ram, lay.reserved)


@t.kernel(10, archs=("riscv64",))
def above_4g(c, rng):
    """More than 4 GiB: a reg entry whose size and end need both cells."""
    mem = rng.choice(["5G", "6G"])
    lay = m.Layout(mem)
    lay.split(rng, m.cuts(rng, mem, 1), odd=False, nodes=[1, 1])
    lay.reserve(rng, rng.randint(1, 2), m.RISCV_RAM + 16 * m.MiB)
    with tempfile.TemporaryDirectory() as d, lay.boot(d) as k:
        m.check_riscv(k, "MEM=%s, ram %s" % (mem, " ".join(map(m.hexr, lay.ram))),
                      lay.ram, lay.reserved)


@t.kernel(5, archs=("x86_64",))
def default_map(c, rng):
    """GRUB's memory map at the default size: two available ranges below 4 GiB."""
    m.check_pc(c, "128M")


@t.kernel(10, archs=("x86_64",))
def below_the_hole(c, rng):
    """A size below the PCI hole: RAM ends where the memory size says."""
    mem = rng.choice(["64M", "200M", "512M", "1G", "2G", "3G", "3200M"])
    with m.boot("x86_64", mem) as k:
        m.check_pc(k, mem)


@t.kernel(10, archs=("x86_64",))
def above_4g(c, rng):
    """Sizes past the PCI hole: RAM above 4 GiB, once more than 4 GiB of it
    on an Intel CPU, whose map ends with that RAM (QEMU ends an AMD CPU's
    map with its reserved HyperTransport hole at 1012 GiB)."""
    for mem, cpu in ((rng.choice(["3584M", "4G", "4100M", "5G", "6G"]), ""),
                     (rng.choice(["7G", "7680M", "8G"]), "-cpu qemu64,vendor=GenuineIntel")):
        with m.boot("x86_64", mem, cpu) as k:
            m.check_pc(k, mem)
