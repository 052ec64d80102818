"""Tests of course_utils.maths against independent values.

The expected numbers come from hand-worked examples, from closed forms
written differently from the implementation, and from SciPy and
scikit-learn, which compute the same quantities their own way.
"""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest
import scipy.optimize
import scipy.special
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.neural_network import MLPClassifier

from course_utils import maths

WIDE = np.array([-1000.0, -745.0, -100.0, -30.0, -5.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 1.0, 5.0, 30.0, 100.0, 1000.0])


@pytest.fixture(autouse=True)
def _numpy_warnings_are_errors():
    """Overflow, division by zero or invalid operations (not underflow) fail the test."""
    with np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"):
        yield


# --------------------------------------------------------------------------
# Activations
# --------------------------------------------------------------------------


def test_relu_hand_values():
    got = maths.relu([-2, -0.5, 0, 0.5, 3])
    np.testing.assert_array_equal(got, [0.0, 0.0, 0.0, 0.5, 3.0])
    assert got.dtype == np.float64


def test_relu_grad_hand_values_and_zero_convention():
    np.testing.assert_array_equal(maths.relu_grad([-2.0, -1e-300, 0.0, 1e-300, 7.0]), [0, 0, 0, 1, 1])


def test_sigmoid_matches_scipy_expit_over_a_wide_range():
    # atol: at x = -745 the true value e^-745 is the smallest subnormal; expit rounds it to 0.
    np.testing.assert_allclose(maths.sigmoid(WIDE), scipy.special.expit(WIDE), rtol=1e-15, atol=1e-320)


def test_sigmoid_hand_values_and_limits():
    assert maths.sigmoid(0.0) == 0.5
    assert maths.sigmoid(math.log(3)) == pytest.approx(0.75, rel=1e-15)
    np.testing.assert_array_equal(maths.sigmoid([-np.inf, np.inf]), [0.0, 1.0])


def test_sigmoid_keeps_float32_and_does_not_overflow_at_float32_limits():
    big = np.finfo(np.float32).max
    x = np.array([-big, -100, 0, 100, big], dtype=np.float32)
    got = maths.sigmoid(x)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, scipy.special.expit(x.astype(np.float64)), rtol=1e-6, atol=1e-30)


def test_sigmoid_grad_against_expit_product_and_hand_values():
    # sigma'(x) = sigma(x) (1 - sigma(x)) = sigma(x) sigma(-x); the second form avoids the
    # cancellation in 1 - sigma(x) for large x, so it is accurate to full precision.
    x = np.linspace(-20, 20, 81)
    np.testing.assert_allclose(maths.sigmoid_grad(x), scipy.special.expit(x) * scipy.special.expit(-x), rtol=1e-13)
    assert maths.sigmoid_grad(0.0) == 0.25


def test_sigmoid_grad_keeps_relative_accuracy_for_large_inputs():
    # sigma'(x) = e^-x / (1 + e^-x)^2, which is e^-x to 21 digits at x = 50.
    assert maths.sigmoid_grad(50.0) == pytest.approx(math.exp(-50.0), rel=1e-12)
    assert maths.sigmoid_grad(-50.0) == pytest.approx(math.exp(-50.0), rel=1e-12)
    assert maths.sigmoid_grad(1000.0) == 0.0


