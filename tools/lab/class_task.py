"""Grade one submission of a class: one task of tools/grade-class (local or Slurm).

The task is the trusted side of one grade. It checks the grading tree
against its hash (class_base.py), makes the grade's scratch directory:

    work/<id>/jail/build   a copy of the grading tree's build, the jail's only
                           writable directory (the student's files recompile)
    work/<id>/jail/files   the student's files, bound over the starter's
    work/<id>/trusted      the grader's own files: never in a jail's view
                           (but trusted/tmp, read-only, for QEMU's device trees)

and runs the lab's grader (grade.py --jail) outside any jail: it builds and
runs the student's code only in jails (jail.py), judges host tests by their
observations and kernel tests over the console, and writes its results as
JSON after every test. Around the whole grade the task keeps its limits:
wall clock, memory (a cgroup where one can be made, and the resident memory
of every process of the grade), processes and the disk used in the scratch
(`out of resources`), checked four times a second.

It writes, under the class's output directory, each file atomically:

    logs/<id>.log         the grader's lines (hidden tests too): the instructor's
    feedback/<id>.txt     the public tests' results and the points: the student's
    results/<id>.json     status, score, each test's points; written last, so a
                          result with the planned key means the task is done
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import class_base  # noqa: E402
import jail  # noqa: E402

STATUSES = ("graded", "build failed", "timed out", "kernel panicked", "out of memory",
            "out of resources", "unreadable", "grader error")
DISK_BYTES = 2 << 30       # the scratch of one grade (its build is about 20 MiB)
PROCESSES = 256            # every process of one grade (one jail may have 128)
REASON_CHARS = 300         # of a test's reason in the feedback


# ---- limits: a cgroup where one can be had -----------------------------------

class Cgroup:
    """A cgroup (v1 pids and memory controllers, or v2) of one grade, under this
    process's own; None from make() where none can be made (then the task
    relies on jail rlimits and its own watch)."""

    def __init__(self, dirs, version):
        self.dirs, self.version = dirs, version

    @staticmethod
    def make(name, memory):
        own = {}
        try:
            with open("/proc/self/cgroup") as f:
                for line in f:
                    _, controllers, path = line.rstrip("\n").split(":", 2)
                    for c in controllers.split(",") if controllers else ["unified"]:
                        own[c] = path
        except OSError:
            return None
        made = []
        try:
            if "pids" in own and "memory" in own:  # v1
                for c, limits in (("pids", {"pids.max": PROCESSES}),
                                  ("memory", {"memory.limit_in_bytes": memory + (256 << 20)})):
                    d = os.path.join("/sys/fs/cgroup", c, own[c].lstrip("/"), name)
                    os.mkdir(d)
                    made.append(d)
                    for k, v in limits.items():
                        _put(os.path.join(d, k), v)
                return Cgroup(made, 1)
            if "unified" in own and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
                d = os.path.join("/sys/fs/cgroup", own["unified"].lstrip("/"), name)
                os.mkdir(d)
                made.append(d)
                _put(os.path.join(d, "pids.max"), PROCESSES)
                _put(os.path.join(d, "memory.max"), memory + (256 << 20))
                return Cgroup(made, 2)
        except OSError:
            for d in made:
                _rmdir(d)
        return None

    def join(self):
        """Put the calling process in (from the child, before it execs the grader)."""
        for d in self.dirs:
            _put(os.path.join(d, "cgroup.procs"), os.getpid())

    def hit(self):
        """None, "out of resources" (a fork was refused) or "out of memory"."""
        for d in self.dirs:
            for name, key, verdict in (("pids.events", "max", "out of resources"),
                                       ("memory.events", "oom_kill", "out of memory"),
                                       ("memory.oom_control", "oom_kill", "out of memory")):
                for line in _lines(os.path.join(d, name)):
                    k, _, v = line.partition(" ")
                    if k == key and v.strip().isdigit() and int(v) > 0:
                        return verdict
        return None

    def remove(self):
        for d in self.dirs:
            for _ in range(50):
                pids = [int(p) for p in _lines(os.path.join(d, "cgroup.procs")) if p]
                for p in pids:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                if _rmdir(d) or not pids and not os.path.isdir(d):
                    break
                time.sleep(0.05)

    def describe(self):
        return "cgroup v%d (%s)" % (self.version, ", ".join(self.dirs))


def _put(path, value):
    with open(path, "w") as f:
        f.write("%s\n" % value)


def _lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def _rmdir(path):
    try:
        os.rmdir(path)
        return True
    except OSError:
        return False


# ---- the watch over one grade ---------------------------------------------------

def _children():
    """{pid: [child pids]} of every process of this machine."""
    kids = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/%s/stat" % name) as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(name))
    return kids


def _tree(pid):
    kids, todo, found = _children(), [pid], []
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(kids.get(p, []))
    return found


def _resident_bytes(pids):
    total = 0
    for p in pids:
        try:
            with open("/proc/%d/statm" % p) as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


def _disk_bytes(path):
    total = 0
    for root, dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except OSError:
                pass
    return total


def _kill_tree(pid):
    for p in reversed(_tree(pid)):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def supervise(cmd, cwd, env, log, timeout, memory, scratch, cgroup):
    """Run @cmd (the trusted grader) with its output in @log; (verdict,
    seconds): verdict is None, "timed out", "out of memory" or "out of
    resources" (then every process of the grade was killed)."""
    start, verdict, last_disk = time.monotonic(), None, 0.0
    with open(log, "wb") as f:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True,
                                preexec_fn=cgroup.join if cgroup else None)

    def stop(signum, frame):  # parallel and scancel send SIGTERM: take the grade along
        _kill_tree(proc.pid)
        if cgroup:
            cgroup.remove()
        sys.exit(128 + signum)
    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while proc.poll() is None:
            pids = _tree(proc.pid)
            now = time.monotonic()
            if now - start > timeout:
                verdict = "timed out"
            elif (cgroup and cgroup.hit()) or len(pids) >= PROCESSES // 2:
                verdict = (cgroup and cgroup.hit()) or "out of resources"
            elif _resident_bytes(pids) > memory:
                verdict = "out of memory"
            elif now - last_disk > 1.0:
                last_disk = now
                if _disk_bytes(scratch) > DISK_BYTES:
                    verdict = "out of resources"
            if verdict:
                _kill_tree(proc.pid)
                proc.wait()
                break
            time.sleep(0.25)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    if verdict is None and cgroup:
        verdict = cgroup.hit()  # the kernel refused a fork or killed for memory
    return verdict, time.monotonic() - start


