"""The public tests of lab kmalloc (labs/kmalloc/README.md has the table).

Host tests: labs/kmalloc/tests/host_kmalloc.c, built with the lab's sources
under ASan + UBSan. Kernel tests: the shell's kmalloc, kfree, allocators and
meminfo on both architectures, every answer checked against kmodel.py.
"""
import labtest as t
from kmodel import Session, PAGE

HOST = "labs/kmalloc/tests/host_kmalloc.c"
t.host("slab_class", 5, HOST)
t.host("slab_objects", 10, HOST)
t.host("first_fit_chunks", 10, HOST)
t.host("kmalloc_kfree", 10, HOST)
t.host("bad_frees", 5, HOST)


def some_sizes(rng, n, low=1, high=2032):
    return [rng.randint(low, high) for _ in range(n)]


@t.kernel(5)
def size_classes(c, rng):
    """Every request up to 2032 bytes goes to the slab of its class."""
    s = Session(c)
    pid = rng.randrange(0, 5)
    edges = [cls - 16 for cls in (32, 64, 128, 256, 512, 1024, 2048)]
    sizes = edges + [e + 1 for e in edges[:-1]] + some_sizes(rng, 8)
    rng.shuffle(sizes)
    blocks = [s.kmalloc(n, pid) for n in sizes]
    s.compare("after %d kmallocs of pid %d" % (len(sizes), pid))
    rng.shuffle(blocks)
    for b in blocks:
        s.kfree(b)
    s.finish()


@t.kernel(10)
def slab_fill_and_reuse(c, rng):
    """A slab fills up, a second one starts; freed objects are reused lowest first."""
    s = Session(c)
    cls = rng.choice([256, 512, 1024])
    n = rng.randint(cls // 2 - 15, cls - 16)
    capacity = (PAGE - 176) // cls
    blocks = [s.kmalloc(n) for _ in range(capacity + rng.randint(1, 3))]
    s.compare("after filling a slab-%d" % cls)
    for b in rng.sample(blocks[:capacity], rng.randint(2, capacity - 1)):
        s.kfree(b)
        blocks.remove(b)
    s.compare("after freeing some")
    blocks += [s.kmalloc(rng.randint(cls // 2 - 15, cls - 16)) for _ in range(rng.randint(1, 3))]
    s.compare("after reusing")
    rng.shuffle(blocks)
    for b in blocks:
        s.kfree(b)
    s.finish()


@t.kernel(10)
def first_fit_chunks(c, rng):
    """Large requests: first fit, split, merge on free, a new allocator when none fits."""
    s = Session(c)
    blocks = [s.kmalloc(rng.randint(2033, 9000)) for _ in range(rng.randint(6, 10))]
    s.compare("after the first large kmallocs")
    for b in rng.sample(blocks, len(blocks) // 2):
        s.kfree(b)
        blocks.remove(b)
    s.compare("after freeing half")
    blocks += [s.kmalloc(rng.randint(2033, 7000)) for _ in range(4)]
    blocks.append(s.kmalloc(rng.randint(70000, 150000)))
    s.compare("after refilling")
    rng.shuffle(blocks)
    for b in blocks:
        s.kfree(b)
    s.finish()


@t.kernel(10)
def bad_frees(c, rng):
    """kfree of what kmalloc did not return: the exact error, and nothing changes."""
    s = Session(c)
    small = [s.kmalloc(rng.randint(1, 2032)) for _ in range(4)]
    large = [s.kmalloc(rng.randint(2033, 6000)) for _ in range(2)]
    owners = [s.model.owner(b) for b in small + large]
    low = min(a.base for a in owners)
    tries = [b + 16 for b in small + large] + [b + rng.randint(1, 15) for b in small] + \
        [a.base for a in owners] + [low - PAGE * rng.randint(1, 8), 0x10] + \
        [max(a.end for a in owners)]  # the first byte above the highest allocator
    rng.shuffle(tries)
    for addr in tries:
        s.kfree(addr)
    s.compare("after the bad frees")
    for b in small + large:
        s.kfree_twice(b)
    s.finish()


@t.kernel(5)
def pids_own_their_allocators(c, rng):
    """The same size for different pids: never the same allocator."""
    s = Session(c)
    pids = rng.sample(range(0, 100), 3)
    n = rng.randint(100, 2032)
    blocks = [s.kmalloc(n, pid) for pid in pids for _ in range(2)]
    blocks += [s.kmalloc(rng.randint(2033, 5000), pid) for pid in pids]
    s.compare("after kmallocs for pids %s" % pids)
    rng.shuffle(blocks)
    for b in blocks:
        s.kfree(b)
    s.finish()
