"""TensorFlow side of the course: NumPy arrays in, a ``tf.data.Dataset`` out.

Import this module only in lessons that use TensorFlow; ``import course_utils``
does not load it. The PyTorch twin is :mod:`course_utils.torch_backend`, with
the same function names.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from ._checks import check_images_labels, check_positive_int, check_seed
from .data import PIXEL_SCALE

__all__ = ["best_device", "make_dataset", "normalize"]


def best_device() -> str:
    """The device TensorFlow places work on by default: the first GPU, else the CPU.

    Returns
    -------
    str
        ``"/GPU:0"`` when TensorFlow sees a GPU (CUDA on Linux, Apple's Metal
        plug-in ``tensorflow-metal`` on a Mac), otherwise ``"/CPU:0"``.

    Notes
    -----
    Keras needs no ``.to(device)``: it puts variables and operations on the
    first GPU by itself. Use the name to report where the work ran, or to
    pin a block with ``with tf.device(best_device()):``. Each tensor's
    ``.device`` attribute names where it lives.

    The PyTorch twin is :func:`course_utils.torch_backend.best_device`.
    """
    if tf.config.list_physical_devices("GPU"):
        return "/GPU:0"
    return "/CPU:0"


def normalize(images: tf.Tensor) -> tf.Tensor:
    """Scale a ``uint8`` tensor of pixels to ``float32`` in [0, 1] (as :func:`course_utils.normalize_images`)."""
    return tf.cast(images, tf.float32) / tf.constant(PIXEL_SCALE, tf.float32)


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int | None = 0,
    drop_remainder: bool = False,
) -> tf.data.Dataset:
    """Turn MNIST-style arrays into a batched, shuffled, prefetched ``tf.data.Dataset``.

    Parameters
    ----------
    images:
        ``uint8`` array of shape (N, height, width), as :func:`course_utils.load_mnist` returns.
    labels:
        Integer array of shape (N,) with class indices 0-9.
    batch_size:
        Examples per batch.
    shuffle:
        Reshuffle the examples at the start of every pass over the dataset.
    seed:
        Seed of the shuffle; the same seed gives the same order of batches.
    drop_remainder:
        Drop the last batch when it is smaller than ``batch_size``.

    Returns
    -------
    tf.data.Dataset
        Yields ``(images, labels)``: ``float32`` tensors of shape
        (batch, height, width) scaled to [0, 1], and ``int64`` labels of shape (batch,).
    """
    images, labels = check_images_labels(images, labels)
    batch_size = check_positive_int("batch_size", batch_size)
    seed = check_seed("seed", seed)
    ds = tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int64)))
    if shuffle:
        ds = ds.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda x, y: (normalize(x), y), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.prefetch(tf.data.AUTOTUNE)
