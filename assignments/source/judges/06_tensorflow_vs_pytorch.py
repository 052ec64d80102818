"""The tests of assignment 06_tensorflow_vs_pytorch, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson6).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.

Question 3 copies a Keras model into a PyTorch one. Its probe (run in the kernel)
builds both models for the case, sets the Keras weights that the grader chose,
calls the answer and hands back what the PyTorch model computes on the grader's
inputs, with the Keras weights as they are afterwards. The grader computes the
expected outputs with NumPy (course_utils.maths) from the weights it chose.
"""

import numpy as np

from course_grader.judge import Test
from course_utils import maths


def count_parameters(layer_sizes):
    sizes = [int(s) for s in layer_sizes]
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def _is_count(args, got):
    expected = count_parameters(*args)
    if isinstance(got, np.ndarray) and got.shape == () and got.dtype.kind in "iu":
        got = int(got)
    if isinstance(got, bool) or not isinstance(got, int):
        return f"count_parameters({list(args[0])}) should return an int; got {type(got).__name__}"
    return None if got == expected else f"count_parameters({list(args[0])}) should be {expected}; got {got}"


def keras_kernel_to_torch(kernel, bias):
    return np.asarray(kernel).T, np.asarray(bias)


def forward(weights, x):
    """The outputs of Dense(relu) ... Dense layers: weights are Keras [kernel, bias, ...]."""
    params = {}
    for i, (kernel, bias) in enumerate(zip(weights[0::2], weights[1::2]), start=1):
        params[f"W{i}"], params[f"b{i}"] = np.asarray(kernel, dtype=np.float64), np.asarray(bias, dtype=np.float64)
    return maths.mlp_forward(params, np.asarray(x, dtype=np.float64))[0]


def copied(sizes, weights, x):
    return {"outputs": forward(weights, x), "keras_weights": tuple(weights)}


COPY_PROBE = '''
def probe(answer, sizes, weights, x):
    import keras
    import numpy as np
    import torch
    from torch import nn

    layers = [keras.Input((sizes[0],))]
    layers += [keras.layers.Dense(n, activation="relu") for n in sizes[1:-1]]
    keras_model = keras.Sequential(layers + [keras.layers.Dense(sizes[-1])])
    keras_model.set_weights([np.asarray(w, dtype=np.float32) for w in weights])
    modules = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        modules += [nn.Linear(a, b), nn.ReLU()]
    torch_model = nn.Sequential(*modules[:-1])
    answer(keras_model, torch_model)
    with torch.no_grad():
        outputs = torch_model(torch.from_numpy(np.asarray(x, dtype=np.float32)))
    return {"outputs": outputs, "keras_weights": tuple(keras_model.get_weights())}
'''


def _weights(rng, sizes):
    weights = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        weights += [rng.normal(scale=1 / np.sqrt(a), size=(a, b)).astype(np.float32),
                    rng.normal(scale=0.1, size=b).astype(np.float32)]
    return weights


def _copy_case(rng, sizes):
    x = rng.normal(size=(int(rng.integers(2, 8)), sizes[0])).astype(np.float32)
    return (list(sizes), _weights(rng, sizes), x)


def count_hidden(rng):
    deep = [int(v) for v in rng.integers(1, 1000, size=int(rng.integers(3, 6)))]
    return [(deep,), (tuple(int(v) for v in rng.integers(1, 20, size=2)),), ([int(rng.integers(1, 100))],)]


def kernel_hidden(rng):
    n_in, n_out = int(rng.integers(2, 12)), int(rng.integers(1, 12))
    return [(rng.normal(size=(n_in, n_out)).astype(np.float32), rng.normal(size=n_out).astype(np.float32)),
            (rng.normal(size=(1, n_out)), rng.normal(size=n_out))]


def copy_hidden(rng):
    three = [int(v) for v in rng.integers(2, 12, size=4)]
    return [_copy_case(rng, [784, 128, 10]), _copy_case(rng, three)]


_KERNEL = np.arange(6, dtype=np.float32).reshape(3, 2)
_BIAS = np.array([0.5, -0.5], dtype=np.float32)

TESTS = {
    "L6-q1-public": Test("count_parameters", lambda rng: [([784, 128, 10],), ([2, 3],)], None,
                         check=_is_count),
    "L6-q1-hidden": Test("count_parameters", count_hidden, None, hidden=True, check=_is_count),
    "L6-q2-public": Test("keras_kernel_to_torch", lambda rng: [(_KERNEL, _BIAS)], keras_kernel_to_torch),
    "L6-q2-hidden": Test("keras_kernel_to_torch", kernel_hidden, keras_kernel_to_torch, hidden=True,
                         rtol=0, atol=0),
    "L6-q3-public": Test("copy_keras_to_torch",
                         lambda rng: [_copy_case(np.random.default_rng(0), [4, 3, 2])],
                         copied, probe=COPY_PROBE, rtol=1e-4, atol=1e-5),
    "L6-q3-hidden": Test("copy_keras_to_torch", copy_hidden, copied, hidden=True, probe=COPY_PROBE,
                         rtol=1e-4, atol=1e-5),
}
