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
# # Lesson 1: Activation functions
#
# **Article section covered:** §4.1, the activation functions (ReLU, sigmoid,
# tanh and why a network needs non-linearity), with a first look at the softmax
# output layer that the cross-entropy of §4.2 builds on.
#
# **After this lesson you can**
#
# 1. define ReLU, sigmoid, tanh and softmax and write down their derivatives;
# 2. show with numbers that a stack of linear layers is a single linear layer;
# 3. compute the same values and gradients in NumPy, TensorFlow and PyTorch and
#    check that they agree, including at zero, at large inputs and at the limits of `float32`;
# 4. explain saturation and measure how gradients vanish through a deep stack of sigmoid layers;
# 5. avoid three classic traps: overflow in a naive sigmoid, saturated `float32` gradients and dead ReLUs.
#
# **Time needed:** about 30 minutes to read and run. The whole notebook executes
# in under a minute on a 2-core laptop CPU.
# **Requirements:** NumPy, Matplotlib, ipywidgets, TensorFlow and PyTorch (CPU
# builds are enough); less than 2 GB of memory; no data download.

# %% [markdown]
# ## Setup
#
# The NumPy reference implementations live in `course_utils.maths`, so every
# lesson uses the same yardstick. Both frameworks are imported because this
# lesson compares them. The two environment variables must be set before
# TensorFlow loads: they keep its start-up messages out of the notebook and turn
# off oneDNN's reordering of floating-point sums.

# %%
import io
import os
import warnings

# No C++ log lines from TensorFlow (they carry timestamps); no oneDNN
# start-up notice, and no reordered floating-point sums.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import ipywidgets as widgets
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

import course_utils
from course_utils import maths

# A colour-blind-safe palette, shared by all lessons
from course_utils.plotting import OKABE_ITO

COLOURS = {
    "relu": OKABE_ITO["blue"],
    "sigmoid": OKABE_ITO["vermillion"],
    "tanh": OKABE_ITO["bluish green"],
}

# %% tags=["tensorflow"]
import tensorflow as tf

# %% tags=["pytorch"]
import torch

# %%
print("seeded:", course_utils.seed_everything(0))

# %% tags=["nbval-ignore-output"]
course_utils.versions()

# %% [markdown]
# ## The idea
#
# A neuron computes a weighted sum of its inputs and passes it through an
# **activation function** $\varphi$:
#
# $$
# a = \varphi(z), \qquad z = \mathbf{w}^\top \mathbf{x} + b .
# $$
#
# The three activations of the article, with their derivatives:
#
# $$
# \begin{aligned}
# \operatorname{ReLU}(z) &= \max(0, z), &
# \operatorname{ReLU}'(z) &= \begin{cases} 1 & z > 0 \\ 0 & z < 0 \end{cases} \\
# \sigma(z) &= \frac{1}{1 + e^{-z}}, &
# \sigma'(z) &= \sigma(z)\,\bigl(1 - \sigma(z)\bigr) \le \tfrac14 \\
# \tanh(z) &= \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} = 2\sigma(2z) - 1, &
# \tanh'(z) &= 1 - \tanh^2(z) \le 1
# \end{aligned}
# $$
#
# ReLU has no derivative at $z = 0$; TensorFlow, PyTorch and `course_utils.maths`
# all use $0$ there. For the output layer of a classifier the **softmax** turns a
# vector of scores (*logits*) $\mathbf{z} \in \mathbb{R}^K$ into probabilities:
#
# $$
# \operatorname{softmax}(\mathbf{z})_i = \frac{e^{z_i}}{\sum_{j=1}^{K} e^{z_j}},
# \qquad
# \frac{\partial\, \operatorname{softmax}(\mathbf{z})_i}{\partial z_j}
#   = s_i\,(\delta_{ij} - s_j) .
# $$
#
# Adding the same constant to every logit does not change the softmax. That is
# what makes it safe to compute: subtract the largest logit first, and no
# exponential can overflow.
#
# ### Why the non-linearity matters
#
# Without $\varphi$, two layers give
# $W_2(W_1\mathbf{x} + \mathbf{b}_1) + \mathbf{b}_2 = (W_2 W_1)\mathbf{x} + (W_2\mathbf{b}_1 + \mathbf{b}_2)$:
# again one matrix and one bias. However many linear layers you stack, the
# network can only draw straight lines (hyperplanes). The next cell checks this
# with numbers, using the row-vector convention of the course (`x @ W + b`).

# %%
rng = np.random.default_rng(0)
weights = [
    rng.normal(size=(4, 6)),
    rng.normal(size=(6, 5)),
    rng.normal(size=(5, 3)),
]
biases = [rng.normal(size=6), rng.normal(size=5), rng.normal(size=3)]
x = rng.normal(size=(200, 4))

# Three linear layers, one after the other ...
h = x
for W, b in zip(weights, biases):
    h = h @ W + b

# ... are one linear layer with these parameters:
W_total = weights[0] @ weights[1] @ weights[2]
b_total = (biases[0] @ weights[1] + biases[1]) @ weights[2] + biases[2]
assert np.allclose(h, x @ W_total + b_total, rtol=1e-12, atol=1e-12)
print("three linear layers == one linear layer: True (rtol=1e-12, atol=1e-12)")
print("W_total shape:", W_total.shape, " b_total shape:", b_total.shape)


