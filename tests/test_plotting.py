"""course_utils.plotting: the figures hold the data they were given, and bad input gets a clear error."""

from __future__ import annotations

import subprocess
import sys

import matplotlib

matplotlib.use("Agg")  # no display needed

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_utils import plotting  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.fixture
def labels():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, size=500)
    y_pred = np.where(rng.random(500) < 0.9, y_true, rng.integers(0, 10, size=500))
    return y_true, y_pred


HISTORY = {
    "loss": [0.5, 0.3, 0.2],
    "accuracy": [0.85, 0.91, 0.94],
    "val_loss": [0.4, 0.35, 0.33],
    "val_accuracy": [0.88, 0.9, 0.91],
}


def test_import_course_utils_does_not_load_matplotlib():
    code = "import sys, course_utils; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_palette_is_okabe_ito():
    assert list(plotting.OKABE_ITO.values()) == [
        "#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
    ]


# ---------------------------------------------------------------------------
# learning curves


def test_learning_curves_put_losses_left_and_accuracies_right():
    fig = plotting.plot_learning_curves(HISTORY, title="run 1")
    assert isinstance(fig, Figure)
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_ylabel() == "loss" and acc_ax.get_ylabel() == "accuracy"
    assert [line.get_label() for line in loss_ax.lines] == ["loss", "val_loss"]
    assert [line.get_label() for line in acc_ax.lines] == ["accuracy", "val_accuracy"]
    np.testing.assert_array_equal(loss_ax.lines[0].get_xdata(), [1, 2, 3])  # epochs count from 1
    np.testing.assert_allclose(acc_ax.lines[1].get_ydata(), HISTORY["val_accuracy"])
    assert fig._suptitle.get_text() == "run 1"
    # Two series on one panel differ in colour, line style and marker, all from the palette.
    first, second = loss_ax.lines
    assert first.get_color() != second.get_color()
    assert first.get_linestyle() != second.get_linestyle() and first.get_marker() != second.get_marker()
    palette = {c.lower() for c in plotting.OKABE_ITO.values()}
    assert {to_hex(line.get_color()) for line in loss_ax.lines} <= palette


def test_learning_curves_accept_numpy_arrays_and_a_single_panel():
    fig = plotting.plot_learning_curves({"train_loss": np.array([1.0, 0.5]), "test_loss": np.array([1.1, 0.7])}, title=None)
    assert len(fig.axes) == 1 and fig._suptitle is None


@pytest.mark.parametrize(
    "history, error, match",
    [
        ([0.1, 0.2], TypeError, "history must be a non-empty mapping"),
        ({}, TypeError, "history must be a non-empty mapping"),
        ({"loss": [0.3, 0.2], "accuracy": [0.9]}, ValueError, "same number"),
        ({"lr": [0.1, 0.05]}, ValueError, "neither a loss nor an accuracy"),
        ({"loss": [[0.1, 0.2]]}, ValueError, r"history\['loss'\] must be a non-empty 1-D array"),
        ({"loss": []}, ValueError, "non-empty 1-D"),
        ({"loss": ["a", "b"]}, TypeError, "must be a non-empty 1-D array of real numbers"),
        ({"loss": [0.1, float("nan")]}, ValueError, "NaN or infinity"),
        ({"loss": "0.1"}, TypeError, "1-D array of real numbers"),
        ({1: [0.1]}, TypeError, "keys must be strings"),
    ],
)
def test_learning_curves_reject_bad_histories(history, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_learning_curves(history)


def test_learning_curves_reject_a_non_string_title():
    with pytest.raises(TypeError, match="title must be a string"):
        plotting.plot_learning_curves(HISTORY, title=3)


# ---------------------------------------------------------------------------
# step losses


def test_step_losses_plot_against_examples_seen_with_a_moving_average():
    rng = np.random.default_rng(1)
    small, large = rng.random(400) + 0.1, rng.random(20) + 0.1
    fig = plotting.plot_step_losses({"batch 4": small, "batch 128": large}, {"batch 4": 4, "batch 128": 128}, window=512)
    (ax,) = fig.axes
    raw_small, raw_large, smooth_small, smooth_large = ax.lines  # faint lines first, bold on top
    np.testing.assert_array_equal(raw_small.get_xdata(), np.arange(1, 401) * 4)
    np.testing.assert_array_equal(raw_large.get_xdata()[-1], 20 * 128)
    # The average spans 512 examples in both runs: 128 steps of 4, 4 steps of 128.
    np.testing.assert_allclose(smooth_small.get_ydata()[0], small[:128].mean())
    np.testing.assert_allclose(smooth_large.get_ydata()[0], large[:4].mean())
    assert smooth_small.get_xdata()[0] == smooth_large.get_xdata()[0] == 512
    assert [line.get_label() for line in (smooth_small, smooth_large)] == [
        "batch 4: batch 4, mean of 128 steps", "batch 128: batch 128, mean of 4 steps",
    ]
    assert ax.get_xlabel() == "training examples seen" and ax.get_yscale() == "log"
    assert raw_small.get_alpha() < 0.5 and smooth_small.get_linewidth() > raw_small.get_linewidth()


def test_step_losses_clip_the_window_to_the_run():
    fig = plotting.plot_step_losses({"short": [1.0, 0.5, 0.25]}, {"short": 32}, window=50 * 32)
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [1.75 / 3])
    fig = plotting.plot_step_losses({"big": [1.0, 0.5]}, {"big": 256}, window=10)
    np.testing.assert_allclose(fig.axes[0].lines[1].get_ydata(), [1.0, 0.5])  # at least one step


