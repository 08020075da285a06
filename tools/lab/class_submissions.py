"""A class's submissions: find them, and read a lab's student files out of each.

A directory of submissions holds one entry per student, named by the
student's name (class_ids.safe_id makes the id of it that the grader uses):

    <name>/        a git repository: the files of its HEAD commit (what the
                   student committed, not what lies uncommitted in it);
                   a directory that is no repository: its files
    <name>.git/    a bare git repository (its HEAD)
    <name>.bundle  a git bundle (its HEAD, else main, master or its only branch)
    <name>.tar  .tar.gz  .tgz  .tar.xz  .txz  .tar.bz2  .tbz2
                   a tarball of a handout repository: its files, at the top
                   or under one directory (`alice/os/mm/memm.c`)

Only the lab's student files are read, as bytes: nothing of a submission is
unpacked, checked out or run, and no symbolic link is followed, so a link, a
`..` in a tarball or a git hook cannot reach outside it. Names starting with
`.` are ignored.

A repository is read only if its objects are its own: one whose `.git`, or
anything in it that git reads (HEAD, config, refs, packed-refs, objects,
info, worktrees), is a symbolic link, or that borrows objects from elsewhere
(objects/info/alternates, http-alternates, a commondir or gitdir file, a
`.git` file) is refused. Its HEAD, refs and objects (nothing else: not its
config, hooks or grafts) are copied into a fresh bare repository of ours,
and git reads only that one, without any system, global or student
configuration, so no setting of the student's (core.fsmonitor,
core.hooksPath, include.path, a promisor remote...) takes effect: of its
config, only extensions.objectformat is read, as a plain file. A bundle is cloned by us, and
one that needs commits it does not hold (an incremental or filtered bundle)
is refused.

Reading has caps, so a hostile submission costs little, and only once:

    MAX_MEMBERS     members of a tarball; files and directories of a
                    repository's refs and objects (20,000)
    MAX_READ_BYTES  bytes of a tarball once decompressed; of a bundle; of a
                    repository's refs and objects (256 MiB)
    MAX_SECONDS     seconds to read a tarball, copy a bundle or a
                    repository (20)

With a cache directory, what read_files() found (the files, or why the
submission is unreadable) is kept under a key of everything the reader
looked at (name, kind, size, mtime, inode and ctime of each file and
directory), so an unchanged submission is never opened again, and a changed
one (a new commit, an edited file) is read anew.

SubmissionError is the student's: the submission cannot be read. ToolError
is ours (git missing or stuck, our temporary or cache directory failing):
it is never cached and never blamed on a student.
"""
import base64
import bz2
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
import time
import zlib

import class_ids

TAR_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tbz2", ".tar")
MAX_FILE_BYTES = 1 << 20  # a student file larger than this is no source file
MAX_MEMBERS = 20000  # a handout has a few hundred files
MAX_READ_BYTES = 256 << 20  # a handout is a few MiB, its repository about one
MAX_SECONDS = 20
GIT_SECONDS = 120  # one git command on our copy: a sane one takes far less
CACHE_VERSION = 1  # a change of what is read or how makes old cache entries stale
# What git reads of a repository directory (the rest, hooks and logs, it
# never reads to show a commit); directories among them are walked.
GIT_READS = ("HEAD", "commondir", "config", "gitdir", "info", "objects", "packed-refs",
             "refs", "shallow", "worktrees")
OBJECT = re.compile(r"objects/([0-9a-f]{2}/[0-9a-f]{38}([0-9a-f]{24})?|"
                    r"pack/pack-[0-9a-f]{40,64}\.(pack|idx))")
O_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK


class SubmissionError(Exception):
    """The submission cannot be read; the message says why, in a student's words."""


class ToolError(Exception):
    """The grader's own tools failed (git, our temporary or cache directory):
    a grader error, not the student's."""


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


def _printable(text):
    """@text with each unprintable character as %XX (a link's target, git's words)."""
    return "".join(c if c.isprintable() else
                   "".join("%%%02X" % b for b in os.fsencode(c)) for c in text)


