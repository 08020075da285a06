"""A tiny TAP runner for the kernel tests (standard library only).

A test is a function; it fails by raising. run() prints "ok N - name" or
"not ok N - name" with the reason as "# " lines, and returns the exit status.
"""
import argparse
import os
import sys
import traceback


class Skip(Exception):
    """Raised by a test that does not apply here: TAP's `ok N - name # SKIP why`."""


def run(tests, prefix, only=None):
    tests = [t for t in tests if not only or only in t.__name__]
    print("1..%d" % len(tests))
    failed = 0
    for i, t in enumerate(tests, 1):
        name = "%s: %s" % (prefix, t.__name__)
        try:
            t()
            print("ok %d - %s" % (i, name))
        except Skip as e:
            print("ok %d - %s # SKIP %s" % (i, name, e))
        except Exception as e:  # noqa: BLE001 - every failure is reported
            failed += 1
            print("not ok %d - %s" % (i, name))
            for line in ("%s: %s" % (type(e).__name__, e)).splitlines()[:40]:
                print("# " + line)
            tb = traceback.extract_tb(e.__traceback__)[-1]
            print("# at %s:%d" % (os.path.basename(tb.filename), tb.lineno))
        sys.stdout.flush()
    return 1 if failed else 0


def main(tests, doc, module, arch=None):
    """Parse --arch (unless @arch is fixed) and --only, set @module.ARCH to
    the architecture, run @tests; return the exit status."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    if arch is None:
        parser.add_argument("--arch", default="riscv64", choices=["riscv64", "x86_64"])
    parser.add_argument("--only", help="run only the tests whose name contains this")
    args = parser.parse_args()
    if arch is None:
        # --arch must reach the module whose boot() reads ARCH: setting it
        # on another one would only relabel the tests.
        assert hasattr(module, "ARCH"), "%s has no ARCH for boot() to read" % module.__name__
    arch = arch or args.arch
    module.ARCH = arch
    return run(tests, arch, args.only)
