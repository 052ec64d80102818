# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: nbgrader,tags,-all
#     notebook_metadata_filter: kernelspec,jupytext,-all
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "L2-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 2: cross-entropy
#
# Four questions, 11 points: three functions to write in NumPy (9 points,
# graded automatically) and one short written answer (2 points, graded by a
# person).
#
# * Write your code where a cell says `# YOUR CODE HERE` (delete the
#   `raise NotImplementedError()` line), and your written answer where a cell
#   says "YOUR ANSWER HERE".
# * Run each self-check cell: `q1.check(...)` runs the *public* tests. **Hidden
#   tests also run when your work is graded.**
# * Do not rename this notebook and leave the read-only cells alone; the grader
#   restores the original of any test cell that was edited or deleted.
# * Before you hand it in: *Kernel → Restart & Run All*, and check that no cell fails.
#
# All three functions must stay finite for logits as large as 1000: the checks
# turn NumPy's overflow warnings into errors.

# %% nbgrader={"grade": false, "grade_id": "L2-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from course_utils.exercises import lesson2 as checks

# %% [markdown] nbgrader={"grade": false, "grade_id": "L2-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): log-sum-exp
#
# Write `logsumexp(z)`: $\log \sum_j e^{z_j}$ along the **last** axis of `z`, so
# that an input of shape `(n, k)` gives shape `(n,)` and a 1-D input gives a
# scalar (a 0-d array or a float). Use the shift by the maximum so that nothing
# overflows.

# %% nbgrader={"grade": false, "grade_id": "L2-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def logsumexp(z):
    """log(sum(exp(z))) along the last axis, computed without overflow."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    m = z.max(axis=-1, keepdims=True)
    return (m + np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))[..., 0]
    ### END SOLUTION


# %%
checks.q1.check(logsumexp)

# %% nbgrader={"grade": true, "grade_id": "L2-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson2 as public_checks

public_checks.q1.assert_passes(logsumexp)

# %% nbgrader={"grade": true, "grade_id": "L2-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/02_cross_entropy.py, L2-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L2-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): cross-entropy from logits
#
# Write `cross_entropy_from_logits(logits, labels)`: `logits` has shape
# `(n, k)`, `labels` holds `n` class indices in `0 .. k-1`; return the mean over
# the batch of $-\log \mathrm{softmax}(\text{logits})_{\text{label}}$ as one
# number. Do not compute the softmax first: work with log-sum-exp.

# %% nbgrader={"grade": false, "grade_id": "L2-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def cross_entropy_from_logits(logits, labels):
    """Mean cross-entropy of a batch, from raw scores and integer labels."""
    ### BEGIN SOLUTION
    logits = np.asarray(logits, dtype=np.float64)
    labels = np.asarray(labels)
    n = logits.shape[0]
    return float(np.mean(logsumexp(logits) - logits[np.arange(n), labels]))
    ### END SOLUTION


# %%
checks.q2.check(cross_entropy_from_logits)

# %% nbgrader={"grade": true, "grade_id": "L2-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson2 as public_checks

public_checks.q2.assert_passes(cross_entropy_from_logits)

# %% nbgrader={"grade": true, "grade_id": "L2-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/02_cross_entropy.py, L2-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L2-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): binary cross-entropy with logits
#
# Write `binary_cross_entropy_with_logits(logits, targets)`: for logits $x$ and
# targets $t \in \{0, 1\}$ (arrays of the same shape), return the mean of
# $-\big(t \log \sigma(x) + (1 - t) \log(1 - \sigma(x))\big)$ as one number,
# computed without overflow and without taking the log of 0.

# %% nbgrader={"grade": false, "grade_id": "L2-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def binary_cross_entropy_with_logits(logits, targets):
    """Mean binary cross-entropy from logits, stable for large |logits|."""
    ### BEGIN SOLUTION
    x = np.asarray(logits, dtype=np.float64)
    t = np.asarray(targets, dtype=np.float64)
    return float(np.mean(np.maximum(x, 0.0) - x * t + np.log1p(np.exp(-np.abs(x)))))
    ### END SOLUTION


# %%
checks.q3.check(binary_cross_entropy_with_logits)

# %% nbgrader={"grade": true, "grade_id": "L2-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson2 as public_checks

public_checks.q3.assert_passes(binary_cross_entropy_with_logits)

# %% nbgrader={"grade": true, "grade_id": "L2-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/02_cross_entropy.py, L2-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L2-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): logits or probabilities?
#
# Keras' `SparseCategoricalCrossentropy(from_logits=True)` and PyTorch's
# `nn.CrossEntropyLoss` both take *logits*. In two to four sentences: why is
# that more accurate than applying softmax in the model and then the loss to the
# probabilities? Give an example of a number that goes wrong in `float32`.

# %% [markdown] nbgrader={"grade": true, "grade_id": "L2-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: from logits the loss is computed as logsumexp(z) - z_y, which
# never forms a probability and never takes the log of a rounded number. Going
# through probabilities first, a confident model rounds the small probabilities:
# with logits (40, 0) in float32, softmax gives the second class e^-40 ≈ 4e-18
# (representable) but the first class exactly 1.0, and for logits (120, 0) the
# second class underflows to 0, so -log p is infinite (or clipped) and its
# gradient is lost. Full marks: the log-sum-exp/shift argument (1 point) and a
# correct example of rounding to 0 or 1 (1 point).
# ### END SOLUTION
