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
# # Lesson 7: Scale, measured
#
# **Article sections covered:** section 2, *core concepts* (a large model has
# many parameters and needs much data and computation: see the book's
# {doc}`../core_concepts`), section 7, *summary and outlook* (performance
# keeps rising with parameters, data and compute, and compute is the cost),
# and the question of section 8, *frequently asked questions*, of how large
# models are trained and what that costs. The article states these claims;
# this lesson measures them on MNIST and then does the arithmetic for GPT-3.
#
# **After this lesson you can**
#
# 1. count a model's training compute with $C \approx 6ND$ and derive it from
#    the five training steps of Lesson 3;
# 2. run a width sweep and a data sweep with one fixed recipe, fit
#    $L(x) = L_\infty + a\,x^{-\alpha}$ with `scipy.optimize.curve_fit`, and
#    read the standard errors and residuals;
# 3. say where a power law holds and where it bends, and why;
# 4. run an isoFLOP experiment in the manner of Chinchilla and fit how the
#    best model size grows with compute;
# 5. estimate the compute, memory, number of accelerators and days that a
#    model such as GPT-3 needs.
#
# **Time needed:** about 45 minutes to read and run; the notebook executes
# in about a minute and a half on a 2-core laptop CPU. The full sweeps take
# longer, so `benchmarks/scaling.py` runs them once and stores the results;
# this notebook runs smaller sweeps live and draws them next to the stored ones.
# **Requirements:** TensorFlow and PyTorch (CPU), SciPy, Matplotlib, under
# 2 GB of memory, and the MNIST files (about 11 MB; downloaded once, or read
# from `$COURSE_DATA_DIR` offline, see the README).

# %% [markdown]
# ## Setup
#
# The sweeps below train in one framework, chosen here: TensorFlow, because
# its training loop runs as one compiled graph and is the faster of the two
# on a small CPU (the stored full sweeps used it too). Set
# `FRAMEWORK = "pytorch"` to run every sweep in PyTorch instead; the section
# *TensorFlow and PyTorch side by side* shows that both compute the same runs.

# %%
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # no C++ log lines from TensorFlow

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import curve_fit

import course_utils
from course_utils import mnist_models, scaling, scaling_plots

FRAMEWORK = "tensorflow"  # or "pytorch": every live sweep below uses it

# %% tags=["tensorflow"]
from course_utils import tf_scaling

# %% tags=["pytorch"]
import torch

from course_utils import torch_scaling

# These models are small: splitting each product over two cores costs more in
# coordination than it saves (much more when other programs are busy).
torch.set_num_threads(1)

# %%
print("seeded:", course_utils.seed_everything(0))

# %% tags=["nbval-ignore-output"]
course_utils.versions()

# %%
(images, labels), (test_images, test_labels) = course_utils.load_mnist()
x_train = scaling.flatten_images(images)
x_test = scaling.flatten_images(test_images)
y_train, y_test = labels.astype(np.int64), test_labels.astype(np.int64)
print("training:", x_train.shape, x_train.dtype, " test:", x_test.shape)

# %% [markdown]
# ## The idea
#
# **Three quantities.** A model has $N$ parameters; training shows it $D$
# examples (tokens, for a language model; images here, counting repeats); and
# that costs $C$ floating-point operations. {cite:t}`kaplan2020` found that
# a language model's test loss falls as a power law in each of $N$, $D$ and
# $C$ when the other two are not the bottleneck. With an offset for the loss
# that no model can remove,
#
# $$
# L(x) = L_\infty + a\, x^{-\alpha}, \qquad x \in \{N, D\}.
# $$
#
# On log-log axes $L - L_\infty$ is a straight line of slope $-\alpha$: each
# tenfold increase of $x$ removes the same fraction $1 - 10^{-\alpha}$ of the
# loss that is left above $L_\infty$.
#
# **Compute is $6ND$.** Take one dense layer of Lesson 3, $\mathbf{z} =
# \mathbf{x}W$ with $W$ of $n_\text{in} \times n_\text{out}$ weights. Per
# example, the forward pass does one multiplication and one addition per
# weight: $2 n_\text{in} n_\text{out}$ operations. The backward pass needs two
# products of the same size, $\partial L/\partial W = \mathbf{x}^\top
# \boldsymbol{\delta}$ and $\partial L/\partial \mathbf{x} =
# \boldsymbol{\delta} W^\top$: another $4 n_\text{in} n_\text{out}$. Summed
# over the layers, and with biases and activations negligible, a training
# step costs about $6N$ operations per example, so
#
# $$
# C \approx 6\,N\,D .
# $$
#
# The first layer needs no gradient for its input (the pixels are not
# trained), so for the MLP the exact count of matrix-product work is a little
# less; `mnist_models.training_flops_per_example` counts it.
#
# **Spending a fixed budget.** For a budget $C$, a model of $N$ parameters
# may see $D = C/(6N)$ examples. Too small a model cannot use the data; too
# large a model sees too little of it. In between lies a loss-minimising
# size $N^*(C)$. {cite:t}`hoffmann2022` measured it for language models
# (their *isoFLOP* curves) and found $N^* \propto C^{a}$ with $a \approx 0.5$:
# the parameters and the data should grow in equal proportion.

