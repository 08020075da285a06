#!/usr/bin/env python3
"""Check a built course site as a reader meets it (make docs-check).

  links       every href/src of every page leads to a file of the site, and
              its #anchor to an id in that file (no network: the site must
              work from file://)
  artefacts   no page shows markup Doxygen failed to read: a backslash
              before a bar, a literal <tt>, a backtick, \\ref or \\subpage,
              an HTML entity escaped twice (&#39; shown as such),
              a function named __attribute__, a "File Reference" page of a
              Markdown file
  lab words   every function that holds a lab's region says on its page
              what it does (in the reference tree: a handout has no regions)
  lab code    (--public) no line of any lab's reference code is in any page
              (the lines tools/lab/lab.py's leak check searches a handout
              for), nor any LAB marker
  graphs      no call graph wider than the content column can show at its
              own size (the stylesheet shrinks it, but then it is unreadable)
  browser     (--screenshots DIR) headless Chromium draws each --shot page
              and the first --picture the site has; each must show
              something (not one flat colour), and a page its text; the
              full-text search finds --search WORD

TAP on stdout; exit 1 when anything fails.

Usage: tools/site/check.py HTML_DIR [--public] [--screenshots DIR
       [--shot PAGE.html=TEXT]... [--picture FILE]... [--search WORD]]
"""
import argparse
import html
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lab"))
sys.path.insert(0, HERE)

import png_pixels  # noqa: E402

WIDEST_GRAPH_PX = 1200  # Doxygen's content column on a 1920-px screen, tree view open


VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
             "param", "source", "track", "wbr"}
CODE_TAGS = {"code", "pre", "script", "style", "tt"}
# Source listings, and the declarations atop a function's or variable's doc.
CODE_CLASSES = {"fragment", "line", "memname", "memItemLeft", "memItemRight"}


class Page(HTMLParser):
    """What a check needs of one HTML page: its links, ids and text, and
    its prose (the text outside code, listings and scripts)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links, self.ids = [], set()
        self.prose, self.all_text = [], []  # the text a reader sees, without and with code
        self.open = []   # (tag, inside code?) of the elements open here

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("href", "src", "data"):
            if attrs.get(key) and tag in ("a", "img", "script", "link", "object", "iframe"):
                self.links.append(attrs[key])
        for key in ("id", "name"):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag in VOID_TAGS:
            return
        classes = (attrs.get("class") or "").split()
        code = (self.open and self.open[-1][1]) or tag in CODE_TAGS or \
            any(c in CODE_CLASSES for c in classes)
        self.open.append((tag, bool(code)))

    def handle_endtag(self, tag):
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i][0] == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        if any(tag in ("script", "style") for tag, _ in self.open):
            return
        self.all_text.append(data)
        if not (self.open and self.open[-1][1]):
            self.prose.append(data)


def parse(path):
    page = Page()
    with open(path, encoding="utf-8", errors="replace") as f:
        page.feed(f.read())
    return page


ARTEFACTS = [
    (re.compile(r"\\\|"), "a backslash before a bar"),
    (re.compile(r"</?tt>"), "a literal <tt>"),
    (re.compile(r"`"), "a backtick (a code span Doxygen did not read)"),
    (re.compile(r"[\\@](ref|subpage)\b"), "a \\ref or \\subpage not read"),
]


def check_links(html_dir, pages):
    bad = []
    for name, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto", "javascript") or link.startswith("#") and not link[1:]:
                continue
            if parts.scheme and parts.scheme != "file":
                bad.append("%s: %s (scheme)" % (name, link))
                continue
            target = os.path.normpath(os.path.join(os.path.dirname(name), unquote(parts.path))) \
                if parts.path else name
            if not os.path.exists(os.path.join(html_dir, target)):
                bad.append("%s: %s (no such file)" % (name, link))
            elif parts.fragment and target in pages and parts.fragment not in pages[target].ids:
                bad.append("%s: %s (no such anchor)" % (name, link))
    return bad


def check_artefacts(pages):
    bad = []
    for name, page in pages.items():
        prose = "".join(page.prose)
        for pattern, what in ARTEFACTS:
            m = pattern.search(prose)
            if m:
                around = prose[max(0, m.start() - 40):m.end() + 40].replace("\n", " ")
                bad.append("%s: %s: ...%s..." % (name, what, around))
        if re.search(r'<div class="title">\s*__attribute__', "".join(page.all_text)) or \
                "__attribute__()" in "".join(page.all_text):
            bad.append("%s: a function named __attribute__" % name)
        # (A source listing shows the code as it is: dot_layout.c prints "&lt;".)
        m = re.search(r"&(#\d+|amp|lt|gt|quot);", "".join(page.all_text))
        if m and not name.endswith("_source.html"):
            bad.append("%s: an HTML entity shown as text: %s" % (name, m.group(0)))
        if name.endswith("_8md.html"):
            bad.append("%s: a File Reference page of a Markdown file" % name)
    return bad


def squeeze(text):
    return re.sub(r"\s+", " ", text).strip()


def check_lab_code(pages):
    import lab as lab_tool
    import labs as L
    bad = []
    texts = {name: squeeze(html.unescape("".join(p.all_text))) for name, p in pages.items()}
    for lab in L.labs():
        lines, _ = lab_tool.distinctive_cut_lines(lab)
        # What the handout itself says of the code is no leak.
        handout = squeeze("\n".join(L.read_lines("labs/%s/README.md" % lab)).replace("`", ""))
        for line in lines:
            needle = squeeze(line)
            if needle in handout:
                continue
            for name, text in texts.items():
                if needle in text:
                    bad.append("%s: lab %s's code: %s" % (name, lab, line.strip()))
    for name, text in texts.items():
        m = re.search(r"LAB \w+ (BEGIN|END|STUB)", text)
        if m:
            bad.append("%s: a lab marker: %s" % (name, m.group(0)))
    return bad


def lab_functions():
    """(file name, function) of every function that holds a lab's region."""
    import labs as L
    found = set()
    for path, regions in L.all_regions().items():
        lines = L.read_lines(path)
        for r in regions:
            i = r.begin
            while i > 0 and not re.match(r"^[a-z].*\(", lines[i]):
                i -= 1
            m = re.search(r"(\w+)\(", lines[i])
            if m and i > 0:
                found.add((os.path.basename(path), m.group(1)))
    return sorted(found)


