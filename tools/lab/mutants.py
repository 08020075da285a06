#!/usr/bin/env python3
"""Prove a lab's tests with mutants: does `make grade` fail each wrong version?

Usage: tools/lab/mutants.py LAB... [--jobs N] [--seed N] [--only ID] [--list]
       tools/lab/mutants.py --check LAB...      (make test-labs; TAP)
       tools/lab/mutants.py --table             (docs/labs.md's table, again)

Every mutant of the lab's regions (tools/lab/mutate.py lists the operators)
is first compiled on the host at -O2: one that does not compile is left out,
one whose object code is the reference's is equivalent (the compiler proved
it), and one whose code is another mutant's shares that mutant's outcome.
The rest are graded in copies of this tree (build/mutants/LAB/w<k>, one per
job) by tools/lab/grade.py with the public tests, then the hidden ones,
stopping at the first failure, with one seed for all. Each outcome is
kept in build/mutants/LAB/results.jsonl as it comes, so a stopped run goes
on where it stopped.

Outcomes: killed by a public test, killed only by a hidden one, survived
(each survivor's diff is printed), and equivalent: same code, or listed in
labs/LAB/equivalent-mutants (`<id>  <why>` per line) by someone who read it.
Writes build/mutants/LAB.json (every mutant, its outcome and diff), the
record labs/LAB/mutants.json (the counts and survivors, keyed by a hash of
the lab's regions, tests and models, checked by --check), and the table in
docs/labs.md. Standard library only.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import labs as L  # noqa: E402
import mutate  # noqa: E402
import teeth  # noqa: E402

ROOT = L.ROOT
SEED = 1
HOST_FLAGS = ["-std=c11", "-O2", "-w", "-Ios/include", "-Ios/lib/include", "-Iarch/include"]
KILLED_PUBLIC, KILLED_HIDDEN, SURVIVED = "killed by a public test", \
    "killed only by a hidden test", "survived"
NOT_BUILT, SAME_CODE, LISTED = "does not build", "equivalent: same code", \
    "equivalent: listed"
TABLE_BEGIN = "<!-- mutants table: tools/lab/mutants.py --table writes it -->"
TABLE_END = "<!-- end of the mutants table -->"


def record_path(lab):
    return os.path.join(ROOT, "labs", lab, "mutants.json")


def listed_equivalents(lab):
    """{id: why} from labs/LAB/equivalent-mutants."""
    path = os.path.join(ROOT, "labs", lab, "equivalent-mutants")
    found = {}
    if os.path.isfile(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    mid, _, why = line.partition(" ")
                    found[mid] = why.strip()
    return found


def lab_hash(lab, seed):
    """What a record is valid for: the regions' code, the lab's tests and
    models (public and hidden), the equivalents listed, the operators, the seed."""
    h = hashlib.sha256(("mutate %d seed %d\n" % (mutate.VERSION, seed)).encode())
    for path, text, begin, end in mutate.region_spans(lab):
        h.update(("%s\n" % path).encode() + text[begin:end].encode())
    files = [p for p in L.tracked_files() if p.startswith(
        ("labs/%s/tests/" % lab, "labs/%s/hidden/" % lab)) or p in (
        "labs/%s/equivalent-mutants" % lab, "tools/lab/labhost.h")]
    for path in sorted(files):
        with open(os.path.join(ROOT, path), "rb") as f:
            h.update(path.encode() + b"\n" + f.read())
    return h.hexdigest()[:16]


def compiled(path, text):
    """The host object code of @text (as file @path) at -O2, or None if it
    does not compile."""
    with tempfile.NamedTemporaryFile(suffix=".o") as obj:
        r = subprocess.run(["cc"] + HOST_FLAGS + ["-I" + os.path.dirname(path), "-x", "c",
                                                  "-c", "-", "-o", obj.name],
                           cwd=ROOT, input=text.encode(), capture_output=True)
        return obj.read() if r.returncode == 0 else None


def sort_by_code(ms, jobs):
    """{mutant id: (outcome, None) | ("grade", representative id)}: what the
    host compiler says of each mutant before any is graded."""
    texts, reference = {}, {}
    for m in ms:
        if m.path not in texts:
            with open(os.path.join(ROOT, m.path)) as f:
                texts[m.path] = f.read()
            reference[m.path] = compiled(m.path, texts[m.path])
    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        objects = list(pool.map(lambda m: compiled(m.path, m.apply(texts[m.path])), ms))
    verdicts, first_with = {}, {}
    for m, obj in zip(ms, objects):
        if obj is None:
            verdicts[m.id] = (NOT_BUILT, None)
        elif reference[m.path] is not None and obj == reference[m.path]:
            verdicts[m.id] = (SAME_CODE, None)
        else:
            key = (m.path, obj) if reference[m.path] is not None else m.id
            verdicts[m.id] = ("grade", first_with.setdefault(key, m.id))
    return verdicts, texts


class Worker:
    """A copy of this tree that grades one mutant at a time."""

    def __init__(self, lab, k, seed):
        self.lab, self.seed = lab, seed
        self.tree = os.path.join(ROOT, "build", "mutants", lab, "w%d" % k)
        files = [p for p in L.tracked_files() if not p.startswith("build/")]
        if not os.path.isdir(self.tree):
            teeth.copy_tree(self.tree, files, ["build/riscv64", "build/x86_64", "build/host"])
            subprocess.run(["git", "init", "-q"], cwd=self.tree, check=True)
        for path in files:  # this tree as it is now; make rebuilds what changed
            dest = os.path.join(self.tree, path)
            with open(os.path.join(ROOT, path), "rb") as f:
                data = f.read()
            if not os.path.isfile(dest) or open(dest, "rb").read() != data:
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(data)

    def grade(self, test=None):
        """The grade of this tree as it is (of @test alone if given):
        grade.py's JSON, or None."""
        out = os.path.join(self.tree, "build", "grade", "mutant.json")
        if os.path.exists(out):
            os.remove(out)
        try:
            subprocess.run([sys.executable, "tools/lab/grade.py", self.lab, "--hidden",
                            "--fail-fast", "--seed", str(self.seed), "--json", out] +
                           (["--test", test] if test else []),
                           cwd=self.tree, capture_output=True, timeout=1800)
        except subprocess.TimeoutExpired:
            return None
        if not os.path.isfile(out):
            return None
        with open(out) as f:
            return json.load(f)

    def write(self, path, text):
        dest = os.path.join(self.tree, path)
        with open(dest, "w") as f:
            f.write(text)
        os.utime(dest)  # newer than its objects, even within one second

    def run(self, m, reference, killer=None):
        """Grade mutant @m. @killer: the public test that killed it in an
        earlier run (of other tests), tried first: if it still fails, the
        mutant is killed by a public test whatever the others say."""
        start = time.monotonic()
        self.write(m.path, m.apply(reference))
        try:
            r = None
            if killer:
                data = self.grade(killer)  # None if that test is gone
                r = outcome(data, 0) if data is not None else None
                if r is not None and r["status"] != KILLED_PUBLIC:
                    r = None
            if r is None:
                r = outcome(self.grade(), 0)
        finally:
            self.write(m.path, reference)
        r["seconds"] = round(time.monotonic() - start, 1)
        return r


