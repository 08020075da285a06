#!/usr/bin/env python3
"""Boot Pagoda, run shell commands, render every `dot` output to SVG and PNG.

    make snapshot CMDS='alloc 3; alloc 5; dot buddy'
    tools/snapshot.py [--arch riscv64] [--mem 128M] [--out DIR] [--timeout S] 'cmd; cmd; ...'

Each `dot ...` command's graph is written to DIR/NN-<name>.dot and rendered
with Graphviz to .svg and .png next to it; the session is saved as
DIR/transcript.txt. `make snapshot` hands CMDS over verbatim (in the
environment, never through a shell). A command that powers the kernel off,
or gives no prompt within --timeout seconds (default 120; progress lines do
not count), ends the run with one line saying so; the pictures made before
it and the transcript are kept.
"""
import argparse
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pagoda_console as pc  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="riscv64")
    parser.add_argument("--mem", default=None)
    parser.add_argument("--out", default="build/snapshots")
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds a command may take (default 120)")
    parser.add_argument("commands", nargs="?", default=os.environ.get("PAGODA_CMDS", ""),
                        help="shell commands separated by ';' (default: $PAGODA_CMDS)")
    args = parser.parse_args()

    commands = [c.strip() for c in args.commands.split(";") if c.strip()]
    if not commands:
        print("error: no commands given; try CMDS='alloc 3; dot buddy'", file=sys.stderr)
        return 2
    if not any(c.split()[0] == "dot" for c in commands):
        print("note: no 'dot' command among them: nothing will be rendered", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    # Pictures of an earlier run would pass for this one's: remove them.
    for name in os.listdir(args.out):
        if re.fullmatch(r"\d\d-.*\.(dot|svg|png)|transcript\.txt", name):
            os.remove(os.path.join(args.out, name))

    transcript = []
    rendered = 0
    stopped = None  # why the run ended early, if it did
    as_asked = False  # the last command powered the kernel off
    try:
        console = pc.Console(pc.qemu_command(args.arch, args.mem))
    except pc.ConsoleError as e:
        print("error: the kernel never gave a prompt: %s" % str(e).splitlines()[0],
              file=sys.stderr)
        return 1
    with console:
        for i, command in enumerate(commands):
            transcript.append("pagoda> " + command)
            try:
                lines = console.run(command, timeout=args.timeout)
            except pc.ConsoleError:
                transcript.extend(pc.clean_lines(console.buffer)[1:])
                left = len(commands) - i - 1
                rest = "; %d command%s after it did not run" % (left, "s" * (left != 1)) \
                    if left else ""
                try:  # an emulator that closed the console is about to exit
                    console.proc.wait(3)
                except subprocess.TimeoutExpired:
                    pass
                if console.proc.poll() is not None:
                    stopped = "the kernel stopped at `%s`%s" % (command, rest)
                    as_asked = not left
                else:
                    stopped = "`%s` gave no prompt within %.0f s (--timeout)%s" % (
                        command, args.timeout, rest)
                break
            transcript.extend(lines)
            for graph in pc.dot_blocks("\n".join(lines)):
                rendered += 1
                name = re.sub(r"[^a-z0-9]+", "-", command.lower()).strip("-")
                base = os.path.join(args.out, "%02d-%s" % (rendered, name))
                with open(base + ".dot", "w") as f:
                    f.write(graph + "\n")
                for fmt in ("svg", "png"):
                    subprocess.run(["dot", "-T" + fmt, base + ".dot", "-o", base + "." + fmt],
                                   check=True)
                print("rendered %s.svg and %s.png" % (base, base))
        if stopped is None:
            console.send("poweroff\r")
            console.wait_exit()
    with open(os.path.join(args.out, "transcript.txt"), "w") as f:
        f.write("\n".join(transcript) + "\n")
    print("transcript in %s/transcript.txt" % args.out)
    kept = "%d picture%s kept" % (rendered, "s" * (rendered != 1))
    if as_asked:
        print("note: %s (%s)" % (stopped, kept))
    elif stopped is not None:
        print("error: %s (%s)" % (stopped, kept), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
