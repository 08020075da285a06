"""The hidden tests of lab memmap: the public kinds, other shapes and sizes."""
import os
import sys
import tempfile

import labtest as t

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import memcheck as m  # noqa: E402

t.host("memory_usable_grid", 10, "labs/memmap/hidden/host_hidden.c")


@t.kernel(10, archs=("riscv64",))
def many_nodes(c, rng):
    """Four pieces in nodes of any make-up (known by name, by device_type or
    both: Layout.split); reserved children of two reg pairs each."""
    mem = rng.choice(["256M", "512M", "1G"])
    lay = m.Layout(mem)
    lay.split(rng, m.cuts(rng, mem, 3), odd=rng.random() < 0.5,
              nodes=rng.choice([[1, 1, 2], [2, 2], [3, 1], [1, 1, 1, 1], [1, 3]]))
    lay.reserve(rng, rng.randint(1, 3), m.RISCV_RAM + 16 * m.MiB, pairs=2)
    with tempfile.TemporaryDirectory() as d, lay.boot(d) as k:
        m.check_riscv(k, "MEM=%s, ram %s" % (mem, " ".join(map(m.hexr, lay.ram))),
                      lay.ram, lay.reserved)


@t.kernel(10, archs=("x86_64",))
def other_sizes(c, rng):
    """Sizes just below the PCI hole's threshold, odd ones, and 9 GiB."""
    for mem in (rng.choice(["96M", "1500M", "3583M"]), rng.choice(["4200M", "9G"])):
        with m.boot("x86_64", mem) as k:
            m.check_pc(k, mem)
