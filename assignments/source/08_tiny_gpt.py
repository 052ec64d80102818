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

# %% [markdown] nbgrader={"grade": false, "grade_id": "L8-intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Exercises for lesson 8: attention and a tiny GPT
#
# Four questions, 11 points: the two baselines a language model must beat
# and the weights of causal self-attention, in NumPy (9 points, graded
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

# %% nbgrader={"grade": false, "grade_id": "L8-setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

from course_utils.exercises import lesson8 as checks

# %% [markdown] nbgrader={"grade": false, "grade_id": "L8-q1-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 1 (3 points): the loss of a uniform guess
#
# A model that knows nothing gives each of the $V$ tokens of the vocabulary
# the same probability $1/V$. Write `uniform_loss(vocab_size)`: the
# cross-entropy of that guess in nats per token, as a Python float. (The
# lesson's characters give $V = 65$.)

# %% nbgrader={"grade": false, "grade_id": "L8-q1-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def uniform_loss(vocab_size):
    """The cross-entropy (nats per token) of a uniform guess over vocab_size tokens."""
    ### BEGIN SOLUTION
    return float(np.log(vocab_size))
    ### END SOLUTION


# %%
checks.q1.check(uniform_loss)

# %% nbgrader={"grade": true, "grade_id": "L8-q1-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson8 as public_checks

public_checks.q1.assert_passes(uniform_loss)

# %% nbgrader={"grade": true, "grade_id": "L8-q1-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/08_tiny_gpt.py, L8-q1-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L8-q2-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 2 (3 points): the loss of a bigram model
#
# `counts` is a $(V, V)$ integer array: `counts[a, b]` is how often token `b`
# followed token `a` in the training text. With add-one smoothing the model
# predicts $P(b \mid a) = (\text{counts}[a, b] + 1) / \sum_c
# (\text{counts}[a, c] + 1)$. Write `bigram_loss(counts, ids)`: the mean of
# $-\ln P(\text{ids}[t+1] \mid \text{ids}[t])$ over the `len(ids) - 1`
# pairs of the 1-D integer array `ids`, as a Python float.

# %% nbgrader={"grade": false, "grade_id": "L8-q2-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bigram_loss(counts, ids):
    """Mean cross-entropy (nats) of an add-one bigram model on the pairs of ids."""
    ### BEGIN SOLUTION
    smoothed = np.asarray(counts, dtype=np.float64) + 1.0
    log_p = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
    ids = np.asarray(ids)
    return float(-log_p[ids[:-1], ids[1:]].mean())
    ### END SOLUTION


# %%
checks.q2.check(bigram_loss)

# %% nbgrader={"grade": true, "grade_id": "L8-q2-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson8 as public_checks

public_checks.q2.assert_passes(bigram_loss)

# %% nbgrader={"grade": true, "grade_id": "L8-q2-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/08_tiny_gpt.py, L8-q2-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L8-q3-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 3 (3 points): causal attention weights
#
# Write `causal_attention_weights(q, k)` for queries and keys of shape
# $(T, d)$ or $(B, T, d)$: the softmax over the last axis of
# $q k^\top / \sqrt{d}$, where position $t$ may attend only to positions
# $s \le t$ (the weight of every later position is exactly 0). It returns
# shape $(T, T)$ or $(B, T, T)$ and every row sums to 1. Scores can be large:
# the softmax must not overflow.

# %% nbgrader={"grade": false, "grade_id": "L8-q3-answer", "locked": false, "schema_version": 3, "solution": true, "task": false}
def causal_attention_weights(q, k):
    """softmax(q k^T / sqrt(d)) over the last axis, with the future masked."""
    ### BEGIN SOLUTION
    q = np.asarray(q, dtype=np.float64)
    k = np.asarray(k, dtype=np.float64)
    T, d = q.shape[-2], q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d)
    scores = np.where(np.tril(np.ones((T, T), dtype=bool)), scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    ### END SOLUTION


# %%
checks.q3.check(causal_attention_weights)

# %% nbgrader={"grade": true, "grade_id": "L8-q3-public", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Public tests (1 point): the same as the self-check above.
from course_utils.exercises import lesson8 as public_checks

public_checks.q3.assert_passes(causal_attention_weights)

# %% nbgrader={"grade": true, "grade_id": "L8-q3-hidden", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests (2 points): they run when your work is graded.
### BEGIN HIDDEN TESTS
# The grader draws these cases from the class secret and judges the results
# itself (assignments/source/judges/08_tiny_gpt.py, L8-q3-hidden).
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "L8-q4-text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Question 4 (2 points, written): why the causal mask
#
# In two to four sentences: during training the tiny GPT predicts the next
# token at every position of a sequence at once. What would the model learn
# if the causal mask were removed, what would its training loss look like,
# and why would it then fail when it generates text? (`q4.hint()` gives a
# hint.)

# %% [markdown] nbgrader={"grade": true, "grade_id": "L8-q4-written", "locked": false, "points": 2, "schema_version": 3, "solution": true, "task": false}
# ### BEGIN SOLUTION
# Model answer: the target at position $t$ is the token at position $t + 1$,
# which is also an input of the same sequence. Without the mask, position $t$
# can attend to position $t + 1$ and simply copy it, so the training loss
# falls towards 0 without the model learning anything about language. When
# it generates, the next token does not exist yet (the model sees only what
# it has written so far), so the copying it learnt has nothing to read and
# its predictions are poor. The mask makes training match generation: each
# position sees only the past. Full marks: the model can read the answer and
# copy it, with a near-zero training loss (1 point), and at generation time
# the future is not there, so training must see only the past (1 point).
# ### END SOLUTION
