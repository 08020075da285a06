"""Physical memory as sorted, disjoint [first page, end page) intervals.

Shared by the boot tests (tests/shell/test_boot.py) and the memmap lab's
grader (labs/memmap/tests/memcheck.py): both compare what the firmware
reports with what the page manager ended up managing.
"""
PAGE = 4096


def pages(ranges, outward):
    """The pages byte ranges touch (@outward) or hold whole, as merged
    [first, end) page numbers; each range starts (start, end, ...)."""
    out = []
    for r in ranges:
        first = r[0] // PAGE if outward else (r[0] + PAGE - 1) // PAGE
        last = (r[1] + PAGE - 1) // PAGE if outward else r[1] // PAGE
        if first < last:
            out.append((first, last))
    merged = []
    for first, end in sorted(out):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((first, end))
    return merged


def minus(a, b):
    """The parts of merged intervals @a that no merged interval of @b covers."""
    out = []
    for first, end in a:
        for bf, be in b:
            if be <= first or bf >= end:
                continue
            if bf > first:
                out.append((first, bf))
            first = max(first, be)
            if first >= end:
                break
        if first < end:
            out.append((first, end))
    return out


def count(intervals):
    """Pages in @intervals."""
    return sum(end - first for first, end in intervals)
