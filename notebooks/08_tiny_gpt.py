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
# # Lesson 8: attention and a tiny language model
#
# **Article section covered:** section 5.2, where the article names the
# transformer and GPT-3 as the models behind today's language systems. This
# lesson builds a small model of that family, a decoder-only transformer, and
# trains it on Shakespeare in both frameworks.
#
# **After this lesson you can**
#
# 1. state next-character prediction as the cross-entropy of Lesson 2 and
#    compute two baselines: a uniform guess and a bigram count model;
# 2. write scaled dot-product self-attention with a causal mask in NumPy and
#    show that PyTorch and Keras compute the same numbers;
# 3. build a GPT (embeddings, pre-norm blocks of attention and an MLP, a
#    language-model head) in PyTorch and in Keras, copy weights between them
#    and show that one batch gives the same loss and gradients;
# 4. train it in both frameworks past the bigram baseline and sample text.
#
# **Time needed:** about 45 minutes to read and run; the notebook trains two
# small models and executes in a few minutes on a 2-core laptop CPU.
# **Requirements:** TensorFlow and PyTorch (CPU), Matplotlib, under 2 GB of
# memory, and Tiny Shakespeare (about 1 MB; downloaded once, or read from
# `$COURSE_DATA_DIR` offline, see the README).

# %% [markdown]
# ## Setup

# %%
import math
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # no C++ log lines from TensorFlow

import matplotlib.pyplot as plt
import numpy as np

import course_utils
from course_utils import attention, bigram, gpt, text_data
from course_utils.gpt import GPTConfig
from course_utils.plotting import OKABE_ITO

# %% tags=["tensorflow"]
import keras
import tensorflow as tf

from course_utils import tf_backend, tf_gpt

print("TensorFlow device:", tf_backend.best_device())

# %% tags=["pytorch"]
import torch
import torch.nn.functional as F

from course_utils import torch_backend, torch_gpt

device = torch_backend.best_device()
print("PyTorch device:", device)

# %%
print("seeded:", course_utils.seed_everything(0))

# %% tags=["nbval-ignore-output"]
course_utils.versions()

# %% [markdown]
# ## The data: one long string
#
# Tiny Shakespeare is about 40,000 lines of the plays in one plain-text file,
# collected by Andrej Karpathy for his char-rnn experiments and used by
# nanoGPT {cite:p}`karpathy2022nanogpt`. The model reads it one character at a
# time: each distinct character gets an integer id, in sorted order. The first
# 90 % is for training, the last 10 % for validation: a continuous stretch of
# text the model never sees.

# %%
text = course_utils.load_tinyshakespeare()
vocab = course_utils.CharVocabulary(text)
ids = vocab.encode(text)
train_ids, val_ids = text_data.split_ids(ids)
print(f"{len(text):,} characters, {vocab.size} distinct: {vocab.chars!r}")
print(f"training {len(train_ids):,}, validation {len(val_ids):,}")
print(repr(text[:75]))
print(ids[:12])
assert (len(text), vocab.size) == (1_115_394, 65)
assert (len(train_ids), len(val_ids)) == (1_003_854, 111_540)
assert vocab.decode(ids[:75]) == text[:75]

# %% [markdown]
# ## The idea: next-character prediction is Lesson 2's cross-entropy
#
# A language model gives, for every position $t$ of a text $x_1 \dots x_n$, a
# probability distribution $q(\cdot \mid x_{\le t})$ over the 65 characters
# for the one that comes next. Training minimises the mean cross-entropy of
# the true next characters,
#
# $$
# L = -\frac{1}{n-1} \sum_{t=1}^{n-1} \log q(x_{t+1} \mid x_{\le t}),
# $$
#
# exactly the loss of Lesson 2 with the next character as the label and every
# position as one example. It is measured in nats per character (natural
# logarithm). Two baselines tell us what a number means:
#
# * a **uniform** guess, $q = 1/65$ everywhere, scores $\ln 65$ on any text;
# * a **bigram** model looks at the current character only and predicts with
#   counted frequencies, $q(b \mid a) = (N_{ab} + 1) / (N_{a\cdot} + 65)$,
#   where $N_{ab}$ counts how often $b$ follows $a$ in the training text (the
#   $+1$ keeps unseen pairs from getting probability 0).
#
# A training batch holds windows of $T$ characters and the same windows
# shifted by one: at every position the target is the next character.

