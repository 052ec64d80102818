"""Practice exercises of lesson 5 (MNIST in PyTorch).

Every exercise of this lesson is a measurement of training runs (times,
accuracies, counts that depend on the run), so none has a self-check: the
worked solutions, with the code that measures each figure, are in the lesson.
"""

from __future__ import annotations

__all__: list[str] = []
