"""What the buddy page manager must show, as labs/buddy/README.md and
os/include/pmm.h document it, for the grader's kernel tests.

It starts from what the kernel prints (`meminfo`'s segments and `buddy -v`'s
free lists: the boot's own allocations are the kernel's business) and from
then on predicts every address `alloc` answers and every free list, head
first, that `buddy -v` prints. Nothing is stored: each run computes its
answers from the policy.

This is a specification, not an implementation: it never splits or merges.
It knows which pages are free and when each free block became free, and
three rules give the rest (the README's "The policy"):

  blocks  the free pages of a segment are covered by the maximal aligned
          blocks: aligned blocks of at most 256 pages, wholly inside the
          segment and wholly free, not inside a larger such block;
  lists   a list holds its blocks newest first; the blocks one step makes
          free became free lowest address first;
  take    alloc n <= 256 takes the newest block of the smallest order >= the
          order of n that has one (segments in the order added) and uses its
          first n pages; alloc n > 256 takes the lowest n free pages in a row
          inside one segment (segments in the order added). The other pages
          stay free.

With poisoning on from the start (`poison on` marks every free block
poisoned, and every page freed after is), a block the policy takes is
checked first: each page written since it was freed is quarantined (an
allocation never freed, reported after the command), the block's other
pages stay free, and the policy looks again.
"""
import re

PAGE = 4096
MAX_ORDER = 8
MAX_BLOCK = 1 << MAX_ORDER


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


