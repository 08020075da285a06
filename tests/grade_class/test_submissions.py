#!/usr/bin/env python3
"""The class grader's input, without grading (TAP; a few seconds).

Reading a submission takes the student's files and nothing else, whatever
the submission is (repository, bare repository, bundle, tarball, plain
directory) and however it tries to reach outside itself, within caps, once
per change; ids are safe names that map back. (The jail, the verdicts and
the feedback: test_jail.py.)
"""
import gzip
import io
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "lab"))
sys.path.insert(0, os.path.join(ROOT, "tests", "shell"))
import class_ids  # noqa: E402
import class_submissions as subs  # noqa: E402
import tap  # noqa: E402

FILES = ["os/mm/memm.c", "os/mm/memm_slab.c"]
GIT = ["git", "-c", "user.name=S", "-c", "user.email=s@s", "-c", "init.defaultBranch=main"]
TESTS = []
TMP = tempfile.mkdtemp(prefix="pagoda-test-submissions-")


def fresh():
    return tempfile.mkdtemp(dir=TMP)


def test(fn):
    TESTS.append(fn)
    return fn


def repo(path, files, commit=True):
    """A git repository at @path with @files ({path: bytes}), committed."""
    subprocess.run(GIT + ["init", "-q", path], check=True)
    for p, data in files.items():
        os.makedirs(os.path.dirname(os.path.join(path, p)), exist_ok=True)
        with open(os.path.join(path, p), "wb") as f:
            f.write(data)
    if commit:
        subprocess.run(GIT + ["-C", path, "add", "-A"], check=True)
        subprocess.run(GIT + ["-C", path, "commit", "-qm", "work"], check=True)
    return path


def add_bytes(tar, name, data, **kw):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for k, v in kw.items():
        setattr(info, k, v)
    tar.addfile(info, io.BytesIO(data) if data else None)


def read(path, cache_dir=None):
    found, dups = subs.find(os.path.dirname(path))
    (sub,) = [s for s in found if s.path == path]
    return subs.read_files(sub, FILES, cache_dir)


def refused(path, words, cache_dir=None):
    """Reading @path fails, saying @words."""
    try:
        got = read(path, cache_dir)
    except subs.SubmissionError as e:
        assert words in str(e), (os.path.basename(path), str(e))
        return str(e)
    raise AssertionError("%s was read: %.200r" % (os.path.basename(path), got))


class Patched:
    """Within it, @module.@name is @value."""

    def __init__(self, module, name, value):
        self.module, self.name, self.value = module, name, value

    def __enter__(self):
        self.old = getattr(self.module, self.name)
        setattr(self.module, self.name, self.value)

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.old)


def forbidden(*args, **kw):
    raise AssertionError("the submission was opened again")


@test
def a_repository_gives_its_committed_files_not_its_uncommitted_edits():
    d = fresh()
    r = repo(os.path.join(d, "ann"), {"os/mm/memm.c": b"committed\n", "Makefile": b"x"})
    with open(os.path.join(r, "os/mm/memm.c"), "wb") as f:
        f.write(b"uncommitted\n")
    got = read(r)
    assert got == {"os/mm/memm.c": b"committed\n", "os/mm/memm_slab.c": None}, got


@test
def a_bare_repository_and_a_bundle_give_their_head():
    d = fresh()
    r = repo(os.path.join(d, "work"), {"os/mm/memm.c": b"A", "os/mm/memm_slab.c": b"B"})
    subs_dir = os.path.join(d, "subs")
    os.makedirs(subs_dir)
    subprocess.run(GIT + ["clone", "-q", "--bare", r, os.path.join(subs_dir, "bo.git")],
                   check=True)
    subprocess.run(GIT + ["-C", r, "bundle", "create", os.path.join(subs_dir, "cy.bundle"),
                          "--all"], check=True, capture_output=True)
    found, _ = subs.find(subs_dir)
    assert [(s.id, s.kind) for s in found] == [("bo", "git"), ("cy", "bundle")], found
    for s in found:
        assert subs.read_files(s, FILES) == {"os/mm/memm.c": b"A", "os/mm/memm_slab.c": b"B"}


