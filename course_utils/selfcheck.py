"""Self-checks for learners: ``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``.

In the manner of Kaggle's learntools, each exercise question of a lesson is a
:class:`Question` (see :mod:`course_utils.exercises`). ``check`` runs the
question's *public* tests on an answer and says plainly what passed, what did
not and why. It never claims more than it knows: when an assignment is graded,
hidden tests run as well.

Answers are compared as numbers, never with the answer's own ``==``:
:func:`to_numpy` accepts NumPy arrays and scalars, Python numbers and lists of
numbers, TensorFlow tensors and PyTorch tensors, turns them into plain NumPy
arrays, and refuses anything else, so an object that claims to equal
everything gets a clear "wrong type" rather than full marks. Frameworks are
recognised by the module their type comes from, so this module never imports
TensorFlow or PyTorch itself.

The graded test cells of the assignments use the same helpers
(:func:`assert_close`, :func:`assert_int`, :meth:`Question.assert_passes`).
"""

from __future__ import annotations

import numbers
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from .validation import describe, type_name

__all__ = [
    "AnswerTypeError",
    "CheckFailure",
    "CheckResult",
    "Question",
    "assert_close",
    "assert_int",
    "to_numpy",
]

HIDDEN_NOTE = "Hidden tests will also run when your work is graded; passing these checks does not guarantee full marks."


class CheckFailure(AssertionError):
    """An answer is not right; the message says what was expected and what came."""


class AnswerTypeError(CheckFailure, TypeError):
    """An answer is not a kind of value that can be compared as numbers."""


_FRAMEWORK_ROOTS = {"torch": "torch", "tensorflow": "tensorflow", "keras": "tensorflow", "tf_keras": "tensorflow"}
_NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats


def _framework(value: Any) -> str | None:
    """``"torch"``, ``"tensorflow"`` or None, judged by where the value's type is defined."""
    for klass in type(value).__mro__:
        root = klass.__module__.split(".")[0]
        if root in _FRAMEWORK_ROOTS:
            return _FRAMEWORK_ROOTS[root]
    return None


def to_numpy(value: Any, name: str = "answer") -> np.ndarray:
    """Turn an answer into a plain NumPy array of numbers, or raise :class:`AnswerTypeError`.

    Parameters
    ----------
    value : array_like, tensor or number
        A NumPy array or scalar, a Python number (``bool``, ``int``,
        ``float``), a (nested) list or tuple of numbers, a TensorFlow tensor or
        variable, or a PyTorch tensor (on any device, with or without
        gradient).
    name : str
        What to call the value in error messages, e.g. ``"relu_derivative(z)"``.

    Returns
    -------
    numpy.ndarray
        A new base-class ``ndarray`` (never a subclass) whose dtype is boolean,
        integer or floating point.
    """
    framework = _framework(value)
    if framework == "torch":
        try:
            raw = value.detach().cpu().numpy()
        except Exception as exc:  # noqa: BLE001 - any failure means "not a usable tensor"
            raise AnswerTypeError(f"{name} looks like a PyTorch object ({type_name(value)}) but could not be "
                                  f"converted with .detach().cpu().numpy(): {exc}") from None
    elif framework == "tensorflow":
        if not hasattr(value, "numpy"):
            raise AnswerTypeError(
                f"{name} must be a tensor, array or number; got the TensorFlow object {type_name(value)} "
                "(a symbolic tensor or a layer, not a value)."
            )
        try:
            raw = value.numpy()
        except Exception as exc:  # noqa: BLE001
            raise AnswerTypeError(
                f"{name} is a TensorFlow object ({type_name(value)}) that has no value: {exc}"
            ) from None
    elif isinstance(value, (np.ndarray, np.generic)):
        raw = value
    elif isinstance(value, numbers.Real):  # bool, int, float and NumPy-free real numbers
        raw = value
    elif isinstance(value, (list, tuple)):
        raw = value
    else:
        raise AnswerTypeError(
            f"{name} must be a NumPy array, a TensorFlow or PyTorch tensor, or a number; got {type_name(value)}."
        )
    if framework is not None and not isinstance(raw, (np.ndarray, np.generic)):
        raise AnswerTypeError(f"{name}: converting {type_name(value)} did not give a NumPy array.")
    try:
        array = np.array(raw, copy=True, subok=False)
    except Exception as exc:  # noqa: BLE001 - ragged lists, objects that refuse conversion
        raise AnswerTypeError(
            f"{name} could not be read as an array of numbers ({type(exc).__name__}: {exc})."
        ) from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        if array.dtype.kind == "O" and isinstance(raw, (list, tuple)):
            try:
                array = np.array(raw, dtype=np.float64)
            except Exception:  # noqa: BLE001
                raise AnswerTypeError(f"{name} must contain only numbers; got {type_name(value)} "
                                      "with elements that are not numbers.") from None
        else:
            raise AnswerTypeError(
                f"{name} must hold real numbers (booleans, integers or floats); got dtype {array.dtype} "
                f"from {type_name(value)}."
            )
    return np.asarray(array)


