#!/usr/bin/env python3
"""Keep the transcripts in the documentation true: generate them from real runs.

A transcript in Markdown is a fenced block right after a marker comment:

    <!-- transcript: shell arch=riscv64 mem=128M -->
    ```
    pagoda> alloc 3
    allocated 3 pages at 0x80084000
    ```

The lines that start with the prompt are the input; everything else in the
block is output, and is what this tool writes (--update) or compares
(--check). Kinds of transcript:

  shell  the kernel booted exactly as `make run` boots it; each command is
         typed after the `pagoda> ` prompt.
  gdb    `make gdb` (tools/gdb.sh ARCH), stopped at kmain; each `(gdb) `
         command is typed after gdb's prompt.
  bochs  `make bochs-debug` (tools/bochs.sh debug), stopped at kmain or at
         stop=SYMBOL; each `<bochs:N> ` command is typed after Bochs'
         prompt (N is output: Bochs numbers its prompts).

Options in the marker: arch=riscv64|x86_64 (default riscv64; bochs is
always x86_64), mem=128M, smp=N (shell and gdb: the CPUs of make run SMP=N),
stop=SYMBOL (bochs), console="cmd; cmd" (gdb and
bochs: lines typed into the kernel's shell, one each time the shell shows
its prompt while the debugger lets the kernel run), start="text" (gdb and
bochs: the block opens with what the debugger printed before its first
prompt, from the first line containing text; shell: with the kernel's boot
log from that line, to the first line after it containing end="text"),
fresh (start a new session).
In a bochs block, `lb 0x2000ed # long_mode` takes its address from the
symbol named after `#` (a Bochs comment) in build/x86_64/kernel.sym.

The blocks of one file with the same kind and options are ONE session, in
the order they appear (each kernel boots once per file): a later block sees
what an earlier one allocated. Kernels are built first with the default
toolchain (make kernel ARCH=... TOOLCHAIN=gnu), as `make run` does.

What legitimately varies between two runs is masked before comparing (see
MASKS); the rest must match byte for byte. Source line numbers may appear
only inside transcripts (gdb prints them, so they are generated): prose that
cites file.c:NN fails the check; cite the function instead.

A lab's handout (tools/lab/lab.py handout) ships README.md, docs/ and its
labs/<lab>/README.md, and its tree differs from this one: the lab's code is
cut, every other lab's markers are gone. --check-handout LAB cuts the
handout into build/labs/LAB/transcripts, puts the reference code back into
the lab's regions (a starter's lab code panics), each region preceded by
PADDING comment lines, as a solution longer than the reference would be,
builds the kernels the documents boot there (from this tree's objects: only
the cut files compile again) and checks every shipped document with that
tree's own copy of this tool. A transcript passes only if it is what the
handout's tree prints, whatever the length of the student's code: a line
number quoted must be of code the student does not write, or above it.
(tools/doc_handout.py does it.)

Usage:
  tools/doc_transcripts.py --check [FILE...]   TAP: one test per block,
                                               a unified diff per failure
  tools/doc_transcripts.py --update [FILE...]  rewrite the blocks in place
  (default FILEs: README.md docs/*.md labs/*/README.md)
  tools/doc_transcripts.py --check-handout LAB [--keep] [FILE...]
                                               TAP: the same, in LAB's handout
                                               (--keep: leave the tree there;
                                               FILEs: check these, copied into
                                               its extra/, instead of its docs)
"""
import argparse
import difflib
import fcntl
import glob
import itertools
import os
import pty
import re
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import termios
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import pagoda_console as pc  # noqa: E402

MARKER = re.compile(r"^<!-- transcript: (\w+)(.*?)-->\s*$")
INPUT = {"shell": re.compile(r"^pagoda> (.*)$"),
         "gdb": re.compile(r"^\(gdb\) (.*)$"),
         "bochs": re.compile(r"^<bochs:\d+> (.*)$")}
