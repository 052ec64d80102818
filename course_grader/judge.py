"""Judge answers in the grader's process: the student's kernel only computes.

Why
---
nbgrader scores a test cell by whether it raised an error *inside the
student's kernel*. Code that the student wrote runs in that same interpreter
before the tests, so it can rebind the checking helpers, ``builtins``,
``sys.modules`` or IPython itself, and a wrong answer then passes. Here a
graded test cell runs only the student's function on inputs that the grader
sends, and hands back the results as plain data (numbers, arrays, strings,
or the exception that was raised). The grader decodes them with a strict
codec (no pickle, numeric dtypes only, sizes checked), computes the expected
values with its own trusted reference and decides the points. Whatever the
kernel does, it can only send back data; data that is right for cases it has
never seen is a solved question.

The assignment format (for authors of ``assignments/source``)
-------------------------------------------------------------
An assignment is two files in the sources folder (``source`` in
``assignments/grading.toml``, which may lie outside the repository):

``NN_name.py``
    The notebook, as before (Jupytext percent cells with nbgrader metadata).
    Each graded *code* test cell is a locked grade cell whose ``grade_id`` has
    a test in the judges file. Its visible source is what learners run for
    feedback (for example ``public_checks.q1.assert_passes(f)``); a hidden
    test cell holds only a comment between ``### BEGIN HIDDEN TESTS`` and
    ``### END HIDDEN TESTS``. When the work is graded, the grader replaces the
    source of every judged cell by generated code that calls the answer on
    the cases, and puts the original source back afterwards.
``judges/NN_name.py``
    A Python module (loaded by path by the grader, never by a kernel) that
    defines ``TESTS = {grade_id: Test(...)}``. A :class:`Test` names the
    answer (a function defined in the notebook), a function ``cases(rng)``
    that returns a list of argument tuples (``rng`` is a NumPy generator
    seeded from the class secret and the grade id; public tests ignore it
    and return fixed cases), the trusted ``reference`` that computes the
    expected value of one case, and the tolerances. Arguments and results
    may be numbers, strings, NumPy arrays, and lists, tuples and dicts
    (string keys) of them.

The module may be public: it says *how* hidden cases are drawn, not which
cases a class gets. Those come from :func:`case_seed` and the class secret
(:mod:`course_grader.secret`).

Framework questions (build a Keras or PyTorch model, a training step, a
data pipeline) give ``Test`` a ``probe``: the source of a function
``probe(answer, *args)`` that runs in the kernel, uses the answer on one case
(builds the model, trains it a step from the case's weights, reads the
pipeline's batches) and returns plain data: weights, outputs on the case's
inputs, losses, shapes, names. The reference (NumPy, in the grader) or the
``check`` then judges that data: for instance the logits handed back must be
what the handed-back weights give on the grader's inputs.

A probe runs in the student's interpreter, so what it says about *how* the
answer ran (a flag such as "gradients were off", a class name, a layer's
activation) is the kernel's word and may be false. Write checks so that no
verdict rests on it: a name may make a check fail with a clearer message,
never pass; a requirement that leaves no trace in the data gets one from the
probe's model. Question 3 of lesson 5 is the example: its model has a batch
normalisation with running statistics of the grader's choosing (training mode
gives other predictions) and a last layer that updates a parameter in place,
which autograd refuses while it records gradients (no ``torch.no_grad()``:
an error instead of predictions). ``tests/test_grading.py`` grades answers
that only report the right names and modes, and they fail.

A grade cell that has no test in the judges file is still run the old way,
in the kernel (its points are then forgeable); ``generate`` warns about each.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

#: The MIME type of the one output a judged cell hands back.
MIME = "application/vnd.course-grader.results+json"
#: The largest encoded result a judged cell may hand back (bytes).
MAX_RESULT_BYTES = 16 * 2**20


@dataclass(frozen=True)
class Test:
    """One judged grade cell: call ``answer`` on every case, compare with ``reference``.

    answer : str
        The name of the student's function in the notebook.
    cases : callable (numpy.random.Generator) -> list of tuple
        The argument tuples of the cases.
    reference : callable (*args) -> value
        The trusted model answer, run by the grader.
    hidden : bool
        Hidden tests say how many cases failed, never which.
    check : callable (args, got) -> str or None, optional
        Judges the result itself, where no single value is right (``reference``
        is then None); with a reference, it runs first and says what a
        comparison of values cannot (for example that a loss must be a float).
    strict_numerics : bool
        Floating-point overflow and NumPy warnings inside the answer count as
        an error. This part runs in the kernel, so an answer can switch it off;
        that gains nothing, because it can only fail a case whose value is
        right: every value is still judged here, and the cases of the tests
        that use it (lesson 2) make the unstable formulas return inf or nan.
    """

    answer: str
    cases: Callable[[np.random.Generator], list[tuple]]
    reference: Callable[..., Any] | None
    hidden: bool = False
    rtol: float = 1e-6
    atol: float = 1e-8
    require_float: bool = False
    strict_numerics: bool = False
    label: str = ""
    #: ``check(args, got) -> None or what is wrong``: instead of a reference (for answers with
    #: more than one right value, such as random initialisations), or before it.
    check: Callable[[tuple, Any], str | None] | None = None
    #: For answers that are not data (a model, a training step, a data pipeline): the
    #: source of ``def probe(answer, *args)``, run in the kernel, that uses the answer on
    #: one case and returns plain data (weights, outputs on the case's inputs, losses,
    #: names). Only that data is judged, here; the probe is no more trusted than the answer.
    probe: str = ""


class JudgeError(ValueError):
    """A judges file, or the data a kernel handed back, is not as it must be."""


# --- the codec: one definition, run by the grader and pasted into the kernel ---------------------

CODEC = r'''
def _course_enc(value, depth=0):
    import base64 as _b64
    import math as _math
    import numpy as _np
    if depth > 20:
        raise TypeError("the value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else {"__float__": repr(float(value))}
    if isinstance(value, float):
        return value if _math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, (list, tuple)):
        items = [_course_enc(v, depth + 1) for v in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("dict keys must be strings")
        return {"__dict__": {k: _course_enc(v, depth + 1) for k, v in value.items()}}
    if type(value).__module__.split(".")[0] == "torch":  # a PyTorch tensor
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, (_np.ndarray, _np.generic)):  # TensorFlow
        value = value.numpy()
    if isinstance(value, (_np.ndarray, _np.generic)):
        array = _np.array(value, copy=True, order="C")
        if array.dtype.kind not in "biuf":
            raise TypeError(f"an array of dtype {array.dtype} is not numbers")
        return {"__nd__": [array.dtype.str, list(array.shape), _b64.b64encode(array.tobytes()).decode()]}
    raise TypeError(f"a value of type {type(value).__name__} cannot be handed back")


def _course_dec(data, depth=0):
    import base64 as _b64
    import numpy as _np
    if depth > 20:
        raise ValueError("nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [_course_dec(v, depth + 1) for v in data]
    if isinstance(data, dict) and len(data) == 1:
        (tag, body), = data.items()
        if tag == "__float__" and isinstance(body, str):
            return float(body)
        if tag == "__tuple__" and isinstance(body, list):
            return tuple(_course_dec(v, depth + 1) for v in body)
        if tag == "__dict__" and isinstance(body, dict):
            return {str(k): _course_dec(v, depth + 1) for k, v in body.items()}
        if tag == "__nd__" and isinstance(body, list) and len(body) == 3:
            dtype = _np.dtype(str(body[0]))
            if dtype.kind not in "biuf":
                raise ValueError(f"dtype {dtype} is not allowed")
            shape = tuple(int(n) for n in body[1])
            if any(n < 0 for n in shape):
                raise ValueError("negative dimension")
            raw = _b64.b64decode(str(body[2]), validate=True)
            if len(raw) != int(_np.prod(shape, dtype=_np.int64)) * dtype.itemsize:
                raise ValueError("the array's data does not match its shape")
            return _np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    raise ValueError(f"unexpected data {str(data)[:80]!r}")
'''

_codec: dict[str, Any] = {}
exec(compile(CODEC, "<course_grader codec>", "exec"), _codec)  # noqa: S102 - our own constant source
encode: Callable[[Any], Any] = _codec["_course_enc"]
decode: Callable[[Any], Any] = _codec["_course_dec"]


# --- the code that runs in the kernel -------------------------------------------------------------

_KERNEL = '''# Graded by the grader: this cell calls {answer} on the grader's cases and hands
# the results back as data; the grader compares them with its own reference.
def _course_judged_cell(payload):
{codec}
    import json, warnings
    import numpy as np
    from IPython.display import display
{probe}
    cases = [_course_dec(c) for c in json.loads(payload)]
    answer = globals().get({answer!r})
    results = []
    for args in cases:
        try:
            if not callable(answer):
                raise NameError("{answer} is not defined as a function")
            if {strict}:
                with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
                    warnings.simplefilter("error", RuntimeWarning)
                    value = _course_call(answer, *args)
            else:
                value = _course_call(answer, *args)
            results.append({{"value": _course_enc(value)}})
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - SystemExit included: it is this case's answer
            results.append({{"error": [type(exc).__name__, str(exc)[:300]]}})
    display({{{mime!r}: {{"results": results}}}}, raw=True)


_course_judged_cell({payload!r})
del _course_judged_cell
'''

_KERNEL_ASSERT = '''# Judged in the kernel (--judge kernel: for demonstrations only, forgeable).
def _course_kernel_judge(payload):
{codec}
    import json
    from course_utils.selfcheck import assert_close
{probe}
    answer = globals()[{answer!r}]
    for args, expected in [_course_dec(c) for c in json.loads(payload)]:
        got = _course_call(answer, *args)
        if isinstance(expected, dict):
            for key in expected:
                assert_close(got[key], expected[key], name=key, rtol={rtol!r}, atol={atol!r})
        elif isinstance(expected, tuple):
            for g, e in zip(got, expected, strict=True):
                assert_close(g, e, name={answer!r}, rtol={rtol!r}, atol={atol!r})
        else:
            assert_close(got, expected, name={answer!r}, rtol={rtol!r}, atol={atol!r})


_course_kernel_judge({payload!r})
del _course_kernel_judge
'''


def _indented(source: str) -> str:
    return "\n".join("    " + line if line else "" for line in source.strip("\n").splitlines())


def _indented_codec() -> str:
    return _indented(CODEC)


def _probe_code(test: Test) -> str:
    """``_course_call(answer, *args)``: the probe of ``test`` on the answer, or the answer itself."""
    if not test.probe:
        return _indented("def _course_call(answer, *args):\n    return answer(*args)")
    return _indented(test.probe) + "\n" + _indented("_course_call = probe\ndel probe")


def kernel_source(test: Test, cases: list[tuple]) -> str:
    """The code that a judged cell runs in the kernel, as Python source."""
    payload = json.dumps([encode(tuple(c)) for c in cases])
    return _KERNEL.format(answer=test.answer, codec=_indented_codec(), strict=bool(test.strict_numerics),
                          mime=MIME, payload=payload, probe=_probe_code(test))


def kernel_code(test: Test, cases: list[tuple]) -> str:
    """The source that replaces a judged cell's while it runs in the kernel.

    The code above, with the cases, travels as one string literal that the cell
    compiles and runs in the notebook's namespace: IPython tokenises, transforms
    and compiles a cell statement by statement, which for about 150 lines costs
    some 20 ms more per cell than Python's own ``compile`` of the same text
    (``benchmarks/judged_cell.py``). What runs is the same.
    """
    source = kernel_source(test, cases)
    return (f"# Graded by the grader: this cell calls {test.answer} on the grader's cases and hands\n"
            f"# the results back as data; the grader compares them with its own reference.\n"
            f"exec(compile({source!r}, '<judged cell {test.answer}>', 'exec'))\n")


def kernel_assert_code(test: Test, cases: list[tuple], expected: list[Any]) -> str:
    """The old design, judged inside the kernel: only to show what the outside judge prevents."""
    payload = json.dumps([encode((tuple(c), e)) for c, e in zip(cases, expected)])
    return _KERNEL_ASSERT.format(answer=test.answer, codec=_indented_codec(), payload=payload,
                                 rtol=test.rtol, atol=test.atol, probe=_probe_code(test))


def run_probe(test: Test, answer: Callable[..., Any], args: tuple) -> Any:
    """What the kernel computes for one case, computed here (for tests of the judges files)."""
    namespace: dict[str, Any] = {}
    exec(compile(_probe_code(test).replace("\n    ", "\n").strip(), "<probe>", "exec"), namespace)  # noqa: S102
    return decode(json.loads(json.dumps(encode(namespace["_course_call"](answer, *args)))))


# --- loading tests, drawing cases, comparing ---------------------------------------------------


def judges_file(source_dir: Path, assignment: str) -> Path:
    return Path(source_dir) / "judges" / f"{assignment}.py"


def load_tests(source_dir: Path, assignment: str) -> dict[str, Test]:
    """``TESTS`` of ``<source_dir>/judges/<assignment>.py`` ({} when the file does not exist)."""
    path = judges_file(source_dir, assignment)
    if not path.is_file():
        return {}
    import sys

    spec = importlib.util.spec_from_file_location(f"course_grader_judges_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    write_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no __pycache__ in the sources
    try:
        spec.loader.exec_module(module)
    finally:
        sys.dont_write_bytecode = write_bytecode
    tests = getattr(module, "TESTS", None)
    if not isinstance(tests, dict) or not all(isinstance(t, Test) for t in tests.values()):
        raise JudgeError(f"{path}: TESTS must be a dict of grade_id -> course_grader.judge.Test.")
    return dict(tests)


def case_seed(secret: bytes, assignment: str, grade_id: str, student: str) -> int:
    """The seed of one cell's cases: HMAC-SHA256 of assignment, grade id and student under the class secret.

    Each student gets cases of their own, so cases that one student's code
    prints during grading are of no use to another.
    """
    message = "\x1f".join((assignment, grade_id, student)).encode("utf-8")
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "big")


def draw_cases(test: Test, secret: bytes, assignment: str, grade_id: str, student: str) -> list[tuple]:
    rng = np.random.default_rng(case_seed(secret, assignment, grade_id, student))
    cases = [tuple(c) for c in test.cases(rng)]
    if not cases:
        raise JudgeError(f"{assignment}/{grade_id}: the test has no cases.")
    return cases


def compare(got: Any, expected: Any, test: Test, where: str = "the result") -> str | None:
    """None when ``got`` matches ``expected``; otherwise what is wrong, in words."""
    from course_utils.selfcheck import CheckFailure, assert_close

    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where} should be a dict with keys {sorted(expected)}; got {type(got).__name__}"
        if set(got) != set(expected):
            return f"{where} should have the keys {sorted(expected)}; got {sorted(got)}"
        for key in sorted(expected):
            problem = compare(got[key], expected[key], test, f"{where}[{key!r}]")
            if problem:
                return problem
        return None
    if isinstance(expected, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            return f"{where} should be a tuple of {len(expected)} values; got {type(got).__name__}"
        for index, (g, e) in enumerate(zip(got, expected)):
            problem = compare(g, e, test, f"{where}[{index}]")
            if problem:
                return problem
        return None
    if isinstance(expected, str):
        return None if got == expected else f"{where} should be {expected!r}; got {str(got)[:60]!r}"
    if isinstance(got, (dict, str)) or got is None:
        return f"{where} should be numbers; got {type(got).__name__}"
    try:
        assert_close(got, expected, name=where, rtol=test.rtol, atol=test.atol,
                     require_float=test.require_float, show_expected=not test.hidden)
    except CheckFailure as exc:
        return str(exc)
    except (TypeError, ValueError) as exc:
        return f"{where} cannot be compared as numbers ({exc})"
    return None


@dataclass
class Verdict:
    """The grader's decision on one judged cell."""

    correct: int
    total: int
    problems: list[str]
    hidden: bool

    @property
    def passed(self) -> bool:
        return self.total > 0 and self.correct == self.total

    def text(self) -> str:
        kind = "Hidden tests" if self.hidden else "Tests"
        head = f"{kind}: {self.correct} of {self.total} cases correct (judged by the grader)."
        if self.passed or self.hidden:
            return head
        return head + "\n" + "\n".join(f"- {p}" for p in self.problems[:5])


