#!/usr/bin/env python3
"""Tests of make mutants' parts (TAP): the operators on a known piece of C,
the host compiler's verdicts, and the record check (tools/lab/mutants.py).
make test runs it; the full mutation is make mutants."""
import contextlib
import io
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mutants  # noqa: E402
import mutate  # noqa: E402

results = []


def say(ok, text, detail=""):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), text))
    if not ok:
        for line in str(detail).splitlines()[-20:]:
            print("# " + line)


SOURCE = """#include <stddef.h>
#define LIMIT 8 /* a < b in a macro line is not mutated */
static const char *name = "a < b && c";

int pick(int a, int b);
int pick(int a, int b)
{
	/* a comment: if (a < b) return 1; */
	int n = 0;
	if (a < b && b != LIMIT)
		n = a | 4;
	while (n > 2)
		n = n >> 1;
	for (int i = 0; i < a; i++)
		n += pick(i, b);
	if (!name)
		return -1;
	return n;
}
"""
CODES = {"PMM_ERR": ["PMM_ERR_INVALID", "PMM_ERR_NO_MEMORY"]}


def ops_of(ms):
    return {(m.line, m.op, m.new.strip()) for m in ms}


def main():
    ms = mutate.site_mutants("x.c", SOURCE, mutate.tokens(SOURCE, 0, len(SOURCE)), CODES)
    found = ops_of(ms)
    want = {(10, "rel", "<="), (10, "and-or", "||"), (10, "rel", "=="),
            (10, "if-true", "1"), (10, "if-false", "0"), (10, "bound+1", "+ 1"),
            (11, "bits-xor", "^"), (11, "bits-and", "&"), (11, "const+1", "5"),
            (11, "const-1", "3"), (12, "loop-false", "0"), (13, "shift", "<<"),
            (14, "loop-false", "0"), (15, "swap1", "b, i"), (18, "return", "0"),
            (11, "drop", ";"), (13, "drop", ";"), (17, "return", "0")}
    say(want <= found, "each operator makes its mutants at the sites of a known function",
        "missing: %s" % sorted(want - found))
    say(all(m.line >= 7 for m in ms),
        "preprocessor lines, strings, declarations and prototypes are not mutated",
        [m.id for m in ms if m.line < 7])
    say(not [m for m in ms if m.line == 8], "a comment inside the span is not mutated",
        [m.id for m in ms if m.line == 8])
    lines = SOURCE.count("\n")
    say(all(m.apply(SOURCE).count("\n") == lines for m in ms),
        "every mutant keeps the file's line count (so __LINE__ stays)",
        [m.id for m in ms if m.apply(SOURCE).count("\n") != lines])
    say(not [m for m in ms if m.op == "drop" and m.line == 9],
        "a declaration is not dropped (it would not build)")
    every = [m.id for lab in ("buddy", "kmalloc") for m in mutate.mutants(lab)]
    say(len(set(every)) == len(every), "mutant ids are unique in a lab")

    ref = mutants.compiled("os/mm/x.c", SOURCE)
    same = SOURCE.replace("n = a | 4;", "n = 4 | a;")
    other = SOURCE.replace("n = a | 4;", "n = a | 5;")
    broken = SOURCE.replace("n = a | 4;", "n = a | ;")
    say(ref is not None and mutants.compiled("os/mm/x.c", same) == ref,
        "the host compiler finds an equivalent mutant (same object code)")
    say(mutants.compiled("os/mm/x.c", other) not in (None, ref),
        "and tells a real mutant from the reference")
    say(mutants.compiled("os/mm/x.c", broken) is None, "and one that does not build")

    # The record check: a record made for other code or tests is stale.
    lab = "kmalloc"
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mutants.json")
        saved = mutants.record_path
        mutants.record_path = lambda name: path
        try:
            record = {"lab": lab, "seed": 1, "hash": mutants.lab_hash(lab, 1),
                      "mutants": 10, "survivors": [], "public_share": 0.95,
                      "counts": {}}
            for case, change, want_status, want_text in (
                    ("fresh", {}, 0, "ok 2 - kmalloc: 10 mutants, 0 survived"),
                    ("stale", {"hash": "0" * 16}, 1, "the mutant record is stale"),
                    ("short", {"survivors": ["memm.c:1:1:rel"]}, 0, "# TODO")):
                with open(path, "w") as f:
                    json.dump(dict(record, **change), f)
                out = io.StringIO()
                with contextlib.redirect_stdout(out):
                    status = mutants.check([lab])
                say(status == want_status and want_text in out.getvalue(),
                    "the record check: a %s record gives status %d and says '%s'" % (
                        case, want_status, want_text), out.getvalue())
        finally:
            mutants.record_path = saved
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
