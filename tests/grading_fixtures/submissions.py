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
import os
import sys
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
        os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix), GRADER_PREFIX}
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


# The Python environment is visible to kernels on purpose (read-only). When it is a
# symbolic link (a checkout sharing another's .venv), the kernel sees it under both
# names, and its own sys.prefix names only one: the grader names the other.
SNOOP = SNOOP.replace("GRADER_PREFIX", repr(os.path.realpath(sys.prefix)))


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


# --- attacks on the judging itself -----------------------------------------------------------------
#
# Each attack is a cell placed before the first answer, plus wrong answers (arrays
# of zeros of the right shape) for the questions it does not solve. Judged in the
# grader's process, each scores only what it solved; judged inside the kernel
# (the old design, ``judge="kernel"``), each takes points it never earned.

WRONG = {
    "L1-q1-answer": "def relu_derivative(z):\n    return np.zeros(np.shape(z))\n",
    "L1-q2-answer": "def sigmoid_derivative(z):\n    return np.zeros(np.shape(z))\n",
    "L1-q3-answer": "def softmax(z):\n    return np.zeros(np.shape(z))\n",
}

ATTACK_CODE = {
    # The attack: the course's checking helpers become no-ops.
    "patch_helpers": r'''
import course_utils.selfcheck as _sc
_sc.assert_close = lambda *a, **k: None
_sc.Question.assert_passes = lambda self, answer: print("All public checks passed.")
''',
    # NumPy itself says that every pair of numbers is close.
    "patch_numpy": r'''
import numpy as _np
_np.isclose = lambda a, b, **k: _np.ones(_np.broadcast(a, b).shape, dtype=bool)
_np.testing.assert_allclose = lambda *a, **k: None
''',
    # Fake modules in sys.modules (and on their parent packages) for the helpers.
    "patch_sys_modules": r'''
import sys, types
_fake = types.ModuleType("course_utils.selfcheck")
_fake.assert_close = lambda *a, **k: None
class _Q:
    def assert_passes(self, answer):
        print("All public checks passed.")
    check = assert_passes
_lesson = types.ModuleType("course_utils.exercises.lesson1")
_lesson.q1 = _lesson.q2 = _lesson.q3 = _Q()
sys.modules["course_utils.selfcheck"] = _fake
sys.modules["course_utils.exercises.lesson1"] = _lesson
import course_utils, course_utils.exercises
course_utils.selfcheck = _fake
course_utils.exercises.lesson1 = _lesson
''',
    # builtins.__import__ hands out forgiving helpers, whatever asks for them.
    "patch_builtins": r'''
import builtins, types
_real_import = builtins.__import__
_lenient = types.SimpleNamespace(assert_close=lambda *a, **k: None)
def _import(name, globals=None, locals=None, fromlist=(), level=0):
    module = _real_import(name, globals, locals, fromlist, level)
    if name == "course_utils.selfcheck":
        return _lenient
    return module
builtins.__import__ = _import
import course_utils.selfcheck as _sc
_sc.Question.assert_passes = lambda self, answer: None
''',
    # The channel back: IPython runs every cell through this, and reports success.
    "swallow_errors": r'''
import types
async def _run_code(self, code_obj, result=None, *, async_=False):
    try:
        exec(code_obj, self.user_global_ns, self.user_ns)
    except Exception:
        print("Tests passed.")
    return False
get_ipython().run_code = types.MethodType(_run_code, get_ipython())
''',
    # IPython runs `pass` instead of any test cell.
    "skip_test_cells": r'''
def _skip(lines):
    text = "".join(lines)
    return ["pass\n"] if ("_course_" in text or "checks." in text) else lines
get_ipython().input_transformers_cleanup.append(_skip)
''',
    # The answers raise SystemExit, which the patched shell takes for a clean end of the cell.
    "system_exit": r'''
import types
async def _run_code(self, code_obj, result=None, *, async_=False):
    try:
        exec(code_obj, self.user_global_ns, self.user_ns)
    except SystemExit:
        pass
    except Exception as exc:
        if result is not None:
            result.error_in_exec = exc
        self.showtraceback()
        return True
    return False
get_ipython().run_code = types.MethodType(_run_code, get_ipython())
''',
    # Fake results: a partial-credit value, a verdict that looks real, and a forged
    # hand-back in the grader's own format, before every test cell runs.
    "fake_results": r'''
from IPython.display import display as _display
_MIME = "application/vnd.course-grader.results+json"
def _forge(info):
    if "_course_" in info.raw_cell or "checks." in info.raw_cell:
        print("Tests: 3 of 3 cases correct (judged by the grader).")
        get_ipython().displayhook(1)
        _display({_MIME: {"results": [{"value": 0.0}] * 3}}, raw=True)
get_ipython().events.register("pre_run_cell", _forge)
''',
}