def outcome(data, seconds):
    """{status, test, reason, seconds} of one mutant's grade."""
    if data is None:
        return {"status": KILLED_PUBLIC, "test": None, "seconds": round(seconds, 1),
                "reason": "the grade did not finish in 30 minutes"}
    failed = [t for t in data["tests"] if not t["ok"] and
              not (t["reason"] or "").startswith("not run")]
    if not failed:
        status, test, reason = SURVIVED, None, None
    else:
        test, reason = failed[0]["name"], failed[0]["reason"]
        if reason.startswith("build failed"):
            status = NOT_BUILT
        elif test.startswith("hidden/"):
            status = KILLED_HIDDEN
        else:
            status = KILLED_PUBLIC
    return {"status": status, "test": test, "reason": reason, "seconds": round(seconds, 1)}


def run_lab(lab, jobs, seed, only=None):
    """Grade every mutant of @lab; returns the report (a dict)."""
    ms = mutate.mutants(lab)
    if only:
        ms = [m for m in ms if m.id in only]
    digest = lab_hash(lab, seed)
    store = os.path.join(ROOT, "build", "mutants", lab)
    os.makedirs(store, exist_ok=True)
    results_path = os.path.join(store, "results.jsonl")
    done, killers = {}, {}
    if os.path.isfile(results_path):
        with open(results_path) as f:
            for line in f:
                r = json.loads(line)
                if r.get("hash") == digest:
                    done[r["id"]] = r
                elif r["status"] == KILLED_PUBLIC and r.get("test"):
                    killers[r["id"]] = r["test"]  # of other tests: tried first
    print("lab %s: %d mutants of its regions (seed %d, %d jobs; %d graded before)"
          % (lab, len(ms), seed, jobs, sum(1 for m in ms if m.id in done)), flush=True)
    t0 = time.monotonic()
    verdicts, texts = sort_by_code(ms, jobs)
    todo = [m for m in ms if verdicts[m.id] == ("grade", m.id) and m.id not in done]
    print("host compiler: %d do not build, %d compile to the reference's code, %d share "
          "another's; %d to grade (%.0f s)" % (
              sum(v[0] == NOT_BUILT for v in verdicts.values()),
              sum(v[0] == SAME_CODE for v in verdicts.values()),
              sum(v[0] == "grade" and v[1] != k for k, v in verdicts.items()),
              len(todo), time.monotonic() - t0), flush=True)

    lock, count = threading.Lock(), [0]
    if todo:
        workers = [Worker(lab, k, seed) for k in range(min(jobs, len(todo)))]
        with concurrent.futures.ThreadPoolExecutor(len(workers)) as pool:
            base = list(pool.map(lambda w: w.grade(), workers))
        for w, data in zip(workers, base):
            if data is None or data["score"] != data["max"]:
                sys.exit("error: the reference does not score full in %s with seed %d "
                         "(make grade LAB=%s HIDDEN=1 SEED=%d); no mutant graded"
                         % (w.tree, seed, lab, seed))
        queue = list(todo)

        def work(w):
            while True:
                with lock:
                    if not queue:
                        return
                    m = queue.pop(0)
                r = w.run(m, texts[m.path], killers.get(m.id))
                r.update(id=m.id, hash=digest)
                with lock:
                    done[m.id] = r
                    count[0] += 1
                    with open(results_path, "a") as f:
                        f.write(json.dumps(r) + "\n")
                    print("[%d/%d] %-34s %s%s (%.0f s)" % (
                        count[0], len(todo), m.id, r["status"],
                        " (%s)" % r["test"] if r["test"] else "", r["seconds"]), flush=True)
        with concurrent.futures.ThreadPoolExecutor(len(workers)) as pool:
            list(pool.map(work, workers))

    listed = listed_equivalents(lab)
    report = []
    for m in ms:
        kind, rep = verdicts[m.id]
        entry = {"id": m.id, "file": m.path, "line": m.line, "op": m.op}
        if kind != "grade":
            entry.update(status=kind)
        else:
            r = done[rep]
            entry.update(status=r["status"], test=r["test"], reason=r["reason"])
            if rep != m.id:
                entry["same_code_as"] = rep
        if entry["status"] == SURVIVED and m.id in listed:
            entry.update(status=LISTED, why=listed[m.id])
        if entry["status"] in (SURVIVED, LISTED, KILLED_HIDDEN):
            entry["diff"] = m.diff(texts[m.path])
        report.append(entry)
    stale = [] if only else sorted(set(listed) - {e["id"] for e in report
                                                  if e["status"] == LISTED})
    return {"lab": lab, "hash": digest, "seed": seed, "mutants": report,
            "stale_listings": stale, "seconds": round(time.monotonic() - t0)}


