"""A model of the buddy page manager as labs/buddy/README.md and
os/include/pmm.h document it, for the grader's kernel tests.

It starts from what the kernel prints (`meminfo`'s segments and `buddy -v`'s
free lists: the boot's own allocations are the kernel's business) and from
then on predicts every address `alloc` answers and every free list, head
first, that `buddy -v` prints. Nothing is stored: each run computes its
answers from the policy.
"""
import re

PAGE = 4096
MAX_ORDER = 8


def order_of(pages):
    """The smallest k with 2^k >= pages."""
    k = 0
    while (1 << k) < pages:
        k += 1
    return k


def read_segments(c):
    """[(first managed address, end)] from meminfo."""
    segs = []
    for line in c.run("meminfo"):
        m = re.match(r"seg(\d+) (0x[0-9a-f]+)-(0x[0-9a-f]+) pages (\d+)", line)
        if m:
            segs.append((int(m.group(2), 16), int(m.group(3), 16)))
    assert segs, "meminfo shows no segment"
    return segs


def read_lists(c):
    """(segment, order) -> the addresses on that free list, head first (buddy -v)."""
    lists = {}
    current = None
    for line in c.run("buddy -v"):
        m = re.match(r"\s+seg(\d+) order (\d+) \([^)]*\):(.*)", line)
        if m:
            current = (int(m.group(1)), int(m.group(2)))
            lists[current] = []
            line = m.group(3)
        elif not line.startswith("    "):
            current = None
        if current:
            lists[current] += [int(a, 16) for a in re.findall(r"0x([0-9a-f]+)", line)]
    return lists


class Model:
    """The free lists of every segment, and the allocations made through it."""

    def __init__(self, segments, lists):
        self.segs = segments
        self.lists = {(s, k): list(lists.get((s, k), [])) for s in range(len(segments))
                      for k in range(MAX_ORDER + 1)}
        self.heads = {}  # address -> order, for the head of every free block
        for (s, k), addrs in self.lists.items():
            for a in addrs:
                self.heads[a] = k
        self.live = {}  # address -> pages, for what the test allocated

    @classmethod
    def read(cls, c):
        return cls(read_segments(c), read_lists(c))

    # ---- the policy ----

    def _push(self, s, addr, k):
        self.lists[(s, k)].insert(0, addr)
        self.heads[addr] = k

    def _remove(self, s, addr, k):
        self.lists[(s, k)].remove(addr)
        del self.heads[addr]

    def _fit(self, addr, last):
        """The order of the largest aligned block at @addr ending by @last."""
        k = 0
        pfn = addr // PAGE
        while k < MAX_ORDER and addr + (2 << k) * PAGE <= last and pfn % (2 << k) == 0:
            k += 1
        return k

    def _merge(self, s, addr, k):
        start, end = self.segs[s]
        while k < MAX_ORDER:
            size = (1 << k) * PAGE
            buddy = addr ^ size
            if buddy < start or buddy + size > end or self.heads.get(buddy) != k:
                break
            self._remove(s, buddy, k)
            addr = min(addr, buddy)
            k += 1
        self._push(s, addr, k)

    def _free_range(self, s, first, last):
        while first < last:
            k = self._fit(first, last)
            self._merge(s, first, k)
            first += (1 << k) * PAGE

    def _segment_of(self, addr):
        for s, (start, end) in enumerate(self.segs):
            if start <= addr < end:
                return s
        raise AssertionError("0x%x is in no segment" % addr)

    def _find_run(self, s, pages):
        """The lowest run of @pages free pages inside segment @s, or None."""
        blocks = sorted(a for a in self.heads if self._segment_of(a) == s)
        start = run = None
        for a in blocks:
            if run is not None and start + run * PAGE == a:
                run += 1 << self.heads[a]
            else:
                start, run = a, 1 << self.heads[a]
            if run >= pages:
                return start
        return None

    def alloc(self, pages):
        """The address the documented policy gives for `alloc <pages>`, or None."""
        if 1 <= pages <= 1 << MAX_ORDER:
            k = order_of(pages)
            for have in range(k, MAX_ORDER + 1):
                for s in range(len(self.segs)):
                    if self.lists[(s, have)]:
                        addr = self.lists[(s, have)][0]
                        self._remove(s, addr, have)
                        while have > k:
                            have -= 1
                            self._push(s, addr + (1 << have) * PAGE, have)
                        self._free_range(s, addr + pages * PAGE, addr + (1 << k) * PAGE)
                        self.live[addr] = pages
                        return addr
            return None
        for s in range(len(self.segs)):
            start = self._find_run(s, pages)
            if start is None:
                continue
            addr, last = start, start + pages * PAGE
            while addr < last:
                k = self.heads[addr]
                end = addr + (1 << k) * PAGE
                self._remove(s, addr, k)
                if end > last:
                    self._free_range(s, last, end)
                addr = end
            self.live[start] = pages
            return start
        return None

    def free(self, addr):
        pages = self.live.pop(addr)
        self._free_range(self._segment_of(addr), addr, addr + pages * PAGE)
        return pages

    def free_pages(self):
        return sum(1 << k for k in self.heads.values())

    def longest_run(self):
        best = 0
        for s in range(len(self.segs)):
            blocks = sorted(a for a in self.heads if self._segment_of(a) == s)
            start = run = None
            for a in blocks:
                if run is not None and start + run * PAGE == a:
                    run += 1 << self.heads[a]
                else:
                    start, run = a, 1 << self.heads[a]
                best = max(best, run)
        return best


class Session:
    """A kernel console and the model side by side: every answer is checked."""

    def __init__(self, c):
        self.c = c
        self.model = Model.read(c)

    def alloc(self, pages):
        want = self.model.alloc(pages)
        lines = [l for l in self.c.run("alloc %d" % pages) if "done (" not in l]
        if want is None:
            assert len(lines) == 1 and lines[0].startswith("error: "), \
                "alloc %d: the documented policy finds no room (an 'error: ' line); " \
                "the kernel says %r" % (pages, lines)
            return None
        expect = "allocated %d pages at 0x%x" % (pages, want)
        assert lines == [expect], "alloc %d: expected %r, got %r" % (pages, expect, lines)
        return want

    def free(self, addr):
        pages = self.model.free(addr)
        lines = self.c.run("free 0x%x" % addr)
        expect = "freed %d pages at 0x%x" % (pages, addr)
        assert lines == [expect], "free 0x%x: expected %r, got %r" % (addr, expect, lines)

    def free_some(self, rng, fraction):
        live = sorted(self.model.live)
        for addr in rng.sample(live, int(len(live) * fraction)):
            self.free(addr)

    def compare(self, when):
        """buddy -v must show the model's free lists, head first."""
        got = read_lists(self.c)
        for (s, k), want in sorted(self.model.lists.items()):
            have = got.get((s, k), [])
            if have != want:
                i = next((i for i, (a, b) in enumerate(zip(have, want)) if a != b),
                         min(len(have), len(want)))
                show = lambda v: "0x%x" % v[i] if i < len(v) else "the end of the list"  # noqa
                raise AssertionError(
                    "%s: buddy -v, seg%d order %d, entry %d (head first) is %s; the "
                    "documented policy gives %s" % (when, s, k, i, show(have), show(want)))
        lines = self.c.run("check")
        assert lines == ["check: ok"], "%s: check says %r" % (when, lines[:3])

    def finish(self, rng):
        """Free everything the test allocated, in random order, and compare."""
        live = list(self.model.live)
        rng.shuffle(live)
        for addr in live:
            self.free(addr)
        self.compare("after freeing everything")
