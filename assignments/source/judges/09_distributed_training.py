"""The tests of assignment 09_distributed_training, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson9).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.
"""

import numpy as np

from course_grader.judge import Test
from course_utils import distributed


def ring_all_reduce_bytes(gradient_bytes, workers):
    # the course's own formula, run in the grader's process
    return float(distributed.ring_all_reduce_bytes(gradient_bytes, workers))


def zero_bytes_per_device(parameters, devices, stage):
    # stage 0 is plain data parallelism, 1-3 ZeRO's stages (course_utils.distributed)
    return float(distributed.memory_per_device(parameters, devices, distributed.ZERO_STAGES[stage]).total)


def data_parallel_gradient(w, x, y, workers):
    # the full batch at once: what the average of the shards' gradients must equal
    x, y, w = (np.asarray(a, dtype=np.float64) for a in (x, y, w))
    return 2.0 * x.T @ (x @ w - y) / len(y)


_X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [2.0, -1.0]])
_Y = np.array([1.0, 2.0, 0.0, 1.0])
_W = np.array([0.5, -0.5])


def ring_hidden(rng):
    return [(float(rng.uniform(1e6, 1e10)), int(k)) for k in rng.integers(2, 5000, size=3)] + [
        (float(rng.uniform(1.0, 100.0)), 1)
    ]


def zero_hidden(rng):
    n = float(rng.uniform(1e8, 1e12))
    k = int(rng.integers(2, 2048))
    return [(n, k, stage) for stage in range(4)] + [(n, 1, 3)]


def gradient_hidden(rng):
    cases = []
    for workers in (2, 3, int(rng.integers(4, 9))):
        b = workers * int(rng.integers(1, 6))
        d = int(rng.integers(1, 6))
        cases.append((rng.normal(size=d), rng.normal(size=(b, d)), rng.normal(size=b), workers))
    return cases


TESTS = {
    "L9-q1-public": Test("ring_all_reduce_bytes", lambda rng: [(400e6, 8), (1.0, 1)],
                         ring_all_reduce_bytes, require_float=True),
    "L9-q1-hidden": Test("ring_all_reduce_bytes", ring_hidden, ring_all_reduce_bytes,
                         hidden=True, rtol=1e-9, require_float=True),
    "L9-q2-public": Test("zero_bytes_per_device", lambda rng: [(7.5e9, 64, 0), (7.5e9, 64, 1)],
                         zero_bytes_per_device, require_float=True),
    "L9-q2-hidden": Test("zero_bytes_per_device", zero_hidden, zero_bytes_per_device,
                         hidden=True, rtol=1e-9, require_float=True),
    "L9-q3-public": Test("data_parallel_gradient",
                         lambda rng: [(_W, _X, _Y, 2), (_W, _X, _Y, 4)], data_parallel_gradient),
    "L9-q3-hidden": Test("data_parallel_gradient", gradient_hidden, data_parallel_gradient,
                         hidden=True, rtol=1e-9, atol=1e-12),
}