# %% [markdown]
# ## NumPy: the compute count and the fit
#
# First the derivation, checked: for every width of the sweeps, the exact
# count of the matrix products in one training step is about two thirds of
# $6N$ for this network, because of the missing input gradient of the first
# layer (a language model's layers all need theirs, so there the rule is
# closer).

# %%
for hidden in (4, 32, 128, 512):
    n = scaling.mlp_parameters(hidden)
    exact = mnist_models.training_flops_per_example((784, hidden, 10))
    print(
        f"width {hidden:3d}: N = {n:7,d}, 6N = {6 * n:9,d}, "
        f"counted = {exact:9,d}, ratio {exact / (6 * n):.3f}"
    )
    assert 0.6 < exact / (6 * n) < 0.7
print("the matrix products of one step cost between 0.6 and 0.7 times 6N")

# %% [markdown]
# Next the fit. `scipy.optimize.curve_fit` finds the parameters that
# minimise the squared residuals and returns their covariance matrix; the
# square roots of its diagonal are the standard errors. Fitting in $N$
# directly is badly conditioned (a is multiplied by numbers like
# $10^{5\alpha}$), so the reference below, written out in full, fits in
# $u = N/N_0$ with $N_0$ the geometric mean of the sizes, and converts back.
# It is tried on synthetic losses drawn from a known law with 0.5 % noise:
# the fit must recover the truth within its own error bars, and the library's
# `scaling.fit_power_law` must give the same numbers.

# %%
rng = np.random.default_rng(0)
n_syn = np.geomspace(3e3, 4e5, 8)
truth = {"l_inf": 0.06, "a": 30.0, "alpha": 0.5}
noise = 1 + 0.005 * rng.standard_normal(n_syn.size)
loss_syn = scaling.power_law(n_syn, *truth.values()) * noise

n0 = np.exp(np.mean(np.log(n_syn)))
popt, pcov = curve_fit(
    lambda u, l, A, al: l + A * u**-al,
    n_syn / n0,
    loss_syn,
    p0=[0.03, 0.1, 0.3],
    bounds=([0, 0, 0], [np.inf, np.inf, 5]),
)
reference = {"l_inf": popt[0], "a": popt[1] * n0 ** popt[2], "alpha": popt[2]}
fit_syn = scaling.fit_power_law(n_syn, loss_syn)
print("library:  ", fit_syn.describe())
for name, value in truth.items():
    estimate, error = getattr(fit_syn, name), fit_syn.stderr[name]
    print(
        f"{name:5s}: true {value:6.3f}, fitted {estimate:6.3f} ± "
        f"{error:.3f} ({abs(estimate - value) / error:.1f} standard errors)"
    )
    assert abs(estimate - value) < 3 * error
    np.testing.assert_allclose(estimate, reference[name], rtol=1e-4)
print(
    "the fit recovers the known law within 3 standard errors, and the "
    "library agrees with the reference to 1e-4"
)

# %% [markdown]
# ## TensorFlow and PyTorch side by side
#
# One run of the sweeps is `train_mlp(...)`: build a 784-$h$-10 MLP from
# the seeded initial weights of `scaling.initial_parameters` (the same
# numbers in both frameworks), train it with the one fixed recipe
# `scaling.RECIPE` on the batches of `scaling.batch_indices`, and measure the
# cross-entropy on the 10,000 test images. The recipe is SGD with momentum
# 0.9 on batches of 128, with a learning rate that falls from 0.1 to 0 along
# half a cosine over the run, whatever its length, as Chinchilla's runs did.
# The Keras version runs the whole loop inside one `tf.function`; the PyTorch
# version is the five-line loop of Lesson 5. Read them with
# `tf_scaling.train_mlp??` and `torch_scaling.train_mlp??`.

# %% tags=["tensorflow", "nbval-ignore-output"]
tf_run = tf_scaling.train_mlp(
    x_train, y_train, x_test, y_test, hidden=32, examples=12_800
)
print({k: round(v, 5) for k, v in tf_run.items() if k != "seconds"})

