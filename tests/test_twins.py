"""tf_models and torch_models are twins: the same public API, and the same numbers.

The API half compares names, signatures (``inspect.signature``) and docstrings;
whatever one module has and the other lacks must be listed in its module
docstring as a deliberate extra. The numeric half loads the same weights into
both frameworks and checks that outputs, gradients and evaluations agree with
each other and with the NumPy reference.
"""

from __future__ import annotations

import inspect
import types

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")

from course_utils import maths, mnist_models, tf_models, torch_models  # noqa: E402
from course_utils import tf_backend, torch_backend  # noqa: E402

#: What both must offer (lessons and benchmarks rely on these in both frameworks).
REQUIRED = {
    "ARTICLE",
    "COURSE",
    "build_mlp",
    "dense_gradients",
    "evaluate",
    "first_layer_weights",
    "get_dense_weights",
    "predict_classes",
    "set_dense_weights",
}


def api_drift(a: types.ModuleType, b: types.ModuleType) -> list[str]:
    """Every way the shared public API of ``a`` and ``b`` differs, one line each."""
    problems = []
    shared = sorted(set(a.__all__) & set(b.__all__))
    for name in sorted(REQUIRED - set(shared)):
        problems.append(f"{name}: missing from {a.__name__ if name not in a.__all__ else b.__name__}")
    for name in shared:
        x, y = getattr(a, name), getattr(b, name)
        if type(x) is not type(y):
            problems.append(f"{name}: {type(x).__name__} in one, {type(y).__name__} in the other")
            continue
        if callable(x):
            sx, sy = inspect.signature(x), inspect.signature(y)
            if sx != sy:
                problems.append(f"{name}: signature {sx} differs from {sy}")
            if inspect.getdoc(x) != inspect.getdoc(y):
                problems.append(f"{name}: the docstrings differ")
    for module, other in ((a, b), (b, a)):
        for name in sorted(set(module.__all__) - set(other.__all__)):
            extras = (module.__doc__ or "").partition("Deliberate extras")[2]
            if f"{name}`" not in extras:
                problems.append(
                    f"{name}: only in {module.__name__}, and not listed in its docstring's "
                    "'Deliberate extras'"
                )
    return problems


def test_the_two_public_apis_are_twins():
    drift = api_drift(tf_models, torch_models)
    assert not drift, "the twins drifted apart:\n" + "\n".join(drift)


def _module(name, doc, **members):
    module = types.ModuleType(name, doc)
    module.__dict__.update(members)
    module.__all__ = sorted(members)
    return module


def test_api_drift_is_caught():
    def build_mlp(*, output=None, hidden=128, dtype="float32"):
        """Doc."""

    def build_mlp_other_default(*, output=None, hidden=64, dtype="float32"):
        """Doc."""

    def extra():
        pass

    members = {name: build_mlp for name in REQUIRED}
    a = _module("a", "A.\n\nDeliberate extras:\n\n* :func:`extra`", **members, extra=extra)
    b = _module("b", "B.", **{**members, "build_mlp": build_mlp_other_default, "evaluate": 1})
    assert api_drift(a, a) == []
    drift = api_drift(a, b)
    assert any(p.startswith("build_mlp: signature") and "hidden=128" in p for p in drift)
    assert "evaluate: function in one, int in the other" in drift
    assert not any(p.startswith("extra") for p in drift)  # listed as an extra in a
    c = _module("c", "C, without a list of extras.", **members, extra=extra)
    assert api_drift(c, a) == []  # both have extra
    assert any(p.startswith("extra: only in c") for p in api_drift(c, b))
    del b.__dict__["set_dense_weights"]
    b.__all__.remove("set_dense_weights")
    assert "set_dense_weights: missing from b" in api_drift(a, b)


# ---------------------------------------------------------------------------
# The same numbers


@pytest.fixture(scope="module")
def twin_models():
    params = maths.init_mlp(mnist_models.layer_sizes(16), seed=3, scheme="glorot")
    params["b1"] += 0.01 * np.arange(16)  # non-zero biases, so that a swap would show
    params["b2"] -= 0.02 * np.arange(10)
    models = {}
    for output in mnist_models.OUTPUTS:
        keras_model = tf_models.build_mlp(output=output, hidden=16, dtype="float64")
        torch_model = torch_models.build_mlp(output=output, hidden=16, dtype="float64")
        tf_models.set_dense_weights(keras_model, params)
        torch_models.set_dense_weights(torch_model, params)
        models[output] = (keras_model, torch_model)
    return params, models


