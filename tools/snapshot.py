#!/usr/bin/env python3
"""Boot Pagoda, run shell commands, render every `dot` output to SVG and PNG.

    make snapshot CMDS='alloc 3; alloc 5; dot buddy'
    tools/snapshot.py [--arch riscv64] [--mem 128M] [--out DIR] 'cmd; cmd; ...'

Each `dot ...` command's graph is written to DIR/NN-<name>.dot and rendered
with Graphviz to .svg and .png next to it; the session is saved as
DIR/transcript.txt.
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
    parser.add_argument("commands", help="shell commands separated by ';'")
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
    with pc.Console(pc.qemu_command(args.arch, args.mem)) as console:
        for command in commands:
            lines = console.run(command)
            transcript.append("pagoda> " + command)
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
        console.send("poweroff\r")
        console.wait_exit()
    with open(os.path.join(args.out, "transcript.txt"), "w") as f:
        f.write("\n".join(transcript) + "\n")
    print("transcript in %s/transcript.txt" % args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
