# ---
# jupyter:
#   jupytext:
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

# %% [markdown]
# # Lesson 3: The five training steps
#
# **Article section covered:** §3, the five training steps (initialise
# weights and biases, forward pass, loss, backward pass, update), and the
# training loops of the two MNIST listings (§4.2.1 and §4.2.2).
#
# **After this lesson you can**
#
# 1. write the five steps for a small multilayer perceptron in plain NumPy,
#    including backpropagation by hand;
# 2. verify a backward pass with a finite-difference gradient check;
# 3. reproduce exactly the same loss, gradients and updates in TensorFlow and
#    PyTorch from the same initial weights;
# 4. explain why all-zero weights cannot train and what a proper initialisation does;
# 5. read a loss curve and a decision-boundary plot.
#
# **Time needed:** about 40 minutes to read and run; the notebook executes in
# well under a minute on a 2-core laptop CPU.
# **Requirements:** NumPy, Matplotlib, TensorFlow and PyTorch (CPU), under 2 GB
# of memory; the data set is generated in the notebook.

# %% [markdown]
# ## Setup

# %%
import math
import os

# No C++ log lines from TensorFlow (they carry timestamps); no oneDNN
# start-up notice, and no reordered floating-point sums.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

import course_utils
from course_utils import maths

# A colour-blind-safe palette, shared by all lessons
from course_utils.plotting import OKABE_ITO

CLASS_COLOURS = [
    OKABE_ITO["orange"],
    OKABE_ITO["sky blue"],
    OKABE_ITO["bluish green"],
]
CLASS_MARKERS = ["o", "s", "^"]

# %% tags=["tensorflow"]
import tensorflow as tf

from course_utils import tf_models

# %% tags=["pytorch"]
import torch
import torch.nn as nn

from course_utils import torch_models

# %%
print("seeded:", course_utils.seed_everything(0))

# %% tags=["nbval-ignore-output"]
course_utils.versions()

# %% [markdown]
# ## The data: three interleaved spirals
#
# A 2-D problem keeps every number small enough to inspect and lets us draw
# what the network has learned. Each of the three classes is a noisy spiral
# arm; no straight line separates them, so the network needs its hidden layers.


# %%
def make_spirals(n_per_class=100, n_classes=3, turns=0.75, noise=0.25, seed=0):
    """Points on ``n_classes`` spiral arms in the plane.

    Returns (x float64 (N, 2), y int64 (N,)).
    """
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.1, 1.0, n_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    angle = 2 * np.pi * (labels / n_classes + turns * radius) + rng.normal(
        0, noise, size=radius.shape
    )
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points, labels.astype(np.int64)


X, Y = make_spirals()
print(
    "inputs:",
    X.shape,
    X.dtype,
    "  labels:",
    Y.shape,
    "  examples per class:",
    np.bincount(Y).tolist(),
)

# %%
fig, ax = plt.subplots(figsize=(5.2, 4.2))
for k in range(3):
    ax.scatter(
        *X[Y == k].T,
        s=18,
        color=CLASS_COLOURS[k],
        marker=CLASS_MARKERS[k],
        edgecolor="black",
        lw=0.4,
        label=f"class {k}",
    )
ax.set_aspect("equal")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.legend(
    frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8
)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 3.1.** The training set: 300 points in three spiral arms, 100 per
# class (orange circles, blue squares, green triangles).

