"""Helpers for the course: MNIST and Tiny Shakespeare loading, seeding and version reports.

``import course_utils`` loads NumPy only. The framework adapters live in
:mod:`course_utils.tf_backend` and :mod:`course_utils.torch_backend`; import
the one your lesson uses.
"""

from .data import (
    DataIntegrityError,
    DataUnavailableError,
    MnistData,
    Split,
    load_mnist,
    normalize_images,
)
from .reproducibility import seed_everything, versions
from .text_data import CharVocabulary, load_tinyshakespeare

__version__ = "0.1.0"

__all__ = [
    "CharVocabulary",
    "DataIntegrityError",
    "DataUnavailableError",
    "MnistData",
    "Split",
    "load_mnist",
    "load_tinyshakespeare",
    "normalize_images",
    "seed_everything",
    "versions",
]
