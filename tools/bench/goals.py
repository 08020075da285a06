"""The goals of issue 9, as the benchmark judges them.

Each goal applies to the page manager's row ("pmm") of one workload, at
the sizes given (None: every size), and compares one measured column with
a limit. Instruction goals use the page manager's own count (instr_net:
its count less the null allocator's, the harness) where there is one.
LiteOS-A's figures are those measured beside Pagoda in the issue
(gcc -O2, 4 and 16 GiB); "0.7x" goals are 0.7 times LiteOS-A's count.
"""

# workload: (column, limit, sizes or None, how the goal reads)
GOALS = {
    "order0-hot": ("instr", 203, None, "instr<=203 (0.7x LiteOS-A 290)"),
    "mixed-trace": ("instr", 115, None, "instr<=115 (0.7x LiteOS-A 164)"),
    "run512-frag": ("ns", 5000, None, "ns<=5000 (a few us; LiteOS-A 2.0-2.2 us)"),
    "run1g-empty": ("ns", 20000, [16384], "ns<=20000"),
    "err-interior": ("ns", 1000, None, "ns<=1000"),
    "err-unaligned": ("ns", 1000, None, "ns<=1000"),
    "err-foreign": ("ns", 1000, None, "ns<=1000"),
    "err-double-free": ("ns", 1000, None, "ns<=1000"),
    "init": ("ns", 1, None, "ns/page<=1"),
    "metadata": ("value", 24, None, "B/page<=24"),
    "fragmentation": ("value", 1457, [4096], "failed<=1457 (LiteOS-A)"),
}

# The floor row a workload is compared with (same size): any order-0 pair
# costs at least the floor's pair.
FLOOR_OF = {
    "order0-hot": "order0-hot",
    "order0-cold": "order0-hot",
    "fill-free": "fill-free",
}


def judge(row):
    """(goal text, "yes" / "no" / "?" / "") for one row of the table."""
    goal = GOALS.get(row["workload"])
    if row["allocator"] != "pmm" or goal is None:
        return "", ""
    column, limit, sizes, text = goal
    if sizes is not None and row["size_mib"] not in sizes:
        return "", ""
    if row["ok"] != "1":
        return text, "no"
    value = {"instr": row.get("instr_net") or row.get("instr_per_op"), "ns": row["ns_median"],
             "value": row["value"]}[column]
    if value in (None, "", "-"):
        return text, "?"
    return text, "yes" if float(value) <= limit else "no"
