#!/usr/bin/env python3
"""The gdb workflow a student follows: `make gdb` stops at kmain.

Runs tools/gdb.sh (what `make gdb` runs) with a scripted gdb session and
checks that gdb stopped in kmain with a backtrace through the arch's start-up
code, and that the kernel then runs on to the shell prompt.

Usage: test_debug.py --arch riscv64|x86_64   (TAP output)
"""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
import tap  # noqa: E402

ARCH = "riscv64"
START = {"riscv64": "riscv_start", "x86_64": "x86_start"}
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def gdb(*commands):
    proc = subprocess.run(["tools/gdb.sh", ARCH, "--batch", *commands],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


@test
def gdb_stops_at_kmain_with_a_backtrace():
    out = gdb("bt", "info registers %s" % ("pc" if ARCH == "riscv64" else "rip"))
    frames = re.findall(r"^#(\d+)\s+(?:0x[0-9a-f]+ in )?(\w+) \(", out, re.M)
    names = [name for _, name in frames]
    assert names[:2] == ["kmain", START[ARCH]], "backtrace was %r:\n%s" % (names, out[-2000:])
    assert "main.c" in out, "no source line for kmain"
    assert re.search(r"<kmain(\+\d+)?>", out), "pc is not in kmain:\n" + out[-2000:]


@test
def kernel_runs_on_after_gdb_continues():
    log = os.path.join("build", ARCH, "console.log")
    # Continue for a moment, then interrupt and look at the console log.
    out = gdb("delete", "continue &", "shell sleep 3", "interrupt", "shell sleep 0.5")
    with open(log, errors="replace") as f:
        text = f.read()
    assert "pagoda> " in text, "no prompt after continuing:\n" + text[-1500:] + out[-1500:]


@test
def panic_prints_its_reason_and_exits_qemu_nonzero():
    """No input can make the kernel panic, so gdb makes boot find no memory:
    it empties the page manager just before kmain checks it."""
    b = os.path.join("build", ARCH)
    sock, serial = os.path.join(b, "panic-gdb.sock"), os.path.join(b, "panic-serial.txt")
    for path in (sock, serial):
        if os.path.exists(path):
            os.unlink(path)
    boot = subprocess.run(["make", "-s", "--no-print-directory", "print-boot-command",
                           "ARCH=" + ARCH], capture_output=True, text=True,
                          check=True).stdout.split()
    qemu = subprocess.Popen(boot + ["-S", "-display", "none", "-serial", "file:" + serial,
                                    "-chardev", "socket,id=g,path=%s,server=on,wait=off" % sock,
                                    "-gdb", "chardev:g"], stdin=subprocess.DEVNULL)
    try:
        while not os.path.exists(sock):
            assert qemu.poll() is None, "QEMU exited early"
            time.sleep(0.05)
        with open("os/kernel/main.c") as f:
            line = [n for n, text in enumerate(f, 1) if "if (pmm_segment_count() == 0)" in text][0]
        setup = ["set architecture i386:x86-64"] if ARCH == "x86_64" else []
        brk = "hbreak" if ARCH == "x86_64" else "break"
        commands = setup + ["target remote " + sock, "%s main.c:%d" % (brk, line), "continue",
                            "set var pmm.nr_segments = 0", "continue"]
        subprocess.run(["gdb-multiarch", "-q", "-nx", "-batch"] +
                       [a for c in commands for a in ("-ex", c)] + [os.path.join(b, "kernel.elf")],
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        status = qemu.wait(30)
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
    with open(serial, errors="replace") as f:
        text = f.read()
    assert "panic: no usable memory" in text, text[-1000:]
    assert status != 0, "QEMU exited with status 0 after a panic"


def main():
    return tap.main(TESTS, __doc__, sys.modules[__name__])


if __name__ == "__main__":
    sys.exit(main())
