"""NumPy reference mathematics for the lessons: activations, softmax, losses, a small MLP.

Everything here is plain NumPy, written for reading rather than for speed.
The lessons compute the same quantities with TensorFlow and PyTorch and check
that the three agree, so this module is the yardstick.

Conventions
-----------
* Arrays hold one example per row: inputs ``x`` have shape (N, features),
  logits and probabilities shape (N, classes). A single example may be given
  as a 1-D array of shape (classes,).
* Labels are either integer class indices of shape (N,) or distributions
  (one-hot or soft) of shape (N, classes).
* A dense layer computes ``x @ W + b`` with ``W`` of shape (fan_in, fan_out),
  the layout of a Keras ``Dense`` kernel. PyTorch's ``nn.Linear`` stores the
  transpose, ``weight`` of shape (fan_out, fan_in).
* Functions keep the floating dtype they are given (float32 stays float32);
  integers are converted to float64.

Activations and their derivatives
    :func:`relu`, :func:`relu_grad`, :func:`sigmoid`, :func:`sigmoid_grad`,
    :func:`tanh`, :func:`tanh_grad`, and the table :data:`ACTIVATIONS`.
Output layer and losses
    :func:`logsumexp`, :func:`softmax`, :func:`log_softmax`,
    :func:`cross_entropy`, :func:`binary_cross_entropy`.
A small multilayer perceptron (the five training steps)
    :func:`init_mlp`, :func:`mlp_forward`, :func:`mlp_loss`,
    :func:`mlp_backward`, :func:`sgd_update`.
Gradient checking
    :func:`numerical_gradient`, :func:`relative_error`.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ._checks import check_positive_int, check_seed, describe

__all__ = [
    "ACTIVATIONS",
    "INIT_SCHEMES",
    "ForwardCache",
    "binary_cross_entropy",
    "cross_entropy",
    "init_mlp",
    "log_softmax",
    "logsumexp",
    "mlp_backward",
    "mlp_forward",
    "mlp_loss",
    "numerical_gradient",
    "relative_error",
    "relu",
    "relu_grad",
    "sgd_update",
    "sigmoid",
    "sigmoid_grad",
    "softmax",
    "tanh",
    "tanh_grad",
]

_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------


def _as_float_array(name: str, value: Any, *, min_ndim: int = 0) -> np.ndarray:
    """``value`` as a real floating array (float32/float64 kept, integers to float64)."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be an array of real numbers; got {describe(value)}.")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be an array of real numbers; got {describe(value)} ({exc}).") from None
    if array.dtype == np.bool_ or not (
        np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)
    ):
        raise TypeError(
            f"{name} must be an array of real numbers (integer or floating dtype); got {describe(value)}."
        )
    if np.issubdtype(array.dtype, np.integer):
        array = array.astype(np.float64)
    if array.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s); got {describe(array)}.")
    return array


def _check_axis(name: str, axis: Any, ndim: int) -> int:
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {describe(axis)}.")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name} must lie in {-ndim}..{ndim - 1} for an array with {ndim} dimension(s); got {axis}.")
    return int(axis)


def _check_reduction(reduction: Any) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}; got {reduction!r}.")
    return reduction


def _check_eps(eps: Any) -> float | None:
    if eps is None:
        return None
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0.0 < float(eps) < 0.5:
        raise ValueError(f"eps must be None or a number strictly between 0 and 0.5; got {describe(eps)}.")
    return float(eps)


def _reduce(losses: np.ndarray, reduction: str) -> np.ndarray | np.floating:
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    return losses


# --------------------------------------------------------------------------
# Activation functions
# --------------------------------------------------------------------------


def relu(x: Any) -> np.ndarray:
    """Rectified linear unit, ``max(0, x)``, element by element.

    Parameters
    ----------
    x:
        Array-like of real numbers, any shape.

    Returns
    -------
    numpy.ndarray
        Same shape and floating dtype as ``x`` (integers become float64).
    """
    x = _as_float_array("x", x)
    return np.maximum(x, np.zeros((), dtype=x.dtype))


