"""The MNIST training of lessons 4 (Keras) and 5 (PyTorch) on this machine's accelerator.

Usage (from the repository root, in the course's environment, on a machine
with a GPU; offline, ``export COURSE_DATA_DIR=/path/to/data`` first):

    python benchmarks/gpu_check.py                     # both frameworks, 5 epochs
    python benchmarks/gpu_check.py --frameworks torch --epochs 2
    python benchmarks/gpu_check.py --deterministic     # the settings of README, "GPUs"
    python benchmarks/gpu_check.py --require-accelerator   # exit 1 on a CPU-only machine

Each framework trains the lessons' model with the lessons' settings
(``torch_models.COURSE``, ``tf_models.COURSE``) on the device that
``best_device()`` picks, in its own process (TensorFlow reserves most of a
GPU's memory for itself). It prints the device, the seconds of each epoch and
the test accuracy after the last one. The first epoch includes start-up work
(CUDA context, kernel selection, tf.function tracing); the median of the
others is the steady rate. GPU figures need not equal the CPU's, nor each
other's from run to run, unless ``--deterministic`` is given (see README).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _deterministic_env() -> None:
    # cuBLAS needs a fixed workspace for deterministic results (set before CUDA starts).
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")


def torch_run(epochs: int, deterministic: bool) -> dict:
    if deterministic:
        _deterministic_env()
    import torch
    from torch import nn

    import course_utils
    from course_utils import torch_backend, torch_models
    from course_utils.mnist_models import TrainingSettings

    if deterministic:
        torch.use_deterministic_algorithms(True)
    device = torch_backend.best_device()
    (x_train, y_train), (x_test, y_test) = course_utils.load_mnist(progress=False)
    course_utils.seed_everything(0)
    settings = TrainingSettings(**{**torch_models.COURSE.__dict__, "epochs": epochs})
    model = torch_models.build_mlp().to(device)
    loss_fn = nn.CrossEntropyLoss()
    train = torch_backend.make_dataset(x_train, y_train, batch_size=settings.batch_size, seed=0)
    test = torch_backend.make_dataset(x_test, y_test, batch_size=1000, shuffle=False)
    optimizer, scheduler = torch_models.make_optimizer(model, settings, steps_per_epoch=len(train))
    seconds = []
    for _ in range(epochs):
        started = time.perf_counter()
        torch_models.train_epoch(model, train, optimizer, loss_fn, scheduler=scheduler)
        if device.type == "cuda":
            torch.cuda.synchronize()
        seconds.append(time.perf_counter() - started)
    accuracy = torch_models.evaluate(model, test, loss_fn)["accuracy"]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else device.type
    where = str(next(model.parameters()).device)
    return {"framework": f"PyTorch {torch.__version__}", "device": f"{where} ({name})",
            "seconds": seconds, "accuracy": accuracy}


def tf_run(epochs: int, deterministic: bool) -> dict:
    if deterministic:
        _deterministic_env()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", message="`shuffle=True` was passed")
    import tensorflow as tf

    import course_utils
    from course_utils import tf_backend, tf_models
    from course_utils.mnist_models import TrainingSettings

    if deterministic:
        tf.config.experimental.enable_op_determinism()
    (x_train, y_train), (x_test, y_test) = course_utils.load_mnist(progress=False)
    course_utils.seed_everything(0)
    settings = TrainingSettings(**{**tf_models.COURSE.__dict__, "epochs": epochs})
    train = tf_backend.make_dataset(x_train, y_train, batch_size=settings.batch_size, seed=0)
    test = tf_backend.make_dataset(x_test, y_test, batch_size=1000, shuffle=False)
    model = tf_models.compile_mlp(tf_models.build_mlp(), settings, steps_per_epoch=len(train))
    timer = tf_models.EpochTimer()
    model.fit(train, epochs=epochs, callbacks=[timer], verbose=0)
    _, accuracy = model.evaluate(test, verbose=0)
    gpus = tf.config.list_physical_devices("GPU")
    name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU") if gpus else "CPU"
    where = model.weights[0].value.device  # Keras placed it; nothing asked it to
    return {"framework": f"TensorFlow {tf.__version__}", "device": f"{where} ({name})",
            "best_device": tf_backend.best_device(), "seconds": list(timer.seconds),
            "accuracy": float(accuracy)}


RUNS = {"torch": torch_run, "tf": tf_run}


def _child(framework: str, epochs: int, deterministic: bool) -> dict:
    command = [sys.executable, __file__, "--child", framework, "--epochs", str(epochs)]
    if deterministic:
        command.append("--deterministic")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        return {"framework": framework, "error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", default="torch,tf", help="comma-separated: torch, tf")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--deterministic", action="store_true",
                        help="CUBLAS_WORKSPACE_CONFIG, torch.use_deterministic_algorithms, "
                             "tf.config.experimental.enable_op_determinism")
    parser.add_argument("--require-accelerator", action="store_true",
                        help="exit with status 1 when a framework ran on the CPU")
    parser.add_argument("--child", choices=sorted(RUNS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs: expected an integer >= 1, got {args.epochs}")
    if args.child:
        print(json.dumps(RUNS[args.child](args.epochs, args.deterministic)))
        return 0
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = sorted(set(frameworks) - set(RUNS))
    if unknown:
        parser.error(f"--frameworks: expected some of {sorted(RUNS)}, got {unknown}")
    status = 0
    print(f"MNIST, lessons' settings, {args.epochs} epoch(s), deterministic={args.deterministic}")
    for framework in frameworks:
        row = _child(framework, args.epochs, args.deterministic)
        if "error" in row:
            print(f"{framework}: FAILED: {row['error'][0]}")
            status = 1
            continue
        s = row["seconds"]
        steady = statistics.median(s[1:]) if len(s) > 1 else s[0]
        print(f"{row['framework']} on {row['device']}")
        print("  seconds per epoch: " + ", ".join(f"{x:.2f}" for x in s)
              + f" (first {s[0]:.2f}, median of the rest {steady:.2f})")
        print(f"  test accuracy after {len(s)} epochs: {row['accuracy']:.4f}")
        if args.require_accelerator and "CPU" in row["device"].upper():
            print("  no accelerator was used")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
