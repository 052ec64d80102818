"""Lesson 7's training run in PyTorch: one MLP, the fixed recipe, its test loss.

Import this module only where PyTorch is wanted. The TensorFlow twin is
:mod:`course_utils.tf_scaling`, with the same public names, signatures and
docstrings; what they share (recipe, initial weights, batch order, learning
rates, checks) lives in :mod:`course_utils.scaling`.
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

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


def _build(params: dict[str, np.ndarray]) -> nn.Sequential:
    hidden = params["W1"].shape[1]
    model = nn.Sequential(nn.Linear(params["W1"].shape[0], hidden), nn.ReLU(),
                          nn.Linear(hidden, params["W2"].shape[1]))
    with torch.no_grad():
        for layer, i in ((model[0], 1), (model[2], 2)):
            layer.weight.copy_(torch.from_numpy(params[f"W{i}"].T))  # (out, in)
            layer.bias.copy_(torch.from_numpy(params[f"b{i}"]))
    return model


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
    rates = learning_rates(len(order), recipe)
    model = _build(initial_parameters(hidden, seed))
    optimizer = torch.optim.SGD(model.parameters(), lr=float(rates[0]),
                                momentum=recipe.momentum)
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    batches = torch.from_numpy(order)
    losses = torch.empty(len(order))
    started = time.perf_counter()
    model.train()
    for step, index in enumerate(batches):
        for group in optimizer.param_groups:
            group["lr"] = float(rates[step])
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x[index]), y[index])  # (B, 784) -> (B, 10) -> ()
        loss.backward()
        optimizer.step()
        losses[step] = loss.detach()
    seconds = time.perf_counter() - started
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x_test)).double()
        target = torch.from_numpy(y_test)
        test_loss = float(F.cross_entropy(logits, target))
        accuracy = float((logits.argmax(dim=1) == target).double().mean())
    tail = max(1, len(order) // 10)
    seen = int(order.size)
    n = mlp_parameters(hidden)
    return {
        "hidden": hidden, "parameters": n, "examples": seen,
        "compute": training_compute(n, seen),
        "train_loss": float(losses[-tail:].double().mean()),
        "test_loss": test_loss, "test_accuracy": accuracy, "seconds": seconds,
    }
