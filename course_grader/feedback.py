"""Render feedback again from the course folder's gradebook (after manual grading, for example).

The autograded notebooks in ``<course_dir>/autograded`` hold the hidden tests
(nbgrader puts them back to run them); :class:`~course_grader.nbg.HideHiddenTests`
removes them, their outputs and any output that quotes them before the HTML is
written. Rendering runs no code.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from .course import nbgrader_config
from .gradebook import statuses
from .settings import Settings


def render(settings: Settings, out_dir: Path, students: set[str] | None = None) -> list[Path]:
    """Write ``out_dir/feedback/<student>/<assignment>/<notebook>.html`` for every graded submission
    (of ``students`` only, if given)."""
    from nbgrader.apps import NbGraderAPI

    from . import speedups
    from .nbg import configure_feedback

    speedups.install()
    config = nbgrader_config(settings)
    configure_feedback(config)
    api = NbGraderAPI(config=config)
    written = []
    for row in statuses(settings.gradebook_url):
        if row["status"] != "graded":
            continue
        assignment, student = row["assignment"], row["student"]
        if students is not None and student not in students:
            continue
        if not (settings.course_dir / "autograded" / student / assignment).is_dir():
            continue
        result = api.generate_feedback(assignment, student, force=True)
        if not result["success"]:
            raise RuntimeError(f"feedback for {student}/{assignment} failed:\n{result.get('error', '')}")
        source = settings.course_dir / "feedback" / student / assignment
        target = out_dir / "feedback" / student / assignment
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target)
        written.extend(sorted(target.glob("*.html")))
    return written
