#!/usr/bin/env python3
"""Shell tests: boot the real kernel in QEMU and type into it over a pty.

Every test boots a fresh kernel with the command `make run` uses, waits for
the prompt before each line, and checks the answers against the contract of
the shell and against an independent oracle: the documented allocation
policy applied to what `buddy -v` showed before the command.

Usage: test_shell.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import pagoda_console as pc  # noqa: E402
import tap  # noqa: E402

PAGE = 4096
MAX_ORDER = 8
TESTS = []
ARCH = "riscv64"


def test(fn):
    TESTS.append(fn)
    return fn


def boot(mem=None, log_name=None):
    log = None
    if log_name:
        os.makedirs(os.path.join("build", "test-logs", ARCH), exist_ok=True)
        log = open(os.path.join("build", "test-logs", ARCH, log_name + ".log"), "w")
    c = pc.Console(pc.qemu_command(ARCH, mem), log=log)
    if "Pagoda on " + ARCH not in c.boot_log:
        c.close()
        raise AssertionError("booted the wrong kernel for %s:\n%s" % (ARCH, c.boot_log[-500:]))
    return c


# ---- parsing what the shell prints -------------------------------------

def meminfo(c):
    lines = c.run("meminfo")
    info = {"segments": []}
    for line in lines:
        m = re.fullmatch(r"total pages: (\d+)", line)
        if m:
            info["total"] = int(m.group(1))
        m = re.fullmatch(r"free pages: (\d+)", line)
        if m:
            info["free"] = int(m.group(1))
        m = re.fullmatch(r"(page-table pages|mapped 4K pages|mapped 2M pages|mapped 1G pages): (\d+)",
                         line)
        if m:
            info[m.group(1)] = int(m.group(2))
        m = re.match(r"seg(\d+) (0x[0-9a-f]+)-(0x[0-9a-f]+) pages (\d+) free (\d+)", line)
        if m:
            info["segments"].append(tuple(int(g, 0) for g in m.groups()))
    assert "total" in info and "free" in info, "meminfo lacks its contract lines: %r" % lines
    return info


def buddy_rows(lines):
    """The contract rows of buddy's answer: the header, a row per segment and
    the "all" row. Returns (name -> free blocks per order, the lines after)."""
    assert lines[0] == "order 0 1 2 3 4 5 6 7 8", "bad buddy header %r" % lines[0]
    rows = {}
    for i, line in enumerate(lines[1:], 1):
        words = line.split()
        assert len(words) == 10 and re.fullmatch(r"seg\d+|all", words[0]), \
            "bad buddy row %r" % line
        rows[words[0]] = [int(w) for w in words[1:]]
        if words[0] == "all":
            return rows, lines[i + 1:]
    raise AssertionError("buddy has no 'all' row: %r" % lines)


def buddy(c):
    return buddy_rows(c.run("buddy"))[0]


def free_lists(c):
    """(segment, order) -> the addresses on that free list, head first."""
    lists = {}
    current = None
    for line in c.run("buddy -v"):
        m = re.match(r"\s+seg(\d+) order (\d+) \([^)]*\):(.*)", line)
        if m:
            current = (int(m.group(1)), int(m.group(2)))
            lists[current] = []
            line = m.group(3)
        if current:
            lists[current] += [int(a, 16) for a in re.findall(r"0x([0-9a-f]+)", line)]
    return lists


def free_list_heads(c):
    """(segment, order) -> address at the head of that free list."""
    return {key: addrs[0] for key, addrs in free_lists(c).items() if addrs}


def order_of(pages):
    return max(0, (pages - 1).bit_length())


def predict_contiguous(heads, segments, pages):
    """The documented policy: the head of the smallest non-empty list of a
    sufficient order, segments tried in order."""
    for order in range(order_of(pages), MAX_ORDER + 1):
        for seg in range(segments):
            if (seg, order) in heads:
                return heads[(seg, order)]
    return None


PROGRESS = re.compile(r"\w+: \d+ of \d+ done \(\d+%\); Ctrl-C abandons it")


def single(lines):
    """The one line of an answer. A command that runs longer than half a
    second (a slow machine, a large memory) may print progress lines first."""
    lines = [line for line in lines if not PROGRESS.fullmatch(line)]
    assert len(lines) == 1, "expected one line, got %r" % lines
    return lines[0]


def expect_error(c, line):
    out = c.run(line)
    assert len(out) == 1 and out[0].startswith("error: "), \
        "%r should give one 'error: ' line, got %r" % (line, out)
    return out[0]


def alloc(c, pages):
    line = single(c.run("alloc %d" % pages))
    m = re.fullmatch(r"allocated (\d+) pages at 0x([0-9a-f]+)", line)
    assert m and int(m.group(1)) == pages, "bad alloc answer %r" % line
    return int(m.group(2), 16)


def state(c):
    """Everything a student sees of the page manager, except the order of
    blocks within a free list (which depends on the order of frees)."""
    blocks = {key: sorted(addrs) for key, addrs in free_lists(c).items()}
    return meminfo(c), buddy(c), blocks


# ---- the tests -----------------------------------------------------------

@test
def boots_to_prompt_with_memory_from_device_tree():
    with boot(log_name="boot") as c:
        log = "\n".join(pc.clean_lines(c.boot_log))
        assert "memory map:" in log and "page manager:" in log, log
        info = meminfo(c)
        # At boot only the kernel's page tables are allocated.
        assert info["free"] == info["total"] - info["page-table pages"] > 0, info
        assert info["page-table pages"] > 0 and info["mapped 4K pages"] > 0
        assert sum(s[3] for s in info["segments"]) == info["total"]
        # Segments lie inside RAM and do not overlap the reserved ranges.
        ram = [tuple(int(x, 16) for x in m) for m in
               re.findall(r"ram\s+0x([0-9a-f]+)-0x([0-9a-f]+)", log)]
        reserved = [tuple(int(x, 16) for x in m) for m in
                    re.findall(r"reserved\s+0x([0-9a-f]+)-0x([0-9a-f]+)", log)]
        assert ram and reserved, log
        for _, start, end, *_ in info["segments"]:
            assert any(r0 <= start and end <= r1 for r0, r1 in ram), (start, end, ram)
            for r0, r1 in reserved:
                assert end <= r0 or start >= r1, ("overlaps reserved", start, end, r0, r1)
        assert "check: ok" == single(c.run("check"))
        assert c.poweroff() == 0


@test
def help_lists_every_command():
    with boot() as c:
        text = c.run_text("help")
        for name in ["help", "alloc", "free", "show", "meminfo", "buddy", "check", "dot",
                     "poweroff"]:
            assert re.search(r"^\s*%s\b" % name, text, re.M), "help lacks " + name
        assert "usage: alloc" in expect_error(c, "alloc")


@test
def alloc_follows_the_documented_policy_and_free_restores():
    with boot() as c:
        before = state(c)
        nseg = len(before[0]["segments"])
        live = []
        for pages in [3, 1, 5, 16, 100, 256, 2, 7]:
            heads = free_list_heads(c)
            free = meminfo(c)["free"]
            addr = alloc(c, pages)
            assert addr == predict_contiguous(heads, nseg, pages), \
                "alloc %d gave 0x%x, policy says 0x%x" % (
                    pages, addr, predict_contiguous(heads, nseg, pages))
            assert addr % (PAGE << order_of(pages)) == 0, "unaligned block"
            assert meminfo(c)["free"] == free - pages, "exact length: costs %d" % pages
            live.append((addr, pages))
        assert single(c.run("check")) == "check: ok"
        for addr, pages in reversed(live):
            assert single(c.run("free 0x%x" % addr)) == "freed %d pages at 0x%x" % (pages, addr)
        assert state(c) == before, "freeing everything did not restore the buddy state"


@test
def large_request_takes_a_run():
    with boot() as c:
        free = meminfo(c)["free"]
        addr = alloc(c, 300)
        assert meminfo(c)["free"] == free - 300
        assert single(c.run("check")) == "check: ok"
        assert single(c.run("free 0x%x" % addr)) == "freed 300 pages at 0x%x" % addr
        assert meminfo(c)["free"] == free


def longest_free_run(c, segment=None):
    """The longest run of adjacent free pages (in @segment, or anywhere),
    from `buddy -v`'s lists (computed here, independently of the kernel's
    own answer). Segments never touch, so runs never cross one."""
    blocks = sorted((addr, PAGE << order) for (seg, order), addrs in free_lists(c).items()
                    for addr in addrs if segment is None or seg == segment)
    longest = run = 0
    end = None
    for addr, size in blocks:
        run = run + size if addr == end else size
        end = addr + size
        longest = max(longest, run)
    return longest // PAGE


def unusable_index(counts, order):
    """Gorman's unusable free space index, in thousandths rounded down, from
    free-block counts per order (1000 with nothing free, as buddy says)."""
    free = sum(n << k for k, n in enumerate(counts))
    usable = sum(n << k for k, n in enumerate(counts) if k >= order)
    return 1000 if free == 0 else (free - usable) * 1000 // free


def fragmentation(c):
    """buddy's lines after its contract rows, checked against the rows of the
    same answer and against `buddy -v`'s lists: (index per order in
    thousandths, longest free run per segment)."""
    rows, rest = buddy_rows(c.run("buddy"))
    nseg = len(rows) - 1
    assert len(rest) == 1 + nseg, "buddy: an unusable row and a run per segment: %r" % rest
    words = rest[0].split()
    assert words[0] == "unusable" and len(words) == MAX_ORDER + 2, rest[0]
    index = []
    for order, word in enumerate(words[1:]):
        assert re.fullmatch(r"[01]\.\d{3}", word), rest[0]
        shown = int(word.replace(".", ""))
        assert shown == unusable_index(rows["all"], order), \
            "order %d: buddy says %s, its own rows give %d/1000: %r" % (
                order, word, unusable_index(rows["all"], order), rows["all"])
        index.append(shown)
    runs = []
    for i, line in enumerate(rest[1:]):
        m = re.fullmatch(r"longest free run: seg%d (\d+) pages?" % i, line)
        assert m, line
        runs.append(int(m.group(1)))
        assert runs[i] == longest_free_run(c, i), (line, longest_free_run(c, i))
    return index, runs


@test
def out_of_memory_says_why():
    # Regression: with pages free but no run long enough, alloc blamed a
    # lack of free memory.
    with boot() as c:
        taken = []
        while True:
            m = re.fullmatch(r"allocated 256 pages at 0x([0-9a-f]+)", single(c.run("alloc 256")))
            if not m:
                break
            taken.append(int(m.group(1), 16))
        rest = meminfo(c)["free"]
        if rest:
            c.run("alloc %d scattered" % rest)
        for addr in taken[::2]:
            c.run("free 0x%x" % addr)
        free = meminfo(c)["free"]
        longest = longest_free_run(c)
        assert free > longest >= 256, (free, longest)
        for n in (free, longest + 1):
            line = expect_error(c, "alloc %d" % n)
            assert line == "error: cannot allocate %d pages: no run of %d contiguous free pages " \
                "(longest: %d)" % (n, n, longest), line
        line = expect_error(c, "alloc %d" % (free + 1))
        assert line == "error: cannot allocate %d pages: not enough free memory (%d pages free)" % (
            free + 1, free), line
        line = expect_error(c, "alloc %d scattered" % (free + 1))
        assert "not enough free memory (%d pages free)" % free in line, line
        assert meminfo(c)["free"] == free
        assert single(c.run("check")) == "check: ok"


@test
def buddy_shows_fragmentation():
    with boot() as c:
        before = state(c)
        index, runs = fragmentation(c)
        assert index == sorted(index), "a larger order cannot be easier to serve: %r" % index
        assert max(runs) > 256, runs
        # Fill memory: nothing free, so nothing can be served (1.000).
        taken = []
        while True:
            m = re.fullmatch(r"allocated 256 pages at 0x([0-9a-f]+)", single(c.run("alloc 256")))
            if not m:
                break
            taken.append(int(m.group(1), 16))
        rest = meminfo(c)["free"]
        if rest:
            c.run("alloc %d scattered" % rest)
        assert meminfo(c)["free"] == 0
        assert fragmentation(c) == ([1000] * (MAX_ORDER + 1), [0] * len(runs))
        # Eight whole 1 MiB blocks free: every free page serves any order.
        some = taken[:8]
        for addr in some:
            c.run("free 0x%x" % addr)
        index, runs = fragmentation(c)
        assert index == [0] * (MAX_ORDER + 1) and max(runs) >= 256, (index, runs)
        # Fragment them: 255 pages of each taken again, one page of each
        # left free. The same 8 pages of free memory, now unusable for
        # anything above one page, and no free run longer than a page.
        for addr in some:
            assert alloc(c, 255) in some
        assert meminfo(c)["free"] == len(some)
        index, runs = fragmentation(c)
        assert index == [0] + [1000] * MAX_ORDER and max(runs) == 1, (index, runs)
        line = expect_error(c, "alloc 2")
        assert line.startswith("error: cannot allocate 2 pages"), line
        for line in c.run("buddy -v"):
            if line.startswith("unusable") or line.startswith("longest"):
                break
        else:
            raise AssertionError("buddy -v lacks the fragmentation lines")
        # Free it all: the indexes are as at the start.
        for addr in some:
            c.run("free 0x%x" % addr)
        for addr in taken[len(some):]:
            c.run("free 0x%x" % addr)
        if rest:
            c.run("free #1")
        assert state(c) == before
        assert single(c.run("check")) == "check: ok"


def set_pages(lines):
    """The pages `show #<id>` lists: one per line, or runs "A-B (N pages)"."""
    pages = []
    for line in lines[1:]:
        m = re.fullmatch(r"\s+0x([0-9a-f]+)(?:-0x([0-9a-f]+) \((\d+) pages\))?", line)
        assert m, "bad show line %r" % line
        start = int(m.group(1), 16)
        if m.group(2) is None:
            pages.append(start)
            continue
        end, n = int(m.group(2), 16), int(m.group(3))
        assert end - start == n * PAGE and n > 1, line
        pages += range(start, end, PAGE)
    return pages


@test
def scattered_sets_show_and_free():
    with boot() as c:
        before = state(c)
        assert single(c.run("alloc 5 scattered")) == "allocated 5 pages as #1"
        assert single(c.run("alloc 2 scattered")) == "allocated 2 pages as #2"
        lines = c.run("show #1")
        assert lines[0] == "#1: 5 pages", lines
        pages = set_pages(lines)
        assert len(pages) == 5 and len(set(pages)) == 5, lines
        assert all(p % PAGE == 0 for p in pages)
        assert meminfo(c)["free"] == before[0]["free"] - 7
        err = expect_error(c, "free 0x%x" % pages[0])
        assert "#1" in err, err
        assert single(c.run("free #1")) == "freed 5 pages of #1"
        expect_error(c, "free #1")
        expect_error(c, "show #1")
        assert single(c.run("free #2")) == "freed 2 pages of #2"
        assert state(c) == before
        # A large set lists in runs: short, and every page in it.
        assert single(c.run("alloc 30000 scattered")) == "allocated 30000 pages as #3"
        lines = c.run("show #3")
        pages = set_pages(lines)
        assert len(lines) < 200 and len(pages) == 30000 == len(set(pages)), len(lines)
        assert single(c.run("free #3")) == "freed 30000 pages of #3"


@test
def harmonyos_example_returns_to_start():
    """0x4000 bytes contiguous, the same scattered, one page; free all three."""
    with boot() as c:
        start = meminfo(c)["free"]
        addr = alloc(c, 0x4000 // PAGE)
        assert single(c.run("alloc 0x4 scattered")).startswith("allocated 4 pages as #")
        one = single(c.run("alloc page"))
        m = re.fullmatch(r"allocated 1 pages at 0x([0-9a-f]+)", one)
        assert m, one
        assert meminfo(c)["free"] == start - 9
        assert single(c.run("free 0x%x" % addr)) == "freed 4 pages at 0x%x" % addr
        assert single(c.run("free #1")) == "freed 4 pages of #1"
        assert single(c.run("free 0x" + m.group(1))) == "freed 1 pages at 0x" + m.group(1)
        assert meminfo(c)["free"] == start
        assert single(c.run("check")) == "check: ok"


@test
def buddy_rows_add_up():
    with boot() as c:
        alloc(c, 3)
        c.run("alloc 9 scattered")
        rows = buddy(c)
        info = meminfo(c)
        segs = [k for k in rows if k != "all"]
        assert segs == ["seg%d" % i for i in range(len(info["segments"]))], segs
        for order in range(MAX_ORDER + 1):
            assert rows["all"][order] == sum(rows[s][order] for s in segs)
        for i, s in enumerate(segs):
            pages = sum(n << order for order, n in enumerate(rows[s]))
            assert pages == info["segments"][i][4], (s, pages, info["segments"][i])
        assert sum(n << o for o, n in enumerate(rows["all"])) == info["free"]


BAD_INPUTS = [
    "alloc", "alloc 0", "alloc -1", "alloc abc", "alloc 0x", "alloc 3x", "alloc 0xg",
    "alloc 99999999999999999999999", "alloc 100000000", "alloc 3 sideways",
    "alloc 1 2 3", "alloc page 2", "alloc 18446744073709551615", "alloc 3 contiguous",
    "free", "free 0x0", "free 0x1", "free 0xffffffffffffffff", "free #0", "free #99",
    "free #x", "free #", "free 0xzz", "free 12 13", "show", "show #7", "show #",
    "show 0x1", "foo", "ALLOC 3", "dot", "dot nothing", "dot buddy extra", "dot buddy frag x",
    "dot frag", "dot buddy Frag", "dot layout extra", "dot Layout",
    "buddy -x", "buddy -v -v", "meminfo extra", "check now", "poweroff now",
    "help nonsense", "a b c d e f g h i j",
]


@test
def bad_input_gives_one_error_line_and_changes_nothing():
    with boot(log_name="bad_input") as c:
        addr = alloc(c, 3)
        before = state(c), c.run("buddy -v")  # even list order must not move
        for line in BAD_INPUTS + ["free 0x%x" % (addr + PAGE), "free 0x%x" % (addr + 1),
                                  "free 0x%x" % (addr + 3 * PAGE)]:
            expect_error(c, line)
        assert (state(c), c.run("buddy -v")) == before
        assert single(c.run("free 0x%x" % addr)) == "freed 3 pages at 0x%x" % addr
        expect_error(c, "free 0x%x" % addr)  # double free
        assert single(c.run("check")) == "check: ok"


# Each command with one word too few and one too many (the shell checks the
# count from the command table before the command runs).
WRONG_COUNTS = [
    "help a b", "alloc", "alloc 1 scattered x", "free", "free #1 #2", "show", "show a b",
    "meminfo x", "buddy -v x", "check x", "map 0x2000000000", "map 0x2000000000 1 auto r x",
    "unmap 0x2000000000", "unmap 0x2000000000 1 2", "vtop", "vtop 0x0 1", "pt 0x0 1",
    "peek", "peek 0x0 1", "poke 0x0", "poke 0x0 1 2", "exec", "exec 0x0 1", "kmalloc",
    "kmalloc 8 1 2", "kfree", "kfree 0x0 1", "allocators x", "dot", "dot pt 0x0 x",
    "stress", "stress 1 2 3", "poison on x", "break x", "poweroff x",
]


@test
def wrong_word_counts_give_the_usage_line():
    with boot() as c:
        before = state(c)
        help_text = c.run_text("help")
        for line in WRONG_COUNTS:
            name = line.split()[0]
            m = re.search(r"^  %s ?(.*)$" % name, help_text, re.M)
            assert m, "help lacks " + name
            usage = m.group(1).strip()
            want = "error: usage: %s %s" % (name, usage) if usage else \
                "error: usage: %s (takes no arguments)" % name
            assert expect_error(c, line) == want, (line, want)
        assert state(c) == before


@test
def overlong_lines_are_refused():
    with boot() as c:
        before = meminfo(c)
        ok_line = "meminfo" + " " * (256 - len("meminfo"))
        assert "total pages: %d" % before["total"] in c.run(ok_line)
        assert "line too long" in expect_error(c, "alloc 1" + " " * 250)
        expect_error(c, "x" * 5000)
        assert meminfo(c) == before


@test
def line_editing_keys():
    def typed(c, keys):
        """Send raw keys (ending in Enter or Ctrl-C); the answer's lines."""
        c.send(keys)
        return pc.clean_lines(c.expect_prompt())

    with boot() as c:
        before = meminfo(c)
        # Backspace (DEL and ^H) edits the line before it runs.
        out = typed(c, "memxx\x7f\x08info\r")
        assert "free pages: %d" % before["free"] in out, out
        # Ctrl-U erases the line; Ctrl-C abandons it: nothing is allocated.
        out = typed(c, "alloc 7\x15meminfo\r")
        assert "free pages: %d" % before["free"] in out, out
        out = typed(c, "alloc 7\x03")
        assert out[-1].endswith("^C"), out
        assert meminfo(c)["free"] == before["free"]
        # Up recalls the last line (meminfo); Up Up Down as well.
        c.run("check")
        out = typed(c, "\x1b[A\x1b[A\r")
        assert "free pages: %d" % before["free"] in out, out
        out = typed(c, "\x1b[A\x1b[A\x1b[B\r")
        assert "free pages: %d" % before["free"] in out, out
        # Esc then Enter is still Enter (Esc then a letter is Alt-letter:
        # tests/shell/test_line.py).
        assert typed(c, "check\x1b\r")[-1] == "check: ok"
        assert single(c.run("check")) == "check: ok"


