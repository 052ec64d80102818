"""Scaling laws in NumPy: training compute, power-law fits, isoFLOP minima.

Lesson 7 trains MNIST multilayer perceptrons of many sizes and asks how the
test loss falls with the parameter count ``N``, the examples seen ``D`` and
the training compute ``C = 6 N D``. This module holds everything about that
which needs no framework: the fixed training recipe and the order of the
batches (so that :mod:`course_utils.torch_scaling` and
:mod:`course_utils.tf_scaling` train on identical batches from identical
initial weights), the fits, and the arithmetic of real large models.

Importing this module loads NumPy only; the fits import SciPy when called.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .validation import describe
from .mnist_models import NUM_CLASSES, layer_sizes, parameter_count

__all__ = [
    "A100_PEAK_BF16_FLOPS",
    "BYTES_PER_PARAMETER_FP16",
    "BYTES_PER_PARAMETER_MIXED_ADAM",
    "CHINCHILLA_TOKENS_PER_PARAMETER",
    "GPT3_PARAMETERS",
    "GPT3_REPORTED_FLOPS",
    "GPT3_TOKENS",
    "INPUTS",
    "RECIPE",
    "FRAMEWORKS",
    "ExponentFit",
    "IsoflopOptimum",
    "PowerLawFit",
    "Recipe",
    "accelerators_needed",
    "average_runs",
    "batch_indices",
    "check_run",
    "check_training_data",
    "compute_optimal_tokens",
    "fit_exponent",
    "fit_power_law",
    "flatten_images",
    "initial_parameters",
    "isoflop_examples",
    "isoflop_optimum",
    "learning_rates",
    "load_results",
    "mlp_parameters",
    "power_law",
    "training_compute",
    "train_mlp",
    "training_days",
]

INPUTS = 28 * 28

#: GPT-3's largest model: 175 billion parameters (Brown et al. 2020, Table 2.1).
GPT3_PARAMETERS = 175e9
#: Tokens GPT-3 was trained on: 300 billion (Brown et al. 2020, Table 2.2).
GPT3_TOKENS = 300e9
#: GPT-3 175B's training compute as Brown et al. (2020, Table D.1) report it:
#: 3.14e23 FLOPs (3.64e3 petaflop/s-days).
GPT3_REPORTED_FLOPS = 3.14e23
#: Bytes per parameter for weights stored in 16-bit floating point.
BYTES_PER_PARAMETER_FP16 = 2
#: Bytes per parameter for mixed-precision training with Adam: fp16 weights (2)
#: and gradients (2), and fp32 master weights, momentum and variance (4 + 4 + 4)
#: (Rajbhandari et al. 2020, section 3.1), activations not included.
BYTES_PER_PARAMETER_MIXED_ADAM = 16
#: Dense bf16 peak of an NVIDIA A100 (NVIDIA 2020, A100 datasheet): 312 TFLOP/s.
A100_PEAK_BF16_FLOPS = 312e12
#: Compute-optimal training uses about 20 tokens per parameter (Hoffmann et al.
#: 2022, Table 3: for example 70 billion parameters on 1.4 trillion tokens).
CHINCHILLA_TOKENS_PER_PARAMETER = 20


# --------------------------------------------------------------------------- checks
def _real(name: str, value: Any, *, positive: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {describe(value)}.")
    value = float(value)
    if not math.isfinite(value) or (positive and value <= 0):
        raise ValueError(
            f"{name} must be a finite number{' > 0' if positive else ''}; got {value!r}."
        )
    return value


def _integer(name: str, value: Any, *, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {describe(value)}.")
    if value < low:
        raise ValueError(f"{name} must be an integer >= {low}; got {value!r}.")
    return int(value)


def _positive_array(name: str, value: Any, *, minimum: int = 1) -> np.ndarray:
    if isinstance(value, (str, bytes)) or np.ndim(value) == 0 and not isinstance(
        value, np.ndarray
    ):
        raise TypeError(f"{name} must be a sequence of positive numbers; got {describe(value)}.")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name} must be a sequence of positive numbers; got {describe(value)}."
        ) from None
    if array.ndim != 1 or array.size < minimum:
        raise ValueError(
            f"{name} must be one-dimensional with at least {minimum} values; "
            f"got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)) or np.any(array <= 0):
        raise ValueError(f"{name} must hold finite values > 0; got {array.tolist()[:8]}.")
    return array


def _pair(xname: str, x: Any, yname: str, y: Any, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    x = _positive_array(xname, x, minimum=minimum)
    y = _positive_array(yname, y, minimum=minimum)
    if x.shape != y.shape:
        raise ValueError(
            f"{xname} and {yname} must have the same length; got {x.size} and {y.size}."
        )
    if np.unique(x).size < minimum:
        raise ValueError(f"{xname} must hold at least {minimum} distinct values; got {x.tolist()}.")
    return x, y


# --------------------------------------------------------------------------- recipe
@dataclass(frozen=True)
class Recipe:
    """The one training recipe of every run in lesson 7.

    SGD with momentum (PyTorch's form: ``v = momentum * v + g``,
    ``w = w - lr * v``), a learning rate that falls from ``learning_rate`` to
    0 along half a cosine over the run, batches of ``batch_size``.
    """

    batch_size: int = 128
    learning_rate: float = 0.1
    momentum: float = 0.9

    def __post_init__(self) -> None:
        _integer("batch_size", self.batch_size)
        _real("learning_rate", self.learning_rate)
        momentum = _real("momentum", self.momentum, positive=False)
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must lie in [0, 1); got {momentum!r}.")


RECIPE = Recipe()


def mlp_parameters(hidden: int) -> int:
    """Parameters ``N`` of the 784-``hidden``-10 MLP: ``795 * hidden + 10``."""
    return parameter_count(layer_sizes(_integer("hidden", hidden)))


def flatten_images(images: Any) -> np.ndarray:
    """``uint8`` images (n, 28, 28) to ``float32`` rows (n, 784) in [0, 1]."""
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        raise TypeError(f"images must be a NumPy uint8 array (n, 28, 28); got {describe(images)}.")
    if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) == 0:
        raise ValueError(f"images must have shape (n, 28, 28) with n >= 1; got {images.shape}.")
    return (images.reshape(len(images), INPUTS).astype(np.float32) / np.float32(255)).copy()


def initial_parameters(hidden: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Initial weights in the course layout (``W`` is fan_in x fan_out), ``float32``.

    Every entry is drawn uniformly from ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``,
    PyTorch's default for ``nn.Linear``, from a NumPy generator seeded with
    ``seed``, so that both frameworks start from the same numbers.
    """
    hidden = _integer("hidden", hidden)
    seed = _integer("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    params = {}
    for i, (n_in, n_out) in enumerate([(INPUTS, hidden), (hidden, NUM_CLASSES)], start=1):
        bound = 1 / math.sqrt(n_in)
        params[f"W{i}"] = rng.uniform(-bound, bound, (n_in, n_out)).astype(np.float32)
        params[f"b{i}"] = rng.uniform(-bound, bound, n_out).astype(np.float32)
    return params


def batch_indices(n_train: int, examples: int, batch_size: int, seed: int = 0) -> np.ndarray:
    """Which training examples each step uses: an ``int64`` array (steps, batch_size).

    ``steps = examples // batch_size``; the examples are taken epoch after
    epoch, each epoch a fresh permutation of ``0 .. n_train - 1`` from a NumPy
    generator seeded with ``seed``.
    """
    n_train = _integer("n_train", n_train)
    batch_size = _integer("batch_size", batch_size)
    examples = _integer("examples", examples, low=batch_size)
    rng = np.random.default_rng(_integer("seed", seed, low=0))
    steps = examples // batch_size
    needed = steps * batch_size
    epochs = -(-needed // n_train)
    order = np.concatenate([rng.permutation(n_train) for _ in range(epochs)])
    return order[:needed].reshape(steps, batch_size).astype(np.int64)


def learning_rates(steps: int, recipe: Recipe = RECIPE) -> np.ndarray:
    """The step size of each of ``steps`` steps: ``lr * (1 + cos(pi * t / steps)) / 2``."""
    steps = _integer("steps", steps)
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe, such as RECIPE; got {describe(recipe)}.")
    t = np.arange(steps, dtype=np.float64)
    return recipe.learning_rate * 0.5 * (1 + np.cos(np.pi * t / steps))


# --------------------------------------------------------------------------- compute
def training_compute(parameters: Any, examples: Any) -> float:
    """Training FLOPs by the rule ``C = 6 N D`` (Kaplan et al. 2020, section 2.1).

    Each parameter costs a multiply and an add (2 FLOPs) per example in the
    forward pass and about twice that in the backward pass. Scalars only.
    """
    return 6.0 * _real("parameters", parameters) * _real("examples", examples)


def isoflop_examples(budget: Any, parameters: Any) -> float:
    """Examples a model of ``parameters`` may see within ``budget`` FLOPs: ``C / (6 N)``."""
    return _real("budget", budget) / (6.0 * _real("parameters", parameters))


def compute_optimal_tokens(
    parameters: Any, tokens_per_parameter: Any = CHINCHILLA_TOKENS_PER_PARAMETER
) -> float:
    """Chinchilla's rule of thumb: about 20 training tokens per parameter."""
    return _real("parameters", parameters) * _real("tokens_per_parameter", tokens_per_parameter)


def accelerators_needed(total_bytes: Any, memory_per_device: Any = 80e9) -> int:
    """Fewest devices of ``memory_per_device`` bytes that hold ``total_bytes``."""
    total = _real("total_bytes", total_bytes)
    return math.ceil(total / _real("memory_per_device", memory_per_device))


def training_days(flops: Any, *, devices: Any, peak_flops: Any, utilisation: Any) -> float:
    """Days to do ``flops`` on ``devices`` that each sustain ``utilisation * peak_flops``."""
    utilisation = _real("utilisation", utilisation)
    if utilisation > 1:
        raise ValueError(f"utilisation must lie in (0, 1]; got {utilisation!r}.")
    rate = _integer("devices", devices) * _real("peak_flops", peak_flops) * utilisation
    return _real("flops", flops) / rate / 86_400


# --------------------------------------------------------------------------- fits
def power_law(x: Any, l_inf: float, a: float, alpha: float) -> np.ndarray:
    """``L(x) = l_inf + a * x ** (-alpha)``."""
    return l_inf + a * np.power(np.asarray(x, dtype=np.float64), -alpha)


@dataclass(frozen=True)
class PowerLawFit:
    """A fitted ``L(x) = l_inf + a * x ** -alpha``, with one-sigma standard errors."""

    l_inf: float
    a: float
    alpha: float
    stderr: dict[str, float]
    x: np.ndarray = field(repr=False)
    loss: np.ndarray = field(repr=False)

    def predict(self, x: Any) -> np.ndarray:
        """The fitted law at ``x``."""
        return power_law(x, self.l_inf, self.a, self.alpha)

    @property
    def residuals(self) -> np.ndarray:
        """Measured minus fitted loss at each point."""
        return self.loss - self.predict(self.x)

    def describe(self) -> str:
        """One line: the three parameters with their standard errors."""
        s = self.stderr
        return (
            f"L_inf = {self.l_inf:.4f} ± {s['l_inf']:.4f}, a = {self.a:.4g} ± {s['a']:.2g}, "
            f"alpha = {self.alpha:.3f} ± {s['alpha']:.3f}"
        )


def fit_power_law(x: Any, loss: Any) -> PowerLawFit:
    """Least-squares fit of ``L = l_inf + a * x ** -alpha`` with ``scipy.optimize.curve_fit``.

    x, loss : sequences of at least 4 positive numbers (3 parameters need at
        least one degree of freedom left for standard errors).

    The fit runs on ``x / x0`` (``x0`` the geometric mean of ``x``), which keeps
    the problem well conditioned, and converts back: ``a = A * x0 ** alpha``,
    with its standard error by the delta method from the full covariance.
    Bounds keep ``l_inf >= 0``, ``a > 0`` and ``0 < alpha < 5``.
    """
    from scipy.optimize import curve_fit

    x, loss = _pair("x", x, "loss", loss, 4)
    x0 = float(np.exp(np.mean(np.log(x))))
    u = x / x0
    # Start from a straight line in log-log space through loss - 0.9 * min(loss).
    l0 = 0.5 * float(loss.min())
    slope, intercept = np.polyfit(np.log(u), np.log(np.maximum(loss - l0, 1e-12)), 1)
    p0 = [l0, float(np.exp(intercept)), float(np.clip(-slope, 0.01, 4.0))]

    def model(u_: np.ndarray, l_inf: float, big_a: float, alpha: float) -> np.ndarray:
        return l_inf + big_a * u_ ** (-alpha)

    popt, pcov = curve_fit(
        model, u, loss, p0=p0, bounds=([0, 1e-12, 1e-6], [np.inf, np.inf, 5.0]), maxfev=20_000
    )
    l_inf, big_a, alpha = (float(p) for p in popt)
    a = big_a * x0**alpha
    grad = np.array([0.0, x0**alpha, big_a * x0**alpha * math.log(x0)])  # d a / d(l, A, alpha)
    var_a = float(grad @ pcov @ grad)
    stderr = {
        "l_inf": float(np.sqrt(pcov[0, 0])),
        "a": float(np.sqrt(max(var_a, 0.0))),
        "alpha": float(np.sqrt(pcov[2, 2])),
    }
    return PowerLawFit(l_inf, a, alpha, stderr, x.copy(), loss.copy())


@dataclass(frozen=True)
class ExponentFit:
    """A fitted ``y = k * x ** exponent`` (a straight line in log-log space)."""

    exponent: float
    exponent_stderr: float
    k: float

    def predict(self, x: Any) -> np.ndarray:
        """The fitted law at ``x``."""
        return self.k * np.power(np.asarray(x, dtype=np.float64), self.exponent)


def fit_exponent(x: Any, y: Any) -> ExponentFit:
    """Fit ``log y = log k + exponent * log x`` by least squares.

    x, y : sequences of at least 3 positive numbers (2 parameters, one degree
        of freedom left for the exponent's standard error).
    """
    x, y = _pair("x", x, "y", y, 3)
    lx, ly = np.log(x), np.log(y)
    slope, intercept = np.polyfit(lx, ly, 1)
    resid = ly - (intercept + slope * lx)
    sigma2 = float(resid @ resid) / (x.size - 2)
    stderr = math.sqrt(sigma2 / float(((lx - lx.mean()) ** 2).sum()))
    return ExponentFit(float(slope), stderr, float(math.exp(intercept)))


@dataclass(frozen=True)
class IsoflopOptimum:
    """The loss-minimising model size of one compute budget."""

    parameters: float
    loss: float
    interior: bool
    coefficients: tuple[float, float, float]

    def predict(self, parameters: Any) -> np.ndarray:
        """The fitted parabola in ``log N`` at ``parameters``."""
        c2, c1, c0 = self.coefficients
        z = np.log(np.asarray(parameters, dtype=np.float64))
        return c2 * z**2 + c1 * z + c0


def isoflop_optimum(parameters: Any, losses: Any, *, window: int | None = None) -> IsoflopOptimum:
    """``N*`` of one isoFLOP curve: the vertex of a parabola in ``log N``.

    Hoffmann et al. (2022, section 3.2) fit a parabola to each isoFLOP
    profile; so does this function, through the measured points of one
    budget (at least 3). ``interior`` is False when the parabola opens
    downwards or its vertex lies outside the measured sizes: then the
    sweep did not bracket the minimum, and ``parameters`` is the best
    measured size instead.

    window : int >= 3 or None; if given, only the ``window`` sizes nearest
        (in order of size) to the lowest measured loss are fitted, so that
        far-off points of an asymmetric valley do not pull the vertex.
    """
    n, loss = _pair("parameters", parameters, "losses", losses, 3)
    order = np.argsort(n)
    n, loss = n[order], loss[order]
    if window is not None:
        window = _integer("window", window, low=3)
        start = int(np.clip(np.argmin(loss) - window // 2, 0, max(n.size - window, 0)))
        n, loss = n[start:start + window], loss[start:start + window]
    z = np.log(n)
    c2, c1, c0 = (float(c) for c in np.polyfit(z, loss, 2))
    interior = c2 > 0 and z.min() <= -c1 / (2 * c2) <= z.max()
    if interior:
        z_star = -c1 / (2 * c2)
        n_star, l_star = math.exp(z_star), c0 - c1**2 / (4 * c2)
    else:
        best = int(np.argmin(loss))
        n_star, l_star = float(n[best]), float(loss[best])
    return IsoflopOptimum(n_star, l_star, bool(interior), (c2, c1, c0))


# --------------------------------------------------------------------------- training
FRAMEWORKS = ("pytorch", "tensorflow")


def check_training_data(
    x_train: Any, y_train: Any, x_test: Any, y_test: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check ``float32`` rows (n, 784), as :func:`flatten_images` makes, and labels (n,)."""
    out = []
    for xname, x, yname, y in (("x_train", x_train, "y_train", y_train),
                               ("x_test", x_test, "y_test", y_test)):
        if not isinstance(x, np.ndarray) or x.dtype != np.float32:
            raise TypeError(
                f"{xname} must be a float32 NumPy array (n, 784), as flatten_images() "
                f"returns; got {describe(x)}."
            )
        if x.ndim != 2 or x.shape[1] != INPUTS or len(x) == 0:
            raise ValueError(f"{xname} must have shape (n, 784) with n >= 1; got {x.shape}.")
        if not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.integer):
            raise TypeError(f"{yname} must be a NumPy integer array (n,); got {describe(y)}.")
        if y.shape != (len(x),):
            raise ValueError(
                f"{yname} must have shape ({len(x)},) to match {xname}; got {y.shape}."
            )
        if y.min() < 0 or y.max() >= NUM_CLASSES:
            raise ValueError(f"{yname} must lie in 0..{NUM_CLASSES - 1}; got {y.min()}..{y.max()}.")
        out += [x, y.astype(np.int64)]
    return out[0], out[1], out[2], out[3]


def check_run(hidden: Any, examples: Any, recipe: Any, seed: Any) -> tuple[int, int, Recipe, int]:
    """Check the arguments of a training run shared by both frameworks."""
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipe must be a Recipe, such as RECIPE; got {describe(recipe)}.")
    hidden = _integer("hidden", hidden)
    examples = _integer("examples", examples, low=recipe.batch_size)
    return hidden, examples, recipe, _integer("seed", seed, low=0)


def train_mlp(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    hidden: int,
    examples: int,
    recipe: Recipe = RECIPE,
    seed: int = 0,
    framework: str = "pytorch",
) -> dict[str, float]:
    """Train one 784-``hidden``-10 MLP with the fixed recipe; report its test loss.

    ``framework`` is ``"pytorch"`` (:func:`course_utils.torch_scaling.train_mlp`)
    or ``"tensorflow"`` (:func:`course_utils.tf_scaling.train_mlp`); the
    framework is imported only when asked for. Both start from
    :func:`initial_parameters` and take the batches of :func:`batch_indices`,
    so they compute the same run up to float32 rounding.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}; got {describe(framework)}.")
    if framework == "pytorch":
        from .torch_scaling import train_mlp as train
    else:
        from .tf_scaling import train_mlp as train
    return train(x_train, y_train, x_test, y_test, hidden=hidden, examples=examples,
                 recipe=recipe, seed=seed)


# --------------------------------------------------------------------------- stored sweeps
RESULTS = "benchmarks/results/scaling.json"
_SWEEPS = ("width_sweep", "data_sweep", "isoflop")


def load_results(path: Any = None) -> dict:
    """The full sweeps that ``python benchmarks/scaling.py`` wrote, as a dict.

    path : str, pathlib.Path or None; None means ``benchmarks/results/scaling.json``
        in the course's repository (next to this package).
    """
    import json
    from pathlib import Path

    if path is None:
        path = Path(__file__).resolve().parents[1] / RESULTS
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str, a pathlib.Path or None; got {describe(path)}.")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no stored sweeps at {path}; run `python benchmarks/scaling.py` from the "
            "repository root to make them."
        )
    data = json.loads(path.read_text())
    missing = [key for key in ("command", "provenance", *_SWEEPS) if key not in data]
    if missing:
        raise ValueError(f"{path} lacks {missing}; rerun `python benchmarks/scaling.py`.")
    return data


def average_runs(runs: Any, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Group ``runs`` (dicts with ``key`` and ``test_loss``) by ``key``.

    Returns the sorted distinct values of ``key``, the mean test loss of each
    group and the spread (half the range) of each group, as float arrays.
    """
    if not isinstance(runs, (list, tuple)) or not all(isinstance(r, dict) for r in runs):
        raise TypeError(f"runs must be a list of dicts, one per run; got {describe(runs)}.")
    if not runs or any(key not in r or "test_loss" not in r for r in runs):
        raise ValueError(f"runs must be non-empty and each must have {key!r} and 'test_loss'.")
    xs = sorted({r[key] for r in runs})
    groups = [[r["test_loss"] for r in runs if r[key] == x] for x in xs]
    return (np.array(xs, dtype=np.float64), np.array([np.mean(g) for g in groups]),
            np.array([(max(g) - min(g)) / 2 for g in groups]))
