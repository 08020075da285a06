"""Hidden tests of lab lazy: never copied into a handout (make grade HIDDEN=1)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import labtest as t  # noqa: E402
from lazymodel import Lazy, PAGE, WINDOW  # noqa: E402


@t.kernel(10)
def random_mix(c, rng):
    """Reservations with every flag set, touched, refused and unmapped at random."""
    s = Lazy(c)
    # Slots 64 pages apart; every third one starts a new 2 MiB table.
    base = WINDOW + rng.randrange(1, 60) * (1 << 30)
    slots = [base + i * (512 if i % 3 == 0 else 64) * PAGE for i in range(12)]
    live = {}  # slot -> (va, pages, flags)
    for step in range(rng.randint(70, 90)):
        i = rng.randrange(len(slots))
        if i not in live:
            pages, flags = rng.randint(1, 30), rng.choice(["r", "rw", "rx", "rwx"])
            s.reserve(slots[i], pages, flags)
            live[i] = (slots[i], pages, flags)
            continue
        va, pages, flags = live[i]
        what = rng.random()
        if what < 0.1:
            s.unmap(va, pages)
            del live[i]
            continue
        page = va + rng.randrange(pages) * PAGE
        addr = page + 8 * rng.randrange(PAGE // 8)
        if what < 0.2:
            s.fault("peek 0x%x" % (va + pages * PAGE + 8 * rng.randrange(PAGE // 8)),
                    "read of unmapped page")
        elif what < 0.55 or "w" not in flags and what < 0.7:
            s.peek(addr)
        elif "w" in flags:
            s.poke(addr, rng.randrange(1 << 64))
        else:
            s.fault("poke 0x%x 0x1" % addr, "write to read-only page" if page in s.present
                    else "write to read-only lazy page")
        if step % 10 == 9:
            s.compare("after %d steps" % (step + 1))
    s.check_values()
    for i in sorted(live):
        s.unmap(live[i][0], live[i][1])
    s.finish()
