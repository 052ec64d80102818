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

# %% [markdown] nbgrader={"grade": false, "grade_id": "L9-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 9: training on many machines
#
# Four questions, 11 points: the traffic of a ring all-reduce, the memory of
# ZeRO's stages, and a data-parallel gradient, in NumPy (9 points, graded
# automatically), and one short written answer (2 points, graded by a
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

# %% nbgrader={"grade": false, "grade_id": "L9-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from course_utils.exercises import lesson9 as checks

# %% [markdown] nbgrader={"grade": false, "grade_id": "L9-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): the traffic of a ring all-reduce
#
# $K$ workers average a gradient of $S$ bytes with a ring all-reduce: a
# reduce-scatter, then an all-gather. Write
# `ring_all_reduce_bytes(gradient_bytes, workers)`: the bytes each worker
# sends, $2 (K-1) S / K$, as a Python float.

# %% nbgrader={"grade": false, "grade_id": "L9-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def ring_all_reduce_bytes(gradient_bytes, workers):
    """Bytes each of `workers` sends to all-reduce `gradient_bytes` in a ring."""
    ### BEGIN SOLUTION
    return float(2 * (workers - 1) / workers * gradient_bytes)
    ### END SOLUTION


# %%
checks.q1.check(ring_all_reduce_bytes)

# %% nbgrader={"grade": true, "grade_id": "L9-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson9 as public_checks

public_checks.q1.assert_passes(ring_all_reduce_bytes)

# %% nbgrader={"grade": true, "grade_id": "L9-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/09_distributed_training.py, L9-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L9-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): what ZeRO shards
#
# Mixed-precision training with Adam keeps, per parameter, 2 bytes of 16-bit
# weights, 2 bytes of gradients and 12 bytes of optimizer state (32-bit
# master weights, momentum and variance). Plain data parallelism (stage 0)
# keeps all of it on each device. ZeRO stage 1 divides the optimizer state
# by the number of devices, stage 2 also the gradients, stage 3 also the
# weights. Write `zero_bytes_per_device(parameters, devices, stage)`: the
# bytes per device (activations left out), as a Python float.

# %% nbgrader={"grade": false, "grade_id": "L9-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def zero_bytes_per_device(parameters, devices, stage):
    """Bytes of weights, gradients and Adam state per device under ZeRO `stage`."""
    ### BEGIN SOLUTION
    weights, gradients, optimizer = 2.0 * parameters, 2.0 * parameters, 12.0 * parameters
    if stage >= 1:
        optimizer /= devices
    if stage >= 2:
        gradients /= devices
    if stage >= 3:
        weights /= devices
    return float(weights + gradients + optimizer)
    ### END SOLUTION


# %%
checks.q2.check(zero_bytes_per_device)

# %% nbgrader={"grade": true, "grade_id": "L9-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson9 as public_checks

public_checks.q2.assert_passes(zero_bytes_per_device)

# %% nbgrader={"grade": true, "grade_id": "L9-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/09_distributed_training.py, L9-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L9-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): a data-parallel gradient
#
# The loss of a linear model is $L(w) = \frac{1}{B}\sum_n (x_n \cdot w - y_n)^2$
# over a batch `x` of shape $(B, d)$ and `y` of shape $(B,)$. Write
# `data_parallel_gradient(w, x, y, workers)`: split the batch into `workers`
# equal, contiguous shards, compute on each shard the gradient of the mean
# loss **of that shard**, and return their average (what the all-reduce
# leaves on every worker), an array of shape $(d,)$. $B$ is a multiple of
# `workers`.

# %% nbgrader={"grade": false, "grade_id": "L9-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def data_parallel_gradient(w, x, y, workers):
    """The mean over `workers` shards of each shard's mean-loss gradient."""
    ### BEGIN SOLUTION
    w, x, y = (np.asarray(a, dtype=np.float64) for a in (w, x, y))
    size = len(y) // workers
    grads = []
    for k in range(workers):
        xs, ys = x[k * size:(k + 1) * size], y[k * size:(k + 1) * size]
        grads.append(2.0 * xs.T @ (xs @ w - ys) / size)
    return np.mean(grads, axis=0)
    ### END SOLUTION


# %%
checks.q3.check(data_parallel_gradient)

# %% nbgrader={"grade": true, "grade_id": "L9-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson9 as public_checks

public_checks.q3.assert_passes(data_parallel_gradient)

# %% nbgrader={"grade": true, "grade_id": "L9-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/09_distributed_training.py, L9-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L9-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): two workers on one small machine
#
# In two to four sentences: the lesson trained with two DDP processes on a
# machine with two CPU cores. Why can that not be faster than one process
# that uses both cores, and what would have to change for data parallelism
# to pay? (`q4.hint()` gives a hint.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "L9-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: the two workers share the same two cores, so together they
# have exactly the arithmetic of one process that uses both cores through
# its threads; splitting the batch does not add any. Each step they also
# all-reduce the gradient, wait for the slower of the two, and run two
# interpreters, so they can only be slower. Data parallelism pays when every
# worker has a processor of its own (a GPU or another machine) and a step's
# computation is much larger than its communication over the links between
# them. Full marks: the same cores, no extra compute (1 point); the
# all-reduce and waiting are an added cost, and separate processors with
# enough compute per step are what makes it pay (1 point).
# ### END SOLUTION
