"""Self-checks for the practice exercises of lesson 3 (the five training steps).

``exercise_1``: the relative error of a backward pass without the division by
N; ``exercise_2``: the loss after 1,000 steps at learning rate 5;
``exercise_3``: how far apart the layer-2 units drift with and without a
constant W3.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from .. import maths
from ..selfcheck import CheckFailure, assert_close
from ..i18n import N_, _
from ._common import PracticeQuestion, number, pair

# The gradient check uses 30 examples (X[::10]); a gradient N times too large
# has relative error |N - 1| / (N + 1).
CHECK_EXAMPLES = 30

exercise_1 = PracticeQuestion(
    N_("Exercise 3.1 (break it on purpose)"),
    [
        number(
            N_("the relative error of the gradients without the division by N"),
            (CHECK_EXAMPLES - 1) / (CHECK_EXAMPLES + 1),
            rtol=1e-3,
        )
    ],
    hint=N_(
        "Without the division every gradient is N times the true one. Put g and N g into "
        "the relative-error formula."
    ),
    expects=N_("the relative error the gradient check printed (a number)"),
)

exercise_2 = PracticeQuestion(
    N_("Exercise 3.2 (learning rate)"),
    [
        number(
            N_("the loss after 1,000 steps at learning rate 5"), math.log(3), rtol=1e-3
        )
    ],
    hint=N_(
        "Run train(params, learning_rate=5) and look at the last entry of the losses. "
        "Compare it with ln 3, the loss of a network that outputs equal logits."
    ),
    expects=N_("the last loss of the run at learning rate 5 (a number)"),
)


def spirals(
    n_per_class: int = 100, turns: float = 0.75, noise: float = 0.25, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The lesson's data set (``make_spirals`` in the lesson): three noisy spiral arms."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.1, 1.0, n_per_class), 3)
    labels = np.repeat(np.arange(3), n_per_class)
    angle = 2 * np.pi * (labels / 3 + turns * radius) + rng.normal(
        0, noise, size=radius.shape
    )
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points, labels.astype(np.int64)


@lru_cache(maxsize=2)
def _layer2_spread(random_w3: bool, steps: int = 100) -> float:
    """Exercise 3.3 run by the check: constant 0.1 weights (W3 too unless ``random_w3``)."""
    x, y = spirals()
    he = maths.init_mlp([2, 32, 32, 3], scheme="he", seed=0)
    params = {
        k: (np.full_like(v, 0.1) if k.startswith("W") else v) for k, v in he.items()
    }
    if random_w3:
        params["W3"] = he["W3"]
    for _step in range(steps):
        _logits, cache = maths.mlp_forward(params, x)
        params = maths.sgd_update(params, maths.mlp_backward(params, cache, y), 0.25)
    return float(np.ptp(params["W2"], axis=1).max())


def _check_spreads(answer: Any) -> None:
    constant, random_w3 = pair(
        answer, N_("(spread with W3 constant, spread with W3 random)")
    )
    for value, random, name in (
        (constant, False, N_("W1, W2 and W3 constant")),
        (random_w3, True, N_("W3 He-random")),
    ):
        got = assert_close(
            value,
            _layer2_spread(random),
            name=_("the spread with {weights}").format(weights=_(name)),
            rtol=1e-4,
            atol=1e-12,
        )
        if got.shape != ():
            raise CheckFailure(
                _("the spread with {weights} should be a single number.").format(
                    weights=_(name)
                )
            )


exercise_3 = PracticeQuestion(
    N_("Exercise 3.3 (symmetry)"),
    [
        (
            N_(
                "the largest spread between layer-2 units after 100 steps, W3 constant and random"
            ),
            _check_spreads,
        )
    ],
    hint=N_(
        "After 100 steps, np.ptp(W2, axis=1).max() measures how far apart the 32 columns "
        "(the incoming weights of the 32 layer-2 units) have drifted."
    ),
    expects=N_("the pair (spread with W3 constant, spread with W3 He-random)"),
)

__all__ = ["CHECK_EXAMPLES", "exercise_1", "exercise_2", "exercise_3", "spirals"]
