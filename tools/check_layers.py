#!/usr/bin/env python3
"""Check that Pagoda's layers only use the layers below them.

The layers, bottom to top (arch/include/arch.h explains them):

  klib       os/lib (headers in os/lib/include): kprintf, panic, memcpy, ...
             A library below every layer, as AbstractMachine's klib: the
             arch code may use it, and it prints through the machine.
  interface  arch/include/arch.h: what every architecture provides.
  arch       arch/riscv64, arch/x86_64: the machines.
  os         the rest of os/: page manager, page tables, faults.
  shell      shell/: the commands.
  init       init/: kmain(), which wires the layers together.

Includes (read from the sources):
  - every #include "..." must resolve to a file of an allowed layer:
      klib -> klib, interface       interface -> klib (or nothing)
      arch -> its own directory, interface, klib
      os -> os, klib, interface     shell -> shell and everything below
      init -> everything but an arch's own headers
    (so os includes nothing of shell/ or init/, and arch nothing of os/
    but the klib headers); #include <...> only C's freestanding headers;
  - no include cycle between files, nor between directories.

Calls (read with nm from built objects, for each OBJDIR given):
  - arch calls nothing defined in os/ but the klib;
  - os calls nothing in shell/ or init/, klib nothing in os/, shell/, init/;
  - outside arch/, only names of the machine interface reach into arch/
    (and arch reaches init/ only through kmain(), which it declares;
    cpu_park(), which the other CPUs run, is declared beside it);
  - no cycle of files calling each other (A uses B uses ... uses A), nor
    of directories; in shell/ (a command table that "help" lists) file
    cycles are only shown. Not
    counted, being so by design: the kernel library printing through the
    machine, the machine calling kmain() and cpu_park(), and an assembly file with the C
    it calls (boot code calls the C start-up, which uses its tables).

Usage: tools/check_layers.py [--nm NM] [--root DIR] [OBJDIR ...]
Prints TAP; exits 1 if any check failed.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
ARCHES = ("riscv64", "x86_64")
SCANNED = ("os", "shell", "arch", "init")
STD_HEADERS = {"stddef.h", "stdint.h", "stdarg.h", "stdbool.h", "stdnoreturn.h", "limits.h",
               "stdalign.h"}
INCLUDE_DIRS = ["os/include", "os/lib/include", "arch/include", "shell"]
INTERFACE = "arch/include/arch.h"


def layer(path):
    """The layer of a repository-relative path ("arch:riscv64" for an arch)."""
    if path.startswith("os/lib/"):
        return "klib"
    if path.startswith("arch/include/"):
        return "interface"
    for a in ARCHES:
        if path.startswith("arch/%s/" % a):
            return "arch:" + a
    for top in ("os", "shell", "init"):
        if path.startswith(top + "/"):
            return top
    return "other"


# Which layers each layer's files may include.
INCLUDE_OK = {
    "klib": {"klib", "interface"},
    "interface": {"klib"},
    "os": {"os", "klib", "interface"},
    "shell": {"shell", "os", "klib", "interface"},
    "init": {"init", "shell", "os", "klib", "interface"},
}


def include_ok(src, dst):
    if src.startswith("arch:"):
        return dst in (src, "interface", "klib")
    return dst in INCLUDE_OK.get(src, set())


def sources():
    for top in SCANNED:
        for d, _, files in os.walk(os.path.join(ROOT, top)):
            for f in sorted(files):
                if f.endswith((".c", ".h", ".S")):
                    yield os.path.relpath(os.path.join(d, f), ROOT)


INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)

# A block only hosted builds (host tests, fuzzers) compile, up to its #else
# or #endif: the C library is there, so its headers may be included.
HOSTED_RE = re.compile(r'^\s*#\s*if\s+__STDC_HOSTED__\b.*?^\s*#\s*(?:else|endif)\b', re.M | re.S)


def hosted_includes(text):
    """Names of the <...> headers included inside hosted-only blocks."""
    return {name for block in HOSTED_RE.findall(text)
            for kind, name in INCLUDE_RE.findall(block) if kind == "<"}


def resolve(src, name):
    """The file `#include "name"` in src names: its own directory first,
    then every include directory there is (so a wrong one is found, and
    reported, rather than missed)."""
    dirs = [os.path.dirname(src)] + INCLUDE_DIRS + ["arch/" + a for a in ARCHES]
    for d in dirs:
        p = os.path.normpath(os.path.join(d, name))
        if os.path.isfile(os.path.join(ROOT, p)):
            return p
    return None


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def a_cycle(graph, comp):
    """One cycle through a strongly connected component, for the report."""
    members = set(comp)
    start = comp[0]
    path, seen = [start], {start}
    while True:
        nxt = sorted(w for w in graph[path[-1]] if w in members)
        back = [w for w in nxt if w == start]
        if back and len(path) > 1:
            return path + [start]
        fresh = [w for w in nxt if w not in seen]
        if not fresh:
            i = path.index(nxt[0]) if nxt and nxt[0] in path else 0
            return path[i:] + [path[i]]
        path.append(fresh[0])
        seen.add(fresh[0])


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def result(self, name, problems):
        self.n += 1
        if problems:
            self.failed += 1
            print("not ok %d - %s" % (self.n, name))
            for p in problems:
                print("# " + p)
        else:
            print("ok %d - %s" % (self.n, name))


def check_includes(tap):
    graph = {}
    unresolved, wrong, std = [], [], []
    for src in sources():
        with open(os.path.join(ROOT, src), errors="replace") as f:
            text = f.read()
        graph.setdefault(src, set())
        hosted = hosted_includes(text)
        for kind, name in INCLUDE_RE.findall(text):
            if kind == "<":
                if name not in STD_HEADERS and name not in hosted:
                    std.append("%s: #include <%s> is not a freestanding C header" % (src, name))
                continue
            dst = resolve(src, name)
            if dst is None:
                unresolved.append('%s: #include "%s" names no file' % (src, name))
                continue
            graph[src].add(dst)
            if not include_ok(layer(src), layer(dst)):
                wrong.append('%s (%s) includes %s (%s)' % (src, layer(src), dst, layer(dst)))
    tap.result("every #include resolves to a file", unresolved)
    tap.result("#include <...> only of C's freestanding headers "
               "(others only inside #if __STDC_HOSTED__)", std)
    tap.result("each layer includes only its own and lower layers' headers "
               "(os: no shell/ or init/; arch: of os/ only the klib)", wrong)
    iface = [w for w in wrong if w.startswith(INTERFACE)]
    iface += ["%s includes %s" % (INTERFACE, d) for d in graph.get(INTERFACE, ())
              if layer(d) != "klib"]
    tap.result("the machine interface (%s) includes only klib and C headers" % INTERFACE,
               sorted(set(iface)))
    file_cycles = ["include cycle: " + " -> ".join(a_cycle(graph, c)) for c in cycles(graph)]
    tap.result("no include cycle between files", file_cycles)
    dirs = {}
    for src, dsts in graph.items():
        for dst in dsts:
            a, b = os.path.dirname(src), os.path.dirname(dst)
            dirs.setdefault(a, set())
            dirs.setdefault(b, set())
            if a != b:
                dirs[a].add(b)
    dir_cycles = ["include cycle: " + " -> ".join(a_cycle(dirs, c)) for c in cycles(dirs)]
    tap.result("no include cycle between directories", dir_cycles)


def interface_names():
    with open(os.path.join(ROOT, INTERFACE)) as f:
        text = re.sub(r"/\*.*?\*/", " ", f.read(), flags=re.S)
    return set(re.findall(r"[A-Za-z_]\w*", text))


def nm_symbols(nm, objs):
    """{object: (defined, undefined) global symbol names} of @objs, read by
    one nm (one nm per object took 0.2 s each: most of this check)."""
    out = subprocess.run([nm, "-A"] + objs, capture_output=True, text=True,
                         check=True).stdout if objs else ""
    symbols = {obj: (set(), set()) for obj in objs}
    for line in out.splitlines():
        obj, _, rest = line.partition(":")
        parts = rest.split()
        defined, undefined = symbols[obj]
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1].isupper() and parts[1] != "U":
            defined.add(parts[2])
    return symbols


def check_calls(tap, objdir, nm):
    sources = {}
    for d, _, files in os.walk(objdir):
        for f in files:
            if f.endswith(".o"):
                obj = os.path.join(d, f)
                src = os.path.relpath(obj, objdir)[:-2]
                # An object left behind by a source that is gone is not linked.
                if not os.path.isfile(os.path.join(ROOT, src)):
                    continue
                if layer(src) != "other":
                    sources[obj] = src
    symbols = nm_symbols(nm, sorted(sources))
    objs = {src: symbols[obj] for obj, src in sources.items()}
    if not objs:
        tap.result("objects to check in %s" % objdir, ["no object files: build first"])
        return
    where = {}
    for src, (defined, _) in objs.items():
        for s in defined:
            where[s] = src
    iface = interface_names()
    wrong, graph = [], {}
    for src, (_, undefined) in sorted(objs.items()):
        me = layer(src)
        graph.setdefault(src, set())
        for sym in sorted(undefined):
            dst = where.get(sym)
            if dst is None or dst == src:
                continue
            them = layer(dst)
            # The compiler's own runtime (libgcc names such as __clzdi2),
            # which an arch supplies where its CPU lacks the instruction.
            if sym.startswith("__") and them.startswith("arch:"):
                continue
            # Checked below but not cycles: the library printing through
            # the machine, the machine running kmain() (and cpu_park() on the
            # other CPUs), and assembly entry
            # code with the C it calls (each needs the other by nature).
            by_design = ((me == "klib" and them.startswith("arch:") and sym in iface)
                         or (me.startswith("arch:") and sym in ("kmain", "cpu_park"))
                         or src.endswith(".S") or dst.endswith(".S"))
            if not by_design:
                graph[src].add(dst)
            if them.startswith("arch:") and not me.startswith("arch:"):
                if sym not in iface:
                    wrong.append("%s calls %s() of %s, not in the machine interface"
                                 % (src, sym, dst))
                continue
            bad = False
            if me.startswith("arch:"):
                bad = them not in (me, "klib") and sym not in iface
            elif me == "klib":
                bad = them != "klib"
            elif me == "os":
                bad = them in ("shell", "init")
            elif me == "shell":
                bad = them == "init"
            if bad:
                wrong.append("%s (%s) calls %s() of %s (%s)" % (src, me, sym, dst, them))
    label = os.path.relpath(objdir, ROOT) if objdir.startswith(ROOT) else objdir
    tap.result("%s: each layer calls only lower layers (arch: no OS function but the "
               "klib; others reach arch/ only through its interface)" % label, wrong)
    found = cycles(graph)
    text = ["call cycle: %s (files in the cycle: %s)"
            % (" -> ".join(a_cycle(graph, c)), ", ".join(c)) for c in found]
    # The shell is one program around a command table that "help" lists:
    # its files call each other by nature, so its cycles are only shown.
    shell_only = [t for t, c in zip(text, found) if all(layer(f) == "shell" for f in c)]
    tap.result("%s: no cycle of files calling each other (outside shell/)" % label,
               [t for t in text if t not in shell_only])
    for t in shell_only:
        print("# note (not a failure): " + t)
    dirs = {}
    for a, bs in graph.items():
        dirs.setdefault(os.path.dirname(a), set())
        for b in bs:
            if os.path.dirname(a) != os.path.dirname(b):
                dirs[os.path.dirname(a)].add(os.path.dirname(b))
    tap.result("%s: no cycle of directories calling each other" % label,
               ["call cycle: " + " -> ".join(a_cycle(dirs, c)) for c in cycles(dirs)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nm", default="nm", help="the nm that reads the objects")
    ap.add_argument("--root", help="the source tree to check (default: this repository)")
    ap.add_argument("objdirs", nargs="*", help="kernel object directories to check the calls of")
    args = ap.parse_args()
    global ROOT
    if args.root:
        ROOT = os.path.abspath(args.root)
    tap = Tap()
    check_includes(tap)
    for d in args.objdirs:
        check_calls(tap, os.path.abspath(d), args.nm)
    print("1..%d" % tap.n)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
