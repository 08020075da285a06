#!/usr/bin/env python3
"""tools/doc_transcripts.py catches a doc that no longer matches the kernel.

Copies of the real documents, one with a single number changed, are checked
against real runs: the copy as it is passes, the changed one fails with a
diff that names the block; --update puts the real text back; prose that
cites a source line fails. Needs the riscv64 kernel (the tool builds it).

Usage: test_docs.py   (TAP output)
"""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import tap  # noqa: E402

TMP = os.path.join(ROOT, "build", "test-docs")
TESTS = []


def test(fn):
    TESTS.append(fn)
    return fn


def tool(*args):
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "doc_transcripts.py")]
                          + list(args), cwd=ROOT, capture_output=True, text=True, timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def copy(name, text):
    os.makedirs(TMP, exist_ok=True)
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def readme():
    with open(os.path.join(ROOT, "README.md")) as f:
        return f.read()


def bump(text, regex):
    """@text with the number in the first match of @regex plus one."""
    m = re.search(regex, text, re.M)
    assert m, "no %r in the document" % regex
    old = m.group(1)
    return text[:m.start(1)] + str(int(old) + 1) + text[m.end(1):], old, str(int(old) + 1)


@test
def a_changed_number_fails_and_the_real_text_passes():
    real = readme()
    changed, old, new = bump(real, r"^total pages: (\d+)$")
    same, wrong = copy("same.md", real), copy("changed.md", changed)
    status, out = tool("--check", same, wrong)
    assert status != 0, out
    name = os.path.relpath(wrong, ROOT)
    assert re.search(r"^ok \d+ - %s:\d+ transcript$" % re.escape(os.path.relpath(same, ROOT)),
                     out, re.M), out
    assert re.search(r"^not ok \d+ - %s:\d+ transcript$" % re.escape(name), out, re.M), out
    assert "# -total pages: %s\n" % new in out and "# +total pages: %s\n" % old in out, out


@test
def update_writes_back_what_the_kernel_prints():
    real = readme()
    changed, _, _ = bump(real, r"^total pages: (\d+)$")
    changed, _, _ = bump(changed, r"^free pages: (\d+)$")
    path = copy("update.md", changed)
    status, out = tool("--update", path)
    assert status == 0, out
    with open(path) as f:
        assert f.read() == real, "--update did not restore README.md's transcript"


@test
def a_boot_log_block_is_checked_from_start_to_end():
    with open(os.path.join(ROOT, "labs", "memmap", "README.md")) as f:
        real = f.read()
    assert 'start="memory map:" end="page manager:"' in real, \
        "labs/memmap/README.md has no boot-log transcript"
    changed, old, new = bump(real, r"^page manager: (\d+) pages")
    same, wrong = copy("boot-same.md", real), copy("boot-changed.md", changed)
    status, out = tool("--check", same, wrong)
    assert status != 0, out
    assert re.search(r"^not ok \d+ - %s:\d+ transcript$"
                     % re.escape(os.path.relpath(wrong, ROOT)), out, re.M), out
    assert "# -page manager: %s pages" % new in out, out
    assert "# +page manager: %s pages" % old in out, out
    assert not re.search(r"^not ok \d+ - %s:" % re.escape(os.path.relpath(same, ROOT)),
                         out, re.M), out


@test
def update_types_addresses_that_follow_the_moved_pages():
    """As if the kernel had grown by a page since the doc was written: every
    address of the README's session one page higher, in the answers, the
    typed `free` and the prose. --update must type the real addresses and
    give back the real README."""
    real = readme()
    start = real.index("<!-- transcript: shell")
    end = real.index("```\n", real.index("```\n", start) + 4) + 4
    session = real[start:end]
    addr = re.search(r"^allocated 3 pages at (0x[0-9a-f]+)$", session, re.M).group(1)
    assert "free %s\n" % addr in session, "the README's session frees no address it was given"
    stale = "0x%x" % (int(addr, 16) + 0x1000)
    changed = session.replace(addr[:-3], stale[:-3]) + "The pages at %s are yours.\n" % stale
    path = copy("moved.md", changed)
    status, out = tool("--update", path)
    assert status == 0, out
    with open(path) as f:
        got = f.read()
    assert got == session + "The pages at %s are yours.\n" % addr, (
        "--update did not follow the moved page %s -> %s:\n%s" % (stale, addr, got))


@test
def a_stale_source_line_in_a_gdb_transcript_fails():
    with open(os.path.join(ROOT, "docs", "debugging.md")) as f:
        guide = f.read()
    block = re.search(r"^<!-- transcript: gdb arch=riscv64 start=.*?^```\n.*?^```\n",
                      guide, re.M | re.S)
    assert block, "no riscv64 gdb transcript in docs/debugging.md"
    good = block.group(0)
    bad, old, new = bump(good, r"at init/main\.c:(\d+)$")
    status, out = tool("--check", copy("gdb-good.md", good), copy("gdb-bad.md", bad))
    assert status != 0, out
    assert re.search(r"^ok 1 - build/test-docs/gdb-good\.md:1 transcript$", out, re.M), out
    assert re.search(r"^not ok \d+ - build/test-docs/gdb-bad\.md:1 transcript$", out, re.M), out
    assert "main.c:%s" % new in out and "main.c:%s" % old in out, out


@test
def prose_citing_a_source_line_fails():
    path = copy("cite.md", "The split is at os/mm/pmm_buddy.c:104, see there.\n")
    status, out = tool("--check", path)
    assert status != 0 and "not ok 1 - " in out and "cites functions" in out, out
    path = copy("no-cite.md", "The split is in `pmm_take_block()`.\n")
    status, out = tool("--check", path)
    assert status == 0 and "ok 1 - " in out, out


def main():
    return tap.main(TESTS, __doc__, sys.modules[__name__], arch="riscv64")


if __name__ == "__main__":
    sys.exit(main())
