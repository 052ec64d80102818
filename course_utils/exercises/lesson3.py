"""Public self-checks for the exercises of lesson 3 (the five training steps).

The network has one hidden ReLU layer: ``params`` is a dict with ``W1``
(inputs x hidden), ``b1`` (hidden,), ``W2`` (hidden x outputs) and ``b2``
(outputs,).

``q1``: ``init_params(n_in, n_hidden, n_out, seed)`` with He initialisation
and zero biases; ``q2``: ``forward(params, x)`` returning the logits;
``q3``: ``training_step(params, x, y, lr)`` returning the new parameters and
the loss before the update (mean softmax cross-entropy, plain gradient
descent); ``q4``: a written answer on gradient checking.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from ..i18n import N_, _
from ..selfcheck import AnswerTypeError, CheckFailure, Question, assert_close, to_numpy
from ._common import require_callable

KEYS = ("W1", "b1", "W2", "b2")


def example_params() -> dict[str, np.ndarray]:
    """The small network used by the public checks (2 inputs, 3 hidden units, 2 classes)."""
    return {
        "W1": np.array([[0.5, -0.3, 0.8], [0.2, 0.4, -0.6]]),
        "b1": np.array([0.1, 0.0, -0.1]),
        "W2": np.array([[0.3, -0.2], [0.7, 0.1], [-0.5, 0.6]]),
        "b2": np.array([0.05, -0.05]),
    }


def example_batch() -> tuple[np.ndarray, np.ndarray]:
    """Three examples and their labels, for the public checks."""
    return np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -0.7]]), np.array([0, 1, 1])


_LOGITS = [[0.7, -0.2], [0.4, 0.0], [-0.197, 0.264]]
_LOSS = 0.5810498257958048
_AFTER_STEP = {
    "W1": [[0.5144188258756286, -0.2112261842512552, 0.8212711742590332],
           [0.2707354192311709, 0.42787571646937667, -0.649632739937744]],
    "b1": [0.09185848954029036, -0.03096371627374558, -0.029096085803222843],
    "W2": [[0.34108469147615494, -0.24108469147615497], [0.674196903105212, 0.125803096894788],
           [-0.5360965381365411, 0.6360965381365411]],
    "b2": [-0.06606429760482795, 0.06606429760482795],
}


def _as_params(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise AnswerTypeError(f"{name} should be a dict with keys {KEYS}; got {type(value).__name__}.")
    missing = [k for k in KEYS if k not in value]
    if missing:
        raise CheckFailure(f"{name} lacks the keys {missing}; it should have exactly {KEYS}.")
    return value


def _init_shapes(answer: Any) -> None:
    init = require_callable(answer, "init_params")
    params = _as_params(init(4, 3, 2, seed=0), "init_params(4, 3, 2, seed=0)")
    for key, shape in zip(KEYS, [(4, 3), (3,), (3, 2), (2,)]):
        value = to_numpy(params[key], key)
        if value.shape != shape:
            raise CheckFailure(f"{key} should have shape {shape}; got {value.shape}.")
        if key.startswith("b"):
            assert_close(value, np.zeros(shape), name=key)


def _init_reproducible(answer: Any) -> None:
    init = require_callable(answer, "init_params")
    a = _as_params(init(5, 4, 3, seed=7), "init_params(5, 4, 3, seed=7)")
    b = _as_params(init(5, 4, 3, seed=7), "init_params(5, 4, 3, seed=7)")
    c = _as_params(init(5, 4, 3, seed=8), "init_params(5, 4, 3, seed=8)")
    for key in KEYS:
        assert_close(b[key], a[key], name=f"{key} from a second call with the same seed", rtol=0, atol=0)
    if np.allclose(a["W1"], c["W1"]):
        raise CheckFailure(_("different seeds gave the same W1; draw the weights from a generator seeded with seed."))


def _init_scale(answer: Any) -> None:
    init = require_callable(answer, "init_params")
    params = _as_params(init(800, 500, 10, seed=1), "init_params(800, 500, 10, seed=1)")
    for key, fan_in in (("W1", 800), ("W2", 500)):
        weights = to_numpy(params[key], key)
        std, target = float(weights.std()), float(np.sqrt(2.0 / fan_in))
        if not 0.95 * target < std < 1.05 * target:
            raise CheckFailure(f"{key} has standard deviation {std:.4f}; He initialisation gives sqrt(2 / {fan_in}) "
                               f"= {target:.4f}.")
        if abs(float(weights.mean())) > 0.1 * target:
            raise CheckFailure(f"{key} should have mean close to 0; got {float(weights.mean()):.4f}.")


def _forward_values(answer: Any) -> None:
    forward = require_callable(answer, "forward")
    x, _labels = example_batch()
    assert_close(forward(example_params(), x), _LOGITS, name="forward(example_params(), x)")


def _forward_keeps_input(answer: Any) -> None:
    forward = require_callable(answer, "forward")
    params, (x, _labels) = example_params(), example_batch()
    before = copy.deepcopy(params), x.copy()
    forward(params, x)
    if not all(np.array_equal(params[k], before[0][k]) for k in KEYS) or not np.array_equal(x, before[1]):
        raise CheckFailure(_("forward changed its inputs; it should only read them."))


def _step_result(answer: Any) -> tuple[dict[str, Any], Any]:
    step = require_callable(answer, "training_step")
    x, y = example_batch()
    result = step(example_params(), x, y, 0.5)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AnswerTypeError(_("training_step should return a pair (new_params, loss)."))
    return _as_params(result[0], "the new parameters"), result[1]


def _step_loss(answer: Any) -> None:
    _new, loss = _step_result(answer)
    assert_close(loss, _LOSS, name="the loss before the update")


def _step_params(answer: Any) -> None:
    new, _loss = _step_result(answer)
    for key in KEYS:
        assert_close(new[key], _AFTER_STEP[key], name=f"new {key} after one step with lr=0.5")


def _step_keeps_input(answer: Any) -> None:
    step = require_callable(answer, "training_step")
    params, (x, y) = example_params(), example_batch()
    step(params, x, y, 0.5)
    if not all(np.array_equal(params[k], example_params()[k]) for k in KEYS):
        raise CheckFailure(_("training_step changed the parameters it was given; return new arrays instead."))


q1 = Question(
    N_("Question 1 (init_params)"),
    [
        (N_("shapes, and biases start at zero"), _init_shapes),
        (N_("the same seed gives the same parameters"), _init_reproducible),
        (N_("weights have mean 0 and He's standard deviation"), _init_scale),
    ],
    hint=N_("Use rng = np.random.default_rng(seed); W1 = rng.normal(0, np.sqrt(2 / n_in), size=(n_in, n_hidden)); "
    "the same for W2 with n_hidden; biases are np.zeros."),
    expects=N_("your function init_params"),
)

q2 = Question(
    N_("Question 2 (forward)"),
    [
        (N_("logits of the example network"), _forward_values),
        (N_("the inputs are not modified"), _forward_keeps_input),
    ],
    hint=N_("h = max(0, x @ W1 + b1), then logits = h @ W2 + b2. No softmax: the loss takes logits."),
    expects=N_("your function forward"),
)

q3 = Question(
    N_("Question 3 (training_step)"),
    [
        (N_("the loss before the update"), _step_loss),
        (N_("the parameters after one step"), _step_params),
        (N_("the parameters given are not modified"), _step_keeps_input),
    ],
    hint=N_("The gradient of the mean cross-entropy with respect to the logits is (softmax(logits) - one_hot(y)) / n. "
    "Backpropagate it through W2, the ReLU (its derivative is 1 where the pre-activation is > 0) and W1."),
    expects=N_("your function training_step"),
)

q4 = Question(
    N_("Question 4 (written: checking gradients)"),
    [],
    hint=N_("Write the Taylor expansion of f(x + h) and f(x - h). Which error term cancels in the central difference?"),
)

__all__ = ["q1", "q2", "q3", "q4", "example_params", "example_batch"]
