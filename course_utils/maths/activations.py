"""Activation functions and their derivatives, element by element, in NumPy.

Each function takes an array of real numbers of any shape and returns one of
the same shape and floating dtype (integers become float64). The derivatives
are written in forms that keep their relative accuracy for large ``|x|``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._arrays import as_float_array

__all__ = [
    "ACTIVATIONS",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "tanh",
    "tanh_grad",
]


def relu(x: Any) -> np.ndarray:
    """Rectified linear unit, ``max(0, x)``, element by element.

    Parameters
    ----------
    x : array_like of real numbers, any shape

    Returns
    -------
    numpy.ndarray
        Same shape and floating dtype as ``x`` (integers become float64).
    """
    x = as_float_array("x", x)
    return np.maximum(x, np.zeros((), dtype=x.dtype))


def relu_grad(x: Any) -> np.ndarray:
    """Derivative of :func:`relu`: 1 where ``x > 0``, else 0.

    ReLU has no derivative at 0; like TensorFlow and PyTorch, this returns 0
    there.

    Parameters
    ----------
    x : array_like of real numbers, any shape

    Returns
    -------
    numpy.ndarray
        Same shape and floating dtype as ``x``.
    """
    x = as_float_array("x", x)
    return (x > 0).astype(x.dtype)


def sigmoid(x: Any) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow.

    The naive formula overflows ``exp(-x)`` for large negative ``x``. Here
    ``e = exp(-|x|)`` is never larger than 1, and the result is ``1 / (1 + e)``
    for ``x >= 0`` and ``e / (1 + e)`` for ``x < 0``.

    Parameters
    ----------
    x : array_like of real numbers, any shape
        ``inf`` and ``-inf`` give 1 and 0.

    Returns
    -------
    numpy.ndarray
        Values in [0, 1], same shape and floating dtype as ``x``.
    """
    x = as_float_array("x", x)
    e = np.exp(-np.abs(x))
    one = np.ones((), dtype=x.dtype)
    return np.where(x >= 0, one / (one + e), e / (one + e))


def sigmoid_grad(x: Any) -> np.ndarray:
    """Derivative of :func:`sigmoid`, ``sigmoid(x) * (1 - sigmoid(x))``.

    Computed as ``e / (1 + e)**2`` with ``e = exp(-|x|)``, which keeps its
    relative accuracy for large ``|x|`` (the product form rounds to exactly 0
    once ``sigmoid(x)`` rounds to 1). The maximum is 0.25, at ``x = 0``.

    Parameters
    ----------
    x : array_like of real numbers, any shape

    Returns
    -------
    numpy.ndarray
        Same shape and floating dtype as ``x``.
    """
    x = as_float_array("x", x)
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def tanh(x: Any) -> np.ndarray:
    """Hyperbolic tangent, element by element.

    Parameters
    ----------
    x : array_like of real numbers, any shape

    Returns
    -------
    numpy.ndarray
        Values in [-1, 1], same shape and floating dtype as ``x``.
    """
    x = as_float_array("x", x)
    return np.tanh(x)


def tanh_grad(x: Any) -> np.ndarray:
    """Derivative of :func:`tanh`, ``1 - tanh(x)**2``.

    Computed as ``4 e / (1 + e)**2`` with ``e = exp(-2|x|)`` (the same as
    ``1 / cosh(x)**2``), which neither overflows nor loses relative accuracy
    for large ``|x|``. The maximum is 1, at ``x = 0``.

    Parameters
    ----------
    x : array_like of real numbers, any shape

    Returns
    -------
    numpy.ndarray
        Same shape and floating dtype as ``x``.
    """
    x = as_float_array("x", x)
    # exp(-2|x|), without overflowing 2|x| near the float's maximum
    e = np.exp(-np.abs(x)) ** 2
    return 4 * e / (1 + e) ** 2


#: Name -> (function, derivative), for the hidden layers of :func:`mlp_forward`.
ACTIVATIONS: dict[
    str, tuple[Callable[[Any], np.ndarray], Callable[[Any], np.ndarray]]
] = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
}
