"""Input checks for every public function of ``course_utils``: the one home for them.

Each check returns the value it accepted (converted where that is safe: an
``int``, a ``float``, a NumPy array, a :class:`pathlib.Path`) or raises an error
that names the argument, says what was expected, shows what came and, where
it can, suggests the fix. The model is scikit-learn's ``utils/validation.py``:

* :class:`TypeError` when the value is the wrong *kind* of thing (a string
  where a number belongs, a list of lists of different lengths, ``True`` for a
  learning rate: a bool is never a number here);
* :class:`ValueError` when it is the right kind but a wrong value (a negative
  batch size, an option that does not exist, a shape that does not fit).

A public function starts with one to three of these calls::

    def sgd_update(params, grads, learning_rate):
        learning_rate = check_real("learning_rate", learning_rate,
                                   low=0, low_open=True)
        ...

The checks never import a framework; tensors from TensorFlow or PyTorch are
described by their type, dtype and shape without converting them.
"""

from __future__ import annotations

import difflib
import math
import numbers
import os
import pathlib
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = [
    "MissingPathError",
    "check_array",
    "check_images_labels",
    "check_integer",
    "check_one_of",
    "check_path",
    "check_real",
    "check_seed",
    "describe",
    "type_name",
]

_KINDS = {
    "floating": "floating-point numbers",
    "integer": "integers",
    "numeric": "real numbers (integer or floating dtype)",
    "bool": "booleans",
}


class MissingPathError(FileNotFoundError, ValueError):
    """A path that must exist does not; both a FileNotFoundError and a ValueError."""


# --------------------------------------------------------------------------
# Describing what came
# --------------------------------------------------------------------------


def type_name(value: Any) -> str:
    """The name of ``value``'s type: ``float``, ``numpy.ndarray``, ``torch.Tensor``.

    value : any object
        Built-in types are named alone; any other type with its module.
    """
    kind = type(value)
    module = kind.__module__
    return (
        kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"
    )


def describe(value: Any) -> str:
    """A short description of ``value`` for an error message (at most 200 characters).

    value : any object
        Arrays and tensors are described by dtype and shape, not by content.
    """
    if isinstance(value, np.ndarray):
        return f"a NumPy array of dtype {value.dtype} and shape {value.shape}"
    shape = None if isinstance(value, type) else getattr(value, "shape", None)
    dtype = None if isinstance(value, type) else getattr(value, "dtype", None)
    if shape is not None and dtype is not None:
        try:
            shape = tuple(shape)
        except TypeError:  # a symbolic shape that does not iterate
            pass
        return f"a {type_name(value)} of dtype {dtype} and shape {shape}"
    return f"{type(value).__name__} {value!r}"[:200]


def _number_hint(value: Any, want: str) -> str:
    """A sentence that suggests how to turn ``value`` into the ``want`` asked for."""
    if isinstance(value, (bool, np.bool_)):
        return f" A bool is not accepted as a number; pass {want} explicitly."
    if isinstance(value, str):
        return f" Convert the text first, for example {want.split()[-1]}({value!r})."[
            :200
        ]
    if isinstance(value, np.ndarray) and value.size == 1:
        return " Pass a single number, for example value.item(), not an array."
    return ""


# --------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------


def _range_words(
    low: Any, high: Any, low_open: bool, high_open: bool, noun: str
) -> str:
    """``a positive number``, ``an integer in 0..9``, ``a number in [0, 1)``..."""
    article = "an" if noun[0] in "aeiou" else "a"
    if low is None and high is None:
        return f"{article} {noun}"
    if high is None:
        if low == 0:
            return f"a positive {noun}" if low_open else f"a non-negative {noun}"
        if noun == "integer" and low == 1 and not low_open:
            return "a positive integer"
        return f"{article} {noun} {'>' if low_open else '>='} {low}"
    if low is None:
        return f"{article} {noun} {'<' if high_open else '<='} {high}"
    if noun == "integer":
        return f"an integer in {low}..{high}"
    if low_open and high_open:
        return f"a {noun} strictly between {low:g} and {high:g}"
    left, right = "(" if low_open else "[", ")" if high_open else "]"
    return f"a {noun} in {left}{low:g}, {high:g}{right}"