def test_tanh_and_its_grad_against_closed_forms():
    x = np.linspace(-8, 8, 65)
    np.testing.assert_allclose(maths.tanh(x), np.sinh(x) / np.cosh(x), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(maths.tanh_grad(x), 1 / np.cosh(x) ** 2, rtol=1e-12)
    assert maths.tanh_grad(0.0) == 1.0
    assert maths.tanh_grad(math.atanh(0.5)) == pytest.approx(0.75, rel=1e-14)
    # 1 - tanh(x)^2 = 4 e^{-2x} / (1 + e^{-2x})^2, which is 4 e^{-60} to 26 digits at x = 30.
    assert maths.tanh_grad(30.0) == pytest.approx(4 * math.exp(-60.0), rel=1e-12)
    np.testing.assert_array_equal(maths.tanh_grad([-1e4, 1e4]), [0.0, 0.0])


@pytest.mark.parametrize(
    "name, reference",
    [("sigmoid", scipy.special.expit), ("tanh", np.tanh), ("relu", lambda v: np.maximum(v, 0))],
)
def test_derivatives_match_central_differences_of_independent_functions(name, reference):
    fn, grad = maths.ACTIVATIONS[name]
    x = np.array([-3.0, -1.2, -0.3, 0.4, 0.9, 2.5])  # away from ReLU's kink
    h = 1e-6
    fd = (reference(x + h) - reference(x - h)) / (2 * h)
    np.testing.assert_allclose(grad(x), fd, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fn(x), reference(x), rtol=1e-15)


@pytest.mark.parametrize("fn", [maths.relu, maths.relu_grad, maths.sigmoid, maths.sigmoid_grad, maths.tanh, maths.tanh_grad])
def test_activations_are_finite_at_the_float32_limits(fn):
    info = np.finfo(np.float32)
    x = np.array([-info.max, -info.tiny, 0, info.tiny, info.max], dtype=np.float32)
    out = fn(x)  # the fixture turns any overflow warning into an error
    assert out.dtype == np.float32 and np.all(np.isfinite(out))


@pytest.mark.parametrize("fn", [maths.relu, maths.relu_grad, maths.sigmoid, maths.sigmoid_grad, maths.tanh, maths.tanh_grad])
def test_activations_keep_shape_and_float32(fn):
    x = np.arange(-6, 6, dtype=np.float32).reshape(3, 4)
    out = fn(x)
    assert out.shape == (3, 4) and out.dtype == np.float32


@pytest.mark.parametrize("bad", ["abc", None, np.array([True, False]), np.array([1 + 2j]), [[1, 2], [3]]])
def test_activations_reject_non_numbers_naming_the_argument(bad):
    with pytest.raises(TypeError, match=r"^x must be an array of real numbers"):
        maths.sigmoid(bad)


# --------------------------------------------------------------------------
# Softmax, log-softmax, logsumexp
# --------------------------------------------------------------------------

RNG = np.random.default_rng(1234)
LOGITS = RNG.normal(0, 3, size=(6, 5))


def test_softmax_hand_values():
    np.testing.assert_allclose(maths.softmax([0.0, math.log(3)]), [0.25, 0.75], rtol=1e-15)
    np.testing.assert_allclose(maths.softmax([[1.0, 1.0, 1.0, 1.0]]), [[0.25] * 4], rtol=1e-15)


def test_softmax_matches_scipy_on_both_axes():
    np.testing.assert_allclose(maths.softmax(LOGITS), scipy.special.softmax(LOGITS, axis=-1), rtol=1e-13)
    np.testing.assert_allclose(maths.softmax(LOGITS, axis=0), scipy.special.softmax(LOGITS, axis=0), rtol=1e-13)


def test_softmax_is_finite_for_huge_logits():
    got = maths.softmax([1000.0, 1000.0, -1000.0])
    np.testing.assert_allclose(got, [0.5, 0.5, 0.0], atol=1e-300)
    got32 = maths.softmax(np.array([3e38, 0.0], dtype=np.float32))
    assert got32.dtype == np.float32
    np.testing.assert_array_equal(got32, [1.0, 0.0])


def test_logsumexp_matches_scipy_and_hand_values():
    np.testing.assert_allclose(maths.logsumexp(LOGITS), scipy.special.logsumexp(LOGITS, axis=-1), rtol=1e-14)
    np.testing.assert_allclose(
        maths.logsumexp(LOGITS, axis=0, keepdims=True),
        scipy.special.logsumexp(LOGITS, axis=0, keepdims=True),
        rtol=1e-14,
    )
    assert maths.logsumexp([1000.0, 1000.0]) == pytest.approx(1000 + math.log(2), rel=1e-15)
    assert maths.logsumexp([-np.inf, -np.inf]) == -np.inf


def test_log_softmax_matches_scipy_and_is_idempotent():
    np.testing.assert_allclose(maths.log_softmax(LOGITS), scipy.special.log_softmax(LOGITS, axis=-1), rtol=1e-13)
    big = np.array([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(maths.log_softmax(big), [[0.0, -1000.0, -2000.0]], rtol=1e-15)
    twice = maths.log_softmax(maths.log_softmax(LOGITS))
    np.testing.assert_allclose(twice, scipy.special.log_softmax(LOGITS, axis=-1), rtol=1e-13, atol=1e-14)


def test_softmax_rejects_scalars_and_bad_axes():
    with pytest.raises(ValueError, match=r"^z must have at least 1 dimension"):
        maths.softmax(3.0)
    with pytest.raises(ValueError, match=r"^axis must be an integer in -2\.\.1; got 2\."):
        maths.softmax(LOGITS, axis=2)
    with pytest.raises(TypeError, match=r"^axis must be an integer"):
        maths.log_softmax(LOGITS, axis=1.0)


# --------------------------------------------------------------------------
# Cross-entropy
# --------------------------------------------------------------------------


def test_cross_entropy_hand_worked_example():
    q = np.array([0.7, 0.2, 0.1])
    assert maths.cross_entropy(0, q) == pytest.approx(-math.log(0.7), rel=1e-15)
    assert maths.cross_entropy(2, q) == pytest.approx(math.log(10), rel=1e-15)
    # A soft target: H(p, q) = -(0.5 ln 0.7 + 0.5 ln 0.2)
    assert maths.cross_entropy([0.5, 0.5, 0.0], q) == pytest.approx(-0.5 * (math.log(0.7) + math.log(0.2)), rel=1e-15)


def test_cross_entropy_reductions_hand_values():
    q = np.array([[0.5, 0.5], [0.25, 0.75]])
    y = np.array([0, 1])
    per_example = [math.log(2), math.log(4 / 3)]
    np.testing.assert_allclose(maths.cross_entropy(y, q, reduction="none"), per_example, rtol=1e-15)
    assert maths.cross_entropy(y, q, reduction="sum") == pytest.approx(sum(per_example), rel=1e-15)
    assert maths.cross_entropy(y, q) == pytest.approx(sum(per_example) / 2, rel=1e-15)


def test_cross_entropy_matches_sklearn_log_loss_for_labels_and_one_hot():
    probs = scipy.special.softmax(LOGITS, axis=-1)
    labels = np.array([0, 1, 2, 3, 4, 2])
    expected = log_loss(labels, probs, labels=range(5))
    assert maths.cross_entropy(labels, probs) == pytest.approx(expected, rel=1e-12)
    one_hot = np.eye(5)[labels]
    assert maths.cross_entropy(one_hot, probs) == pytest.approx(expected, rel=1e-12)
    assert maths.cross_entropy(one_hot.astype(int), probs) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_from_logits_matches_sklearn_on_softmax():
    labels = np.array([4, 3, 2, 1, 0, 0])
    expected = log_loss(labels, scipy.special.softmax(LOGITS, axis=-1), labels=range(5))
    assert maths.cross_entropy(labels, LOGITS, from_logits=True) == pytest.approx(expected, rel=1e-12)


def test_cross_entropy_from_huge_logits_is_exact():
    # -log softmax(z)_1 with z = (1000, 0, -1000) is 1000 + log(1 + e^-1000 + e^-2000) = 1000.
    assert maths.cross_entropy(1, [1000.0, 0.0, -1000.0], from_logits=True) == 1000.0
    assert maths.cross_entropy(0, [1000.0, 0.0, -1000.0], from_logits=True) == 0.0


def test_cross_entropy_zero_probability_is_infinite_unless_clipped():
    assert maths.cross_entropy(1, [1.0, 0.0]) == np.inf
    assert maths.cross_entropy(1, [1.0, 0.0], eps=1e-7) == pytest.approx(-math.log(1e-7), rel=1e-12)
    # A class with target 0 contributes nothing even where its probability is 0.
    assert maths.cross_entropy(0, [1.0, 0.0]) == 0.0


def test_cross_entropy_rejects_bad_inputs_with_clear_messages():
    q = np.array([[0.2, 0.8], [0.6, 0.4]])
    with pytest.raises(ValueError, match=r"class labels, which must lie in 0\.\.1 .* got values from 0 to 2"):
        maths.cross_entropy(np.array([0, 2]), q)
    with pytest.raises(ValueError, match=r"^predictions must be probabilities in \[0, 1\].*from_logits=True"):
        maths.cross_entropy(np.array([0, 1]), q * 3)
    with pytest.raises(ValueError, match=r"must sum to 1"):
        maths.cross_entropy(np.array([[1.0, 1.0], [0.0, 1.0]]), q)
    with pytest.raises(ValueError, match=r"^targets must be integer labels of shape \(2,\) or a distribution of shape \(2, 2\)"):
        maths.cross_entropy(np.array([0.0, 1.0]), q)
    with pytest.raises(ValueError, match=r"^reduction must be one of"):
        maths.cross_entropy(np.array([0, 1]), q, reduction="avg")
    with pytest.raises(ValueError, match=r"^eps clips probabilities"):
        maths.cross_entropy(np.array([0, 1]), q, from_logits=True, eps=1e-7)
    with pytest.raises(ValueError, match=r"^eps must be None or a number"):
        maths.cross_entropy(np.array([0, 1]), q, eps=0.7)
    with pytest.raises(TypeError, match=r"^targets must be integer class labels"):
        maths.cross_entropy("cat", q)
    with pytest.raises(ValueError, match=r"^predictions must have shape \(N, classes\)"):
        maths.cross_entropy(0, np.ones((1, 1, 2)) / 2)


# --------------------------------------------------------------------------
# Binary cross-entropy
# --------------------------------------------------------------------------


def test_binary_cross_entropy_hand_values():
    assert maths.binary_cross_entropy([1.0], [0.8]) == pytest.approx(-math.log(0.8), rel=1e-15)
    assert maths.binary_cross_entropy([0.0], [0.8]) == pytest.approx(-math.log(0.2), rel=1e-14)
    assert maths.binary_cross_entropy([1.0, 0.0], [0.0, 0.0], reduction="none").tolist() == [np.inf, 0.0]


def test_binary_cross_entropy_matches_sklearn_and_the_two_class_case():
    rng = np.random.default_rng(7)
    y = rng.integers(0, 2, size=40)
    p = rng.uniform(0.01, 0.99, size=40)
    expected = log_loss(y, p)
    assert maths.binary_cross_entropy(y, p) == pytest.approx(expected, rel=1e-12)
    z = rng.normal(0, 4, size=40)
    expected_from_logits = log_loss(y, scipy.special.expit(z))
    assert maths.binary_cross_entropy(y, z, from_logits=True) == pytest.approx(expected_from_logits, rel=1e-12)
    # Two classes with logits (0, z): softmax gives sigmoid(z) for class 1.
    two_class = np.stack([np.zeros_like(z), z], axis=1)
    assert maths.cross_entropy(y, two_class, from_logits=True) == pytest.approx(expected_from_logits, rel=1e-12)


def test_binary_cross_entropy_from_huge_logits_is_finite():
    got = maths.binary_cross_entropy([0.0, 1.0, 0.0, 1.0], [1000.0, 1000.0, -1000.0, -1000.0], from_logits=True, reduction="none")
    np.testing.assert_array_equal(got, [1000.0, 0.0, 0.0, 1000.0])


def test_binary_cross_entropy_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"^targets must have the shape of predictions"):
        maths.binary_cross_entropy([1.0, 0.0], [0.5])
    with pytest.raises(ValueError, match=r"^targets must hold values in \[0, 1\]"):
        maths.binary_cross_entropy([2.0], [0.5])
    with pytest.raises(ValueError, match=r"^predictions must be probabilities"):
        maths.binary_cross_entropy([1.0], [1.5])


# --------------------------------------------------------------------------
# The small MLP
# --------------------------------------------------------------------------


def test_init_mlp_shapes_dtypes_and_seed():
    params = maths.init_mlp([4, 8, 3], seed=3)
    assert list(params) == ["W1", "b1", "W2", "b2"]
    assert params["W1"].shape == (4, 8) and params["b1"].shape == (8,)
    assert params["W2"].shape == (8, 3) and params["b2"].shape == (3,)
    assert all(v.dtype == np.float64 for v in params.values())
    np.testing.assert_array_equal(params["b1"], 0)
    again = maths.init_mlp([4, 8, 3], seed=3)
    other = maths.init_mlp([4, 8, 3], seed=4)
    np.testing.assert_array_equal(params["W1"], again["W1"])
    assert not np.array_equal(params["W1"], other["W1"])
    assert maths.init_mlp([4, 3], dtype=np.float32)["W1"].dtype == np.float32


def test_init_mlp_schemes_have_the_documented_scale():
    he = maths.init_mlp([400, 500], scheme="he", seed=0)["W1"]
    assert he.std() == pytest.approx(math.sqrt(2 / 400), rel=0.02)
    glorot = maths.init_mlp([400, 500], scheme="glorot", seed=0)["W1"]
    limit = math.sqrt(6 / 900)
    assert glorot.min() >= -limit and glorot.max() <= limit
    assert glorot.std() == pytest.approx(limit / math.sqrt(3), rel=0.02)  # std of U(-a, a) is a / sqrt(3)
    zeros = maths.init_mlp([4, 5, 2], scheme="zeros")
    assert all(not v.any() for v in zeros.values())


def test_init_mlp_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"^layer_sizes must be a sequence of at least two"):
        maths.init_mlp([4])
    with pytest.raises(ValueError, match=r"^layer_sizes\[1\] must be a positive integer"):
        maths.init_mlp([4, 0, 3])
    with pytest.raises(ValueError, match=r"^scheme must be one of"):
        maths.init_mlp([4, 3], scheme="xavier")
    with pytest.raises(ValueError, match=r"^dtype must be float32 or float64"):
        maths.init_mlp([4, 3], dtype=np.float16)


def _tiny_network():
    """One input example (1, 2), one ReLU hidden unit, two classes; worked by hand below."""
    params = {
        "W1": np.array([[1.0], [0.5]]),
        "b1": np.array([0.0]),
        "W2": np.array([[1.0, -1.0]]),
        "b2": np.array([0.0, 0.0]),
    }
    return params, np.array([[1.0, 2.0]]), np.array([0])


def test_mlp_forward_and_backward_hand_worked():
    # z1 = 1*1 + 2*0.5 = 2, a1 = relu(2) = 2, logits = (2, -2).
    # Loss for class 0: log(1 + e^-4). With s = sigmoid(-4) = 1 / (1 + e^4):
    # dlogits = (softmax - onehot) = (-s, s); dW2 = a1 * dlogits = (-2s, 2s); db2 = (-s, s);
    # da1 = dlogits @ W2.T = -2s; dz1 = -2s (relu' = 1); dW1 = x.T * dz1 = (-2s, -4s); db1 = -2s.
    params, x, y = _tiny_network()
    logits, cache = maths.mlp_forward(params, x)
    np.testing.assert_array_equal(logits, [[2.0, -2.0]])
    s = 1 / (1 + math.exp(4))
    assert maths.mlp_loss(params, x, y) == pytest.approx(math.log1p(math.exp(-4)), rel=1e-14)
    grads = maths.mlp_backward(params, cache, y)
    assert list(grads) == list(params)
    np.testing.assert_allclose(grads["W2"], [[-2 * s, 2 * s]], rtol=1e-13)
    np.testing.assert_allclose(grads["b2"], [-s, s], rtol=1e-13)
    np.testing.assert_allclose(grads["W1"], [[-2 * s], [-4 * s]], rtol=1e-13)
    np.testing.assert_allclose(grads["b1"], [-2 * s], rtol=1e-13)


@pytest.mark.parametrize("activation, sk_name", [("relu", "relu"), ("sigmoid", "logistic"), ("tanh", "tanh")])
def test_mlp_forward_matches_scikit_learn(activation, sk_name):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(12, 4))
    y = np.arange(12) % 3
    params = maths.init_mlp([4, 6, 5, 3], scheme="glorot", seed=5)
    params["b1"] = rng.normal(size=6)
    params["b3"] = rng.normal(size=3)
    clf = MLPClassifier(hidden_layer_sizes=(6, 5), activation=sk_name, max_iter=1, random_state=0)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    clf.coefs_ = [params["W1"], params["W2"], params["W3"]]
    clf.intercepts_ = [params["b1"], params["b2"], params["b3"]]
    logits, _ = maths.mlp_forward(params, x, activation=activation)
    np.testing.assert_allclose(scipy.special.softmax(logits, axis=1), clf.predict_proba(x), rtol=1e-12)