SYSTEM_EXIT_ANSWERS = {
    "L1-q1-answer": "def relu_derivative(z):\n    raise SystemExit(0)\n",
    "L1-q2-answer": "def sigmoid_derivative(z):\n    raise SystemExit(0)\n",
    "L1-q3-answer": "def softmax(z):\n    raise SystemExit(0)\n",
}

#: attack -> (points judged by the grader, points judged inside the kernel); out of 9.
#: patch_helpers answers question 2 correctly, so it keeps those 3 points.
ATTACKS = {
    "patch_helpers": (3, 9), "patch_numpy": (0, 9), "patch_sys_modules": (0, 9), "patch_builtins": (0, 9),
    "swallow_errors": (0, 9), "skip_test_cells": (0, 9), "system_exit": (0, 9), "fake_results": (0, 6),
}


#: The same kind of attack on lesson 7's assignment (judged outside the kernel too): wrong
#: answers for every question, except question 1, which patch_helpers solves honestly.
NAME_L7 = "07_scaling_laws"
WRONG_L7 = {
    "L7-q1-answer": "def training_flops(layer_sizes, examples):\n    return 0.0\n",
    "L7-q2-answer": "def fit_power_law(x, loss):\n    return 0.0, 0.0, 0.0\n",
    "L7-q3-answer": "def compute_optimal(budget):\n    return 0.0, 0.0\n",
}
ATTACKS_L7 = {"patch_helpers": (3, 9), "fake_results": (0, 6)}


def attack(name, assignment=NAME):
    """An attack on lesson 1's assignment (or, for ATTACKS_L7, on lesson 7's)."""
    wrong, honest = (WRONG, "L1-q2-answer") if assignment == NAME else (WRONG_L7, "L7-q1-answer")

    def build(sol, blank):
        nb = copy.deepcopy(sol)
        answers = SYSTEM_EXIT_ANSWERS if name == "system_exit" else wrong
        for grade_id, source in answers.items():
            if name == "patch_helpers" and grade_id == honest:
                continue  # solved honestly
            _cell(nb, grade_id).source = source
        nb.cells.insert(_index(nb, next(iter(wrong))), nbformat.v4.new_code_cell(ATTACK_CODE[name].strip()))
        return _files(nb, f"{assignment}.ipynb")

    return build


# --- limits and hygiene ----------------------------------------------------------------------------

# Reserves 12 GB (np.empty touches no page, so without a limit this costs the
# machine nothing and the cell passes); under the 4 GB limit it fails at once.
MEMORY_HOG = "import numpy as np\n_hog = np.empty(12 * 2**30 // 8)\n"
# Starts far more processes than the limit allows (each sleeps, then ends).
PROCESS_HOG = ("import subprocess\n_children = [subprocess.Popen(['sleep', '20']) for _ in range(300)]\n")
# 8 MB of output in one cell, then 300 kB in each of five more cells.
OUTPUT_FLOOD = "for _ in range(8):\n    print('y' * 2**20)\n"
OUTPUT_SOME = "print('z' * 300 * 1024)\n"


# Spins until the CPU-time limit ends the kernel (SIGXCPU), in question 3's answer cell.
CPU_SPIN = "while True:\n    pass\n"


def cpu_spin(sol, blank, *, ignore_signal: bool = False):
    """Question 3's answer spins; with ``ignore_signal`` it first ignores SIGXCPU (the soft limit's
    signal), so that only the hard limit's SIGKILL stops it."""
    nb = copy.deepcopy(sol)
    ignore = "import signal\nsignal.signal(signal.SIGXCPU, signal.SIG_IGN)\n" if ignore_signal else ""
    _cell(nb, "L1-q3-answer").source = ignore + CPU_SPIN + _cell(nb, "L1-q3-answer").source
    return _files(nb)


def memory_hog(sol, blank):
    nb = copy.deepcopy(sol)
    _cell(nb, "L1-q1-answer").source = MEMORY_HOG + _cell(nb, "L1-q1-answer").source
    return _files(nb)


def process_hog(sol, blank):
    nb = copy.deepcopy(sol)
    _cell(nb, "L1-q2-answer").source = PROCESS_HOG + _cell(nb, "L1-q2-answer").source
    return _files(nb)


def output_flood(sol, blank):
    nb = copy.deepcopy(sol)
    at = _index(nb, "L1-q1-answer")
    for _ in range(5):
        nb.cells.insert(at, nbformat.v4.new_code_cell(OUTPUT_SOME))
    nb.cells.insert(at, nbformat.v4.new_code_cell(OUTPUT_FLOOD))
    return _files(nb)


def nbformat3(sol, blank):
    """The solution saved as an nbformat-3 notebook (one worksheet)."""
    old = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(cells=[])])
    for cell in sol.cells:
        if cell.cell_type == "code":
            new = nbformat.v3.new_code_cell(input=cell.source)
        else:
            new = nbformat.v3.new_text_cell("markdown", source=cell.source)
        new.metadata = copy.deepcopy(cell.metadata)
        old.worksheets[0].cells.append(new)
    return {FILE: nbformat.v3.writes_json(old).encode("utf-8")}
