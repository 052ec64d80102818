"""The MNIST model of lessons 4-6: one architecture, the same numbers in both frameworks."""

from __future__ import annotations

import dataclasses
import math
import os
import subprocess
import sys

import numpy as np
import pytest

from course_utils import mnist_models
from course_utils.mnist_models import TrainingSettings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")
torch = pytest.importorskip("torch")
from course_utils import tf_models, torch_models  # noqa: E402
from course_utils.torch_backend import make_dataset as torch_batches  # noqa: E402


@pytest.fixture(scope="module")
def small(mnist):
    """2,000 training and 500 test digits: enough to see learning, quick to train on."""
    return (mnist.train.images[:2000], mnist.train.labels[:2000]), (mnist.test.images[:500], mnist.test.labels[:500])


# ---------------------------------------------------------------------------
# the framework-free description


def test_sizes_parameters_and_flops_by_hand():
    assert mnist_models.layer_sizes() == (784, 128, 10)
    assert mnist_models.parameter_count() == 784 * 128 + 128 + 128 * 10 + 10 == 101_770
    # First layer: forward and weight gradient; second: forward, weight and input gradients.
    assert mnist_models.training_flops_per_example() == 2 * (2 * 784 * 128) + 3 * (2 * 128 * 10) == 409_088
    assert mnist_models.parameter_count((3, 2)) == 8
    assert mnist_models.training_flops_per_example((3, 2)) == 2 * (2 * 3 * 2)  # one layer: no input gradient
    assert mnist_models.layer_sizes(64) == (784, 64, 10)


@pytest.mark.parametrize(
    "sizes, error",
    [("784,10", TypeError), ((784,), ValueError), (784, TypeError), ((784, 0, 10), ValueError),
     ((784, 12.5, 10), TypeError)],
)
def test_sizes_are_checked(sizes, error):  # TypeError for a wrong type, ValueError for a wrong value
    with pytest.raises(error, match="sizes"):
        mnist_models.parameter_count(sizes)


