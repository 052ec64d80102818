"""The tests of assignment 05_mnist_pytorch, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson5).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.

The answers are a model class, a training step and an evaluation loop, so each
test has a probe, run in the kernel: it builds the model (for questions 2 and 3
with the weights that the grader chose, in float64), uses the answer on the
grader's images and hands back plain data: weights, logits, losses, the accuracy.
The grader recomputes the expected values with NumPy (course_utils.maths). No
verdict rests on what the kernel says of itself (a flag, a name): what a question
asks for, such as eval mode and no gradients in question 3, is built into the
probe's model so that an answer without it hands back other data.
"""

import numpy as np

from course_grader.judge import Test
from course_utils import maths

PARAMETERS = 101_770

MLP_PROBE = '''
def probe(answer, x):
    import numpy as np
    import torch

    model = answer()
    def pair(name):
        layer = getattr(model, name, None)
        if layer is None or not hasattr(layer, "weight") or not hasattr(layer, "bias"):
            return None
        return (layer.weight, layer.bias)
    with torch.no_grad():
        outputs = model(torch.from_numpy(np.asarray(x, dtype=np.float32)))
        return {"parameters": int(sum(p.numel() for p in model.parameters())), "outputs": outputs,
                "hidden": pair("hidden"), "output": pair("output")}
'''

STEP_PROBE = """
def probe(answer, weights, images, labels, lr, momentum):
    import numpy as np
    import torch
    from torch import nn

    w1, b1, w2, b2 = (torch.from_numpy(np.asarray(w, dtype=np.float64)) for w in weights)
    model = nn.Sequential(nn.Flatten(), nn.Linear(w1.shape[1], w1.shape[0]), nn.ReLU(),
                          nn.Linear(w2.shape[1], w2.shape[0])).double()
    with torch.no_grad():
        for parameter, value in zip(model.parameters(), (w1, b1, w2, b2)):
            parameter.copy_(value)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = [answer(model, optimizer, torch.from_numpy(np.asarray(x, dtype=np.float64)),
                     torch.from_numpy(np.asarray(y, dtype=np.int64))) for x, y in zip(images, labels)]
    return {"losses": list(losses), "parameters": tuple(p.detach() for p in model.parameters())}
"""

# The evaluation model shows in its results whether the answer followed the question.
# Its batch normalisation uses running statistics chosen by the grader in eval mode and
# each batch's own statistics in training mode, so an answer that leaves the model in
# training mode computes other predictions. Its last layer adds one to a parameter in
# place, which PyTorch's autograd refuses (RuntimeError) while it records gradients, so
# an answer that runs the model outside torch.no_grad() gets no predictions at all. No
# flag is read from the kernel: the grader only compares the accuracy handed back with
# the one it computes.
EVALUATE_PROBE = """
def probe(answer, weights, norm, images, labels):
    import numpy as np
    import torch
    from torch import nn

    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = nn.Parameter(torch.zeros((), dtype=torch.float64))

        def forward(self, x):
            try:
                self.calls.add_(1.0)
            except RuntimeError:
                raise RuntimeError("the model ran while autograd was recording gradients "
                                   "(evaluate should call it inside torch.no_grad())") from None
            return x

    w1, b1, w2, b2 = (torch.from_numpy(np.asarray(w, dtype=np.float64)) for w in weights)
    gamma, beta, mean, var = (torch.from_numpy(np.asarray(v, dtype=np.float64)) for v in norm)
    model = nn.Sequential(nn.Flatten(), nn.Linear(w1.shape[1], w1.shape[0]), nn.BatchNorm1d(w1.shape[0]),
                          nn.ReLU(), nn.Linear(w2.shape[1], w2.shape[0]), Counter()).double()
    with torch.no_grad():
        for parameter, value in zip(model.parameters(), (w1, b1, gamma, beta, w2, b2)):
            parameter.copy_(value)
        model[2].running_mean.copy_(mean)
        model[2].running_var.copy_(var)
    model.train()
    batches = [(torch.from_numpy(np.asarray(x, dtype=np.float64)), torch.from_numpy(np.asarray(y, dtype=np.int64)))
               for x, y in zip(images, labels)]
    return answer(model, batches)
"""

#: PyTorch's BatchNorm1d default.
NORM_EPS = 1e-5