@test
def a_repository_without_a_commit_or_a_broken_bundle_is_unreadable():
    d = fresh()
    repo(os.path.join(d, "dee"), {"os/mm/memm.c": b"A"}, commit=False)
    with open(os.path.join(d, "eli.bundle"), "wb") as f:
        f.write(b"# v2 git bundle\nnot really\n")
    for name, words in (("dee", "no commit"), ("eli.bundle", "not a readable git bundle")):
        try:
            read(os.path.join(d, name))
            raise AssertionError("%s was read" % name)
        except subs.SubmissionError as e:
            assert words in str(e), str(e)


@test
def a_symbolic_link_in_a_repository_is_no_student_file():
    d = fresh()
    r = repo(os.path.join(d, "fay"), {"os/mm/memm_slab.c": b"B"}, commit=False)
    os.symlink("/etc/passwd", os.path.join(r, "os/mm/memm.c"))
    subprocess.run(GIT + ["-C", r, "add", "-A"], check=True)
    subprocess.run(GIT + ["-C", r, "commit", "-qm", "w"], check=True)
    assert read(r) == {"os/mm/memm.c": None, "os/mm/memm_slab.c": b"B"}


@test
def a_tarball_is_read_at_the_top_or_under_one_directory_never_outside():
    d = fresh()
    for name, prefix in (("top.tar.gz", ""), ("one.tgz", "handout/"), ("two.tar", "a/b/")):
        with tarfile.open(os.path.join(d, name), "w:gz" if "gz" in name else "w") as tar:
            add_bytes(tar, prefix + "os/mm/memm.c", b"mine")
    assert read(os.path.join(d, "top.tar.gz"))["os/mm/memm.c"] == b"mine"
    assert read(os.path.join(d, "one.tgz"))["os/mm/memm.c"] == b"mine"
    with tarfile.open(os.path.join(d, "evil.tar"), "w") as tar:
        add_bytes(tar, "../../os/mm/memm.c", b"outside")
        add_bytes(tar, "os/mm/memm_slab.c", b"", type=tarfile.SYMTYPE, linkname="/etc/passwd")
        add_bytes(tar, "a/b/os/mm/memm_slab.c", b"too deep")
        add_bytes(tar, "os/mm/README", b"not a student file")
    for name in ("two.tar", "evil.tar"):
        try:
            read(os.path.join(d, name))
            raise AssertionError("%s gave a student file" % name)
        except subs.SubmissionError as e:
            assert "none of the lab's files (os/mm/memm.c, os/mm/memm_slab.c) is in" in str(e), e


@test
def links_to_another_students_work_are_not_followed():
    d = fresh()
    ann = repo(os.path.join(d, "ann"), {"os/mm/memm.c": b"ann's", "os/mm/memm_slab.c": b"A"})
    os.makedirs(os.path.join(d, "leo"))  # a plain directory whose os/ is a link
    os.symlink(os.path.join(ann, "os"), os.path.join(d, "leo", "os"))
    os.makedirs(os.path.join(d, "max"))  # a .git file pointing at ann's repository
    with open(os.path.join(d, "max", ".git"), "w") as f:
        f.write("gitdir: %s\n" % os.path.join(ann, ".git"))
    os.symlink(ann, os.path.join(d, "kim"))  # an entry that is a link
    os.makedirs(os.path.join(d, "ned"))  # nothing handed in
    for name, words in (("leo", "none of the lab's files"), ("max", ".git is not a directory"),
                        ("kim", "is a symbolic link"), ("ned", "none of the lab's files")):
        try:
            got = read(os.path.join(d, name))
            raise AssertionError("%s was read: %r" % (name, got))
        except subs.SubmissionError as e:
            assert words in str(e), (name, str(e))


@test
def a_corrupt_tarball_an_unknown_file_and_an_oversized_file_are_unreadable():
    d = fresh()
    with open(os.path.join(d, "gil.tgz"), "wb") as f:
        f.write(b"\x1f\x8b not gzip at all")
    with open(os.path.join(d, "hal.zip"), "wb") as f:
        f.write(b"PK")
    with tarfile.open(os.path.join(d, "ian.tar"), "w") as tar:
        add_bytes(tar, "os/mm/memm.c", b"x" * (subs.MAX_FILE_BYTES + 1))
    for name, words in (("gil.tgz", "not a readable tarball"),
                        ("hal.zip", "is not a git repository, a git bundle or a tarball"),
                        ("ian.tar", "is larger than 1024 KiB")):
        try:
            read(os.path.join(d, name))
            raise AssertionError("%s was read" % name)
        except subs.SubmissionError as e:
            assert words in str(e), (name, str(e))