def test_importing_the_description_loads_no_framework():
    code = "import sys, course_utils.mnist_models; print(sorted({'tensorflow', 'torch'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_settings_describe_themselves_and_reject_nonsense():
    assert torch_models.COURSE.describe() == "SGD lr 0.2 momentum 0.9, cosine, batch 128"
    assert tf_models.ARTICLE.describe() == "Adam lr 0.001, batch 32"
    assert torch_models.ARTICLE.batch_size == 4 and torch_models.ARTICLE.momentum == 0.9
    assert all(s.epochs == 5 for s in (tf_models.ARTICLE, tf_models.COURSE, torch_models.ARTICLE, torch_models.COURSE))
    good = dict(name="x", optimizer="sgd", batch_size=8, learning_rate=0.1)
    TrainingSettings(**good)
    for change, error, match in [
        ({"optimizer": "rmsprop"}, ValueError, "optimizer must be one of"),
        ({"schedule": "step"}, ValueError, "schedule must be one of"),
        ({"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
        ({"learning_rate": -1.0}, ValueError, "learning_rate must be a positive number"),
        ({"learning_rate": True}, TypeError, "learning_rate must be a positive number"),
        ({"momentum": 1.0}, ValueError, r"momentum must be a number in \[0, 1\)"),
        ({"epochs": 2.5}, TypeError, "epochs must be a positive integer"),
    ]:
        with pytest.raises(error, match=match):
            TrainingSettings(**{**good, **change})
    with pytest.raises(dataclasses.FrozenInstanceError):
        torch_models.COURSE.batch_size = 1  # type: ignore[misc]


@pytest.mark.parametrize(
    "images, error, match",
    [
        (np.zeros((2, 28, 28), np.float32), TypeError, "uint8"),
        ([[0]], TypeError, "NumPy uint8 array"),
        (np.zeros((2, 784), np.uint8), ValueError, r"\(N, 28, 28\)"),
        (np.zeros((0, 28, 28), np.uint8), ValueError, "N >= 1"),
    ],
)
def test_check_images(images, error, match):
    with pytest.raises(error, match=match):
        mnist_models.check_images("images", images)


# ---------------------------------------------------------------------------
# Keras


def test_keras_model_has_the_article_architecture():
    model = tf_models.build_mlp()
    assert [layer.name for layer in model.layers] == ["flatten", "fc1", "fc2"]
    assert model.count_params() == mnist_models.parameter_count()
    assert [tuple(w.shape) for w in model.get_weights()] == [(784, 128), (128,), (128, 10), (10,)]
    probabilities = model(np.random.default_rng(0).random((3, 28, 28), dtype=np.float32)).numpy()
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-6)
    logits = tf_models.build_mlp(output="logits")
    assert logits.get_layer("fc2").activation.__name__ == "linear"
    with pytest.raises(ValueError, match="output must be one of"):
        tf_models.build_mlp(output="log_probs")  # all three outputs: tests/test_twins.py
    with pytest.raises(ValueError, match="hidden must be a positive integer"):
        tf_models.build_mlp(hidden=0)


@pytest.mark.parametrize("output, from_logits", [("probabilities", False), ("logits", True)])
def test_keras_compile_matches_the_loss_to_the_output_and_schedules_the_rate(output, from_logits):
    model = tf_models.compile_mlp(tf_models.build_mlp(output=output), tf_models.COURSE, steps_per_epoch=10)
    assert model.loss.get_config()["from_logits"] is from_logits
    config = model.optimizer.get_config()["learning_rate"]
    assert config["class_name"] == "CosineDecay" and config["config"]["decay_steps"] == 5 * 10
    schedule = tf.keras.optimizers.schedules.deserialize(config)
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(25)) == pytest.approx(0.005, rel=1e-5)  # halfway through 5 epochs of 10 steps
    assert float(schedule(50)) == pytest.approx(0.0, abs=1e-9)
    sgd = tf_models.compile_mlp(
        tf_models.build_mlp(), TrainingSettings("t", "sgd", 8, 0.05, momentum=0.5), steps_per_epoch=3
    )
    assert type(sgd.optimizer).__name__ == "SGD" and float(sgd.optimizer.momentum) == 0.5


def test_keras_helpers_reject_bad_arguments():
    with pytest.raises(TypeError, match="Keras model from build_mlp"):
        tf_models.compile_mlp("model", tf_models.COURSE, steps_per_epoch=1)
    with pytest.raises(TypeError, match="TrainingSettings"):
        tf_models.compile_mlp(tf_models.build_mlp(), {"batch_size": 32}, steps_per_epoch=1)
    with pytest.raises(ValueError, match="steps_per_epoch must be a positive integer"):
        tf_models.compile_mlp(tf_models.build_mlp(), tf_models.COURSE, steps_per_epoch=0)
    other = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(2, name="dense")])
    with pytest.raises(ValueError, match="named 'fc1' and 'fc2'"):
        tf_models.first_layer_weights(other)
    with pytest.raises(TypeError, match="uint8"):
        tf_models.predict_classes(tf_models.build_mlp(), np.zeros((2, 28, 28), np.float32))


def test_keras_predictions_and_weights_in_course_layout(small):
    _, (images, _) = small
    model = tf_models.build_mlp()
    predicted = tf_models.predict_classes(model, images, batch_size=128)
    assert predicted.dtype == np.int64 and predicted.shape == (500,)
    expected = np.argmax(model.predict(images.astype(np.float32) / 255, verbose=0), axis=1)
    np.testing.assert_array_equal(predicted, expected)
    weights = tf_models.first_layer_weights(model)
    assert weights.shape == (128, 28, 28)
    np.testing.assert_array_equal(weights[5].ravel(), model.get_layer("fc1").kernel.numpy()[:, 5])


# ---------------------------------------------------------------------------
# PyTorch


