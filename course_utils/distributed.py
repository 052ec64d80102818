"""Data-parallel training without a framework: the maths, the costs, the launcher.

Lesson 9 spreads one training step over ``K`` workers. This module holds what
needs no framework:

* the arithmetic of data parallelism: split a batch into ``K`` equal shards
  (:func:`shard_batch`), let each worker take the mean gradient of its shard,
  average the ``K`` gradients (:func:`all_reduce_mean`, what an all-reduce
  computes) and get the gradient of the whole batch (:func:`mlp_mean_gradients`
  is the per-worker part for the course's MLP);
* the cost of a ring all-reduce, ``2 (K - 1) / K`` times the gradient's size
  sent and received by each worker (:func:`ring_all_reduce_bytes`);
* the memory per device of plain data parallelism and of ZeRO stages 1-3 /
  FSDP, from lesson 7's bytes per parameter (:func:`memory_per_device`);
* a launcher for ``torchrun`` and other worker processes that picks free
  ports, bounds the run by a timeout and, on timeout, kills the whole process
  group, so that no worker outlives it (:func:`free_port`, :func:`run_workers`).

Importing this module loads NumPy only.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import maths
from .validation import check_array, check_integer, check_one_of, check_real, describe

__all__ = [
    "RUN_KEYS",
    "ZERO_STAGES",
    "Memory",
    "WorkerRun",
    "WorkerTimeout",
    "all_reduce_mean",
    "assert_same_run",
    "free_port",
    "memory_per_device",
    "mlp_mean_gradients",
    "ring_all_reduce_bytes",
    "run_differences",
    "run_workers",
    "shard_batch",
    "torchrun_command",
]

#: What each scheme splits across the K devices (Rajbhandari et al. 2020):
#: "dp" replicates everything; ZeRO stage 1 shards the optimizer state, stage 2
#: also the gradients, stage 3 (FSDP's full sharding) also the weights.
ZERO_STAGES = ("dp", "zero1", "zero2", "zero3")


# --------------------------------------------------------------------------- the maths
def shard_batch(x: Any, y: Any, workers: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split a batch into ``workers`` equal, contiguous shards: ``[(x_k, y_k), ...]``.

    x : numpy.ndarray of shape (B, ...)
        The inputs; ``B`` must be a multiple of ``workers``.
    y : numpy.ndarray of shape (B,)
        The labels.
    workers : int >= 1

    Worker ``k`` gets rows ``k * B/K`` to ``(k + 1) * B/K - 1``, the same rule
    as the lesson's training scripts.
    """
    workers = check_integer("workers", workers, low=1)
    x = check_array("x", x, min_ndim=1)
    y = check_array("y", y, ndim=1)
    if len(x) != len(y):
        raise ValueError(
            f"x and y must have the same length; got {len(x)} and {len(y)}."
        )
    if len(x) == 0 or len(x) % workers:
        raise ValueError(
            f"the batch size must be a positive multiple of workers={workers}; got "
            f"{len(x)}. Use a batch of {max(workers, len(x) - len(x) % workers)}."
        )
    size = len(x) // workers
    return [
        (x[k * size : (k + 1) * size], y[k * size : (k + 1) * size])
        for k in range(workers)
    ]


