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

# %% [markdown] nbgrader={"grade": false, "grade_id": "L1-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 1: activation functions
#
# Four questions, 11 points: three functions to write in NumPy (9 points,
# graded automatically) and one short written answer (2 points, graded by a
# person).
#
# * Write your code where a cell says `# YOUR CODE HERE` (delete the
#   `raise NotImplementedError()` line), and your written answer where a cell
#   says "YOUR ANSWER HERE".
# * After each function, run the self-check cell: `q1.check(...)` runs the
#   *public* tests and says what passed. **Hidden tests also run when your work
#   is graded**, so passing the public ones is necessary, not sufficient.
# * Do not rename this notebook, and leave the grey (read-only) cells alone: the
#   grader puts back the original of any test cell that was edited or deleted.
# * Before you hand it in: *Kernel → Restart & Run All*, and check that no cell
#   fails. Each cell has about a minute when it is graded.

# %% nbgrader={"grade": false, "grade_id": "L1-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from course_utils.exercises import lesson1 as checks

# %% [markdown] nbgrader={"grade": false, "grade_id": "L1-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): the derivative of ReLU
#
# $\mathrm{ReLU}(z) = \max(0, z)$. Write `relu_derivative(z)`: it takes a NumPy
# array of any shape and returns an array of the same shape holding
# $\mathrm{ReLU}'(z)$ element by element, as floats: 1 where $z > 0$ and 0
# elsewhere (at $z = 0$ the course uses 0).

# %% nbgrader={"grade": false, "grade_id": "L1-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def relu_derivative(z):
    """The slope of ReLU at every element of z (1.0 where z > 0, else 0.0)."""
    ### BEGIN SOLUTION
    z = np.asarray(z)
    return (z > 0).astype(np.float64)
    ### END SOLUTION


# %%
checks.q1.check(relu_derivative)

# %% nbgrader={"grade": true, "grade_id": "L1-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson1 as public_checks

public_checks.q1.assert_passes(relu_derivative)

# %% nbgrader={"grade": true, "grade_id": "L1-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/01_activation_functions.py, L1-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L1-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): the derivative of the sigmoid, without overflow
#
# $\sigma(z) = 1 / (1 + e^{-z})$ and $\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$.
# Write `sigmoid_derivative(z)` for NumPy arrays of any shape. It must work
# for $|z|$ up to 1000 **without overflow**: the checks turn NumPy's overflow
# warnings into errors, and `np.exp(1000)` overflows.

# %% nbgrader={"grade": false, "grade_id": "L1-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def sigmoid_derivative(z):
    """sigma(z) * (1 - sigma(z)) element by element, stable for large |z|."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    e = np.exp(-np.abs(z))  # never overflows: the exponent is <= 0
    s = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    return s * (1.0 - s)
    ### END SOLUTION


# %%
checks.q2.check(sigmoid_derivative)

# %% nbgrader={"grade": true, "grade_id": "L1-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson1 as public_checks

public_checks.q2.assert_passes(sigmoid_derivative)

# %% nbgrader={"grade": true, "grade_id": "L1-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/01_activation_functions.py, L1-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L1-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): a stable softmax
#
# Write `softmax(z)`: for an array whose last axis holds the logits of one
# example, return the probabilities $e^{z_i} / \sum_j e^{z_j}$ along the last
# axis, with the same shape as `z`. Logits as large as 1000 must not overflow.

# %% nbgrader={"grade": false, "grade_id": "L1-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(z):
    """Probabilities along the last axis of z; stable for large logits."""
    ### BEGIN SOLUTION
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


# %%
checks.q3.check(softmax)

# %% nbgrader={"grade": true, "grade_id": "L1-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson1 as public_checks

public_checks.q3.assert_passes(softmax)

# %% nbgrader={"grade": true, "grade_id": "L1-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/01_activation_functions.py, L1-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L1-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): vanishing gradients
#
# In two to four sentences: what is the largest value of $\sigma'(z)$, and what
# does that imply for the gradient that reaches the first layer of a network
# of 10 sigmoid layers? Why does ReLU not have this problem where it is
# active? (`q4.hint()` gives a hint.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "L1-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: $\sigma'(z) = \sigma(z)(1-\sigma(z))$ is at most $1/4$, at
# $z = 0$. The backward pass multiplies one such factor per layer (times the
# weights), so through 10 sigmoid layers the sigmoid factors alone shrink the
# gradient by a factor of at least $4^{10} \approx 10^{6}$: what reaches the
# first layer is at most $4^{-10}$ of what it would be with slopes of 1, and
# the first layers barely learn. ReLU's derivative is exactly 1 where the
# unit is active, so it passes gradients on unchanged. Full marks: the bound 1/4 (1 point) and the geometric shrinking
# with depth compared with ReLU's slope of 1 (1 point).
# ### END SOLUTION
