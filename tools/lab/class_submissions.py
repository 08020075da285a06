"""A class's submissions: find them, and read a lab's student files out of each.

A directory of submissions holds one entry per student, named by the
student's name (class_ids.safe_id makes the id of it that the grader uses):

    <id>/          a git repository: the files of its HEAD commit (what the
                   student committed, not what lies uncommitted in it);
                   a directory that is no repository: its files
    <id>.git/      a bare git repository (its HEAD)
    <id>.bundle    a git bundle (its HEAD, else main, master or its only branch)
    <id>.tar  .tar.gz  .tgz  .tar.xz  .tar.bz2
                   a tarball of a handout repository: its files, at the top
                   or under one directory (`alice/os/mm/memm.c`)

Only the lab's student files are read, as bytes: nothing of a submission
is unpacked, checked out or run, so a symbolic link, a `..` in a tarball
or a git hook cannot reach outside it. Names starting with `.` are ignored.
"""
import os
import re
import shutil
import subprocess
import tarfile
import tempfile

import class_ids

TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar")
MAX_FILE_BYTES = 1 << 20  # a student file larger than this is no source file


class SubmissionError(Exception):
    """The submission cannot be read; the message says why, in a student's words."""


class Submission:
    """One student's entry: @id (class_ids.safe_id of @name), @name (the
    student's name as the entry has it), @path, @kind (git, dir, bundle,
    tar, link; None if unknown)."""

    def __init__(self, name, path, kind):
        self.name, self.path, self.kind = name, path, kind
        self.id = class_ids.safe_id(name)

    def __repr__(self):
        return "Submission(%r, %r)" % (self.id, self.kind)


def _strip(name):
    """@name less its suffix: the student's name."""
    for suffix in (".git", ".bundle") + TAR_SUFFIXES:
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return os.path.splitext(name)[0] or name


def _kind_and_name(path, name):
    """(kind, the student's name) of the entry @name at @path."""
    if os.path.islink(path):
        return "link", _strip(name)
    if os.path.isdir(path):
        if name.endswith(".git"):
            return "git", _strip(name)
        return ("git" if os.path.lexists(os.path.join(path, ".git")) else "dir"), name
    if name.endswith(".bundle"):
        return "bundle", _strip(name)
    if name.endswith(TAR_SUFFIXES):
        return "tar", _strip(name)
    return None, _strip(name)


def find(root):
    """The submissions in directory @root, sorted by id.

    Returns (submissions, duplicates): duplicates maps an id that more than one
    entry claims to those entries' names (shown as ids; none of them is graded)."""
    by_id = {}
    for name in sorted(os.listdir(root)):
        if name.startswith("."):
            continue
        path = os.path.join(root, name)
        kind, student = _kind_and_name(path, name)
        sub = Submission(student, path, kind)
        by_id.setdefault(sub.id, []).append(sub)
    subs = [entries[0] for entries in by_id.values() if len(entries) == 1]
    duplicates = {sid: [_shown(e.path) for e in entries]
                  for sid, entries in by_id.items() if len(entries) > 1}
    return sorted(subs, key=lambda s: s.id), duplicates


def _shown(path):
    """The name of the entry at @path as messages show it: as an id, so that
    no control character or stray byte reaches a log or a gradebook."""
    return class_ids.safe_id(os.path.basename(path))


def read_files(sub, paths):
    """{path: bytes, or None if the submission lacks it} for each of @paths.

    A file that is not a regular file (a link, a directory) counts as lacking.
    SubmissionError if the submission as a whole cannot be read."""
    name = os.path.basename(sub.path)
    if sub.kind is None:
        raise SubmissionError("%s is not a git repository, a git bundle or a tarball" % name)
    if sub.kind == "link":
        raise SubmissionError("%s is a symbolic link (to %s), not a submission"
                              % (name, os.readlink(sub.path)))
    if sub.kind == "dir":
        files = {p: _read_plain(sub.path, p) for p in paths}
    elif sub.kind == "tar":
        files = _read_tar(sub.path, paths)
    elif sub.kind == "bundle":
        files = _read_bundle(sub.path, paths)
    else:
        git_dir = os.path.join(sub.path, ".git")
        if os.path.lexists(git_dir) and (os.path.islink(git_dir) or not os.path.isdir(git_dir)):
            raise SubmissionError("%s/.git is not a directory (a link to another repository?)"
                                  % name)
        files = _read_git(git_dir if os.path.isdir(git_dir) else sub.path, paths)
    if all(data is None for data in files.values()):
        raise SubmissionError("none of the lab's files (%s) is in %s" % (", ".join(paths), name))
    return files


