"""The goals of issues 9 and 20, as the benchmark judges them.

Each goal applies to one allocator's row of one workload ("pmm": the page
manager with its caches off, "pcp": on), at the sizes given (None: every
size), and compares one measured column with a limit. Instruction goals
use the allocator's own count (instr_net: its count less the null
allocator's, the harness) where there is one. LiteOS-A's figures are those
measured beside Pagoda in issue 9 (gcc -O2, 4 and 16 GiB); "0.7x" goals are
0.7 times LiteOS-A's count. Issue 9's goals were set before the page
manager had a lock; LiteOS-A's counts include its own.
"""

# (workload, allocator): (column, limit, sizes or None, how the goal reads),
# or a list of them, all of which must be met
GOALS = {
    ("order0-hot", "pmm"): ("instr", 203, None, "instr<=203 (0.7x LiteOS-A 290)"),
    ("mixed-trace", "pmm"): ("instr", 115, None, "instr<=115 (0.7x LiteOS-A 164)"),
    ("run512-frag", "pmm"): ("ns", 5000, None, "ns<=5000 (a few us; LiteOS-A 2.0-2.2 us)"),
    ("run1g-empty", "pmm"): ("ns", 20000, [16384], "ns<=20000"),
    ("run1g-frag", "pmm"): ("instr", 98304, None,
                            "instr<=98304 (LiteOS-A 39+57 per 256-page block)"),
    ("err-interior", "pmm"): ("ns", 1000, None, "ns<=1000"),
    ("err-unaligned", "pmm"): ("ns", 1000, None, "ns<=1000"),
    ("err-foreign", "pmm"): ("ns", 1000, None, "ns<=1000"),
    ("err-double-free", "pmm"): ("ns", 1000, None, "ns<=1000"),
    ("init", "pmm"): ("ns", 1, None, "ns/page<=1"),
    ("metadata", "pmm"): ("value", 24, None, "B/page<=24"),
    ("fragmentation", "pmm"): ("value", 1457, [4096], "failed<=1457 (LiteOS-A)"),
    ("order0-hot", "pcp"): [("instr", 40, None, "instr<=40"),
                            ("floor", 2, None, "<=2x floor (issue 20)")],
}

# The floor row a workload is compared with (same size): any order-0 pair
# costs at least the floor's pair.
FLOOR_OF = {
    "order0-hot": "order0-hot",
    "order0-cold": "order0-hot",
    "fill-free": "fill-free",
}


def judge_one(row, goal):
    """(goal text, "yes" / "no" / "?" / "") for one row and one goal."""
    column, limit, sizes, text = goal
    if sizes is not None and row["size_mib"] not in sizes:
        return "", ""
    if row["ok"] != "1":
        return text, "no"
    value = {"instr": row.get("instr_net") or row.get("instr_per_op"), "ns": row["ns_median"],
             "value": row["value"], "floor": row.get("floor_ratio_value")}[column]
    if value in (None, "", "-"):
        return text, "?"
    return text, "yes" if float(value) <= limit else "no"


def judge(row):
    """(goal text, "yes" / "no" / "?" / "") for one row of the table: "no"
    if any of its goals is not met, "?" if one is not measured."""
    goals = GOALS.get((row["workload"], row["allocator"]), [])
    verdicts = [judge_one(row, g) for g in (goals if isinstance(goals, list) else [goals])]
    verdicts = [v for v in verdicts if v[0]]
    if not verdicts:
        return "", ""
    met = [m for _, m in verdicts]
    return " and ".join(t for t, _ in verdicts), \
        "no" if "no" in met else "?" if "?" in met else "yes"