# With a ReLU between the layers, no single linear map reproduces the output.
# Least squares finds the best one; what it cannot explain is the non-linear
# part.
def best_linear_fit_residual(inputs, outputs):
    design = np.hstack([inputs, np.ones((len(inputs), 1))])
    coef, *_ = np.linalg.lstsq(design, outputs, rcond=None)
    return np.linalg.norm(design @ coef - outputs) / np.linalg.norm(
        outputs - outputs.mean(axis=0)
    )


h_relu = x
for i, (W, b) in enumerate(zip(weights, biases)):
    h_relu = h_relu @ W + b
    if i < len(weights) - 1:
        h_relu = maths.relu(h_relu)

linear_residual = best_linear_fit_residual(x, h)
relu_residual = best_linear_fit_residual(x, h_relu)
assert linear_residual < 1e-10 and relu_residual > 0.1
print(
    "unexplained by the best linear map: linear stack < 1e-10, "
    f"ReLU stack {relu_residual:.2f}"
)

# %% [markdown]
# The same picture in one dimension: a network with one input, two hidden layers
# of 16 units and one output, drawn with the same weights and three choices of
# activation.

# %%
params_1d = maths.init_mlp([1, 16, 16, 1], scheme="he", seed=3)
params_1d["b1"] = np.random.default_rng(4).normal(
    size=16
)  # spread the kinks over the plotted range
grid = np.linspace(-3, 3, 601).reshape(-1, 1)


def forward_no_activation(params, inputs):
    out = inputs
    for layer in (1, 2, 3):
        out = out @ params[f"W{layer}"] + params[f"b{layer}"]
    return out


fig, ax = plt.subplots(figsize=(7, 3.6))
ax.plot(
    grid,
    forward_no_activation(params_1d, grid),
    color=OKABE_ITO["black"],
    lw=2,
    ls=":",
    label="no activation",
)
for name in ("relu", "tanh"):
    out, _ = maths.mlp_forward(params_1d, grid, activation=name)
    ax.plot(
        grid,
        out,
        color=COLOURS[name],
        lw=2,
        ls="-" if name == "relu" else "--",
        label=name,
    )
ax.set_xlabel("input $x$")
ax.set_ylabel("network output")
ax.legend(frameon=False)
ax.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 1.1.** Output of one small network (1 → 16 → 16 → 1, identical
# weights) as a function of its single input. Without an activation (black,
# dotted) the network is a straight line; with ReLU (blue, solid) it is
# piecewise linear with a kink wherever a hidden unit switches on or off; with
# tanh (green, dashed) it is a smooth curve.

# %% [markdown]
# ## NumPy reference
#
# `course_utils.maths` implements each function and its derivative. Two details
# matter for the edge cases below:
#
# * `sigmoid` never evaluates $e^{-z}$ for a large negative $z$: with
#   $e = e^{-|z|} \le 1$ it returns $1/(1+e)$ or $e/(1+e)$, so nothing overflows.
# * `sigmoid_grad` and `tanh_grad` are written in terms of $e^{-|z|}$ too, so
#   they stay accurate where $\sigma(z)$ has already rounded to exactly 1.

# %%
points = np.array([-5.0, -1.0, 0.0, 1.0, 5.0])
print(
    f"{'z':>5} | {'relu':>5} {'grad':>5} | {'sigmoid':>8} {'grad':>8} "
    f"| {'tanh':>9} {'grad':>8}"
)
for z in points:
    print(
        f"{z:5.1f} | {maths.relu(z):5.1f} {maths.relu_grad(z):5.1f} "
        f"| {maths.sigmoid(z):8.6f} {maths.sigmoid_grad(z):8.6f} "
        f"| {maths.tanh(z):9.6f} {maths.tanh_grad(z):8.6f}"
    )

logits = np.array([2.0, 1.0, 0.1])
probs = maths.softmax(logits)
print(
    "\nsoftmax([2, 1, 0.1])        =",
    np.round(probs, 6),
    " sum =",
    round(float(probs.sum()), 12),
)
print(
    "softmax([2, 1, 0.1] + 1000) =", np.round(maths.softmax(logits + 1000), 6)
)
print(
    "softmax([z, 0])[0] == sigmoid(z) for z = 1.5:",
    np.isclose(maths.softmax([1.5, 0.0])[0], maths.sigmoid(1.5), rtol=1e-15),
)

# %%
z = np.linspace(-6, 6, 601)
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharex=True)
for ax, name in zip(axes, ("relu", "sigmoid", "tanh")):
    fn, grad = maths.ACTIVATIONS[name]
    ax.plot(z, fn(z), color=COLOURS[name], lw=2.2, label=f"{name}(z)")
    ax.plot(
        z,
        grad(z),
        color=OKABE_ITO["black"],
        lw=1.6,
        ls="--",
        label="derivative",
    )
    ax.axhline(0, color="0.6", lw=0.8)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_title(name)
    ax.set_xlabel("z")
    ax.legend(frameon=False, loc="upper left")
    ax.grid(alpha=0.3)
axes[0].set_ylim(-0.5, 3)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 1.2.** ReLU, sigmoid and tanh (coloured, solid) with their
# derivatives (black, dashed) for $z$ from −6 to 6. ReLU's derivative is a step
# from 0 to 1. The sigmoid's derivative peaks at 0.25 and tanh's at 1, both at
# $z = 0$, and both fall towards zero as $|z|$ grows: the functions *saturate*.

