#!/usr/bin/env python3
"""What only the PC has: the VGA screen and PS/2 keyboard, a memory map with
holes, and Bochs, both running the shell and in its debugger.

Usage: test_x86_64.py [--only NAME]   (TAP output; needs make ARCH=x86_64)
"""
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import pagoda_console as pc  # noqa: E402
import tap  # noqa: E402
import test_debug  # noqa: E402
import test_console  # noqa: E402
import test_shell as shell  # noqa: E402

B = "build/x86_64"
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


class Monitor:
    """QEMU's human monitor on a Unix socket: sendkey and xp."""

    def __init__(self, path):
        deadline = time.monotonic() + 10
        while not os.path.exists(path):
            assert time.monotonic() < deadline, "no monitor socket"
            time.sleep(0.05)
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.sock.settimeout(10)
        self.read_until("(qemu) ")

    def read_until(self, marker):
        data = b""
        while marker.encode() not in data:
            data += self.sock.recv(65536)
        return data.decode("utf-8", "replace")

    def command(self, line):
        self.sock.sendall(line.encode() + b"\n")
        return self.read_until("(qemu) ")

    def type_text(self, text):
        names = {" ": "spc", "\n": "ret", "-": "minus", ".": "dot", "#": "shift-3"}
        for ch in text:
            self.command("sendkey " + names.get(ch, ch))
            time.sleep(0.02)

    def screen(self):
        """The VGA text screen as 25 lines of text."""
        out = self.command("xp /2000hx 0xb8000")
        cells = [int(v, 16) for v in re.findall(r"0x([0-9a-f]{4})\b", out.split(":", 1)[1])]
        chars = "".join(chr(c & 0xff) for c in cells[:2000])
        return [chars[i:i + 80].rstrip() for i in range(0, 2000, 80)]


@test
def vga_screen_and_ps2_keyboard_run_the_shell():
    mon_path = os.path.join(B, "test-monitor.sock")
    if os.path.exists(mon_path):
        os.unlink(mon_path)
    argv = pc.qemu_command("x86_64", extra="-monitor unix:%s,server=on,wait=off" % mon_path)
    with pc.Console(argv) as c:
        mon = Monitor(mon_path)
        try:
            free = shell.meminfo(c)["free"]
            # Typed on the PS/2 keyboard: the answer shows on serial and VGA.
            mon.type_text("alloc 3\n")
            c.expect(r"allocated 3 pages at 0x[0-9a-f]+")
            c.expect_prompt()
            assert shell.meminfo(c)["free"] == free - 3
            screen = "\n".join(mon.screen())
            assert re.search(r"pagoda> alloc 3\nallocated 3 pages at 0x[0-9a-f]+", screen), screen
            assert "free pages: %d" % (free - 3) in screen, screen
            # Shift, Backspace and the arrow keys arrive as the line editor wants.
            mon.type_text("free")
            mon.command("sendkey backspace")
            mon.type_text("e #1\n")
            assert c.expect_prompt().strip().endswith("error: no scattered set #1")
            mon.command("sendkey up")
            mon.type_text("\n")
            assert "no scattered set #1" in c.expect_prompt()
        finally:
            mon.sock.close()


@test
def memory_map_with_holes_at_4g():
    with pc.Console(pc.qemu_command("x86_64", "4G")) as c:
        info = shell.meminfo(c)
        starts = [s[1] for s in info["segments"]]
        assert any(s >= 1 << 32 for s in starts), "no segment above 4 GiB: %r" % starts
        assert info["total"] > 1000000, info
        for pages in (3, 300, 5000):
            addr = shell.alloc(c, pages)
            assert shell.single(c.run("free 0x%x" % addr)) == "freed %d pages at 0x%x" % (
                pages, addr)
        assert shell.single(c.run("check")) == "check: ok"
        assert c.poweroff() == 0


