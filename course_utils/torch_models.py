"""The MNIST classifier of lessons 4-6 in PyTorch, with its training loop.

Import this module only where PyTorch is wanted; ``import course_utils`` does
not load it. The Keras twin is :mod:`course_utils.tf_models`, with the same
function names; the settings and sizes they share live in
:mod:`course_utils.mnist_models`.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ._checks import check_positive_int, describe
from .mnist_models import HIDDEN_UNITS, IMAGE_SHAPE, NUM_CLASSES, TrainingSettings, check_images
from .torch_backend import normalize

__all__ = [
    "ARTICLE",
    "COURSE",
    "MLP",
    "build_mlp",
    "evaluate",
    "first_layer_weights",
    "make_optimizer",
    "predict_classes",
    "train_epoch",
]

#: The article's settings: SGD with learning rate 0.01 and momentum 0.9, on
#: batches of 4 examples.
ARTICLE = TrainingSettings("article", "sgd", batch_size=4, learning_rate=0.01, momentum=0.9)

#: The course's settings: batches of 128, and a 20 times larger initial step
#: size that a cosine schedule brings down to 0 by the end of the last epoch.
COURSE = TrainingSettings("course", "sgd", batch_size=128, learning_rate=0.2, momentum=0.9, schedule="cosine")

_OUTPUTS = ("logits", "log_probabilities")
_DTYPES = ("float32", "float64")


class MLP(nn.Module):
    """The article's network: flatten, ``fc1`` (784 -> hidden, ReLU), ``fc2`` (hidden -> 10).

    ``forward`` takes a ``float32`` tensor of shape (batch, 28, 28) (or
    anything with 784 numbers per example) and returns one row of 10 scores
    per example: logits, or with ``log_softmax=True`` (the article's version)
    log-probabilities.
    """

    def __init__(self, hidden: int = HIDDEN_UNITS, *, log_softmax: bool = False) -> None:
        super().__init__()
        n_inputs = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
        self.fc1 = nn.Linear(n_inputs, hidden)
        self.fc2 = nn.Linear(hidden, NUM_CLASSES)
        self.log_softmax = bool(log_softmax)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, start_dim=1)  # (batch, 28, 28) -> (batch, 784)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return F.log_softmax(x, dim=1) if self.log_softmax else x


def build_mlp(*, output: str = "logits", hidden: int = HIDDEN_UNITS, dtype: str = "float32") -> MLP:
    """A new :class:`MLP` with PyTorch's default initialisation (from PyTorch's seed).

    ``output`` is ``"logits"`` (pair it with ``nn.CrossEntropyLoss``) or
    ``"log_probabilities"`` (the article's ``log_softmax``; pair it with
    ``nn.NLLLoss``). ``dtype`` is ``"float32"`` (the default) or ``"float64"``
    for the parameters; the inputs must then have the same dtype. The random
    draws do not depend on ``dtype``: a ``float64`` model holds exactly the
    ``float32`` model's initial values, converted.
    """
    if output not in _OUTPUTS:
        raise ValueError(f"output must be one of {_OUTPUTS}; got {describe(output)}.")
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {_DTYPES} (a string); got {dtype!r}.")
    model = MLP(check_positive_int("hidden", hidden), log_softmax=output == "log_probabilities")
    return model.to(getattr(torch, dtype))


def _check_model(model: Any) -> MLP:
    if not isinstance(model, MLP):
        raise TypeError(f"model must be an MLP from build_mlp(); got {describe(model)}.")
    return model


def make_optimizer(
    model: nn.Module, settings: TrainingSettings, *, steps_per_epoch: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """The optimizer that ``settings`` describe, and its learning-rate schedule.

    Returns ``(optimizer, scheduler)``; ``scheduler`` is None for a constant
    learning rate. A cosine schedule runs over ``settings.epochs *
    steps_per_epoch`` steps and must be stepped once per batch, after the
    optimizer (:func:`train_epoch` does so).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {describe(model)}.")
    if not isinstance(settings, TrainingSettings):
        raise TypeError(f"settings must be a TrainingSettings, such as COURSE; got {describe(settings)}.")
    steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
    if settings.optimizer == "adam":
        optimizer: torch.optim.Optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=settings.learning_rate, momentum=settings.momentum)
    scheduler = None
    if settings.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=settings.epochs * steps_per_epoch)
    return optimizer, scheduler


def _check_loop_arguments(model: Any, batches: Any, loss_fn: Any) -> None:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {describe(model)}.")
    if not isinstance(batches, Iterable):
        raise TypeError(
            "batches must be an iterable of (images, labels) tensors, such as "
            f"course_utils.torch_backend.make_dataset(...); got {describe(batches)}."
        )
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be a loss such as nn.CrossEntropyLoss(); got {describe(loss_fn)}.")