# %% [markdown]
# ## TensorFlow and PyTorch side by side
#
# Both frameworks differentiate automatically. TensorFlow records operations on
# a `tf.GradientTape`; PyTorch records them on tensors created with
# `requires_grad=True` and fills `.grad` when `backward()` is called. For an
# element-wise function, the gradient of the *sum* of the outputs is the
# derivative at every input at once, so one backward pass gives the whole curve.
#
# The inputs include the awkward cases: zero, tiny numbers on both sides of
# zero, large magnitudes, the largest finite `float32` and the smallest normal
# `float32`. Each framework runs in `float64` (compared with NumPy at `float64`
# accuracy) and in `float32` (compared at `float32` accuracy). For softmax the
# cells compute the gradient of $\sum_i w_i\,\operatorname{softmax}(\mathbf{z})_i$
# for fixed weights $\mathbf{w}$, a vector-Jacobian product that NumPy gets from
# the formula above as $\mathbf{s} \odot (\mathbf{w} - \mathbf{s}^\top \mathbf{w})$.

# %%
F32 = np.finfo(np.float32)
EDGE = np.array(
    [
        -F32.max,
        -1000.0,
        -100.0,
        -20.0,
        -1.0,
        -1e-8,
        -F32.tiny,
        0.0,
        F32.tiny,
        1e-8,
        1.0,
        20.0,
        100.0,
        1000.0,
        F32.max,
    ]
)
SOFTMAX_LOGITS = np.array(
    [
        [2.0, 1.0, 0.1, -3.0],
        [1000.0, 999.0, 0.0, -1000.0],
        [-50.0, -50.0, -50.0, -50.0],
    ]
)
SOFTMAX_WEIGHTS = np.array([0.5, -1.0, 2.0, 0.25])
DTYPES = ("float64", "float32")


def numpy_reference(dtype):
    x = EDGE.astype(dtype)
    results = {
        name: (fn(x), grad(x)) for name, (fn, grad) in maths.ACTIVATIONS.items()
    }
    s = maths.softmax(SOFTMAX_LOGITS.astype(dtype))
    w = SOFTMAX_WEIGHTS.astype(dtype)
    results["softmax"] = (s, s * (w - (s * w).sum(axis=-1, keepdims=True)))
    return results


numpy_results = {dtype: numpy_reference(dtype) for dtype in DTYPES}
print("inputs:", ", ".join(f"{v:.3g}" for v in EDGE))


# %% tags=["tensorflow"]
def tensorflow_results(dtype):
    functions = {
        "relu": tf.nn.relu,
        "sigmoid": tf.math.sigmoid,
        "tanh": tf.math.tanh,
    }
    results = {}
    for name, fn in functions.items():
        x = tf.constant(EDGE, dtype=dtype)
        with tf.GradientTape() as tape:
            tape.watch(x)  # a constant is not watched automatically
            y = fn(x)
        results[name] = (y.numpy(), tape.gradient(y, x).numpy())
    logits = tf.constant(SOFTMAX_LOGITS, dtype=dtype)
    with tf.GradientTape() as tape:
        tape.watch(logits)
        s = tf.nn.softmax(logits, axis=-1)
        weighted = tf.reduce_sum(s * tf.constant(SOFTMAX_WEIGHTS, dtype=dtype))
    results["softmax"] = (s.numpy(), tape.gradient(weighted, logits).numpy())
    return results


tf_results = {dtype: tensorflow_results(getattr(tf, dtype)) for dtype in DTYPES}
print(
    "TensorFlow sigmoid'(z), float32:",
    np.array2string(tf_results["float32"]["sigmoid"][1], precision=3),
)


# %% tags=["pytorch"]
def pytorch_results(dtype):
    functions = {
        "relu": torch.relu,
        "sigmoid": torch.sigmoid,
        "tanh": torch.tanh,
    }
    results = {}
    for name, fn in functions.items():
        x = torch.tensor(EDGE, dtype=dtype, requires_grad=True)
        y = fn(x)
        y.sum().backward()
        results[name] = (y.detach().numpy(), x.grad.numpy())
    logits = torch.tensor(SOFTMAX_LOGITS, dtype=dtype, requires_grad=True)
    s = torch.softmax(logits, dim=-1)
    (s * torch.tensor(SOFTMAX_WEIGHTS, dtype=dtype)).sum().backward()
    results["softmax"] = (s.detach().numpy(), logits.grad.numpy())
    return results


torch_results = {
    dtype: pytorch_results(getattr(torch, dtype)) for dtype in DTYPES
}
print(
    "PyTorch sigmoid'(z), float32:   ",
    np.array2string(torch_results["float32"]["sigmoid"][1], precision=3),
)

# %% [markdown]
# ### Check: the three implementations agree
#
# The tolerances follow the number format. One rounding step is worth about
# $10^{-16}$ relative in `float64` and $10^{-7}$ in `float32`, and a function
# of several operations may collect a few of them, so the check allows a
# relative error of $10^{-12}$ in `float64` and $10^{-6}$ in `float32`, with
# absolute parts of $10^{-15}$ and $10^{-7}$; the cell prints the values it
# used. The absolute part covers the saturated
# tails, where NumPy's derivative is a tiny positive number such as
# $e^{-100}$ and the frameworks, which compute $\sigma(z)(1-\sigma(z))$ after
# $\sigma(z)$ has rounded to 1, return exactly 0.

