"""Figures for the MNIST lessons, from NumPy arrays, so one function serves both frameworks.

Import it explicitly (``from course_utils import plotting``); ``import
course_utils`` does not load Matplotlib. Every function checks its inputs,
draws with the Okabe-Ito palette (distinguishable with the common forms of
colour blindness, and paired with line styles and markers so that nothing
depends on colour alone), and returns the Matplotlib ``Figure``; in a notebook
end the cell with ``plt.show()``.

The functions:

* :func:`plot_learning_curves`: loss and accuracy per epoch;
* :func:`plot_step_losses`: the loss of every training step, against the
  number of examples seen, for comparing batch sizes;
* :func:`plot_confusion_matrix` (and :func:`confusion_matrix`, its numbers);
* :func:`plot_misclassified`: a grid of wrongly classified digits;
* :func:`plot_first_layer_weights`: each hidden unit's weights as an image.
"""

from __future__ import annotations

from typing import Any, Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from .validation import check_array, check_class_labels, check_integer, describe

__all__ = [
    "OKABE_ITO",
    "confusion_matrix",
    "plot_confusion_matrix",
    "plot_first_layer_weights",
    "plot_learning_curves",
    "plot_misclassified",
    "plot_step_losses",
]

#: Okabe and Ito's colour-blind-safe palette (Okabe & Ito, *Color Universal Design*, 2002).
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

# Series are told apart by colour, line style and marker together.
_SERIES_STYLES = (
    (OKABE_ITO["blue"], "-", "o"),
    (OKABE_ITO["vermillion"], "--", "s"),
    (OKABE_ITO["bluish green"], "-.", "^"),
    (OKABE_ITO["orange"], ":", "D"),
    (OKABE_ITO["reddish purple"], (0, (5, 1, 1, 1)), "v"),
    (OKABE_ITO["black"], (0, (1, 2)), "x"),
)

# ---------------------------------------------------------------------------
# input checks


def _as_1d(name: str, value: Any) -> np.ndarray:
    """``value`` as a non-empty 1-D array of finite numbers."""
    return check_array(name, value, dtype="numeric", ndim=1, non_empty=True, finite=True)


def _check_images(name: str, value: Any) -> np.ndarray:
    if not isinstance(value, np.ndarray):
        raise TypeError(
            f"{name} must be a NumPy array of shape (N, height, width); "
            f"got {describe(value)}."
        )
    shape = ("N", "height", "width")
    return check_array(name, value, dtype="numeric", shape=shape, non_empty=True, finite=True)


def _check_title(title: Any) -> str | None:
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string or None; got {describe(title)}.")
    return title


# ---------------------------------------------------------------------------
# learning curves


def _panel_of(key: str) -> str:
    lowered = key.lower()
    if lowered.endswith("loss"):
        return "loss"
    if lowered.endswith("accuracy") or lowered.endswith("acc"):
        return "accuracy"
    raise ValueError(
        f"history key {key!r} names neither a loss nor an accuracy; keys must end in 'loss' or "
        "'accuracy' (as Keras' History.history does: 'loss', 'accuracy', 'val_loss', ...)."
    )