def check_integer(
    name: str,
    value: Any,
    *,
    low: int | None = None,
    high: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """``value`` as an ``int`` if it is an integer in ``low..high`` (both included).

    name : str
        The argument's name, as the caller's signature spells it.
    value : int or numpy.integer
        A bool is rejected, and so is a float even when it is whole (``3.0``).
    low, high : int or None
        Inclusive bounds; None leaves that side open.
    allow_none : bool
        Accept None and return it (an optional argument such as a seed).

    Raises TypeError for a value that is not an integer, ValueError for one
    outside the bounds.
    """
    if allow_none and value is None:
        return None
    expected = ("None or " if allow_none else "") + _range_words(
        low, high, False, False, "integer"
    )
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        hint = _number_hint(value, "an int")
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            if math.isfinite(value) and float(value).is_integer():
                hint = f" Pass {int(value)} (an int) rather than a float."
            else:
                hint = " Pass a whole number as an int."
        raise TypeError(f"{name} must be {expected}; got {describe(value)}.{hint}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {expected}; got {value}.")
    return int(value)


def check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
) -> float | None:
    """``value`` as a ``float`` if it is a real number in the given range.

    name : str
        The argument's name, as the caller's signature spells it.
    value : int, float, numpy.integer or numpy.floating
        A bool is rejected; NaN is always a wrong value.
    low, high : float or None
        Bounds; None leaves that side unbounded.
    low_open, high_open : bool
        Exclude the bound itself (``low=0, low_open=True`` means "positive").
    allow_none : bool
        Accept None and return it.

    Raises TypeError for a value that is not a real number, ValueError for NaN
    or a value outside the range.
    """
    if allow_none and value is None:
        return None
    expected = ("None or " if allow_none else "") + _range_words(
        low, high, low_open, high_open, "number"
    )
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be {expected}; got {describe(value)}."
            + _number_hint(value, "a float")
        )
    number = float(value)
    below = low is not None and (number <= low if low_open else number < low)
    above = high is not None and (number >= high if high_open else number > high)
    if math.isnan(number) or below or above:
        raise ValueError(f"{name} must be {expected}; got {value!r}.")
    return number


def check_seed(name: str, value: Any) -> int | None:
    """A random seed: None (fresh entropy) or a non-negative integer.

    name : str
        The argument's name.
    value : int or None
    """
    return check_integer(name, value, low=0, allow_none=True)


# --------------------------------------------------------------------------
# Options and paths
# --------------------------------------------------------------------------


def _same_option(value: Any, option: Any) -> bool:
    if isinstance(value, (bool, np.bool_)) != isinstance(option, (bool, np.bool_)):
        return False  # True is not the option 1
    try:
        return bool(value == option)
    except (TypeError, ValueError):  # arrays and other values without a plain ==
        return False


def check_one_of(name: str, value: Any, options: Iterable[Any]) -> Any:
    """``value`` if it is one of ``options``, else a ValueError that lists them.

    name : str
        The argument's name.
    value : any object
        Compared with ``==``; a bool never matches the numbers 0 and 1.
    options : iterable
        The accepted values, listed in the message in this order.

    When the options are strings and ``value`` is a close misspelling of one,
    the message suggests it.
    """
    options = tuple(options)
    if not options:
        raise ValueError(f"options for {name} must not be empty.")
    for option in options:
        if _same_option(value, option):
            return value
    hint = ""
    if isinstance(value, str):
        names = [o for o in options if isinstance(o, str)]
        close = difflib.get_close_matches(
            value.lower(), [o.lower() for o in names], n=1
        )
        if close:
            hint = (
                f" Did you mean {names[[o.lower() for o in names].index(close[0])]!r}?"
            )
    elif any(isinstance(o, str) for o in options) and not isinstance(value, str):
        hint = " The options are strings: pass the name in quotes."
    got = (
        repr(value)
        if isinstance(value, (str, numbers.Number, type(None)))
        else describe(value)
    )
    raise ValueError(f"{name} must be one of {options}; got {got}.{hint}")


