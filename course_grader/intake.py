"""Find the submissions in a folder, and turn each into a notebook that nbgrader can grade.

Nothing here runs students' code, and the submissions folder is only read.

The folder has nbgrader's layout: ``<student>/<assignment>/<assignment>.ipynb``
(other files beside the notebook, such as nbgrader's ``timestamp.txt``, are
allowed). For each ``(student, assignment)`` pair :func:`discover` decides,
from the files alone, whether the submission can be graded, and prepares a
cleaned copy:

* the notebook must be valid JSON and a Jupyter notebook;
* it must be this assignment's notebook (its graded cells are recognised by
  their ids); a notebook under another name is accepted when it is the only
  candidate, with a note; another assignment's notebook is refused;
* the nbgrader metadata of every known cell is taken from the source, never
  from the submission (edited points, a test cell unmarked or unlocked, a cell
  given a new id); metadata that claims unknown or duplicate ids is removed;
* a deleted test or answer cell is put back from the student version at its
  place, so the tests run (and nbgrader then restores the hidden tests).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from .course import AssignmentSpec

_SKIP = {".ipynb_checkpoints", "__pycache__", ".DS_Store"}
#: Characters allowed in a student id besides Unicode letters, digits and combining marks.
ID_PUNCTUATION = set("_.@+-")
MAX_ID_LENGTH = 100
DEFAULT_MAX_BYTES = 20 * 2**20


def student_id_problem(name: str) -> str | None:
    """Why a folder name cannot serve as a student id, or None.

    Any Unicode letters and digits are allowed (Chinese names among them), with
    combining marks and ``_ . @ + -``; not path separators, ``..``, control or
    format characters, spaces, or a leading dot. Ids are compared in NFC form.
    """
    import unicodedata

    if not name or len(name) > MAX_ID_LENGTH:
        return f"a student id has 1 to {MAX_ID_LENGTH} characters"
    if name.startswith(".") or ".." in name:
        return "a student id may not start with a dot or contain '..'"
    for char in name:
        category = unicodedata.category(char)
        if category[0] in "LNM" or char in ID_PUNCTUATION:
            continue
        if category[0] == "C":
            return f"the folder name contains the control or format character U+{ord(char):04X}"
        if char in "/\\":
            return "the folder name contains a path separator"
        return (f"the folder name contains {char!r} (U+{ord(char):04X}); a student id may use letters and "
                "digits of any script and _ . @ + -")
    return None


def _twin_key(name: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKC", name).casefold()


def _symlinks(folder: Path) -> list[str]:
    """Symbolic links anywhere below ``folder`` (never followed), relative to it."""
    import os

    found = []
    for top, dirs, files in os.walk(folder, followlinks=False):
        for name in dirs + files:
            path = Path(top) / name
            if path.is_symlink():
                found.append(str(path.relative_to(folder)))
    return sorted(found)


@dataclass
class Submission:
    """One student's submission of one assignment, and what intake made of it."""

    student: str
    assignment: str
    folder: Path
    status: str = "ready"  # "ready" (to autograde) or "ungradable"
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # relative name -> sha256
    notebook: NotebookNode | None = None
    timestamp: str | None = None

    def refuse(self, reason: str) -> "Submission":
        self.status, self.reason, self.notebook = "ungradable", reason, None
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.assignment, self.student)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digests(folder: Path) -> dict[str, tuple[str, int, float]]:
    """Content digest, mode and modification time of every file below ``folder`` (to prove nothing changed)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            stat = path.stat()
            out[str(path.relative_to(folder))] = (file_digest(path), stat.st_mode, stat.st_mtime)
    return out


def discover(folder: Path, specs: dict[str, AssignmentSpec], only: list[str] | None = None,
             max_bytes: int = DEFAULT_MAX_BYTES) -> list[Submission]:
    """Every ``(student, assignment)`` submission below ``folder``, each ready or refused with a reason.

    A symbolic link anywhere in a student's folder refuses that student's
    submissions (a link is never followed: it could point at the instructor's
    files); a notebook file larger than ``max_bytes`` is refused before it is read.
    """
    import unicodedata

    if not folder.is_dir():
        raise FileNotFoundError(f"submissions folder {folder} does not exist.")
    owners = _id_owners(specs)
    found: list[Submission] = []
    entries = sorted(p for p in folder.iterdir() if p.name not in _SKIP and not p.name.startswith("."))
    twins: dict[str, list[str]] = {}
    for entry in entries:
        twins.setdefault(_twin_key(entry.name), []).append(entry.name)
    for student_dir in entries:
        student = unicodedata.normalize("NFC", student_dir.name)
        if student_dir.is_symlink():
            found.append(Submission(student=student, assignment="(none)", folder=student_dir).refuse(
                "the student's folder is a symbolic link; links are never followed"))
            continue
        if not student_dir.is_dir():
            found.append(Submission(student="(none)", assignment="(none)", folder=folder).refuse(
                f"{student} lies directly in the submissions folder; "
                "expected <student>/<assignment>/<assignment>.ipynb"))
            continue
        problem = student_id_problem(student_dir.name)
        if problem:
            found.append(Submission(student=ascii(student_dir.name)[1:-1][:MAX_ID_LENGTH], assignment="(none)",
                                    folder=student_dir).refuse(f"the folder name cannot serve as a student id: "
                                                               f"{problem}"))
            continue
        if len(twins[_twin_key(student_dir.name)]) > 1:
            others = [ascii(n) for n in twins[_twin_key(student_dir.name)] if n != student_dir.name]
            found.append(Submission(student=student, assignment="(none)", folder=student_dir).refuse(
                f"the student id differs from {', '.join(others)} only by Unicode normalisation or case; "
                "rename one of the folders"))
            continue
        links = _symlinks(student_dir)
        if links:
            found.append(Submission(student=student, assignment="(none)", folder=student_dir).refuse(
                f"the submission contains symbolic links ({', '.join(links[:3])}); links are never followed, "
                "hand in the files themselves"))
            continue
        entries_in = sorted(p for p in student_dir.iterdir() if p.name not in _SKIP and not p.name.startswith("."))
        stray = [p.name for p in entries_in if not p.is_dir()]
        if stray:
            found.append(Submission(student=student, assignment="(none)", folder=student_dir).refuse(
                f"files outside an assignment folder: {', '.join(stray)}; expected "
                f"{student}/<assignment>/<assignment>.ipynb"))
        for assignment_dir in (p for p in entries_in if p.is_dir()):
            if only and assignment_dir.name not in only:
                continue
            found.append(_intake(student, assignment_dir, specs, owners, max_bytes))
    return found


def _id_owners(specs: dict[str, AssignmentSpec]) -> dict[str, str]:
    return {grade_id: name for name, spec in specs.items() for grade_id in spec.cells}


def _intake(student: str, folder: Path, specs: dict[str, AssignmentSpec], owners: dict[str, str],
            max_bytes: int = DEFAULT_MAX_BYTES) -> Submission:
    name = folder.name
    sub = Submission(student=student, assignment=name, folder=folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not (set(p.relative_to(folder).parts) & _SKIP))
    sub.files = {str(p.relative_to(folder)): file_digest(p) for p in files}
    stamp = folder / "timestamp.txt"
    if stamp.is_file():
        sub.timestamp = stamp.read_text(encoding="utf-8", errors="replace").strip()[:64]
    if name not in specs:
        return sub.refuse(f"unknown assignment '{name}' (the assignments are: {', '.join(sorted(specs))})")
    spec = specs[name]
    notebooks = [p for p in files if p.suffix == ".ipynb" and p.parent == folder]
    too_big = [p for p in notebooks if p.stat().st_size > max_bytes]
    if too_big:
        size = too_big[0].stat().st_size
        return sub.refuse(f"{too_big[0].name} is {size / 2**20:.1f} MB, more than the limit of "
                          f"{max_bytes / 2**20:g} MB for a submitted notebook (clear its outputs and hand it in again)")
    expected = folder / f"{name}.ipynb"
    if expected in notebooks:
        chosen = expected
        others = [p.name for p in notebooks if p != expected]
        if others:
            sub.notes.append(f"ignored other notebooks: {', '.join(others)}")
    elif not notebooks:
        listing = ", ".join(sub.files) or "nothing"
        return sub.refuse(f"no notebook {name}.ipynb in the submission (it holds: {listing})")
    else:
        parsed = {p: _parse(p) for p in notebooks}
        mine = [p for p, (nb, _) in parsed.items() if nb is not None and _owner(nb, owners) == name]
        if len(mine) == 1:
            chosen = mine[0]
            sub.notes.append(f"graded {chosen.name} as {name}.ipynb (the notebook was renamed)")
        elif len(mine) > 1:
            return sub.refuse(
                f"no notebook {name}.ipynb, and several notebooks that could be it: {', '.join(p.name for p in mine)}"
            )
        else:
            described = []
            for p, (nb, error) in parsed.items():
                owner = _owner(nb, owners) if nb is not None else None
                what = error or (f"assignment {owner}" if owner else "not an assignment notebook")
                described.append(f"{p.name} ({what})")
            return sub.refuse(f"no notebook {name}.ipynb; found {', '.join(described)}")
    nb, error = _parse(chosen)
    if nb is None:
        return sub.refuse(f"{chosen.name}: {error}")
    owner = _owner(nb, owners)
    if owner is None:
        return sub.refuse(f"{chosen.name} has none of the graded cells of {name}: it is not this assignment's notebook")
    if owner != name:
        return sub.refuse(f"{chosen.name} is the notebook of assignment {owner}, not {name}")
    sub.notebook, notes = sanitize(nb, spec)
    sub.notes.extend(notes)
    return sub


def _parse(path: Path) -> tuple[NotebookNode | None, str]:
    """Read a notebook leniently: (notebook, "") or (None, why it cannot be read)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    if isinstance(data, dict) and data.get("nbformat") in (2, 3) and isinstance(data.get("worksheets"), list):
        try:  # an older notebook (nbformat 3, for example from an old Jupyter): upgraded, then read as usual
            data = json.loads(nbformat.writes(nbformat.convert(nbformat.from_dict(data), 4)))
        except Exception as exc:  # noqa: BLE001 - any failure to convert means unreadable
            return None, f"a notebook in nbformat {data.get('nbformat')} that cannot be upgraded: {exc}"
    if not isinstance(data, dict) or not isinstance(data.get("cells", None), list):
        return None, "valid JSON but not a Jupyter notebook (no list of cells)"
    if data.get("nbformat") != 4:
        try:
            data = nbformat.convert(nbformat.from_dict(data), 4)
        except Exception as exc:  # noqa: BLE001 - any failure to convert means unreadable
            return None, f"a notebook in a format nbgrader cannot read (nbformat {data.get('nbformat')!r}: {exc})"
    cells = []
    for raw_cell in data.get("cells", []):
        if not isinstance(raw_cell, dict) or raw_cell.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        source = raw_cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            source = ""
        meta = raw_cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        kind = raw_cell["cell_type"]
        if kind == "code":
            cell = nbformat.v4.new_code_cell(source)
        elif kind == "markdown":
            cell = nbformat.v4.new_markdown_cell(source)
        else:
            cell = nbformat.v4.new_raw_cell(source)
        if isinstance(nbg, dict):
            cell.metadata["nbgrader"] = copy.deepcopy(nbg)
        cells.append(cell)
    nb = nbformat.v4.new_notebook(cells=cells)
    return nb, ""


