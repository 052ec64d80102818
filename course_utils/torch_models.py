"""The MNIST classifier of lessons 4-6 in PyTorch, with its training loop.

Import this module only where PyTorch is wanted; ``import course_utils`` does
not load it. The settings and sizes both frameworks share live in
:mod:`course_utils.mnist_models`.

Twin of :mod:`course_utils.tf_models`. These have the same names, signatures,
defaults and docstrings in both (``tests/test_twins.py`` compares them):
``ARTICLE``, ``COURSE``, :func:`build_mlp`, :func:`set_dense_weights`,
:func:`get_dense_weights`, :func:`dense_gradients`, :func:`predict_classes`,
:func:`evaluate` and :func:`first_layer_weights`. Weights cross in the course
layout (``W`` is fan_in x fan_out, as :func:`course_utils.maths.init_mlp` makes
it); ``nn.Linear`` stores the transpose, (fan_out, fan_in), and the transposing
happens here, in one place.

Deliberate extras, for what PyTorch leaves to the user to write:

* :class:`MLP`: the ``nn.Module`` that :func:`build_mlp` returns (Keras builds
  a ``Sequential`` from layers instead of a class);
* :func:`make_optimizer`: the optimizer and schedule a :class:`TrainingSettings`
  describes (its twin's ``compile_mlp`` does this inside ``model.compile``);
* :func:`train_epoch`: one pass of the training loop, which Keras' ``fit`` runs
  for you (its twin's extra ``EpochTimer`` times ``fit``'s epochs).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .maths import check_params
from .mnist_models import (
    HIDDEN_UNITS,
    IMAGE_SHAPE,
    NUM_CLASSES,
    TrainingSettings,
    check_build_options,
    check_images,
    check_loop_arguments,
)
from .torch_backend import normalize
from .validation import check_array, check_integer, check_one_of, describe

__all__ = [
    "ARTICLE",
    "COURSE",
    "MLP",
    "build_mlp",
    "dense_gradients",
    "evaluate",
    "first_layer_weights",
    "get_dense_weights",
    "make_optimizer",
    "predict_classes",
    "set_dense_weights",
    "train_epoch",
]

#: The article's settings: SGD with learning rate 0.01 and momentum 0.9, on
#: batches of 4 examples.
ARTICLE = TrainingSettings(
    "article", "sgd", batch_size=4, learning_rate=0.01, momentum=0.9
)

#: The course's settings: batches of 128, and a 20 times larger initial step
#: size that a cosine schedule brings down to 0 by the end of the last epoch.
COURSE = TrainingSettings(
    "course", "sgd", batch_size=128, learning_rate=0.2, momentum=0.9, schedule="cosine"
)

_DEFAULT_OUTPUT = "logits"  # nn.CrossEntropyLoss applies the softmax itself
_FINAL = {
    "logits": lambda x: x,
    "probabilities": lambda x: F.softmax(x, dim=1),
    "log_probabilities": lambda x: F.log_softmax(x, dim=1),
}


class MLP(nn.Module):
    """The article's network: flatten, ``fc1`` (784 -> hidden, ReLU), ``fc2`` (hidden -> 10).

    ``forward`` takes a ``float32`` tensor of shape (batch, 28, 28) (or
    anything with 784 numbers per example) and returns one row of 10 scores
    per example: logits, or with ``output="log_probabilities"`` (the article's
    version) log-probabilities, or with ``output="probabilities"`` a softmax.
    """

    def __init__(self, hidden: int = HIDDEN_UNITS, *, output: str = "logits") -> None:
        super().__init__()
        n_inputs = IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
        self.fc1 = nn.Linear(n_inputs, check_integer("hidden", hidden, low=1))
        self.fc2 = nn.Linear(hidden, NUM_CLASSES)
        self.output = check_one_of("output", output, tuple(_FINAL))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.flatten(x, start_dim=1)  # (batch, 28, 28) -> (batch, 784)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return _FINAL[self.output](x)


def build_mlp(
    *, output: str | None = None, hidden: int = HIDDEN_UNITS, dtype: str = "float32"
) -> Any:
    """The article's model: flatten, ``fc1`` (784 -> hidden, ReLU), ``fc2`` (hidden -> 10).

    Parameters
    ----------
    output : {"logits", "probabilities", "log_probabilities"} or None
        What ``fc2`` returns: raw scores (pair them with a loss that takes
        logits: Keras' ``from_logits=True``, PyTorch's ``nn.CrossEntropyLoss``),
        a softmax, or a log-softmax (pair it with PyTorch's ``nn.NLLLoss``).
        None means each framework's usual choice, the one its lesson uses:
        ``"probabilities"`` in Keras (the article's model ends with a softmax),
        ``"logits"`` in PyTorch (its loss applies the softmax).
    hidden : int >= 1
        Units in the hidden layer.
    dtype : {"float32", "float64"}
        A string: the floating type of the weights, the computation and the
        inputs the model expects. The default, float32, is what training uses.

    Returns
    -------
    keras.Sequential or torch_models.MLP
        Dense layers named ``fc1`` and ``fc2`` in both frameworks,
        initialised by the framework's defaults from its own seed (Keras:
        Glorot-uniform kernels and zero biases; PyTorch: ``nn.Linear``'s
        uniform draws, the same for either dtype). Input (batch, 28, 28).
    """
    output, hidden, dtype = check_build_options(
        output, hidden, dtype, default_output=_DEFAULT_OUTPUT
    )
    return MLP(hidden, output=output).to(getattr(torch, dtype))


def _check_model(model: Any) -> MLP:
    if not isinstance(model, MLP):
        raise TypeError(
            f"model must be an MLP from build_mlp(); got {describe(model)}."
        )
    return model


def _check_module(model: Any) -> nn.Module:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module; got {describe(model)}.")
    return model


def _dense_layers(model: Any) -> list[nn.Linear]:
    layers = [m for m in _check_module(model).modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError(f"model must have nn.Linear layers; got {describe(model)}.")
    for layer in layers:
        if layer.bias is None:
            raise ValueError(f"model's nn.Linear layers must have a bias; got {layer}.")
    return layers


def set_dense_weights(model: Any, params: Mapping[str, np.ndarray]) -> None:
    """Load ``W1, b1, ..., WL, bL`` (course layout) into ``model``'s dense layers.

    Parameters
    ----------
    model : keras.Model or torch.nn.Module
        Its dense layers (Keras ``Dense``, PyTorch ``nn.Linear``) in order.
    params : dict of str to numpy.ndarray
        As :func:`course_utils.maths.init_mlp` returns: ``Wi`` of shape
        (fan_in, fan_out) and ``bi`` of shape (fan_out,), one pair per dense
        layer. The values are converted to the model's dtype; ``params`` is
        not modified.
    """
    layers = _dense_layers(model)
    check_params(params, n_layers=len(layers))
    with torch.no_grad():
        for i, layer in enumerate(layers, start=1):
            shape = (layer.in_features, layer.out_features)
            check_array(f"params['W{i}']", params[f"W{i}"], shape=shape)
            layer.weight.copy_(torch.from_numpy(params[f"W{i}"].T))  # (out, in)
            layer.bias.copy_(torch.from_numpy(params[f"b{i}"]))


def get_dense_weights(model: Any) -> dict[str, np.ndarray]:
    """The weights of ``model``'s dense layers in the course layout: ``W1, b1, ...``.

    Parameters
    ----------
    model : keras.Model or torch.nn.Module
        Its dense layers (Keras ``Dense``, PyTorch ``nn.Linear``) in order.

    Returns
    -------
    dict of str to numpy.ndarray
        New arrays, in the model's dtype: ``Wi`` of shape (fan_in, fan_out),
        ``bi`` of shape (fan_out,), the keys of :func:`course_utils.maths.init_mlp`.
    """
    params: dict[str, np.ndarray] = {}
    for i, layer in enumerate(_dense_layers(model), start=1):
        weight = layer.weight.detach().cpu().numpy()  # (out, in)
        params[f"W{i}"] = weight.T.copy()
        params[f"b{i}"] = layer.bias.detach().cpu().numpy().copy()
    return params


def dense_gradients(model: Any, grads: Sequence[Any]) -> dict[str, np.ndarray]:
    """Gradients of ``model``'s dense layers in the course layout: ``W1, b1, ...``.

    Parameters
    ----------
    model : keras.Model or torch.nn.Module
        Its dense layers (Keras ``Dense``, PyTorch ``nn.Linear``) in order.
    grads : sequence of tensors
        One gradient per trainable parameter, in the framework's order:
        ``tape.gradient(loss, model.trainable_variables)`` in TensorFlow,
        ``[p.grad for p in model.parameters()]`` in PyTorch.

    Returns
    -------
    dict of str to numpy.ndarray
        New arrays shaped like :func:`get_dense_weights`' (``Wi`` is
        fan_in x fan_out), so that they compare with
        :func:`course_utils.maths.mlp_backward` directly.
    """
    layers = _dense_layers(model)
    variables = list(model.parameters())
    if isinstance(grads, (str, bytes)) or not isinstance(grads, Sequence):
        raise TypeError(
            "grads must be a list of gradients, one per trainable variable; "
            f"got {describe(grads)}."
        )
    if len(grads) != len(variables):
        raise ValueError(
            f"grads must hold one gradient per trainable variable ({len(variables)}); "
            f"got {len(grads)}."
        )
    by_variable = {id(v): g for v, g in zip(variables, grads)}
    out: dict[str, np.ndarray] = {}
    for i, layer in enumerate(layers, start=1):
        for key, variable in ((f"W{i}", layer.weight), (f"b{i}", layer.bias)):
            if by_variable.get(id(variable)) is None:
                raise ValueError(f"grads has no gradient for {key} ({layer}).")
            value = by_variable[id(variable)].detach().cpu().numpy()
            out[key] = value.T.copy() if key[0] == "W" else value.copy()  # (out, in)
    return out


def predict_classes(
    model: Any, images: np.ndarray, *, batch_size: int = 2000
) -> np.ndarray:
    """The predicted digit for each image: ``uint8`` (N, 28, 28) in, ``int64`` (N,) out.

    Parameters
    ----------
    model : keras.Model or torch.nn.Module
        A model from ``build_mlp`` (in PyTorch, any module that maps images to
        10 scores).
    images : numpy.ndarray of uint8, shape (N, 28, 28)
        Scaled exactly as the backend's ``make_dataset`` scales them.
    batch_size : int >= 1
        Images per forward pass.

    The model runs in inference mode without gradients; a PyTorch model's
    mode is restored afterwards.
    """
    model = _check_module(model)
    images = check_images("images", images)
    batch_size = check_integer("batch_size", batch_size, low=1)
    out = np.empty(len(images), dtype=np.int64)
    dtype = next(
        model.parameters(), torch.zeros(())
    ).dtype  # float32, or float64 for a float64 model
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                batch = normalize(
                    torch.from_numpy(images[start : start + batch_size])
                ).to(device=_device_of(model), dtype=dtype)
                scores = model(batch)
                out[start : start + batch_size] = scores.argmax(dim=1).cpu().numpy()
    finally:
        model.train(was_training)
    return out


def evaluate(model: Any, batches: Iterable[Any], loss_fn: Any) -> dict[str, float]:
    """Mean loss and accuracy of ``model`` on ``batches``, in inference mode.

    Parameters
    ----------
    model : keras.Model or torch.nn.Module
    batches : iterable of (images, labels)
        Such as the backend's ``make_dataset(...)``: a ``tf.data.Dataset`` or
        ``torch_backend.Batches``.
    loss_fn : callable
        The framework's loss, called as that framework calls it: Keras
        ``loss_fn(labels, scores)``, PyTorch ``loss_fn(scores, labels)``; it
        returns the mean over a batch.

    Returns
    -------
    dict of str to float
        ``{"loss": ..., "accuracy": ...}``, each averaged over all examples.
        No gradients are recorded; a PyTorch model's mode (training or
        evaluation) is restored afterwards.
    """
    _check_module(model)
    check_loop_arguments(batches, loss_fn)
    was_training = model.training
    model.eval()  # layers such as dropout and batch normalisation behave differently here
    total_loss, correct, seen = 0.0, 0, 0
    try:
        with torch.no_grad():  # no graph is recorded: less memory, less time
            device = _device_of(model)  # batches go where the parameters are
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


def make_optimizer(
    model: nn.Module, settings: TrainingSettings, *, steps_per_epoch: int
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """The optimizer that ``settings`` describe, and its learning-rate schedule.

    Returns ``(optimizer, scheduler)``; ``scheduler`` is None for a constant
    learning rate. A cosine schedule runs over ``settings.epochs *
    steps_per_epoch`` steps and must be stepped once per batch, after the
    optimizer (:func:`train_epoch` does so).
    """
    _check_module(model)
    if not isinstance(settings, TrainingSettings):
        raise TypeError(
            f"settings must be a TrainingSettings, such as COURSE; got {describe(settings)}."
        )
    steps_per_epoch = check_integer("steps_per_epoch", steps_per_epoch, low=1)
    if settings.optimizer == "adam":
        optimizer: torch.optim.Optimizer = torch.optim.Adam(
            model.parameters(), lr=settings.learning_rate
        )
    else:
        optimizer = torch.optim.SGD(
            model.parameters(), lr=settings.learning_rate, momentum=settings.momentum
        )
    scheduler = None
    if settings.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=settings.epochs * steps_per_epoch
        )
    return optimizer, scheduler


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
    _check_module(model)
    check_loop_arguments(batches, loss_fn)
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(
            f"optimizer must be a torch.optim.Optimizer; got {describe(optimizer)}."
        )
    model.train()
    # Per step, keep only the loss and the predicted classes (no .item(): that would
    # wait for each step to finish); add them up once, after the epoch.
    losses: list[torch.Tensor] = []
    predictions: list[torch.Tensor] = []
    targets: list[torch.Tensor] = []
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(
            total=len(batches) if hasattr(batches, "__len__") else None,
            desc=description,
            file=sys.stdout,
            mininterval=0.5,
            ncols=90,
            unit="batch",
        )
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
                bar.set_postfix(
                    loss=f"{torch.stack(losses).mean().item():.4f}", refresh=False
                )  # so far
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


def first_layer_weights(model: Any) -> np.ndarray:
    """The hidden layer's weights as images: a NumPy array of shape (hidden, 28, 28).

    Parameters
    ----------
    model : keras.Model or torch_models.MLP
        From ``build_mlp``.

    Row ``j`` holds the 784 weights that connect every pixel to hidden unit
    ``j``: column ``j`` of ``W1`` in the course layout.
    """
    w1 = get_dense_weights(_check_model(model))["W1"]
    return np.ascontiguousarray(w1.T).reshape(-1, *IMAGE_SHAPE)
