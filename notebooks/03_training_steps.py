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
# **Article section covered:** section 2, *the five training steps*
# (initialise weights and biases, forward pass, loss, backward pass, update),
# and the training loops of the MNIST example in section 5.
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

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # no C++ log lines from TensorFlow (they carry timestamps)
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"  # no oneDNN start-up notice, and no reordered float sums

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import ListedColormap

import course_utils
from course_utils import maths

from course_utils.plotting import OKABE_ITO  # colour-blind-safe palette, shared by all lessons
CLASS_COLOURS = [OKABE_ITO["orange"], OKABE_ITO["sky blue"], OKABE_ITO["bluish green"]]
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
    """Points on ``n_classes`` spiral arms in the plane; returns (x float64 (N, 2), y int64 (N,))."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.1, 1.0, n_per_class), n_classes)
    labels = np.repeat(np.arange(n_classes), n_per_class)
    angle = 2 * np.pi * (labels / n_classes + turns * radius) + rng.normal(0, noise, size=radius.shape)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return points, labels.astype(np.int64)


X, Y = make_spirals()
print("inputs:", X.shape, X.dtype, "  labels:", Y.shape, "  examples per class:", np.bincount(Y).tolist())

# %%
fig, ax = plt.subplots(figsize=(5.2, 4.2))
for k in range(3):
    ax.scatter(*X[Y == k].T, s=18, color=CLASS_COLOURS[k], marker=CLASS_MARKERS[k], edgecolor="black", lw=0.4, label=f"class {k}")
ax.set_aspect("equal")
ax.set_xlabel("$x_1$")
ax.set_ylabel("$x_2$")
ax.legend(frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
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

# %% [markdown]
# ## NumPy reference: the five steps written out
#
# The cell performs one training step by hand and checks the result against
# `course_utils.maths`, whose `mlp_forward`, `mlp_backward` and `sgd_update`
# implement the same equations for any number of layers.

# %%
LAYERS, LEARNING_RATE = [2, 32, 32, 3], 0.25  # a power of two: exact in float32 too (see pitfall 3)

# 1. Initialise
params = maths.init_mlp(LAYERS, scheme="he", seed=0)
W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))

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
assert math.isclose(loss, maths.cross_entropy(Y, logits, from_logits=True), rel_tol=1e-12)
for key in params:
    np.testing.assert_allclose(grads[key], library_grads[key], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(new_params[key], library_params[key], rtol=1e-12, atol=1e-15)
print(f"initial loss {loss:.6f} (ln 3 = {math.log(3):.6f}); loss after one step "
      f"{maths.mlp_loss(new_params, X, Y):.6f}")
print("hand-written step == course_utils.maths step (rtol=1e-12)")
print("parameters:", {key: value.shape for key, value in params.items()}, " total:", sum(v.size for v in params.values()))

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
# The central difference is accurate to $O(h^2)$; in `float64` with
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
    def loss_of(value, key=key):  # the loss as a function of one parameter array, the others fixed
        return maths.mlp_loss({**params, key: value}, X_check, Y_check)

    numeric = maths.numerical_gradient(loss_of, params[key], h=1e-6)
    errors[key] = maths.relative_error(analytic[key], numeric)
    assert errors[key] < TOLERANCE, (key, errors[key])
for key, err in errors.items():
    print(f"{key}: relative error about 1e{round(math.log10(err))}, below {TOLERANCE:g}")

# %% [markdown]
# For contrast, a deliberately broken backward pass that forgets both ReLU
# derivatives fails the check by a wide margin:

# %%
delta3_check = (maths.softmax(check_cache.logits) - np.eye(3)[Y_check]) / len(Y_check)
broken_W1 = X_check.T @ (delta3_check @ W3.T @ W2.T)
numeric_W1 = maths.numerical_gradient(lambda value: maths.mlp_loss({**params, "W1": value}, X_check, Y_check), W1)
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
    numpy_run["losses"].append(float(maths.cross_entropy(Y, logits, from_logits=True)))
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
keras_loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
keras_optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)
x_tf, y_tf = tf.constant(X), tf.constant(Y)

tf_run = {"losses": [], "params": []}
for step in range(STEPS_TOGETHER):
    with tf.GradientTape() as tape:  # steps 2 and 3 are recorded ...
        loss = keras_loss(y_tf, keras_model(x_tf, training=True))
    tape_grads = tape.gradient(loss, keras_model.trainable_variables)  # ... step 4 replays them backwards
    if step == 0:
        tf_run["first_grads"] = tf_models.dense_gradients(keras_model, tape_grads)
    keras_optimizer.apply_gradients(zip(tape_grads, keras_model.trainable_variables))  # step 5
    tf_run["losses"].append(float(loss))
    tf_run["params"].append(tf_models.get_dense_weights(keras_model))
print("TensorFlow losses:", np.round(tf_run["losses"], 6))

# %% tags=["pytorch"]
torch_model = nn.Sequential(nn.Linear(2, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 3)).double()
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
    assert math.isclose(run["losses"][0], numpy_run["losses"][0], rel_tol=FIRST_STEP_TOL["rtol"]), name
    first = run["first_grads"]
    for key in KEYS:
        np.testing.assert_allclose(first[key], numpy_run["first_grads"][key], **FIRST_STEP_TOL, err_msg=f"{name} {key}")
    np.testing.assert_allclose(run["losses"], numpy_run["losses"], **TRAJECTORY_TOL, err_msg=name)
    for step, step_params in enumerate(run["params"]):
        for key in KEYS:
            np.testing.assert_allclose(step_params[key], numpy_run["params"][step][key], **TRAJECTORY_TOL, err_msg=f"{name} step {step} {key}")
print(f"first step: loss and all 6 gradients agree with NumPy (rtol={FIRST_STEP_TOL['rtol']:g}, atol={FIRST_STEP_TOL['atol']:g})")
print(f"{STEPS_TOGETHER} SGD steps: losses and all parameters agree with NumPy (rtol={TRAJECTORY_TOL['rtol']:g}, atol={TRAJECTORY_TOL['atol']:g})")

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
    """Full-batch gradient descent; returns the final parameters and the loss before each step."""
    current, losses = start, np.empty(steps)
    for step in range(steps):
        logits, cache = maths.mlp_forward(current, X)
        losses[step] = maths.cross_entropy(Y, logits, from_logits=True)
        current = maths.sgd_update(current, maths.mlp_backward(current, cache, Y), learning_rate)
    return current, losses


def accuracy(p, inputs=X, labels=Y):
    return float(np.mean(np.argmax(maths.mlp_forward(p, inputs)[0], axis=1) == labels))


tiny = {k: (0.015 * np.random.default_rng(1).standard_normal(v.shape) if k.startswith("W") else v) for k, v in params.items()}
starts = {"He": params, "tiny": tiny, "zeros": maths.init_mlp(LAYERS, scheme="zeros")}
results = {name: train(start) for name, start in starts.items()}
for name, (final, losses) in results.items():
    print(f"{name:5s}: loss {losses[0]:.4f} -> {losses[-1]:.4f}, training accuracy {accuracy(final):.3f}")

zero_grads = maths.mlp_backward(starts["zeros"], maths.mlp_forward(starts["zeros"], X)[1], Y)
assert all(not zero_grads[k].any() for k in KEYS if k != "b3") and np.abs(zero_grads["b3"]).max() < 1e-15
assert all(np.array_equal(results["zeros"][0][k], starts["zeros"][k]) for k in KEYS if k != "b3")
print("zero initialisation: every weight gradient is exactly 0 (b3's is below 1e-15), so the weights never change")
assert results["He"][1][300] < 0.2 and results["tiny"][1][300] > 1.09
assert results["He"][1][-1] < 0.05 and accuracy(results["He"][0]) > 0.95
print(f"loss after 300 steps: He {results['He'][1][300]:.3f}, tiny {results['tiny'][1][300]:.3f} (still on the plateau)")

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
line_styles = {"He": (OKABE_ITO["blue"], "-"), "tiny": (OKABE_ITO["orange"], "--"), "zeros": (OKABE_ITO["black"], ":")}
for name, (_, losses) in results.items():
    colour, style = line_styles[name]
    ax.plot(losses, color=colour, ls=style, lw=2, label=f"{name} initialisation")
ax.axhline(math.log(3), color="0.5", lw=0.8)
ax.text(TRAIN_STEPS * 0.98, math.log(3) + 0.03, "ln 3: guessing", ha="right", va="bottom", fontsize=8, color="0.3")
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
# plateau at $\ln 3$, the loss of guessing, for about 700 steps before they escape. All-zero
# weights (black, dotted) never move: the loss stays at exactly $\ln 3$.

# %%
grid_1d = np.linspace(-1.25, 1.25, 250)
g1, g2 = np.meshgrid(grid_1d, grid_1d)
grid_points = np.column_stack([g1.ravel(), g2.ravel()])
fig, axes = plt.subplots(1, 2, figsize=(9, 4.4), sharey=True)
for ax, name in zip(axes, ("He", "tiny")):
    final = results[name][0]
    regions = np.argmax(maths.mlp_forward(final, grid_points)[0], axis=1).reshape(g1.shape)
    ax.contourf(g1, g2, regions, levels=[-0.5, 0.5, 1.5, 2.5], colors=CLASS_COLOURS, alpha=0.35)
    for k in range(3):
        ax.scatter(*X[Y == k].T, s=14, color=CLASS_COLOURS[k], marker=CLASS_MARKERS[k], edgecolor="black", lw=0.4)
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
# regions follow the spiral arms. Right: tiny initialisation, which spent about
# 700 of its 1,000 steps on the plateau and has only begun to separate the arms.

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
np.testing.assert_allclose(torch_once, tf_once, rtol=1e-9, atol=1e-12)  # the two models agree to about 1e-10
np.testing.assert_allclose(torch_twice, 2 * torch_once, rtol=1e-12, atol=1e-15)
print("without zero_grad() PyTorch's gradient is exactly twice the true one (rtol=1e-12)")

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
    silent.weight.copy_(torch.from_numpy(params["W2"]))  # should be params["W2"].T
    silent.bias.copy_(torch.from_numpy(params["b2"]))
    wrong_output = silent(torch.from_numpy(A1)).numpy()
print("PyTorch accepts an untransposed 32 x 32 weight; max output error:", f"{np.abs(wrong_output - Z2).max():.2f}")

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
print(f"Keras: learning rate stored as {sgd.learning_rate.dtype}; 1 - 0.2 * 1 = {tf_after!r}")

# %% tags=["pytorch"]
weight_t = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
sgd_t = torch.optim.SGD([weight_t], lr=0.2)
weight_t.grad = torch.tensor(1.0, dtype=torch.float64)
sgd_t.step()
torch_after = weight_t.item()
print(f"PyTorch: learning rate stored as a Python float; 1 - 0.2 * 1 = {torch_after!r}")

# %%
assert tf_after == 1 - float(np.float32(0.2)) and torch_after == 1 - 0.2
print("Keras subtracted float32(0.2) =", float(np.float32(0.2)), "; PyTorch subtracted 0.2")

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
# These are for practice. The graded versions are in the repository's
# `assignments/` folder; check your answers as you go with
# `from course_utils.exercises import lesson3` (see the README, *For instructors*).
#
# 1. **Break it on purpose.** Change one line of the hand-written backward pass
#    (for example, drop the division by $N$) and watch the gradient check fail.
#    How large is the relative error?
# 2. **Learning rate.** Train from He initialisation with learning rates 0.05,
#    0.5 and 5. Plot the loss curves. What happens at 5?
# 3. **Symmetry.** Initialise $W_1$ and $W_2$ with every entry equal to 0.1
#    (not zero). Show that after 100 steps all hidden units of a layer still
#    have identical weights.
# 4. **Mini-batches.** Change `train` to use batches of 32 examples in a
#    shuffled order. How do the loss curve and the final accuracy change?
# 5. **Framework loop.** Extend the TensorFlow and PyTorch cells to 1,000
#    steps and overlay their loss curves on the NumPy one.
#
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
