#!/usr/bin/env python3
"""The cutter's own tests (TAP): markers parsed, cut and rejected with file:line."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import labs as L  # noqa: E402
import lab  # noqa: E402

REF = """int f(int x)
{
	/* LAB one BEGIN */
	return x + 1;
	/* LAB one STUB f
	(void)x;
	LAB_TODO("one", "f");
	*/
	/* LAB one END */
}
int g(void)
{
	/* LAB two BEGIN */
	return 2;
	/* LAB two STUB g
	return -1;
	*/
	/* LAB two END */
}
# LAB one BEGIN
X := 1
# LAB one END
""".split("\n")

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


@test
def cut_replaces_the_region_with_todo_and_stub():
    regions = L.parse("f.c", REF)
    out = "\n".join(L.cut_lines(REF, regions, "one", "labs/one/README.md"))
    assert "return x + 1;" not in out and "X := 1" not in out, out
    assert '\t/* TODO(lab one): write this; see labs/one/README.md, section "f". */\n' \
        '\t(void)x;\n\tLAB_TODO("one", "f");\n}' in out, out
    assert "# TODO(lab one): write this; see labs/one/README.md." in out, out
    # Lab two stays as reference, its markers and stub gone.
    assert "\treturn 2;\n}" in out and "LAB two" not in out and "return -1" not in out, out
    assert L.cut_away(REF, regions, "one") == ["\treturn x + 1;", "X := 1"]


@test
def other_labs_keep_their_code_without_markers():
    out = L.cut_lines(REF, L.parse("f.c", REF), "three", "README.md")
    assert not [line for line in out if "LAB " in line], out
    assert "\treturn x + 1;" in out and "\treturn 2;" in out and "X := 1" in out


def error_of(lines):
    try:
        L.parse("bad.c", lines)
    except L.LabError as e:
        return str(e)
    raise AssertionError("no error for %r" % lines)


@test
def nested_regions_are_an_error_with_file_and_line():
    e = error_of(["/* LAB a BEGIN */", "x", "/* LAB b BEGIN */", "/* LAB b END */",
                  "/* LAB a END */"])
    assert e.startswith("bad.c:3: LAB b BEGIN inside the region of lab a opened at line 1"), e


@test
def unbalanced_markers_are_errors_with_file_and_line():
    e = error_of(["x", "/* LAB a BEGIN */", "y"])
    assert e.startswith("bad.c:2: LAB a BEGIN is never closed"), e
    e = error_of(["x", "/* LAB a END */"])
    assert e.startswith("bad.c:2: LAB a END without a LAB a BEGIN"), e
    e = error_of(["/* LAB a BEGIN */", "/* LAB b END */"])
    assert e.startswith("bad.c:2: LAB b END without"), e
    e = error_of(["/* LAB a BEGIN */", "/* LAB a STUB f", "x;", "/* LAB a END */"])
    assert e.startswith("bad.c:4: LAB a END inside the STUB opened at line 2"), e
    e = error_of(["/* LAB a BEGIN */", "/* LAB a STUB f", "x; /* no */", "*/", "/* LAB a END */"])
    assert e.startswith("bad.c:3: a stub line cannot contain a comment"), e
    e = error_of(["/* LAB a BEGIN */", "/* LAB a STUB", "*/", "/* LAB a END */"])
    assert e.startswith("bad.c:2: LAB a STUB needs the README section"), e


@test
def only_files_outside_labs_and_tools_lab_are_scanned():
    assert L.scanned("os/mm/memm.c") and L.scanned("Makefile")
    assert not L.scanned("docs/labs.md") and not L.scanned("tools/lab/test_labs.py")
    assert not L.scanned("labs/kmalloc/tests/host_kmalloc.c")


@test
def handouts_ship_only_the_labs_public_part():
    assert L.shipped("os/mm/memm.c", "kmalloc")
    assert L.shipped("labs/kmalloc/README.md", "kmalloc")
    assert L.shipped("labs/kmalloc/tests/grade.py", "kmalloc")
    assert L.shipped("labs/kmalloc/allocator-tree.svg", "kmalloc")
    for p in ("labs/kmalloc/hidden/grade.py", "labs/kmalloc/wrong/x.patch",
              "labs/buddy/README.md", "labs/buddy/lab.conf"):
        assert not L.shipped(p, "kmalloc"), p


@test
def lab_conf_lists_exactly_the_files_with_the_labs_regions():
    regions = L.all_regions()
    lab.check_student_files("kmalloc", regions)  # as committed: no error
    fewer = {p: rs for p, rs in regions.items() if p != "os/mm/memm.c"}
    more = dict(regions, **{"os/x.c": L.parse("os/x.c", ["/* LAB kmalloc BEGIN */",
                                                          "/* LAB kmalloc END */"])})
    for changed, words in ((fewer, "files = lists os/mm/memm.c, which has no LAB kmalloc region"),
                           (more, "os/x.c holds LAB kmalloc regions but is not in files =")):
        try:
            lab.check_student_files("kmalloc", changed)
            raise AssertionError("no error for: " + words)
        except L.LabError as e:
            assert str(e) == "labs/kmalloc/lab.conf: " + words, str(e)


@test
def solved_lines_hold_the_reference_and_the_padding():
    regions = L.parse("f.c", REF)
    out = L.solved_lines(REF, regions, "one", pad=("moved",))
    assert "\t/* moved */\n\treturn x + 1;\n}" in "\n".join(out), out
    assert "# moved\nX := 1" in "\n".join(out), out
    # No marker, no stub, no TODO; the other lab's code stays, unpadded.
    assert not [line for line in out if "LAB " in line or "TODO" in line or "(void)x" in line], out
    assert "\treturn 2;" in out and out.count("\t/* moved */") == 1, out
    # Without padding: the handout's lines with the reference code back.
    plain = L.solved_lines(REF, regions, "one")
    assert len(plain) == len(L.cut_lines(REF, regions, "three", "README.md")), plain


def paragraphs(text):
    return [" ".join(p.split()) for p in text.split("\n\n")]


def says_make_grade_for_make_test(out):
    """Whatever says `make test` says here it is `make grade`."""
    for p in paragraphs(out):
        if "make test" in p:
            assert "make grade" in p, "a handout's README.md still says: " + p


@test
def the_handouts_readme_says_make_grade_not_make_test():
    with open(os.path.join(L.ROOT, "README.md")) as f:
        real = f.read()
    out = L.handout_readme(real, "kmalloc")
    assert "N passed" in real and "N passed" not in out, out[:2000]
    assert "make test-" in real and "make test-" not in out, out[:3000]
    assert "make grade   # this lab's tests: a line each, the last one \"score: <got>/<max>\"" \
        in out.split("\n"), out[:2000]
    assert "[labs/kmalloc/README.md](labs/kmalloc/README.md)" in out, out[:3000]
    says_make_grade_for_make_test(out)
    labs_lines = [line for line in out.split("\n") if line.startswith("labs/")]
    assert labs_lines == ["labs/kmalloc/        this lab: its handout (README.md), public "
                          "tests and grader"], labs_lines
    # The rest is README.md's own text.
    assert out.split("\n")[:14] == real.split("\n")[:14]
    assert out[out.index("## A session"):out.index("## A session") + 2000] == \
        real[real.index("## A session"):real.index("## A session") + 2000]


# An older wording of the two commands, and a passage the cutter does not know.
OLD_README = """# Pagoda