# Things that differ from run to run, not from build to build: replaced by
# a placeholder in both texts before they are compared (never written).
MASKS = [
    # Bochs' tick counter where it stops: GRUB's timing varies a little.
    ("bochs", re.compile(r"\bt=\d+"), "t=<ticks>"),
    ("bochs", re.compile(r"\(0\)\.\[\d+\]"), "(0).[<ticks>]"),
    # Where GRUB puts the boot information depends on the ISO's size, which
    # depends on the checkout's path (the kernel's debug information).
    ("gdb", re.compile(r"\bboot_info=\d+"), "boot_info=<address>"),
    # How long a stress run took depends on the machine.
    ("shell", re.compile(r"in \d+\.\d{3} s \(\d+ ops/s\)"), "in <seconds> s (<rate> ops/s)"),
]
# Prose must not cite source lines: they move. (Transcripts are generated.)
LINE_CITE = re.compile(r"\b[\w/.-]+\.(?:c|h|S|ld|py|sh):\d+")


class Block:
    """One transcript: its place in the file, its options and its lines."""

    def __init__(self, path, marker_line, kind, opts, first, last, lines):
        self.path, self.marker_line, self.kind, self.opts = path, marker_line, kind, opts
        self.first, self.last = first, last  # content lines [first, last) of the file
        self.lines = lines

    def inputs(self):
        regex = INPUT[self.kind]
        return [m.group(1) for m in map(regex.match, self.lines) if m]

    def session_key(self):
        return (self.kind,) + tuple(sorted((k, v) for k, v in self.opts.items()
                                           if k not in ("console", "start", "end")))

    def name(self):
        return "%s:%d transcript" % (os.path.relpath(self.path, ROOT), self.marker_line)


def parse(path):
    """Every transcript block of a Markdown file, and the prose line numbers."""
    with open(path) as f:
        text = f.read().split("\n")
    blocks, prose, i = [], [], 0
    in_fence = False
    while i < len(text):
        m = MARKER.match(text[i])
        if m:
            kind = m.group(1)
            if kind not in INPUT:
                raise SystemExit("%s:%d: unknown transcript kind '%s'" % (path, i + 1, kind))
            opts = {}
            for word in shlex.split(m.group(2)):
                key, _, value = word.partition("=")
                opts[key] = value if _ else True
            j = i + 1
            if j >= len(text) or not text[j].startswith("```"):
                raise SystemExit("%s:%d: a transcript marker must be followed by a ``` "
                                 "block" % (path, i + 1))
            k = j + 1
            while k < len(text) and text[k] != "```":
                k += 1
            if k >= len(text):
                raise SystemExit("%s:%d: the transcript block is not closed" % (path, j + 1))
            blocks.append(Block(path, i + 1, kind, opts, j + 1, k, text[j + 1:k]))
            i = k + 1
            continue
        if text[i].startswith("```"):
            in_fence = not in_fence
        elif not in_fence and LINE_CITE.search(text[i]):
            prose.append((i + 1, text[i]))
        i += 1
    return blocks, prose


def sessions(blocks):
    """Group the blocks of one file into sessions, keeping document order."""
    groups = {}
    order = []
    for b in blocks:
        key = b.session_key()
        if b.opts.get("fresh") or key not in groups:
            key = key + (len(order),) if b.opts.get("fresh") else key
            groups[key] = []
            order.append(key)
        groups[key].append(b)
    return [groups[k] for k in order]


