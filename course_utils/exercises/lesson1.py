"""Public self-checks for the exercises of lesson 1 (activation functions).

``q1``: ``relu_derivative(z)``; ``q2``: ``sigmoid_derivative(z)``, stable for
large ``|z|``; ``q3``: ``softmax(z)`` over the last axis, stable for large
logits; ``q4``: a written answer on vanishing gradients.
"""

from __future__ import annotations

import numpy as np

from ..i18n import N_
from ..selfcheck import Question
from ._common import values

_SOFTMAX_123 = np.array([0.09003057317038046, 0.24472847105479764, 0.6652409557748219])

q1 = Question(
    N_("Question 1 (relu_derivative)"),
    [
        values("relu_derivative", lambda f: f(np.array([-2.0, -0.5, 0.0, 0.5, 3.0])), [0.0, 0.0, 0.0, 1.0, 1.0],
               label=N_("relu_derivative([-2, -0.5, 0, 0.5, 3])")),
        values("relu_derivative", lambda f: f(np.array([[-1.0, 2.0], [0.0, 4.0]])), [[0.0, 1.0], [0.0, 1.0]],
               label=N_("relu_derivative keeps the shape of a 2 x 2 input")),
    ],
    hint=N_("ReLU is z for z > 0 and 0 otherwise, so its slope is 1 where z > 0 and 0 elsewhere "
    "(the course uses 0 at z = 0). A comparison such as z > 0 gives booleans; turn them into floats."),
    expects=N_("your function relu_derivative"),
)

q2 = Question(
    N_("Question 2 (sigmoid_derivative)"),
    [
        values("sigmoid_derivative", lambda f: f(np.array([-1.0, 0.0, 1.0])),
               [0.19661193324148185, 0.25, 0.19661193324148185], label=N_("sigmoid_derivative([-1, 0, 1])")),
        values("sigmoid_derivative", lambda f: f(np.array([-1000.0, 1000.0])), [0.0, 0.0],
               label=N_("sigmoid_derivative([-1000, 1000])"), strict_numerics=True),
    ],
    hint=N_("sigma'(z) = sigma(z) * (1 - sigma(z)). To avoid overflow, never compute exp of a large positive "
    "number: for z >= 0 use 1 / (1 + exp(-z)), for z < 0 use exp(z) / (1 + exp(z)) (np.where, or "
    "boolean masks)."),
    expects=N_("your function sigmoid_derivative"),
)

q3 = Question(
    N_("Question 3 (softmax)"),
    [
        values("softmax", lambda f: f(np.array([1.0, 2.0, 3.0])), _SOFTMAX_123, label=N_("softmax([1, 2, 3])")),
        values("softmax", lambda f: f(np.array([1000.0, 1001.0, 1002.0])), _SOFTMAX_123,
               label=N_("softmax([1000, 1001, 1002])"), strict_numerics=True),
        values("softmax", lambda f: f(np.array([[0.0, 0.0], [0.0, np.log(3.0)]])), [[0.5, 0.5], [0.25, 0.75]],
               label=N_("softmax works row by row on a 2 x 2 input")),
    ],
    hint=N_("Subtract the largest value of each row before exponentiating (keepdims=True keeps the shapes "
    "broadcastable); the result does not change, but nothing overflows. Then divide by the row sums."),
    expects=N_("your function softmax"),
)

q4 = Question(
    N_("Question 4 (written: vanishing gradients)"),
    [],
    hint=N_("What is the largest value the sigmoid's derivative can take? The backward pass multiplies one such "
    "factor per layer."),
)

__all__ = ["q1", "q2", "q3", "q4"]
