"""A model of kmalloc as labs/kmalloc/README.md documents it, for the grader.

It states what the policy answers, not how the kernel finds it: the size
classes as a table; a slab as a bitmap of its objects (the lowest free one
is handed out); a first-fit allocator as the set of chunks in use, its free
chunks being the gaps between them (the lowest gap that holds a request
takes it); the lowest non-full allocator of a kind and pid tried first; an
empty allocator destroyed at once. It knows the layout of the allocators it
did not ask the student to write (slab_init, first_fit_init). It does not
know where the page manager puts a new allocator: it learns that from the
kernel's first answer and checks that the answer is consistent
(page-aligned, overlapping nothing) and every later one.
"""
import re

PAGE = 4096
HEADER = 16          # struct memm_header
OBJECT = 128         # MEMM_OBJECT_SIZE: struct allocator, rounded up to 64
SLAB_FIRST = 176     # object 0 of a slab: after the object and the bitmap
FF_START = 160       # the first chunk of a first-fit allocator
CHUNK = 32           # struct chunk: size, next, header
MIN_CHUNK = CHUNK + 16
SLAB_MAX = 2048

ERRORS = {
    "NOT_OURS": "address is in no allocator (kmalloc did not return it)",
    "NOT_BLOCK": "address is inside an allocator but not a block kmalloc returned",
    "FREE": "block is already free",
}


# Each size class and the largest request it holds (the class less the
# 16-byte header); a larger request goes to a first-fit allocator (class 0).
CLASSES = [(16, 32), (48, 64), (112, 128), (240, 256), (496, 512), (1008, 1024), (2032, 2048)]


def size_class(nbytes):
    """The smallest class that holds @nbytes, or 0."""
    return min((cls for largest, cls in CLASSES if nbytes <= largest), default=0)


def align16(n):
    return (n + 15) & ~15


