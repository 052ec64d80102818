"""Public self-checks for the exercises of lesson 5 (MNIST with PyTorch).

``q1``: a class ``MLP(nn.Module)``, Flatten - Linear(784, 128) - ReLU -
Linear(128, 10); ``q2``: ``train_step(model, optimizer, images, labels)``,
one training step with cross-entropy, returning the loss as a Python float;
``q3``: ``evaluate(model, batches)``, the accuracy over ``(images, labels)``
batches, computed in evaluation mode without gradients; ``q4``: a written
answer on ``model.eval()`` and ``torch.no_grad()``.

The checks use small synthetic tensors and import PyTorch only when they run.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..i18n import N_, _
from ..selfcheck import AnswerTypeError, CheckFailure, Question, assert_close, assert_int, to_numpy
from ._common import require_callable

PARAMETERS = 101_770


def _is_module(value: Any) -> bool:
    return any(k.__module__.startswith("torch.nn") and k.__name__ == "Module" for k in type(value).__mro__)


def _instance(answer: Any):
    if not isinstance(answer, type):
        raise AnswerTypeError(f"pass the class MLP itself (not an instance); got {type(answer).__name__}.")
    model = answer()
    if not _is_module(model):
        raise AnswerTypeError(_("MLP should be a subclass of torch.nn.Module."))
    return model


def _mlp_parameters(answer: Any) -> None:
    model = _instance(answer)
    assert_int(sum(p.numel() for p in model.parameters()), PARAMETERS, name="the number of parameters")


def _mlp_output(answer: Any) -> None:
    import torch

    model = _instance(answer)
    with torch.no_grad():
        out = to_numpy(model(torch.zeros(3, 28, 28)), "the model's output")
    if out.shape != (3, 10):
        raise CheckFailure(f"3 images of 28 x 28 should give outputs of shape (3, 10); got {out.shape}.")


def small_model(seed: int = 0):
    """A small seeded classifier of 28 x 28 images, for the checks."""
    import torch
    from torch import nn

    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 10))


def example_batch(n: int = 32, seed: int = 0):
    """``n`` random images in [0, 1] and labels, as PyTorch tensors."""
    import torch

    generator = torch.Generator().manual_seed(seed)
    return torch.rand(n, 28, 28, generator=generator), torch.randint(0, 10, (n,), generator=generator)


def _step_float(answer: Any) -> None:
    import torch
    from torch import nn

    step = require_callable(answer, "train_step")
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    images, labels = example_batch()
    with torch.no_grad():
        expected = float(nn.functional.cross_entropy(model(images), labels))
    loss = step(model, optimizer, images, labels)
    if isinstance(loss, bool) or not isinstance(loss, numbers.Real):
        raise AnswerTypeError(
            f"train_step should return the loss as a Python float (loss.item()); got {type(loss).__name__}."
        )
    assert_close(float(loss), expected, name="the loss returned by the first step", rtol=1e-5)


def _step_learns(answer: Any) -> None:
    import torch

    step = require_callable(answer, "train_step")
    model = small_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    images, labels = example_batch()
    losses = [float(step(model, optimizer, images, labels)) for _step in range(8)]
    if not losses[-1] < 0.8 * losses[0]:
        raise CheckFailure(
            f"eight steps on one batch should lower the loss clearly; got {np.round(losses, 3).tolist()}."
        )


class _GradientsRecorded(RuntimeError):
    """The model of :func:`_fixed_problem` ran while autograd was recording gradients."""


def _fixed_problem(*, norm: bool = False, counter: bool = False):
    """A linear model and batches of 16, 16 and 8 images on which it is right 30 times out of 40.

    ``norm`` adds a batch normalisation that is the identity in eval mode and, in
    training mode (batch statistics), makes the three right answers of class 0 wrong
    (27 of 40). ``counter`` adds a last layer that adds one to a parameter in place,
    which autograd refuses while it records gradients.
    """
    import torch
    from torch import nn

    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = nn.Parameter(torch.zeros(()))

        def forward(self, x):
            try:
                self.calls.add_(1.0)
            except RuntimeError:
                raise _GradientsRecorded() from None
            return x

    layers = [nn.Flatten(), nn.Linear(784, 10)]
    if norm:
        layers.append(nn.BatchNorm1d(10))
    if counter:
        layers.append(Counter())
    model = nn.Sequential(*layers)
    with torch.no_grad():
        model[1].weight.zero_()
        model[1].bias.zero_()
        for k in range(10):
            model[1].weight[k, k] = 1.0  # the class is the brightest of the first ten pixels
        if norm:  # class 0 gets +5 before the normalisation, which takes 5 off again in eval mode
            model[1].bias[0] = 5.0
            model[2].bias[0] = -5.0
    model.train()
    images = torch.zeros(40, 28, 28)
    labels = torch.arange(40) % 10
    images.view(40, -1)[torch.arange(40), labels] = 1.0
    labels = labels.clone()
    labels[:10] = (labels[:10] + 1) % 10  # the model gets these ten wrong, all in the first batch
    batches = [(images[i : i + 16], labels[i : i + 16]) for i in range(0, 40, 16)]
    return model, batches


def _accuracy(answer: Any, **problem: bool) -> float:
    evaluate = require_callable(answer, "evaluate")
    model, batches = _fixed_problem(**problem)
    accuracy = evaluate(model, batches)
    if isinstance(accuracy, bool) or not isinstance(accuracy, numbers.Real):
        raise AnswerTypeError(f"evaluate should return the accuracy as a Python float; got {type(accuracy).__name__}.")
    return float(accuracy)


def _evaluate_value(answer: Any) -> None:
    assert_close(_accuracy(answer), 0.75, name="the accuracy (30 of 40 right, batches of 16, 16 and 8)")


def _evaluate_eval_mode(answer: Any) -> None:
    accuracy = _accuracy(answer, norm=True)
    if abs(accuracy - 27 / 40) < 1e-9:
        raise CheckFailure(_("the model was left in training mode, so batch normalisation used each batch's "
                             "statistics; call model.eval() before the loop."))
    assert_close(accuracy, 0.75, name="the accuracy of a model with batch normalisation (30 of 40 right)")


def _evaluate_no_grad(answer: Any) -> None:
    evaluate = require_callable(answer, "evaluate")
    model, batches = _fixed_problem(counter=True)
    try:
        evaluate(model, batches)
    except _GradientsRecorded:
        raise CheckFailure(_("the model ran while autograd was recording gradients; run it inside "
                             "`with torch.no_grad():`.")) from None


q1 = Question(
    N_("Question 1 (MLP)"),
    [(N_("101,770 parameters"), _mlp_parameters), (N_("ten outputs per image"), _mlp_output)],
    hint=N_("In __init__, call super().__init__() and create nn.Flatten(), nn.Linear(784, 128), nn.ReLU() and "
    "nn.Linear(128, 10); forward applies them in turn. No softmax: CrossEntropyLoss takes logits."),
    expects=N_("your class MLP"),
)

q2 = Question(
    N_("Question 2 (train_step)"),
    [(N_("returns the loss as a float"), _step_float), (N_("lowers the loss on a batch"), _step_learns)],
    hint=N_("The five steps in order: optimizer.zero_grad(), logits = model(images), "
    "loss = F.cross_entropy(logits, labels), loss.backward(), optimizer.step(); return loss.item()."),
    expects=N_("your function train_step"),
)

q3 = Question(
    N_("Question 3 (evaluate)"),
    [(N_("the accuracy of a fixed model"), _evaluate_value), (N_("in evaluation mode"), _evaluate_eval_mode),
     (N_("no gradients are recorded"), _evaluate_no_grad)],
    hint=N_("Call model.eval() first and loop inside `with torch.no_grad():`; count logits.argmax(dim=1) == labels "
    "over all batches and divide by the number of examples (not the number of batches)."),
    expects=N_("your function evaluate"),
)

q4 = Question(
    N_("Question 4 (written: eval() and no_grad())"),
    [],
    hint=N_("One of them changes what some layers compute; the other changes what autograd records."),
)

__all__ = ["q1", "q2", "q3", "q4", "example_batch", "small_model", "PARAMETERS"]
