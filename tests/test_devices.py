"""The device helpers: CUDA, then Apple MPS, then the CPU (this machine has only a CPU)."""

from __future__ import annotations

import pytest


def test_torch_best_device_is_the_cpu_here():
    torch = pytest.importorskip("torch")
    from course_utils.torch_backend import best_device

    if torch.cuda.is_available() or torch.backends.mps.is_available():
        pytest.skip("this machine has an accelerator; the CPU test does not apply")
    device = best_device()
    assert isinstance(device, torch.device)
    assert device.type == "cpu"
    # The device is usable as the lessons use it: model and batch moved to it.
    model = torch.nn.Linear(3, 2).to(device)
    x = torch.ones(4, 3).to(device)
    assert model(x).device == device


def test_tf_best_device_is_the_cpu_here():
    tf = pytest.importorskip("tensorflow")
    from course_utils.tf_backend import best_device

    if tf.config.list_physical_devices("GPU"):
        pytest.skip("this machine has a GPU; the CPU test does not apply")
    name = best_device()
    assert name == "/CPU:0"
    with tf.device(name):
        y = tf.constant([1.0, 2.0]) * 2.0
    # TensorFlow reports the full name, e.g. /job:localhost/replica:0/task:0/device:CPU:0
    assert y.device.endswith("CPU:0"), y.device


def test_best_device_follows_the_order_cuda_mps_cpu(monkeypatch):
    torch = pytest.importorskip("torch")
    from course_utils import torch_backend

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert torch_backend.best_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert torch_backend.best_device() == torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert torch_backend.best_device() == torch.device("cpu")


def test_import_course_utils_loads_no_framework():
    import subprocess
    import sys

    code = (
        "import sys, course_utils;"
        "bad = [m for m in ('torch', 'tensorflow') if m in sys.modules];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
