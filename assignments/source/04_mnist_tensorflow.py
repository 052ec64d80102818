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

# %% [markdown] nbgrader={"grade": false, "grade_id": "L4-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 4: MNIST with Keras and TensorFlow
#
# Four questions, 11 points: a `tf.data` input pipeline, the model and its
# compilation (9 points, graded automatically), and a short written answer
# (2 points, graded by a person). The checks use small synthetic images, so
# nothing here needs the MNIST files or a long training run.
#
# * Write your code where a cell says `# YOUR CODE HERE`, and your written
#   answer where a cell says "YOUR ANSWER HERE".
# * Run each self-check cell: `q1.check(...)` runs the *public* tests. **Hidden
#   tests also run when your work is graded.**
# * Do not rename this notebook and leave the read-only cells alone.
# * Before you hand it in: *Kernel → Restart & Run All*.

# %% nbgrader={"grade": false, "grade_id": "L4-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's start-up messages out of the notebook

import keras
import numpy as np
import tensorflow as tf

from course_utils.exercises import lesson4 as checks

keras.utils.set_random_seed(0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "L4-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): the input pipeline
#
# Write `make_pipeline(images, labels, batch_size=32, seed=0)`. `images` is a
# `uint8` array of shape `(n, 28, 28)` and `labels` an integer array of shape
# `(n,)`. Return a `tf.data.Dataset` that shuffles the examples (with `seed`,
# images and labels together), cuts them into batches of `batch_size` (the last
# one may be smaller) and yields `(images, labels)` with images as `float32`
# scaled to [0, 1] and labels as `int64`.

# %% nbgrader={"grade": false, "grade_id": "L4-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def make_pipeline(images, labels, batch_size=32, seed=0):
    """Shuffled batches of (float32 images in [0, 1], int64 labels)."""
    ### BEGIN SOLUTION
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    dataset = dataset.shuffle(len(images), seed=seed).batch(batch_size)
    return dataset.map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.cast(y, tf.int64)))
    ### END SOLUTION


# %%
checks.q1.check(make_pipeline)

# %% nbgrader={"grade": true, "grade_id": "L4-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson4 as public_checks

public_checks.q1.assert_passes(make_pipeline)

# %% nbgrader={"grade": true, "grade_id": "L4-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/04_mnist_tensorflow.py, L4-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L4-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): the model
#
# Write `build_model()`: a `keras.Sequential` model for 28 × 28 inputs with a
# `Flatten` layer, a `Dense` layer of 128 units with ReLU, and a `Dense` layer of
# 10 units **without** activation (it outputs logits). It has 101,770 parameters.

# %% nbgrader={"grade": false, "grade_id": "L4-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def build_model():
    """Flatten -> Dense(128, relu) -> Dense(10) logits, for 28 x 28 images."""
    ### BEGIN SOLUTION
    return keras.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(),
        keras.layers.Dense(128, activation="relu"),
        keras.layers.Dense(10),
    ])
    ### END SOLUTION


# %%
checks.q2.check(build_model)

# %% nbgrader={"grade": true, "grade_id": "L4-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson4 as public_checks

public_checks.q2.assert_passes(build_model)

# %% nbgrader={"grade": true, "grade_id": "L4-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/04_mnist_tensorflow.py, L4-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L4-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): compiling
#
# Write `compile_model(model)`: compile `model` with the Adam optimiser
# (learning rate 0.001), the sparse categorical cross-entropy **on logits**,
# and accuracy as a metric, and return the model.

# %% nbgrader={"grade": false, "grade_id": "L4-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def compile_model(model):
    """Compile for training on integer labels with a logits output; return the model."""
    ### BEGIN SOLUTION
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model
    ### END SOLUTION


# %%
checks.q3.check(compile_model)

# %% nbgrader={"grade": true, "grade_id": "L4-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson4 as public_checks

public_checks.q3.assert_passes(compile_model)

# %% nbgrader={"grade": true, "grade_id": "L4-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/04_mnist_tensorflow.py, L4-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L4-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): `from_logits`
#
# Your model ends in `Dense(10)` without softmax. In two to four sentences:
# what would the loss compute if you compiled with
# `loss="sparse_categorical_crossentropy"` (that is, `from_logits=False`), and
# how would training and the reported accuracy be affected?

# %% [markdown] nbgrader={"grade": true, "grade_id": "L4-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: with from_logits=False the loss treats the ten outputs as
# probabilities: Keras clips them into [eps, 1 - eps] and renormalises them
# instead of applying softmax, so negative logits are clipped and the loss is
# not the cross-entropy of the softmax. Training still runs, but on a distorted
# loss with zero gradients for clipped outputs, so it learns slowly or stalls.
# Accuracy is unaffected as a formula (it takes the argmax, and softmax keeps
# the order) but is lower because the model trained worse. Full marks: the loss
# treats logits as probabilities (1 point) and the effect on training (1 point).
# ### END SOLUTION
