"""What the practice modules share: the question type and two kinds of check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..i18n import _
from ..selfcheck import (
    AnswerTypeError,
    Check,
    CheckFailure,
    CheckResult,
    Question,
    assert_close,
    check_lines,
    to_numpy,
)


class PracticeQuestion(Question):
    """A practice exercise's self-check: :class:`~course_utils.selfcheck.Question`
    without the grading notes.

    ``check(None)`` (the check cell before the learner has answered) prints
    that the exercise is not answered yet and returns None; it never raises,
    so a lesson runs from top to bottom as shipped. Any other answer runs the
    public checks and prints what passed and what did not.
    """

    def check(self, answer: Any = None) -> CheckResult | None:
        """Run the checks on ``answer`` and print the outcome (None: not answered yet)."""
        if answer is None:
            print(
                _(
                    "{label}: not answered yet. Expected: {expects}. "
                    "Put it in `answer` and run this cell again."
                ).format(label=_(self.label), expects=_(self.expects))
            )
            return None
        result = self.run(answer)
        print(report(result))
        return result

    def solution(self) -> None:
        """Say where the worked solution is."""
        print(
            _(
                "The worked solution to {label} is in the lesson, folded under the "
                "exercise: open 'Solution'."
            ).format(label=_(self.label))
        )


def report(result: CheckResult) -> str:
    """What passed and what did not, in plain words (no grading notes)."""
    total = len(result.passed) + len(result.failed)
    question = _(result.question)
    if result.ok:
        head = _("{question}: correct (all {total} checks passed).")
    else:
        head = _("{question}: not yet ({passed} of {total} checks passed).")
    lines = [head.format(question=question, passed=len(result.passed), total=total)]
    lines += check_lines(result)
    return "\n".join(lines)


def number(
    label: str, expected: float, *, rtol: float = 1e-6, atol: float = 0.0
) -> Check:
    """A check that the answer is one real number close to ``expected``."""

    def run(answer: Any) -> None:
        if isinstance(answer, bool):
            raise AnswerTypeError(
                _("{name} should be a number; got a bool.").format(name=_(label))
            )
        got = to_numpy(answer, label)
        if got.size != 1:
            raise CheckFailure(
                _(
                    "{name} should be a single number; "
                    "got {size} values (shape {shape})."
                ).format(name=_(label), size=got.size, shape=got.shape)
            )
        assert_close(got.reshape(()), expected, name=label, rtol=rtol, atol=atol)

    return (label, run)


def function(
    what: str,
    call: Callable[[Callable], Any],
    expected: Any,
    *,
    label: str,
    rtol: float = 1e-7,
    atol: float = 1e-12,
) -> Check:
    """A check that calls the answer (a function) through ``call`` and compares the result."""

    def run(answer: Any) -> None:
        if not callable(answer):
            raise AnswerTypeError(
                _(
                    "pass {what} itself (the function, without calling it); got {kind}."
                ).format(what=_(what), kind=type(answer).__name__)
            )
        assert_close(
            call(answer),
            expected() if callable(expected) else expected,
            name=label,
            rtol=rtol,
            atol=atol,
        )

    return (label, run)


def pair(answer: Any, what: str) -> tuple[Any, Any]:
    """The two parts of an answer that must be a pair, or a clear error."""
    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        kind = type(answer).__name__
        if isinstance(answer, (tuple, list)):
            message = _(
                "the answer should be a pair {what}; got {kind} of length {length}."
            )
        else:
            message = _("the answer should be a pair {what}; got {kind}.")
        raise AnswerTypeError(
            message.format(
                what=_(what),
                kind=kind,
                length=len(answer) if isinstance(answer, (tuple, list)) else 0,
            )
        )
    return answer[0], answer[1]
