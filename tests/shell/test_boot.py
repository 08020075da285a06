#!/usr/bin/env python3
"""Boot at many memory sizes: every byte of RAM the firmware reports is managed.

The oracle is the firmware's own map, as the kernel prints it at boot (the
`ram` lines: GRUB's multiboot2 map on x86_64, the device tree's /memory on
riscv64): every whole page of it must be in a page-manager segment (page
array included) or in a page that a printed `reserved` range touches. The
sizes the boot log prints must agree with the ranges they describe.

Usage: test_boot.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import pagoda_console as pc  # noqa: E402
from page_ranges import count, minus, pages as pages_of  # noqa: E402
import tap  # noqa: E402
import test_shell as shell  # noqa: E402

PAGE = 4096
UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
# Sizes QEMU accepts on a host with 24 GiB, chosen for the shapes of the
# map: all below the x86 PCI hole (3G), split around it with a top that is
# not a whole GiB (4100M), and far beyond the 16 GiB the x86 kernel once
# mapped at boot (16G: RAM then ends at 17 GiB on a PC).
ODD_SIZES = ["3G", "4100M"]
BIG = "16G"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def boot(mem):
    start = time.monotonic()
    c = pc.Console(pc.qemu_command(shell.ARCH, mem), boot_timeout=120)
    return c, time.monotonic() - start


def printed_size(text):
    m = re.fullmatch(r"(\d+(?:\.\d)?) (B|KiB|MiB|GiB|TiB)", text)
    assert m, "bad size %r" % text
    return float(m.group(1)), UNITS[m.group(2)]


def check_size(text, size, what):
    """@text ("639 KiB", "3.0 GiB", "256 B") must say @size bytes: in the
    largest unit it reaches, to the tenth printed."""
    value, unit = printed_size(text)
    assert 1 <= value <= 1024 and (unit == 1 or size >= unit), \
        "%s: %r is not in the unit that fits %d bytes" % (what, text, size)
    assert abs(value * unit - size) <= unit / 20 + 0.5, \
        "%s: %r but the range holds %d bytes" % (what, text, size)


def boot_log(c):
    """The memory map the kernel printed: {"ram": [(start, end)], "reserved": ...}."""
    log = {"ram": [], "reserved": [], "device": [], "skipped": [], "sizes": []}
    for line in pc.clean_lines(c.boot_log):
        m = re.match(r"\s+(ram|reserved|device)\s+0x([0-9a-f]+)-0x([0-9a-f]+)\s+(\S+ \S+)  ",
                     line)
        if m:
            start, end = int(m.group(2), 16), int(m.group(3), 16)
            log["sizes"].append((m.group(4), end - start, line))
            log[m.group(1)].append((start, end))
        if re.match(r"\s+skipped ", line):
            log["skipped"].append(line)
        m = re.match(r"page manager: (\d+) pages \((.*)\) in \d+ segments?", line)
        if m:
            log["sizes"].append((m.group(2), int(m.group(1)) * PAGE, line))
            log["pages"] = int(m.group(1))
    assert log["ram"] and "pages" in log, "no memory map in the boot log:\n" + c.boot_log
    return log


def segments(c):
    """meminfo's segments as (page array start, end, pages, free)."""
    info = shell.meminfo(c)
    segs = []
    for line in c.run("meminfo"):
        m = re.match(r"seg\d+ 0x([0-9a-f]+)-0x([0-9a-f]+) pages (\d+) free (\d+) "
                     r"\(page array at 0x([0-9a-f]+), (\d+) pages?\)", line)
        if m:
            start, end, array = (int(m.group(i), 16) for i in (1, 2, 5))
            pages, free, array_pages = (int(m.group(i)) for i in (3, 4, 6))
            assert array + array_pages * PAGE == start, line
            assert (end - start) // PAGE == pages, line
            segs.append((array, end, pages, free))
    assert segs and sum(s[2] for s in segs) == info["total"], info
    return segs, info


def check_every_ram_page_is_managed(c, mem):
    log = boot_log(c)
    segs, info = segments(c)
    assert not log["skipped"], "RAM the page manager refused: %r" % log["skipped"]
    assert info["total"] == log["pages"], (info, log["pages"])
    ram = pages_of(log["ram"], outward=False)
    managed = pages_of([(s[0], s[1]) for s in segs], outward=False)
    reserved = pages_of(log["reserved"], outward=True)
    assert not minus(managed, ram), "a segment outside the firmware's RAM at MEM=%s" % mem
    assert count(minus(managed, reserved)) == count(managed), \
        "a segment overlaps a reserved range at MEM=%s" % mem
    lost = minus(minus(ram, managed), reserved)
    assert not lost, "MEM=%s: %d RAM pages neither managed nor reserved, first 0x%x" % (
        mem, count(lost), lost[0][0] * PAGE)
    # What the kernel reserves is small: firmware, first MiB, its image, boot
    # data, boot page tables (4 KiB per GiB). A reservation that takes a
    # sizeable share of RAM is RAM lost, however honestly it is printed.
    held = count(ram) - count(minus(ram, reserved))
    assert held * 64 <= count(ram), "MEM=%s: %d of %d RAM pages reserved: %r" % (
        mem, held, count(ram), log["reserved"])
    assert c.run("check", timeout=60)[-1] == "check: ok"
    for text, size, line in log["sizes"]:
        check_size(text, size, line)
    return log, segs


@test
def every_ram_byte_is_managed_at_odd_sizes():
    for mem in [None] + ODD_SIZES:
        c, _ = boot(mem)
        with c:
            check_every_ram_page_is_managed(c, mem or "default")


@test
def all_of_16g_is_managed_and_the_top_page_can_be_allocated():
    c, seconds = boot(BIG)
    print("# boot to the prompt at MEM=%s: %.1f s" % (BIG, seconds))
    with c:
        log, segs = check_every_ram_page_is_managed(c, BIG)
        top = max(end for _, end in log["ram"])
        assert max(s[1] for s in segs) == top, "the highest RAM page is not managed"
        free = shell.meminfo(c)["free"]
        # Every free page at once, then the highest page of RAM is in the set.
        # (Long commands may print progress lines before their answer.)
        assert c.run("alloc %d scattered" % free, timeout=120)[-1] == \
            "allocated %d pages as #1" % free
        line = shell.single(c.run("show 0x%x" % (top - PAGE)))
        assert "scattered" in line and "0x%x-0x%x" % (top - PAGE, top) in line, line
        assert shell.meminfo(c)["free"] == 0
        # The kernel's own tables map it: reading the last bytes of RAM works.
        assert re.fullmatch(r"0x%x: 0x[0-9a-f]{16}" % (top - 8),
                            shell.single(c.run("peek 0x%x" % (top - 8)))), "peek at the top"
        assert c.run("free #1", timeout=120)[-1] == "freed %d pages of #1" % free
        assert shell.meminfo(c)["free"] == free
        assert c.run("check", timeout=60)[-1] == "check: ok"


def main():
    return tap.main(TESTS, __doc__, shell)


if __name__ == "__main__":
    sys.exit(main())
