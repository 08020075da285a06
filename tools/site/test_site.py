#!/usr/bin/env python3
"""The site tools' own tests: each rewrite of site_markdown.py, and each
check of check.py failing on a page made to break it (make test).

Usage: tools/site/test_site.py [NAME]   (TAP output; NAME: only the tests whose name holds it)
"""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "shell"))

import check  # noqa: E402
import png_pixels  # noqa: E402
import site_markdown as M  # noqa: E402
from site_pages import Page  # noqa: E402
import tap  # noqa: E402

TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def rewrite(text, path="docs/memory.md"):
    page = Page(path, "docs_memory", text)
    labels = {"docs/memory.md": "docs_memory", "docs/debugging.md": "docs_debugging",
              "README.md": "README"}
    return M.rewrite(page, labels, [])


@test
def links_and_mentions_of_documents_become_page_links():
    out = rewrite("# Memory\n\nSee [the guide](debugging.md#gdb) and `docs/debugging.md`,\n"
                  "and [grading](grading.md), which this site has not.\n")
    assert '\\ref docs_debugging "the guide"' in out, out
    assert '\\ref docs_debugging "docs/debugging.md"' in out, out
    assert "and grading, which" in out, out


@test
def code_blocks_are_left_as_they_are():
    block = "```\nsee docs/debugging.md and `x'y`\n```"
    assert block in rewrite("# Memory\n\n" + block + "\n"), "a fenced block was rewritten"


@test
def code_spans_doxygen_misreads_are_written_so_it_reads_them():
    out = rewrite("# Memory\n\nthe address `grep ' add$'\nbuild/x.sym` prints\n\n"
                  "| `map [r\\|rw] <va>` | x |\n")
    assert "`` grep ' add$' build/x.sym ``" in out, out
    assert "<code>map [r\\|rw] &lt;va&gt;</code>" in out, out


@test
def headings_lose_backticks_and_pictures_their_directories():
    out = rewrite("# Memory\n\n## The page manager (`pmm.h`)\n\n![a](pictures/buddy-tree.svg)\n")
    assert "## The page manager (pmm.h)" in out, out
    assert "![a](buddy-tree.svg)" in out, out


@test
def a_lab_gets_its_number_and_its_neighbours():
    labs = [Page("labs/%s/README.md" % n, "lab_" + n, "# Lab %s: the %s\n\ntext\n" % (n, n),
                 lab=n, number=i + 1) for i, n in enumerate(["one", "two", "three"])]
    out = M.rewrite(labs[1], {}, labs)
    assert out.startswith("# Lab 2, two: The two {#lab_two}"), out
    assert 'Previous: \\ref lab_one "Lab 1, one"' in out and 'Next: \\ref lab_three' in out, out


def html_dir(pages):
    d = tempfile.mkdtemp(prefix="site-test-")
    for name, body in pages.items():
        with open(os.path.join(d, name), "w") as f:
            f.write("<html><body><div class=\"contents\">%s</div></body></html>" % body)
    return d


def parsed(d):
    return {f: check.parse(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".html")}


@test
def a_link_to_no_file_or_no_anchor_fails():
    d = html_dir({"index.html": '<a href="a.html#here">x</a><a href="b.html">y</a>'
                                '<a href="https://example.org">z</a>',
                  "a.html": '<a id="elsewhere"></a>'})
    bad = check.check_links(d, parsed(d))
    assert len(bad) == 2 and "no such anchor" in bad[0] + bad[1] and \
        "no such file" in bad[0] + bad[1], bad


@test
def markup_doxygen_did_not_read_fails_and_code_does_not():
    d = html_dir({"a.html": "<p>[r\\|rw] and `split' here</p>",
                  "b.html": "<p>an <code>&amp;#39;</code></p>",
                  "c.html": "<pre>`quoted' \\| in code is code</pre><p>fine</p>"})
    bad = check.check_artefacts(parsed(d))
    assert any(b.startswith("a.html: a backslash") for b in bad), bad
    assert any(b.startswith("a.html: a backtick") for b in bad), bad
    assert any(b.startswith("b.html: an HTML entity") for b in bad), bad
    assert not any(b.startswith("c.html") for b in bad), bad


@test
def a_blank_screenshot_is_told_from_a_drawn_one():
    import struct
    import zlib

    def png(path, rows):
        raw = b"".join(b"\x00" + bytes(r) for r in rows)
        def chunk(kind, body):
            return struct.pack(">I", len(body)) + kind + body + \
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
        with open(path, "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 8, 8, 2, 0, 0, 0))
                    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    d = tempfile.mkdtemp(prefix="site-test-")
    white = [[255] * 12 for _ in range(8)]
    drawn = [[255] * 6 + [0] * 6 for _ in range(8)]  # half of each row black
    png(os.path.join(d, "blank.png"), white)
    png(os.path.join(d, "drawn.png"), drawn)
    assert png_pixels.share_not_background(os.path.join(d, "blank.png")) == 0
    assert png_pixels.share_not_background(os.path.join(d, "drawn.png")) > 0.3


if __name__ == "__main__":
    sys.exit(tap.run(TESTS, "site", sys.argv[1] if len(sys.argv) > 1 else None))
