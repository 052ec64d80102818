"""Self-checks for the exercises of lesson 9 (data-parallel training).

``exercise_1``: the bytes each of 8 workers sends in a ring all-reduce of a
400 MB gradient; ``exercise_2``: the memory per device, in GB, of ZeRO
stage 2 for 7.5 billion parameters on 64 devices; ``exercise_3``:
``average_gradients(grads)``, the all-reduce mean of a list of workers'
gradient dicts.
"""

from __future__ import annotations

import numpy as np

from ..exercises._common import values
from ..selfcheck import assert_close
from ..i18n import N_
from ._common import PracticeQuestion

__all__ = ["exercise_1", "exercise_2", "exercise_3"]


def _ring(answer):
    assert_close(answer, 2 * 7 / 8 * 400e6, name=N_("the bytes per worker"), rtol=1e-6)


exercise_1 = PracticeQuestion(
    N_("Exercise 9.1 (ring all-reduce)"),
    [(N_("the bytes each of 8 workers sends to average a 400 MB gradient"), _ring)],
    hint=N_("A reduce-scatter sends (K-1)/K of the gradient, an all-gather as much again."),
    solution="2 * (8 - 1) / 8 * 400e6 = 700e6 bytes (700 MB).",
    expects=N_("a number of bytes"),
)


def _zero2(answer):
    n, k = 7.5e9, 64
    assert_close(
        answer, (2 * n + 14 * n / k) / 1e9, name=N_("the GB per device"), rtol=1e-4
    )


exercise_2 = PracticeQuestion(
    N_("Exercise 9.2 (ZeRO stage 2)"),
    [(N_("GB per device for 7.5e9 parameters on 64 devices, ZeRO stage 2"), _zero2)],
    hint=N_("Stage 2 keeps the fp16 weights (2 bytes per parameter) whole and splits the "
    "gradients (2) and the optimizer state (12) over the 64 devices."),
    solution="(2 * 7.5e9 + 14 * 7.5e9 / 64) / 1e9 = 16.64 GB.",
    expects=N_("a number of gigabytes (1 GB = 1e9 bytes)"),
)

_A = {"w": np.array([1.0, 2.0]), "b": np.array([0.5])}
_B = {"w": np.array([3.0, -2.0]), "b": np.array([1.5])}
_C = {"w": np.array([2.0, 3.0]), "b": np.array([-2.0])}

exercise_3 = PracticeQuestion(
    N_("Exercise 9.3 (average_gradients)"),
    [
        values(
            "average_gradients",
            lambda f: f([_A, _B])["w"],
            [2.0, 0.0],
            label=N_("two workers: 'w' is the mean of theirs"),
            rtol=1e-12,
        ),
        values(
            "average_gradients",
            lambda f: f([_A, _B, _C])["b"],
            [0.0],
            label=N_("three workers: 'b' is the mean, not the sum"),
            rtol=1e-12,
            atol=1e-12,
        ),
        values(
            "average_gradients",
            lambda f: f([_C])["w"],
            [2.0, 3.0],
            label=N_("one worker: its own gradient"),
            rtol=1e-12,
        ),
    ],
    hint=N_("For every key, stack the workers' arrays and take the mean along the new axis."),
    solution="return {k: np.mean([g[k] for g in grads], axis=0) for k in grads[0]}",
    expects=N_("your function average_gradients"),
)
