"""The lesson format, defined once: every tool that reads a lesson imports it.

``tools/notebooks.py`` (executing and checking the pairs), the book's Sphinx
extension (``book/_ext/course_book.py``) and the grader
(``course_grader.course``) all ask this module the same questions:

* **What is a lesson file?** A Jupytext percent source (:func:`is_jupytext_source`):
  a ``.py`` whose header names ``jupytext`` and whose cells start with ``# %%``.
* **What id does a cell get?** :func:`stable_cell_id`: its nbgrader ``grade_id``
  where it has one, else one built from its position and source, so that
  writing a notebook twice gives the same file.
* **Which framework does a cell show, and how do the cells pair up?** Cells
  are tagged ``tensorflow`` or ``pytorch``; consecutive tagged code cells form
  a *run* (:func:`framework_runs`). In a lesson declared with both frameworks
  every run must hold both; a run in the order TensorFlow then PyTorch shows
  the same step twice and becomes a tab set in the book (:func:`tabbed_runs`);
  another order hands data across and stays as plain cells. A lesson declared
  with one framework holds no cell tagged with, and no code importing, the
  other. :func:`check_lesson` applies these rules.
* **Widgets:** outputs of MIME type :data:`WIDGET_MIME` need a live kernel.
* **Figures:** every image output is followed by a markdown cell that starts
  ``**Figure N.M.**`` (:data:`CAPTION`); its first sentence is the image's alt
  text (:func:`alt_from_caption`).

Cells are plain dicts (``json.load`` of an ``.ipynb``) or nbformat's
``NotebookNode`` (a dict too). This module imports no framework and no
Jupyter package.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .validation import check_integer, check_path

__all__ = [
    "CAPTION",
    "FRAMEWORKS",
    "HEADER_CHARS",
    "IMAGE_MIMES",
    "IMPORTS",
    "LABELS",
    "WIDGET_MIME",
    "alt_from_caption",
    "caption_after",
    "cell_framework",
    "cell_source",
    "cell_tags",
    "check_lesson",
    "framework_runs",
    "has_image",
    "is_jupytext_source",
    "joined_text",
    "jupytext_sources",
    "stable_cell_id",
    "tabbed_runs",
]

# --------------------------------------------------------------------------- files

#: How far into a file the Jupytext header is looked for.
HEADER_CHARS = 2000
_PERCENT_CELL = re.compile(r"^# %%", re.M)


def is_jupytext_source(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a Jupytext percent source: a lesson or an assignment.

    Parameters
    ----------
    path : str or os.PathLike
        An existing file.

    Returns
    -------
    bool
        True when the first :data:`HEADER_CHARS` characters name ``jupytext:``
        (the header Jupytext writes) and a line starts with ``# %%``.
    """
    text = check_path("path", path).read_text(encoding="utf-8")
    return "jupytext:" in text[:HEADER_CHARS] and bool(_PERCENT_CELL.search(text))


def jupytext_sources(folder: str | os.PathLike) -> list[Path]:
    """The Jupytext sources among the ``.py`` files of ``folder``, sorted by name.

    folder : str or os.PathLike
        An existing folder.
    """
    folder = check_path("folder", folder, kind="dir")
    return sorted(p for p in folder.glob("*.py") if is_jupytext_source(p))


# --------------------------------------------------------------------------- cells


def stable_cell_id(index: int, source: str, grade_id: str | None = None) -> str:
    """The id of the cell at ``index``: ``grade_id`` (at most 64 characters) or
    ``c{index:03d}-{first 8 hex digits of SHA-1(source)}``.

    Parameters
    ----------
    index : int >= 0
        The cell's position in the notebook.
    source : str
        The cell's source text.
    grade_id : str or None
        nbgrader's id for a graded cell, which must survive as the cell id.
    """
    index = check_integer("index", index, low=0)
    if not isinstance(source, str):
        raise TypeError(f"source must be the cell's text (a str); got {type(source).__name__}.")
    if grade_id:
        return grade_id[:64]
    return f"c{index:03d}-{hashlib.sha1(source.encode('utf-8')).hexdigest()[:8]}"


