"""The gradebook side: grading status per submission, merging worker results, CSV export.

nbgrader's gradebook holds scores, but nothing about submissions that could
not be graded. This module adds one table to the same database (SQLite or
PostgreSQL), ``course_utils_grading``, with one row per ``(assignment,
student)``: ``graded`` or ``ungradable``, the reason, notes (restored cells,
timeouts, a renamed notebook) and the SHA-256 of each submitted file. The CSV
export is built from this table and nbgrader's grades, so a submission that
could not be graded appears with its reason and an empty score, never as a
silent zero.
"""

from __future__ import annotations

import csv
import json
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Column, MetaData, String, Table, Text, create_engine, delete, select

STATUS_TABLE = "course_utils_grading"
_metadata = MetaData()
status_table = Table(
    STATUS_TABLE,
    _metadata,
    Column("assignment", String(128), primary_key=True),
    Column("student", String(128), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("notes", Text, nullable=False, default="[]"),
    Column("files", Text, nullable=False, default="{}"),
    Column("graded_at", String(40), nullable=False),
)

GRADE_COLUMNS = [
    "student", "assignment", "status", "score", "max_score", "autograded_score", "autograded_max",
    "written_score", "written_max", "written_to_grade", "late_penalty", "reason", "notes",
]
CELL_COLUMNS = ["student", "assignment", "notebook", "cell", "kind", "score", "max_score", "needs_manual_grade"]


@dataclass
class Status:
    assignment: str
    student: str
    status: str
    reason: str = ""
    notes: tuple[str, ...] = ()
    files: dict | None = None


def _create_table(engine) -> None:
    """Create the status table if needed; two graders doing it at once is not an error."""
    from sqlalchemy.exc import IntegrityError, ProgrammingError

    for attempt in range(3):
        try:
            _metadata.create_all(engine, tables=[status_table])
            return
        except (IntegrityError, ProgrammingError):  # another shard created it meanwhile
            if attempt == 2:
                raise


def record(db_url: str, statuses: list[Status]) -> None:
    """Insert or replace the status rows (one transaction)."""
    engine = create_engine(db_url, future=True)
    _create_table(engine)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    with engine.begin() as conn:
        for s in statuses:
            conn.execute(delete(status_table).where(
                (status_table.c.assignment == s.assignment) & (status_table.c.student == s.student)))
            conn.execute(status_table.insert().values(
                assignment=s.assignment, student=s.student, status=s.status, reason=s.reason,
                notes=json.dumps(list(s.notes)), files=json.dumps(s.files or {}, sort_keys=True), graded_at=now,
            ))
    engine.dispose()


def statuses(db_url: str) -> list[dict]:
    engine = create_engine(db_url, future=True)
    _create_table(engine)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(status_table).order_by(status_table.c.assignment, status_table.c.student))]
    engine.dispose()
    return rows


def merge(source_url: str, target_url: str, pairs: list[tuple[str, str]]) -> None:
    """Copy the automatic grades of ``pairs`` (assignment, student) from a worker's gradebook.

    Manual scores already in the target (entered by a grader) are kept, with
    the grader's decision on whether they need another look, so that grading
    the same submission again changes nothing.
    """
    from nbgrader.api import Comment, Grade, Gradebook, MissingEntry

    with Gradebook(source_url) as src, Gradebook(target_url) as dst, warnings.catch_warnings():
        # nbgrader's add_submission triggers SQLAlchemy's autoflush warnings; they are harmless.
        warnings.filterwarnings("ignore", category=Warning, module="nbgrader.api")
        for assignment, student in pairs:
            sub = src.find_submission(assignment, student)
            dst.update_or_create_student(student)
            kwargs = {"timestamp": sub.timestamp} if sub.timestamp else {}
            try:
                target = dst.find_submission(assignment, student)
                if sub.timestamp:
                    target.timestamp = sub.timestamp
            except MissingEntry:
                target = dst.add_submission(assignment, student, **kwargs)
            for nb in sub.notebooks:
                target_nb = dst.find_submission_notebook(nb.name, assignment, student)
                target_nb.late_submission_penalty = nb.late_submission_penalty
                theirs, ours = _cells(src, nb.id), _cells(dst, target_nb.id)
                for name, grade in theirs[Grade].items():
                    other = ours[Grade].get(name) or dst.find_grade(name, nb.name, assignment, student)
                    other.auto_score = grade.auto_score
                    if other.manual_score is None:  # a grader's score and decision stay as they were
                        other.needs_manual_grade = bool(grade.needs_manual_grade)
                for name, comment in theirs[Comment].items():
                    other = ours[Comment].get(name) or dst.find_comment(name, nb.name, assignment, student)
                    other.auto_comment = comment.auto_comment
            dst.db.commit()


