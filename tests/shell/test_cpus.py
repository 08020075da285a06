#!/usr/bin/env python3
"""Every CPU up (issue 20, first step): `make run SMP=n` starts the other
CPUs, the harts on riscv64 through SBI HSM, the APs of the x86_64 MADT
with INIT and start-up IPIs, each on its own stack above its own guard
page; they park. The oracle is what QEMU was told (-smp n) and the
kernel's own symbol table (where each stack slot lies).

Usage: test_cpus.py [--arch riscv64|x86_64] [--only NAME]   (TAP output)
"""
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import pagoda_console as pc  # noqa: E402
import tap  # noqa: E402
import test_shell as shell  # noqa: E402
import test_vm  # noqa: E402

TESTS = []
SMP = 4
PAGE = 4096
# arch/include/arch.h
MAX_CPUS, GUARD, SLOT = 8, 4096, 4096 + 16384
BANNER = r"cpus: (\d+) found, (\d+) up: (.*)"
LINE = r"cpu(\d+) (hart|APIC id) (\d+) (running \(the shell\)|parked|left out: .*)"
LOCK = r"(\w+): (\d+) acquires?, (\d+) failed spins?"


def test(fn):
    TESTS.append(fn)
    return fn


def boot(smp):
    c = pc.Console(pc.qemu_command(shell.ARCH, smp=smp))
    banner = [l for l in pc.clean_lines(c.boot_log) if l.startswith("cpus: ")]
    return c, banner


def cpus(c):
    """The `cpus` lines as (cpu, id, state)."""
    out = []
    for line in c.run("cpus"):
        m = re.fullmatch(LINE, line)
        assert m, "not a cpus line: %r" % line
        out.append((int(m.group(1)), int(m.group(3)), m.group(4)))
    return out


@test
def every_cpu_of_the_machine_is_started_and_parks():
    c, banner = boot(SMP)
    with c:
        m = re.fullmatch(BANNER, banner[0]) if banner else None
        assert m, "no cpus line in the boot log: %r" % banner
        assert int(m.group(1)) == SMP, banner
        rows = cpus(c)
        assert [r[0] for r in rows] == list(range(SMP)), rows
        assert sorted(r[1] for r in rows) == list(range(SMP)), \
            "QEMU numbers its %d CPUs 0..%d: %r" % (SMP, SMP - 1, rows)
        assert rows[0][2] == "running (the shell)", rows
        assert int(m.group(2)) == SMP and banner == [banner[0]], banner
        assert all(r[2] == "parked" for r in rows[1:]), rows
        # The banner names each CPU that came up, as `cpus` does.
        hw = "hart" if shell.ARCH == "riscv64" else "APIC id"
        assert m.group(3) == ", ".join("cpu%d (%s %d)" % (r[0], hw, r[1]) for r in rows), \
            banner
        assert shell.single(c.run("check")) == "check: ok"
        out = [l for l in c.run("stress 300 7") if not shell.PROGRESS.fullmatch(l)]
        assert out[-1] == "stress: ok", out
        assert cpus(c) == rows, "cpus changed while nothing ran on them"


def locks(c):
    """The `locks` lines as {name: (acquires, failed spins)}."""
    out = {}
    for line in c.run("locks"):
        m = re.fullmatch(LOCK, line)
        assert m, "not a locks line: %r" % line
        out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
    return out


def without_progress(lines):
    return [l for l in lines if not shell.PROGRESS.fullmatch(l)]


@test
def locks_count_what_each_command_takes():
    c, _ = boot(None)
    with c:
        booted = locks(c)
        assert "pmm" in booted, "the boot allocates pages: %r" % booted
        shell.single(c.run("alloc 3"))
        after = locks(c)
        assert after["pmm"][0] > booted["pmm"][0] and after["pmm"][1] == 0, (booted, after)
        assert shell.single(c.run("locks reset")) == "locks: every counter is 0 again"
        assert set(v for v in locks(c).values()) == {(0, 0)}
        c.run("kmalloc 100")
        taken = locks(c)
        assert taken["kmalloc"][0] >= 1 and taken["kmalloc"][1] == 0, taken
        # One CPU never finds a lock taken.
        out = without_progress(c.run("stress 500 3"))
        assert out[-1] == "stress: ok", out
        assert all(v[1] == 0 for v in locks(c).values()), locks(c)
        shell.expect_error(c, "locks now")
        shell.expect_error(c, "stress -j 2 10 1")


