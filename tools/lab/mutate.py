"""Mutants of a lab's code: small wrong versions of the reference, one change each.

A mutant changes one site in one of the lab's regions (the code between
`LAB <lab> BEGIN` and its STUB or END line, tools/lab/labs.py), the way a
student's slip would:

    rel         a relation flipped: < and <=, > and >=, == and !=
    bound+1/-1  the right side of <, <=, >, >= one more or one less
    const+1/-1  an integer constant one more or one less
    and-or      && and || exchanged
    bits        one of ^ | & (and ^= |= &=) for another
    shift       << and >> exchanged (and <<= >>=)
    drop        a statement left out
    if-true/if-false, loop-false   a condition forced
    swap        two neighbouring arguments of a call exchanged
    return      another return value: 0 for a value or an error code, 1
                for 0, the next error code of the same family

Every mutant keeps the file's line count, so that __LINE__ (kassert) and the
lines of the code around it stay what they were. Its id names the site:
`<file>:<line>:<column>:<operator>`, as labs/<lab>/equivalent-mutants lists
them. tools/lab/mutants.py grades them. Standard library only.
"""
import difflib
import os
import re

import labs as L

VERSION = 1  # bump when the operators change: every record is then stale

TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<str>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
  | (?P<num>0[xX][0-9a-fA-F]+[uUlL]*|[0-9]+[uUlL]*)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op><<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=
        |[-+*/%&|^!~<>=?:;,.()\[\]{}\#])
""", re.S | re.X)

REL = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "=="}
BITS = {"&": ("|", "^"), "|": ("&", "^"), "^": ("|", "&"),
        "&=": ("|=", "^="), "|=": ("&=", "^="), "^=": ("|=", "&=")}
BIT_NAMES = {"&": "bits-and", "|": "bits-or", "^": "bits-xor"}
SHIFT = {"<<": ">>", ">>": "<<", "<<=": ">>=", ">>=": "<<="}
NOT_CALLS = {"if", "while", "for", "switch", "return", "sizeof", "_Alignof", "defined"}
# A statement starting with one of these declares something: leaving it out
# does not build, so it is not tried.
TYPE_WORDS = {"const", "static", "volatile", "unsigned", "signed", "int", "char", "long",
              "short", "struct", "union", "enum", "void", "bool", "_Bool", "float",
              "double", "size_t", "uintptr_t", "uint8_t", "uint16_t", "uint32_t",
              "uint64_t", "int64_t", "int32_t", "ssize_t", "phys_addr_t", "pte_t"}
OPERAND_END = {"&&", "||", "?", ":", ",", ";", "&", "|", "^", "==", "!=", "=", "+=", "-=",
               "|=", "&=", "^=", "<<=", ">>="}
ERROR_CODE = re.compile(r"^([A-Z]+_ERR)_[A-Z_]+$")


class Token:
    def __init__(self, kind, text, start):
        self.kind, self.text, self.start, self.end = kind, text, start, start + len(text)


def id_name(path):
    """The file part of a mutant id: the file's name, with its architecture
    for arch/<arch>/ code (both architectures have a memory.c)."""
    parts = path.split("/")
    return "/".join(parts[1:]) if parts[0] == "arch" else parts[-1]


class Mutant:
    """One change: the text from @start to @end of @path becomes @new."""

    def __init__(self, path, text, start, end, new, op):
        self.path, self.start, self.end, self.new, self.op = path, start, end, new, op
        self.line = text.count("\n", 0, start) + 1
        self.column = start - (text.rfind("\n", 0, start) + 1) + 1
        self.id = "%s:%d:%d:%s" % (id_name(path), self.line, self.column, op)

    def apply(self, text):
        return text[:self.start] + self.new + text[self.end:]

    def diff(self, text):
        """The unified diff of this mutant against @text (the reference)."""
        return "".join(difflib.unified_diff(
            text.splitlines(True), self.apply(text).splitlines(True),
            "a/" + self.path, "b/" + self.path, n=1))


def tokens(text, begin, end):
    """The code tokens of text[begin:end] (no comments, strings kept whole,
    preprocessor lines skipped)."""
    out, pos = [], begin
    while pos < end:
        m = TOKEN.match(text, pos)
        if not m:
            pos += 1  # a character C does not have (a backslash): skip it
            continue
        kind = m.lastgroup
        line_start = text.rfind("\n", 0, pos) + 1
        if m.group() == "#" and not text[line_start:pos].strip():
            # A preprocessor line (with its continuations): not mutated.
            nl = text.find("\n", pos)
            while nl > 0 and text[nl - 1] == "\\":
                nl = text.find("\n", nl + 1)
            pos = end if nl < 0 else nl
            continue
        if kind not in ("ws", "comment"):
            out.append(Token(kind, m.group(), m.start()))
        pos = m.end()
    return out


def matching(toks, i):
    """Index of the bracket that closes toks[i] ((, [ or {)."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    want, depth = pairs[toks[i].text], 0
    for j in range(i, len(toks)):
        if toks[j].text == toks[i].text:
            depth += 1
        elif toks[j].text == want:
            depth -= 1
            if depth == 0:
                return j
    return None


def operand_end(toks, i):
    """Index of the last token of the operand that starts at toks[i]."""
    depth, j = 0, i
    while j < len(toks):
        t = toks[j].text
        if t in "([":
            depth += 1
        elif t in ")]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and t in OPERAND_END:
            break
        j += 1
    return j - 1


def blank(text):
    """Only the newlines of @text: what replaces it keeps the file's lines."""
    return "".join(c if c == "\n" else "" for c in text)


def is_binary(toks, i):
    return i > 0 and (toks[i - 1].kind in ("id", "num") or toks[i - 1].text in (")", "]"))


def site_mutants(path, text, toks, error_codes):
    """Every mutant of the tokens @toks of file @path (its text @text)."""
    out = []

    def add(start, end, new, op):
        out.append(Mutant(path, text, start, end, new, op))

    for i, t in enumerate(toks):
        if t.kind == "op" and t.text in REL:
            add(t.start, t.end, REL[t.text], "rel")
            if t.text in ("<", "<=", ">", ">="):
                last = operand_end(toks, i + 1)
                if last > i:
                    add(toks[last].end, toks[last].end, " + 1", "bound+1")
                    add(toks[last].end, toks[last].end, " - 1", "bound-1")
        elif t.kind == "num":
            m = re.match(r"(0[xX])?([0-9a-fA-F]+)(.*)", t.text)
            base = 16 if m.group(1) else 10
            value = int(m.group(2), base)
            for delta, op in ((1, "const+1"), (-1, "const-1")):
                if value + delta >= 0:
                    digits = ("0x%x" % (value + delta)) if base == 16 else str(value + delta)
                    add(t.start, t.end, digits + m.group(3), op)
        elif t.text in ("&&", "||"):
            add(t.start, t.end, "||" if t.text == "&&" else "&&", "and-or")
        elif t.text in BITS and (t.text.endswith("=") or is_binary(toks, i)):
            for other in BITS[t.text]:
                add(t.start, t.end, other, BIT_NAMES[other[0]])
        elif t.text in SHIFT:
            add(t.start, t.end, SHIFT[t.text], "shift")
        elif t.kind == "id" and t.text in ("if", "while", "for") and i + 1 < len(toks) \
                and toks[i + 1].text == "(":
            close = matching(toks, i + 1)
            if close is None or close == i + 2:
                continue
            inner = (toks[i + 2].start, toks[close - 1].end)
            if t.text == "if":
                add(inner[0], inner[1], "1" + blank(text[inner[0]:inner[1]]), "if-true")
                add(inner[0], inner[1], "0" + blank(text[inner[0]:inner[1]]), "if-false")
            elif t.text == "while":
                add(inner[0], inner[1], "0" + blank(text[inner[0]:inner[1]]), "loop-false")
            else:
                semis = [j for j in range(i + 2, close) if toks[j].text == ";"]
                if len(semis) == 2 and semis[1] > semis[0] + 1:
                    a, b = toks[semis[0] + 1].start, toks[semis[1] - 1].end
                    add(a, b, "0" + blank(text[a:b]), "loop-false")
        elif t.kind == "id" and t.text not in NOT_CALLS and i + 1 < len(toks) and \
                toks[i + 1].text == "(" and not (i > 0 and toks[i - 1].kind == "id"):
            close = matching(toks, i + 1)
            if close is None:
                continue
            args, depth, first = [], 0, i + 2
            for j in range(i + 2, close + 1):
                x = toks[j].text
                if x in "([{":
                    depth += 1
                elif x in ")]}" and j != close:
                    depth -= 1
                elif (x == "," and depth == 0) or j == close:
                    if j > first:
                        args.append((toks[first].start, toks[j - 1].end))
                    first = j + 1
            for k in range(len(args) - 1):
                (a0, a1), (b0, b1) = args[k], args[k + 1]
                if text[a0:a1] != text[b0:b1]:
                    add(a0, b1, text[b0:b1] + text[a1:b0] + text[a0:a1], "swap%d" % (k + 1))
        elif t.text == "return" and i + 1 < len(toks) and toks[i + 1].text != ";":
            j = i + 1
            while j < len(toks) and toks[j].text != ";":
                j += 1
            if j == len(toks):
                continue
            a, b = toks[i + 1].start, toks[j - 1].end
            value = text[a:b]
            if value == "0":
                add(a, b, "1", "return")
            elif value == "NULL":
                continue
            else:
                add(a, b, "0", "return")
                family = ERROR_CODE.match(value)
                codes = error_codes.get(family.group(1), []) if family else []
                if value in codes and len(codes) > 1:
                    add(a, b, codes[(codes.index(value) + 1) % len(codes)], "return-code")
    out.extend(drop_mutants(path, text, toks))
    return out


def drop_mutants(path, text, toks):
    """A statement left out: each expression statement, break and continue."""
    out, start, depth = [], 0, 0
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.text in ("if", "while", "for", "switch") and i + 1 < len(toks) and \
                toks[i + 1].text == "(":
            close = matching(toks, i + 1)
            if close is None:
                break
            i, start = close + 1, close + 1
            continue
        if t.text in ("{", "}", "else", "do"):
            i, start = i + 1, i + 1
            continue
        if t.text == "(" or t.text == "[":
            depth += 1
        elif t.text in (")", "]"):
            depth -= 1
        elif t.text == ";" and depth == 0:
            first = toks[start] if start < i else None
            declaration = first is not None and (
                first.text in TYPE_WORDS or first.text.endswith("_t") or
                (first.kind == "id" and i > start + 1 and toks[start + 1].kind == "id") or
                (first.kind == "id" and i > start + 2 and toks[start + 1].text == "*" and
                 toks[start + 2].kind == "id" and toks[start + 3].text in ("=", ";")))
            if first is not None and not declaration and first.text != "return" and \
                    first.kind != "str":
                a, b = first.start, t.end
                out.append(Mutant(path, text, a, b, ";" + blank(text[a:b]), "drop"))
            start = i + 1
        i += 1
    return out


def error_codes(root=L.ROOT):
    """{family: [codes in the order declared]} of the *_ERR_* names in the
    headers (os/include, arch/include)."""
    families = {}
    for d in ("os/include", "arch/include"):
        for name in sorted(os.listdir(os.path.join(root, d))):
            if not name.endswith(".h"):
                continue
            with open(os.path.join(root, d, name)) as f:
                for code in re.findall(r"^\s*([A-Z]+_ERR_[A-Z_]+)\s*=", f.read(), re.M):
                    families.setdefault(ERROR_CODE.match(code).group(1), []).append(code)
    return families


def region_spans(lab, root=L.ROOT):
    """[(path, text, begin offset, end offset)] of @lab's regions: the code
    a student writes (between BEGIN and its STUB or END line)."""
    spans = []
    for path, regions in sorted(L.all_regions(root).items()):
        with open(os.path.join(root, path)) as f:
            text = f.read()
        starts = [0]
        for line in text.split("\n"):
            starts.append(starts[-1] + len(line) + 1)
        for r in regions:
            if r.lab == lab:
                stop = r.stub if r.stub is not None else r.end
                spans.append((path, text, starts[r.begin + 1], starts[stop]))
    return spans


def mutants(lab, root=L.ROOT):
    """Every mutant of @lab, in file and position order, ids unique."""
    codes, out, seen = error_codes(root), [], set()
    for path, text, begin, end in region_spans(lab, root):
        for m in site_mutants(path, text, tokens(text, begin, end), codes):
            if m.id in seen:  # two variants of one op at one site: number them
                n = 2
                while "%s.%d" % (m.id, n) in seen:
                    n += 1
                m.id = "%s.%d" % (m.id, n)
            seen.add(m.id)
            out.append(m)
    out.sort(key=lambda m: (m.path, m.start, m.op))
    return out