def all_reduce_mean(values: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """The element-wise mean of ``K`` workers' gradients, key by key.

    values : sequence of dict of str to numpy.ndarray
        One dict per worker, all with the same keys and shapes. An all-reduce
        sums them and every worker divides by ``K``; all end with this result.
    """
    if isinstance(values, Mapping) or not isinstance(values, Sequence) or not values:
        raise TypeError(
            "values must be a non-empty list of dicts, one per worker; got "
            f"{describe(values)}."
        )
    keys = None
    for k, grads in enumerate(values):
        if not isinstance(grads, Mapping):
            raise TypeError(
                f"values[{k}] must be a dict of arrays; got {describe(grads)}."
            )
        if keys is None:
            keys = list(grads)
        elif set(grads) != set(keys):
            raise ValueError(
                f"values[{k}] must have the keys {sorted(keys)}; got {sorted(grads)}."
            )
    out = {}
    for key in keys:
        arrays = [
            check_array(f"values[{k}][{key!r}]", g[key]) for k, g in enumerate(values)
        ]
        shapes = {a.shape for a in arrays}
        if len(shapes) != 1:
            raise ValueError(
                f"the workers' {key!r} must share one shape; got {sorted(shapes)}."
            )
        out[key] = np.mean(arrays, axis=0)
    return out


def mlp_mean_gradients(
    params: Mapping[str, np.ndarray], x: Any, y: Any
) -> tuple[float, dict[str, np.ndarray]]:
    """The mean cross-entropy of an MLP on ``(x, y)`` and its gradients (NumPy).

    params : dict of str to numpy.ndarray
        ``W1, b1, ...`` in the course layout, as :func:`course_utils.maths.init_mlp`.
    x : numpy.ndarray of shape (B, n_inputs)
    y : numpy.ndarray of int, shape (B,)

    Returns ``(loss, grads)``: what one worker computes on its shard.
    """
    y = check_array("y", y, ndim=1)
    logits, cache = maths.mlp_forward(params, x)
    grads = maths.mlp_backward(params, cache, y)
    loss = float(maths.cross_entropy(y, logits, from_logits=True))
    return loss, grads


#: What a training run hands back and two runs are compared on.
RUN_KEYS = ("losses", "W1", "b1", "W2", "b2")


def run_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, float]:
    """The largest absolute difference between two runs: per-step loss, final weights.

    a, b : dict or numpy NpzFile
        Each holds ``losses`` (one per step) and the final ``W1, b1, W2, b2``,
        as the lesson's training scripts write them.

    Returns ``{"loss": ..., "weights": ...}``.
    """
    for name, run in (("a", a), ("b", b)):
        if not hasattr(run, "keys") or not hasattr(run, "__getitem__"):
            raise TypeError(
                f"{name} must be a dict of arrays (or an .npz); got {describe(run)}."
            )
        missing = [k for k in RUN_KEYS if k not in run]
        if missing:
            raise ValueError(f"{name} must hold {list(RUN_KEYS)}; it lacks {missing}.")
    out = {}
    for kind, keys in (("loss", RUN_KEYS[:1]), ("weights", RUN_KEYS[1:])):
        worst = 0.0
        for key in keys:
            x, y = np.asarray(a[key], np.float64), np.asarray(b[key], np.float64)
            if x.shape != y.shape:
                raise ValueError(
                    f"the runs' {key!r} differ in shape: {x.shape} and {y.shape}."
                )
            worst = max(worst, float(np.max(np.abs(x - y))) if x.size else 0.0)
        out[kind] = worst
    return out


def assert_same_run(
    a: Mapping[str, Any], b: Mapping[str, Any], *, tol: float = 1e-5, name: str = "run"
) -> dict[str, float]:
    """Raise AssertionError unless per-step losses and final weights agree within ``tol``.

    Returns the differences (:func:`run_differences`) when they agree.
    """
    tol = check_real("tol", tol, low=0, low_open=True)
    diff = run_differences(a, b)
    if diff["loss"] > tol or diff["weights"] > tol:
        raise AssertionError(
            f"{name}: the two runs differ: per-step loss by up to {diff['loss']:.3g}, "
            f"final weights by up to {diff['weights']:.3g} (tolerance {tol:g})."
        )
    return diff


# --------------------------------------------------------------------------- the costs
def ring_all_reduce_bytes(gradient_bytes: Any, workers: Any) -> float:
    """Bytes each worker sends (and receives) in a ring all-reduce: ``2 (K-1)/K * S``.

    gradient_bytes : float > 0
        ``S``, the size of the gradient being averaged.
    workers : int >= 1
        ``K``. A reduce-scatter sends ``(K-1)/K * S``, an all-gather as much
        again; the cost per worker hardly grows with ``K`` (Sergeev and Del
        Balso 2018).
    """
    size = check_real("gradient_bytes", gradient_bytes, low=0, low_open=True)
    workers = check_integer("workers", workers, low=1)
    return 2 * (workers - 1) / workers * size


