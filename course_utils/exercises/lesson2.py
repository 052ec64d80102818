"""Public self-checks for the exercises of lesson 2 (cross-entropy).

``q1``: ``logsumexp(z)`` over the last axis; ``q2``:
``cross_entropy_from_logits(logits, labels)``, the mean over a batch;
``q3``: ``binary_cross_entropy_with_logits(logits, targets)``, the mean;
``q4``: a written answer on logits and probabilities. All three functions
must stay finite for logits of size 1000.
"""

from __future__ import annotations

import numpy as np

from ..i18n import N_
from ..selfcheck import Question
from ._common import values

LN2 = 0.6931471805599453

q1 = Question(
    N_("Question 1 (logsumexp)"),
    [
        values("logsumexp", lambda f: f(np.array([1.0, 2.0, 3.0])), 3.40760596444438, label=N_("logsumexp([1, 2, 3])")),
        values("logsumexp", lambda f: f(np.array([1000.0, 1000.0])), 1000.0 + LN2,
               label=N_("logsumexp([1000, 1000])"), strict_numerics=True),
        values("logsumexp", lambda f: f(np.array([[0.0, 0.0], [-1000.0, -1000.0]])), [LN2, LN2 - 1000.0],
               label=N_("logsumexp of a 2 x 2 input gives one value per row"), strict_numerics=True),
    ],
    hint=N_("log(sum(exp(z))) = m + log(sum(exp(z - m))) for any m; choose m = max(z) along the last axis."),
    expects=N_("your function logsumexp"),
)

q2 = Question(
    N_("Question 2 (cross_entropy_from_logits)"),
    [
        values("cross_entropy_from_logits", lambda f: f(np.zeros((4, 10)), np.array([0, 3, 5, 9])),
               2.302585092994046, label=N_("uniform logits give log(10)")),
        values("cross_entropy_from_logits",
               lambda f: f(np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]]), np.array([0, 1])), 500.0,
               label=N_("logits of size 1000 (mean of 0 and 1000)"), strict_numerics=True),
    ],
    hint=N_("The loss of one example is logsumexp(logits) - logits[label]; pick each row's label with "
    "logits[np.arange(n), labels], then take the mean."),
    expects=N_("your function cross_entropy_from_logits"),
)

q3 = Question(
    N_("Question 3 (binary_cross_entropy_with_logits)"),
    [
        values("binary_cross_entropy_with_logits", lambda f: f(np.array([0.0]), np.array([1.0])), LN2,
               label=N_("a logit of 0 gives log 2")),
        values("binary_cross_entropy_with_logits", lambda f: f(np.array([2.0, 0.5]), np.array([1.0, 1.0])),
               0.3005024976115396, label=N_("mean over two examples")),
        values("binary_cross_entropy_with_logits",
               lambda f: f(np.array([1000.0, -1000.0, 1000.0]), np.array([1.0, 0.0, 0.0])), 1000.0 / 3,
               label=N_("logits of size 1000"), strict_numerics=True),
    ],
    hint=N_("For a logit x and target t the loss is max(x, 0) - x * t + log(1 + exp(-|x|)); np.log1p helps."),
    expects=N_("your function binary_cross_entropy_with_logits"),
)

q4 = Question(
    N_("Question 4 (written: logits or probabilities)"),
    [],
    hint=N_("Compare the two routes for a logit of 40: softmax first and then log, or log-softmax in one step. "
    "What does float32 round the probability of the wrong class to?"),
)

__all__ = ["q1", "q2", "q3", "q4"]