@pytest.mark.parametrize(
    "losses, sizes, kwargs, error, match",
    [
        ({}, {}, {}, TypeError, "non-empty mapping"),
        ({"a": [1.0]}, {"b": 4}, {}, ValueError, "same run names"),
        ({"a": [1.0]}, {"a": 0}, {}, ValueError, r"batch_sizes\['a'\] must be a positive integer"),
        ({"a": [1.0]}, {"a": 4}, {"window": 0}, ValueError, "window must be a positive integer"),
        ({"a": [[1.0]]}, {"a": 4}, {}, ValueError, r"step_losses\['a'\]"),
    ],
)
def test_step_losses_reject_bad_input(losses, sizes, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_step_losses(losses, sizes, **kwargs)


# ---------------------------------------------------------------------------
# confusion matrix


def test_confusion_matrix_counts_by_hand():
    counts = plotting.confusion_matrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], num_classes=3)
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert counts.dtype == np.int64


def test_confusion_matrix_agrees_with_scikit_learn(labels):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    y_true, y_pred = labels
    np.testing.assert_array_equal(
        plotting.confusion_matrix(y_true, y_pred), sklearn_metrics.confusion_matrix(y_true, y_pred, labels=range(10))
    )


def test_confusion_matrix_figure_shows_every_nonzero_count_and_the_accuracy(labels):
    y_true, y_pred = labels
    counts = plotting.confusion_matrix(y_true, y_pred)
    fig = plotting.plot_confusion_matrix(y_true, y_pred)
    ax = fig.axes[0]
    texts = sorted(int(t.get_text()) for t in ax.texts)
    assert texts == sorted(int(c) for c in counts.ravel() if c)
    correct = int(np.trace(counts))
    assert f"{correct}/500 correct" in ax.get_title()
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    image = ax.images[0]
    np.testing.assert_array_equal(np.ma.filled(image.get_array(), 0), counts)


@pytest.mark.parametrize(
    "y_true, y_pred, error, match",
    [
        ([0, 1, 2], [0, 1], ValueError, "same length"),
        ([0, 1, 10], [0, 1, 2], ValueError, r"y_true must lie in 0..9; got values from 0 to 10"),
        ([0, 1, 2], [0, -1, 2], ValueError, "y_pred must lie in 0..9"),
        ([0.0, 1.0], [0, 1], TypeError, "y_true must be a non-empty 1-D array of integers"),
        ([], [], ValueError, "non-empty 1-D"),
        ("0123", [0, 1, 2, 3], TypeError, "y_true must be a non-empty 1-D array of integers; got str"),
    ],
)
def test_confusion_matrix_rejects_bad_labels(y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_confusion_matrix(y_true, y_pred)


# ---------------------------------------------------------------------------
# misclassified digits


def test_misclassified_grid_shows_only_wrong_predictions_with_their_labels():
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8)
    y_true = np.arange(30) % 10
    y_pred = y_true.copy()
    wrong = [3, 7, 8, 21, 29]
    y_pred[wrong] = (y_true[wrong] + 1) % 10
    fig = plotting.plot_misclassified(images, y_true, y_pred, max_images=4, ncols=2)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 4  # max_images caps the grid
    for ax, index in zip(shown, wrong):
        np.testing.assert_array_equal(ax.images[0].get_array(), images[index])
        assert ax.get_title() == f"true {y_true[index]}, pred {y_pred[index]}"
    assert "the first 4 of 5 (of 30 examples)" in fig._suptitle.get_text()


