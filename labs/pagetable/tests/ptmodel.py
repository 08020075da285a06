"""A model of the shell's window of the kernel's page tables (lab pagetable).

It knows what the README documents, nothing the kernel printed: the levels
(the README's table of index bits), the leaves a map makes (`auto`: one 4K leaf per page; a physical address: the
largest leaf that va and pa are aligned to and that fits), and which table
entries exist (every entry above a leaf that covers it). `Session` drives
a kernel through map, unmap, vtop, pt and meminfo and checks every answer
against the model.
"""
import re

PAGE = 4096
M2 = 2 << 20
G1 = 1 << 30
WINDOW = 0x2000000000
WINDOW_END = 0x3000000000
SIZE_TEXT = {PAGE: "4K", M2: "2M", G1: "1G"}
# The README's table: the lowest bit of each level's index, root first (the
# index is that bit and the 8 above it; one entry maps 1 << that bit bytes).
LOW_BIT = {"riscv64": (30, 21, 12), "x86_64": (39, 30, 21, 12)}


def flags_text(flags):
    return "".join(c if c in flags else "-" for c in "rwx")


class Model:
    """The window's leaves: va -> (size, pa or None for an auto page, flags)."""

    def __init__(self, arch):
        self.low_bit = LOW_BIT[arch]
        self.levels = len(self.low_bit)
        # x86_64 has 1 GiB pages only on some CPUs: the tests never offer
        # one there (no 1 GiB-aligned explicit range of 1 GiB or more).
        self.leaf_sizes = (G1, M2, PAGE) if arch == "riscv64" else (M2, PAGE)
        self.leaves = {}

    def shift(self, level):
        return self.low_bit[level]

    def size(self, level):
        return 1 << self.shift(level)

    def index(self, va, level):
        return (va >> self.shift(level)) & 511

    def level_of(self, size):
        return [l for l in range(self.levels) if self.size(l) == size][0]

    def plan(self, va, pages, pa):
        """The leaves `map va pages [pa]` makes: [(va, size, pa)]."""
        out, done, total = [], 0, pages * PAGE
        while done < total:
            step = PAGE
            if pa is not None:
                for size in self.leaf_sizes:
                    if (va + done) % size == 0 and (pa + done) % size == 0 and \
                            size <= total - done:
                        step = size
                        break
            out.append((va + done, step, None if pa is None else pa + done))
            done += step
        return out

    def leaf_at(self, va):
        for size in (PAGE, M2, G1):
            base = va & ~(size - 1)
            leaf = self.leaves.get(base)
            if leaf and leaf[0] == size:
                return base, leaf
        return None

    def overlaps(self, va, pages):
        end = va + pages * PAGE
        return any(a < end and va < a + leaf[0] for a, leaf in self.leaves.items())

    def entries(self, leaves=None):
        """Table entries (level, base) the window's leaves need: every entry
        above each leaf that covers it (the kernel's own are not counted:
        an entry wider than the window is shared with the direct map)."""
        out = set()
        for va, (size, _, _) in (self.leaves if leaves is None else leaves).items():
            for l in range(self.level_of(size)):
                base = va & ~(self.size(l) - 1)
                if base >= WINDOW and base + self.size(l) <= WINDOW_END:
                    out.add((l, base))
        return out

    def tables(self):
        return len(self.entries())

    def tables_for(self, va, pages, pa):
        """New table pages `map va pages pa` takes."""
        after = dict(self.leaves)
        for a, s, p in self.plan(va, pages, pa):
            after[a] = (s, p, "")
        return len(self.entries(after)) - self.tables()

    def present(self, level, va):
        """Is the entry for va at level present (a table or a leaf)?"""
        base = va & ~(self.size(level) - 1)
        if self.size(level) > WINDOW_END - WINDOW:
            return True  # shared with the kernel's direct map
        return (level, base) in self.entries() or \
            (self.leaves.get(base, (0,))[0] == self.size(level))

    def counts(self):
        c = {PAGE: 0, M2: 0, G1: 0}
        for size, _, _ in self.leaves.values():
            c[size] += 1
        return c

    def first_problem(self, va, pages):
        """(what, page) that refuses `unmap va pages`, or None."""
        p, end = va, va + pages * PAGE
        while p < end:
            found = self.leaf_at(p)
            if not found:
                return "is not mapped", p
            base, (size, _, _) = found
            if base != p or p + size > end:
                return "is in a large page that reaches outside the range", p
            p += size
        return None