def _check_size(path, size):
    if size > MAX_FILE_BYTES:
        raise SubmissionError("%s is larger than %d KiB" % (path, MAX_FILE_BYTES >> 10))


def _read_plain(root, rel):
    """@rel under directory @root, if no part of the way is a symbolic link."""
    path = root
    for part in rel.split("/"):
        path = os.path.join(path, part)
        if os.path.islink(path):
            return None
    if not os.path.isfile(path):
        return None
    _check_size(rel, os.path.getsize(path))
    with open(path, "rb") as f:
        return f.read()


def _read_tar(path, paths):
    """A tarball's members named by @paths, at the top or under one directory."""
    found = {}
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                name = os.path.normpath(member.name).lstrip("/")
                parts = name.split("/")
                for candidate in (name, "/".join(parts[1:])):
                    depth = 0 if candidate == name else 1
                    if candidate in paths and member.isreg() and \
                            depth <= found.get(candidate, (9, None))[0]:
                        _check_size(candidate, member.size)
                        found[candidate] = (depth, tar.extractfile(member).read())
    except (tarfile.TarError, EOFError, OSError) as e:
        raise SubmissionError("%s is not a readable tarball (%s)"
                              % (os.path.basename(path), e)) from None
    return {p: found[p][1] if p in found else None for p in paths}


def _git(git_dir, *args):
    """Run git on @git_dir: plumbing only (no hooks, pager or fsmonitor run), and
    no system or global configuration (the repository's own is read)."""
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull,
               GIT_TERMINAL_PROMPT="0")
    return subprocess.run(["git", "-c", "safe.directory=*", "--git-dir=" + git_dir] +
                          list(args), capture_output=True, env=env)


def _commit(git_dir):
    for ref in ("HEAD", "refs/heads/main", "refs/heads/master"):
        r = _git(git_dir, "rev-parse", "--verify", "-q", ref + "^{commit}")
        if r.returncode == 0:
            return r.stdout.decode().strip()
    r = _git(git_dir, "for-each-ref", "--count=1", "--format=%(objectname)", "refs/heads")
    if r.returncode == 0 and r.stdout.strip():
        return r.stdout.decode().strip()
    raise SubmissionError("the repository has no commit (was the work ever committed?)")


def _read_git(git_dir, paths):
    commit = _commit(git_dir)
    files = {}
    for path in paths:
        r = _git(git_dir, "ls-tree", "-z", commit, "--", path)
        entry = r.stdout.decode(errors="replace").rstrip("\0")
        mode, kind, blob = (entry.split("\t")[0].split() + [None, None, None])[:3]
        if r.returncode != 0 or kind != "blob" or mode not in ("100644", "100755"):
            files[path] = None
            continue
        r = _git(git_dir, "cat-file", "-s", blob)
        if r.returncode == 0:
            _check_size(path, int(r.stdout))
        r = _git(git_dir, "cat-file", "blob", blob)
        files[path] = r.stdout if r.returncode == 0 else None
    return files


def _read_bundle(path, paths):
    tmp = tempfile.mkdtemp(prefix="pagoda-bundle-")
    try:
        r = subprocess.run(["git", "clone", "-q", "--bare", os.path.abspath(path),
                            os.path.join(tmp, "repo")], capture_output=True, text=True)
        if r.returncode != 0:
            raise SubmissionError("%s is not a readable git bundle (%s)" % (
                os.path.basename(path), " ".join(r.stderr.split())[:200]))
        return _read_git(os.path.join(tmp, "repo"), paths)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
