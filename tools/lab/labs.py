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
COURSE_ORDER = ["memmap", "buddy", "pagetable", "kmalloc", "lazy"]
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


def uncomment_stub(line):
    return line  # stub lines are plain code inside the comment


def cut_lines(lines, regions, lab, readme):
    """@lines with @lab's regions cut and every other lab's markers removed."""
    out, i = [], 0
    by_begin = {r.begin: r for r in regions}
    while i < len(lines):
        r = by_begin.get(i)
        if r is None:
            out.append(lines[i])
            i += 1
            continue
        indent = re.match(r"\s*", lines[r.begin]).group(0)
        opener = "#" if lines[r.begin].lstrip().startswith("#") else "/*"
        if r.lab == lab:
            where = readme + (', section "%s"' % r.section if r.section else "")
            text = "TODO(lab %s): write this; see %s." % (lab, where)
            out.append(indent + (("# " + text) if opener == "#" else "/* %s */" % text))
            if r.stub is not None:
                out.extend(lines[r.stub + 1:r.stub_end])
        else:
            stop = r.stub if r.stub is not None else r.end
            out.extend(lines[r.begin + 1:stop])
        i = r.end + 1
    return out


def cut_away(lines, regions, lab):
    """The reference lines that @lab's regions remove (for the leak check)."""
    gone = []
    for r in regions:
        if r.lab == lab:
            gone.extend(lines[r.begin + 1:r.stub if r.stub is not None else r.end])
    return gone


def solved_lines(lines, regions, lab, pad=()):
    """@lines as a student who solved @lab has them: every other lab's markers
    removed (as in the handout), @lab's regions holding the reference code,
    each preceded by the lines @pad (comments: a solution of another length
    moves what follows it)."""
    out, i = [], 0
    by_begin = {r.begin: r for r in regions}
    while i < len(lines):
        r = by_begin.get(i)
        if r is None:
            out.append(lines[i])
            i += 1
            continue
        if r.lab == lab and pad:
            indent = re.match(r"\s*", lines[r.begin]).group(0)
            hash_comment = lines[r.begin].lstrip().startswith("#")
            out.extend(indent + ("# %s" % p if hash_comment else "/* %s */" % p) for p in pad)
        out.extend(lines[r.begin + 1:r.stub if r.stub is not None else r.end])
        i = r.end + 1
    return out


# The top README.md describes the course tree: its `make test`, its five
# labs. In a handout `make test` is `make grade` and there is one lab, so the
# cutter rewrites the passages that say otherwise. Each must be found exactly
# once: when README.md changes, `make handout` fails naming the passage to
# update here (tools/lab/test_labs.py checks the real README).
def _loose(text):
    """A pattern of @text's words with any white space (a line break) between them."""
    return r"\s+".join(re.escape(w) for w in text.split())


def _labs_line(m, lab):
    prefix = "labs/%s/" % lab
    column = len("labs/") + len(m.group(1))
    return prefix + " " * max(1, column - len(prefix)) + \
        "this lab: its handout (README.md), public tests and grader"


README_PASSAGES = [
    ("the `make test` line of the two commands",
     re.compile(r"^make test( +)#[^\n]*$", re.M),
     lambda m, lab: "make grade" + " " * max(1, len(m.group(1)) - 1) +
     "# this lab's tests: a line each, the last one \"score: <got>/<max>\""),
    ("what `make test` does and how long it takes (to the end of its paragraph)",
     re.compile(r"`make test` takes[\s\S]*?(?=\n\n)"),
     lambda m, lab: "`make grade` runs this lab's public tests: one line per test (`ok` or "
     "`FAIL`, its points, its name, and for a failure the reason and the command that "
     "replays it), then `score: <got>/<max>`. Section \"Grading\" of "
     "[labs/%s/README.md](labs/%s/README.md) says what each test checks. Here `make test` "
     "is `make grade`." % (lab, lab)),
    ("the fuzzers' inputs replayed by `make test`",
     re.compile(_loose("are replayed by `make test`.")),
     lambda m, lab: "are replayed by the course's own `make test` (here `make test` is "
     "`make grade`)."),
    ("the `labs/` line of the map of the tree",
     re.compile(r"^labs/( +)\S[^\n]*$", re.M), _labs_line),
    ("`make test` checks the transcripts",
     re.compile(_loose("and `make test` fails when the kernel no longer prints what a document "
                       "shows.")),
     lambda m, lab: "of the course's kernel with every lab written, checked again in this "
     "handout's own tree before it was handed out. Until your code is written, those that "
     "run it stop with `panic: lab %s: ...`; once it is, an address that depends on the "
     "size of your code may differ. `python3 tools/doc_transcripts.py --check FILE` shows "
     "what differs." % lab),
]


def _reflow(text, start, end, width=76):
    """@text with the paragraph around [@start, @end) filled to @width, if it is
    plain prose (not a code block, list or table)."""
    top = text.rfind("\n\n", 0, start)
    top = 0 if top < 0 else top + 2
    bottom = text.find("\n\n", end)
    bottom = len(text) if bottom < 0 else bottom
    para = text[top:bottom]
    if any(line.startswith(("```", " ", "|", "-", "#", ">")) for line in para.split("\n")):
        return text
    filled = textwrap.fill(" ".join(para.split()), width, break_long_words=False,
                           break_on_hyphens=False)
    return text[:top] + filled + text[bottom:]


def handout_readme(text, lab):
    """The top README.md @text as a handout of @lab ships it (README_PASSAGES);
    LabError names a passage found not exactly once."""
    for what, pattern, replace in README_PASSAGES:
        found = list(pattern.finditer(text))
        if len(found) != 1:
            raise LabError("README.md: the handout rewrites %s, found %d times, not once "
                           "(update README_PASSAGES in tools/lab/labs.py)" % (what, len(found)))
        m = found[0]
        new = replace(m, lab)
        text = _reflow(text[:m.start()] + new + text[m.end():], m.start(), m.start() + len(new))
    return text


def shipped(path, lab):
    """Does @path go into @lab's handout? Not other labs, hidden tests, wrong
    solutions, or what the mutants say of the reference (make mutants)."""
    if not path.startswith("labs/"):
        return True
    parts = path.split("/")
    return len(parts) >= 3 and parts[1] == lab and parts[2] not in (
        "hidden", "wrong", "mutants.json", "equivalent-mutants")
