"""Full-text search of the guides and handouts, from file:// as from a server.

Doxygen's search box finds names only, and its server-side search needs a
web server. After Doxygen has written the pages, write_index() cuts each
Markdown page's HTML into its sections (a heading and the text up to the
next) and writes their words to search-text.js, as one JavaScript array a
<script> tag loads (a browser will not fetch JSON from file://).
pagoda-search.js, on the page "Search the guides", shows the sections that
hold every word typed, best first, each with the lines around a hit.
"""
import html
import json
import os
import re
from html.parser import HTMLParser

HEADINGS = ("h1", "h2", "h3")
SKIPPED = ("script", "style")


class Sections(HTMLParser):
    """The sections of a Doxygen page's contents: [(anchor, heading, text)]."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections = [["", "", []]]
        self.in_contents = 0     # depth of <div> inside div.contents, 0 outside
        self.in_heading = False
        self.skipping = 0
        self.anchor = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div":
            if self.in_contents:
                self.in_contents += 1
            elif attrs.get("class") == "contents":
                self.in_contents = 1
        if tag in SKIPPED:
            self.skipping += 1
        if tag == "a" and "id" in attrs:
            self.anchor = attrs["id"]
        if self.in_contents and tag in HEADINGS:
            self.sections.append([self.anchor, "", []])
            self.in_heading = True

    def handle_endtag(self, tag):
        if tag == "div" and self.in_contents:
            self.in_contents -= 1
        if tag in SKIPPED:
            self.skipping -= 1
        if tag in HEADINGS:
            self.in_heading = False

    def handle_data(self, data):
        if not self.in_contents or self.skipping:
            return
        if self.in_heading:
            self.sections[-1][1] += data
        else:
            self.sections[-1][2].append(data)


def page_sections(path):
    parser = Sections()
    with open(path, encoding="utf-8") as f:
        parser.feed(f.read())
    for anchor, heading, words in parser.sections:
        text = re.sub(r"\s+", " ", "".join(words)).strip()
        if text or heading.strip():
            yield anchor, heading.strip(), text


def html_name(label):
    return "index.html" if label == "index" else label + ".html"


def title_of(path):
    with open(path, encoding="utf-8") as f:
        m = re.search(r'<div class="title">(.*?)</div>', f.read(), re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else ""


def write_index(html_dir, pages):
    """search-text.js in @html_dir: every section of every Markdown page."""
    entries = []
    for page in pages:
        path = os.path.join(html_dir, html_name(page.label))
        if page.label == "search_text" or not os.path.exists(path):
            continue
        title = title_of(path)
        for anchor, heading, text in page_sections(path):
            url = html_name(page.label) + ("#" + anchor if anchor else "")
            entries.append({"page": title, "section": heading, "url": url, "text": text})
    with open(os.path.join(html_dir, "search-text.js"), "w", encoding="utf-8") as f:
        f.write("/* Written by tools/site/site_search.py: the words of every guide. */\n")
        f.write("var PAGODA_SEARCH_TEXT = %s;\n" % json.dumps(entries, indent=0))
    return len(entries)
