"""The tests of assignment 02_cross_entropy, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson2).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.
"""

import math

import numpy as np

from course_grader.judge import Test


def logsumexp(z):
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]


def cross_entropy_from_logits(logits, labels):
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(labels)
    m = z.max(axis=1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def binary_cross_entropy_with_logits(logits, targets):
    """One example at a time in plain Python: a second implementation of the model answer."""
    total = []
    for v, t in zip(np.ravel(logits), np.ravel(targets)):
        log_p = -math.log1p(math.exp(-v)) if v >= 0 else v - math.log1p(math.exp(v))
        log_not_p = -v - math.log1p(math.exp(-v)) if v >= 0 else -math.log1p(math.exp(v))
        total.append(-(t * log_p + (1 - t) * log_not_p))
    return float(np.mean(total))


LN2 = math.log(2.0)


def logsumexp_hidden(rng):
    big = float(rng.uniform(705.0, 750.0))
    return [
        (rng.normal(scale=3.0, size=(int(rng.integers(2, 5)), int(rng.integers(2, 5)), int(rng.integers(3, 8)))),),
        (np.array([[big, 0.0], [-big - 50.0, -big - 50.0]]),),
        (np.array([float(rng.normal(scale=10.0))]),),
    ]


def cross_entropy_hidden(rng):
    n, k = int(rng.integers(8, 20)), int(rng.integers(3, 12))
    logits = rng.normal(scale=4.0, size=(n, k))
    labels = rng.integers(0, k, size=n)
    return [(logits, labels), (logits * float(rng.uniform(200.0, 300.0)), labels),
            (np.zeros((1, 2)), np.array([int(rng.integers(0, 2))]))]


def binary_hidden(rng):
    shape = (int(rng.integers(3, 7)), int(rng.integers(3, 9)))
    x = rng.normal(scale=6.0, size=shape)
    t = (rng.random(size=shape) < 0.5).astype(float)
    big = float(rng.uniform(750.0, 900.0))
    return [(x, t), (np.array([big, -big]), np.array([0.0, 1.0]))]


TESTS = {
    "L2-q1-public": Test(
        "logsumexp",
        lambda rng: [(np.array([1.0, 2.0, 3.0]),), (np.array([1000.0, 1000.0]),),
                     (np.array([[0.0, 0.0], [-1000.0, -1000.0]]),)],
        logsumexp, strict_numerics=True,
    ),
    "L2-q1-hidden": Test("logsumexp", logsumexp_hidden, logsumexp, hidden=True, rtol=1e-10,
                         strict_numerics=True),
    "L2-q2-public": Test(
        "cross_entropy_from_logits",
        lambda rng: [(np.zeros((4, 10)), np.array([0, 3, 5, 9])),
                     (np.array([[1000.0, 0.0, -1000.0], [1000.0, 0.0, -1000.0]]), np.array([0, 1]))],
        cross_entropy_from_logits, strict_numerics=True,
    ),
    "L2-q2-hidden": Test("cross_entropy_from_logits", cross_entropy_hidden, cross_entropy_from_logits,
                         hidden=True, rtol=1e-10, strict_numerics=True),
    "L2-q3-public": Test(
        "binary_cross_entropy_with_logits",
        lambda rng: [(np.array([0.0]), np.array([1.0])), (np.array([2.0, 0.5]), np.array([1.0, 1.0])),
                     (np.array([1000.0, -1000.0, 1000.0]), np.array([1.0, 0.0, 0.0]))],
        binary_cross_entropy_with_logits, strict_numerics=True,
    ),
    "L2-q3-hidden": Test("binary_cross_entropy_with_logits", binary_hidden, binary_cross_entropy_with_logits,
                         hidden=True, rtol=1e-10, strict_numerics=True),
}