# %% [markdown]
# ## The idea
#
# The network has two hidden ReLU layers of 32 units and a linear output layer
# with one logit per class. With inputs as rows ($X$ is $N \times 2$):
#
# 1. **Initialise** $W_1, \mathbf{b}_1, W_2, \mathbf{b}_2, W_3, \mathbf{b}_3$:
#    weights at random with He scaling, $\mathcal{N}(0, 2/n_\text{in})$, biases at 0.
# 2. **Forward pass**
#    $$
#    Z_1 = X W_1 + \mathbf{b}_1,\quad A_1 = \operatorname{ReLU}(Z_1),\quad
#    Z_2 = A_1 W_2 + \mathbf{b}_2,\quad A_2 = \operatorname{ReLU}(Z_2),\quad
#    Z_3 = A_2 W_3 + \mathbf{b}_3 .
#    $$
# 3. **Loss**: the mean cross-entropy of the logits $Z_3$ (Lesson 2),
#    $L = \frac1N \sum_n \bigl(-Z_{3,n y_n} + \operatorname{LSE}(Z_{3,n})\bigr)$.
# 4. **Backward pass**: the chain rule, from the loss back to every parameter
#    ($P$ is the softmax of $Z_3$, $T$ the one-hot labels, $\odot$ element-wise):
#    $$
#    \begin{aligned}
#    \delta_3 &= (P - T)/N, & \nabla W_3 &= A_2^\top \delta_3, & \nabla \mathbf{b}_3 &= \textstyle\sum_n \delta_3, \\
#    \delta_2 &= (\delta_3 W_3^\top) \odot \mathbb{1}[Z_2 > 0], & \nabla W_2 &= A_1^\top \delta_2, & \nabla \mathbf{b}_2 &= \textstyle\sum_n \delta_2, \\
#    \delta_1 &= (\delta_2 W_2^\top) \odot \mathbb{1}[Z_1 > 0], & \nabla W_1 &= X^\top \delta_1, & \nabla \mathbf{b}_1 &= \textstyle\sum_n \delta_1 .
#    \end{aligned}
#    $$
# 5. **Update**: one step of gradient descent with learning rate $\eta$,
#    $\theta \leftarrow \theta - \eta\, \nabla_\theta L$ for every parameter $\theta$.
#
# Steps 2 to 5 repeat until the loss stops falling. A framework automates
# step 4 (automatic differentiation) and step 5 (an optimizer); the rest is the same.
#
# ### Deriving the backward pass
#
# The equations of step 4 follow from the chain rule, one layer at a time,
# starting at the loss. Write $\delta_\ell = \partial L / \partial Z_\ell$ for
# the gradient with respect to a layer's pre-activations (a matrix of the
# same shape as $Z_\ell$, one row per example).
#
# 1. **The loss.** Lesson 2 derived
#    $\partial H / \partial \mathbf{z} = \operatorname{softmax}(\mathbf{z}) - p$
#    for one example. $L$ is the mean over $N$ examples, so each row gets a
#    factor $1/N$: $\delta_3 = (P - T)/N$.
# 2. **A dense layer's weights.** Entry by entry,
#    $Z_{3,nk} = \sum_j A_{2,nj} W_{3,jk} + b_{3,k}$. The weight $W_{3,jk}$
#    appears in column $k$ of every row $n$, with coefficient $A_{2,nj}$, so
#    $\partial L / \partial W_{3,jk} = \sum_n \delta_{3,nk} A_{2,nj}$, which is
#    the $(j, k)$ entry of $A_2^\top \delta_3$. The bias $b_{3,k}$ appears
#    with coefficient 1 in every row: $\nabla \mathbf{b}_3 = \sum_n \delta_{3,n}$.
# 3. **A dense layer's input.** $A_{2,nj}$ appears in row $n$ of every
#    column $k$, with coefficient $W_{3,jk}$, so
#    $\partial L / \partial A_{2,nj} = \sum_k \delta_{3,nk} W_{3,jk}$, the
#    $(n, j)$ entry of $\delta_3 W_3^\top$.
# 4. **The activation.** $A_2 = \operatorname{ReLU}(Z_2)$ acts entry by
#    entry, and $\operatorname{ReLU}'(z) = \mathbb{1}[z > 0]$ (Lesson 1), so
#    $\delta_2 = (\delta_3 W_3^\top) \odot \mathbb{1}[Z_2 > 0]$.
# 5. **Repeat.** Layer 2 is a dense layer like layer 3, so steps 2 to 4 with
#    $A_1, W_2, Z_1$ give $\nabla W_2 = A_1^\top \delta_2$,
#    $\nabla \mathbf{b}_2 = \sum_n \delta_{2,n}$ and
#    $\delta_1 = (\delta_2 W_2^\top) \odot \mathbb{1}[Z_1 > 0]$; layer 1 has
#    the inputs $X$ in place of $A_0$: $\nabla W_1 = X^\top \delta_1$.
#
# Each gradient has the shape of its parameter ($A_2^\top \delta_3$ is
# $32 \times 3$, like $W_3$), a quick test of any derivation of this kind.
# The gradient check below confirms the equations numerically.

# %% [markdown]
# ## NumPy reference: the five steps written out
#
# The cell performs one training step by hand and checks the result against
# `course_utils.maths`, whose `mlp_forward`, `mlp_backward` and `sgd_update`
# implement the same equations for any number of layers.

# %%
LAYERS, LEARNING_RATE = (
    [2, 32, 32, 3],
    0.25,
)  # a power of two: exact in float32 too (see pitfall 3)

# 1. Initialise
params = maths.init_mlp(LAYERS, scheme="he", seed=0)
W1, b1, W2, b2, W3, b3 = (
    params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3")
)

# 2. Forward pass
Z1 = X @ W1 + b1
A1 = np.maximum(Z1, 0)
Z2 = A1 @ W2 + b2
A2 = np.maximum(Z2, 0)
Z3 = A2 @ W3 + b3

# 3. Loss: mean cross-entropy, computed from the logits with log-sum-exp
N = len(Y)
log_probs = Z3 - maths.logsumexp(Z3, keepdims=True)
loss = -log_probs[np.arange(N), Y].mean()

# 4. Backward pass
T = np.eye(3)[Y]
delta3 = (np.exp(log_probs) - T) / N
grads = {"W3": A2.T @ delta3, "b3": delta3.sum(axis=0)}
delta2 = (delta3 @ W3.T) * (Z2 > 0)
grads.update(W2=A1.T @ delta2, b2=delta2.sum(axis=0))
delta1 = (delta2 @ W2.T) * (Z1 > 0)
grads.update(W1=X.T @ delta1, b1=delta1.sum(axis=0))

# 5. Update
new_params = {key: params[key] - LEARNING_RATE * grads[key] for key in params}

# The same step with course_utils.maths
logits, cache = maths.mlp_forward(params, X, activation="relu")
library_grads = maths.mlp_backward(params, cache, Y)
library_params = maths.sgd_update(params, library_grads, LEARNING_RATE)
assert math.isclose(
    loss, maths.cross_entropy(Y, logits, from_logits=True), rel_tol=1e-12
)
for key in params:
    np.testing.assert_allclose(
        grads[key], library_grads[key], rtol=1e-12, atol=1e-15
    )
    np.testing.assert_allclose(
        new_params[key], library_params[key], rtol=1e-12, atol=1e-15
    )