def joined_text(value: Any) -> str:
    """A multiline string of an ``.ipynb`` (a source, a stream's text) as one str.

    value : str or list of str
        The file format allows either.
    """
    return "".join(value) if isinstance(value, list) else str(value)


def cell_source(cell: Mapping[str, Any]) -> str:
    """A cell's source as one string (an ``.ipynb`` may store it as a list of lines)."""
    return joined_text(cell.get("source", ""))


def cell_tags(cell: Mapping[str, Any]) -> list[str]:
    """A cell's tags (a new list; empty when it has none)."""
    return list(cell.get("metadata", {}).get("tags", []))


# --------------------------------------------------------------------------- frameworks

FRAMEWORKS = ("tensorflow", "pytorch")
LABELS = {"tensorflow": "TensorFlow", "pytorch": "PyTorch"}
#: Code that loads each framework (a single-framework lesson must not hold the other's).
IMPORTS = {
    "tensorflow": re.compile(r"^\s*(?:import|from)\s+(?:tensorflow|keras)\b", re.M),
    "pytorch": re.compile(r"^\s*(?:import|from)\s+torch\b", re.M),
}


def cell_framework(cell: Mapping[str, Any]) -> str | None:
    """``"tensorflow"``, ``"pytorch"``, ``"both"`` (tagged twice: an error) or None."""
    found = [t for t in cell_tags(cell) if t in FRAMEWORKS]
    return found[0] if len(found) == 1 else ("both" if found else None)


