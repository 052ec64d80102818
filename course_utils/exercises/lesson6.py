"""Public self-checks for the exercises of lesson 6 (TensorFlow and PyTorch side by side).

``q1``: ``count_parameters(layer_sizes)`` for a stack of dense layers;
``q2``: ``keras_kernel_to_torch(kernel, bias)``, turning a Keras ``Dense``
layer's weights into the ``(weight, bias)`` of a PyTorch ``nn.Linear``;
``q3``: ``copy_keras_to_torch(keras_model, torch_model)``, copying every
dense layer so that both models compute the same function; ``q4``: a written
answer on the transposed kernels.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..i18n import N_, _
from ..selfcheck import AnswerTypeError, CheckFailure, Question, assert_close, assert_int, to_numpy
from ._common import require_callable


def _count(answer: Any, sizes: list[int], expected: int) -> None:
    count = require_callable(answer, "count_parameters")
    assert_int(count(list(sizes)), expected, name=f"count_parameters({sizes})")


def _kernel_pair(answer: Any) -> tuple[np.ndarray, np.ndarray]:
    convert = require_callable(answer, "keras_kernel_to_torch")
    kernel = np.arange(6, dtype=np.float32).reshape(3, 2)  # 3 inputs, 2 outputs
    bias = np.array([0.5, -0.5], dtype=np.float32)
    result = convert(kernel.copy(), bias.copy())
    if not isinstance(result, tuple) or len(result) != 2:
        raise AnswerTypeError(_("keras_kernel_to_torch should return a pair (weight, bias)."))
    return to_numpy(result[0], "weight"), to_numpy(result[1], "bias")


def _kernel_shapes(answer: Any) -> None:
    weight, bias = _kernel_pair(answer)
    if weight.shape != (2, 3) or bias.shape != (2,):
        raise CheckFailure(
            f"a 3-input, 2-output layer needs weight (2, 3) and bias (2,); got {weight.shape} and {bias.shape}."
        )


def _kernel_values(answer: Any) -> None:
    weight, bias = _kernel_pair(answer)
    assert_close(weight, [[0.0, 2.0, 4.0], [1.0, 3.0, 5.0]], name="weight")
    assert_close(bias, [0.5, -0.5], name="bias")


def small_models(seed: int = 0):
    """A Keras and a PyTorch model of the same shape (4 - 3 ReLU - 2), with different weights."""
    import keras
    import torch
    from torch import nn

    keras.utils.set_random_seed(seed)
    torch.manual_seed(seed)
    keras_model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(2)])
    torch_model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    return keras_model, torch_model


def _copy_agrees(answer: Any) -> None:
    import torch

    copy = require_callable(answer, "copy_keras_to_torch")
    keras_model, torch_model = small_models()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype(np.float32)
    copy(keras_model, torch_model)
    with torch.no_grad():
        got = torch_model(torch.from_numpy(x))
    assert_close(got, to_numpy(keras_model(x), "Keras output"), name="the PyTorch model's output", rtol=1e-5, atol=1e-6)


def _copy_keeps_keras(answer: Any) -> None:
    copy = require_callable(answer, "copy_keras_to_torch")
    keras_model, torch_model = small_models()
    before = [w.copy() for w in keras_model.get_weights()]
    copy(keras_model, torch_model)
    if not all(np.array_equal(a, b) for a, b in zip(before, keras_model.get_weights())):
        raise CheckFailure(_("copy_keras_to_torch changed the Keras model; it should only read from it."))


q1 = Question(
    N_("Question 1 (count_parameters)"),
    [
        (N_("the course's MNIST network"), lambda f: _count(f, [784, 128, 10], 101_770)),
        (N_("a single layer"), lambda f: _count(f, [2, 3], 9)),
    ],
    hint=N_("A dense layer from m inputs to n outputs has an m x n weight matrix and n biases."),
    expects=N_("your function count_parameters"),
)

q2 = Question(
    N_("Question 2 (keras_kernel_to_torch)"),
    [(N_("shapes"), _kernel_shapes), (N_("values"), _kernel_values)],
    hint=N_("Keras stores the kernel as (inputs, outputs) and computes x @ kernel; nn.Linear stores weight as "
    "(outputs, inputs) and computes x @ weight.T."),
    expects=N_("your function keras_kernel_to_torch"),
)

q3 = Question(
    N_("Question 3 (copy_keras_to_torch)"),
    [(N_("both models compute the same outputs"), _copy_agrees), (N_("the Keras model is left as it was"), _copy_keeps_keras)],
    hint=N_("Pair the Dense layers (layer.get_weights() gives kernel and bias) with the nn.Linear modules in order; "
    "inside torch.no_grad(), copy into weight and bias with .copy_(torch.from_numpy(...))."),
    expects=N_("your function copy_keras_to_torch"),
)

q4 = Question(
    N_("Question 4 (written: transposed kernels)"),
    [],
    hint=N_("Write out which matrix product each framework computes for a batch of row vectors."),
)

__all__ = ["q1", "q2", "q3", "q4", "small_models"]