def _flatten(params):
    return np.concatenate([v.ravel() for v in params.values()])


def _unflatten(vector, like):
    out, start = {}, 0
    for key, value in like.items():
        out[key] = vector[start : start + value.size].reshape(value.shape)
        start += value.size
    return out


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("one_hot", [False, True])
def test_mlp_backward_matches_scipy_finite_differences(activation, one_hot):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(7, 3))
    labels = rng.integers(0, 4, size=7)
    targets = np.eye(4)[labels] if one_hot else labels
    params = maths.init_mlp([3, 5, 4], scheme="glorot", seed=2)
    params["b1"] = rng.normal(scale=0.5, size=5)  # keep ReLU inputs away from its kink
    _, cache = maths.mlp_forward(params, x, activation=activation)
    analytic = _flatten(maths.mlp_backward(params, cache, targets))

    def loss(vector):
        p = _unflatten(vector, params)
        logits = _forward_independent(p, x, activation)
        return np.mean(scipy.special.logsumexp(logits, axis=1) - logits[np.arange(len(labels)), labels])

    numeric = scipy.optimize.approx_fprime(_flatten(params), loss, 1e-7)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-6)


def _forward_independent(p, x, activation):
    act = {"relu": lambda v: np.maximum(v, 0), "sigmoid": scipy.special.expit, "tanh": np.tanh}[activation]
    hidden = act(x @ p["W1"] + p["b1"])
    return hidden @ p["W2"] + p["b2"]


