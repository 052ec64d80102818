"""course_utils.lesson_format: the lesson format's rules, and that they have one home."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import lesson_format as fmt

ROOT = Path(__file__).resolve().parent.parent

HEADER = """# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

"""


def _code(source="x = 1", tags=(), outputs=()):
    return {"cell_type": "code", "source": source, "metadata": {"tags": list(tags)},
            "outputs": list(outputs)}


def _markdown(source):
    return {"cell_type": "markdown", "source": source, "metadata": {}}


def test_what_a_lesson_file_is(tmp_path):
    lesson = tmp_path / "01_lesson.py"
    lesson.write_text(HEADER + "# %% [markdown]\n# # Title\n\n# %%\nx = 1\n")
    no_header = tmp_path / "02_script.py"
    no_header.write_text("# %%\nx = 1\n")  # cell markers alone: a script, not a lesson
    no_cells = tmp_path / "03_header_only.py"
    no_cells.write_text(HEADER + "x = 1\n")
    (tmp_path / "notes.txt").write_text(HEADER + "# %%\n")
    assert fmt.is_jupytext_source(lesson)
    assert not fmt.is_jupytext_source(no_header)
    assert not fmt.is_jupytext_source(no_cells)
    assert fmt.jupytext_sources(tmp_path) == [lesson]
    assert [p.name for p in fmt.jupytext_sources(ROOT / "notebooks")] == sorted(
        p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py")
    )
    # One assignment per lesson, and the judges/ folder holds no lesson.
    assert [p.name for p in fmt.jupytext_sources(ROOT / "assignments" / "source")] == [
        p.name for p in fmt.jupytext_sources(ROOT / "notebooks")
    ]
    with pytest.raises(FileNotFoundError, match="does not exist"):
        fmt.jupytext_sources(tmp_path / "absent")


def test_stable_cell_ids():
    assert fmt.stable_cell_id(3, "x = 1") == "c003-" + __import__("hashlib").sha1(b"x = 1").hexdigest()[:8]
    assert fmt.stable_cell_id(3, "x = 1") == fmt.stable_cell_id(3, "x = 1")
    assert fmt.stable_cell_id(3, "x = 1") != fmt.stable_cell_id(4, "x = 1")
    assert fmt.stable_cell_id(3, "x = 1", "q1-answer") == "q1-answer"
    assert fmt.stable_cell_id(0, "", "g" * 100) == "g" * 64
    with pytest.raises(ValueError, match="^index must be a non-negative integer"):
        fmt.stable_cell_id(-1, "x")
    with pytest.raises(TypeError, match="^source must be the cell's text"):
        fmt.stable_cell_id(0, ["x"])


def test_framework_runs_and_tabs():
    cells = [
        _markdown("# A"),
        _code(tags=["tensorflow"]), _code(tags=["pytorch"]),  # tabbed
        _markdown("text"),
        _code(tags=["pytorch"]), _code(tags=["tensorflow"]),  # hands data across: plain
        _code(),
        _code(tags=["tensorflow", "pytorch"]),
    ]
    assert fmt.framework_runs(cells) == [[1, 2], [4, 5], [7]]
    assert fmt.tabbed_runs(cells) == [[1, 2]]
    assert [fmt.cell_framework(c) for c in cells[1:3]] == ["tensorflow", "pytorch"]
    assert fmt.cell_framework(cells[7]) == "both" and fmt.cell_framework(cells[6]) is None
    problems = fmt.check_lesson({"cells": cells}, "09_demo", ["tensorflow", "pytorch"])
    assert problems == [
        "notebooks/09_demo.ipynb, cell 7 ('x = 1'): tagged both tensorflow and pytorch; "
        "split it in two cells"
    ]
    single = fmt.check_lesson({"cells": [_code("import torch", tags=[])]}, "04_x", ["tensorflow"])
    assert single == [
        "notebooks/04_x.ipynb, cell 0 ('import torch'): imports PyTorch in a lesson declared "
        "TensorFlow-only (course_lessons in book/_config.yml)"
    ]


def test_captions_and_widgets():
    image = {"output_type": "display_data", "data": {"image/png": "..."}}
    cells = [_code(outputs=[image]), _markdown("**Figure 3.1.** Two *moons*. Then more.")]
    assert fmt.has_image(cells[0]) and not fmt.has_image(_code())
    assert fmt.alt_from_caption(fmt.caption_after(cells, 0)) == "Two moons."
    assert fmt.check_lesson({"cells": cells}, "03_x", ["pytorch"]) == []
    assert "caption follows it" in fmt.check_lesson({"cells": cells[:1]}, "03_x", ["pytorch"])[0]
    assert fmt.WIDGET_MIME == "application/vnd.jupyter.widget-view+json"


def test_every_tool_uses_the_same_definitions():
    spec = importlib.util.spec_from_file_location("notebook_tools_fmt", ROOT / "tools" / "notebooks.py")
    tools = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tools)
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        import course_book
    finally:
        sys.path.remove(str(ROOT / "book" / "_ext"))
    from course_grader import course

    assert tools.stable_cell_id is course.stable_cell_id is fmt.stable_cell_id
    assert tools.jupytext_sources is course.jupytext_sources is fmt.jupytext_sources
    assert tools.WIDGET_MIME is course_book.WIDGET_MIME is fmt.WIDGET_MIME
    assert course_book.check_lesson is fmt.check_lesson
    assert course_book.tabbed_runs is fmt.tabbed_runs


def test_the_rules_are_written_once():
    """The literal of each rule stands in lesson_format.py and nowhere else in the code."""
    literals = [
        "application/vnd.jupyter.widget-view+json",
        "hexdigest()[:8]",
        '"jupytext:"',
        r"\*\*(?:Figure",
        "(?:tensorflow|keras)",
    ]
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    for literal in literals:
        homes = [f for f in files if not f.startswith("tests/")
                 and literal in (ROOT / f).read_text(encoding="utf-8")]
        assert homes == ["course_utils/lesson_format.py"], (literal, homes)


def test_importing_the_format_loads_no_framework():
    code = (
        "import sys, course_utils.lesson_format; "
        "print(sorted(m for m in ('torch', 'tensorflow', 'nbformat', 'sphinx') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
