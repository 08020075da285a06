"""Student ids that are safe as file names, in results and in a spreadsheet.

A submission is named by its student's id, but an entry's name is whatever
the class handed in: `alice=1`, `../x`, a newline, bytes that are no UTF-8.
The id the grader uses for paths (`OUT/results/<id>.json`), results and the
gradebook is the name with every character outside a safe set percent-encoded:

    first character   [A-Za-z0-9_]
    the others        [A-Za-z0-9._-]
    anything else     %XX for each byte of its UTF-8 encoding (`%` too)

so `alice=1` becomes `alice%3D1`, `.x` becomes `%2Ex`, and no id holds a `/`,
starts with `.` or `-`, or is empty. The mapping is reversible
(original_id(safe_id(name)) == name), so two names never share an id.

A name is what os.listdir() gives: bytes that are no UTF-8 arrive as lone
surrogates and are encoded back to those bytes, as the file system has them.

An id longer than LONGEST (its name could be 255 bytes, each of them three
characters encoded: too long for `<id>.json`) is cut and marked with `~` and
a hash of the whole name: still unique, no longer reversible.
"""
import hashlib
import os
import re

_SAFE_FIRST = re.compile(r"[A-Za-z0-9_]")
_UNSAFE_REST = re.compile(r"[^A-Za-z0-9._-]+")
_ESCAPE = re.compile(r"%([0-9A-F]{2})")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LONGEST = 200


def _encode(text):
    return "".join("%%%02X" % b for b in os.fsencode(text))


def safe_id(name):
    """@name (an entry's name, less its suffix) as an id of the safe set."""
    if not name:
        raise ValueError("an empty name has no id")
    first = name[0] if _SAFE_FIRST.fullmatch(name[0]) else _encode(name[0])
    safe = first + _UNSAFE_REST.sub(lambda m: _encode(m.group(0)), name[1:])
    if len(safe) > LONGEST:  # `~` is in no other id
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:16]
        cut = safe[:LONGEST - 17]
        if "%" in cut[-2:]:  # not in the middle of an escape
            cut = cut[:cut.rindex("%")]
        safe = cut + "~" + digest
    return safe


def original_id(safe):
    """The name that safe_id() made @safe of (ValueError if it made no such id)."""
    data = bytearray()
    pos = 0
    for m in _ESCAPE.finditer(safe):
        data += safe[pos:m.start()].encode("ascii")
        data.append(int(m.group(1), 16))
        pos = m.end()
    data += safe[pos:].encode("ascii")
    name = os.fsdecode(bytes(data))
    if not name or safe_id(name) != safe:
        raise ValueError("%r is no id that safe_id() makes" % safe)
    return name


def csv_cell(value):
    """@value as a spreadsheet cell that no spreadsheet runs as a formula.

    A text that starts with = + - @, a tab or a carriage return gets a `'`
    in front (OWASP's advice against CSV injection); other texts are as
    they are, a number is its digits (a negative number is no formula) and
    None is empty."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value