# %%
x_demo, y_demo = text_data.sample_batch(
    train_ids, 2, 12, np.random.default_rng(0)
)
for row in range(2):
    print(
        repr(vocab.decode(x_demo[row])), "->", repr(vocab.decode(y_demo[row]))
    )

# %%
uniform_loss = math.log(vocab.size)
counts = bigram.bigram_counts(train_ids, vocab.size)
log_q = bigram.bigram_log_probs(counts, alpha=1.0)
bigram_val = bigram.bigram_loss(log_q, val_ids)
bigram_train = bigram.bigram_loss(log_q, train_ids)
print(f"uniform guess: ln 65 = {uniform_loss:.4f} nats per character")
print(
    f"bigram model:  {bigram_train:.4f} on training text, {bigram_val:.4f} on validation text"
)
assert abs(uniform_loss - 4.1744) < 1e-4 and bigram_val < uniform_loss - 1.5
e = vocab.encode("e")[0]
top = np.argsort(log_q[e])[::-1][:5]
print(
    "after 'e' the bigram model expects:",
    ", ".join(f"{vocab.decode([i])!r} {np.exp(log_q[e, i]):.2f}" for i in top),
)

# %% [markdown]
# The bigram model brings the loss from 4.17 down to 2.48 nats per
# character, but it cannot use anything further back than one character. Attention lets every position
# look at all the positions before it.

# %% [markdown]
# ## Attention in mathematics
#
# Each position $t$ of a sequence of vectors $x_1 \dots x_T$ (width $C$)
# emits a *query* $q_t = x_t W_Q$, a *key* $k_t = x_t W_K$ and a *value*
# $v_t = x_t W_V$ (each of width $d$). Position $t$ scores every position $s$
# by how well its query matches that key, turns the scores into weights with a
# softmax, and takes the weighted mean of the values
# {cite:p}`vaswani2017`:
#
# $$
# a_{ts} = \frac{\exp(q_t \cdot k_s / \sqrt{d})}
#               {\sum_{s' \le t} \exp(q_t \cdot k_{s'} / \sqrt{d})}
#          \quad (s \le t), \qquad a_{ts} = 0 \quad (s > t), \qquad
# y_t = \sum_s a_{ts} v_s .
# $$
#
# In matrix form, $Y = \mathrm{softmax}(Q K^\top / \sqrt{d} + M)\, V$, with the
# causal mask $M$ equal to 0 on and below the diagonal and $-\infty$ above it:
# a position may not look at the characters it is trying to predict. The
# $\sqrt{d}$ keeps the scores' spread independent of $d$: for random unit
# vectors $q \cdot k$ has variance $d$, and a softmax of large scores puts all
# its weight on one position, where its gradient vanishes. *Multi-head*
# attention runs $h$ such maps side by side on $C/h$ channels each and mixes
# their outputs with one more matrix $W_O$.
#
# A hand-sized case: two positions, one dimension, $q = k = (0, \ln 3)$ and
# $v = (1, 5)$. Position 0 sees only itself: $y_0 = 1$. Position 1 scores
# $(0, (\ln 3)^2)$, so $a_{10} = 1 / (1 + e^{(\ln 3)^2})$.

# %%
q_small = np.array([[[0.0], [math.log(3.0)]]])
y_small, a_small = attention.scaled_dot_product_attention(
    q_small, q_small, np.array([[[1.0], [5.0]]])
)
a10 = 1 / (1 + math.exp(math.log(3.0) ** 2))
print(
    "weights:\n", a_small[0].round(4), "\noutputs:", y_small[0, :, 0].round(4)
)
assert np.allclose(a_small[0], [[1, 0], [a10, 1 - a10]], rtol=1e-15)
assert np.allclose(y_small[0, :, 0], [1, a10 + 5 * (1 - a10)], rtol=1e-15)