def counts(report):
    c = {s: 0 for s in (NOT_BUILT, SAME_CODE, LISTED, KILLED_PUBLIC, KILLED_HIDDEN, SURVIVED)}
    for e in report["mutants"]:
        c[e["status"]] += 1
    return c


def record_of(report):
    """The committed record: counts, survivors, the hash they hold for."""
    c = counts(report)
    real = c[KILLED_PUBLIC] + c[KILLED_HIDDEN] + c[SURVIVED]
    return {"lab": report["lab"], "hash": report["hash"], "seed": report["seed"],
            "mutants": len(report["mutants"]), "counts": c,
            "public_share": round(c[KILLED_PUBLIC] / real, 3) if real else 1.0,
            "survivors": [e["id"] for e in report["mutants"] if e["status"] == SURVIVED],
            "killed_only_by_hidden": [e["id"] for e in report["mutants"]
                                      if e["status"] == KILLED_HIDDEN]}


def summary(report):
    lab, c = report["lab"], counts(report)
    rec = record_of(report)
    print("\nlab %s: %d mutants: %d killed by public tests, %d only by hidden ones, %d "
          "survived; %d equivalent (%d same code, %d listed); %d do not build; public share "
          "%.0f%%" % (lab, len(report["mutants"]), c[KILLED_PUBLIC], c[KILLED_HIDDEN],
                      c[SURVIVED], c[SAME_CODE] + c[LISTED], c[SAME_CODE], c[LISTED],
                      c[NOT_BUILT], 100 * rec["public_share"]))
    for e in report["mutants"]:
        if e["status"] == KILLED_HIDDEN:
            print("\nkilled only by %s: %s\n%s" % (e["test"], e["id"], e["diff"]), end="")
    for e in report["mutants"]:
        if e["status"] == SURVIVED:
            print("\nsurvived: %s\n%s" % (e["id"], e["diff"]), end="")
    for mid in report["stale_listings"]:
        print("note: labs/%s/equivalent-mutants lists %s, which is no equivalent survivor "
              "now" % (lab, mid))


