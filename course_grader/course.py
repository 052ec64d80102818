"""From the assignment sources to nbgrader's course folder and the student versions.

``assignments/source/NN_name.py`` (Jupytext percent, nbgrader metadata in the
``# %%`` lines) becomes ``<course_dir>/source/NN_name/NN_name.ipynb``;
nbgrader's ``generate_assignment`` then records the assignment in the
gradebook and writes the student version to
``<course_dir>/release/NN_name/NN_name.ipynb``, which :func:`check_student_version`
verifies: no solution, no hidden test, no Jupytext metadata, nothing but the
notebook in the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import jupytext
import nbformat
from nbformat.notebooknode import NotebookNode

from course_utils.lesson_format import jupytext_sources, stable_cell_id
from .settings import Settings

#: Cell metadata that the generated notebooks keep; Jupytext's own is dropped.
CELL_METADATA = ("nbgrader", "tags")
#: Notebook metadata that the generated notebooks keep.
NOTEBOOK_METADATA = ("kernelspec", "language_info")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION")
COURSE_ID = "default_course"
HIDDEN_MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


class AssignmentError(ValueError):
    """An assignment source or a generated student version is not as it should be."""


@dataclass
class AssignmentSpec:
    """What grading needs to know about one assignment (from its generated source notebook)."""

    name: str
    cells: dict[str, dict]  # grade_id -> nbgrader metadata, in notebook order
    order: list[str] = field(default_factory=list)
    release_cells: dict[str, NotebookNode] = field(default_factory=dict)

    @property
    def answer_ids(self) -> list[str]:
        return [g for g in self.order if self.cells[g].get("solution")]

    @property
    def test_ids(self) -> list[str]:
        return [g for g in self.order if self.cells[g].get("grade") and not self.cells[g].get("solution")]


def source_files(source_dir: Path) -> list[Path]:
    """The assignment sources: the Jupytext percent ``.py`` files of ``source_dir``."""
    if not source_dir.is_dir():
        raise FileNotFoundError(f"assignment sources folder {source_dir} does not exist.")
    return jupytext_sources(source_dir)


def read_source(path: Path) -> NotebookNode:
    """Read one source into a clean notebook: nbgrader metadata kept, Jupytext's removed, stable cell ids."""
    nb = jupytext.read(path, fmt="py:percent")
    nb.metadata = NotebookNode({k: nb.metadata[k] for k in NOTEBOOK_METADATA if k in nb.metadata})
    nb.metadata.setdefault(
        "kernelspec", {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    )
    nb.nbformat, nb.nbformat_minor = 4, 5
    seen: dict[str, int] = {}
    for index, cell in enumerate(nb.cells):
        cell.metadata = NotebookNode({k: cell.metadata[k] for k in CELL_METADATA if k in cell.metadata})
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        cell.id = stable_cell_id(index, cell.source, grade_id)
        if grade_id:
            if grade_id in seen:
                raise AssignmentError(
                    f"{path}: grade_id {grade_id!r} is used by cells {seen[grade_id] + 1} and {index + 1}."
                )
            seen[grade_id] = index
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    _validate_source(path, nb)
    return nb


def _validate_source(path: Path, nb: NotebookNode) -> None:
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError

    try:
        MetadataValidator().validate_nb(nb)
    except ValidationError as exc:
        raise AssignmentError(f"{path}: the nbgrader metadata is invalid: {exc}") from None
    graded = 0
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        has_hidden = HIDDEN_MARKERS[0] in cell.source
        if has_hidden and not (meta.get("grade") and meta.get("locked")):
            raise AssignmentError(f"{path}: cell {index + 1} holds hidden tests but is not a locked grade cell.")
        if SOLUTION_MARKERS[0] in cell.source and not meta.get("solution"):
            raise AssignmentError(f"{path}: cell {index + 1} has a solution region but is not a solution cell.")
        if meta.get("grade"):
            graded += 1
    if graded == 0:
        raise AssignmentError(f"{path}: no graded cells (nbgrader metadata with \"grade\": true).")


def _write_if_changed(nb: NotebookNode, target: Path) -> bool:
    text = nbformat.writes(nb) + "\n"
    if target.is_file() and target.read_text(encoding="utf-8") == text:
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return True


def nbgrader_config(settings: Settings, course_dir: Path | None = None, db_url: str | None = None):
    """The traitlets configuration that points nbgrader at a course folder and gradebook."""
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str((course_dir or settings.course_dir).resolve())
    config.CourseDirectory.db_url = db_url or settings.gradebook_url
    # nbgrader's preprocessors open the gradebook with the course id "default_course"; every
    # step must use the same one (PostgreSQL enforces the foreign key that SQLite ignores).
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "*.py"]
    config.Exchange.root = str((course_dir or settings.course_dir).resolve() / "exchange")
    return config


