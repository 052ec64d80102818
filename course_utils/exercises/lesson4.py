"""Public self-checks for the exercises of lesson 4 (MNIST with Keras and TensorFlow).

``q1``: ``make_pipeline(images, labels, batch_size, seed)`` returning a
batched, shuffled ``tf.data.Dataset`` of ``float32`` images in [0, 1] and
``int64`` labels; ``q2``: ``build_model()``, Flatten - Dense(128, ReLU) -
Dense(10) with logits out; ``q3``: ``compile_model(model)`` with Adam (learning
rate 0.001), sparse categorical cross-entropy on logits and accuracy;
``q4``: a written answer on ``from_logits``.

The checks use small synthetic images, never the MNIST files, and import
TensorFlow only when they run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..i18n import N_, _
from ..selfcheck import AnswerTypeError, CheckFailure, Question, assert_close, assert_int, to_numpy
from ._common import require_callable

PARAMETERS = 101_770  # 784 * 128 + 128 + 128 * 10 + 10


def example_data(n: int = 250) -> tuple[np.ndarray, np.ndarray]:
    """``n`` (at most 256) synthetic 28 x 28 ``uint8`` images and labels.

    Image i is filled with the value i and has the label i % 10.
    """
    index = np.arange(n)
    images = np.broadcast_to(index.astype(np.uint8)[:, None, None], (n, 28, 28)).copy()
    return images, (index % 10).astype(np.uint8)


def _is_tf(value: Any) -> bool:
    return type(value).__module__.split(".")[0] in ("tensorflow", "keras")


def _collect(answer: Any, batch_size: int = 32, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    make = require_callable(answer, "make_pipeline")
    images, labels = example_data()
    dataset = make(images, labels, batch_size=batch_size, seed=seed)
    if not _is_tf(dataset) or not hasattr(dataset, "element_spec"):
        raise AnswerTypeError(f"make_pipeline should return a tf.data.Dataset; got {type(dataset).__name__}.")
    return [(to_numpy(x, "a batch of images"), to_numpy(y, "a batch of labels")) for x, y in dataset]


def _pipeline_types(answer: Any) -> None:
    make = require_callable(answer, "make_pipeline")
    images, labels = example_data()
    dataset = make(images, labels, batch_size=32, seed=0)
    if not _is_tf(dataset) or not hasattr(dataset, "element_spec"):
        raise AnswerTypeError(f"make_pipeline should return a tf.data.Dataset; got {type(dataset).__name__}.")
    spec = dataset.element_spec
    if not isinstance(spec, tuple) or len(spec) != 2:
        raise CheckFailure(f"each element should be a pair (images, labels); the element spec is {spec}.")
    x_spec, y_spec = spec
    if x_spec.dtype.name != "float32" or tuple(x_spec.shape.as_list()[1:]) != (28, 28):
        raise CheckFailure(f"images should be float32 batches of shape (batch, 28, 28); the spec is {x_spec}.")
    if y_spec.dtype.name != "int64" or len(y_spec.shape) != 1:
        raise CheckFailure(f"labels should be int64 batches of shape (batch,); the spec is {y_spec}.")


def _pipeline_content(answer: Any) -> None:
    batches = _collect(answer)
    sizes = [len(y) for _images, y in batches]
    if sizes != [32] * 7 + [26]:
        raise CheckFailure(
            f"250 examples in batches of 32 should give 7 batches of 32 and one of 26; got sizes {sizes}."
        )
    x = np.concatenate([b[0] for b in batches])
    y = np.concatenate([b[1] for b in batches])
    if float(x.min()) < 0.0 or float(x.max()) > 1.0:
        raise CheckFailure(f"pixels should be scaled to [0, 1]; got values from {x.min()} to {x.max()}.")
    ids = np.rint(x[:, 0, 0] * 255).astype(int)
    if sorted(ids.tolist()) != list(range(250)):
        raise CheckFailure(_("every example should appear exactly once per pass (pixel values were divided by 255?)."))
    assert_close(x, ids[:, None, None] / 255.0 * np.ones((1, 28, 28)), name="the scaled images", rtol=1e-6, atol=1e-6)
    if not np.array_equal(y, ids % 10):
        raise CheckFailure(_("images and labels were separated: shuffle them together, as pairs."))


def _pipeline_shuffled(answer: Any) -> None:
    first = np.concatenate([b[1] for b in _collect(answer, seed=0)])
    again = np.concatenate([b[1] for b in _collect(answer, seed=0)])
    order = np.concatenate([np.rint(b[0][:, 0, 0] * 255) for b in _collect(answer, seed=0)])
    if np.array_equal(order, np.arange(250)):
        raise CheckFailure(_("the examples come out in their original order; shuffle them."))
    if not np.array_equal(first, again):
        raise CheckFailure(_("two pipelines with the same seed gave different orders; pass seed to shuffle."))


def _reference_model():
    import keras

    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(), keras.layers.Dense(128, activation="relu"),
                             keras.layers.Dense(10)])


def _model(answer: Any):
    build = require_callable(answer, "build_model")
    model = build()
    if not _is_tf(model) or not hasattr(model, "count_params"):
        raise AnswerTypeError(f"build_model should return a Keras model; got {type(model).__name__}.")
    return model


def _model_parameters(answer: Any) -> None:
    assert_int(_model(answer).count_params(), PARAMETERS, name="the number of parameters")


def _model_output(answer: Any) -> None:
    model = _model(answer)
    out = to_numpy(model(np.zeros((3, 28, 28), dtype=np.float32)), "the model's output")
    if out.shape != (3, 10):
        raise CheckFailure(f"3 images should give outputs of shape (3, 10); got {out.shape}.")


def _model_logits(answer: Any) -> None:
    last = _model(answer).layers[-1]
    name = getattr(getattr(last, "activation", None), "__name__", "")
    if name != "linear":
        raise CheckFailure(f"the last layer should output logits (no activation); it applies {name or 'something'}.")


def _compiled(answer: Any):
    compile_model = require_callable(answer, "compile_model")
    model = _reference_model()
    out = compile_model(model)
    return model if out is None else out


def _compile_optimizer(answer: Any) -> None:
    model = _compiled(answer)
    optimizer = getattr(model, "optimizer", None)
    if type(optimizer).__name__ != "Adam":
        raise CheckFailure(f"the optimizer should be Adam; got {type(optimizer).__name__}.")
    assert_close(float(optimizer.learning_rate.numpy()), 1e-3, name="the learning rate")


def _compile_loss(answer: Any) -> None:
    loss = getattr(_compiled(answer), "loss", None)
    config = loss.get_config() if hasattr(loss, "get_config") else {}
    if type(loss).__name__ != "SparseCategoricalCrossentropy" or not config.get("from_logits"):
        raise CheckFailure(
            f"the loss should be SparseCategoricalCrossentropy(from_logits=True); got {loss!r}. A string such as "
            "'sparse_categorical_crossentropy' means from_logits=False."
        )


q1 = Question(
    N_("Question 1 (make_pipeline)"),
    [
        (N_("element types and shapes"), _pipeline_types),
        (N_("every example once, scaled to [0, 1], with its own label"), _pipeline_content),
        (N_("shuffled, reproducibly"), _pipeline_shuffled),
    ],
    hint=N_("tf.data.Dataset.from_tensor_slices((images, labels)), then .shuffle(len(images), seed=seed), "
    ".batch(batch_size) and a .map that casts images to float32 / 255 and labels to int64."),
    expects=N_("your function make_pipeline"),
)

q2 = Question(
    N_("Question 2 (build_model)"),
    [
        (N_("101,770 parameters"), _model_parameters),
        (N_("ten outputs per image"), _model_output),
        (N_("logits out (no softmax)"), _model_logits),
    ],
    hint=N_("keras.Sequential([keras.Input((28, 28)), Flatten(), Dense(128, activation='relu'), Dense(10)])."),
    expects=N_("your function build_model"),
)

q3 = Question(
    N_("Question 3 (compile_model)"),
    [
        (N_("Adam with learning rate 0.001"), _compile_optimizer),
        (N_("sparse categorical cross-entropy on logits"), _compile_loss),
    ],
    hint=N_("model.compile(optimizer=keras.optimizers.Adam(1e-3), "
    "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=['accuracy'])."),
    expects=N_("your function compile_model"),
)

q4 = Question(
    N_("Question 4 (written: from_logits)"),
    [],
    hint=N_("What does the loss compute with from_logits=False when the last layer has no softmax?"),
)

__all__ = ["q1", "q2", "q3", "q4", "example_data", "PARAMETERS"]
