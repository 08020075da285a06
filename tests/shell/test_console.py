#!/usr/bin/env python3
"""Console input by interrupt: nothing typed is lost (issue 19).

Each test pastes input in ONE write, as a terminal does when text is
pasted, and checks that every command in it runs, in order: typed at the
prompt, typed ahead while a long command runs, with Ctrl-C in the middle,
and far more than the console's ring holds (then exactly one
`error: input lost:` line, and no command made of a damaged line).

Usage: test_console.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import pagoda_console as pc  # noqa: E402
import tap  # noqa: E402
import test_shell as shell  # noqa: E402

TESTS = []
RING = 4096  # CONSOLE_RING_SIZE in os/lib/include/console.h


def test(fn):
    TESTS.append(fn)
    return fn


def answers(c, count, timeout=60):
    """The answers to the next @count commands, one list of lines each,
    progress lines left out."""
    out = []
    for _ in range(count):
        lines = pc.clean_lines(c.expect_prompt(timeout))[1:]
        out.append([l for l in lines if not shell.PROGRESS.fullmatch(l)])
    return out


def burst_of_commands(n, first_id):
    """@n commands (a long one first, which reports progress), each with an
    answer of its own, the first set made being #@first_id: (the text to
    paste, the commands, the answer each must give)."""
    lines = ["alloc 3000 scattered"]
    expected = [r"allocated 3000 pages as #%d" % first_id]
    live = first_id
    while len(lines) < n:
        i = len(lines)
        if i % 3 == 1:
            live += 1
            lines.append("alloc %d scattered" % (i % 7 + 1))
            expected.append(r"allocated %d pages as #%d" % (i % 7 + 1, live))
        elif i % 3 == 2:
            lines.append("free #%d" % live)
            expected.append(r"freed %d pages of #%d" % ((i - 1) % 7 + 1, live))
        else:
            lines.append("meminfo")
            expected.append(r"total pages: \d+")
    return "".join(l + "\r" for l in lines), lines, expected


def check_burst(c, n=200, first_id=1):
    """Paste @n commands at once; each must run, in order (the first set
    allocated is #@first_id)."""
    text, lines, expected = burst_of_commands(n, first_id)
    c.send(text)
    got = answers(c, n)
    for i, (line, want, out) in enumerate(zip(lines, expected, got)):
        assert out and re.fullmatch(want, out[0]), \
            "command %d `%s`: answer %r, not /%s/" % (i + 1, line, out[:2], want)
    # What the burst left allocated: its first set, and its last if the
    # burst ends on an alloc; freeing them gives back the state before it.
    left = {int(m.group(2)): int(m.group(1)) for want in expected
            for m in [re.fullmatch(r"allocated (\d+) pages as #(\d+)", want)] if m}
    for want in expected:
        m = re.fullmatch(r"freed (\d+) pages of #(\d+)", want)
        if m:
            del left[int(m.group(2))]
    for set_id, pages in sorted(left.items()):
        assert shell.single(c.run("free #%d" % set_id)) == \
            "freed %d pages of #%d" % (pages, set_id)
    assert shell.single(c.run("check")) == "check: ok"


@test
def a_pasted_burst_of_200_commands_runs_every_one_in_order():
    with shell.boot() as c:
        check_burst(c)


@test
def commands_typed_during_a_long_command_run_after_it_in_order():
    with shell.boot() as c:
        c.send("stress 4000 3\rmeminfo\rcheck\r")
        stress, meminfo, check = answers(c, 3)
        assert stress[-1] == "stress: ok", stress
        assert meminfo and re.fullmatch(r"total pages: \d+", meminfo[0]), meminfo
        assert check == ["check: ok"], check


@test
def ctrl_c_stops_a_long_command_at_once_and_keeps_what_was_typed_ahead():
    with shell.boot() as c:
        c.send("stress 1000000 5\rcheck\r")
        c.expect(r"Ctrl-C abandons it", 60)
        sent = time.monotonic()
        c.send("\x03")
        c.expect(r"\^C", 5)
        took = time.monotonic() - sent
        assert took < 1.0, "Ctrl-C took %.2f s to be noticed" % took
        stress = pc.clean_lines(c.expect_prompt(30))
        assert any(l.startswith("error: stress interrupted") for l in stress), stress
        assert answers(c, 1) == [["check: ok"]], "the line typed ahead did not run"
        assert shell.single(c.run("check")) == "check: ok"


@test
def overflow_is_reported_once_and_no_damaged_line_runs():
    with shell.boot() as c:
        # Lines of different lengths, so a line cut anywhere is no command
        # (or not the same one): each intact line answers "check: ok".
        lines = ["check", "check ", " check", "check  "]
        text = "".join(lines[i % 4] + "\r" for i in range(5 * RING // 6))
        # A long command first: the ring fills while it runs.
        c.send("stress 3000 7\r" + text)
        out = pc.clean_lines(c.expect(r"error: input lost: \d+ characters typed too fast",
                                      120))
        rest = pc.clean_lines(c.expect_prompt(30))
        assert not any(rest), "more after the error: %r" % rest
        bad = [l for l in out if l.startswith("error:") or "unknown" in l]
        assert not bad, "a damaged line ran: %r" % bad[:5]
        oks = out.count("check: ok")
        assert RING // 8 < oks < RING // 5, "%d intact lines ran" % oks
        assert "stress: ok" in out, out[:5]
        # The shell works after.
        assert shell.meminfo(c)["free"] > 0
        assert shell.single(c.run("check")) == "check: ok"
        assert c.poweroff() == 0


def main():
    return tap.main(TESTS, __doc__, shell)


if __name__ == "__main__":
    sys.exit(main())
