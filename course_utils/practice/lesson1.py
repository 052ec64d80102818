"""Self-checks for the practice exercises of lesson 1 (activation functions).

``exercise_1``: leaky ReLU and its derivative; ``exercise_2``: tanh' from
sigmoid'; ``exercise_3``: the sigmoid network's gradient ratio at three
depths; ``exercise_4``: the limits of a softmax with temperature;
``exercise_5``: the largest slope at z = 0 that the explorer can show.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import maths
from ..selfcheck import CheckFailure, assert_close
from ..i18n import N_, _
from ._common import PracticeQuestion, function, number, pair

# Inputs for exercise 1: both signs, large magnitudes and exactly 0.
_LEAKY_Z = np.array([-1000.0, -2.5, -1e-8, 0.0, 1e-8, 3.0, 1000.0])


def _leaky(alpha: float) -> np.ndarray:
    return np.where(_LEAKY_Z > 0, _LEAKY_Z, alpha * _LEAKY_Z)


def _leaky_slope(alpha: float) -> np.ndarray:
    # Both frameworks use the slope alpha at z = 0 (their gradient tests z > 0).
    return np.where(_LEAKY_Z > 0, 1.0, alpha)


def _check_leaky(answer: Any) -> None:
    value, slope = pair(answer, N_("(leaky_relu, leaky_relu_derivative)"))
    for part, name in ((value, "leaky_relu"), (slope, "leaky_relu_derivative")):
        if not callable(part):
            raise CheckFailure(
                _("{name} should be a function of (z, alpha); got {kind}.").format(
                    name=name, kind=type(part).__name__
                )
            )
    for alpha in (0.2, 0.01):
        assert_close(
            value(_LEAKY_Z.copy(), alpha),
            _leaky(alpha),
            name=f"leaky_relu(z, alpha={alpha:g})",
            rtol=1e-12,
            atol=0,
        )
        assert_close(
            slope(_LEAKY_Z.copy(), alpha),
            _leaky_slope(alpha),
            name=_("{call} (slope alpha at 0)").format(
                call=f"leaky_relu_derivative(z, alpha={alpha:g})"
            ),
            rtol=1e-12,
            atol=0,
        )


exercise_1 = PracticeQuestion(
    N_("Exercise 1.1 (leaky ReLU)"),
    [
        (
            N_(
                "values and slopes for alpha = 0.2 and 0.01, on large, tiny and zero inputs"
            ),
            _check_leaky,
        )
    ],
    hint=N_(
        "leaky_relu(z, alpha) is z where z > 0 and alpha * z elsewhere; its slope is 1 "
        "where z > 0 and alpha elsewhere, including z = 0 (what both frameworks return)."
    ),
    expects=N_(
        "the pair (leaky_relu, leaky_relu_derivative), two functions of (z, alpha)"
    ),
)

_TANH_Z = np.linspace(-30.0, 30.0, 121)

exercise_2 = PracticeQuestion(
    N_("Exercise 1.2 (tanh from sigmoid)"),
    [
        function(
            "tanh_derivative",
            lambda f: f(_TANH_Z.copy()),
            1.0 - np.tanh(_TANH_Z) ** 2,
            label=N_("tanh_derivative(z) on [-30, 30]"),
            rtol=1e-9,
            atol=1e-15,
        )
    ],
    hint=N_(
        "Differentiate 2 sigma(2z) - 1 with the chain rule: the inner function 2z "
        "contributes a factor 2 of its own."
    ),
    expects=N_(
        "your function tanh_derivative(z), written with the sigmoid's derivative"
    ),
)


def _gradient_ratio(depth: int) -> float:
    """The lesson's experiment (Figure 1.3) with ``depth`` sigmoid hidden layers."""
    width, classes = 64, 10
    rng = np.random.default_rng(1)
    x = rng.normal(size=(256, width))
    y = rng.integers(0, classes, size=256)
    params = maths.init_mlp([width] * (depth + 1) + [classes], scheme="glorot", seed=2)
    _logits, cache = maths.mlp_forward(params, x, activation="sigmoid")
    grads = maths.mlp_backward(params, cache, y)
    return float(np.linalg.norm(grads["W1"]) / np.linalg.norm(grads[f"W{depth + 1}"]))


DEPTHS = (5, 10, 40)


def _check_ratios(answer: Any) -> None:
    if not isinstance(answer, dict) or sorted(answer) != list(DEPTHS):
        keys = sorted(answer) if isinstance(answer, dict) else type(answer).__name__
        raise CheckFailure(
            _("the answer should be a dict with the keys {keys}; got {got}.").format(
                keys=list(DEPTHS), got=keys
            )
        )
    for depth in DEPTHS:
        assert_close(
            answer[depth],
            _gradient_ratio(depth),
            name=_("the first-to-last ratio at depth {depth}").format(depth=depth),
            rtol=1e-6,
            atol=0,
        )


exercise_3 = PracticeQuestion(
    N_("Exercise 1.3 (depth)"),
    [
        (
            N_(
                "the sigmoid network's first-to-last gradient ratio at depths 5, 10 and 40"
            ),
            _check_ratios,
        )
    ],
    hint=N_(
        "Rerun the lesson's cell with DEPTH set to each value (same seeds) and keep "
        "norms[0] / norms[-1] for the sigmoid network."
    ),
    expects=N_("a dict {5: ratio, 10: ratio, 40: ratio}"),
)


def _check_limits(answer: Any) -> None:
    cold, hot = pair(answer, N_("(limit as T -> 0, limit as T -> infinity)"))
    assert_close(
        cold, [1.0, 0.0, 0.0], name=N_("the limit as T -> 0"), rtol=0, atol=1e-6
    )
    assert_close(
        hot,
        [1 / 3, 1 / 3, 1 / 3],
        name=N_("the limit as T -> infinity"),
        rtol=0,
        atol=1e-6,
    )


exercise_4 = PracticeQuestion(
    N_("Exercise 1.4 (temperature)"),
    [(N_("both limits of softmax(z / T) for z = (2, 1, 0.1)"), _check_limits)],
    hint=N_(
        "Divide every logit by T. A tiny T magnifies the gaps between the logits; a huge "
        "one shrinks every logit towards 0."
    ),
    expects=N_(
        "the pair (limit as T -> 0, limit as T -> infinity), each three probabilities"
    ),
)

exercise_5 = PracticeQuestion(
    N_("Exercise 1.5 (explorer)"),
    [number(N_("the largest slope of sigmoid(w z + b) at z = 0 on the sliders"), 1.25)],
    hint=N_(
        "At z = 0 the slope is w * sigma'(b). Which b makes sigma'(b) largest, and how "
        "far does the weight slider go?"
    ),
    expects=N_("a number"),
)

__all__ = [
    "DEPTHS",
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
    "exercise_5",
]
