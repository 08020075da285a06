"""What the memmap grader knows about a machine, and how it checks a boot.

The truth comes from outside the student's code: on riscv64 from the device
tree the grader writes itself (dtb.py) and from OpenSBI's banner (the region
it keeps for itself); on x86_64 from the memory map QEMU's PC and its BIOS
give for a memory size (pc_ram); on both from the kernel image's symbols.
The boot is then checked by properties: the `ram` lines of the boot log are
exactly the machine's RAM, the reserved ranges the grader knows of are
printed, and the page manager's segments (meminfo) hold every page of RAM
that nothing reserves and no page that is reserved. The pages are judged
the slow, obvious way (pieces): the page line is cut at every edge of every
list, and each piece is looked up in each list.
"""
import os
import re
import subprocess
import tempfile

import dtb
import labtest
import pagoda_console as pc

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PAGE = 4096
GiB, MiB = 1 << 30, 1 << 20
RISCV_RAM = 0x80000000
PANIC = re.compile(r"panic: [^\r\n]*")


def size_bytes(mem):
    """"512M" or "6G" in bytes."""
    return int(mem[:-1]) * {"M": MiB, "G": GiB}[mem[-1]]


def hexr(r):
    return "[0x%x,0x%x)" % (r[0], r[1])


def kernel_image(arch):
    """[_kernel_start, _kernel_end) of the kernel just built."""
    status, out = labtest.tool(["nm", os.path.join("build", arch, "kernel.elf")])
    assert status == 0, "nm cannot read build/%s/kernel.elf: %s" % (arch, out[-200:])
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            syms[parts[2]] = int(parts[0], 16)
    return syms["_kernel_start"], syms["_kernel_end"]


def boot(arch, mem, extra=""):
    """A kernel at the prompt, booted with @mem of RAM; a lab panic, or the
    last line it printed, is the reason if it never gets there."""
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return pc.Console(pc.qemu_command(arch, mem, extra), boot_timeout=60)
    except pc.ConsoleError as e:
        panic = PANIC.search(str(e))
        if panic:
            raise AssertionError(panic.group(0))
        lines = [l for l in pc.clean_lines(str(e)) if l.strip()]
        raise AssertionError("no prompt at MEM=%s: %s" % (mem, lines[-1] if lines else str(e)))
    finally:
        os.chdir(cwd)


def boot_map(console):
    """The memory map printed at boot: {"ram": [(start, end)], "reserved": [(start, end,
    what)]}."""
    log = {"ram": [], "reserved": [], "skipped": []}
    for line in pc.clean_lines(console.boot_log):
        m = re.match(r"\s+(ram|reserved)\s+0x([0-9a-f]+)-0x([0-9a-f]+)\s+\S+ \S+  (.*)$", line)
        if m:
            r = (int(m.group(2), 16), int(m.group(3), 16))
            log[m.group(1)].append(r if m.group(1) == "ram" else r + (m.group(4),))
        if re.match(r"\s+skipped ", line):
            log["skipped"].append(line.strip())
    return log


def segments(console):
    """meminfo's segments as [(page array start, end)]."""
    segs = []
    for line in console.run("meminfo"):
        m = re.match(r"seg\d+ 0x([0-9a-f]+)-0x([0-9a-f]+) pages (\d+) free (\d+) "
                     r"\(page array at 0x([0-9a-f]+), (\d+) pages?\)", line)
        if m:
            segs.append((int(m.group(5), 16), int(m.group(2), 16)))
    return sorted(segs)


def pages(ranges, outward):
    """Byte ranges (start, end, ...) as [first page, end page): the pages each
    touches (@outward) or holds whole; empty ones left out."""
    out = []
    for r in ranges:
        first = r[0] // PAGE if outward else (r[0] + PAGE - 1) // PAGE
        end = (r[1] + PAGE - 1) // PAGE if outward else r[1] // PAGE
        if first < end:
            out.append((first, end))
    return out


def pieces(**lists):
    """The page line cut at every edge of the named page-range lists, in
    address order: (first, end, {name: is the piece in one of its ranges})."""
    edges = sorted({e for ranges in lists.values() for r in ranges for e in r})
    for first, end in zip(edges, edges[1:]):
        yield first, end, {name: any(f <= first and end <= e for f, e in ranges)
                           for name, ranges in lists.items()}


