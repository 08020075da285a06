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
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import command_session as cs  # noqa: E402


def main():
    args = cs.parser(__doc__, "build/snapshots").parse_args()
    commands = cs.split_commands(args.commands, "alloc 3; dot buddy")
    if commands is None:
        return 2
    if not any(cs.is_dot(c) for c in commands):
        print("note: no 'dot' command among them: nothing will be rendered", file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    # Pictures of an earlier run would pass for this one's: remove them.
    for name in os.listdir(args.out):
        if re.fullmatch(r"\d\d-.*\.(dot|svg|png)|transcript\.txt", name):
            os.remove(os.path.join(args.out, name))

    session = cs.boot(args.arch, args.mem, args.timeout)
    if session is None:
        return 1
    rendered = 0
    with session:
        for i, command in enumerate(commands):
            lines = session.run(command, left=len(commands) - i - 1)
            if lines is None:
                break
            for graph in cs.pc.dot_blocks("\n".join(lines)):
                rendered += 1
                name = re.sub(r"[^a-z0-9]+", "-", command.lower()).strip("-")
                base = os.path.join(args.out, "%02d-%s" % (rendered, name))
                with open(base + ".dot", "w") as f:
                    f.write(graph + "\n")
                for fmt in ("svg", "png"):
                    with open(base + "." + fmt, "wb") as f:
                        f.write(cs.render(graph, fmt))
                print("rendered %s.svg and %s.png" % (base, base))
    session.save_transcript(os.path.join(args.out, "transcript.txt"))
    print("transcript in %s/transcript.txt" % args.out)
    return session.last_line("%s kept" % cs.plural(rendered, "picture"))


if __name__ == "__main__":
    sys.exit(main())
