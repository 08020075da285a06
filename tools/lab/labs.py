"""Labs: finding the regions a lab cuts, cutting them, writing handouts.

A lab's code lies between two comment lines in the reference sources:

    /* LAB kmalloc BEGIN */
    ...the reference code (cut from the handout)...
    /* LAB kmalloc STUB slab_class
    (void)bytes;
    LAB_TODO("kmalloc", "slab_class");
    */
    /* LAB kmalloc END */

The optional STUB part, from the `LAB <name> STUB <section>` line to the line
that is only `*/` (or `#` lines in a Makefile or script), is what the handout
compiles instead: its lines, uncommented. <section> names the heading of
labs/<name>/README.md that explains the function. In the handout the whole
region becomes a TODO comment pointing at that section, then the stub.
In every other lab's handout (and for every other lab's regions) the marker
lines and the STUB part vanish and the reference code stays.

Standard library only. docs/labs.md is the guide for instructors.
"""
import os
import re
import subprocess
import textwrap

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
COURSE_ORDER = ["memmap", "buddy", "pagetable", "kmalloc", "lazy", "percpu"]
# Where markers may be: source files only (the docs quote the syntax).
SOURCE_SUFFIXES = (".c", ".h", ".S", ".ld", ".mk", ".py", ".sh")
MARKER = re.compile(r"^\s*(?:/\*|//|#)\s*LAB ([a-z][a-z0-9_]*) (BEGIN|STUB|END)\b(.*)$")


class LabError(Exception):
    """A marker problem, with file:line."""


class Region:
    def __init__(self, lab, path, begin):
        self.lab, self.path, self.begin = lab, path, begin  # 0-based line indexes
        self.stub = None     # index of the STUB line, if any
        self.stub_end = None  # index of the line closing the stub comment
        self.end = None
        self.section = None

    def where(self, i=None):
        return "%s:%d" % (self.path, (self.begin if i is None else i) + 1)


def is_source(path):
    base = os.path.basename(path)
    return base == "Makefile" or base.endswith(SOURCE_SUFFIXES)


def tracked_files(root=ROOT):
    """Every file of the tree that git knows or would add (not build/)."""
    # safe.directory: an instructor may grade from a course tree another user owns.
    out = subprocess.run(["git", "-c", "safe.directory=" + os.path.abspath(root), "ls-files",
                          "-co", "--exclude-standard", "-z"], cwd=root,
                         check=True, capture_output=True).stdout.decode()
    return sorted(p for p in out.split("\0") if p and os.path.isfile(os.path.join(root, p)))


def scanned(path):
    """Files whose markers count: sources outside labs/ and tools/lab/."""
    return is_source(path) and not path.startswith(("labs/", "tools/lab/"))


def parse(path, lines):
    """The regions of one file; LabError on nesting, imbalance, a bad stub."""
    regions, open_region = [], None
    for i, line in enumerate(lines):
        m = MARKER.match(line)
        if open_region is not None and open_region.stub is not None and \
                open_region.stub_end is None:
            if m and m.group(2) == "END":
                raise LabError("%s:%d: LAB %s END inside the STUB opened at line %d "
                               "(close the stub with a line '*/' first)"
                               % (path, i + 1, open_region.lab, open_region.stub + 1))
            if line.strip() in ("*/", "#"):
                open_region.stub_end = i
            elif "*/" in line or "/*" in line:
                raise LabError("%s:%d: a stub line cannot contain a comment (/* or */)" % (path, i + 1))
            continue
        if not m:
            continue
        lab, kind, rest = m.group(1), m.group(2), m.group(3).strip()
        if kind == "BEGIN":
            if open_region is not None:
                raise LabError("%s:%d: LAB %s BEGIN inside the region of lab %s opened at "
                               "line %d (regions do not nest)"
                               % (path, i + 1, lab, open_region.lab, open_region.begin + 1))
            open_region = Region(lab, path, i)
        elif open_region is None or open_region.lab != lab:
            raise LabError("%s:%d: LAB %s %s without a LAB %s BEGIN before it"
                           % (path, i + 1, lab, kind, lab))
        elif kind == "STUB":
            if open_region.stub is not None:
                raise LabError("%s:%d: a second STUB in one region" % (path, i + 1))
            section = rest.replace("*/", "").strip()
            if not re.fullmatch(r"[A-Za-z0-9_ .-]+", section or ""):
                raise LabError("%s:%d: LAB %s STUB needs the README section it points to"
                               % (path, i + 1, lab))
            open_region.stub, open_region.section = i, section
            if line.rstrip().endswith("*/"):
                open_region.stub_end = i  # an empty one-line stub
        else:
            open_region.end = i
            regions.append(open_region)
            open_region = None
    if open_region is not None:
        raise LabError("%s:%d: LAB %s BEGIN is never closed by LAB %s END"
                       % (path, open_region.begin + 1, open_region.lab, open_region.lab))
    return regions


