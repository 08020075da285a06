#!/usr/bin/env python3
"""The gdb workflow a student follows: `make gdb` stops at kmain.

Runs tools/gdb.sh (what `make gdb` runs) with a scripted gdb session and
checks that gdb stopped in kmain with a backtrace through the arch's start-up
code, and that the kernel then runs on to the shell prompt.

Usage: test_debug.py --arch riscv64|x86_64   (TAP output)
"""
import fcntl
import os
import pty
import re
import select
import subprocess
import sys
import termios
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

class Terminal:
    """A command on a pseudo-terminal that is its controlling terminal, as
    in a shell window: Ctrl-C typed there signals its foreground group."""

    def __init__(self, argv):
        master, slave = pty.openpty()

        def take_terminal():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        # A plain terminal: gdb's colours would split the words matched here.
        env = dict(os.environ, TERM="dumb")
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True, preexec_fn=take_terminal)
        os.close(slave)
        self.fd = master
        self.text = ""
        self.seen = 0

    def expect(self, pattern, timeout=60):
        """Read until @pattern matches the output after the last match."""
        deadline = time.monotonic() + timeout
        regex = re.compile(pattern)
        while True:
            m = regex.search(self.text, self.seen)
            if m:
                self.seen = m.end()
                return m
            ready, _, _ = select.select([self.fd], [], [], 0.2)
            if ready:
                try:
                    data = os.read(self.fd, 65536).decode("utf-8", "replace")
                    self.text += re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", data)
                except OSError:
                    ready = None
            if time.monotonic() > deadline or (ready is None):
                raise AssertionError("no %r in:\n%s" % (pattern, self.text[-3000:]))

    def send(self, keys):
        os.write(self.fd, keys.encode())

    def finish(self, timeout=30):
        """Wait for the exit status, reading the rest of the output."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            try:
                self.expect(r"\Z\n", 0.2)
            except AssertionError:
                pass
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()
            raise AssertionError("still running:\n" + self.text[-3000:])
        os.close(self.fd)
        return self.proc.returncode


def gdb_prompt_after_ctrl_c(term):
    """Let the kernel run to its shell, then Ctrl-C: gdb must stop it."""
    log = os.path.join("build", ARCH, "console.log")
    term.send("continue\n")
    term.expect(r"Continuing\.")
    deadline = time.monotonic() + 60
    while "pagoda> " not in open(log, errors="replace").read():
        # (Seen once in ten full runs on x86_64: keep what it printed.)
        assert time.monotonic() < deadline, "the kernel did not reach its prompt; %s ends:\n%s\n" \
            "gdb:\n%s" % (log, open(log, errors="replace").read()[-1500:], term.text[-1500:])
        time.sleep(0.2)
    term.send("\x03")
    term.expect(r"Program received signal SIGINT")
    term.expect(r"\(gdb\) ")
    # The target is alive: gdb can read its registers.
    term.send("info registers %s\n" % ("pc" if ARCH == "riscv64" else "rip"))
    term.expect(r"0x[0-9a-f]+ <\w+")
    term.expect(r"\(gdb\) ")
    # Ctrl-C at the prompt only cancels the line.
    term.send("\x03")
    term.expect(r"Quit\s*\r?\n?\(gdb\) ")


def make_gdb_session(leave):
    """Run `make gdb` on a terminal, Ctrl-C the running kernel, then
    @leave(term) ends the session; return the exit status and the text."""
    term = Terminal(["make", "--no-print-directory", "gdb", "ARCH=" + ARCH])
    try:
        term.expect(r"Breakpoint 1, kmain", 90)
        term.expect(r"\(gdb\) ")
        gdb_prompt_after_ctrl_c(term)
        leave(term)
        status = term.finish()
    finally:
        if term.proc.poll() is None:
            os.killpg(term.proc.pid, 9)
            term.proc.wait()
    assert not re.search(r"\*\*\* .*(Error|Interrupt)", term.text), term.text[-3000:]
    assert status == 0, "make gdb exited with %s:\n%s" % (status, term.text[-3000:])
    return term.text


@test
def ctrl_c_in_make_gdb_stops_the_kernel_and_quit_exits_0():
    def quit_gdb(term):
        term.send("quit\n")
        term.expect(r"\(y or n\) ")
        term.send("y\n")
    text = make_gdb_session(quit_gdb)
    assert "terminating on signal" not in text, text[-3000:]
    assert "Remote communication error" not in text, text[-3000:]


@test
def kill_in_make_gdb_ends_qemu_and_exits_0():
    def kill_then_quit(term):
        term.send("kill\n")
        term.expect(r"\(y or n\) ")
        term.send("y\n")
        # QEMU may exit before its answer reaches gdb: either way it is gone.
        term.expect(r"\[Inferior 1 \(process \d+\) killed\]|Target disconnected")
        term.expect(r"\(gdb\) ")
        term.send("quit\n")
    make_gdb_session(kill_then_quit)


@test
def make_console_shows_the_prompt_on_connecting():
    """The kernel printed its prompt before `make console` connected: the
    prompt must show without a key being typed, and the shell must work."""
    log = os.path.join("build", ARCH, "console.log")
    if os.path.exists(log):
        os.unlink(log)
    qemu = subprocess.Popen(["tools/gdb.sh", ARCH, "--batch", "delete", "continue"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    term = None
    try:
        deadline = time.monotonic() + 60
        while not (os.path.exists(log) and "pagoda> " in open(log, errors="replace").read()):
            assert time.monotonic() < deadline and qemu.poll() is None, "no prompt in the log"
            time.sleep(0.2)
        term = Terminal(["make", "--no-print-directory", "console", "ARCH=" + ARCH])
        term.expect(r"Connected to ")
        term.expect(r"pagoda> ", 10)
        term.send("check\r")
        term.expect(r"check: ok")
        term.send("\x1d")
        assert term.finish() == 0, term.text
    finally:
        if term and term.proc.poll() is None:
            os.killpg(term.proc.pid, 9)
            term.proc.wait()
        os.killpg(qemu.pid, 15)
        qemu.wait(30)


@test
def make_help_lists_every_target_and_variable():
    """Every phony target of the Makefile, every `?=` variable, every
    variable the makefiles read but never set (V, CMDS) and STOP."""
    out = subprocess.run(["make", "--no-print-directory", "help"], capture_output=True,
                         text=True, check=True).stdout
    db = subprocess.run(["make", "-pRrq", "help"], capture_output=True, text=True).stdout
    targets = set(re.search(r"^\.PHONY: (.*)$", db, re.M).group(1).split()) - {"FORCE"}
    text = open("Makefile").read() + open("build.mk").read()
    arch_mk = "".join(open("arch/%s/arch.mk" % a).read() for a in ("riscv64", "x86_64"))
    assigned = set(re.findall(r"^\s*([A-Z_]+) *[:?]?=", text + arch_mk, re.M))
    defaults = set(re.findall(r"^([A-Z_]+) *\?=", text, re.M))
    read = set(re.findall(r"\$\((?:value )?([A-Z_]+)\)", text)) - assigned - \
        {"MAKE", "DISPLAY", "CURDIR"}
    variables = defaults | read | {"STOP"}
    assert len(targets) > 15 and {"V", "CMDS", "OPT", "MEM"} <= variables, (targets, variables)
    words = set(re.findall(r"[\w-]+", out))
    missing = sorted(t for t in targets if t not in words)
    missing += sorted(v + "=" for v in variables if v + "=" not in out)
    assert not missing, "make help does not mention %s:\n%s" % (missing, out)


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
        with open("os/kernel/boot.c") as f:
            line = [n for n, text in enumerate(f, 1) if "if (pmm_segment_count() == 0)" in text][0]
        setup = ["set architecture i386:x86-64"] if ARCH == "x86_64" else []
        brk = "hbreak" if ARCH == "x86_64" else "break"
        commands = setup + ["target remote " + sock, "%s boot.c:%d" % (brk, line), "continue",
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
