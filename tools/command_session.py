"""Type a list of shell commands into a booted Pagoda and say how it ended.

What `make snapshot` (tools/snapshot.py) and `make flipbook`
(tools/flipbook.py) share: CMDS split into commands, the kernel booted as
`make run` boots it, each command typed and its lines kept in a
transcript, Graphviz run on a `dot` command's graph, and the one line that
ends a run early: a command that powered the kernel off, or gave no prompt
within the timeout. Nothing here prints a traceback for those: the tools
print one `error:` line and keep what they made so far.
"""
import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pagoda_console as pc  # noqa: E402


def parser(doc, out):
    """The options both tools take; @out: where the output goes by default."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--arch", default="riscv64")
    p.add_argument("--mem", default=None)
    p.add_argument("--out", default=out, help="default: %(default)s")
    p.add_argument("--timeout", type=float, default=120.0,
                   help="seconds a command may take (default 120)")
    p.add_argument("commands", nargs="?", default=os.environ.get("PAGODA_CMDS", ""),
                   help="shell commands separated by ';' (default: $PAGODA_CMDS)")
    return p


def split_commands(text, example):
    """The commands in @text, split at ';', blank ones dropped; None after
    one `error:` line if there are none (@example: CMDS to suggest)."""
    commands = [c.strip() for c in text.split(";") if c.strip()]
    if not commands:
        print("error: no commands given; try CMDS='%s'" % example, file=sys.stderr)
        return None
    return commands


def is_dot(command):
    """True for a `dot ...` command (it prints a graph)."""
    return command.split()[0] == "dot"


def render(graph, fmt):
    """@graph (a digraph's text) drawn by Graphviz `dot` as @fmt ("svg",
    "png"): the file's bytes."""
    return subprocess.run(["dot", "-T" + fmt], input=graph.encode(), capture_output=True,
                          check=True).stdout


class Session:
    """A booted kernel that commands are typed into, one at a time.

    run() returns a command's lines, or None once the kernel stopped
    answering: then `stopped` says why, and no more commands are typed."""

    def __init__(self, arch, mem, timeout):
        """Boot; raises pc.ConsoleError if no prompt comes."""
        self.console = pc.Console(pc.qemu_command(arch, mem))
        self.timeout = timeout
        self.transcript = []  # "pagoda> command" and the lines it printed
        self.stopped = None  # why the run ended early, if it did
        self.powered_off = False  # it ended because the kernel exited
        self.stopped_with_commands_left = 0
        self.last_output = []  # what the last command printed, even if it stopped

    def run(self, command, left=0):
        """Type @command; @left: how many of the user's commands would come
        after it (for the line that says the run ended here)."""
        if self.stopped is not None:
            return None
        self.transcript.append("pagoda> " + command)
        try:
            lines = self.console.run(command, timeout=self.timeout)
        except pc.ConsoleError:
            self.last_output = pc.clean_lines(self.console.buffer)[1:]
            self.transcript.extend(self.last_output)
            rest = "; %d command%s after it did not run" % (left, "s" * (left != 1)) \
                if left else ""
            try:  # an emulator that closed the console is about to exit
                self.console.proc.wait(3)
            except subprocess.TimeoutExpired:
                pass
            self.powered_off = self.console.proc.poll() is not None
            if self.powered_off:
                self.stopped = "the kernel stopped at `%s`%s" % (command, rest)
            else:
                self.stopped = "`%s` gave no prompt within %.0f s (--timeout)%s" % (
                    command, self.timeout, rest)
            self.stopped_with_commands_left = left
            return None
        self.last_output = lines
        self.transcript.extend(lines)
        return lines

    def close(self):
        """Power a kernel that still answers off; stop the emulator."""
        if self.stopped is None:
            self.console.send("poweroff\r")
            self.console.wait_exit()
        self.console.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def save_transcript(self, path):
        with open(path, "w") as f:
            f.write("\n".join(self.transcript) + "\n")

    def last_line(self, kept):
        """Print how the run ended (@kept: "3 pictures kept" or the like) if
        it ended early; return the exit status. The last command powering
        the kernel off is what was asked: a note, status 0."""
        if self.stopped is None:
            return 0
        if self.powered_off and not self.stopped_with_commands_left:
            print("note: %s (%s)" % (self.stopped, kept))
            return 0
        print("error: %s (%s)" % (self.stopped, kept), file=sys.stderr)
        return 1


def boot(arch, mem, timeout):
    """A Session, or None after one `error:` line when no prompt comes."""
    try:
        return Session(arch, mem, timeout)
    except pc.ConsoleError as e:
        print("error: the kernel never gave a prompt: %s" % str(e).splitlines()[0],
              file=sys.stderr)
        return None


def plural(n, word):
    """ "1 picture", "2 pictures" """
    return "%d %s%s" % (n, word, "s" * (n != 1))