@test
def ids_come_from_names_and_two_entries_of_one_id_are_reported():
    d = fresh()
    for name in ("jo", "jo.tgz", "kim.tar.xz", ".hidden", "lu.bundle", "john.doe.zip",
                 "john.smith.zip"):
        os.makedirs(os.path.join(d, name)) if name in ("jo", ".hidden") else \
            open(os.path.join(d, name), "wb").close()
    found, dups = subs.find(d)
    assert [(s.id, s.kind) for s in found] == [("john.doe", None), ("john.smith", None),
                                               ("kim", "tar"), ("lu", "bundle")], found
    assert dups == {"jo": ["jo", "jo.tgz"]}, dups


def git_dir_of(r):
    return os.path.join(r, ".git")


def relink(path, target):
    """Put a symbolic link to @target where @path is."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.unlink(path)
    os.symlink(target, path)


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


@test
def a_repository_is_refused_if_git_would_read_anything_of_it_through_a_link():
    d = fresh()
    ann = repo(os.path.join(d, "ann"), {"os/mm/memm.c": b"ann's", "os/mm/memm_slab.c": b"A"})
    a = git_dir_of(ann)  # a link to what is not there is a link all the same
    pack = "pack-%s.pack" % ("ab" * 20)
    own = repo(os.path.join(TMP, "own-%s" % os.path.basename(d)),
               {"os/mm/memm.c": b"own", "os/mm/memm_slab.c": b"B"})
    loose = [n for n in os.listdir(os.path.join(own, ".git/objects")) if len(n) == 2][0]
    cases = {  # name: (what becomes a link to ann's, or what is written), the words
        "head": ("HEAD", "HEAD is a symbolic link"),
        "ref": ("refs/heads/main", "refs/heads/main is a symbolic link"),
        "heads": ("refs/heads", "refs/heads is a symbolic link"),
        "packed": ("packed-refs", "packed-refs is a symbolic link"),
        "objects": ("objects", "objects is a symbolic link"),
        "loose": ("objects/" + loose, "objects/%s is a symbolic link" % loose),
        "pack": ("objects/pack/" + pack, "%s is a symbolic link" % pack),
        "config": ("config", "config is a symbolic link"),
        "worktrees": ("worktrees", "worktrees is a symbolic link"),
        "commondir": (("commondir", a + "\n"), "commondir names another repository"),
        "alternates": (("objects/info/alternates", os.path.join(a, "objects") + "\n"),
                       "alternates borrows objects"),
        "http": (("objects/info/http-alternates", "http://example.invalid/objects\n"),
                 "http-alternates borrows objects"),
    }
    for name, (change, words) in cases.items():
        r = os.path.join(d, name)
        shutil.copytree(own, r, symlinks=True)
        if isinstance(change, tuple):
            write(os.path.join(r, ".git", change[0]), change[1])
        else:
            relink(os.path.join(r, ".git", change), os.path.join(a, change))
        refused(r, words)
    # A bare repository whose HEAD is a link; a work tree whose .git is one.
    subprocess.run(GIT + ["clone", "-q", "--bare", own, os.path.join(d, "bare.git")], check=True)
    relink(os.path.join(d, "bare.git", "HEAD"), os.path.join(a, "HEAD"))
    refused(os.path.join(d, "bare.git"), "bare.git/HEAD is a symbolic link")
    shutil.copytree(own, os.path.join(d, "dotgit"), symlinks=True)
    relink(os.path.join(d, "dotgit", ".git"), a)
    refused(os.path.join(d, "dotgit"), ".git is not a directory: a symbolic link")
    # A clone that borrows its objects (git clone --shared) is not its own work.
    subprocess.run(GIT + ["clone", "-q", "--shared", ann, os.path.join(d, "sam")], check=True)
    refused(os.path.join(d, "sam"), "alternates borrows objects")
    # What git never reads may be a link: the hooks.
    shutil.copytree(own, os.path.join(d, "hooks"), symlinks=True)
    relink(os.path.join(d, "hooks", ".git", "hooks"), os.path.join(a, "hooks"))
    assert read(os.path.join(d, "hooks")) == {"os/mm/memm.c": b"own", "os/mm/memm_slab.c": b"B"}


HOSTILE_CONFIG = """# extensions.objectformat: what the included file says, if it is read
[core]
\trepositoryformatversion = 1
\tfsmonitor = touch {marks}/fsmonitor
\thooksPath = {hooks}
\tsshCommand = touch {marks}/ssh
\talternateRefsCommand = touch {marks}/alternate-refs
\tpager = touch {marks}/pager
[extensions]
\tpartialclone = origin
[remote "origin"]
\turl = ext::sh -c touch% {marks}/fetch
\tpromisor = true
[protocol "ext"]
\tallow = always
[include]
\tpath = {included}
"""


@test
def a_hostile_git_config_takes_no_effect():
    d = fresh()
    marks = os.path.join(d, "marks")  # a command that runs leaves its mark here
    os.makedirs(marks)
    hooks = os.path.join(d, "hooks")
    for hook in ("post-checkout", "reference-transaction", "pre-auto-gc", "post-index-change"):
        write(os.path.join(hooks, hook), "#!/bin/sh\ntouch %s/%s\n" % (marks, hook))
        os.chmod(os.path.join(hooks, hook), 0o755)
    # Read, the included file would make the repository's objects SHA-256 ones.
    included = os.path.join(d, "included")
    write(included, "[extensions]\n\tobjectformat = sha256\n[core]\n\tfsmonitor = touch %s/inc\n"
          % marks)
    config = HOSTILE_CONFIG.format(marks=marks, hooks=hooks, included=included)
    zed = repo(os.path.join(d, "subs", "zed"), {"os/mm/memm.c": b"Z", "os/mm/memm_slab.c": b"S"})
    zoe = repo(os.path.join(d, "subs", "zoe"), {"os/mm/memm.c": b"Y", "os/mm/memm_slab.c": b"T"})
    blob = subprocess.run(GIT + ["-C", zoe, "rev-parse", "HEAD:os/mm/memm_slab.c"], check=True,
                          capture_output=True, text=True).stdout.strip()
    os.unlink(os.path.join(zoe, ".git/objects", blob[:2], blob[2:]))  # fetched when read
    for r in (zed, zoe):
        write(os.path.join(r, ".git/config"), config)
    # Under git itself, the configuration runs commands.
    subprocess.run(["git", "-C", zoe, "status"], capture_output=True)
    subprocess.run(["git", "-C", zoe, "cat-file", "blob", blob], capture_output=True)
    assert {"inc", "fetch"} <= set(os.listdir(marks)), os.listdir(marks)  # fsmonitor, included
    shutil.rmtree(marks)
    os.makedirs(marks)
    assert read(zed) == {"os/mm/memm.c": b"Z", "os/mm/memm_slab.c": b"S"}
    refused(zoe, "the repository is damaged")
    assert os.listdir(marks) == [], os.listdir(marks)


@test
def a_sha256_repository_is_read_and_an_incremental_bundle_is_refused():
    d = fresh()
    r = os.path.join(d, "sha")
    subprocess.run(GIT + ["init", "-q", "--object-format=sha256", r], check=True)
    write(os.path.join(r, "os/mm/memm.c"), b"long names")
    subprocess.run(GIT + ["-C", r, "add", "-A"], check=True)
    subprocess.run(GIT + ["-C", r, "commit", "-qm", "w"], check=True)
    assert read(r)["os/mm/memm.c"] == b"long names"
    write(os.path.join(r, "os/mm/memm.c"), b"more")
    subprocess.run(GIT + ["-C", r, "commit", "-qam", "w2"], check=True)
    subprocess.run(GIT + ["-C", r, "bundle", "create", os.path.join(d, "inc.bundle"),
                          "HEAD~1..main"], check=True, capture_output=True)
    refused(os.path.join(d, "inc.bundle"), "inc.bundle is an incremental bundle")


def many_members(path, count):
    """A tarball of @count empty members, gzipped a thousand at a time: cheap to make."""
    block = tarfile.TarInfo("f").tobuf(format=tarfile.USTAR_FORMAT)
    with open(path, "wb") as f:
        f.write(gzip.compress(block * 1000) * (count // 1000))


def bomb(path, size):
    """A tarball whose one member is @size zero bytes: a gzip member of its
    header, then gzip members of a MiB of zeros each (about 1 KiB)."""
    info = tarfile.TarInfo("junk")
    info.size = size
    mib = gzip.compress(bytes(1 << 20))
    with open(path, "wb") as f:
        f.write(gzip.compress(info.tobuf(format=tarfile.USTAR_FORMAT)))
        f.write(mib * (size >> 20))


@test
def a_tarball_of_300000_members_or_a_4_GiB_bomb_costs_at_most_its_cap_once():
    d = fresh()
    cache = os.path.join(d, "cache")
    subs_dir = os.path.join(d, "subs")
    os.makedirs(subs_dir)
    many_members(os.path.join(subs_dir, "many.tgz"), 300000)
    bomb(os.path.join(subs_dir, "bomb.tgz"), 4 << 30)
    assert os.path.getsize(os.path.join(subs_dir, "bomb.tgz")) < 5 << 20
    # The caps are lowered to keep this test fast; reading to the real ones
    # costs a few seconds, once.
    with Patched(subs, "MAX_MEMBERS", 2000), Patched(subs, "MAX_READ_BYTES", 16 << 20):
        for name, words in (("many.tgz", "many.tgz has more than 2000 members (the cap)"),
                            ("bomb.tgz", "bomb.tgz holds more than 16 MiB once decompressed "
                                         "(the cap)")):
            start = time.monotonic()
            why = refused(os.path.join(subs_dir, name), words, cache)
            first = time.monotonic() - start
            assert first < 10, (name, first)
            with Patched(tarfile, "open", forbidden):
                assert refused(os.path.join(subs_dir, name), words, cache) == why
    with Patched(subs, "MAX_SECONDS", 0.2):
        refused(os.path.join(subs_dir, "bomb.tgz"), "reading bomb.tgz took more than 0.2 s")


@test
def a_repository_or_a_bundle_past_a_cap_is_refused():
    d = fresh()
    r = repo(os.path.join(d, "rex"), {"os/mm/memm.c": os.urandom(4096)})
    subprocess.run(GIT + ["-C", r, "bundle", "create", os.path.join(d, "bob.bundle"), "--all"],
                   check=True, capture_output=True)
    with Patched(subs, "MAX_READ_BYTES", 2048):
        refused(r, "rex has more than 0 MiB of refs and objects (the cap)")
        refused(os.path.join(d, "bob.bundle"), "bob.bundle is larger than 0 MiB (the cap)")
    for i in range(60):
        write(os.path.join(r, ".git/refs/tags/t%d" % i), "0" * 40 + "\n")
    with Patched(subs, "MAX_MEMBERS", 50):
        refused(r, "rex has more than 50 files in its refs and objects (the cap")


@test
def an_unchanged_submission_is_read_once_and_a_changed_one_again():
    d = fresh()
    cache = os.path.join(d, "cache")
    s = os.path.join(d, "subs")
    r = repo(os.path.join(s, "rae"), {"os/mm/memm.c": b"1"})
    subprocess.run(GIT + ["-C", r, "bundle", "create", os.path.join(s, "bea.bundle"), "--all"],
                   check=True, capture_output=True)
    write(os.path.join(s, "dan", "os/mm/memm.c"), b"1")
    with tarfile.open(os.path.join(s, "tom.tar.bz2"), "w:bz2") as tar:
        add_bytes(tar, "os/mm/memm.c", b"1")
    for name in ("rae", "bea.bundle", "dan", "tom.tar.bz2"):
        assert read(os.path.join(s, name), cache)["os/mm/memm.c"] == b"1", name
    with Patched(subprocess, "run", forbidden), Patched(tarfile, "open", forbidden), \
            Patched(subs, "_read_plain", forbidden):
        for name in ("rae", "bea.bundle", "dan", "tom.tar.bz2"):
            assert read(os.path.join(s, name), cache)["os/mm/memm.c"] == b"1", name
    # A new commit, a new bundle, an edited file, a new tarball: read anew.
    write(os.path.join(r, "os/mm/memm.c"), b"2")
    subprocess.run(GIT + ["-C", r, "commit", "-qam", "two"], check=True)
    os.unlink(os.path.join(s, "bea.bundle"))
    subprocess.run(GIT + ["-C", r, "bundle", "create", os.path.join(s, "bea.bundle"), "--all"],
                   check=True, capture_output=True)
    write(os.path.join(s, "dan", "os/mm/memm.c"), b"2")
    with tarfile.open(os.path.join(s, "tom.tar.bz2"), "w:bz2") as tar:
        add_bytes(tar, "os/mm/memm.c", b"2")
    for name in ("rae", "bea.bundle", "dan", "tom.tar.bz2"):
        assert read(os.path.join(s, name), cache)["os/mm/memm.c"] == b"2", name
    # A damaged cache entry is ignored and written anew.
    write(os.path.join(cache, "tom.json"), b"{not json")
    assert read(os.path.join(s, "tom.tar.bz2"), cache)["os/mm/memm.c"] == b"2"
    with Patched(tarfile, "open", forbidden):
        assert read(os.path.join(s, "tom.tar.bz2"), cache)["os/mm/memm.c"] == b"2"


@test
def a_failure_of_our_tools_is_no_students_and_is_not_cached():
    d = fresh()
    cache = os.path.join(d, "cache")
    r = repo(os.path.join(d, "subs", "ron"), {"os/mm/memm.c": b"R"})
    with Patched(os, "environ", dict(os.environ, PATH="/nonexistent")):
        try:
            read(r, cache)
            raise AssertionError("read without git")
        except subs.ToolError as e:
            assert "git is not installed" in str(e), str(e)
    assert not os.path.exists(os.path.join(cache, "ron.json"))
    assert read(r, cache)["os/mm/memm.c"] == b"R"
    try:
        read(r, os.path.join(cache, "ron.json", "x"))  # a cache inside a file
        raise AssertionError("a cache was written inside a file")
    except subs.ToolError as e:
        assert "cannot write the cache" in str(e), str(e)


@test
def ids_are_safe_names_that_map_back():
    d = fresh()
    names = {"alice=1": "alice%3D1", "alice%3D1": "alice%253D1", "=cmd|x": "%3Dcmd%7Cx",
             "bob\n": "bob%0A", "-rf": "%2Drf", "日本": "%E6%97%A5%E6%9C%AC",
             os.fsdecode(b"\xff"): "%FF", "o'neil": "o%27neil", "a b": "a%20b"}
    for name in names:
        os.makedirs(os.path.join(d, name))
    os.makedirs(os.path.join(os.fsencode(d), b"\xfe.git"))
    with open(os.path.join(d, "=cmd|x.tgz"), "wb"):
        pass
    found, dups = subs.find(d)
    got = {s.name: s.id for s in found}
    expected = dict(names)
    del expected["=cmd|x"]
    expected[os.fsdecode(b"\xfe")] = "%FE"
    assert got == expected, got
    assert dups == {"%3Dcmd%7Cx": ["%3Dcmd%7Cx", "%3Dcmd%7Cx.tgz"]}, dups
    for name, safe in names.items():
        assert class_ids.safe_id(name) == safe and class_ids.original_id(safe) == name, name
    for bad in ("", "a=b", "%2e", "%zz", ".x"):
        try:
            class_ids.original_id(bad)
            raise AssertionError("%r mapped back" % bad)
        except ValueError:
            pass
    # A name of 255 characters, each encoded in three, is too long for a file
    # name: cut, and told apart by a hash of the whole name.
    long_ids = {class_ids.safe_id(n) for n in ("=" * 255, "=" * 254 + "+", "a" * 255)}
    assert len(long_ids) == 3 and all(len(i) <= class_ids.LONGEST and "~" in i
                                      for i in long_ids), long_ids
    cells = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "ann", "a=b", "", 5, -3, None]
    assert [class_ids.csv_cell(c) for c in cells] == \
        ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "ann", "a=b", "", "5", "-3", ""]


if __name__ == "__main__":
    try:
        status = tap.run(TESTS, "grade-class", sys.argv[1] if len(sys.argv) > 1 else None)
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    sys.exit(status)
