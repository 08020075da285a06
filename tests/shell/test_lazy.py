#!/usr/bin/env python3
"""Demand paging, checked through the shell on either architecture.

`map <va> <n> lazy` reserves pages without memory; the first peek or poke
of a page faults and the kernel maps a zeroed page, and the command goes on.
The oracle is the kernel's other counters: the page manager's free pages,
the page-table pages, `vtop`, and `check`. Which pages are touched, and with
what values, is random per run (the seed is printed; SEED= replays it).

Usage: test_lazy.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import tap  # noqa: E402
import test_shell as shell  # noqa: E402

PAGE = 4096
WINDOW = 0x2000000000
WINDOW_END = 0x3000000000
LAZY_MAX = 16
TESTS = []
SEED = int(os.environ.get("SEED", random.randrange(1 << 32)))
print("# SEED=%d" % SEED)
rng = random.Random(SEED)


def test(fn):
    TESTS.append(fn)
    return fn


def lazy_counts(c):
    """meminfo's own lines, and its two lazy lines after all of them."""
    lines = c.run("meminfo")
    assert re.fullmatch(r"lazy pages reserved: \d+", lines[-2]) and \
        re.fullmatch(r"lazy pages present: \d+", lines[-1]), \
        "meminfo should end with its two lazy lines: %r" % lines
    info = shell.meminfo(c)
    return info, int(lines[-2].split()[-1]), int(lines[-1].split()[-1])


def reserve(c, va, pages, flags=""):
    line = shell.single(c.run(("map 0x%x %d lazy %s" % (va, pages, flags)).strip()))
    assert line == "reserved %d lazy pages at 0x%x" % (pages, va), line


def peek(c, va):
    line = shell.single(c.run("peek 0x%x" % va))
    m = re.fullmatch(r"0x([0-9a-f]+): 0x([0-9a-f]{16})", line)
    assert m and int(m.group(1), 16) == va, "bad peek answer %r" % line
    return int(m.group(2), 16)


def poke(c, va, value):
    line = shell.single(c.run("poke 0x%x 0x%x" % (va, value)))
    assert line == "0x%x: 0x%016x written" % (va, value), line


def check_ok(c):
    assert shell.single(c.run("check")) == "check: ok"


def everything(c):
    """What bad input must leave alone: meminfo and the page tables."""
    return c.run("meminfo"), c.run("pt")


