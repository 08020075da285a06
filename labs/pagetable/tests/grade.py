"""The public tests of lab pagetable (labs/pagetable/README.md has the table).

Host tests: labs/pagetable/tests/host_pagetable.c, the walker under ASan +
UBSan over both formats, every answer checked against its model of the
mapping. Kernel tests: map, unmap, vtop, pt, meminfo and check in the
shell's window on both architectures, every answer checked against
ptmodel.py.
"""
import labtest as t

HOST = "labs/pagetable/tests/host_pagetable.c"
t.host("levels", 5, HOST)
t.host("tables", 5, HOST)
t.host("map_4k", 10, HOST)
t.host("map_large", 10, HOST)
t.host("translate", 10, HOST)
t.host("unmap", 10, HOST)
t.host("rollback", 10, HOST)
t.host("random", 10, HOST)