# ---- one grade ------------------------------------------------------------------

def status_of(verdict, grade):
    if verdict:
        return verdict
    if grade is None or not grade.get("complete"):
        return "grader error"
    reasons = [t["reason"] or "" for t in grade["tests"]]
    if any(r.startswith("build failed") for r in reasons):
        return "build failed"
    if any(r.startswith("panic:") for r in reasons):
        return "kernel panicked"
    return "graded"


def sanitise(text, limit=REASON_CHARS):
    """@text as one line of plain printable ASCII, at most @limit characters:
    what a student's code printed may be part of it."""
    text = re.sub(r"[^\x20-\x7e]", "?", " ".join(str(text).split()))
    return text if len(text) <= limit else text[:limit - 3] + "..."


def public_lines(plan, grade):
    """The public tests' result lines, from the grader's structured results."""
    lines = []
    for t in (grade or {}).get("tests", []):
        if t["name"].startswith("hidden/"):
            continue
        head = "%-4s %3d/%-3d %s" % ("ok" if t["ok"] else "FAIL", t["points"], t["max"],
                                     sanitise(t["name"], 80))
        lines.append(head if t["ok"] else "%s: %s (replay: %s)" % (
            head, sanitise(t["reason"]), sanitise(t["replay"], 120)))
    return lines


