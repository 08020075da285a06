#!/usr/bin/env python3
"""tools/check_layers.py, and the build, catch a layer that uses one above it.

Each test copies the kernel's sources (os/, shell/, arch/, init/) into
build/test-layers/, breaks one rule there, and checks that the tool fails
naming the file, while the untouched copy passes. The call checks read
objects compiled here with the host compiler from small real C files. The
build itself refuses a wrong include: a copy of a source, compiled with
the very command make uses, fails once it includes a higher layer's header.

Usage: test_layers.py   (TAP output)
"""
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tap  # noqa: E402

TMP = os.path.join(ROOT, "build", "test-layers")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def tree():
    """A fresh copy of the sources; returns its root."""
    src = os.path.join(TMP, "src")
    shutil.rmtree(TMP, ignore_errors=True)
    for top in ("os", "shell", "arch", "init"):
        shutil.copytree(os.path.join(ROOT, top), os.path.join(src, top))
    return src


def add_line(root, path, line, before="#include"):
    """Put @line before the first line of @path starting with @before."""
    p = os.path.join(root, path)
    with open(p) as f:
        text = f.read()
    i = text.index(before)
    with open(p, "w") as f:
        f.write(text[:i] + line + "\n" + text[i:])


def check(root, *objdirs):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "check_layers.py"),
                           "--root", root] + list(objdirs),
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def compile_into(root, objdir, path, code):
    """Write @code to @root/@path and compile it to @objdir/@path.o."""
    src = os.path.join(root, path)
    os.makedirs(os.path.dirname(src), exist_ok=True)
    with open(src, "w") as f:
        f.write(code)
    obj = os.path.join(objdir, path + ".o")
    os.makedirs(os.path.dirname(obj), exist_ok=True)
    subprocess.run(["cc", "-c", "-O0", src, "-o", obj], check=True)


@test
def the_real_includes_pass():
    status, out = check(tree())
    assert status == 0, out
    assert not re.search(r"^not ok", out, re.M), out


@test
def os_including_the_shell_fails():
    root = tree()
    add_line(root, "os/mm/vm_demo.c", '#include "shell.h"')
    status, out = check(root)
    assert status != 0, out
    assert re.search(r"^# os/mm/vm_demo\.c \(os\) includes shell/shell\.h \(shell\)$", out,
                     re.M), out


@test
def arch_including_an_os_header_fails():
    root = tree()
    add_line(root, "arch/riscv64/mmu.c", '#include "vm.h"')
    status, out = check(root)
    assert status != 0, out
    assert "# arch/riscv64/mmu.c (arch:riscv64) includes os/include/vm.h (os)" in out, out


@test
def the_interface_including_more_than_klib_fails():
    root = tree()
    add_line(root, "arch/include/arch.h", '#include "pmm.h"')
    status, out = check(root)
    assert status != 0, out
    assert re.search(r"^not ok \d+ - the machine interface", out, re.M), out
    assert "arch/include/arch.h includes os/include/pmm.h" in out, out


@test
def an_include_cycle_fails():
    root = tree()
    add_line(root, "os/include/vm.h", '#include "vm_kernel.h"')
    status, out = check(root)
    assert status != 0, out
    assert re.search(r"^# include cycle: .*os/include/vm\.h -> os/include/vm_kernel\.h", out,
                     re.M) or re.search(r"^# include cycle: .*os/include/vm_kernel\.h -> "
                                        r"os/include/vm\.h", out, re.M), out


@test
def arch_calling_an_os_function_fails_and_klib_passes():
    root = tree()
    objdir = os.path.join(TMP, "obj")
    compile_into(root, objdir, "os/mm/pmm_fake.c", "int pmm_fake(void) { return 1; }\n")
    compile_into(root, objdir, "os/lib/klib_fake.c", "int klib_fake(void) { return 2; }\n")
    compile_into(root, objdir, "arch/riscv64/fine.c",
                 "int klib_fake(void);\nint fine(void) { return klib_fake(); }\n")
    status, out = check(root, objdir)
    assert status == 0, out
    compile_into(root, objdir, "arch/riscv64/bad.c",
                 "int pmm_fake(void);\nint bad(void) { return pmm_fake(); }\n")
    status, out = check(root, objdir)
    assert status != 0, out
    assert ("# arch/riscv64/bad.c (arch:riscv64) calls pmm_fake() of os/mm/pmm_fake.c (os)"
            in out), out