def _params(w1, b1, w2, b2, scale=None, shift=None):
    """The network as course_utils.maths parameters (Keras layout, so nn.Linear's weights transposed);
    ``scale`` and ``shift`` fold a batch normalisation of the hidden layer into its weights."""
    w1, b1, w2, b2 = (np.asarray(w, dtype=np.float64) for w in (w1, b1, w2, b2))
    if scale is not None:
        w1, b1 = w1 * scale[:, None], b1 * scale + shift
    return {"W1": w1.T, "b1": b1, "W2": w2.T, "b2": b2}


def _logits(params, x):
    x = np.asarray(x, dtype=np.float64)
    return maths.mlp_forward(params, x.reshape(len(x), -1))[0]


def _mlp_check(hidden):
    def check(args, got):
        (x,) = args
        if not isinstance(got, dict) or "outputs" not in got:
            return "MLP could not be probed"
        if got["parameters"] != PARAMETERS:
            return f"MLP should have {PARAMETERS} parameters; got {got['parameters']}"
        outputs = np.asarray(got["outputs"])
        if outputs.shape != (len(x), 10):
            return f"{len(x)} images should give logits of shape ({len(x)}, 10); got {outputs.shape}"
        if not hidden:
            return None
        if got["hidden"] is None or got["output"] is None:
            return "MLP should keep its linear layers as the attributes hidden and output"
        (w1, b1), (w2, b2) = got["hidden"], got["output"]
        if np.shape(w1) != (128, 784) or np.shape(w2) != (10, 128):
            return "hidden and output should be Linear(784, 128) and Linear(128, 10)"
        if not np.allclose(outputs, _logits(_params(w1, b1, w2, b2), x), rtol=1e-4, atol=1e-5):
            return "the logits are not output(relu(hidden(flatten(x))))"
        return None
    return check


def train_steps(weights, images, labels, lr, momentum):
    """SGD with momentum (PyTorch's rule) on the cross-entropy of the one-hidden-layer network."""
    params = _params(*weights)
    buffers = {}
    losses = []
    for x, y in zip(images, labels):
        x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        logits, cache = maths.mlp_forward(params, x)
        losses.append(float(maths.cross_entropy(np.asarray(y), logits, from_logits=True)))
        grads = maths.mlp_backward(params, cache, np.asarray(y))
        for key, g in grads.items():
            buffers[key] = g if key not in buffers else momentum * buffers[key] + g
            params[key] = params[key] - lr * buffers[key]
    return {"losses": losses, "parameters": (params["W1"].T, params["b1"], params["W2"].T, params["b2"])}


def _is_float(value):
    return isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool))


def _loss_types(args, got):
    """What the comparison with train_steps cannot say: each loss handed back as a Python float."""
    if not isinstance(got, dict) or "losses" not in got:
        return "train_step could not be probed"
    kinds = [type(loss).__name__ for loss in got["losses"] if not _is_float(loss)]
    if kinds:
        return ("train_step should return the loss as a Python float (loss.item()); got "
                + ("an array (a tensor?)" if kinds[0] == "ndarray" else kinds[0]))
    return None


def _accuracies(weights, norm, images, labels):
    """Accuracy over all examples in eval mode, and what two usual mistakes give instead."""
    gamma, beta, mean, var = (np.asarray(v, dtype=np.float64) for v in norm)
    scale = gamma / np.sqrt(var + NORM_EPS)
    eval_params = _params(*weights, scale=scale, shift=beta - mean * scale)
    right = [_logits(eval_params, x).argmax(axis=1) == y for x, y in zip(images, labels)]
    training = []
    for x, y in zip(images, labels):  # batch normalisation with each batch's own statistics
        z = np.asarray(x, dtype=np.float64).reshape(len(x), -1) @ np.asarray(weights[0], dtype=np.float64).T + weights[1]
        batch_scale = gamma / np.sqrt(z.var(axis=0) + NORM_EPS)
        batch_params = _params(*weights, scale=batch_scale, shift=beta - z.mean(axis=0) * batch_scale)
        training.append(_logits(batch_params, x).argmax(axis=1) == y)
    return {"eval": float(np.concatenate(right).mean()), "training": float(np.concatenate(training).mean()),
            "per batch": float(np.mean([r.mean() for r in right]))}