def first_fit_pages(nbytes):
    need = OBJECT + 24 + 16 + CHUNK + nbytes
    return max(16, (need + PAGE - 1) // PAGE)


class Allocator:
    def __init__(self, kind, pid, object_size, pages):
        self.kind, self.pid, self.object_size, self.pages = kind, pid, object_size, pages
        self.base = None
        if kind == "slab":
            self.capacity = (PAGE - SLAB_FIRST) // object_size
            self.slots = [None] * self.capacity  # bytes asked, per object in use
            self.size = self.capacity * object_size
        else:
            self.size = pages * PAGE - FF_START
            self.chunks = {}  # offset of each chunk in use -> [its size, bytes asked]

    @property
    def end(self):
        return self.base + self.pages * PAGE

    def gaps(self):
        """The free chunks of a first-fit allocator: the gaps between the
        chunks in use (a freed chunk merges with free neighbours),
        [(offset, size)] in address order."""
        out, at = [], 0
        for off in sorted(self.chunks):
            if off > at:
                out.append((at, off - at))
            at = off + self.chunks[off][0]
        if at < self.size:
            out.append((at, self.size - at))
        return out

    @property
    def used(self):
        if self.kind == "slab":
            return sum(self.object_size for s in self.slots if s is not None)
        return sum(size for size, _ in self.chunks.values())

    @property
    def full(self):
        if self.kind == "slab":
            return all(s is not None for s in self.slots)
        return not any(size >= MIN_CHUNK for _, size in self.gaps())

    def type_name(self):
        return "slab-%d" % self.object_size if self.kind == "slab" else "first-fit"

    def row(self):
        return (self.base, self.type_name(), self.pid, self.size, self.used,
                "yes" if self.full else "no")

    def try_allocate(self, nbytes):
        """(offset of the block from base, commit function), or None if it does not fit."""
        if self.kind == "slab":
            free = [i for i, s in enumerate(self.slots) if s is None]
            if not free:
                return None

            def commit(i=free[0]):
                self.slots[i] = nbytes
            return SLAB_FIRST + free[0] * self.object_size + HEADER, commit
        need = align16(CHUNK + nbytes)
        fits = [(off, size) for off, size in self.gaps() if size >= need]
        if not fits:
            return None
        off, size = fits[0]
        # What would be left is a chunk of its own only from MIN_CHUNK bytes on.
        take = need if size - need >= MIN_CHUNK else size

        def commit():
            self.chunks[off] = [take, nbytes]
        return FF_START + off + CHUNK, commit

    def offset_of(self, addr):
        """Where the chunk of the block at @addr starts, from the first chunk."""
        return addr - self.base - FF_START - CHUNK

    def block_at(self, addr):
        """The bytes asked for the live block at @addr, or None."""
        if self.kind == "slab":
            rel = addr - self.base - SLAB_FIRST - HEADER
            if rel >= 0 and rel % self.object_size == 0 and rel // self.object_size < self.capacity:
                return self.slots[rel // self.object_size]
            return None
        chunk = self.chunks.get(self.offset_of(addr))
        return chunk[1] if chunk else None

    def free(self, addr):
        """Free the live block at @addr; what a second kfree of it says."""
        if self.kind == "slab":
            self.slots[(addr - self.base - SLAB_FIRST - HEADER) // self.object_size] = None
            return "FREE"
        off = self.offset_of(addr)
        del self.chunks[off]
        # A free chunk still starts there unless it merged into a free one before it.
        starts = off == 0 or any(o + size == off for o, (size, _) in self.chunks.items())
        return "FREE" if starts else "NOT_BLOCK"


class Model:
    def __init__(self):
        self.allocators = []  # by address once placed

    def sorted(self):
        return sorted(self.allocators, key=lambda a: a.base)

    def owner(self, addr):
        for a in self.allocators:
            if a.base <= addr < a.end:
                return a
        return None

    def predict(self, nbytes, pid):
        """What kmalloc(nbytes, pid) must do: (allocator, offset, commit, is_new)."""
        cls = size_class(nbytes)
        kind = "slab" if cls else "first-fit"
        for a in self.sorted():
            if a.kind == kind and a.pid == pid and not a.full and a.object_size == cls:
                got = a.try_allocate(nbytes)
                if got:
                    return a, got[0], got[1], False
                break  # only the lowest non-full one is tried
        a = Allocator(kind, pid, cls, 1 if cls else first_fit_pages(nbytes))
        off, commit = a.try_allocate(nbytes)
        return a, off, commit, True

    def place(self, a, base):
        assert base % PAGE == 0, "a new allocator must start on a page: 0x%x" % base
        for b in self.allocators:
            assert base + a.pages * PAGE <= b.base or base >= b.end, \
                "the new %s at 0x%x overlaps the %s at 0x%x" % (a.type_name(), base,
                                                                b.type_name(), b.base)
        a.base = base
        self.allocators.append(a)

    def expect_free(self, addr):
        """(expected answer line, apply function) for kfree 0x<addr>."""
        a = self.owner(addr)
        if a is None:
            return error_line(addr, "NOT_OURS"), lambda: None
        asked = a.block_at(addr)
        if asked is None:
            return error_line(addr, self.bad_kind(a, addr)), lambda: None

        def apply():
            again = a.free(addr)
            if a.used == 0:
                self.allocators.remove(a)
            return again
        return "freed %d bytes at 0x%x" % (asked, addr), apply

    @staticmethod
    def bad_kind(a, addr):
        return "NOT_BLOCK"

    def predictable_bad(self, addr):
        """Is @addr a bad kfree whose answer the policy fixes? (Not a live block, and
        not the start of a free object or chunk, whose old header may say anything.)"""
        a = self.owner(addr)
        if a is None or addr % 16 or addr < a.base + OBJECT + HEADER:
            return True
        if a.kind == "slab":
            return (addr - a.base - SLAB_FIRST - HEADER) % a.object_size != 0
        starts = set(a.chunks) | {off for off, _ in a.gaps()}
        return a.offset_of(addr) not in starts

    def pages(self):
        return sum(a.pages for a in self.allocators)


def error_line(addr, kind):
    return "error: cannot free 0x%x: %s" % (addr, ERRORS[kind])


# ---- talking to the kernel ------------------------------------------------

def one(lines, what):
    assert len(lines) == 1, "%s: expected one line, got %r" % (what, lines)
    return lines[0]


def kmalloc(c, model, nbytes, pid):
    cmd = "kmalloc %d %d" % (nbytes, pid)
    line = one(c.run(cmd), cmd)
    a, off, commit, new = model.predict(nbytes, pid)
    m = re.fullmatch(r"allocated (\d+) bytes at 0x([0-9a-f]+)", line)
    assert m and int(m.group(1)) == nbytes, "%s: expected 'allocated %d bytes at 0x...', got %r" \
        % (cmd, nbytes, line)
    addr = int(m.group(2), 16)
    if new:
        base = addr - off
        where = model.owner(addr)
        assert where is None, "%s: expected a new %s allocator for pid %d, got 0x%x inside " \
            "the %s of pid %d at 0x%x" % (cmd, a.type_name(), pid, addr, where.type_name(),
                                          where.pid, where.base)
        assert base % PAGE == 0, "%s: expected a new %s for pid %d with the block %d bytes " \
            "into it, got 0x%x (offset 0x%x in its page)" % (cmd, a.type_name(), pid, off, addr,
                                                             addr % PAGE)
        model.place(a, base)
    else:
        assert addr == a.base + off, "%s: expected 0x%x (%s of pid %d at 0x%x, %s), got 0x%x" % (
            cmd, a.base + off, a.type_name(), pid, a.base,
            "the lowest free object" if a.kind == "slab" else "the first chunk that fits", addr)
    commit()
    return addr


def kfree(c, model, addr):
    cmd = "kfree 0x%x" % addr
    line = one(c.run(cmd), cmd)
    expected, apply = model.expect_free(addr)
    assert line == expected, "%s: expected %r, got %r" % (cmd, expected, line)
    return apply()


def allocators(c):
    lines = c.run("allocators")
    assert lines and lines[0].split() == ["address", "type", "pid", "size", "used", "full"], \
        "allocators: bad heading %r" % lines[:1]
    rows = []
    for line in lines[1:]:
        w = line.split()
        assert len(w) == 6, "allocators: bad row %r" % line
        rows.append((int(w[0], 16), w[1], int(w[2]), int(w[3]), int(w[4]), w[5]))
    return rows


def compare_allocators(c, model, when):
    got = allocators(c)
    want = [a.row() for a in model.sorted()]
    if got == want:
        return
    fmt = lambda r: "0x%x %s pid %d size %d used %d full %s" % r  # noqa: E731
    for i in range(max(len(got), len(want))):
        g = fmt(got[i]) if i < len(got) else "(no row)"
        w = fmt(want[i]) if i < len(want) else "(no row)"
        if g != w:
            raise AssertionError("allocators %s, row %d: expected %s, got %s" % (when, i + 1, w, g))


def free_pages(c):
    for line in c.run("meminfo"):
        m = re.fullmatch(r"free pages: (\d+)", line)
        if m:
            return int(m.group(1))
    raise AssertionError("meminfo printed no 'free pages:' line")


class Session:
    """One scenario: starts with no allocators, ends with none and every page back."""

    def __init__(self, c):
        self.c, self.model = c, Model()
        assert allocators(c) == [], "allocators left over before the test began"
        self.free0 = free_pages(c)

    def kmalloc(self, nbytes, pid=0):
        return kmalloc(self.c, self.model, nbytes, pid)

    def kfree(self, addr):
        return kfree(self.c, self.model, addr)

    def kfree_twice(self, addr):
        """Free a live block, then at once again: the second answer is an error."""
        again = self.kfree(addr)
        kind = "NOT_OURS" if self.model.owner(addr) is None else again
        cmd = "kfree 0x%x" % addr
        line = one(self.c.run(cmd), cmd + " (a second time)")
        assert line == error_line(addr, kind), "%s a second time: expected %r, got %r" % (
            cmd, error_line(addr, kind), line)

    def compare(self, when):
        compare_allocators(self.c, self.model, when)
        got = free_pages(self.c)
        want = self.free0 - self.model.pages()
        assert got == want, "meminfo %s: expected free pages: %d (allocators hold %d), got %d" % (
            when, want, self.model.pages(), got)

    def finish(self):
        self.compare("at the end")
        line = one(self.c.run("check"), "check")
        assert line == "check: ok", "check at the end: expected 'check: ok', got %r" % line
