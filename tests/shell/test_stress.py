#!/usr/bin/env python3
"""The kernel's own stress command, on either architecture, at 128M and 4G.

`stress` runs a seeded random mix of every memory operation inside the
kernel with a full check every 1,000 operations; here it must say
`stress: ok` and leave meminfo and the allocator list exactly as it found
them, and bad arguments must change nothing.

Usage: test_stress.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import tap  # noqa: E402
import test_shell as shell  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def stress(c, ops, seed=None):
    line = "stress %d" % ops + ("" if seed is None else " %d" % seed)
    out = c.run(line, timeout=300)
    assert re.fullmatch(r"stress: %d operations, seed (\d+) \(replay: stress %d \1\)" % (ops, ops),
                        out[0]), out
    stats = [x for x in out if re.match(r"stress: \d+ operations? in ", x)]
    assert len(stats) == 1, out
    m = re.fullmatch(r"stress: (\d+) operations? in \d+\.\d{3} s \(\d+ ops/s\), peak (\d+) pages "
                     r"in use, (\d+) checks?", stats[0])
    assert m and int(m.group(1)) == ops, stats
    assert int(m.group(3)) == ops // 1000 + 1, stats
    assert out[-1] == "stress: ok", out
    return int(m.group(2))


def run_at(mem, ops):
    with shell.boot(mem=mem) as c:
        # Something held before the run must survive it untouched.
        shell.alloc(c, 3)
        c.run("kmalloc 100")
        c.run("map 0x2000000000 2")
        before = shell.meminfo(c), c.run("allocators"), c.run("pt")
        peak = stress(c, ops, seed=12345)
        assert peak > before[0]["total"] - before[0]["free"], "stress allocated nothing"
        assert (shell.meminfo(c), c.run("allocators"), c.run("pt")) == before
        stress(c, 1500)  # a seed of the kernel's choosing
        assert (shell.meminfo(c), c.run("allocators"), c.run("pt")) == before
        assert shell.single(c.run("check")) == "check: ok"


@test
def stress_at_128m_returns_everything():
    run_at("128M", 10000)


@test
def stress_at_4g_returns_everything():
    run_at("4G", 4000)


@test
def ctrl_c_stops_stress_and_everything_comes_back():
    with shell.boot() as c:
        c.run("kmalloc 300")
        before = shell.meminfo(c), c.run("allocators"), c.run("pt")
        out = shell.interrupt(c, "stress 10000000 9")
        assert re.fullmatch(r"error: stress interrupted after \d+ of 10000000 operations; all it "
                            r"held is back", out[-1]), out
        assert (shell.meminfo(c), c.run("allocators"), c.run("pt")) == before
        assert shell.single(c.run("check")) == "check: ok"


@test
def stress_refuses_bad_arguments():
    with shell.boot() as c:
        before = shell.meminfo(c)
        for line in ("stress", "stress 0", "stress -1", "stress x", "stress 10 x",
                     "stress 999999999999", "stress 1 2 3"):
            shell.expect_error(c, line)
        assert shell.meminfo(c) == before


def main():
    return tap.main(TESTS, __doc__, shell)  # shell.boot() reads shell.ARCH


if __name__ == "__main__":
    sys.exit(main())
