"""One grading worker: autograde a shard of submissions, one after the other.

Run by :mod:`course_grader.pipeline` as

    python -m course_grader.worker JOB.json

``JOB.json`` names the worker's private nbgrader course folder (its
``submitted/`` folder already holds the cleaned submissions), the gradebook,
the time limits, the sandbox configuration, and the list of ``(student,
assignment)`` pairs. The worker writes ``results.json`` beside it: for each
pair, whether nbgrader graded it, and if not, why, in words.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path


def _configure(job: dict):
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties, CheckCellMetadata, IgnorePattern, LimitOutput, SaveAutoGrades,
    )
    from traitlets.config import Config

    from .course import COURSE_ID
    from .nbg import InjectCases, JudgeResults, SandboxedExecute, configure_feedback
    from .settings import normalize_db_url

    config = Config()
    config.CourseDirectory.root = job["course_root"]
    config.CourseDirectory.db_url = job.get("db_url") or normalize_db_url(os.environ["COURSE_GRADING_DB_URL"])
    if job.get("db_url"):  # SQLite: the parent made this worker a copy of the gradebook
        from . import speedups

        speedups.scratch_gradebook(job["db_url"])
    config.CourseDirectory.course_id = COURSE_ID
    config.Exchange.root = str(Path(job["course_root"]) / "exchange")
    config.Autograde.autograde_preprocessors = [
        InjectCases, SandboxedExecute, JudgeResults, IgnorePattern, ClearMetadataPreprocessor, LimitOutput, SaveAutoGrades,
        AssignLatePenalties, CheckCellMetadata,
    ]
    config.OverwriteCells.add_missing_cells = True
    config.InjectCases.source_dir = job["source"]
    config.InjectCases.mode = config.JudgeResults.mode = job.get("judge", "grader")
    config.SandboxedExecute.timeout = int(job["timeout"])
    config.SandboxedExecute.notebook_budget = int(job["notebook_timeout"])
    config.SandboxedExecute.cell_output_bytes = int(job.get("cell_output_kb", 256)) * 1024
    config.SandboxedExecute.notebook_output_bytes = int(job.get("notebook_output_kb", 1024)) * 1024
    config.SandboxedExecute.startup_timeout = 120
    config.SandboxedExecute.iopub_timeout = 4
    # Every output has arrived when the last cell's reply has: the kernel can be killed
    # instead of asked to shut down and waited for (its sandbox goes with it).
    config.SandboxedExecute.shutdown_kernel = "immediate"
    config.SandboxKernelManager.launcher_config = job["sandbox_config"]
    config.SandboxKernelManager.fork_kernels = bool(job.get("fork_kernels", True))
    config.SandboxKernelManager.shutdown_wait_time = 2.0
    # nbconvert validates the whole notebook after each of the steps above (nine, then
    # three for the feedback); once, after the last, refuses the same invalid notebooks.
    config.Exporter.optimistic_validation = True
    configure_feedback(config)
    return config


_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b:?")


def _failure_reason(job: dict, result: dict) -> str:
    from .nbg import LAST_RUN

    where = LAST_RUN.where()
    if LAST_RUN.failure == "dead":
        return (f"the kernel died {where}: the code ended the Python process (for example with os._exit) "
                "or crashed it, so the cells after it could not run")
    if LAST_RUN.failure == "unresponsive":
        return (f"the code {where} ran past the time limit of {job['timeout']} s and did not stop when "
                "interrupted, so the kernel had to be abandoned")
    if LAST_RUN.failure == "cpu":
        return f"stopped: CPU-time limit of {job.get('cpu_seconds')} s exceeded {where}; the kernel was ended"
    if LAST_RUN.failure == "killed":
        return (f"stopped: the kernel was killed {where} (most often: the memory limit of "
                f"{_gb(job.get('memory_limit_mb', 4096))} exceeded outside Python's own checks)")
    if LAST_RUN.failure == "budget":
        return f"the notebook ran for more than {job['notebook_timeout']} s in total (stopped {where})"
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if _EXCEPTION_LINE.match(line) and "NbGraderException" not in line]
    last = errors[-1] if errors else (lines[-1] if lines else "unknown error")
    return f"nbgrader could not grade it: {last[:300]}"


def _gb(megabytes: int) -> str:
    return f"{megabytes / 1024:g} GB" if megabytes >= 1024 else f"{megabytes} MB"


def _timeouts(course_root: Path, assignment: str, student: str, job: dict) -> list[str]:
    """Notes on the cells that a time, memory or process limit stopped."""
    import nbformat

    from .nbg import limited_cells

    notes = []
    for path in sorted((course_root / "autograded" / student / assignment).glob("*.ipynb")):
        for label, kind in limited_cells(nbformat.read(path, as_version=4)):
            if kind == "time":
                notes.append(f"{label} was stopped after the time limit of {job['timeout']} s")
            elif kind == "cpu":
                notes.append(f"stopped: CPU-time limit of {job.get('cpu_seconds')} s exceeded in {label}; "
                             "the cells after it did not run")
            elif kind == "memory":
                notes.append(f"stopped: memory limit of {_gb(int(job.get('memory_limit_mb', 4096)))} "
                             f"exceeded in {label}")
            else:
                notes.append(f"stopped: process limit of {job.get('max_processes')} exceeded in {label}")
    return notes


def _forget(db_url: str, assignment: str, student: str) -> None:
    """Remove a submission that nbgrader recorded before failing, so that it is not mistaken for a zero."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            gb.remove_submission(assignment, student)
        except MissingEntry:
            pass