def judge_outputs(outputs: list[dict], test: Test, cases: list[tuple], expected: list[Any]) -> Verdict:
    """Decide one cell from its outputs, as the grader's nbclient recorded them."""
    handed = [o for o in outputs if o.get("output_type") in ("display_data", "execute_result")
              and MIME in o.get("data", {})]
    fail = Verdict(0, len(cases), [], test.hidden)
    if len(handed) != 1:
        fail.problems.append("the cell did not hand back its results (it was stopped, or its output was "
                             "tampered with)" if not handed else "the cell handed back more than one result")
        return fail
    data = handed[0]["data"][MIME]
    try:
        if len(json.dumps(data)) > MAX_RESULT_BYTES:
            raise JudgeError(f"the results are larger than {MAX_RESULT_BYTES} bytes")
        results = data["results"]
        if not isinstance(results, list) or len(results) != len(cases):
            raise JudgeError("the results do not match the cases")
    except (JudgeError, KeyError, TypeError) as exc:
        fail.problems.append(str(exc))
        return fail
    correct, problems = 0, []
    for index, (result, want) in enumerate(zip(results, expected), start=1):
        where = f"case {index}"
        if isinstance(result, dict) and "error" in result:
            error = result["error"]
            name, message = (error + ["", ""])[:2] if isinstance(error, list) else ("Error", "")
            problems.append(f"{where}: {test.answer} raised {str(name)[:60]}: {str(message)[:200]}")
            continue
        try:
            got = decode(result["value"])
        except (KeyError, TypeError, ValueError) as exc:
            problems.append(f"{where}: the result could not be read ({exc})")
            continue
        problem = None
        if test.check is not None:
            try:
                problem = test.check(cases[index - 1], got)
            except Exception as exc:  # noqa: BLE001 - a malformed answer the check did not foresee
                problem = f"{test.answer}, {where}: the result could not be checked ({type(exc).__name__}: {exc})"
        if problem is None and test.reference is not None:
            problem = compare(got, want, test, f"{test.answer}, {where}")
        if problem:
            problems.append(problem)
        else:
            correct += 1
    return Verdict(correct, len(cases), problems, test.hidden)

