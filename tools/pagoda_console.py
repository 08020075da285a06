"""Drive a Pagoda kernel's serial console through a pseudo-terminal.

The kernel runs in QEMU (or Bochs) exactly as `make run` starts it; this
module plays the student at the keyboard: it waits for the prompt before
typing each line (so each answer is read apart), and returns what the
kernel printed in answer. Standard library only.
"""
import os
import pty
import re
import select
import shlex
import signal
import socket
import subprocess
import time

PROMPT = "pagoda> "
PROMPT_PATTERN = r"\n" + re.escape(PROMPT)  # the prompt is at the start of a line
# The class grader runs every emulator in its jail: WRAP(argv) is the argv
# that does (None: as it is).
WRAP = None
# A kernel that prints without end must not fill the grader's memory: the
# transcript keeps this many characters, what is waited for the last ones.
TRANSCRIPT_LIMIT = 4 << 20


class ConsoleError(Exception):
    """The kernel did not answer as expected (timeout, or it exited)."""


class Console:
    """A running kernel with its console on a pseudo-terminal, or (with
    @port) on a TCP serial port the emulator serves on localhost."""

    def __init__(self, argv, boot_timeout=60.0, log=None, port=None, emulator_log=None,
                 emulator_stdin=False):
        if WRAP is not None:
            argv = WRAP(argv)
        self.argv = argv
        self.dropped = 0
        self.typed = None  # the last line typed, for a kernel that stops answering
        self.log = log
        self.sock = None
        self.fd = None
        self.buffer = ""
        self.transcript = ""
        if port is None:
            master, slave = pty.openpty()
            self.fd = master
            self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave,
                                         start_new_session=True, close_fds=True)
            os.close(slave)
        else:
            out = emulator_log or subprocess.DEVNULL
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE if emulator_stdin else subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
            self.sock = self._connect(port, time.monotonic() + boot_timeout)
            self.fd = self.sock.fileno()
        try:
            self.boot_log = self.expect_prompt(boot_timeout)
        except BaseException:
            # No prompt (a panic, a hang, Ctrl-C): nobody will close this
            # console, and the emulator is in a session of its own.
            self.close()
            raise

    def _connect(self, port, deadline):
        while True:
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=1)
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.close()
                    raise ConsoleError("no serial server on port %d (emulator %s)" % (
                        port, "exited" if self.proc.poll() is not None else "timed out"))
                time.sleep(0.1)

    # -- reading -------------------------------------------------------
    def _read(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or self.fd is None:
            return False
        ready, _, _ = select.select([self.fd], [], [], min(remaining, 0.5))
        if not ready:
            return self.proc.poll() is None
        try:
            data = self.sock.recv(65536) if self.sock else os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        text = data.decode("utf-8", "replace")
        self.buffer += text
        if len(self.buffer) > TRANSCRIPT_LIMIT:  # nothing waited for is that long
            self.dropped += len(self.buffer) - TRANSCRIPT_LIMIT // 2
            self.buffer = self.buffer[-(TRANSCRIPT_LIMIT // 2):]
        room = TRANSCRIPT_LIMIT - len(self.transcript)
        self.transcript += text[:max(room, 0)]
        if self.log:
            self.log.write(text)
            self.log.flush()
        return True

    def expect(self, pattern, timeout=30.0):
        """Read until @pattern (a regex) matches; return the text before it."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.buffer)
            if match:
                before = self.buffer[:match.start()]
                self.buffer = self.buffer[match.end():]
                return before
            if not self._read(deadline):
                state = "exited with %s" % self.proc.poll() if self.proc.poll() is not None \
                    else "timed out after %.0f s" % timeout
                what = "the prompt" if pattern == PROMPT_PATTERN else "`%s`" % pattern
                after = " after `%s`" % self.typed if self.typed is not None else " at boot"
                last = [l for l in clean_lines(self.buffer[-4000:]) if l.strip()][-3:]
                raise ConsoleError("kernel %s waiting for %s%s; it last printed: %s\n"
                                   "last output:\n%s" % (
                                       state, what, after, " | ".join(last) or "nothing",
                                       self.buffer[-2000:]))

    def expect_prompt(self, timeout=30.0):
        return self.expect(PROMPT_PATTERN, timeout)

    # -- typing --------------------------------------------------------
    def send(self, text):
        """Type raw bytes (no Enter), as a terminal would send them."""
        if self.sock:
            self.sock.sendall(text.encode())
        else:
            os.write(self.fd, text.encode())

    def run(self, line, timeout=30.0):
        """Type @line and Enter at the prompt; return the answer's lines."""
        self.typed = line
        self.send(line + "\r")
        out = self.expect_prompt(timeout)
        return clean_lines(out)[1:]  # drop the echoed command line

    def run_text(self, line, timeout=30.0):
        return "\n".join(self.run(line, timeout))

    def poweroff(self, timeout=30.0):
        """Type poweroff and return QEMU's exit status."""
        self.send("poweroff\r")
        return self.wait_exit(timeout)

    def wait_exit(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            if not self._read(deadline):
                time.sleep(0.05)  # console closed: just wait for the process
        if self.proc.poll() is None:
            raise ConsoleError("kernel did not exit within %.0fs" % timeout)
        self.close()
        return self.proc.returncode

    def close(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        elif self.fd is not None:
            os.close(self.fd)
        self.fd = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def free_port():
    """A TCP port on localhost that nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_lines(text):
    """Split console output into lines without CRs or terminal escapes."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    # The pty may turn the kernel's CR LF into CR CR LF: drop every CR.
    lines = text.replace("\r", "").split("\n")
    # Apply backspace erasures so echoed edits read as the final line.
    result = []
    for line in lines:
        out = []
        for ch in line:
            if ch == "\b":
                if out:
                    out.pop()
            else:
                out.append(ch)
        result.append("".join(out).rstrip())
    while result and result[-1] == "":
        result.pop()
    return result


def qemu_command(arch="riscv64", mem=None, extra="", smp=None):
    """Ask make for the command `make run` uses, so tests boot the same way."""
    args = ["make", "-s", "--no-print-directory", "print-run-command", "ARCH=" + arch]
    if mem:
        args.append("MEM=" + mem)
    if smp:
        args.append("SMP=%d" % smp)
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return shlex.split(out.strip().splitlines()[-1]) + shlex.split(extra)


def dot_blocks(text):
    """Every `digraph ... }` block in console output, as text."""
    return re.findall(r"^digraph .*?^}$", "\n".join(clean_lines(text)), re.S | re.M)