print(
    f"initial loss {loss:.6f} (ln 3 = {math.log(3):.6f}); loss after one step "
    f"{maths.mlp_loss(new_params, X, Y):.6f}"
)
print("hand-written step == course_utils.maths step (rtol=1e-12)")
print(
    "parameters:",
    {key: value.shape for key, value in params.items()},
    " total:",
    sum(v.size for v in params.values()),
)

# %% [markdown]
# ### Gradient check
#
# A backward pass can be wrong in ways that still make the loss fall a little,
# so check it against the definition of the derivative. Nudge each parameter by
# $\pm h$ and measure the change in the loss:
#
# $$
# \frac{\partial L}{\partial \theta_i} \approx \frac{L(\theta + h\mathbf{e}_i) - L(\theta - h\mathbf{e}_i)}{2h},
# \qquad
# \text{relative error} = \frac{\lVert g_\text{analytic} - g_\text{numeric} \rVert}{\lVert g_\text{analytic} \rVert + \lVert g_\text{numeric} \rVert} .
# $$
#
# This is the numerical check of the derivation above. The central
# difference is accurate to $O(h^2)$; in `float64` with
# $h = 10^{-6}$ a correct gradient gives a relative error far below $10^{-6}$,
# while a genuine mistake gives something of order $10^{-2}$ or more. The check
# uses 30 examples to keep it quick (it costs two forward passes per
# parameter); ReLU's kink could spoil it if a pre-activation lay within $h$ of
# zero, which the cell also rules out.

# %%
X_check, Y_check = X[::10], Y[::10]
_, check_cache = maths.mlp_forward(params, X_check)
closest_to_kink = min(np.abs(z).min() for z in check_cache.pre_activations)
assert closest_to_kink > 1e-4, closest_to_kink
analytic = maths.mlp_backward(params, check_cache, Y_check)

TOLERANCE = 1e-6
errors = {}
for key in params:

    def loss_of(
        value, key=key
    ):  # the loss as a function of one parameter array, the others fixed
        return maths.mlp_loss({**params, key: value}, X_check, Y_check)

    numeric = maths.numerical_gradient(loss_of, params[key], h=1e-6)
    errors[key] = maths.relative_error(analytic[key], numeric)
    assert errors[key] < TOLERANCE, (key, errors[key])
for key, err in errors.items():
    print(
        f"{key}: relative error about 1e{round(math.log10(err))}, below "
        f"{TOLERANCE:g}"
    )

# %% [markdown]
# For contrast, a deliberately broken backward pass that forgets both ReLU
# derivatives fails the check by a wide margin:

# %%
delta3_check = (maths.softmax(check_cache.logits) - np.eye(3)[Y_check]) / len(
    Y_check
)
broken_W1 = X_check.T @ (delta3_check @ W3.T @ W2.T)
numeric_W1 = maths.numerical_gradient(
    lambda value: maths.mlp_loss({**params, "W1": value}, X_check, Y_check), W1
)
broken_error = maths.relative_error(broken_W1, numeric_W1)
assert broken_error > 1e-2
print(f"broken W1 gradient: relative error {broken_error:.2f}")

# %% [markdown]
# ## TensorFlow and PyTorch side by side
#
# Now the same network in both frameworks, built the idiomatic way (a Keras
# `Sequential` model and a PyTorch `nn.Sequential`), loaded with the *same*
# initial weights as the NumPy version and trained with plain SGD at the same
# learning rate on the same full batch, all in `float64`. A Keras `Dense`
# kernel has shape (inputs, outputs), like ours; a PyTorch `nn.Linear` weight
# has shape (outputs, inputs), so it receives the transpose.
#
# Each cell runs 10 steps and records the loss, the gradients of the first step
# and the parameters after every step.

# %%
STEPS_TOGETHER = 10
numpy_run = {"losses": [], "params": []}
current = params
for step in range(STEPS_TOGETHER):
    logits, cache = maths.mlp_forward(current, X)
    numpy_run["losses"].append(
        float(maths.cross_entropy(Y, logits, from_logits=True))
    )
    step_grads = maths.mlp_backward(current, cache, Y)
    if step == 0:
        numpy_run["first_grads"] = step_grads
    current = maths.sgd_update(current, step_grads, LEARNING_RATE)
    numpy_run["params"].append(current)
print("NumPy losses:     ", np.round(numpy_run["losses"], 6))

# %% tags=["tensorflow"]
keras_model = tf.keras.Sequential(
    [
        tf.keras.Input(shape=(2,), dtype="float64"),
        tf.keras.layers.Dense(32, activation="relu", dtype="float64"),
        tf.keras.layers.Dense(32, activation="relu", dtype="float64"),
        tf.keras.layers.Dense(3, dtype="float64"),  # logits: no softmax here
    ]
)
tf_models.set_dense_weights(keras_model, params)  # W: fan_in x fan_out
keras_loss = tf.keras.losses.SparseCategoricalCrossentropy(
    from_logits=True, dtype="float64"
)
keras_optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)
x_tf, y_tf = tf.constant(X), tf.constant(Y)

tf_run = {"losses": [], "params": []}
for step in range(STEPS_TOGETHER):
    with tf.GradientTape() as tape:  # steps 2 and 3 are recorded ...
        loss = keras_loss(y_tf, keras_model(x_tf, training=True))
    tape_grads = tape.gradient(
        loss, keras_model.trainable_variables
    )  # ... step 4 replays them backwards
    if step == 0:
        tf_run["first_grads"] = tf_models.dense_gradients(
            keras_model, tape_grads
        )
    keras_optimizer.apply_gradients(
        zip(tape_grads, keras_model.trainable_variables)
    )  # step 5
    tf_run["losses"].append(float(loss))
    tf_run["params"].append(tf_models.get_dense_weights(keras_model))
