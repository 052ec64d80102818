"""Self-checks for the practice exercises of lesson 4 (MNIST in Keras).

``exercise_3``: the parameter counts of the network with 32 and 512 hidden
units. The other exercises are measurements of training runs; their worked
solutions are in the lesson.
"""

from __future__ import annotations

from typing import Any

from ..mnist_models import parameter_count
from ..selfcheck import assert_int
from ..i18n import N_, _
from ._common import PracticeQuestion, pair

WIDTHS = (32, 512)


def _check_counts(answer: Any) -> None:
    narrow, wide = pair(answer, N_("(parameters with 32 hidden units, with 512)"))
    for width, value in zip(WIDTHS, (narrow, wide)):
        assert_int(
            value,
            parameter_count((784, width, 10)),
            name=_("the parameters with {width} units").format(width=width),
        )


exercise_3 = PracticeQuestion(
    N_("Exercise 4.3 (width)"),
    [(N_("the parameter counts with 32 and 512 hidden units"), _check_counts)],
    hint=N_(
        "model.count_params(), or by hand: 784 h weights and h biases into the hidden "
        "layer, 10 h weights and 10 biases out of it. Do not forget the biases."
    ),
    expects=N_("the pair (parameters with 32 hidden units, parameters with 512)"),
)

__all__ = ["WIDTHS", "exercise_3"]
