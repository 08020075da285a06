#!/usr/bin/env python3
"""tools/doc_transcripts.py --check-handout: a handout's transcripts are
checked in its own cut tree, where the student's code moves the lines below
it. Slow (cuts a handout and builds its kernel), so it runs in make
test-labs; tests/shell/test_docs.py has the rest of the tool's tests.

Usage: test_docs_handout.py   (TAP output)
"""
import os
import re
import subprocess
import sys

from test_docs import ROOT, copy, tool
import tap

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def a_line_number_below_the_students_code_fails_in_the_handout():
    """--check-handout: a gdb stop above the lab's code passes in the cut
    tree, one below it (its line moves with the student's code) fails."""
    gdb = '<!-- transcript: gdb arch=riscv64 console="kmalloc 24" -->\n```\n' \
        '(gdb) break shell_run\n(gdb) continue\n(gdb) break %s\n(gdb) continue\n```\n'
    above = copy("handout-above.md", gdb % "tree_insert")  # os/mm/memm.c, above kmalloc's code
    below = copy("handout-below.md", gdb % "slab_init")    # os/mm/memm_slab.c, below it
    status, out = tool("--update", above, below)
    assert status == 0, out
    with open(below) as f:
        line = re.search(r"file os/mm/memm_slab\.c, line (\d+)\.", f.read())
    assert line, "no breakpoint in memm_slab.c in the reference's transcript"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "doc_transcripts.py"),
                           "--check-handout", "kmalloc", above, below], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0, out
    assert re.search(r"^ok \d+ - kmalloc handout: extra/handout-above\.md:1 transcript$",
                     out, re.M), out
    assert re.search(r"^not ok \d+ - kmalloc handout: extra/handout-below\.md:1 transcript$",
                     out, re.M), out
    assert "# -Breakpoint 3 at" in out and "memm_slab.c, line %s." % line.group(1) in out, out
    assert re.search(r"^1\.\.\d+$", out.splitlines()[-1]), out


def main():
    return tap.main(TESTS, __doc__, sys.modules[__name__], arch="riscv64")


if __name__ == "__main__":
    sys.exit(main())
