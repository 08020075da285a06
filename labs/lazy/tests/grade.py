"""The public tests of lab lazy (labs/lazy/README.md has the table).

Host tests: labs/lazy/tests/host_lazy.c, built with the lab's sources under
ASan + UBSan over both page-table formats. Kernel tests: `map ... lazy`,
peek, poke, meminfo, vtop and unmap on both architectures; every expected
answer comes from the kernel's other counters (free pages, page-table pages,
the page manager's free lists) and lazymodel.py.
"""
import re

import labtest as t
from lazymodel import Lazy, PAGE, WINDOW, single, expect_error, check_ok, shell

HOST = "labs/lazy/tests/host_lazy.c"
t.host("lazy_count", 5, HOST)
t.host("one_zeroed_page", 10, HOST)
t.host("flags_and_access", 5, HOST)
t.host("no_memory", 5, HOST)
t.host("vm_map_fails", 5, HOST)
t.host("random_sequences", 10, HOST)


@t.kernel(10)
def touch_maps_zeroed_pages(c, rng):
    """Each first touch takes one zeroed page (and the tables it needs); values stay."""
    s = Lazy(c)
    pages = rng.randrange(4, 40)
    va = WINDOW + rng.randrange(1, 1 << 14) * 512 * PAGE + rng.randrange(0, 300) * PAGE
    s.reserve(va, pages)
    line = c.run("vtop 0x%x" % (va + rng.randrange(pages) * PAGE))[0]
    assert "reserved, not present" in line, \
        "vtop of an untouched lazy page: expected '... -> reserved, not present ...', got %r" % line
    order = rng.sample(range(pages), rng.randrange(3, min(pages, 8) + 1))
    for n, page in enumerate(order):
        addr = va + page * PAGE + rng.randrange(1, PAGE // 8) * 8
        if n == 0:
            s.peek(addr)
        else:
            # The page the policy hands out next was dirtied while free.
            target = s.next_free_page()
            c.run("poke 0x%x 0x%x" % (target + (addr & (PAGE - 1)), rng.randrange(1, 1 << 64)))
            if rng.randrange(2):
                s.peek(addr)
            else:
                s.poke(addr, rng.randrange(1, 1 << 64))
            pa, size, flags = s.vtop(addr)
            assert pa & ~(PAGE - 1) == target, \
                "the lazy page is at 0x%x; the page manager's next page was 0x%x" % (
                    pa & ~(PAGE - 1), target)
        s.compare("after touching %d pages" % (n + 1))
    for page in order:
        addr = va + page * PAGE
        pa, size, flags = s.vtop(addr + 8 * rng.randrange(PAGE // 8))
        assert (size, flags) == ("4K", "rw-"), \
            "a lazy page of a rw reservation is mapped %s %s, expected 4K rw-" % (size, flags)
    s.check_values()
    s.unmap(va, pages)
    s.finish()


@t.kernel(5)
def flags_are_the_reservations(c, rng):
    """r and rx reservations: reads map them with their flags; writes are faults."""
    s = Lazy(c)
    base = WINDOW + rng.randrange(1, 1 << 14) * 512 * PAGE
    ro, rx = base, base + 64 * PAGE
    s.reserve(ro, 6, "r")
    s.reserve(rx, 3, "rx")
    pages = rng.sample(range(6), 3)
    s.peek(ro + pages[0] * PAGE + 8 * rng.randrange(PAGE // 8))
    got = s.vtop(ro + pages[0] * PAGE)[1:]
    assert got == ("4K", "r--"), "a page of an r reservation is mapped %s %s, expected 4K r--" % got
    s.peek(rx + PAGE + 8 * rng.randrange(PAGE // 8))
    got = s.vtop(rx + PAGE)[1:]
    assert got == ("4K", "r-x"), \
        "a page of an rx reservation is mapped %s %s, expected 4K r-x" % got
    s.compare("after reading an r and an rx reservation")
    # Writes: to an absent page and to the present page of the r one.
    s.fault("poke 0x%x 0x1" % (ro + pages[1] * PAGE + 8), "write to read-only lazy page")
    s.fault("poke 0x%x 0x1" % (ro + pages[0] * PAGE + 16), "write to read-only page")
    s.fault("poke 0x%x 0x1" % (rx + 2 * PAGE), "write to read-only lazy page")
    s.compare("after refused writes")
    s.peek(ro + pages[2] * PAGE)
    s.compare("after another read")
    s.unmap(ro, 6)
    s.unmap(rx, 3)
    s.finish()


@t.kernel(5)
def outside_a_reservation_is_a_fault(c, rng):
    """The pages just before and after a reservation are not resolved."""
    s = Lazy(c)
    va = WINDOW + rng.randrange(1, 1 << 14) * 512 * PAGE + rng.randrange(8, 400) * PAGE
    pages = rng.randrange(1, 9)
    s.reserve(va, pages)
    s.peek(va + (pages - 1) * PAGE + 8 * rng.randrange(PAGE // 8))
    for addr in [va + pages * PAGE + 8 * rng.randrange(PAGE // 8), va - 8 * rng.randrange(1, 9),
                 va + (pages + rng.randrange(1, 50)) * PAGE]:
        s.fault("peek 0x%x" % addr, "read of unmapped page")
        s.fault("poke 0x%x 0x2" % addr, "write to unmapped page")
    s.compare("after touching around the reservation")
    s.unmap(va, pages)
    s.finish()


@t.kernel(5)
def unmap_returns_only_present_pages(c, rng):
    """Reservations and an ordinary mapping unmapped at once give back what was present."""
    s = Lazy(c)
    a = WINDOW + rng.randrange(1, 1 << 14) * 512 * PAGE
    na, nauto, nb = rng.randrange(2, 10), rng.randrange(1, 4), rng.randrange(2, 8)
    b = a + (na + nauto) * PAGE
    s.reserve(a, na)
    line = single(c.run("map 0x%x %d auto" % (a + na * PAGE, nauto)))
    assert line == "mapped %d pages at 0x%x" % (nauto, a + na * PAGE), \
        "map 0x%x %d auto: expected 'mapped %d pages at 0x%x', got %r" % (
            a + na * PAGE, nauto, nauto, a + na * PAGE, line)
    s.auto(nauto)
    s.reserve(b, nb, "r")
    for page in rng.sample(range(na), rng.randrange(1, na + 1)):
        s.poke(a + page * PAGE + 8 * rng.randrange(PAGE // 8), rng.randrange(1 << 64))
    for page in rng.sample(range(nb), rng.randrange(1, nb + 1)):
        s.peek(b + page * PAGE)
    s.compare("after touching both reservations")
    expect_error(c, "unmap 0x%x %d" % (a, na - 1))  # would cut a reservation
    s.compare("after a refused unmap")
    s.unmap(a, na + nauto + nb)
    s.finish()


def read_word(c, addr):
    """The 8 bytes at @addr, by peek (a free page's too: the kernel maps all memory)."""
    line = single(c.run("peek 0x%x" % addr))
    m = re.fullmatch(r"0x[0-9a-f]+: 0x([0-9a-f]{16})", line)
    assert m, "peek 0x%x: expected '0x%x: 0x<16 hex digits>', got %r" % (addr, addr, line)
    return int(m.group(1), 16)


def mark_free_pages(c, rng):
    """A random word poked into every free page (there are only a few): {address: value}."""
    marks = {}
    for (seg, order), blocks in shell.free_lists(c).items():
        for block in blocks:
            for i in range(1 << order):
                addr = block + i * PAGE + 8 * rng.randrange(PAGE // 8)
                value = rng.randrange(1, 1 << 64)
                line = single(c.run("poke 0x%x 0x%x" % (addr, value)))
                assert line == "0x%x: 0x%016x written" % (addr, value), \
                    "poke 0x%x 0x%x (a free page): expected '0x%x: 0x%016x written', got %r" % (
                        addr, value, addr, value, line)
                marks[addr] = value
    return marks


@t.kernel(5)
def no_free_page_on_touch(c, rng):
    """A touch that needs n pages (the page and its tables): with fewer free, one error line
    and nothing changes, not even what the free pages hold; with exactly n free, it works.
    Without memory, the faults that are not the lab's stay ordinary faults."""
    s = Lazy(c)
    va = WINDOW + rng.randrange(1, 60) * (1 << 30) + rng.randrange(512) * 512 * PAGE
    ro = va + 64 * PAGE
    s.reserve(va, 3)
    s.reserve(ro, 2, "r")
    # The first touch needs page tables; the second, in the same 2 MiB, only its page.
    for n, page in enumerate(rng.sample(range(3), 2)):
        addr = va + page * PAGE + 8 * rng.randrange(PAGE // 8)
        needed, keep = None, 0
        while needed is None or keep <= needed:
            free = s.free() - keep
            line = single(c.run("alloc %d scattered" % free, timeout=60))
            assert line.startswith("allocated %d pages as #" % free), \
                "alloc %d scattered: expected 'allocated %d pages as #<n>', got %r" % (
                    free, free, line)
            set_id = line.split("#")[1]
            if needed is not None and keep == needed:
                try:
                    s.poke(addr, rng.randrange(1 << 64))
                except AssertionError as e:
                    raise AssertionError("a touch that needs %d pages (the page and its tables), "
                                         "with exactly %d free: %s" % (needed, keep, e))
                left = s.free()
                assert left == 0, "a touch that needs %d pages, with exactly %d free: %d " \
                    "free pages left, expected 0" % (needed, keep, left)
                check_ok(c)
            else:
                marks = mark_free_pages(c, rng)
                state = s.everything()
                for cmd in ["peek 0x%x" % addr, "poke 0x%x 0x7" % addr]:
                    err = expect_error(c, cmd)
                    m = re.search(r"not enough free memory: (\d+) pages? needed \((\d+) for "
                                  r"page tables\), (\d+) free", err)
                    assert m and "lazy page" in err, \
                        "%r with %d free pages: expected 'error: cannot map lazy page ...: not " \
                        "enough free memory: ...', got %r" % (cmd, keep, err)
                    needed = int(m.group(1))
                    assert s.everything() == state, "%r with %d free pages changed something" % (
                        cmd, keep)
                if keep == 0:
                    s.fault("poke 0x%x 0x1" % (ro + PAGE * rng.randrange(2) + 8),
                            "write to read-only lazy page")
                    s.fault("peek 0x%x" % (va + (3 + rng.randrange(60)) * PAGE),
                            "read of unmapped page")
                    if n == 1:
                        s.check_values()  # the page touched before needs nothing
                    assert s.everything() == state, \
                        "faults that are not the lab's, with no free page, changed something"
                for mark, value in sorted(marks.items()):
                    got = read_word(c, mark)
                    assert got == value, \
                        "the free page 0x%x held 0x%x before a touch that needs %d pages was " \
                        "refused with %d free, 0x%x after: the touch took a page and gave it " \
                        "back; count the free pages before taking any" % (
                            mark & ~(PAGE - 1), value, needed, keep, got)
                check_ok(c)
            line = single(c.run("free #%s" % set_id, timeout=60))
            assert line == "freed %d pages of #%s" % (free, set_id), \
                "free #%s: expected 'freed %d pages of #%s', got %r" % (set_id, free, set_id, line)
            s.compare("after a touch with %d free pages" % keep)
            if keep == needed:
                break
            keep = needed - 1 if 0 == keep < needed - 1 else needed  # 0, n - 1, n
    s.unmap(va, 3)
    s.unmap(ro, 2)
    s.finish()