def read_files(sub, paths, cache_dir=None):
    """{path: bytes, or None if the submission lacks it} for each of @paths.

    A file that is not a regular file (a link, a directory) counts as lacking.
    SubmissionError if the submission as a whole cannot be read; ToolError if
    our tools failed. With @cache_dir, an unchanged submission is not read
    again: the files it gave (or why it was unreadable) are taken from there."""
    seen = _look(sub, paths)
    key = _key(sub, paths, seen)
    outcome = _cached(cache_dir, sub, key, paths) if cache_dir else None
    if outcome is None:
        try:
            outcome = {"files": _read(sub, paths, seen)}
        except SubmissionError as e:
            outcome = {"error": str(e)}
        if cache_dir:
            _store(cache_dir, sub, key, outcome)
    if "error" in outcome:
        raise SubmissionError(outcome["error"])
    files = outcome["files"]
    if all(data is None for data in files.values()):
        raise SubmissionError("none of the lab's files (%s) is in %s"
                              % (", ".join(paths), _shown(sub.path)))
    return files


def _read(sub, paths, seen):
    name = _shown(sub.path)
    if sub.kind is None:
        raise SubmissionError("%s is not a git repository, a git bundle or a tarball" % name)
    if sub.kind == "link":
        raise SubmissionError("%s is a symbolic link (to %s), not a submission"
                              % (name, _printable(_readlink(sub.path))))
    if sub.kind == "dir":
        return {p: _read_plain(sub.path, p) for p in paths}
    if sub.kind == "tar":
        return _read_tar(sub.path, paths)
    if sub.kind == "bundle":
        return _read_bundle(sub.path, paths)
    return _read_repo(sub, paths, seen)


def _readlink(path):
    try:
        return os.readlink(path)
    except OSError:
        return "?"


# What the reader looks at, and the cache key made of it.

def _lstat(path):
    """os.lstat(@path), None if it does not exist, the error's name if it cannot be seen."""
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as e:
        return e.strerror or str(e)


def _look(sub, paths):
    """[(relative path, lstat)] of what reading @sub looks at: the entry itself;
    for a directory each step of the way to each of @paths; for a repository
    its .git and all that git reads in it (MAX_MEMBERS + 1 at most)."""
    seen = [("", _lstat(sub.path))]
    if sub.kind == "dir":
        for p in paths:
            rel = ""
            for part in p.split("/"):
                rel = rel + "/" + part if rel else part
                st = _lstat(os.path.join(sub.path, rel))
                seen.append((rel, st))
                if not isinstance(st, os.stat_result) or not stat.S_ISDIR(st.st_mode):
                    break
    elif sub.kind == "git":
        dot_git = _lstat(os.path.join(sub.path, ".git"))
        seen.append((".git", dot_git))
        if isinstance(dot_git, os.stat_result) and stat.S_ISDIR(dot_git.st_mode):
            seen += [(".git/" + rel, st) for rel, st in _walk(os.path.join(sub.path, ".git"))]
        elif dot_git is None:
            seen += _walk(sub.path)
    return seen


def _walk(top):
    """[(relative path, lstat)] of GIT_READS in directory @top and all below the
    directories among them, in a fixed order, no link followed; it stops past
    MAX_MEMBERS entries."""
    found, todo = [], list(reversed(GIT_READS))
    while todo and len(found) <= MAX_MEMBERS:
        rel = todo.pop()
        st = _lstat(os.path.join(top, rel))
        if st is None and "/" in rel:
            continue  # gone while we looked
        found.append((rel, st))
        if isinstance(st, os.stat_result) and stat.S_ISDIR(st.st_mode):
            try:
                names = _names(os.path.join(top, rel), MAX_MEMBERS + 1 - len(found))
            except OSError as e:
                found.append((rel + "/", e.strerror or str(e)))
                continue
            todo += [rel + "/" + n for n in sorted(names, reverse=True)]
    return found


def _names(path, most):
    """At most @most names in directory @path: past them the walk ends anyway,
    and a directory of a million names costs no more than the cap."""
    names = []
    with os.scandir(path) as entries:
        for entry in entries:
            if len(names) >= most:
                break
            names.append(entry.name)
    return names


def _key(sub, paths, seen):
    """A digest of all that reading @sub for @paths depends on."""
    h = hashlib.sha256(json.dumps(
        [CACHE_VERSION, MAX_FILE_BYTES, MAX_MEMBERS, MAX_READ_BYTES, MAX_SECONDS, sub.name,
         os.path.basename(sub.path), sub.kind, list(paths)]).encode())
    for rel, st in seen:
        if isinstance(st, os.stat_result):
            st = [stat.S_IFMT(st.st_mode), st.st_size, st.st_mtime_ns, st.st_ino,
                  st.st_ctime_ns]
        h.update(json.dumps([rel, st]).encode())
    return h.hexdigest()


