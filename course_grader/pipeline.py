"""Grade a folder of submissions: intake, sandboxed autograding in parallel workers, export.

:func:`grade` does, in order:

1. records the digest of every file in the submissions folder (and checks at
   the end that none changed: submissions are only ever read);
2. reads each submission (:mod:`course_grader.intake`) and sets aside,
   with a reason, those that cannot be graded;
3. verifies that grading kernels can be isolated here
   (:mod:`course_grader.sandbox`);
4. shards the students over N worker processes, each with a private nbgrader
   course folder inside a private workspace; with SQLite every worker writes
   its own copy of the gradebook and the results are merged afterwards, one
   writer at a time; with PostgreSQL the workers write to the shared gradebook;
5. records the status of every submission, copies the autograded notebooks
   into the course folder (for nbgrader's formgrader) and writes
   ``grades.csv``, ``cells.csv``, ``report.txt`` and ``feedback/`` to the
   output folder.

Grading the same submissions twice gives the same grades: every run starts
from the submitted files and nbgrader's recorded assignment.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import gradebook, intake, sandbox, speedups
from .course import AssignmentError, generated_assignments, load_spec
from .secret import SECRET_VARIABLE
from .settings import DB_URL_VARIABLE, Settings, redact


@dataclass
class GradeRun:
    """What one call of :func:`grade` did."""

    submissions: list[intake.Submission]
    results: dict[tuple[str, str], dict] = field(default_factory=dict)
    workers: int = 0
    seconds: float = 0.0
    sandbox_mode: str = ""
    grades_csv: Path | None = None
    cells_csv: Path | None = None
    report: Path | None = None
    rows: list[dict] = field(default_factory=list)  # the grades.csv rows of this run's submissions

    def row(self, student: str, assignment: str) -> dict:
        for row in self.rows:
            if row["student"] == student and row["assignment"] == assignment:
                return row
        raise KeyError((student, assignment))


def _repository_git(path: Path) -> list[Path]:
    """The ``.git`` of the repository that holds ``path`` (it keeps every committed hidden test)."""
    for folder in [path, *path.parents]:
        if (folder / ".git").exists():
            return [folder / ".git"]
    return []


def _sqlite_path(url: str) -> Path | None:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///"):])
    return None


def _copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database, even while another process reads it."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def parse_shard(text: str) -> tuple[int, int]:
    """``"i/n"`` -> ``(i, n)`` with 1 <= i <= n (ValueError naming the option otherwise)."""
    try:
        index, count = (int(part) for part in str(text).split("/"))
    except ValueError:
        raise ValueError(f"--shard must look like i/n, for example 1/2; got {text!r}.") from None
    if not 1 <= index <= count:
        raise ValueError(f"--shard i/n needs 1 <= i <= n; got {text!r}.")
    return index, count


def shard_of(student: str, count: int) -> int:
    """The shard (1..count) that grades ``student``: the same on every machine and in every run."""
    import hashlib

    digest = hashlib.sha256(student.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def _shards(items: list[intake.Submission], count: int) -> list[list[intake.Submission]]:
    students = sorted({s.student for s in items})
    shards: list[list[intake.Submission]] = [[] for _ in range(min(count, len(students)))]
    for index, student in enumerate(students):
        shards[index % len(shards)].extend(s for s in items if s.student == student)
    return shards


def _prepare_worker(index: int, shard: list[intake.Submission], settings: Settings, ws: Path,
                    sandbox_config: Path, feedback: bool) -> Path:
    root = ws / f"worker{index}" / "course"
    (root / "submitted").mkdir(parents=True)
    db_url = settings.gradebook_url
    if settings.is_sqlite:
        local = root / "gradebook.db"
        _copy_sqlite(_sqlite_path(db_url), local)
        db_url = f"sqlite:///{local}"
    for sub in shard:
        folder = root / "submitted" / sub.student / sub.assignment
        folder.mkdir(parents=True)
        nbformat.write(sub.notebook, folder / f"{sub.assignment}.ipynb")
        if sub.timestamp:
            (folder / "timestamp.txt").write_text(sub.timestamp, encoding="utf-8")
    job = {
        "course_root": str(root),
        "db_url": db_url if settings.is_sqlite else "",  # PostgreSQL: from the environment, never on disk
        "timeout": settings.timeout,
        "notebook_timeout": settings.notebook_timeout,
        "memory_limit_mb": settings.memory_limit_mb,
        "max_processes": settings.max_processes,
        "cpu_seconds": settings.cpu_seconds,
        "cell_output_kb": settings.cell_output_kb,
        "notebook_output_kb": settings.notebook_output_kb,
        "sandbox_config": str(sandbox_config),
        "feedback": feedback,
        "source": str(settings.source),
        "judge": settings.judge,
        "fork_kernels": settings.fork_kernels,
        "items": [{"student": s.student, "assignment": s.assignment} for s in shard],
    }
    path = ws / f"worker{index}" / "job.json"
    path.write_text(json.dumps(job, indent=1), encoding="utf-8")
    return path


def _read_results(job: Path) -> list[dict]:
    """What a worker has reported so far (its ``results.json``, which it replaces whole after each item)."""
    done = job.parent / "results.json"
    try:
        return json.loads(done.read_text(encoding="utf-8")) if done.is_file() else []
    except ValueError:  # never half-written (the worker renames a complete file into place)
        return []


def _run_workers(jobs: list[Path], settings: Settings, log, secret: bytes,
                 on_results=None) -> dict[tuple[str, str], dict]:
    """Run one worker process per job; return every submission's result.

    ``on_results(index, entries)`` is called in this process with the results that worker
    ``index`` has reported since the last call (it looks every second), while the workers go
    on grading: merging the gradebooks then overlaps the grading instead of following it.
    """
    env = dict(os.environ)
    env[SECRET_VARIABLE] = secret.decode("utf-8")
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    if not settings.is_sqlite:
        env[DB_URL_VARIABLE] = settings.gradebook_url
    procs = []
    results: dict[tuple[str, str], dict] = {}
    seen: list[int] = [0] * len(jobs)

    def collect(index: int, job: Path) -> None:
        entries = _read_results(job)
        new = entries[seen[index]:]
        for entry in new:
            results[(entry["assignment"], entry["student"])] = entry
        seen[index] = max(seen[index], len(entries))
        if new and on_results is not None:
            on_results(index, new)

    try:
        for job in jobs:
            logfile = (job.parent / "worker.log").open("w", encoding="utf-8")
            procs.append((job, logfile, subprocess.Popen(
                [sys.executable, "-m", "course_grader.worker", str(job)],
                stdout=logfile, stderr=subprocess.STDOUT, env=env, cwd=job.parent,
            )))
        while any(proc.poll() is None for _, _, proc in procs):
            for index, (job, _, _) in enumerate(procs):
                collect(index, job)
            time.sleep(1.0)
    finally:
        for _, logfile, proc in procs:
            if proc.poll() is None:  # only after an error here: no worker may outlive the run
                proc.kill()
            proc.wait()
            logfile.close()
    for index, (job, _, proc) in enumerate(procs):
        collect(index, job)
        code = proc.returncode
        if code != 0:
            tail = (job.parent / "worker.log").read_text(encoding="utf-8", errors="replace")[-1500:]
            log(f"worker {job.parent.name} stopped with exit status {code}:\n{tail}")
            for item in json.loads(job.read_text(encoding="utf-8"))["items"]:
                key = (item["assignment"], item["student"])
                reason = f"the grading worker stopped (exit status {code}) before this submission"
                results.setdefault(key, {**item, "status": "ungradable", "reason": reason})
    return results


def _copy_results(ws: Path, index_of: dict[str, int], settings: Settings, out_dir: Path,
                  results: dict[tuple[str, str], dict]) -> None:
    for (assignment, student), entry in results.items():
        worker_root = ws / f"worker{index_of[student]}" / "course"
        graded = worker_root / "autograded" / student / assignment
        target = settings.course_dir / "autograded" / student / assignment
        feedback_target = out_dir / "feedback" / student / assignment
        for folder in (target, feedback_target):
            if folder.exists():
                shutil.rmtree(folder)
        if entry["status"] == "graded" and graded.is_dir():
            shutil.copytree(graded, target)
            feedback = worker_root / "feedback" / student / assignment
            if feedback.is_dir():
                shutil.copytree(feedback, feedback_target)


def _write_not_graded(out_dir: Path, sub: intake.Submission, reason: str) -> None:
    if "(none)" in (sub.student, sub.assignment):
        return  # not a submission of a known student and assignment: only the report names it
    folder = out_dir / "feedback" / sub.student / sub.assignment
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "NOT_GRADED.txt").write_text(
        f"Your submission of {sub.assignment} could not be graded automatically.\nReason: {reason}\n"
        "Please contact your instructor.\n", encoding="utf-8")


def _report(run: GradeRun, settings: Settings, path: Path) -> None:
    graded = sum(1 for row in run.rows if row["status"] == "graded")
    lines = [
        f"{len(run.rows)} submissions: {graded} graded, {len(run.rows) - graded} could not be graded; "
        f"{run.seconds:.1f} s with {run.workers} workers",
        f"sandbox: {run.sandbox_mode}; gradebook: {redact(settings.gradebook_url)}",
        "",
    ]
    for row in run.rows:
        head = f"{row['student']} / {row['assignment']}: {row['status']}"
        if row["status"] == "graded":
            head += f", {row['score']} of {row['max_score']} points"
            if row["written_to_grade"] not in ("", "0"):
                head += f" ({row['written_to_grade']} written answer(s) still to grade by hand)"
        else:
            head += f" - {row['reason']}"
        lines.append(head)
        if row["notes"]:
            lines.extend(f"    note: {n}" for n in row["notes"].split("; "))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def grade(
    settings: Settings,
    submissions_dir: Path,
    out_dir: Path,
    *,
    assignments: list[str] | None = None,
    feedback: bool = True,
    keep_workspace: bool = False,
    shard: tuple[int, int] | None = None,
    log=print,
) -> GradeRun:
    """Autograde every submission below ``submissions_dir``; write grades, report and feedback to ``out_dir``.

    ``shard=(i, n)`` grades only the students of share ``i`` of ``n`` (:func:`shard_of`), so that
    ``n`` graders, each on its own machine, grade a class into one PostgreSQL gradebook. A shard
    that is run again grades its share again, replacing its earlier rows.
    """
    if shard is not None:
        if settings.is_sqlite:
            raise ValueError("--shard needs a shared PostgreSQL gradebook (db_url or COURSE_GRADING_DB_URL); "
                             "with SQLite each machine would have a gradebook of its own.")
        parse_shard(f"{shard[0]}/{shard[1]}")
    started = time.monotonic()
    speedups.install()  # this process opens the gradebook for every merge: one engine, not one each time
    submissions_dir, out_dir = submissions_dir.resolve(), out_dir.resolve()
    names = generated_assignments(settings)
    if not names:
        raise AssignmentError(f"no generated assignments in {settings.course_dir}; run `make assignments` first.")
    specs = {name: load_spec(settings, name) for name in names}
    if assignments:
        unknown = sorted(set(assignments) - set(specs))
        if unknown:
            raise AssignmentError(f"unknown assignments {unknown}; generated: {names}.")
    if sandbox.inside(out_dir, submissions_dir) or sandbox.inside(submissions_dir, out_dir):
        raise ValueError("the output folder and the submissions folder must not contain each other.")
    secret = settings.secret()  # before anything is graded: without it the hidden tests have no cases
    before = intake.tree_digests(submissions_dir)
    subs = intake.discover(submissions_dir, specs, only=assignments, max_bytes=settings.max_submission_mb * 2**20)
    if shard is not None:
        subs = [s for s in subs if shard_of(s.student, shard[1]) == shard[0]]
    ready = [s for s in subs if s.status == "ready"]
    run = GradeRun(submissions=subs)
    ws = sandbox.workspace()
    plan = None
    try:
        workers = max(1, min(settings.worker_count(), len({s.student for s in ready}) or 1))
        threads = max(1, (os.cpu_count() or 1) // workers)
        secrets = [settings.source, settings.course_dir, ws, submissions_dir, out_dir,
                   *_repository_git(settings.source)]
        if settings.secret_file:
            secrets.append(Path(settings.secret_file))
        db_file = _sqlite_path(settings.gradebook_url)
        if db_file is not None:
            secrets.append(db_file)
        kernel_limits = sandbox.limits(settings.memory_limit_mb, settings.max_processes, settings.cpu_seconds)
        config, plan = sandbox.prepare(settings.sandbox, secrets=secrets, workdir=ws, user=settings.sandbox_user,
                                       threads=threads, kernel_limits=kernel_limits)
        run.sandbox_mode = plan.mode + (f" ({'; '.join(plan.notes)})" if plan.notes else "")
        results: dict[tuple[str, str], dict] = {}
        index_of: dict[str, int] = {}
        if ready:
            shards = _shards(ready, workers)
            run.workers = len(shards)
            jobs = []
            for i, shard in enumerate(shards):
                for sub in shard:
                    index_of[sub.student] = i
                jobs.append(_prepare_worker(i, shard, settings, ws, config, feedback))
            log(f"autograding {len(ready)} submissions with {len(shards)} workers (sandbox: {plan.mode})")
            merged: set[tuple[str, str]] = set()

            def merge_graded(index: int, entries: list[dict]) -> None:
                # With SQLite each worker has a gradebook of its own: its grades are copied into the
                # course's gradebook as soon as it reports them, while the workers go on.
                keys = [(e["assignment"], e["student"]) for e in entries if e["status"] == "graded"]
                keys = [k for k in keys if k not in merged]
                if settings.is_sqlite and keys:
                    worker_db = ws / f"worker{index}" / "course" / "gradebook.db"
                    gradebook.merge(f"sqlite:///{worker_db}", settings.gradebook_url, keys)
                    merged.update(keys)

            results = _run_workers(jobs, settings, log, secret, on_results=merge_graded)
            _copy_results(ws, index_of, settings, out_dir, results)
        statuses = []
        for sub in subs:
            (out_dir / "logs" / sub.student / f"{sub.assignment}.log").unlink(missing_ok=True)
            notes = list(sub.notes)
            reason = sub.reason
            status = sub.status
            if sub.status == "ready":
                entry = results.get(sub.key, {"status": "ungradable", "reason": "no result from the grading worker"})
                status = entry["status"]
                reason = entry.get("reason", "")
                notes.extend(entry.get("notes", []))
            if status != "graded" and sub.assignment in specs:
                gradebook.forget(settings.gradebook_url, sub.assignment, sub.student)
                shutil.rmtree(settings.course_dir / "autograded" / sub.student / sub.assignment, ignore_errors=True)
            if status != "graded":
                _write_not_graded(out_dir, sub, reason)
                if sub.status == "ready" and results.get(sub.key, {}).get("log"):
                    log_file = out_dir / "logs" / sub.student / f"{sub.assignment}.log"
                    log_file.parent.mkdir(parents=True, exist_ok=True)
                    log_file.write_text(results[sub.key]["log"], encoding="utf-8")
                    notes.append(f"nbgrader's log: {log_file.relative_to(out_dir)}")
            statuses.append(gradebook.Status(sub.assignment, sub.student, status, reason, tuple(notes), sub.files))
        gradebook.record(settings.gradebook_url, statuses)
        run.results = results
        run.grades_csv, run.cells_csv = gradebook.export(settings.gradebook_url, out_dir)
        run.rows, _ = gradebook.table(settings.gradebook_url)
        graded_now = {(s.student, s.assignment) for s in subs}
        run.rows = [r for r in run.rows if (r["student"], r["assignment"]) in graded_now]
    finally:
        if not keep_workspace:
            shutil.rmtree(ws, ignore_errors=True)
            if plan is not None:
                sandbox.cleanup(plan)
    after = intake.tree_digests(submissions_dir)
    if after != before:
        changed = sorted(set(before.items()) ^ set(after.items()))
        raise RuntimeError(f"the submissions folder changed during grading (this is a bug): {changed[:5]}")
    run.seconds = time.monotonic() - started
    run.report = out_dir / "report.txt"
    _report(run, settings, run.report)
    _return_to_sudo_user([out_dir, settings.course_dir])
    return run


def _return_to_sudo_user(folders: list[Path]) -> None:
    """Under ``sudo``, give the files written back to the user who ran it (so the formgrader can use them)."""
    if os.geteuid() != 0 or not os.environ.get("SUDO_UID", "").isdigit():
        return
    uid, gid = int(os.environ["SUDO_UID"]), int(os.environ.get("SUDO_GID", os.environ["SUDO_UID"]))
    for folder in folders:
        if not folder.exists():
            continue
        for path in [folder, *folder.rglob("*")]:
            if not path.is_symlink():
                os.chown(path, uid, gid)
