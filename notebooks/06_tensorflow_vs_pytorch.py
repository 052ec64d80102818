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
# # Lesson 6: TensorFlow and PyTorch side by side
#
# **Article section covered:** §4.2.1 and §4.2.2 together, the TensorFlow
# code and the PyTorch code, which the article presents as two ways to write
# the same classifier. This lesson proves that they are: the same model,
# trained the same way, gives the same numbers in both frameworks.
#
# **After this lesson you can**
#
# 1. build the article's network in Keras and in PyTorch and count its
#    101,770 parameters in each;
# 2. copy weights from one framework to the other, transposing the dense
#    layers' kernels;
# 3. train both on the same batches in the same order with plain SGD and show
#    that every step's loss and the final weights agree to float32 rounding;
# 4. name the API differences that trip learners up when moving between the
#    two: logits and probabilities, argument order, weight layout, channel
#    order, training and evaluation modes, and where the training loop lives.
#
# **Time needed:** about 30 minutes to read and run; the notebook executes in
# well under a minute on a 2-core laptop CPU.
# **Requirements:** TensorFlow and PyTorch (CPU), Matplotlib, under 2 GB of
# memory, and the MNIST files (about 11 MB; downloaded once, or read from
# `$COURSE_DATA_DIR` offline, see the README).

# %% [markdown]
# ## Setup

# %%
import os

# No C++ log lines from TensorFlow (they carry timestamps)
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"

import matplotlib.pyplot as plt
import numpy as np

import course_utils
from course_utils import maths, mnist_models
from course_utils.plotting import OKABE_ITO

# %% tags=["tensorflow"]
import tensorflow as tf

from course_utils import tf_backend, tf_models

# %% tags=["pytorch"]
import torch
from torch import nn

from course_utils import torch_backend, torch_models

# %%
print("seeded:", course_utils.seed_everything(0))

# %% tags=["nbval-ignore-output"]
course_utils.versions()

# %% [markdown]
# ## The idea
#
# A training run is a deterministic function of five things: the architecture,
# the initial weights, the batches and their order, the loss, and the
# optimizer with its settings. Fix all five and two frameworks must compute the
# same sequence of losses and weights, up to rounding: in `float32` each
# operation is exact to about $6 \times 10^{-8}$ relative error, and the two
# libraries may add up a matrix product's terms in a different order, so their
# results differ in the last digits. For a well-behaved run those differences
# stay tiny; here we check that 200 steps stay within $10^{-4}$ of each other.
#
# The experiment:
#
# * **architecture**: the article's $784 \to 128 \to 10$ network with logits
#   out (no softmax in the model), from `course_utils.tf_models` and
#   `course_utils.torch_models`;
# * **initial weights**: PyTorch's, copied into Keras. A Keras `Dense` layer
#   computes $\mathbf{x}K + \mathbf{b}$ with a kernel $K$ of shape (inputs,
#   outputs); a PyTorch `nn.Linear` computes $\mathbf{x}W^\top + \mathbf{b}$
#   with a weight $W$ of shape (outputs, inputs). So $K = W^\top$;
# * **batches**: one NumPy permutation of the training set, cut into batches
#   of 64 in order by both frameworks' adapters (`shuffle=False`);
# * **loss**: the mean softmax cross-entropy of the logits
#   (`from_logits=True` in Keras, `nn.CrossEntropyLoss` in PyTorch);
# * **optimizer**: plain SGD, $\theta \leftarrow \theta - \eta \nabla_\theta L$,
#   with $\eta = 0.125$, no momentum, no schedule.
#
# A third run in NumPy, in `float64`, with the same equations
# (`course_utils.maths`), is the reference both must match.

# %% [markdown]
# ## The same architecture

# %% tags=["tensorflow"]
keras_model = tf_models.build_mlp(output="logits")
keras_count = keras_model.count_params()
print(f"Keras parameters:   {keras_count:,}")
print({w.path: tuple(w.shape) for w in keras_model.weights})

# %% tags=["pytorch"]
torch.manual_seed(0)
torch_model = torch_models.build_mlp(output="logits")
torch_count = sum(p.numel() for p in torch_model.parameters())
print(f"PyTorch parameters: {torch_count:,}")
print({name: tuple(p.shape) for name, p in torch_model.named_parameters()})

# %%
assert keras_count == torch_count == mnist_models.parameter_count() == 101_770
print(
    "both frameworks count 784*128 + 128 + 128*10 + 10 =",
    f"{784 * 128 + 128 + 128 * 10 + 10:,}",
    "parameters",
)

# %% [markdown]
# The two start from different random weights, and from different *kinds* of
# random weights: Keras draws kernels uniformly from
# $\pm\sqrt{6/(n_\text{in} + n_\text{out})}$ (Glorot) and sets biases to 0;
# PyTorch draws weights and biases uniformly from $\pm 1/\sqrt{n_\text{in}}$.
# Trained as they are, the two would give different results for that reason
# alone.

# %% tags=["tensorflow"]
keras_kernel = keras_model.get_layer("fc1").kernel.numpy()
keras_limit = np.sqrt(6 / (784 + 128))
print(
    f"Keras fc1 kernel: |values| <= {keras_limit:.4f} (Glorot); biases all 0:",
    not keras_model.get_layer("fc1").bias.numpy().any(),
)
assert np.abs(keras_kernel).max() <= keras_limit