# %%
TOLERANCES = {
    "float64": {"rtol": 1e-12, "atol": 1e-15},
    "float32": {"rtol": 1e-6, "atol": 1e-7},
}

for dtype, tol in TOLERANCES.items():
    for name, (ref_values, ref_grads) in numpy_results[dtype].items():
        for framework, results in (
            ("TensorFlow", tf_results),
            ("PyTorch", torch_results),
        ):
            values, grads = results[dtype][name]
            assert values.dtype == ref_values.dtype == np.dtype(dtype), (
                framework,
                name,
                values.dtype,
            )
            np.testing.assert_allclose(
                values,
                ref_values,
                **tol,
                err_msg=f"{framework} {name} values, {dtype}",
            )
            np.testing.assert_allclose(
                grads,
                ref_grads,
                **tol,
                err_msg=f"{framework} {name} gradients, {dtype}",
            )
    print(
        f"{dtype}: NumPy, TensorFlow and PyTorch agree on values and gradients"
        " of relu, sigmoid, tanh and softmax "
        f"(rtol={tol['rtol']:g}, atol={tol['atol']:g})"
    )

# %% [markdown]
# ## Saturation and vanishing gradients
#
# Backpropagation multiplies one local derivative per layer. Through $L$ sigmoid
# layers the product contains $L$ factors $\sigma'(z) \le \tfrac14$, so the
# gradient that reaches the first layers shrinks roughly geometrically with
# depth, unless the weights happen to compensate. ReLU's derivative is exactly 1
# for every active unit, so it does not shrink the signal on its own.
#
# The next cell builds a network of 20 hidden layers of 64 units, each
# initialised with the scheme that suits its activation (Glorot for sigmoid and
# tanh, He for ReLU), runs one forward and backward pass on a random batch, and
# records the size of the gradient of each layer's weights.

# %%
DEPTH, WIDTH, CLASSES = 20, 64, 10
rng = np.random.default_rng(1)
x_deep = rng.normal(size=(256, WIDTH))
y_deep = rng.integers(0, CLASSES, size=256)
schemes = {"sigmoid": "glorot", "tanh": "glorot", "relu": "he"}

grad_norms = {}
for name, scheme in schemes.items():
    params = maths.init_mlp(
        [WIDTH] * (DEPTH + 1) + [CLASSES], scheme=scheme, seed=2
    )
    _, cache = maths.mlp_forward(params, x_deep, activation=name)
    grads = maths.mlp_backward(params, cache, y_deep)
    grad_norms[name] = np.array(
        [np.linalg.norm(grads[f"W{layer}"]) for layer in range(1, DEPTH + 2)]
    )

print("gradient norm of the first layer / gradient norm of the last layer")
for name, norms in grad_norms.items():
    print(f"  {name:8s} {norms[0] / norms[-1]:.1e}")
sigmoid_norms = grad_norms["sigmoid"]
orders = np.log10(sigmoid_norms[-1] / sigmoid_norms[0])
per_layer = (sigmoid_norms[-1] / sigmoid_norms[0]) ** (1 / DEPTH)
print(
    f"sigmoid: {orders:.0f} orders of magnitude from the last layer to the "
    f"first, a factor of {per_layer:.1f} per layer on average"
)
for name in ("tanh", "relu"):
    norms = grad_norms[name]
    spread = np.log10(norms.max() / norms.min())
    print(
        f"{name}: largest / smallest layer gradient spans {spread:.2f} orders"
    )
    assert spread < 1, (name, spread)
assert sigmoid_norms[0] / sigmoid_norms[-1] < 1e-6 and 4 <= per_layer < 5
assert grad_norms["relu"][0] / grad_norms["relu"][-1] > 1e-2

# %%
fig, ax = plt.subplots(figsize=(7, 3.8))
markers = {"sigmoid": "o", "tanh": "s", "relu": "^"}
for name, norms in grad_norms.items():
    ax.semilogy(
        np.arange(1, DEPTH + 2),
        norms,
        marker=markers[name],
        color=COLOURS[name],
        lw=1.8,
        label=name,
    )
ax.set_xlabel("layer (1 = next to the input)")
ax.set_ylabel(r"$\|\partial L / \partial W_\ell\|$")
ax.set_xticks(range(1, DEPTH + 2, 2))
ax.legend(frameon=False)
ax.grid(alpha=0.3, which="both")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 1.3.** Size of the weight gradient in each layer of a 20-hidden-layer
# network after one backward pass, on a logarithmic scale. With sigmoid (red
# circles) the gradient falls by a factor of between 4 and 5 per layer, the
# number of orders of magnitude printed above in all, so the first layers
# barely learn. With tanh (green squares), whose derivative is 1 at zero, and
# with ReLU and He initialisation (blue triangles), it stays within one order
# of magnitude across all layers (the cell above asserts it).

# %% [markdown]
# ## Explore the functions
#
# Move the sliders to see $\varphi(w z + b)$ and its derivative with respect to
# $z$, $w\,\varphi'(wz + b)$. A large weight $w$ squeezes the interesting region
# of the sigmoid and tanh into a narrow band and widens the flat, saturated
# parts. The interactive figure needs a running kernel; Figure 1.4 below shows
# the same curves for a few fixed weights.


