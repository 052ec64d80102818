"""Public self-checks for the exercises of lesson 7 (scale, measured).

``q1``: ``training_flops(layer_sizes, examples)``, the 6 N D rule for a stack
of dense layers; ``q2``: ``fit_power_law(x, loss)``, returning
``(l_inf, a, alpha)`` of ``L = l_inf + a * x ** -alpha``; ``q3``:
``compute_optimal(budget)``, Chinchilla's split of a budget into ``(N, D)``
with ``D = 20 N``; ``q4``: a written answer on where the width sweep bends.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..i18n import N_
from ..selfcheck import AnswerTypeError, CheckFailure, Question, assert_close
from ._common import require_callable, values

__all__ = ["q1", "q2", "q3", "q4"]


def _triple(result: Any, what: str) -> np.ndarray:
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise AnswerTypeError(
            f"{what} should return three numbers (l_inf, a, alpha); got {type(result).__name__}."
        )
    return np.array([float(v) for v in result])


def _fit(answer: Any) -> None:
    fit = require_callable(answer, "fit_power_law")
    n = np.geomspace(1e3, 1e6, 7)
    got = _triple(fit(n, 0.05 + 20.0 * n**-0.4), "fit_power_law")
    assert_close(got, [0.05, 20.0, 0.4], name="(l_inf, a, alpha) of exact data",
                 rtol=1e-3, atol=1e-4)


def _fit_no_floor(answer: Any) -> None:
    fit = require_callable(answer, "fit_power_law")
    d = np.geomspace(1e3, 6e4, 6)
    got = _triple(fit(d, 0.3 + 5.0 * d**-0.3), "fit_power_law")
    assert_close(got, [0.3, 5.0, 0.3], name="(l_inf, a, alpha) of a shallow law",
                 rtol=1e-3, atol=1e-4)


def _pair(result: Any) -> np.ndarray:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise AnswerTypeError(f"compute_optimal should return a pair (N, D); got {type(result).__name__}.")
    return np.array([float(v) for v in result])


def _optimal(budget: float):
    def run(answer: Any) -> None:
        split = require_callable(answer, "compute_optimal")
        n, d = _pair(split(budget))
        if not np.isclose(6 * n * d, budget, rtol=1e-6):
            raise CheckFailure(f"6 N D should equal the budget {budget:.3g}; got {6 * n * d:.4g}.")
        assert_close([n, d], [np.sqrt(budget / 120), 20 * np.sqrt(budget / 120)],
                     name=f"compute_optimal({budget:g})", rtol=1e-6)
    return run


q1 = Question(
    N_("Question 1 (training_flops)"),
    [
        values("training_flops", lambda f: f([784, 128, 10], 60_000), 6 * 101_770 * 60_000,
               label=N_("training_flops([784, 128, 10], 60000)")),
        values("training_flops", lambda f: f([2, 3], 10), 6 * 9 * 10, label=N_("training_flops([2, 3], 10)")),
    ],
    hint=N_("N counts the weights (n_in * n_out) and biases (n_out) of every layer; C = 6 N D."),
    expects=N_("your function training_flops"),
)

q2 = Question(
    N_("Question 2 (fit_power_law)"),
    [(N_("a law with a floor"), _fit), (N_("a shallow law"), _fit_no_floor)],
    hint=N_("scipy.optimize.curve_fit(model, x / x0, loss, p0=..., bounds=...) with x0 the geometric mean "
    "of x; then a = A * x0 ** alpha."),
    expects=N_("your function fit_power_law"),
)

q3 = Question(
    N_("Question 3 (compute_optimal)"),
    [(N_("a budget of 1.2e21 FLOPs"), _optimal(1.2e21)), (N_("GPT-3's budget"), _optimal(3.15e23))],
    hint=N_("Put D = 20 N into C = 6 N D and solve for N."),
    expects=N_("your function compute_optimal"),
)

q4 = Question(
    N_("Question 4 (written: where the width sweep bends)"),
    [],
    hint=N_("Compare the training and test losses of the largest models with those of the smallest."),
)