# %% tags=["pytorch", "nbval-ignore-output"]
torch_run = torch_scaling.train_mlp(
    x_train, y_train, x_test, y_test, hidden=32, examples=12_800
)
print({k: round(v, 5) for k, v in torch_run.items() if k != "seconds"})

# %% [markdown]
# `scaling.train_mlp(..., framework=...)` calls one or the other. On a small
# width sweep the two frameworks must trace the same curve: the same test
# loss at every width, up to `float32` rounding, which after 100 steps of
# momentum stays far below the differences between widths.

# %% tags=["nbval-ignore-output"]
AGREE_RTOL = 2e-3
agree_widths = (8, 32, 128)
curves = {}
for fw, width_32 in [("pytorch", torch_run), ("tensorflow", tf_run)]:
    runs = {
        h: scaling.train_mlp(
            x_train,
            y_train,
            x_test,
            y_test,
            hidden=h,
            examples=12_800,
            framework=fw,
        )
        for h in agree_widths
        if h != 32
    }
    runs[32] = width_32  # the run of the cells above
    curves[fw] = np.array([runs[h]["test_loss"] for h in agree_widths])
for h, a, b in zip(agree_widths, curves["pytorch"], curves["tensorflow"]):
    print(f"width {h:3d}: PyTorch {a:.5f}, TensorFlow {b:.5f}")
np.testing.assert_allclose(
    curves["tensorflow"], curves["pytorch"], rtol=AGREE_RTOL
)
gaps = np.abs(np.diff(curves["pytorch"]))
assert gaps.min() > 10 * AGREE_RTOL * curves["pytorch"].max()
print(
    f"both frameworks agree within rtol={AGREE_RTOL:g} at every width, "
    "and each width differs from the next by more than ten times that"
)

# %% [markdown]
# ## The stored full sweeps
#
# The full sweeps train 55 models and take longer than a lesson should, so
# `benchmarks/scaling.py` ran them once, on a 2-core machine shared with
# other work, and stored every run in `benchmarks/results/scaling.json` with
# the command, date, versions, seeds and machine. The lesson reads that file
# and plots nothing that the script did not produce; the smaller live sweeps
# below are computed now, in this notebook.

# %%
stored = scaling.load_results()
print("command: ", stored["command"])
for key in ("date", "framework", "seeds", "machine", "versions"):
    print(f"{key:9s}", stored["provenance"][key])
counts = {
    k: len(stored[k]["runs"]) for k in ("width_sweep", "data_sweep", "isoflop")
}
print("runs:", counts, "in all:", sum(counts.values()))
assert sum(counts.values()) == 55

# %% [markdown]
# ## Sweep 1: width
#
# Eight widths from 4 to 512 hidden units, $N$ from 3,190 to 407,050
# parameters (128 times), every one trained on all 60,000 training images
# for 300,000 examples seen (5 epochs), two seeds each. The live sweep uses
# four widths and 30,000 examples seen (half an epoch).

# %%
width_runs = stored["width_sweep"]["runs"]
n_full, loss_full, spread_full = scaling.average_runs(width_runs, "parameters")
assert len(n_full) >= 7 and n_full.max() / n_full.min() >= 64
fit_n = scaling.fit_power_law(n_full, loss_full)
print("L(N):", fit_n.describe())
print("     N    mean loss   seed spread   residual")
for n, l, s, r in zip(n_full, loss_full, spread_full, fit_n.residuals):
    print(f"{n:8,.0f}   {l:.4f}      ±{s:.4f}     {r:+.4f}")

# %% tags=["nbval-ignore-output"]
LIVE_WIDTHS, LIVE_EXAMPLES = (4, 16, 64, 256), 30_000
live_width = [
    scaling.train_mlp(
        x_train,
        y_train,
        x_test,
        y_test,
        hidden=h,
        examples=LIVE_EXAMPLES,
        framework=FRAMEWORK,
    )
    for h in LIVE_WIDTHS
]
n_live = np.array([r["parameters"] for r in live_width], dtype=float)
loss_live = np.array([r["test_loss"] for r in live_width])
stored_at = dict(zip(n_full, loss_full))
for r in live_width:
    print(
        f"width {r['hidden']:3d}: half an epoch {r['test_loss']:.4f}, "
        f"5 epochs (stored) {stored_at[r['parameters']]:.4f}"
    )
assert all(np.diff(loss_live) < 0), loss_live
print("live: the loss falls with every step up in width")

# %%
fig = scaling_plots.plot_scaling(
    {
        "stored: 5 epochs, mean of 2 seeds": (n_full, loss_full),
        "this run: half an epoch": (n_live, loss_live),
    },
    fit_n,
    xlabel="parameters N",
    title="Test loss against model size, one fixed recipe",
)
plt.show()

