"""Hidden tests of lab percpu: never copied into a handout (make grade HIDDEN=1)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import labtest as t  # noqa: E402
from pcpmodel import (CPUS, HIGH, Session, all_back, bench_acquires,  # noqa: E402
                      check_clean, free_pages)


@t.kernel(10, smp=CPUS)
def drains_in_a_row(c, rng):
    """Hundreds of single pages, then all back: a drain each time the cache passes HIGH."""
    start = free_pages(c)
    s = Session(c, CPUS)
    held = [s.alloc() for _ in range(rng.randint(2 * HIGH, 3 * HIGH))]
    s.compare("after %d allocations" % len(held))
    while held:
        s.free(held.pop(rng.randrange(len(held)) if rng.random() < 0.5 else -1))
        if rng.random() < 0.15:
            held.append(s.alloc())
    s.compare("after every page back")
    s.off("after every page back")
    all_back(c, start, "hundreds of single pages")


@t.kernel(5, smp=CPUS)
def bench_on_fewer_cpus(c, rng):
    """bench -j 2 and -j 3: one refill per CPU that ran, whatever the pairs."""
    for cpus in (2, 3):
        pairs = rng.randint(100, 1500)
        off, on = bench_acquires(c, pairs, cpus)
        if (off, on) != (2 * pairs * cpus, cpus):
            raise AssertionError("bench -j %d %d: expected %d pmm lock acquires with the "
                                 "caches off and %d with them on, got %d and %d" % (
                                     cpus, pairs, 2 * pairs * cpus, cpus, off, on))
    check_clean(c, "after bench -j")