@test
def stress_on_every_cpu_at_once_gives_memory_back_as_it_was():
    c, _ = boot(SMP)
    with c:
        meminfo = c.run("meminfo")
        out = without_progress(c.run("stress -j %d 2000 11" % SMP))
        assert out[0] == "stress: %d CPUs, 2000 operations each, seeds 11 to %d (the same " \
            "seeds: stress -j %d 2000 11; the CPUs interleave anew each run)" % (SMP, 10 + SMP, SMP), \
            out
        shares = [re.fullmatch(r"stress: cpu(\d+): 2000 operations in \d+\.\d{3} s "
                               r"\(\d+ ops/s\)", l) for l in out[1:1 + SMP]]
        assert all(shares) and [int(m.group(1)) for m in shares] == list(range(SMP)), out
        assert re.fullmatch(r"stress: %d operations in .*, \d+ checks" % (2000 * SMP),
                            out[1 + SMP]), out
        names = [re.fullmatch(r"stress: lock (\w+): \d+ acquires?, \d+ failed spins?", l)
                 for l in out[2 + SMP:-1]]
        assert all(names) and [m.group(1) for m in names] == ["kmalloc", "pmm", "vm"], out
        assert out[-1] == "stress: ok", out
        assert c.run("meminfo") == meminfo
        assert shell.single(c.run("check")) == "check: ok"
        assert all(r[2] == "parked" for r in cpus(c)[1:])
        # A CPU short: refused, and nothing runs.
        shell.expect_error(c, "stress -j %d 10 1" % (SMP + 1))
        assert c.run("meminfo") == meminfo


def cached(c):
    """The `pcp` lines as {cpu: (pages, hits, misses, refills, drains)}."""
    lines = c.run("pcp")
    assert lines[0] == "pcp: on, batch 16, high 64", lines
    out = {}
    for line in lines[1:]:
        m = re.fullmatch(r"pcp: cpu(\d+) (\d+) pages? cached, (\d+) hits?, (\d+) miss(?:es)?, "
                         r"(\d+) refills?, (\d+) drains?", line)
        assert m, line
        out[int(m.group(1))] = tuple(int(g) for g in m.groups()[1:])
    return out


@test
def page_caches_hold_single_pages_and_give_every_one_back():
    c, _ = boot(2)
    with c:
        meminfo = c.run("meminfo")
        assert shell.single(c.run("pcp")) == \
            "pcp: off (single pages come from the buddy lists; pcp on turns the caches on)"
        assert shell.single(c.run("pcp on")).startswith("pcp: on: ")
        assert cached(c) == {0: (0, 0, 0, 0, 0), 1: (0, 0, 0, 0, 0)}
        addr = shell.alloc(c, 1)
        # A miss: one refill of a batch, one page of it handed out.
        assert cached(c)[0] == (15, 0, 1, 1, 0), cached(c)
        assert shell.single(c.run("free 0x%x" % addr)) == "freed 1 pages at 0x%x" % addr
        assert cached(c)[0] == (16, 0, 1, 1, 0), cached(c)
        # The page is in the cache now: a second free is refused, and changes nothing.
        assert shell.single(c.run("free 0x%x" % addr)) == \
            "error: 0x%x is not allocated: it was freed, and waits in a CPU's page cache (pcp " \
            "off gives it back)" % addr
        assert shell.alloc(c, 1) == addr, "the page freed last is handed out first"
        assert cached(c)[0] == (15, 1, 1, 1, 0), cached(c)
        shell.single(c.run("free 0x%x" % addr))
        rows = {l.split()[0]: l for l in c.run("cpus")}
        assert rows["cpu0"].endswith(", 16 pages in its cache") and \
            rows["cpu1"].endswith(", 0 pages in its cache"), rows
        assert "cached: cpu0 16 cpu1 0 (single pages in the CPUs' caches, not on these " \
            "lists)" in c.run("buddy")
        info = c.run("meminfo")
        assert "cached pages: 16 (of the used, in CPUs' page caches)" in info, info
        free = lambda lines: int([l for l in lines if l.startswith("free pages: ")][0].split()[2])
        assert free(info) == free(meminfo) - 16, (info, meminfo)
        assert shell.single(c.run("check")) == "check: ok"
        # Past high (64), a drain gives a batch (16) back.
        pages = [shell.alloc(c, 1) for _ in range(80)]
        for p in pages:
            shell.single(c.run("free 0x%x" % p))
        pages_now, _, _, refills, drains = cached(c)[0]
        assert pages_now <= 64 and drains >= 1 and \
            16 * refills - 16 * drains == pages_now, cached(c)
        assert shell.single(c.run("check")) == "check: ok"
        # bench times the buddy lists with the caches off, then turns them
        # back on, empty (it used to crash when a refill took its pool).
        out = without_progress(c.run("bench 200"))
        assert out[-1] == "bench: ok, the page manager is as it was", out
        assert cached(c)[0][0] == 0 and shell.single(c.run("check")) == "check: ok"
        page = shell.alloc(c, 1)
        assert cached(c)[0][0] == 15, cached(c)
        assert shell.single(c.run("free 0x%x" % page)) == "freed 1 pages at 0x%x" % page
        assert shell.single(c.run("pcp off")) == \
            "pcp: off: the caches gave 16 pages back to the buddy lists"
        assert c.run("meminfo") == meminfo
        assert shell.single(c.run("check")) == "check: ok"
        shell.expect_error(c, "pcp sometimes")