def test_mlp_backward_passes_a_float64_gradient_check_with_numerical_gradient():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(10, 2))
    y = rng.integers(0, 3, size=10)
    params = maths.init_mlp([2, 6, 6, 3], scheme="glorot", seed=1)
    _, cache = maths.mlp_forward(params, x, activation="tanh")
    grads = maths.mlp_backward(params, cache, y)
    for key in params:
        numeric = maths.numerical_gradient(
            lambda w, key=key: maths.mlp_loss({**params, key: w}, x, y, activation="tanh"), params[key]
        )
        assert maths.relative_error(grads[key], numeric) < 1e-7, key


def test_mlp_functions_reject_bad_inputs():
    params, x, y = _tiny_network()
    with pytest.raises(ValueError, match=r"^x must have shape \(N, 2\) to match params\['W1'\]"):
        maths.mlp_forward(params, np.ones((3, 5)))
    with pytest.raises(ValueError, match=r"^activation must be one of"):
        maths.mlp_forward(params, x, activation="gelu")
    with pytest.raises(ValueError, match=r"^params must hold W1, b1"):
        maths.mlp_forward({"W1": params["W1"]}, x)
    with pytest.raises(TypeError, match=r"^params must be a dict of weights"):
        maths.mlp_forward([params["W1"]], x)
    with pytest.raises(ValueError, match=r"^params\['b1'\] must be a NumPy array of shape \(1,\)"):
        maths.mlp_forward({**params, "b1": np.zeros(3)}, x)
    with pytest.raises(ValueError, match=r"^params\['W2'\] must have 1 rows"):
        maths.mlp_forward({**params, "W2": np.zeros((2, 2))}, x)
    with pytest.raises(ValueError, match=r"^cache must be the ForwardCache"):
        maths.mlp_backward(params, None, y)
    _, cache = maths.mlp_forward(params, x)
    with pytest.raises(ValueError, match=r"class labels, which must lie in 0\.\.1"):
        maths.mlp_backward(params, cache, np.array([5]))


