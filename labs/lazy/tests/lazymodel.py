"""A model of demand paging as the shell shows it, for lab lazy's kernel tests.

Lazy(c) remembers the kernel's counters when a test starts, then follows
every reservation, touch and unmap the test makes: which pages are
present, what each written word holds, and so what `meminfo` must say.
compare() checks the kernel against it:

- `lazy pages reserved` is the pages of every reservation, `lazy pages
  present` the reserved pages touched since they were reserved;
- the free pages fell by exactly the present pages, the test's `auto`
  pages and the page-table pages made since the start (the kernel's own
  count of those);
- `check` says `check: ok`.

The page a fault takes is the page manager's next single page by its
documented policy (the head of the smallest non-empty free list), which
next_free_page() computes from `buddy -v` as tests/shell/test_shell.py does.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "tests", "shell"))
import test_shell as shell  # noqa: E402

PAGE = 4096
WINDOW = 0x2000000000
single = shell.single
expect_error = shell.expect_error


def check_ok(c):
    line = single(c.run("check"))
    assert line == "check: ok", "check: expected 'check: ok', got %r" % line


class Lazy:
    def __init__(self, c):
        self.c = c
        self.ranges = []      # (va, pages, flags)
        self.present = set()  # page addresses
        self.values = {}      # address -> the 8-byte value written there
        self.auto_pages = set()
        self.start, reserved, present = self.meminfo()
        assert (reserved, present) == (0, 0), \
            "meminfo before any reservation says %d reserved, %d present" % (reserved, present)

    def meminfo(self):
        """meminfo's counters, and its two lazy lines (which end it)."""
        lines = self.c.run("meminfo")
        assert len(lines) >= 2 and re.fullmatch(r"lazy pages reserved: \d+", lines[-2]) and \
            re.fullmatch(r"lazy pages present: \d+", lines[-1]), \
            "meminfo should end with its two lazy lines: %r" % lines[-3:]
        return shell.meminfo(self.c), int(lines[-2].split()[-1]), int(lines[-1].split()[-1])

    def free(self):
        return self.meminfo()[0]["free"]

    def everything(self):
        """What a refused command must leave alone."""
        return self.c.run("meminfo"), self.c.run("pt")

    def reserve(self, va, pages, flags=""):
        line = single(self.c.run(("map 0x%x %d lazy %s" % (va, pages, flags)).strip()))
        assert line == "reserved %d lazy pages at 0x%x" % (pages, va), \
            "map 0x%x %d lazy %s: expected 'reserved %d lazy pages at 0x%x', got %r" % (
                va, pages, flags, pages, va, line)
        self.ranges.append((va, pages, flags or "rw"))
        self.compare("after reserving %d pages at 0x%x" % (pages, va))

    def auto(self, pages):
        self.auto_pages |= {("auto", len(self.auto_pages) + i) for i in range(pages)}

    def _touch(self, addr):
        page = addr & ~(PAGE - 1)
        assert any(va <= page < va + n * PAGE for va, n, _ in self.ranges), \
            "the test touched 0x%x outside its reservations" % addr
        self.present.add(page)

    def peek(self, addr):
        out = self.c.run("peek 0x%x" % addr)
        want = self.values.get(addr, 0)
        assert out == ["0x%x: 0x%016x" % (addr, want)], \
            "peek 0x%x: expected '0x%x: 0x%016x'%s, got %r" % (
                addr, addr, want, "" if want or addr & ~(PAGE - 1) in self.present
                else " (a fresh lazy page reads as zeros)", out)
        self._touch(addr)
        return want

    def poke(self, addr, value):
        out = self.c.run("poke 0x%x 0x%x" % (addr, value))
        assert out == ["0x%x: 0x%016x written" % (addr, value)], \
            "poke 0x%x 0x%x: expected '0x%x: 0x%016x written', got %r" % (
                addr, value, addr, value, out)
        self._touch(addr)
        self.values[addr] = value

    def fault(self, line, what):
        """@line must be abandoned with `fault: <what> at 0x...`."""
        out = self.c.run(line)
        assert len(out) == 1 and out[0].startswith("fault: %s at 0x" % what), \
            "%r: expected one line 'fault: %s at 0x...', got %r" % (line, what, out)

    def vtop(self, addr):
        lines = self.c.run("vtop 0x%x" % addr)
        m = re.fullmatch(r"0x([0-9a-f]+) -> 0x([0-9a-f]+) (4K|2M|1G) ([r-][w-][x-])", lines[0])
        assert m and int(m.group(1), 16) == addr, \
            "vtop 0x%x: expected '0x%x -> 0x<pa> <size> <flags>' (a present page), got %r" % (
                addr, addr, lines[:1])
        return int(m.group(2), 16), m.group(3), m.group(4)

    def next_free_page(self):
        segments = len(shell.meminfo(self.c)["segments"])
        return shell.predict_contiguous(shell.free_list_heads(self.c), segments, 1)

    def check_values(self):
        for addr, value in sorted(self.values.items()):
            self.peek(addr)

    def unmap(self, va, pages):
        line = single(self.c.run("unmap 0x%x %d" % (va, pages)))
        assert line == "unmapped %d pages at 0x%x" % (pages, va), \
            "unmap 0x%x %d: expected 'unmapped %d pages at 0x%x', got %r" % (
                va, pages, pages, va, line)
        end = va + pages * PAGE
        self.ranges = [r for r in self.ranges if not (va <= r[0] and r[0] + r[1] * PAGE <= end)]
        self.present = {p for p in self.present if not va <= p < end}
        self.values = {a: v for a, v in self.values.items() if not va <= a < end}
        if not self.ranges:
            self.auto_pages = set()
        self.compare("after unmap 0x%x %d" % (va, pages))

    def compare(self, when):
        info, reserved, present = self.meminfo()
        want_reserved = sum(n for _, n, _ in self.ranges)
        assert (reserved, present) == (want_reserved, len(self.present)), \
            "%s: meminfo says lazy pages reserved: %d, present: %d; expected %d and %d" % (
                when, reserved, present, want_reserved, len(self.present))
        tables = info["page-table pages"] - self.start["page-table pages"]
        mapped = len(self.present) + len(self.auto_pages)
        fell = self.start["free"] - info["free"]
        assert fell == mapped + tables, \
            "%s: free pages fell by %d for %d present lazy pages, %d other mapped pages and " \
            "%d page tables" % (when, fell, len(self.present), len(self.auto_pages), tables)
        leaves = info["mapped 4K pages"] - self.start["mapped 4K pages"]
        assert leaves == mapped, "%s: %d more 4K pages mapped, expected %d" % (
            when, leaves, mapped)
        check_ok(self.c)

    def finish(self):
        """Everything the test made is gone again."""
        self.compare("at the end")
        info = self.meminfo()[0]
        assert info["free"] == self.start["free"] and \
            info["page-table pages"] == self.start["page-table pages"], \
            "at the end: %d free pages and %d page tables, at the start %d and %d" % (
                info["free"], info["page-table pages"], self.start["free"],
                self.start["page-table pages"])