# %% tags=["pytorch"]
torch_weight = torch_model.fc1.weight.detach().numpy()
torch_limit = 1 / np.sqrt(784)
print(
    f"PyTorch fc1 weight: |values| <= {torch_limit:.4f} (1/sqrt(784)); biases "
    "random too:",
    bool(torch_model.fc1.bias.detach().numpy().any()),
)
assert np.abs(torch_weight).max() <= torch_limit

# %% [markdown]
# ## The same initial weights
#
# Copy PyTorch's four tensors into Keras, transposing the two weight matrices.
# Keras' `set_weights` checks shapes, so forgetting the transpose fails loudly
# here (784 × 128 is not 128 × 784); for a square layer it would not.

# %% tags=["pytorch"]
initial = {
    name: tensor.detach().numpy().copy()
    for name, tensor in torch_model.state_dict().items()
}
print({name: array.shape for name, array in initial.items()})

# %% tags=["tensorflow"]
try:
    keras_model.set_weights(
        [
            initial["fc1.weight"],
            initial["fc1.bias"],
            initial["fc2.weight"],
            initial["fc2.bias"],
        ]
    )
except ValueError as error:
    print("without the transpose:", type(error).__name__)
    print(" ", str(error).splitlines()[0])
keras_model.set_weights(
    [
        initial["fc1.weight"].T,
        initial["fc1.bias"],
        initial["fc2.weight"].T,
        initial["fc2.bias"],
    ]
)
print(
    "with the transpose:", [tuple(w.shape) for w in keras_model.get_weights()]
)

# %%
NAMES = ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias")


def keras_in_torch_layout(model):
    """Keras' weights in PyTorch's names and layout (kernels transposed)."""
    k1, b1, k2, b2 = model.get_weights()
    return dict(zip(NAMES, (k1.T, b1, k2.T, b2)))


copied = keras_in_torch_layout(keras_model)
assert all(np.array_equal(copied[name], initial[name]) for name in NAMES)
print(
    "Keras now holds exactly PyTorch's initial weights (every value bit for "
    "bit)"
)

# %% [markdown]
# ## The same batches in the same order
#
# One NumPy permutation fixes the order; each framework's adapter then cuts the
# permuted arrays into batches of 64 without shuffling again, and scales the
# pixels the same way (the adapters promise results identical to
# `course_utils.normalize_images`).

# %%
STEPS, BATCH, LEARNING_RATE = 200, 64, 0.125
order = np.random.default_rng(0).permutation(
    len(course_utils.load_mnist().train.labels)
)[: STEPS * BATCH]
(x_train, y_train), _ = course_utils.load_mnist()
x_run, y_run = x_train[order], y_train[order]
print(
    f"{STEPS} steps of {BATCH} examples = {STEPS * BATCH:,} training digits, "
    f"first labels {y_run[:10].tolist()}"
)

# %% tags=["tensorflow"]
tf_batches = tf_backend.make_dataset(
    x_run, y_run, batch_size=BATCH, shuffle=False
)
tf_first_images, tf_first_labels = next(iter(tf_batches))
print(
    "TensorFlow batches:",
    len(tf_batches),
    tf_first_images.shape,
    tf_first_images.dtype.name,
)

# %% tags=["pytorch"]
torch_batches = torch_backend.make_dataset(
    x_run, y_run, batch_size=BATCH, shuffle=False
)
torch_first_images, torch_first_labels = next(iter(torch_batches))
print(
    "PyTorch batches:   ",
    len(torch_batches),
    tuple(torch_first_images.shape),
    torch_first_images.dtype,
)

# %%
assert np.array_equal(tf_first_images.numpy(), torch_first_images.numpy())
assert np.array_equal(tf_first_labels.numpy(), torch_first_labels.numpy())
assert np.array_equal(
    torch_first_images.numpy(), course_utils.normalize_images(x_run[:BATCH])
)
print("the first batch is identical in both frameworks and in NumPy")

# %% [markdown]
# ## Training side by side
#
# Keras' `fit` would hide the steps, so both sides use a written-out loop. In
# TensorFlow a `GradientTape` records the forward pass and returns the
# gradients; in PyTorch `loss.backward()` stores them in each parameter's
# `.grad`. `tf.function` compiles the TensorFlow step into a graph; PyTorch
# runs its step eagerly, operation by operation.
#
# Each cell defines one training run as a function of the number type and
# runs it twice: in `float32`, what the frameworks use by default and Lessons 4
# and 5 train in, and in `float64`, which has about nine more significant
# digits. If the two frameworks really compute the same thing, their
# differences are rounding and must shrink by roughly that factor in `float64`.
# The learning rate, 0.125, is a power of two, so that `float32` represents it
# exactly (Keras keeps the learning rate in `float32`; see Lesson 3, pitfall 3).