# The cache: one JSON file per submission, named by its id.

def _cache_file(cache_dir, sub):
    name = sub.id if len(sub.id) <= 200 else hashlib.sha256(sub.id.encode()).hexdigest()
    return os.path.join(cache_dir, name + ".json")


def _cached(cache_dir, sub, key, paths):
    """What reading @sub gave when its key was @key, or None (no entry, another
    key, or a damaged entry: it is then read again and the entry rewritten)."""
    try:
        with open(_cache_file(cache_dir, sub), "rb") as f:
            entry = json.load(f)
        if entry["key"] != key:
            return None
        if entry.get("error") is not None:
            return {"error": str(entry["error"])}
        files = entry["files"]
        if sorted(files) != sorted(paths):
            return None
        return {"files": {p: None if files[p] is None else
                          base64.b64decode(files[p].encode("ascii"), validate=True)
                          for p in paths}}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _store(cache_dir, sub, key, outcome):
    """Keep @outcome of reading @sub under @key; the file is replaced whole,
    never seen half written."""
    entry = {"key": key, "id": sub.id, "error": outcome.get("error")}
    if "files" in outcome:
        entry["files"] = {p: None if data is None else base64.b64encode(data).decode("ascii")
                          for p, data in outcome["files"].items()}
    tmp = None
    try:
        os.makedirs(cache_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=".new-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(entry, f)
        os.replace(tmp, _cache_file(cache_dir, sub))
    except OSError as e:
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        raise ToolError("cannot write the cache in %s (%s)" % (cache_dir, e)) from None


# Plain directories.

def _check_size(path, size):
    if size > MAX_FILE_BYTES:
        raise SubmissionError("%s is larger than %d KiB" % (path, MAX_FILE_BYTES >> 10))


def _read_plain(root, rel):
    """@rel under directory @root, opened step by step so that no step is a link."""
    try:
        fd = os.open(root, O_READ | os.O_DIRECTORY)
    except OSError as e:
        raise SubmissionError("%s cannot be read (%s)" % (_shown(root), e.strerror)) from None
    try:
        for part in rel.split("/")[:-1]:
            step = os.open(part, O_READ | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = step
        f = os.fdopen(os.open(rel.split("/")[-1], O_READ, dir_fd=fd), "rb")
    except OSError:
        return None  # missing, a link (ELOOP), or not a directory on the way
    finally:
        os.close(fd)
    with f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode):
            return None
        _check_size(rel, st.st_size)
        data = f.read(MAX_FILE_BYTES + 1)
        _check_size(rel, len(data))
        return data


# Tarballs.

class _Capped:
    """The data of a tarball, decompressed, as a file that tarfile reads and
    seeks forward in (skipping a member reads past it, a MiB at a time); it
    stops past MAX_READ_BYTES or MAX_SECONDS."""

    def __init__(self, raw, shown):
        self.raw, self.shown, self.pos, self.start = raw, shown, 0, time.monotonic()

    def read(self, size=-1):
        room = MAX_READ_BYTES - self.pos + 1
        data = self.raw.read(room if size is None or size < 0 else min(size, room))
        self.pos += len(data)
        if self.pos > MAX_READ_BYTES:
            raise SubmissionError("%s holds more than %d MiB once decompressed (the cap)"
                                  % (self.shown, MAX_READ_BYTES >> 20))
        self.check_time()
        return data

    def tell(self):
        return self.pos

    def seek(self, pos, whence=os.SEEK_SET):
        if whence != os.SEEK_SET or pos < self.pos:
            raise tarfile.ReadError("a tarball is read forward only")
        while self.pos < pos and self.read(min(pos - self.pos, 1 << 20)):
            pass
        return self.pos

    def check_time(self):
        if time.monotonic() - self.start > MAX_SECONDS:
            raise SubmissionError("reading %s took more than %g s (the cap)"
                                  % (self.shown, MAX_SECONDS))


def _decompressed(f):
    """@f (a tarball, maybe compressed) as the stream of its tar data."""
    magic = f.read(6)
    f.seek(0)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=f, mode="rb")
    if magic.startswith(b"BZh"):
        return bz2.BZ2File(f)
    if magic.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(f)
    return f