@test
def touching_a_lazy_page_maps_exactly_one_zeroed_page():
    pages = rng.randrange(4, 40)
    va = WINDOW + rng.randrange(0, 1 << 20) * PAGE
    with shell.boot() as c:
        before, reserved, present = lazy_counts(c)
        assert (reserved, present) == (0, 0), (reserved, present)
        reserve(c, va, pages)
        info, reserved, present = lazy_counts(c)
        assert (reserved, present) == (pages, 0), (reserved, present)
        assert info["free"] == before["free"], "reserving took memory"
        assert info["page-table pages"] == before["page-table pages"]
        check_ok(c)
        line = c.run("vtop 0x%x" % va)[0]
        assert line == "0x%x -> reserved, not present (a lazy page: its first access maps it)" \
            % va, line

        touched = {}
        for page in rng.sample(range(pages), rng.randrange(1, min(pages, 6) + 1)):
            addr = va + page * PAGE + rng.randrange(PAGE // 8) * 8
            if rng.randrange(2):
                assert peek(c, addr) == 0, "a fresh lazy page is not zero"
                touched[page] = (addr, 0)
            else:
                value = rng.randrange(1, 1 << 64)
                poke(c, addr, value)
                touched[page] = (addr, value)
            info, reserved, present = lazy_counts(c)
            assert (reserved, present) == (pages, len(touched)), (reserved, present, touched)
            tables = info["page-table pages"] - before["page-table pages"]
            assert before["free"] - info["free"] == len(touched) + tables, \
                "free pages fell by %d for %d pages and %d tables" % (
                    before["free"] - info["free"], len(touched), tables)
            assert info["mapped 4K pages"] - before["mapped 4K pages"] == len(touched)
        check_ok(c)

        # Touched again: no new page; the values are still there.
        again, _, _ = lazy_counts(c)
        for page, (addr, value) in touched.items():
            assert peek(c, addr) == value, "page %d lost its value" % page
        phys = set()
        for page in touched:
            pa, size, flags = vtop_present(c, va + page * PAGE)
            assert (size, flags) == ("4K", "rw-"), (size, flags)
            phys.add(pa)
        assert len(phys) == len(touched), "two lazy pages share a physical page"
        info, _, present = lazy_counts(c)
        assert info["free"] == again["free"] and present == len(touched)

        line = shell.single(c.run("unmap 0x%x %d" % (va, pages)))
        assert line == "unmapped %d pages at 0x%x" % (pages, va), line
        info, reserved, present = lazy_counts(c)
        assert (reserved, present) == (0, 0), (reserved, present)
        assert info["free"] == before["free"], "unmap did not give back exactly the pages"
        assert info["page-table pages"] == before["page-table pages"]
        check_ok(c)
        out = c.run("peek 0x%x" % va)
        assert len(out) == 1 and out[0].startswith("fault: read of unmapped page at"), out


def vtop_present(c, va):
    lines = c.run("vtop 0x%x" % va)
    m = re.fullmatch(r"0x([0-9a-f]+) -> 0x([0-9a-f]+) (4K|2M|1G) ([r-][w-][x-])", lines[0])
    assert m and int(m.group(1), 16) == va, "bad vtop answer %r" % lines
    return int(m.group(2), 16), m.group(3), m.group(4)


@test
def the_fault_takes_the_page_the_policy_names_and_zeroes_it():
    """The page manager's next single page, dirtied through poke while free,
    must become the lazy page, and read as zeros there."""
    with shell.boot() as c:
        va = WINDOW + rng.randrange(0, 1 << 14) * 512 * PAGE  # 2 MiB aligned
        reserve(c, va, 3)
        peek(c, va)  # makes the page tables: the next touch needs one page only
        for page in rng.sample([va + PAGE, va + 2 * PAGE], 2):
            segments = len(shell.meminfo(c)["segments"])
            target = shell.predict_contiguous(shell.free_list_heads(c), segments, 1)
            offset = rng.randrange(PAGE // 8) * 8
            poke(c, target + offset, rng.randrange(1, 1 << 64))
            assert peek(c, page + offset) == 0, "the lazy page was not zeroed"
            pa, size, flags = vtop_present(c, page)
            assert pa == target, "the lazy page is 0x%x, the page manager's next is 0x%x" % (
                pa, target)
        check_ok(c)


@test
def unmap_returns_only_present_pages_of_every_reservation():
    with shell.boot() as c:
        before, _, _ = lazy_counts(c)
        a, b = WINDOW, WINDOW + 64 * PAGE
        reserve(c, a, 8)
        assert shell.single(c.run("map 0x%x 3 auto" % (a + 8 * PAGE))) == \
            "mapped 3 pages at 0x%x" % (a + 8 * PAGE)
        reserve(c, b, 5, "r")
        poke(c, a + 7 * PAGE, 5)
        assert peek(c, b + 2 * PAGE + 8) == 0
        info, reserved, present = lazy_counts(c)
        assert (reserved, present) == (13, 2), (reserved, present)
        # A write to a read-only lazy page is a fault like any other.
        out = c.run("poke 0x%x 1" % (b + 3 * PAGE))
        assert len(out) == 1 and out[0].startswith("fault: write to read-only lazy page at"), out
        assert lazy_counts(c)[2] == 2
        lines = c.run("pt")
        assert "lazy 0x%x-0x%x 8 pages rw- reserved" % (a, a + 8 * PAGE) in lines, lines
        # Cutting a reservation is refused, like cutting a large page.
        shell.expect_error(c, "unmap 0x%x 4" % a)
        line = shell.single(c.run("unmap 0x%x 11" % a))
        assert line == "unmapped 11 pages at 0x%x" % a, line
        info, reserved, present = lazy_counts(c)
        assert (reserved, present) == (5, 1), (reserved, present)
        line = shell.single(c.run("unmap 0x%x 5" % b))
        assert line == "unmapped 5 pages at 0x%x" % b, line
        info, reserved, present = lazy_counts(c)
        assert (reserved, present) == (0, 0)
        assert info["free"] == before["free"] and \
            info["page-table pages"] == before["page-table pages"]
        check_ok(c)


@test
def no_free_page_on_touch_is_one_error_line_and_changes_nothing():
    with shell.boot(mem="64M") as c:
        reserve(c, WINDOW, 2)
        free = shell.meminfo(c)["free"]
        line = shell.single(c.run("alloc %d scattered" % free))
        m = re.fullmatch(r"allocated %d pages as #(\d+)" % free, line)
        assert m, line
        state = everything(c)
        for line in ["peek 0x%x" % WINDOW, "poke 0x%x 7" % (WINDOW + PAGE)]:
            err = shell.expect_error(c, line)
            assert "not enough free memory" in err and "lazy page" in err, err
            assert everything(c) == state, "%r changed something" % line
        check_ok(c)
        assert shell.single(c.run("free #%s" % m.group(1))) == \
            "freed %d pages of #%s" % (free, m.group(1))
        poke(c, WINDOW + PAGE, 7)
        assert peek(c, WINDOW + PAGE) == 7
        assert lazy_counts(c)[1:] == (2, 1)
        check_ok(c)


def take_all_but(c, keep):
    """Allocate every free page but @keep; returns the set's number."""
    free = shell.meminfo(c)["free"] - keep
    line = shell.single(c.run("alloc %d scattered" % free, timeout=60))
    m = re.fullmatch(r"allocated %d pages as #(\d+)" % free, line)
    assert m, line
    return m.group(1)


def give_back(c, set_id):
    line = shell.single(c.run("free #%s" % set_id, timeout=60))
    assert re.fullmatch(r"freed \d+ pages of #%s" % set_id, line), line


@test
def a_touch_needs_exactly_the_page_and_its_tables():
    """A first touch needs n pages: the page and the tables its walk lacks. With n - 1 free it
    is refused and takes no page (the free pages keep their bytes); with exactly n it works.
    Without memory, a write to an r reservation is still the ordinary fault."""
    with shell.boot(mem="64M") as c:
        va = WINDOW + rng.randrange(1, 60) * (1 << 30) + rng.randrange(512) * 512 * PAGE
        reserve(c, va, 2)
        reserve(c, va + 64 * PAGE, 1, "r")
        set_id = take_all_but(c, 0)
        err = shell.expect_error(c, "peek 0x%x" % va)
        m = re.search(r"not enough free memory: (\d+) pages? needed \((\d+) for page tables\)",
                      err)
        assert m, err
        needed = int(m.group(1))
        assert needed == 1 + int(m.group(2)) >= 2, err
        out = c.run("poke 0x%x 0x1" % (va + 64 * PAGE))
        assert len(out) == 1 and out[0].startswith("fault: write to read-only lazy page at"), out
        give_back(c, set_id)

        set_id = take_all_but(c, needed - 1)
        marks = {}
        for (seg, order), blocks in shell.free_lists(c).items():
            for block in blocks:
                for i in range(1 << order):
                    addr = block + i * PAGE + 8 * rng.randrange(PAGE // 8)
                    marks[addr] = rng.randrange(1, 1 << 64)
                    poke(c, addr, marks[addr])
        assert len(marks) == needed - 1, marks
        state = everything(c)
        shell.expect_error(c, "poke 0x%x 0x2" % va)
        assert everything(c) == state, "a refused touch changed something"
        for addr, value in marks.items():
            assert peek(c, addr) == value, "a refused touch wrote to the free page 0x%x" % addr
        give_back(c, set_id)

        set_id = take_all_but(c, needed)
        poke(c, va + 8, 0x2a)
        info, reserved, present = lazy_counts(c)
        assert info["free"] == 0 and (reserved, present) == (3, 1), (info["free"], present)
        check_ok(c)
        give_back(c, set_id)
        assert peek(c, va + 8) == 0x2a
        line = shell.single(c.run("unmap 0x%x 2" % va))
        assert line == "unmapped 2 pages at 0x%x" % va, line
        check_ok(c)


@test
def bad_input_gives_one_error_line_and_changes_nothing():
    with shell.boot() as c:
        reserve(c, WINDOW + 16 * PAGE, 4)
        assert shell.single(c.run("map 0x%x 2 auto" % (WINDOW + 32 * PAGE))).startswith("mapped")
        reserve(c, WINDOW + 64 * PAGE, 1, "rx")
        state = everything(c)
        bad = [
            "map 0x%x 0 lazy" % WINDOW,
            "map 0x1000 1 lazy",
            "map 0x%x 2 lazy" % (WINDOW_END - PAGE),
            "map 0x%x 1 lazy" % WINDOW_END,
            "map 0x%x 1 lazy" % (WINDOW + 1),
            "map 0x%x 1 lazzy" % WINDOW,
            "map 0x%x 1 lazy rq" % WINDOW,
            "map 0x%x 99999999999 lazy" % WINDOW,
            "map 0x%x 2 lazy" % (WINDOW + 15 * PAGE),   # overlaps a reservation
            "map 0x%x 1 lazy" % (WINDOW + 19 * PAGE),
            "map 0x%x 4 lazy" % (WINDOW + 30 * PAGE),   # overlaps a mapping
            "map 0x%x 1 auto" % (WINDOW + 17 * PAGE),   # a mapping over a reservation
            "map 0x%x 1" % (WINDOW + 16 * PAGE),
            "unmap 0x%x 2" % (WINDOW + 16 * PAGE),      # cuts a reservation
            "unmap 0x%x 5" % (WINDOW + 16 * PAGE),      # runs past it
            "unmap 0x%x 2" % (WINDOW + 17 * PAGE),
            "exec 0x%x" % (WINDOW + 64 * PAGE),         # would run a zeroed page
        ]
        for line in bad:
            shell.expect_error(c, line)
            assert everything(c) == state, "%r changed something" % line
        # The table of reservations is full at LAZY_MAX.
        for i in range(LAZY_MAX - 2):
            reserve(c, WINDOW + (128 + i) * PAGE, 1)
        state = everything(c)
        err = shell.expect_error(c, "map 0x%x 1 lazy" % (WINDOW + 256 * PAGE))
        assert "too many lazy reservations" in err, err
        assert everything(c) == state
        check_ok(c)


def main():
    return tap.main(TESTS, __doc__, shell)


if __name__ == "__main__":
    sys.exit(main())