def feedback(plan, student, result, lines, missing):
    lab, seed = plan["lab"], plan["seed"]
    public = [(p, n) for p, n in plan["tests"] if not n.startswith("hidden/")]
    got = {n: result["points"].get(n, 0) for _, n in plan["tests"]}
    text = ["Lab %s, %s: %d/%d (%s)" % (lab, student, result["score"], result["max"],
                                        result["status"])]
    if result.get("reason"):
        text.append(result["reason"])
    text.append("Seed %d, the same for the whole class: `make grade SEED=%d` in your "
                "repository runs the public tests as they ran here." % (seed, seed))
    if missing:
        text.append("Not in your submission, so graded as the starter has them: " +
                    ", ".join(missing))
    stopped = result["status"] in ("timed out", "out of memory", "out of resources")
    text += ["", "Public tests%s:" % (", until the grade was stopped" if stopped else "")]
    text += (lines or ["(none ran)"]) + [""]
    if stopped:
        return "\n".join(text) + "\n"
    text.append("Public tests: %d/%d points." % (sum(got[n] for _, n in public),
                                                sum(p for p, _ in public)))
    hidden = [(p, n) for p, n in plan["tests"] if n.startswith("hidden/")]
    if hidden:
        text.append("Hidden tests: %d/%d points (their details are not shown)."
                    % (sum(got[n] for _, n in hidden), sum(p for p, _ in hidden)))
    return "\n".join(text) + "\n"


REASONS = {
    "timed out": "Stopped after %(timeout)d s, the limit for one submission, so it scores 0: "
                 "something never finishes (an endless loop?).",
    "out of memory": "Stopped, so it scores 0: it used more than %(mib)d MiB of memory.",
    "out of resources": "Stopped, so it scores 0: it started more processes than a grade may "
                        "(%(processes)d) or wrote more than %(disk)d MiB (a fork bomb? "
                        "an endless file?).",
    "grader error": "The grader itself failed, not your code; your instructor has its log "
                    "and will grade it again.",
}