def relu_grad(x: Any) -> np.ndarray:
    """Derivative of :func:`relu`: 1 where ``x > 0``, else 0.

    ReLU has no derivative at 0; like TensorFlow and PyTorch, this returns 0
    there. Same shape and dtype as ``x``.
    """
    x = _as_float_array("x", x)
    return (x > 0).astype(x.dtype)


def sigmoid(x: Any) -> np.ndarray:
    """Logistic sigmoid ``1 / (1 + exp(-x))``, computed without overflow.

    The naive formula overflows ``exp(-x)`` for large negative ``x``. Here
    ``e = exp(-|x|)`` is never larger than 1, and the result is ``1 / (1 + e)``
    for ``x >= 0`` and ``e / (1 + e)`` for ``x < 0``.

    Parameters
    ----------
    x:
        Array-like of real numbers, any shape; ``inf`` and ``-inf`` give 1 and 0.

    Returns
    -------
    numpy.ndarray
        Values in [0, 1], same shape and floating dtype as ``x``.
    """
    x = _as_float_array("x", x)
    e = np.exp(-np.abs(x))
    one = np.ones((), dtype=x.dtype)
    return np.where(x >= 0, one / (one + e), e / (one + e))


def sigmoid_grad(x: Any) -> np.ndarray:
    """Derivative of :func:`sigmoid`, ``sigmoid(x) * (1 - sigmoid(x))``.

    Computed as ``e / (1 + e)**2`` with ``e = exp(-|x|)``, which keeps its
    relative accuracy for large ``|x|`` (the product form rounds to exactly 0
    once ``sigmoid(x)`` rounds to 1). The maximum is 0.25, at ``x = 0``.
    Same shape and dtype as ``x``.
    """
    x = _as_float_array("x", x)
    e = np.exp(-np.abs(x))
    return e / (1 + e) ** 2


def tanh(x: Any) -> np.ndarray:
    """Hyperbolic tangent, element by element; values in [-1, 1], same shape and dtype as ``x``."""
    x = _as_float_array("x", x)
    return np.tanh(x)


def tanh_grad(x: Any) -> np.ndarray:
    """Derivative of :func:`tanh`, ``1 - tanh(x)**2``.

    Computed as ``4 e / (1 + e)**2`` with ``e = exp(-2|x|)`` (the same as
    ``1 / cosh(x)**2``), which neither overflows nor loses relative accuracy
    for large ``|x|``. The maximum is 1, at ``x = 0``. Same shape and dtype as ``x``.
    """
    x = _as_float_array("x", x)
    e = np.exp(-np.abs(x)) ** 2  # exp(-2|x|), without overflowing 2|x| near the float's maximum
    return 4 * e / (1 + e) ** 2


#: Name -> (function, derivative), for the hidden layers of :func:`mlp_forward`.
ACTIVATIONS: dict[str, tuple[Callable[[Any], np.ndarray], Callable[[Any], np.ndarray]]] = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
}


def _check_activation(activation: Any) -> str:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {tuple(ACTIVATIONS)}; got {activation!r}.")
    return activation


# --------------------------------------------------------------------------
# Softmax and its logarithm
# --------------------------------------------------------------------------


def logsumexp(z: Any, axis: int = -1, keepdims: bool = False) -> np.ndarray:
    """``log(sum(exp(z)))`` along ``axis``, without overflow.

    Subtracts the maximum ``m`` first: ``m + log(sum(exp(z - m)))``, so the
    largest term of the sum is ``exp(0) = 1``.

    Parameters
    ----------
    z:
        Array-like of real numbers with at least one dimension.
    axis:
        The axis to sum over (default: the last, the classes).
    keepdims:
        Keep ``axis`` as a dimension of size 1.

    Returns
    -------
    numpy.ndarray
        ``z``'s shape without ``axis`` (or with size 1 there), same dtype.
    """
    z = _as_float_array("z", z, min_ndim=1)
    axis = _check_axis("axis", axis, z.ndim)
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0)  # rows of -inf stay -inf instead of nan
    with np.errstate(divide="ignore"):  # log(0) = -inf for a row of -inf
        out = m + np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True))
    return out if keepdims else np.squeeze(out, axis=axis)


def softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Softmax ``exp(z_i) / sum_j exp(z_j)`` along ``axis``, computed without overflow.

    Parameters
    ----------
    z:
        Logits, array-like of real numbers with at least one dimension,
        usually of shape (N, classes).
    axis:
        The axis that holds the classes (default: the last).

    Returns
    -------
    numpy.ndarray
        Probabilities that sum to 1 along ``axis``; same shape and dtype as ``z``.
    """
    z = _as_float_array("z", z, min_ndim=1)
    axis = _check_axis("axis", axis, z.ndim)
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z: Any, axis: int = -1) -> np.ndarray:
    """Logarithm of :func:`softmax`, as ``z - logsumexp(z)``; stays finite for large logits.

    Parameters and shapes are those of :func:`softmax`. The result is at most 0.
    Applying it twice changes nothing (``log_softmax(log_softmax(z)) ==
    log_softmax(z)`` up to rounding), because its output already has
    ``logsumexp`` equal to 0.
    """
    z = _as_float_array("z", z, min_ndim=1)
    axis = _check_axis("axis", axis, z.ndim)
    return z - logsumexp(z, axis=axis, keepdims=True)


# --------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------


def _targets_as_distribution(targets: Any, predictions: np.ndarray) -> np.ndarray:
    """Turn integer labels or a distribution into a distribution shaped like ``predictions``."""
    if isinstance(targets, (str, bytes)) or targets is None:
        raise TypeError(
            "targets must be integer class labels or an array of class probabilities; "
            f"got {describe(targets)}."
        )
    t = np.asarray(targets)
    n_classes = predictions.shape[-1]
    if t.dtype == np.bool_:
        t = t.astype(np.int64)
    if np.issubdtype(t.dtype, np.integer) and t.shape == predictions.shape[:-1]:
        if t.size and (t.min() < 0 or t.max() >= n_classes):
            raise ValueError(
                f"targets holds class labels, which must lie in 0..{n_classes - 1} for predictions "
                f"with {n_classes} classes; got values from {t.min()} to {t.max()}."
            )
        one_hot = np.zeros(predictions.shape, dtype=predictions.dtype)
        np.put_along_axis(one_hot, t[..., None].astype(np.intp), 1, axis=-1)
        return one_hot
    if not (np.issubdtype(t.dtype, np.integer) or np.issubdtype(t.dtype, np.floating)):
        raise TypeError(
            "targets must be integer class labels or an array of class probabilities; "
            f"got {describe(targets)}."
        )
    if t.shape != predictions.shape:
        raise ValueError(
            f"targets must be integer labels of shape {predictions.shape[:-1]} or a distribution of "
            f"shape {predictions.shape} (the shape of predictions); got {describe(t)}."
        )
    t = t.astype(predictions.dtype)
    if not np.all(np.isfinite(t)) or t.size and (t.min() < 0 or t.max() > 1):
        raise ValueError(f"targets given as a distribution must hold values in [0, 1]; got {describe(t)}.")
    sums = t.sum(axis=-1)
    if not np.allclose(sums, 1, rtol=0, atol=1e-4):
        raise ValueError(
            "targets given as a distribution (one-hot or soft labels) must sum to 1 along the "
            f"last axis; got sums from {sums.min():.6g} to {sums.max():.6g}. For integer class "
            f"labels pass an integer array of shape {predictions.shape[:-1]}."
        )
    return t


def cross_entropy(
    targets: Any,
    predictions: Any,
    *,
    from_logits: bool = False,
    reduction: str = "mean",
    eps: float | None = None,
) -> np.ndarray | np.floating:
    """Categorical cross-entropy ``H(p, q) = -sum_i p_i log q_i`` for each example.

    Parameters
    ----------
    targets:
        The true distribution ``p``: integer class labels of shape (N,), or
        one-hot / soft labels of shape (N, classes) that sum to 1 along the
        last axis. For a single example: an integer, or shape (classes,).
    predictions:
        The predicted ``q``, shape (N, classes) or (classes,). Probabilities
        in [0, 1] by default; raw scores (logits) when ``from_logits`` is True.
    from_logits:
        Treat ``predictions`` as logits and use ``log_softmax``, which is
        exact and stable for any size of logit. This is what
        ``torch.nn.CrossEntropyLoss`` always does and what Keras does with
        ``from_logits=True``.
    reduction:
        ``"mean"`` over examples (the default, as in Keras and PyTorch),
        ``"sum"``, or ``"none"`` for one loss per example.
    eps:
        Only for probabilities: clip them to ``[eps, 1 - eps]`` first, as
        Keras does with ``eps=1e-7``. By default nothing is clipped, so a
        zero probability for the true class gives an infinite loss.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar for ``"mean"`` and ``"sum"``; an array of shape (N,) (or a
        0-d array for a single example) for ``"none"``. Natural logarithm, in nats.
    """
    reduction = _check_reduction(reduction)
    eps = _check_eps(eps)
    q = _as_float_array("predictions", predictions, min_ndim=1)
    if q.ndim > 2:
        raise ValueError(f"predictions must have shape (N, classes) or (classes,); got {describe(q)}.")
    p = _targets_as_distribution(targets, q)
    if from_logits:
        if eps is not None:
            raise ValueError(f"eps clips probabilities and cannot be used with from_logits=True; got eps={eps}.")
        log_q = log_softmax(q)
    else:
        if q.size and (np.isnan(q).any() or q.min() < 0 or q.max() > 1):
            raise ValueError(
                "predictions must be probabilities in [0, 1] when from_logits=False; got values "
                f"from {q.min():.6g} to {q.max():.6g}. Pass from_logits=True for raw scores."
            )
        if eps is not None:
            q = np.clip(q, eps, 1 - eps)
        with np.errstate(divide="ignore"):
            log_q = np.log(q)
    # 0 * log(0) counts as 0: classes with p_i = 0 contribute nothing, even where q_i = 0.
    losses = -np.sum(p * np.where(p > 0, log_q, 0), axis=-1)
    return _reduce(losses, reduction)


def binary_cross_entropy(
    targets: Any,
    predictions: Any,
    *,
    from_logits: bool = False,
    reduction: str = "mean",
    eps: float | None = None,
) -> np.ndarray | np.floating:
    """Binary cross-entropy ``-(y log p + (1 - y) log(1 - p))``: the two-class case.

    Parameters
    ----------
    targets:
        ``y``, numbers in [0, 1] (usually 0 or 1), any shape, the same shape as ``predictions``.
    predictions:
        ``p``, the predicted probability of class 1, in [0, 1]; or the logit
        ``z`` with ``p = sigmoid(z)`` when ``from_logits`` is True, which is
        evaluated stably as ``max(z, 0) - z y + log(1 + exp(-|z|))``.
    from_logits, reduction, eps:
        As in :func:`cross_entropy`; the mean is over all elements.

    Returns
    -------
    numpy.floating or numpy.ndarray
        A scalar, or one loss per element for ``reduction="none"``.
    """
    reduction = _check_reduction(reduction)
    eps = _check_eps(eps)
    z = _as_float_array("predictions", predictions)
    y = _as_float_array("targets", targets)
    if y.shape != z.shape:
        raise ValueError(
            f"targets must have the shape of predictions, {z.shape}; got {describe(np.asarray(targets))}."
        )
    if y.size and (not np.all(np.isfinite(y)) or y.min() < 0 or y.max() > 1):
        raise ValueError(f"targets must hold values in [0, 1]; got {describe(np.asarray(targets))}.")
    y = y.astype(z.dtype)
    if from_logits:
        if eps is not None:
            raise ValueError(f"eps clips probabilities and cannot be used with from_logits=True; got eps={eps}.")
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
    else:
        if z.size and (np.isnan(z).any() or z.min() < 0 or z.max() > 1):
            raise ValueError(
                "predictions must be probabilities in [0, 1] when from_logits=False; got values "
                f"from {z.min():.6g} to {z.max():.6g}. Pass from_logits=True for raw scores."
            )
        if eps is not None:
            z = np.clip(z, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = np.where(y > 0, y * np.log(z), 0)
            neg = np.where(y < 1, (1 - y) * np.log1p(-z), 0)
        losses = -(pos + neg)
    return _reduce(np.asarray(losses), reduction)


# --------------------------------------------------------------------------
# A small multilayer perceptron
# --------------------------------------------------------------------------

#: Weight initialisation schemes understood by :func:`init_mlp`.
INIT_SCHEMES = ("he", "glorot", "zeros")


def init_mlp(
    layer_sizes: Sequence[int],
    *,
    scheme: str = "he",
    seed: int | None = 0,
    dtype: Any = np.float64,
) -> dict[str, np.ndarray]:
    """Step 1 of training: create the weights and biases of a fully connected network.

    Parameters
    ----------
    layer_sizes:
        Units per layer, input first and output last, e.g. ``(2, 16, 3)`` for
        2 features, one hidden layer of 16 units and 3 classes. At least two numbers.
    scheme:
        ``"he"``: weights drawn from a normal distribution with standard
        deviation ``sqrt(2 / fan_in)`` (suits ReLU); ``"glorot"``: uniform on
        ``±sqrt(6 / (fan_in + fan_out))`` (suits tanh and sigmoid); ``"zeros"``:
        every weight 0, to show why that fails. Biases always start at 0.
    seed:
        Seed of the random generator; the same seed gives the same weights.
    dtype:
        ``numpy.float64`` (default) or ``numpy.float32``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``"W1", "b1", ..., "WL", "bL"``: ``W`` of shape (fan_in, fan_out)
        (Keras kernel layout; transpose for PyTorch's ``nn.Linear.weight``)
        and ``b`` of shape (fan_out,).
    """
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence) or len(layer_sizes) < 2:
        raise ValueError(
            "layer_sizes must be a sequence of at least two positive integers (inputs, ..., classes); "
            f"got {describe(layer_sizes)}."
        )
    sizes = [check_positive_int(f"layer_sizes[{i}]", n) for i, n in enumerate(layer_sizes)]
    if scheme not in INIT_SCHEMES:
        raise ValueError(f"scheme must be one of {INIT_SCHEMES}; got {scheme!r}.")
    seed = check_seed("seed", seed)
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}.")
    rng = np.random.default_rng(seed)
    params: dict[str, np.ndarray] = {}
    for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        if scheme == "he":
            w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        elif scheme == "glorot":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            w = rng.uniform(-limit, limit, size=(fan_in, fan_out))
        else:
            w = np.zeros((fan_in, fan_out))
        params[f"W{layer}"] = w.astype(dtype)
        params[f"b{layer}"] = np.zeros(fan_out, dtype=dtype)
    return params


def _check_params(params: Any) -> int:
    """Check ``params`` as made by :func:`init_mlp`; return the number of layers."""
    if not isinstance(params, Mapping) or not params:
        raise TypeError(f"params must be a dict of weights as init_mlp() returns; got {describe(params)}.")
    n_layers = len(params) // 2
    expected = {f"{kind}{i}" for i in range(1, n_layers + 1) for kind in "Wb"}
    if set(params) != expected:
        raise ValueError(
            f"params must hold W1, b1, ..., WL, bL as init_mlp() returns; got keys {sorted(params)}."
        )
    for i in range(1, n_layers + 1):
        w, b = params[f"W{i}"], params[f"b{i}"]
        if not isinstance(w, np.ndarray) or w.ndim != 2 or not np.issubdtype(w.dtype, np.floating):
            raise ValueError(f"params['W{i}'] must be a 2-D floating NumPy array; got {describe(w)}.")
        if not isinstance(b, np.ndarray) or b.shape != (w.shape[1],):
            raise ValueError(f"params['b{i}'] must be a NumPy array of shape ({w.shape[1]},); got {describe(b)}.")
        if i > 1 and w.shape[0] != params[f"W{i - 1}"].shape[1]:
            raise ValueError(
                f"params['W{i}'] must have {params[f'W{i - 1}'].shape[1]} rows, the outputs of layer "
                f"{i - 1}; got {describe(w)}."
            )
    return n_layers


@dataclass
class ForwardCache:
    """What :func:`mlp_forward` remembers for :func:`mlp_backward`.

    ``inputs[l]`` is the input of layer ``l + 1`` (``inputs[0]`` is ``x``);
    ``pre_activations[l]`` is the hidden layer's ``x @ W + b`` before the
    activation; ``logits`` is the output of the last layer.
    """

    activation: str
    inputs: list[np.ndarray] = field(default_factory=list)
    pre_activations: list[np.ndarray] = field(default_factory=list)
    logits: np.ndarray | None = None


def mlp_forward(params: Mapping[str, np.ndarray], x: Any, *, activation: str = "relu") -> tuple[np.ndarray, ForwardCache]:
    """Step 2 of training: the forward pass, from inputs to logits.

    Each hidden layer computes ``a = activation(a_prev @ W + b)``; the last
    layer is linear and returns logits (apply :func:`softmax` for probabilities).

    Parameters
    ----------
    params:
        Weights and biases as :func:`init_mlp` returns.
    x:
        Inputs of shape (N, features), with ``features`` equal to the rows of ``W1``.
    activation:
        ``"relu"``, ``"sigmoid"`` or ``"tanh"``, for every hidden layer.

    Returns
    -------
    (logits, cache)
        Logits of shape (N, classes) and a :class:`ForwardCache` for :func:`mlp_backward`.
    """
    n_layers = _check_params(params)
    activation = _check_activation(activation)
    a = _as_float_array("x", x)
    fan_in = params["W1"].shape[0]
    if a.ndim != 2 or a.shape[1] != fan_in:
        raise ValueError(f"x must have shape (N, {fan_in}) to match params['W1']; got {describe(a)}.")
    fn, _ = ACTIVATIONS[activation]
    cache = ForwardCache(activation=activation)
    for i in range(1, n_layers + 1):
        cache.inputs.append(a)
        z = a @ params[f"W{i}"] + params[f"b{i}"]
        if i < n_layers:
            cache.pre_activations.append(z)
            a = fn(z)
        else:
            a = z
    cache.logits = a
    return a, cache


def mlp_loss(
    params: Mapping[str, np.ndarray], x: Any, targets: Any, *, activation: str = "relu"
) -> float:
    """Steps 2 and 3: forward pass, then the mean softmax cross-entropy of the logits.

    ``targets`` are integer labels of shape (N,) or distributions of shape
    (N, classes), as in :func:`cross_entropy`. Returns a Python float.
    """
    logits, _ = mlp_forward(params, x, activation=activation)
    return float(cross_entropy(targets, logits, from_logits=True))


def mlp_backward(
    params: Mapping[str, np.ndarray], cache: ForwardCache, targets: Any
) -> dict[str, np.ndarray]:
    """Step 4 of training: backpropagation of the mean softmax cross-entropy.

    The gradient of the loss with respect to the logits is
    ``(softmax(logits) - p) / N``; the chain rule carries it back through
    each layer: ``dW = a_prev.T @ dz``, ``db = sum(dz)``,
    ``da_prev = dz @ W.T`` and ``dz_prev = da_prev * activation'(z_prev)``.

    Parameters
    ----------
    params:
        The weights used in the forward pass.
    cache:
        The :class:`ForwardCache` returned by :func:`mlp_forward` for these params.
    targets:
        Integer labels of shape (N,) or distributions of shape (N, classes).

    Returns
    -------
    dict of str to numpy.ndarray
        The gradient of every parameter, with the same keys and shapes as ``params``.
    """
    n_layers = _check_params(params)
    if not isinstance(cache, ForwardCache) or cache.logits is None or len(cache.inputs) != n_layers:
        raise ValueError(
            f"cache must be the ForwardCache that mlp_forward() returned for a {n_layers}-layer "
            f"network; got {describe(cache)}."
        )
    logits = cache.logits
    p = _targets_as_distribution(targets, logits)
    if logits.ndim != 2:
        raise ValueError(f"cache.logits must have shape (N, classes); got {describe(logits)}.")
    _, grad_fn = ACTIVATIONS[cache.activation]
    dz = (softmax(logits) - p) / logits.shape[0]
    grads: dict[str, np.ndarray] = {}
    for i in range(n_layers, 0, -1):
        grads[f"W{i}"] = cache.inputs[i - 1].T @ dz
        grads[f"b{i}"] = dz.sum(axis=0)
        if i > 1:
            dz = (dz @ params[f"W{i}"].T) * grad_fn(cache.pre_activations[i - 2])
    return {key: grads[key] for key in params}


def sgd_update(
    params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray], learning_rate: float
) -> dict[str, np.ndarray]:
    """Step 5 of training: one step of plain gradient descent, ``w - learning_rate * dw``.

    Returns new arrays (``params`` is left unchanged), with the same keys.
    """
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, numbers.Real) or not learning_rate > 0:
        raise ValueError(f"learning_rate must be a positive number; got {describe(learning_rate)}.")
    if not isinstance(grads, Mapping) or set(grads) != set(params):
        raise ValueError(
            f"grads must have the same keys as params ({sorted(params)}); got {describe(grads)}."
        )
    new = {}
    for key, value in params.items():
        g = np.asarray(grads[key])
        if g.shape != value.shape:
            raise ValueError(f"grads[{key!r}] must have shape {value.shape}, like params; got {describe(g)}.")
        new[key] = (value - learning_rate * g).astype(value.dtype)
    return new


# --------------------------------------------------------------------------
# Gradient checking
# --------------------------------------------------------------------------


def numerical_gradient(f: Callable[[np.ndarray], Any], x: Any, *, h: float = 1e-6) -> np.ndarray:
    """Gradient of a scalar function by central differences, one coordinate at a time.

    ``df/dx_i ≈ (f(x + h e_i) - f(x - h e_i)) / (2 h)``. The error of the
    formula shrinks like ``h**2``; rounding error grows like ``1 / h``, so in
    float64 a step near ``1e-6`` (relative to values of order 1) works well.
    Cost: two calls of ``f`` per element of ``x``, so keep ``x`` small.

    Parameters
    ----------
    f:
        A function of one array (of ``x``'s shape) that returns a real scalar.
    x:
        The point, array-like of real numbers; it is converted to float64 and
        never modified (``f`` receives a perturbed copy).
    h:
        The step, a positive number.

    Returns
    -------
    numpy.ndarray
        float64 array of ``x``'s shape.
    """
    if not callable(f):
        raise TypeError(f"f must be a function of one array that returns a scalar; got {describe(f)}.")
    if isinstance(h, bool) or not isinstance(h, numbers.Real) or not h > 0:
        raise ValueError(f"h must be a positive number; got {describe(h)}.")
    point = _as_float_array("x", x).astype(np.float64, copy=True)
    grad = np.zeros_like(point)

    def value(at: np.ndarray) -> float:
        out = np.asarray(f(at))
        if out.size != 1:
            raise ValueError(f"f must return a scalar; got {describe(out)}.")
        return float(out.reshape(()))

    for index in np.ndindex(point.shape):
        original = point[index]
        point[index] = original + h
        up = value(point)
        point[index] = original - h
        down = value(point)
        point[index] = original
        grad[index] = (up - down) / (2 * h)
    return grad


def relative_error(a: Any, b: Any) -> float:
    """``||a - b|| / (||a|| + ||b||)``, the usual measure for a gradient check.

    Uses the Euclidean norm over all elements. Returns 0.0 when both are
    all zeros. In float64, a correct analytic gradient compared with
    :func:`numerical_gradient` typically gives 1e-7 or less.
    """
    a = _as_float_array("a", a).astype(np.float64)
    b = _as_float_array("b", b).astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}.")
    denominator = np.linalg.norm(a) + np.linalg.norm(b)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(a - b) / denominator)
