"""The tiny GPT of lesson 8 in Keras 3 on TensorFlow (the PyTorch twin: :mod:`course_utils.torch_gpt`).

Both modules have the same public functions, signatures and docstrings, and
exchange weights as NumPy arrays in the course layout of
:mod:`course_utils.gpt`. A Keras ``Dense`` kernel is already (fan_in,
fan_out), so nothing is transposed. The training step runs as a compiled
``tf.function``; batches come from
:func:`course_utils.text_data.sample_batch` as NumPy ids.
"""

from __future__ import annotations

import math
import time
from typing import Any, Mapping

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from .validation import check_integer, check_real, describe
from .gpt import GPTConfig, check_weights
from .text_data import sample_batch

__all__ = [
    "GPT",
    "build_gpt",
    "count_parameters",
    "evaluate_loss",
    "generate",
    "get_weights",
    "loss_and_gradients",
    "set_weights",
    "train",
]


def _normal(std: float, seed: int) -> keras.initializers.Initializer:
    return keras.initializers.RandomNormal(mean=0.0, stddev=std, seed=seed)


class CausalSelfAttention(keras.layers.Layer):
    def __init__(self, config: GPTConfig, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_head = config.n_head
        proj_std = 0.02 / math.sqrt(2 * config.n_layer)
        self.c_attn = keras.layers.Dense(3 * config.n_embd, kernel_initializer=_normal(0.02, seed),
                                         dtype=self.dtype_policy, name="c_attn")  # q, k, v
        self.c_proj = keras.layers.Dense(config.n_embd, kernel_initializer=_normal(proj_std, seed + 1),
                                         dtype=self.dtype_policy, name="c_proj")
        self.dropout = keras.layers.Dropout(config.dropout, dtype=self.dtype_policy)

    def call(self, x: Any, training: bool = False) -> Any:
        B, T, C = ops.shape(x)  # batch, time (positions), channels (width)
        q, k, v = ops.split(self.c_attn(x), 3, axis=-1)  # each (B, T, C)
        # split the channels into heads: (B, T, C) -> (B, T, nh, hs), Keras' layout
        q = ops.reshape(q, (B, T, self.n_head, C // self.n_head))
        k = ops.reshape(k, (B, T, self.n_head, C // self.n_head))
        v = ops.reshape(v, (B, T, self.n_head, C // self.n_head))
        # softmax(q k^T / sqrt(hs) + causal mask) v
        y = ops.dot_product_attention(q, k, v, is_causal=True)  # (B, T, nh, hs)
        y = ops.reshape(y, (B, T, C))  # heads side by side again
        return self.dropout(self.c_proj(y), training=training)


class MLP(keras.layers.Layer):
    def __init__(self, config: GPTConfig, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        proj_std = 0.02 / math.sqrt(2 * config.n_layer)
        self.c_fc = keras.layers.Dense(4 * config.n_embd, kernel_initializer=_normal(0.02, seed),
                                       dtype=self.dtype_policy, name="c_fc")
        self.c_proj = keras.layers.Dense(config.n_embd, kernel_initializer=_normal(proj_std, seed + 1),
                                         dtype=self.dtype_policy, name="c_proj")
        self.dropout = keras.layers.Dropout(config.dropout, dtype=self.dtype_policy)

    def call(self, x: Any, training: bool = False) -> Any:
        h = keras.activations.gelu(self.c_fc(x), approximate=False)  # Keras' default is the tanh form
        return self.dropout(self.c_proj(h), training=training)


class Block(keras.layers.Layer):
    """Pre-norm: normalise, transform, add back to the residual stream."""

    def __init__(self, config: GPTConfig, seed: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # epsilon: Keras' default is 1e-3, PyTorch's 1e-5
        self.ln_1 = keras.layers.LayerNormalization(epsilon=1e-5, dtype=self.dtype_policy, name="ln_1")
        self.attn = CausalSelfAttention(config, seed, dtype=self.dtype_policy, name="attn")
        self.ln_2 = keras.layers.LayerNormalization(epsilon=1e-5, dtype=self.dtype_policy, name="ln_2")
        self.mlp = MLP(config, seed + 2, dtype=self.dtype_policy, name="mlp")

    def call(self, x: Any, training: bool = False) -> Any:
        x = x + self.attn(self.ln_1(x), training=training)  # tokens exchange information
        x = x + self.mlp(self.ln_2(x), training=training)  # each token computes on its own
        return x


class GPT(keras.Model):
    """Token ids (B, T) in, logits (B, T, vocab_size) out."""

    def __init__(self, config: GPTConfig, seed: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.wte = keras.layers.Embedding(config.vocab_size, config.n_embd,
                                          embeddings_initializer=_normal(0.02, seed),
                                          dtype=self.dtype_policy, name="wte")
        self.wpe = keras.layers.Embedding(config.block_size, config.n_embd,
                                          embeddings_initializer=_normal(0.02, seed + 1),
                                          dtype=self.dtype_policy, name="wpe")
        self.drop = keras.layers.Dropout(config.dropout, dtype=self.dtype_policy)
        self.h = [Block(config, seed + 10 * (i + 1), dtype=self.dtype_policy, name=f"h{i}")
                  for i in range(config.n_layer)]
        self.ln_f = keras.layers.LayerNormalization(epsilon=1e-5, dtype=self.dtype_policy, name="ln_f")

    def call(self, idx: Any, training: bool = False) -> Any:
        T = ops.shape(idx)[1]
        pos = ops.arange(T)  # (T,)
        x = self.drop(self.wte(idx) + self.wpe(pos), training=training)  # (B, T, C)
        for block in self.h:
            x = block(x, training=training)
        x = self.ln_f(x)
        # the head shares the token table (weight tying, as in GPT-2): (B, T, C) @ (C, V)
        return ops.matmul(x, ops.transpose(self.wte.embeddings))  # (B, T, vocab_size)


def _check_model(model: Any) -> GPT:
    if not isinstance(model, GPT):
        raise TypeError(f"model must be a GPT from build_gpt; got {describe(model)}.")
    return model


def _cross_entropy(logits: Any, targets: Any) -> Any:
    """The cross-entropy of Lesson 2, averaged over all B * T positions."""
    return ops.mean(keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True))


def build_gpt(config: GPTConfig = GPTConfig(), *, seed: int = 0, dtype: str = "float32") -> Any:
    """Build the GPT of ``config`` with nanoGPT's initialisation, seeded.

    config : GPTConfig
    seed : int >= 0
        Seeds the initial weights (the two frameworks draw different ones;
        copy weights with :func:`set_weights` to compare them).
    dtype : {"float32", "float64"}
    """
    if not isinstance(config, GPTConfig):
        raise TypeError(f"config must be a GPTConfig; got {describe(config)}.")
    seed = check_integer("seed", seed, low=0)
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
    model = GPT(config, seed=seed, dtype=dtype)
    model(np.zeros((1, config.block_size), dtype=np.int64))  # create the weights
    return model


def count_parameters(model: Any) -> int:
    """The number of trainable numbers in ``model`` (a tied matrix counts once)."""
    return int(_check_model(model).count_params())


def _course_pairs(model: GPT) -> list[tuple[str, Any]]:
    """(course name, variable) for every weight, in weight_shapes order."""
    pairs = [("wte", model.wte.embeddings), ("wpe", model.wpe.embeddings)]
    for i, block in enumerate(model.h):
        pairs += [
            (f"h{i}.ln_1.weight", block.ln_1.gamma), (f"h{i}.ln_1.bias", block.ln_1.beta),
            (f"h{i}.attn.W_qkv", block.attn.c_attn.kernel), (f"h{i}.attn.b_qkv", block.attn.c_attn.bias),
            (f"h{i}.attn.W_o", block.attn.c_proj.kernel), (f"h{i}.attn.b_o", block.attn.c_proj.bias),
            (f"h{i}.ln_2.weight", block.ln_2.gamma), (f"h{i}.ln_2.bias", block.ln_2.beta),
            (f"h{i}.mlp.W_fc", block.mlp.c_fc.kernel), (f"h{i}.mlp.b_fc", block.mlp.c_fc.bias),
            (f"h{i}.mlp.W_proj", block.mlp.c_proj.kernel), (f"h{i}.mlp.b_proj", block.mlp.c_proj.bias),
        ]
    pairs += [("ln_f.weight", model.ln_f.gamma), ("ln_f.bias", model.ln_f.beta)]
    return pairs


def get_weights(model: Any) -> dict[str, np.ndarray]:
    """The model's weights as NumPy arrays in the course layout (see ``gpt.weight_shapes``)."""
    model = _check_model(model)
    return {name: np.array(v.numpy()) for name, v in _course_pairs(model)}


def set_weights(model: Any, weights: Mapping[str, np.ndarray]) -> None:
    """Load weights in the course layout (matrices fan_in x fan_out) into ``model``."""
    model = _check_model(model)
    weights = check_weights(model.config, weights)
    for name, variable in _course_pairs(model):
        variable.assign(weights[name].astype(variable.dtype))  # Keras: the same layout


def loss_and_gradients(model: Any, x: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
    """The mean cross-entropy of one batch and its gradients, in the course layout.

    x, y : numpy.ndarray of int, shape (B, T)
        Token ids and the ids that follow them. Dropout is off (evaluation mode).
    """
    model = _check_model(model)
    pairs = _course_pairs(model)
    with tf.GradientTape() as tape:
        loss = _cross_entropy(model(np.asarray(x, np.int64), training=False), np.asarray(y, np.int64))
    grads = tape.gradient(loss, [v for _, v in pairs])
    grads = [tf.convert_to_tensor(g) for g in grads]  # embeddings give IndexedSlices
    return float(loss), {name: np.array(g) for (name, _), g in zip(pairs, grads)}


def _eval_step(model: GPT) -> Any:
    if getattr(model, "_course_eval", None) is None:
        @tf.function
        def step(x: Any, y: Any) -> Any:
            return _cross_entropy(model(x, training=False), y)
        model._course_eval = step
    return model._course_eval


def evaluate_loss(
    model: Any, ids: np.ndarray, *, batch_size: int = 32, n_batches: int = 20, seed: int = 1234
) -> float:
    """Mean cross-entropy (nats per token) on ``n_batches`` seeded random batches of ``ids``.

    The same seed gives the same batches in both frameworks.
    """
    model = _check_model(model)
    n_batches = check_integer("n_batches", n_batches, low=1)
    rng = np.random.default_rng(check_integer("seed", seed, low=0))
    step = _eval_step(model)
    total = 0.0
    for _ in range(n_batches):
        x, y = sample_batch(ids, batch_size, model.config.block_size, rng)
        total += float(step(x, y))
    return total / n_batches


def train(
    model: Any,
    train_ids: np.ndarray,
    val_ids: np.ndarray,
    *,
    steps: int,
    batch_size: int = 12,
    learning_rate: float = 1e-3,
    weight_decay: float = 0.1,
    beta2: float = 0.99,
    eval_every: int = 100,
    eval_batches: int = 20,
    seed: int = 0,
) -> dict[str, list[float]]:
    """Train with AdamW at a constant learning rate on seeded random batches.

    AdamW (betas 0.9 and ``beta2``, 0.99 by default as in nanoGPT; epsilon
    1e-8) decays only the matrices, as nanoGPT does. Every ``eval_every``
    steps and at the end, the mean loss on ``eval_batches`` seeded batches of
    training and validation ids is recorded.

    Returns a dict of lists: ``step``, ``train_loss``, ``val_loss`` (one entry
    per evaluation), ``batch_loss`` (every step), and ``seconds``: the time
    spent in training steps alone, evaluation excluded, as a one-item list.
    """
    model = _check_model(model)
    steps = check_integer("steps", steps, low=1)
    beta2 = check_real("beta2", beta2, low=0, high=1, high_open=True)
    eval_every = check_integer("eval_every", eval_every, low=1)
    rng = np.random.default_rng(check_integer("seed", seed, low=0))
    optimizer = keras.optimizers.AdamW(learning_rate=learning_rate, weight_decay=weight_decay,
                                       beta_1=0.9, beta_2=beta2, epsilon=1e-8)
    optimizer.exclude_from_weight_decay(var_list=[v for v in model.trainable_variables if len(v.shape) < 2])
    variables = model.trainable_variables

    @tf.function
    def step_fn(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = _cross_entropy(model(x, training=True), y)  # steps 2 and 3: forward pass and loss
        grads = tape.gradient(loss, variables)  # step 4: gradients
        optimizer.apply_gradients(zip(grads, variables))  # step 5: update
        return loss

    history: dict[str, list[float]] = {"step": [], "train_loss": [], "val_loss": [], "batch_loss": []}
    seconds = 0.0
    for step in range(1, steps + 1):
        x, y = sample_batch(train_ids, batch_size, model.config.block_size, rng)
        start = time.perf_counter()
        history["batch_loss"].append(float(step_fn(x, y)))
        seconds += time.perf_counter() - start
        if step % eval_every == 0 or step == steps:
            history["step"].append(step)
            history["train_loss"].append(evaluate_loss(model, train_ids, n_batches=eval_batches))
            history["val_loss"].append(evaluate_loss(model, val_ids, n_batches=eval_batches))
    history["seconds"] = [seconds]
    return history


def generate(
    model: Any, prompt_ids: np.ndarray, max_new_tokens: int, *, seed: int = 0, temperature: float = 1.0
) -> np.ndarray:
    """Continue ``prompt_ids`` by ``max_new_tokens`` ids, sampled one at a time.

    The model sees at most its last ``block_size`` ids; the next id is drawn
    from ``softmax(logits / temperature)`` with a NumPy generator seeded by
    ``seed``. Returns the prompt and the new ids as one 1-D ``int64`` array.
    """
    model = _check_model(model)
    max_new_tokens = check_integer("max_new_tokens", max_new_tokens, low=1)
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or temperature <= 0:
        raise ValueError(f"temperature must be a number > 0; got {describe(temperature)}.")
    ids = np.asarray(prompt_ids, dtype=np.int64).ravel()
    if ids.size == 0:
        raise ValueError("prompt_ids must hold at least one id; got an empty array.")
    rng = np.random.default_rng(check_integer("seed", seed, low=0))
    forward = tf.function(lambda idx: model(idx, training=False), reduce_retracing=True)
    for _ in range(max_new_tokens):
        context = ids[-model.config.block_size:][None, :]  # (1, T)
        last = np.asarray(forward(context))[0, -1].astype(np.float64) / temperature  # (vocab_size,)
        p = np.exp(last - last.max())
        ids = np.append(ids, rng.choice(len(p), p=p / p.sum()))
    return ids
