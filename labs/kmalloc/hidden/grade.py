"""Hidden tests of lab kmalloc: never copied into a handout (make grade HIDDEN=1)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import labtest as t  # noqa: E402
from kmodel import Session, PAGE  # noqa: E402


@t.kernel(15)
def interleaved_pids_and_sizes(c, rng):
    """A long random mix of kmalloc and kfree over four pids and both types."""
    s = Session(c)
    live = []
    for step in range(rng.randint(110, 150)):
        if live and rng.random() < 0.42:
            s.kfree(live.pop(rng.randrange(len(live))))
        else:
            big = rng.random() < 0.25
            n = rng.randint(2033, 12000) if big else rng.choice([rng.randint(1, 48),
                                                                  rng.randint(1, 2032)])
            live.append(s.kmalloc(n, rng.randrange(4)))
        if step % 40 == 39:
            s.compare("after %d operations" % (step + 1))
    s.compare("after the mix")
    rng.shuffle(live)
    for b in live:
        s.kfree(b)
    s.finish()


@t.kernel(10)
def foreign_and_interior_addresses(c, rng):
    """Interior, misaligned, freed, between-allocator and far addresses."""
    s = Session(c)
    blocks = [s.kmalloc(rng.randint(1, 2032), rng.randrange(3)) for _ in range(6)]
    blocks += [s.kmalloc(rng.randint(2033, 20000), rng.randrange(3)) for _ in range(3)]
    tries = []
    for b in blocks:
        a = s.model.owner(b)
        tries += [b + 16 * rng.randint(1, 3), b - rng.randint(1, 15),
                  a.base + rng.randint(0, 143), a.end + PAGE * rng.randint(0, 3)]
    tries = [x for x in tries if s.model.predictable_bad(x)]
    rng.shuffle(tries)
    for addr in tries:
        s.kfree(addr)
    s.compare("after the bad frees")
    for b in rng.sample(blocks, len(blocks)):
        s.kfree_twice(b)
    s.finish()


@t.kernel(5)
def stress_in_the_kernel(c, rng):
    """The kernel's own workout (kmalloc, kfree, pages, maps) with every check."""
    s = Session(c)
    seed = rng.randrange(1, 1 << 30)
    lines = c.run("stress 3000 %d" % seed, timeout=120)
    assert lines and lines[-1] == "stress: ok", "stress 3000 %d: expected 'stress: ok' last, " \
        "got %r" % (seed, lines[-3:])
    # `stress: ok` is the kernel's own verdict, which the student's code could
    # print: the state it leaves is checked against the model as well.
    s.finish()
