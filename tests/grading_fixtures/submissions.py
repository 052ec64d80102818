"""Build submissions of lesson 1's assignment: honest, broken and hostile ones.

Each builder takes the solution version and the student version (nbformat
notebooks, as a student would receive and complete them) and returns the files
of one submission folder: ``{file name: bytes}``. ``CASES`` says what each must
get; tests/test_grading.py checks it.

Lesson 1 has 11 points: three code questions of 3 points (1 public, 2 hidden),
graded automatically (9 points), and a written answer of 2 points.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

NAME = "01_activation_functions"
FILE = f"{NAME}.ipynb"


@dataclass(frozen=True)
class Expected:
    """What grading must report for a case."""

    status: str  # "graded" or "ungradable"
    autograded: float | None = None  # points out of 9, for graded cases
    reason: str = ""  # a fragment of the reason, for ungradable cases
    notes: tuple[str, ...] = ()  # fragments that must appear in the notes
    assignment: str = NAME


def _cell(nb, grade_id):
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(grade_id)


def _index(nb, grade_id):
    return nb.cells.index(_cell(nb, grade_id))


def _files(nb, name=FILE):
    return {name: nbformat.writes(nb).encode("utf-8")}


def solution(sol, blank):
    return _files(sol)


def blank(sol, blank):
    return _files(blank)


def infinite_loop(sol, blank):
    nb = copy.deepcopy(sol)
    cell = _cell(nb, "L1-q1-answer")
    cell.source = "while True:  # never ends\n    pass\n\n" + cell.source
    return _files(nb)


def unresponsive(sol, blank):
    """A loop that swallows the interrupt: the kernel never answers again."""
    nb = copy.deepcopy(sol)
    cell = _cell(nb, "L1-q3-answer")
    cell.source = (
        "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass\n\n"
        + cell.source
    )
    return _files(nb)


def exception(sol, blank):
    nb = copy.deepcopy(sol)
    cell = _cell(nb, "L1-q2-answer")
    cell.source = "1 / 0\n\n" + cell.source
    return _files(nb)


def deleted_test_cells(sol, blank):
    nb = copy.deepcopy(sol)
    for grade_id in ("L1-q1-public", "L1-q1-hidden", "L1-q3-hidden"):
        nb.cells.remove(_cell(nb, grade_id))
    return _files(nb)


def _wrong_q1(nb):
    _cell(nb, "L1-q1-answer").source = (
        "def relu_derivative(z):\n    import numpy as np\n    return np.zeros_like(np.asarray(z, dtype=float))\n"
    )


def edited_test_cells(sol, blank):
    nb = copy.deepcopy(sol)
    _wrong_q1(nb)
    _cell(nb, "L1-q1-public").source = "pass  # tests? what tests?"
    _cell(nb, "L1-q1-hidden").source = "assert True"
    return _files(nb)


def edited_metadata(sol, blank):
    nb = copy.deepcopy(sol)
    _wrong_q1(nb)
    hidden = _cell(nb, "L1-q1-hidden")
    hidden.metadata["nbgrader"].update(grade=False, locked=False, points=0)
    hidden.source = "pass"
    public = _cell(nb, "L1-q1-public")
    public.metadata["nbgrader"]["points"] = 100
    public.source = "pass"
    bonus = nbformat.v4.new_code_cell("assert True  # free points?")
    bonus.metadata["nbgrader"] = {"grade": True, "grade_id": "bonus", "locked": True, "points": 50,
                                  "schema_version": 3, "solution": False, "task": False}
    nb.cells.insert(_index(nb, "L1-q1-public"), bonus)
    answer = _cell(nb, "L1-q2-answer")  # a code answer turned into markdown and locked
    answer.cell_type = "markdown"
    answer.pop("outputs", None)
    answer.pop("execution_count", None)
    answer.metadata["nbgrader"]["locked"] = True
    return _files(nb)


def invalid_json(sol, blank):
    text = nbformat.writes(sol)
    return {FILE: text[: len(text) // 2].encode("utf-8")}


def renamed(sol, blank):
    return _files(sol, name=f"{NAME}-Copy1.ipynb")


def missing_notebook(sol, blank):
    return {"answers.txt": b"I did the work but forgot to upload the notebook.\n"}


def os_exit(sol, blank):
    nb = copy.deepcopy(sol)
    cell = _cell(nb, "L1-q2-answer")
    cell.source = "import os\nos._exit(3)\n\n" + cell.source
    return _files(nb)


# The answer cells of the always-equal submission: the classes from
# hostile_values.py, then answers built from them.
ALWAYS_EQUAL = (Path(__file__).with_name("hostile_values.py").read_text(encoding="utf-8") + '''

def relu_derivative(z):
    return AlwaysEqual()


def sigmoid_derivative(z):
    return np.full(np.shape(z), 0.123).view(SmugArray)
''')


def always_equal(sol, blank):
    nb = copy.deepcopy(sol)
    _cell(nb, "L1-q1-answer").source = ALWAYS_EQUAL
    _cell(nb, "L1-q2-answer").source = "# sigmoid_derivative is defined above"
    return _files(nb)


# Searches everything the kernel can reach for the hidden tests and the
# gradebook, and prints what it found as one JSON line. The strings it looks
# for are assembled at run time, so that this notebook itself never contains them.
SNOOP = r'''
import json, os, socket, sys, time
needles = {"hidden test": ("_hidden_" + "l1_q1").encode(), "hidden assertion": ("tiny and " + "huge values").encode(),
           "sqlite gradebook": b"SQLite format 3" + bytes(1)}
found, checked, started = [], 0, time.monotonic()
skip = {"/proc", "/sys", "/dev", "/usr", "/var/lib", "/var/cache", sys.prefix, sys.base_prefix,
        os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)}
for dirpath, dirnames, filenames in os.walk("/", onerror=lambda e: None):
    if any(dirpath == s or dirpath.startswith(s.rstrip("/") + "/") for s in skip) or time.monotonic() - started > 5:
        dirnames[:] = []
        continue
    for name in filenames:
        path = os.path.join(dirpath, name)
        try:
            if os.path.islink(path) or os.path.getsize(path) > 2_000_000:
                continue
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError:
            continue
        checked += 1
        found += [[what, path] for what, needle in needles.items() if needle in data]
import course_utils
repo = os.path.dirname(os.path.dirname(os.path.abspath(course_utils.__file__)))
guesses = [os.path.join(repo, p) for p in ("assignments/source", "assignments", ".git", "assignments/course",
                                             "assignments/course/gradebook.db", "tests")]
guesses += [os.path.expanduser("~/.jupyter"), "/etc/jupyter", os.path.join(sys.prefix, "etc/jupyter")]
guesses += ["/root/" + p for p in (".jupyter", ".local", ".pgpass", ".bash_history")]
for guess in guesses:
    try:
        if os.path.isdir(guess):
            if os.listdir(guess):
                found.append(["readable folder", guess])
        elif os.path.exists(guess):
            open(guess, "rb").read(16)
            found.append(["readable file", guess])
    except OSError:
        pass
for key, value in os.environ.items():
    if any(word in value.lower() for word in ("postgres", "sqlite", "gradebook", "secret")):
        found.append(["environment", key])
for pid in (p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()):
    try:
        cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        continue
    if b"nbgrader" in cmdline or b"grading" in cmdline or b"postgres" in cmdline:
        found.append(["process", cmdline.replace(bytes(1), b" ").decode(errors="replace")[:120]])
ports = set()
for table in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        for line in open(table).read().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A":
                ports.add(int(local.split(":")[-1], 16))
    except OSError:
        pass
def speaks_postgres(port):
    """Send PostgreSQL's SSLRequest; a server answers with one byte, S or N."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))
            return conn.recv(1) in (b"S", b"N")
    except OSError:
        return False
