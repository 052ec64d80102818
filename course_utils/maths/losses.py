"""The output layer and the losses: logsumexp, softmax, cross-entropy, in NumPy.

Logits and probabilities have shape (N, classes), or (classes,) for a single
example. Targets are integer class labels of shape (N,) or distributions
(one-hot or soft) of shape (N, classes).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..validation import check_integer, check_one_of, check_real, describe
from ._arrays import as_float_array

__all__ = [
    "binary_cross_entropy",
    "cross_entropy",
    "log_softmax",
    "logsumexp",
    "softmax",
]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray | np.floating:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


def _check_axis(axis: Any, ndim: int) -> int:
    return check_integer("axis", axis, low=-ndim, high=ndim - 1)


# --------------------------------------------------------------------------
# Softmax and its logarithm
# --------------------------------------------------------------------------


def logsumexp(z: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(z)))`` along ``axis``, without overflow.

    Subtracts the maximum ``m`` first: ``m + log(sum(exp(z - m)))``, so the
    largest term of the sum is ``exp(0) = 1``.

    Parameters
    ----------
    z : array_like of real numbers, at least one dimension
    axis : int
        The axis to sum over (default: the last, the classes).
    keepdims : bool
        Keep ``axis`` as a dimension of size 1.

    Returns
    -------
    numpy.ndarray
        ``z``'s shape without ``axis`` (or with size 1 there), same dtype.
    """
    z = as_float_array("z", z, min_ndim=1)
    axis = _check_axis(axis, z.ndim)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # rows of -inf stay -inf instead of nan
    with np.errstate(divide="ignore"):  # log(0) = -inf for a row of -inf
        out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Softmax ``exp(z_i) / sum_j exp(z_j)`` along ``axis``, without overflow.

    Parameters
    ----------
    z : array_like of real numbers, at least one dimension
        Logits, usually of shape (N, classes).
    axis : int
        The axis that holds the classes (default: the last).

    Returns
    -------
    numpy.ndarray
        Probabilities that sum to 1 along ``axis``; same shape and dtype as ``z``.
    """
    z = as_float_array("z", z, min_ndim=1)
    axis = _check_axis(axis, z.ndim)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Logarithm of :func:`softmax`, as ``z - logsumexp(z)``; finite for large logits.

    Applying it twice changes nothing (``log_softmax(log_softmax(z)) ==
    log_softmax(z)`` up to rounding), because its output already has
    ``logsumexp`` equal to 0.

    Parameters
    ----------
    z : array_like of real numbers, at least one dimension
    axis : int
        The axis that holds the classes (default: the last).

    Returns
    -------
    numpy.ndarray
        Values at most 0; same shape and dtype as ``z``.
    """
    z = as_float_array("z", z, min_ndim=1)
    axis = _check_axis(axis, z.ndim)
    return z - logsumexp(z, axis=axis, keepdims=True)


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------


def _targets_as_distribution(targets: Any, predictions: np.ndarray) -> np.ndarray:
    """Integer labels or a distribution, as a distribution shaped like ``predictions``.

    Parameters
    ----------
    targets : array_like of int, shape predictions.shape[:-1], or of float, shape
        predictions.shape
        Class labels, or one-hot / soft labels that sum to 1 along the last axis.
    predictions : numpy.ndarray of float
        Their last axis holds the classes.

    Returns
    -------
    numpy.ndarray
        Of ``predictions``' shape and dtype.
    """
    if isinstance(targets, (str, bytes)) or targets is None:
        raise TypeError(
            "targets must be integer class labels or an array of class probabilities; "
            f"got {describe(targets)}."
        )
    t = np.asarray(targets)
    n_classes = predictions.shape[-1]
    if t.dtype == np.bool_:
        t = t.astype(np.int64)
    if np.issubdtype(t.dtype, np.integer) and t.shape == predictions.shape[:-1]:
        if t.size and (t.min() < 0 or t.max() >= n_classes):
            raise ValueError(
                f"targets holds class labels, which must lie in 0..{n_classes - 1} for "
                f"predictions with {n_classes} classes; got values from {t.min()} to "
                f"{t.max()}."
            )
        one_hot = np.zeros(predictions.shape, dtype=predictions.dtype)
        np.put_along_axis(one_hot, t[..., None].astype(np.intp), 1, axis=-1)
        return one_hot
    if not (np.issubdtype(t.dtype, np.integer) or np.issubdtype(t.dtype, np.floating)):
        raise TypeError(
            "targets must be integer class labels or an array of class probabilities; "
            f"got {describe(targets)}."
        )
    if t.shape != predictions.shape:
        raise ValueError(
            f"targets must be integer labels of shape {predictions.shape[:-1]} or a "
            f"distribution of shape {predictions.shape} (the shape of predictions); "
            f"got {describe(t)}."
        )
    t = t.astype(predictions.dtype)
    if not np.all(np.isfinite(t)) or t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError(
            "targets given as a distribution must hold values in [0, 1]; "
            f"got {describe(t)}."
        )
    sums = t.sum(axis=-1)
    if not np.allclose(sums, 1, rtol=0, atol=1e-4):
        raise ValueError(
            "targets given as a distribution (one-hot or soft labels) must sum to 1 along "
            f"the last axis; got sums from {sums.min():.6g} to {sums.max():.6g}. For "
            f"integer class labels pass an integer array of shape {predictions.shape[:-1]}."
        )
    return t


