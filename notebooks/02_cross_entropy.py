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
# # Lesson 2: Cross-entropy
#
# **Article section covered:** §4.2, the cross-entropy loss
# $H(p, q) = -\sum_i p(i) \log q(i)$, and the loss functions of its two MNIST
# listings (§4.2.1 in TensorFlow, §4.2.2 in PyTorch), including a flaw in the
# PyTorch code.
#
# **After this lesson you can**
#
# 1. compute the cross-entropy of a prediction by hand, from probabilities and from logits;
# 2. get the same number from NumPy, the four Keras variants (categorical or
#    sparse, with or without `from_logits`) and PyTorch's `CrossEntropyLoss` and `NLLLoss`;
# 3. explain why the naive formula overflows and how the log-sum-exp form avoids it;
# 4. recognise three common mistakes: a softmax before a loss that expects logits,
#    `log_softmax` followed by `CrossEntropyLoss`, and probabilities where logarithms are expected;
# 5. treat binary cross-entropy as the two-class case.
#
# **Time needed:** about 35 minutes to read and run; the notebook executes in
# well under a minute on a 2-core laptop CPU.
# **Requirements:** NumPy, Matplotlib, TensorFlow and PyTorch (CPU), under 2 GB
# of memory, and the MNIST files (`course_utils.load_mnist()` reads them from
# `$COURSE_DATA_DIR/mnist` or downloads them once).

# %% [markdown]
# ## Setup

# %%
import math
import os
import warnings

# No C++ log lines from TensorFlow (they carry timestamps); no oneDNN
# start-up notice, and no reordered floating-point sums.
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"

import matplotlib.pyplot as plt
import numpy as np

import course_utils
from course_utils import maths

# A colour-blind-safe palette, shared by all lessons
from course_utils.plotting import OKABE_ITO

# %% tags=["tensorflow"]
import tensorflow as tf

# %% tags=["pytorch"]
import torch
import torch.nn as nn

# The import that the article's PyTorch code leaves out:
import torch.nn.functional as F

# %%
print("seeded:", course_utils.seed_everything(0))

# %% tags=["nbval-ignore-output"]
course_utils.versions()

# %% [markdown]
# ## The idea
#
# A classifier outputs a probability distribution $q$ over $K$ classes; the
# truth is a distribution $p$, usually *one-hot* (all its mass on the true class
# $y$). The **cross-entropy** measures how poorly $q$ describes $p$:
#
# $$
# H(p, q) = -\sum_{i=1}^{K} p_i \log q_i .
# $$
#
# For a one-hot $p$ every term but one vanishes and $H = -\log q_y$: the loss is
# the negative log-probability given to the right answer. It is 0 for a
# certain, correct prediction and grows without bound as $q_y \to 0$. (With the
# natural logarithm it is measured in *nats*.)
#
# Networks output logits $\mathbf{z}$ and $q = \operatorname{softmax}(\mathbf{z})$.
# Substituting gives the form every library uses internally:
#
# $$
# H(p, \operatorname{softmax}(\mathbf{z})) = -z_y + \log \sum_{j=1}^{K} e^{z_j}
# = -z_y + \operatorname{LSE}(\mathbf{z}),
# \qquad
# \frac{\partial H}{\partial z_j} = \operatorname{softmax}(\mathbf{z})_j - p_j .
# $$
#
# ### Where $\operatorname{softmax}(\mathbf{z}) - p$ comes from
#
# Write $s = \operatorname{softmax}(\mathbf{z})$ and let $p$ be any target
# distribution ($\sum_i p_i = 1$). Step by step:
#
# 1. $\log s_i = z_i - \operatorname{LSE}(\mathbf{z})$, so
#    $H = -\sum_i p_i \log s_i = -\sum_i p_i z_i + \operatorname{LSE}(\mathbf{z}) \sum_i p_i
#    = -\sum_i p_i z_i + \operatorname{LSE}(\mathbf{z})$.
# 2. The first term is linear in $\mathbf{z}$:
#    $\partial \bigl(-\sum_i p_i z_i\bigr) / \partial z_j = -p_j$.
# 3. The chain rule through the logarithm gives
#    $\partial \operatorname{LSE}(\mathbf{z}) / \partial z_j
#    = \frac{1}{\sum_k e^{z_k}} \cdot \frac{\partial}{\partial z_j} \sum_k e^{z_k}
#    = \frac{e^{z_j}}{\sum_k e^{z_k}} = s_j$.
# 4. Adding the two: $\partial H / \partial z_j = s_j - p_j$.
#
# The same result follows from the softmax Jacobian of Lesson 1,
# $\partial s_i / \partial z_j = s_i(\delta_{ij} - s_j)$:
# $\partial H / \partial z_j = -\sum_i \frac{p_i}{s_i}\, s_i (\delta_{ij} - s_j)
# = -p_j + s_j \sum_i p_i = s_j - p_j$. Step 1 needed $\sum_i p_i = 1$, and so
# does this: for targets that do not sum to 1 the gradient is
# $s_j \sum_i p_i - p_j$. For a batch, the mean over $N$ examples divides each
# row by $N$. The numerical check after the worked example confirms the formula.
#
# The loss of a batch is the mean over its examples. Since
# $H(p, q) = H(p) + D_{\mathrm{KL}}(p \,\|\, q)$ and $H(p)$ does not depend on
# the model, minimising the cross-entropy minimises the Kullback-Leibler
# divergence between truth and prediction.
#
# ### A worked example
#
# Take three classes, logits $\mathbf{z} = (2.0,\ 1.0,\ 0.1)$ and true class 0.
#
# 1. Exponentials: $e^{2.0} = 7.389056$, $e^{1.0} = 2.718282$, $e^{0.1} = 1.105171$; their sum is $11.212509$.
# 2. Probabilities: $q = (7.389056,\ 2.718282,\ 1.105171) / 11.212509 = (0.659001,\ 0.242433,\ 0.098566)$.
# 3. Loss: $H = -\ln 0.659001 = 0.417030$.
# 4. The same from the logits: $-2.0 + \ln 11.212509 = -2.0 + 2.417030 = 0.417030$.
#
# The next cell repeats each step in NumPy and checks the hand-rounded numbers.