# %% tags=["tensorflow"]
def train_keras(dtype):
    """Plain SGD from the shared initial weights.

    Returns the step losses and the final weights (PyTorch layout).
    """
    model = tf_models.build_mlp(output="logits", dtype=dtype)
    model.set_weights(
        [
            initial["fc1.weight"].T,
            initial["fc1.bias"],
            initial["fc2.weight"].T,
            initial["fc2.bias"],
        ]
    )
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, dtype=dtype
    )
    optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)

    @tf.function
    def step(images, labels):
        with tf.GradientTape() as tape:
            loss = loss_fn(
                labels, model(tf.cast(images, dtype), training=True)
            )  # note: (labels, predictions)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    losses = np.array(
        [float(step(images, labels)) for images, labels in tf_batches]
    )
    return losses, keras_in_torch_layout(model)


keras_runs = {dtype: train_keras(dtype) for dtype in ("float32", "float64")}
for dtype, (losses, _) in keras_runs.items():
    print(
        f"TensorFlow {dtype}: {len(losses)} steps, loss {losses[0]:.3f} -> "
        f"{losses[-10:].mean():.3f} (mean of the last 10)"
    )


# %% tags=["pytorch"]
def train_torch(dtype):
    """Plain SGD from the shared initial weights.

    Returns the step losses and the final weights.
    """
    model = torch_models.build_mlp(output="logits", dtype=dtype)
    model.load_state_dict(
        {name: torch.from_numpy(array) for name, array in initial.items()}
    )  # converts to dtype
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    model.train()
    losses = []
    for images, labels in torch_batches:
        optimizer.zero_grad()
        loss = loss_fn(
            model(images.to(getattr(torch, dtype))), labels
        )  # note: (predictions, labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return np.array(losses), {
        name: tensor.detach().numpy()
        for name, tensor in model.state_dict().items()
    }


torch_runs = {dtype: train_torch(dtype) for dtype in ("float32", "float64")}
for dtype, (losses, _) in torch_runs.items():
    print(
        f"PyTorch    {dtype}: {len(losses)} steps, loss {losses[0]:.3f} -> "
        f"{losses[-10:].mean():.3f} (mean of the last 10)"
    )

# %% [markdown]
# The NumPy reference takes the same initial weights in `course_utils.maths`'
# layout (which is Keras': $W$ of shape (inputs, outputs)) and performs the same
# 200 steps in `float64`.

# %%
params = {
    "W1": initial["fc1.weight"].T,
    "b1": initial["fc1.bias"],
    "W2": initial["fc2.weight"].T,
    "b2": initial["fc2.bias"],
}
params = {key: value.astype(np.float64) for key, value in params.items()}
x_float = (
    course_utils.normalize_images(x_run)
    .reshape(len(x_run), 784)
    .astype(np.float64)
)
numpy_losses = []
for step in range(STEPS):
    batch = slice(step * BATCH, (step + 1) * BATCH)
    logits, cache = maths.mlp_forward(params, x_float[batch])
    numpy_losses.append(
        float(maths.cross_entropy(y_run[batch], logits, from_logits=True))
    )
    params = maths.sgd_update(
        params, maths.mlp_backward(params, cache, y_run[batch]), LEARNING_RATE
    )
numpy_losses = np.array(numpy_losses)
numpy_final = dict(
    zip(NAMES, (params["W1"].T, params["b1"], params["W2"].T, params["b2"]))
)
print(
    f"NumPy      float64: {len(numpy_losses)} steps, loss "
    f"{numpy_losses[0]:.3f} -> {numpy_losses[-10:].mean():.3f} (mean of the "
    "last 10)"
)

# %% [markdown]
# ### Check: every step's loss and the final weights agree
#
# The exact size of the differences depends on the CPU and on the kernels the
# libraries pick, so the first cell prints them (nbval ignores its output) and
# the second asserts the tolerances:
#
# * `float32`: every step's loss within $10^{-4}$; the final weights within
#   $10^{-3}$ everywhere and within $10^{-6}$ for the typical (median) weight.
#   The loose bound on the largest weight difference is there for a rare event
#   explained under *Pitfalls*: a ReLU input that rounds to opposite signs in
#   the two runs;
# * `float64`: losses and weights within $10^{-10}$.


# %% tags=["nbval-ignore-output"]
def largest(a, b):
    return max(float(np.abs(a[name] - b[name]).max()) for name in NAMES)


def median(a, b):
    return float(
        np.median(
            np.concatenate(
                [np.abs(a[name] - b[name]).ravel() for name in NAMES]
            )
        )
    )


for dtype in ("float32", "float64"):
    (tf_losses, tf_final), (pt_losses, pt_final) = (
        keras_runs[dtype],
        torch_runs[dtype],
    )
    loss_vs_numpy = max(
        np.abs(tf_losses - numpy_losses).max(),
        np.abs(pt_losses - numpy_losses).max(),
    )
    weights_vs_numpy = max(
        largest(tf_final, numpy_final), largest(pt_final, numpy_final)
    )
    print(
        f"{dtype}: largest loss difference TensorFlow-PyTorch "
        f"{np.abs(tf_losses - pt_losses).max():.1e}, "
        f"either-NumPy {loss_vs_numpy:.1e}"
    )
    print(
        "         weights TensorFlow-PyTorch: largest "
        f"{largest(tf_final, pt_final):.1e}, median "
        f"{median(tf_final, pt_final):.1e}; "
        f"either-NumPy: largest {weights_vs_numpy:.1e}"
    )
    print(
        "         median loss difference TensorFlow-PyTorch "
        f"{np.median(np.abs(tf_losses - pt_losses)):.1e}"
    )