def test_torch_model_has_the_article_architecture():
    torch.manual_seed(0)
    model = torch_models.build_mlp()
    assert sum(p.numel() for p in model.parameters()) == mnist_models.parameter_count()
    assert [tuple(p.shape) for p in model.parameters()] == [(128, 784), (128,), (10, 128), (10,)]
    x = torch.rand(3, 28, 28)
    assert model(x).shape == (3, 10)
    torch.testing.assert_close(model(x), model(x.reshape(3, 784)))  # flattening is built in
    article = torch_models.build_mlp(output="log_probabilities")
    article.load_state_dict(model.state_dict())
    log_probs = article(x)
    torch.testing.assert_close(torch.logsumexp(log_probs, dim=1), torch.zeros(3), atol=1e-6, rtol=0)
    torch.testing.assert_close(log_probs, torch.log_softmax(model(x), dim=1))
    with pytest.raises(ValueError, match="output must be one of"):
        torch_models.build_mlp(output="probs")  # all three outputs: tests/test_twins.py


def test_torch_optimizer_and_cosine_schedule():
    model = torch_models.build_mlp()
    optimizer, scheduler = torch_models.make_optimizer(model, torch_models.COURSE, steps_per_epoch=10)
    assert isinstance(optimizer, torch.optim.SGD) and optimizer.param_groups[0]["momentum"] == 0.9
    rates = []
    for _ in range(50):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert rates[0] == pytest.approx(0.2)
    assert rates[25] == pytest.approx(0.1)  # halfway: cos(pi/2) = 0, so half the initial rate
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.0, abs=1e-12)
    constant, none = torch_models.make_optimizer(model, torch_models.ARTICLE, steps_per_epoch=10)
    assert none is None and constant.param_groups[0]["lr"] == 0.01
    adam, _ = torch_models.make_optimizer(model, TrainingSettings("t", "adam", 8, 0.003), steps_per_epoch=1)
    assert isinstance(adam, torch.optim.Adam)


def test_torch_training_learns_and_evaluation_leaves_no_trace(small):
    (x_train, y_train), (x_test, y_test) = small
    torch.manual_seed(0)
    model = torch_models.build_mlp()
    loss_fn = torch.nn.CrossEntropyLoss()
    train = torch_batches(x_train, y_train, batch_size=64, seed=0)
    test = torch_batches(x_test, y_test, batch_size=250, shuffle=False)
    optimizer, scheduler = torch_models.make_optimizer(
        model, TrainingSettings("t", "sgd", 64, 0.1, momentum=0.9, schedule="cosine", epochs=2), steps_per_epoch=len(train)
    )
    before = torch_models.evaluate(model, test, loss_fn)
    assert math.isclose(before["loss"], math.log(10), rel_tol=0.1)  # untrained: about ln 10
    model.eval()
    first = torch_models.train_epoch(model, train, optimizer, loss_fn, scheduler=scheduler)
    assert model.training  # train_epoch switches to training mode
    second = torch_models.train_epoch(model, train, optimizer, loss_fn, scheduler=scheduler)
    assert second["loss"] < first["loss"] and second["accuracy"] > first["accuracy"]
    for p in model.parameters():
        p.grad = None
    after = torch_models.evaluate(model, test, loss_fn)
    assert model.training  # the mode is restored
    assert all(p.grad is None for p in model.parameters())  # no backward pass happened
    assert after["accuracy"] > 0.8 and after["loss"] < before["loss"] / 3
    predicted = torch_models.predict_classes(model, x_test, batch_size=100)
    assert predicted.dtype == np.int64
    assert np.mean(predicted == y_test) == pytest.approx(after["accuracy"])


def test_torch_progress_bar_writes_to_stdout(small, capsys):
    (x_train, y_train), _ = small
    model = torch_models.build_mlp()
    optimizer, _ = torch_models.make_optimizer(model, torch_models.ARTICLE, steps_per_epoch=1)
    batches = torch_batches(x_train[:256], y_train[:256], batch_size=128)
    torch_models.train_epoch(model, batches, optimizer, torch.nn.CrossEntropyLoss(), progress=True, description="epoch 1/5")
    out = capsys.readouterr().out
    assert "epoch 1/5" in out and "2/2" in out and "loss=" in out