@test
def stress_on_every_cpu_with_page_caches_on_and_off():
    c, _ = boot(SMP)
    with c:
        meminfo = c.run("meminfo")
        spins = {}
        for pcp in ("off", "on"):
            shell.single(c.run("pcp " + pcp))
            out = without_progress(c.run("stress -j %d 1500 5" % SMP))
            assert out[-1] == "stress: ok", out
            spins[pcp] = [l for l in out if l.startswith("stress: lock pmm: ")]
            assert shell.single(c.run("check")) == "check: ok"
        # Each CPU's cache took its single pages: the lock was taken less.
        acquires = {k: int(v[0].split()[3]) for k, v in spins.items()}
        assert acquires["on"] * 3 < acquires["off"], spins
        shell.single(c.run("pcp off"))
        assert c.run("meminfo") == meminfo


@test
def bench_on_every_cpu_shows_what_the_caches_save():
    c, _ = boot(SMP)
    with c:
        meminfo = c.run("meminfo")
        out = without_progress(c.run("bench -j %d 3000" % SMP))
        assert out[0] == "bench: %d CPUs, 3000 single-page alloc+free pairs each, page caches " \
            "off then on" % SMP, out
        runs = {}
        for line in out[1:3]:
            m = re.fullmatch(r"bench: pcp (on|off):((?: cpu\d+ \d+,)+) all (\d+) pairs/s; "
                             r"pmm lock (\d+) acquires?, (\d+) failed spins?", line)
            assert m, line
            assert m.group(2).count("cpu") == SMP, line
            runs[m.group(1)] = (int(m.group(4)), int(m.group(5)))
        # Counted, not timed: without the caches every alloc and every free
        # takes the lock; with them each CPU takes it once, to fill its cache.
        assert runs["off"][0] == 2 * 3000 * SMP, runs
        assert runs["on"][0] == SMP and runs["on"][1] < SMP, runs
        assert out[3] == "bench: ok, the page manager is as it was (pcp off)", out
        assert c.run("meminfo") == meminfo
        assert shell.single(c.run("check")) == "check: ok"
        shell.expect_error(c, "bench -j %d" % (SMP + 1))
        shell.expect_error(c, "bench -j 0")
        shell.expect_error(c, "bench -j")
        shell.expect_error(c, "bench 10 10")


@test
def one_cpu_by_default():
    c, banner = boot(None)
    with c:
        assert len(banner) == 1 and re.fullmatch(r"cpus: 1 found, 1 up: cpu0 \((hart|APIC id) "
                                                  r"\d+\)", banner[0]), banner
        rows = cpus(c)
        assert len(rows) == 1 and rows[0][2] == "running (the shell)", rows
        shell.expect_error(c, "cpus 2")


@test
def each_stack_slot_has_its_guard_page_unmapped_and_its_stack_mapped():
    sym = test_vm.symbols()
    stacks = sym["kernel_stacks"]
    assert stacks == sym["boot_stack_guard"] and stacks % PAGE == 0
    c, _ = boot(SMP)
    with c:
        for i in range(MAX_CPUS):
            guard = stacks + i * SLOT
            for probe in (guard, guard + GUARD - 8):  # the guard page's ends
                what, addr, _ = test_vm.fault(c, "peek 0x%x" % probe)
                assert what == "read of stack guard page (stack overflow?)" and \
                    addr == probe, (i, what, hex(addr))
            for page in (guard + GUARD, guard + SLOT - PAGE):  # the stack's ends
                assert test_vm.vtop(c, page)[2] == "rw-g", (i, hex(page))
        # Around the slots: data below, the rest of bss above, both mapped.
        for page in (stacks - PAGE, stacks + MAX_CPUS * SLOT):
            assert test_vm.vtop(c, page)[2] == "rw-g", hex(page)
        assert shell.single(c.run("check")) == "check: ok"