# %% [markdown]
# ## Attention in NumPy
#
# `course_utils.attention` holds the reference: `scaled_dot_product_attention`
# is the formula above, and `multi_head_self_attention` projects `x` of shape
# (B, T, C) to queries, keys and values with one (C, 3C) matrix, splits the
# channels into heads of shape (B, h, T, C/h), attends, and projects back.
# Here is a random case in `float64` and in `float32`, with weights in the
# course layout (`x @ W + b`).

# %%
B, T, C, H = 2, 10, 16, 4
rng = np.random.default_rng(8)
x64 = rng.normal(size=(B, T, C))
p64 = {
    "W_qkv": rng.normal(scale=C**-0.5, size=(C, 3 * C)),
    "b_qkv": rng.normal(scale=0.1, size=3 * C),
    "W_o": rng.normal(scale=C**-0.5, size=(C, C)),
    "b_o": rng.normal(scale=0.1, size=C),
}
cases = {
    "float64": (x64, p64),
    "float32": (
        x64.astype(np.float32),
        {k: v.astype(np.float32) for k, v in p64.items()},
    ),
}
numpy_out, numpy_weights = attention.multi_head_self_attention(x64, p64, H)
print("output", numpy_out.shape, " weights", numpy_weights.shape)
print(
    "rows sum to 1:",
    np.allclose(numpy_weights.sum(-1), 1),
    "| weight on the future:",
    numpy_weights[..., ~attention.causal_mask(T)].max(),
)

# %% [markdown]
# ## Attention in the frameworks
#
# PyTorch has the core as one fused function,
# `F.scaled_dot_product_attention(q, k, v, is_causal=True)`, on tensors of
# shape (B, h, T, C/h); the projections are ours. Keras has the whole layer,
# `keras.layers.MultiHeadAttention`, which keeps a separate (C, h, C/h) kernel
# for each of queries, keys and values and an (h, C/h, C) output kernel: our
# (C, 3C) matrix cut into three and reshaped.


# %% tags=["tensorflow"]
def keras_attention(x, p):
    """Keras' MultiHeadAttention with the course's weights; returns (output, weights)."""
    hs = C // H
    layer = keras.layers.MultiHeadAttention(
        num_heads=H, key_dim=hs, dtype=x.dtype.name
    )
    layer(x, x)  # creates the weights
    wq, wk, wv = np.split(p["W_qkv"], 3, axis=1)
    bq, bk, bv = np.split(p["b_qkv"], 3)
    layer.set_weights(
        [
            wq.reshape(C, H, hs),
            bq.reshape(H, hs),
            wk.reshape(C, H, hs),
            bk.reshape(H, hs),
            wv.reshape(C, H, hs),
            bv.reshape(H, hs),
            p["W_o"].reshape(H, hs, C),
            p["b_o"],
        ]
    )
    out, weights = layer(
        x, x, use_causal_mask=True, return_attention_scores=True
    )
    return np.asarray(out), np.asarray(weights)


keras_results = {dtype: keras_attention(*case) for dtype, case in cases.items()}
print({dtype: out.dtype.name for dtype, (out, _) in keras_results.items()})


