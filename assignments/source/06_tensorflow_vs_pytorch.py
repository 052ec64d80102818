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

# %% [markdown] nbgrader={"grade": false, "grade_id": "L6-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 6: TensorFlow and PyTorch side by side
#
# Four questions, 11 points: count parameters, convert one layer's weights and
# copy a whole Keras model into PyTorch (9 points, graded automatically), and a
# short written answer (2 points, graded by a person).
#
# * Write your code where a cell says `# YOUR CODE HERE`, and your written
#   answer where a cell says "YOUR ANSWER HERE".
# * Run each self-check cell: `q1.check(...)` runs the *public* tests. **Hidden
#   tests also run when your work is graded.**
# * Do not rename this notebook and leave the read-only cells alone.
# * Before you hand it in: *Kernel → Restart & Run All*.

# %% nbgrader={"grade": false, "grade_id": "L6-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up messages out of the notebook

import keras
import numpy as np
import torch
from torch import nn

from course_utils.exercises import lesson6 as checks

# %% [markdown] nbgrader={"grade": false, "grade_id": "L6-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): counting parameters
#
# Write `count_parameters(layer_sizes)`: for a stack of dense layers with the
# given sizes, e.g. `[784, 128, 10]` (inputs, hidden units, outputs), return the
# number of weights and biases as an `int`. The course's network has 101,770.

# %% nbgrader={"grade": false, "grade_id": "L6-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def count_parameters(layer_sizes):
    """Weights plus biases of the dense layers between consecutive sizes."""
    ### BEGIN SOLUTION
    return sum(m * n + n for m, n in zip(layer_sizes[:-1], layer_sizes[1:]))
    ### END SOLUTION


# %%
checks.q1.check(count_parameters)

# %% nbgrader={"grade": true, "grade_id": "L6-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson6 as public_checks

public_checks.q1.assert_passes(count_parameters)

# %% nbgrader={"grade": true, "grade_id": "L6-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/06_tensorflow_vs_pytorch.py, L6-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L6-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): one layer from Keras to PyTorch
#
# A Keras `Dense` layer stores its `kernel` as (inputs, outputs) and computes
# `x @ kernel + bias`; `nn.Linear` stores `weight` as (outputs, inputs) and
# computes `x @ weight.T + bias`. Write `keras_kernel_to_torch(kernel, bias)`
# returning the pair `(weight, bias)` of NumPy arrays for `nn.Linear`.

# %% nbgrader={"grade": false, "grade_id": "L6-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def keras_kernel_to_torch(kernel, bias):
    """(weight, bias) for nn.Linear from a Keras Dense kernel and bias."""
    ### BEGIN SOLUTION
    return np.ascontiguousarray(np.asarray(kernel).T), np.asarray(bias).copy()
    ### END SOLUTION


# %%
checks.q2.check(keras_kernel_to_torch)

# %% nbgrader={"grade": true, "grade_id": "L6-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson6 as public_checks

public_checks.q2.assert_passes(keras_kernel_to_torch)

# %% nbgrader={"grade": true, "grade_id": "L6-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/06_tensorflow_vs_pytorch.py, L6-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L6-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): a whole model
#
# Write `copy_keras_to_torch(keras_model, torch_model)`: copy the weights of
# every `Dense` layer of the Keras model, in order, into the `nn.Linear` modules
# of the PyTorch model, in order, so that both compute the same function. Do
# not change the Keras model. (`layer.get_weights()` returns `[kernel, bias]`.)

# %% nbgrader={"grade": false, "grade_id": "L6-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def copy_keras_to_torch(keras_model, torch_model):
    """Copy each Keras Dense layer into the matching nn.Linear (in order)."""
    ### BEGIN SOLUTION
    dense = [layer for layer in keras_model.layers if layer.get_weights()]
    linear = [m for m in torch_model.modules() if isinstance(m, nn.Linear)]
    if len(dense) != len(linear):
        raise ValueError(f"{len(dense)} Dense layers but {len(linear)} Linear modules")
    with torch.no_grad():
        for layer, module in zip(dense, linear):
            kernel, bias = layer.get_weights()
            weight, bias = keras_kernel_to_torch(kernel, bias)
            module.weight.copy_(torch.from_numpy(weight))
            module.bias.copy_(torch.from_numpy(bias))
    ### END SOLUTION


# %%
checks.q3.check(copy_keras_to_torch)

# %% nbgrader={"grade": true, "grade_id": "L6-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson6 as public_checks

public_checks.q3.assert_passes(copy_keras_to_torch)

# %% nbgrader={"grade": true, "grade_id": "L6-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/06_tensorflow_vs_pytorch.py, L6-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L6-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): transposed kernels
#
# In two to four sentences: why do the two frameworks store the same layer's
# weights transposed relative to each other, and what goes wrong, silently or
# loudly, if you copy a Keras kernel into `nn.Linear` without transposing it?

# %% [markdown] nbgrader={"grade": true, "grade_id": "L6-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: Keras writes the layer as x @ W with W of shape (inputs,
# outputs), following the row-vector convention; PyTorch follows the
# mathematical y = W x convention and stores W as (outputs, inputs), computing
# x @ W.T for a batch. Copying without transposing fails loudly when the layer is
# not square (the shapes do not match), and silently when it is square: the
# model runs but computes a different function. Full marks: the two conventions
# (1 point) and the loud/silent failure (1 point).
# ### END SOLUTION