try:
    import psycopg2
except ImportError:
    psycopg2 = None
if psycopg2 is not None:
    for port in sorted(p for p in ports if speaks_postgres(p)):
        for user in ("postgres", "grader", "root", "nobody"):
            try:
                psycopg2.connect(host="127.0.0.1", port=port, user=user, dbname="postgres", connect_timeout=2).close()
                found.append(["postgresql without password", f"{user}@{port}"])
            except Exception:
                pass
print("SNOOP-RESULT " + json.dumps({"uid": os.getuid(), "checked": checked, "found": found}))
'''


def snoop(sol, blank):
    nb = copy.deepcopy(sol)
    nb.cells.insert(_index(nb, "L1-q1-public"), nbformat.v4.new_code_cell(SNOOP))
    return _files(nb)


# Records the code of every cell the kernel runs (hidden tests included, as it
# must run them) and prints it from a cell at the very end, hoping that the
# feedback shows it.
LEAK_HOOK = r'''
_recorded = []
get_ipython().events.register("pre_run_cell", lambda info: _recorded.append(info.raw_cell))
'''
LEAK_PRINT = r'''
print("\n".join(_recorded))
'''


def leak_through_feedback(sol, blank):
    nb = copy.deepcopy(sol)
    nb.cells.insert(_index(nb, "L1-q1-answer"), nbformat.v4.new_code_cell(LEAK_HOOK))
    nb.cells.append(nbformat.v4.new_code_cell(LEAK_PRINT))
    return _files(nb)


def wrong_notebook(sol_other):
    """Another assignment's (complete) notebook under this assignment's name."""
    return _files(sol_other)


CASES: dict[str, Expected] = {
    "solution": Expected("graded", 9),
    "blank": Expected("graded", 0),
    "infinite_loop": Expected("graded", 6, notes=("L1-q1-answer) was stopped after the time limit",)),
    "unresponsive": Expected("ungradable", reason="did not stop when interrupted"),
    "exception": Expected("graded", 6),
    "deleted_test_cells": Expected("graded", 9, notes=("test cell L1-q1-public was deleted", "test cell L1-q1-hidden "
                                                       "was deleted", "test cell L1-q3-hidden was deleted")),
    "edited_test_cells": Expected("graded", 6, notes=("read-only cell L1-q1-public was edited",
                                                      "read-only cell L1-q1-hidden was edited")),
    "edited_metadata": Expected("graded", 6, notes=("reset the edited nbgrader metadata of cell L1-q1-hidden",
                                                    "unknown cell id 'bonus'", "L1-q2-answer was turned into a "
                                                    "markdown cell")),
    "invalid_json": Expected("ungradable", reason="invalid JSON"),
    "renamed": Expected("graded", 9, notes=(f"graded {NAME}-Copy1.ipynb as {FILE}",)),
    "missing_notebook": Expected("ungradable", reason=f"no notebook {FILE}"),
    "os_exit": Expected("ungradable", reason="the kernel died in cell"),
    "always_equal": Expected("graded", 3),
    "snoop": Expected("graded", 9),
    "leak_through_feedback": Expected("graded", 9),
}
BUILDERS = {name: globals()[name] for name in CASES}


def write_submission(folder, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def snoop_result(notebook_path) -> dict:
    """The JSON that the snoop cell printed in an autograded notebook."""
    nb = json.loads(notebook_path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text = output.get("text", "")
            text = "".join(text) if isinstance(text, list) else text
            if "SNOOP-RESULT " in text:
                return json.loads(text.split("SNOOP-RESULT ", 1)[1].strip().splitlines()[0])
    raise AssertionError(f"no SNOOP-RESULT in {notebook_path}")