# %% tags=["pytorch"]
def torch_attention(x, p):
    """Our projections around F.scaled_dot_product_attention; returns the output."""
    x, p = torch.from_numpy(x), {k: torch.from_numpy(v) for k, v in p.items()}
    qkv = x @ p["W_qkv"] + p["b_qkv"]  # (B, T, 3C)
    # (B, T, C) -> (B, H, T, C/H) for each of q, k, v
    q, k, v = (
        a.view(B, T, H, C // H).transpose(1, 2) for a in qkv.split(C, dim=-1)
    )
    y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    y = y.transpose(1, 2).reshape(B, T, C)  # heads side by side again
    return (y @ p["W_o"] + p["b_o"]).numpy()


torch_results = {dtype: torch_attention(*case) for dtype, case in cases.items()}
print({dtype: out.dtype.name for dtype, out in torch_results.items()})

# %% [markdown]
# ### Check: NumPy, PyTorch and Keras compute the same attention
#
# Every output must agree with the NumPy `float64` reference to $10^{-12}$ in
# `float64` and to $10^{-5}$ in `float32` (about a hundred times `float32`'s
# rounding of numbers of size 1). Keras also returns its attention weights,
# which must match ours.

# %%
ATTENTION_TOL = {"float64": 1e-12, "float32": 1e-5}
for dtype, tol in ATTENTION_TOL.items():
    keras_out, keras_weights = keras_results[dtype]
    for name, out in (("PyTorch", torch_results[dtype]), ("Keras", keras_out)):
        np.testing.assert_allclose(
            out, numpy_out, rtol=0, atol=tol, err_msg=f"{name} {dtype}"
        )
    np.testing.assert_allclose(keras_weights, numpy_weights, rtol=0, atol=tol)
    print(
        f"{dtype}: PyTorch and Keras match NumPy within {tol:g} (outputs and weights)"
    )
assert (
    np.abs(numpy_out).max() > 0.5
)  # the outputs are not near zero: the check means something

# %% [markdown]
# ## A GPT
#
# A decoder-only transformer, the shape of GPT-2 {cite:p}`radford2019language`
# and GPT-3 {cite:p}`brown2020`, in the manner of nanoGPT
# {cite:p}`karpathy2022nanogpt`:
#
# 1. **embeddings**: a learned vector of width $C$ for each character and
#    one for each position $0 \dots T-1$, added: $h_0 = E[x] + P$;
# 2. $L$ **blocks**, each `x = x + attn(ln_1(x))` then
#    `x = x + mlp(ln_2(x))`. The layer norms come first (pre-norm) and each
#    sub-layer adds to the residual stream, which keeps deep stacks trainable.
#    The MLP is $C \to 4C \to C$ with a GELU between;
# 3. a last layer norm and the **language-model head**, a $C \to 65$ matrix
#    that gives the logits. GPT-2 reuses the character table $E$ for it
#    (weight tying), and so do we.
#
# `course_utils.gpt` describes the model without a framework: a
# `GPTConfig`, the names and shapes of the weights in the course layout, and
# the parameter count $65C + TC + L(12C^2 + 13C) + 2C$. The lesson trains a
# small configuration; the benchmark (`benchmarks/tiny_gpt.py`) trains
# nanoGPT's CPU recipe, `GPTConfig()`.

# %%
LESSON = GPTConfig(block_size=32, n_layer=2, n_head=4, n_embd=64)
print(LESSON)
print(
    f"parameters: {gpt.parameter_count(LESSON):,} (lesson), "
    f"{gpt.parameter_count(GPTConfig()):,} (nanoGPT's CPU recipe)"
)

# %% tags=["tensorflow"]
keras_gpt = tf_gpt.build_gpt(LESSON, seed=0)
keras_count = tf_gpt.count_parameters(keras_gpt)
print(f"Keras parameters:   {keras_count:,}")

# %% tags=["pytorch"]
torch_gpt_model = torch_gpt.build_gpt(LESSON, seed=0).to(device)
torch_count = torch_gpt.count_parameters(torch_gpt_model)
print(f"PyTorch parameters: {torch_count:,}")

# %%
assert keras_count == torch_count == gpt.parameter_count(LESSON) == 106_304
print("both frameworks count", f"{gpt.parameter_count(LESSON):,}", "parameters")

# %% [markdown]
# ### The same weights, the same loss, the same gradients
#
# As in Lesson 6: copy PyTorch's initial weights into Keras (through the
# course layout, which transposes PyTorch's `nn.Linear` matrices), feed both
# one batch, and compare the loss and all the gradients. Three settings must
# agree for this to work, and each framework's default differs: the layer-norm
# epsilon ($10^{-5}$ in PyTorch, $10^{-3}$ in Keras), the GELU (exact in
# PyTorch, a tanh approximation by default in Keras) and the attention mask.

# %%
x_batch, y_batch = text_data.sample_batch(
    train_ids, 8, LESSON.block_size, np.random.default_rng(1)
)
initial = torch_gpt.get_weights(torch_gpt_model)
print(
    len(initial),
    "arrays, e.g.",
    {k: initial[k].shape for k in list(initial)[:4]},
)

# %% tags=["tensorflow"]
keras_before, _ = tf_gpt.loss_and_gradients(keras_gpt, x_batch, y_batch)
tf_gpt.set_weights(keras_gpt, initial)
keras_loss, keras_grads = tf_gpt.loss_and_gradients(keras_gpt, x_batch, y_batch)
print(
    f"Keras loss with its own weights {keras_before:.6f}, with PyTorch's {keras_loss:.6f}"
)

# %% tags=["pytorch"]
torch_loss, torch_grads = torch_gpt.loss_and_gradients(
    torch_gpt_model, x_batch, y_batch
)
print(f"PyTorch loss {torch_loss:.6f}")

# %% [markdown]
# The differences depend on the CPU's kernels, so the first cell prints them
# (nbval ignores its output) and the second asserts the tolerances: the loss
# within $10^{-5}$, every gradient within a relative $10^{-4}$ plus an
# absolute $10^{-6}$.

# %% tags=["nbval-ignore-output"]
grad_diff = max(
    float(np.abs(keras_grads[k] - torch_grads[k]).max()) for k in torch_grads
)
print(
    f"loss difference {abs(keras_loss - torch_loss):.1e}, largest gradient difference {grad_diff:.1e}"
)

# %%
assert abs(keras_loss - torch_loss) < 1e-5
assert abs(keras_before - torch_loss) > 1e-3  # before the copy they differed
for key in torch_grads:
    np.testing.assert_allclose(
        keras_grads[key], torch_grads[key], rtol=1e-4, atol=1e-6, err_msg=key
    )
largest_grad = max(float(np.abs(g).max()) for g in torch_grads.values())
assert largest_grad > 1e-2
print(
    f"loss within 1e-5 and all {len(torch_grads)} gradients within rtol 1e-4, atol 1e-6;"
    f" the largest gradient is {largest_grad:.2f}"
)
print(
    f"the initial loss {torch_loss:.3f} is close to ln 65 = {uniform_loss:.3f}: "
    "small random weights predict nearly uniformly"
)
assert abs(torch_loss - uniform_loss) < 0.05

# %% [markdown]
# ## Training
#
# The five steps of Lesson 3, with AdamW at a constant learning rate: draw a
# batch of windows, forward pass, loss, gradients, update. Both frameworks
# train from their own initial weights on the same seeded batches, and every
# 100 steps estimate the training and validation loss on 10 fixed batches.
# The settings are chosen to finish in well under a minute per framework on a
# laptop CPU.

# %%
TRAIN = dict(
    steps=800,
    batch_size=16,
    learning_rate=3e-3,
    eval_every=100,
    eval_batches=10,
    seed=0,
)
print(
    TRAIN,
    f"-> {TRAIN['steps'] * TRAIN['batch_size'] * LESSON.block_size:,} characters seen",
)

# %% tags=["tensorflow", "nbval-ignore-output"]
keras_model = tf_gpt.build_gpt(LESSON, seed=1)
keras_history = tf_gpt.train(keras_model, train_ids, val_ids, **TRAIN)
print(
    f"Keras:   {keras_history['seconds'][0]:.0f} s of training steps,"
    f" validation loss {keras_history['val_loss'][-1]:.3f}"
)

# %% tags=["pytorch", "nbval-ignore-output"]
torch_model = torch_gpt.build_gpt(LESSON, seed=1).to(device)
torch_history = torch_gpt.train(torch_model, train_ids, val_ids, **TRAIN)
print(
    f"PyTorch: {torch_history['seconds'][0]:.0f} s of training steps,"
    f" validation loss {torch_history['val_loss'][-1]:.3f}"
)

# %% [markdown]
# Both must beat the bigram model's validation loss clearly, by at least 0.1
# nats per character:

# %%
for name, history in (("Keras", keras_history), ("PyTorch", torch_history)):
    final = history["val_loss"][-1]
    assert final < bigram_val - 0.1, (name, final)
    first = next(
        s
        for s, v in zip(history["step"], history["val_loss"])
        if v < bigram_val
    )
    print(
        f"{name}: validation loss {final:.2f}, below the bigram model's {bigram_val:.2f}"
        f" by more than 0.1; first below it at step {first}"
    )

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.2))
for name, history, colour, style in (
    ("Keras", keras_history, OKABE_ITO["blue"], "-"),
    ("PyTorch", torch_history, OKABE_ITO["vermillion"], "--"),
):
    ax.plot(
        history["step"],
        history["val_loss"],
        color=colour,
        ls=style,
        marker="o",
        label=f"{name}, validation",
    )
    ax.plot(
        history["step"],
        history["train_loss"],
        color=colour,
        ls=style,
        lw=0.8,
        alpha=0.6,
        label=f"{name}, training",
    )