# %%
def draw_activation(
    ax, name, w, b, show_derivative=True, colour=None, label=None
):
    fn, grad = maths.ACTIVATIONS[name]
    z = np.linspace(-6, 6, 401)
    ax.plot(
        z,
        fn(w * z + b),
        color=colour or COLOURS[name],
        lw=2,
        label=label or f"{name}({w:g} z + {b:g})",
    )
    if show_derivative:
        ax.plot(
            z,
            w * grad(w * z + b),
            color=OKABE_ITO["black"],
            lw=1.4,
            ls="--",
            label="derivative",
        )
    ax.set_xlabel("z")
    ax.grid(alpha=0.3)


function_menu = widgets.Dropdown(
    options=["relu", "sigmoid", "tanh"], value="sigmoid", description="function"
)
weight_slider = widgets.FloatSlider(
    value=1.0, min=-5.0, max=5.0, step=0.1, description="weight w"
)
bias_slider = widgets.FloatSlider(
    value=0.0, min=-5.0, max=5.0, step=0.1, description="bias b"
)
derivative_box = widgets.Checkbox(value=True, description="show derivative")
picture = widgets.Image(format="png")


def redraw(change=None):
    # JupyterLab may run this callback on a thread of its own while a cell
    # runs, so it draws on a Figure of its own, outside pyplot's shared state.
    fig = Figure(figsize=(6, 3.4))
    ax = fig.subplots()
    draw_activation(
        ax,
        function_menu.value,
        weight_slider.value,
        bias_slider.value,
        derivative_box.value,
    )
    ax.set_ylim(-1.5, 3)
    ax.legend(frameon=False, loc="upper left")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    picture.value = buffer.getvalue()


for control in (function_menu, weight_slider, bias_slider, derivative_box):
    control.observe(redraw, names="value")

explorer = widgets.VBox(
    [
        widgets.HBox([function_menu, derivative_box]),
        weight_slider,
        bias_slider,
        picture,
    ]
)
display(explorer)
redraw()

# %%
gains = (0.5, 1.0, 2.0, 5.0)
gain_colours = [
    OKABE_ITO["sky blue"],
    OKABE_ITO["blue"],
    OKABE_ITO["orange"],
    OKABE_ITO["vermillion"],
]
styles = ["-", "--", "-.", ":"]
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharex=True)
for ax, name in zip(axes, ("relu", "sigmoid", "tanh")):
    for w, colour, style in zip(gains, gain_colours, styles):
        fn, _ = maths.ACTIVATIONS[name]
        z = np.linspace(-6, 6, 401)
        ax.plot(z, fn(w * z), color=colour, lw=2, ls=style, label=f"w = {w:g}")
    ax.set_title(f"{name}(w z)")
    ax.set_xlabel("z")
    ax.grid(alpha=0.3)
axes[0].set_ylim(-0.5, 4)
axes[0].legend(frameon=False, loc="upper left")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 1.4.** The static version of the explorer: each activation applied to
# $w z$ for weights 0.5, 1, 2 and 5 (light blue solid, dark blue dashed, orange
# dash-dotted, red dotted). Larger weights make sigmoid and tanh switch more
# abruptly between their flat ends, where the derivative is nearly zero; for
# ReLU a weight only changes the slope.

# %% [markdown]
# ## Pitfalls
#
# ### 1. The textbook sigmoid overflows
#
# Written as `1 / (1 + np.exp(-z))`, the sigmoid computes $e^{1000}$ for
# $z = -1000$. NumPy warns about the overflow and happens to return the right
# answer, 0, because $1/\infty = 0$. The algebraically equal form
# `np.exp(z) / (1 + np.exp(z))` gives `nan` for large positive $z$
# ($\infty/\infty$). In `float32` the trouble starts where $e^{|z|}$ passes the
# largest `float32`, at $|z| = \ln(3.4 \times 10^{38})$, printed below.


# %%
def naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def naive_sigmoid_other_form(z):
    return np.exp(z) / (1 + np.exp(z))