# %%
TOLERANCES = {
    "float32": {"loss": 1e-4, "largest": 1e-3, "median": 1e-6},
    "float64": {"loss": 1e-10, "largest": 1e-10, "median": 1e-10},
}
numpy_run = (numpy_losses, numpy_final)
median_loss_difference = {
    dtype: float(np.median(np.abs(keras_runs[dtype][0] - torch_runs[dtype][0])))
    for dtype in TOLERANCES
}
shrink = median_loss_difference["float64"] / median_loss_difference["float32"]
assert shrink < 1e-6, median_loss_difference
print(
    "median TensorFlow-PyTorch loss difference: float32 below"
    f" {TOLERANCES['float32']['loss']:g}, float64 smaller by more than 1e6"
)
for dtype, tol in TOLERANCES.items():
    runs = {
        "TensorFlow": keras_runs[dtype],
        "PyTorch": torch_runs[dtype],
        "NumPy": numpy_run,
    }
    for first, second in (
        ("TensorFlow", "PyTorch"),
        ("TensorFlow", "NumPy"),
        ("PyTorch", "NumPy"),
    ):
        (losses_a, final_a), (losses_b, final_b) = runs[first], runs[second]
        assert len(losses_a) == len(losses_b) == STEPS >= 100
        assert np.abs(losses_a - losses_b).max() < tol["loss"], (
            dtype,
            first,
            second,
        )
        assert largest(final_a, final_b) < tol["largest"], (
            dtype,
            first,
            second,
        )
        assert median(final_a, final_b) < tol["median"], (dtype, first, second)
    print(
        f"{dtype}: all {STEPS} losses agree within {tol['loss']:g}; final "
        f"weights within {tol['largest']:g} "
        f"(median within {tol['median']:g}): TensorFlow, PyTorch and NumPy"
    )
moved = float(np.abs(numpy_final["fc1.weight"] - initial["fc1.weight"]).max())
assert moved > 100 * TOLERANCES["float32"]["largest"]
print(
    "the weights moved by up to",
    f"{moved:.2f}",
    "> 100 times the float32 tolerance: the agreement is not trivial",
)
assert torch_runs["float32"][0][-10:].mean() < 0.6
print("mean loss of the last 10 steps below 0.6:", True)

# %%
steps = np.arange(1, STEPS + 1)
fig, (top, bottom) = plt.subplots(
    2, 1, figsize=(7.5, 5.6), sharex=True, gridspec_kw={"height_ratios": [3, 2]}
)
top.plot(
    steps,
    keras_runs["float32"][0],
    color=OKABE_ITO["blue"],
    lw=2.2,
    label="TensorFlow",
)
top.plot(
    steps,
    torch_runs["float32"][0],
    color=OKABE_ITO["vermillion"],
    lw=1.2,
    ls="--",
    label="PyTorch",
)
top.set_ylabel("training loss of the batch")
top.legend(frameon=False)
top.grid(alpha=0.3)
top.set_title(
    f"The same network, weights, batches and SGD: {STEPS} steps in both "
    "frameworks (float32)"
)
FLOOR = 1e-17  # a difference of exactly 0 cannot be drawn on a log scale
for dtype, colour, marker in (
    ("float32", OKABE_ITO["black"], "o"),
    ("float64", OKABE_ITO["bluish green"], "^"),
):
    difference = np.maximum(
        np.abs(keras_runs[dtype][0] - torch_runs[dtype][0]), FLOOR
    )
    bottom.semilogy(
        steps,
        difference,
        color=colour,
        marker=marker,
        ms=2.5,
        lw=0,
        label=f"|TensorFlow - PyTorch|, {dtype}",
    )
bottom.axhline(
    TOLERANCES["float32"]["loss"],
    color=OKABE_ITO["reddish purple"],
    ls=":",
    lw=1.5,
    label="float32 tolerance 1e-4",
)
bottom.set_ylim(FLOOR / 3, 1e2)
bottom.set_xlabel("step")
bottom.set_ylabel("loss difference")
bottom.legend(frameon=False, fontsize=8, loc="upper right")
bottom.grid(alpha=0.3)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 6.1.** Top: the loss of each of the 200 training steps in
# TensorFlow (blue, solid, wide) and PyTorch (vermillion, dashed, narrow), in
# `float32`; the two curves lie on top of each other. Bottom: the absolute
# difference between the frameworks' losses at every step on a log scale, in
# `float32` (black circles) and in `float64` (green triangles); differences of
# exactly 0 are drawn at the bottom edge, $10^{-17}$. The `float32`
# differences stay far below the tolerance of $10^{-4}$ (purple, dotted), and
# in `float64` they are smaller by many orders of magnitude: the check cell
# prints the median difference in each format and asserts that it shrinks
# by at least a factor of $10^{6}$. Shrinking by roughly the ratio of the two
# formats' precision is the signature of rounding: the frameworks compute the
# same numbers.