def _images(n=40, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


def test_weights_cross_in_the_course_layout(twin_models):
    params, models = twin_models
    keras_model, torch_model = models["logits"]
    for got in (tf_models.get_dense_weights(keras_model), torch_models.get_dense_weights(torch_model)):
        assert list(got) == list(params)
        for key in params:
            np.testing.assert_array_equal(got[key], params[key], err_msg=key)
    # The layout difference lives inside the pair: PyTorch holds the transpose.
    np.testing.assert_array_equal(torch_model.fc1.weight.detach().numpy(), params["W1"].T)
    np.testing.assert_array_equal(
        tf_models.first_layer_weights(keras_model), torch_models.first_layer_weights(torch_model)
    )


@pytest.mark.parametrize("output", mnist_models.OUTPUTS)
def test_outputs_agree_with_numpy(twin_models, output):
    params, models = twin_models
    keras_model, torch_model = models[output]
    images = _images()
    x = mnist_models_input = images.astype(np.float64) / 255.0
    logits, _ = maths.mlp_forward(params, x.reshape(len(x), -1))
    expected = {
        "logits": logits,
        "probabilities": maths.softmax(logits),
        "log_probabilities": maths.log_softmax(logits),
    }[output]
    keras_out = keras_model(mnist_models_input, training=False).numpy()
    torch_out = torch_model(torch.from_numpy(mnist_models_input)).detach().numpy()
    np.testing.assert_allclose(keras_out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(torch_out, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(
        tf_models.predict_classes(keras_model, images), torch_models.predict_classes(torch_model, images)
    )


def test_gradients_come_back_in_the_course_layout(twin_models):
    params, models = twin_models
    keras_model, torch_model = models["logits"]
    images = _images(8, seed=1)
    labels = np.arange(8) % 10
    x = images.astype(np.float64) / 255.0
    _, cache = maths.mlp_forward(params, x.reshape(8, -1))
    expected = maths.mlp_backward(params, cache, labels)

    keras_loss = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    with tf.GradientTape() as tape:
        loss = keras_loss(labels, keras_model(x, training=True))
    keras_grads = tf_models.dense_gradients(
        keras_model, tape.gradient(loss, keras_model.trainable_variables)
    )
    torch_model.zero_grad()
    torch.nn.functional.cross_entropy(torch_model(torch.from_numpy(x)), torch.from_numpy(labels)).backward()
    torch_grads = torch_models.dense_gradients(torch_model, [p.grad for p in torch_model.parameters()])
    for name, grads in (("TensorFlow", keras_grads), ("PyTorch", torch_grads)):
        assert list(grads) == list(params), name
        for key in params:
            np.testing.assert_allclose(grads[key], expected[key], rtol=1e-10, atol=1e-14, err_msg=f"{name} {key}")


def test_evaluate_agrees(twin_models):
    _, models = twin_models
    keras_model, torch_model = models["logits"]
    images, labels = _images(50, seed=2), np.arange(50) % 10
    keras_result = tf_models.evaluate(
        keras_model,
        tf_backend.make_dataset(images, labels, batch_size=16, shuffle=False).map(
            lambda x, y: (tf.cast(x, tf.float64), y)
        ),
        tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64"),
    )
    torch_batches = [
        (x.double(), y)
        for x, y in torch_backend.make_dataset(images, labels, batch_size=16, shuffle=False)
    ]
    torch_model.train()
    torch_result = torch_models.evaluate(torch_model, torch_batches, torch.nn.CrossEntropyLoss())
    assert torch_model.training  # the mode is restored
    assert keras_result["accuracy"] == torch_result["accuracy"]
    assert keras_result["loss"] == pytest.approx(torch_result["loss"], rel=1e-10)
    with pytest.raises(ValueError, match="no batch"):
        tf_models.evaluate(keras_model, [], tf.keras.losses.SparseCategoricalCrossentropy())
    with pytest.raises(TypeError, match="batches must be an iterable"):
        tf_models.evaluate(keras_model, 3, tf.keras.losses.SparseCategoricalCrossentropy())


@pytest.mark.parametrize("module", [tf_models, torch_models], ids=["tf", "torch"])
def test_set_dense_weights_rejects_params_that_do_not_fit(module):
    model = module.build_mlp(hidden=16)
    params = maths.init_mlp(mnist_models.layer_sizes(16))
    with pytest.raises(ValueError, match=r"^params must hold W1, b1, \.\.\., W2, b2 as init_mlp\(\) returns for a model with 2 dense layers"):
        module.set_dense_weights(model, maths.init_mlp((784, 16, 16, 10)))
    with pytest.raises(ValueError, match=r"^params\['W1'\] must have shape \(784, 16\); got .* shape \(784, 8\)"):
        module.set_dense_weights(model, maths.init_mlp(mnist_models.layer_sizes(8)))
    with pytest.raises(TypeError, match="^params must be a dict of weights"):
        module.set_dense_weights(model, [params["W1"]])
    with pytest.raises(TypeError, match="^model must be a"):
        module.set_dense_weights("model", params)
    with pytest.raises(ValueError, match=r"^output must be one of \('logits', 'probabilities', 'log_probabilities'\)"):
        module.build_mlp(output="softmax")


def test_default_output_is_each_frameworks_usual_choice():
    assert tf_models.build_mlp().get_layer("fc2").activation.__name__ == "softmax"
    assert torch_models.build_mlp().output == "logits"
