"""What course_grader.speedups and the feedback exporter change is how fast, never what comes out.

Fast tests (no kernel): the feedback page equals nbconvert's own HTML export once both are parsed;
nbgrader's metadata check still refuses invalid metadata with the cached validator; gradebooks
opened through the shared engine see each other's writes.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("lesson", ["01_activation_functions", "07_scaling_laws"])
def test_feedback_pages_equal_nbconverts_html_export(lesson):
    from bs4 import BeautifulSoup
    from nbconvert.exporters import HTMLExporter

    from course_grader.nbg import _feedback_exporter

    nb = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("display(HTML('<img src=x>'))", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": '<img src="x.png"><div class="jp-OutputArea-output">y</div>'})]))
    theirs, _ = HTMLExporter().from_notebook_node(nb)
    ours, _ = _feedback_exporter()().from_notebook_node(nb)
    assert ours.count('tabindex="0"') > 10 and 'alt="No description' in ours
    assert str(BeautifulSoup(ours, features="html.parser")) == str(BeautifulSoup(theirs, features="html.parser"))


def test_nbgraders_metadata_check_still_refuses_invalid_metadata():
    from jsonschema import ValidationError
    from nbgrader.nbgraderformat import ValidationError as NbgraderValidationError
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    from course_grader import speedups

    speedups.install()
    validator = MetadataValidatorV3()
    good = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {
        "grade": True, "grade_id": "q1", "locked": True, "points": 1, "schema_version": 3, "solution": False,
        "task": False}})
    validator.validate_cell(good)
    for bad in ({"points": "one"}, {"grade": "yes"}, {"grade_id": 7}):
        cell = nbformat.from_dict(good)
        cell.metadata.nbgrader.update(bad)
        with pytest.raises((ValidationError, NbgraderValidationError)):
            validator.validate_cell(cell)


def test_gradebooks_through_the_shared_engine_see_each_others_writes(tmp_path, monkeypatch):
    import os
    import sys

    from nbgrader.api import Gradebook

    # nbgrader runs `alembic` from PATH when it creates a gradebook (the course's commands put it there).
    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))

    from course_grader import speedups

    speedups.install()
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url, course_id="c") as first:
        first.add_student("alice")
        engine = first.engine
    with Gradebook(url, course_id="c") as second:
        assert second.engine is engine
        assert [s.id for s in second.students] == ["alice"]
        second.add_student("bob")
    other = f"sqlite:///{tmp_path / 'other.db'}"
    with Gradebook(other, course_id="c") as third:
        assert third.engine is not engine and third.students == []
    with Gradebook(url, course_id="c") as fourth:
        assert sorted(s.id for s in fourth.students) == ["alice", "bob"]


def test_only_a_workers_scratch_gradebook_commits_without_fsync(tmp_path, monkeypatch):
    import os
    import sqlite3
    import sys

    from nbgrader.api import Gradebook

    monkeypatch.setenv("PATH", os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))

    from course_grader import speedups

    speedups.install()
    scratch, kept = (f"sqlite:///{tmp_path / name}" for name in ("scratch.db", "class.db"))
    speedups.scratch_gradebook(scratch)
    modes = {}
    for url in (scratch, kept):
        with Gradebook(url, course_id="c") as gb:
            gb.add_student("alice")
            with gb.engine.connect() as connection:
                modes[url] = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:  # what was committed is there
            assert db.execute("SELECT id FROM student").fetchall() == [("alice",)]
    assert modes == {scratch: 0, kept: 2}  # OFF for the copy; FULL, SQLite's default, for the class
    with pytest.raises(ValueError, match="SQLite URL"):
        speedups.scratch_gradebook("postgresql://grader@127.0.0.1/class")
