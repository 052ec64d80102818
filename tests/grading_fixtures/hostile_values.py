"""Values that claim to equal anything: the self-checks (tests/test_selfcheck.py)
use them directly, and a hostile submission (submissions.py) carries this file's
text into the notebook it answers with."""

import numpy as np


class AlwaysEqual:
    """Claims to equal anything."""

    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class SmugArray(np.ndarray):
    """Wrong numbers in an array that says it equals anything."""

    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __ne__(self, other):
        return np.zeros(np.shape(self), dtype=bool)
