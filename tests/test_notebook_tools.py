"""tools/notebooks.py: the pair check fails when it should, and execution is repeatable."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("notebook_tools", ROOT / "tools" / "notebooks.py")
tools = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tools)

LESSON = """\
# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # A tiny lesson

# %%
import numpy as np

print(np.arange(4).sum())

# %% tags=["nbval-ignore-output"]
import time

print(time.time())
"""


@pytest.fixture
def folder(tmp_path) -> Path:
    (tmp_path / "01_tiny.py").write_text(LESSON)
    return tmp_path


def test_execute_writes_outputs_and_the_pair_checks_clean(folder):
    assert any("no executed 01_tiny.ipynb" in p for p in tools.check(folder))
    tools.execute(folder / "01_tiny.py")
    nb = json.loads((folder / "01_tiny.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code[0]["outputs"][0]["text"] == ["6\n"]
    assert tools.check(folder) == []
    # A second run changes nothing but the ignored cell.
    first = json.loads((folder / "01_tiny.ipynb").read_text())
    tools.execute(folder / "01_tiny.py")
    second = json.loads((folder / "01_tiny.ipynb").read_text())
    for a, b in zip(first["cells"], second["cells"]):
        if "nbval-ignore-output" not in a["metadata"].get("tags", []):
            assert a == b
    assert [c["id"] for c in first["cells"]] == [c["id"] for c in second["cells"]]


def test_check_catches_an_edited_source(folder):
    tools.execute(folder / "01_tiny.py")
    py = folder / "01_tiny.py"
    py.write_text(py.read_text().replace("sum()", "max()"))
    problems = tools.check(folder)
    assert len(problems) == 1 and "differ" in problems[0] and "max()" in problems[0]


def test_check_catches_unexecuted_cells_and_orphans(folder):
    tools.execute(folder / "01_tiny.py")
    nb = json.loads((folder / "01_tiny.ipynb").read_text())
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            cell["execution_count"] = None
            cell["outputs"] = []
    (folder / "01_tiny.ipynb").write_text(json.dumps(nb))
    (folder / "02_orphan.ipynb").write_text(json.dumps(nb))
    problems = tools.check(folder)
    assert any("never executed" in p for p in problems)
    assert any("02_orphan.ipynb has no paired 02_orphan.py" in p for p in problems)


def test_failing_lesson_leaves_the_old_notebook_untouched(folder):
    tools.execute(folder / "01_tiny.py")
    before = (folder / "01_tiny.ipynb").read_bytes()
    py = folder / "01_tiny.py"
    py.write_text(py.read_text().replace("print(np.arange(4).sum())", "raise RuntimeError('broken lesson')"))
    with pytest.raises(Exception, match="broken lesson"):
        tools.execute(py)
    assert (folder / "01_tiny.ipynb").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["01_tiny.ipynb", "01_tiny.py"]


def test_layout_check_passes_a_formatted_lesson(folder):
    assert tools.layout_problems([folder / "01_tiny.py"]) == []


def test_layout_check_catches_unformatted_code_and_long_lines(folder):
    py = folder / "01_tiny.py"
    py.write_text(py.read_text().replace("np.arange(4).sum()", "np.arange( 4 ).sum()"))
    problems = tools.layout_problems([py])
    assert len(problems) == 1 and "01_tiny.py is not formatted" in problems[0]
    assert "ruff format --config notebooks/ruff.toml" in problems[0]
    long_string = "x" * 90  # a comment that no formatter breaks
    py.write_text(LESSON.replace("print(np.arange(4).sum())", f"# {long_string}"))
    problems = tools.layout_problems([py])
    assert len(problems) == 1 and "1 code line(s) longer than 80" in problems[0]
    assert long_string in problems[0]
    # The same long line in a markdown cell is prose, which the book wraps.
    py.write_text(LESSON.replace("# # A tiny lesson", f"# # A tiny lesson {long_string}"))
    assert tools.layout_problems([py]) == []


def test_tidy_outputs_merges_streams_and_fixes_widget_ids():
    import nbformat

    cell = nbformat.v4.new_code_cell("print(1); print(2)")
    cell["id"] = "c001-abc"
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="1\n"),
        nbformat.v4.new_output("stream", name="stdout", text="2\n"),
        nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": "VBox()", tools.WIDGET_MIME: {"model_id": "f3a9...random", "version_major": 2}},
        ),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    tools.tidy_outputs(nb)
    assert [o.output_type for o in cell.outputs] == ["stream", "stream", "display_data"]
    assert cell.outputs[0].text == "1\n2\n" and cell.outputs[1].name == "stderr"
    assert cell.outputs[2].data[tools.WIDGET_MIME]["model_id"] == "c001-abc-2"


def test_tidy_outputs_makes_checkout_paths_relative():
    import nbformat

    inside = f"{tools.ROOT}/.venv/lib/python3.11/site-packages/keras/src/layers/flatten.py:37: UserWarning\n"
    cell = nbformat.v4.new_code_cell("x")
    cell["id"] = "c000-x"
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stderr", text=inside),
        nbformat.v4.new_output("error", ename="ValueError", evalue="bad", traceback=[f"File {inside}", "/usr/lib/x.py"]),
    ]
    tools.tidy_outputs(nbformat.v4.new_notebook(cells=[cell]))
    assert cell.outputs[0].text.startswith(".venv/lib/python3.11/site-packages/keras/")
    assert cell.outputs[1].traceback == ["File " + inside.replace(f"{tools.ROOT}/", ""), "/usr/lib/x.py"]


def _sanitizer(config: str):
    from nbval.plugin import get_sanitize_patterns
    import re

    patterns = get_sanitize_patterns(config)

    def apply(text: str) -> str:
        for regex, replace in patterns:  # nbval applies them in file order
            text = re.sub(regex, replace, text)
        return text

    return apply


@pytest.mark.parametrize("root", ["/check/work/main", "/srv/ci run (2)/a+b.c/main", "/opt/x/main"])
def test_nbval_rules_match_a_fresh_run_in_any_clone_folder(root):
    """A warning that names a file in .venv is stored relative (tidy_outputs) but
    printed with the clone's absolute path when nbval reruns the notebook."""
    tail = ".venv/lib/python3.11/site-packages/keras/src/layers/reshaping/flatten.py:37: UserWarning: no\n"
    stored, fresh = tail, f"{root}/{tail}"
    fixed_rules_only = _sanitizer(tools.SANITIZE_RULES.read_text())
    with_checkout = _sanitizer(tools.sanitize_rules(Path(root)))
    assert with_checkout(fresh) == with_checkout(stored) == "PATH UserWarning: no\n"
    if root == "/check/work/main":  # the folder that once broke CI: the fixed rules alone leave "/check"
        assert fixed_rules_only(fresh) != fixed_rules_only(stored)
    # paths outside the checkout are still masked, and other text is untouched
    assert with_checkout("/usr/lib/python3.11/x.py and /tmp/abc done") == "/usr/lib/python3.11/x.py and PATH done"


