"""The MNIST classifier of lessons 4-6, described without any framework.

The model is the source article's multilayer perceptron: the 28 x 28 image is
flattened to 784 numbers, passed through a dense layer of 128 ReLU units and a
dense layer of 10 outputs, one per digit. :mod:`course_utils.tf_models` and
:mod:`course_utils.torch_models` build it in each framework; this module holds
what they share and what needs no framework at all: the layer sizes, the
parameter count, the floating-point work of one training step, and the
training settings (the article's and the course's), so that the lessons and
``benchmarks/mnist.py`` use one definition, and the checks of the arguments
that the twins share (:func:`check_build_options`, :func:`check_loop_arguments`).

Importing this module loads NumPy only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .validation import (
    check_integer,
    check_layer_sizes,
    check_one_of,
    check_real,
    describe,
)

__all__ = [
    "DTYPES",
    "HIDDEN_UNITS",
    "IMAGE_SHAPE",
    "NUM_CLASSES",
    "OUTPUTS",
    "TrainingSettings",
    "check_build_options",
    "check_images",
    "check_loop_arguments",
    "layer_sizes",
    "parameter_count",
    "training_flops_per_example",
]

IMAGE_SHAPE: tuple[int, int] = (28, 28)
HIDDEN_UNITS = 128
NUM_CLASSES = 10

#: What the last layer of ``build_mlp`` returns, in both frameworks.
OUTPUTS = ("logits", "probabilities", "log_probabilities")
#: The floating types ``build_mlp`` builds, in both frameworks.
DTYPES = ("float32", "float64")

_OPTIMIZERS = ("adam", "sgd")
_SCHEDULES = ("constant", "cosine")


def layer_sizes(hidden: int = HIDDEN_UNITS) -> tuple[int, int, int]:
    """The widths of the input, hidden and output layers: ``(784, hidden, 10)``.

    hidden : int >= 1
    """
    hidden = check_integer("hidden", hidden, low=1)
    return (IMAGE_SHAPE[0] * IMAGE_SHAPE[1], hidden, NUM_CLASSES)


def parameter_count(sizes: Sequence[int] = layer_sizes()) -> int:
    """Weights plus biases of a stack of dense layers with the given widths.

    Each layer from ``n_in`` to ``n_out`` units holds an ``n_in x n_out``
    weight matrix and ``n_out`` biases; for (784, 128, 10) that is
    784*128 + 128 + 128*10 + 10 = 101,770.
    """
    sizes = check_layer_sizes("sizes", sizes)
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def training_flops_per_example(sizes: Sequence[int] = layer_sizes()) -> int:
    """Floating-point operations of the matrix products in one training step, per example.

    A dense layer from ``n_in`` to ``n_out`` units costs ``2 * n_in * n_out``
    operations per example (one multiply and one add per weight) in each of
    three products: the forward pass, the gradient of the weights, and the
    gradient passed back to the layer's input. The first layer needs no
    gradient for its input (the pixels are not trained), so it does two of the
    three. Biases, activations, the loss and the optimizer's update are left
    out: they are cheap next to the products, so this is a lower bound on the
    work, which is what a "compute-bound floor" needs.

    For (784, 128, 10): 4*784*128 + 6*128*10 = 409,088.
    """
    sizes = check_layer_sizes("sizes", sizes)
    total = 0
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        products = 2 if index == 0 else 3
        total += products * 2 * n_in * n_out
    return total


@dataclass(frozen=True)
class TrainingSettings:
    """How a model is trained: optimizer, batch size, learning rate and schedule.

    Attributes
    ----------
    name : str
        A short label for tables, such as ``"course"`` or ``"article"``.
    optimizer : {"adam", "sgd"}
        ``"adam"`` or ``"sgd"``.
    batch_size : int >= 1
        Examples per gradient step.
    learning_rate : float > 0
        The (initial) step size.
    momentum : float in [0, 1)
        SGD's momentum (0 for plain SGD); ignored by Adam.
    schedule : {"constant", "cosine"}
        ``"constant"``, or ``"cosine"``: the learning rate falls from
        ``learning_rate`` to 0 along half a cosine over all the steps of
        training, which lets a large step size explore early and settle late.
    epochs : int >= 1
        Passes over the training set.
    steps_per_execution : int >= 1
        Keras only: how many steps ``model.fit`` runs per call into its
        compiled graph (Keras' default is 1). More steps per call spend less
        time in Python between steps. PyTorch ignores it.
    """

    name: str
    optimizer: str
    batch_size: int
    learning_rate: float
    momentum: float = 0.0
    schedule: str = "constant"
    epochs: int = 5
    steps_per_execution: int = 1

    def __post_init__(self) -> None:
        check_one_of("optimizer", self.optimizer, _OPTIMIZERS)
        check_one_of("schedule", self.schedule, _SCHEDULES)
        check_integer("batch_size", self.batch_size, low=1)
        check_integer("epochs", self.epochs, low=1)
        check_integer("steps_per_execution", self.steps_per_execution, low=1)
        check_real("learning_rate", self.learning_rate, low=0, low_open=True)
        check_real("momentum", self.momentum, low=0, high=1, high_open=True)

    def describe(self) -> str:
        """One line for a table, e.g. ``"SGD lr 0.2 momentum 0.9, cosine, batch 128"``."""
        parts = [f"{'Adam' if self.optimizer == 'adam' else 'SGD'} lr {self.learning_rate:g}"]
        if self.optimizer == "sgd" and self.momentum:
            parts[0] += f" momentum {self.momentum:g}"
        if self.schedule != "constant":
            parts.append(self.schedule)
        parts.append(f"batch {self.batch_size}")
        return ", ".join(parts)


def check_images(name: str, images: Any) -> np.ndarray:
    """Check that ``images`` is a NumPy ``uint8`` array of shape (N, 28, 28) with N >= 1."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        raise TypeError(
            f"{name} must be a NumPy uint8 array of shape (N, 28, 28), as load_mnist() returns; "
            f"got {describe(images)}."
        )
    if images.ndim != 3 or images.shape[1:] != IMAGE_SHAPE or images.shape[0] == 0:
        raise ValueError(f"{name} must have shape (N, 28, 28) with N >= 1; got {describe(images)}.")
    return images


