"""A model of the per-CPU page caches, as labs/percpu/README.md states them.

A Session drives the kernel's shell (`alloc 1`, `free`, `pcp`) on CPU 0 and
checks every answer against the model: each CPU's cache is a stack (the top
is handed out next); an empty cache refills up to BATCH pages as the buddy
system hands single pages out, the first on top; a cache above HIGH drains
its BATCH oldest pages. Which pages a refill takes is read from `buddy -v`
just before it (the buddy system's lists, head first) and the buddy policy
for one page: the head of the lowest non-empty list, segments in the order
added; a larger block leaves its other pages free as one block of each
smaller order, each at the head of its list.
"""
import re

PAGE = 4096
BATCH, HIGH = 16, 64
CPUS = 4  # the kernel tests boot with make run SMP=4

LIST_LINE = re.compile(r"^\s*seg(\d+) order (\d+) \(\d+ KiB blocks\):(.*)$")
PCP_LINE = re.compile(r"^pcp: cpu(\d+) (\d+) pages? cached, (\d+) hits?, (\d+) miss(?:es)?, "
                      r"(\d+) refills?, (\d+) drains?$")
ALLOCATED = re.compile(r"^allocated 1 pages at (0x[0-9a-f]+)$")
LOCK_LINE = re.compile(r"pmm lock (\d+) acquires?")
STRESS_LOCK = re.compile(r"^stress: lock pmm: (\d+) acquires?")


def read_lists(c):
    """{(segment, order): [block addresses, head first]} from `buddy -v`."""
    lists, key = {}, None
    for line in c.run("buddy -v"):
        m = LIST_LINE.match(line)
        if m:
            key = (int(m.group(1)), int(m.group(2)))
            rest = m.group(3)
            lists[key] = [] if rest.strip() == "empty" else [int(a, 16) for a in rest.split()]
        elif key is not None and line.startswith("    ") and line.strip().startswith("0x"):
            lists[key] += [int(a, 16) for a in line.split()]
        else:
            key = None
    if not lists:
        raise AssertionError("buddy -v printed no free lists")
    return lists


def read_pcp(c):
    """{cpu: (pages, hits, misses, refills, drains)} from `pcp`."""
    got = {}
    for line in c.run("pcp"):
        m = PCP_LINE.match(line)
        if m:
            got[int(m.group(1))] = tuple(int(x) for x in m.group(2, 3, 4, 5, 6))
    return got


def buddy_takes(lists, n):
    """The first @n single pages the buddy system hands out from @lists (changed)."""
    segments = sorted({s for s, _ in lists})
    orders = sorted({o for _, o in lists})
    taken = []
    while len(taken) < n:
        for o in orders:
            seg = next((s for s in segments if lists.get((s, o))), None)
            if seg is not None:
                break
        else:
            return taken
        block = lists[(seg, o)].pop(0)
        for j in range(o):
            lists[(seg, j)].insert(0, block + (PAGE << j))
        taken.append(block)
    return taken


class Cache:
    def __init__(self):
        self.pages = []  # oldest first: pages[-1] is the top
        self.hits = self.misses = self.refills = self.drains = 0

    def counts(self):
        return (len(self.pages), self.hits, self.misses, self.refills, self.drains)


