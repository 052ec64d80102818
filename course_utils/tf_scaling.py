"""Lesson 7's training run in TensorFlow: one MLP, the fixed recipe, its test loss.

Import this module only where TensorFlow is wanted. The PyTorch twin is
:mod:`course_utils.torch_scaling`, with the same public names, signatures and
docstrings; what they share (recipe, initial weights, batch order, learning
rates, checks) lives in :mod:`course_utils.scaling`.
"""

from __future__ import annotations

import time

import numpy as np
import tensorflow as tf

from .scaling import (
    RECIPE,
    Recipe,
    batch_indices,
    check_run,
    check_training_data,
    initial_parameters,
    learning_rates,
    mlp_parameters,
    training_compute,
)

__all__ = ["train_mlp"]


def _build(params: dict[str, np.ndarray]) -> tf.keras.Model:
    hidden = params["W1"].shape[1]
    model = tf.keras.Sequential([
        tf.keras.Input((params["W1"].shape[0],)),
        tf.keras.layers.Dense(hidden, activation="relu"),
        tf.keras.layers.Dense(params["W2"].shape[1]),
    ])
    for layer, i in ((model.layers[0], 1), (model.layers[1], 2)):
        layer.set_weights([params[f"W{i}"], params[f"b{i}"]])  # Keras: same layout
    return model


def _trainer(model: tf.keras.Model, momentum: float):
    weights = model.trainable_variables
    velocity = [tf.Variable(tf.zeros_like(w)) for w in weights]

    @tf.function
    def run(x, y, order, rates):
        # The whole loop runs inside one graph: no Python between the steps.
        losses = tf.TensorArray(tf.float32, size=tf.shape(order)[0])
        for step in tf.range(tf.shape(order)[0]):
            index = order[step]
            with tf.GradientTape() as tape:
                logits = model(tf.gather(x, index), training=True)  # (B, 10)
                loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
                    tf.gather(y, index), logits))
            grads = tape.gradient(loss, weights)
            for w, v, g in zip(weights, velocity, grads):
                v.assign(momentum * v + g)  # PyTorch's momentum: v = mu v + g
                w.assign_sub(rates[step] * v)  # w = w - lr v
            losses = losses.write(step, loss)
        return losses.stack()

    return run


def train_mlp(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    hidden: int,
    examples: int,
    recipe: Recipe = RECIPE,
    seed: int = 0,
) -> dict[str, float]:
    """Train a 784-``hidden``-10 MLP on ``examples`` examples; measure the test set.

    x_train, x_test : float32 arrays (n, 784) in [0, 1], from
        :func:`course_utils.scaling.flatten_images`.
    y_train, y_test : integer arrays (n,) of digits 0-9.
    hidden : int >= 1, the width of the hidden layer.
    examples : int >= recipe.batch_size, the examples seen (``D``), in
        ``examples // batch_size`` steps, epoch after epoch.
    recipe : Recipe, batch size, peak learning rate (cosine to 0), momentum.
    seed : int >= 0, for the initial weights and the batch order.

    Returns a dict: ``hidden``, ``parameters`` (N), ``examples`` (D, the
    examples actually seen), ``compute`` (6 N D), ``train_loss`` (mean over
    the last tenth of the steps), ``test_loss`` (mean cross-entropy in nats),
    ``test_accuracy`` and ``seconds`` (training only).
    """
    x_train, y_train, x_test, y_test = check_training_data(x_train, y_train, x_test, y_test)
    hidden, examples, recipe, seed = check_run(hidden, examples, recipe, seed)
    order = batch_indices(len(x_train), examples, recipe.batch_size, seed)
    rates = learning_rates(len(order), recipe).astype(np.float32)
    model = _build(initial_parameters(hidden, seed))
    run = _trainer(model, float(recipe.momentum))
    # Each run traces its own graph once (its model is new); TensorFlow warns about
    # "retracing" after a few such calls, which here is intended, so hush it.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        started = time.perf_counter()
        losses = run(tf.constant(x_train), tf.constant(y_train), tf.constant(order),
                     tf.constant(rates)).numpy()
        seconds = time.perf_counter() - started
    finally:
        logger.setLevel(level)
    logits = tf.cast(model(tf.constant(x_test), training=False), tf.float64)
    test_loss = float(tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(
        tf.constant(y_test), logits)))
    accuracy = float(np.mean(np.argmax(logits.numpy(), axis=1) == y_test))
    tail = max(1, len(order) // 10)
    seen = int(order.size)
    n = mlp_parameters(hidden)
    return {
        "hidden": hidden, "parameters": n, "examples": seen,
        "compute": training_compute(n, seen),
        "train_loss": float(np.mean(losses[-tail:].astype(np.float64))),
        "test_loss": test_loss, "test_accuracy": accuracy, "seconds": seconds,
    }
