"""The tests of assignment 05_mnist_pytorch, judged by the grader (course_grader.judge).

Public tests use fixed cases (the learners' self-checks, course_utils.exercises.lesson5).
Hidden tests draw their cases from ``rng``, which the grader seeds from the class
secret: this file shows how they are made, never which cases a class gets.

The answers are a model class, a training step and an evaluation loop, so each
test has a probe, run in the kernel: it builds the model (for questions 2 and 3
with the weights that the grader chose, in float64), uses the answer on the
grader's images and hands back plain data: weights, logits, losses, the accuracy,
and what the model saw during the forward passes. The grader recomputes the
expected values with NumPy.
"""

import numpy as np

from course_grader.judge import Test

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

_MODEL = '''
    import numpy as np
    import torch
    from torch import nn

    def model_from(weights, dropout=False):
        w1, b1, w2, b2 = (torch.from_numpy(np.asarray(w, dtype=np.float64)) for w in weights)
        middle = [nn.ReLU()] + ([nn.Dropout(0.5)] if dropout else [])
        model = nn.Sequential(nn.Flatten(), nn.Linear(w1.shape[1], w1.shape[0]), *middle,
                              nn.Linear(w2.shape[1], w2.shape[0])).double()
        with torch.no_grad():
            model[1].weight.copy_(w1)
            model[1].bias.copy_(b1)
            model[-1].weight.copy_(w2)
            model[-1].bias.copy_(b2)
        return model

    def kind(value):
        import numbers
        return "number" if isinstance(value, numbers.Real) and not isinstance(value, bool) else type(value).__name__
'''

STEP_PROBE = '''
def probe(answer, weights, images, labels, lr, momentum):
''' + _MODEL + '''
    model = model_from(weights)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = [answer(model, optimizer, torch.from_numpy(np.asarray(x, dtype=np.float64)),
                     torch.from_numpy(np.asarray(y, dtype=np.int64))) for x, y in zip(images, labels)]
    return {"losses": [float(loss) for loss in losses], "kinds": tuple(kind(loss) for loss in losses),
            "parameters": tuple(p.detach() for p in model.parameters())}
'''

EVALUATE_PROBE = '''
def probe(answer, weights, images, labels):
''' + _MODEL + '''
    model = model_from(weights, dropout=True)
    seen = []
    model.register_forward_hook(lambda module, args, out: seen.append((torch.is_grad_enabled(), module.training)))
    model.train()
    batches = [(torch.from_numpy(np.asarray(x, dtype=np.float64)), torch.from_numpy(np.asarray(y, dtype=np.int64)))
               for x, y in zip(images, labels)]
    accuracy = answer(model, batches)
    return {"accuracy": accuracy, "kind": kind(accuracy), "grad_enabled": [g for g, _ in seen],
            "training": [t for _, t in seen]}
'''


def _logits(w1, b1, w2, b2, x):
    x = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
    return np.maximum(x @ np.asarray(w1, dtype=np.float64).T + b1, 0.0) @ np.asarray(w2, dtype=np.float64).T + b2


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
        expected = _logits(w1, b1, w2, b2, x)
        if not np.allclose(outputs, expected, rtol=1e-4, atol=1e-5):
            return "the logits are not output(relu(hidden(flatten(x))))"
        return None
    return check


def train_steps(weights, images, labels, lr, momentum):
    """SGD with momentum (PyTorch's rule) on the cross-entropy of the one-hidden-layer network."""
    params = [np.asarray(w, dtype=np.float64).copy() for w in weights]
    buffers = [None] * 4
    losses = []
    for x, y in zip(images, labels):
        w1, b1, w2, b2 = params
        n = len(x)
        x = np.asarray(x, dtype=np.float64).reshape(n, -1)
        a1 = x @ w1.T + b1
        h = np.maximum(a1, 0.0)
        z = h @ w2.T + b2
        shifted = z - z.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        losses.append(float(-log_p[np.arange(n), y].mean()))
        dz = np.exp(log_p)
        dz[np.arange(n), y] -= 1.0
        dz /= n
        da1 = (dz @ w2) * (a1 > 0)
        grads = [da1.T @ x, da1.sum(axis=0), dz.T @ h, dz.sum(axis=0)]
        for i, g in enumerate(grads):
            buffers[i] = g if buffers[i] is None else momentum * buffers[i] + g
            params[i] = params[i] - lr * buffers[i]
    return {"losses": losses, "kinds": ("number",) * len(losses), "parameters": tuple(params)}


def _evaluate_check(args, got):
    weights, images, labels = args
    if not isinstance(got, dict) or "accuracy" not in got:
        return "evaluate could not be probed"
    if got["kind"] != "number":
        return f"evaluate should return the accuracy as a Python float; got {got['kind']}"
    if not got["grad_enabled"]:
        return "evaluate did not call the model"
    if any(got["grad_enabled"]):
        return "gradients were recorded during evaluation (use torch.no_grad())"
    if any(got["training"]):
        return "the model was in training mode (dropout active) during evaluation (use model.eval())"
    correct = sum(int((_logits(*weights, x).argmax(axis=1) == y).sum()) for x, y in zip(images, labels))
    expected = correct / sum(len(y) for y in labels)
    if not np.isclose(float(got["accuracy"]), expected, rtol=1e-9, atol=1e-12):
        return f"the accuracy over all {sum(len(y) for y in labels)} examples is wrong"
    return None


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


def evaluate_hidden(rng):
    big = int(rng.integers(12, 30))
    images, labels = _batches(rng, [big, big, int(rng.integers(3, big // 2))])
    return [(_weights(rng, int(rng.integers(16, 64))), images, labels)]


def _public_step(rng):
    rng = np.random.default_rng(5)
    images, labels = _batches(rng, [32])
    return [(_weights(rng, 16), images * 8, labels, 0.1, 0.9)]


def _public_evaluate(rng):
    rng = np.random.default_rng(5)
    images, labels = _batches(rng, [16, 16, 8])
    return [(_weights(rng, 16), images, labels)]


TESTS = {
    "L5-q1-public": Test("MLP", lambda rng: [(np.zeros((3, 28, 28), dtype=np.float32),)], None,
                         check=_mlp_check(hidden=False), probe=MLP_PROBE),
    "L5-q1-hidden": Test("MLP", mlp_hidden, None, hidden=True, check=_mlp_check(hidden=True), probe=MLP_PROBE),
    "L5-q2-public": Test("train_step", _public_step, train_steps, probe=STEP_PROBE, rtol=1e-6, atol=1e-9),
    "L5-q2-hidden": Test("train_step", step_hidden, train_steps, hidden=True, probe=STEP_PROBE,
                         rtol=1e-6, atol=1e-9),
    "L5-q3-public": Test("evaluate", _public_evaluate, None, check=_evaluate_check, probe=EVALUATE_PROBE),
    "L5-q3-hidden": Test("evaluate", evaluate_hidden, None, hidden=True, check=_evaluate_check,
                         probe=EVALUATE_PROBE),
}
