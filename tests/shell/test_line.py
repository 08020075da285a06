#!/usr/bin/env python3
"""The line editor's keys, typed into the real kernel as a terminal sends them.

Each test types escape sequences and control keys over the serial console,
then checks two things: the command that ran (its answer), and what a plain
VT100 would show for the echoed line (the echo is replayed on a tiny screen
model: printable bytes overwrite, '\\b' moves left, CR/LF as a terminal).

Usage: test_line.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import pagoda_console as pc  # noqa: E402
import tap  # noqa: E402
import test_shell as shell  # noqa: E402

TESTS = []
ARCH = "riscv64"
ESC = "\x1b"
LEFT, RIGHT, UP = ESC + "[D", ESC + "[C", ESC + "[A"
# Ctrl-A is QEMU's console escape (-nographic): Ctrl-A Ctrl-A sends one.
HOMES = [ESC + "[H", ESC + "[1~", ESC + "[7~", ESC + "OH", "\x01\x01"]
ENDS = [ESC + "[F", ESC + "[4~", ESC + "[8~", ESC + "OF", "\x05"]
LEFTS = [LEFT, ESC + "OD", "\x02"]
RIGHTS = [RIGHT, ESC + "OC", "\x06"]
DELETE = ESC + "[3~"


def test(fn):
    TESTS.append(fn)
    return fn


def screen(text):
    """The rows a VT100 shows after @text (no wrapping, no scrolling)."""
    rows, row, col = [[]], 0, 0
    i = 0
    while i < len(text):
        ch = text[i]
        m = re.match(r"\x1b\[([0-9;]*)([A-Za-z])", text[i:])
        if m:
            n = int(m.group(1) or 1) if m.group(1).isdigit() else 1
            if m.group(2) == "C":
                col += n
            elif m.group(2) == "D":
                col = max(0, col - n)
            elif m.group(2) == "K":
                del rows[row][col:]
            i += m.end()
            continue
        if ch == "\r":
            col = 0
        elif ch == "\n":
            row += 1
            if row == len(rows):
                rows.append([])
        elif ch == "\b":
            col = max(0, col - 1)
        elif ch >= " ":
            line = rows[row]
            line.extend(" " * (col + 1 - len(line)))
            line[col] = ch
            col += 1
        i += 1
    return ["".join(r).rstrip() for r in rows]


def typed(c, keys):
    """Type @keys (ending in Enter) at the prompt. Return (the echoed line as
    the screen shows it, the answer's lines)."""
    c.send(keys)
    rows = screen(c.expect_prompt())
    return rows[0], [r for r in rows[1:] if r]


def runs(c, keys, line, answer):
    """Typing @keys must show @line and run it: its answer matches @answer."""
    echo, out = typed(c, keys)
    assert echo == line, "keys %r showed %r, not %r" % (keys, echo, line)
    assert out and re.fullmatch(answer, out[0]), "keys %r: answer %r" % (keys, out)


@test
def cursor_keys_edit_in_the_middle_of_the_line():
    with shell.boot() as c:
        # The example: Left, Left, Backspace, c.
        runs(c, "allod 3" + LEFT + LEFT + "\x7fc\r", "alloc 3",
             r"allocated 3 pages at 0x[0-9a-f]+")
        for left in LEFTS:  # insert in the middle
            runs(c, "meinfo" + left * 4 + "m\r", "meminfo", r"total pages: \d+")
        for home in HOMES:
            runs(c, "heck" + home + "c\r", "check", "check: ok")
        for end in ENDS:
            runs(c, "chec" + HOMES[0] + end + "k\r", "check", "check: ok")
        for right in RIGHTS:  # Delete under the cursor
            runs(c, "cxheck" + HOMES[0] + right + DELETE + "\r", "check", "check: ok")
        # Backspace at the start and Delete at the end change nothing.
        runs(c, "check" + HOMES[0] + "\x7f" + ENDS[0] + DELETE + "\r", "check", "check: ok")
        # History recalls a line, which can then be edited.
        runs(c, UP + LEFT * 2 + "\x08\x08" + "7" + "\r", "c7ck", "error: unknown command 'c7ck'.*")
        assert shell.single(c.run("alloc 15")).startswith("allocated 15 pages")
        runs(c, UP + LEFT + "\x7f\r", "alloc 5", r"allocated 5 pages at 0x[0-9a-f]+")
        assert shell.single(c.run("check")) == "check: ok"


@test
def unknown_sequences_insert_nothing():
    with shell.boot() as c:
        junk = [ESC + "[1;5C", ESC + "[1;2A", ESC + "x", ESC + "[15~", ESC + "OP",
                ESC + "[?1;2c", ESC + "[1;3D", ESC + ESC + "[Z", "\x1d", "\x9b"]
        for seq in junk:
            runs(c, "che" + seq + "ck\r", "check", "check: ok")
        # Esc then Enter is Enter; Enter inside a broken sequence is Enter.
        assert typed(c, "check" + ESC + "\r")[1] == ["check: ok"]
        assert typed(c, "check" + ESC + "[1;\r")[1] == ["check: ok"]
        before = shell.meminfo(c)["free"]
        assert shell.meminfo(c)["free"] == before


@test
def tab_completes_commands_and_set_ids():
    with shell.boot() as c:
        runs(c, "mem\t\r", "meminfo", r"total pages: \d+")
        runs(c, "bu\t-v\r", "buddy -v", "order 0 1 2 3 4 5 6 7 8")
        # "a" is alloc or allocators: the first Tab adds "lloc", the second
        # lists both and draws the prompt and the line again.
        c.send("a\t\t")
        listing = screen(c.expect_prompt())
        assert listing[0] == "alloc", listing
        assert listing[1].split() == ["alloc", "allocators"], listing
        runs(c, " 2 scattered\r", "alloc 2 scattered", "allocated 2 pages as #1")
        # One live set: # completes to it.
        runs(c, "show #\t\r", "show #1", r"#1: 2 pages")
        runs(c, "free #\t\r", "free #1", r"freed 2 pages of #1")
        # Two sets: the second Tab lists them.
        c.run("alloc 1 scattered")
        c.run("alloc 3 scattered")
        c.send("free #\t\t")
        listing = screen(c.expect_prompt())
        assert sorted(listing[1].split()) == ["#2", "#3"], listing
        runs(c, "3\r", "free #3", r"freed 3 pages of #3")
        # Nothing to complete in an argument: Tab inserts nothing.
        runs(c, "alloc 1\t\r", "alloc 1", r"allocated 1 pages at 0x[0-9a-f]+")
        runs(c, "free #9\t #2\r", "free #9 #2", r"error: .*")
        runs(c, "free #2\r", "free #2", r"freed 1 pages of #2")
        assert shell.single(c.run("check")) == "check: ok"


@test
def full_lines_keep_their_limit_while_editing():
    with shell.boot() as c:
        # A line past the limit echoes, and Backspace brings it back.
        runs(c, "check" + "x" * 300 + "\x7f" * 300 + "\r", "check", "check: ok")
        # A full line takes no insertion in its middle.
        full = "check " + "x" * (256 - 6)
        runs(c, full + HOMES[0] + "zz" + ENDS[0] + "\x7f" * 251 + "\r", "check",
             "check: ok")
        out = typed(c, full + "y\r")[1]
        assert out == ["error: line too long (at most 256 characters)"], out
        # Keys that would move into an over-long line are ignored.
        echo, out = typed(c, full + "yyy" + LEFT + HOMES[0] + "\x7f\x7f\r")
        assert out == ["error: line too long (at most 256 characters)"], out


def main():
    return tap.main(TESTS, __doc__, shell)


if __name__ == "__main__":
    sys.exit(main())
