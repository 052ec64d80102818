"""Where the time of grading one submission goes (a benchmark: it prints figures, asserts nothing).

    COURSE_GRADING_SECRET=... .venv/bin/python benchmarks/grading_profile.py [--assignment NAME]

Generates the course for one assignment in a scratch folder, writes the model
solution as one student's submission and grades it with one worker, as
``python -m course_grader grade`` does. The worker runs under this script
instead of ``python -m course_grader.worker``: it times the kernel's start,
every cell it runs, each of nbgrader's autograde preprocessors, the rest of
``autograde`` (nbgrader's own bookkeeping: copying files and gradebook
entries) and the feedback, and writes a cProfile of the whole worker. The
parent times the intake, the workers and the gradebook's export. The
machine's load changes every figure: compare them as shares of one run.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import json
import os
import pstats
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMES_VARIABLE = "COURSE_GRADING_PROFILE_OUT"


def _timed(table: dict, key, function):
    """``function`` wrapped so that each call adds its duration to ``table[key(args)]``."""
    import inspect

    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def waited(*args, **kwargs):
            started = time.perf_counter()
            try:
                return await function(*args, **kwargs)
            finally:
                table[key(*args, **kwargs)].append(time.perf_counter() - started)

        return waited

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            table[key(*args, **kwargs)].append(time.perf_counter() - started)

    return wrapper


def worker(job: str) -> int:
    """The grading worker, timed and profiled."""
    sys.path.insert(0, str(ROOT))
    from course_grader import speedups

    speedups.install()  # as course_grader.worker does, before nbgrader is imported
    from nbgrader.apps import NbGraderAPI

    from course_grader import nbg
    from course_grader import worker as grading_worker

    times: dict[str, list[float]] = defaultdict(list)

    def cell_key(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        return f"cell {index + 1:2d} {meta.get('grade_id') or cell.get('cell_type')}"

    nbg.SandboxedExecute.preprocess_cell = _timed(times, cell_key, nbg.SandboxedExecute.preprocess_cell)
    config = grading_worker._configure
    step_classes = []

    def configure(job_data):
        result = config(job_data)
        for cls in result.Autograde.autograde_preprocessors:
            if cls not in step_classes:
                step_classes.append(cls)
                cls.preprocess = _timed(times, lambda *a, _n=cls.__name__, **k: f"autograde step {_n}",
                                        cls.preprocess)
        return result

    grading_worker._configure = configure
    from nbclient import NotebookClient

    for name, label in (("start_new_kernel", "kernel: start the process"),
                        ("start_new_kernel_client", "kernel: connect and wait until ready"),
                        ("_cleanup_kernel", "kernel: shut down")):
        setattr(NotebookClient, name, _timed(times, lambda *a, _l=label, **k: _l, getattr(NotebookClient, name)))
    NbGraderAPI.autograde = _timed(times, lambda *a, **k: "autograde (total)", NbGraderAPI.autograde)
    NbGraderAPI.generate_feedback = _timed(times, lambda *a, **k: "feedback (total)",
                                           NbGraderAPI.generate_feedback)
    profile = cProfile.Profile()
    started = time.perf_counter()
    profile.enable()
    try:
        code = grading_worker.main([job])
    finally:
        profile.disable()
        times["worker (total)"].append(time.perf_counter() - started)
        import resource

        usage = resource.getrusage(resource.RUSAGE_SELF)
        times["CPU: the worker process"] = [usage.ru_utime + usage.ru_stime]
        out = Path(os.environ[TIMES_VARIABLE])
        profile.dump_stats(str(out.with_suffix(".prof")))
        out.write_text(json.dumps(times, indent=1), encoding="utf-8")
    return code


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="01_activation_functions")
    parser.add_argument("--top", type=int, default=25, help="cProfile lines to print")
    parser.add_argument("--save-profile", type=Path, help="keep the worker's cProfile here (pstats format)")
    parser.add_argument("--count", type=int, default=1,
                        help="grade this many copies of the submission (one worker): the figures per "
                             "submission are then the steady state, without the first one's warm-up")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    import nbformat

    from course_grader import course, pipeline
    from course_grader.settings import load

    scratch = Path(tempfile.mkdtemp(prefix="grading-profile-"))
    settings = load(ROOT / "assignments" / "grading.toml").with_options(
        course_dir=scratch / "course", workers=1, db_url="")
    phases: dict[str, float] = {}
    started = time.perf_counter()
    course.generate(settings, [args.assignment], log=lambda *_: None)
    phases["generate the course (not part of grading)"] = time.perf_counter() - started
    sol = course.solution_version(settings, args.assignment)
    if args.count < 1:
        parser.error(f"--count must be at least 1; got {args.count}")
    students = ["model-student"] + [f"model-student-{i:03d}" for i in range(2, args.count + 1)]
    for student in students:
        target = scratch / "submissions" / student / args.assignment
        target.mkdir(parents=True)
        nbformat.write(sol, target / f"{args.assignment}.ipynb")
    times_file = scratch / "worker-times.json"
    os.environ[TIMES_VARIABLE] = str(times_file)

    real_popen = pipeline.subprocess.Popen

    def popen(command, *a, **k):
        if command[1:3] == ["-m", "course_grader.worker"]:
            command = [command[0], str(Path(__file__).resolve()), "--worker", *command[3:]]
        return real_popen(command, *a, **k)

    pipeline.subprocess.Popen = popen
    parent: dict[str, list[float]] = defaultdict(list)
    pipeline._run_workers = _timed(parent, lambda *a, **k: "workers (processes, total)", pipeline._run_workers)
    pipeline.intake.discover = _timed(parent, lambda *a, **k: "intake: discover", pipeline.intake.discover)
    pipeline.intake.tree_digests = _timed(parent, lambda *a, **k: "intake: digests (before and after)",
                                          pipeline.intake.tree_digests)
    pipeline._prepare_worker = _timed(parent, lambda *a, **k: "prepare the worker's course copy",
                                      pipeline._prepare_worker)
    pipeline.gradebook.merge = _timed(parent, lambda *a, **k: "gradebook: merge the worker's",
                                      pipeline.gradebook.merge)
    pipeline.gradebook.record = _timed(parent, lambda *a, **k: "gradebook: record statuses",
                                       pipeline.gradebook.record)
    pipeline.gradebook.export = _timed(parent, lambda *a, **k: "gradebook: export CSVs",
                                       pipeline.gradebook.export)
    from course_grader.bench import machine_cpu_seconds

    busy = machine_cpu_seconds()
    started = time.perf_counter()
    run = pipeline.grade(settings, scratch / "submissions", scratch / "out", log=lambda *_: None)
    phases["grade (total, parent)"] = time.perf_counter() - started
    busy = machine_cpu_seconds() - busy
    rows = [run.row(student, args.assignment) for student in students]
    row = rows[0]
    print(f"{args.assignment}: {row['status']}, {row['autograded_score']} of {row['autograded_max']} points"
          + (f" ({sum(r['status'] == 'graded' for r in rows)} of {len(rows)} copies graded)" if len(rows) > 1 else ""))
    worker_times = json.loads(times_file.read_text(encoding="utf-8"))
    total = phases["grade (total, parent)"]
    steady = len(students) > 1

    def later(values: list[float]) -> str:
        """The mean of the calls after the first (the steady state of one submission)."""
        return f"{sum(values[1:]) / len(values[1:]):8.3f}" if steady and len(values) > 1 else ""

    print(f"\n{len(students)} submission(s), one worker" + (
        "; 'later' is the mean per submission of the 2nd and later ones" if steady else ""))
    print(f"{'phase':<58} {'seconds':>8} {'share':>6} {'later' if steady else '':>8}")
    for name, seconds in phases.items():
        print(f"{name:<58} {seconds:8.2f} {'' if 'not part' in name else f'{seconds / total:6.1%}'}")
    for name, values in sorted(parent.items()):
        print(f"  parent: {name:<50} {sum(values):8.2f} {sum(values) / total:6.1%}")
    per_later: dict[str, float] = {}
    for name, values in sorted(worker_times.items()):
        seconds = sum(values)
        print(f"  worker: {name:<50} {seconds:8.2f} {seconds / total:6.1%} {later(values)}")
        if len(values) > 1:
            per_later[name] = sum(values[1:]) / len(values[1:])

    def derived(label: str, seconds: float, later_value: float | None) -> None:
        tail = f" {later_value:8.3f}" if steady and later_value is not None else ""
        print(f"  worker: {label:<50} {seconds:8.2f} {seconds / total:6.1%}{tail}")

    def summed(prefix: str, table) -> float:
        return sum(v for k, v in table.items() if k.startswith(prefix))

    cells = summed("cell", {k: sum(v) for k, v in worker_times.items()})
    steps = summed("autograde step", {k: sum(v) for k, v in worker_times.items()})
    autograde = sum(worker_times.get("autograde (total)", [0.0]))
    execute = sum(worker_times.get("autograde step SandboxedExecute", [0.0]))
    derived("cells run in the kernel (sum of the cells above)", cells, summed("cell", per_later))
    derived("autograde outside its steps (nbgrader bookkeeping)", autograde - steps,
            per_later.get("autograde (total)", 0.0) - summed("autograde step", per_later))
    derived("kernel start and shutdown (SandboxedExecute - cells)", execute - cells,
            per_later.get("autograde step SandboxedExecute", 0.0) - summed("cell", per_later))
    start = sum(parent["workers (processes, total)"]) - sum(worker_times["worker (total)"])
    print(f"  parent: {'worker process start and imports (workers - worker)':<50} {start:8.2f} {start / total:6.1%}")
    print(f"CPU seconds of the whole machine while grading (kernels included, and anything else "
          f"running): {busy:.2f}" + (f", {busy / len(students):.2f} per submission" if steady else ""))
    if args.save_profile:
        shutil.copy2(times_file.with_suffix(".prof"), args.save_profile)
    stats = pstats.Stats(str(times_file.with_suffix(".prof")))
    print(f"\ncProfile of the worker, top {args.top} by cumulative time:")
    stats.sort_stats("cumulative").print_stats(args.top)
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        sys.exit(worker(sys.argv[2]))
    sys.exit(main(sys.argv[1:]))