def _device_of(model: nn.Module) -> torch.device:
    """Where the model's parameters live (the CPU for a model without any)."""
    return next(model.parameters(), torch.zeros(())).device


def train_epoch(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    loss_fn: nn.Module,
    *,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    progress: bool = False,
    description: str = "training",
) -> dict[str, float]:
    """One pass over ``batches``: the training steps of the five-step recipe.

    Each batch is moved to the device of the model's parameters first, so a
    model put on :func:`course_utils.torch_backend.best_device` trains there.

    For each batch: forget the old gradients, forward pass, loss, backward
    pass, update (then advance ``scheduler``, if any). The model is put in
    training mode first. With ``progress=True`` a text progress bar (tqdm)
    shows the steps and the running loss.

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}``: the mean loss and the accuracy over
        the epoch's examples, each measured on its batch before that batch's update.
    """
    _check_loop_arguments(model, batches, loss_fn)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer; got {describe(optimizer)}.")
    model.train()
    # Per step, keep only the loss and the predicted classes (no .item(): that would
    # wait for each step to finish); add them up once, after the epoch.
    losses: list[torch.Tensor] = []
    predictions: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=len(batches) if hasattr(batches, "__len__") else None, desc=description,
                   file=sys.stdout, mininterval=0.5, ncols=90, unit="batch")
    device = _device_of(model)
    for images, labels in batches:
        images, labels = images.to(device), labels.to(device)  # no copy when already there
        optimizer.zero_grad()
        scores = model(images)
        loss = loss_fn(scores, labels)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        losses.append(loss.detach())
        predictions.append(scores.detach().argmax(dim=1))
        targets.append(labels)
        if bar is not None:
            bar.update(1)
            if bar.n % 50 == 0:
                bar.set_postfix(loss=f"{torch.stack(losses).mean().item():.4f}", refresh=False)  # so far
    if not losses:
        raise ValueError("batches yielded no batch; there is nothing to train on.")
    sizes = torch.tensor([len(t) for t in targets], dtype=torch.float64)
    mean_loss = float((torch.stack(losses).double() * sizes).sum() / sizes.sum())
    accuracy = float((torch.cat(predictions) == torch.cat(targets)).double().mean())
    result = {"loss": mean_loss, "accuracy": accuracy}
    if bar is not None:
        bar.set_postfix(loss=f"{mean_loss:.4f}", refresh=False)
        bar.close()
    return result


def evaluate(
    model: nn.Module, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], loss_fn: nn.Module
) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``batches``, in evaluation mode, without gradients.

    The model's mode (training or evaluation) is restored afterwards. Batches
    go to the device of the model's parameters, as in :func:`train_epoch`.
    Returns ``{"loss": ..., "accuracy": ...}``.
    """
    _check_loop_arguments(model, batches, loss_fn)
    was_training = model.training
    model.eval()  # layers such as dropout and batch normalisation behave differently here
    total_loss, correct, seen = 0.0, 0, 0
    try:
        with torch.no_grad():  # no graph is recorded: less memory, less time
            device = _device_of(model)
            for images, labels in batches:
                images, labels = images.to(device), labels.to(device)
                scores = model(images)
                total_loss += loss_fn(scores, labels).item() * len(labels)
                correct += int((scores.argmax(dim=1) == labels).sum())
                seen += len(labels)
    finally:
        model.train(was_training)
    if seen == 0:
        raise ValueError("batches yielded no batch; there is nothing to evaluate.")
    return {"loss": total_loss / seen, "accuracy": correct / seen}


def predict_classes(model: nn.Module, images: np.ndarray, *, batch_size: int = 2000) -> np.ndarray:
    """The predicted digit for each image: ``uint8`` (N, 28, 28) in, ``int64`` (N,) out.

    The images are scaled exactly as :func:`course_utils.torch_backend.make_dataset`
    scales them; the model runs in evaluation mode without gradients (its
    mode is restored afterwards).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {describe(model)}.")
    images = check_images("images", images)
    batch_size = check_positive_int("batch_size", batch_size)
    out = np.empty(len(images), dtype=np.int64)
    dtype = next(model.parameters(), torch.zeros(())).dtype  # float32, or float64 for a float64 model
    device = _device_of(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                batch = normalize(torch.from_numpy(images[start : start + batch_size]))
                batch = batch.to(device=device, dtype=dtype)
                out[start : start + batch_size] = model(batch).argmax(dim=1).cpu().numpy()
    finally:
        model.train(was_training)
    return out


def first_layer_weights(model: nn.Module) -> np.ndarray:
    """The hidden layer's weights as images: a NumPy array of shape (hidden, 28, 28).

    Row ``j`` holds the 784 weights that connect every pixel to hidden unit
    ``j``; ``nn.Linear`` already stores its weight as (outputs, inputs).
    """
    weight = _check_model(model).fc1.weight.detach().cpu().numpy()
    return weight.copy().reshape(-1, *IMAGE_SHAPE)
