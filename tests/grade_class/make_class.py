#!/usr/bin/env python3
"""Make a test class: submissions of a lab, one of each kind a grader meets.

Usage: tests/grade_class/make_class.py LAB DEST

Cuts the lab's handout and writes into DEST (which must not exist):

    reference-ann/          a git repository: the reference solution (full marks)
    starter-ben.bundle      a git bundle: the handout as cut (low marks)
    wrong-cat.tar.gz        a tarball (under one directory): wrong solution 1
    wrong-dan/              a git repository: wrong solution 2
    broken-eve.tgz          a tarball (at the top): a student file that does not compile
    endless-fay/            a git repository: the lab's first function loops forever
    cheater-gus.bundle      a git bundle: the starter, whose public tests, grader
                            and Makefile claim full marks (graded as the starter)

The wrong solutions are the lab's first two wrong/*.patch, applied to the
reference files. Prints `<id> <what it is>` per submission.
"""
import glob
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
import labs as L  # noqa: E402

GIT = ["git", "-c", "user.name=Student", "-c", "user.email=student@pagoda",
       "-c", "init.defaultBranch=main"]


def git(repo, *args):
    subprocess.run(GIT + ["-C", repo] + list(args), check=True, capture_output=True)


def clone(handout, dest, files):
    """A student's repository: the handout with @files ({path: text}) committed."""
    subprocess.run(GIT + ["clone", "-q", handout, dest], check=True)
    for path, text in files.items():
        with open(os.path.join(dest, path), "w") as f:
            f.write(text)
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "--allow-empty", "-m", "my lab")
    return dest


def bundle(repo, dest):
    git(repo, "bundle", "create", os.path.abspath(dest), "--all")


def tarball(repo, dest, top):
    with tarfile.open(dest, "w:gz") as tar:
        for name in sorted(os.listdir(repo)):
            if name != ".git":
                tar.add(os.path.join(repo, name), arcname=os.path.join(top, name))


def reference(lab):
    return {p: open(os.path.join(ROOT, p)).read() for p in L.student_files(lab)}


def patched(lab, patch, work):
    """The reference files with @patch applied."""
    tree = os.path.join(work, "patched-" + os.path.basename(patch))
    for path, text in reference(lab).items():
        os.makedirs(os.path.join(tree, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(tree, path), "w") as f:
            f.write(text)
    subprocess.run(["git", "init", "-q", tree], check=True)
    subprocess.run(["git", "-C", tree, "apply", patch], check=True)
    return {p: open(os.path.join(tree, p)).read() for p in L.student_files(lab)}


def endless(lab, files):
    """@files with an endless loop at the top of the lab's first region (code
    the tests run, inside a function)."""
    for path, text in files.items():
        mark = "/* LAB %s BEGIN */\n" % lab
        if mark in text:
            at = text.index(mark) + len(mark)
            return dict(files, **{path: text[:at] + "\tfor (;;) {\n\t}\n" + text[at:]}), path
    raise SystemExit("no LAB %s region in the student files" % lab)


def main(lab, dest):
    os.makedirs(dest)
    work = tempfile.mkdtemp(prefix="pagoda-class-")
    try:
        handout = os.path.join(work, "handout")
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "lab", "lab.py"), "handout",
                        lab, handout], check=True, capture_output=True)
        ref = reference(lab)
        first = L.student_files(lab)[0]
        made = []

        clone(handout, os.path.join(dest, "reference-ann"), ref)
        made.append(("reference-ann", "the reference solution, a git repository"))

        starter = clone(handout, os.path.join(work, "starter"), {})
        bundle(starter, os.path.join(dest, "starter-ben.bundle"))
        made.append(("starter-ben", "the starter, a git bundle"))

        patches = sorted(glob.glob(os.path.join(ROOT, "labs", lab, "wrong", "*.patch")))[:2]
        repo = clone(handout, os.path.join(work, "cat"), patched(lab, patches[0], work))
        tarball(repo, os.path.join(dest, "wrong-cat.tar.gz"), "wrong-cat")
        made.append(("wrong-cat", "wrong/%s, a tarball" % os.path.basename(patches[0])))
        clone(handout, os.path.join(dest, "wrong-dan"), patched(lab, patches[1], work))
        made.append(("wrong-dan", "wrong/%s, a git repository" % os.path.basename(patches[1])))

        text = ref[first]
        broken = dict(ref, **{first: text + "\nint this does not compile;\n"})
        repo = clone(handout, os.path.join(work, "eve"), broken)
        tarball(repo, os.path.join(dest, "broken-eve.tgz"), ".")
        made.append(("broken-eve", "%s does not compile, a tarball" % first))

        looping, where = endless(lab, ref)
        clone(handout, os.path.join(dest, "endless-fay"), looping)
        made.append(("endless-fay", "the lab's first function in %s never returns" % where))

        cheat = os.path.join(work, "gus")
        clone(handout, cheat, {})
        with open(os.path.join(cheat, "labs", lab, "tests", "grade.py"), "w") as f:
            f.write("import labtest as t\n")  # no public test can fail
        with open(os.path.join(cheat, "tools", "lab", "grade.py"), "w") as f:
            f.write("print('score: 1000/1000')\n")
        with open(os.path.join(cheat, "Makefile"), "a") as f:
            f.write("\ngrade:\n\t@echo 'score: 1000/1000'\n")
        git(cheat, "commit", "-qam", "full marks, surely")
        bundle(cheat, os.path.join(dest, "cheater-gus.bundle"))
        made.append(("cheater-gus", "the starter with its tests, grader and Makefile "
                     "rewritten, a git bundle"))
        for student, what in made:
            print("%s %s" % (student, what))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2]))
