"""The hidden tests of lab buddy: in the kernels, the free lists compared
after every step."""
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
