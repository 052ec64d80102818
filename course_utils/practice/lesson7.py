"""Self-checks for the practice exercises of lesson 7 (scale, measured).

``exercise_1``: the training compute of one sweep point, a number;
``exercise_2``: ``examples_for_budget(budget, hidden)``, a function;
``exercise_3``: how many 80 GB accelerators hold Chinchilla's training state;
``exercise_4``: ``power_law(n, l_inf, a, alpha)``, a function;
``exercise_5``: the Chinchilla-optimal number of tokens for GPT-3's size.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..exercises._common import require_callable
from ..selfcheck import AnswerTypeError, CheckFailure, assert_close, assert_int, to_numpy
from ..i18n import N_, _
from ._common import PracticeQuestion

__all__ = ["exercise_1", "exercise_2", "exercise_3", "exercise_4", "exercise_5"]


def _scalar(answer: Any, name: str) -> float:
    value = to_numpy(answer, name)
    if value.shape != ():
        raise AnswerTypeError(
            _("{name} should be a single number; got an array of shape {shape}.").format(
                name=_(name), shape=value.shape)
        )
    return float(value)


def _number(expected: float, name: str, rtol: float):
    def run(answer: Any) -> None:
        value = _scalar(answer, name)
        if not np.isclose(value, expected, rtol=rtol, atol=0):
            raise CheckFailure(
                _("{name} is off by more than {rtol}: got {value}. "
                  "Recount N (weights and biases of both layers) and D (examples seen).").format(
                    name=_(name), rtol=f"{rtol:.0%}", value=f"{value:.4g}")
            )
    return run


def _examples(answer: Any, budget: float, hidden: int, expected: float) -> None:
    function = require_callable(answer, "examples_for_budget")
    value = _scalar(function(budget, hidden), f"examples_for_budget({budget:g}, {hidden})")
    if not np.isclose(value, expected, rtol=1e-6):
        raise CheckFailure(
            _("{call} should be about {expected}; got {got}.").format(
                call=f"examples_for_budget({budget:g}, {hidden})", expected=f"{expected:,.0f}",
                got=f"{value:,.1f}")
        )


def _power_law(answer: Any) -> None:
    function = require_callable(answer, "power_law")
    n = np.array([1e3, 1e4, 1e5])
    got = function(n, 0.1, 10.0, 0.5)
    assert_close(got, 0.1 + 10.0 * n**-0.5, name=N_("power_law(n, 0.1, 10.0, 0.5)"), rtol=1e-9)


def _power_law_scalar(answer: Any) -> None:
    function = require_callable(answer, "power_law")
    assert_close(function(100.0, 0.0, 2.0, 1.0), 0.02, name=N_("power_law(100.0, 0.0, 2.0, 1.0)"),
                 rtol=1e-9)


exercise_1 = PracticeQuestion(
    N_("Exercise 7.1 (compute of one run)"),
    [(N_("C = 6 N D for width 64 and 300,000 examples"), _number(6 * (795 * 64 + 10) * 300_000,
                                                             N_("the compute"), 0.01))],
    hint=N_("N = 784*64 + 64 + 64*10 + 10; D = 300,000; C = 6 N D."),
    expects=N_("your number of FLOPs"),
)

exercise_2 = PracticeQuestion(
    N_("Exercise 7.2 (examples_for_budget)"),
    [
        (N_("width 16 at 1e10 FLOPs"), lambda f: _examples(f, 1e10, 16, 1e10 / (6 * 12_730))),
        (N_("width 256 at 3e11 FLOPs"), lambda f: _examples(f, 3e11, 256, 3e11 / (6 * 203_530))),
    ],
    hint=N_("Solve C = 6 N D for D, with N = 795 * hidden + 10."),
    expects=N_("your function examples_for_budget"),
)


def _devices(answer: Any) -> None:
    assert_int(answer, 14, name=N_("the number of 80 GB accelerators"))


exercise_3 = PracticeQuestion(
    N_("Exercise 7.3 (accelerators for Chinchilla's training state)"),
    [(N_("16 bytes per parameter, 70e9 parameters, 80 GB each"), _devices)],
    hint=N_("16 * 70e9 bytes, divided by 80e9 bytes per device, rounded up."),
    expects=N_("your whole number of devices"),
)

exercise_4 = PracticeQuestion(
    N_("Exercise 7.4 (power_law)"),
    [(N_("an array of sizes"), _power_law), (N_("a single size"), _power_law_scalar)],
    hint=N_("L_inf + a * n ** (-alpha); NumPy broadcasts it over an array of n."),
    expects=N_("your function power_law"),
)

exercise_5 = PracticeQuestion(
    N_("Exercise 7.5 (Chinchilla tokens for 175e9 parameters)"),
    [(N_("about 20 tokens per parameter"), _number(20 * 175e9, N_("the number of tokens"), 0.01))],
    hint=N_("Multiply the parameters by 20."),
    expects=N_("your number of tokens"),
)
