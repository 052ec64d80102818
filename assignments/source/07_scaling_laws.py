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

# %% [markdown] nbgrader={"grade": false, "grade_id": "L7-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 7: scale, measured
#
# Four questions, 11 points: count training compute, fit a scaling law and
# split a compute budget the Chinchilla way (9 points, graded automatically),
# and a short written answer (2 points, graded by a person).
#
# * Write your code where a cell says `# YOUR CODE HERE` (delete the
#   `raise NotImplementedError()` line), and your written answer where a cell
#   says "YOUR ANSWER HERE".
# * Run each self-check cell: `q1.check(...)` runs the *public* tests. **Hidden
#   tests also run when your work is graded.**
# * Do not rename this notebook and leave the read-only cells alone; the grader
#   restores the original of any test cell that was edited or deleted.
# * Before you hand it in: *Kernel → Restart & Run All*, and check that no cell fails.

# %% nbgrader={"grade": false, "grade_id": "L7-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np
from scipy.optimize import curve_fit

from course_utils.exercises import lesson7 as checks

# %% [markdown] nbgrader={"grade": false, "grade_id": "L7-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): training compute
#
# Write `training_flops(layer_sizes, examples)`: the training compute
# $C = 6ND$ of a stack of dense layers with the given widths (for example
# `[784, 128, 10]`), where $N$ counts every weight and bias and $D$ is the
# number of examples seen. Return a number.

# %% nbgrader={"grade": false, "grade_id": "L7-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def training_flops(layer_sizes, examples):
    """6 N D for dense layers of the given widths and ``examples`` examples seen."""
    ### BEGIN SOLUTION
    sizes = list(layer_sizes)
    n = sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:]))
    return 6 * n * examples
    ### END SOLUTION


# %%
checks.q1.check(training_flops)

# %% nbgrader={"grade": true, "grade_id": "L7-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson7 as public_checks

public_checks.q1.assert_passes(training_flops)

# %% nbgrader={"grade": true, "grade_id": "L7-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/07_scaling_laws.py, L7-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L7-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): fit a scaling law
#
# Write `fit_power_law(x, loss)`: fit $L(x) = L_\infty + a\,x^{-\alpha}$ to
# the points with `scipy.optimize.curve_fit` and return the tuple
# `(l_inf, a, alpha)`. The sizes span several orders of magnitude, so fit in
# $u = x/x_0$ with $x_0$ the geometric mean of `x` (then
# $a = A\,x_0^{\alpha}$), keep $L_\infty \ge 0$, $a > 0$, $\alpha > 0$ with
# `bounds`, and give `curve_fit` a sensible starting point `p0`.

# %% nbgrader={"grade": false, "grade_id": "L7-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def fit_power_law(x, loss):
    """(l_inf, a, alpha) of the least-squares fit of l_inf + a * x ** -alpha."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    x0 = np.exp(np.mean(np.log(x)))
    u = x / x0
    l0 = 0.5 * loss.min()
    slope, intercept = np.polyfit(np.log(u), np.log(loss - l0), 1)
    p0 = [l0, np.exp(intercept), min(max(-slope, 0.01), 4.0)]
    (l_inf, big_a, alpha), _ = curve_fit(lambda u, l, A, al: l + A * u**-al, u, loss, p0=p0,
                                         bounds=([0, 0, 0], [np.inf, np.inf, 5]), maxfev=20_000)
    return float(l_inf), float(big_a * x0**alpha), float(alpha)
    ### END SOLUTION


# %%
checks.q2.check(fit_power_law)

# %% nbgrader={"grade": true, "grade_id": "L7-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson7 as public_checks

public_checks.q2.assert_passes(fit_power_law)

# %% nbgrader={"grade": true, "grade_id": "L7-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/07_scaling_laws.py, L7-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L7-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): a compute-optimal split
#
# Chinchilla's rule of thumb trains a model on about 20 tokens per
# parameter. Write `compute_optimal(budget)`: the pair `(N, D)` with
# $D = 20N$ and $6ND$ equal to `budget` FLOPs.

# %% nbgrader={"grade": false, "grade_id": "L7-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compute_optimal(budget):
    """(N, D) with D = 20 N and 6 N D = budget."""
    ### BEGIN SOLUTION
    n = np.sqrt(budget / 120.0)
    return float(n), float(20.0 * n)
    ### END SOLUTION


# %%
checks.q3.check(compute_optimal)

# %% nbgrader={"grade": true, "grade_id": "L7-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson7 as public_checks

public_checks.q3.assert_passes(compute_optimal)

# %% nbgrader={"grade": true, "grade_id": "L7-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/07_scaling_laws.py, L7-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L7-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): where the law bends
#
# In two to four sentences: in the lesson's width sweep, every model sees the
# same 60,000 digits five times. Why does the test loss stop following the
# power law for the widest models, and what measurement in the lesson shows
# it? What would you change to extend the straight part?

# %% [markdown] nbgrader={"grade": true, "grade_id": "L7-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: the widest models are limited by data, not by capacity: they
# can fit the 60,000 training digits ever more closely, but that no longer
# lowers the loss on new digits. The lesson shows it as the gap between the
# training loss and the test loss, which grows with the width. More distinct
# training data (or regularisation) would extend the straight part. Full
# marks: the data-limited explanation (1 point) and the measurement or the
# remedy (1 point).
# ### END SOLUTION