# %%
z = np.array([2.0, 1.0, 0.1])
exps = np.exp(z)
q = exps / exps.sum()
loss_from_q = -np.log(q[0])
loss_from_z = -z[0] + np.log(exps.sum())

hand = {"sum of exponentials": 11.212509, "q[0]": 0.659001, "loss": 0.417030}
np.testing.assert_allclose(exps.sum(), hand["sum of exponentials"], atol=5e-7)
np.testing.assert_allclose(q[0], hand["q[0]"], atol=5e-7)
np.testing.assert_allclose([loss_from_q, loss_from_z], hand["loss"], atol=5e-7)
print("exp(z) =", np.round(exps, 6), " sum =", round(float(exps.sum()), 6))
print("q =", np.round(q, 6))
print(f"ln sum(exp(z)) = {np.log(exps.sum()):.6f}")
print(
    f"-ln q[0] = {loss_from_q:.6f}; -z[0] + ln sum(exp(z)) = {loss_from_z:.6f};"
    f" hand: {hand['loss']:.6f}"
)

# The gradient derived above, against central differences of the loss
analytic_grad = q - np.eye(3)[0]
numeric_grad = maths.numerical_gradient(
    lambda logits: -logits[0] + maths.logsumexp(logits), z.copy(), h=1e-6
)
gradient_error = maths.relative_error(analytic_grad, numeric_grad)
assert gradient_error < 1e-8, gradient_error
print("dH/dz = softmax(z) - y =", np.round(analytic_grad, 6))
print(f"central differences agree: relative error {gradient_error:.1e} < 1e-8")

# %% [markdown]
# ## NumPy reference
#
# `course_utils.maths.cross_entropy(targets, predictions)` accepts integer
# labels or one-hot (or soft) targets, and probabilities or, with
# `from_logits=True`, logits. Here is a batch of four examples; the second is
# confidently wrong.

# %%
LOGITS = np.array(
    [[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [-1.0, 0.0, 3.0], [1.2, 1.1, 1.0]]
)
LABELS = np.array([0, 0, 2, 1])
ONE_HOT = np.eye(3)[LABELS]
PROBS = maths.softmax(LOGITS)

per_example = maths.cross_entropy(
    LABELS, LOGITS, from_logits=True, reduction="none"
)
reference = maths.cross_entropy(LABELS, LOGITS, from_logits=True)
variants = {
    "labels, probabilities": maths.cross_entropy(LABELS, PROBS),
    "one-hot, probabilities": maths.cross_entropy(ONE_HOT, PROBS),
    "one-hot, logits": maths.cross_entropy(ONE_HOT, LOGITS, from_logits=True),
}
print("loss per example:", np.round(per_example, 6))
print(f"mean loss (labels, logits): {reference:.6f}")
for name, value in variants.items():
    assert abs(value - reference) < 1e-12, name
    print(f"mean loss ({name}): {value:.6f}")

# %% [markdown]
# ## Keras and PyTorch losses side by side
#
# Keras offers the loss in four forms: *categorical* takes one-hot targets,
# *sparse categorical* takes integer labels, and each accepts probabilities
# (default) or logits (`from_logits=True`). PyTorch's `nn.CrossEntropyLoss`
# always takes logits, with integer labels or class probabilities as targets;
# `nn.NLLLoss` takes log-probabilities and picks out $-\log q_y$.
#
# Everything runs in `float64` so the comparison can be tight. Keras losses
# compute in `float32` unless given `dtype="float64"`.

# %% tags=["tensorflow"]
keras_losses = {
    "CategoricalCrossentropy, probabilities": (
        tf.keras.losses.CategoricalCrossentropy(dtype="float64"),
        ONE_HOT,
        PROBS,
    ),
    "CategoricalCrossentropy, from_logits": (
        tf.keras.losses.CategoricalCrossentropy(
            from_logits=True, dtype="float64"
        ),
        ONE_HOT,
        LOGITS,
    ),
    "SparseCategoricalCrossentropy, probabilities": (
        tf.keras.losses.SparseCategoricalCrossentropy(dtype="float64"),
        LABELS,
        PROBS,
    ),
    "SparseCategoricalCrossentropy, from_logits": (
        tf.keras.losses.SparseCategoricalCrossentropy(
            from_logits=True, dtype="float64"
        ),
        LABELS,
        LOGITS,
    ),
}
tf_values = {
    name: float(loss(targets, inputs))
    for name, (loss, targets, inputs) in keras_losses.items()
}
for name, value in tf_values.items():
    print(f"{name:46s} {value:.6f}")

# %% tags=["pytorch"]
logits_t = torch.tensor(LOGITS, dtype=torch.float64)
labels_t = torch.tensor(LABELS)
torch_values = {
    "CrossEntropyLoss, logits + labels": nn.CrossEntropyLoss()(
        logits_t, labels_t
    ).item(),
    "CrossEntropyLoss, logits + one-hot": nn.CrossEntropyLoss()(
        logits_t, torch.tensor(ONE_HOT)
    ).item(),
    "NLLLoss, log_softmax + labels": nn.NLLLoss()(
        F.log_softmax(logits_t, dim=1), labels_t
    ).item(),
}
for name, value in torch_values.items():
    print(f"{name:46s} {value:.6f}")

# %% [markdown]
# ### Check: every variant gives the NumPy value

# %%
RTOL = 1e-12
for name, value in {**tf_values, **torch_values}.items():
    assert math.isclose(value, reference, rel_tol=RTOL), (
        name,
        value,
        reference,
    )
print(
    f"all {len(tf_values) + len(torch_values)} framework losses equal NumPy's "
    f"{reference:.6f} (rtol={RTOL:g})"
)

# %% [markdown]
# ## Numerical stability
#
# Taken literally, the formula exponentiates the logits. $e^{z}$ overflows
# once $z$ passes the logarithm of the largest number of the format (printed
# below: about 709.8 for `float64`, 88.7 for `float32`); then softmax divides
# $\infty$ by $\infty$ and returns `nan`. Very negative logits underflow to a
# probability of exactly 0, whose logarithm is $-\infty$. Logits this large are
# not exotic: they appear whenever a model becomes very confident, or early in
# training with a poor initialisation.
#
# The log-sum-exp form avoids both problems. With $m = \max_j z_j$,
#
# $$
# \operatorname{LSE}(\mathbf{z}) = m + \log \sum_{j} e^{z_j - m},
# $$
#
# every exponent is at most 0, the largest term of the sum is exactly 1, and
# $-z_y + \operatorname{LSE}(\mathbf{z})$ never takes the logarithm of a
# rounded-away probability.

# %%
for dtype in (np.float64, np.float32):
    limit = np.log(np.finfo(dtype).max)
    print(f"exp overflows {np.dtype(dtype).name} above z = {limit:.1f}")
BIG_LOGITS = np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]])
BIG_LABELS = np.array([0, 0])
BIG_EXPECTED = np.array(
    [0.0, 2000.0]
)  # -z_y + max(z): the other terms of the sum are below e^-1000


