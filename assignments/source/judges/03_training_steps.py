"""The tests of assignment 03_training_steps, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson3).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.
"""

import numpy as np

from course_grader.judge import Test
from course_utils.exercises.lesson3 import example_batch, example_params


def forward(params, x):
    h = np.maximum(0.0, np.asarray(x) @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]


def training_step(params, x, y, lr):
    n = x.shape[0]
    a1 = x @ params["W1"] + params["b1"]
    h = np.maximum(0.0, a1)
    z = h @ params["W2"] + params["b2"]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1.0
    dz /= n
    grads = {"W2": h.T @ dz, "b2": dz.sum(axis=0)}
    da1 = (dz @ params["W2"].T) * (a1 > 0)
    grads["W1"] = x.T @ da1
    grads["b1"] = da1.sum(axis=0)
    return {k: params[k] - lr * grads[k] for k in params}, float(loss)


def _is_he_init(args, got):
    """Shapes, zero biases and weights whose spread matches He's sqrt(2 / fan-in)."""
    n_in, n_hidden, n_out = args[:3]
    if not isinstance(got, dict) or set(got) != {"W1", "b1", "W2", "b2"}:
        return "init_params should return a dict with the keys W1, b1, W2, b2"
    shapes = {"W1": (n_in, n_hidden), "b1": (n_hidden,), "W2": (n_hidden, n_out), "b2": (n_out,)}
    for key, shape in shapes.items():
        value = np.asarray(got[key]) if not isinstance(got[key], (dict, str)) else None
        if value is None or value.shape != shape or value.dtype.kind != "f":
            return f"{key} should be floats of shape {shape}"
    for key in ("b1", "b2"):
        if np.any(np.asarray(got[key]) != 0):
            return f"{key} should be zeros"
    for key, fan_in in (("W1", n_in), ("W2", n_hidden)):
        std = float(np.std(got[key]))
        if not 0.9 * np.sqrt(2 / fan_in) < std < 1.1 * np.sqrt(2 / fan_in):
            return f"{key} has standard deviation {std:.4f}; He's rule gives sqrt(2 / fan-in)"
    return None


def _params(rng, sizes):
    (a, b), (c, d) = sizes
    return {"W1": rng.normal(size=(a, b)), "b1": rng.normal(scale=0.1, size=b),
            "W2": rng.normal(size=(c, d)), "b2": rng.normal(scale=0.1, size=d)}


def init_hidden(rng):
    n_in, n_hidden, n_out = int(rng.integers(600, 1200)), int(rng.integers(40, 80)), int(rng.integers(30, 60))
    return [(n_in, n_hidden, n_out, int(rng.integers(0, 2**31)))]


def forward_hidden(rng):
    n_in, n_hidden, n_out = (int(v) for v in rng.integers(3, 9, size=3))
    params = _params(rng, ((n_in, n_hidden), (n_hidden, n_out)))
    x = rng.normal(size=(int(rng.integers(2, 10)), n_in))
    return [(params, x), (params, x[:1])]


def step_hidden(rng):
    n_in, n_hidden, n_classes = int(rng.integers(3, 7)), int(rng.integers(4, 9)), int(rng.integers(2, 5))
    params = _params(rng, ((n_in, n_hidden), (n_hidden, n_classes)))
    n = int(rng.integers(5, 12))
    return [(params, rng.normal(size=(n, n_in)), rng.integers(0, n_classes, size=n),
             float(rng.uniform(0.005, 0.05)))]


TESTS = {
    # init_params has many right answers (any seed's draw): its checks judge the result itself.
    "L3-q1-public": Test("init_params", lambda rng: [(800, 500, 10, 1)], None, check=_is_he_init),
    "L3-q1-hidden": Test("init_params", init_hidden, None, hidden=True, check=_is_he_init),
    "L3-q2-public": Test("forward", lambda rng: [(example_params(), example_batch()[0])], forward),
    "L3-q2-hidden": Test("forward", forward_hidden, forward, hidden=True, rtol=1e-10),
    "L3-q3-public": Test("training_step",
                         lambda rng: [(example_params(), *example_batch(), 0.5)], training_step),
    "L3-q3-hidden": Test("training_step", step_hidden, training_step, hidden=True, rtol=1e-6, atol=1e-9),
}
