"""The tests of assignment 08_tiny_gpt, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson8).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.
"""

import math

import numpy as np

from course_grader.judge import Test


def uniform_loss(vocab_size):
    return math.log(vocab_size)


def bigram_loss(counts, ids):
    counts = np.asarray(counts, dtype=np.float64)
    total = 0.0
    for a, b in zip(ids[:-1], ids[1:]):  # one pair at a time: a second implementation
        total -= math.log((counts[a, b] + 1.0) / (counts[a].sum() + counts.shape[1]))
    return total / (len(ids) - 1)


def causal_attention_weights(q, k):
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    flat_q = q.reshape(-1, *q.shape[-2:])
    flat_k = k.reshape(-1, *k.shape[-2:])
    T, d = q.shape[-2:]
    out = np.zeros((len(flat_q), T, T))
    for b in range(len(flat_q)):  # row by row, softmax over the visible keys only
        for t in range(T):
            s = flat_q[b, :, :][t] @ flat_k[b, : t + 1].T / math.sqrt(d)
            e = np.exp(s - s.max())
            out[b, t, : t + 1] = e / e.sum()
    return out.reshape(*q.shape[:-1], T)


def _bigram_case(rng, vocab_size, length):
    ids = rng.integers(0, vocab_size, size=length)
    counts = rng.integers(0, 50, size=(vocab_size, vocab_size))
    return counts, ids


def bigram_hidden(rng):
    v = int(rng.integers(5, 30))
    counts, ids = _bigram_case(rng, v, int(rng.integers(20, 200)))
    sparse = np.zeros((v, v), dtype=np.int64)
    sparse[int(rng.integers(0, v)), int(rng.integers(0, v))] = int(rng.integers(100, 1000))
    return [
        (counts, ids),
        (sparse, rng.integers(0, v, size=int(rng.integers(5, 40)))),
        (*_bigram_case(rng, 2, int(rng.integers(2, 6))),),
    ]


def attention_hidden(rng):
    T, d = int(rng.integers(2, 9)), int(rng.integers(1, 9))
    B = int(rng.integers(2, 5))
    big = float(rng.uniform(300.0, 800.0))
    return [
        (rng.normal(size=(T, d)), rng.normal(size=(T, d))),
        (rng.normal(size=(B, T, d)), rng.normal(size=(B, T, d))),
        (big * rng.normal(size=(T, d)), rng.normal(size=(T, d))),
        (rng.normal(size=(1, d)), rng.normal(size=(1, d))),
    ]


_COUNTS = np.array([[0, 2, 0], [0, 1, 1], [1, 0, 0]])
_IDS = np.array([0, 1, 1, 2, 0, 1])
_Q2 = np.array([[0.0], [math.log(3.0)]])
_Q3 = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
_K3 = np.array([[2.0, 0.0], [0.0, 2.0], [0.0, 0.0]])

TESTS = {
    "L8-q1-public": Test("uniform_loss", lambda rng: [(65,), (1,)], uniform_loss, require_float=True),
    "L8-q1-hidden": Test(
        "uniform_loss",
        lambda rng: [(int(v),) for v in rng.integers(2, 100_000, size=3)] + [(2,)],
        uniform_loss, hidden=True, rtol=1e-9, require_float=True,
    ),
    "L8-q2-public": Test(
        "bigram_loss",
        lambda rng: [(_COUNTS, _IDS), (np.zeros((4, 4), dtype=np.int64), np.array([3, 1, 2]))],
        bigram_loss, require_float=True,
    ),
    "L8-q2-hidden": Test("bigram_loss", bigram_hidden, bigram_loss, hidden=True, rtol=1e-9,
                         require_float=True),
    "L8-q3-public": Test(
        "causal_attention_weights",
        lambda rng: [(_Q2, _Q2), (_Q3, _K3), (np.stack([_Q3, 1000.0 * _Q3]), np.stack([_K3, _K3]))],
        causal_attention_weights, strict_numerics=True,
    ),
    "L8-q3-hidden": Test("causal_attention_weights", attention_hidden, causal_attention_weights,
                         hidden=True, rtol=1e-6, atol=1e-12, strict_numerics=True),
}