ax.axhline(
    bigram_val,
    color=OKABE_ITO["black"],
    ls=":",
    label=f"bigram model, validation",
)
ax.axhline(
    uniform_loss,
    color=OKABE_ITO["reddish purple"],
    ls="-.",
    label="uniform guess, ln 65",
)
ax.set_xlabel("training step")
ax.set_ylabel("loss (nats per character)")
ax.set_ylim(1.5, 4.4)
ax.legend(frameon=False, fontsize=8)
ax.grid(alpha=0.3)
ax.set_title("A 2-layer GPT on Tiny Shakespeare in both frameworks")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 8.1.** Estimated loss every 100 training steps for Keras (blue,
# solid) and PyTorch (vermillion, dashed): validation with markers, training
# thin. The dotted black line is the bigram model's validation loss, the
# dash-dotted purple line the uniform guess. Both models pass the bigram
# baseline after a few hundred steps (the cell above prints the first
# evaluation below it); the two frameworks start from
# different random weights, so their curves are close but not identical.

# %% [markdown]
# ### Samples
#
# Generation repeats one step: feed the last (at most) $T$ characters, take
# the logits at the last position, draw the next character from their
# softmax. The draw uses a seeded NumPy generator, so a sample is repeatable
# on one machine (a different CPU may round the logits differently and, at
# some step, draw another character).

# %% tags=["tensorflow", "nbval-ignore-output"]
prompt = vocab.encode("\n")
print(vocab.decode(tf_gpt.generate(keras_model, prompt, 300, seed=0)))

# %% tags=["pytorch", "nbval-ignore-output"]
print(vocab.decode(torch_gpt.generate(torch_model, prompt, 300, seed=0)))

# %% [markdown]
# The text has the look of a play (names in capitals, line breaks, short
# words) without its sense. Compare a sample of the bigram model, which
# knows only which character tends to follow which:

# %% tags=["nbval-ignore-output"]
sample_rng = np.random.default_rng(0)
chars = [int(prompt[0])]
for _ in range(300):
    chars.append(sample_rng.choice(vocab.size, p=np.exp(log_q[chars[-1]])))
print(vocab.decode(chars))

# %% [markdown]
# ### What one head looks at
#
# The trained PyTorch model's weights go back into the NumPy reference: the
# embeddings, the first layer norm and the first block's attention, computed
# with `course_utils.attention`, must give what the first block gives in
# PyTorch and, with the same weights copied in, in Keras; then the weights
# show where each position looks.

# %%
trained = torch_gpt.get_weights(torch_model)
line = "ROMEO:\nI will not speak of it."
line_ids = vocab.encode(line)
h0 = trained["wte"][line_ids] + trained["wpe"][: len(line_ids)]  # (T, C)
mean, var = h0.mean(-1, keepdims=True), h0.var(-1, keepdims=True)
normed = (h0 - mean) / np.sqrt(var + 1e-5) * trained[
    "h0.ln_1.weight"
] + trained["h0.ln_1.bias"]
block0 = {
    key: trained[f"h0.attn.{key}"].astype(np.float64)
    for key in attention.ATTENTION_KEYS
}
numpy_attn, head_weights = attention.multi_head_self_attention(
    normed[None].astype(np.float64), block0, LESSON.n_head
)

# %% tags=["tensorflow"]
tf_gpt.set_weights(keras_gpt, trained)  # the trained PyTorch weights, in Keras
keras_block = keras_gpt.h[0]
keras_attn = np.asarray(keras_block.attn(keras_block.ln_1(h0[None])))

# %% tags=["pytorch"]
with torch.no_grad():
    block = torch_model.h[0]
    torch_attn = (
        block.attn(block.ln_1(torch.from_numpy(h0[None]).to(device)))
        .cpu()
        .numpy()
    )

# %%
for name, framework_attn in (("Keras", keras_attn), ("PyTorch", torch_attn)):
    np.testing.assert_allclose(
        numpy_attn, framework_attn, rtol=0, atol=1e-5, err_msg=name
    )
print(
    "with the trained weights, NumPy's attention matches the first block of Keras"
    " and of PyTorch within 1e-5"
)
HEAD = 0
fig, ax = plt.subplots(figsize=(6.4, 5.8))
image = ax.imshow(head_weights[0, HEAD], cmap="cividis", vmin=0, vmax=1)
labels = [repr(c)[1:-1] for c in line]
ax.set_xticks(range(len(line)), labels, fontsize=7)
ax.set_yticks(range(len(line)), labels, fontsize=7)
ax.set_xlabel("key position (the character looked at)")
ax.set_ylabel("query position (the character predicting the next)")
ax.set_title(f"Layer 1, head {HEAD + 1}: attention weights after training")
fig.colorbar(image, ax=ax, shrink=0.8, label="weight")
fig.tight_layout()
plt.show()

# %% [markdown]
# **Figure 8.2.** The attention weights of the first head of the first block
# of the trained PyTorch model, for the line "ROMEO: / I will not speak of
# it." Row $t$ shows how the position of the $t$-th character spreads its
# attention over the characters up to and including it (light is high, on the
# colour-blind-safe cividis scale); everything above the diagonal is exactly
# 0, the causal mask. Which pattern a head learns depends on the run; heads
# often attend to the previous few characters or to the start of the word.

# %% [markdown]
# ## Pitfalls
#
# 1. **Forgetting the causal mask.** Without it, position $t$ sees character
#    $t+1$, the one it must predict; the training loss falls far below what
#    any honest model reaches, and generation, which has no future to peek
#    at, produces rubbish. Keras' `MultiHeadAttention` masks nothing unless
#    called with `use_causal_mask=True`; PyTorch needs `is_causal=True`.
# 2. **Framework defaults that differ.** Layer-norm epsilon ($10^{-3}$ in
#    Keras, $10^{-5}$ in PyTorch) and GELU (tanh approximation by default in
#    Keras, exact in PyTorch) change the numbers; set them explicitly when the
#    two must agree, as `course_utils.tf_gpt` does.
# 3. **Mixing up the head layouts.** PyTorch's attention wants (B, h, T, C/h),
#    Keras' `ops.dot_product_attention` (B, T, h, C/h). Reshaping (B, T, C)
#    straight to (B, h, T, C/h) without the transpose runs and computes
#    something else.
# 4. **Comparing losses in different units.** nanoGPT and the frameworks
#    report nats (natural log); some papers report bits per character
#    (divide by $\ln 2$). The uniform guess is 4.17 nats or 6.02 bits.
# 5. **A validation split drawn at random.** Overlapping windows of a text
#    share characters, so random windows for validation leak training text.
#    Keep validation a separate stretch, as `split_ids` does.
# 6. **Threads on a busy machine.** PyTorch starts one thread per core; when
#    other programs already use the cores, the threads wait for each other
#    and a step can become many times slower. `torch.set_num_threads(1)` (or
#    `OMP_NUM_THREADS=1`) helps on a shared machine.

# %% [markdown]
# ## Exercises
#
# ### Exercise 8.1: the uniform guess
# What is the validation loss, in nats per character, of a model that gives
# each of the 65 characters probability 1/65 at every position? Give a number.
#
# <details>
# <summary>Solution</summary>
#
# Every position contributes $-\ln(1/65) = \ln 65$, so the mean is
# $\ln 65 \approx 4.1744$ nats per character on any text, training or
# validation: `answer = math.log(65)`.
#
# </details>

# %% tags=["practice"]
from course_utils.practice import lesson8 as practice

answer = None  # your number
practice.exercise_1.check(answer)

# %% [markdown]
# ### Exercise 8.2: the causal softmax
# Write `causal_attention_weights(scores)`: given a (T, T) array of scores,
# return the attention weights: zero above the diagonal, a softmax along each
# row over the rest, without overflow for scores of size 1000.
#
# <details>
# <summary>Solution</summary>
#
# Replace the scores above the diagonal by $-\infty$, so that their
# exponentials are exactly 0, then take a shifted softmax along the rows (row
# $t$ always keeps position $t$, so no row is all $-\infty$):
#
# ```python
# def causal_attention_weights(scores):
#     mask = np.tril(np.ones(scores.shape, dtype=bool))
#     s = np.where(mask, scores, -np.inf)
#     e = np.exp(s - s.max(axis=-1, keepdims=True))
#     return e / e.sum(axis=-1, keepdims=True)
# ```
#
# </details>

# %% tags=["practice"]
causal_attention_weights = None  # your function
practice.exercise_2.check(causal_attention_weights)

# %% [markdown]
# ### Exercise 8.3: counting parameters
# nanoGPT's GPU recipe for Tiny Shakespeare uses 6 layers, 6 heads, a width
# of 384 and a context of 256 characters. How many parameters does that model
# have in this lesson's design (tied head, biases everywhere)? Give an integer.
#
# <details>
# <summary>Solution</summary>
#
# A block has two layer norms ($4C$), attention ($3C^2 + 3C$ and $C^2 + C$)
# and the MLP ($4C^2 + 4C$ and $4C^2 + C$): $12C^2 + 13C$. With the two tables
# and the final layer norm, $65 \cdot 384 + 256 \cdot 384 + 6(12 \cdot 384^2 +
# 13 \cdot 384) + 2 \cdot 384 = 10{,}770{,}816$; check it with
# `gpt.parameter_count(GPTConfig(block_size=256, n_layer=6, n_head=6, n_embd=384))`.
#
# </details>

# %% tags=["practice"]
answer = None  # your integer
practice.exercise_3.check(answer)

# %% [markdown]
# ### Exercise 8.4: temperature
# Sample 300 characters from the trained model with `temperature=0.5` and
# with `temperature=2.0`. What changes, and why?
#
# <details>
# <summary>Solution</summary>
#
# Dividing the logits by $\tau$ before the softmax sharpens the distribution
# for $\tau < 1$ and flattens it for $\tau > 1$. At 0.5 the model picks its
# likeliest characters: more real words, more repetition. At 2.0 unlikely
# characters get real probability and the text falls apart into random
# letters and punctuation. As $\tau \to 0$ sampling becomes the arg-max; as
# $\tau \to \infty$ it becomes the uniform guess.
#
# </details>

# %% [markdown]
# ## Summary
#
# * Predicting the next character is Lesson 2's cross-entropy with the next
#   character as label: the uniform guess scores $\ln 65 = 4.17$ nats, a
#   bigram count model 2.48 on the validation text.
# * Causal self-attention is $\mathrm{softmax}(QK^\top/\sqrt{d} + M)V$: each
#   position takes a weighted mean of the values of the positions up to it.
#   NumPy, PyTorch and Keras compute the same numbers, to $10^{-12}$ in
#   `float64`.
# * A GPT is embeddings, a stack of pre-norm blocks (attention, then an MLP,
#   each added to the residual stream) and a head. Built in both frameworks
#   with the same weights, it gives the same loss and gradients.
# * A 2-layer model with 106,304 parameters passes the bigram baseline
#   in a few hundred steps on a laptop; GPT-3 has 175 billion
#   {cite:p}`brown2020`, and `benchmarks/tiny_gpt.py` measures how far a CPU
#   gets with nanoGPT's 0.8-million-parameter recipe.