def assert_close(
    actual: Any,
    expected: Any,
    *,
    name: str = "answer",
    rtol: float = 1e-6,
    atol: float = 1e-8,
    require_float: bool = False,
    show_expected: bool = True,
) -> np.ndarray:
    """Check that ``actual`` has the shape of ``expected`` and the same values, within tolerance.

    The answer goes through :func:`to_numpy` (so its type is checked and its
    own ``==`` never runs); shapes must match exactly (no broadcasting); NaN
    and infinity must appear exactly where ``expected`` has them.

    Returns the answer as a NumPy array; raises :class:`CheckFailure` otherwise.
    """
    got = to_numpy(actual, name)
    want = np.asarray(expected)
    if got.shape != want.shape:
        raise CheckFailure(f"{name} should have shape {want.shape}; got {describe(got)}.")
    if require_float and got.dtype.kind != "f":
        raise CheckFailure(f"{name} should hold floating-point numbers; got dtype {got.dtype}.")
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    bad_nan = np.isnan(g) != np.isnan(w)
    if bad_nan.any():
        index = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        raise CheckFailure(
            f"{name} has NaN where it should not (or lacks one), first at index {index}: got {float(g[index])!r}."
        )
    finite = np.isfinite(w) & np.isfinite(g)
    bad_inf = (np.isinf(g) | np.isinf(w)) & ~(g == w)
    close = np.ones(g.shape, dtype=bool)
    close[finite] = np.isclose(g[finite], w[finite], rtol=rtol, atol=atol)
    close &= ~bad_inf
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        count = int((~close).sum())
        where = f" at index {index}" if index else ""
        detail = f"got {float(g[index])!r}" + (f", expected {float(w[index])!r}" if show_expected else "")
        raise CheckFailure(f"{name} is wrong in {count} of {g.size} values; first{where}: {detail}.")
    return got


def assert_int(actual: Any, expected: int, *, name: str = "answer") -> int:
    """Check that ``actual`` is an integer (Python or NumPy, not a bool or float) equal to ``expected``."""
    if isinstance(actual, bool) or not isinstance(actual, (numbers.Integral, np.integer)):
        raise AnswerTypeError(f"{name} should be an integer; got {type_name(actual)}.")
    value = int(actual)
    if value != int(expected):
        raise CheckFailure(f"{name} should be {int(expected)}; got {value}.")
    return value


@dataclass
class CheckResult:
    """The outcome of a question's public checks on one answer."""

    question: str
    passed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and bool(self.passed)

    def __bool__(self) -> bool:
        return self.ok

    def report(self) -> str:
        total = len(self.passed) + len(self.failed)
        if self.ok:
            head = f"{self.question}: all {total} public checks passed."
        else:
            head = f"{self.question}: {len(self.passed)} of {total} public checks passed."
        lines = [head]
        lines += [f"  passed: {name}" for name in self.passed]
        lines += [f"  FAILED: {name} - {message}" for name, message in self.failed]
        lines.append(HIDDEN_NOTE)
        return "\n".join(lines)


#: One public check: a description and a function that raises CheckFailure on a wrong answer.
Check = tuple[str, Callable[[Any], None]]


class Question:
    """One exercise question with public checks, a hint and (perhaps) a solution.

    Parameters
    ----------
    label : str
        How the question is called in messages, e.g. ``"Question 1 (relu_derivative)"``.
    checks : list of (str, callable)
        The public checks, in order: ``(description, function)`` pairs. Each
        function takes the answer and raises :class:`CheckFailure` (or any
        exception) when it is wrong. An empty list makes a written question,
        which only a person can grade.
    hint : str
        A nudge in words.
    solution : str or None
        Text shown by :meth:`solution`, or None when the instructor has not
        released it (the case for graded questions).
    expects : str
        What ``check`` needs, e.g. ``"your function relu_derivative"``.
    """

    def __init__(
        self,
        label: str,
        checks: Sequence[Check],
        *,
        hint: str,
        solution: str | None = None,
        expects: str = "your answer",
    ) -> None:
        self.label = label
        self.checks = list(checks)
        self._hint = hint
        self._solution = solution
        self.expects = expects

    def __repr__(self) -> str:
        return f"<Question {self.label!r}: .check(answer), .hint(), .solution()>"

    def run(self, answer: Any) -> CheckResult:
        """Run every public check on ``answer`` and collect the outcome (never raises for a wrong answer)."""
        result = CheckResult(self.label)
        for description, check in self.checks:
            try:
                check(answer)
            except NotImplementedError:
                result.failed.append((description, "not implemented yet (the cell still raises NotImplementedError)"))
            except CheckFailure as exc:
                result.failed.append((description, str(exc)))
            except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
                frames = traceback.extract_tb(exc.__traceback__)
                where = f" (line {frames[-1].lineno})" if frames else ""
                result.failed.append((description, f"raised {type(exc).__name__}: {exc}{where}"))
            else:
                result.passed.append(description)
        return result

    def check(self, answer: Any = None) -> CheckResult | None:
        """Run the public checks on ``answer`` and print what passed and what did not."""
        if not self.checks:
            print(f"{self.label} is a written answer: a person grades it, there is nothing to check automatically.")
            return None
        if answer is None:
            print(f"Pass {self.expects} to check it, e.g. {self.label.split()[0].lower()}.check(...).")
            return None
        result = self.run(answer)
        print(result.report())
        return result

    def assert_passes(self, answer: Any) -> None:
        """Raise :class:`CheckFailure` unless ``answer`` passes every public check (for graded test cells)."""
        result = self.run(answer)
        if not result.ok:
            raise CheckFailure(result.report())
        print(result.report())

    def hint(self) -> None:
        """Print a hint."""
        print(f"Hint for {self.label}: {self._hint}")

    def solution(self) -> None:
        """Print the solution, if the instructor has released it."""
        if self._solution is None:
            print(f"The solution to {self.label} is not shown: it is part of a graded assignment. "
                  "Your instructor will release it after the deadline.")
        else:
            print(f"Solution to {self.label}:\n{self._solution}")
