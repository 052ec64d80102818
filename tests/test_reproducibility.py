"""seed_everything makes training repeatable; versions() reports without importing frameworks."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata

import numpy as np
import pytest

from course_utils import seed_everything, versions


def train_keras(seed: int, mnist) -> list[np.ndarray]:
    """A few Adam steps of a small Keras model on shuffled MNIST batches; the final weights."""
    import tensorflow as tf

    from course_utils.tf_backend import make_dataset

    seed_everything(seed, frameworks=["tensorflow"])
    model = tf.keras.Sequential(
        [tf.keras.Input((28, 28)), tf.keras.layers.Flatten(), tf.keras.layers.Dense(16, activation="relu"),
         tf.keras.layers.Dropout(0.3), tf.keras.layers.Dense(10)]
    )
    model.compile("adam", tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    data = make_dataset(mnist.test.images[:512], mnist.test.labels[:512], batch_size=64, seed=seed)
    model.fit(data, epochs=2, verbose=0, shuffle=False)  # the dataset shuffles itself
    return [w.copy() for w in model.get_weights()]


def train_torch(seed: int, mnist) -> list[np.ndarray]:
    """A few SGD-with-momentum steps of a small PyTorch model; the final weights."""
    import torch

    from course_utils.torch_backend import make_dataset

    seed_everything(seed, frameworks=["torch"])
    model = torch.nn.Sequential(
        torch.nn.Flatten(), torch.nn.Linear(784, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(16, 10)
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for x, y in make_dataset(mnist.test.images[:512], mnist.test.labels[:512], batch_size=64, seed=seed):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("train", [train_keras, train_torch], ids=["tensorflow", "torch"])
def test_same_seed_same_weights(train, mnist):
    first, second, other = train(3, mnist), train(3, mnist), train(4, mnist)
    assert len(first) == 4
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, c) for a, c in zip(first, other)), "a different seed should differ"


def test_seeds_python_and_numpy():
    import random

    seed_everything(11, frameworks=[])
    a = (random.random(), np.random.rand())
    seed_everything(11, frameworks=[])
    assert (random.random(), np.random.rand()) == a


@pytest.mark.parametrize(
    "seed, frameworks, kind, error",
    [(-1, None, ValueError, "non-negative integer"), (None, None, TypeError, "non-negative integer"),
     ("1", None, TypeError, "non-negative"), (1, ["jax"], ValueError, "frameworks must name only")],
)
def test_seed_everything_rejects_bad_input(seed, frameworks, kind, error):
    with pytest.raises(kind, match=error):  # TypeError for a wrong type, ValueError for a wrong value
        seed_everything(seed, frameworks=frameworks)


def run_fresh(code: str) -> dict:
    """Run ``code`` in a new interpreter and return the JSON it prints last."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_course_utils_loads_no_framework():
    loaded = run_fresh(
        "import sys, json, course_utils\n"
        "course_utils.versions(); course_utils.seed_everything(0)\n"
        "print(json.dumps(sorted(m for m in ('tensorflow', 'keras', 'torch', 'matplotlib') if m in sys.modules)))"
    )
    assert loaded == []


def test_seed_everything_seeds_only_imported_frameworks():
    seeded = run_fresh(
        "import sys, json, torch, course_utils\n"
        "print(json.dumps([course_utils.seed_everything(0), 'tensorflow' in sys.modules]))"
    )
    assert seeded == [["python", "numpy", "torch"], False]


def test_versions_reports_what_is_installed():
    report = versions()
    assert list(report) == ["python", "numpy", "tensorflow", "torch", "platform", "cpu count"]
    assert report["numpy"] == np.__version__
    assert report["torch"] == metadata.version("torch")
    assert report["tensorflow"].startswith("2.21")
    text = str(report)
    assert text.splitlines()[0].startswith("python ") and report["torch"] in text
