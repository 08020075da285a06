"""The public tests of lab pagetable (labs/pagetable/README.md has the table).

Host tests: labs/pagetable/tests/host_pagetable.c, the walker under ASan +
UBSan over both formats, every answer checked against its model of the
mapping. Kernel tests: map, unmap, vtop, pt, meminfo and check in the
shell's window on both architectures, every answer checked against
ptmodel.py.
"""
import re

import labtest as t

HOST = "labs/pagetable/tests/host_pagetable.c"
t.host("levels", 5, HOST)
t.host("tables", 5, HOST)
t.host("map_4k", 10, HOST)
t.host("map_large", 10, HOST)
t.host("translate", 10, HOST)
t.host("unmap", 10, HOST)
t.host("rollback", 10, HOST)
t.host("random", 10, HOST)


from ptmodel import Session, PAGE, M2, G1, WINDOW, WINDOW_END, random_pa  # noqa: E402

FLAGS = ("r", "rw", "rx", "rwx")


def arch_of(c):
    return "riscv64" if "riscv64" in " ".join(c.argv) else "x86_64"


def free_place(s, rng, pages, align=PAGE, near_boundary=True):
    """A window address where @pages pages meet no mapping: often just
    below a 2 MiB or 1 GiB boundary, so the range crosses tables."""
    for _ in range(1000):
        base = WINDOW + rng.randrange(63) * G1 + rng.choice((0, rng.randrange(512) * M2))
        if near_boundary and rng.random() < 0.6:
            base += rng.choice((M2, G1)) - rng.randint(1, min(pages, 600)) * PAGE
        va = base - base % align
        if WINDOW <= va and va + (pages + 16) * PAGE <= WINDOW_END and \
                not s.model.overlaps(va, pages):
            return va
    raise AssertionError("the test found no free place in the window (a bug in the test)")