class Segment:
    """One segment: which pages are free, and the free blocks with their births."""

    def __init__(self, start, end):
        self.start = start
        self.pages = (end - start) // PAGE
        self.pfn0 = start // PAGE
        self.free = bytearray(self.pages)  # 1: the page is free
        self.blocks = {}                   # head page -> order, for each free block
        self.born = {}                     # head page -> when the block became free

    def maximal(self, pfn, k, out):
        """Rule "blocks" inside the aligned block of order @k at page frame @pfn."""
        size = 1 << k
        if pfn + size <= self.pfn0 or pfn >= self.pfn0 + self.pages:
            return
        first = pfn - self.pfn0
        if first >= 0 and first + size <= self.pages and 0 not in self.free[first:first + size]:
            out[first] = k
        elif k > 0:
            self.maximal(pfn, k - 1, out)
            self.maximal(pfn + size // 2, k - 1, out)

    def settle(self, first, last, clock):
        """Pages [first, last) changed: the blocks are the maximal ones again
        (blocks never cross a 256-page boundary, so only the windows round
        the change can differ). A block already free keeps its birth; the
        new ones are born now, lowest first. Returns the clock."""
        lo = (self.pfn0 + first) // MAX_BLOCK * MAX_BLOCK
        hi = -(-(self.pfn0 + last) // MAX_BLOCK) * MAX_BLOCK
        now = {}
        for w in range(lo, hi, MAX_BLOCK):
            self.maximal(w, MAX_ORDER, now)
        a, b = max(lo - self.pfn0, 0), min(hi - self.pfn0, self.pages)
        for head in [h for h in self.blocks if a <= h < b]:
            if now.get(head) != self.blocks[head]:
                del self.blocks[head], self.born[head]
        for head in sorted(now):
            if head not in self.blocks:
                clock += 1
                self.blocks[head], self.born[head] = now[head], clock
        return clock

    def newest(self, k):
        """The head of list @k (its newest block), or None."""
        heads = [h for h, o in self.blocks.items() if o == k]
        return max(heads, key=self.born.get) if heads else None

    def listed(self, k):
        """List @k as addresses, head first."""
        heads = sorted((h for h, o in self.blocks.items() if o == k), key=self.born.get,
                       reverse=True)
        return [self.start + h * PAGE for h in heads]

    def runs(self):
        """(first page, length) of each stretch of free pages, lowest first."""
        return [(m.start(), m.end() - m.start()) for m in re.finditer(b"\x01+", self.free)]


class Model:
    """The free pages of every segment, and the allocations made through it."""

    def __init__(self, segments, lists, poisoning=False):
        self.segs = [Segment(start, end) for start, end in segments]
        self.clock = 0
        self.poisoning = poisoning
        self.written = {}   # address of a free page written to -> its first bad byte
        self.reports = []   # (page, first bad byte) of each quarantine, in order
        for (s, k), addrs in lists.items():
            seg = self.segs[s]
            for rank, addr in enumerate(addrs):
                head = (addr - seg.start) // PAGE
                seg.free[head:head + (1 << k)] = b"\x01" * (1 << k)
                seg.blocks[head] = k
                seg.born[head] = -rank  # the head of the list is the newest
        for s, seg in enumerate(self.segs):
            before = dict(seg.blocks)
            self.clock = seg.settle(0, seg.pages, self.clock)
            if seg.blocks != before:
                extra = sorted(set(before.items()) - set(seg.blocks.items()))
                head, k = extra[0] if extra else sorted(set(seg.blocks.items()) -
                                                          set(before.items()))[0]
                raise AssertionError(
                    "before the test: buddy -v shows seg%d's free pages as blocks that are "
                    "not the largest aligned ones (at 0x%x, order %d): a free block with a "
                    "free buddy of its order was not merged" % (s, seg.start + head * PAGE, k))
        self.live = {}  # address -> pages, for what the test allocated

    @classmethod
    def read(cls, c, poisoning=False):
        return cls(read_segments(c), read_lists(c), poisoning)

    @property
    def lists(self):
        """(segment, order) -> the addresses of that free list, head first."""
        return {(s, k): seg.listed(k) for s, seg in enumerate(self.segs)
                for k in range(MAX_ORDER + 1)}

    def _segment_of(self, addr):
        for s, seg in enumerate(self.segs):
            if seg.start <= addr < seg.start + seg.pages * PAGE:
                return s
        raise AssertionError("0x%x is in no segment" % addr)

    def _take(self, seg, first, pages):
        seg.free[first:first + pages] = bytes(pages)
        self.clock = seg.settle(first, first + pages, self.clock)
        addr = seg.start + first * PAGE
        self.live[addr] = pages
        return addr

    def _checked(self, seg, head):
        """With poisoning on, the free block at @head is checked before it
        is handed out: False if it had written pages (now quarantined)."""
        size = 1 << seg.blocks[head]
        bad = [p for p in range(head, head + size) if seg.start + p * PAGE in self.written]
        if not self.poisoning or not bad:
            return True
        for p in bad:
            addr = seg.start + p * PAGE
            self.reports.append((addr, self.written.pop(addr)))
            seg.free[p] = 0
        self.clock = seg.settle(head, head + size, self.clock)
        return False

    def _alloc(self, pages):
        if 1 <= pages <= MAX_BLOCK:
            for k in range(order_of(pages), MAX_ORDER + 1):
                for seg in self.segs:
                    head = seg.newest(k)
                    if head is not None:
                        if not self._checked(seg, head):
                            return self._alloc(pages)  # look again
                        return self._take(seg, head, pages)
            return None
        for seg in self.segs:
            first = seg.free.find(b"\x01" * pages)
            if first < 0:
                continue
            head = first
            while head < first + pages:  # each block of the run, lowest first
                if not self._checked(seg, head):
                    return self._alloc(pages)
                head += 1 << seg.blocks[head]
            return self._take(seg, first, pages)
        return None

    def alloc(self, pages):
        """The address the documented policy gives for `alloc <pages>`, or None."""
        self.reports = []
        return self._alloc(pages)

    def write(self, addr, offset):
        """A stray write at @addr + @offset into a free page (poke)."""
        old = self.written.get(addr)
        self.written[addr] = offset if old is None else min(old, offset)

    def block_for(self, pages):
        """(address, pages) of the block `alloc <pages>` (at most 256) takes
        unless a written page in it is found first; None if there is none."""
        for k in range(order_of(pages), MAX_ORDER + 1):
            for seg in self.segs:
                head = seg.newest(k)
                if head is not None:
                    return seg.start + head * PAGE, 1 << k
        return None

    def free(self, addr):
        pages = self.live.pop(addr)
        seg = self.segs[self._segment_of(addr)]
        first = (addr - seg.start) // PAGE
        seg.free[first:first + pages] = b"\x01" * pages
        self.clock = seg.settle(first, first + pages, self.clock)
        return pages

    def free_pages(self):
        return sum(seg.free.count(1) for seg in self.segs)

    def longest_run(self):
        return max((n for seg in self.segs for _, n in seg.runs()), default=0)


class Session:
    """A kernel console and the model side by side: every answer is checked."""

    def __init__(self, c, poisoning=False):
        self.c = c
        if poisoning:
            lines = [l for l in c.run("poison on") if "done (" not in l]
            assert lines and lines[0].startswith("poison: on"), \
                "poison on: expected 'poison: on (...)', got %r" % lines
        self.model = Model.read(c, poisoning)

    def alloc(self, pages):
        want = self.model.alloc(pages)
        lines = [l for l in self.c.run("alloc %d" % pages) if "done (" not in l]
        reports = ["error: use after free: page 0x%x was written after it was freed (first bad "
                   "byte at +0x%x)" % r for r in self.model.reports]
        if want is None:
            assert len(lines) == 1 + len(reports) and lines[0].startswith("error: ") and \
                lines[1:] == reports, \
                "alloc %d: the documented policy finds no room (an 'error: ' line)%s; " \
                "the kernel says %r" % (pages, ", after quarantining %s" % reports
                                        if reports else "", lines)
            return None
        expect = ["allocated %d pages at 0x%x" % (pages, want)] + reports
        assert lines == expect, "alloc %d: expected %r, got %r" % (pages, expect, lines)
        return want

    def poke(self, rng, pages):
        """Write to a free page, as a stale pointer would (poisoning on): a
        page of the block `alloc <pages>` would take next."""
        block, size = self.model.block_for(pages)
        page = block + PAGE * rng.randrange(size)
        offset = 8 * rng.randrange(PAGE // 8)
        value = rng.randrange(1, 1 << 32) * 256 + rng.choice([0, 1, 0x42])  # low byte not 0x6b
        self.model.write(page, offset)
        lines = self.c.run("poke 0x%x 0x%x" % (page + offset, value))
        expect = "0x%x: 0x%016x written" % (page + offset, value)
        assert lines == [expect], "poke 0x%x (a free page): expected %r, got %r" % (
            page + offset, expect, lines)

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