def prepare_scratch(plan, student, work):
    """The grade's scratch: the jail's build and files, the trusted side's own."""
    out, base = plan["out"], plan["base"]
    class_base.remove(work)
    os.makedirs(os.path.join(work, "jail"))
    for d in (work, os.path.join(work, "jail")):
        os.chmod(d, 0o755)
    build = os.path.join(work, "jail", "build")
    subprocess.run(["cp", "-a", os.path.join(base, "tree", "build"), build], check=True)
    subprocess.run(["chmod", "-R", "u+w", build], check=True)
    jail.give_to_jail(build)
    files, missing = {}, []
    for path in plan["files"]:
        src = os.path.join(out, "submitted", student, path)
        if os.path.isfile(src) and not os.path.islink(src):
            dest = os.path.join(work, "jail", "files", path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(src, dest)  # a new mtime: make rebuilds it
            os.chmod(dest, 0o444)
            files[path] = dest
        else:
            missing.append(path)
    trusted = os.path.join(work, "trusted")
    tmp, home = os.path.join(trusted, "tmp"), os.path.join(trusted, "home")
    os.makedirs(tmp)
    os.makedirs(home)
    os.chmod(trusted, 0o711)  # the jail's user may pass through to tmp/, see nothing else
    os.chmod(tmp, 0o755)
    hidden = os.path.join(base, "hidden")
    config = {"tree": os.path.join(base, "tree"), "build": build, "files": files,
              "hidden_tests": hidden, "binds": [tmp], "expected": plan["expected"],
              "hidden_files": {"labs/%s/hidden" % plan["lab"]: hidden}
              if os.path.isdir(hidden) else {}}
    with open(os.path.join(trusted, "jail.json"), "w") as f:
        json.dump(config, f, indent=1)
    return missing, trusted


def run(plan, entry):
    """Grade @entry ({id, key}) of @plan; writes its log, feedback and result."""
    out, lab, student = plan["out"], plan["lab"], entry["id"]
    work = os.path.join(out, "work", student)
    log = os.path.join(out, "logs", student + ".log")
    result = {"id": student, "key": entry["key"], "status": "grader error",
              "max": sum(p for p, _ in plan["tests"]), "score": 0, "points": {}, "reason": "",
              "seconds": 0.0}
    broken = class_base.verify(plan["base"])
    grade, verdict, missing, cgroup = None, None, [], None
    if broken:
        _write_text(log, "grader error: %s\n" % broken)
    else:
        missing, trusted = prepare_scratch(plan, student, work)
        grade_json = os.path.join(trusted, "grade.json")
        cmd = class_base.python() + [
            "tools/lab/grade.py", lab, "--hidden", "--seed", str(plan["seed"]),
            "--json", grade_json, "--jail", os.path.join(trusted, "jail.json")]
        env = class_base.clean_env(os.path.join(trusted, "home"))
        env["TMPDIR"] = os.path.join(trusted, "tmp")
        cgroup = Cgroup.make("pagoda-grade-%d-%s" % (os.getpid(), student[:40]),
                             plan["memory"])
        with open(log + ".head", "w") as f:
            f.write("limits: %s; jail: bubblewrap as uid %d\n" % (
                cgroup.describe() if cgroup else "rlimits and the task's watch (no cgroup "
                "can be made here)", jail.jail_uid()))
        try:
            verdict, result["seconds"] = supervise(
                cmd, os.path.join(plan["base"], "tree"), env, log, plan["timeout"],
                plan["memory"], os.path.join(work, "jail"), cgroup)
        finally:
            if cgroup:
                cgroup.remove()
        _prepend(log, log + ".head")
        try:
            with open(grade_json) as f:
                grade = json.load(f)
        except (OSError, ValueError):
            grade = None
    result["status"] = status_of(verdict, grade)
    if grade is not None and result["status"] != "grader error":
        if not verdict:
            result["points"] = {t["name"]: t["points"] for t in grade["tests"]}
            result["score"] = sum(result["points"].values())
    result["reason"] = REASONS.get(result["status"], "") % {
        "timeout": plan["timeout"], "mib": plan["memory"] >> 20, "processes": PROCESSES,
        "disk": DISK_BYTES >> 20}
    write(os.path.join(out, "feedback", student + ".txt"),
          feedback(plan, student, result, public_lines(plan, grade), missing))
    write_result(out, result)
    class_base.remove(work)
    return result


def _write_text(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _prepend(path, head):
    with open(head) as f:
        first = f.read()
    with open(path, errors="replace") as f:
        rest = f.read()
    write(path, first + rest)
    os.remove(head)


def write(path, text):
    """@path holds @text, or what it held: never half of it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_result(out, result):
    write(os.path.join(out, "results", result["id"] + ".json"),
          json.dumps(result, indent=1, sort_keys=True) + "\n")


def main(out, index):
    """Task @index of the plan in @out (0-based, as Slurm's array index)."""
    with open(os.path.join(out, "plan.json")) as f:
        plan = json.load(f)
    entry = plan["todo"][int(index)]
    try:
        r = run(plan, entry)
    except Exception:  # noqa: BLE001 - our failure: a result that says so, graded again
        import traceback
        log = os.path.join(out, "logs", entry["id"] + ".log")
        _write_text(log, "grader error:\n" + traceback.format_exc())
        r = {"id": entry["id"], "key": entry["key"], "status": "grader error", "score": 0,
             "max": sum(p for p, _ in plan["tests"]), "points": {},
             "reason": REASONS["grader error"], "seconds": 0.0}
        write(os.path.join(out, "feedback", entry["id"] + ".txt"),
              feedback(plan, entry["id"], r, [], []))
        write_result(out, r)
        class_base.remove(os.path.join(out, "work", entry["id"]))
    print("%s: %s %d/%d" % (entry["id"], r["status"], r["score"], r["max"]), flush=True)
    return 0