# %% [markdown]
# ## The API differences that trip learners up
#
# The mathematics is the same; the conventions are not. Each row is a place
# where code moved from one framework to the other goes wrong.
#
# | | Keras / TensorFlow | PyTorch |
# |---|---|---|
# | What the model outputs | often **probabilities** (a softmax in the last layer, as in the article) | **logits**; the loss applies `log_softmax` itself |
# | Telling the loss | `SparseCategoricalCrossentropy(from_logits=...)` must match the model | `nn.CrossEntropyLoss` takes logits; `nn.NLLLoss` takes log-probabilities |
# | Loss argument order | `loss(y_true, y_pred)`: labels first | `loss(input, target)`: predictions first |
# | Dense weight layout | `Dense` kernel (inputs, outputs): $\mathbf{x}K + \mathbf{b}$ | `nn.Linear` weight (outputs, inputs): $\mathbf{x}W^\top + \mathbf{b}$ |
# | Image channel order | channels **last**: (batch, height, width, channels) | channels **first**: (batch, channels, height, width) |
# | Training or evaluation | a `training=True/False` argument on each call; `fit` and `evaluate` pass it | a mode stored on the module: `model.train()`, `model.eval()` |
# | Gradients | recorded by a `GradientTape`, computed afresh each time | `loss.backward()` **adds** into `.grad`; call `optimizer.zero_grad()` |
# | Inference without gradients | nothing is recorded outside a tape | wrap in `torch.no_grad()` (or `torch.inference_mode()`) |
# | Where the loop lives | inside `model.fit` (or your own loop with a tape) | in your code, always |
# | Learning-rate schedule | a schedule object passed as `learning_rate`, advanced by the optimizer | a scheduler you `.step()` yourself |
# | Default initialisation | Glorot-uniform kernels, zero biases | uniform on $\pm 1/\sqrt{n_\text{in}}$, weights and biases |
# | Parameter count | `model.count_params()` | `sum(p.numel() for p in model.parameters())` |
# | Saving | `model.save("m.keras")`: architecture, weights, optimizer | `torch.save(model.state_dict(), path)`: tensors only; the class is code |
#
# Three of these rows, demonstrated. **Channel order**: a convolution over a
# single-channel 28 × 28 image needs the channel axis at opposite ends.

# %% tags=["tensorflow"]
keras_conv = tf.keras.layers.Conv2D(filters=8, kernel_size=3)
keras_out = keras_conv(
    tf.zeros((2, 28, 28, 1))
)  # (batch, height, width, channels)
print(
    "Keras Conv2D:   input (2, 28, 28, 1) -> output",
    tuple(keras_out.shape),
    " kernel",
    tuple(keras_conv.kernel.shape),
)

# %% tags=["pytorch"]
torch_conv = nn.Conv2d(in_channels=1, out_channels=8, kernel_size=3)
torch_out = torch_conv(
    torch.zeros(2, 1, 28, 28)
)  # (batch, channels, height, width)
print(
    "PyTorch Conv2d: input (2, 1, 28, 28) -> output",
    tuple(torch_out.shape),
    " weight",
    tuple(torch_conv.weight.shape),
)

# %% [markdown]
# **Training and evaluation modes**: dropout zeroes a random fraction of its
# inputs (and scales up the rest) while training, and does nothing at
# inference. Keras decides per call; PyTorch by the module's stored mode.

# %% tags=["tensorflow"]
keras_dropout = tf.keras.layers.Dropout(0.5)
ones = tf.ones((1, 1000))
keras_train = keras_dropout(ones, training=True).numpy()
keras_infer = keras_dropout(ones, training=False).numpy()
print(
    "Keras, training=True:  some zeros",
    bool((keras_train == 0).any()),
    "| training=False: unchanged",
    bool((keras_infer == 1).all()),
)

# %% tags=["pytorch"]
torch_dropout = nn.Dropout(0.5)
ones_t = torch.ones(1, 1000)
torch_dropout.train()
torch_train = torch_dropout(ones_t)
torch_dropout.eval()
torch_infer = torch_dropout(ones_t)
print(
    "PyTorch, .train():     some zeros",
    bool((torch_train == 0).any()),
    "| .eval(): unchanged",
    bool((torch_infer == 1).all()),
)

# %% [markdown]
# **Argument order of the loss**: swap them and both fail, Keras with a
# complaint about shapes and PyTorch because it cannot take the log-softmax of
# integer labels. Neither computes a wrong number silently here, but neither
# message says "you swapped the arguments".

# %% tags=["tensorflow"]
keras_loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
logits_np = np.random.default_rng(1).normal(size=(4, 10)).astype(np.float32)
labels_np = np.array([3, 1, 4, 1])
right = float(keras_loss(labels_np, logits_np))
try:
    keras_loss(logits_np, labels_np)
except (ValueError, tf.errors.InvalidArgumentError) as error:
    print("Keras, (predictions, labels):", type(error).__name__)
print(f"Keras, (labels, predictions): {right:.6f}")

# %% tags=["pytorch"]
torch_loss = nn.CrossEntropyLoss()
right_t = torch_loss(
    torch.from_numpy(logits_np), torch.from_numpy(labels_np)
).item()
try:
    torch_loss(torch.from_numpy(labels_np), torch.from_numpy(logits_np))
except RuntimeError as error:
    print("PyTorch, (labels, predictions):", type(error).__name__)
print(f"PyTorch, (predictions, labels): {right_t:.6f}")

