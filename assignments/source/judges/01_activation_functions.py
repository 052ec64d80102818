"""The tests of assignment 01_activation_functions, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson1).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.
"""

import math

import numpy as np

from course_grader.judge import Test


def relu_derivative(z):
    return (np.asarray(z, dtype=np.float64) > 0).astype(np.float64)


def sigmoid_derivative(z):
    z = np.asarray(z, dtype=np.float64)
    out = np.empty(z.shape)
    for index, v in np.ndenumerate(z):  # one value at a time, in plain Python: a second implementation
        s = 1.0 / (1.0 + math.exp(-v)) if v >= 0 else math.exp(v) / (1.0 + math.exp(v))
        out[index] = s * (1.0 - s)
    return out


def softmax(z):
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _shape(rng, ndim_low=1, ndim_high=3):
    return tuple(int(n) for n in rng.integers(1, 6, size=int(rng.integers(ndim_low, ndim_high + 1))))


def relu_hidden(rng):
    tiny = float(rng.uniform(1e-13, 1e-11))
    return [
        (np.array([-3.0, -tiny, 0.0, tiny, 2.5, float(rng.uniform(1e5, 1e7))]),),
        (rng.normal(size=_shape(rng, 2, 3)),),
        (rng.uniform(-2, 2, size=int(rng.integers(5, 12))).astype(np.float32),),
    ]


def sigmoid_hidden(rng):
    big = float(rng.uniform(745.0, 1e3))
    return [
        (rng.uniform(-40.0, 40.0, size=_shape(rng, 2, 2)),),
        (np.array([-1e300, -big, big, 1e300]),),
        (rng.normal(scale=3.0, size=int(rng.integers(3, 8))).astype(np.float32),),
    ]


def softmax_hidden(rng):
    z = rng.normal(scale=5.0, size=_shape(rng, 2, 3))
    shift = float(rng.uniform(500.0, 900.0))
    return [
        (z,),
        (z + shift,),
        (np.array([-1000.0, -1000.0 - float(rng.uniform(0.5, 2.0)), -2000.0]),),
    ]


TESTS = {
    "L1-q1-public": Test(
        "relu_derivative",
        lambda rng: [(np.array([-2.0, -0.5, 0.0, 0.5, 3.0]),), (np.array([[-1.0, 2.0], [0.0, 4.0]]),)],
        relu_derivative,
    ),
    "L1-q1-hidden": Test("relu_derivative", relu_hidden, relu_derivative, hidden=True),
    "L1-q2-public": Test(
        "sigmoid_derivative",
        lambda rng: [(np.array([-1.0, 0.0, 1.0]),), (np.array([-1000.0, 1000.0]),)],
        sigmoid_derivative, strict_numerics=True,
    ),
    "L1-q2-hidden": Test("sigmoid_derivative", sigmoid_hidden, sigmoid_derivative, hidden=True,
                         rtol=1e-5, atol=1e-15, strict_numerics=True),
    "L1-q3-public": Test(
        "softmax",
        lambda rng: [(np.array([1.0, 2.0, 3.0]),), (np.array([1000.0, 1001.0, 1002.0]),),
                     (np.array([[0.0, 0.0], [0.0, np.log(3.0)]]),)],
        softmax, strict_numerics=True,
    ),
    "L1-q3-hidden": Test("softmax", softmax_hidden, softmax, hidden=True, rtol=1e-9, strict_numerics=True),
}