print("TensorFlow losses:", np.round(tf_run["losses"], 6))

# %% tags=["pytorch"]
torch_model = nn.Sequential(
    nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3)
).double()
torch_models.set_dense_weights(torch_model, params)  # transposes for nn.Linear
torch_loss = nn.CrossEntropyLoss()
torch_optimizer = torch.optim.SGD(torch_model.parameters(), lr=LEARNING_RATE)
x_t, y_t = torch.from_numpy(X), torch.from_numpy(Y)

torch_run = {"losses": [], "params": []}
for step in range(STEPS_TOGETHER):
    torch_optimizer.zero_grad()  # forget the previous step's gradients
    loss = torch_loss(torch_model(x_t), y_t)  # steps 2 and 3
    loss.backward()  # step 4
    if step == 0:
        torch_run["first_grads"] = torch_models.dense_gradients(
            torch_model, [p.grad for p in torch_model.parameters()]
        )
    torch_optimizer.step()  # step 5
    torch_run["losses"].append(loss.item())
    torch_run["params"].append(torch_models.get_dense_weights(torch_model))
print("PyTorch losses:   ", np.round(torch_run["losses"], 6))

# %% [markdown]
# ### Check: the first step agrees exactly and the runs stay together
#
# Both framework cells handed over weights and gradients in the course's layout
# (`get_dense_weights` and `dense_gradients` of `course_utils.tf_models` and
# `course_utils.torch_models`), so they compare with NumPy's key by key.

# %%
KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
FIRST_STEP_TOL = {"rtol": 1e-12, "atol": 1e-14}
TRAJECTORY_TOL = {"rtol": 1e-10, "atol": 1e-12}

for name, run in (("TensorFlow", tf_run), ("PyTorch", torch_run)):
    assert math.isclose(
        run["losses"][0], numpy_run["losses"][0], rel_tol=FIRST_STEP_TOL["rtol"]
    ), name
    first = run["first_grads"]
    for key in KEYS:
        np.testing.assert_allclose(
            first[key],
            numpy_run["first_grads"][key],
            **FIRST_STEP_TOL,
            err_msg=f"{name} {key}",
        )
    np.testing.assert_allclose(
        run["losses"], numpy_run["losses"], **TRAJECTORY_TOL, err_msg=name
    )
    for step, step_params in enumerate(run["params"]):
        for key in KEYS:
            np.testing.assert_allclose(
                step_params[key],
                numpy_run["params"][step][key],
                **TRAJECTORY_TOL,
                err_msg=f"{name} step {step} {key}",
            )
print(
    "first step: loss and all 6 gradients agree with NumPy "
    f"(rtol={FIRST_STEP_TOL['rtol']:g}, atol={FIRST_STEP_TOL['atol']:g})"
)
print(
    f"{STEPS_TOGETHER} SGD steps: losses and all parameters agree with NumPy "
    f"(rtol={TRAJECTORY_TOL['rtol']:g}, atol={TRAJECTORY_TOL['atol']:g})"
)

# %% [markdown]
# ## Training, and why initialisation matters
#
# Now repeat steps 2 to 5 for 1,000 steps (NumPy, full batch) from three
# starting points:
#
# * **He** initialisation, as above;
# * **tiny** random weights, $\mathcal{N}(0, 0.015^2)$: every layer shrinks the
#   signal, so the gradients of the early layers start out very small;
# * **zeros**: every weight and bias 0.
#
# With all-zero weights, the hidden activations are all 0, so $\nabla W_3 = A_2^\top\delta_3 = 0$,
# and $\delta_2 = \delta_3 W_3^\top = 0$, so nothing below the output layer gets
# a gradient either. Only $\mathbf{b}_3$ can move, and here its gradient, the
# mean of $P - T$ over a balanced data set, is 0 up to rounding. More generally,
# units that start identical receive identical gradients and stay identical
# forever: random initialisation exists to break this symmetry.

# %%
TRAIN_STEPS = 1000


def train(start, steps=TRAIN_STEPS, learning_rate=LEARNING_RATE):
    """Full-batch gradient descent.

    Returns the final parameters and the loss before each step.
    """
    current, losses = start, np.empty(steps)
    for step in range(steps):
        logits, cache = maths.mlp_forward(current, X)
        losses[step] = maths.cross_entropy(Y, logits, from_logits=True)
        current = maths.sgd_update(
            current, maths.mlp_backward(current, cache, Y), learning_rate
        )
    return current, losses


def accuracy(p, inputs=X, labels=Y):
    return float(
        np.mean(np.argmax(maths.mlp_forward(p, inputs)[0], axis=1) == labels)
    )


tiny = {
    k: (
        0.015 * np.random.default_rng(1).standard_normal(v.shape)
        if k.startswith("W")
        else v
    )
    for k, v in params.items()
}
starts = {
    "He": params,
    "tiny": tiny,
    "zeros": maths.init_mlp(LAYERS, scheme="zeros"),
}
results = {name: train(start) for name, start in starts.items()}
for name, (final, losses) in results.items():
    print(
        f"{name:5s}: loss {losses[0]:.4f} -> {losses[-1]:.4f}, training "
        f"accuracy {accuracy(final):.3f}"
    )