def table():
    """The markdown table of every lab's committed record."""
    rows = ["| lab | mutants | do not build | equivalent (same code + listed) | "
            "killed by public tests | killed only by hidden tests | survived | "
            "public share |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for lab in L.labs():
        if not os.path.isfile(record_path(lab)):
            rows.append("| %s | not run yet | | | | | | |" % lab)
            continue
        with open(record_path(lab)) as f:
            r = json.load(f)
        c = r["counts"]
        rows.append("| %s | %d | %d | %d + %d | %d | %d | %d | %.0f%% |" % (
            lab, r["mutants"], c[NOT_BUILT], c[SAME_CODE], c[LISTED], c[KILLED_PUBLIC],
            c[KILLED_HIDDEN], c[SURVIVED], 100 * r["public_share"]))
    return "\n".join(rows) + "\n"


def write_table():
    path = os.path.join(ROOT, "docs", "labs.md")
    with open(path) as f:
        text = f.read()
    if TABLE_BEGIN not in text or TABLE_END not in text:
        print("note: docs/labs.md has no mutants table markers; table not written")
        return
    head, rest = text.split(TABLE_BEGIN, 1)
    _, tail = rest.split(TABLE_END, 1)
    with open(path, "w") as f:
        f.write(head + TABLE_BEGIN + "\n" + table() + TABLE_END + tail)


def check(labs_):
    """TAP: each lab's record holds for its code and tests as they are now
    (a stale record fails), and the lab meets the goal: no survivor, at
    least 90% killed by public tests. A lab with no record yet, or short of
    the goal, is a TAP TODO: shown, not failed, until someone closes it."""
    n, bad = 0, 0
    for lab in labs_:
        path = record_path(lab)
        n += 1
        if not os.path.isfile(path):
            print("not ok %d - %s: no mutant record yet (make mutants LAB=%s writes it) "
                  "# TODO" % (n, lab, lab))
            continue
        with open(path) as f:
            r = json.load(f)
        now = lab_hash(lab, r["seed"])
        if now != r["hash"]:
            bad += 1
            print("not ok %d - %s: the mutant record is stale: the lab's regions, tests or "
                  "models changed since it was made (refresh it: make mutants LAB=%s)"
                  % (n, lab, lab))
            continue
        print("ok %d - %s: the mutant record holds for the lab as it is (hash %s)"
              % (n, lab, now))
        n += 1
        met = not r["survivors"] and r["public_share"] >= 0.9
        print("%s %d - %s: %d mutants, %d survived%s, %.0f%% killed by public tests "
              "(goal: none survives, 90%% public)%s" % (
                  "ok" if met else "not ok", n, lab, r["mutants"], len(r["survivors"]),
                  (" (" + ", ".join(r["survivors"][:5]) + ")") if r["survivors"] else "",
                  100 * r["public_share"], "" if met else " # TODO"))
    return 1 if bad else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("labs", nargs="*")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--only", action="append", help="grade only this mutant id (repeatable)")
    p.add_argument("--list", action="store_true", help="list the mutants and their diffs")
    p.add_argument("--check", action="store_true")
    p.add_argument("--table", action="store_true")
    args = p.parse_args()
    known = L.labs()
    for lab in args.labs:
        if lab not in known:
            print("error: no lab '%s' (the labs: %s)" % (lab, " ".join(known)))
            return 2
    if args.table:
        write_table()
        return 0
    if not args.labs:
        print("usage: make mutants LAB=<name> (the labs: %s)" % " ".join(known))
        return 2
    if args.check:
        return check(args.labs)
    if args.list:
        for lab in args.labs:
            for m in mutate.mutants(lab):
                with open(os.path.join(ROOT, m.path)) as f:
                    print("%s\n%s" % (m.id, m.diff(f.read())))
        return 0
    status = 0
    for lab in args.labs:
        report = run_lab(lab, args.jobs, args.seed, set(args.only or ()))
        summary(report)
        os.makedirs(os.path.join(ROOT, "build", "mutants"), exist_ok=True)
        with open(os.path.join(ROOT, "build", "mutants", lab + ".json"), "w") as f:
            json.dump(report, f, indent=1)
        if args.only:
            continue  # a partial run is no record
        with open(record_path(lab), "w") as f:
            json.dump(record_of(report), f, indent=1, sort_keys=True)
            f.write("\n")
        print("wrote build/mutants/%s.json and labs/%s/mutants.json (%d s)"
              % (lab, lab, report["seconds"]))
        rec = record_of(report)
        if rec["survivors"] or rec["public_share"] < 0.9:
            status = 1
    write_table()
    return status


if __name__ == "__main__":
    sys.exit(main())