def _cells(gb, notebook_id: str) -> dict:
    """The grades and comments of one submitted notebook by cell name, in one query each.

    (Reading ``grade.name`` loads the grade's cell: one query per cell, most of what merging cost.)
    """
    from nbgrader.api import BaseCell, Comment, Grade

    out = {}
    for model in (Grade, Comment):
        rows = (gb.db.query(model, BaseCell.name).join(BaseCell, model.cell_id == BaseCell.id)
                .filter(model.notebook_id == notebook_id).all())
        out[model] = {name: row for row, name in rows}
    return out


def forget(db_url: str, assignment: str, student: str) -> bool:
    """Remove a submission from nbgrader's tables (it could not be graded this time)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url) as gb:
        try:
            gb.remove_submission(assignment, student)
            return True
        except MissingEntry:
            return False


def _fmt(value: float | None) -> str:
    if value is None:
        return ""
    return f"{value:g}"


def table(db_url: str) -> tuple[list[dict], list[dict]]:
    """One row per submission (GRADE_COLUMNS) and one row per graded cell (CELL_COLUMNS)."""
    from nbgrader.api import Gradebook, MissingEntry

    rows, cells = [], []
    with Gradebook(db_url) as gb:
        written_ids: dict[tuple[str, str], set[str]] = {}
        for status in statuses(db_url):
            assignment, student = status["assignment"], status["student"]
            row = {k: "" for k in GRADE_COLUMNS}
            row.update(student=student, assignment=assignment, status=status["status"], reason=status["reason"],
                       notes="; ".join(json.loads(status["notes"])))
            if status["status"] == "graded":
                try:
                    sub = gb.find_submission(assignment, student)
                except MissingEntry:
                    row.update(status="ungradable", reason="graded earlier, but missing from the gradebook now")
                    rows.append(row)
                    continue
                auto = auto_max = written = written_max = 0.0
                pending = 0
                penalty = 0.0
                for nb in sub.notebooks:
                    key = (assignment, nb.name)
                    if key not in written_ids:
                        written_ids[key] = {c.name for c in gb.find_notebook(nb.name, assignment).solution_cells}
                    penalty += nb.late_submission_penalty or 0.0
                    for grade in nb.grades:
                        kind = "written" if grade.name in written_ids[key] else "autograded"
                        waiting = kind == "written" and grade.manual_score is None and grade.needs_manual_grade
                        score = None if waiting else grade.score
                        if kind == "written":
                            written_max += grade.max_score
                            written += score or 0.0
                            pending += int(score is None)
                        else:
                            auto_max += grade.max_score
                            auto += grade.score
                        cells.append({
                            "student": student, "assignment": assignment, "notebook": nb.name, "cell": grade.name,
                            "kind": kind, "score": _fmt(score), "max_score": _fmt(grade.max_score),
                            "needs_manual_grade": str(bool(grade.needs_manual_grade)).lower(),
                        })
                row.update(
                    score=_fmt(auto + written - penalty), max_score=_fmt(auto_max + written_max),
                    autograded_score=_fmt(auto), autograded_max=_fmt(auto_max),
                    written_score="" if pending else _fmt(written), written_max=_fmt(written_max),
                    written_to_grade=str(pending), late_penalty=_fmt(penalty),
                )
            rows.append(row)
    cells.sort(key=lambda c: (c["assignment"], c["student"], c["notebook"]))
    return rows, cells


def export(db_url: str, out_dir: Path) -> tuple[Path, Path]:
    """Write ``grades.csv`` (one row per submission) and ``cells.csv`` (one row per graded cell)."""
    rows, cells = table(db_url)
    out_dir.mkdir(parents=True, exist_ok=True)
    grades_csv, cells_csv = out_dir / "grades.csv", out_dir / "cells.csv"
    for path, columns, data in ((grades_csv, GRADE_COLUMNS, rows), (cells_csv, CELL_COLUMNS, cells)):
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=columns)
            writer.writeheader()
            writer.writerows(data)
    return grades_csv, cells_csv
