"""A small multilayer perceptron in NumPy: the five steps of training.

1. :func:`init_mlp` creates the weights, 2. :func:`mlp_forward` computes the
logits, 3. :func:`mlp_loss` the mean softmax cross-entropy, 4.
:func:`mlp_backward` its gradient by backpropagation, and 5. :func:`sgd_update`
takes one step of gradient descent.

A dense layer computes ``x @ W + b`` with ``W`` of shape (fan_in, fan_out), the
layout of a Keras ``Dense`` kernel; PyTorch's ``nn.Linear`` stores the
transpose. The framework modules convert between the two
(``set_dense_weights`` / ``get_dense_weights``), so lessons never transpose by
hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..validation import (
    check_array,
    check_layer_sizes,
    check_one_of,
    check_real,
    check_seed,
    describe,
)
from ._arrays import as_float_array
from .activations import ACTIVATIONS
from .losses import _targets_as_distribution, cross_entropy, softmax

__all__ = [
    "INIT_SCHEMES",
    "ForwardCache",
    "check_params",
    "init_mlp",
    "mlp_backward",
    "mlp_forward",
    "mlp_loss",
    "sgd_update",
]

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
    layer_sizes : sequence of int, at least two
        Units per layer, input first and output last, e.g. ``(2, 16, 3)`` for
        2 features, one hidden layer of 16 units and 3 classes.
    scheme : {"he", "glorot", "zeros"}
        ``"he"``: weights drawn from a normal distribution with standard
        deviation ``sqrt(2 / fan_in)`` (suits ReLU); ``"glorot"``: uniform on
        ``±sqrt(6 / (fan_in + fan_out))`` (suits tanh and sigmoid); ``"zeros"``:
        every weight 0, to show why that fails. Biases always start at 0.
    seed : int or None
        Seed of the random generator; the same seed gives the same weights.
    dtype : numpy.float64 or numpy.float32
        The floating type of every array (default float64).

    Returns
    -------
    dict of str to numpy.ndarray
        ``"W1", "b1", ..., "WL", "bL"``: ``W`` of shape (fan_in, fan_out)
        (Keras kernel layout; ``torch_models.set_dense_weights`` transposes it
        for PyTorch's ``nn.Linear.weight``) and ``b`` of shape (fan_out,).
    """
    sizes = check_layer_sizes("layer_sizes", layer_sizes)
    scheme = check_one_of("scheme", scheme, INIT_SCHEMES)
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


def check_params(params: Any, *, n_layers: int | None = None) -> int:
    """Check ``params`` as :func:`init_mlp` makes them; return the number of layers.

    Parameters
    ----------
    params : dict of str to numpy.ndarray
        ``W1, b1, ..., WL, bL`` with ``Wi`` 2-D floating (fan_in x fan_out),
        ``bi`` of shape (fan_out,), and the layers chained.
    n_layers : int or None
        The number of layers they must hold (for a model with that many dense
        layers), or None for any number.

    Returns
    -------
    int
        The number of layers, L.
    """
    if not isinstance(params, Mapping) or not params:
        raise TypeError(
            "params must be a dict of weights as init_mlp() returns; "
            f"got {describe(params)}."
        )
    found = len(params) // 2 if n_layers is None else n_layers
    expected = {f"{kind}{i}" for i in range(1, found + 1) for kind in "Wb"}
    if set(params) != expected:
        last = "WL, bL" if n_layers is None else f"W{found}, b{found}"
        model = "" if n_layers is None else f" for a model with {found} dense layers"
        raise ValueError(
            f"params must hold W1, b1, ..., {last} as init_mlp() returns{model}; "
            f"got keys {sorted(params)}."
        )
    for i in range(1, found + 1):
        w, b = params[f"W{i}"], params[f"b{i}"]
        if (
            not isinstance(w, np.ndarray)
            or w.ndim != 2
            or not np.issubdtype(w.dtype, np.floating)
        ):
            raise ValueError(
                f"params['W{i}'] must be a 2-D floating NumPy array; got {describe(w)}."
            )
        if not isinstance(b, np.ndarray) or b.shape != (w.shape[1],):
            raise ValueError(
                f"params['b{i}'] must be a NumPy array of shape ({w.shape[1]},); "
                f"got {describe(b)}."
            )
        if i > 1 and w.shape[0] != params[f"W{i - 1}"].shape[1]:
            raise ValueError(
                f"params['W{i}'] must have {params[f'W{i - 1}'].shape[1]} rows, the "
                f"outputs of layer {i - 1}; got {describe(w)}."
            )
    return found


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


