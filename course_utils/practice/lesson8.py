"""Self-checks for the exercises of lesson 8 (attention and a tiny language model).

``exercise_1``: the loss of a uniform guess over Tiny Shakespeare's 65
characters; ``exercise_2``: ``causal_attention_weights(scores)``, the masked
softmax of a (T, T) score matrix; ``exercise_3``: the parameter count of
nanoGPT's larger Shakespeare model.
"""

from __future__ import annotations

import math

import numpy as np

from ..exercises._common import values
from ..selfcheck import assert_close, assert_int
from ..i18n import N_
from ._common import PracticeQuestion

__all__ = ["exercise_1", "exercise_2", "exercise_3"]


def _uniform(answer):
    assert_close(answer, math.log(65), name=N_("the loss of a uniform guess"), rtol=1e-6)


exercise_1 = PracticeQuestion(
    N_("Exercise 8.1 (uniform loss)"),
    [(N_("the cross-entropy of a uniform guess over 65 characters, in nats"), _uniform)],
    hint=N_("Every character gets probability 1/65; the loss of one position is -log of that. "
    "Natural logarithm: the frameworks measure in nats."),
    solution="-log(1/65) = ln 65 = 4.1744 nats per character, whatever the text.",
    expects=N_("a number"),
)

_SCORES = np.array([[1.0, 2.0, 3.0], [0.5, -0.5, 9.0], [0.0, 0.0, 0.0]])
_E = np.exp(np.array([0.5, -0.5]))
_EXPECTED = np.array([[1.0, 0.0, 0.0], [*(_E / _E.sum()), 0.0], [1 / 3, 1 / 3, 1 / 3]])

exercise_2 = PracticeQuestion(
    N_("Exercise 8.2 (causal_attention_weights)"),
    [
        values("causal_attention_weights", lambda f: f(_SCORES.copy()), _EXPECTED,
               label=N_("a 3 x 3 score matrix: the future gets weight 0, rows sum to 1"), rtol=1e-9),
        values("causal_attention_weights", lambda f: f(np.array([[1000.0, 0.0], [1000.0, 999.0]])),
               [[1.0, 0.0], [1 / (1 + math.exp(-1)), 1 / (1 + math.exp(1))]],
               label=N_("scores of size 1000"), rtol=1e-9, strict_numerics=True),
    ],
    hint=N_("Set the scores above the diagonal (np.triu(..., k=1)) to -inf, subtract each row's maximum, "
    "exponentiate and divide by the row sum."),
    solution="mask = np.tril(np.ones_like(s, dtype=bool)); s = np.where(mask, s, -np.inf); "
    "e = np.exp(s - s.max(axis=-1, keepdims=True)); return e / e.sum(axis=-1, keepdims=True)",
    expects=N_("your function causal_attention_weights"),
)

_C, _L, _T, _V = 384, 6, 256, 65


def _count(answer):
    assert_int(answer, _V * _C + _T * _C + _L * (12 * _C * _C + 13 * _C) + 2 * _C,
               name=N_("the parameter count"))


exercise_3 = PracticeQuestion(
    N_("Exercise 8.3 (parameter count)"),
    [(N_("the parameters of a 6-layer, 384-wide GPT with a context of 256 and 65 tokens"), _count)],
    hint=N_("Per block: two layer norms (2 x 2C), attention (C x 3C + 3C and C x C + C), the MLP "
    "(C x 4C + 4C and 4C x C + C). Add both embedding tables and the final layer norm; the head is tied."),
    solution="65*384 + 256*384 + 6*(12*384**2 + 13*384) + 2*384 = 10,770,816.",
    expects=N_("an integer"),
)