def leaf_pieces(s, va, pages, rng):
    """[va, va + pages) cut at random leaf boundaries: [(va, pages)]."""
    starts = sorted(a for a in s.model.leaves if va <= a < va + pages * PAGE)
    cuts = sorted(rng.sample(starts[1:], min(len(starts) - 1, rng.randint(0, 2))))
    edges = [va] + cuts + [va + pages * PAGE]
    return [(a, (b - a) // PAGE) for a, b in zip(edges, edges[1:])]


def unmap_all(s, maps, rng):
    rng.shuffle(maps)
    for va, pages in maps:
        for a, n in leaf_pieces(s, va, pages, rng):
            s.unmap(a, n)
    s.finish()


@t.kernel(5)
def map_vtop_unmap(c, rng):
    """Maps of 4K pages (auto and physical), every walk checked, then unmapped in pieces."""
    s = Session(c, arch_of(c))
    maps = []
    for _ in range(rng.randint(5, 7)):
        pages = rng.choice((rng.randint(1, 8), rng.randint(1, 1200)))
        va = free_place(s, rng, pages)
        pa = None if rng.random() < 0.5 else random_pa(rng, va, aligned=False)
        s.map(va, pages, pa, rng.choice(FLAGS))
        maps.append((va, pages))
        for a in sorted({va, va + (pages - 1) * PAGE, va + rng.randrange(pages) * PAGE}):
            s.vtop(a + rng.randrange(PAGE))
        for a in (va - PAGE, va + pages * PAGE, va + rng.randint(1, 600) * M2):
            if WINDOW <= a < WINDOW_END:
                s.vtop(a)
    s.check()
    unmap_all(s, maps, rng)


@t.kernel(5)
def large_pages_and_pt(c, rng):
    """Physical ranges in the largest leaves that fit; pt lists the window's tables exactly."""
    arch = arch_of(c)
    s = Session(c, arch)
    maps = []
    for _ in range(rng.randint(3, 5)):
        head = rng.choice((0, rng.randint(1, 511)))
        pages = head + M2 // PAGE * rng.randint(1, 3) + rng.choice((0, rng.randint(1, 511)))
        va = free_place(s, rng, pages + 512, align=M2, near_boundary=False) + M2 - head * PAGE
        s.map(va, pages, random_pa(rng, va), rng.choice(FLAGS))
        maps.append((va, pages))
    # A whole, aligned gigabyte: one 1G leaf on Sv39; 2M leaves on x86_64
    # (its physical address is 2 MiB off a gigabyte: no CPU could use 1G).
    va = free_place(s, rng, G1 // PAGE, align=G1, near_boundary=False)
    pa = (8 + rng.randrange(8)) * G1 + (0 if arch == "riscv64" else M2 * rng.randint(1, 511))
    s.map(va, G1 // PAGE, pa, "r")
    maps.append((va, G1 // PAGE))
    s.pt_window()
    for va, pages in maps:
        for a in (va, va + rng.randrange(pages) * PAGE + rng.randrange(PAGE)):
            s.vtop(a)
    # Cutting a large leaf is refused, naming the page; nothing changes.
    before = s.meminfo_lines()
    big = [a for a, leaf in s.model.leaves.items() if leaf[0] == M2]
    a = rng.choice(big) + rng.randint(1, 511) * PAGE
    line = "unmap 0x%x %d" % (a, rng.randint(1, 600))
    want = "error: cannot unmap 0x%x: 0x%x is in a large page that reaches outside the range" % (
        a, a)
    got = s.run(line)
    assert got == [want], "%s: expected '%s', got %r" % (line, want, got)
    assert s.meminfo_lines() == before, "%s: a refused unmap changed meminfo" % line
    unmap_all(s, maps, rng)
    s.pt_window()


@t.kernel(5)
def refusals_change_nothing(c, rng):
    """Maps over mappings, unmaps of holes, walks that stop early, too little memory."""
    s = Session(c, arch_of(c))
    maps = []
    for _ in range(3):
        pages = rng.randint(2, 700)
        va = free_place(s, rng, pages)
        s.map(va, pages, None if rng.random() < 0.5 else random_pa(rng, va, False))
        maps.append((va, pages))
    va, pages = rng.choice(maps)
    before = s.meminfo_lines(), s.run("pt")
    off = rng.randint(0, 3)
    a = max(WINDOW, va + rng.randrange(pages) * PAGE - off * PAGE)
    line = "map 0x%x %d" % (a, off + rng.randint(1, 8))
    want = "error: cannot map 0x%x: already mapped" % a
    got = s.run(line)
    assert got == [want], "%s: expected '%s', got %r" % (line, want, got)
    assert (s.meminfo_lines(), s.run("pt")) == before, "%s: a refused map changed meminfo " \
        "or pt" % line

    # A hole: unmap one page, then a range over it.
    hole = va + rng.randrange(pages) * PAGE
    s.unmap(hole, 1)
    line = "unmap 0x%x %d" % (va, pages)
    want = "error: cannot unmap 0x%x: 0x%x %s" % ((va,) + s.model.first_problem(va, pages)[::-1])
    got = s.run(line)
    assert got == [want], "%s: expected '%s', got %r" % (line, want, got)
    s.vtop(hole)
    s.map(hole, 1)
    # Walks that end at an absent entry, at every depth.
    for a in (hole ^ PAGE, (va & ~(M2 - 1)) + rng.randint(1, 200) * M2,
              (va & ~(G1 - 1)) + rng.randint(1, 30) * G1, WINDOW_END - PAGE):
        if WINDOW <= a < WINDOW_END:
            s.vtop(a)
    s.expect_meminfo("the refusals")

    # Too little memory: the exact need, tables counted, and nothing done.
    free = s.meminfo_lines()
    total_free = [int(l.split()[-1]) for l in free if l.startswith("free pages:")][0]
    keep = rng.randint(0, 4)
    got = s.one("alloc %d scattered" % (total_free - keep))
    m = re.fullmatch(r"allocated \d+ pages as (#\d+)", got)
    assert m, "alloc scattered: unexpected answer %r" % got
    s.start["free pages"] -= total_free - keep
    pages = keep + rng.randint(1, 3)
    va = free_place(s, rng, pages)
    tables = s.model.tables_for(va, pages, None)
    snapshot = s.meminfo_lines(), s.run("pt")
    line = "map 0x%x %d" % (va, pages)
    want = "error: cannot map 0x%x: not enough free memory: %d page%s needed (%d for page " \
        "tables), %d free" % (va, pages + tables, "" if pages + tables == 1 else "s", tables, keep)
    got = s.run(line)
    assert got == [want], "%s: expected '%s', got %r" % (line, want, got)
    assert (s.meminfo_lines(), s.run("pt")) == snapshot, "%s: a refused map changed " \
        "meminfo or pt" % line
    s.one("free %s" % m.group(1))
    s.start["free pages"] += total_free - keep
    s.expect_meminfo("freeing the allocation")
    unmap_all(s, maps, rng)
