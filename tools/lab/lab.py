#!/usr/bin/env python3
"""The labs of this tree: list them, check their markers, cut a handout, check it leaks nothing.

Usage:
  tools/lab/lab.py list                      `<name>  <title>` per lab, in course order
  tools/lab/lab.py check                     every LAB marker balanced (file:line otherwise)
  tools/lab/lab.py handout LAB DEST          a student repository in DEST (one fresh commit)
  tools/lab/lab.py leaks LAB DEST            no cut reference line anywhere in DEST (TAP)

docs/labs.md explains the markers, the stubs and the layout of labs/<name>/.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labs as L  # noqa: E402


def cmd_list():
    for name in L.labs():
        print("%s  %s" % (name, L.conf(name).get("title", "")))
    return 0


def check_sections(lab, regions):
    """Every STUB names a heading of labs/<lab>/README.md."""
    readme = os.path.join(L.ROOT, "labs", lab, "README.md")
    with open(readme) as f:
        headings = [line.strip("# \n") for line in f if line.startswith("#")]
    for path, rs in regions.items():
        for r in rs:
            if r.lab == lab and r.section and not any(r.section in h for h in headings):
                raise L.LabError("%s: the STUB points at section '%s', which %s has no "
                                 "heading for" % (r.where(r.stub), r.section, readme))


def check_student_files(lab, regions):
    """lab.conf lists exactly the files that hold the lab's regions (the class
    grader takes those, and only those, from a submission)."""
    listed = L.student_files(lab)
    marked = sorted(p for p, rs in regions.items() if any(r.lab == lab for r in rs))
    where = "labs/%s/lab.conf" % lab
    for path in listed:
        if path not in marked:
            raise L.LabError("%s: files = lists %s, which has no LAB %s region" % (where, path, lab))
    for path in marked:
        if path not in listed:
            raise L.LabError("%s: %s holds LAB %s regions but is not in files =" % (where, path, lab))


def cmd_check():
    regions = L.all_regions()
    names = L.labs()
    for path, rs in regions.items():
        for r in rs:
            if r.lab not in names:
                raise L.LabError("%s: LAB %s: no labs/%s/lab.conf" % (r.where(), r.lab, r.lab))
    for lab in names:
        check_sections(lab, regions)
        check_student_files(lab, regions)
    count = sum(len(rs) for rs in regions.values())
    print("lab markers: ok (%d regions in %d files)" % (count, len(regions)))
    return 0


HANDOUT_NOTE = """> **Lab {lab}: {title}.** This repository is the starter of a lab:
> read [labs/{lab}/README.md](labs/{lab}/README.md), write the functions it
> names, and run `make grade` until it says full marks.

"""


def cmd_handout(lab, dest):
    if lab not in L.labs():
        raise L.LabError("no lab '%s' (make labs lists them)" % lab)
    regions = L.all_regions()
    check_sections(lab, regions)
    if os.path.exists(dest) and os.listdir(dest):
        raise L.LabError("%s exists and is not empty" % dest)
    with open(os.path.join(L.ROOT, "README.md")) as f:
        L.handout_readme(f.read(), lab)  # a passage gone: fail before writing anything
    readme = "labs/%s/README.md" % lab
    for path in L.tracked_files():
        if not L.shipped(path, lab):
            continue
        src, dst = os.path.join(L.ROOT, path), os.path.join(dest, path)
        os.makedirs(os.path.dirname(dst) or ".", exist_ok=True)
        if path in regions:
            lines = L.cut_lines(L.read_lines(path), regions[path], lab, readme)
            with open(dst, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write("\n".join(lines))
            shutil.copymode(src, dst)
        elif path == "README.md":
            with open(src) as f:
                text = f.read()
            with open(dst, "w") as f:
                f.write(HANDOUT_NOTE.format(lab=lab, title=L.conf(lab).get("title", "")) +
                        L.handout_readme(text, lab))
        else:
            shutil.copy(src, dst)
    with open(os.path.join(dest, ".pagoda-lab"), "w") as f:
        f.write(lab + "\n")
    git = ["git", "-c", "user.name=Pagoda", "-c", "user.email=dev@pagoda",
           "-c", "init.defaultBranch=main"]
    subprocess.run(git + ["init", "-q", dest], check=True)
    subprocess.run(git + ["-C", dest, "add", "-A"], check=True)
    subprocess.run(git + ["-C", dest, "commit", "-q", "-m", "Lab %s: the starter" % lab],
                   check=True)
    print("handout of lab %s: %s (one commit)" % (lab, dest))
    return 0


def distinctive_cut_lines(lab):
    """Cut lines (stripped) that occur nowhere else, not even inside a line, in what a
    handout ships."""
    regions = L.all_regions()
    cut, kept = set(), set()
    for path in L.tracked_files():
        if not L.shipped(path, lab):
            continue
        try:
            lines = L.read_lines(path)
        except (UnicodeDecodeError, IsADirectoryError):
            continue
        rs = [r for r in regions.get(path, []) if r.lab == lab]
        inside = set()
        for r in rs:
            inside.update(range(r.begin, r.end + 1))
            cut.update(line.strip() for line in L.cut_away(lines, rs, lab) if line.strip())
        kept.update(line.strip() for i, line in enumerate(lines) if i not in inside)
    # A cut line inside a kept one ("if (err != MEMM_OK)" in "... {") is no clue either.
    kept_text = "\n".join(kept)
    return sorted(line for line in cut if line not in kept_text), len(cut)


def cmd_leaks(lab, dest):
    lines, total = distinctive_cut_lines(lab)
    print("1..3")
    ok = len(lines) >= 5
    print("%s 1 - %d of the %d cut lines are distinctive enough to search for"
          % ("ok" if ok else "not ok", len(lines), total))
    blobs = []
    for root, dirs, files in os.walk(dest):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            with open(os.path.join(root, name), "rb") as f:
                blobs.append((os.path.relpath(os.path.join(root, name), dest), f.read()))
    found = [(p, line) for p, data in blobs for line in lines if line.encode() in data]
    print("%s 2 - no cut line in the handout's %d files" % ("not ok" if found else "ok",
                                                          len(blobs)))
    for p, line in found[:10]:
        print("# %s: %s" % (p, line))
    objects = subprocess.run(["git", "-C", dest, "cat-file", "--batch-all-objects", "--batch"],
                             check=True, capture_output=True).stdout
    found = [line for line in lines if line.encode() in objects]
    count = int(subprocess.run(["git", "-C", dest, "rev-list", "--count", "HEAD"], check=True,
                               capture_output=True, text=True).stdout)
    bad = found or count != 1
    print("%s 3 - no cut line in the handout's git objects (%d commit%s)"
          % ("not ok" if bad else "ok", count, "" if count == 1 else "s"))
    for line in found[:10]:
        print("# in a git object: %s" % line)
    return 1 if (not ok or found or bad) else 0


def main(argv):
    try:
        if argv[:1] == ["list"]:
            return cmd_list()
        if argv[:1] == ["check"]:
            return cmd_check()
        if argv[:1] == ["handout"] and len(argv) == 3:
            return cmd_handout(argv[1], argv[2])
        if argv[:1] == ["leaks"] and len(argv) == 3:
            return cmd_leaks(argv[1], argv[2])
    except L.LabError as e:
        print("error: %s" % e, file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
