"""Building blocks shared by the lesson modules."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from ..i18n import N_, _, deferred
from ..selfcheck import AnswerTypeError, Check, CheckFailure, assert_close


def require_callable(answer: Any, what: str) -> Callable:
    """Raise a clear error unless ``answer`` is a function (the usual mistake: passing its result)."""
    if not callable(answer):
        raise AnswerTypeError(
            _("pass {what} itself (the function, without calling it); got {kind}.").format(
                what=_(what), kind=type(answer).__name__)
        )
    return answer


def values(
    what: str,
    call: Callable[[Callable], Any],
    expected: Any,
    *,
    label: str,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    require_float: bool = False,
    strict_numerics: bool = False,
) -> Check:
    """A check that calls the answer through ``call`` and compares the result with ``expected``.

    With ``strict_numerics``, overflow, division by zero and invalid
    operations inside the answer fail the check (they mean the computation is
    not numerically stable), and so do NumPy's runtime warnings.
    """

    def run(answer: Any) -> None:
        function = require_callable(answer, what)
        if strict_numerics:
            with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                try:
                    result = call(function)
                except FloatingPointError as exc:
                    raise CheckFailure(
                        _("{name} is not numerically stable: NumPy reported '{error}'. "
                          "Rewrite it so that no intermediate value overflows.").format(
                            name=_(label), error=exc)
                    ) from None
                except RuntimeWarning as exc:
                    raise CheckFailure(
                        _("{name} triggered a warning: {error}.").format(name=_(label), error=exc)
                    ) from None
        else:
            result = call(function)
        assert_close(result, expected, name=label, rtol=rtol, atol=atol, require_float=require_float)

    if strict_numerics:
        return (deferred(N_("{check} (no overflow)"), check=label), run)
    return (label, run)


def arrays_equal_input(what: str, make_input: Callable[[], np.ndarray], label: str) -> Check:
    """A check that the answer leaves its input array unchanged."""

    def run(answer: Any) -> None:
        function = require_callable(answer, what)
        z = make_input()
        before = z.copy()
        function(z)
        if not np.array_equal(z, before):
            raise CheckFailure(
                _("{name}: the function changed its input array; work on a copy instead.").format(
                    name=_(label))
            )

    return (label, run)