def framework_runs(cells: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """Indices of maximal runs of consecutive code cells tagged with a framework."""
    runs: list[list[int]] = []
    current: list[int] = []
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and cell_framework(cell):
            current.append(index)
        else:
            if current:
                runs.append(current)
            current = []
    if current:
        runs.append(current)
    return runs


def tabbed_runs(cells: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """The runs shown as tabs: TensorFlow cells, then PyTorch cells (the same step, twice).

    A run in another order passes data from one framework to the other (Lesson 6
    copies PyTorch's initial weights into Keras), so a reader needs both cells:
    it stays as consecutive cells, both visible.
    """
    tabbed = []
    for run in framework_runs(cells):
        kinds = [cell_framework(cells[i]) for i in run]
        if set(kinds) == set(FRAMEWORKS) and kinds == sorted(kinds, key=FRAMEWORKS.index):
            tabbed.append(run)
    return tabbed


# --------------------------------------------------------------------------- outputs

#: The MIME type of an ipywidgets view, which needs a running kernel to show.
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")
#: A figure caption: a markdown cell that starts ``**Figure N.M.**`` (in the
#: Chinese lessons ``**图 N.M**``).
CAPTION = re.compile(r"^\s*\*\*(?:Figure\s+|图\s*)[\w.]+\*\*\s*(?P<text>.+)", re.S)


def has_image(cell: Mapping[str, Any]) -> bool:
    """Whether any output of ``cell`` holds an image."""
    return any(
        any(m in out.get("data", {}) for m in IMAGE_MIMES) for out in cell.get("outputs", [])
    )


def caption_after(cells: Sequence[Mapping[str, Any]], index: int) -> str | None:
    """The figure caption in the markdown cell right after ``index``, if there is one."""
    if index + 1 < len(cells) and cells[index + 1].get("cell_type") == "markdown":
        text = cell_source(cells[index + 1])
        if CAPTION.match(text):
            return text
    return None


def alt_from_caption(caption: str) -> str:
    """The first sentence of a ``**Figure N.M.** ...`` caption, as plain text."""
    match = CAPTION.match(caption)
    text = match.group("text") if match else caption
    text = re.sub(r"\$([^$]*)\$", r"\1", text)  # inline maths: keep the TeX source
    text = re.sub(r"\\(?:mathrm|operatorname|text|mathbf)\{([^}]*)\}", r"\1", text)
    text = re.sub(r"[*`]|\\(?=[\\|{}])", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links: keep the text
    text = " ".join(text.split())
    first = re.split(r"(?<=[.!?])\s+(?=[A-Z(])|(?<=[。！？])", text, maxsplit=1)[0]
    return first


# --------------------------------------------------------------------------- the rules


def _where(lesson: str, index: int, cell: Mapping[str, Any]) -> str:
    first = cell_source(cell).strip().splitlines()
    return f"notebooks/{lesson}.ipynb, cell {index} ({first[0][:50] if first else 'empty'!r})"


def check_lesson(nb: Mapping[str, Any], lesson: str, frameworks: Iterable[str]) -> list[str]:
    """Problems with a lesson's frameworks, error outputs and figures.

    Parameters
    ----------
    nb : dict
        The executed notebook (``json.load`` of its ``.ipynb``).
    lesson : str
        Its name, such as ``"03_training_steps"``, for the messages.
    frameworks : list of str
        What ``course_lessons`` in ``book/_config.yml`` declares for it:
        ``["tensorflow", "pytorch"]``, ``["tensorflow"]`` or ``["pytorch"]``.

    Returns
    -------
    list of str
        One line per problem, naming the notebook and the cell; empty when the
        lesson follows the format.
    """
    frameworks = list(frameworks)
    problems: list[str] = []
    cells = nb.get("cells", [])
    declared = set(frameworks)
    if not declared or not declared <= set(FRAMEWORKS):
        return [
            f"{lesson}: course_lessons declares {frameworks!r}; use [tensorflow, pytorch], "
            "[tensorflow] or [pytorch]"
        ]
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and cell_framework(cell) == "both":
            problems.append(
                f"{_where(lesson, index, cell)}: tagged both tensorflow and pytorch; "
                "split it in two cells"
            )
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and "raises-exception" not in cell_tags(cell):
                problems.append(
                    f"{_where(lesson, index, cell)}: the committed notebook holds an error "
                    "output in a cell not tagged 'raises-exception'"
                )
    runs = framework_runs(cells)
    if declared == set(FRAMEWORKS):
        if not runs:
            problems.append(
                f"notebooks/{lesson}.ipynb: declared with both frameworks but has no cells "
                "tagged 'tensorflow' and 'pytorch' (put the TensorFlow cell, then the "
                "PyTorch cell, under one heading)"
            )
        for run in runs:
            kinds = [cell_framework(cells[i]) for i in run]
            missing = [LABELS[f] for f in FRAMEWORKS if f not in kinds]
            if missing and "both" not in kinds:
                shown = LABELS[kinds[0]]
                problems.append(
                    f"{_where(lesson, run[0], cells[run[0]])}: shows {shown} but not "
                    f"{', '.join(missing)}; add the {', '.join(missing)} version in a cell "
                    f"tagged {', '.join(repr(m.lower()) for m in missing)} right after it"
                )
    else:
        (own,) = declared
        (other,) = set(FRAMEWORKS) - declared
        for index, cell in enumerate(cells):
            if cell.get("cell_type") != "code":
                continue
            if cell_framework(cell) in (other, "both"):
                problems.append(
                    f"{_where(lesson, index, cell)}: tagged {other!r} in a lesson declared "
                    f"{LABELS[own]}-only (course_lessons in book/_config.yml)"
                )
            elif IMPORTS[other].search(cell_source(cell)):
                problems.append(
                    f"{_where(lesson, index, cell)}: imports {LABELS[other]} in a lesson "
                    f"declared {LABELS[own]}-only (course_lessons in book/_config.yml)"
                )
    # Figures: every image needs the caption that becomes its alt text.
    in_run = (
        {i: run for run in tabbed_runs(cells) for i in run}
        if declared == set(FRAMEWORKS)
        else {}
    )
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "code" and has_image(cell):
            after = in_run[index][-1] if index in in_run else index
            if caption_after(cells, after) is None:
                problems.append(
                    f"{_where(lesson, index, cell)}: shows an image but no "
                    "'**Figure N.M.** ...' caption follows it; the caption's first sentence "
                    "becomes the image's alt text"
                )
    return problems