# %%
reference = float(
    maths.cross_entropy(
        labels_np, logits_np.astype(np.float64), from_logits=True
    )
)
assert abs(right - reference) < 1e-6 and abs(right_t - reference) < 1e-6
print(f"both agree with the NumPy reference {reference:.6f} within 1e-6")

# %% [markdown]
# ## Pitfalls
#
# 1. **Comparing frameworks with different settings.** The article trains its
#    Keras model with Adam on batches of 32 and its PyTorch model with SGD and
#    momentum on batches of 4, so its two results differ for reasons that have
#    nothing to do with the frameworks. Fix architecture, weights, batches,
#    loss and optimizer, as here, before drawing any conclusion.
# 2. **Forgetting the transpose.** Non-square layers fail loudly; a square
#    layer (say 128 → 128) accepts the untransposed matrix and computes
#    something else. Compare a forward pass after every copy.
# 3. **Expecting bit-for-bit equality.** Different libraries add up in
#    different orders, so `float32` results differ in the last digits; compare
#    with a tolerance. Usually the differences stay near $10^{-7}$, but a ReLU
#    makes a yes-or-no decision: when a hidden unit's input lies within about
#    $10^{-7}$ of zero, one framework may round it to a tiny positive number
#    and the other to a tiny negative one. That example's gradient then flows
#    through the unit in one run and not in the other, and the unit's weights
#    differ by more than rounding from then on. How often that happens
#    depends on the order of the data and on the machine's kernels. It is why
#    the `float32` check bounds the largest
#    weight difference loosely and the typical one tightly, why `float64`
#    (where such near-ties are about a billion times rarer) is the sharper
#    test, and why longer runs, momentum or Adam may drift further apart.
# 4. **Mixing up outputs and losses.** A Keras model that ends in softmax and
#    a PyTorch loss that expects logits do not mix; see the table's first rows.
# 5. **Channel order when porting convolutional code.** Reshape MNIST to
#    (N, 28, 28, 1) for Keras and (N, 1, 28, 28) for PyTorch; the wrong order
#    often still runs when height, width and channels happen to fit.

# %% [markdown]
# ## Exercises
#
# These are for practice. Each exercise has a worked solution folded under it
# (open *Solution* once you have tried), and where the answer is code, a
# check cell: put your answer in `answer` and run the cell. The graded
# versions are in the repository's `assignments/` folder; check your answers
# as you go with `from course_utils.exercises import lesson6` (see the README,
# *For instructors*).

# %% [markdown]
# ### Exercise 6.1: The other direction
#
# Copy Keras' initial weights into the PyTorch model instead and repeat the
# experiment.
#
# <details>
# <summary>Solution</summary>
#
# `train_keras` and `train_torch` both start from `initial`, in PyTorch's
# layout, so it is enough to put a fresh Keras model's weights there
# (`keras_in_torch_layout` transposes the kernels) and run both again:
#
# ```python
# torch_initial = initial
# initial = keras_in_torch_layout(tf_models.build_mlp(output="logits"))
# print("fc1 bias all zero (Keras' initialiser):",
#       not initial["fc1.bias"].any())
# other_way = {dtype: (train_keras(dtype), train_torch(dtype))
#              for dtype in ("float32", "float64")}
# initial = torch_initial  # restore the lesson's starting point
# for dtype, ((tf_losses, tf_final), (pt_losses, pt_final)) in other_way.items():
#     print(f"{dtype}: largest loss difference "
#           f"{np.abs(tf_losses - pt_losses).max():.1e}, largest weight "
#           f"difference {largest(tf_final, pt_final):.1e}")
# ```
#
# The runs agree as closely as in the lesson's direction: in our run the
# largest loss difference was $2.4 \times 10^{-7}$ in `float32`, far inside
# $10^{-4}$, and $9 \times 10^{-16}$ in `float64`. The direction of the copy does not matter; what matters
# is that both frameworks start from the same numbers in the layout each
# expects. (The losses themselves differ from the lesson's run, because
# Glorot kernels and zero biases are another starting point.)
#
# </details>