def check_build_options(
    output: Any, hidden: Any, dtype: Any, *, default_output: str
) -> tuple[str, int, str]:
    """The arguments of both twins' ``build_mlp``, checked: ``(output, hidden, dtype)``.

    output : {"logits", "probabilities", "log_probabilities"} or None
        None becomes ``default_output``, the framework's usual choice.
    hidden : int >= 1
    dtype : {"float32", "float64"}
        A string, as the frameworks' layer arguments take it.
    default_output : str
        One of :data:`OUTPUTS`.
    """
    output = check_one_of("output", default_output if output is None else output, OUTPUTS)
    hidden = check_integer("hidden", hidden, low=1)
    dtype = check_one_of("dtype", dtype, DTYPES)
    return output, hidden, dtype


def check_loop_arguments(batches: Any, loss_fn: Any) -> None:
    """Check what both twins' ``evaluate`` (and PyTorch's ``train_epoch``) iterate with.

    batches : iterable of (images, labels)
        Such as the ``make_dataset(...)`` of the framework's backend module.
    loss_fn : callable
        A loss object such as ``nn.CrossEntropyLoss()`` or Keras'
        ``SparseCategoricalCrossentropy()``.
    """
    if not isinstance(batches, Iterable):
        raise TypeError(
            "batches must be an iterable of (images, labels) tensors, such as "
            f"make_dataset(...) of the framework's backend module; got {describe(batches)}."
        )
    if not callable(loss_fn):
        raise TypeError(
            "loss_fn must be a loss such as nn.CrossEntropyLoss() or "
            f"keras.losses.SparseCategoricalCrossentropy(); got {describe(loss_fn)}."
        )
