#!/usr/bin/env python3
"""The pictures in the guides and handouts, drawn by the kernel itself.

Each picture is the last `dot` graph a list of shell commands prints in a
freshly booted kernel, rendered by Graphviz. The site shows the drawn one
(IMAGE_PATH is the --out directory); a copy is committed beside the
document for readers of the repository, and for a handout whose kernel
cannot draw it yet (its lab unfinished): then the site shows that copy.

  draw    draw every picture into --out (the copy where the kernel cannot)
  check   every committed copy is what the kernel draws now (make test)
  update  draw, and write what was drawn over the committed copies

Usage: tools/site/pictures.py draw|check|update [--out DIR]
"""
import argparse
import filecmp
import os
import shutil
import sys
from dataclasses import dataclass

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))

import command_session as cs  # noqa: E402


@dataclass
class Picture:
    """A picture of the docs: where its copy lies and how it is drawn."""
    copy: str       # the committed copy, from the top of the tree
    commands: str   # typed after boot, ';' between; the last graph printed is the picture
    arch: str = "riscv64"
    mem: str = "128M"

    @property
    def name(self):
        return os.path.basename(self.copy)


PICTURES = [
    Picture("docs/pictures/allocator-tree.svg",
            "kmalloc 5000; kmalloc 24; kmalloc 100 7; kmalloc 40 1; kmalloc 3000 1; dot alloc"),
    Picture("docs/pictures/buddy-tree.svg",
            "alloc 3; alloc 5; alloc 2 scattered; dot buddy"),
    Picture("docs/pictures/page-table.svg",
            "map 0x2000000000 3; map 0x2000200000 512; dot pt 0x2000000000"),
    Picture("docs/pictures/layout-riscv64.svg", "dot layout"),
    Picture("docs/pictures/layout-x86_64.svg", "dot layout", arch="x86_64"),
]


def draw_one(picture, out):
    """Draw @picture into @out; its log beside it. True if the kernel drew it."""
    path = os.path.join(out, picture.name)
    log_path = os.path.join(out, picture.name[:-len(".svg")] + ".log")
    commands = [c.strip() for c in picture.commands.split(";") if c.strip()]
    graph = None
    with open(log_path, "w") as log:
        try:
            session = cs.Session(picture.arch, picture.mem, 120.0)
        except cs.pc.ConsoleError as e:
            log.write("error: the kernel never gave a prompt: %s\n" % e)
            session = None
        if session is not None:
            with session:
                for command in commands:
                    lines = session.run(command)
                    if lines is None:
                        log.write("error: %s\n" % session.stopped)
                        graph = None
                        break
                    graphs = cs.pc.dot_blocks("\n".join(lines))
                    if graphs:
                        graph = graphs[-1]
            log.write("\n".join(session.transcript) + "\n")
    if graph is None:
        return False
    with open(path, "wb") as f:
        f.write(cs.render(graph, "svg"))
    return True


def draw(out):
    os.makedirs(out, exist_ok=True)
    drawn = []
    for picture in PICTURES:
        print("drawing %s (%s MEM=%s: %s)" % (picture.name, picture.arch, picture.mem,
                                               picture.commands), flush=True)
        target = os.path.join(out, picture.name)
        if os.path.exists(target):
            os.remove(target)
        if draw_one(picture, out):
            drawn.append(picture)
        elif os.path.exists(os.path.join(ROOT, picture.copy)):
            print("note: this kernel cannot draw %s yet (%s says why); the pages show %s "
                  "instead" % (picture.name, os.path.join(out, picture.name[:-4] + ".log"),
                               picture.copy))
            shutil.copy(os.path.join(ROOT, picture.copy), target)
    return drawn


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("action", choices=["draw", "check", "update"])
    ap.add_argument("--out", default="build/docs/pictures")
    args = ap.parse_args()
    out = os.path.abspath(args.out)

    if args.action == "draw":
        draw(out)
        return 0
    if args.action == "update":
        for picture in draw(out):
            shutil.copy(os.path.join(out, picture.name), os.path.join(ROOT, picture.copy))
            print("updated %s" % picture.copy)
        return 0
    stale = []
    for picture in PICTURES:
        drawn = os.path.join(out, picture.name)
        log = os.path.join(out, picture.name[:-4] + ".log")
        if not os.path.exists(drawn) or not os.path.exists(log) or "error:" in open(log).read():
            stale.append("%s: the kernel drew nothing (%s)" % (picture.name, log))
        elif not filecmp.cmp(drawn, os.path.join(ROOT, picture.copy), shallow=False):
            stale.append("%s is not what the kernel draws now" % picture.copy)
    for line in stale:
        print("error: " + line)
    if stale:
        print("(make docs draws them into %s; tools/site/pictures.py update refreshes the "
              "copies)" % args.out)
        return 1
    print("%d pictures: each committed copy is what the kernel draws" % len(PICTURES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