_NBGRADER_CONFIG = """\
# Written by `make assignments` (python -m course_grader generate) so that nbgrader's
# own tools (the formgrader in JupyterLab, `nbgrader db ...`) find this course and its gradebook.
# Run them from this folder. A gradebook address with a password is read from the environment
# variable COURSE_GRADING_DB_URL, never written here.
import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = {course_id!r}
_url = os.environ.get("COURSE_GRADING_DB_URL") or {fallback!r}
if _url.startswith(("postgresql://", "postgres://")):
    _url = "postgresql+psycopg2://" + _url.split("://", 1)[1]
c.CourseDirectory.db_url = _url
"""


def write_nbgrader_config(settings: Settings) -> Path:
    """``<course_dir>/nbgrader_config.py``, for nbgrader's formgrader and command line."""
    fallback = settings.gradebook_url
    if "@" in fallback.split("://", 1)[-1]:  # drop a password: libpq then uses ~/.pgpass or PGPASSWORD
        scheme, rest = fallback.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        fallback = f"{scheme}://{credentials.split(':', 1)[0]}@{host}"
    path = settings.course_dir / "nbgrader_config.py"
    path.write_text(_NBGRADER_CONFIG.format(course_id=COURSE_ID, fallback=fallback), encoding="utf-8")
    return path


def generate(settings: Settings, names: list[str] | None = None, log=print) -> list[Path]:
    """Generate nbgrader's source notebooks and the student versions; return the student versions."""
    from nbgrader.apps import NbGraderAPI

    sources = source_files(settings.source)
    if names:
        unknown = sorted(set(names) - {p.stem for p in sources})
        if unknown:
            raise AssignmentError(f"no assignment source named {unknown} in {settings.source}.")
        sources = [p for p in sources if p.stem in names]
    if not sources:
        raise AssignmentError(f"no assignment sources (.py files with '# %%' cells) in {settings.source}.")
    course = settings.course_dir
    course.mkdir(parents=True, exist_ok=True)
    for path in sources:
        nb = read_source(path)
        for warning in check_judges(settings.source, path.stem, nb):
            log(f"warning: {warning}")
        _write_if_changed(nb, course / "source" / path.stem / f"{path.stem}.ipynb")
    write_nbgrader_config(settings)
    api = NbGraderAPI(config=nbgrader_config(settings))
    released = []
    for path in sources:
        result = api.generate_assignment(path.stem, force=True, create=True)
        if not result["success"]:
            raise AssignmentError(
                f"nbgrader could not generate {path.stem}:\n{result.get('log', '')}\n{result.get('error', '')}"
            )
        folder = course / "release" / path.stem
        check_student_version(folder, path.stem)
        released.append(folder / f"{path.stem}.ipynb")
        log(f"generated {path.stem}: student version {released[-1]}")
    return released


