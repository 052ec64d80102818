"""NumPy reference mathematics: activations, softmax, losses, a small MLP.

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

Activations and their derivatives (:mod:`course_utils.maths.activations`)
    :func:`relu`, :func:`relu_grad`, :func:`sigmoid`, :func:`sigmoid_grad`,
    :func:`tanh`, :func:`tanh_grad`, and the table :data:`ACTIVATIONS`.
Output layer and losses (:mod:`course_utils.maths.losses`)
    :func:`logsumexp`, :func:`softmax`, :func:`log_softmax`,
    :func:`cross_entropy`, :func:`binary_cross_entropy`.
A small multilayer perceptron, the five training steps (:mod:`course_utils.maths.mlp`)
    :func:`init_mlp`, :func:`mlp_forward`, :func:`mlp_loss`,
    :func:`mlp_backward`, :func:`sgd_update`, and :func:`check_params`.
Gradient checking (:mod:`course_utils.maths.gradcheck`)
    :func:`numerical_gradient`, :func:`relative_error`.
"""

from __future__ import annotations

from .activations import (
    ACTIVATIONS,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    tanh,
    tanh_grad,
)
from .gradcheck import numerical_gradient, relative_error
from .losses import (
    binary_cross_entropy,
    cross_entropy,
    log_softmax,
    logsumexp,
    softmax,
)
from .mlp import (
    INIT_SCHEMES,
    ForwardCache,
    check_params,
    init_mlp,
    mlp_backward,
    mlp_forward,
    mlp_loss,
    sgd_update,
)

__all__ = [
    "ACTIVATIONS",
    "INIT_SCHEMES",
    "ForwardCache",
    "binary_cross_entropy",
    "check_params",
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
