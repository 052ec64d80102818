"""The tests of assignment 07_scaling_laws, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson7).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.
"""

import numpy as np

from course_grader.judge import Test
from course_utils import scaling


def training_flops(layer_sizes, examples):
    sizes = [int(s) for s in layer_sizes]
    n = 0
    for a, b in zip(sizes[:-1], sizes[1:]):  # weights and biases, layer by layer
        n += (a + 1) * b
    return 6.0 * n * examples


def fit_power_law(x, loss):
    # the course's own fit (course_utils.scaling), run in the grader's process
    fit = scaling.fit_power_law(x, loss)
    return fit.l_inf, fit.a, fit.alpha


def compute_optimal(budget):
    # C = 6 N D with Chinchilla's D = 20 N: N = sqrt(C / 120)
    n = (budget / (6.0 * scaling.CHINCHILLA_TOKENS_PER_PARAMETER)) ** 0.5
    return n, scaling.compute_optimal_tokens(n)


def flops_hidden(rng):
    cases = []
    for depth in (2, 3, 5):
        sizes = [int(v) for v in rng.integers(1, 1000, size=depth)]
        cases.append((sizes, int(rng.integers(1, 10**7))))
    cases.append((tuple(int(v) for v in rng.integers(1, 50, size=2)), int(rng.integers(1, 100))))
    cases.append(([int(rng.integers(2, 800))], int(rng.integers(1, 1000))))  # no layer: no compute
    return cases


def _law(rng, points):
    lo = float(10 ** rng.uniform(2.5, 3.5))
    x = np.geomspace(lo, lo * 10 ** rng.uniform(2.0, 3.0), points)
    l_inf, alpha = float(rng.uniform(0.03, 0.3)), float(rng.uniform(0.25, 0.6))
    a = float(rng.uniform(1.0, 3.0)) * float(np.exp(np.mean(np.log(x)))) ** alpha * l_inf
    return x, l_inf + a * x**-alpha


def fit_hidden(rng):
    x, loss = _law(rng, int(rng.integers(8, 13)))
    x2, loss2 = _law(rng, int(rng.integers(6, 10)))
    return [(x, loss), (list(x2), list(loss2))]


def optimal_hidden(rng):
    return [(float(10 ** rng.uniform(10, 25)),), (float(10 ** rng.uniform(18, 24)),), (5.76e23,)]


_N1 = np.geomspace(1e3, 1e6, 7)
_N2 = np.geomspace(1e3, 6e4, 6)

TESTS = {
    "L7-q1-public": Test("training_flops", lambda rng: [([784, 128, 10], 60_000), ([2, 3], 10)],
                         training_flops, rtol=1e-12),
    "L7-q1-hidden": Test("training_flops", flops_hidden, training_flops, hidden=True, rtol=1e-12),
    "L7-q2-public": Test("fit_power_law",
                         lambda rng: [(_N1, 0.05 + 20.0 * _N1**-0.4), (_N2, 0.3 + 5.0 * _N2**-0.3)],
                         fit_power_law, rtol=1e-3, atol=1e-4),
    "L7-q2-hidden": Test("fit_power_law", fit_hidden, fit_power_law, hidden=True, rtol=2e-3, atol=1e-4),
    "L7-q3-public": Test("compute_optimal", lambda rng: [(1.2e21,), (3.15e23,)], compute_optimal, rtol=1e-6),
    "L7-q3-hidden": Test("compute_optimal", optimal_hidden, compute_optimal, hidden=True, rtol=1e-9),
}