SESSION = ["alloc 3", "alloc 4 scattered", "show #1", "alloc page", "buddy", "free #1",
           "free 0x{a}", "free 0x{a}", "alloc 0", "kmalloc 100", "allocators", "meminfo",
           "check", "map 0x2000000000 2", "vtop 0x2000001000", "unmap 0x2000000000 2",
           "peek 0x0", "foo"]


def transcript(arch):
    """Run SESSION on @arch; return its answers with every number as N."""
    lines = []
    with pc.Console(pc.qemu_command(arch)) as c:
        first = None
        for cmd in SESSION:
            out = c.run(cmd.format(a=first))
            if first is None:
                first = re.search(r"0x([0-9a-f]+)", out[0]).group(1)
            if cmd.startswith("show #"):
                # Adjacent pages share a line: how many do depends on the
                # memory map. Compare the pages listed instead.
                listed = sum(int(m.group(1)) if m else 1 for m in
                             (re.search(r"\((\d+) pages\)", x) for x in out[1:]))
                out = [out[0], "%d pages listed" % listed]
            lines += ["pagoda> " + re.sub(r"\{a\}", "A", cmd)] + out
    # vtop prints one line per level of the walk: Sv39 has 3, x86_64 has 4.
    lines = [line for line in lines if not re.match(r"\s+L\d\[", line)]
    # A count of 1 says "page", others "pages": numbers differ, so may plurals.
    lines = [re.sub(r"\b1 (page|segment)\b", r"1 \1s", line) for line in lines]
    return [" ".join(re.sub(r"\b(0x[0-9a-f]+|\d+)\b", "N", line).split()) for line in lines]


@test
def allocator_session_matches_riscv64_apart_from_numbers():
    riscv, x86 = transcript("riscv64"), transcript("x86_64")
    assert len(riscv) > 30
    assert riscv == x86, "\n".join("%-60s | %s" % (a, b) for a, b in zip(riscv, x86) if a != b)

@test
def make_run_leaves_line_wrapping_on():
    """SeaBIOS turns the terminal's line wrapping off (ESC [ ? 7 l) on the
    serial console; `make run` must turn it back on when QEMU exits."""
    c = pc.Console(["make", "--no-print-directory", "run", "ARCH=x86_64"], boot_timeout=120)
    with c:
        assert c.poweroff() == 0, "make run did not exit 0 after poweroff"
    out = c.transcript
    assert "\x1b[?7l" in out, "the firmware no longer turns wrapping off: nothing to test"
    assert out.rfind("\x1b[?7h") > out.rfind("\x1b[?7l"), \
        "wrapping is left off; the output ends with %r" % out[-200:]


def bochs_console(smp=1, **kw):
    port = pc.free_port()
    log = open(os.path.join(B, "bochs-test-stdout.txt"), "w+")
    argv = ["env", "SMP=%d" % smp, "tools/bochs.sh", "run", "128M", "headless",
            "socket:%d" % port]
    return pc.Console(argv, port=port, boot_timeout=180, emulator_log=log, **kw), log


@test
def bochs_boots_the_shell_and_powers_off():
    # Two CPUs (cpu: count=2): the BIOS's MADT lists both, and the AP
    # starts (Bochs needs the SDM's delays between INIT and start-up).
    c, log = bochs_console(smp=2)
    with c:
        assert c.run("cpus") == ["cpu0 APIC id 0 running (the shell)", "cpu1 APIC id 1 parked"]
        before = shell.state(c)
        heads = shell.free_list_heads(c)
        addr = shell.alloc(c, 3)
        assert addr == shell.predict_contiguous(heads, len(before[0]["segments"]), 3)
        assert shell.single(c.run("alloc 4 scattered")) == "allocated 4 pages as #1"
        rows = shell.buddy(c)
        assert sum(n << o for o, n in enumerate(rows["all"])) == before[0]["free"] - 7
        assert shell.single(c.run("free 0x%x" % addr)) == "freed 3 pages at 0x%x" % addr
        assert shell.single(c.run("free #1")) == "freed 4 pages of #1"
        assert shell.state(c) == before
        assert shell.single(c.run("check")) == "check: ok"
        # Bochs' UART receives at the baud rate and has a 16-byte FIFO:
        # a paste must reach the shell whole while it echoes (issue 19).
        test_console.check_burst(c, 200, first_id=2)
        assert shell.state(c) == before
        # The AP wakes for its share (a fixed IPI through the local APIC,
        # on its own TSS) and parks again.
        out = [l for l in c.run("stress -j 2 300 5") if not shell.PROGRESS.fullmatch(l)]
        assert out[-1] == "stress: ok", out
        assert c.run("cpus") == ["cpu0 APIC id 0 running (the shell)", "cpu1 APIC id 1 parked"]
        assert shell.state(c) == before
        c.send("poweroff\r")
        status = c.wait_exit(60)
    assert status == 0, "tools/bochs.sh exited %s after poweroff (make bochs: Error)" % status
    with open(os.path.join(B, "bochs.log")) as f:
        assert "ACPI control: soft power off" in f.read(), "Bochs was not powered off by ACPI"