def naive_cross_entropy(labels, logits):
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return -np.log(probs[np.arange(len(labels)), labels])


for dtype, scale in ((np.float64, 1.0), (np.float32, 0.1)):
    logits = (BIG_LOGITS * scale).astype(dtype)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        naive = naive_cross_entropy(BIG_LABELS, logits)
    stable = maths.cross_entropy(
        BIG_LABELS, logits, from_logits=True, reduction="none"
    )
    np.testing.assert_allclose(
        stable, BIG_EXPECTED * scale, rtol=1e-7, atol=1e-12
    )
    print(f"{np.dtype(dtype).name}, logits up to {1000 * scale:g}:")
    print(
        f"  naive : {naive}   warnings: "
        f"{sorted({str(w.message) for w in caught})}"
    )
    print(f"  stable: {stable}")

# %% [markdown]
# Both frameworks use the stable form when they are given logits:

# %% tags=["tensorflow"]
tf_big = tf.keras.losses.SparseCategoricalCrossentropy(
    from_logits=True, reduction=None, dtype="float64"
)(BIG_LABELS, BIG_LOGITS).numpy()
print("Keras, from_logits=True:", tf_big)

# %% tags=["pytorch"]
torch_big = nn.CrossEntropyLoss(reduction="none")(
    torch.tensor(BIG_LOGITS), torch.tensor(BIG_LABELS)
).numpy()
print("PyTorch CrossEntropyLoss:", torch_big)

# %%
np.testing.assert_allclose(tf_big, BIG_EXPECTED, rtol=1e-12, atol=1e-12)
np.testing.assert_allclose(torch_big, BIG_EXPECTED, rtol=1e-12, atol=1e-12)
print(
    "TensorFlow and PyTorch give the exact losses [0, 2000] for logits of "
    "±1000 (rtol=1e-12, atol=1e-12)"
)

# %% [markdown]
# ## Pitfalls
#
# ### 1. A softmax before a loss that expects logits
#
# `nn.CrossEntropyLoss` and the Keras losses with `from_logits=True` apply the
# softmax themselves. If the model already ends in a softmax, the loss applies
# a second one to numbers between 0 and 1. Two things go wrong.
#
# **The value is wrong and bounded below.** The inputs to the second softmax
# differ by at most 1, so even a perfect prediction, $q = (1, 0, \dots, 0)$,
# costs $-\log\frac{e}{e + K - 1} = \log\bigl(1 + \frac{K-1}{e}\bigr)$: 0.55 for
# 3 classes and 1.46 for the 10 MNIST digits, instead of 0.
#
# **The gradient is squashed.** The loss now sees the model through an extra
# softmax whose derivatives are small, so every update is smaller and learning slows down.

# %%
double = maths.cross_entropy(LABELS, maths.softmax(LOGITS), from_logits=True)
print(
    f"loss on logits: {reference:.6f}; loss after a softmax too many: "
    f"{double:.6f}"
)
for k in (3, 10):
    perfect = np.zeros((1, k))
    perfect[0, 0] = 1.0
    floor = maths.cross_entropy([0], perfect, from_logits=True)
    assert math.isclose(floor, math.log(1 + (k - 1) / math.e), rel_tol=1e-12)
    print(
        f"{k:2d} classes: a perfect prediction passed through a second "
        f"softmax still costs {floor:.4f}"
    )

# %% [markdown]
# To see the slowdown, train the same softmax-regression classifier
# ($\mathbf{z} = \mathbf{x} W + \mathbf{b}$, 784 pixels to 10 classes) on the
# first 1,000 MNIST training images twice: once with the logits passed to the
# loss, once with a softmax in between. Both runs start from zero weights and
# take 60 steps of plain gradient descent on the whole batch. The curves record
# the *correct* cross-entropy of the model's logits, so the two runs are
# measured with the same ruler.

