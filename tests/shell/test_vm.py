#!/usr/bin/env python3
"""The kernel's page tables and memory layout (dot layout), checked through
the shell on either architecture.

Addresses of the kernel's sections come from build/ARCH/kernel.sym (the
linker's own answer), and every claim is checked with `vtop`, `meminfo`
and Graphviz.

Usage: test_vm.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import pagoda_console as pc  # noqa: E402
import tap  # noqa: E402
import test_shell as shell  # noqa: E402

PAGE = 4096
WINDOW = 0x2000000000
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def symbols():
    table = {}
    with open(os.path.join("build", shell.ARCH, "kernel.sym")) as f:
        for line in f:
            addr, name = line.split()
            table[name] = int(addr, 16)
    return table


def vtop(c, va):
    lines = c.run("vtop 0x%x" % va)
    m = re.fullmatch(r"0x([0-9a-f]+) -> 0x([0-9a-f]+) (4K|2M|1G) ([r-][w-][x-]u?g?)", lines[0])
    assert m, "bad vtop answer %r" % lines
    assert int(m.group(1), 16) == va
    levels = 3 if shell.ARCH == "riscv64" else 4
    assert len(lines) >= 2 and all(re.match(r"\s+L\d\[\d+\] entry 0x[0-9a-f]{16}", x)
                                   for x in lines[1:]), lines
    assert len(lines) - 1 <= levels
    return int(m.group(2), 16), m.group(3), m.group(4)


def unmapped(c, va):
    line = shell.expect_error(c, "vtop 0x%x" % va)
    assert "not mapped" in line, line


@test
def kernel_image_is_w_xor_x():
    sym = symbols()
    with shell.boot() as c:
        pa, size, flags = vtop(c, sym["kmain"])
        assert (pa, size, flags) == (sym["kmain"], "4K", "r-xg"), (hex(pa), size, flags)
        assert vtop(c, sym["_etext"])[2] == "r--g", "rodata must be read-only"
        assert vtop(c, sym["_erodata"])[2] == "rw-g", "data must be read/write, no execute"
        assert vtop(c, sym["shell_commands"])[2] == "r--g", "the command table is const"
        # Nothing is both writable and executable anywhere in the tree.
        for line in c.run("pt"):
            m = re.search(r" x (4K|2M|1G) (\S+) ->", line)
            if m:
                assert not ("w" in m.group(2) and "x" in m.group(2)), line


@test
def null_page_and_stack_guard_are_unmapped():
    sym = symbols()
    with shell.boot() as c:
        unmapped(c, 0)
        unmapped(c, sym["boot_stack_guard"])
        unmapped(c, sym["boot_stack_guard"] + PAGE - 8)
        assert vtop(c, sym["boot_stack"])[2] == "rw-g"
        assert vtop(c, sym["boot_stack_guard"] - PAGE)[2] == "rw-g"


@test
def ram_is_direct_mapped_with_large_pages():
    with shell.boot() as c:
        info = shell.meminfo(c)
        assert info["mapped 2M pages"] > 0, info
        big = [s for s in info["segments"] if s[2] - s[1] >= 8 << 20][0]
        va = (big[1] + (4 << 20)) & ~((2 << 20) - 1)
        assert vtop(c, va) == (va, "2M", "rw-g")
        assert vtop(c, va + 0x1234)[0] == va + 0x1234
        # Every segment's pages and page array are reachable at va == pa.
        for _, start, end, *_ in info["segments"]:
            for addr in (start, end - PAGE):
                assert vtop(c, addr)[0] == addr


@test
def huge_pages_with_more_memory():
    with shell.boot(mem="4G") as c:
        info = shell.meminfo(c)
        if shell.ARCH == "riscv64":
            # Sv39 always has 1 GiB pages: RAM 0x80000000-0x180000000.
            assert info["mapped 1G pages"] >= 2, info
            assert vtop(c, 0x100000000) == (0x100000000, "1G", "rw-g")
        else:
            assert info["mapped 2M pages"] > 1000, info
        assert shell.single(c.run("check")) == "check: ok"


@test
def map_vtop_unmap_round_trip_returns_every_page():
    with shell.boot() as c:
        before = shell.meminfo(c)
        assert shell.single(c.run("map 0x%x 3" % WINDOW)) == "mapped 3 pages at 0x%x" % WINDOW
        after = shell.meminfo(c)
        tables = after["page-table pages"] - before["page-table pages"]
        # Sv39: a new L1 and L2 under root[128]; x86_64: root[0] exists (the
        # direct map), so a new PD and PT under it. Two table pages either way.
        assert tables == 2, (before, after)
        assert after["free"] == before["free"] - 3 - tables
        assert after["mapped 4K pages"] == before["mapped 4K pages"] + 3
        pas = set()
        for i in range(3):
            pa, size, flags = vtop(c, WINDOW + i * PAGE + 8)
            assert size == "4K" and flags == "rw-", flags
            pas.add(pa - 8)
        assert len(pas) == 3
        # The pages belong to the mapping: free refuses them.
        err = shell.expect_error(c, "free 0x%x" % min(pas))
        assert "mapping" in err or "kernel" in err, err
        # Read-only and executable variants.
        assert shell.single(c.run("map 0x%x 1 auto r" % (WINDOW + 0x10000))).startswith("mapped")
        assert vtop(c, WINDOW + 0x10000)[2] == "r--"
        assert shell.single(c.run("map 0x%x 1 auto rx" % (WINDOW + 0x11000))).startswith("mapped")
        assert vtop(c, WINDOW + 0x11000)[2] == "r-x"
        for va, n in ((WINDOW, 3), (WINDOW + 0x10000, 2)):
            assert shell.single(c.run("unmap 0x%x %d" % (va, n))) == \
                "unmapped %d pages at 0x%x" % (n, va)
        unmapped(c, WINDOW)
        assert shell.meminfo(c) == before, "page-table pages were not all returned"
        assert shell.single(c.run("check")) == "check: ok"


@test
def map_errors_change_nothing():
    sym = symbols()
    with shell.boot() as c:
        c.run("map 0x%x 2" % WINDOW)
        before = shell.meminfo(c), c.run("pt")
        for line in [
            "map", "map 0x%x" % WINDOW, "map 0x%x 0" % WINDOW,
            "map 0x%x 2" % WINDOW,                    # over an existing mapping
            "map 0x%x 4" % (WINDOW - PAGE),           # starts outside the window
            "map 0x%x 1" % (WINDOW + 1),              # unaligned
            "map 0x%x 1" % sym["kmain"],              # the kernel's own mappings
            "map 0x%x 1 auto wx" % (WINDOW + PAGE * 8),
            "map 0x%x 1 0x1001" % (WINDOW + PAGE * 8),
            "map 0x%x 1 0x%x" % (WINDOW + PAGE * 8, shell.meminfo(c)["segments"][0][1]),
            "map 0x3000000000 1", "map 0x%x 99999999999" % WINDOW, "map zz 1",
            "unmap", "unmap 0x%x 3" % WINDOW,         # third page not mapped
            "unmap 0x%x 1" % (WINDOW + PAGE * 9),
            "unmap 0x%x 1" % sym["kmain"], "unmap 0x0 1",
            "vtop", "vtop zz", "vtop 0xffffffffffffffff", "pt 1 2",
        ]:
            shell.expect_error(c, line)
        assert (shell.meminfo(c), c.run("pt")) == before
        # The error names the address that is wrong.
        va = WINDOW + PAGE * 8
        assert shell.expect_error(c, "map 0x%x 1 0x1001 r" % va) == \
            "error: cannot map 0x%x: physical address 0x1001 is not page aligned" % va
        assert shell.expect_error(c, "map 0x%x 1 0x1000 r" % (va + 1)) == \
            "error: cannot map 0x%x: not page aligned" % (va + 1)
        assert (shell.meminfo(c), c.run("pt")) == before
        assert shell.single(c.run("unmap 0x%x 2" % WINDOW)) == "unmapped 2 pages at 0x%x" % WINDOW


@test
def failed_map_for_want_of_table_pages_changes_nothing():
    # Regression: with 2 pages free, a map in a fresh part of the window
    # needs a page and new tables; it failed, but kept one empty table.
    with shell.boot() as c:
        free = shell.meminfo(c)["free"]
        assert shell.single(c.run("alloc %d scattered" % (free - 2))).startswith("allocated")
        before = shell.meminfo(c), c.run("pt")
        assert before[0]["free"] == 2
        line = shell.expect_error(c, "map 0x2800000000 1")
        assert "memory" in line or "page table" in line, line
        assert (shell.meminfo(c), c.run("pt")) == before
        assert shell.single(c.run("check")) == "check: ok"


@test
def impossible_map_is_refused_at_once_for_its_real_reason():
    # Regression: 0x1000000 pages froze the shell ~20 s (mapping until the
    # page tables ran out), then blamed a page table. Now it is refused
    # before anything is done: one line, naming what is missing.
    with shell.boot() as c:
        before = shell.meminfo(c), c.run("pt")
        line = shell.expect_error(c, "map 0x%x 0x1000000" % WINDOW)
        m = re.fullmatch(r"error: cannot map 0x%x: not enough free memory: (\d+) pages needed "
                         r"\((\d+) for page tables\), (\d+) free" % WINDOW, line)
        assert m, line
        assert int(m.group(1)) == 0x1000000 + int(m.group(2)), line
        assert int(m.group(3)) == before[0]["free"], line
        assert (shell.meminfo(c), c.run("pt")) == before


@test
def long_map_shows_progress_and_ctrl_c_abandons_it():
    with shell.boot(mem="1G") as c:
        before = shell.meminfo(c), c.run("pt")
        c.send("map 0x%x 200000\r" % WINDOW)
        c.expect(r"map: \d+ of 200000 done \(\d+%\); Ctrl-C abandons it", timeout=60)
        c.send("\x03")
        out = pc.clean_lines(c.expect_prompt(timeout=60))
        assert out[-1] == "error: cannot map 0x%x: interrupted (nothing was changed)" % WINDOW, out
        assert (shell.meminfo(c), c.run("pt")) == before
        assert shell.single(c.run("check")) == "check: ok"


@test
def physical_addresses_beyond_the_cpu_are_refused():
    # Regression: this mapped, wrote reserved PTE bits, and wrapped to 0.
    with shell.boot() as c:
        before = shell.meminfo(c), c.run("pt")
        bits = int(re.search(r"(\d+)-bit physical addresses", before[1][0]).group(1))
        assert bits == 56 if shell.ARCH == "riscv64" else 36 <= bits <= 52, before[1][0]
        for pa in (2**64 - PAGE, 1 << bits, (1 << bits) - PAGE):
            line = shell.expect_error(c, "map 0x%x 2 0x%x r" % (WINDOW, pa))
            assert "beyond what the CPU can address" in line, line
        assert (shell.meminfo(c), c.run("pt")) == before
        # The last page the CPU can address can be mapped (as a device page).
        top = (1 << bits) - PAGE
        assert shell.single(c.run("map 0x%x 1 0x%x r" % (WINDOW, top))) == \
            "mapped 1 pages at 0x%x" % WINDOW
        assert vtop(c, WINDOW)[0] == top


@test
def upper_half_is_not_mapped_and_noncanonical_is_said():
    bits = 39 if shell.ARCH == "riscv64" else 48
    upper = (~0 << (bits - 1)) & (2**64 - 1)
    with shell.boot() as c:
        for va in (upper, 2**64 - PAGE):
            line = shell.expect_error(c, "vtop 0x%x" % va)
            assert line.startswith("error: 0x%x is not mapped" % va), line
            assert "is not mapped" in c.run("pt 0x%x" % va)[-1]
        bad = 1 << (bits - 1)
        for cmd in ("vtop", "pt", "dot pt"):
            line = shell.expect_error(c, "%s 0x%x" % (cmd, bad))
            assert line == "error: 0x%x is not canonical (bits 63-%d must all equal bit %d)" % (
                bad, bits, bits - 1), line


@test
def unmap_names_the_page_that_is_not_mapped():
    with shell.boot() as c:
        c.run("map 0x%x 4" % WINDOW)
        c.run("unmap 0x%x 2" % (WINDOW + PAGE))
        line = shell.expect_error(c, "unmap 0x%x 4" % WINDOW)
        assert line == "error: cannot unmap 0x%x: 0x%x is not mapped" % (WINDOW, WINDOW + PAGE), line


@test
def dot_pt_stays_small():
    with shell.boot() as c:
        # 600 MiB of 4K pages at an odd physical address above RAM: 300
        # last-level tables, each with one run of leaves.
        # (A long map may print progress lines first.)
        assert c.run("map 0x%x 153600 0x100001000 r" % WINDOW, timeout=120)[-1] == \
            "mapped 153600 pages at 0x%x" % WINDOW
        graph = pc.dot_blocks(c.run_text("dot pt", timeout=60))[0]
        nodes = len(re.findall(r"^  (?!node |legend )\w+ \[", graph, re.M))
        assert nodes <= 252, "dot pt has %d nodes" % nodes
        m = re.search(r'more \[.*label="(\d+) more tables? and (\d+) more runs? of leaves"', graph)
        assert "white" in shell.legend_names_every_fill(graph)
        assert m and int(m.group(1)) + int(m.group(2)) > 300, graph[-400:]
        assert shell.render(graph) == ""
        assert c.run("unmap 0x%x 153600" % WINDOW, timeout=120)[-1] == \
            "unmapped 153600 pages at 0x%x" % WINDOW


@test
def device_and_physical_mappings():
    with shell.boot() as c:
        info = shell.meminfo(c)
        # Memory the page manager does not manage: the kernel image itself.
        kmain = symbols()["kmain"] & ~(PAGE - 1)
        assert shell.single(c.run("map 0x%x 1 0x%x r" % (WINDOW, kmain))).startswith("mapped")
        assert vtop(c, WINDOW) == (kmain, "4K", "r--")
        assert shell.single(c.run("unmap 0x%x 1" % WINDOW)) == "unmapped 1 pages at 0x%x" % WINDOW
        assert shell.meminfo(c) == info, "unmapping must not free pages it does not own"


@test
def dot_pt_is_valid_graphviz():
    with shell.boot() as c:
        c.run("map 0x%x 3" % WINDOW)
        for cmd in ("dot pt", "dot pt 0x%x" % WINDOW):
            text = c.run_text(cmd)
            graphs = pc.dot_blocks(text)
            assert len(graphs) == 1 and graphs[0] == text, cmd
            assert shell.render(graphs[0]) == "", cmd
            fills = shell.legend_names_every_fill(graphs[0])
            assert {"lightyellow", "lightgray", "palegreen"} <= fills, (cmd, fills)
        assert "3 x 4K rw-" in text or "1 x 4K rw-" in text, text


UNITS = {"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
         "PiB": 1 << 50, "EiB": 1 << 60}


def size_of(text):
    """Bytes of a size as the shell prints it ("1.5 MiB"), and the
    uncertainty of its rounding."""
    m = re.fullmatch(r"(\d+)(?:\.(\d))? (B|KiB|MiB|GiB|TiB|PiB|EiB)", text)
    assert m, "not a size: %r" % text
    unit = UNITS[m.group(3)]
    return (int(m.group(1)) * 10 + int(m.group(2) or 0)) * unit // 10, \
        unit // 20 if m.group(2) else 0


def layout_stacks(graph):
    """The boxes of the two stacks of `dot layout`, high to low, as
    (start, end, colour, lines of the label), and each stack's title."""
    stacks = {}
    for name, table in re.findall(r"^  (physical|virtual) \[label=<(.*?)>\];$", graph,
                                  re.M | re.S):
        title = re.search(r"<B>[^<]*</B><BR/>([^<]*)</TD>", table).group(1)
        cells = re.findall(r'<TD ROWSPAN="2" (?:BORDER="0" ALIGN="RIGHT"|BGCOLOR="(\w+)")>'
                           r"(.*?)</TD>", table)
        # Edge, box, edge, ..., box, edge: from the top down.
        assert len(cells) % 2 == 1 and len(cells) >= 3, cells
        edges = [int(text, 16) if text.startswith("0x") else None for _, text in cells[::2]]
        assert all(not colour for colour, _ in cells[::2]), cells
        assert edges[-1] == 0, "a stack starts at 0"
        boxes = []
        for i, (colour, text) in enumerate(cells[1::2]):
            assert colour, cells
            boxes.append((edges[i + 1], edges[i], colour, text.split("<BR/>")))
        stacks[name] = (title, boxes)
    assert sorted(stacks) == ["physical", "virtual"], graph[:500]
    return stacks


