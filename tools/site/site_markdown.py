"""The Markdown of the repository, rewritten to read well as the site's pages.

The repository's Markdown is written for GitHub and a terminal; Doxygen 1.9
reads a few things in it otherwise. Each rewrite here is of one such thing:

  - a link to another document, [memory.md](memory.md), or a mention of one,
    `docs/debugging.md`, becomes a link to its page (plain text when the site
    has no such page: the public site has no instructors' guides);
  - a lab's title gets its number in the course and previous/next links;
  - a picture is named by its file name alone (Doxygen's IMAGE_PATH);
  - code spans Doxygen misreads are written so that it reads them: one
    holding a quote (`grep ' x$'` would show as quotation marks), or in a
    table Markdown's escaped bar `\\|` (Doxygen shows the backslash); a code
    span broken over two lines is joined first; headings lose their
    backticks (Doxygen shows <tt> in the tree view).

Fenced code blocks are left exactly as they are.
"""
import os
import posixpath
import re

FENCE = re.compile(r"^(```|~~~)")
# A link to a document; a #section in it leads to the page (Doxygen names
# sections otherwise than GitHub).
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s#]+\.md)(?:#[\w-]*)?\)")
MENTION = re.compile(r"`?\b((?:docs/[\w-]+|labs/\w+/README)\.md)\b`?")
HEADING = re.compile(r"^(#+)\s+(.*?)\s*(\{#[\w-]+\})?\s*$")
TITLE_OF_LAB = re.compile(r"^Lab \w+:\s*")


def split_fenced(text):
    """[(is_code, chunk)]: the text cut at the fences of its code blocks."""
    chunks, current, in_code = [], [], False
    for line in text.split("\n"):
        if FENCE.match(line.strip()):
            if in_code:
                current.append(line)
                chunks.append((True, "\n".join(current)))
                current, in_code = [], False
                continue
            if current:
                chunks.append((False, "\n".join(current)))
            current, in_code = [line], True
            continue
        current.append(line)
    if current:
        chunks.append((in_code, "\n".join(current)))
    return chunks


def join_broken_code_spans(prose):
    """Join each line whose backticks do not pair up with the next one."""
    out = []
    for line in prose.split("\n"):
        if out and out[-1].count("`") % 2 == 1 and not out[-1].lstrip().startswith("|"):
            out[-1] = out[-1] + " " + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def readable_code_spans(prose):
    """Code spans Doxygen misreads, in a form it reads. One holding a quote
    (Doxygen takes `text' for quotation marks, but not in a span of two
    backticks) gets two backticks. In a table row one holding Markdown's
    escaped bar \\| (Doxygen shows the backslash) becomes HTML <code>, in
    which Doxygen reads \\| as a bar; Doxygen knows the entities &lt; &gt;
    &amp; there, not numeric ones."""
    def span(m, in_table):
        inner = m.group(1)
        if in_table and "\\|" in inner:
            return "<code>%s</code>" % inner.replace("&", "&amp;").replace(
                "<", "&lt;").replace(">", "&gt;")
        if "'" in inner:
            return "`` %s ``" % inner
        return m.group(0)
    return "\n".join(re.sub(r"`([^`]+)`", lambda m: span(m, line.lstrip().startswith("|")), line)
                     for line in prose.split("\n"))


def plain_headings(prose):
    def heading(m):
        return m.group(0).replace("`", "")
    return re.sub(r"^#+ .*$", heading, prose, flags=re.M)


def flat_pictures(prose):
    """Pictures and links to them by file name alone: Doxygen copies every
    picture into the one directory of the site (IMAGE_PATH finds it)."""
    return re.sub(r"(\]\()[^)\s]*/([\w.-]+\.(?:svg|png))\)", r"\1\2)", prose)


def link_documents(prose, page, labels):
    """Links and mentions of other documents as links between pages."""
    here = posixpath.dirname(page.path)

    def ref(target_path, text):
        label = labels.get(target_path)
        if label is None:
            return text
        return '\\ref %s "%s"' % (label, text.replace('"', "'").replace("\n", " "))

    def link(m):
        target = posixpath.normpath(posixpath.join(here, m.group(2)))
        return ref(target, m.group(1))

    def mention(m):
        return ref(m.group(1), m.group(1))

    parts = []
    last = 0
    for m in LINK.finditer(prose):
        parts.append(MENTION.sub(mention, prose[last:m.start()]))
        parts.append(link(m))
        last = m.end()
    parts.append(MENTION.sub(mention, prose[last:]))
    return "".join(parts)


def lab_title(page, labs_in_order):
    """The lab page's heading: its number and name, then prev/next links."""
    lines = page.text.split("\n")
    m = HEADING.match(lines[0])
    title = TITLE_OF_LAB.sub("", m.group(2)) if m else page.lab
    title = title[0].upper() + title[1:]
    lines[0] = "# Lab %d, %s: %s {#%s}" % (page.number, page.lab, title, page.label)
    i = labs_in_order.index(page)
    steps = []
    if i > 0:
        prev = labs_in_order[i - 1]
        steps.append('Previous: \\ref %s "Lab %d, %s"' % (prev.label, prev.number, prev.lab))
    if i + 1 < len(labs_in_order):
        nxt = labs_in_order[i + 1]
        steps.append('Next: \\ref %s "Lab %d, %s"' % (nxt.label, nxt.number, nxt.lab))
    nav = " · ".join(["\\ref labs_in_order \"All labs\""] + steps)
    return "\n".join([lines[0], "", nav, ""] + lines[1:] + ["", "---", "", nav, ""])


def with_label(text, label):
    """@text with its first heading named @label (the main page keeps its own).
    A handout's README opens with a note above its heading."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        m = HEADING.match(line)
        if m:
            if not m.group(3) and label != "index":
                lines[i] = "%s %s {#%s}" % (m.group(1), m.group(2), label)
            break
    return "\n".join(lines)


def rewrite(page, labels, labs_in_order):
    text = lab_title(page, labs_in_order) if page.lab else with_label(page.text, page.label)
    chunks = []
    for is_code, chunk in split_fenced(text):
        if not is_code:
            chunk = join_broken_code_spans(chunk)
            chunk = readable_code_spans(chunk)
            chunk = plain_headings(chunk)
            chunk = flat_pictures(chunk)
            chunk = link_documents(chunk, page, labels)
        chunks.append(chunk)
    return "\n".join(chunks)


def write_pages(pages, src):
    """Every page, rewritten, into the top of the site's source tree @src,
    named by its label (index.md, docs_memory.md, ...): in a directory of
    its own, a page would give Doxygen a "Directory Reference" with nothing
    in it."""
    labels = {p.path: p.label for p in pages}
    labs_in_order = [p for p in pages if p.lab]
    for page in pages:
        with open(os.path.join(src, page.label + ".md"), "w", encoding="utf-8") as f:
            f.write(rewrite(page, labels, labs_in_order))