def check_path(
    name: str, value: Any, *, kind: str = "file", must_exist: bool = True
) -> pathlib.Path:
    """``value`` as a :class:`pathlib.Path`, checked to be a file or a folder.

    name : str
        The argument's name.
    value : str or os.PathLike
        ``~`` is expanded; an empty string is rejected.
    kind : {"file", "dir", "any"}
        What the path must be when it exists.
    must_exist : bool
        Raise :class:`MissingPathError` (a FileNotFoundError and a ValueError)
        when nothing is there.
    """
    kind = check_one_of("kind", kind, ("file", "dir", "any"))
    if isinstance(value, bytes) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a path (a str or pathlib.Path); got {describe(value)}."
        )
    if isinstance(value, str) and not value.strip():
        raise ValueError(f"{name} must be a path; got an empty string.")
    path = pathlib.Path(value).expanduser()
    if not path.exists():
        if must_exist:
            what = {
                "file": "an existing file",
                "dir": "an existing folder",
                "any": "an existing path",
            }[kind]
            raise MissingPathError(
                f"{name} must be {what}; {str(path)!r} does not exist. "
                "Check the spelling and the current directory."
            )
        return path
    if kind == "file" and not path.is_file():
        raise ValueError(
            f"{name} must be a file; {str(path)!r} is a folder. Name a file inside it."
        )
    if kind == "dir" and not path.is_dir():
        raise ValueError(
            f"{name} must be a folder; {str(path)!r} is a file. "
            "Pass the folder that holds it."
        )
    return path


# --------------------------------------------------------------------------
# Arrays
# --------------------------------------------------------------------------


def _dtype_ok(array: np.ndarray, dtype: Any) -> bool:
    if dtype == "floating":
        return np.issubdtype(array.dtype, np.floating)
    if dtype == "integer":
        return np.issubdtype(array.dtype, np.integer)
    if dtype == "numeric":
        return array.dtype != np.bool_ and (
            np.issubdtype(array.dtype, np.integer)
            or np.issubdtype(array.dtype, np.floating)
        )
    if dtype == "bool":
        return array.dtype == np.bool_
    return array.dtype == np.dtype(dtype)