def render(dot_text):
    """Run Graphviz on @dot_text; return its stderr (warnings)."""
    proc = subprocess.run(["dot", "-Tsvg", "-o", os.devnull], input=dot_text,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stderr


def svg_of(dot_text):
    """@dot_text rendered by Graphviz to SVG, as text."""
    proc = subprocess.run(["dot", "-Tsvg"], input=dot_text, capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    return proc.stdout


def svg_width_px(svg):
    """The width a browser shows @svg at: Graphviz gives points, 96 px per 72 pt."""
    return int(re.search(r'<svg width="(\d+)pt"', svg).group(1)) * 96 // 72


def legend_names_every_fill(graph):
    """Assert the legend of @graph has a row for each fill colour its nodes
    use, and only those, each row saying something; return the colours."""
    fills = set(re.findall(r'fillcolor="?([^",\]]+)"?', graph))
    legend = re.search(r"^  legend \[.*?^  </table>>\];$", graph, re.S | re.M)
    assert legend, "no legend in " + graph[-500:]
    rows = re.findall(r'<td bgcolor="([^"]+)"[^>]*></td><td align="left">([^<]*)</td>',
                      legend.group(0))
    named = [colour for colour, meaning in rows]
    assert all(meaning.strip() for colour, meaning in rows), rows
    assert len(named) == len(set(named)), "a colour twice: %r" % named
    assert set(named) == fills, "legend %r, nodes use %r" % (sorted(named), sorted(fills))
    return fills


@test
def dot_buddy_is_valid_graphviz():
    with boot() as c:
        fresh = c.run_text("dot buddy")
        graphs = pc.dot_blocks(fresh)
        assert len(graphs) == 1 and graphs[0] == fresh, "only the digraph is printed"
        assert render(graphs[0]) == ""
        assert re.search(r'label="\d+ x 1 MiB free', graphs[0]), "untouched blocks are folded"
        addr = alloc(c, 3)
        c.run("alloc 2 scattered")
        graph = pc.dot_blocks(c.run_text("dot buddy"))[0]
        assert render(graph) == ""
        assert legend_names_every_fill(graph) >= {"salmon", "palegreen", "gold", "lightcyan"}
        assert "order 1\\nallocated\\n0x%x\\n3 pages\\nat 0x%x" % (addr, addr) in graph, \
            graph[:2000]
        assert "order 2\\nsplit\\n0x%x" % addr in graph


@test
def dot_buddy_frag_colours_by_order():
    with boot() as c:
        alloc(c, 3)
        c.run("alloc 2 scattered")
        rows = buddy(c)
        text = c.run_text("dot buddy frag")
        graphs = pc.dot_blocks(text)
        assert len(graphs) == 1 and graphs[0] == text, "only the digraph is printed"
        graph = graphs[0]
        assert render(graph) == ""
        # Each free block in the colour of its order, 4 KiB red .. 1 MiB green.
        free = re.findall(r'fillcolor="/rdylgn9/(\d)", label="order (\d)\\nfree', graph)
        assert free and all(int(col) == int(order) + 1 for col, order in free), free
        folded = re.findall(r'fillcolor="/rdylgn9/(\d)", shape=box3d, label="\d+ x 1 MiB free',
                            graph)
        assert folded and set(folded) == {"9"}, folded
        fills = legend_names_every_fill(graph)
        assert "/rdylgn9/9" in fills and "white" in fills and "palegreen" not in fills, fills
        assert '<td bgcolor="/rdylgn9/9" width="20"></td><td align="left">free order 8 (1M)' \
            in graph
        # Each segment states its index for 1 MiB and its longest free run.
        for i in range(len(rows) - 1):
            # Segments in a colour no block has; the label states the index.
            m = re.search(r'seg%d \[shape=folder, fillcolor="lightcyan", label="[^"]*'
                          r'unusable for\\n1 MiB: (\d)\.(\d{3})\\nlongest free run:\\n(\d+) '
                          r'pages?"' % i, graph)
            assert m, graph[:3000]
            index = int(m.group(1) + m.group(2))
            assert index == unusable_index(rows["seg%d" % i], MAX_ORDER), (i, index)
            assert int(m.group(3)) == longest_free_run(c, i)
        # Plain dot buddy keeps its colours.
        plain = c.run_text("dot buddy")
        assert "rdylgn" not in plain and "palegreen" in legend_names_every_fill(plain)


@test
def snapshot_renders_every_dot_to_svg_and_png():
    out = os.path.join("build", "test-snapshots", ARCH)
    proc = subprocess.run([sys.executable, "tools/snapshot.py", "--arch", ARCH, "--out", out,
                           "alloc 3; kmalloc 100; map 0x2000000000 1; dot buddy; dot pt; dot alloc"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for name in ("01-dot-buddy", "02-dot-pt", "03-dot-alloc"):
        with open(os.path.join(out, name + ".png"), "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", name
        with open(os.path.join(out, name + ".svg")) as f:
            assert "<svg" in f.read(), name
    with open(os.path.join(out, "transcript.txt")) as f:
        assert "pagoda> alloc 3" in f.read()
    # A second run with one picture leaves no picture of the first behind.
    proc = subprocess.run([sys.executable, "tools/snapshot.py", "--arch", ARCH, "--out", out,
                           "dot pt"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sorted(os.listdir(out)) == ["01-dot-pt.dot", "01-dot-pt.png", "01-dot-pt.svg",
                                       "transcript.txt"], os.listdir(out)


@test
def snapshot_ends_in_one_line_when_a_command_stops_it():
    """A command that powers off, or outlasts --timeout: one line, no
    traceback, the pictures and transcript so far kept. CMDS through make
    reaches the console verbatim ($HOME and backticks are not the shell's)."""
    out = os.path.join("build", "test-snapshots", ARCH + "-stopped")
    run = [sys.executable, "tools/snapshot.py", "--arch", ARCH, "--out", out]
    proc = subprocess.run(run + ["dot buddy; poweroff; dot buddy"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == ["error: the kernel stopped at `poweroff`; 1 command "
                                        "after it did not run (1 picture kept)"], proc.stderr
    assert os.path.isfile(os.path.join(out, "01-dot-buddy.svg")), os.listdir(out)
    with open(os.path.join(out, "transcript.txt")) as f:
        lines = f.read().splitlines()
    assert lines[lines.index("pagoda> poweroff") + 1] == "powering off", lines[-3:]
    assert "pagoda> dot buddy" not in lines[lines.index("pagoda> poweroff"):], lines[-3:]
    proc = subprocess.run(run + ["--timeout", "1", "stress 300000 1; dot buddy"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and proc.stderr.splitlines() == [
        "error: `stress 300000 1` gave no prompt within 1 s (--timeout); 1 command after it "
        "did not run (0 pictures kept)"], proc.stdout + proc.stderr
    proc = subprocess.run(["make", "--no-print-directory", "-s", "snapshot", "ARCH=" + ARCH,
                           "CMDS=help $HOME; kmalloc `id`"], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join("build", "snapshots", "transcript.txt")) as f:
        typed = [l for l in f.read().splitlines() if l.startswith("pagoda> ")]
    assert typed == ["pagoda> help $HOME", "pagoda> kmalloc `id`"], typed


@test
def big_memory_still_readable():
    with boot(mem="1G") as c:
        info = meminfo(c)
        assert info["total"] > 250000, info
        alloc(c, 3)
        graph = pc.dot_blocks(c.run_text("dot buddy"))[0]
        assert render(graph) == ""
        nodes = len(re.findall(r"\[", graph))
        assert nodes < 100, "dot buddy has %d nodes at 1G" % nodes
        assert single(c.run("check")) == "check: ok"


def interrupt(c, line):
    """Type @line and, once the shell has taken it, Ctrl-C: the command's
    progress handler finds the key at its first look (after 1024 pages),
    however fast the machine. Return the lines printed."""
    c.send(line + "\r")
    c.expect(re.escape(line) + r"\r*\n")
    c.send("\x03")
    out = pc.clean_lines(c.expect_prompt(timeout=120))
    assert "^C" in out, out
    return out


@test
def poweroff_exits_qemu_with_status_0():
    with boot() as c:
        c.send("poweroff\r")
        assert c.wait_exit() == 0


def main():
    return tap.main(TESTS, __doc__, sys.modules[__name__])


if __name__ == "__main__":
    sys.exit(main())
