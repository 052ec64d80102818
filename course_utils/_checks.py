"""Input checks shared by the public functions of ``course_utils``.

Each check raises an error that names the argument, says what was expected
and what came instead, in the manner of scikit-learn's validation helpers.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def describe(value: Any) -> str:
    """A short description of ``value`` for error messages."""
    if isinstance(value, np.ndarray):
        return f"a NumPy array of dtype {value.dtype} and shape {value.shape}"
    shape = None if isinstance(value, type) else getattr(value, "shape", None)
    dtype = None if isinstance(value, type) else getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        return f"a {type(value).__module__}.{type(value).__name__} of dtype {dtype} and shape {tuple(shape)}"
    return f"{type(value).__name__} {value!r}"[:200]


def check_positive_int(name: str, value: Any) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer; got {describe(value)}.")
    return int(value)


def check_seed(name: str, value: Any) -> int | None:
    """Return ``value`` if it is None or a non-negative integer, else raise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be None or a non-negative integer; got {describe(value)}.")
    return int(value)


def check_images_labels(images: Any, labels: Any, *, num_classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Check a batch of greyscale images and their integer class labels.

    ``images`` must be a NumPy ``uint8`` array of shape (N, height, width), as
    :func:`course_utils.load_mnist` returns; ``labels`` a NumPy integer array of
    shape (N,) with values in ``0 .. num_classes - 1``.
    """
    if not isinstance(images, np.ndarray):
        raise TypeError(
            "images must be a NumPy uint8 array of shape (N, height, width), "
            f"as load_mnist() returns; got {describe(images)}."
        )
    if images.dtype != np.uint8:
        raise TypeError(
            "images must have dtype uint8 (raw pixel values 0-255; the adapters scale them); "
            f"got {describe(images)}."
        )
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(
            "images must have shape (N, height, width) with N >= 1; " f"got {describe(images)}."
        )
    if not isinstance(labels, np.ndarray):
        raise TypeError(f"labels must be a NumPy integer array of shape (N,); got {describe(labels)}.")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must have an integer dtype; got {describe(labels)}.")
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape (N,); got {describe(labels)}.")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"images and labels must hold the same number of examples; got {images.shape[0]} images "
            f"and {labels.shape[0]} labels."
        )
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"labels must lie in 0..{num_classes - 1}; got values from {low} to {high}."
        )
    return images, labels