def _shape_words(shape: Sequence[Any]) -> str:
    parts = ["any" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def check_array(
    name: str,
    value: Any,
    *,
    ndim: int | Sequence[int] | None = None,
    min_ndim: int | None = None,
    shape: Sequence[int | str | None] | None = None,
    dtype: Any = None,
    finite: bool = False,
) -> np.ndarray:
    """``value`` as a NumPy array (``np.asarray``, never copied or cast), checked.

    name : str
        The argument's name.
    value : array_like
        A NumPy array or anything ``np.asarray`` turns into one of numbers
        (a nested list, a scalar). None, strings and ragged lists are rejected.
    ndim : int, sequence of int or None
        The number of dimensions, or the accepted numbers of dimensions.
    min_ndim : int or None
        The least number of dimensions.
    shape : tuple of (int, str or None) or None
        The expected shape; an entry that is None or a name such as ``"N"``
        matches any length and is shown by that name in the message.
    dtype : numpy dtype, "floating", "integer", "numeric", "bool" or None
        An exact dtype, or a kind. "numeric" accepts integers and floats, not
        bool. The array is not cast: a mismatch is an error.
    finite : bool
        Reject NaN and infinity.

    Raises TypeError for a value that is not an array of the right dtype,
    ValueError for a wrong number of dimensions, shape or a non-finite entry.
    """
    if dtype is None:
        kind = "an array"
    elif isinstance(dtype, str) and dtype in _KINDS:
        kind = f"an array of {_KINDS[dtype]}"
    else:
        kind = f"an array of dtype {np.dtype(dtype)}"
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be {kind}; got {describe(value)}.")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise TypeError(
            f"{name} must be {kind}; got {describe(value)} ({exc}). "
            "Nested lists must have equal lengths."
        ) from None
    if array.dtype == object and dtype is not None:
        raise TypeError(
            f"{name} must be {kind}; got {describe(value)} "
            "holding objects that are not numbers."
        )
    if dtype is not None and not _dtype_ok(array, dtype):
        hint = ""
        if dtype == "floating" and np.issubdtype(array.dtype, np.integer):
            hint = " Convert it first, for example with .astype(np.float64)."
        raise TypeError(f"{name} must be {kind}; got {describe(value)}.{hint}")
    if min_ndim is not None and array.ndim < min_ndim:
        raise ValueError(
            f"{name} must have at least {min_ndim} dimension(s); got {describe(array)}."
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, numbers.Integral) else tuple(ndim)
        if array.ndim not in allowed:
            words = " or ".join(str(n) for n in allowed)
            raise ValueError(
                f"{name} must have {words} dimension(s); got {describe(array)}."
            )
    if shape is not None:
        fits = array.ndim == len(shape) and all(
            want is None or isinstance(want, str) or want == got
            for want, got in zip(shape, array.shape)
        )
        if not fits:
            raise ValueError(
                f"{name} must have shape {_shape_words(shape)}; got {describe(array)}."
            )
    if finite and array.dtype != object and np.issubdtype(array.dtype, np.inexact):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        if bad:
            raise ValueError(
                f"{name} must hold only finite numbers; got {describe(array)} "
                f"with {bad} NaN or infinite value(s). "
                "Look for a division by zero or an overflow upstream."
            )
    return array


def check_images_labels(
    images: Any, labels: Any, *, num_classes: int = 10
) -> tuple[np.ndarray, np.ndarray]:
    """Check a batch of greyscale images and their integer class labels.

    images : numpy.ndarray of uint8, shape (N, height, width)
        As :func:`course_utils.load_mnist` returns, N >= 1.
    labels : numpy.ndarray of integers, shape (N,)
        Values in ``0 .. num_classes - 1``.
    num_classes : int
    """
    if not isinstance(images, np.ndarray):
        raise TypeError(
            "images must be a NumPy uint8 array of shape (N, height, width), "
            f"as load_mnist() returns; got {describe(images)}."
        )
    if images.dtype != np.uint8:
        raise TypeError(
            "images must have dtype uint8 "
            "(raw pixel values 0-255; the adapters scale them); "
            f"got {describe(images)}."
        )
    if images.ndim != 3 or images.shape[0] == 0:
        raise ValueError(
            "images must have shape (N, height, width) with N >= 1; "
            f"got {describe(images)}."
        )
    if not isinstance(labels, np.ndarray):
        raise TypeError(
            "labels must be a NumPy integer array of shape (N,); "
            f"got {describe(labels)}."
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must have an integer dtype; got {describe(labels)}.")
    if labels.ndim != 1:
        raise ValueError(f"labels must have shape (N,); got {describe(labels)}.")
    if labels.shape[0] != images.shape[0]:
        raise ValueError(
            "images and labels must hold the same number of examples; "
            f"got {images.shape[0]} images "
            f"and {labels.shape[0]} labels."
        )
    low, high = int(labels.min()), int(labels.max())
    if low < 0 or high >= num_classes:
        raise ValueError(
            f"labels must lie in 0..{num_classes - 1}; got values from {low} to {high}."
        )
    return images, labels
