"""The MNIST classifier of lessons 4-6 in Keras / TensorFlow.

Import this module only where TensorFlow is wanted; ``import course_utils``
does not load it. The settings and sizes both frameworks share live in
:mod:`course_utils.mnist_models`.

Twin of :mod:`course_utils.torch_models`. These have the same names,
signatures, defaults and docstrings in both (``tests/test_twins.py`` compares
them): ``ARTICLE``, ``COURSE``, :func:`build_mlp`, :func:`set_dense_weights`,
:func:`get_dense_weights`, :func:`dense_gradients`, :func:`predict_classes`,
:func:`evaluate` and :func:`first_layer_weights`. Weights cross in the course
layout (``W`` is fan_in x fan_out, as :func:`course_utils.maths.init_mlp` makes
it), which is also Keras' kernel layout, so nothing is transposed here.

Deliberate extras, for what only Keras has:

* :func:`compile_mlp`: ``model.compile`` with a :class:`TrainingSettings`
  (PyTorch has no compile step; its twin has ``make_optimizer``);
* :class:`EpochTimer`: a callback for ``model.fit``, which runs the loop
  (PyTorch's loop is written out, in ``train_epoch``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

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
from .tf_backend import normalize
from .validation import check_array, check_integer, describe

__all__ = [
    "ARTICLE",
    "COURSE",
    "EpochTimer",
    "build_mlp",
    "compile_mlp",
    "dense_gradients",
    "evaluate",
    "first_layer_weights",
    "get_dense_weights",
    "predict_classes",
    "set_dense_weights",
]

#: The article's settings: Adam with Keras' default learning rate, and batches
#: of 32 (what ``model.fit`` uses when it batches for you).
ARTICLE = TrainingSettings("article", "adam", batch_size=32, learning_rate=0.001)

#: The course's settings: 8 times fewer steps per epoch than the article's,
#: a 10 times larger initial step size that a cosine schedule brings down to 0,
#: and 32 steps per call into the compiled graph.
COURSE = TrainingSettings(
    "course",
    "adam",
    batch_size=256,
    learning_rate=0.01,
    schedule="cosine",
    steps_per_execution=32,
)

_ACTIVATIONS = {
    "logits": None,
    "probabilities": "softmax",
    "log_probabilities": "log_softmax",
}
_DEFAULT_OUTPUT = "probabilities"  # the article's Keras model ends with a softmax


class EpochTimer(tf.keras.callbacks.Callback):
    """A Keras callback that records the wall-clock seconds of each epoch in ``seconds``."""

    def on_train_begin(self, logs=None):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)


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
    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=IMAGE_SHAPE, name="image", dtype=dtype),
            layers.Flatten(name="flatten", dtype=dtype),
            layers.Dense(hidden, activation="relu", name="fc1", dtype=dtype),
            layers.Dense(
                NUM_CLASSES, activation=_ACTIVATIONS[output], name="fc2", dtype=dtype
            ),
        ],
        name=f"mlp_{output}",
    )


def _dense_layers(model: Any) -> list[Any]:
    if not isinstance(model, tf.keras.Model):
        raise TypeError(f"model must be a Keras model; got {describe(model)}.")
    layers = [
        layer for layer in model.layers if isinstance(layer, tf.keras.layers.Dense)
    ]
    if not layers:
        raise ValueError(
            "model must have Dense layers; got layers "
            f"{[layer.name for layer in model.layers]}."
        )
    for layer in layers:
        if not layer.use_bias:
            raise ValueError(f"model's Dense layer {layer.name!r} must have a bias.")
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
    for i, layer in enumerate(layers, start=1):
        kernel, _ = layer.get_weights()
        check_array(f"params['W{i}']", params[f"W{i}"], shape=kernel.shape)
        layer.set_weights([params[f"W{i}"], params[f"b{i}"]])  # Keras: the same layout


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
        kernel, bias = layer.get_weights()  # copies; Keras kernels are (in, out)
        params[f"W{i}"], params[f"b{i}"] = kernel, bias
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
    variables = model.trainable_variables
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
        for key, variable in ((f"W{i}", layer.kernel), (f"b{i}", layer.bias)):
            if id(variable) not in by_variable or by_variable[id(variable)] is None:
                raise ValueError(f"grads has no gradient for {key} ({variable.name}).")
            out[key] = np.array(by_variable[id(variable)])  # Keras: the same layout
    return out


def _check_model(model: Any) -> tf.keras.Model:
    if not isinstance(model, tf.keras.Model):
        raise TypeError(
            f"model must be a Keras model from build_mlp(); got {describe(model)}."
        )
    try:
        model.get_layer("fc1")
        model.get_layer("fc2")
    except ValueError:
        raise ValueError(
            "model must have dense layers named 'fc1' and 'fc2', as build_mlp() makes; "
            f"got layers {[layer.name for layer in model.layers]}."
        ) from None
    return model


def _outputs_logits(model: tf.keras.Model) -> bool:
    """Whether the loss must be told ``from_logits=True`` for ``model``'s outputs.

    A log-softmax counts as logits: the softmax of log-probabilities gives the
    probabilities back, so the loss is the same.
    """
    name = getattr(model.get_layer("fc2").activation, "__name__", None)
    if name not in ("softmax", "linear", "log_softmax"):
        raise ValueError(
            f"the last layer must apply softmax, log_softmax or nothing; it applies {name!r}."
        )
    return name != "softmax"


def compile_mlp(
    model: tf.keras.Model, settings: TrainingSettings, *, steps_per_epoch: int
) -> tf.keras.Model:
    """Compile ``model`` for training with ``settings``; return the same model.

    The loss is sparse categorical cross-entropy (integer labels), told
    whether the model outputs probabilities or logits by looking at its last
    layer; the metric is accuracy.

    Parameters
    ----------
    model : keras.Model
        From :func:`build_mlp`.
    settings : TrainingSettings
        Such as :data:`COURSE` or :data:`ARTICLE`.
    steps_per_epoch : int >= 1
        ``len(dataset)``: sets the length of a cosine schedule, which runs over
        ``settings.epochs`` epochs.
    """
    model = _check_model(model)
    if not isinstance(settings, TrainingSettings):
        raise TypeError(
            f"settings must be a TrainingSettings, such as COURSE; got {describe(settings)}."
        )
    steps_per_epoch = check_integer("steps_per_epoch", steps_per_epoch, low=1)
    learning_rate: Any = settings.learning_rate
    if settings.schedule == "cosine":
        learning_rate = tf.keras.optimizers.schedules.CosineDecay(
            settings.learning_rate, decay_steps=settings.epochs * steps_per_epoch
        )
    if settings.optimizer == "adam":
        optimizer = tf.keras.optimizers.Adam(learning_rate)
    else:
        optimizer = tf.keras.optimizers.SGD(learning_rate, momentum=settings.momentum)
    model.compile(
        optimizer=optimizer,
        loss=tf.keras.losses.SparseCategoricalCrossentropy(
            from_logits=_outputs_logits(model)
        ),
        metrics=["accuracy"],
        steps_per_execution=settings.steps_per_execution,
    )
    return model


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
    model = _check_model(model)
    images = check_images("images", images)
    batch_size = check_integer("batch_size", batch_size, low=1)
    out = np.empty(len(images), dtype=np.int64)
    for start in range(0, len(images), batch_size):
        batch = normalize(tf.constant(images[start : start + batch_size]))
        scores = model(batch, training=False)
        out[start : start + batch_size] = tf.argmax(scores, axis=1).numpy()
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
    if not isinstance(model, tf.keras.Model):
        raise TypeError(f"model must be a Keras model; got {describe(model)}.")
    check_loop_arguments(batches, loss_fn)
    total_loss, correct, seen = 0.0, 0, 0
    for images, labels in batches:
        scores = model(images, training=False)
        n = int(labels.shape[0])
        total_loss += float(loss_fn(labels, scores)) * n
        predicted = tf.argmax(scores, axis=1, output_type=tf.int64)
        correct += int(
            tf.reduce_sum(tf.cast(predicted == tf.cast(labels, tf.int64), tf.int64))
        )
        seen += n
    if seen == 0:
        raise ValueError("batches yielded no batch; there is nothing to evaluate.")
    return {"loss": total_loss / seen, "accuracy": correct / seen}


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