def check_layout(c, mem):
    sym = symbols()
    text = c.run_text("dot layout")
    graphs = pc.dot_blocks(text)
    assert len(graphs) == 1 and graphs[0] == text, "only the digraph is printed"
    graph = graphs[0]
    assert shell.render(graph) == ""
    svg = subprocess.run(["dot", "-Tsvg"], input=graph, capture_output=True, text=True,
                         check=True).stdout
    width = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1)) * 4 / 3
    assert width <= 1200, "the picture is %d px wide" % width
    stacks = layout_stacks(graph)
    for name, (_, boxes) in stacks.items():
        assert len(boxes) <= 40, "%s: %d boxes" % (name, len(boxes))
        for start, end, _, lines in boxes:
            # Every box's size is its edges' distance (the top one's end is 2^64).
            size, slack = size_of(lines[1].split(",")[0])
            assert abs(((end or 1 << 64) - start) - size) <= slack, (name, hex(start), lines)
            assert start < (end or 1 << 64) and start % PAGE == 0, (name, hex(start), lines)
    # The kernel image where its linker symbols put it, in both stacks.
    page_up = (sym["_kernel_end"] + PAGE - 1) // PAGE * PAGE
    phys = {lines[0]: (start, end) for start, end, _, lines in stacks["physical"][1]}
    assert phys["kernel image"] == (sym["_kernel_start"], page_up), phys
    virt = {lines[0]: (start, end, lines[1]) for start, end, _, lines in stacks["virtual"][1]}
    assert virt["kernel text"] == (sym["_kernel_start"], sym["_etext"],
                                   virt["kernel text"][2]), virt
    assert virt["kernel text"][2].endswith(", r-xg"), virt["kernel text"]
    assert virt["boot stack guard page"][:2] == (sym["boot_stack_guard"],
                                                 sym["boot_stack_guard"] + PAGE)
    assert virt["window of map"][:2] == (WINDOW, WINDOW + (64 << 30))
    # RAM as much as QEMU was given (x86_64's firmware keeps some for itself).
    m = re.fullmatch(r"RAM (.+) in \d+ ranges?", stacks["physical"][0])
    assert m, stacks["physical"][0]
    ram, slack = size_of(m.group(1))
    want = size_of(mem.replace("M", " MiB").replace("G", " GiB"))[0]
    assert want - (2 << 20) - slack <= ram <= want + slack, (m.group(0), mem)
    # Every colour filled is in the legend, and the legend only has those.
    legend = re.search(r"^  legend \[.*?^  </table>>\];$", graph, re.M | re.S).group(0)
    named = re.findall(r'<td bgcolor="(\w+)"[^>]*></td><td align="left">[^<]+</td>', legend)
    used = {colour for _, boxes in stacks.values() for _, _, colour, _ in boxes}
    assert sorted(named) == sorted(used), (named, used)
    return stacks