@test
def bochs_magic_breakpoint_stops_in_the_debugger():
    c, log = bochs_console(emulator_stdin=True)
    with c:
        c.send("break\r")
        deadline = time.monotonic() + 60
        while True:
            log.seek(0)
            text = log.read()
            if "(0) Magic breakpoint" in text:
                break
            assert time.monotonic() < deadline, "Bochs did not stop:\n" + text[-2000:]
            time.sleep(0.2)
        # In the debugger: look at a register, then continue.
        c.proc.stdin.write(b"r\nc\n")
        c.proc.stdin.flush()
        out = c.expect_prompt(60)
        assert "break: back from the magic breakpoint" in out, out
        log.seek(0)
        text = log.read()
        assert "(bochs_break+" in text, "not stopped in bochs_break():\n" + text[-2000:]
        assert re.search(r"rip: 00000000_00[0-9a-f]{6}", text), "no registers printed"
        c.send("poweroff\r")
        c.wait_exit(60)


@test
def bochs_debugger_stops_at_kmain_with_symbols():
    with open(os.path.join(B, "kernel.sym")) as f:
        kmain = [line.split()[0] for line in f if line.split()[1:] == ["kmain"]][0]
    proc = subprocess.run(["tools/bochs.sh", "debug", "128M", "headless",
                           "file:" + os.path.join(B, "bochs-debug-com1.txt"),
                           "r\nsreg\ninfo gdt\nq"],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=180)
    out = proc.stdout + proc.stderr
    assert "Breakpoint 1, 0x%016x" % int(kmain, 16) in out, out[-3000:]
    assert "(kmain+0)" in out, "symbols not loaded:\n" + out[-3000:]
    assert re.search(r"rip: 00000000_%08x" % int(kmain, 16), out), out[-3000:]
    assert "64-bit" in out and "GDT[0x0008]" in out, "no long-mode GDT shown"

@test
def bochs_debugger_on_the_terminal_is_readable():
    """Headless, COM1 shares the terminal with the debugger and Bochs makes
    it raw: the debugger's replies must still end their lines with CR LF."""
    term = test_debug.Terminal(["tools/bochs.sh", "debug", "128M", "headless"])
    try:
        term.expect(r"Breakpoint 1, ", 180)
        term.expect(r"<bochs:\d+> ")
        start = term.seen
        term.send("r\r")
        term.expect(r"rip: 00000000_[0-9a-f]{8}")
        term.expect(r"<bochs:\d+> ")
        reply = term.text[start:term.seen]
        assert "rax: " in reply, reply
        assert not re.search(r"(?<!\r)\n", reply), "bare LF in the reply: %r" % reply[:600]
        term.send("q\r")
        status = term.finish(60)
    finally:
        if term.proc.poll() is None:
            os.killpg(term.proc.pid, 9)
            term.proc.wait()
    assert status == 0, "bochs.sh exited %s after q:\n%s" % (status, term.text[-2000:])


def main():
    return tap.main(TESTS, __doc__, shell, arch="x86_64")


if __name__ == "__main__":
    sys.exit(main())
