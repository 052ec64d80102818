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

# %% [markdown] nbgrader={"grade": false, "grade_id": "L5-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 5: MNIST with PyTorch
#
# Four questions, 11 points: the model as an `nn.Module`, one training step
# and an evaluation loop (9 points, graded automatically), and a short written
# answer (2 points, graded by a person). The checks use small synthetic
# tensors, so nothing here needs the MNIST files or a long training run.
#
# * Write your code where a cell says `# YOUR CODE HERE`, and your written
#   answer where a cell says "YOUR ANSWER HERE".
# * Run each self-check cell: `q1.check(...)` runs the *public* tests. **Hidden
#   tests also run when your work is graded.**
# * Do not rename this notebook and leave the read-only cells alone.
# * Before you hand it in: *Kernel → Restart & Run All*.

# %% nbgrader={"grade": false, "grade_id": "L5-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np
import torch
from torch import nn

from course_utils.exercises import lesson5 as checks

torch.manual_seed(0)

# %% [markdown] nbgrader={"grade": false, "grade_id": "L5-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): the model
#
# Write a class `MLP(nn.Module)` whose `forward` takes images of shape
# `(batch, 28, 28)` and returns logits of shape `(batch, 10)`: `nn.Flatten`,
# `nn.Linear(784, 128)`, ReLU, `nn.Linear(128, 10)`. Keep the two linear layers
# as the attributes `hidden` and `output`.

# %% nbgrader={"grade": false, "grade_id": "L5-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
class MLP(nn.Module):
    """Flatten -> Linear(784, 128) -> ReLU -> Linear(128, 10), logits out."""

    ### BEGIN SOLUTION
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(784, 128)
        self.output = nn.Linear(128, 10)

    def forward(self, x):
        return self.output(torch.relu(self.hidden(self.flatten(x))))
    ### END SOLUTION


# %%
checks.q1.check(MLP)

# %% nbgrader={"grade": true, "grade_id": "L5-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson5 as public_checks

public_checks.q1.assert_passes(MLP)

# %% nbgrader={"grade": true, "grade_id": "L5-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/05_mnist_pytorch.py, L5-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L5-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): one training step
#
# Write `train_step(model, optimizer, images, labels)`: the five steps for one
# batch (clear the old gradients, forward pass, cross-entropy loss on the
# logits, backward pass, optimiser update). Return the loss as a Python float.

# %% nbgrader={"grade": false, "grade_id": "L5-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def train_step(model, optimizer, images, labels):
    """One optimisation step on a batch; returns the batch loss (before the update) as a float."""
    ### BEGIN SOLUTION
    model.train()
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


# %%
checks.q2.check(train_step)

# %% nbgrader={"grade": true, "grade_id": "L5-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson5 as public_checks

public_checks.q2.assert_passes(train_step)

# %% nbgrader={"grade": true, "grade_id": "L5-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/05_mnist_pytorch.py, L5-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L5-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): the evaluation loop
#
# Write `evaluate(model, batches)`: `batches` is an iterable of
# `(images, labels)` tensors. Put the model in evaluation mode, compute the
# predictions without recording gradients, and return the accuracy over **all
# examples** (correct predictions / number of examples) as a Python float.

# %% nbgrader={"grade": false, "grade_id": "L5-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def evaluate(model, batches):
    """Accuracy of model over every example of batches, in eval mode and without gradients."""
    ### BEGIN SOLUTION
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for images, labels in batches:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            total += len(labels)
    return correct / total
    ### END SOLUTION


# %%
checks.q3.check(evaluate)

# %% nbgrader={"grade": true, "grade_id": "L5-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson5 as public_checks

public_checks.q3.assert_passes(evaluate)

# %% nbgrader={"grade": true, "grade_id": "L5-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/05_mnist_pytorch.py, L5-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L5-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): `model.eval()` and `torch.no_grad()`
#
# In two to four sentences: what does each of them change, and why does an
# evaluation loop need both?

# %% [markdown] nbgrader={"grade": true, "grade_id": "L5-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: model.eval() switches layers whose behaviour differs between
# training and inference to inference: dropout stops dropping units and batch
# normalisation uses its running statistics, so predictions are deterministic
# and correct. torch.no_grad() tells autograd not to record the operations, so
# no graph is kept: less memory and time, and no accidental gradients. They are
# independent: eval() alone still builds graphs, no_grad() alone still applies
# dropout. Full marks: what each does (1 point each).
# ### END SOLUTION