@dataclass(frozen=True)
class Memory:
    """Bytes per device of a training scheme, by part (activations left out)."""

    weights: float
    gradients: float
    optimizer: float

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer


def memory_per_device(parameters: Any, devices: Any, scheme: str = "dp") -> Memory:
    """Bytes of weights, gradients and optimizer state that each of ``devices`` holds.

    parameters : float > 0
        The model's parameter count ``N``.
    devices : int >= 1
        ``K``, the data-parallel devices.
    scheme : {"dp", "zero1", "zero2", "zero3"}
        Plain data parallelism, or ZeRO's stages (stage 3 is what PyTorch's
        FSDP calls full sharding).

    Mixed-precision Adam as in lesson 7 (``scaling.BYTES_PER_PARAMETER_MIXED_ADAM``
    = 16): 2 bytes of fp16 weights, 2 of fp16 gradients, 12 of fp32 master
    weights, momentum and variance. Plain data parallelism keeps all 16 N on
    every device; each ZeRO stage divides one more part by ``K``.
    """
    from .scaling import BYTES_PER_PARAMETER_FP16, BYTES_PER_PARAMETER_MIXED_ADAM

    n = check_real("parameters", parameters, low=0, low_open=True)
    k = check_integer("devices", devices, low=1)
    scheme = check_one_of("scheme", scheme, ZERO_STAGES)
    stage = ZERO_STAGES.index(scheme)
    weights = BYTES_PER_PARAMETER_FP16 * n
    gradients = BYTES_PER_PARAMETER_FP16 * n
    optimizer = (BYTES_PER_PARAMETER_MIXED_ADAM - 2 * BYTES_PER_PARAMETER_FP16) * n
    return Memory(
        weights=weights / k if stage >= 3 else weights,
        gradients=gradients / k if stage >= 2 else gradients,
        optimizer=optimizer / k if stage >= 1 else optimizer,
    )


# --------------------------------------------------------------------------- launching
class WorkerTimeout(RuntimeError):
    """The workers did not finish in time; all of them were killed."""