def read_lines(path, root=ROOT):
    with open(os.path.join(root, path), encoding="utf-8", errors="surrogateescape") as f:
        return f.read().split("\n")


def all_regions(root=ROOT):
    """{path: [Region]} over the whole tree (LabError on the first bad marker)."""
    found = {}
    for path in tracked_files(root):
        if scanned(path):
            regions = parse(path, read_lines(path, root))
            if regions:
                found[path] = regions
    return found


def labs(root=ROOT):
    """The labs that exist (labs/<name>/lab.conf), in course order."""
    names = [n for n in os.listdir(os.path.join(root, "labs"))
             if os.path.isfile(os.path.join(root, "labs", n, "lab.conf"))]
    order = {n: i for i, n in enumerate(COURSE_ORDER)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def conf(name, root=ROOT):
    """labs/<name>/lab.conf: `key = value` lines (title, ...)."""
    values = {}
    with open(os.path.join(root, "labs", name, "lab.conf")) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                key, _, value = line.partition("=")
                values[key.strip()] = value.strip()
    return values


def student_files(name, root=ROOT):
    """The files a student of lab @name writes in (lab.conf's `files`)."""
    return conf(name, root).get("files", "").split()


def rewrite_regions(lines, regions, replace):
    """@lines with each region (its markers included) replaced by the lines
    replace(region) returns."""
    out, i = [], 0
    by_begin = {r.begin: r for r in regions}
    while i < len(lines):
        r = by_begin.get(i)
        if r is None:
            out.append(lines[i])
            i += 1
            continue
        out.extend(replace(r))
        i = r.end + 1
    return out


def reference_lines(lines, r):
    """The reference code of region @r (between BEGIN and its STUB or END)."""
    return lines[r.begin + 1:r.stub if r.stub is not None else r.end]


def comment_like(lines, r, text):
    """@text as a comment in the style and indent of @r's BEGIN marker."""
    indent = re.match(r"\s*", lines[r.begin]).group(0)
    if lines[r.begin].lstrip().startswith("#"):
        return indent + "# " + text
    return indent + "/* %s */" % text


def starter_lines(lines, r, readme):
    """What a handout has in place of region @r: a TODO comment that points
    at @readme's section, then the stub."""
    where = readme + (', section "%s"' % r.section if r.section else "")
    todo = comment_like(lines, r, "TODO(lab %s): write this; see %s." % (r.lab, where))
    return [todo] + (lines[r.stub + 1:r.stub_end] if r.stub is not None else [])


def cut_lines(lines, regions, lab, readme):
    """@lines with @lab's regions cut and every other lab's markers removed."""
    def replace(r):
        if r.lab != lab:
            return reference_lines(lines, r)
        return starter_lines(lines, r, readme)
    return rewrite_regions(lines, regions, replace)


def cut_every_lab(lines, regions):
    """@lines with every lab's regions cut, each as its own handout cuts it
    (the public course site: no lab's solution shows)."""
    return rewrite_regions(lines, regions,
                           lambda r: starter_lines(lines, r, "labs/%s/README.md" % r.lab))


def cut_away(lines, regions, lab):
    """The reference lines that @lab's regions remove (for the leak check)."""
    gone = []
    for r in regions:
        if r.lab == lab:
            gone.extend(reference_lines(lines, r))
    return gone


def solved_lines(lines, regions, lab, pad=()):
    """@lines as a student who solved @lab has them: every other lab's markers
    removed (as in the handout), @lab's regions holding the reference code,
    each preceded by the lines @pad (comments: a solution of another length
    moves what follows it)."""
    def replace(r):
        padding = [comment_like(lines, r, p) for p in pad] if r.lab == lab else []
        return padding + reference_lines(lines, r)
    return rewrite_regions(lines, regions, replace)


# The top README.md describes the course tree: its `make test` and the suites
# beside it, its six labs. In a handout `make test` is `make grade` and there
# is one lab: handout_readme() rewrites what says otherwise, going by the
# shape of README.md more than by its words, which change. test_labs.py
# checks the real README: no passage about `make test` is left that does not
# say it is `make grade` here.
MAKE_TEST = re.compile(r"\bmake test\b")  # `make test`, `make test-labs`, ...
SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[`A-Z(\[])")


def _grade_line(test_line):
    """The `make grade` line of a code block, its comment where @test_line's is."""
    column = test_line.find("#")
    head = "make grade"
    return head + " " * max(1, column - len(head)) + \
        "# this lab's tests: a line each, the last one \"score: <got>/<max>\""


def _grade_text(lab):
    return ("`make grade` runs this lab's public tests: one line per test (`ok` or `FAIL`, "
            "its points, its name, and for a failure the reason and the command that replays "
            "it), then `score: <got>/<max>`. Section \"Grading\" of "
            "[labs/%s/README.md](labs/%s/README.md) says what each test checks. Here `make "
            "test` is `make grade`; the course's other suites are not part of a handout."
            % (lab, lab))


# Passages outside the two commands that a handout words otherwise (a
# passage that is gone is no error: the fallback below still tells).
README_PASSAGES = [
    (re.compile(r"replayed\s+by\s+`make\s+test`"),
     lambda lab: "replayed by the course's own `make test` (here `make test` is `make grade`)"),
    (re.compile(r"and\s+`make\s+test`\s+fails\s+when\s+the\s+kernel\s+no\s+longer\s+prints\s+"
                r"what\s+a\s+document\s+shows\."),
     lambda lab: "of the course's kernel with every lab written, checked again in this "
     "handout's own tree before it was handed out. Until your code is written, those that "
     "run it stop with `panic: lab %s: ...`; once it is, an address that depends on the "
     "size of your code may differ. `python3 tools/doc_transcripts.py --check FILE` shows "
     "what differs." % lab),
]


def _blocks(text):
    """@text as Markdown blocks separated by blank lines (a fenced block is one
    block, blank lines and all)."""
    blocks, current, fenced = [], [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        if line.strip() == "" and not fenced:
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _kind(block):
    first = block[0]
    if first.startswith("```"):
        return "code"
    if first.startswith("#"):
        return "heading"
    if first.startswith("|"):
        return "table"
    if first.startswith(("-", "*", ">", " ")) or re.match(r"\d+\. ", first):
        return "other"
    return "prose"


def _fill(text, width=76):
    return textwrap.fill(" ".join(text.split()), width, break_long_words=False,
                         break_on_hyphens=False).split("\n")


def handout_readme(text, lab):
    """The top README.md @text as a handout of @lab ships it. The code block
    that shows `make test` shows `make grade`; what follows it up to the next
    heading says what `make grade` prints instead of what `make test` does
    (tables and their lead-ins about the other suites go); the `labs/` line of
    the map names the lab; README_PASSAGES are reworded; any other passage that
    names `make test` is told it is `make grade` here. LabError if no code
    block shows `make test`."""
    blocks = _blocks(text)
    at = [i for i, b in enumerate(blocks) if _kind(b) == "code" and
          any(line.startswith("make test") for line in b)]
    if not at:
        raise LabError("README.md: no code block with a `make test` line, which a handout "
                       "shows as `make grade` (update handout_readme in tools/lab/labs.py)")
    code = blocks[at[0]]
    first = next(k for k, line in enumerate(code) if line.startswith("make test"))
    blocks[at[0]] = [_grade_line(line) if k == first else line for k, line in enumerate(code)
                     if k == first or not line.startswith("make test")]
    out, told = blocks[:at[0] + 1], False
    section = True
    for block in blocks[at[0] + 1:]:
        kind = _kind(block)
        section = section and kind != "heading"
        joined = " ".join(block)
        if kind == "code":
            block = [_labs_line(line, lab) if re.match(r"labs/ +\S", line) else line
                     for line in block]
        elif section and MAKE_TEST.search(joined) and kind in ("table", "prose"):
            if kind == "table":
                if out and _kind(out[-1]) == "prose" and out[-1][-1].endswith(":"):
                    out.pop()  # the lead-in of the table
                continue
            sentences = SENTENCE_END.split(" ".join(joined.split()))
            keep = []
            for sentence in sentences:
                if MAKE_TEST.search(sentence):
                    break
                keep.append(sentence)
            if told and not keep:
                continue
            block = _fill(" ".join(keep + ([] if told else [_grade_text(lab)])))
            told = True
        elif kind == "prose" and MAKE_TEST.search(joined):
            prose = " ".join(joined.split())
            for pattern, replace in README_PASSAGES:
                prose = pattern.sub(lambda m: replace(lab), prose)
            if MAKE_TEST.search(prose) and "make grade" not in prose:
                prose += " In this handout `make test` is `make grade`."
            block = _fill(prose)
        out.append(block)
    if not told:
        out.insert(at[0] + 1, _fill(_grade_text(lab)))
    return "\n\n".join("\n".join(b) for b in out) + ("\n" if text.endswith("\n") else "")


def _labs_line(line, lab):
    m = re.match(r"labs/( +)", line)
    prefix = "labs/%s/" % lab
    column = len(m.group(0))
    return prefix + " " * max(1, column - len(prefix)) + \
        "this lab: its handout (README.md), public tests and grader"


def shipped(path, lab):
    """Does @path go into @lab's handout? Not other labs, hidden tests, wrong
    solutions, or what the mutants say of the reference (make mutants)."""
    if not path.startswith("labs/"):
        return True
    parts = path.split("/")
    return len(parts) >= 3 and parts[1] == lab and parts[2] not in (
        "hidden", "wrong", "mutants.json", "equivalent-mutants")
