"""Self-checks for the practice exercises of lesson 2 (cross-entropy).

``exercise_1``: the loss of four zero logits; ``exercise_2``: the
label-smoothed loss of the lesson's batch; ``exercise_3``: the tolerance that
``float32`` needs; ``exercise_4``: a PyTorch model that returns logits;
``exercise_5``: the gradient of the worked example.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import maths
from ..selfcheck import CheckFailure, assert_close, to_numpy
from ..i18n import N_, _
from ._common import PracticeQuestion, number

# The lesson's batch (notebooks/02_cross_entropy.py, "NumPy reference").
LOGITS = np.array(
    [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [-1.0, 0.0, 3.0], [1.2, 1.1, 1.0]]
)
LABELS = np.array([0, 0, 2, 1])
# The worked example: logits (2.0, 1.0, 0.1), true class 0.
WORKED_LOGITS = np.array([2.0, 1.0, 0.1])


def _smoothed_loss(epsilon: float = 0.1) -> float:
    targets = (1 - epsilon) * np.eye(3)[LABELS] + epsilon / 3
    return float(maths.cross_entropy(targets, LOGITS, from_logits=True))


exercise_1 = PracticeQuestion(
    N_("Exercise 2.1 (by hand)"),
    [number(N_("the cross-entropy of logits (0, 0, 0, 0)"), math.log(4), rtol=1e-4)],
    hint=N_(
        "Equal logits give equal probabilities. With four classes, what is q_y, and "
        "what is -ln q_y?"
    ),
    expects=N_("a number"),
)

exercise_2 = PracticeQuestion(
    N_("Exercise 2.2 (soft labels)"),
    [
        number(
            N_("the mean label-smoothed loss of LOGITS (epsilon = 0.1)"),
            _smoothed_loss(),
            rtol=1e-6,
        )
    ],
    hint=N_(
        "Build the targets (1 - 0.1) * one_hot + 0.1 / 3, then average "
        "-sum(targets * log_softmax(LOGITS)) over the four examples."
    ),
    expects=N_("a number (the mean over the batch)"),
)


def _check_tolerance(answer: Any) -> None:
    value = to_numpy(answer, N_("the tolerance"))
    if value.size != 1:
        raise CheckFailure(
            _("the tolerance should be one number; got {size} values.").format(
                size=value.size
            )
        )
    rtol = float(value.reshape(()))
    if not 1e-7 <= rtol <= 1e-5:
        raise CheckFailure(
            _(
                "a relative tolerance of {rtol} is not what float32 needs: the float32 losses "
                "differ from NumPy's float64 value by about one float32 rounding step "
                "(about 1e-7 relative), so a tolerance between 1e-7 and 1e-5 is right; "
                "the float64 tolerance 1e-12 fails, and much more than 1e-5 would hide "
                "real errors."
            ).format(rtol=f"{rtol:g}")
        )


exercise_3 = PracticeQuestion(
    N_("Exercise 2.3 (float32)"),
    [
        (
            N_(
                "a relative tolerance that float32 losses pass and that still catches errors"
            ),
            _check_tolerance,
        )
    ],
    hint=N_(
        "Compute the framework losses in float32, take the largest relative difference "
        "from NumPy's float64 value, and compare it with np.finfo(np.float32).eps."
    ),
    expects=N_("the relative tolerance you need (a number)"),
)


def _check_logits_model(answer: Any) -> None:
    import torch
    from torch import nn

    if not isinstance(answer, nn.Module):
        raise CheckFailure(
            _(
                "pass the model (an instance of your nn.Module class); got {kind}."
            ).format(kind=type(answer).__name__)
        )
    parameter = next(answer.parameters(), None)
    dtype = parameter.dtype if parameter is not None else torch.float32
    images = torch.rand(
        8, 28, 28, generator=torch.Generator().manual_seed(0), dtype=dtype
    )
    with torch.no_grad():
        scores = answer(images)
    if tuple(scores.shape) != (8, 10):
        raise CheckFailure(
            _(
                "a batch of 8 images should give scores of shape (8, 10); got {shape}."
            ).format(shape=tuple(scores.shape))
        )
    lse = torch.logsumexp(scores.double(), dim=1)
    if torch.allclose(lse, torch.zeros_like(lse), atol=1e-5):
        raise CheckFailure(
            _(
                "the outputs are log-probabilities (every row's logsumexp is 0): "
                "forward() still ends with log_softmax; return the raw scores."
            )
        )
    sums = scores.double().sum(dim=1)
    if bool((scores >= 0).all()) and torch.allclose(
        sums, torch.ones_like(sums), atol=1e-5
    ):
        raise CheckFailure(
            _(
                "the outputs are probabilities (every row sums to 1): "
                "forward() ends with a softmax; return the raw scores."
            )
        )


exercise_4 = PracticeQuestion(
    N_("Exercise 2.4 (fix the article)"),
    [
        (
            N_("forward() returns logits of shape (N, 10), not (log-)probabilities"),
            _check_logits_model,
        )
    ],
    hint=N_(
        "Keep fc1, ReLU and fc2, and return self.fc2(x) itself; nn.CrossEntropyLoss "
        "applies log_softmax for you."
    ),
    expects=N_("your model, e.g. LogitsNet()"),
)

exercise_5 = PracticeQuestion(
    N_("Exercise 2.5 (gradient)"),
    [
        (
            N_("dH/dz for z = (2.0, 1.0, 0.1) and class 0"),
            lambda answer: assert_close(
                answer,
                maths.softmax(WORKED_LOGITS) - np.eye(3)[0],
                name=N_("dH/dz"),
                rtol=1e-5,
                atol=1e-8,
            ),
        )
    ],
    hint=N_(
        "numerical_gradient(f, z) with f(z) = the cross-entropy of label 0 and logits z; "
        "the formula says softmax(z) minus the one-hot target."
    ),
    expects=N_("the gradient, an array of three numbers"),
)

__all__ = [
    "LABELS",
    "LOGITS",
    "WORKED_LOGITS",
    "exercise_1",
    "exercise_2",
    "exercise_3",
    "exercise_4",
    "exercise_5",
]