def test_sgd_update_hand_values_and_leaves_params_alone():
    params = {"W1": np.array([[1.0, 2.0]]), "b1": np.array([0.5, -0.5])}
    grads = {"W1": np.array([[10.0, -10.0]]), "b1": np.array([1.0, 2.0])}
    new = maths.sgd_update(params, grads, 0.1)
    np.testing.assert_allclose(new["W1"], [[0.0, 3.0]], atol=1e-15)
    np.testing.assert_allclose(new["b1"], [0.4, -0.7], atol=1e-15)
    np.testing.assert_array_equal(params["W1"], [[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"^learning_rate must be a positive number"):
        maths.sgd_update(params, grads, -1)
    with pytest.raises(ValueError, match=r"^grads must have the same keys as params"):
        maths.sgd_update(params, {"W1": grads["W1"]}, 0.1)
    with pytest.raises(ValueError, match=r"^grads\['b1'\] must have shape \(2,\)"):
        maths.sgd_update(params, {**grads, "b1": np.ones(3)}, 0.1)


# --------------------------------------------------------------------------
# Gradient checking
# --------------------------------------------------------------------------


def test_numerical_gradient_of_known_functions():
    x = np.array([[0.3, -1.2], [2.0, 0.7]])
    np.testing.assert_allclose(maths.numerical_gradient(lambda v: np.sum(np.sin(v)), x), np.cos(x), rtol=1e-9)
    a = np.array([[2.0, 1.0, 0.0], [-1.0, 3.0, 0.5], [0.0, 4.0, 1.0]])
    v = np.array([1.0, -2.0, 0.5])
    # d/dv (v^T A v) = (A + A^T) v
    np.testing.assert_allclose(maths.numerical_gradient(lambda u: u @ a @ u, v), (a + a.T) @ v, rtol=1e-8)


def test_numerical_gradient_does_not_modify_its_input_and_returns_float64():
    x = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    before = x.copy()
    grad = maths.numerical_gradient(lambda v: float(np.sum(v**2)), x, h=1e-4)
    np.testing.assert_array_equal(x, before)
    assert grad.dtype == np.float64
    np.testing.assert_allclose(grad, [2.0, 4.0, 6.0], rtol=1e-8)


def test_numerical_gradient_rejects_bad_arguments():
    with pytest.raises(TypeError, match=r"^f must be a function"):
        maths.numerical_gradient(3, np.ones(2))
    with pytest.raises(ValueError, match=r"^h must be a positive number"):
        maths.numerical_gradient(np.sum, np.ones(2), h=0)
    with pytest.raises(ValueError, match=r"^f must return a scalar"):
        maths.numerical_gradient(lambda v: v, np.ones(2))


def test_relative_error_hand_values():
    assert maths.relative_error([3.0, 4.0], [0.0, 0.0]) == 1.0
    assert maths.relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert maths.relative_error([0.0], [0.0]) == 0.0
    # ||(0, 1)|| / (||(3, 4)|| + ||(3, 3)||) = 1 / (5 + 3 sqrt 2)
    assert maths.relative_error([3.0, 4.0], [3.0, 3.0]) == pytest.approx(1 / (5 + 3 * math.sqrt(2)), rel=1e-15)
    with pytest.raises(ValueError, match=r"^a and b must have the same shape"):
        maths.relative_error([1.0], [1.0, 2.0])


def test_importing_maths_loads_no_framework():
    code = (
        "import sys, course_utils.maths; "
        "print(sorted(m for m in ('tensorflow', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