# %% [markdown]
# ### Exercise 6.2: Momentum
#
# Use SGD with momentum 0.9 in both (`momentum=0.9` in each optimizer). Do the
# losses still agree within $10^{-4}$ after 200 steps? After 2,000? Plot the
# difference.
#
# <details>
# <summary>Solution</summary>
#
# A function that trains both frameworks in `float32` from `initial`, on the
# same batches, with any pair of optimizers (Exercise 6.3 uses it too):
#
# ```python
# def paired_losses(keras_optimizer, make_torch_optimizer, steps,
#                   before_torch_step=None):
#     rng = np.random.default_rng(0)
#     passes = -(-steps * BATCH // len(x_train))  # enough epochs
#     order = np.concatenate([rng.permutation(len(x_train))
#                             for _ in range(passes)])[: steps * BATCH]
#     images, labels = x_train[order], y_train[order]
#
#     keras_net = tf_models.build_mlp(output="logits")
#     keras_net.set_weights([initial["fc1.weight"].T, initial["fc1.bias"],
#                            initial["fc2.weight"].T, initial["fc2.bias"]])
#     keras_loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(
#         from_logits=True)
#
#     @tf.function
#     def keras_step(x, y):
#         with tf.GradientTape() as tape:
#             loss = keras_loss_fn(y, keras_net(x, training=True))
#         variables = keras_net.trainable_variables
#         keras_optimizer.apply_gradients(
#             zip(tape.gradient(loss, variables), variables))
#         return loss
#
#     keras_losses = [float(keras_step(x, y)) for x, y in tf_backend.make_dataset(
#         images, labels, batch_size=BATCH, shuffle=False)]
#
#     torch_net = torch_models.build_mlp(output="logits")
#     torch_net.load_state_dict(
#         {name: torch.from_numpy(array) for name, array in initial.items()})
#     optimizer = make_torch_optimizer(torch_net.parameters())
#     torch_losses = []
#     for step, (x, y) in enumerate(torch_backend.make_dataset(
#             images, labels, batch_size=BATCH, shuffle=False), start=1):
#         if before_torch_step is not None:
#             before_torch_step(optimizer, step)
#         optimizer.zero_grad()
#         loss = nn.functional.cross_entropy(torch_net(x), y)
#         loss.backward()
#         optimizer.step()
#         torch_losses.append(loss.item())
#     return np.array(keras_losses), np.array(torch_losses)
#
#
# with_momentum = paired_losses(
#     tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE, momentum=0.9),
#     lambda p: torch.optim.SGD(p, lr=LEARNING_RATE, momentum=0.9), 2000)
# gap = np.abs(with_momentum[0] - with_momentum[1])
# print(f"largest loss difference: first 200 steps {gap[:200].max():.1e}, "
#       f"all 2,000 {gap.max():.1e}")
# fig, ax = plt.subplots(figsize=(7, 3))
# ax.semilogy(np.arange(1, len(gap) + 1), np.maximum(gap, 1e-17), ".", ms=2)
# ax.axhline(1e-4, ls=":", color="0.4")
# ax.set_xlabel("step")
# ax.set_ylabel("|TensorFlow - PyTorch|")
# plt.show()
# ```
#
# The two libraries write momentum differently, Keras as
# $v \leftarrow \mu v - \eta g,\ \theta \leftarrow \theta + v$ and PyTorch as
# $b \leftarrow \mu b + g,\ \theta \leftarrow \theta - \eta b$, but with a
# constant learning rate these are the same update ($v = -\eta b$). So the
# runs still agree to rounding: in our run the largest loss difference was
# $2.4 \times 10^{-7}$ over the first 200 steps and $3.5 \times 10^{-6}$ over
# all 2,000, inside $10^{-4}$ both times. The plot shows the differences
# growing slowly with the number of steps: momentum carries each step's
# rounding difference into the following ones, and the two trajectories
# drift apart a little at a time.
#
# </details>

# %% [markdown]
# ### Exercise 6.3: Adam
#
# Keras' Adam uses $\epsilon = 10^{-7}$ by default and PyTorch's $10^{-8}$.
# Make them equal and compare 200 steps. Do equal epsilons make the two
# optimizers equal? Write `keras_epsilon(torch_epsilon, step, beta_2=0.999)`:
# the Keras epsilon that makes Keras' step $t$ equal to PyTorch's.
#
# <details>
# <summary>Solution</summary>
#
# They do not. With $m_t, v_t$ the moving averages of the gradient and its
# square, $\hat m_t = m_t / (1 - \beta_1^t)$ and
# $\hat v_t = v_t / (1 - \beta_2^t)$, PyTorch takes the step
#
# $$
# \Delta\theta = -\eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon_\text{PyTorch}} ,
# $$
#
# while Keras 3 computes $\alpha_t = \eta \sqrt{1 - \beta_2^t} / (1 -
# \beta_1^t)$ and adds its epsilon to the *uncorrected* root:
#
# $$
# \Delta\theta = -\alpha_t\,\frac{m_t}{\sqrt{v_t} + \epsilon_\text{Keras}}
# = -\eta\,\frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon_\text{Keras} / \sqrt{1 - \beta_2^t}} .
# $$
#
# The two steps are equal when $\epsilon_\text{Keras} = \epsilon_\text{PyTorch}
# \sqrt{1 - \beta_2^t}$: a factor of $\sqrt{0.001} \approx 0.032$ at the first
# step, which tends to 1 as $t$ grows. Equal epsilons therefore give Keras a
# *larger* effective epsilon in the early steps. The code compares 200 steps
# with equal epsilons, and then with PyTorch's epsilon changed at every step
# to match Keras' (through `before_torch_step`, with `paired_losses` from
# Exercise 6.2):
#
# ```python
# import math
#
#
# def keras_epsilon(torch_epsilon, step, beta_2=0.999):
#     return torch_epsilon * math.sqrt(1 - beta_2**step)
#
#
# def match_keras(optimizer, step, keras_eps=1e-7):
#     for group in optimizer.param_groups:  # the inverse of keras_epsilon
#         group["eps"] = keras_eps / math.sqrt(1 - 0.999**step)
#
#
# adam_runs = {
#     "equal epsilons 1e-7": paired_losses(
#         tf.keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
#         lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7), STEPS),
#     "PyTorch's epsilon matched per step": paired_losses(
#         tf.keras.optimizers.Adam(learning_rate=1e-3, epsilon=1e-7),
#         lambda p: torch.optim.Adam(p, lr=1e-3, eps=1e-7), STEPS,
#         before_torch_step=match_keras),
# }
# for name, (keras_losses, torch_losses) in adam_runs.items():
#     print(f"{name}: largest loss difference "
#           f"{np.abs(keras_losses - torch_losses).max():.1e}")
# answer = keras_epsilon
# ```
#
# With equal epsilons the largest loss difference over 200 steps was
# $1.3 \times 10^{-3}$ in our run, above the $10^{-4}$ that SGD met easily.
# Matching PyTorch's epsilon to Keras' at every step shrank it about sixfold,
# to $2.0 \times 10^{-4}$. The rest is not the epsilon: the two libraries
# update the moving averages with different operations (Keras adds
# $(g - m)(1 - \beta_1)$ to $m$, PyTorch interpolates with `lerp`), so they
# round differently, and Adam's steps turn out to be far more sensitive to
# such rounding than plain SGD's, whose runs stayed within a few times
# $10^{-7}$.
#
# </details>