# %%
(train_images, train_labels), _ = course_utils.load_mnist()
N_TRAIN, STEPS, LEARNING_RATE = 1000, 60, 0.5
x_mnist = (
    course_utils.normalize_images(train_images[:N_TRAIN])
    .reshape(N_TRAIN, -1)
    .astype(np.float64)
)
y_mnist = train_labels[:N_TRAIN].astype(np.int64)
print(
    "inputs:",
    x_mnist.shape,
    x_mnist.dtype,
    " labels:",
    y_mnist.shape,
    " classes:",
    np.bincount(y_mnist).tolist(),
)


# %% tags=["tensorflow"]
def train_tf(softmax_first):
    W = tf.Variable(tf.zeros((784, 10), tf.float64))
    b = tf.Variable(tf.zeros(10, tf.float64))
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, dtype="float64"
    )
    x, y = tf.constant(x_mnist), tf.constant(y_mnist)
    history = []
    for _ in range(STEPS):
        with tf.GradientTape() as tape:
            logits = x @ W + b
            loss = loss_fn(
                y, tf.nn.softmax(logits) if softmax_first else logits
            )
        grad_W, grad_b = tape.gradient(loss, [W, b])
        accuracy = np.mean(np.argmax(logits.numpy(), axis=1) == y_mnist)
        history.append((float(loss_fn(y, logits)), accuracy))
        W.assign_sub(LEARNING_RATE * grad_W)
        b.assign_sub(LEARNING_RATE * grad_b)
    return np.array(history)


tf_curves = {
    variant: train_tf(variant == "softmax first")
    for variant in ("logits", "softmax first")
}
for variant, history in tf_curves.items():
    print(
        f"TensorFlow, {variant:13s}: loss {history[-1, 0]:.4f}, accuracy "
        f"{history[-1, 1]:.3f} after {STEPS} steps"
    )