def build(arch):
    subprocess.run(["make", "-s", "--no-print-directory", "kernel", "ARCH=" + arch,
                    "TOOLCHAIN=gnu"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


# -- the shell ------------------------------------------------------------

# A command that runs longer than half a second prints progress lines:
# whether it does depends on the machine, so transcripts leave them out.
PROGRESS = re.compile(r"\w+: \d+ of \d+ done \(\d+%\); Ctrl-C abandons it")


# Following moved addresses (--update only). When the kernel grows, the
# pages it hands out move, and a transcript that types an address it was
# given (`free 0x80084000`) would type a stale one. So while updating, each
# answer is lined up with the document's, every page whose address changed
# is remembered (old page -> new page), and later commands are typed with
# their addresses moved the same way; prose outside the transcripts follows.
ADDRESS = re.compile(r"0x[0-9a-f]{6,}")
PAGE_MASK = 0xfff
FOLLOW = False
MOVED = {}  # old page address -> new page address, for the file being run


def answers(lines):
    """The document's answer to each command of a shell block, in order."""
    out = []
    for line in lines:
        if line.startswith(pc.PROMPT):
            out.append([])
        elif out:
            out[-1].append(line)
    return out


def learn_moves(want, have):
    """Remember each page whose address differs between the document's
    lines @want and the kernel's @have. Lines are paired only when they are
    the same but for their addresses, lined up by difflib, so that a line
    more or less in one of them pairs no wrong ones."""
    want, have = list(want), list(have)
    shapes = difflib.SequenceMatcher(None, [ADDRESS.sub("", x) for x in want],
                                     [ADDRESS.sub("", x) for x in have], autojunk=False)
    pairs = [(want[a + k], have[b + k]) for a, b, size in shapes.get_matching_blocks()
             for k in range(size)]
    for old, new in pairs:
        olds, news = ADDRESS.findall(old), ADDRESS.findall(new)
        if len(olds) != len(news):
            continue
        for o, n in zip(olds, news):
            o, n = int(o, 16), int(n, 16)
            if o != n and o & PAGE_MASK == n & PAGE_MASK:
                MOVED.setdefault(o & ~PAGE_MASK, n & ~PAGE_MASK)


def moved(text):
    """@text with every address in a moved page moved along with it."""
    def one(m):
        a = int(m.group(0), 16)
        page = MOVED.get(a & ~PAGE_MASK)
        return m.group(0) if page is None else "0x%x" % (page | (a & PAGE_MASK))
    return ADDRESS.sub(one, text)


def boot_lines(log, start, end):
    """The boot log's lines from the first containing @start to the first
    after it containing @end (None: to the prompt)."""
    lines = [x for x in pc.clean_lines(log) if not x.startswith(pc.PROMPT.strip())]
    at = [i for i, line in enumerate(lines) if start in line]
    if not at:
        raise pc.ConsoleError("the boot log has no line containing '%s'" % start)
    lines = lines[at[0]:]
    if end is None:
        return lines
    stop = [i for i, line in enumerate(lines) if i > 0 and end in line]
    if not stop:
        raise pc.ConsoleError("the boot log has no line containing '%s' after '%s'" % (end, start))
    return lines[:stop[0] + 1]


def run_shell(blocks):
    arch = blocks[0].opts.get("arch", "riscv64")
    build(arch)
    out = {}
    smp = blocks[0].opts.get("smp")
    with pc.Console(pc.qemu_command(arch, blocks[0].opts.get("mem", "128M"),
                                    smp=int(smp) if smp else None)) as c:
        for b in blocks:
            lines = boot_lines(c.boot_log, b.opts["start"], b.opts.get("end")) \
                if "start" in b.opts else []
            if FOLLOW:  # the document's boot-log lines are those before its first command
                learn_moves(itertools.takewhile(lambda x: not x.startswith(pc.PROMPT), b.lines),
                            lines)
            for cmd, want in zip(b.inputs(), answers(b.lines)):
                if FOLLOW:
                    cmd = moved(cmd)
                lines.append(pc.PROMPT + cmd)
                have = [x for x in c.run(cmd) if not PROGRESS.fullmatch(x)]
                if FOLLOW:
                    learn_moves(want, have)
                lines += have
            out[b] = lines
    return out


# -- debuggers: a program on a pseudo-terminal, plus the kernel's serial ----

class Serial:
    """The kernel's console on a socket (Unix path or TCP port); types each
    pending line when the shell shows a new prompt."""

    def __init__(self, address, deadline):
        family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
        while True:
            try:
                self.sock = socket.socket(family)
                self.sock.connect(address)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise pc.ConsoleError("no kernel console at %r" % (address,))
                time.sleep(0.1)
        self.buffer = ""
        self.pending = []

    def fileno(self):
        return self.sock.fileno()

    def feed(self):
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buffer += data.decode("utf-8", "replace")
        # A prompt nobody has a line for is passed by.
        while "\n" + pc.PROMPT in self.buffer:
            self.buffer = self.buffer.split("\n" + pc.PROMPT, 1)[1]
            if self.pending:
                self.sock.sendall((self.pending.pop(0) + "\r").encode())
        return True


class Debugger:
    """A debugger on a pty: type a line after its prompt, return the answer."""

    def __init__(self, argv, prompt, env=None):
        self.prompt = re.compile(prompt)
        master, slave = pty.openpty()
        # Tall and wide: no pagination, no wrapping.
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 10000, 250, 0, 0))
        self.fd = master
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=ROOT,
                                     env=dict(os.environ, TERM="dumb", **(env or {})),
                                     start_new_session=True, close_fds=True)
        os.close(slave)
        self.serial = None
        self.buffer = ""

    def until_prompt(self, timeout=120):
        """Read until the prompt; return (text before it, the prompt)."""
        deadline = time.monotonic() + timeout
        while True:
            m = self.prompt.search(self.buffer)
            if m:
                before, self.buffer = self.buffer[:m.start()], self.buffer[m.end():]
                return before, m.group(0)
            fds = [self.fd] + ([self.serial] if self.serial else [])
            ready, _, _ = select.select(fds, [], [], 0.5)
            if self.serial in ready and not self.serial.feed():
                self.serial = None
            if self.fd in ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    data = b""
                if not data:
                    raise pc.ConsoleError("the debugger exited; last output:\n" + self.buffer)
                self.buffer += data.decode("utf-8", "replace")
            if time.monotonic() > deadline:
                raise pc.ConsoleError("no debugger prompt after %ds; last output:\n%s"
                                      % (timeout, self.buffer[-2000:]))

    def send(self, line):
        os.write(self.fd, (line + "\n").encode())

    def close(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        os.close(self.fd)


def answer_lines(text):
    """Console text to lines; the first line is the echo of the command."""
    return pc.clean_lines(text)


# `lb 0x2000ed # long_mode`: Bochs reads no symbols in expressions, so the
# address comes from the comment's symbol in build/x86_64/kernel.sym.
SYMBOL_INPUT = re.compile(r"^(.*?)0x[0-9a-fA-F]+(\s.*)?#\s*(\w+)\s*$")


def resolve(cmd):
    m = SYMBOL_INPUT.match(cmd)
    if not m:
        return cmd
    with open(os.path.join(ROOT, "build", "x86_64", "kernel.sym")) as f:
        found = [int(line.split()[0], 16) for line in f if line.split()[1:] == [m.group(3)]]
    if not found:
        raise pc.ConsoleError("no symbol '%s' in build/x86_64/kernel.sym" % m.group(3))
    return "%s0x%x%s# %s" % (m.group(1), found[0], m.group(2) or " ", m.group(3))


def run_debugger(blocks, dbg):
    out = {}
    try:
        preamble, prompt = dbg.until_prompt()
        for b in blocks:
            lines = []
            if "start" in b.opts:
                pre = answer_lines(preamble)
                at = [i for i, line in enumerate(pre) if b.opts["start"] in line]
                lines += pre[at[0]:] if at else pre
            if dbg.serial is not None:
                dbg.serial.pending += [s.strip() for s in b.opts.get("console", "").split(";")
                                       if s.strip()]
            for cmd in b.inputs():
                cmd = resolve(cmd)
                lines.append(prompt.strip() + " " + cmd)
                dbg.send(cmd)
                text, prompt = dbg.until_prompt()
                lines += answer_lines(text)[1:]
            out[b] = lines
    finally:
        dbg.close()
    return out


def run_gdb(blocks):
    arch = blocks[0].opts.get("arch", "riscv64")
    build(arch)
    smp = blocks[0].opts.get("smp")
    dbg = Debugger(["tools/gdb.sh", arch], r"(?:^|\n)\(gdb\) ", {"SMP": smp} if smp else None)
    sock = os.path.join(ROOT, "build", arch, "console.sock")
    dbg.serial = Serial(sock, time.monotonic() + 30)
    return run_debugger(blocks, dbg)


def run_bochs(blocks):
    build("x86_64")
    port = pc.free_port()
    env = {"STOP": blocks[0].opts.get("stop", "kmain")}
    dbg = Debugger(["tools/bochs.sh", "debug", blocks[0].opts.get("mem", "128M"), "headless",
                    "socket:%d" % port], r"(?:^|\n)<bochs:\d+> ", env)
    dbg.serial = Serial(("127.0.0.1", port), time.monotonic() + 60)
    return run_debugger(blocks, dbg)


RUN = {"shell": run_shell, "gdb": run_gdb, "bochs": run_bochs}


# -- check and update -------------------------------------------------------

def masked(kind, lines):
    text = "\n".join(lines)
    for k, regex, repl in MASKS:
        if k == kind:
            text = regex.sub(repl, text)
    return text.split("\n")


def generate(path):
    MOVED.clear()
    blocks, prose = parse(path)
    results = {}
    for group in sessions(blocks):
        try:
            results.update(RUN[group[0].kind](group))
        except (pc.ConsoleError, subprocess.CalledProcessError, OSError) as e:
            for b in group:
                results[b] = e
    return blocks, prose, results


def check(paths):
    n = failed = 0
    for path in paths:
        blocks, prose, results = generate(path)
        for b in blocks:
            n += 1
            got = results[b]
            if isinstance(got, Exception):
                print("not ok %d - %s" % (n, b.name()))
                for line in str(got).splitlines()[-30:]:
                    print("# " + line)
                failed += 1
                continue
            want = masked(b.kind, b.lines)
            have = masked(b.kind, got)
            if want == have:
                print("ok %d - %s" % (n, b.name()))
                continue
            failed += 1
            print("not ok %d - %s" % (n, b.name()))
            print("# the kernel now prints (+) what the doc says (-); "
                  "make doc-transcripts rewrites it")
            rel = os.path.relpath(path, ROOT)
            # Masked text: only what really differs shows.
            for line in difflib.unified_diff(want, have, "%s (doc)" % rel,
                                             "%s (real run)" % rel, n=2, lineterm=""):
                print("# " + line)
        n += 1
        path = os.path.relpath(path, ROOT)
        if prose:
            failed += 1
            print("not ok %d - %s cites functions, not source lines" % (n, path))
            for num, line in prose:
                print("# %s:%d: %s" % (path, num, line.strip()))
        else:
            print("ok %d - %s cites functions, not source lines" % (n, path))
        sys.stdout.flush()
    print("1..%d" % n)
    return 1 if failed else 0


def update(paths):
    status = 0
    for path in paths:
        blocks, prose, results = generate(path)
        with open(path) as f:
            text = f.read().split("\n")
        # Prose that names an address the kernel no longer hands out: first,
        # while the blocks' line numbers still hold.
        inside = {i for b in blocks for i in range(b.first, b.last)}
        for i, line in enumerate(text):
            if i not in inside and ADDRESS.search(line) and moved(line) != line:
                text[i] = moved(line)
                print("%s:%d: prose follows the moved addresses: %s"
                      % (os.path.relpath(path, ROOT), i + 1, text[i].strip()))
        changed = 0
        for b in reversed(blocks):  # from the end, so earlier line numbers hold
            got = results[b]
            if isinstance(got, Exception):
                print("%s: not updated: %s" % (b.name(), got), file=sys.stderr)
                status = 1
                continue
            if masked(b.kind, got) != masked(b.kind, b.lines):
                text[b.first:b.last] = got
                changed += 1
        with open(path, "w") as f:
            f.write("\n".join(text))
        print("%s: %d of %d transcripts rewritten" % (path, changed, len(blocks)))
        for num, line in prose:
            print("%s:%d: cites a source line (they move; cite the function): %s"
                  % (path, num, line.strip()), file=sys.stderr)
            status = 1
    return status


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="compare, print TAP")
    mode.add_argument("--update", action="store_true", help="rewrite the blocks in place")
    mode.add_argument("--check-handout", metavar="LAB",
                      help="check the documents a handout of LAB ships, in its own tree")
    parser.add_argument("--keep", action="store_true",
                        help="with --check-handout: leave the tree in build/labs/LAB/transcripts")
    parser.add_argument("files", nargs="*", help="Markdown files (default README.md docs/*.md labs/*/README.md)")
    args = parser.parse_args()
    # Killed (a timeout): still stop the emulators this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    if args.check_handout:
        from doc_handout import check_handout
        return check_handout(args.check_handout, args.keep,
                             [os.path.abspath(p) for p in args.files])
    paths = [os.path.abspath(p) for p in args.files] or \
        [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) \
        + sorted(glob.glob(os.path.join(ROOT, "labs", "*", "README.md")))
    global FOLLOW
    FOLLOW = args.update
    return check(paths) if args.check else update(paths)


if __name__ == "__main__":
    sys.exit(main())
