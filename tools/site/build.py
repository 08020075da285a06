#!/usr/bin/env python3
"""Build the course site: the guides, the labs' handouts and the sources, as
Doxygen HTML a student reads in a browser (also from file://).

Doxygen does not read this tree directly. The site's own copy of it is made
first, in OUT/src, because the site shows some things otherwise than the
repository does:

  - which pages: the instructors' site (`--kind instructors`, `make docs` in
    the reference) has everything, the guide to writing labs, grading a class
    and every lab's wrong solutions among it; the public site (`--kind
    public`, `make site`, and `make docs` in a handout) leaves those out and
    shows every source file with every lab's code cut, as the lab's handout
    has it, so no solution is in any page;
  - the order: docs/start.md is the main page, and the rest hangs below it
    in sections (guides, labs in course order, instructors), which is also
    the tree view's order (site_pages.py);
  - the Markdown, made to read well in Doxygen (site_markdown.py): links to
    other documents become links between pages, labs get their number and
    previous/next links.

After Doxygen, the pages' words go into a search index that the page
"Search the guides" reads (site_search.py): Doxygen's own search box finds
only names of pages and symbols.

Usage: tools/site/build.py --kind instructors|public --out DIR
       [--pictures DIR] [--graphs YES|NO]
The site is DIR/html/index.html. Doxygen runs twice: with Doxyfile, which
checks that every public function and structure has its comment, then with
Doxyfile.site, which builds the pages; a warning of either fails the build
(build/docs/check-warnings.txt, DIR/warnings.txt).
"""
import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
sys.path.insert(0, HERE)

import labs as L  # noqa: E402
import site_markdown  # noqa: E402
import site_pages  # noqa: E402
import site_search  # noqa: E402

SOURCE_DIRS = ["os", "shell", "arch", "init"]
SOURCE_SUFFIXES = (".c", ".h", ".S")


def copy_sources(src, kind):
    """The sources the site shows, in @src; in the public site with every
    lab's regions cut."""
    regions = L.all_regions() if kind == "public" else {}
    for path in L.tracked_files():
        if path.split("/")[0] not in SOURCE_DIRS or not path.endswith(SOURCE_SUFFIXES):
            continue
        dst = os.path.join(src, path)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if path in regions:
            lines = L.cut_every_lab(L.read_lines(path), regions[path])
            with open(dst, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write("\n".join(lines))
        else:
            shutil.copy(os.path.join(ROOT, path), dst)


def write_layout(out, pages):
    """OUT/layout.xml: Doxygen's own layout, its first tabs the site's
    sections (site_pages.navigation) and its list of all pages hidden."""
    layout = subprocess.run(["doxygen", "-l", "-"], capture_output=True, text=True,
                            check=True).stdout
    old = ('<tab type="mainpage" visible="yes" title=""/>\n'
           '    <tab type="pages" visible="yes" title="" intro=""/>')
    assert old in layout, "Doxygen's layout changed: tools/site/build.py"
    layout = layout.replace(old, site_pages.navigation(pages) +
                            '\n<tab type="pages" visible="no" title="" intro=""/>')
    with open(os.path.join(out, "layout.xml"), "w") as f:
        f.write(layout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kind", choices=["instructors", "public"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--pictures", default="build/docs/pictures",
                    help="pictures drawn by a real run (IMAGE_PATH)")
    ap.add_argument("--graphs", choices=["YES", "NO"], default="YES",
                    help="call graphs (NO: several times faster)")
    args = ap.parse_args()

    out = os.path.abspath(args.out)
    src = os.path.join(out, "src")
    for old in ("src", "html"):
        shutil.rmtree(os.path.join(out, old), ignore_errors=True)
    os.makedirs(src)
    copy_sources(src, args.kind)
    pages = site_pages.collect(ROOT, args.kind)
    site_markdown.write_pages(pages, src)
    pictures = os.path.abspath(args.pictures)

    # Doxyfile first: every public function and structure has its comment.
    os.makedirs(os.path.join(ROOT, "build", "docs", "check"), exist_ok=True)
    if subprocess.run(["doxygen", "Doxyfile"], cwd=ROOT, env=dict(os.environ, PAGODA_ROOT=ROOT)).returncode:
        with open(os.path.join(ROOT, "build", "docs", "check-warnings.txt")) as f:
            sys.stderr.write(f.read())
        return 1
    write_layout(out, pages)
    env = dict(os.environ, PAGODA_ROOT=ROOT, PAGODA_SITE_SRC=src, PAGODA_SITE_OUT=out,
               PAGODA_SITE_MAIN=os.path.join(src, "index.md"),
               PAGODA_SITE_PICTURES=pictures, PAGODA_SITE_TOOLS=HERE,
               PAGODA_DOCS_GRAPHS=args.graphs)
    done = subprocess.run(["doxygen", os.path.join(ROOT, "Doxyfile.site")], cwd=ROOT, env=env)
    warnings = os.path.join(out, "warnings.txt")
    if done.returncode != 0 or (os.path.exists(warnings) and os.path.getsize(warnings)):
        with open(warnings) as f:
            sys.stderr.write(f.read())
        print("error: doxygen warned (%s)" % warnings, file=sys.stderr)
        return 1
    site_search.write_index(os.path.join(out, "html"), pages)
    print("site (%s): %s" % (args.kind, os.path.join(out, "html", "index.html")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
