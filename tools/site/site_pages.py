"""Which pages the course site has, in which sections and order.

The tree view and the tabs follow navigation(): the main page, then each
section with its pages, then the code (structures, files).

The main page is docs/start.md. Below it hang four sections, each a page of
its own that lists its pages with Doxygen's \\subpage (which makes the tree
view show them in this order, not alphabetically):

  Guides             the top README, then the guides in docs/ in reading order
  Labs               the labs in course order, numbered ("Lab 2: ...")
  For instructors    writing labs, grading a class, the wrong solutions
                     (the instructors' site only)
  Search the guides  full-text search (site_search.py)
"""
import os
import re
from xml.sax.saxutils import quoteattr
from dataclasses import dataclass

import labs as L

# (path, why a reader opens it): the guides in the order to read them.
GUIDES = [
    ("README.md", "every shell command and what it answers; running, debugging, building"),
    ("docs/memory.md", "the three layers of memory, with transcripts to retype"),
    ("docs/debugging.md", "a session in Bochs and the same in gdb"),
    ("docs/README.md", "the map of the code: every file in a line, the order to read them"),
    ("docs/design.md", "how the parts fit together"),
    ("docs/performance.md", "how fast the page manager is, measured"),
]
INSTRUCTOR_GUIDES = [
    ("docs/labs.md", "cutting handouts from the reference, the markers, mutants"),
    ("docs/grading.md", "grading a class on GNU parallel or Slurm"),
]


@dataclass
class Page:
    """One Markdown page of the site."""
    path: str            # the document's path in the tree (site/...: made here)
    label: str           # its Doxygen page name (for \\ref and \\subpage)
    text: str            # its Markdown as the site shows it, before rewriting
    section: str = ""    # the label of the section page above it
    lab: str = ""        # the lab whose handout it is
    number: int = 0      # the lab's place in the course order
    blurb: str = ""      # one line for the section's list


def label_of(path):
    """The page name of a Markdown file: docs_memory for docs/memory.md
    (Doxygen's own name for it, md_docs_memory, it will not let us give)."""
    return re.sub(r"[^A-Za-z0-9]", "_", path[:-len(".md")])


def read(root, path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return f.read()


def wrong_solutions_page(root):
    """One page listing every lab's wrong solutions, each with its diff."""
    out = ["# Wrong solutions {#wrong_solutions}", "",
           "Each lab's grader must fail every one of these plausible mistakes "
           "(`make test-labs` proves it; docs/labs.md says how to add one). "
           "Never give them to students.", ""]
    for lab in L.labs(root):
        wrong = os.path.join(root, "labs", lab, "wrong")
        if not os.path.isdir(wrong):
            continue
        out += ["## Lab %s" % lab, ""]
        for name in sorted(os.listdir(wrong)):
            if name.endswith(".patch"):
                out += ["### %s" % name[:-len(".patch")], "", "```diff",
                        read(root, "labs/%s/wrong/%s" % (lab, name)).rstrip("\n"), "```", ""]
    return "\n".join(out) + "\n"


def section_page(label, title, intro, pages):
    lines = ["# %s {#%s}" % (title, label), "", intro, ""]
    for p in pages:
        lines.append("- \\subpage %s%s" % (p.label, (" — " + p.blurb) if p.blurb else ""))
    return "\n".join(lines) + "\n"


def collect(root, kind):
    """Every page of the site of kind @kind ("instructors" or "public")."""
    pages = []
    for path, blurb in GUIDES + (INSTRUCTOR_GUIDES if kind == "instructors" else []):
        if os.path.exists(os.path.join(root, path)):
            section = "guides" if (path, blurb) in GUIDES else "instructors"
            pages.append(Page(path, label_of(path), read(root, path), section, blurb=blurb))
    for lab in L.labs(root):
        path = "labs/%s/README.md" % lab
        number = L.COURSE_ORDER.index(lab) + 1 if lab in L.COURSE_ORDER else 0
        pages.append(Page(path, "lab_" + lab, read(root, path), "labs_in_order", lab=lab,
                          number=number, blurb=L.conf(lab, root).get("title", "")))
    if kind == "instructors":
        pages.append(Page("instructors/wrong-solutions.md", "wrong_solutions", wrong_solutions_page(root),
                          "instructors", blurb="every lab's wrong solutions, as diffs"))

    def members(section):
        return [p for p in pages if p.section == section]

    sections = [
        Page("site/guides.md", "guides", section_page(
            "guides", "Guides", "Read them in this order; each leans only on the ones before it.",
            members("guides"))),
        Page("site/labs.md", "labs_in_order", section_page(
            "labs_in_order", "Labs",
            "In course order: each lab is a repository of its own (a handout) in which "
            "one part of the kernel is cut out for you to write, with public tests and "
            "`make grade`.", members("labs_in_order"))),
    ]
    if kind == "instructors":
        sections.append(Page("site/instructors.md", "instructors", section_page(
            "instructors", "For instructors",
            "This site is the instructors' one: it shows the reference solution of "
            "every lab. `make site` builds the one to publish.", members("instructors"))))
    sections.append(Page("site/search.md", "search_text", site_search_page()))
    start = Page("docs/start.md", "index", read(root, "docs/start.md"))
    start.text += "\n## All pages\n\n" + "".join(
        "- \\subpage %s\n" % s.label for s in sections)
    return [start] + sections + pages


def site_search_page():
    return ("# Search the guides {#search_text}\n\n"
            "Every word of the guides and the labs' handouts (the search box at the top "
            "finds names of pages, functions and files).\n\n"
            "\\htmlonly\n"
            "<form id=\"pagoda-search\" onsubmit=\"return false\">"
            "<input id=\"pagoda-query\" type=\"search\" size=\"40\" autofocus "
            "placeholder=\"e.g. Sv39, buddy, scattered\"></form>\n"
            "<div id=\"pagoda-results\"></div>\n"
            "<script src=\"search-text.js\"></script>\n"
            "<script src=\"pagoda-search.js\"></script>\n"
            "\\endhtmlonly\n")


def title(page):
    """A page's title: its first heading, without its label."""
    first = next((line for line in page.text.split("\n") if line.startswith("#")), page.label)
    return re.sub(r"\s*\{#[\w-]+\}\s*$", "", first.lstrip("#").strip()).replace("`", "")


def navigation(pages):
    """The <navindex> tabs of the Doxygen layout file, in course order."""
    sections = [p for p in pages if p.path.startswith("site/")]
    tabs = ['<tab type="mainpage" visible="yes" title="Start here"/>']
    for s in sections:
        members = [p for p in pages if p.section == s.label]
        if not members:
            tabs.append('<tab type="user" url="@ref %s" title=%s/>' % (s.label, quoteattr(title(s))))
            continue
        tabs.append('<tab type="usergroup" url="@ref %s" title=%s>' % (s.label, quoteattr(title(s))))
        for p in members:
            name = title(p) if not p.lab else "Lab %d: %s" % (p.number, p.lab)
            tabs.append('  <tab type="user" url="@ref %s" title=%s/>' % (p.label, quoteattr(name)))
        tabs.append("</tab>")
    return "\n".join(tabs)