# %% [markdown]
# **Figure 7.1.** Test loss of MNIST MLPs against their parameter count on
# log-log axes (left): the stored sweep of eight widths (blue circles, each
# the mean of two seeds), the power law fitted to it (black line) with its
# asymptote $L_\infty$ (dotted), and the live half-epoch sweep of this run
# (vermillion squares). Right: the residuals of the fit, measured minus
# fitted loss, for the stored sweep. The loss falls steeply over the small
# models and flattens over the largest, where the fitted curve approaches
# its floor.
#
# **Where the law holds and where it bends.** Over the small and middle
# widths the law follows the points to a few thousandths of a nat. The
# residuals are not random, though: the two widest models lie *below* the
# fitted curve, and the widest even below the fitted floor $L_\infty$, so the
# measured curve bends more sharply than one power law with a floor can (the
# cell below checks both). The largest models are limited by data: every
# model sees the same 60,000 digits five times, and what a wider network adds
# is mostly the capacity to fit those digits more closely, not to generalise
# better. The same cell measures that directly, as the gap between the loss
# on the last training batches and the test loss.

# %%
last = {}
for r in width_runs:
    last.setdefault(r["parameters"], []).append(r["train_loss"])
print("     N   train loss   test loss   gap")
for n, l in zip(n_full, loss_full):
    train = np.mean(last[n])
    print(f"{n:8,.0f}   {train:.4f}      {l:.4f}     {l - train:+.4f}")
gain = 1 - loss_full[1:] / loss_full[:-1]
print(
    "loss removed by each doubling of width:",
    " ".join(f"{g:.0%}" for g in gain),
)
assert gain[:3].min() > 0.2 and gain[-1] < 0.1
gap_small = loss_full[0] - np.mean(last[n_full[0]])
gap_large = loss_full[-1] - np.mean(last[n_full[-1]])
assert gap_large > gap_small
assert fit_n.residuals[-2:].max() < 0 and loss_full[-1] < fit_n.l_inf
print(
    f"residuals of the two widest: {fit_n.residuals[-2]:+.4f}, "
    f"{fit_n.residuals[-1]:+.4f}; widest loss {loss_full[-1]:.4f} < "
    f"L_inf {fit_n.l_inf:.4f}"
)
print(
    "the first three doublings each remove more than 20 % of the loss, the "
    "last less than 10 %; the largest model's test loss lies further above "
    "its training loss than the smallest's"
)

# %% [markdown]
# The smallest models are limited by capacity: their training loss is as high
# as their test loss. The largest are limited by data: their training loss
# keeps falling but their test loss does not. A power law in $N$ alone
# describes the first regime; in the second, only more data (or
# regularisation) helps. {cite:t}`kaplan2020` saw the same bend and described
# it with a joint law in $N$ and $D$.

# %% [markdown]
# ## Sweep 2: data
#
# Width 128 fixed; the first 1,000, 2,000, 5,000, 10,000, 20,000 and 60,000
# training images, each trained for the same 300,000 examples seen (so a small
# training set is repeated many times), two seeds each. The live sweep uses
# four sizes and 30,000 examples seen.

# %%
data_runs = stored["data_sweep"]["runs"]
d_full, loss_d, spread_d = scaling.average_runs(data_runs, "train_size")
assert len(d_full) >= 5 and d_full.min() <= 1_000 and d_full.max() >= 60_000
fit_d = scaling.fit_power_law(d_full, loss_d)
print("L(D):", fit_d.describe())
print("      D    mean loss   seed spread   residual")
for d, l, s, r in zip(d_full, loss_d, spread_d, fit_d.residuals):
    print(f"{d:8,.0f}   {l:.4f}      ±{s:.4f}     {r:+.4f}")
assert all(np.diff(loss_d) < 0)
print("the test loss falls with every increase of the training set")

# %% tags=["nbval-ignore-output"]
LIVE_SIZES = (1_000, 4_000, 15_000, 60_000)
live_data = [
    scaling.train_mlp(
        x_train[:d],
        y_train[:d],
        x_test,
        y_test,
        hidden=stored["data_sweep"]["hidden"],
        examples=LIVE_EXAMPLES,
        framework=FRAMEWORK,
    )
    for d in LIVE_SIZES
]
loss_live_d = np.array([r["test_loss"] for r in live_data])
for d, l in zip(LIVE_SIZES, loss_live_d):
    print(f"{d:6,d} images: test loss {l:.4f}")
assert all(np.diff(loss_live_d[:3]) < 0), loss_live_d
level = abs(loss_live_d[3] / loss_live_d[2] - 1)
assert level < 0.05, loss_live_d
print(f"live: 60,000 images end within {level:.1%} of 15,000")