def plot_learning_curves(history: Mapping[str, Any], *, title: str | None = "Learning curves") -> Figure:
    """Loss (left) and accuracy (right) after each epoch.

    Parameters
    ----------
    history : mapping of str to sequence of float
        A mapping from a series name to its values, one per epoch, such as
        Keras' ``History.history`` (``{"loss": [...], "accuracy": [...],
        "val_loss": [...], "val_accuracy": [...]}``) or a dict built the same
        way in a PyTorch loop. Names ending in ``loss`` go to the left panel,
        names ending in ``accuracy`` (or ``acc``) to the right one; all series
        must have the same length. The legend shows the names as given.
    title : str or None
        The figure's title, or None.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels, epochs numbered from 1 on the horizontal axis.
    """
    if not isinstance(history, Mapping) or not history:
        raise TypeError(
            "history must be a non-empty mapping from series names to per-epoch values, "
            f"such as Keras' History.history; got {describe(history)}."
        )
    title = _check_title(title)
    series: dict[str, dict[str, np.ndarray]] = {"loss": {}, "accuracy": {}}
    length = None
    for key, values in history.items():
        if not isinstance(key, str):
            raise TypeError(f"history keys must be strings; got {describe(key)}.")
        panel = _panel_of(key)
        array = _as_1d(f"history[{key!r}]", values).astype(np.float64)
        if length is not None and len(array) != length:
            raise ValueError(
                f"every series in history must have one value per epoch, the same number; "
                f"history[{key!r}] has {len(array)} values, the others {length}."
            )
        length = len(array)
        series[panel][key] = array
    panels = [p for p in ("loss", "accuracy") if series[p]]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels), 3.6), squeeze=False)
    epochs = np.arange(1, length + 1)
    for ax, panel in zip(axes[0], panels):
        for index, (key, values) in enumerate(series[panel].items()):
            colour, style, marker = _SERIES_STYLES[index % len(_SERIES_STYLES)]
            ax.plot(epochs, values, color=colour, linestyle=style, marker=marker, markersize=5, label=key)
        ax.set_xlabel("epoch")
        ax.set_ylabel(panel)
        ax.set_title(panel.capitalize())
        ax.set_xticks(epochs if length <= 12 else ax.get_xticks())
        ax.grid(True, alpha=0.3)
        ax.legend(frameon=False, fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_step_losses(
    step_losses: Mapping[str, Any],
    batch_sizes: Mapping[str, int],
    *,
    window: int = 1024,
    title: str | None = "Training loss per step",
) -> Figure:
    """The loss of every training step against the number of examples seen so far.

    Each run is drawn twice: every step's loss as a faint line (its spread
    shows how noisy the updates are) and a moving average as a bold line.
    Plotting against examples seen, not steps, puts runs with different batch
    sizes on one horizontal axis, and the moving average spans the same number
    of examples in every run.

    Parameters
    ----------
    step_losses : mapping of str to sequence of float
        Run name -> 1-D array of per-step losses.
    batch_sizes : mapping of str to int
        Run name -> examples per step, with the same names as ``step_losses``.
    window : int >= 1
        Examples covered by the moving average: ``window // batch_size`` steps
        (at least 1, at most the run's length).
    """
    if not isinstance(step_losses, Mapping) or not step_losses:
        raise TypeError(f"step_losses must be a non-empty mapping of run name -> losses; got {describe(step_losses)}.")
    if not isinstance(batch_sizes, Mapping) or set(batch_sizes) != set(step_losses):
        raise ValueError(
            "batch_sizes must be a mapping with the same run names as step_losses; got "
            f"{sorted(map(str, batch_sizes)) if isinstance(batch_sizes, Mapping) else describe(batch_sizes)} "
            f"for runs {sorted(map(str, step_losses))}."
        )
    window = check_integer("window", window, low=1)
    title = _check_title(title)
    runs = []
    for name, values in step_losses.items():
        losses = _as_1d(f"step_losses[{name!r}]", values).astype(np.float64)
        size = check_integer(f"batch_sizes[{name!r}]", batch_sizes[name], low=1)
        runs.append((name, losses, size, np.arange(1, len(losses) + 1) * size))
    fig, ax = plt.subplots(figsize=(7.5, 3.8))
    for index, (_, losses, _, seen) in enumerate(runs):  # all faint lines first, under the bold ones
        colour = _SERIES_STYLES[index % len(_SERIES_STYLES)][0]
        ax.plot(seen, losses, color=colour, alpha=0.18, linewidth=0.6)
    for index, (name, losses, size, seen) in enumerate(runs):
        colour, style, _ = _SERIES_STYLES[index % len(_SERIES_STYLES)]
        steps = min(max(window // size, 1), len(losses))
        smooth = np.convolve(losses, np.ones(steps) / steps, mode="valid")
        ax.plot(seen[steps - 1 :], smooth, color=colour, linestyle=style, linewidth=2,
                label=f"{name}: batch {size}, mean of {steps} step{'s' if steps > 1 else ''}")
    ax.set_yscale("log")
    ax.set_xlabel("training examples seen")
    ax.set_ylabel("loss (log scale)")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(frameon=False, fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# confusion matrix


def confusion_matrix(y_true: Any, y_pred: Any, *, num_classes: int = 10) -> np.ndarray:
    """Counts of (true class, predicted class) pairs: an ``int64`` array (num_classes, num_classes).

    Entry ``[i, j]`` is the number of examples of class ``i`` predicted as
    class ``j``; the diagonal holds the correct predictions.
    """
    num_classes = check_integer("num_classes", num_classes, low=2)
    true = check_class_labels("y_true", y_true, num_classes=num_classes)
    pred = check_class_labels("y_pred", y_pred, num_classes=num_classes)
    if len(true) != len(pred):
        raise ValueError(f"y_true and y_pred must have the same length; got {len(true)} and {len(pred)}.")
    counts = np.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def plot_confusion_matrix(
    y_true: Any,
    y_pred: Any,
    *,
    num_classes: int = 10,
    title: str | None = "Confusion matrix",
) -> Figure:
    """The confusion matrix as a labelled heat map, with every count written in its cell.

    Rows are the true classes, columns the predicted ones. The colour scale
    (light to dark blue, readable in greyscale) is logarithmic so that the few
    mistakes stand out next to the large diagonal; empty cells stay white.
    """
    from matplotlib.colors import LogNorm

    counts = confusion_matrix(y_true, y_pred, num_classes=num_classes)
    title = _check_title(title)
    size = max(4.0, 0.5 * num_classes + 1.5)
    fig, ax = plt.subplots(figsize=(size + 0.9, size))
    shown = np.ma.masked_equal(counts, 0)
    image = ax.imshow(shown, cmap="Blues", norm=LogNorm(vmin=1, vmax=max(int(counts.max()), 2)))
    threshold = np.sqrt(max(int(counts.max()), 1))  # the middle of the log scale
    for i in range(num_classes):
        for j in range(num_classes):
            if counts[i, j]:
                colour = "white" if counts[i, j] > threshold else "black"
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7, color=colour)
    ax.set_xticks(range(num_classes))
    ax.set_yticks(range(num_classes))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    correct = int(np.trace(counts))
    total = int(counts.sum())
    ax.set_title((f"{title}: " if title else "") + f"{correct}/{total} correct ({correct / total:.2%})", fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="examples (log scale)")
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------------
# images


def plot_misclassified(
    images: np.ndarray,
    y_true: Any,
    y_pred: Any,
    *,
    max_images: int = 24,
    ncols: int = 8,
    num_classes: int = 10,
    title: str | None = "Misclassified test digits",
) -> Figure:
    """A grid of the first ``max_images`` examples whose prediction is wrong.

    Each digit is labelled "true 7, predicted 2". ``images`` is (N, height,
    width), uint8 pixels or floats, in the same order as the labels. When
    nothing is misclassified the figure says so instead of showing a grid.
    """
    images = _check_images("images", images)
    true = check_class_labels("y_true", y_true, num_classes=num_classes)
    pred = check_class_labels("y_pred", y_pred, num_classes=num_classes)
    if not len(images) == len(true) == len(pred):
        raise ValueError(
            f"images, y_true and y_pred must hold the same number of examples; got {len(images)}, "
            f"{len(true)} and {len(pred)}."
        )
    max_images = check_integer("max_images", max_images, low=1)
    ncols = check_integer("ncols", ncols, low=1)
    title = _check_title(title)
    wrong = np.flatnonzero(true != pred)
    shown = wrong[:max_images]
    if len(shown) == 0:
        fig, ax = plt.subplots(figsize=(4, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, f"No misclassified examples among {len(true)}.", ha="center", va="center")
        if title:
            ax.set_title(title)
        return fig
    ncols = min(ncols, len(shown))
    nrows = -(-len(shown) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.25 * ncols, 1.45 * nrows + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    pixel_range = {"vmin": 0, "vmax": 255} if images.dtype == np.uint8 else {}
    for ax, index in zip(axes.flat, shown):
        ax.imshow(images[index], cmap="gray_r", **pixel_range)
        ax.set_title(f"true {true[index]}, pred {pred[index]}", fontsize=7)
    if title:
        fig.suptitle(f"{title}: the first {len(shown)} of {len(wrong)} (of {len(true)} examples)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_first_layer_weights(
    weights: np.ndarray,
    *,
    image_shape: tuple[int, int] = (28, 28),
    ncols: int = 16,
    title: str | None = "First-layer weights, one image per hidden unit",
) -> Figure:
    """Each hidden unit's incoming weights drawn as an image of the input.

    Parameters
    ----------
    weights : numpy.ndarray of numbers, shape (units, height * width) or (units, height, width)
        Shape (units, height * width) or (units, height, width): row ``j``
        holds the weight from every pixel to hidden unit ``j`` (PyTorch's
        ``fc1.weight`` as is; Keras' kernel transposed). The
        ``first_layer_weights`` function of either framework module returns
        this layout.
    image_shape : tuple of two int >= 1
        (height, width) of an input image.
    ncols : int >= 1
        Images per row.

    Returns
    -------
    matplotlib.figure.Figure
        A grid of images on one diverging colour scale centred on 0 (orange
        for positive, purple for negative, white for 0), shared by all units
        so their strengths can be compared, with a colour bar. The scale ends
        at the 99.5th percentile of the absolute weights, so that a handful of
        extreme weights do not wash out the rest.
    """
    if not isinstance(weights, np.ndarray):
        raise TypeError(f"weights must be a NumPy array; got {describe(weights)}.")
    check_array("weights", weights, dtype="numeric")
    if not isinstance(image_shape, tuple) or len(image_shape) != 2:
        raise ValueError(
            "image_shape must be a (height, width) tuple of positive integers; "
            f"got {describe(image_shape)}."
        )
    for i, size in enumerate(image_shape):
        check_integer(f"image_shape[{i}]", size, low=1)
    height, width = int(image_shape[0]), int(image_shape[1])
    if weights.ndim == 2 and weights.shape[1] == height * width and weights.shape[0] > 0:
        grid = weights.reshape(-1, height, width)
    elif weights.ndim == 3 and weights.shape[1:] == (height, width) and weights.shape[0] > 0:
        grid = weights
    else:
        raise ValueError(
            f"weights must have shape (units, {height * width}) or (units, {height}, {width}), one row per "
            f"hidden unit (transpose a Keras kernel first); got {describe(weights)}."
        )
    check_array("weights", grid, finite=True)
    ncols = check_integer("ncols", ncols, low=1)
    title = _check_title(title)
    units = len(grid)
    ncols = min(ncols, units)
    nrows = -(-units // ncols)
    # A few strong weights would wash out the rest, so the scale ends at the
    # 99.5th percentile of |weight|; anything beyond shows at full colour.
    limit = float(np.percentile(np.abs(grid), 99.5)) or float(np.abs(grid).max()) or 1.0
    fig, axes = plt.subplots(nrows, ncols, figsize=(0.62 * ncols + 1.0, 0.62 * nrows + 0.6), squeeze=False)
    image = None
    for ax in axes.flat:
        ax.axis("off")
    for ax, unit in zip(axes.flat, grid):
        image = ax.imshow(unit, cmap="PuOr_r", vmin=-limit, vmax=limit)
    fig.subplots_adjust(left=0.01, right=0.88, bottom=0.01, top=0.9, wspace=0.08, hspace=0.08)
    colourbar_axes = fig.add_axes((0.9, 0.1, 0.02, 0.75))
    fig.colorbar(image, cax=colourbar_axes, label="weight")
    if title:
        fig.suptitle(f"{title} ({units} units)", fontsize=10)
    return fig