def file_page(source):
    """Doxygen's page name of a source file: pmm_buddy.c -> pmm__buddy_8c.html."""
    return source.replace("_", "__").replace(".", "_8") + ".html"


def check_lab_words(html_dir):
    """Each lab function's entry on its file's page says something."""
    bad = []
    for source, name in lab_functions():
        pages = [f for f in os.listdir(html_dir) if f.endswith(file_page(source))]
        text = ""
        for f in pages:
            with open(os.path.join(html_dir, f), encoding="utf-8") as fh:
                page = fh.read()
            m = re.search(r"</a></span>%s\(\)</h2>(.*?)(?:<h2 class=\"memtitle\"|$)" % name,
                          page, re.S)
            if m:
                doc = re.search(r'<div class="memdoc">(.*?)(?:<div class="dynheader">|$)',
                                m.group(1), re.S)
                # Words, not "Definition at line 99" or "Referenced by ..."
                words = re.sub(r'<p class="(definition|reference)">.*?</p>', "",
                               doc.group(1), flags=re.S) if doc else ""
                text = squeeze(html.unescape(re.sub(r"<[^>]+>", " ", words)))
                break
        if len(text) < 20:
            bad.append("%s: %s() has %s" % (source, name, "no words" if pages else "no page"))
    return bad


def svg_width(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        head = f.read(2000)
    m = re.search(r'<svg[^>]*\swidth="([\d.]+)(pt|px)?"', head)
    if not m:
        return 0
    return float(m.group(1)) * (4 / 3 if m.group(2) == "pt" else 1)


def check_graphs(html_dir):
    bad, count = [], 0
    for name in sorted(os.listdir(html_dir)):
        if re.search(r"_(icgraph|cgraph|dep|incl)\.svg$", name):
            count += 1
            width = svg_width(os.path.join(html_dir, name))
            if width > WIDEST_GRAPH_PX:
                bad.append("%s: %d px wide (at most %d)" % (name, width, WIDEST_GRAPH_PX))
    return bad, count


def screenshot(chromium, url, out):
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                    "--window-size=1400,1000", "--screenshot=" + out, url],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)


