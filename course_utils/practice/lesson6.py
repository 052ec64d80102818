"""Self-checks for the practice exercises of lesson 6 (the two frameworks step for step).

``exercise_3``: the Keras epsilon that makes Keras' Adam take PyTorch's step.
"""

from __future__ import annotations

import numpy as np

from ..i18n import N_
from ._common import PracticeQuestion, function

_STEPS = np.array([1, 2, 10, 100, 1000, 10000])


def _keras_epsilon(
    torch_epsilon: float, step: np.ndarray, beta_2: float = 0.999
) -> np.ndarray:
    # Keras: m * alpha / (sqrt(v) + eps_k) with alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)
    #      = lr * m_hat / (sqrt(v_hat) + eps_k / sqrt(1 - beta_2^t)).
    return torch_epsilon * np.sqrt(1 - beta_2 ** np.asarray(step, dtype=float))


exercise_3 = PracticeQuestion(
    N_("Exercise 6.3 (Adam)"),
    [
        function(
            "keras_epsilon",
            lambda f: np.array([f(1e-8, int(t)) for t in _STEPS], dtype=float),
            _keras_epsilon(1e-8, _STEPS),
            label=N_("keras_epsilon(1e-8, t) for t = 1 ... 10,000"),
            rtol=1e-6,
            atol=0,
        ),
        function(
            "keras_epsilon",
            lambda f: np.array([f(1e-3, int(t), 0.99) for t in _STEPS], dtype=float),
            _keras_epsilon(1e-3, _STEPS, 0.99),
            label=N_("keras_epsilon(1e-3, t, beta_2=0.99)"),
            rtol=1e-6,
            atol=0,
        ),
    ],
    hint=N_(
        "Write Keras' update with m_hat = m / (1 - beta_1^t) and v_hat = v / (1 - beta_2^t), "
        "and compare the term added to sqrt(v_hat) with PyTorch's epsilon."
    ),
    expects=N_("your function keras_epsilon(torch_epsilon, step, beta_2=0.999)"),
)

__all__ = ["exercise_3"]