assert fit_d.l_inf < fit_d.stderr["l_inf"]
print(
    f"L_inf = {fit_d.l_inf:.4f} ± {fit_d.stderr['l_inf']:.4f}: "
    "not distinguishable from 0"
)

fig = scaling_plots.plot_scaling(
    {
        "stored: 300,000 examples seen": (d_full, loss_d),
        "this run: 30,000 examples seen": (
            np.array(LIVE_SIZES, float),
            loss_live_d,
        ),
    },
    fit_d,
    xlabel="training images D",
    title="Test loss against training-set size, width 128",
)
plt.show()

# %% [markdown]
# **Figure 7.2.** Test loss of the width-128 MLP against the number of
# distinct training images on log-log axes (left): the stored sweep (blue
# circles, mean of two seeds), its power-law fit (black) and floor (dotted),
# and the live sweep (vermillion squares). Right: the residuals of the fit.
# More data lowers the loss at every step; with few images, training for
# 300,000 examples means repeating them many times, and the network learns
# them by heart, which raises its test loss.
#
# The live sweep adds a lesson of its own. With only 30,000 examples seen,
# a training set of 60,000 images cannot even be seen once, so its last
# point is limited by compute, not data, and ends level with the 15,000-image
# run (within 5 %, checked above): more data helps only when the budget lets
# the model look at it.
#
# In the stored sweep the amount of data, not the model, limits the loss at
# every point: 128 hidden units are enough to fit even 60,000 digits, so the curve keeps
# falling as long as there is new data to show. Six sizes cannot pin down
# three parameters well: the fitted floor $L_\infty$ sits at its lower bound
# of 0, and its standard error is larger than the value (checked below), so
# the data sweep measures the exponent but says nothing about a floor; that
# would need more data than MNIST has.

# %% [markdown]
# ## Sweep 3: isoFLOP
#
# For each of four budgets $C$ from $3 \times 10^9$ to $10^{11}$ FLOPs,
# `benchmarks/scaling.py` trained every width of 2, 4, 8, ..., 1024 whose
# $D = C/(6N)$ lies between 10,000 and 2,000,000 examples: the smallest
# models see the most examples (many epochs), the largest the fewest. Within
# one budget the loss against $\log N$ is a valley; like {cite:t}`hoffmann2022`
# we fit a parabola to each valley and take its lowest point as $N^*(C)$;
# the valleys are lopsided (far too small a model is much worse than far
# too large a one), so each parabola is fitted to the five sizes around the
# lowest measured loss only.
# The live sweep repeats this for one smaller budget, $5 \times 10^8$.

# %%
WINDOW = 5  # fit each parabola to the five sizes around the lowest loss
iso_runs = stored["isoflop"]["runs"]
budgets = stored["isoflop"]["budgets"]
iso_curves, optima = {}, {}
for c in budgets:
    runs = [r for r in iso_runs if r["budget"] == c]
    n = np.array([r["parameters"] for r in runs], dtype=float)
    loss = np.array([r["test_loss"] for r in runs])
    assert len(runs) >= 5
    # D is rounded down to whole batches of 128, so C is met within 2 %
    assert np.allclose(
        [6 * r["parameters"] * r["examples"] for r in runs], c, rtol=0.02
    )
    iso_curves[c] = (n, loss)
    optima[c] = scaling.isoflop_optimum(n, loss, window=WINDOW)
    print(
        f"C = {c:.0e}: {len(runs)} sizes from {n.min():,.0f} to "
        f"{n.max():,.0f}; N* = {optima[c].parameters:,.0f}, "
        f"loss {optima[c].loss:.4f}, inside the sweep: {optima[c].interior}"
    )
    assert optima[c].interior
n_star = np.array([optima[c].parameters for c in budgets])
fit_c = scaling.fit_exponent(budgets, n_star)
print(
    f"N* ∝ C^a with a = {fit_c.exponent:.3f} ± {fit_c.exponent_stderr:.3f}"
    f" (Chinchilla: about 0.5); difference "
    f"{abs(fit_c.exponent - 0.5) / fit_c.exponent_stderr:.1f} "
    "standard errors"
)
assert (0.5 - fit_c.exponent) / fit_c.exponent_stderr > 3
assert 0.3 < fit_c.exponent < 0.5

# %% tags=["nbval-ignore-output"]
LIVE_BUDGET = 5e8
live_iso = [
    scaling.train_mlp(
        x_train,
        y_train,
        x_test,
        y_test,
        hidden=h,
        framework=FRAMEWORK,
        examples=round(
            scaling.isoflop_examples(LIVE_BUDGET, scaling.mlp_parameters(h))
        ),
    )
    for h in (1, 2, 4, 8, 16)
]
n_iso = np.array([r["parameters"] for r in live_iso], dtype=float)
loss_iso = np.array([r["test_loss"] for r in live_iso])
for r in live_iso:
    print(
        f"width {r['hidden']:2d}: N = {r['parameters']:6,d}, "
        f"D = {r['examples']:7,d}, C = {r['compute']:.2e}, "
        f"loss {r['test_loss']:.4f}"
    )
