"""Seeding and a report of the software versions, for the top of each lesson."""

from __future__ import annotations

import os
import platform
import random
import sys
from importlib import metadata
from typing import Iterable

import numpy as np

from .validation import check_integer

__all__ = ["seed_everything", "versions", "VersionReport"]

_FRAMEWORKS = ("tensorflow", "torch")


def seed_everything(seed: int, frameworks: Iterable[str] | None = None) -> list[str]:
    """Seed Python, NumPy, TensorFlow and PyTorch, and make them deterministic.

    Parameters
    ----------
    seed : int >= 0
        A non-negative integer.
    frameworks : iterable of {"tensorflow", "torch"} or None
        Which of ``"tensorflow"`` and ``"torch"`` to seed. By default, those
        already imported, so that a PyTorch-only lesson does not load
        TensorFlow (import your framework first, then call this). Naming a
        framework imports it.

    Returns
    -------
    list of str
        What was seeded, e.g. ``["python", "numpy", "torch"]``.

    Notes
    -----
    TensorFlow gets ``tf.keras.utils.set_random_seed`` and op determinism;
    PyTorch gets ``torch.manual_seed``, ``torch.use_deterministic_algorithms``
    and deterministic cuDNN settings. Deterministic kernels can be slower on a GPU.
    """
    seed = check_integer("seed", seed, low=0)
    if frameworks is None:
        chosen = [name for name in _FRAMEWORKS if name in sys.modules]
    else:
        chosen = list(frameworks)
        unknown = sorted(set(chosen) - set(_FRAMEWORKS))
        if unknown:
            raise ValueError(f"frameworks must name only {_FRAMEWORKS}; got {unknown}.")
    os.environ["PYTHONHASHSEED"] = str(seed)  # for subprocesses started from here
    random.seed(seed)
    np.random.seed(seed)
    seeded = ["python", "numpy"]
    if "tensorflow" in chosen:
        os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
        import tensorflow as tf

        tf.keras.utils.set_random_seed(seed)
        tf.config.experimental.enable_op_determinism()
        seeded.append("tensorflow")
    if "torch" in chosen:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        import torch

        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
        seeded.append("torch")
    return seeded


class VersionReport(dict):
    """The versions that matter for reproducing a lesson, printed as a small table."""

    def __str__(self) -> str:
        width = max(len(k) for k in self)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in self.items())

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython display
        printer.text(str(self))


def _installed(*names: str) -> str:
    for name in names:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def versions() -> VersionReport:
    """Report Python, NumPy, TensorFlow, PyTorch and the platform.

    Reads installed package metadata, so it never imports TensorFlow or
    PyTorch. Returns a dict that prints as a two-column table.
    """
    return VersionReport(
        {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "tensorflow": _installed("tensorflow", "tensorflow-cpu", "tensorflow-macos"),
            "torch": _installed("torch"),
            "platform": f"{platform.system()} {platform.machine()} ({platform.platform(terse=True)})",
            "cpu count": str(os.cpu_count()),
        }
    )