zero_grads = maths.mlp_backward(
    starts["zeros"], maths.mlp_forward(starts["zeros"], X)[1], Y
)
assert (
    all(not zero_grads[k].any() for k in KEYS if k != "b3")
    and np.abs(zero_grads["b3"]).max() < 1e-15
)
assert all(
    np.array_equal(results["zeros"][0][k], starts["zeros"][k])
    for k in KEYS
    if k != "b3"
)
print(
    "zero initialisation: every weight gradient is exactly 0 (b3's is below "
    "1e-15), so the weights never change"
)
assert results["He"][1][300] < 0.2 and results["tiny"][1][300] > 1.09
assert results["He"][1][-1] < 0.05 and accuracy(results["He"][0]) > 0.95
escape = int(np.argmax(results["tiny"][1] < math.log(3) - 0.01))
assert 500 < escape < 850, escape
print(
    f"tiny weights leave the plateau (loss 0.01 below ln 3) at step {escape}"
    f" of {TRAIN_STEPS}"
)
print(
    f"loss after 300 steps: He {results['He'][1][300]:.3f}, tiny "
    f"{results['tiny'][1][300]:.3f} (still on the plateau)"
)

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
line_styles = {
    "He": (OKABE_ITO["blue"], "-"),
    "tiny": (OKABE_ITO["orange"], "--"),
    "zeros": (OKABE_ITO["black"], ":"),
}
for name, (_, losses) in results.items():
    colour, style = line_styles[name]
    ax.plot(
        losses, color=colour, ls=style, lw=2, label=f"{name} initialisation"
    )
ax.axhline(math.log(3), color="0.5", lw=0.8)
ax.text(
    TRAIN_STEPS * 0.98,
    math.log(3) + 0.03,
    "ln 3: guessing",
    ha="right",
    va="bottom",
    fontsize=8,
    color="0.3",
)
ax.set_xlabel("gradient-descent step")
ax.set_ylabel("training loss (cross-entropy)")
ax.set_ylim(0, 1.25)
ax.legend(frameon=False, loc="lower left")
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 3.2.** Training loss over 1,000 steps of full-batch gradient descent
# for three initialisations of the same network. He initialisation (blue,
# solid) starts learning at once. Tiny weights (orange, dashed) sit on a
# plateau at $\ln 3$, the loss of guessing, for most of the run: the cell
# above prints the step at which they escape (it asserts one between 500 and
# 850). All-zero
# weights (black, dotted) never move: the loss stays at exactly $\ln 3$.

