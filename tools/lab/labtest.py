"""What a lab's test file (labs/<name>/tests/grade.py, labs/<name>/hidden/grade.py) uses.

A test file declares its tests with these decorators and helpers:

    import labtest as t

    t.host("slab_class", 5, "labs/kmalloc/tests/host_kmalloc.c")
        # runs `<that program, built with the lab's sources> slab_class <seed>`:
        # it prints `ok` or `FAIL: <first difference>` as its last line

    @t.kernel(10)
    def size_classes(c, rng):
        ...  # c: a pagoda_console.Console at the prompt; rng: random.Random

    @t.kernel(10, smp=4)    # ... on a kernel booted with four CPUs (make run SMP=4)

A kernel test runs on both architectures (riscv64/<name>, x86_64/<name>),
each time with @points; it fails by raising AssertionError whose message is
the first difference. The kernel tests of one file share one boot per
architecture (a test with another smp than the one before it boots anew);
after a failure the kernel is booted again for the next test.
Randomness comes only from @rng, seeded from the grade's seed and the test's
name, so `make grade TEST=<name> SEED=<seed>` replays one test exactly.
"""

import os
import subprocess

HOST, KERNEL = "host", "kernel"
ARCHS = ("riscv64", "x86_64")
_declared = []


class Test:
    def __init__(self, kind, name, points, fn=None, program=None, arch=None, smp=None):
        self.kind, self.name, self.points = kind, name, points
        self.fn, self.program, self.arch, self.smp = fn, program, arch, smp
        self.set = None  # the file that declared it (set by the grader)


def host(name, points, program):
    """A host test: @program (a C file of the lab) built with ASan+UBSan, run with @name."""
    _declared.append(Test(HOST, name, points, program=program))


def kernel(points, archs=ARCHS, smp=None):
    """A kernel test on each of @archs, with @points on each; @smp CPUs (None: the default, 1)."""
    def wrap(fn):
        for arch in archs:
            _declared.append(Test(KERNEL, "%s/%s" % (arch, fn.__name__), points, fn=fn,
                                  arch=arch, smp=smp))
        return fn
    return wrap


def _run_here(argv):
    root = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    r = subprocess.run(argv, cwd=root, capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


# How a test runs a program on what the student built (nm on the kernel,
# say): here in the tree; the class grader sets it to run in the jail.
TOOL = _run_here


def tool(argv):
    """(status, output) of @argv, run in the tree the tests grade."""
    return TOOL(argv)


def take_declared():
    global _declared
    tests, _declared = _declared, []
    return tests