def check_judges(source_dir: Path, name: str, nb: NotebookNode) -> list[str]:
    """Check ``judges/<name>.py`` against the notebook; return warnings for cells judged in the kernel.

    A test whose grade id is not a locked code grade cell of the notebook is an error.
    """
    from .judge import judges_file, load_tests

    tests = load_tests(source_dir, name)
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c for c in nb.cells}
    for grade_id in tests:
        cell = cells.get(grade_id)
        meta = cell.metadata.get("nbgrader", {}) if cell is not None else {}
        if cell is None or cell.cell_type != "code" or not meta.get("grade") or meta.get("solution") \
                or not meta.get("locked"):
            raise AssignmentError(f"{judges_file(source_dir, name)}: {grade_id!r} is not a locked code grade "
                                  f"cell of {name}.")
    return [f"{name}: test cell {grade_id} has no test in {judges_file(source_dir, name)}; it is judged in "
            "the student's kernel, where its points can be forged"
            for grade_id, cell in cells.items()
            if grade_id and cell.cell_type == "code" and cell.metadata["nbgrader"].get("grade")
            and not cell.metadata["nbgrader"].get("solution") and grade_id not in tests]


def check_student_version(folder: Path, name: str) -> None:
    """Fail unless ``folder`` holds only ``name.ipynb``, free of solutions, hidden tests and Jupytext metadata."""
    files = sorted(p.name for p in folder.rglob("*") if p.is_file())
    if files != [f"{name}.ipynb"]:
        raise AssignmentError(f"the student version {folder} should hold only {name}.ipynb; it holds {files}.")
    text = (folder / f"{name}.ipynb").read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    if "jupytext" in nb.metadata:
        raise AssignmentError(f"{folder / name}.ipynb carries Jupytext metadata.")
    for index, cell in enumerate(nb.cells):
        for marker in SOLUTION_MARKERS + HIDDEN_MARKERS:
            if marker in cell.source:
                raise AssignmentError(f"{folder / name}.ipynb, cell {index + 1}, still contains '{marker}'.")
        if set(cell.metadata) - {"nbgrader", "tags", "deletable", "editable"}:
            raise AssignmentError(
                f"{folder / name}.ipynb, cell {index + 1}, has unexpected metadata {sorted(cell.metadata)}."
            )


def load_spec(settings: Settings, name: str) -> AssignmentSpec:
    """The grade ids and metadata of an assignment, from the generated source and student notebooks."""
    source = settings.course_dir / "source" / name / f"{name}.ipynb"
    release = settings.course_dir / "release" / name / f"{name}.ipynb"
    if not source.is_file() or not release.is_file():
        raise AssignmentError(
            f"assignment {name} has not been generated in {settings.course_dir}; run `make assignments` first."
        )
    nb = nbformat.read(source, as_version=4)
    spec = AssignmentSpec(name=name, cells={})
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if meta and meta.get("grade_id"):
            spec.cells[meta["grade_id"]] = dict(meta)
            spec.order.append(meta["grade_id"])
    for cell in nbformat.read(release, as_version=4).cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            spec.release_cells[grade_id] = cell
    return spec


def generated_assignments(settings: Settings) -> list[str]:
    """Names of the assignments that have a generated student version."""
    release = settings.course_dir / "release"
    if not release.is_dir():
        return []
    return sorted(p.name for p in release.iterdir() if (p / f"{p.name}.ipynb").is_file())


def _strip_solution_markers(source: str) -> str:
    return "\n".join(line for line in source.split("\n") if not any(m in line for m in SOLUTION_MARKERS))


def solution_version(settings: Settings, name: str, answered: set[str] | None = None) -> NotebookNode:
    """The student version with the model answers filled in: what a perfect student hands in.

    ``answered`` limits the filled-in answers to those grade ids (the others
    stay blank), to make partly answered submissions for tests and benchmarks.
    """
    source = nbformat.read(settings.course_dir / "source" / name / f"{name}.ipynb", as_version=4)
    answers = {
        c.metadata["nbgrader"]["grade_id"]: _strip_solution_markers(c.source)
        for c in source.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    nb = nbformat.read(settings.course_dir / "release" / name / f"{name}.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers and (answered is None or grade_id in answered):
            cell.source = answers[grade_id].strip("\n")
    return nb
