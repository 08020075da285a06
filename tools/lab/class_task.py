"""Grade one submission of a class: one task of tools/grade-class (local or Slurm).

The task copies the built grading tree (class_base.py), puts the student's
files in (only those the lab lists; a file the submission lacks stays the
starter's), and runs the lab's grader with the public and the hidden tests
and the class's seed, in a sandbox:

- no network: a network namespace with only a loopback device;
- nothing left behind: a pid namespace (with its own /proc, which LeakSanitizer
  needs), whose processes all die with it;
- a wall-clock limit and a memory limit over all of its processes (the
  resident memory they add up to, checked four times a second).

It writes, under the class's output directory:

    logs/<id>.log         the whole grade (hidden tests too): the instructor's
    feedback/<id>.txt     the public tests' lines and the points: the student's
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

RESULT_LINE = re.compile(r"^(ok|FAIL)\s+(\d+)/(\d+)\s+(\S+?)(:|$)")
STATUSES = ("graded", "build failed", "timed out", "kernel panicked", "out of memory",
            "unreadable", "grader error")


def sandbox(isolate):
    """The command prefix that isolates a grade (none if @isolate is false)."""
    if not isolate:
        return []
    prefix = ["unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]
    return prefix + ([] if os.geteuid() == 0 else ["--map-root-user"])


def sandbox_works():
    """None if sandbox(True) can run here, else why not."""
    try:
        r = subprocess.run(sandbox(True) + ["true"], capture_output=True, text=True)
    except OSError as e:
        return str(e)
    return None if r.returncode == 0 else (r.stderr.strip() or "status %d" % r.returncode)


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


def _kill_tree(pid):
    for p in reversed(_tree(pid)):
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass


def supervise(cmd, cwd, env, log, timeout, memory):
    """Run @cmd with its output in @log; (verdict, seconds): verdict is None,
    "timed out" or "out of memory" (then every process of it was killed)."""
    start, verdict = time.monotonic(), None
    with open(log, "wb") as f:
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def stop(signum, frame):  # parallel and scancel send SIGTERM: take the grade along
        _kill_tree(proc.pid)
        sys.exit(128 + signum)
    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while proc.poll() is None:
            if time.monotonic() - start > timeout:
                verdict = "timed out"
            elif _resident_bytes(_tree(proc.pid)) > memory:
                verdict = "out of memory"
            if verdict:
                _kill_tree(proc.pid)
                proc.wait()
                break
            time.sleep(0.25)
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
    return verdict, time.monotonic() - start


def status_of(verdict, grade):
    if verdict:
        return verdict
    if grade is None:
        return "grader error"
    reasons = [t["reason"] or "" for t in grade["tests"]]
    if any(r.startswith("build failed") for r in reasons):
        return "build failed"
    if any(r.startswith("panic:") for r in reasons):
        return "kernel panicked"
    return "graded"


def public_lines(log):
    """The grader's lines for public tests, in the order it printed them."""
    with open(log, errors="replace") as f:
        return [line.rstrip("\n") for line in f
                if RESULT_LINE.match(line) and not RESULT_LINE.match(line).group(4)
                .startswith("hidden/")]


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
    stopped = result["status"] in ("timed out", "out of memory")
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


def run(plan, entry):
    """Grade @entry ({id, key}) of @plan; writes its log, feedback and result."""
    out, lab, student = plan["out"], plan["lab"], entry["id"]
    work = os.path.join(out, "work", student)
    tree, home = os.path.join(work, "tree"), os.path.join(work, "home")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(home)
    subprocess.run(["cp", "-a", plan["base"], tree], check=True)
    missing = []
    for path in plan["files"]:
        src = os.path.join(out, "submitted", student, path)
        if os.path.isfile(src):
            shutil.copyfile(src, os.path.join(tree, path))  # a new mtime: make rebuilds it
        else:
            missing.append(path)
    log = os.path.join(out, "logs", student + ".log")
    grade_json = os.path.join(work, "grade.json")
    cmd = sandbox(plan["isolate"]) + [
        sys.executable, "tools/lab/grade.py", lab, "--hidden", "--seed", str(plan["seed"]),
        "--json", grade_json]
    verdict, seconds = supervise(cmd, tree, class_base.clean_env(home), log,
                                 plan["timeout"], plan["memory"])
    grade = None
    if verdict is None and os.path.isfile(grade_json):
        with open(grade_json) as f:
            grade = json.load(f)
    status = status_of(verdict, grade)
    result = {"id": student, "key": entry["key"], "status": status,
              "max": sum(p for p, _ in plan["tests"]), "score": 0, "points": {}, "reason": "",
              "seconds": round(seconds, 1)}
    if grade is not None:
        result["points"] = {t["name"]: t["points"] for t in grade["tests"]}
        result["score"] = sum(result["points"].values())
    elif status == "timed out":
        result["reason"] = ("Stopped after %d s, the limit for one submission, so it scores "
                            "0: something never finishes (an endless loop?)." % plan["timeout"])
    elif status == "out of memory":
        result["reason"] = "Stopped, so it scores 0: it used more than %d MiB of memory." % (
            plan["memory"] >> 20)
    else:
        result["reason"] = "The grader itself failed; your instructor has its log."
    write(os.path.join(out, "feedback", student + ".txt"),
          feedback(plan, student, result, public_lines(log), missing))
    write_result(out, result)
    shutil.rmtree(work, ignore_errors=True)
    return result


def write(path, text):
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
    r = run(plan, entry)
    print("%s: %s %d/%d" % (entry["id"], r["status"], r["score"], r["max"]), flush=True)
    return 0