class Session:
    """The shell on CPU 0 with the caches on, and the model beside it."""

    def __init__(self, c, cpus):
        self.c = c
        self.caches = [Cache() for _ in range(cpus)]
        pcp_on(c)
        # The counters run on from earlier tests: start from them, empty.
        got = read_pcp(c)
        for cpu, cache in enumerate(self.caches):
            if cpu not in got or got[cpu][0] != 0:
                raise AssertionError("after pcp on: expected cpu%d's cache empty, got %s"
                                     % (cpu, got.get(cpu, "no line for it")))
            cache.hits, cache.misses, cache.refills, cache.drains = got[cpu][1:]

    def alloc(self):
        """`alloc 1` on CPU 0: the page, as the model says."""
        cache = self.caches[0]
        cached = len(cache.pages)
        if not cache.pages:
            cache.misses += 1
            cache.refills += 1
            cache.pages = buddy_takes(read_lists(self.c), BATCH)[::-1]
            if not cache.pages:
                raise AssertionError("no free single page left for the test")
        else:
            cache.hits += 1
        want = cache.pages.pop()
        out = self.c.run("alloc 1")
        m = ALLOCATED.match(out[0]) if out else None
        if not m:
            raise AssertionError("alloc 1: expected `allocated 1 pages at 0x...`, got %r"
                                 % out[:1])
        got = int(m.group(1), 16)
        if got != want:
            raise AssertionError("alloc 1 (cpu0: %d pages cached before it): expected 0x%x, "
                                 "got 0x%x" % (cached, want, got))
        return got

    def free(self, page):
        """`free` of one's single page on CPU 0: on top of its cache; above HIGH, a drain."""
        cache = self.caches[0]
        cache.pages.append(page)
        if len(cache.pages) > HIGH:
            del cache.pages[:BATCH]
            cache.drains += 1
        out = self.c.run("free 0x%x" % page)
        if not out or out[0].startswith("error"):
            raise AssertionError("free 0x%x: %s" % (page, out[:1]))

    def compare(self, when):
        """`pcp`: every CPU's counts as the model has them."""
        got = read_pcp(self.c)
        names = ("pages", "hits", "misses", "refills", "drains")
        for cpu, cache in enumerate(self.caches):
            want = cache.counts()
            if got.get(cpu) != want:
                have = got.get(cpu)
                raise AssertionError(
                    "%s: pcp: cpu%d: expected %s; got %s" % (
                        when, cpu, ", ".join("%d %s" % p for p in zip(want, names)),
                        ", ".join("%d %s" % p for p in zip(have, names)) if have
                        else "no line for it"))

    def off(self, when):
        """`pcp off`: every cached page goes back; the model's caches are empty."""
        cached = sum(len(cache.pages) for cache in self.caches)
        out = self.c.run("pcp off")
        m = re.match(r"^pcp: off: the caches gave (\d+) pages? back", out[0]) if out else None
        if not m or int(m.group(1)) != cached:
            raise AssertionError("%s: pcp off: expected `pcp: off: the caches gave %d page%s "
                                 "back ...`, got %r" % (when, cached, "" if cached == 1 else "s",
                                                        out[:1]))
        for cache in self.caches:
            cache.pages = []


def pcp_on(c):
    out = c.run("pcp on")
    if not out or not out[0].startswith("pcp: on"):
        raise AssertionError("pcp on: expected `pcp: on: ...`, got %r" % out[:1])


def all_back(c, start, when):
    """After `pcp off`: @start free pages again, and `check` clean."""
    if free_pages(c) != start:
        raise AssertionError("%s, then pcp off (every cache drained): expected %d free pages, "
                             "as before; got %d" % (when, start, free_pages(c)))
    check_clean(c, "%s, then pcp off" % when)


def free_pages(c):
    """`meminfo`'s free pages."""
    for line in c.run("meminfo"):
        m = re.match(r"^free pages: (\d+)$", line)
        if m:
            return int(m.group(1))
    raise AssertionError("meminfo printed no `free pages:` line")


def check_clean(c, when):
    out = c.run("check")
    if out != ["check: ok"]:
        raise AssertionError("%s: check: expected `check: ok`, got %s" % (when, " | ".join(out)))


def bench_acquires(c, pairs, cpus):
    """`bench -j`: the pmm lock's acquires with the caches off and on."""
    out = c.run("bench -j %d %d" % (cpus, pairs))
    found = {}
    for line in out:
        for state in ("off", "on"):
            if line.startswith("bench: pcp %s:" % state):
                m = LOCK_LINE.search(line)
                if m:
                    found[state] = int(m.group(1))
    if set(found) != {"off", "on"} or not any(line.startswith("bench: ok") for line in out):
        raise AssertionError("bench -j %d %d: expected its pcp off and on lines and "
                             "`bench: ok`, got %s" % (cpus, pairs, " | ".join(out[-4:])))
    return found["off"], found["on"]


def stress_acquires(c, cpus, ops, seed):
    """`stress -j`: the pmm lock's acquires; the run must end `stress: ok`."""
    out = c.run("stress -j %d %d %d" % (cpus, ops, seed), timeout=240)
    if not out or out[-1] != "stress: ok":
        raise AssertionError("stress -j %d %d %d: expected `stress: ok` last, got %s"
                             % (cpus, ops, seed, " | ".join(out[-3:])))
    for line in out:
        m = STRESS_LOCK.match(line)
        if m:
            return int(m.group(1))
    raise AssertionError("stress -j %d %d %d printed no `stress: lock pmm:` line"
                         % (cpus, ops, seed))
