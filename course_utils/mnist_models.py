"""The MNIST classifier of lessons 4-6, described without any framework.

The model is the source article's multilayer perceptron: the 28 x 28 image is
flattened to 784 numbers, passed through a dense layer of 128 ReLU units and a
dense layer of 10 outputs, one per digit. :mod:`course_utils.tf_models` and
:mod:`course_utils.torch_models` build it in each framework; this module holds
what they share and what needs no framework at all: the layer sizes, the
parameter count, the floating-point work of one training step, and the
training settings (the article's and the course's), so that the lessons and
``benchmarks/mnist.py`` use one definition.

Importing this module loads NumPy only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ._checks import check_positive_int, describe

__all__ = [
    "IMAGE_SHAPE",
    "HIDDEN_UNITS",
    "NUM_CLASSES",
    "TrainingSettings",
    "check_images",
    "layer_sizes",
    "parameter_count",
    "training_flops_per_example",
]

IMAGE_SHAPE: tuple[int, int] = (28, 28)
HIDDEN_UNITS = 128
NUM_CLASSES = 10

_OPTIMIZERS = ("adam", "sgd")
_SCHEDULES = ("constant", "cosine")


def layer_sizes(hidden: int = HIDDEN_UNITS) -> tuple[int, int, int]:
    """The widths of the input, hidden and output layers: ``(784, hidden, 10)``."""
    hidden = check_positive_int("hidden", hidden)
    return (IMAGE_SHAPE[0] * IMAGE_SHAPE[1], hidden, NUM_CLASSES)


def _check_sizes(sizes: Any) -> tuple[int, ...]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(
            "sizes must be a sequence of at least two layer widths, such as (784, 128, 10); "
            f"got {describe(sizes)}."
        )
    return tuple(check_positive_int(f"sizes[{i}]", s) for i, s in enumerate(sizes))


def parameter_count(sizes: Sequence[int] = layer_sizes()) -> int:
    """Weights plus biases of a stack of dense layers with the given widths.

    Each layer from ``n_in`` to ``n_out`` units holds an ``n_in x n_out``
    weight matrix and ``n_out`` biases; for (784, 128, 10) that is
    784*128 + 128 + 128*10 + 10 = 101,770.
    """
    sizes = _check_sizes(sizes)
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
    sizes = _check_sizes(sizes)
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
    name:
        A short label for tables, such as ``"course"`` or ``"article"``.
    optimizer:
        ``"adam"`` or ``"sgd"``.
    batch_size:
        Examples per gradient step.
    learning_rate:
        The (initial) step size.
    momentum:
        SGD's momentum (0 for plain SGD); ignored by Adam.
    schedule:
        ``"constant"``, or ``"cosine"``: the learning rate falls from
        ``learning_rate`` to 0 along half a cosine over all the steps of
        training, which lets a large step size explore early and settle late.
    epochs:
        Passes over the training set.
    steps_per_execution:
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
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {_OPTIMIZERS}; got {describe(self.optimizer)}.")
        if self.schedule not in _SCHEDULES:
            raise ValueError(f"schedule must be one of {_SCHEDULES}; got {describe(self.schedule)}.")
        check_positive_int("batch_size", self.batch_size)
        check_positive_int("epochs", self.epochs)
        check_positive_int("steps_per_execution", self.steps_per_execution)
        if isinstance(self.learning_rate, bool) or not isinstance(self.learning_rate, (int, float)) or not (
            self.learning_rate > 0
        ):
            raise ValueError(f"learning_rate must be a positive number; got {describe(self.learning_rate)}.")
        if isinstance(self.momentum, bool) or not isinstance(self.momentum, (int, float)) or not (
            0 <= self.momentum < 1
        ):
            raise ValueError(f"momentum must be a number in [0, 1); got {describe(self.momentum)}.")

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