## Two commands

```sh
make run     # build and boot
make test    # every test; the last line reads "N passed, N failed"
```

`make run ARCH=x86_64` boots the PC kernel the same way. `make test` takes
about 17 minutes on a quiet two-core machine: it builds both kernels.

On a fresh machine both first install what is missing.

## Elsewhere

Run `make test` before every commit.

```
labs/                the five labs: handouts, public and hidden tests, wrong solutions
```
"""


@test
def the_handouts_readme_goes_by_shape_not_by_words():
    out = L.handout_readme(OLD_README, "memmap")
    assert "make grade   # this lab's tests" in out and "N passed" not in out, out
    assert "`make run ARCH=x86_64` boots the PC kernel the same way. `make grade` runs" in \
        " ".join(out.split()), out
    assert "17 minutes" not in out and "On a fresh machine both first install" in out, out
    assert "Run `make test` before every commit. In this handout `make test` is `make " \
        "grade`." in " ".join(out.split()), out
    assert "labs/memmap/         this lab:" in out, out
    says_make_grade_for_make_test(out)
    try:
        L.handout_readme(OLD_README.replace("make test    #", "make check   #"), "memmap")
        raise AssertionError("no error for a README without `make test` in a code block")
    except L.LabError as e:
        assert str(e).startswith("README.md: no code block with a `make test` line"), e


@test
def a_host_programs_death_is_named():
    import grade
    assert grade.verdict_of_output(0, "obs: a\nobs: end\nok\n") is None
    assert grade.verdict_of_output(1, "obs: a\nFAIL: expected 3, got 4\n") == "expected 3, got 4"
    said = grade.verdict_of_output(-6, "obs: a\n")
    assert said == "killed by SIGABRT: it printed nothing but observations", said
    said = grade.verdict_of_output(-11, "obs: a\nhalf a line\n")
    assert said == "killed by SIGSEGV: half a line", said
    said = grade.verdict_of_output(3, "one\ntwo\n")
    assert said == "exited with status 3: one | two", said


if __name__ == "__main__":
    print("1..%d" % len(TESTS))
    failed = 0
    for i, t in enumerate(TESTS, 1):
        try:
            t()
            print("ok %d - %s" % (i, t.__name__))
        except Exception as e:  # noqa: BLE001
            failed += 1
            print("not ok %d - %s" % (i, t.__name__))
            for line in str(e).splitlines()[:20]:
                print("# " + line)
    sys.exit(1 if failed else 0)