# %% tags=["pytorch"]
def train_torch(softmax_first):
    W = torch.zeros((784, 10), dtype=torch.float64, requires_grad=True)
    b = torch.zeros(10, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([W, b], lr=LEARNING_RATE)
    loss_fn = nn.CrossEntropyLoss()
    x, y = torch.from_numpy(x_mnist), torch.from_numpy(y_mnist)
    history = []
    for _ in range(STEPS):
        logits = x @ W + b
        loss = loss_fn(
            torch.softmax(logits, dim=1) if softmax_first else logits, y
        )
        optimizer.zero_grad()
        loss.backward()
        with torch.no_grad():
            history.append(
                (
                    loss_fn(logits, y).item(),
                    (logits.argmax(dim=1) == y).double().mean().item(),
                )
            )
        optimizer.step()
    return np.array(history)


torch_curves = {
    variant: train_torch(variant == "softmax first")
    for variant in ("logits", "softmax first")
}
for variant, history in torch_curves.items():
    print(
        f"PyTorch,    {variant:13s}: loss {history[-1, 0]:.4f}, accuracy "
        f"{history[-1, 1]:.3f} after {STEPS} steps"
    )

# %%
for variant in tf_curves:
    np.testing.assert_allclose(
        tf_curves[variant], torch_curves[variant], rtol=1e-9, atol=1e-12
    )
print("TensorFlow and PyTorch training curves agree step by step (rtol=1e-9)")
logits_run, softmax_run = tf_curves["logits"], tf_curves["softmax first"]
assert softmax_run[-1, 0] > logits_run[-1, 0] + 0.2
below = {name: run[:, 0] < 0.6 for name, run in tf_curves.items()}
first_below = {
    name: int(np.argmax(hit)) if hit.any() else "never"
    for name, hit in below.items()
}
print(
    "step where the loss first drops below 0.6: logits "
    f"{first_below['logits']}, softmax first {first_below['softmax first']}"
)

# %%
fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
styles = {
    "logits": (OKABE_ITO["blue"], "-"),
    "softmax first": (OKABE_ITO["vermillion"], "--"),
}
for variant, history in tf_curves.items():
    colour, style = styles[variant]
    ax_loss.plot(history[:, 0], color=colour, ls=style, lw=2, label=variant)
    ax_acc.plot(history[:, 1], color=colour, ls=style, lw=2, label=variant)
ax_loss.set_ylabel("cross-entropy of the logits")
ax_acc.set_ylabel("training accuracy")
for ax in (ax_loss, ax_acc):
    ax.set_xlabel("gradient-descent step")
    ax.grid(alpha=0.3)
ax_loss.legend(frameon=False)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 2.1.** Training a softmax-regression classifier on 1,000 MNIST images
# with the loss applied to the logits (blue, solid) and with a softmax too many
# in front of it (red, dashed). Left: the correct cross-entropy of the logits;
# right: training accuracy. The doubly-softmaxed run learns far more slowly.
# TensorFlow and PyTorch produce identical curves; the TensorFlow run is drawn.

# %% [markdown]
# ### 2. `log_softmax` followed by `CrossEntropyLoss`, as in the article
#
# The article's PyTorch model returns `F.log_softmax(x, dim=1)` from `forward()`
# and trains it with `nn.CrossEntropyLoss`, which applies a log-softmax of its
# own. (The listing also lacks `import torch.nn.functional as F`, so it fails
# with a `NameError` before it gets that far.) Here the extra step is harmless,
# by luck: log-softmax is *idempotent*. Its outputs $\ell_i = \log q_i$ satisfy
# $\operatorname{LSE}(\boldsymbol{\ell}) = \log \sum_i q_i = \log 1 = 0$, so
#
# $$
# \operatorname{log\_softmax}(\boldsymbol{\ell}) = \boldsymbol{\ell} - \operatorname{LSE}(\boldsymbol{\ell}) = \boldsymbol{\ell} .
# $$
#
# The loss and its gradient are therefore the same as with raw logits, up to
# rounding. The idiomatic pairs are *logits with `CrossEntropyLoss`* or
# *`log_softmax` with `NLLLoss`*; mixing them only works because of this
# identity, and the same reasoning does not rescue a plain softmax (pitfall 1).

# %%
twice = maths.log_softmax(maths.log_softmax(LOGITS))
np.testing.assert_allclose(
    twice, maths.log_softmax(LOGITS), rtol=1e-14, atol=1e-15
)
print("NumPy: log_softmax(log_softmax(z)) == log_softmax(z) (rtol=1e-14)")


# %% tags=["tensorflow"]
def tf_loss_and_grad(transform):
    logits = tf.constant(LOGITS)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(
        from_logits=True, dtype="float64"
    )
    with tf.GradientTape() as tape:
        tape.watch(logits)
        loss = loss_fn(LABELS, transform(logits))
    return float(loss), tape.gradient(loss, logits).numpy()


tf_plain = tf_loss_and_grad(lambda z: z)
tf_log_softmax_first = tf_loss_and_grad(lambda z: tf.nn.log_softmax(z, axis=1))
print(
    f"Keras from_logits: on logits {tf_plain[0]:.6f}, on log_softmax(logits) "
    f"{tf_log_softmax_first[0]:.6f}"
)


# %% tags=["pytorch"]
def torch_loss_and_grad(transform, loss_fn=nn.CrossEntropyLoss()):
    logits = torch.tensor(LOGITS, requires_grad=True)
    loss = loss_fn(transform(logits), torch.tensor(LABELS))
    loss.backward()
    return loss.item(), logits.grad.numpy()


torch_plain = torch_loss_and_grad(lambda z: z)
torch_article = torch_loss_and_grad(
    lambda z: F.log_softmax(z, dim=1)
)  # what the article's code does
torch_nll = torch_loss_and_grad(
    lambda z: F.log_softmax(z, dim=1), loss_fn=nn.NLLLoss()
)
print(
    f"CrossEntropyLoss: on logits {torch_plain[0]:.6f}, on "
    f"log_softmax(logits) {torch_article[0]:.6f}"
)
print(f"NLLLoss on log_softmax(logits): {torch_nll[0]:.6f}")

# %%
expected_grad = (maths.softmax(LOGITS) - ONE_HOT) / len(LABELS)
for name, (value, grad) in {
    "Keras, logits": tf_plain,
    "Keras, log_softmax first": tf_log_softmax_first,
    "PyTorch, logits": torch_plain,
    "PyTorch, log_softmax first (article)": torch_article,
    "PyTorch, log_softmax + NLLLoss": torch_nll,
}.items():
    assert math.isclose(value, reference, rel_tol=1e-12), name
    np.testing.assert_allclose(
        grad, expected_grad, rtol=1e-12, atol=1e-15, err_msg=name
    )
print(
    "same loss and same gradient (softmax - one_hot) / N in all five cases "
    "(rtol=1e-12)"
)

# %% [markdown]
# ### 3. The wrong kind of input fails silently
#
# Neither library can tell logits from probabilities from log-probabilities:
# they are all just arrays of numbers. Given the wrong kind, both return a
# number and no error. Keras with the default `from_logits=False` clips the
# logits into $[10^{-7}, 1 - 10^{-7}]$, then divides each row by its sum so
# that it adds up to 1, and only then takes the logarithm of the true class's
# share; the cell below computes both the clipped-and-renormalised value,
# which Keras returns, and the clipped value alone. `NLLLoss` given
# probabilities returns $-q_y$, a *negative* "loss".

# %% tags=["tensorflow"]
keras_sparse = tf.keras.losses.SparseCategoricalCrossentropy(dtype="float64")
wrong_tf = float(keras_sparse(LABELS, LOGITS))
print(
    f"Keras, logits passed as probabilities: {wrong_tf:.6f}"
    f" (correct: {reference:.6f})"
)

# %% tags=["pytorch"]
wrong_torch = nn.NLLLoss()(torch.softmax(logits_t, dim=1), labels_t).item()
print(
    f"NLLLoss, probabilities passed as log-probabilities: {wrong_torch:.6f} "
    f"(correct: {reference:.6f})"
)

# %%
assert abs(wrong_tf - reference) > 0.1 and wrong_torch < 0
rows = np.arange(len(LABELS))
clipped = np.clip(LOGITS, 1e-7, 1 - 1e-7)
clip_only = -np.log(clipped[rows, LABELS]).mean()
clip_renormalise = -np.log(clipped[rows, LABELS] / clipped.sum(axis=1)).mean()
np.testing.assert_allclose(wrong_tf, clip_renormalise, rtol=1e-12)
assert abs(wrong_tf - clip_only) > 0.1
print(
    f"clip, then renormalise: {clip_renormalise:.6f} (what Keras returns);"
    f" clip alone: {clip_only:.6f}"
)
q_true_class = PROBS[rows, LABELS]
np.testing.assert_allclose(wrong_torch, -q_true_class.mean(), rtol=1e-12)
print("both are wrong, and NLLLoss on probabilities is exactly -mean(q_y)")

# %% [markdown]
# ## Binary cross-entropy
#
# With two classes the model needs only one number: the probability
# $p = \sigma(z)$ of class 1. The cross-entropy of $(y, 1-y)$ against $(p, 1-p)$ is
#
# $$
# \operatorname{BCE}(y, p) = -\bigl(y \log p + (1 - y) \log(1 - p)\bigr),
# \qquad
# \operatorname{BCE}(y, \sigma(z)) = \max(z, 0) - z y + \log\bigl(1 + e^{-|z|}\bigr),
# $$
#
# the second form being the stable one for logits. It is the categorical
# cross-entropy with two logits $(0, z)$, because
# $\operatorname{softmax}(0, z)_1 = e^z/(1 + e^z) = \sigma(z)$.

# %%
BIN_LOGITS = np.array([-4.0, -1.0, 0.0, 0.5, 3.0, 8.0])
BIN_TARGETS = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 1.0])
BIN_PROBS = maths.sigmoid(BIN_LOGITS)

