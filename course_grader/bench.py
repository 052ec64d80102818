"""Grading throughput on generated submissions (a benchmark: it prints figures, it asserts nothing).

``python -m course_grader bench --count 100 --compare 1,2`` copies the
generated course folder (and, with SQLite, the gradebook) to a scratch folder,
writes ``count`` submissions of one assignment (a mix of complete, partial
and blank answers, each under its own student id) and grades them once per
worker count, from the same starting point. The instructor's gradebook is
not touched.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import nbformat

from .course import AssignmentError, load_spec, solution_version
from .settings import Settings


def machine_cpu_seconds() -> float:
    """CPU time the whole machine has spent busy since it started (every process), from /proc/stat.

    The kernels run in sandboxes whose processes are not children this process can account for,
    so the machine's figure is the one that covers grading (and whatever else runs meanwhile).
    Linux only; 0.0 elsewhere.
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def make_submissions(settings: Settings, assignment: str, count: int, folder: Path) -> None:
    """Write ``count`` submissions: every third complete, every third half answered, the rest blank."""
    spec = load_spec(settings, assignment)
    answers = spec.answer_ids
    full = solution_version(settings, assignment)
    half = solution_version(settings, assignment, answered=set(answers[: len(answers) // 2]))
    blank = nbformat.read(settings.course_dir / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    for i in range(count):
        target = folder / f"student{i:03d}" / assignment
        target.mkdir(parents=True)
        nbformat.write((full, half, blank)[i % 3], target / f"{assignment}.ipynb")


def main(settings: Settings, *, count: int, assignment: str, workers: list[int]) -> int:
    from .pipeline import grade

    if not (settings.course_dir / "release" / assignment).is_dir():
        raise AssignmentError(f"assignment {assignment} is not generated; run `make assignments` first.")
    scratch = Path(tempfile.mkdtemp(prefix="course-grading-bench-"))
    try:
        submissions = scratch / "submissions"
        base = replace(settings, course_dir=scratch / "course-template")
        shutil.copytree(settings.course_dir / "source", base.course_dir / "source")
        shutil.copytree(settings.course_dir / "release", base.course_dir / "release")
        if settings.is_sqlite:
            shutil.copy2(settings.course_dir / "gradebook.db", base.course_dir / "gradebook.db")
        make_submissions(base, assignment, count, submissions)
        print(f"{count} generated submissions of {assignment} on {os.cpu_count()} CPU cores "
              f"(timeout {settings.timeout} s per cell)")
        figures = []
        for n in workers:
            course = scratch / f"course-{n}"
            shutil.copytree(base.course_dir, course)
            run_settings = replace(base, course_dir=course, workers=n)
            busy = machine_cpu_seconds()
            started = time.perf_counter()
            run = grade(run_settings, submissions, scratch / f"out-{n}", feedback=True, log=lambda *_: None)
            seconds = time.perf_counter() - started
            busy = machine_cpu_seconds() - busy
            graded = sum(1 for r in run.rows if r["status"] == "graded")
            figures.append((n, seconds))
            print(f"workers={n}: {graded}/{count} graded in {seconds:.1f} s = {count / seconds * 60:.1f} "
                  f"submissions per minute ({seconds / count:.2f} s each); the machine's CPU was busy "
                  f"{busy:.1f} s = {busy / seconds:.2f} of {os.cpu_count()} cores")
        if len(figures) > 1:
            (n0, s0), (n1, s1) = figures[0], figures[-1]
            print(f"speed-up from {n0} to {n1} workers: {s0 / s1:.2f}x")
        return 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