def _read_tar(path, paths):
    """A tarball's members named by @paths, at the top or under one directory,
    read front to back within the caps."""
    name = _shown(path)
    found = {}
    try:
        with _open_regular(path) as f:
            stream = _Capped(_decompressed(f), name)
            with tarfile.open(fileobj=stream, mode="r:") as tar:
                for count, member in enumerate(tar, 1):
                    if count > MAX_MEMBERS:
                        raise SubmissionError("%s has more than %d members (the cap)"
                                              % (name, MAX_MEMBERS))
                    stream.check_time()
                    _take(tar, member, paths, found)
    except (tarfile.TarError, EOFError, OSError, zlib.error, lzma.LZMAError) as e:
        raise SubmissionError("%s is not a readable tarball (%s)" % (name, e)) from None
    return {p: found[p][1] if p in found else None for p in paths}


def _take(tar, member, paths, found):
    """Keep @member in @found if it is one of @paths, at the top or under one
    directory, unless one nearer the top was kept (of two alike, the later
    wins, as when the tarball is unpacked)."""
    name = os.path.normpath(member.name).lstrip("/")
    parts = name.split("/")
    data = None
    for depth, candidate in enumerate((name, "/".join(parts[1:]))):
        if candidate in paths and member.isreg() and \
                depth <= found.get(candidate, (2, None))[0]:
            _check_size(candidate, member.size)
            if data is None:  # read once: the tarball is read forward only
                data = tar.extractfile(member).read()
            found[candidate] = (depth, data)


def _open_regular(path):
    """@path opened for reading if it is a regular file (never through a link)."""
    f = os.fdopen(os.open(path, O_READ), "rb")
    if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
        f.close()
        raise SubmissionError("%s is not a regular file" % _shown(path))
    return f


# Git repositories: checked, then their HEAD, refs and objects copied into a
# repository of ours, which alone git reads.

def _read_repo(sub, paths, seen):
    name = _shown(sub.path)
    dot_git = seen[1][1]  # after the entry itself
    if dot_git is not None:
        _check_dot_git(sub.path, dot_git)
    prefix = ".git/" if dot_git is not None else ""
    walked = [(rel[len(prefix):], st) for rel, st in seen[2:]]
    if len(walked) > MAX_MEMBERS:
        raise SubmissionError("%s has more than %d files in its refs and objects (the cap; "
                              "`git gc` packs them)" % (name, MAX_MEMBERS))
    label = "%s/%s" % (name, prefix)  # ann/.git/, bo.git/
    _check_own(label, walked)
    git_dir = os.path.join(sub.path, prefix)
    with _Scratch() as tmp:
        repo = _copy_repo(name, label, git_dir, walked, tmp)
        return _read_git(repo, paths)


def _check_dot_git(path, st):
    """Refuse a .git that is not a directory: a link, or a file naming another one."""
    where = _shown(path) + "/.git"
    if isinstance(st, str):
        raise SubmissionError("%s cannot be read (%s)" % (where, st))
    if stat.S_ISLNK(st.st_mode):
        raise SubmissionError("%s is not a directory: a symbolic link (to %s)"
                              % (where, _printable(_readlink(os.path.join(path, ".git")))))
    if not stat.S_ISDIR(st.st_mode):
        raise SubmissionError("%s is not a directory: a file (a worktree's, naming another "
                              "repository), not a repository of its own" % where)


def _check_own(label, walked):
    """Refuse a repository that reaches elsewhere: a link among what git reads,
    objects borrowed (alternates) or shared (commondir, gitdir)."""
    if not isinstance(dict(walked).get("HEAD"), os.stat_result):
        raise SubmissionError("%s is not a git repository (it has no %sHEAD)"
                              % (label.split("/")[0], label))
    for rel, st in walked:
        where = label + _printable(rel)
        if isinstance(st, str):
            raise SubmissionError("%s cannot be read (%s)" % (where, st))
        if st is None:
            continue
        if stat.S_ISLNK(st.st_mode):
            raise SubmissionError("%s is a symbolic link: a repository's files must be "
                                  "its own" % where)
        if rel in ("commondir", "gitdir"):
            raise SubmissionError("%s names another repository whose objects this one "
                                  "shares: a repository's objects must be its own" % where)
        if rel in ("objects/info/alternates", "objects/info/http-alternates"):
            raise SubmissionError("%s borrows objects from another repository: a "
                                  "repository's objects must be its own" % where)


class _Scratch:
    """A temporary directory of ours, removed after use; failing to make it is ours."""

    def __enter__(self):
        try:
            self.path = tempfile.mkdtemp(prefix="pagoda-read-")
        except OSError as e:
            raise ToolError("cannot make a temporary directory (%s)" % e) from None
        return self.path

    def __exit__(self, *exc):
        shutil.rmtree(self.path, ignore_errors=True)