print(
    f"float32 exp overflows above z = ln(max float32) = {np.log(F32.max):.2f}"
)
CASES = [(-1000.0, np.float64), (1000.0, np.float64)]
CASES += [(-100.0, np.float32), (100.0, np.float32)]
for z_value, dtype in CASES:
    z_arr = np.array([z_value], dtype=dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first, second = (
            naive_sigmoid(z_arr)[0],
            naive_sigmoid_other_form(z_arr)[0],
        )
    messages = sorted({str(w.message) for w in caught})
    print(
        f"z = {z_value:7.1f} ({np.dtype(dtype).name}): "
        f"1/(1+e^-z) = {first:.3g}, e^z/(1+e^z) = {second:.3g}, "
        f"course_utils.maths.sigmoid = {maths.sigmoid(z_arr)[0]:.3g}; "
        f"warnings: {messages or 'none'}"
    )

# %% [markdown]
# ### 2. Saturated gradients are exactly zero in `float32`
#
# Once $\sigma(z)$ rounds to exactly 1, the usual backward formula
# $\sigma(z)(1-\sigma(z))$ returns exactly 0. A `float32` number has 24
# significant bits: $1 + \varepsilon$ rounds to 1 once $\varepsilon < 2^{-24}$,
# so $1/(1 + e^{-z})$ is exactly 1 for $z > 24 \ln 2 \approx 16.6$. (tanh gets
# there sooner, at the point printed below for NumPy's `float32` tanh; the
# exact point depends on the library.) Both
# frameworks then report a gradient of 0, although the true value is positive:
# a unit pushed this far into saturation stops learning in `float32`.

# %%
z32 = np.linspace(0, 30, 30001).astype(np.float32)
first_one = z32[np.argmax(maths.sigmoid(z32) == 1)]
predicted = 24 * np.log(2)
assert abs(first_one - predicted) < 0.05, first_one
print(f"float32 sigmoid(z) is exactly 1 from z ≈ {predicted:.1f} (24 ln 2)")
tanh_one = z32[np.argmax(np.tanh(z32) == 1)]
assert 5 < tanh_one < predicted
print(f"NumPy's float32 tanh(z) is exactly 1 from z ≈ {tanh_one:.1f}")
print(
    f"true derivative of the sigmoid at z = 20: {maths.sigmoid_grad(20.0):.3e}"
)

# %% tags=["tensorflow"]
z20 = tf.constant([20.0], dtype=tf.float32)
with tf.GradientTape() as tape:
    tape.watch(z20)
    y20 = tf.math.sigmoid(z20)
tf_grad20 = tape.gradient(y20, z20).numpy()[0]
print(f"TensorFlow float32 gradient of the sigmoid at z = 20: {tf_grad20:g}")

# %% tags=["pytorch"]
z20 = torch.tensor([20.0], dtype=torch.float32, requires_grad=True)
torch.sigmoid(z20).sum().backward()
print(f"PyTorch float32 gradient of the sigmoid at z = 20: {z20.grad.item():g}")

# %% [markdown]
# ### 3. Dead ReLUs
#
# A ReLU unit whose pre-activation is negative for every training example
# outputs 0 and has derivative 0 everywhere: its incoming weights receive a zero
# gradient and never change. A large negative bias (or a too-large learning
# step that pushes the bias down) is enough. Below, unit 0 of a small network
# gets a bias of −5 while its inputs stay in $[-1, 1]$.

# %%
rng = np.random.default_rng(5)
x_small = rng.uniform(-1, 1, size=(100, 2))
y_small = rng.integers(0, 2, size=100)
params = maths.init_mlp([2, 4, 2], scheme="he", seed=6)
params["b1"][0] = -5.0
_, cache = maths.mlp_forward(params, x_small, activation="relu")
grads = maths.mlp_backward(params, cache, y_small)
active = (cache.pre_activations[0] > 0).mean(axis=0)
print(
    "fraction of examples on which each hidden unit is active:",
    np.round(active, 2),
)
print(
    "gradient of the weights into each hidden unit (column norms):",
    np.round(np.linalg.norm(grads["W1"], axis=0), 4),
)
assert active[0] == 0 and not grads["W1"][:, 0].any()

# %% [markdown]
# ### 4. The output activation belongs with the loss, and the article's PyTorch code forgets an import
#
# The softmax of the output layer is usually not written into the model: the
# loss functions `tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)`
# and `torch.nn.CrossEntropyLoss` take raw logits and apply a numerically safe
# log-softmax themselves. The article's PyTorch model ends its `forward()` with
# `F.log_softmax(...)` and then trains with `nn.CrossEntropyLoss`. As printed,
# that code does not even run: it never executes
# `import torch.nn.functional as F`, so the first forward pass stops with
# `NameError: name 'F' is not defined`. Add the import, and the combination
# happens to give the right loss; Lesson 2 shows why.

# %% [markdown]
# ## Exercises
#
# These are for practice. Each exercise has a worked solution folded under it
# (open *Solution* once you have tried), and where the answer is a number or
# a function, a check cell: put your answer in `answer` and run the cell. The
# graded versions are in the repository's `assignments/` folder; check your
# answers as you go with `from course_utils.exercises import lesson1` (see the
# README, *For instructors*).

# %% [markdown]
# ### Exercise 1.1: Leaky ReLU
#
# Implement $\max(\alpha z, z)$ and its derivative in NumPy as functions of
# `(z, alpha)`, and compare values and gradients with `tf.nn.leaky_relu` and
# `torch.nn.functional.leaky_relu` on `EDGE`. Watch the default slopes: they
# are not the same in the two frameworks.
#
# <details>
# <summary>Solution</summary>
#
# For $0 < \alpha < 1$, $\max(\alpha z, z)$ is $z$ for $z > 0$ and $\alpha z$
# otherwise, so its slope is 1 for $z > 0$ and $\alpha$ for $z < 0$. At
# $z = 0$ both frameworks return $\alpha$ (their gradient tests $z > 0$), so
# the NumPy version does the same.
#
# ```python
# def leaky_relu(z, alpha):
#     return np.where(z > 0, z, alpha * z)
#
#
# def leaky_relu_derivative(z, alpha):
#     return np.where(z > 0, 1.0, alpha)
#
#
# x = tf.constant(EDGE)
# with tf.GradientTape() as tape:
#     tape.watch(x)
#     y = tf.nn.leaky_relu(x)  # default alpha=0.2
# tf_value, tf_slope = y.numpy(), tape.gradient(y, x).numpy()
#
# xt = torch.tensor(EDGE, requires_grad=True)
# yt = torch.nn.functional.leaky_relu(xt)  # default negative_slope=0.01
# yt.sum().backward()
#
# np.testing.assert_allclose(tf_value, leaky_relu(EDGE, 0.2), rtol=1e-7)
# np.testing.assert_array_equal(
#     tf_slope, leaky_relu_derivative(EDGE, np.float32(0.2)))
# np.testing.assert_allclose(
#     yt.detach().numpy(), leaky_relu(EDGE, 0.01), rtol=1e-15)
# np.testing.assert_array_equal(
#     xt.grad.numpy(), leaky_relu_derivative(EDGE, 0.01))
# print("slope at z = 0: TensorFlow", tf_slope[EDGE == 0][0],
#       " PyTorch", xt.grad.numpy()[EDGE == 0][0])
# ```
#
# The defaults differ: `tf.nn.leaky_relu` uses $\alpha = 0.2$,
# `torch.nn.functional.leaky_relu` uses 0.01 (and the Keras layer
# `tf.keras.layers.LeakyReLU` 0.3). Pass the slope explicitly whenever two
# frameworks must agree. A second surprise: TensorFlow stores `alpha` as a
# `float32` attribute, so even on `float64` inputs its slope is
# `np.float32(0.2)` $= 0.20000000298\ldots$ The values therefore agree with
# NumPy's $0.2 z$ only to about $10^{-8}$ relative, and exactly when NumPy
# uses `np.float32(0.2)` too.
#
# </details>

# %%
from course_utils.practice import lesson1 as practice

answer = None  # your answer: the pair (leaky_relu, leaky_relu_derivative)
practice.exercise_1.check(answer)

# %% [markdown]
# ### Exercise 1.2: tanh from sigmoid
#
# Check numerically that $\tanh(z) = 2\sigma(2z) - 1$, then differentiate
# both sides to get $\tanh'$ from $\sigma'$. Write `tanh_derivative(z)` with
# the sigmoid's derivative only.
#
# <details>
# <summary>Solution</summary>
#
# Multiply the numerator and the denominator by $e^{z}$:
#
# $$
# 2\sigma(2z) - 1 = \frac{2}{1 + e^{-2z}} - 1
# = \frac{1 - e^{-2z}}{1 + e^{-2z}} = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}
# = \tanh(z) .
# $$
#
# Differentiating, with the chain rule for the inner $2z$:
# $\tanh'(z) = 2 \cdot \sigma'(2z) \cdot 2 = 4\,\sigma'(2z)$. With
# $\sigma' = \sigma(1 - \sigma)$ this is
# $(1 + \tanh z)(1 - \tanh z) = 1 - \tanh^2 z$, the familiar form.
#
# ```python
# sigmoid, sigmoid_derivative = maths.ACTIVATIONS["sigmoid"]
# z = np.linspace(-10, 10, 2001)
# print("identity:  ", np.abs(np.tanh(z) - (2 * sigmoid(2 * z) - 1)).max())
#
#
# def tanh_derivative(z):
#     return 4 * sigmoid_derivative(2 * z)
#
#
# print("derivative:", np.abs(tanh_derivative(z) - (1 - np.tanh(z) ** 2)).max())
# ```
#
# Both largest differences are a few times $10^{-16}$: rounding in `float64`.
#
# </details>

# %%
answer = None  # your answer: your function tanh_derivative
practice.exercise_2.check(answer)

# %% [markdown]
# ### Exercise 1.3: Depth
#
# Repeat the vanishing-gradient experiment for depths 5, 10 and 40 (same data,
# same seeds). How does the first-to-last gradient ratio of the sigmoid
# network scale with depth? What happens to the ReLU network with Glorot
# instead of He initialisation? The check takes the sigmoid ratios as a dict
# `{5: ..., 10: ..., 40: ...}`.
#
# <details>
# <summary>Solution</summary>
#
# ```python
# def gradient_norms(depth, activation, scheme):
#     sizes = [WIDTH] * (depth + 1) + [CLASSES]
#     params = maths.init_mlp(sizes, scheme=scheme, seed=2)
#     _, cache = maths.mlp_forward(params, x_deep, activation=activation)
#     grads = maths.mlp_backward(params, cache, y_deep)
#     return np.array([np.linalg.norm(grads[f"W{layer}"])
#                      for layer in range(1, depth + 2)])
#
#
# ratios = {}
# for depth in (5, 10, 20, 40):
#     sig = gradient_norms(depth, "sigmoid", "glorot")
#     he = gradient_norms(depth, "relu", "he")
#     glorot = gradient_norms(depth, "relu", "glorot")
#     ratios[depth] = sig[0] / sig[-1]
#     print(f"depth {depth:2d}: sigmoid {ratios[depth]:.1e} "
#           f"(x{ratios[depth] ** (1 / depth):.2f} per layer); "
#           f"ReLU+He {he[0] / he[-1]:.2f}, first layer {he[0]:.1e}; "
#           f"ReLU+Glorot {glorot[0] / glorot[-1]:.2f}, "
#           f"first layer {glorot[0]:.1e}")
# answer = {depth: ratios[depth] for depth in (5, 10, 40)}
# ```
#
# The sigmoid ratio falls geometrically: its logarithm is close to a straight
# line in the depth, about a factor of 0.2 per layer (the printed "per layer"
# column), so depth 40 gives a ratio near $10^{-25}$. Each layer contributes a
# factor $\sigma'(z) \le \tfrac14$ and a weight matrix; together they shrink
# the gradient a little more than the bound $\tfrac14$ alone would.
#
# ReLU with Glorot gives a first-to-last ratio of order 1, like He, yet the
# network is in trouble: the printed first-layer gradient shrinks from about
# $10^{-1}$ at depth 5 to about $10^{-7}$ at depth 40, while He keeps it near
# 1. Glorot's variance here is $2/(64 + 64) = 1/64$, half of He's $2/64$;
# ReLU zeroes half of each layer's inputs, so with Glorot the signal loses a
# factor of about $\sqrt 2$ in every layer, forwards and backwards. Both ends
# of the network shrink together, which is why the *ratio* hides it: look at
# the sizes as well as the ratio.
#
# </details>

# %%
answer = None  # your answer: {5: ratio, 10: ratio, 40: ratio} for sigmoid
practice.exercise_3.check(answer)

# %% [markdown]
# ### Exercise 1.4: Temperature
#
# Plot $\operatorname{softmax}(\mathbf{z}/T)$ for $\mathbf{z} = (2, 1, 0.1)$
# and $T$ from 0.1 to 10. What are the limits for $T \to 0$ and
# $T \to \infty$?
#
# <details>
# <summary>Solution</summary>
#
# Divide numerator and denominator by $e^{z_\text{max}/T}$:
# $\operatorname{softmax}(\mathbf{z}/T)_i = e^{(z_i - z_\text{max})/T} /
# \sum_j e^{(z_j - z_\text{max})/T}$. As $T \to 0^+$ every exponent with
# $z_j < z_\text{max}$ tends to $-\infty$, so the largest logit takes all the
# probability: the limit is $(1, 0, 0)$, the arg-max as a one-hot vector (a
# tie would share it equally). As $T \to \infty$ every exponent tends to 0 and
# every term to 1: the limit is uniform, $(\tfrac13, \tfrac13, \tfrac13)$.
#
# ```python
# z_t = np.array([2.0, 1.0, 0.1])
# temperatures = np.logspace(-1, 1, 200)
# probabilities = np.array([maths.softmax(z_t / t) for t in temperatures])
# fig, ax = plt.subplots(figsize=(6, 3.5))
# for k in range(3):
#     ax.semilogx(temperatures, probabilities[:, k], label=f"z = {z_t[k]:g}")
# ax.set_xlabel("temperature T")
# ax.set_ylabel("probability")
# ax.legend(frameon=False)
# plt.show()
# print("T = 0.1:", np.round(maths.softmax(z_t / 0.1), 5))
# print("T = 10: ", np.round(maths.softmax(z_t / 10), 5))
# answer = (np.array([1.0, 0.0, 0.0]), np.full(3, 1 / 3))
# ```
#
# At $T = 0.1$ the first class already has 0.99995 of the probability; at
# $T = 10$ the three are 0.366, 0.331 and 0.303. Sampling from a language
# model with a low temperature therefore picks the likeliest token almost
# always, and a high temperature makes every token nearly equally likely.
#
# </details>

# %%
answer = None  # your answer: (limit as T -> 0, limit as T -> infinity)
practice.exercise_4.check(answer)

# %% [markdown]
# ### Exercise 1.5: Explorer
#
# In the widget, find a weight and bias for which the sigmoid's derivative
# with respect to $z$ at $z = 0$ is as large as possible. What is its value?
#
# <details>
# <summary>Solution</summary>
#
# The curve is $\sigma(wz + b)$, so its slope is $w\,\sigma'(wz + b)$, which
# at $z = 0$ is $w\,\sigma'(b)$. The factor $\sigma'(b) = \sigma(b)(1 -
# \sigma(b))$ is largest, $\tfrac14$, at $b = 0$, and the weight slider stops
# at $w = 5$: the largest slope is $5 \cdot \tfrac14 = 1.25$, at $w = 5$,
# $b = 0$. The same search over every slider position:
#
# ```python
# _, sigmoid_derivative = maths.ACTIVATIONS["sigmoid"]
# positions = np.round(np.arange(-5.0, 5.05, 0.1), 1)  # the sliders' steps
# w_grid, b_grid = np.meshgrid(positions, positions, indexing="ij")
# slope = w_grid * sigmoid_derivative(b_grid)
# best = np.unravel_index(slope.argmax(), slope.shape)
# print(f"w = {w_grid[best]:g}, b = {b_grid[best] + 0:g}: slope {slope[best]:g}")
# ```
#
# A larger $w$ would give a steeper curve still: the slope at the centre grows
# without bound with the weight, while the region where the sigmoid is not
# flat shrinks as $1/w$.
#
# </details>

# %%
answer = None  # your answer: a number
practice.exercise_5.check(answer)

# %% [markdown]
# ## Summary
#
# * An activation function makes a layer non-linear; without it, any number of
#   layers is one linear map, as the residual of the least-squares fit showed.
# * ReLU passes gradients unchanged where it is active and blocks them where it
#   is not; sigmoid and tanh saturate, with derivatives at most $\tfrac14$ and 1.
# * NumPy, TensorFlow and PyTorch agree on values and gradients to the accuracy
#   of the number format, including at 0, at $\pm 1000$ and at the `float32` limits.
# * Through many sigmoid layers the gradient shrinks geometrically; ReLU with He
#   initialisation keeps it within about an order of magnitude.
# * Compute the sigmoid and softmax in their stable forms, expect exact zeros in
#   saturated `float32` units, and watch for units that never switch on.
#
# Next: Lesson 2 turns softmax outputs into a loss, the cross-entropy.
