"""Gradient checking: central differences and the relative error that judges them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..validation import check_real, describe
from ._arrays import as_float_array

__all__ = ["numerical_gradient", "relative_error"]


def numerical_gradient(
    f: Callable[[np.ndarray], Any], x: Any, *, h: float = 1e-6
) -> np.ndarray:
    """Gradient of a scalar function by central differences, one coordinate at a time.

    ``df/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2 h)``. The error of the
    formula shrinks like ``h**2``; rounding error grows like ``1 / h``, so in
    float64 a step near ``1e-6`` (relative to values of order 1) works well.
    Cost: two calls of ``f`` per element of ``x``, so keep ``x`` small.

    Parameters
    ----------
    f : callable, array -> real scalar
        A function of one array (of ``x``'s shape).
    x : array_like of real numbers
        The point; it is converted to float64 and never modified (``f``
        receives a perturbed copy).
    h : float > 0
        The step.

    Returns
    -------
    numpy.ndarray
        float64 array of ``x``'s shape.
    """
    if not callable(f):
        raise TypeError(
            "f must be a function of one array that returns a scalar; "
            f"got {describe(f)}."
        )
    h = check_real("h", h, low=0, low_open=True)
    point = as_float_array("x", x).astype(np.float64, copy=True)
    grad = np.zeros_like(point)

    def value(at: np.ndarray) -> float:
        out = np.asarray(f(at))
        if out.size != 1:
            raise ValueError(f"f must return a scalar; got {describe(out)}.")
        return float(out.reshape(()))

    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        up = value(point)
        point[index] = original - h
        down = value(point)
        point[index] = original
        grad[index] = (up - down) / (2 * h)
    return grad


def relative_error(a: Any, b: Any) -> float:
    """``||a - b|| / (||a|| + ||b||)``, the usual measure for a gradient check.

    Uses the Euclidean norm over all elements. In float64, a correct analytic
    gradient compared with :func:`numerical_gradient` typically gives 1e-7 or
    less.

    Parameters
    ----------
    a, b : array_like of real numbers, the same shape

    Returns
    -------
    float
        0.0 when both are all zeros.
    """
    a = as_float_array("a", a).astype(np.float64)
    b = as_float_array("b", b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(
            f"a and b must have the same shape; got {a.shape} and {b.shape}."
        )
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denominator)
