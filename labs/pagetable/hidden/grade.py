"""Hidden tests of lab pagetable: never copied into a handout (make grade HIDDEN=1)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import labtest as t  # noqa: E402
from ptmodel import Session, PAGE, M2, WINDOW, WINDOW_END, random_pa  # noqa: E402

HIDDEN = "labs/pagetable/hidden/host_hidden.c"
t.host("starved", 10, HIDDEN)
t.host("top", 5, HIDDEN)


@t.kernel(10)
def long_mix(c, rng):
    """A long random mix of map, unmap and vtop, with pt and check along the way."""
    s = Session(c, "riscv64" if "riscv64" in " ".join(c.argv) else "x86_64")
    # A few 1 GiB regions, so tables are shared and freed again and again.
    regions = [WINDOW + G * (1 << 30) for G in rng.sample(range(64), 3)]
    live = []
    for step in range(rng.randint(45, 60)):
        if live and rng.random() < 0.4:
            va, pages = live.pop(rng.randrange(len(live)))
            s.unmap(va, pages)
        else:
            for _ in range(100):
                pages = rng.choice((rng.randint(1, 16), rng.randint(1, 1500)))
                va = rng.choice(regions) + rng.randrange(0, 8 * M2 // PAGE) * PAGE
                if rng.random() < 0.3:
                    va -= va % M2
                if va + pages * PAGE <= WINDOW_END and not s.model.overlaps(va, pages):
                    break
            else:
                continue
            pa = None if rng.random() < 0.5 else random_pa(rng, va, rng.random() < 0.7)
            s.map(va, pages, pa, rng.choice(("r", "rw", "rx")))
            live.append((va, pages))
            s.vtop(va + rng.randrange(pages) * PAGE)
        if step % 15 == 14:
            s.pt_window()
            s.check()
    s.pt_window()
    rng.shuffle(live)
    for va, pages in live:
        s.unmap(va, pages)
    s.finish()
