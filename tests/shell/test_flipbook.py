#!/usr/bin/env python3
"""make flipbook's page, made from a real kernel and read back as HTML.

tools/flipbook.py runs commands in the kernel and writes one page with a
frame per command: the command, what it printed, and the allocators drawn
after it. These tests make real pages and parse them: a frame per command
with the kernel's own words, inline <svg> pictures that follow the state
(not one picture copied into every frame), nothing fetched from elsewhere,
and the keys the page's script answers. A run that cannot finish ends in
one `error:` line.

    python3 tests/shell/test_flipbook.py [--arch x86_64] [--only NAME]
"""
import html.parser
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tap import main  # noqa: E402

ARCH = "riscv64"  # set by --arch
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.chdir(ROOT)


def test(fn):
    TESTS.append(fn)
    return fn


TESTS = []


def out_dir():
    path = os.path.join("build", "test-flipbook", ARCH)
    os.makedirs(path, exist_ok=True)
    return path


def flipbook(cmds, out, *options):
    """Run tools/flipbook.py; the finished process (its output as text)."""
    if os.path.exists(out):
        os.remove(out)  # a page of an earlier run must not pass for this one's
    return subprocess.run([sys.executable, "tools/flipbook.py", "--arch", ARCH, "--out", out]
                          + list(options) + [cmds], capture_output=True, text=True,
                          timeout=300)


class Page(html.parser.HTMLParser):
    """What a test needs of the page: the frames, each with its command,
    output and pictures; every tag with its attributes; the script."""

    def __init__(self, text):
        super().__init__()
        self.frames = []  # {"command", "output", "pictures": [[dot command, svg]]}
        self.tags = []  # (tag, attributes)
        self.script = ""
        self.counter = ""
        self._in = None  # "output", "script", "counter" or "svg": where text goes
        self._svg_depth = 0
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        classes = (attrs.get("class") or "").split()
        if self._svg_depth:  # inside a picture: keep its markup to compare
            self.frames[-1]["pictures"][-1][1] += self.get_starttag_text()
            self._svg_depth += tag == "svg"
        elif tag == "section" and "frame" in classes:
            self.frames.append({"command": attrs["data-command"], "output": "",
                                "pictures": []})
        elif tag == "pre" and "output" in classes:
            self._in = "output"
        elif tag == "figure":
            self.frames[-1]["pictures"].append([attrs["data-dot"], ""])
        elif tag == "svg":
            self._svg_depth = 1
            self.frames[-1]["pictures"][-1][1] = self.get_starttag_text()
        elif tag == "script":
            self._in = "script"
        elif attrs.get("id") == "counter":
            self._in = "counter"

    def handle_endtag(self, tag):
        if self._svg_depth:
            self.frames[-1]["pictures"][-1][1] += "</%s>" % tag
            self._svg_depth -= tag == "svg"
        elif tag in ("pre", "script", "span"):
            self._in = None

    def handle_data(self, data):
        if self._svg_depth:
            self.frames[-1]["pictures"][-1][1] += data
        elif self._in == "output":
            self.frames[-1]["output"] += data
        elif self._in == "script":
            self.script += data
        elif self._in == "counter":
            self.counter += data


def read_page(path):
    with open(path) as f:
        return Page(f.read())


COMMANDS = ["check", "alloc 3", "alloc 5 scattered", "free #1", "kmalloc 100", "dot alloc"]
MADE = {}  # the run of COMMANDS, made once for the tests that read it


def made():
    """The page of COMMANDS (its path) and the run that made it."""
    if not MADE:
        MADE["out"] = os.path.join(out_dir(), "flipbook.html")
        MADE["proc"] = flipbook("; ".join(COMMANDS), MADE["out"])
    proc = MADE["proc"]
    assert proc.returncode == 0, "flipbook.py failed:\n" + proc.stdout + proc.stderr
    return MADE["out"], proc


def without_ids(svg):
    """@svg without its ids (each picture's are made unique in the page)."""
    return re.sub(r'id="[^"]*"', "", svg)


@test
def a_frame_per_command_with_its_output_and_pictures():
    out, proc = made()
    assert proc.returncode == 0 and proc.stderr == "", proc.stdout + proc.stderr
    # A line per command as it runs, then where the page is.
    progress = ["[%d/%d] %s" % (i, len(COMMANDS), c) for i, c in enumerate(COMMANDS, 1)]
    assert proc.stdout.splitlines() == progress + ["wrote %s (6 frames)" % out], proc.stdout
    page = read_page(out)
    assert [f["command"] for f in page.frames] == COMMANDS, page.frames
    assert page.counter == "1 / 6", page.counter
    check, alloc3, scattered, free, kmalloc, dot = page.frames
    # Each frame holds what the kernel printed in answer.
    assert check["output"] == "check: ok", check
    assert re.fullmatch(r"allocated 3 pages at 0x[0-9a-f]+", alloc3["output"]), alloc3
    assert scattered["output"] == "allocated 5 pages as #1", scattered
    assert free["output"] == "freed 5 pages of #1", free
    assert re.fullmatch(r"allocated 100 bytes at 0x[0-9a-f]+", kmalloc["output"]), kmalloc
    # After a command: dot buddy and dot alloc, drawn by Graphviz (its SVG
    # has a <title> per graph); a `dot` command: its picture alone, and
    # its graph's text is not shown as output.
    for frame in page.frames[:-1]:
        assert [p[0] for p in frame["pictures"]] == ["dot buddy", "dot alloc"], frame
    assert [p[0] for p in dot["pictures"]] == ["dot alloc"], dot
    assert "digraph" not in dot["output"], dot["output"]
    for frame in page.frames:
        for name, svg in frame["pictures"]:
            title = name.split()[1]
            assert svg.startswith("<svg") and "<title>%s</title>" % title in svg, svg[:300]