live_opt = scaling.isoflop_optimum(n_iso, loss_iso)
print(
    f"live budget {LIVE_BUDGET:.0e}: N* = {live_opt.parameters:,.0f}, "
    f"inside the sweep: {live_opt.interior}"
)

# %%
fig = scaling_plots.plot_isoflop(
    iso_curves,
    optima,
    fit_c,
    live={LIVE_BUDGET: (n_iso, loss_iso)},
    title="IsoFLOP curves: the best model size for each compute budget",
)
plt.show()

# %% [markdown]
# **Figure 7.3.** Left: test loss against parameters $N$ at fixed compute,
# one curve per stored budget (filled markers; the line is the parabola in
# $\log N$ fitted to each, the star its minimum) and the live budget of
# $5 \times 10^8$ FLOPs (hollow purple circles). Right: the loss-minimising size
# $N^*$ of each stored budget against the budget (stars), the fitted power
# law (black) and a line of slope 0.5 for comparison (vermillion, dashed).
# Every budget has its best model in the middle of its range: smaller models
# waste compute on data they cannot use, larger ones see too little data.
#
# **What the exponent says.** Hoffmann et al. found 0.46 to 0.50 by their
# three methods (their Table 2). The MNIST exponent printed above lies
# between 0.3 and 0.5 (asserted), below 0.5 by more than three of its
# standard errors: here the best model grows more slowly with compute than
# Chinchilla's did, and extra compute is better spent on more passes over
# the data than on width, as far as four budgets can tell.
#
# **Caveats.** The fitted exponent comes from four budgets spanning a factor
# of 33 in compute, and its standard error, printed above, is honest about
# that. More importantly, an MLP on MNIST is not a language model: MNIST has
# only 60,000 training images, so the smaller models repeat them for many
# epochs, whereas Chinchilla's runs saw each token about once; the loss has a
# floor set by ambiguous digits; and the recipe was not tuned per size. The
# experiment shows the *method* and the shape of the trade-off, not
# Chinchilla's number.

# %% [markdown]
# ## The arithmetic of real large models
#
# The same formulas, applied to GPT-3 {cite:p}`brown2020`: 175 billion
# parameters trained on 300 billion tokens. Each figure is computed here; the
# sources of the inputs are cited in `course_utils.scaling`.
#
# **Compute.** $6ND$, compared with the $3.14 \times 10^{23}$ FLOPs that
# Brown et al. report for GPT-3 175B (their Table D.1).

# %%
gpt3_flops = scaling.training_compute(
    scaling.GPT3_PARAMETERS, scaling.GPT3_TOKENS
)
ratio = gpt3_flops / scaling.GPT3_REPORTED_FLOPS
print(
    f"6 N D = {gpt3_flops:.3e} FLOPs; reported "
    f"{scaling.GPT3_REPORTED_FLOPS:.2e}; ratio {ratio:.4f}"
)
assert abs(ratio - 1) < 0.01
print("6ND matches the reported training compute within 1 %")

# %% [markdown]
# **Memory.** Weights in 16-bit floating point take 2 bytes each. Training
# with Adam in mixed precision keeps, per parameter, the fp16 weight and
# gradient (2 + 2 bytes) and an fp32 master weight, momentum and variance
# (4 + 4 + 4 bytes): 16 bytes {cite:p}`rajbhandari2020`, before counting
# the activations. How many accelerators of 80 GB (an A100 80GB, say) hold
# that?

# %%
weights_bytes = scaling.GPT3_PARAMETERS * scaling.BYTES_PER_PARAMETER_FP16
train_bytes = scaling.GPT3_PARAMETERS * scaling.BYTES_PER_PARAMETER_MIXED_ADAM
for label, size in [
    ("fp16 weights", weights_bytes),
    ("mixed-precision Adam state", train_bytes),
]:
    devices = scaling.accelerators_needed(size, 80e9)
    print(
        f"{label:27s}: {size / 1e9:6,.0f} GB -> at least {devices} "
        "accelerators of 80 GB"
    )
assert scaling.accelerators_needed(weights_bytes) == 5
assert scaling.accelerators_needed(train_bytes) == 35

