"""The one conversion every reference function starts with."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_array


def as_float_array(name: str, value: Any, *, min_ndim: int = 0) -> np.ndarray:
    """``value`` as a real floating array: float32/float64 kept, integers to float64.

    name : str
        The argument's name, for the error message.
    value : array_like of real numbers
        Booleans, complex numbers, strings and ragged lists are a TypeError.
    min_ndim : int
        The least number of dimensions (a ValueError below it).
    """
    array = check_array(name, value, dtype="numeric", min_ndim=min_ndim)
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float64)
    return array
