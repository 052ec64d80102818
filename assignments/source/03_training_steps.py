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

# %% [markdown] nbgrader={"grade": false, "grade_id": "L3-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 3: the five training steps
#
# Four questions, 11 points: a small NumPy network to initialise, run forward
# and train by one step (9 points, graded automatically), and a short written
# answer (2 points, graded by a person).
#
# The network has one hidden ReLU layer. Its parameters are a dict:
# `W1` (inputs × hidden), `b1` (hidden,), `W2` (hidden × classes), `b2` (classes,).
# A batch `x` has one example per row.
#
# * Write your code where a cell says `# YOUR CODE HERE`, and your written
#   answer where a cell says "YOUR ANSWER HERE".
# * Run each self-check cell: `q1.check(...)` runs the *public* tests. **Hidden
#   tests also run when your work is graded.**
# * Do not rename this notebook and leave the read-only cells alone.
# * Before you hand it in: *Kernel → Restart & Run All*.

# %% nbgrader={"grade": false, "grade_id": "L3-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from course_utils.exercises import lesson3 as checks

# %% [markdown] nbgrader={"grade": false, "grade_id": "L3-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): step 1, initialise
#
# Write `init_params(n_in, n_hidden, n_out, seed)`. Draw `W1` and `W2` from a
# normal distribution with mean 0 and He's standard deviation
# $\sqrt{2 / \text{fan-in}}$ (fan-in is the number of inputs of the layer),
# using `np.random.default_rng(seed)`, and set both biases to zero.

# %% nbgrader={"grade": false, "grade_id": "L3-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def init_params(n_in, n_hidden, n_out, seed=0):
    """He-initialised weights and zero biases for a one-hidden-layer network."""
    ### BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_hidden)),
        "b1": np.zeros(n_hidden),
        "W2": rng.normal(0.0, np.sqrt(2.0 / n_hidden), size=(n_hidden, n_out)),
        "b2": np.zeros(n_out),
    }
    ### END SOLUTION


# %%
checks.q1.check(init_params)

# %% nbgrader={"grade": true, "grade_id": "L3-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson3 as public_checks

public_checks.q1.assert_passes(init_params)

# %% nbgrader={"grade": true, "grade_id": "L3-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/03_training_steps.py, L3-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L3-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): step 2, the forward pass
#
# Write `forward(params, x)`: $h = \max(0, xW_1 + b_1)$ and return the logits
# $hW_2 + b_2$, of shape `(batch, classes)`. No softmax here.

# %% nbgrader={"grade": false, "grade_id": "L3-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def forward(params, x):
    """Logits of the one-hidden-layer ReLU network for the batch x."""
    ### BEGIN SOLUTION
    h = np.maximum(0.0, x @ params["W1"] + params["b1"])
    return h @ params["W2"] + params["b2"]
    ### END SOLUTION


# %%
checks.q2.check(forward)

# %% nbgrader={"grade": true, "grade_id": "L3-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson3 as public_checks

public_checks.q2.assert_passes(forward)

# %% nbgrader={"grade": true, "grade_id": "L3-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/03_training_steps.py, L3-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L3-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): steps 3 to 5, loss, backward pass, update
#
# Write `training_step(params, x, y, lr)`. It computes the mean softmax
# cross-entropy of the batch (labels `y` are class indices), its gradient with
# respect to every parameter by backpropagation, and returns
# `(new_params, loss)`: a **new** dict with $\theta - \mathrm{lr}\,\nabla\theta$
# for each parameter, and the loss *before* the update. Do not modify `params`.

# %% nbgrader={"grade": false, "grade_id": "L3-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def training_step(params, x, y, lr):
    """One step of gradient descent on the mean cross-entropy; returns (new_params, loss_before)."""
    ### BEGIN SOLUTION
    n = x.shape[0]
    a1 = x @ params["W1"] + params["b1"]
    h = np.maximum(0.0, a1)
    z = h @ params["W2"] + params["b2"]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1.0
    dz /= n
    grads = {"W2": h.T @ dz, "b2": dz.sum(axis=0)}
    da1 = (dz @ params["W2"].T) * (a1 > 0)
    grads["W1"] = x.T @ da1
    grads["b1"] = da1.sum(axis=0)
    return {k: params[k] - lr * grads[k] for k in params}, float(loss)
    ### END SOLUTION


# %%
checks.q3.check(training_step)

# %% nbgrader={"grade": true, "grade_id": "L3-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson3 as public_checks

public_checks.q3.assert_passes(training_step)

# %% nbgrader={"grade": true, "grade_id": "L3-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/03_training_steps.py, L3-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L3-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): checking gradients
#
# A gradient check compares backpropagation with the central difference
# $\big(f(\theta + h) - f(\theta - h)\big) / 2h$. In two to four sentences: why
# the central difference rather than $\big(f(\theta + h) - f(\theta)\big) / h$,
# and why is the check done in `float64` with $h$ around $10^{-6}$ rather than
# in `float32` or with a much smaller $h$?

# %% [markdown] nbgrader={"grade": true, "grade_id": "L3-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: by Taylor's theorem the forward difference has an error of
# order h (the f'' term), while in the central difference the f'' terms cancel
# and the error is of order h². The difference of two nearly equal values also
# loses digits to rounding, an error of about machine epsilon × |f| / h: smaller
# h makes that worse. In float64 (epsilon ≈ 1e-16) h ≈ 1e-6 balances the two at
# roughly 1e-10 relative error; in float32 (epsilon ≈ 1e-7) the rounding error
# alone would be around 0.1. Full marks: the order of the truncation errors
# (1 point) and the rounding trade-off (1 point).
# ### END SOLUTION
