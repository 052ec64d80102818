"""Command line: ``python -m course_grader COMMAND``.

Commands
--------
generate
    Build nbgrader's course folder from ``assignments/source/*.py``: the
    source notebooks, the gradebook entries and the student versions in
    ``<course_dir>/release/<assignment>/<assignment>.ipynb``.
grade SUBMISSIONS [--out DIR]
    Autograde every ``SUBMISSIONS/<student>/<assignment>/<assignment>.ipynb``
    in isolated kernels, several workers in parallel; write ``grades.csv``,
    ``cells.csv``, ``report.txt`` and ``feedback/`` to ``DIR``.
export [--out DIR]
    Write ``grades.csv`` and ``cells.csv`` again from the gradebook (for
    example after grading the written answers by hand in nbgrader's formgrader).
feedback [--out DIR]
    Render the feedback again from the gradebook, hidden tests removed.
bench [--count 100] [--workers 1,2]
    Measure grading throughput on generated submissions (a copy of the course
    folder is used; the real gradebook is not touched).
doctor
    Check that grading kernels can be isolated on this machine, and how.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .settings import load


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--settings", type=Path, help="settings file (default: assignments/grading.toml)")
    parser.add_argument("--course-dir", type=Path, help="nbgrader course folder (default from the settings)")
    parser.add_argument("--source", type=Path, help="folder of the assignment sources (default from the settings)")
    parser.add_argument("--db-url", help="gradebook address; prefer the variable COURSE_GRADING_DB_URL "
                        "for one with a password")


def _grading_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, help="grading processes (default: one per CPU core)")
    parser.add_argument("--timeout", type=int, help="seconds each cell may run")
    parser.add_argument("--notebook-timeout", type=int, help="seconds a whole notebook may run")
    parser.add_argument("--sandbox", choices=["auto", "namespaces", "userns", "user", "none"],
                        help="how to isolate students' code (default: auto)")
    parser.add_argument("--sandbox-user", help="the account kernels run as when grading as root (default: nobody)")
    parser.add_argument("--secret-file", help="the class secret's file, outside the repository "
                        "(default: $COURSE_GRADING_SECRET, then the settings)")
    parser.add_argument("--judge", choices=["grader", "kernel"],
                        help="where test cells are judged (default: grader; 'kernel' only to show the old weakness)")
    parser.add_argument("--memory-limit", type=int, dest="memory_limit_mb", metavar="MB",
                        help="memory per grading kernel in MB (default 4096)")
    parser.add_argument("--max-processes", type=int, help="processes and threads per grading kernel (default 512)")
    parser.add_argument("--cpu-seconds", type=int, help="CPU time per grading kernel (default 1800)")


def _settings(args: argparse.Namespace):
    settings = load(args.settings)
    return settings.with_options(
        course_dir=args.course_dir, source=args.source, db_url=args.db_url,
        workers=getattr(args, "workers", None), timeout=getattr(args, "timeout", None),
        notebook_timeout=getattr(args, "notebook_timeout", None), sandbox=getattr(args, "sandbox", None),
        sandbox_user=getattr(args, "sandbox_user", None), secret_file=getattr(args, "secret_file", None),
        judge=getattr(args, "judge", None), memory_limit_mb=getattr(args, "memory_limit_mb", None),
        max_processes=getattr(args, "max_processes", None), cpu_seconds=getattr(args, "cpu_seconds", None),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_grader",
        description="Instructor grading: generate the assignments, autograde submissions in isolated kernels, "
        "export grades and feedback.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="generate the student versions and the gradebook entries")
    _common(p)
    p.add_argument("--only", nargs="+", metavar="ASSIGNMENT", help="only these assignments")

    p = sub.add_parser("grade", help="autograde a folder of submissions")
    _common(p)
    _grading_options(p)
    p.add_argument("submissions", type=Path, help="folder with <student>/<assignment>/<assignment>.ipynb")
    p.add_argument("--out", type=Path, default=Path("build/grades"), help="where to write grades and feedback")
    p.add_argument("--only", nargs="+", metavar="ASSIGNMENT", help="only these assignments")
    p.add_argument("--no-feedback", action="store_true", help="do not render feedback")
    p.add_argument("--keep-workspace", action="store_true", help="keep the private workspace (for debugging)")
    p.add_argument("--shard", metavar="I/N", help="grade only share I of N of the students (several machines, "
                   "one PostgreSQL gradebook); afterwards `export` writes the whole class")

    p = sub.add_parser("export", help="write grades.csv and cells.csv from the gradebook")
    _common(p)
    p.add_argument("--out", type=Path, default=Path("build/grades"))

    p = sub.add_parser("feedback", help="render the feedback again from the gradebook")
    _common(p)
    p.add_argument("--out", type=Path, default=Path("build/grades"))
    p.add_argument("--students", nargs="+", metavar="STUDENT", help="only these students")

    p = sub.add_parser("bench", help="measure grading throughput on generated submissions")
    _common(p)
    _grading_options(p)
    p.add_argument("--count", type=int, default=100, help="number of generated submissions (default 100)")
    p.add_argument("--assignment", default="01_activation_functions")
    p.add_argument("--compare", default="1,2", help="worker counts to compare, e.g. 1,2")

    p = sub.add_parser("doctor", help="check how grading kernels are isolated here")
    _common(p)
    _grading_options(p)

    args = parser.parse_args(argv)
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    settings = _settings(args)

    if args.command == "generate":
        from .course import generate

        generate(settings, args.only)
        print(f"student versions are in {settings.course_dir / 'release'}")
        return 0
    if args.command == "grade":
        from .pipeline import grade, parse_shard

        run = grade(settings, args.submissions, args.out, assignments=args.only, feedback=not args.no_feedback,
                    keep_workspace=args.keep_workspace, shard=parse_shard(args.shard) if args.shard else None)
        print(run.report.read_text(encoding="utf-8"))
        print(f"grades: {run.grades_csv}\nper cell: {run.cells_csv}\nfeedback: {args.out.resolve() / 'feedback'}")
        return 0
    if args.command == "export":
        from .gradebook import export

        grades_csv, cells_csv = export(settings.gradebook_url, args.out.resolve())
        print(f"grades: {grades_csv}\nper cell: {cells_csv}")
        return 0
    if args.command == "feedback":
        from .feedback import render

        for path in render(settings, args.out.resolve(), set(args.students) if args.students else None):
            print(path)
        return 0
    if args.command == "bench":
        from .bench import main as bench

        return bench(settings, count=args.count, assignment=args.assignment,
                     workers=[int(x) for x in args.compare.split(",")])
    if args.command == "doctor":
        import shutil

        from .sandbox import SandboxUnavailable, cleanup, prepare, workspace

        ws = workspace()
        try:
            _, plan = prepare(settings.sandbox, secrets=[settings.source, settings.course_dir, ws], workdir=ws,
                              user=settings.sandbox_user)
        except SandboxUnavailable as exc:
            print(exc, file=sys.stderr)
            return 1
        finally:
            shutil.rmtree(ws, ignore_errors=True)
        cleanup(plan)
        print(f"grading kernels run in sandbox mode '{plan.mode}' as uid {plan.uid}; they cannot see "
              f"{settings.source} or {settings.course_dir}")
        for note in plan.notes:
            print(f"note: {note}")
        return 0
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (FileNotFoundError, ValueError, RuntimeError) as exc:  # SecretError is a ValueError
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