bce_reference = maths.binary_cross_entropy(
    BIN_TARGETS, BIN_LOGITS, from_logits=True
)
bce_from_probs = maths.binary_cross_entropy(BIN_TARGETS, BIN_PROBS)
two_class = maths.cross_entropy(
    BIN_TARGETS.astype(int),
    np.stack([np.zeros_like(BIN_LOGITS), BIN_LOGITS], axis=1),
    from_logits=True,
)
assert math.isclose(bce_from_probs, bce_reference, rel_tol=1e-12)
assert math.isclose(two_class, bce_reference, rel_tol=1e-12)
print(
    f"BCE from logits {bce_reference:.6f}; from probabilities "
    f"{bce_from_probs:.6f}; "
    f"as 2-class cross-entropy {two_class:.6f}"
)

# %% tags=["tensorflow"]
tf_bce = {
    "BinaryCrossentropy, probabilities": float(
        tf.keras.losses.BinaryCrossentropy(dtype="float64")(
            BIN_TARGETS[:, None], BIN_PROBS[:, None]
        )
    ),
    "BinaryCrossentropy, from_logits": float(
        tf.keras.losses.BinaryCrossentropy(from_logits=True, dtype="float64")(
            BIN_TARGETS[:, None], BIN_LOGITS[:, None]
        )
    ),
}
for name, value in tf_bce.items():
    print(f"{name:36s} {value:.6f}")

# %% tags=["pytorch"]
torch_bce = {
    "BCELoss, probabilities": nn.BCELoss()(
        torch.tensor(BIN_PROBS), torch.tensor(BIN_TARGETS)
    ).item(),
    "BCEWithLogitsLoss, logits": nn.BCEWithLogitsLoss()(
        torch.tensor(BIN_LOGITS), torch.tensor(BIN_TARGETS)
    ).item(),
}
for name, value in torch_bce.items():
    print(f"{name:36s} {value:.6f}")

# %%
for name, value in {**tf_bce, **torch_bce}.items():
    assert math.isclose(value, bce_reference, rel_tol=1e-12), (name, value)
print(
    f"all four framework losses equal NumPy's {bce_reference:.6f} (rtol=1e-12)"
)

# %% [markdown]
# ### Where probabilities get clipped
#
# Losses that take probabilities cannot represent $-\log 0$, so both libraries
# cap it, each differently: Keras clips the probability to $10^{-7}$ (a loss
# of at most $-\ln 10^{-7} \approx 16.1$), and PyTorch's `BCELoss` clamps the
# logarithm at $-100$. What the two do to the *gradient* differs. Keras clips
# the probability itself, and a clipped value does not depend on its input,
# so below the clip the gradient is exactly 0: a confidently wrong prediction
# gets no signal to change. PyTorch computes the gradient with respect to $p$
# from its own formula, $(p - y) / \max\bigl(p(1 - p), 10^{-12}\bigr)$, so at
# $p = 0$ and $y = 1$ it returns $-10^{12}$, a step that can throw the weights
# anywhere. The cells below measure both. Working with logits avoids the cap
# and both problems.

# %% tags=["tensorflow"]
# the predicted probability of the true class 1
confident_and_wrong = tf.Variable([[1e-12]], dtype=tf.float64)
keras_bce = tf.keras.losses.BinaryCrossentropy(dtype="float64")
with tf.GradientTape() as tape:
    tf_capped_loss = keras_bce(np.array([[1.0]]), confident_and_wrong)
tf_capped = float(tf_capped_loss)
tf_capped_grad = float(tape.gradient(tf_capped_loss, confident_and_wrong)[0, 0])
print(
    f"Keras BinaryCrossentropy at p = 1e-12: loss {tf_capped:.4f}"
    f" (true value {-math.log(1e-12):.4f}), gradient dL/dp {tf_capped_grad:g}"
)

# %% tags=["pytorch"]
p_zero = torch.tensor([0.0], dtype=torch.float64, requires_grad=True)
torch_capped_loss = nn.BCELoss()(
    p_zero, torch.tensor([1.0], dtype=torch.float64)
)
torch_capped_loss.backward()
torch_capped, torch_capped_grad = torch_capped_loss.item(), p_zero.grad.item()
print(
    f"PyTorch BCELoss at p = 0: loss {torch_capped:.4f} (true value: infinite),"
    f" gradient dL/dp {torch_capped_grad:.4g}"
)

# %%
assert math.isclose(tf_capped, -math.log(1e-7), rel_tol=1e-6)
assert torch_capped == 100.0
assert tf_capped_grad == 0.0
assert math.isclose(torch_capped_grad, -1e12, rel_tol=1e-6)
print(
    f"Keras caps the loss at -ln(1e-7) = {-math.log(1e-7):.4f} and its"
    f" gradient is {tf_capped_grad:g}; PyTorch's BCELoss caps the loss at"
    f" {torch_capped:g} and its gradient is {torch_capped_grad:.4g}"
)

# %% [markdown]
# ### The shape of the loss
#
# The loss for one example depends only on the probability $q_y$ given to the
# true class: $-\log q_y$. Its gradient with respect to that class's logit is
# $q_y - 1$: largest when the prediction is most wrong. Compare the squared
# error $\tfrac12(1 - q_y)^2$ on a sigmoid output, whose gradient
# $-(1 - q_y)\,q_y(1 - q_y)$ fades away exactly when the model is confidently wrong.

