"""The public tests of lab percpu (labs/percpu/README.md has the table).

Host tests: labs/percpu/tests/host_percpu.c, built with the lab's sources
under ASan + UBSan. Kernel tests: both architectures booted with four CPUs
(make run SMP=4); the shell's alloc 1, free and pcp checked against
pcpmodel.py, and the page manager's lock counted under bench -j and
stress -j. Lock acquires are counted, not failed spins: how often two CPUs
collide depends on the host's load, how often a CPU takes the lock does not.
"""
import labtest as t
from pcpmodel import (BATCH, CPUS, Session, all_back, bench_acquires, check_clean,
                      free_pages, pcp_on, stress_acquires)

HOST = "labs/percpu/tests/host_percpu.c"
t.host("refill", 10, HOST)
t.host("short_refill", 5, HOST)
t.host("drain", 10, HOST)
t.host("cpus", 10, HOST)
t.host("refusals", 5, HOST)
t.host("check", 5, HOST)
t.host("threads", 5, HOST)


@t.kernel(10, smp=CPUS)
def cache_policy(c, rng):
    """alloc 1 and free on CPU 0: refills, hits, last in first out, drains above HIGH."""
    start = free_pages(c)
    s = Session(c, CPUS)
    held = []
    # Rounds of allocations, then frees: the first round frees more than
    # HIGH pages in a row, so the cache drains.
    for r in range(1, rng.randint(2, 3) + 1):
        for _ in range(rng.randint(80, 120) if r == 1 else rng.randint(10, 90)):
            held.append(s.alloc())
        s.compare("after the allocations of round %d" % r)
        keep = rng.randint(0, 10) if r == 1 else rng.randint(0, len(held))
        while len(held) > keep:
            s.free(held.pop(rng.randrange(len(held))))
        s.compare("after the frees of round %d" % r)
    s.compare("after the mix")
    rng.shuffle(held)
    for page in held:
        s.free(page)
    s.compare("after freeing every page")
    # What the drains left, in order: the newest pages, handed out again.
    again = [s.alloc() for _ in range(rng.randint(20, 70))]
    s.compare("after allocating again")
    for page in again:
        s.free(page)
    check_clean(c, "every page back, some in the cache")
    s.off("every page back")
    all_back(c, start, "alloc 1 and free")


@t.kernel(10, smp=CPUS)
def bench_lock_counts(c, rng):
    """bench -j 4: with the caches on, each CPU takes the lock once (its refill)."""
    pairs = rng.randint(200, 2000)
    off, on = bench_acquires(c, pairs, CPUS)
    if off != 2 * pairs * CPUS:
        raise AssertionError("bench -j %d %d, pcp off: expected %d pmm lock acquires (one a "
                             "call), got %d" % (CPUS, pairs, 2 * pairs * CPUS, off))
    if on != CPUS:
        raise AssertionError("bench -j %d %d, pcp on: expected %d pmm lock acquires (one "
                             "refill a CPU, never a drain: a pair leaves %d pages cached), "
                             "got %d" % (CPUS, pairs, CPUS, BATCH - 1, on))
    check_clean(c, "after bench -j")


@t.kernel(10, smp=CPUS)
def stress_every_cpu(c, rng):
    """stress -j 4 with the caches on: ok, far fewer lock acquires, no page lost."""
    ops, seed = rng.randint(250, 500), rng.randint(1, 10 ** 6)
    start = free_pages(c)
    off = stress_acquires(c, CPUS, ops, seed)
    pcp_on(c)
    on = stress_acquires(c, CPUS, ops, seed)
    # Measured with the reference: a tenth or less (1,160 against 11,428
    # for 500 operations); an honest solution stays under a quarter.
    if on * 4 > off:
        raise AssertionError("stress -j %d %d %d: %d pmm lock acquires with the caches on, "
                             "%d with them off: expected a quarter or less" % (
                                 CPUS, ops, seed, on, off))
    check_clean(c, "after stress -j with the caches on")
    out = c.run("pcp off")
    if not out or not out[0].startswith("pcp: off"):
        raise AssertionError("pcp off: expected `pcp: off: ...`, got %r" % out[:1])
    all_back(c, start, "stress -j with the caches on")