# %% [markdown]
# So even to *hold* GPT-3 for inference takes five such devices, and the
# training state alone 35, before any activations. Real runs spread the work
# over far more devices, for speed.
#
# **Time.** An NVIDIA A100's dense bf16 peak is 312 TFLOP/s
# {cite:p}`nvidia2020a100`. Large training runs sustain a fraction of the
# peak; take 40 %, and 1,024 devices.

# %%
PEAK, UTILISATION, DEVICES = scaling.A100_PEAK_BF16_FLOPS, 0.4, 1024
days = scaling.training_days(
    gpt3_flops, devices=DEVICES, peak_flops=PEAK, utilisation=UTILISATION
)
one = scaling.training_days(
    gpt3_flops, devices=1, peak_flops=PEAK, utilisation=UTILISATION
)
print(
    f"{DEVICES} A100s at {UTILISATION:.0%} of {PEAK / 1e12:.0f} TFLOP/s: "
    f"{days:.1f} days"
)
print(f"one A100 at the same utilisation: {one / 365.25:.0f} years")
assert 25 < days < 35

# %% [markdown]
# **Data.** Chinchilla's rule of thumb is about 20 training tokens per
# parameter {cite:p}`hoffmann2022`: the 70-billion-parameter Chinchilla saw
# 1.4 trillion tokens. GPT-3 saw far fewer per parameter.

# %%
per_param = scaling.GPT3_TOKENS / scaling.GPT3_PARAMETERS
optimal = scaling.compute_optimal_tokens(scaling.GPT3_PARAMETERS)
print(
    f"GPT-3: {per_param:.1f} tokens per parameter; a compute-optimal "
    f"175e9-parameter model: {optimal:.2e} tokens"
)
print(
    f"Chinchilla: {scaling.compute_optimal_tokens(70e9):.2e} tokens "
    "for 70e9 parameters"
)
budget_n = np.sqrt(gpt3_flops / (6 * 20))
print(
    f"with GPT-3's compute, 20 tokens per parameter means N = "
    f"{budget_n:.2e} on {20 * budget_n:.2e} tokens"
)
assert per_param < 2 and abs(optimal - 3.5e12) < 1e9
assert 5.0e10 < budget_n < 5.2e10 and 1.0e12 < 20 * budget_n < 1.05e12

# %% [markdown]
# With $C = 6ND$ and $D = 20N$, a budget $C$ buys $N = \sqrt{C/120}$: for
# GPT-3's compute a model of about 51 billion parameters trained on a
# trillion tokens, the last line above. That is the sense in which
# {cite:t}`hoffmann2022` called earlier models too big for their data.

# %% [markdown]
# ## Pitfalls
#
# 1. **Changing the recipe with the size.** A scaling law compares models,
#    so everything except the swept quantity must stay fixed: the optimizer,
#    the batch size, the learning-rate schedule (stretched to each run's
#    length), the data order. Tuning the large models harder than the small
#    ones steepens the curve artificially.
# 2. **Fitting a straight line to $\log L$.** Without the offset
#    $L_\infty$, a curve that flattens towards a floor looks like a power law
#    whose exponent keeps shrinking; with it, three parameters need more
#    points than a handful, and their standard errors say how well the data
#    pin them down.
# 3. **Reading the law past its data.** A fit over two decades says nothing
#    certain about the third. The width sweep bends where the data run out;
#    a law fitted only to its small models would predict the large ones too
#    well.
# 4. **Counting epochs as new data.** $D$ in $6ND$ counts examples *seen*;
#    the data sweep's $D$ counts *distinct* examples. Repeating 1,000 images
#    300 times costs as much compute as 300,000 new ones but teaches much
#    less.
# 5. **Forgetting optimizer state.** Memory for training is not the weights:
#    Adam in mixed precision needs about 16 bytes a parameter, eight times
#    the fp16 weights, plus activations.
# 6. **Peak FLOP/s are not achieved FLOP/s.** Divide by the peak and the
#    estimate is a lower bound; real training sustains a fraction of it
#    (here assumed 40 %).

# %% [markdown]
# ## Exercises
#
# These are for practice; each has a worked solution to unfold and, where
# the answer is a number or a function, a self-check. The graded version is
# `assignments/source/07_scaling_laws.py`.
#
# ### Exercise 7.1: the compute of one run
# What is the training compute $C = 6ND$, in FLOPs, of the width-64 model of
# the width sweep (300,000 examples seen)?
#
# <details>
# <summary>Solution</summary>
#
# $N = 784 \cdot 64 + 64 + 64 \cdot 10 + 10 = 50{,}890$ and $D = 300{,}000$,
# so $C = 6 \cdot 50{,}890 \cdot 300{,}000 \approx 9.16 \times 10^{10}$ FLOPs.
#
# ```python
# answer = 6 * scaling.mlp_parameters(64) * 300_000
# ```
#
# </details>

