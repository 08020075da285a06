"""The public tests of lab buddy (labs/buddy/README.md has the table).

Host tests: labs/buddy/tests/host_buddy.c, built with the lab's sources
under ASan + UBSan, one function at a time and then randomised sequences
(with page poisoning off, then on), against the specification in that
file. Kernel tests: the shell's alloc, free, buddy -v and check on both
architectures, every address and every free list checked against
bmodel.py, which starts from the lists the kernel prints.
"""
import labtest as t
from bmodel import Session

HOST = "labs/buddy/tests/host_buddy.c"
t.host("order_of", 5, HOST)
t.host("buddy_of", 5, HOST)
t.host("split", 10, HOST)
t.host("merge", 15, HOST)
t.host("tail", 10, HOST)
t.host("large_run", 10, HOST)
t.host("random", 10, HOST)
t.host("random_poisoned", 10, HOST)


def some_size(rng):
    """Mostly small requests, some a power of two, some one block long."""
    r = rng.random()
    if r < 0.4:
        return 1 << rng.randint(0, 8)
    if r < 0.8:
        return rng.randint(1, 20)
    return rng.randint(21, 256)


@t.kernel(10)
def alloc_and_free_follow_the_policy(c, rng):
    """Small allocations and frees: every address and every free list predicted."""
    s = Session(c)
    for _ in range(rng.randint(15, 25)):
        s.alloc(some_size(rng))
    s.compare("after the first allocations")
    s.free_some(rng, 0.5)
    s.compare("after freeing half of them")
    for _ in range(rng.randint(10, 20)):
        if rng.random() < 0.6 or not s.model.live:
            s.alloc(some_size(rng))
        else:
            s.free(rng.choice(sorted(s.model.live)))
    s.compare("after a mixed sequence")
    s.finish(rng)


@t.kernel(5)
def large_runs(c, rng):
    """Requests above 256 pages take the lowest run long enough, in one segment."""
    s = Session(c)
    for _ in range(rng.randint(20, 40)):
        s.alloc(rng.choice([1, 2, 3, 5, 8, 16, 64, 128, 256]))
    s.free_some(rng, 0.5)
    for _ in range(rng.randint(4, 8)):
        s.alloc(rng.randint(257, 2000))
    s.compare("after the large allocations")
    s.alloc(s.model.longest_run() + rng.randint(1, 64))  # no room: an error
    s.free_some(rng, 0.5)
    s.alloc(rng.randint(257, 1500))
    s.finish(rng)
