"""Public self-checks for the exercises of lesson 8 (attention and a tiny GPT).

``q1``: ``uniform_loss(vocab_size)``, the cross-entropy of a uniform guess,
``ln V``; ``q2``: ``bigram_loss(counts, ids)``, the mean cross-entropy of a
count-based bigram model with add-one smoothing; ``q3``:
``causal_attention_weights(q, k)``, the causal attention weights of shape
``(T, T)`` or ``(B, T, T)``; ``q4``: a written answer on the causal mask.
"""

from __future__ import annotations

import math

import numpy as np

from ..i18n import N_
from ..selfcheck import Question
from ._common import values

__all__ = ["q1", "q2", "q3", "q4"]

# counts[a, b]: how often id b follows id a, in the ids [0, 1, 1, 2, 0, 1].
_COUNTS = np.array([[0, 2, 0], [0, 1, 1], [1, 0, 0]])
_IDS = np.array([0, 1, 1, 2, 0, 1])
# Add-one: P(b | a) = (counts[a, b] + 1) / (row sum + V). The five pairs are
# (0,1) 3/5, (1,1) 2/5, (1,2) 2/5, (2,0) 2/4, (0,1) 3/5.
_BIGRAM = -(2 * math.log(3 / 5) + 2 * math.log(2 / 5) + math.log(2 / 4)) / 5

_Q2 = np.array([[0.0], [math.log(3.0)]])  # (T=2, d=1); k = q
# Row 0 sees only itself; row 1 weighs scores 0 and ln(3)^2.
_A10 = 1.0 / (1.0 + math.exp(math.log(3.0) ** 2))
_W2 = [[1.0, 0.0], [_A10, 1.0 - _A10]]

_Q3 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])  # (T=3, d=2)
_K3 = np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]])


def _rows(scores: np.ndarray) -> np.ndarray:
    scores = np.where(np.tril(np.ones(scores.shape[-2:], dtype=bool)), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_W3 = _rows(_Q3 @ _K3.T / math.sqrt(2.0))

q1 = Question(
    N_("Question 1 (uniform_loss)"),
    [
        values("uniform_loss", lambda f: f(65), math.log(65), label=N_("uniform_loss(65)"),
               require_float=True),
        values("uniform_loss", lambda f: f(1), 0.0, label=N_("uniform_loss(1)")),
    ],
    hint=N_("A uniform guess gives every one of the V tokens probability 1/V; the "
    "cross-entropy is -ln(1/V)."),
    expects=N_("your function uniform_loss"),
)

q2 = Question(
    N_("Question 2 (bigram_loss)"),
    [
        values("bigram_loss", lambda f: f(_COUNTS, _IDS), _BIGRAM,
               label=N_("bigram_loss on a 3-token example"), require_float=True),
        values("bigram_loss", lambda f: f(np.zeros((4, 4), dtype=np.int64), np.array([3, 1, 2])),
               math.log(4), label=N_("bigram_loss with no counts is the uniform loss")),
    ],
    hint=N_("Add 1 to every count, divide each row by its sum to get P(next | current), "
    "then average -log P(ids[t+1] | ids[t]) over the pairs."),
    expects=N_("your function bigram_loss"),
)

q3 = Question(
    N_("Question 3 (causal_attention_weights)"),
    [
        values("causal_attention_weights", lambda f: f(_Q2, _Q2), _W2,
               label=N_("causal_attention_weights of a 2-step sequence")),
        values("causal_attention_weights", lambda f: f(_Q3, _K3), _W3,
               label=N_("causal_attention_weights, T = 3, d = 2")),
        values("causal_attention_weights",
               lambda f: f(np.stack([_Q3, 1000.0 * _Q3]), np.stack([_K3, _K3])),
               np.stack([_W3, _rows(1000.0 * _Q3 @ _K3.T / math.sqrt(2.0))]),
               label=N_("causal_attention_weights of a batch with large scores"),
               strict_numerics=True),
    ],
    hint=N_("scores = q @ swapaxes(k, -1, -2) / sqrt(d); set the scores above the diagonal "
    "(np.tril) to -inf; then a stable softmax over the last axis."),
    expects=N_("your function causal_attention_weights"),
)

q4 = Question(
    N_("Question 4 (written: why the causal mask)"),
    [],
    hint=N_("At training time every position predicts the token after it. What could it "
    "read if the mask were gone, and what is there to read when text is generated?"),
)