@test
def files_calling_each_other_fail():
    root = tree()
    objdir = os.path.join(TMP, "obj")
    compile_into(root, objdir, "os/mm/ping.c",
                 "int pong(int);\nint ping(int n) { return n ? pong(n - 1) : 0; }\n")
    compile_into(root, objdir, "os/mm/pong.c",
                 "int ping(int);\nint pong(int n) { return n ? ping(n - 1) : 1; }\n")
    status, out = check(root, objdir)
    assert status != 0, out
    assert re.search(r"^# call cycle: os/mm/ping\.c -> os/mm/pong\.c -> os/mm/ping\.c", out,
                     re.M), out


def compile_command(source):
    """The command make compiles @source of the gnu riscv64 kernel with."""
    obj = "build/riscv64/obj-gnu-O0/%s.o" % source
    out = subprocess.run(["make", "-n", "-B", "V=1", "--no-print-directory", "ARCH=riscv64",
                          "TOOLCHAIN=gnu", "OPT=-O0", obj], cwd=ROOT, capture_output=True,
                         text=True, timeout=60, check=True).stdout
    lines = [line for line in out.splitlines() if " -c %s " % source in line]
    assert len(lines) == 1, out
    return lines[0]


def build(root, source):
    """Compile @root's copy of @source as make would compile @source."""
    cmd = compile_command(source).replace(" -c %s " % source,
                                          " -c %s " % os.path.join(root, source))
    obj = os.path.join(TMP, "build-check.o")
    cmd = re.sub(r" -o \S+", " -o " + obj, cmd)
    proc = subprocess.run(cmd, shell=True, cwd=ROOT, capture_output=True, text=True,
                          timeout=60)
    return proc.returncode, proc.stdout + proc.stderr


@test
def the_build_refuses_an_include_from_a_higher_layer():
    root = tree()
    for source, header in [("os/mm/vm_demo.c", "shell.h"), ("arch/riscv64/mmu.c", "vm.h"),
                           ("os/lib/format.c", "pmm.h")]:
        status, out = build(root, source)
        assert status == 0, "%s does not build as it is:\n%s" % (source, out)
        add_line(root, source, '#include "%s"' % header)
        status, out = build(root, source)
        assert status != 0 and header in out, "%s built with #include \"%s\":\n%s" % (
            source, header, out)


def code_map(root):
    """Run tools/check_code_map.py on @root (a tree() with docs/ copied in)."""
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "check_code_map.py"),
                           "--root", root], capture_output=True, text=True, timeout=60)
    return proc.returncode, proc.stdout + proc.stderr


@test
def the_code_map_must_name_every_file_and_no_gone_one():
    root = tree()
    shutil.copytree(os.path.join(ROOT, "docs"), os.path.join(root, "docs"))
    for top in ("tests", "tools"):  # the page names some of their files too
        os.symlink(os.path.join(ROOT, top), os.path.join(root, top))
    status, out = code_map(root)
    assert status == 0, "the real code map fails:\n" + out
    with open(os.path.join(root, "os", "mm", "pmm_new.c"), "w") as f:
        f.write("/* a file nobody put on the map */\n")
    status, out = code_map(root)
    assert status != 0 and "os/mm/pmm_new.c: not on the page" in out, out
    os.remove(os.path.join(root, "os", "mm", "pmm_new.c"))
    os.remove(os.path.join(root, "shell", "parse.c"))
    status, out = code_map(root)
    assert status != 0 and "shell/parse.c: no such file" in out, out


def main():
    return tap.main(TESTS, __doc__, sys.modules[__name__], arch="riscv64")


if __name__ == "__main__":
    sys.exit(main())