# %%
from course_utils.practice import lesson6 as practice

answer = None  # your answer: your function keras_epsilon
practice.exercise_3.check(answer)

# %% [markdown]
# ### Exercise 6.4: Break the order
#
# Shuffle the PyTorch batches with another seed and watch the losses part
# ways from the first step.
#
# <details>
# <summary>Solution</summary>
#
# `train_torch` reads the global `torch_batches`, so swap it for a run:
#
# ```python
# lesson_batches = torch_batches
# other_order = np.random.default_rng(1).permutation(len(x_train))
# other_order = other_order[: STEPS * BATCH]
# torch_batches = torch_backend.make_dataset(
#     x_train[other_order], y_train[other_order], batch_size=BATCH,
#     shuffle=False)
# reshuffled_losses, _ = train_torch("float32")
# torch_batches = lesson_batches
# keras_losses = keras_runs["float32"][0]
# print("first 3 losses, Keras:   ", np.round(keras_losses[:3], 4))
# print("first 3 losses, PyTorch: ", np.round(reshuffled_losses[:3], 4))
# print(f"mean of the last 10: {keras_losses[-10:].mean():.3f} and "
#       f"{reshuffled_losses[-10:].mean():.3f}")
# ```
#
# The first loss already differs: it is measured on a different batch, from
# the same weights. After that the weights differ too, and the two runs never
# meet again step for step, although both learn at about the same rate (the
# means of their last ten losses are close). Step-by-step agreement needs the
# batches in the same order; statistical agreement does not.
#
# </details>

# %% [markdown]
# ### Exercise 6.5: A square layer
#
# Add a 128 → 128 hidden layer to both models, copy the weights *without*
# transposing it, and find the first sign that something is wrong.
#
# <details>
# <summary>Solution</summary>
#
# ```python
# torch.manual_seed(0)
# deep_torch = nn.Sequential(
#     nn.Flatten(), nn.Linear(784, 128), nn.ReLU(),
#     nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))
# deep_keras = tf.keras.Sequential([
#     tf.keras.Input(shape=(28, 28)), tf.keras.layers.Flatten(),
#     tf.keras.layers.Dense(128, activation="relu"),
#     tf.keras.layers.Dense(128, activation="relu"),
#     tf.keras.layers.Dense(10)])
# w = [p.detach().numpy() for p in deep_torch.parameters()]  # (out, in)
# deep_keras.set_weights([w[0].T, w[1], w[2], w[3], w[4].T, w[5]])  # no error
# torch_scores = deep_torch(torch_first_images).detach().numpy()
# wrong = np.abs(deep_keras(tf_first_images).numpy() - torch_scores).max()
# deep_keras.set_weights([w[0].T, w[1], w[2].T, w[3], w[4].T, w[5]])
# right = np.abs(deep_keras(tf_first_images).numpy() - torch_scores).max()
# print(f"largest difference of the first batch's logits, before any "
#       f"training: {wrong:.1e} without the transpose, {right:.1e} with it")
# ```
#
# `set_weights` accepts the untransposed $128 \times 128$ matrix, because
# only shapes are checked, so nothing fails. The first sign is the very first
# forward pass: on the first batch, before any step, the two models' logits
# (and so their first losses) differ far beyond rounding, by up to 0.14 in
# our run, while with the transpose they agree to `float32` rounding
# ($4.5 \times 10^{-8}$). That is why the lesson compares
# the frameworks from the first step on: a difference at step 1 is a copying
# or set-up error, not drift. Training would hide it, since both models
# would still learn, just not the same function.
#
# </details>

# %% [markdown]
# ## Summary
#
# * The article's network has 101,770 parameters in either framework.
# * Keras stores a dense kernel as (inputs, outputs) and PyTorch as (outputs,
#   inputs): transpose when copying.
# * With the same initial weights, batches, loss and plain SGD, TensorFlow,
#   PyTorch and a NumPy `float64` reference give the same loss at every one of
#   200 steps and the same final weights, up to `float32` rounding.
# * What differs is convention: probabilities versus logits, argument order,
#   channel order, how training and evaluation modes are set, and whether the
#   loop is yours (PyTorch) or inside `fit` (Keras).