def dom(chromium, url):
    done = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    return done.stdout


def check_browser(html_dir, out_dir, shots):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return ["no chromium (tools/deps.sh site installs it)"]
    os.makedirs(out_dir, exist_ok=True)
    bad = []
    for file_name, expect in shots:
        url = "file://" + os.path.abspath(os.path.join(html_dir, file_name))
        png = os.path.join(out_dir, re.sub(r"\W", "-", file_name) + ".png")
        if os.path.exists(png):
            os.remove(png)
        screenshot(chromium, url, png)
        if not os.path.exists(png):
            bad.append("%s: Chromium wrote no screenshot" % file_name)
            continue
        share = png_pixels.share_not_background(png)
        if share < 0.01:
            bad.append("%s: the screenshot is blank (%.2f%% drawn; %s)" % (file_name, 100 * share, png))
        if expect and expect not in html.unescape(dom(chromium, url)):
            bad.append("%s: Chromium's page does not show %r" % (file_name, expect))
    return bad


def check_search(html_dir, word):
    """The page "Search the guides", asked for @word, lists sections."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return ["no chromium (tools/deps.sh site installs it)"]
    url = "file://%s?q=%s" % (os.path.abspath(os.path.join(html_dir, "search_text.html")), word)
    hits = dom(chromium, url).count('class="pagoda-hit"')
    return [] if hits else ["search_text.html?q=%s lists no section" % word]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("html_dir")
    ap.add_argument("--public", action="store_true", help="no lab's code may show")
    ap.add_argument("--screenshots", metavar="DIR", help="check in headless Chromium too")
    ap.add_argument("--shot", action="append", default=[], metavar="FILE=TEXT",
                    help="a page to screenshot, and a text its page must show (repeatable)")
    ap.add_argument("--picture", action="append", default=[], metavar="FILE",
                    help="a picture to screenshot: the first of these the site has")
    ap.add_argument("--search", metavar="WORD",
                    help="the full-text search must find WORD (a word no name holds)")
    args = ap.parse_args()

    html_dir = args.html_dir
    if not os.path.exists(os.path.join(html_dir, "index.html")):
        print("error: %s has no index.html (make docs builds it)" % html_dir)
        return 2
    pages = {}
    for root, _, files in os.walk(html_dir):
        for f in files:
            if f.endswith(".html"):
                path = os.path.join(root, f)
                pages[os.path.relpath(path, html_dir)] = parse(path)

    results = []
    results.append(("every link of %d pages leads somewhere" % len(pages), check_links(html_dir, pages)))
    results.append(("no page shows unread markup", check_artefacts(pages)))
    if args.public:
        results.append(("no lab's code and no lab marker in any page", check_lab_code(pages)))
    if lab_functions():
        results.append(("every lab function has words on its page", check_lab_words(html_dir)))
    graph_bad, graphs = check_graphs(html_dir)
    results.append(("none of %d graphs is wider than %d px" % (graphs, WIDEST_GRAPH_PX), graph_bad))
    if args.screenshots:
        shots = [tuple(s.split("=", 1)) if "=" in s else (s, "") for s in args.shot]
        pictures = [p for p in args.picture if os.path.exists(os.path.join(html_dir, p))]
        if args.picture and not pictures:
            results.append(("the site has a picture to screenshot",
                            ["none of %s" % ", ".join(args.picture)]))
        shots += [(p, "") for p in pictures[:1]]
        if shots:
            results.append(("Chromium draws %s" % ", ".join(s[0] for s in shots),
                            check_browser(html_dir, args.screenshots, shots)))

    if args.search:
        results.append(("the full-text search finds %r in Chromium" % args.search,
                        check_search(html_dir, args.search)))
    print("1..%d" % len(results))
    failed = 0
    for i, (what, bad) in enumerate(results, 1):
        print("%s %d - %s" % ("not ok" if bad else "ok", i, what))
        for line in bad[:30]:
            print("#   " + line)
        if len(bad) > 30:
            print("#   ... and %d more" % (len(bad) - 30))
        failed += bool(bad)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
