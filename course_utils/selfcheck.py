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

from .i18n import N_, _
from .validation import describe, type_name

__all__ = [
    "AnswerTypeError",
    "CheckFailure",
    "CheckResult",
    "Question",
    "assert_close",
    "assert_int",
    "check_lines",
    "to_numpy",
]

HIDDEN_NOTE = N_(
    "Hidden tests will also run when your work is graded; passing these checks does not guarantee full marks."
)


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
    label = _(name)
    framework = _framework(value)
    if framework == "torch":
        try:
            raw = value.detach().cpu().numpy()
        except Exception as exc:  # noqa: BLE001 - any failure means "not a usable tensor"
            raise AnswerTypeError(_("{name} looks like a PyTorch object ({kind}) but could not be "
                                    "converted with .detach().cpu().numpy(): {error}").format(
                name=label, kind=type_name(value), error=exc)) from None
    elif framework == "tensorflow":
        if not hasattr(value, "numpy"):
            raise AnswerTypeError(
                _("{name} must be a tensor, array or number; got the TensorFlow object {kind} "
                  "(a symbolic tensor or a layer, not a value).").format(name=label, kind=type_name(value))
            )
        try:
            raw = value.numpy()
        except Exception as exc:  # noqa: BLE001
            raise AnswerTypeError(
                _("{name} is a TensorFlow object ({kind}) that has no value: {error}").format(
                    name=label, kind=type_name(value), error=exc)
            ) from None
    elif isinstance(value, (np.ndarray, np.generic)):
        raw = value
    elif isinstance(value, numbers.Real):  # bool, int, float and NumPy-free real numbers
        raw = value
    elif isinstance(value, (list, tuple)):
        raw = value
    else:
        raise AnswerTypeError(
            _("{name} must be a NumPy array, a TensorFlow or PyTorch tensor, or a number; got {kind}.").format(
                name=label, kind=type_name(value))
        )
    if framework is not None and not isinstance(raw, (np.ndarray, np.generic)):
        raise AnswerTypeError(_("{name}: converting {kind} did not give a NumPy array.").format(
            name=label, kind=type_name(value)))
    try:
        array = np.array(raw, copy=True, subok=False)
    except Exception as exc:  # noqa: BLE001 - ragged lists, objects that refuse conversion
        raise AnswerTypeError(
            _("{name} could not be read as an array of numbers ({error_type}: {error}).").format(
                name=label, error_type=type(exc).__name__, error=exc)
        ) from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        if array.dtype.kind == "O" and isinstance(raw, (list, tuple)):
            try:
                array = np.array(raw, dtype=np.float64)
            except Exception:  # noqa: BLE001
                raise AnswerTypeError(_("{name} must contain only numbers; got {kind} "
                                        "with elements that are not numbers.").format(
                    name=label, kind=type_name(value))) from None
        else:
            raise AnswerTypeError(
                _("{name} must hold real numbers (booleans, integers or floats); got dtype {dtype} "
                  "from {kind}.").format(name=label, dtype=array.dtype, kind=type_name(value))
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
    label = _(name)
    want = np.asarray(expected)
    if got.shape != want.shape:
        raise CheckFailure(_("{name} should have shape {shape}; got {got}.").format(
            name=label, shape=want.shape, got=describe(got)))
    if require_float and got.dtype.kind != "f":
        raise CheckFailure(_("{name} should hold floating-point numbers; got dtype {dtype}.").format(
            name=label, dtype=got.dtype))
    g = got.astype(np.float64)
    w = want.astype(np.float64)
    bad_nan = np.isnan(g) != np.isnan(w)
    if bad_nan.any():
        index = tuple(int(i) for i in np.argwhere(bad_nan)[0])
        raise CheckFailure(
            _("{name} has NaN where it should not (or lacks one), first at index {index}: got {got}.").format(
                name=label, index=index, got=repr(float(g[index])))
        )
    finite = np.isfinite(w) & np.isfinite(g)
    bad_inf = (np.isinf(g) | np.isinf(w)) & ~(g == w)
    close = np.ones(g.shape, dtype=bool)
    close[finite] = np.isclose(g[finite], w[finite], rtol=rtol, atol=atol)
    close &= ~bad_inf
    if not close.all():
        index = tuple(int(i) for i in np.argwhere(~close)[0])
        count = int((~close).sum())
        got_value, want_value = repr(float(g[index])), repr(float(w[index]))
        if show_expected:
            detail = _("got {got}, expected {expected}").format(got=got_value, expected=want_value)
        else:
            detail = _("got {got}").format(got=got_value)
        if index:
            message = _("{name} is wrong in {count} of {size} values; first at index {index}: {detail}.")
        else:
            message = _("{name} is wrong in {count} of {size} values; first: {detail}.")
        raise CheckFailure(message.format(name=label, count=count, size=g.size, index=index, detail=detail))
    return got


def assert_int(actual: Any, expected: int, *, name: str = "answer") -> int:
    """Check that ``actual`` is an integer (Python or NumPy, not a bool or float) equal to ``expected``."""
    if isinstance(actual, bool) or not isinstance(actual, (numbers.Integral, np.integer)):
        raise AnswerTypeError(_("{name} should be an integer; got {kind}.").format(
            name=_(name), kind=type_name(actual)))
    value = int(actual)
    if value != int(expected):
        raise CheckFailure(_("{name} should be {expected}; got {got}.").format(
            name=_(name), expected=int(expected), got=value))
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
        question = _(self.question)
        if self.ok:
            head = _("{question}: all {total} public checks passed.").format(question=question, total=total)
        else:
            head = _("{question}: {passed} of {total} public checks passed.").format(
                question=question, passed=len(self.passed), total=total)
        lines = [head]
        lines += check_lines(self)
        lines.append(_(HIDDEN_NOTE))
        return "\n".join(lines)


def check_lines(result: CheckResult) -> list[str]:
    """One line per check of ``result``: ``passed: ...`` or ``FAILED: ... - why``."""
    lines = ["  " + _("passed: {check}").format(check=_(name)) for name in result.passed]
    lines += ["  " + _("FAILED: {check} - {reason}").format(check=_(name), reason=message)
              for name, message in result.failed]
    return lines


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
        expects: str = N_("your answer"),
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
                result.failed.append(
                    (description, _("not implemented yet (the cell still raises NotImplementedError)")))
            except CheckFailure as exc:
                result.failed.append((description, str(exc)))
            except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything
                frames = traceback.extract_tb(exc.__traceback__)
                if frames:
                    reason = _("raised {error_type}: {error} (line {line})").format(
                        error_type=type(exc).__name__, error=exc, line=frames[-1].lineno)
                else:
                    reason = _("raised {error_type}: {error}").format(error_type=type(exc).__name__, error=exc)
                result.failed.append((description, reason))
            else:
                result.passed.append(description)
        return result

    def check(self, answer: Any = None) -> CheckResult | None:
        """Run the public checks on ``answer`` and print what passed and what did not."""
        if not self.checks:
            print(_("{label} is a written answer: a person grades it, there is nothing to check automatically.")
                  .format(label=_(self.label)))
            return None
        if answer is None:
            print(_("Pass {expects} to check it, e.g. {name}.check(...).").format(
                expects=_(self.expects), name=self.label.split()[0].lower()))
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
        print(_("Hint for {label}: {hint}").format(label=_(self.label), hint=_(self._hint)))

    def solution(self) -> None:
        """Print the solution, if the instructor has released it."""
        if self._solution is None:
            print(_("The solution to {label} is not shown: it is part of a graded assignment. "
                    "Your instructor will release it after the deadline.").format(label=_(self.label)))
        else:
            print(_("Solution to {label}:").format(label=_(self.label)) + "\n" + _(self._solution))