@dataclass(frozen=True)
class WorkerRun:
    """What :func:`run_workers` saw: exit codes, the output of each process, seconds."""

    returncodes: tuple[int, ...]
    outputs: tuple[str, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return all(code == 0 for code in self.returncodes)

    def check(self) -> WorkerRun:
        """Return self if every process exited with 0, else raise with their output."""
        if not self.ok:
            tails = "\n".join(
                f"--- process {i} exited with {code}:\n{out[-3000:]}"
                for i, (code, out) in enumerate(zip(self.returncodes, self.outputs))
                if code != 0
            )
            raise RuntimeError(f"a worker process failed:\n{tails}")
        return self


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that no one listens on now (the OS picks it).

    Another program may take it before you bind it; the launchers then fail
    with "address already in use" and :func:`run_workers` bounds the wait.
    """
    if not isinstance(host, str):
        raise TypeError(
            f"host must be a str such as '127.0.0.1'; got {describe(host)}."
        )
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def torchrun_command(
    module: str,
    args: Sequence[str] = (),
    *,
    nproc: int = 2,
    nnodes: int = 1,
    node_rank: int = 0,
    master_port: int,
    master_addr: str = "127.0.0.1",
) -> list[str]:
    """The ``python -m torch.distributed.run`` (``torchrun``) command for ``module``.

    module : str
        A module run with ``python -m``, such as ``"course_utils.ddp_mnist"``.
    args : sequence of str
        Its arguments.
    nproc : int >= 1
        Processes on this node (``--nproc-per-node``).
    nnodes, node_rank : int
        Machines in the job and this one's index (0 is the one at master_addr).
    master_port : int in 1..65535
    master_addr : str
    """
    if not isinstance(module, str) or not module:
        raise TypeError(f"module must be a module name (str); got {describe(module)}.")
    if isinstance(args, str) or not all(isinstance(a, str) for a in args):
        raise TypeError(f"args must be a list of str; got {describe(args)}.")
    nproc = check_integer("nproc", nproc, low=1)
    nnodes = check_integer("nnodes", nnodes, low=1)
    node_rank = check_integer("node_rank", node_rank, low=0, high=nnodes - 1)
    master_port = check_integer("master_port", master_port, low=1, high=65535)
    return [
        sys.executable, "-m", "torch.distributed.run",
        f"--nnodes={nnodes}", f"--node-rank={node_rank}",
        f"--nproc-per-node={nproc}", f"--master-addr={master_addr}",
        f"--master-port={master_port}", "--max-restarts=0",
        "--module", module, *args,
    ]  # fmt: skip


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - the kernel reaps it
        pass


def run_workers(
    commands: Sequence[Sequence[str]],
    *,
    timeout: Any = 120,
    envs: Sequence[Mapping[str, str] | None] | None = None,
    threads: int = 1,
) -> WorkerRun:
    """Run ``commands`` at the same time, each in its own process group; wait for all.

    commands : sequence of list of str
        One command per process (a ``torchrun`` launcher, a TensorFlow worker).
    timeout : float > 0
        Seconds for the whole run. When it passes, every process group is
        killed (SIGKILL to the group, so workers started by ``torchrun`` die
        too) and :class:`WorkerTimeout` is raised with their output so far.
    envs : sequence of dict or None
        Extra environment variables per command (``TF_CONFIG``), or None.
    threads : int >= 1
        ``OMP_NUM_THREADS`` for every process: on a small machine, K workers
        with one thread each share the cores instead of fighting over them.

    Returns a :class:`WorkerRun`; call ``.check()`` to raise on a failed process.
    The processes are never left running, whatever happens (KeyboardInterrupt too).
    """
    if isinstance(commands, str) or not commands:
        raise TypeError(
            f"commands must be a non-empty list of commands; got {describe(commands)}."
        )
    commands = [list(c) for c in commands]
    for i, command in enumerate(commands):
        if not command or not all(isinstance(part, str) for part in command):
            raise TypeError(
                f"commands[{i}] must be a non-empty list of str; got {command!r}."
            )
    timeout = check_real("timeout", timeout, low=0, low_open=True)
    threads = check_integer("threads", threads, low=1)
    envs = list(envs) if envs is not None else [None] * len(commands)
    if len(envs) != len(commands):
        raise ValueError(
            f"envs must hold one entry per command ({len(commands)}); got {len(envs)}."
        )
    import tempfile

    logs, processes = [], []
    start = time.perf_counter()
    try:
        for command, extra in zip(commands, envs):
            env = dict(os.environ, OMP_NUM_THREADS=str(threads), PYTHONUNBUFFERED="1")
            env.update(extra or {})
            log = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115
            logs.append(log)
            processes.append(subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env=env,
                start_new_session=True,  # its own process group, killed as one
            ))  # fmt: skip
        deadline = start + timeout
        for process in processes:
            try:
                process.wait(timeout=max(deadline - time.perf_counter(), 0.01))
            except subprocess.TimeoutExpired:
                break
        timed_out = any(p.poll() is None for p in processes)
    finally:
        for process in processes:  # the group may hold workers even after the
            _kill_group(process)  # launcher exited; kill whatever is left
    seconds = time.perf_counter() - start
    outputs = []
    for log in logs:
        log.seek(0)
        outputs.append(log.read())
        log.close()
    if timed_out:
        tails = "\n".join(
            f"--- process {i}:\n{o[-2000:]}" for i, o in enumerate(outputs)
        )
        raise WorkerTimeout(
            f"the workers did not finish within timeout={timeout:g} s and were all "
            f"killed. Their output:\n{tails}"
        )
    return WorkerRun(tuple(p.returncode for p in processes), tuple(outputs), seconds)