def _copy_repo(name, label, git_dir, walked, tmp):
    """A bare repository in @tmp with the HEAD, packed-refs, refs and objects
    of @git_dir (as @walked lists them; @label/<file> in messages), and a
    configuration of ours."""
    wanted = [(rel, st) for rel, st in walked if st and stat.S_ISREG(st.st_mode) and (
        rel in ("HEAD", "packed-refs") or rel.startswith("refs/") or OBJECT.fullmatch(rel))]
    total = sum(st.st_size for _, st in wanted)
    if total > MAX_READ_BYTES:
        raise SubmissionError("%s has more than %d MiB of refs and objects (the cap)"
                              % (name, MAX_READ_BYTES >> 20))
    repo = os.path.join(tmp, "repo")
    budget = _Budget("%s has more than %d MiB of refs and objects (the cap)"
                     % (name, MAX_READ_BYTES >> 20), MAX_READ_BYTES, "copying " + name)
    sha256 = _object_format(label, git_dir, walked, tmp, budget)
    _ours(lambda: _init(repo, sha256))
    for rel, _ in wanted:
        _copy(os.path.join(git_dir, rel), os.path.join(repo, rel), budget, label + rel)
    return repo


def _object_format(label, git_dir, walked, tmp, budget):
    """Whether the repository's objects are named by SHA-256, as its config
    says (read by git as a plain file: no include is followed)."""
    if not any(rel == "config" and st and stat.S_ISREG(st.st_mode) for rel, st in walked):
        return False
    config = os.path.join(tmp, "their-config")
    _copy(os.path.join(git_dir, "config"), config, budget, label + "config")
    with open(config, "rb") as f:
        if b"objectformat" not in f.read().lower():
            return False  # a name in git's config is written out whole: spare a git
    r = _git(tmp, "config", "--file", config, "--no-includes", "--get",
             "extensions.objectformat")
    value = r.stdout.decode(errors="replace").strip().lower()
    if r.returncode == 0 and value not in ("sha1", "sha256"):
        raise SubmissionError("%sconfig names an unknown object format (%s)"
                              % (label, _printable(value[:40])))
    return r.returncode == 0 and value == "sha256"


def _init(repo, sha256):
    """An empty bare repository of ours at @repo."""
    for d in ("objects/pack", "refs"):
        os.makedirs(os.path.join(repo, d))
    with open(os.path.join(repo, "config"), "w") as f:
        f.write("[core]\n\trepositoryformatversion = %d\n\tbare = true\n" % sha256)
        if sha256:
            f.write("[extensions]\n\tobjectformat = sha256\n")


def _ours(action):
    """Run @action, which touches only our own files: its OSError is ours."""
    try:
        return action()
    except OSError as e:
        raise ToolError("cannot write our copy of a submission (%s)" % e) from None


class _Budget:
    """The bytes and seconds a copy may still take: past them, @too_big or
    `@doing took more than MAX_SECONDS`."""

    def __init__(self, too_big, left, doing):
        self.too_big, self.left, self.doing = too_big, left, doing
        self.start = time.monotonic()

    def spend(self, n):
        self.left -= n
        if self.left < 0:
            raise SubmissionError(self.too_big)
        if time.monotonic() - self.start > MAX_SECONDS:
            raise SubmissionError("%s took more than %g s (the cap)" % (self.doing, MAX_SECONDS))


def _copy(src, dst, budget, where):
    """Copy the regular file @src (never through a link; @where in messages) to our @dst."""
    try:
        f = _open_regular(src)
    except OSError as e:
        raise SubmissionError("%s cannot be read (%s)" % (_printable(where), e.strerror)) \
            from None
    with f:
        _ours(lambda: os.makedirs(os.path.dirname(dst), exist_ok=True))
        out = _ours(lambda: open(dst, "wb"))
        with out:
            while True:
                try:
                    chunk = f.read(1 << 20)
                except OSError as e:
                    raise SubmissionError("%s cannot be read (%s)"
                                          % (_printable(where), e.strerror)) from None
                if not chunk:
                    return
                budget.spend(len(chunk))
                _ours(lambda: out.write(chunk))