@test
def dot_layout_draws_what_lies_where():
    with shell.boot() as c:
        before = shell.meminfo(c)
        check_layout(c, "128M")
        assert shell.meminfo(c) == before, "dot layout changed nothing"
        for bad in ("dot layout extra", "dot layout 0x1000"):
            shell.expect_error(c, bad)
        assert shell.meminfo(c) == before


@test
def dot_layout_stays_readable_at_16g():
    with shell.boot(mem="16G") as c:
        stacks = check_layout(c, "16G")
        ram = [lines[0] for _, _, _, lines in stacks["virtual"][1]].count("RAM, va = pa")
        assert ram >= 2, stacks["virtual"]


FAULT = r"fault: (.+) at 0x([0-9a-f]+) \(pc 0x([0-9a-f]+)\)"


def fault(c, line):
    """Type @line; expect exactly one fault line, and the prompt back."""
    out = c.run(line)
    assert len(out) == 1, "%r gave %r" % (line, out)
    m = re.fullmatch(FAULT, out[0])
    assert m, "%r gave %r" % (line, out)
    return m.group(1), int(m.group(2), 16), int(m.group(3), 16)


@test
def faults_are_contained():
    sym = symbols()
    with shell.boot() as c:
        before = shell.meminfo(c)
        what, addr, pc = fault(c, "peek 0x0")
        assert (what, addr) == ("read of unmapped page", 0)
        guard = sym["boot_stack_guard"] + 0x100
        what, addr, _ = fault(c, "peek 0x%x" % guard)
        assert "stack guard page" in what and addr == guard, what
        text = sym["kmain"] & ~7
        assert fault(c, "poke 0x%x 1" % text)[:2] == ("write to read-only page", text)
        rodata = sym["_etext"]
        assert fault(c, "poke 0x%x 1" % rodata)[:2] == ("write to read-only page", rodata)
        data = sym["_erodata"]
        what, addr, pc = fault(c, "exec 0x%x" % data)
        assert (what, addr, pc) == ("execute of no-execute page", data, data)
        what, addr, pc = fault(c, "exec 0x%x" % WINDOW)
        assert (what, addr) == ("execute of unmapped page", WINDOW)
        c.run("map 0x%x 1 auto r" % WINDOW)
        assert fault(c, "poke 0x%x 7" % WINDOW)[0] == "write to read-only page"
        assert shell.single(c.run("peek 0x%x" % WINDOW)) == "0x%x: 0x%016x" % (WINDOW, 0)
        c.run("unmap 0x%x 1" % WINDOW)
        # Many faults in a row leak nothing and leave the kernel sound.
        for i in range(40):
            fault(c, "peek 0x%x" % (WINDOW + i * 7 * PAGE))
        assert shell.meminfo(c) == before
        assert shell.single(c.run("check")) == "check: ok"
        assert c.poweroff() == 0


@test
def poke_and_exec_refuse_what_would_corrupt():
    sym = symbols()
    with shell.boot() as c:
        c.run("map 0x%x 1" % WINDOW)
        assert shell.single(c.run("poke 0x%x 0x1122334455667788" % (WINDOW + 8))) == \
            "0x%x: 0x1122334455667788 written" % (WINDOW + 8)
        assert shell.single(c.run("peek 0x%x" % (WINDOW + 8))) == \
            "0x%x: 0x1122334455667788" % (WINDOW + 8)
        for line in ["poke 0x%x 1" % sym["_erodata"], "poke 0x%x 1" % sym["boot_stack"],
                     "exec 0x%x" % sym["kmain"], "peek 0x%x" % (WINDOW + 1), "peek",
                     "poke 0x%x" % WINDOW, "poke 0x%x zz" % WINDOW, "exec", "peek zz",
                     "map 0x%x 1 0x%x rw" % (WINDOW + PAGE, sym["kmain"] & ~(PAGE - 1))]:
            shell.expect_error(c, line)
        assert shell.single(c.run("check")) == "check: ok"


def main():
    return tap.main(TESTS, __doc__, shell)


if __name__ == "__main__":
    sys.exit(main())