# %%
grid_1d = np.linspace(-1.25, 1.25, 250)
g1, g2 = np.meshgrid(grid_1d, grid_1d)
grid_points = np.column_stack([g1.ravel(), g2.ravel()])
fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharey=True)
for ax, name in zip(axes, ("He", "tiny")):
    final = results[name][0]
    regions = np.argmax(
        maths.mlp_forward(final, grid_points)[0], axis=1
    ).reshape(g1.shape)
    ax.contourf(
        g1,
        g2,
        regions,
        levels=[-0.5, 0.5, 1.5, 2.5],
        colors=CLASS_COLOURS,
        alpha=0.35,
    )
    for k in range(3):
        ax.scatter(
            *X[Y == k].T,
            s=14,
            color=CLASS_COLOURS[k],
            marker=CLASS_MARKERS[k],
            edgecolor="black",
            lw=0.4,
        )
    ax.set_title(f"{name} initialisation: accuracy {accuracy(final):.2f}")
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
axes[0].set_ylabel("$x_2$")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 3.3.** Decision regions after 1,000 steps (shaded by the predicted
# class: orange, blue, green) with the training points on top (circles,
# squares, triangles for classes 0, 1, 2). Left: He initialisation, whose
# regions follow the spiral arms. Right: tiny initialisation, which spent
# most of its 1,000 steps on the plateau and has only begun to separate the arms.

# %% [markdown]
# ## Pitfalls
#
# ### 1. PyTorch adds gradients up; TensorFlow computes them afresh
#
# `loss.backward()` *adds* to each parameter's `.grad`. Forget
# `optimizer.zero_grad()` and the second step uses the sum of two gradients,
# the third the sum of three, and so on. A `tf.GradientTape` instead returns
# new gradients each time, and a tape can be used only once (unless created
# with `persistent=True`).

# %% tags=["tensorflow"]
with tf.GradientTape() as tape:
    loss = keras_loss(y_tf, keras_model(x_tf))
tf_once = tape.gradient(loss, keras_model.trainable_variables)[-1].numpy()
try:
    tape.gradient(loss, keras_model.trainable_variables)
    tape_reused = True
except RuntimeError as error:
    tape_reused = False
    print("second tape.gradient call:", type(error).__name__)
print("TensorFlow gradient of b3:", np.round(tf_once, 6))

# %% tags=["pytorch"]
torch_model.zero_grad()
torch_loss(torch_model(x_t), y_t).backward()
torch_once = torch_model[4].bias.grad.numpy().copy()
torch_loss(torch_model(x_t), y_t).backward()  # no zero_grad() in between
torch_twice = torch_model[4].bias.grad.numpy().copy()
print("PyTorch gradient of b3 after one backward():", np.round(torch_once, 6))
print("PyTorch gradient of b3 after two backward():", np.round(torch_twice, 6))

# %%
assert not tape_reused
np.testing.assert_allclose(
    torch_once, tf_once, rtol=1e-9, atol=1e-12
)  # the two models agree to about 1e-10
np.testing.assert_allclose(torch_twice, 2 * torch_once, rtol=1e-12, atol=1e-15)
print(
    "without zero_grad() PyTorch's gradient is exactly twice the true one "
    "(rtol=1e-12)"
)

# %% [markdown]
# ### 2. Copying weights between layouts
#
# A Keras kernel is (inputs, outputs); a PyTorch weight is (outputs, inputs).
# Forgetting the transpose fails loudly for a non-square layer, but a square one
# such as our 32 × 32 middle layer accepts it silently and computes something else.

# %% tags=["tensorflow"]
try:
    keras_model.layers[0].set_weights([params["W1"].T, params["b1"]])
except ValueError as error:
    print("Keras refuses a transposed 2 x 32 kernel:", type(error).__name__)

# %% tags=["pytorch"]
silent = nn.Linear(32, 32).double()
with torch.no_grad():
    silent.weight.copy_(
        torch.from_numpy(params["W2"])
    )  # should be params["W2"].T
    silent.bias.copy_(torch.from_numpy(params["b2"]))
    wrong_output = silent(torch.from_numpy(A1)).numpy()
print(
    "PyTorch accepts an untransposed 32 x 32 weight; max output error:",
    f"{np.abs(wrong_output - Z2).max():.2f}",
)

# %%
assert np.abs(wrong_output - Z2).max() > 0.1
print("the untransposed square weight gives a different layer")

# %% [markdown]
# ### 3. Keras keeps the learning rate in `float32`
#
# A Keras optimizer stores its learning rate as a `float32` variable, even when
# the model is in `float64`. A learning rate of 0.2 becomes 0.20000000298…, and
# a `float64` Keras run drifts away from NumPy and PyTorch at about the 9th
# digit. That is why this lesson uses 0.25, which `float32` represents exactly.
# It is harmless for training, but it matters when you compare frameworks
# digit by digit.

# %% tags=["tensorflow"]
weight = tf.Variable(1.0, dtype=tf.float64)
sgd = tf.keras.optimizers.SGD(learning_rate=0.2)
sgd.apply_gradients([(tf.constant(1.0, dtype=tf.float64), weight)])
tf_after = float(weight.numpy())
print(
    f"Keras: learning rate stored as {sgd.learning_rate.dtype}; 1 - 0.2 * 1 = "
    f"{tf_after!r}"
)

# %% tags=["pytorch"]
weight_t = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
sgd_t = torch.optim.SGD([weight_t], lr=0.2)
weight_t.grad = torch.tensor(1.0, dtype=torch.float64)
sgd_t.step()
torch_after = weight_t.item()
print(
    "PyTorch: learning rate stored as a Python float; 1 - 0.2 * 1 = "
    f"{torch_after!r}"
)

# %%
assert tf_after == 1 - float(np.float32(0.2)) and torch_after == 1 - 0.2
print(
    "Keras subtracted float32(0.2) =",
    float(np.float32(0.2)),
    "; PyTorch subtracted 0.2",
)

# %% [markdown]
# ### 4. Comparing frameworks fairly, and the article's MNIST code
#
# The article trains its Keras model with Adam and its PyTorch model with SGD
# with momentum, so any difference between the two results says nothing about
# the frameworks: optimizer, learning rate, initial weights and batch order all
# differ. To compare frameworks, fix all of them, as this lesson did; then the
# two agree to 10 digits. (Its PyTorch listing also needs
# `import torch.nn.functional as F` and, as Lesson 2 explains, only works with
# `nn.CrossEntropyLoss` because log-softmax is idempotent.)

# %% [markdown]
# ## Exercises
#
# These are for practice. Each exercise has a worked solution folded under it
# (open *Solution* once you have tried), and where the answer is a number, a
# check cell: put your answer in `answer` and run the cell. The graded
# versions are in the repository's `assignments/` folder; check your answers
# as you go with `from course_utils.exercises import lesson3` (see the README,
# *For instructors*).

# %% [markdown]
# ### Exercise 3.1: Break it on purpose
#
# Change one line of the hand-written backward pass (for example, drop the
# division by $N$) and watch the gradient check fail. How large is the
# relative error?
#
# <details>
# <summary>Solution</summary>
#
# Without the division, $\delta_3 = P - T$ is $N$ times too large, and since
# every later gradient is linear in $\delta_3$, so is every gradient:
# $g_\text{broken} = N g$. The relative error is then
#
# $$
# \frac{\lVert N g - g \rVert}{\lVert N g \rVert + \lVert g \rVert}
# = \frac{N - 1}{N + 1} = \frac{29}{31} \approx 0.935
# $$
#
# for the gradient check's $N = 30$ examples, the same for every parameter.
#
# ```python
# def backward_without_mean(p, x, y):
#     logits, cache = maths.mlp_forward(p, x)
#     (z1, z2), (_, a1, a2) = cache.pre_activations, cache.inputs
#     d3 = maths.softmax(logits) - np.eye(3)[y]  # the "/ N" is gone
#     g = {"W3": a2.T @ d3, "b3": d3.sum(axis=0)}
#     d2 = (d3 @ p["W3"].T) * (z2 > 0)
#     g.update(W2=a1.T @ d2, b2=d2.sum(axis=0))
#     d1 = (d2 @ p["W2"].T) * (z1 > 0)
#     g.update(W1=x.T @ d1, b1=d1.sum(axis=0))
#     return g
#
#
# broken = backward_without_mean(params, X_check, Y_check)
# for key in params:
#     numeric = maths.numerical_gradient(
#         lambda v, key=key: maths.mlp_loss({**params, key: v}, X_check,
#                                           Y_check), params[key])
#     print(f"{key}: relative error "
#           f"{maths.relative_error(broken[key], numeric):.4f}")
# print(f"(N - 1) / (N + 1) = {29 / 31:.4f}")
# ```
#
# An error this size, far above the $10^{-6}$ threshold, is what a wrong
# factor looks like. A dropped ReLU derivative, as in the lesson, gives a
# different value for each parameter.
#
# </details>

# %%
from course_utils.practice import lesson3 as practice

answer = None  # your answer: the relative error (a number)
practice.exercise_1.check(answer)

# %% [markdown]
# ### Exercise 3.2: Learning rate
#
# Train from He initialisation with learning rates 0.05, 0.5 and 5. Plot the
# loss curves. What happens at 5? The check takes the last loss of the run at
# learning rate 5.
#
# <details>
# <summary>Solution</summary>
#
# ```python
# rate_runs = {rate: train(params, learning_rate=rate)
#              for rate in (0.05, 0.5, 5.0)}
# fig, ax = plt.subplots(figsize=(7, 3.8))
# for rate, (final, losses) in rate_runs.items():
#     ax.semilogy(losses, lw=2, label=f"learning rate {rate:g}")
#     print(f"rate {rate:4g}: loss {losses[100]:.4f} after 100 steps, "
#           f"{losses[-1]:.4f} at the end, highest {losses.max():.2f}, "
#           f"accuracy {accuracy(final):.3f}")
# ax.set_xlabel("step")
# ax.set_ylabel("loss")
# ax.legend(frameon=False)
# plt.show()
# _, dead_cache = maths.mlp_forward(rate_runs[5.0][0], X)
# print("share of active ReLUs after the run at 5:",
#       [round(float((z > 0).mean()), 3) for z in dead_cache.pre_activations])
# answer = rate_runs[5.0][1][-1]
# ```
#
# At 0.05 the loss falls steadily but slowly; at 0.5 it falls faster than at
# the lesson's 0.25 and the network fits the training set perfectly. At 5 the
# first steps overshoot, the loss jumps up (above 4 at its highest), and then
# it settles at $\ln 3 \approx 1.0986$ for good, with a training accuracy of
# one third. The large steps have pushed every layer-2 pre-activation below 0
# for every point (0 % active): all of layer 2 is dead ReLUs. Then
# $A_2 = 0$, so $\nabla W_3 = A_2^\top \delta_3 = 0$ and nothing below it gets
# a gradient either; only $\mathbf{b}_3$ still moves, to the logits of equal
# class frequencies, whose loss is $\ln 3$. The run is not diverging, it is
# stuck, and no number of further steps will unstick it.
#
# </details>

# %%
answer = None  # your answer: the last loss at learning rate 5 (a number)
practice.exercise_2.check(answer)

# %% [markdown]
# ### Exercise 3.3: Symmetry
#
# Initialise $W_1$, $W_2$ and $W_3$ with every entry equal to 0.1 (not zero;
# the biases stay 0). Show that after 100 steps all hidden units of a layer
# still have identical weights. Then leave $W_3$ He-random and look again.
# For the check, measure the spread of layer 2's units as
# `np.ptp(W2, axis=1).max()` (the largest difference between two columns of
# $W_2$) after 100 steps, in both runs.
#
# <details>
# <summary>Solution</summary>
#
# ```python
# def spreads(weights):
#     """Largest difference between two units (columns) of each weight matrix."""
#     return {k: float(np.ptp(weights[k], axis=1).max())
#             for k in ("W1", "W2")}
#
#
# constant = {k: (np.full_like(v, 0.1) if k.startswith("W") else v)
#             for k, v in params.items()}
# all_constant, _ = train(constant, steps=100)
# w3_random, _ = train({**constant, "W3": params["W3"]}, steps=100)
# print("W1, W2, W3 constant:", spreads(all_constant))
# print("W3 He-random:       ", spreads(w3_random))
# print("rows of W2 with W3 random differ by",
#       float(np.ptp(w3_random["W2"], axis=0).max()))
# answer = (spreads(all_constant)["W2"], spreads(w3_random)["W2"])
# ```
#
# With all three matrices constant, both spreads are exactly 0.0 after 100
# steps. The argument is an induction over the steps: if all units of a layer
# have equal incoming weights and biases, they compute equal activations; if
# the layer above treats them alike (equal outgoing weights), they receive
# equal deltas, so equal gradients, so they stay equal after the update. Each
# step keeps both conditions true.
#
# With $W_3$ He-random the second condition fails for layer 2: its units send
# different weights to the classes, so $\delta_2 = (\delta_3 W_3^\top) \odot
# \mathbb{1}[Z_2 > 0]$ differs from unit to unit and the columns of $W_2$
# drift apart (spread about 0.025 after 100 steps). Layer 1 still stays
# symmetric: the rows of $W_2$ (what each layer-1 unit sends upwards) receive
# identical updates, and stay identical, so every layer-1 unit gets the same
# delta. Only random weights in *every* layer break the symmetry everywhere.
#
# </details>

# %%
answer = None  # your answer: (spread with W3 constant, spread with W3 random)
practice.exercise_3.check(answer)

# %% [markdown]
# ### Exercise 3.4: Mini-batches
#
# Change `train` to use batches of 32 examples in a shuffled order. How do
# the loss curve and the final accuracy change?
#
# <details>
# <summary>Solution</summary>
#
# ```python
# def train_minibatch(start, steps=TRAIN_STEPS, batch=32, seed=0):
#     rng = np.random.default_rng(seed)
#     current, losses = start, np.empty(steps)
#     order, position = rng.permutation(len(X)), 0
#     for step in range(steps):
#         if position + batch > len(X):  # a new epoch: reshuffle
#             order, position = rng.permutation(len(X)), 0
#         rows = order[position:position + batch]
#         position += batch
#         _, cache = maths.mlp_forward(current, X[rows])
#         grads = maths.mlp_backward(current, cache, Y[rows])
#         current = maths.sgd_update(current, grads, LEARNING_RATE)
#         losses[step] = maths.mlp_loss(current, X, Y)  # on all 300 points
#     return current, losses
#
#
# mini_final, mini_losses = train_minibatch(params)
# full_final, full_losses = results["He"]
# print(f"mini-batches: final loss {mini_losses[-1]:.4f}, "
#       f"accuracy {accuracy(mini_final):.3f}, the loss rose in "
#       f"{int((np.diff(mini_losses) > 0).sum())} of {TRAIN_STEPS - 1} steps")
# print(f"full batch:   final loss {full_losses[-1]:.4f}, "
#       f"accuracy {accuracy(full_final):.3f}, the loss rose in "
#       f"{int((np.diff(full_losses) > 0).sum())} steps")
# ```
#
# The mini-batch curve is noisy: each step follows the gradient of 32 points,
# not of all 300, so the loss on the whole set rises in a large share of the
# steps (over 400 of 999 in our run) where full-batch descent lowered it at
# every step. It still ends as low as full-batch training, with the same
# perfect training accuracy, after the same number of steps, each of which
# touched about a tenth of the data. That trade, more and noisier but much
# cheaper steps, is why MNIST is trained in mini-batches in Lessons 4 and 5.
#
# </details>

# %% [markdown]
# ### Exercise 3.5: Framework loop
#
# Extend the TensorFlow and PyTorch cells to 1,000 steps and overlay their
# loss curves on the NumPy one.
#
# <details>
# <summary>Solution</summary>
#
# The lesson's loops, with the step count as a parameter (fresh models and
# optimizers, the same initial weights):
#
# ```python
# LONG = 1000
# keras_long = tf.keras.models.clone_model(keras_model)
# keras_long.set_weights([params[k] for k in KEYS])
# keras_long_optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)
# tf_long = []
# for _ in range(LONG):
#     with tf.GradientTape() as tape:
#         loss = keras_loss(y_tf, keras_long(x_tf, training=True))
#     tape_grads = tape.gradient(loss, keras_long.trainable_variables)
#     keras_long_optimizer.apply_gradients(
#         zip(tape_grads, keras_long.trainable_variables))
#     tf_long.append(float(loss))
#
# torch_long = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32),
#                            nn.ReLU(), nn.Linear(32, 3)).double()
# with torch.no_grad():
#     for layer, index in zip(torch_long[::2], (1, 2, 3)):
#         layer.weight.copy_(torch.from_numpy(params[f"W{index}"].T))
#         layer.bias.copy_(torch.from_numpy(params[f"b{index}"]))
# torch_long_optimizer = torch.optim.SGD(torch_long.parameters(),
#                                        lr=LEARNING_RATE)
# pt_long = []
# for _ in range(LONG):
#     torch_long_optimizer.zero_grad()
#     loss = torch_loss(torch_long(x_t), y_t)
#     loss.backward()
#     torch_long_optimizer.step()
#     pt_long.append(loss.item())
#
# numpy_long = results["He"][1]  # the NumPy run above: 1,000 steps from params
# fig, ax = plt.subplots(figsize=(7, 3.8))
# ax.semilogy(numpy_long, lw=4, alpha=0.4, label="NumPy")
# ax.semilogy(tf_long, lw=2, ls="--", label="TensorFlow")
# ax.semilogy(pt_long, lw=1, ls=":", label="PyTorch")
# ax.set_xlabel("step")
# ax.set_ylabel("loss")
# ax.legend(frameon=False)
# plt.show()
# for name, run in (("TensorFlow", tf_long), ("PyTorch", pt_long)):
#     gap = np.abs(np.array(run) - numpy_long) / numpy_long
#     print(f"{name}: largest relative difference from NumPy {gap.max():.1e}")
# ```
#
# The three curves lie on top of each other over all 1,000 steps: in
# `float64` the frameworks follow the NumPy trajectory to within rounding
# (the largest relative difference was about $10^{-14}$ in our run), because
# all three compute the same gradients from the same weights, step after step.
#
# </details>

# %% [markdown]
# ## Summary
#
# * Training repeats five steps: initialise, forward, loss, backward, update.
#   In NumPy each is a few lines of matrix algebra.
# * A central-difference gradient check confirms a backward pass: relative
#   errors far below $10^{-6}$ in `float64` mean it is right.
# * From the same weights, Keras with `GradientTape` and PyTorch with autograd
#   reproduce the NumPy loss, every gradient and ten SGD updates to about 10 digits.
# * Initialisation decides whether training can start: zeros never move, tiny
#   weights stall on a plateau, He-scaled weights learn at once.
# * In PyTorch, zero the gradients every step; when moving weights between
#   frameworks, transpose dense-layer weights.