@test
def the_pictures_follow_the_state():
    """Each frame is drawn after its own command: the pictures change when
    the allocators do, and stay when they do not."""
    page = read_page(made()[0])
    check, alloc3, scattered, free, kmalloc, dot = [dict(f["pictures"]) for f in page.frames]
    buddy = [without_ids(f["dot buddy"]) for f in (check, alloc3, scattered)]
    assert buddy[0] != buddy[1] != buddy[2], "dot buddy did not change after alloc"
    addr = re.search(r"0x[0-9a-f]+", page.frames[1]["output"]).group(0)
    # dot buddy labels the blocks of an allocation with the address alloc printed.
    assert (">at %s<" % addr) in alloc3["dot buddy"], alloc3["dot buddy"]
    assert (">at %s<" % addr) not in check["dot buddy"]
    assert "scattered" in scattered["dot buddy"] and "scattered" not in free["dot buddy"]
    # kmalloc makes the first allocator object; before it there is none.
    for frame in (check, alloc3, scattered, free):
        assert "no allocators" in frame["dot alloc"], frame["dot alloc"]
    assert "no allocators" not in kmalloc["dot alloc"] and "slab" in kmalloc["dot alloc"]
    assert without_ids(dot["dot alloc"]) == without_ids(kmalloc["dot alloc"])


@test
def the_page_needs_nothing_from_elsewhere():
    """It works from file:// with no network: no address outside the page,
    no file beside it; its script answers the keys and the buttons."""
    with open(made()[0]) as f:
        text = f.read()
    page = Page(text)
    found = re.findall(r"(?:https?|file):[^\s\"<]*", text)
    assert not found, "addresses outside the page: %s" % sorted(set(found))
    for tag, attrs in page.tags:
        assert tag not in ("link", "img", "iframe", "object", "embed", "image"), tag
        for name, value in attrs.items():
            if name in ("src", "href", "xlink:href", "data", "action"):
                assert value.startswith("#"), (tag, name, value)
    ids = [a["id"] for _, a in page.tags if "id" in a]
    assert len(ids) == len(set(ids)), "an id used twice"
    assert {"first", "prev", "next", "last", "counter"} <= set(ids), ids
    for key in ("ArrowLeft", "ArrowRight", "Home", "End", "keydown"):
        assert '"%s"' % key in page.script or key + ":" in page.script, key
    for button in ("first", "prev", "next", "last"):
        assert 'getElementById("%s").onclick' % button in page.script, button


@test
def errors_end_in_one_line():
    """No commands: exit 2 and no page. A command that powers the kernel
    off ends the run in one line, and the frames made so far are kept."""
    out = os.path.join(out_dir(), "stopped.html")
    for cmds in ("", " ; ;"):
        proc = flipbook(cmds, out)
        assert proc.returncode == 2 and proc.stdout == "", proc.stdout + proc.stderr
        assert proc.stderr.splitlines() == [
            "error: no commands given; try CMDS='alloc 3; kmalloc 100'"], proc.stderr
        assert not os.path.exists(out)
    proc = flipbook("alloc 3; poweroff; check", out)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stdout + proc.stderr
    assert proc.stderr.splitlines() == [
        "error: the kernel stopped at `poweroff`; 1 command after it did not run "
        "(2 frames kept)"], proc.stderr
    page = read_page(out)
    assert [f["command"] for f in page.frames] == ["alloc 3", "poweroff"], page.frames
    assert page.frames[1]["output"].startswith("powering off"), page.frames[1]
    assert page.frames[1]["pictures"] == []
    assert "the kernel stopped at `poweroff`" in open(out).read()


@test
def make_flipbook_passes_cmds_and_out_verbatim():
    """CMDS and OUT reach the tool as typed: no shell expands them."""
    out = os.path.join(out_dir(), "a $HOME `id`.html")
    if os.path.exists(out):
        os.remove(out)
    proc = subprocess.run(["make", "--no-print-directory", "-s", "flipbook", "ARCH=" + ARCH,
                           "CMDS=help $HOME; kmalloc `id`", "OUT=" + out],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = read_page(out)
    assert [f["command"] for f in page.frames] == ["help $HOME", "kmalloc `id`"], page.frames


if __name__ == "__main__":
    sys.exit(main(TESTS, __doc__, sys.modules[__name__]))