def test_nbval_rules_reject_a_multiline_checkout_path():
    with pytest.raises(ValueError, match="one line"):
        tools.sanitize_rules(Path("/a\nb"))


def test_update_text_copies_a_corrected_sentence_and_refuses_a_code_change(tmp_path):
    import shutil

    import jupytext

    for suffix in (".py", ".ipynb"):
        shutil.copy(ROOT / "notebooks" / f"02_cross_entropy{suffix}", tmp_path)
    py = tmp_path / "02_cross_entropy.py"
    nb = jupytext.read(py)
    md = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and i > 2)
    nb.cells[md].source += "\n\nA corrected sentence."
    jupytext.write(nb, py, fmt="py:percent")
    assert any("differ" in p for p in tools.check(tmp_path))
    before = json.loads(py.with_suffix(".ipynb").read_text())
    assert tools.update_text(py) == 1
    after = json.loads(py.with_suffix(".ipynb").read_text())
    assert tools.check(tmp_path) == []
    assert [c.get("outputs") for c in before["cells"]] == [c.get("outputs") for c in after["cells"]]
    code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and i > 1)
    nb.cells[code].source += "\nx = 1"
    jupytext.write(nb, py, fmt="py:percent")
    with pytest.raises(SystemExit, match=f"code cell {code} changed"):
        tools.update_text(py)