def parse_meminfo(lines):
    info = {}
    for line in lines:
        m = re.fullmatch(r"(free pages|page-table pages|mapped 4K pages|mapped 2M pages|"
                         r"mapped 1G pages): (\d+)", line)
        if m:
            info[m.group(1)] = int(m.group(2))
    assert len(info) == 5, "meminfo lacks its lines: %r" % lines
    return info


class Session:
    """A kernel at the prompt and the model of its window."""

    def __init__(self, c, arch):
        self.c, self.arch = c, arch
        self.model = Model(arch)
        self.auto = 0  # pages the auto mappings hold
        self.base = self.meminfo_lines()
        self.start = parse_meminfo(self.base)
        self.base_tables = self.start["page-table pages"]

    def run(self, line, **kw):
        return self.c.run(line, **kw)

    def one(self, line, **kw):
        out = self.run(line, **kw)
        out = [l for l in out if not l.startswith("map: ") and not l.startswith("unmap: ")]
        assert len(out) == 1, "%s: expected one line, got %r" % (line, out)
        return out[0]

    def meminfo_lines(self):
        return [l for l in self.run("meminfo") if not l.startswith("lazy")]

    def expect_meminfo(self, after):
        info = parse_meminfo(self.run("meminfo"))
        counts = self.model.counts()
        tables = self.model.tables()
        want = {"page-table pages": self.base_tables + tables,
                "free pages": self.start["free pages"] - tables - self.auto,
                "mapped 4K pages": self.start["mapped 4K pages"] + counts[PAGE],
                "mapped 2M pages": self.start["mapped 2M pages"] + counts[M2],
                "mapped 1G pages": self.start["mapped 1G pages"] + counts[G1]}
        for key in want:
            assert info[key] == want[key], "after %s: meminfo says '%s: %d', expected %d " \
                "(%d table pages in the window)" % (after, key, info[key], want[key], tables)

    def map(self, va, pages, pa=None, flags="rw"):
        line = "map 0x%x %d%s %s" % (va, pages, "" if pa is None else " 0x%x" % pa, flags)
        got = self.one(line, timeout=60)
        want = "mapped %d pages at 0x%x" % (pages, va)
        assert got == want, "%s: expected '%s', got '%s'" % (line, want, got)
        for a, s, p in self.model.plan(va, pages, pa):
            self.model.leaves[a] = (s, p, flags)
        if pa is None:
            self.auto += pages
        self.expect_meminfo(line)

    def unmap(self, va, pages):
        line = "unmap 0x%x %d" % (va, pages)
        got = self.one(line, timeout=60)
        want = "unmapped %d pages at 0x%x" % (pages, va)
        assert got == want, "%s: expected '%s', got '%s'" % (line, want, got)
        end = va + pages * PAGE
        for a in [a for a in self.model.leaves if va <= a < end]:
            if self.model.leaves[a][1] is None:
                self.auto -= 1
            del self.model.leaves[a]
        self.expect_meminfo(line)

    def vtop(self, va):
        """vtop's answer and every step of its walk, against the model."""
        line = "vtop 0x%x" % va
        out = self.run(line)
        m = self.model
        found = m.leaf_at(va)
        if not found:
            first = next(l for l in range(m.levels) if not m.present(l, va))
            want = "error: 0x%x is not mapped (no entry at level %d)" % (va, first)
            assert out == [want], "%s: expected '%s', got %r" % (line, want, out)
            return
        base, (size, pa, flags) = found
        level = m.level_of(size)
        head = re.fullmatch(r"0x([0-9a-f]+) -> 0x([0-9a-f]+) (\S+) (\S+)", out[0]) if out else None
        assert head, "%s: expected '0x%x -> 0x... %s %s' first, got %r" % (
            line, va, SIZE_TEXT[size], flags_text(flags), out[:1])
        got_pa = int(head.group(2), 16)
        if pa is not None:
            assert got_pa == pa + va - base, "%s: expected pa 0x%x, got 0x%x" % (
                line, pa + va - base, got_pa)
        assert (head.group(3), head.group(4)) == (SIZE_TEXT[size], flags_text(flags)), \
            "%s: expected a %s %s leaf, got %r" % (line, SIZE_TEXT[size], flags_text(flags),
                                                   out[0])
        assert len(out) == level + 2, "%s: expected %d steps (the leaf is at level %d), " \
            "got %d: %r" % (line, level + 1, level, len(out) - 1, out[1:])
        for l in range(level + 1):
            want = "  L%d[%d] entry " % (l, m.index(va, l))
            assert out[1 + l].startswith(want), "%s: step %d: expected '%s...', got '%s'" % (
                line, l, want, out[1 + l])
            kind = "leaf %s %s" % (SIZE_TEXT[size], flags_text(flags)) if l == level \
                else "-> table"
            assert kind in out[1 + l], "%s: step %d: expected '%s', got '%s'" % (
                line, l, kind, out[1 + l])
        return got_pa

    def pt_window(self):
        """The window's part of `pt`: table entries and leaves, checked."""
        lines = self.run("pt", timeout=60)
        m = self.model
        head = re.search(r", (\d+) table pages?,", lines[0]) if lines else None
        want_tables = self.base_tables + m.tables()
        assert head and int(head.group(1)) == want_tables, "pt: expected %d table pages in " \
            "its first line, got %r" % (want_tables, lines[:1])
        entries, leaves = set(), {}
        for line in lines[1:]:
            t = re.fullmatch(r"\s*L(\d)\[(\d+)\] 0x([0-9a-f]+)-0x([0-9a-f]+) -> table 0x[0-9a-f]+",
                             line)
            r = re.fullmatch(r"\s*L(\d)\[(\d+)\.\.(\d+)\] 0x([0-9a-f]+)-0x([0-9a-f]+) (\d+) x "
                             r"(\S+) (\S+) -> 0x([0-9a-f]+)", line)
            if t:
                level, index, lo, hi = int(t.group(1)), int(t.group(2)), int(t.group(3), 16), \
                    int(t.group(4), 16)
                if lo >= WINDOW and hi <= WINDOW_END:
                    assert index == m.index(lo, level) and hi - lo == m.size(level), \
                        "pt: a bad table line '%s'" % line
                    entries.add((level, lo))
            elif r:
                level, lo, n = int(r.group(1)), int(r.group(4), 16), int(r.group(6))
                if lo < WINDOW or lo >= WINDOW_END:
                    continue
                size = m.size(level)
                for i in range(n):
                    leaves[lo + i * size] = (SIZE_TEXT.get(size), int(r.group(9), 16) + i * size,
                                             r.group(8))
        want = m.entries()
        for e in sorted(want - entries):
            raise AssertionError("pt: expected the L%d entry for 0x%x-0x%x to point to a "
                                 "table; it does not" % (e[0], e[1], e[1] + m.size(e[0])))
        for e in sorted(entries - want):
            raise AssertionError("pt: the L%d entry for 0x%x-0x%x points to a table, but "
                                 "nothing is mapped there" % (e[0], e[1], e[1] + m.size(e[0])))
        for va in sorted(set(leaves) | set(m.leaves)):
            if va not in m.leaves:
                raise AssertionError("pt: a %s leaf at 0x%x that nothing mapped" % (
                    leaves[va][0], va))
            size, pa, flags = m.leaves[va]
            if va not in leaves:
                raise AssertionError("pt: no leaf at 0x%x (expected a %s leaf)" % (
                    va, SIZE_TEXT[size]))
            got = leaves[va]
            if got[0] != SIZE_TEXT[size] or got[2] != flags_text(flags) or \
                    (pa is not None and got[1] != pa):
                raise AssertionError("pt: at 0x%x expected a %s %s leaf -> %s, got %s %s -> "
                                     "0x%x" % (va, SIZE_TEXT[size], flags_text(flags),
                                               "0x%x" % pa if pa is not None else "a page",
                                               got[0], got[2], got[1]))

    def check(self):
        got = self.run("check")
        assert got == ["check: ok"], "check: expected 'check: ok', got %r" % got[:3]

    def finish(self):
        """Everything is unmapped: meminfo is as at the start, exactly."""
        after = self.meminfo_lines()
        assert after == self.base, "everything unmapped: meminfo differs from the start: %r" \
            % [l for l in after if l not in self.base][:3]
        self.check()


def random_pa(rng, va, aligned=True):
    """A physical address above any RAM: the same offset in 2 MiB as va
    (so 2M leaves fit), or a page off."""
    pa = 0x100000000 + rng.randrange(64) * M2 + va % M2
    return pa if aligned else pa + PAGE * rng.randint(1, 511)