def test_misclassified_with_no_mistakes_says_so():
    images = np.zeros((3, 28, 28), dtype=np.uint8)
    fig = plotting.plot_misclassified(images, [1, 2, 3], [1, 2, 3])
    assert "No misclassified examples among 3" in fig.axes[0].texts[0].get_text()


@pytest.mark.parametrize(
    "images, y_true, y_pred, error, match",
    [
        ([[0]], [0], [1], TypeError, "images must be a NumPy array"),
        (np.zeros((2, 784)), [0, 1], [1, 0], ValueError, r"shape \(N, height, width\)"),
        (np.zeros((2, 28, 28)), [0, 1, 2], [1, 0, 2], ValueError, "same number of examples"),
        (np.full((1, 28, 28), np.nan), [0], [1], ValueError, "NaN"),
        (np.zeros((1, 28, 28), dtype=bool), [0], [1], TypeError, r"of real numbers \(integer or floating dtype\); got .* dtype bool"),
    ],
)
def test_misclassified_rejects_bad_input(images, y_true, y_pred, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_misclassified(images, y_true, y_pred)


# ---------------------------------------------------------------------------
# first-layer weights


@pytest.mark.parametrize("layout", ["flat", "images"])
def test_first_layer_weights_draws_each_unit_on_one_symmetric_scale(layout):
    rng = np.random.default_rng(3)
    weights = rng.normal(size=(12, 784)).astype(np.float32)
    given = weights if layout == "flat" else weights.reshape(12, 28, 28)
    fig = plotting.plot_first_layer_weights(given, ncols=5)
    units = [ax for ax in fig.axes if ax.images]
    assert len(units) == 12
    np.testing.assert_array_equal(units[7].images[0].get_array(), weights[7].reshape(28, 28))
    limit = np.percentile(np.abs(weights), 99.5)
    assert all(ax.images[0].get_clim() == pytest.approx((-limit, limit)) for ax in units)
    assert "(12 units)" in fig._suptitle.get_text()
    assert any(ax.get_ylabel() == "weight" for ax in fig.axes)  # the colour bar


def test_first_layer_weights_scale_ignores_a_few_extreme_weights():
    weights = np.full((4, 784), 0.1)
    weights[0, 0] = 50.0
    fig = plotting.plot_first_layer_weights(weights)
    assert fig.axes[0].images[0].get_clim() == pytest.approx((-0.1, 0.1))


def test_first_layer_weights_of_all_zeros_still_draw():
    fig = plotting.plot_first_layer_weights(np.zeros((2, 4)), image_shape=(2, 2))
    assert len([ax for ax in fig.axes if ax.images]) == 2


@pytest.mark.parametrize(
    "weights, kwargs, error, match",
    [
        ([[0.0] * 784], {}, TypeError, "weights must be a NumPy array"),
        (np.zeros((784, 128)), {}, ValueError, r"transpose a Keras kernel first"),
        (np.zeros((4, 10)), {}, ValueError, r"\(units, 784\)"),
        (np.zeros((4, 28, 28)), {"image_shape": (28,)}, ValueError, "image_shape"),
        (np.full((2, 784), np.inf), {}, ValueError, "NaN or infinity"),
        (np.zeros((2, 784)), {"ncols": 0}, ValueError, "ncols must be a positive integer"),
    ],
)
def test_first_layer_weights_reject_bad_input(weights, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_first_layer_weights(weights, **kwargs)