def run(job_path: Path) -> list[dict]:
    job = json.loads(job_path.read_text(encoding="utf-8"))
    from nbgrader.apps import NbGraderAPI

    from .nbg import LAST_RUN

    config = _configure(job)
    db_url = config.CourseDirectory.db_url
    api = NbGraderAPI(config=config)
    course_root = Path(job["course_root"])
    results = []
    for number, item in enumerate(job["items"], start=1):
        student, assignment = item["student"], item["assignment"]
        # After the last notebook no kernel is started in advance.
        api.config.SandboxedExecute.start_next = number < len(job["items"])
        started = time.monotonic()
        retried = 0
        while True:
            LAST_RUN.reset()
            try:
                outcome = api.autograde(assignment, student, force=True, create=True)
            except Exception:  # noqa: BLE001 - nbgrader normally reports failures in its result
                outcome = {"success": False, "error": traceback.format_exc()}
            # A kernel that fails before running any cell ran no student code: start it again
            # (two workers can, rarely, pick the same free port for their kernels at once).
            if outcome.get("success") or LAST_RUN.started_cells or retried >= 2:
                break
            retried += 1
        entry = {"student": student, "assignment": assignment, "seconds": round(time.monotonic() - started, 2)}
        if outcome.get("success"):
            entry["status"] = "graded"
            entry["notes"] = _timeouts(course_root, assignment, student, job)
            if retried:
                entry["notes"].append(f"the grading kernel failed to start and was started again ({retried}x)")
            if job.get("feedback", True):
                feedback = api.generate_feedback(assignment, student, force=True)
                if not feedback.get("success"):
                    last = (feedback.get("error") or "").strip().splitlines()
                    entry["notes"].append("feedback could not be written" + (f": {last[-1]}" if last else ""))
        else:
            entry["status"] = "ungradable"
            entry["reason"] = _failure_reason(job, outcome)
            entry["log"] = ((outcome.get("log") or "") + (outcome.get("error") or ""))[-4000:]
            _forget(db_url, assignment, student)
        results.append(entry)
        # Replaced whole (never half-written): the parent reads it while this worker goes on.
        partial = job_path.parent / "results.json.part"
        partial.write_text(json.dumps(results, indent=1), encoding="utf-8")
        os.replace(partial, job_path.parent / "results.json")
    return results


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m course_grader.worker JOB.json", file=sys.stderr)
        return 2
    from . import speedups

    speedups.install()  # before nbgrader is imported: it decides what jsonschema imports
    from . import nbg
    from .secret import SECRET_VARIABLE

    # The class secret: taken from the environment and removed from it, so that no
    # kernel (not even one started without the sandbox) inherits it.
    nbg.SECRET = os.environ.pop(SECRET_VARIABLE, "").encode("utf-8")
    bin_dir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    from .sandbox import stop_kernel_templates

    try:
        run(Path(argv[0]))
    finally:
        nbg.NEXT_KERNEL.discard()
        stop_kernel_templates()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