# %%
q_true = np.linspace(1e-3, 1, 500)
fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 3.6))
ax_loss.plot(
    q_true,
    -np.log(q_true),
    color=OKABE_ITO["blue"],
    lw=2.2,
    label=r"cross-entropy $-\log q_y$",
)
ax_loss.plot(
    q_true,
    0.5 * (1 - q_true) ** 2,
    color=OKABE_ITO["orange"],
    lw=2.2,
    ls="--",
    label=r"squared error $\frac{1}{2}(1-q_y)^2$",
)
ax_loss.set_ylim(0, 5)
ax_loss.set_ylabel("loss")
ax_grad.plot(
    q_true, q_true - 1, color=OKABE_ITO["blue"], lw=2.2, label="cross-entropy"
)
ax_grad.plot(
    q_true,
    -((1 - q_true) ** 2) * q_true,
    color=OKABE_ITO["orange"],
    lw=2.2,
    ls="--",
    label="squared error",
)
ax_grad.set_ylabel("gradient with respect to the logit")
for ax in (ax_loss, ax_grad):
    ax.set_xlabel(r"predicted probability of the true class $q_y$")
    ax.grid(alpha=0.3)
    ax.legend(frameon=False)
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 2.2.** Left: cross-entropy (blue, solid) and squared error (orange,
# dashed) as functions of the probability given to the true class. The
# cross-entropy grows without bound as that probability goes to 0. Right: the
# gradient of each with respect to the true class's logit, for a sigmoid output.
# The cross-entropy gradient is largest, −1, for the worst predictions; the
# squared-error gradient vanishes there.

# %% [markdown]
# ## Exercises
#
# These are for practice. Each exercise has a worked solution folded under it
# (open *Solution* once you have tried), and where the answer is a number or
# code, a check cell: put your answer in `answer` and run the cell. The
# graded versions are in the repository's `assignments/` folder; check your
# answers as you go with `from course_utils.exercises import lesson2` (see the
# README, *For instructors*).

# %% [markdown]
# ### Exercise 2.1: By hand
#
# For logits $(0, 0, 0, 0)$, what is the cross-entropy whatever the label?
# Explain why an untrained network with zero weights has this loss for
# $K = 4$ classes, and check the same reasoning against the first point of
# Figure 2.1, which has ten classes.
#
# <details>
# <summary>Solution</summary>
#
# Equal logits give equal probabilities: $q_i = e^0 / (4 e^0) = \tfrac14$ for
# every class, so whatever the label $y$,
# $H = -\ln q_y = \ln 4 \approx 1.386$. A network whose weights and biases
# are all zero outputs the logits $\mathbf{x}W + \mathbf{b} = \mathbf{0}$ for
# every input, so its loss is exactly this: $\ln K$ for $K$ classes. Figure
# 2.1's model has ten classes and starts from zero weights, so its first
# point is $\ln 10 \approx 2.303$.
#
# ```python
# for label in range(4):
#     loss = maths.cross_entropy(np.array([label]), np.zeros((1, 4)),
#                                from_logits=True)
#     print(f"label {label}: {loss:.6f}")
# print(f"ln 4 = {np.log(4):.6f}")
# first_point = tf_curves["logits"][0, 0]
# print(f"Figure 2.1, step 0: {first_point:.6f}; ln 10 = {np.log(10):.6f}")
# ```
#
# </details>

# %%
from course_utils.practice import lesson2 as practice

answer = None  # your answer: a number
practice.exercise_1.check(answer)

# %% [markdown]
# ### Exercise 2.2: Soft labels
#
# Compute the mean loss of `LOGITS` against label-smoothed targets
# $(1 - \varepsilon)\,T + \varepsilon / K$ with $\varepsilon = 0.1$ ($T$
# one-hot, $K = 3$) in NumPy, then with
# `tf.keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)`
# and `nn.CrossEntropyLoss(label_smoothing=0.1)`. Do the three agree?
#
# <details>
# <summary>Solution</summary>
#
# ```python
# smooth = (1 - 0.1) * ONE_HOT + 0.1 / 3
# numpy_smoothed = maths.cross_entropy(smooth, LOGITS, from_logits=True)
# keras_smoothed = float(tf.keras.losses.CategoricalCrossentropy(
#     from_logits=True, label_smoothing=0.1, dtype="float64")(ONE_HOT, LOGITS))
# torch_smoothed = nn.CrossEntropyLoss(label_smoothing=0.1)(
#     logits_t, labels_t).item()
# for name, value in [("NumPy", numpy_smoothed), ("Keras", keras_smoothed),
#                     ("PyTorch", torch_smoothed)]:
#     print(f"{name:8s} {value:.12f}")
# print(f"without smoothing: {reference:.6f}")
# assert math.isclose(keras_smoothed, numpy_smoothed, rel_tol=1e-12)
# assert math.isclose(torch_smoothed, numpy_smoothed, rel_tol=1e-12)
# ```
#
# All three give 1.012842, against 0.934509 without smoothing: they use the
# same rule, mixing the one-hot target with the uniform distribution. The
# interfaces differ: Keras smooths one-hot targets (its
# `SparseCategoricalCrossentropy` has no `label_smoothing`), PyTorch smooths
# integer labels. Smoothing raises the loss of a confident, correct
# prediction, because the target now puts $\varepsilon/K$ on every wrong class,
# so the loss can no longer reach 0.
#
# </details>

# %%
answer = None  # your answer: a number
practice.exercise_2.check(answer)

# %% [markdown]
# ### Exercise 2.3: float32
#
# Repeat the framework comparison with `float32` inputs and Keras's default
# dtype. What relative tolerance do you need now?
#
# <details>
# <summary>Solution</summary>
#
# ```python
# logits32 = LOGITS.astype(np.float32)
# losses32 = {
#     "Keras categorical": tf.keras.losses.CategoricalCrossentropy(
#         from_logits=True)(ONE_HOT, logits32),
#     "Keras sparse": tf.keras.losses.SparseCategoricalCrossentropy(
#         from_logits=True)(LABELS, logits32),
#     "PyTorch CrossEntropyLoss": nn.CrossEntropyLoss()(
#         torch.from_numpy(logits32), labels_t),
#     "PyTorch NLLLoss": nn.NLLLoss()(
#         F.log_softmax(torch.from_numpy(logits32), dim=1), labels_t),
# }
# for name, value in losses32.items():
#     print(f"{name:26s} {float(value):.8f}, relative difference "
#           f"{abs(float(value) - reference) / reference:.1e}")
# print(f"float32 machine epsilon: {np.finfo(np.float32).eps:.1e}")
# ```
#
# Every `float32` loss differs from NumPy's `float64` value by less than one
# `float32` rounding step, about $7 \times 10^{-8}$ relative, against a
# machine epsilon of $1.2 \times 10^{-7}$. The `float64` tolerance of
# $10^{-12}$ fails; a relative tolerance of a few epsilons, such as
# $10^{-6}$, passes with room for larger batches, whose sums collect more
# rounding. Much looser than about $10^{-5}$ would start to hide real mistakes.
#
# </details>

# %%
answer = None  # your answer: the relative tolerance (a number)
practice.exercise_3.check(answer)

# %% [markdown]
# ### Exercise 2.4: Fix the article
#
# Rewrite the article's PyTorch model so that `forward()` returns logits, and
# explain which loss to pair with it. Then keep `log_softmax` and pair it
# with the other loss.
#
# <details>
# <summary>Solution</summary>
#
# Logits go with `nn.CrossEntropyLoss`, which applies the log-softmax itself;
# log-probabilities go with `nn.NLLLoss`, which only picks out $-\log q_y$.
# Both pairs compute the same loss and the same gradients:
#
# ```python
# class LogitsNet(nn.Module):
#     def __init__(self):
#         super().__init__()
#         self.fc1 = nn.Linear(784, 128)
#         self.fc2 = nn.Linear(128, 10)
#
#     def forward(self, x):
#         x = x.view(-1, 784)
#         x = F.relu(self.fc1(x))
#         return self.fc2(x)  # logits: no softmax of any kind
#
#
# class LogProbabilityNet(LogitsNet):
#     def forward(self, x):
#         return F.log_softmax(super().forward(x), dim=1)
#
#
# torch.manual_seed(0)
# logits_net = LogitsNet()
# log_probability_net = LogProbabilityNet()
# log_probability_net.load_state_dict(logits_net.state_dict())
# images = torch.rand(16, 28, 28)
# digits = torch.randint(0, 10, (16,))
# with_logits = nn.CrossEntropyLoss()(logits_net(images), digits)
# with_log_probabilities = nn.NLLLoss()(log_probability_net(images), digits)
# print(f"{with_logits.item():.6f} {with_log_probabilities.item():.6f}")
# torch.testing.assert_close(with_logits, with_log_probabilities)
# answer = logits_net
# ```
#
# </details>

# %%
answer = None  # your answer: your model, e.g. LogitsNet()
practice.exercise_4.check(answer)

# %% [markdown]
# ### Exercise 2.5: Gradient
#
# Verify $\partial H / \partial \mathbf{z} = \operatorname{softmax}(\mathbf{z}) - \mathbf{p}$
# with `course_utils.maths.numerical_gradient` for the worked example
# ($\mathbf{z} = (2.0, 1.0, 0.1)$, true class 0).
#
# <details>
# <summary>Solution</summary>
#
# From the logits, $H = -z_y + \log \sum_j e^{z_j}$. The first term's
# derivative is $-1$ for $i = y$ and 0 otherwise, that is $-p_i$; the second's
# is $e^{z_i} / \sum_j e^{z_j} = \operatorname{softmax}(\mathbf{z})_i$. For the
# worked example the formula gives $(0.659001 - 1,\ 0.242433,\ 0.098566)$.
#
# ```python
# def worked_loss(logits):
#     return maths.cross_entropy(np.array([0]), logits[None, :],
#                                from_logits=True)
#
#
# z_worked = np.array([2.0, 1.0, 0.1])
# numeric = maths.numerical_gradient(worked_loss, z_worked)
# analytic = maths.softmax(z_worked) - np.eye(3)[0]
# print("numerical:", np.round(numeric, 6))
# print("formula:  ", np.round(analytic, 6))
# print(f"relative error {maths.relative_error(analytic, numeric):.1e}")
# answer = numeric
# ```
#
# The two agree to about $10^{-10}$ relative: the formula is right. The
# components sum to 0, as they must: adding the same number to every logit
# changes nothing.
#
# </details>

# %%
answer = None  # your answer: the gradient, three numbers
practice.exercise_5.check(answer)

# %% [markdown]
# ## Summary
#
# * Cross-entropy is $-\sum_i p_i \log q_i$; for one-hot targets it is the
#   negative log-probability of the true class, and its gradient with respect
#   to the logits is simply $\operatorname{softmax}(\mathbf{z}) - p$.
# * NumPy, the four Keras variants and PyTorch's `CrossEntropyLoss` and
#   `NLLLoss` give the same value to 12 significant digits in `float64`.
# * Compute it from logits with log-sum-exp: the naive formula returns `nan` or
#   `inf` for logits in the hundreds, while the stable form stays exact.
# * Pass logits to losses that expect logits; a softmax too many slows learning
#   and puts a floor under the loss. The article's `log_softmax` +
#   `CrossEntropyLoss` only works because log-softmax is idempotent.
# * Binary cross-entropy is the two-class case; prefer the logit forms
#   (`from_logits=True`, `BCEWithLogitsLoss`) to avoid clipping.
#
# Next: Lesson 3 puts activations and loss together in the five training steps.