# %% tags=["practice"]
from course_utils.practice import lesson7 as practice

answer = None  # your number of FLOPs
practice.exercise_1.check(answer)

# %% [markdown]
# ### Exercise 7.2: examples for a budget
# Write `examples_for_budget(budget, hidden)`: how many examples a
# 784-`hidden`-10 MLP may see within `budget` FLOPs.
#
# <details>
# <summary>Solution</summary>
#
# Solve $C = 6ND$ for $D$ with $N = 795h + 10$ (weights and biases of both
# layers):
#
# ```python
# def examples_for_budget(budget, hidden):
#     return budget / (6 * (795 * hidden + 10))
# ```
#
# </details>

# %% tags=["practice"]
examples_for_budget = None  # your function
practice.exercise_2.check(examples_for_budget)

# %% [markdown]
# ### Exercise 7.3: Chinchilla's training state
# Chinchilla has 70 billion parameters. How many accelerators of 80 GB does
# its mixed-precision Adam state (16 bytes a parameter) need at least?
#
# <details>
# <summary>Solution</summary>
#
# $16 \times 70 \times 10^9 = 1.12 \times 10^{12}$ bytes; divided by
# $80 \times 10^9$ that is exactly 14, so 14 devices, before activations.
#
# ```python
# answer = scaling.accelerators_needed(16 * 70e9, 80e9)
# ```
#
# </details>

# %% tags=["practice"]
answer = None  # your whole number of devices
practice.exercise_3.check(answer)

# %% [markdown]
# ### Exercise 7.4: the law itself
# Write `power_law(n, l_inf, a, alpha)` returning $L_\infty + a\,n^{-\alpha}$
# for a number or a NumPy array `n`. Then fit it with `curve_fit` to the
# stored width sweep using only its four smallest models. What exponent do
# you get, and how well does it predict the largest model?
#
# <details>
# <summary>Solution</summary>
#
# ```python
# def power_law(n, l_inf, a, alpha):
#     return l_inf + a * np.power(n, -alpha)
#
# small = scaling.fit_power_law(n_full[:4], loss_full[:4])
# print(small.describe(), small.predict(n_full[-1]), loss_full[-1])
# ```
#
# With four points for three parameters the standard errors are large, and
# the prediction for the largest model differs from what was measured,
# because the small models have not reached the bend (Pitfall 3).
#
# </details>

# %% tags=["practice"]
power_law = None  # your function
practice.exercise_4.check(power_law)

# %% [markdown]
# ### Exercise 7.5: GPT-3, compute-optimally
# By Chinchilla's rule of about 20 tokens per parameter, how many tokens
# should a 175-billion-parameter model be trained on?
#
# <details>
# <summary>Solution</summary>
#
# $20 \times 175 \times 10^9 = 3.5 \times 10^{12}$ tokens, nearly twelve
# times the 300 billion GPT-3 saw.
#
# </details>

# %% tags=["practice"]
answer = None  # your number of tokens
practice.exercise_5.check(answer)

# %% [markdown]
# ### Exercise 7.6: another budget (no self-check)
# Run `python benchmarks/scaling.py --sweeps isoflop --output /tmp/iso.json`
# after adding a budget of $3 \times 10^{11}$ to `BUDGETS`, and refit the
# exponent. Does it move towards 0.5 or away, and by more than its standard
# error?
#
# <details>
# <summary>Solution</summary>
#
# The answer depends on the run; what matters is the comparison of the
# change with the standard error. With five budgets instead of four the
# error shrinks, and if the exponent moves by less than one standard error
# the new point agrees with the old fit. At large budgets the smallest
# models see millions of examples, many epochs of MNIST, so the data-limited
# regime of Sweep 1 starts to shape the valley.
#
# </details>

# %% [markdown]
# ## Summary
#
# * Training costs about $C = 6ND$ operations: 2 per parameter per example
#   forward, 4 backward.
# * With one fixed recipe, the test loss of MNIST MLPs falls with size and
#   with data along $L = L_\infty + a\,x^{-\alpha}$; the fit's standard errors
#   and residuals show how far to trust it. The width sweep bends where the
#   60,000 training images, not the model, limit the loss.
# * At fixed compute there is a best model size; on MNIST it grows with the
#   budget as a power of it, measured here and set beside Chinchilla's 0.5 with
#   the caveats of a small, repeated data set.
# * GPT-3's $6ND \approx 3.15 \times 10^{23}$ FLOPs matches its reported
#   compute; its Adam training state needs at least 35 accelerators of 80 GB,
#   and 1,024 A100s at 40 % of peak take about a month.
# * Chinchilla's 20 tokens per parameter would have trained GPT-3's size on
#   3.5 trillion tokens.