@test
def each_started_cpu_runs_on_a_slot_of_its_own():
    stacks = test_vm.symbols()["kernel_stacks"]
    c, _ = boot(SMP)
    with c:
        # Each CPU's entry (riscv64's secondary_entry, x86_64's
        # ap_long_mode) leaves its struct in its stack's top word.
        top = []
        for i in range(MAX_CPUS):
            line = shell.single(c.run("peek 0x%x" % (stacks + (i + 1) * SLOT - 8)))
            top.append(int(line.split()[-1], 16))
        assert all(top[1:SMP]) and len(set(top[1:SMP])) == SMP - 1, \
            "CPUs 1..%d did not each leave their own word: %r" % (SMP - 1, top)
        assert not any(top[SMP:]), "a slot no CPU was given was used: %r" % top


def set_hart_id(dtb, node, hart):
    """@dtb (bytes) with the reg of /cpus/@node set to @hart: a hart the
    firmware is told of but that is not there."""
    data = bytearray(dtb)
    off_struct, off_strings = struct.unpack(">II", data[8:16])
    p, path, done = off_struct, [], False
    while True:
        token = struct.unpack(">I", data[p:p + 4])[0]
        p += 4
        if token == 1:  # FDT_BEGIN_NODE, then its name
            end = data.index(b"\0", p)
            path.append(data[p:end].decode())
            p = (end + 4) & ~3
        elif token == 2:  # FDT_END_NODE
            path.pop()
        elif token == 3:  # FDT_PROP: length, name offset, value
            length, name = struct.unpack(">II", data[p:p + 8])
            p += 8
            key = data[off_strings + name:data.index(b"\0", off_strings + name)]
            if path[-2:] == ["cpus", node] and key == b"reg":
                data[p:p + 4] = struct.pack(">I", hart)
                done = True
            p = (p + length + 3) & ~3
        elif token == 9:  # FDT_END
            break
    assert done, "no reg in /cpus/%s" % node
    return bytes(data)


@test
def a_hart_that_never_arrives_is_left_out_not_waited_for():
    if shell.ARCH != "riscv64":
        raise tap.Skip("it patches a device tree; x86_64's CPUs come from the MADT")
    with tempfile.TemporaryDirectory() as d:
        dtb = os.path.join(d, "virt.dtb")
        cmd = pc.qemu_command("riscv64", smp=SMP)
        machine = cmd.index("-machine") + 1
        subprocess.run(cmd[:machine] + [cmd[machine] + ",dumpdtb=" + dtb] +
                       cmd[machine + 1:], check=True, capture_output=True, timeout=60)
        with open(dtb, "rb") as f:
            bad = set_hart_id(f.read(), "cpu@3", 7)
        with open(dtb, "wb") as f:
            f.write(bad)
        c = pc.Console(cmd + ["-dtb", dtb])
        with c:
            banner = [l for l in pc.clean_lines(c.boot_log) if l.startswith("cpus: ")]
            assert len(banner) == 2 and banner[0].startswith("cpus: 4 found, 3 up: ") and \
                banner[1] == "cpus: cpu3 (hart 7) left out: it did not arrive within half " \
                "a second", banner
            rows = cpus(c)
            assert rows[3] == (3, 7, "left out: it did not arrive within half a second"), rows
            assert [r[2] for r in rows].count("parked") == 2, rows
            assert shell.single(c.run("check")) == "check: ok"
            assert shell.single(c.run("stress -j 4 10 1")) == \
                "error: stress -j 4 needs cpu3, which is left out"


@test
def make_refuses_a_number_of_cpus_it_cannot_start():
    for smp in ["0", "9", "four"]:
        r = subprocess.run(["make", "-s", "print-run-command", "ARCH=" + shell.ARCH,
                            "SMP=" + smp], capture_output=True, text=True)
        assert r.returncode != 0 and \
            "SMP must be a number of CPUs from 1 to 8, not '%s'" % smp in r.stderr, r.stderr


def main():
    return tap.main(TESTS, __doc__, shell)


if __name__ == "__main__":
    sys.exit(main())
