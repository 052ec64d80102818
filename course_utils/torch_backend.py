"""PyTorch side of the course: NumPy arrays in, batches of tensors out.

Import this module only in lessons that use PyTorch; ``import course_utils``
does not load it. The TensorFlow twin is :mod:`course_utils.tf_backend`, with
the same function names.

Batches are cut from whole tensors by slicing with a shuffled index, which is
far faster on a CPU than a ``DataLoader`` that collects one example at a time.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import torch

from ._checks import check_images_labels, check_positive_int, check_seed
from .data import PIXEL_SCALE

__all__ = ["Batches", "best_device", "make_dataset", "normalize"]


def best_device() -> torch.device:
    """The fastest device this machine offers PyTorch: CUDA, then Apple MPS, then the CPU.

    Returns
    -------
    torch.device
        ``cuda`` (the current CUDA device, on NVIDIA and ROCm builds),
        ``mps`` (Apple silicon) or ``cpu``. Move the model once with
        ``model.to(device)`` and every batch with ``x.to(device)``.

    Notes
    -----
    Results on a GPU need not equal the CPU's bit for bit: the kernels sum in
    a different order. For repeatable GPU runs see the README ("Running on a
    GPU"): ``CUBLAS_WORKSPACE_CONFIG`` and
    ``torch.use_deterministic_algorithms(True)``.

    The TensorFlow twin, :func:`course_utils.tf_backend.best_device`, returns
    a device name instead, since Keras places work itself.
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def normalize(images: torch.Tensor) -> torch.Tensor:
    """Scale a ``uint8`` tensor of pixels to ``float32`` in [0, 1] (as :func:`course_utils.normalize_images`)."""
    return images.to(torch.float32) / torch.tensor(PIXEL_SCALE, dtype=torch.float32)


class Batches:
    """Re-iterable batches of ``(images, labels)`` tensors; see :func:`make_dataset`."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        batch_size: int,
        shuffle: bool,
        seed: int | None,
        drop_remainder: bool,
    ) -> None:
        self.images = torch.from_numpy(images)  # uint8, shares memory with the array
        self.labels = torch.from_numpy(labels.astype(np.int64))
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_remainder = drop_remainder
        self.generator = torch.Generator()
        if seed is None:
            self.generator.seed()
        else:
            self.generator.manual_seed(seed)

    def __len__(self) -> int:
        n = len(self.labels)
        return n // self.batch_size if self.drop_remainder else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.labels)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else None
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            stop = min(start + self.batch_size, n)
            if order is None:
                x, y = self.images[start:stop], self.labels[start:stop]
            else:
                index = order[start:stop]
                x, y = self.images[index], self.labels[index]
            yield normalize(x), y


def make_dataset(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: int | None = 0,
    drop_remainder: bool = False,
) -> Batches:
    """Turn MNIST-style arrays into shuffled batches of PyTorch tensors.

    Parameters and normalisation are the same as in
    :func:`course_utils.tf_backend.make_dataset`.

    Returns
    -------
    Batches
        An iterable (with ``len``) that yields ``(images, labels)``: ``float32``
        tensors of shape (batch, height, width) scaled to [0, 1], and ``int64``
        labels of shape (batch,). Each pass reshuffles, from ``seed``.
    """
    images, labels = check_images_labels(images, labels)
    batch_size = check_positive_int("batch_size", batch_size)
    seed = check_seed("seed", seed)
    return Batches(images, labels, batch_size, bool(shuffle), seed, bool(drop_remainder))
