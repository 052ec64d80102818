"""The count-based bigram model: the baseline a language model must beat.

The model predicts the next character from the current one alone, with
probabilities estimated by counting: ``P(b | a) = (N[a, b] + alpha) / (N[a, :].sum() + V alpha)``,
where ``N[a, b]`` counts how often ``b`` follows ``a`` in the training text and
``alpha`` is add-alpha (Laplace) smoothing, so that an unseen pair does not
get probability 0 and an infinite loss. Its loss on held-out text is the
cross-entropy of Lesson 2, averaged over positions.
"""

from __future__ import annotations

import numpy as np

from .validation import check_integer, describe

__all__ = ["bigram_counts", "bigram_log_probs", "bigram_loss"]


def _ids(name: str, ids: object, vocab_size: int) -> np.ndarray:
    if not isinstance(ids, np.ndarray) or ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must be a 1-D NumPy integer array; got {describe(ids)}.")
    if len(ids) < 2:
        raise ValueError(f"{name} must hold at least 2 ids (one pair); got {len(ids)}.")
    if ids.min() < 0 or ids.max() >= vocab_size:
        raise ValueError(
            f"{name} must lie in 0..{vocab_size - 1}; got values from {ids.min()} to {ids.max()}."
        )
    return ids


def bigram_counts(ids: np.ndarray, vocab_size: int) -> np.ndarray:
    """A (V, V) ``int64`` array: ``counts[a, b]`` is how often id ``b`` follows id ``a``."""
    vocab_size = check_integer("vocab_size", vocab_size, low=1)
    ids = _ids("ids", ids, vocab_size)
    pairs = ids[:-1] * vocab_size + ids[1:]
    return np.bincount(pairs, minlength=vocab_size**2).reshape(vocab_size, vocab_size)


def bigram_log_probs(counts: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    """``log P(next | current)`` from bigram counts with add-``alpha`` smoothing; rows are ``current``."""
    if not isinstance(counts, np.ndarray) or counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise TypeError(f"counts must be a square NumPy array (V, V); got {describe(counts)}.")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not alpha > 0:
        raise ValueError(f"alpha must be a number > 0; got {describe(alpha)}.")
    smoothed = counts.astype(np.float64) + alpha
    return np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))


def bigram_loss(log_probs: np.ndarray, ids: np.ndarray) -> float:
    """Mean cross-entropy (nats per character) of predicting ``ids[1:]`` from ``ids[:-1]``."""
    if not isinstance(log_probs, np.ndarray) or log_probs.ndim != 2:
        raise TypeError(f"log_probs must be a (V, V) NumPy array; got {describe(log_probs)}.")
    ids = _ids("ids", ids, log_probs.shape[0])
    return float(-log_probs[ids[:-1], ids[1:]].mean())
