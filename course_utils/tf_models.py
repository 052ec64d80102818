"""The MNIST classifier of lessons 4-6 in Keras / TensorFlow.

Import this module only where TensorFlow is wanted; ``import course_utils``
does not load it. The PyTorch twin is :mod:`course_utils.torch_models`, with
the same function names; the settings and sizes they share live in
:mod:`course_utils.mnist_models`.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import tensorflow as tf

from ._checks import check_positive_int, describe
from .mnist_models import HIDDEN_UNITS, IMAGE_SHAPE, NUM_CLASSES, TrainingSettings, check_images
from .tf_backend import normalize

__all__ = ["ARTICLE", "COURSE", "EpochTimer", "build_mlp", "compile_mlp", "first_layer_weights", "predict_classes"]

#: The article's settings: Adam with Keras' default learning rate, and batches
#: of 32 (what ``model.fit`` uses when it batches for you).
ARTICLE = TrainingSettings("article", "adam", batch_size=32, learning_rate=0.001)

#: The course's settings: 8 times fewer steps per epoch than the article's,
#: a 10 times larger initial step size that a cosine schedule brings down to 0,
#: and 32 steps per call into the compiled graph.
COURSE = TrainingSettings(
    "course", "adam", batch_size=256, learning_rate=0.01, schedule="cosine", steps_per_execution=32
)

_OUTPUTS = {"probabilities": "softmax", "logits": None}
_DTYPES = ("float32", "float64")


class EpochTimer(tf.keras.callbacks.Callback):
    """A Keras callback that records the wall-clock seconds of each training epoch in ``seconds``."""

    def on_train_begin(self, logs=None):
        self.seconds: list[float] = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)


def build_mlp(
    *, output: str = "probabilities", hidden: int = HIDDEN_UNITS, dtype: str = "float32"
) -> tf.keras.Sequential:
    """The article's model: Flatten, Dense(hidden, ReLU), Dense(10).

    Parameters
    ----------
    output:
        ``"probabilities"`` (the article's choice: the last layer applies a
        softmax) or ``"logits"`` (no activation on the last layer; pair it with
        a loss that has ``from_logits=True``).
    hidden:
        Units in the hidden layer.
    dtype:
        ``"float32"`` (the default, and what training normally uses) or
        ``"float64"``, for the inputs, the weights and the computation.

    Returns
    -------
    keras.Sequential
        Input (batch, 28, 28) of ``dtype``; layers named ``flatten``, ``fc1``
        and ``fc2`` (the names of the PyTorch twin); initialised by Keras'
        defaults (Glorot-uniform kernels, zero biases) from TensorFlow's seed.
    """
    if output not in _OUTPUTS:
        raise ValueError(f"output must be one of {tuple(_OUTPUTS)}; got {describe(output)}.")
    hidden = check_positive_int("hidden", hidden)
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be one of {_DTYPES} (a string); got {dtype!r}.")
    layers = tf.keras.layers
    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=IMAGE_SHAPE, name="image", dtype=dtype),
            layers.Flatten(name="flatten", dtype=dtype),
            layers.Dense(hidden, activation="relu", name="fc1", dtype=dtype),
            layers.Dense(NUM_CLASSES, activation=_OUTPUTS[output], name="fc2", dtype=dtype),
        ],
        name=f"mlp_{output}",
    )


def _check_model(model: Any) -> tf.keras.Model:
    if not isinstance(model, tf.keras.Model):
        raise TypeError(f"model must be a Keras model from build_mlp(); got {describe(model)}.")
    try:
        model.get_layer("fc1")
        model.get_layer("fc2")
    except ValueError:
        raise ValueError(
            f"model must have dense layers named 'fc1' and 'fc2', as build_mlp() makes; got layers "
            f"{[layer.name for layer in model.layers]}."
        ) from None
    return model


def _outputs_logits(model: tf.keras.Model) -> bool:
    name = getattr(model.get_layer("fc2").activation, "__name__", None)
    if name not in ("softmax", "linear"):
        raise ValueError(f"the last layer must apply softmax or nothing; it applies {name!r}.")
    return name == "linear"


def compile_mlp(model: tf.keras.Model, settings: TrainingSettings, *, steps_per_epoch: int) -> tf.keras.Model:
    """Compile ``model`` for training with ``settings``; return the same model.

    The loss is sparse categorical cross-entropy (integer labels), told
    whether the model outputs probabilities or logits by looking at its last
    layer; the metric is accuracy. ``steps_per_epoch`` (``len(dataset)``) sets
    the length of a cosine schedule, which runs over ``settings.epochs`` epochs.
    """
    model = _check_model(model)
    if not isinstance(settings, TrainingSettings):
        raise TypeError(f"settings must be a TrainingSettings, such as COURSE; got {describe(settings)}.")
    steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
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
        loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=_outputs_logits(model)),
        metrics=["accuracy"],
        steps_per_execution=settings.steps_per_execution,
    )
    return model


def predict_classes(model: tf.keras.Model, images: np.ndarray, *, batch_size: int = 2000) -> np.ndarray:
    """The predicted digit for each image: ``uint8`` (N, 28, 28) in, ``int64`` (N,) out.

    The images are scaled exactly as :func:`course_utils.tf_backend.make_dataset`
    scales them; the model runs in inference mode.
    """
    model = _check_model(model)
    images = check_images("images", images)
    batch_size = check_positive_int("batch_size", batch_size)
    out = np.empty(len(images), dtype=np.int64)
    for start in range(0, len(images), batch_size):
        batch = normalize(tf.constant(images[start : start + batch_size]))
        out[start : start + batch_size] = tf.argmax(model(batch, training=False), axis=1).numpy()
    return out


def first_layer_weights(model: tf.keras.Model) -> np.ndarray:
    """The hidden layer's weights as images: a NumPy array of shape (hidden, 28, 28).

    Row ``j`` holds the 784 weights that connect every pixel to hidden unit
    ``j``. Keras stores the kernel as (inputs, outputs), so this is its transpose.
    """
    kernel = _check_model(model).get_layer("fc1").kernel.numpy()
    return np.ascontiguousarray(kernel.T).reshape(-1, *IMAGE_SHAPE)
