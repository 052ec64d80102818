"""Public self-checks for the exercises of lesson 9 (data-parallel training).

``q1``: ``ring_all_reduce_bytes(gradient_bytes, workers)``, the bytes each
worker sends in a ring all-reduce; ``q2``: ``zero_bytes_per_device(parameters,
devices, stage)``, the memory of mixed-precision Adam per device under ZeRO
stage 0 (plain data parallelism) to 3; ``q3``:
``data_parallel_gradient(w, x, y, workers)``, the all-reduced gradient of a
least-squares loss computed shard by shard; ``q4``: a written answer.
"""

from __future__ import annotations

import numpy as np

from ..selfcheck import Question
from ..i18n import N_
from ._common import values

__all__ = ["q1", "q2", "q3", "q4"]

_X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]])
_Y = np.array([1.0, 2.0, 0.0, 1.0])
_W = np.array([0.5, -0.5])
# mean over the 4 rows of 2 x (x w - y) x: residuals (-0.5, -2.5, -1, 0.5)
_GRAD = 2 * _X.T @ (_X @ _W - _Y) / 4

q1 = Question(
    N_("Question 1 (ring_all_reduce_bytes)"),
    [
        values(
            "ring_all_reduce_bytes",
            lambda f: f(400e6, 8),
            700e6,
            label=N_("ring_all_reduce_bytes(400e6, 8)"),
            require_float=True,
        ),
        values(
            "ring_all_reduce_bytes",
            lambda f: f(1.0, 1),
            0.0,
            label=N_("one worker sends nothing"),
        ),
    ],
    hint=N_("A reduce-scatter sends (K-1)/K of the gradient, an all-gather as much again."),
    expects=N_("your function ring_all_reduce_bytes"),
)

q2 = Question(
    N_("Question 2 (zero_bytes_per_device)"),
    [
        values(
            "zero_bytes_per_device",
            lambda f: f(7.5e9, 64, 0),
            120e9,
            label=N_("plain data parallelism: 16 bytes per parameter"),
            require_float=True,
        ),
        values(
            "zero_bytes_per_device",
            lambda f: f(7.5e9, 64, 1),
            4 * 7.5e9 + 12 * 7.5e9 / 64,
            label=N_("stage 1 splits the optimizer state"),
        ),
    ],
    hint=N_("2 bytes of weights, 2 of gradients, 12 of optimizer state per parameter; stage s "
    "divides the last s of (optimizer, gradients, weights) by the devices."),
    expects=N_("your function zero_bytes_per_device"),
)

q3 = Question(
    N_("Question 3 (data_parallel_gradient)"),
    [
        values(
            "data_parallel_gradient",
            lambda f: f(_W, _X, _Y, 2),
            _GRAD,
            label=N_("two workers of two rows each"),
        ),
        values(
            "data_parallel_gradient",
            lambda f: f(_W, _X, _Y, 4),
            _GRAD,
            label=N_("four workers of one row each"),
        ),
    ],
    hint=N_("Worker k takes rows k*B/K to (k+1)*B/K; its gradient is 2 x_k^T (x_k w - y_k) / "
    "(B/K); the all-reduce averages the K gradients."),
    expects=N_("your function data_parallel_gradient"),
)

q4 = Question(
    N_("Question 4 (written: two workers on one small machine)"),
    [],
    hint=N_("What do the two workers share, and what does each step add that one process "
    "never does?"),
)