def _evaluate_check(args, got):
    if not _is_float(got):
        return ("evaluate should return the accuracy as a Python float; got "
                f"{'an array (a tensor?)' if isinstance(got, np.ndarray) else type(got).__name__}")
    accuracy = _accuracies(*args)
    n = sum(len(y) for y in args[3])
    if np.isclose(float(got), accuracy["eval"], rtol=1e-9, atol=1e-12):
        return None
    if np.isclose(float(got), accuracy["training"], rtol=1e-9, atol=1e-12):
        return "the accuracy is the model's in training mode (batch statistics); call model.eval() first"
    if np.isclose(float(got), accuracy["per batch"], rtol=1e-9, atol=1e-12):
        return f"the accuracy is a mean over batches of unequal size, not over all {n} examples"
    return f"the accuracy over all {n} examples is wrong"


def _weights(rng, hidden):
    return [rng.normal(scale=0.05, size=(hidden, 784)), rng.normal(scale=0.1, size=hidden),
            rng.normal(scale=0.3, size=(10, hidden)), rng.normal(scale=0.1, size=10)]


def _batches(rng, sizes):
    return ([rng.random((n, 28, 28)) for n in sizes], [rng.integers(0, 10, size=n) for n in sizes])


def mlp_hidden(rng):
    return [(rng.random((int(rng.integers(2, 9)), 28, 28)).astype(np.float32),)]


def step_hidden(rng):
    images, labels = _batches(rng, [int(rng.integers(4, 12))] * 3)
    return [(_weights(rng, int(rng.integers(8, 20))), images, labels, float(rng.uniform(0.02, 0.2)),
             float(rng.uniform(0.5, 0.95)))]


def _evaluate_case(rng, hidden, sizes):
    """Weights, batch-norm statistics and batches on which eval mode, training mode and a mean over
    batches give three different accuracies (drawn again until they do)."""
    for _ in range(100):
        weights = _weights(rng, hidden)
        norm = [rng.uniform(0.5, 2.0, size=hidden), rng.normal(scale=0.3, size=hidden),
                rng.normal(scale=1.0, size=hidden), rng.uniform(0.05, 0.5, size=hidden)]
        images, labels = _batches(rng, sizes)
        scale = norm[0] / np.sqrt(norm[3] + NORM_EPS)
        params = _params(*weights, scale=scale, shift=norm[1] - norm[2] * scale)
        for x, y in zip(images, labels):  # mostly the model's own predictions, so its accuracy is high
            keep = rng.random(len(y)) < 0.7
            y[keep] = _logits(params, x[keep]).argmax(axis=1)
        accuracy = _accuracies(weights, norm, images, labels)
        if min(abs(accuracy["eval"] - accuracy["training"]), abs(accuracy["eval"] - accuracy["per batch"])) > 1e-6:
            return (weights, norm, images, labels)
    raise RuntimeError("no evaluation case in 100 draws")


def evaluate_hidden(rng):
    big = int(rng.integers(12, 30))
    return [_evaluate_case(rng, int(rng.integers(16, 64)), [big, big, int(rng.integers(3, big // 2))])]


def _public_step(rng):
    rng = np.random.default_rng(5)
    images, labels = _batches(rng, [32])
    return [(_weights(rng, 16), images * 8, labels, 0.1, 0.9)]


def _public_evaluate(rng):
    return [_evaluate_case(np.random.default_rng(5), 16, [16, 16, 8])]


TESTS = {
    "L5-q1-public": Test("MLP", lambda rng: [(np.zeros((3, 28, 28), dtype=np.float32),)], None,
                         check=_mlp_check(hidden=False), probe=MLP_PROBE),
    "L5-q1-hidden": Test("MLP", mlp_hidden, None, hidden=True, check=_mlp_check(hidden=True), probe=MLP_PROBE),
    "L5-q2-public": Test("train_step", _public_step, train_steps, check=_loss_types, probe=STEP_PROBE,
                         rtol=1e-6, atol=1e-9),
    "L5-q2-hidden": Test("train_step", step_hidden, train_steps, hidden=True, check=_loss_types,
                         probe=STEP_PROBE, rtol=1e-6, atol=1e-9),
    "L5-q3-public": Test("evaluate", _public_evaluate, None, check=_evaluate_check, probe=EVALUATE_PROBE),
    "L5-q3-hidden": Test("evaluate", evaluate_hidden, None, hidden=True, check=_evaluate_check,
                         probe=EVALUATE_PROBE),
}