def _ids(nb: NotebookNode) -> list[str]:
    out = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if isinstance(grade_id, str):
            out.append(grade_id)
    return out


def _owner(nb: NotebookNode, owners: dict[str, str]) -> str | None:
    """The assignment most of the notebook's known cell ids belong to, or None."""
    counts: dict[str, int] = {}
    for grade_id in _ids(nb):
        if grade_id in owners:
            counts[owners[grade_id]] = counts.get(owners[grade_id], 0) + 1
    if not counts:
        return None
    return max(sorted(counts), key=lambda name: counts[name])


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip().splitlines())


def sanitize(nb: NotebookNode, spec: AssignmentSpec) -> tuple[NotebookNode, list[str]]:
    """Return a copy with the source's metadata on every known cell and every missing known cell restored."""
    notes: list[str] = []
    kept: list[NotebookNode] = []
    seen: set[str] = set()
    for cell in nb.cells:
        cell = copy.deepcopy(cell)
        meta = cell.metadata.get("nbgrader")
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if meta is not None and (grade_id not in spec.cells or grade_id in seen):
            what = "a second cell with the id" if grade_id in seen else "an unknown cell id"
            notes.append(f"ignored nbgrader metadata claiming {what} {grade_id!r}")
            del cell.metadata["nbgrader"]
            kept.append(cell)
            continue
        if grade_id is None:
            kept.append(cell)
            continue
        seen.add(grade_id)
        original = spec.release_cells[grade_id]
        want = {k: v for k, v in spec.cells[grade_id].items() if k != "checksum"}
        have = {k: v for k, v in meta.items() if k not in ("checksum", "cell_type")}
        want_cmp = {k: v for k, v in want.items() if k != "cell_type"}
        if have != want_cmp:
            notes.append(f"reset the edited nbgrader metadata of cell {grade_id}")
        if cell.cell_type != original.cell_type:
            notes.append(f"cell {grade_id} was turned into a {cell.cell_type} cell; graded as {original.cell_type}")
            cell = _retype(cell, original.cell_type)
        if want.get("locked") and _norm(cell.source) != _norm(original.source):
            notes.append(f"read-only cell {grade_id} was edited; the original is used")
        cell.metadata["nbgrader"] = NotebookNode(copy.deepcopy(spec.release_cells[grade_id].metadata["nbgrader"]))
        kept.append(cell)
    missing = [g for g in spec.order if g not in seen]
    for grade_id in missing:
        kind = "test" if spec.cells[grade_id].get("grade") and not spec.cells[grade_id].get("solution") else (
            "answer" if spec.cells[grade_id].get("solution") else "read-only")
        notes.append(f"{kind} cell {grade_id} was deleted; restored from the source")
        position = _insert_position(kept, spec, grade_id)
        kept.insert(position, copy.deepcopy(spec.release_cells[grade_id]))
    out = nbformat.v4.new_notebook(cells=kept)
    out.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    for index, cell in enumerate(out.cells):
        cell.id = f"s{index:04d}"
        cell.metadata.pop("deletable", None)
        cell.metadata.pop("editable", None)
    nbformat.validate(out)
    return out, notes


def _retype(cell: NotebookNode, kind: str) -> NotebookNode:
    maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    new = maker(cell.source)
    new.metadata.update(cell.metadata)
    return new


def _insert_position(cells: list[NotebookNode], spec: AssignmentSpec, grade_id: str) -> int:
    """Just after the nearest known cell that precedes ``grade_id`` in the source."""
    before = spec.order[: spec.order.index(grade_id)]
    positions = {c.metadata.get("nbgrader", {}).get("grade_id"): i for i, c in enumerate(cells)}
    for previous in reversed(before):
        if previous in positions:
            return positions[previous] + 1
    return 0
