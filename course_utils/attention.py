"""Causal self-attention in NumPy: the reference that both frameworks are checked against.

Scaled dot-product attention (Vaswani et al. 2017) of queries ``Q``, keys
``K`` and values ``V``, each of shape (..., T, d)::

    A = softmax(Q K^T / sqrt(d) + M)        (..., T, T), rows sum to 1
    out = A V                               (..., T, d)

where the causal mask ``M`` is 0 on and below the diagonal and minus infinity
above it, so that position ``t`` attends only to positions ``0 .. t``.

:func:`multi_head_self_attention` projects an input ``x`` of shape (B, T, C)
into queries, keys and values with one (C, 3C) matrix, splits the channels
into ``n_head`` heads of ``C / n_head`` each, attends within each head and
projects the concatenated heads back with a (C, C) matrix. Matrices are in
the course layout (fan_in x fan_out, ``x @ W + b``), as in
:mod:`course_utils.maths`.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from .validation import check_integer, describe

__all__ = ["causal_mask", "multi_head_self_attention", "scaled_dot_product_attention", "softmax"]

ATTENTION_KEYS = ("W_qkv", "b_qkv", "W_o", "b_o")


def _float_array(name: str, value: object, ndim_at_least: int) -> np.ndarray:
    if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
        raise TypeError(f"{name} must be a floating-point NumPy array; got {describe(value)}.")
    if value.ndim < ndim_at_least:
        raise ValueError(f"{name} must have at least {ndim_at_least} dimensions; got {describe(value)}.")
    return value


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """Softmax along ``axis``, shifted by the maximum so that nothing overflows.

    Entries of ``-inf`` get probability 0 (a row must hold at least one finite entry).
    """
    z = _float_array("z", z, 1)
    shifted = z - z.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def causal_mask(T: int) -> np.ndarray:
    """A (T, T) boolean array, True where query ``t`` may see key ``s`` (``s <= t``)."""
    T = check_integer("T", T, low=1)
    return np.tril(np.ones((T, T), dtype=bool))


def scaled_dot_product_attention(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, *, causal: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``softmax(q k^T / sqrt(d) + mask) v`` and the attention weights.

    Parameters
    ----------
    q, k, v : numpy.ndarray of float, shape (..., T, d)
        Queries, keys and values; leading axes (batch, heads) are broadcast.
    causal : bool
        Hide the future: position ``t`` attends to ``0 .. t`` only.

    Returns
    -------
    out : numpy.ndarray, shape (..., T, d)
    weights : numpy.ndarray, shape (..., T, T)
        Row ``t`` holds how much query ``t`` takes from each position; rows sum to 1.
    """
    q, k, v = (_float_array(n, a, 2) for n, a in (("q", q), ("k", k), ("v", v)))
    if q.shape != k.shape or k.shape != v.shape:
        raise ValueError(
            f"q, k and v must have the same shape (..., T, d); got {q.shape}, {k.shape}, {v.shape}."
        )
    d = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d)  # (..., T, T)
    if causal:
        scores = np.where(causal_mask(q.shape[-2]), scores, -np.inf)
    weights = softmax(scores, axis=-1)
    return weights @ v, weights


def multi_head_self_attention(
    x: np.ndarray, params: Mapping[str, np.ndarray], n_head: int, *, causal: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-head self-attention of ``x`` with the weights ``W_qkv, b_qkv, W_o, b_o``.

    Parameters
    ----------
    x : numpy.ndarray of float, shape (B, T, C)
    params : mapping of str to numpy.ndarray
        ``W_qkv`` (C, 3C) and ``b_qkv`` (3C,): queries, keys and values side by
        side in that order; ``W_o`` (C, C) and ``b_o`` (C,): the output projection.
    n_head : int
        Number of heads; must divide C.
    causal : bool
        Apply the causal mask.

    Returns
    -------
    out : numpy.ndarray, shape (B, T, C)
    weights : numpy.ndarray, shape (B, n_head, T, T)
    """
    x = _float_array("x", x, 3)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (B, T, C); got {describe(x)}.")
    B, T, C = x.shape
    n_head = check_integer("n_head", n_head, low=1)
    if C % n_head:
        raise ValueError(f"n_head must divide the width C={C}; got n_head={n_head}.")
    missing = [key for key in ATTENTION_KEYS if key not in params]
    if missing:
        raise ValueError(f"params must hold {ATTENTION_KEYS}; missing {missing}.")
    expected = {"W_qkv": (C, 3 * C), "b_qkv": (3 * C,), "W_o": (C, C), "b_o": (C,)}
    for key, shape in expected.items():
        if np.shape(params[key]) != shape:
            raise ValueError(f"params[{key!r}] must have shape {shape}; got {describe(params[key])}.")
    qkv = x @ params["W_qkv"] + params["b_qkv"]  # (B, T, 3C)
    q, k, v = np.split(qkv, 3, axis=-1)  # each (B, T, C)
    hs = C // n_head

    def heads(a: np.ndarray) -> np.ndarray:
        return a.reshape(B, T, n_head, hs).transpose(0, 2, 1, 3)  # (B, nh, T, hs)

    y, weights = scaled_dot_product_attention(heads(q), heads(k), heads(v), causal=causal)
    y = y.transpose(0, 2, 1, 3).reshape(B, T, C)  # heads side by side again
    return y @ params["W_o"] + params["b_o"], weights
