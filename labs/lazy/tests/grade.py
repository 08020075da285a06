"""The public tests of lab lazy (labs/lazy/README.md has the table).

Host tests: labs/lazy/tests/host_lazy.c, built with the lab's sources under
ASan + UBSan over both page-table formats. Kernel tests: `map ... lazy`,
peek, poke, meminfo, vtop and unmap on both architectures; every expected
answer comes from the kernel's other counters (free pages, page-table pages,
the page manager's free lists) and lazymodel.py.
"""
import re

import labtest as t
from lazymodel import Lazy, PAGE, WINDOW, single, expect_error, check_ok

HOST = "labs/lazy/tests/host_lazy.c"
t.host("lazy_count", 5, HOST)
t.host("one_zeroed_page", 10, HOST)
t.host("flags_and_access", 5, HOST)
t.host("no_memory", 5, HOST)
t.host("random_sequences", 10, HOST)


@t.kernel(10)
def touch_maps_zeroed_pages(c, rng):
    """Each first touch takes one zeroed page (and the tables it needs); values stay."""
    s = Lazy(c)
    pages = rng.randrange(4, 40)
    va = WINDOW + rng.randrange(1, 1 << 14) * 512 * PAGE + rng.randrange(0, 300) * PAGE
    s.reserve(va, pages)
    line = c.run("vtop 0x%x" % (va + rng.randrange(pages) * PAGE))[0]
    assert "reserved, not present" in line, "vtop of an untouched lazy page: %r" % line
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
        assert (size, flags) == ("4K", "rw-"), "a lazy page is mapped %s %s" % (size, flags)
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
    assert s.vtop(ro + pages[0] * PAGE)[1:] == ("4K", "r--"), "an r lazy page is not mapped r--"
    s.peek(rx + PAGE + 8 * rng.randrange(PAGE // 8))
    assert s.vtop(rx + PAGE)[1:] == ("4K", "r-x"), "an rx lazy page is not mapped r-x"
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
    assert line == "mapped %d pages at 0x%x" % (nauto, a + na * PAGE), line
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


@t.kernel(5)
def no_free_page_on_touch(c, rng):
    """Without the page, or with it but not its tables: one error line, nothing changes."""
    s = Lazy(c)
    va = WINDOW + rng.randrange(1, 60) * (1 << 30) + rng.randrange(512) * 512 * PAGE
    s.reserve(va, 3)
    needed = None
    for round in range(2):
        # No free page at all; then one page fewer than the page and its tables.
        keep = 0 if needed is None else needed - 1
        free = s.free() - keep
        line = single(c.run("alloc %d scattered" % free, timeout=60))
        assert line.startswith("allocated %d pages as #" % free), line
        set_id = line.split("#")[1]
        state = s.everything()
        for cmd in ["peek 0x%x" % (va + PAGE * rng.randrange(3)),
                    "poke 0x%x 0x7" % (va + PAGE * rng.randrange(3) + 8)]:
            err = expect_error(c, cmd)
            m = re.search(r"not enough free memory: (\d+) pages? needed \((\d+) for page "
                          r"tables\), (\d+) free", err)
            assert m and "lazy page" in err, "%r with %d free pages: %r" % (cmd, keep, err)
            needed = int(m.group(1))
            assert s.everything() == state, "%r with %d free pages changed something" % (
                cmd, keep)
        check_ok(c)
        line = single(c.run("free #%s" % set_id, timeout=60))
        assert line == "freed %d pages of #%s" % (free, set_id), line
    s.poke(va + 2 * PAGE, rng.randrange(1 << 64))
    s.compare("after a touch with memory again")
    s.unmap(va, 3)
    s.finish()
