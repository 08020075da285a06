"""tools/doc_transcripts.py --check-handout LAB: the documents a lab's
handout ships, checked in the handout's own tree. doc_transcripts.py's
docstring says what the check does and why a handout needs it; this file
cuts the tree, puts the reference code back, builds, and runs that tree's
own doc_transcripts.py --check.
"""
import filecmp
import glob
import os
import re
import shutil
import subprocess
import sys
import time

from doc_transcripts import ROOT, parse

# Put before the reference code of each region of the lab: with them, a line
# number below a region is not the reference's, so a document that quotes one
# fails (a student's code is not the reference's length).
PADDING = ["padding (doc_transcripts.py --check-handout): a solution longer than the "
           "reference"] * 5


def shipped_docs(root, lab):
    """The Markdown files a handout of @lab ships, relative to @root: its
    README first, then README.md and docs/*.md."""
    found = sorted(glob.glob(os.path.join(root, "labs", lab, "*.md")))
    found += [os.path.join(root, "README.md")] + sorted(glob.glob(os.path.join(root, "docs",
                                                                              "*.md")))
    return [os.path.relpath(p, root) for p in found if os.path.isfile(p)]


def reuse_builds(dest, archs, tracked):
    """Start @dest's kernels from this tree's objects: a file of @dest that is
    the same as here gets this tree's time, and build/<arch> is copied with
    its times, so make compiles again only what the cut changed."""
    for path in tracked:
        mine, theirs = os.path.join(ROOT, path), os.path.join(dest, path)
        if os.path.isfile(theirs) and filecmp.cmp(mine, theirs, shallow=False):
            st = os.stat(mine)
            os.utime(theirs, ns=(st.st_atime_ns, st.st_mtime_ns))
    for arch in archs:
        src = os.path.join(ROOT, "build", arch)
        if os.path.isdir(src):
            # Files only: a debugging session leaves sockets behind.
            shutil.copytree(src, os.path.join(dest, "build", arch), symlinks=True,
                            dirs_exist_ok=True, ignore=lambda d, names: [
                                n for n in names if not (os.path.isdir(os.path.join(d, n)) or
                                                         os.path.isfile(os.path.join(d, n)))])


def check_handout(lab, keep=False, extra=()):
    sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
    import labs as L  # noqa: E402
    t0 = time.monotonic()
    n, failed = 0, 0

    def say(ok, text, detail=""):
        nonlocal n, failed
        n += 1
        failed += not ok
        print("%s %d - %s handout: %s" % ("ok" if ok else "not ok", n, lab, text), flush=True)
        for line in detail.splitlines()[-20:]:
            print("# " + line)

    if lab not in L.labs():
        say(False, "no lab '%s' (tools/lab/lab.py list)" % lab)
        print("1..%d" % n)
        return 1
    dest = os.path.join(ROOT, "build", "labs", lab, "transcripts")
    subprocess.run(["rm", "-rf", dest], check=True)
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "lab", "lab.py"), "handout",
                        lab, dest], cwd=ROOT, capture_output=True, text=True)
    say(r.returncode == 0, "cut into %s" % os.path.relpath(dest, ROOT), r.stdout + r.stderr)
    if r.returncode != 0:
        print("1..%d" % n)
        return 1
    regions = L.all_regions()
    for path in L.student_files(lab):
        lines = L.solved_lines(L.read_lines(path), regions.get(path, []), lab, PADDING)
        with open(os.path.join(dest, path), "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            f.write("\n".join(lines))
    if extra:
        os.makedirs(os.path.join(dest, "extra"), exist_ok=True)
        docs = []
        for path in extra:
            docs.append(os.path.join("extra", os.path.basename(path)))
            subprocess.run(["cp", path, os.path.join(dest, docs[-1])], check=True)
    else:
        docs = shipped_docs(dest, lab)
    # The kernels the transcripts boot, built at once on both cores.
    archs = sorted({"x86_64" if b.kind == "bochs" else b.opts.get("arch", "riscv64")
                    for d in docs for b in parse(os.path.join(dest, d))[0]})
    reuse_builds(dest, archs, L.tracked_files())
    out, r = "", subprocess.CompletedProcess([], 0)
    for arch in archs:
        r = subprocess.run(["make", "-s", "--no-print-directory", "-j2", "kernel",
                            "ARCH=" + arch, "TOOLCHAIN=gnu"], cwd=dest, capture_output=True,
                           text=True)
        out += r.stdout + r.stderr
        if r.returncode != 0:
            break
    say(r.returncode == 0, "the reference code put back, each of its regions %d lines "
        "longer: kernels build (%s)" % (len(PADDING), ", ".join(archs) or "none needed"),
        out if r.returncode else "")
    if r.returncode == 0:
        proc = subprocess.Popen([sys.executable, os.path.join("tools", "doc_transcripts.py"),
                                 "--check"] + docs, cwd=dest, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        tap = re.compile(r"^(ok|not ok) \d+ - (.*)$")
        for line in proc.stdout:
            line = line.rstrip("\n")
            m = tap.match(line)
            if m:
                n += 1
                failed += m.group(1) != "ok"
                print("%s %d - %s handout: %s" % (m.group(1), n, lab, m.group(2)), flush=True)
            elif not re.match(r"^1\.\.\d+$", line):
                print(line if line.startswith("#") else "# " + line, flush=True)
        if proc.wait() != 0 and not failed:
            say(False, "tools/doc_transcripts.py --check exited with status %d"
                % proc.returncode)
    if not keep:
        subprocess.run(["rm", "-rf", dest], check=True)
    print("# %s handout: %.0f s" % (lab, time.monotonic() - t0))
    print("1..%d" % n)
    return 1 if failed else 0
