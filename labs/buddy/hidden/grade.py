"""The hidden tests of lab buddy: in the kernels, the free lists compared
after every step, with poisoning off and on."""
import labtest as t
from bmodel import Session


@t.kernel(5)
def every_step(c, rng):
    """Exact-length tails and merges, the free lists compared after each step."""
    s = Session(c)
    for step in range(rng.randint(12, 18)):
        if rng.random() < 0.6 or not s.model.live:
            n = rng.randint(2, 256)
            n -= (n & (n - 1)) == 0  # never a power of two: always a tail
            s.alloc(n)
            s.compare("step %d: after alloc %d" % (step, n))
        else:
            addr = rng.choice(sorted(s.model.live))
            s.free(addr)
            s.compare("step %d: after free 0x%x" % (step, addr))
    s.finish(rng)


@t.kernel(5)
def poisoned(c, rng):
    """Poisoning on, writes to free pages: each quarantined when the policy
    takes its block, the free lists compared after every step."""
    s = Session(c, poisoning=True)
    for step in range(rng.randint(15, 25)):
        r = rng.random()
        if r < 0.3 and len(s.model.written) < 4:
            n = rng.choice([1, 2, 3, 5, 8, 13, 32])
            s.poke(rng, n)  # into the block alloc n takes
            if rng.random() < 0.5:
                s.poke(rng, rng.choice([1, 4, 64]))
            s.alloc(n)
            s.compare("step %d: after writes to free pages, alloc %d" % (step, n))
        elif r < 0.7 or not s.model.live:
            n = rng.choice([1, 2, 3, 4, 7, 8, 16, 100, 256, rng.randint(257, 600)])
            s.alloc(n)
            s.compare("step %d: after alloc %d" % (step, n))
        else:
            addr = rng.choice(sorted(s.model.live))
            s.free(addr)
            s.compare("step %d: after free 0x%x" % (step, addr))
    s.finish(rng)
    lines = c.run("poison off")
    assert lines == ["poison: off"], "poison off: expected 'poison: off', got %r" % lines