def check_boot(console, what, ram, exact_reserved, other_reserved, only=False):
    """Check one boot: @ram the machine's RAM [(start, end)]; @exact_reserved
    [(start, end[, label])] reserved ranges the kernel must print as they are
    (the device tree's), with that label where one is given; @other_reserved
    ones it must keep out of the page manager however it prints them (the
    kernel image, the device tree). With @only, the kernel prints no other
    reservation than these."""
    log = boot_map(console)
    got = sorted(log["ram"])
    want = sorted(ram)
    for i in range(max(len(got), len(want))):
        if i >= len(got):
            raise AssertionError("%s: the boot log's ram lines miss %s (RAM: %s)" % (
                what, hexr(want[i]), " ".join(map(hexr, want))))
        if i >= len(want) or got[i] != want[i]:
            raise AssertionError("%s: the boot log says ram %s, but RAM is %s" % (
                what, hexr(got[i]), " ".join(map(hexr, want))))
    printed = sorted((r[0], r[1]) for r in log["reserved"])
    labels = {(r[0], r[1]): r[2] for r in log["reserved"]}
    for r in exact_reserved:
        if (r[0], r[1]) not in printed:
            raise AssertionError("%s: reserved %s is not in the boot log's reserved lines" % (
                what, hexr(r)))
        if len(r) > 2 and labels[(r[0], r[1])] != r[2]:
            raise AssertionError("%s: reserved %s is labelled %r in the boot log, not with "
                                 "its node's name %r" % (what, hexr(r), labels[(r[0], r[1])],
                                                          r[2]))
    if only:
        expected = {(r[0], r[1]) for r in exact_reserved}
        for s, e, label in log["reserved"]:
            if (s, e) not in expected and label not in ("kernel image", "device tree"):
                raise AssertionError("%s: the boot log reserves %s (%s), which the machine "
                                     "does not reserve" % (what, hexr((s, e)), label))
    assert not log["skipped"], "%s: %s" % (what, log["skipped"][0])
    segs = segments(console)
    assert segs, "%s: meminfo shows no segment" % what
    # ram: whole pages of RAM; managed: the page manager's; truth: pages a
    # reservation the grader knows of touches; held: pages a printed one touches.
    cut = list(pieces(ram=pages(ram, outward=False), managed=pages(segs, outward=False),
                      truth=pages(list(exact_reserved) + list(other_reserved), outward=True),
                      held=pages(printed, outward=True)))
    for first, _, p in cut:
        if p["managed"] and not p["ram"]:
            raise AssertionError("%s: the page manager has page 0x%x, which is not RAM" % (
                what, first * PAGE))
    for first, _, p in cut:
        if p["managed"] and p["truth"]:
            raise AssertionError("%s: the page manager has page 0x%x, which is reserved"
                                 % (what, first * PAGE))
    # Every page of RAM is managed unless a printed reservation touches it;
    # and reservations are small (the firmware, the kernel, boot data).
    lost = [(first, end) for first, end, p in cut
            if p["ram"] and not p["managed"] and not p["held"]]
    if lost:
        raise AssertionError("%s: %d pages of RAM neither managed nor reserved, the first "
                             "at 0x%x" % (what, sum(e - f for f, e in lost), lost[0][0] * PAGE))
    ram_pages = sum(end - first for first, end, p in cut if p["ram"])
    reserved_ram = sum(end - first for first, end, p in cut if p["ram"] and p["held"])
    assert reserved_ram * 32 <= ram_pages, \
        "%s: %d of %d pages of RAM are reserved" % (what, reserved_ram, ram_pages)
    answer = console.run("check", timeout=60)
    assert answer and answer[-1] == "check: ok", "%s: check says %r" % (what, answer[-1:])


# ---- riscv64 -------------------------------------------------------------

