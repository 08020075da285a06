#!/usr/bin/env python3
"""Check that docs/README.md, the map of the code, tells the truth.

Every source file of the kernel (init/, shell/, os/, arch/: .c .h .S .ld .mk
.cfg) must be named on the page in backquotes, and every path the page
names in backquotes must exist. Prints TAP; exits 1 if either fails.

Usage: tools/check_code_map.py [--root DIR]
"""
import argparse
import os
import re
import sys

SOURCE_DIRS = ("init", "shell", "os", "arch")
SOURCE_EXTS = (".c", ".h", ".S", ".ld", ".mk", ".cfg")
# A path in backquotes: a top directory, then a file or directory name.
PATH_RE = re.compile(r"`((?:init|shell|os|arch|tests|tools|docs)/[A-Za-z0-9_./<>*-]+)`")


def sources(root):
    for top in SOURCE_DIRS:
        for d, _, files in os.walk(os.path.join(root, top)):
            for f in files:
                if f.endswith(SOURCE_EXTS):
                    yield os.path.relpath(os.path.join(d, f), root)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(__file__), ".."),
                    help="the source tree (default: this repository)")
    root = os.path.abspath(ap.parse_args().root)
    with open(os.path.join(root, "docs", "README.md")) as f:
        named = set(PATH_RE.findall(f.read()))
    missing = sorted(s for s in sources(root) if s not in named)
    # Patterns such as arch/<arch>/arch.mk or os/mm/pmm* stand for many files.
    gone = sorted(p for p in named if not re.search(r"[<>*]", p)
                  and not os.path.exists(os.path.join(root, p.rstrip("/"))))
    results = [("docs/README.md names every source file", missing, "not on the page"),
               ("every path docs/README.md names exists", gone, "no such file")]
    failed = 0
    for n, (name, problems, why) in enumerate(results, 1):
        print("%s %d - %s" % ("not ok" if problems else "ok", n, name))
        for p in problems:
            print("# %s: %s" % (p, why))
        failed += bool(problems)
    print("1..%d" % len(results))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