def test_torch_helpers_reject_bad_arguments(small):
    (x_train, y_train), _ = small
    model = torch_models.build_mlp()
    optimizer, _ = torch_models.make_optimizer(model, torch_models.ARTICLE, steps_per_epoch=1)
    loss_fn = torch.nn.CrossEntropyLoss()
    batches = torch_batches(x_train[:8], y_train[:8], batch_size=4)
    with pytest.raises(TypeError, match="batches must be an iterable"):
        torch_models.train_epoch(model, 3, optimizer, loss_fn)
    with pytest.raises(TypeError, match="optimizer must be a torch.optim.Optimizer"):
        torch_models.train_epoch(model, batches, "sgd", loss_fn)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        torch_models.evaluate("model", batches, loss_fn)
    with pytest.raises(TypeError, match="loss_fn must be a loss"):
        torch_models.evaluate(model, batches, "cross-entropy")
    with pytest.raises(ValueError, match="no batch"):
        torch_models.evaluate(model, [], loss_fn)
    with pytest.raises(TypeError, match="MLP from build_mlp"):
        torch_models.first_layer_weights(torch.nn.Linear(784, 10))
    with pytest.raises(ValueError, match=r"\(N, 28, 28\)"):
        torch_models.predict_classes(model, np.zeros((2, 784), np.uint8))
    with pytest.raises(TypeError, match="TrainingSettings"):
        torch_models.make_optimizer(model, "course", steps_per_epoch=1)


# ---------------------------------------------------------------------------
# both: the same weights give the same numbers


def test_first_layer_weights_have_one_layout_on_both_sides_and_models_agree(small):
    _, (images, _) = small
    torch.manual_seed(1)
    net = torch_models.build_mlp()
    keras_model = tf_models.build_mlp(output="logits")
    state = {k: v.numpy() for k, v in net.state_dict().items()}
    keras_model.set_weights([state["fc1.weight"].T, state["fc1.bias"], state["fc2.weight"].T, state["fc2.bias"]])
    np.testing.assert_array_equal(tf_models.first_layer_weights(keras_model), torch_models.first_layer_weights(net))
    x = images[:64].astype(np.float32) / 255
    with torch.no_grad():
        torch_logits = net(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(keras_model(x).numpy(), torch_logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(tf_models.predict_classes(keras_model, images), torch_models.predict_classes(net, images))


def test_float64_models_hold_the_float32_initial_values_and_predict(small):
    _, (images, _) = small
    torch.manual_seed(3)
    single = torch_models.build_mlp()
    torch.manual_seed(3)
    double = torch_models.build_mlp(dtype="float64")
    assert all(p.dtype == torch.float64 for p in double.parameters())
    for a, b in zip(single.parameters(), double.parameters()):
        assert torch.equal(a.double(), b)  # the same draws, converted exactly
    np.testing.assert_array_equal(torch_models.predict_classes(double, images), torch_models.predict_classes(single, images))
    keras_double = tf_models.build_mlp(output="logits", dtype="float64")
    assert {w.dtype for w in keras_double.get_weights()} == {np.dtype(np.float64)}
    assert keras_double(np.zeros((2, 28, 28))).dtype == tf.float64
    assert tf_models.predict_classes(keras_double, images).shape == (500,)
    with pytest.raises(ValueError, match="dtype must be one of"):
        torch_models.build_mlp(dtype="float16")
    with pytest.raises(ValueError, match="dtype must be one of"):
        tf_models.build_mlp(dtype=np.float64)


def test_epoch_timer_records_one_duration_per_epoch():
    model = tf.keras.Sequential([tf.keras.Input((3,)), tf.keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    timer = tf_models.EpochTimer()
    x = np.zeros((8, 3), np.float32)
    model.fit(x, np.zeros((8, 2), np.float32), epochs=3, batch_size=4, callbacks=[timer], verbose=0)
    assert len(timer.seconds) == 3 and all(s > 0 for s in timer.seconds)
    model.fit(x, np.zeros((8, 2), np.float32), epochs=2, batch_size=4, callbacks=[timer], verbose=0)
    assert len(timer.seconds) == 2  # a new fit starts a new record