def qemu_tree(mem):
    """The device tree QEMU's virt machine makes for @mem: (memreserve, root)."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "virt.dtb")
        subprocess.run(["qemu-system-riscv64", "-machine", "virt,dumpdtb=" + path, "-m", mem,
                        "-nographic", "-bios", "none"], capture_output=True, check=True)
        with open(path, "rb") as f:
            return dtb.parse(f.read())


def firmware_reserved(console):
    """What OpenSBI keeps for itself: the regions its banner lists without
    permissions for the next stage (printed by the firmware, not the kernel)."""
    out = []
    for line in pc.clean_lines(console.boot_log):
        m = re.match(r"Domain0 Region\d+\s*: 0x([0-9a-f]+)-0x([0-9a-f]+) \(\)", line)
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16) + 1))
    assert out, "no OpenSBI banner with its own region in the boot log"
    return out


def tree_location(console):
    """The device tree as the kernel found it (arch/riscv64/start.c's line)."""
    m = re.search(r"device tree at 0x([0-9a-f]+) \((\d+) bytes\)", console.boot_log)
    assert m, "no 'device tree at' line in the boot log"
    return int(m.group(1), 16), int(m.group(1), 16) + int(m.group(2))


def check_riscv(console, what, ram, reserved):
    """check_boot for riscv64: OpenSBI's region is a /reserved-memory child too."""
    fw = firmware_reserved(console)
    check_boot(console, what, ram, list(reserved) + fw,
               [kernel_image("riscv64"), tree_location(console)], only=True)


class Layout:
    """A riscv64 machine the grader describes: RAM split into pieces with
    gaps, in memory nodes of one or more reg entries, and reserved ranges."""

    def __init__(self, mem):
        self.mem = mem
        self.memreserve, self.root = qemu_tree(mem)
        self.ram = []
        self.reserved = []

    def split(self, rng, cuts, odd, nodes):
        """Cut RAM at @cuts (sorted addresses, each followed by a gap: (cut, gap)),
        edges @odd (not page aligned) or not; @nodes: how many reg entries per
        memory node, in order, summing to the pieces."""
        end = RISCV_RAM + size_bytes(self.mem)
        start = RISCV_RAM
        for cut, gap in cuts:
            self.ram.append((start, cut))
            start = cut + gap
        self.ram.append((start, end))
        if odd:
            # Inner edges off the page grid: the kernel rounds them inward.
            self.ram = [(s + (rng.randrange(1, PAGE) if s != RISCV_RAM else 0),
                         e - (rng.randrange(1, PAGE) if e != end else 0)) for s, e in self.ram]
        assert sum(nodes) == len(self.ram)
        old = self.root.child("memory@%x" % RISCV_RAM)
        at = self.root.children.index(old)
        self.root.children.remove(old)
        made, i = [], 0
        for k, n in enumerate(nodes):
            piece = self.ram[i:i + n]
            i += n
            # A memory node by its name alone, by its device_type alone, by both.
            name = ("memory@%x", "dram@%x", "memory@%x")[k % 3] % piece[0][0]
            props = [] if k % 3 == 0 else [("device_type", dtb.string("memory"))]
            made.append(dtb.Node(name, props + [
                ("reg", dtb.reg([(s, e - s) for s, e in piece]))]))
        rng.shuffle(made)
        self.root.children[at:at] = made

    def reserve(self, rng, count, avoid_below, pairs=1):
        """@count reserved ranges in random RAM pieces, above @avoid_below,
        in children of /reserved-memory of @pairs reg pairs each (the
        cells stay 2 and 2: OpenSBI adds its own child with the root's)."""
        cells = (2, 2)
        node = self.root.child("reserved-memory")
        if node is None:
            node = dtb.Node("reserved-memory", [("#address-cells", dtb.u32(cells[0])),
                                                ("#size-cells", dtb.u32(cells[1])),
                                                ("ranges", b"")])
            self.root.children.append(node)
        for _ in range(count):
            reg = []
            for _ in range(pairs):
                s, e = self.room(rng, avoid_below)
                size = rng.choice([PAGE, rng.randrange(1, 64) * PAGE,
                                   rng.randrange(1, 2 * MiB)])
                size = min(size, (e - s) // 2)
                start = rng.randrange(s, e - size) & ~(0 if rng.random() < 0.3 else PAGE - 1)
                reg.append((start, size))
            name = "lab%d@%x" % (len(node.children), reg[0][0])
            self.reserved.extend((start, start + size, name) for start, size in reg)
            node.children.append(dtb.Node(name, [
                ("reg", dtb.reg(reg, *cells)), ("no-map", b"")]))

    def room(self, rng, avoid_below):
        """A random RAM piece, from @avoid_below on, of 1 MiB at least."""
        pieces = [(max(s, avoid_below), e) for s, e in self.ram if e - max(s, avoid_below) >= MiB]
        return rng.choice(pieces)

    def memreserve_add(self, rng, avoid_below):
        s, e = self.room(rng, avoid_below)
        size = rng.randrange(1, 16) * PAGE
        start = rng.randrange(s, e - size) & ~(PAGE - 1)
        self.memreserve.append((start, size))
        self.reserved.append((start, start + size, "/memreserve/"))

    def boot(self, directory):
        path = os.path.join(directory, "memmap-%s.dtb" % self.mem)
        with open(path, "wb") as f:
            f.write(dtb.build(self.memreserve, self.root))
        return boot("riscv64", self.mem, "-dtb " + path)


def cuts(rng, mem, count, gap_max=8 * MiB):
    """@count (cut, gap) pairs: where a RAM piece ends and how much is left
    out before the next. Pieces start 32 MiB into RAM (OpenSBI and the
    kernel stay whole) and stop short of where QEMU puts the device tree
    (just below 3 GiB, or the end of RAM)."""
    end = min(RISCV_RAM + size_bytes(mem), 3 * GiB) - 32 * MiB
    at = RISCV_RAM + 32 * MiB
    step = (end - at) // count
    out = []
    for i in range(count):
        cut = at + rng.randrange(0, (step - gap_max) // PAGE) * PAGE
        gap = rng.choice([PAGE, rng.randrange(1, 256) * PAGE,
                          rng.randrange(1, gap_max // MiB) * MiB])
        out.append((cut, gap))
        at += step
    return out


# ---- x86_64 --------------------------------------------------------------

def pc_ram(mem):
    """The available ranges of the memory map QEMU's PC (i440FX) with SeaBIOS
    gives for @mem bytes: conventional memory below the EBDA, RAM from 1 MiB
    to the top of low memory less the BIOS's 128 KiB, and the rest above
    4 GiB. Low memory ends at @mem, or at 3 GiB when @mem reaches 3.5 GiB
    (the PCI hole)."""
    low = 3 * GiB if mem >= 0xe0000000 else mem
    ram = [(0, 0x9fc00), (MiB, low - 128 * 1024)]
    if mem > low:
        ram.append((4 * GiB, 4 * GiB + mem - low))
    return ram


def check_pc(console, mem):
    check_boot(console, "MEM=%s" % mem, pc_ram(size_bytes(mem)), [], [kernel_image("x86_64")])
