#!/usr/bin/env python3
"""The shell's debugging aids, on the real kernel: pictures that stay
readable at any memory size and name every page's owner, long commands that
show progress and stop on Ctrl-C, and page poisoning catching a use after
free. (The page commands themselves are in test_shell.py.)

Usage: test_aids.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import pagoda_console as pc  # noqa: E402
import tap  # noqa: E402
import test_shell  # noqa: E402
from test_shell import (PAGE, alloc, boot, expect_error, interrupt,  # noqa: E402
                        legend_names_every_fill, meminfo, render, single, state, svg_of,
                        svg_width_px)

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def dot_nodes(c):
    text = c.run_text("dot buddy")
    graph = pc.dot_blocks(text)[0]
    assert graph == text
    return graph, len(re.findall(r"^  \w+ \[", graph, re.M))

@test
def dot_buddy_stays_small_and_says_what_it_folded():
    # Regression: after `alloc 20000` the graph grew by a node per block
    # (30,000 lines at 16G); page tables looked like a student's pages.
    with boot(mem="4G") as c:
        alloc(c, 20000)
        c.run("map 0x2000000000 3")
        graph, nodes = dot_nodes(c)
        assert nodes <= 100, "dot buddy has %d nodes" % nodes
        assert re.search(r'label="\d+ x 1 MiB allocated\\n', graph), graph
        assert re.search(r'label="\d+ x 1 MiB free\\n', graph), graph
        assert re.search(r'fillcolor="lightskyblue", label="order \d\\npage table\\n', graph)
        assert re.search(r'fillcolor="plum", label="order \d\\nmapping\\n', graph), graph
        c.run("alloc 100000 scattered")
        graph, nodes = dot_nodes(c)
        assert nodes <= 300, "dot buddy has %d nodes" % nodes
        # Scattered pages fold into runs that name their set (mixed nodes: below).
        assert re.search(r'label="\d+ x 1 MiB scattered\\n0x[0-9a-f]+-0x[0-9a-f]+\\nin #1"',
                         graph), graph
        assert render(graph) == ""
    with boot(mem="1G") as c:
        # Alternate allocated and free 1 MiB blocks: no two like roots in a row.
        taken = [alloc(c, 256) for _ in range(700)]
        for addr in taken[::2]:
            c.run("free 0x%x" % addr)
        graph, nodes = dot_nodes(c)
        assert 250 <= nodes <= 300, "dot buddy has %d nodes" % nodes
        assert re.search(r'label="\d+ x \d+ [KM]iB mixed\\n0x[0-9a-f]+-0x[0-9a-f]+'
                         r'\\n\d+ pages free\\n\d+ pages yours"', graph), graph
        assert render(graph) == ""

@test
def dot_buddy_fits_a_screen_at_16g():
    """Issue 18: at 16G, with thousands of scattered pages and long runs,
    both pictures fit a 1920-pixel-wide screen at full size (no text under
    10 pt), name every colour they use, and show your allocations by the
    names alloc gave them, not hidden in grey "mixed" nodes."""
    with boot(mem="16G") as c:
        c.run("alloc 300 scattered")
        small = alloc(c, 1000)
        c.run("alloc 3000 scattered")
        big = alloc(c, 50000)
        c.run("map 0x2000000000 3")
        c.run("kmalloc 100")
        assert c.run("alloc 5000 scattered")[-1] == "allocated 5000 pages as #3"
        for cmd in ("dot buddy", "dot buddy frag"):
            text = c.run_text(cmd)
            graph = pc.dot_blocks(text)[0]
            svg = svg_of(graph)
            assert svg_width_px(svg) <= 1920, "%s is %d px wide" % (cmd, svg_width_px(svg))
            sizes = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)]
            assert sizes and min(sizes) >= 10, (cmd, min(sizes))
            fills = legend_names_every_fill(graph)
            assert "lightcyan" in fills, fills
            segments = set(re.findall(r'seg\d+ \[shape=folder, fillcolor="([^"]+)"', graph))
            blocks = set(re.findall(r's\d+_\d+ \[fillcolor="([^"]+)"', graph))
            assert segments == {"lightcyan"} and "lightcyan" not in blocks, (segments, blocks)
            # Runs of scattered pages are folded: no two leaves of one page
            # each side by side in hundreds.
            assert graph.count("\\nscattered\\n") < 50, graph.count("\\nscattered\\n")
            for addr in (small, big):
                assert re.search(r'label="[^"]*\\nat 0x%x"' % addr, graph), (cmd, addr)
            for set_id in ("#1", "#2", "#3"):
                assert re.search(r'label="[^"]*\\nin[ #\d]* %s[ #\d.]*"' % set_id, graph), \
                    (cmd, set_id)
            assert " mixed\\n" not in graph, cmd
        plain = pc.dot_blocks(c.run_text("dot buddy"))[0]
        assert re.search(r'fillcolor="salmon"[^\n]*at 0x%x"' % big, plain)
        assert re.search(r'fillcolor="gold"[^\n]*in[ #\d]* #3', plain)


@test
def show_names_the_owner():
    with boot() as c:
        c.run("map 0x2000000000 1")
        pa = int(re.search(r"-> 0x([0-9a-f]+)", c.run("vtop 0x2000000000")[0]).group(1), 16)
        line = single(c.run("show 0x%x" % pa))
        assert line == "0x%x is in the allocation 0x%x-0x%x (1 page) of seg%s, owned by a mapping" % (
            pa, pa, pa + PAGE, line.split("seg")[1][0]), line
        table = int(re.search(r"-> table 0x([0-9a-f]+)", c.run("vtop 0x2000000000")[-2]).group(1), 16)
        assert single(c.run("show 0x%x" % table)).endswith(", owned by a page table")
        assert expect_error(c, "free 0x%x" % table) == "error: 0x%x belongs to a page table" % table

@test
def long_page_commands_stop_on_ctrl_c():
    with boot(mem="16G") as c:
        before = state(c)
        out = interrupt(c, "alloc 4000000 scattered")
        assert out[-1] == "error: cannot allocate 4000000 pages: interrupted (nothing was " \
            "changed)", out
        assert state(c) == before
        out = c.run("alloc 4000000 scattered", timeout=120)
        assert out[-1] == "allocated 4000000 pages as #1", out
        out = interrupt(c, "check")
        assert out[-1] == "error: check interrupted: only part of the page manager was " \
            "checked", out
        out = interrupt(c, "free #1")
        m = re.fullmatch(r"error: interrupted: freed (\d+) of the 4000000 pages of #1; the other "
                         r"(\d+) are still in #1", out[-1])
        assert m and int(m.group(1)) + int(m.group(2)) == 4000000, out
        assert meminfo(c)["free"] == before[0]["free"] - int(m.group(2))
        assert c.run("free #1", timeout=120)[-1] == "freed %s pages of #1" % m.group(2)
        assert meminfo(c) == before[0]
        assert c.run("check", timeout=60)[-1] == "check: ok"

@test
def poison_catches_a_write_after_free():
    with boot() as c:
        assert single(c.run("poison")) == "poison: off"
        assert c.run("poison on")[-1].startswith("poison: on")
        a = alloc(c, 1)
        c.run("free 0x%x" % a)
        assert single(c.run("peek 0x%x" % (a + 0x18))) == "0x%x: 0x6b6b6b6b6b6b6b6b" % (a + 0x18)
        assert single(c.run("poke 0x%x 0x1234" % (a + 0x18))).endswith("written")
        before = meminfo(c)["free"]
        out = c.run("alloc 1")
        assert len(out) == 2 and out[0].startswith("allocated 1 pages at ") and \
            out[0] != "allocated 1 pages at 0x%x" % a, out
        assert out[1] == "error: use after free: page 0x%x was written after it was freed " \
            "(first bad byte at +0x18)" % a, out
        assert meminfo(c)["free"] == before - 2
        assert single(c.run("show 0x%x" % a)).endswith("owned by a quarantine (written after it "
                                                         "was freed)")
        expect_error(c, "free 0x%x" % a)
        assert single(c.run("check")) == "check: ok"
        # A written free page caught during a stress run is reported, not
        # blamed on stress.
        b = alloc(c, 1)
        c.run("free 0x%x" % b)
        c.run("poke 0x%x 0x1" % b)
        out = c.run("stress 2000 3")
        assert "stress: ok" in out, out
        assert single(c.run("poison off")) == "poison: off"
        # Off means off: a write to a free page is not checked any more.
        b = alloc(c, 1)
        c.run("free 0x%x" % b)
        c.run("poke 0x%x 0x1" % b)
        assert single(c.run("alloc 1")) == "allocated 1 pages at 0x%x" % b
        for line in ("poison maybe", "poison on off"):
            expect_error(c, line)


@test
def quarantine_past_eight_pages_is_counted():
    """Eight use-after-free reports are kept; the pages caught past them are
    summed up in one line, and meminfo and buddy count every one."""
    with boot() as c:
        c.run("poison on")
        assert c.run("alloc 12 scattered")[-1] == "allocated 12 pages as #1"
        pages = []
        for line in c.run("show #1")[1:]:
            m = re.fullmatch(r"\s*0x([0-9a-f]+)(?:-0x([0-9a-f]+))?.*", line)
            start = int(m.group(1), 16)
            pages += range(start, int(m.group(2), 16) if m.group(2) else start + PAGE, PAGE)
        assert len(pages) == 12, pages
        assert "quarantined" not in " ".join(c.run("meminfo") + c.run("buddy"))
        free = meminfo(c)["free"]
        c.run("free #1")
        for page in pages:
            c.run("poke 0x%x 0x1" % page)
        out = c.run("alloc 12 scattered")
        assert out[0] == "allocated 12 pages as #2", out
        caught = [x for x in out if x.startswith("error: use after free: page 0x")]
        assert len(caught) == 8, out
        assert out[-1] == "error: use after free: 4 more pages were written after being freed, " \
            "quarantined too", out
        assert len(out) == 10, out
        assert meminfo(c)["free"] == free - 12
        assert c.run("meminfo")[-1] == "quarantined pages: 12"
        assert c.run("buddy")[-1] == "quarantined pages: 12"
        assert single(c.run("check")) == "check: ok"


def main():
    return tap.main(TESTS, __doc__, test_shell)  # boot() reads test_shell.ARCH


if __name__ == "__main__":
    sys.exit(main())