def _check_loss_options(reduction: Any, eps: Any) -> tuple[str, float | None]:
    reduction = check_one_of("reduction", reduction, _REDUCTIONS)
    eps = check_real(
        "eps", eps, low=0, high=0.5, low_open=True, high_open=True, allow_none=True
    )
    return reduction, eps


def _refuse_eps_with_logits(eps: float | None) -> None:
    if eps is not None:
        raise ValueError(
            "eps clips probabilities and cannot be used with from_logits=True; "
            f"got eps={eps}."
        )


def _check_probabilities(q: np.ndarray) -> None:
    if q.size and (np.isnan(q).any() or q.min() < 0 or q.max() > 1):
        raise ValueError(
            "predictions must be probabilities in [0, 1] when from_logits=False; got "
            f"values from {q.min():.6g} to {q.max():.6g}. Pass from_logits=True for raw "
            "scores."
        )


def cross_entropy(
    targets: Any,
    predictions: Any,
    *,
    from_logits: bool = False,
    reduction: str = "mean",
    eps: float | None = None,
) -> np.ndarray | np.floating:
    """Categorical cross-entropy ``H(p, q) = -sum_i p_i log q_i`` for each example.

    Parameters
    ----------
    targets : array_like of int, shape (N,), or of float, shape (N, classes)
        The true distribution ``p``: integer class labels, or one-hot / soft
        labels that sum to 1 along the last axis. For a single example: an
        integer, or shape (classes,).
    predictions : array_like of float, shape (N, classes) or (classes,)
        The predicted ``q``. Probabilities in [0, 1] by default; raw scores
        (logits) when ``from_logits`` is True.
    from_logits : bool
        Treat ``predictions`` as logits and use ``log_softmax``, which is
        exact and stable for any size of logit. This is what
        ``torch.nn.CrossEntropyLoss`` always does and what Keras does with
        ``from_logits=True``.
    reduction : {"mean", "sum", "none"}
        ``"mean"`` over examples (the default, as in Keras and PyTorch),
        ``"sum"``, or ``"none"`` for one loss per example.
    eps : float in (0, 0.5) or None
        Only for probabilities: clip them to ``[eps, 1 - eps]`` first, as
        Keras does with ``eps=1e-7``. By default nothing is clipped, so a
        zero probability for the true class gives an infinite loss.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; an array of shape (N,) (or a
        0-d array for a single example) for ``"none"``. Natural logarithm, in
        nats.
    """
    reduction, eps = _check_loss_options(reduction, eps)
    q = as_float_array("predictions", predictions, min_ndim=1)
    if q.ndim > 2:
        raise ValueError(
            f"predictions must have shape (N, classes) or (classes,); got {describe(q)}."
        )
    p = _targets_as_distribution(targets, q)
    if from_logits:
        _refuse_eps_with_logits(eps)
        log_q = log_softmax(q)
    else:
        _check_probabilities(q)
        if eps is not None:
            q = np.clip(q, eps, 1 - eps)
        with np.errstate(divide="ignore"):
            log_q = np.log(q)
    # 0 * log(0) counts as 0: classes with p_i = 0 contribute nothing, even where
    # q_i = 0.
    losses = -np.sum(p * np.where(p > 0, log_q, 0), axis=-1)
    return _reduce(losses, reduction)


def binary_cross_entropy(
    targets: Any,
    predictions: Any,
    *,
    from_logits: bool = False,
    reduction: str = "mean",
    eps: float | None = None,
) -> np.ndarray | np.floating:
    """Binary cross-entropy ``-(y log p + (1 - y) log(1 - p))``: the two-class case.

    Parameters
    ----------
    targets : array_like of float in [0, 1], the shape of predictions
        ``y``, usually 0 or 1.
    predictions : array_like of float, any shape
        ``p``, the predicted probability of class 1, in [0, 1]; or the logit
        ``z`` with ``p = sigmoid(z)`` when ``from_logits`` is True, which is
        evaluated stably as ``max(z, 0) - z y + log(1 + exp(-|z|))``.
    from_logits : bool
    reduction : {"mean", "sum", "none"}
    eps : float in (0, 0.5) or None
        As in :func:`cross_entropy`; the mean is over all elements.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar, or one loss per element for ``reduction="none"``.
    """
    reduction, eps = _check_loss_options(reduction, eps)
    z = as_float_array("predictions", predictions)
    y = as_float_array("targets", targets)
    if y.shape != z.shape:
        raise ValueError(
            f"targets must have the shape of predictions, {z.shape}; "
            f"got {describe(np.asarray(targets))}."
        )
    if y.size and (not np.all(np.isfinite(y)) or y.min() < 0 or y.max() > 1):
        raise ValueError(
            f"targets must hold values in [0, 1]; got {describe(np.asarray(targets))}."
        )
    y = y.astype(z.dtype)
    if from_logits:
        _refuse_eps_with_logits(eps)
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    else:
        _check_probabilities(z)
        if eps is not None:
            z = np.clip(z, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = np.where(y > 0, y * np.log(z), 0)
            neg = np.where(y < 1, (1 - y) * np.log1p(-z), 0)
        losses = -(pos + neg)
    return _reduce(np.asarray(losses), reduction)