def mlp_forward(
    params: Mapping[str, np.ndarray], x: Any, *, activation: str = "relu"
) -> tuple[np.ndarray, ForwardCache]:
    """Step 2 of training: the forward pass, from inputs to logits.

    Each hidden layer computes ``a = activation(a_prev @ W + b)``; the last
    layer is linear and returns logits (apply :func:`softmax` for probabilities).

    Parameters
    ----------
    params : dict of str to numpy.ndarray
        Weights and biases as :func:`init_mlp` returns.
    x : array_like of real numbers, shape (N, features)
        ``features`` equals the rows of ``W1``.
    activation : {"relu", "sigmoid", "tanh"}
        The activation of every hidden layer.

    Returns
    -------
    (logits, cache)
        Logits of shape (N, classes) and a :class:`ForwardCache` for
        :func:`mlp_backward`.
    """
    n_layers = check_params(params)
    activation = check_one_of("activation", activation, tuple(ACTIVATIONS))
    a = as_float_array("x", x)
    fan_in = params["W1"].shape[0]
    if a.ndim != 2 or a.shape[1] != fan_in:
        raise ValueError(
            f"x must have shape (N, {fan_in}) to match params['W1']; got {describe(a)}."
        )
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

    Parameters
    ----------
    params : dict of str to numpy.ndarray
        As :func:`init_mlp` returns.
    x : array_like of real numbers, shape (N, features)
    targets : array_like of int, shape (N,), or of float, shape (N, classes)
        Labels or distributions, as in :func:`cross_entropy`.
    activation : {"relu", "sigmoid", "tanh"}

    Returns
    -------
    float
        The mean loss, a Python float.
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
    params : dict of str to numpy.ndarray
        The weights used in the forward pass.
    cache : ForwardCache
        What :func:`mlp_forward` returned for these params.
    targets : array_like of int, shape (N,), or of float, shape (N, classes)

    Returns
    -------
    dict of str to numpy.ndarray
        The gradient of every parameter, with the same keys and shapes as ``params``.
    """
    n_layers = check_params(params)
    if (
        not isinstance(cache, ForwardCache)
        or cache.logits is None
        or len(cache.inputs) != n_layers
    ):
        raise ValueError(
            "cache must be the ForwardCache that mlp_forward() returned for a "
            f"{n_layers}-layer network; got {describe(cache)}."
        )
    logits = cache.logits
    p = _targets_as_distribution(targets, logits)
    if logits.ndim != 2:
        raise ValueError(
            f"cache.logits must have shape (N, classes); got {describe(logits)}."
        )
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
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    learning_rate: float,
) -> dict[str, np.ndarray]:
    """Step 5 of training: one step of plain gradient descent, ``w - learning_rate * dw``.

    Parameters
    ----------
    params : dict of str to numpy.ndarray
    grads : dict of str to array_like, the keys and shapes of params
    learning_rate : float > 0

    Returns
    -------
    dict of str to numpy.ndarray
        New arrays (``params`` is left unchanged), with the same keys and dtypes.
    """
    learning_rate = check_real("learning_rate", learning_rate, low=0, low_open=True)
    if not isinstance(grads, Mapping) or set(grads) != set(params):
        raise ValueError(
            f"grads must have the same keys as params ({sorted(params)}); "
            f"got {describe(grads)}."
        )
    new = {}
    for key, value in params.items():
        g = check_array(f"grads[{key!r}]", grads[key], shape=value.shape)
        new[key] = (value - learning_rate * g).astype(value.dtype)
    return new