def _git(where, *args, git_dir=None):
    """Run git in our directory @where (on our repository @git_dir, if any):
    no system, global or student configuration, no repository found above
    @where, nothing of the grader's GIT_* environment, no replace refs,
    literal paths. git missing or stuck is our failure (ToolError)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0",
               GIT_NO_REPLACE_OBJECTS="1", GIT_LITERAL_PATHSPECS="1", LC_ALL="C",
               GIT_CEILING_DIRECTORIES=os.path.dirname(os.path.abspath(where)))
    cmd = ["git"] + (["--git-dir=" + git_dir] if git_dir else []) + list(args)
    try:
        return subprocess.run(cmd, capture_output=True, env=env, timeout=GIT_SECONDS,
                              stdin=subprocess.DEVNULL, cwd=where)
    except FileNotFoundError:
        raise ToolError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise ToolError("git %s took more than %d s" % (args[0], GIT_SECONDS)) from None
    except OSError as e:
        raise ToolError("cannot run git (%s)" % e) from None


def _git_on(git_dir, *args):
    """Run git on our repository @git_dir."""
    return _git(git_dir, *args, git_dir=git_dir)


def _complaint(r):
    return _printable(" ".join(r.stderr.decode(errors="replace").split())[:200])


def _commit(git_dir):
    for ref in ("HEAD", "refs/heads/main", "refs/heads/master"):
        r = _git_on(git_dir, "rev-parse", "--verify", "-q", ref + "^{commit}")
        if r.returncode == 0:
            return r.stdout.decode().strip()
    r = _git_on(git_dir, "for-each-ref", "--count=1", "--format=%(objectname)", "refs/heads")
    if r.returncode == 0 and r.stdout.strip():
        return r.stdout.decode().strip()
    raise SubmissionError("the repository has no commit (was the work ever committed?)")


def _read_git(git_dir, paths):
    """@paths in the HEAD commit of our repository @git_dir: regular files only."""
    commit = _commit(git_dir)
    r = _git_on(git_dir, "ls-tree", "-z", "-l", "--full-tree", commit, "--", *paths)
    if r.returncode != 0:
        raise SubmissionError("the repository is damaged (%s)" % _complaint(r))
    files = dict.fromkeys(paths)
    for entry in r.stdout.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        fields = meta.decode(errors="replace").split()
        path = path.decode("utf-8", "surrogateescape")
        if len(fields) != 4 or path not in files or fields[1] != "blob" or \
                fields[0] not in ("100644", "100755"):
            continue
        if not fields[3].isdigit():
            raise SubmissionError("the repository is damaged (%s lacks its object)" % path)
        _check_size(path, int(fields[3]))
        r = _git_on(git_dir, "cat-file", "blob", fields[2])
        if r.returncode != 0:
            raise SubmissionError("the repository is damaged (%s)" % _complaint(r))
        files[path] = r.stdout
    return files


# Bundles: copied, checked, and cloned by us.

def _read_bundle(path, paths):
    name = _shown(path)
    with _Scratch() as tmp:
        copy = os.path.join(tmp, "submitted.bundle")
        try:
            with _open_regular(path) as f:
                _check_bundle(name, f)
        except OSError as e:
            raise SubmissionError("%s cannot be read (%s)" % (name, e.strerror)) from None
        _copy(path, copy, _Budget("%s is larger than %d MiB (the cap)"
                                  % (name, MAX_READ_BYTES >> 20), MAX_READ_BYTES,
                                  "copying " + name), name)
        repo = os.path.join(tmp, "repo")
        r = _git(tmp, "clone", "-q", "--bare", "--template=", copy, repo)
        if r.returncode != 0:
            raise SubmissionError("%s is not a readable git bundle (%s)" % (name, _complaint(r)))
        return _read_git(repo, paths)


def _check_bundle(name, f):
    """Refuse a bundle that needs objects it does not hold: one with
    prerequisites (incremental) or a filter (partial)."""
    if f.readline(64) not in (b"# v2 git bundle\n", b"# v3 git bundle\n"):
        raise SubmissionError("%s is not a readable git bundle (no bundle header)" % name)
    for _ in range(MAX_MEMBERS):
        line = f.readline(1 << 16)
        if line in (b"", b"\n"):
            return
        if line.startswith(b"-"):
            raise SubmissionError(
                "%s is an incremental bundle: it needs commits it does not hold (make it "
                "with `git bundle create %s --all`)" % (name, name))
        if line.startswith(b"@filter"):
            raise SubmissionError("%s is a partial bundle (made with --filter): it lacks "
                                  "objects" % name)
    raise SubmissionError("%s has more than %d refs (the cap)" % (name, MAX_MEMBERS))
