"""Tests for course_utils.scaling and its twin training modules."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest

from course_utils import scaling


def test_power_law_fit_recovers_known_parameters():
    rng = np.random.default_rng(0)
    n = np.geomspace(3e3, 4e5, 8)
    true = (0.05, 40.0, 0.45)
    loss = scaling.power_law(n, *true) * (1 + 0.002 * rng.standard_normal(n.size))
    fit = scaling.fit_power_law(n, loss)
    for name, value in zip(("l_inf", "a", "alpha"), true):
        estimate, error = getattr(fit, name), fit.stderr[name]
        assert abs(estimate - value) < 4 * error + 1e-9, (name, estimate, value, error)
        assert error < 0.2 * value, (name, error)
    assert fit.residuals.shape == (8,)
    np.testing.assert_allclose(fit.residuals, loss - fit.predict(n))
    assert np.abs(fit.residuals).max() < 0.01


def test_power_law_fit_exact_data():
    n = np.geomspace(1e3, 1e6, 6)
    fit = scaling.fit_power_law(n, scaling.power_law(n, 0.1, 3.0, 0.3))
    assert fit.l_inf == pytest.approx(0.1, rel=1e-4)
    assert fit.a == pytest.approx(3.0, rel=1e-3)
    assert fit.alpha == pytest.approx(0.3, rel=1e-4)
    assert "alpha = 0.300" in fit.describe()


def test_fit_exponent_recovers_slope_and_error():
    c = np.array([1e9, 1e10, 1e11, 1e12])
    fit = scaling.fit_exponent(c, 3.0 * c**0.5)
    assert fit.exponent == pytest.approx(0.5, abs=1e-12)
    assert fit.k == pytest.approx(3.0, rel=1e-9)
    assert fit.exponent_stderr < 1e-10
    noisy = scaling.fit_exponent(c, 3.0 * c**0.5 * np.array([1.1, 0.9, 1.1, 0.9]))
    assert 0 < noisy.exponent_stderr < 0.1


def test_isoflop_optimum_finds_vertex_and_flags_edges():
    n = np.geomspace(1e3, 1e6, 7)
    loss = 0.2 + 0.01 * (np.log(n) - np.log(3e4)) ** 2
    opt = scaling.isoflop_optimum(n, loss)
    assert opt.interior
    assert opt.parameters == pytest.approx(3e4, rel=1e-6)
    assert opt.loss == pytest.approx(0.2, abs=1e-9)
    skewed = 0.2 + np.where(n < 3e4, 0.01, 0.1) * (np.log(n) - np.log(3e4)) ** 2
    full = scaling.isoflop_optimum(n, skewed).parameters  # far points pull the vertex
    near = scaling.isoflop_optimum(n[::-1], skewed[::-1], window=3)  # in any order
    assert abs(np.log(full / 3e4)) > 1
    assert near.interior and abs(np.log(near.parameters / 3e4)) < 0.5 * abs(np.log(full / 3e4))
    with pytest.raises(ValueError, match="window"):
        scaling.isoflop_optimum(n, skewed, window=2)
    edge = scaling.isoflop_optimum(n, 1 / np.log(n))  # falls all the way
    assert not edge.interior and edge.parameters == n[-1]


def test_compute_and_large_model_arithmetic():
    assert scaling.training_compute(2, 3) == 36.0
    assert scaling.isoflop_examples(36.0, 2) == 3.0
    gpt3 = scaling.training_compute(scaling.GPT3_PARAMETERS, scaling.GPT3_TOKENS)
    assert gpt3 == pytest.approx(3.15e23)
    assert scaling.GPT3_REPORTED_FLOPS == pytest.approx(3.14e23, rel=1e-3)
    assert scaling.accelerators_needed(16 * 175e9) == 35  # 2.8 TB over 80 GB
    assert scaling.accelerators_needed(80e9) == 1
    assert scaling.accelerators_needed(80e9 + 1) == 2
    days = scaling.training_days(86_400 * 1e15, devices=10, peak_flops=1e14, utilisation=1.0)
    assert days == pytest.approx(1.0)
    assert scaling.compute_optimal_tokens(70e9) == pytest.approx(1.4e12)
    assert scaling.mlp_parameters(128) == 101_770


def test_batches_and_learning_rates():
    order = scaling.batch_indices(10, 25, 4, seed=3)
    assert order.shape == (6, 4) and order.dtype == np.int64
    flat = order.ravel()
    assert sorted(flat[:10]) == list(range(10))  # the first epoch is a permutation
    assert np.array_equal(order, scaling.batch_indices(10, 25, 4, seed=3))
    rates = scaling.learning_rates(4)
    np.testing.assert_allclose(rates, 0.1 * (1 + np.cos(np.pi * np.arange(4) / 4)) / 2)
    params = scaling.initial_parameters(8, seed=1)
    assert params["W1"].shape == (784, 8) and params["W2"].shape == (8, 10)
    assert np.abs(params["W1"]).max() <= 1 / math.sqrt(784)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: scaling.fit_power_law([1, 2, 3], [1, 2, 3]), ValueError, "at least 4"),
        (lambda: scaling.fit_power_law([1, 2, 3, 4], [1, 2, 3, 4, 5]),
         ValueError, "same length"),
        (lambda: scaling.fit_power_law([1, 2, -3, 4], [1, 2, 3, 4]), ValueError, "> 0"),
        (lambda: scaling.fit_power_law("abcd", [1, 2, 3, 4]), TypeError, "x must be"),
        (lambda: scaling.fit_exponent([1, 1, 1], [1, 2, 3]), ValueError, "distinct"),
        (lambda: scaling.training_compute(True, 3), TypeError, "parameters"),
        (lambda: scaling.training_compute(1, -3), ValueError, "examples"),
        (lambda: scaling.training_days(1, devices=0, peak_flops=1, utilisation=0.5),
         ValueError, "devices"),
        (lambda: scaling.training_days(1, devices=1, peak_flops=1, utilisation=1.5),
         ValueError, "utilisation"),
        (lambda: scaling.accelerators_needed("1e9"), TypeError, "total_bytes"),
        (lambda: scaling.batch_indices(10, 3, 4), ValueError, "examples"),
        (lambda: scaling.Recipe(momentum=1.0), ValueError, "momentum"),
        (lambda: scaling.flatten_images(np.zeros((2, 28, 28))), TypeError, "uint8"),
        (lambda: scaling.train_mlp(None, None, None, None, hidden=4, examples=128,
                                   framework="jax"), ValueError, "framework"),
    ],
)
def test_bad_input_errors(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_training_data_checks():
    x = np.zeros((4, 784), np.float32)
    y = np.zeros(4, np.int64)
    with pytest.raises(TypeError, match="x_train must be a float32"):
        scaling.check_training_data(x.astype(np.float64), y, x, y)
    with pytest.raises(ValueError, match="y_test must have shape"):
        scaling.check_training_data(x, y, x, y[:3])
    with pytest.raises(ValueError, match="y_train must lie in 0..9"):
        scaling.check_training_data(x, y + 10, x, y)
    with pytest.raises(TypeError, match="recipe must be a Recipe"):
        scaling.check_run(4, 128, {"batch_size": 128}, 0)


def test_twin_modules_have_the_same_public_api():
    torch_scaling = pytest.importorskip("course_utils.torch_scaling")
    tf_scaling = pytest.importorskip("course_utils.tf_scaling")
    assert torch_scaling.__all__ == tf_scaling.__all__
    for name in torch_scaling.__all__:
        a, b = getattr(torch_scaling, name), getattr(tf_scaling, name)
        assert inspect.signature(a) == inspect.signature(b), name
        assert a.__doc__ == b.__doc__, name


@pytest.mark.slow
def test_frameworks_train_the_same_run():
    rng = np.random.default_rng(0)
    x = rng.random((512, 784), dtype=np.float32)
    y = rng.integers(0, 10, 512)
    results = [scaling.train_mlp(x, y, x[:256], y[:256], hidden=16, examples=2048,
                                 framework=f) for f in scaling.FRAMEWORKS]
    a, b = results
    assert a["parameters"] == b["parameters"] == scaling.mlp_parameters(16)
    assert a["examples"] == b["examples"] == 2048
    assert a["test_loss"] == pytest.approx(b["test_loss"], rel=1e-4)
    assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
