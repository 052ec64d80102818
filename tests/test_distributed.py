"""Lesson 9: data parallelism in NumPy, and real worker processes talking over gloo.

The process tests start real ``torchrun`` launchers (gloo on 127.0.0.1) and
real TensorFlow workers. Every test here ends with no child process alive
(the autouse fixture checks it with psutil). At most two workers run at once.
"""

from __future__ import annotations

import json
import socket
import sys
import time

import numpy as np
import psutil
import pytest

from course_utils import distributed, maths

STEPS = 30  # enough steps for a wrong run to show; few enough to be quick
TORCH_ARGS = ["--steps", str(STEPS), "--batch-size", "128"]


WORKER_MODULES = ("course_utils.ddp_mnist", "course_utils.tf_distributed", "torch.distributed.run")


def _survivors(since: float) -> list[psutil.Process]:
    """Our children, and any worker process started since ``since`` (an orphan has
    no parent here any more, so it is found by its command line)."""
    found = {p.pid: p for p in psutil.Process().children(recursive=True)}
    for p in psutil.process_iter(["cmdline", "create_time"]):
        cmdline = " ".join(p.info["cmdline"] or [])
        if p.info["create_time"] >= since and any(m in cmdline for m in WORKER_MODULES):
            found[p.pid] = p
    alive = []
    for p in found.values():
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture(autouse=True)
def no_child_survives():
    since = time.time() - 1
    yield
    deadline = time.time() + 5
    while (alive := _survivors(since)) and time.time() < deadline:
        time.sleep(0.2)
    if alive:
        names = []
        for p in alive:
            try:
                names.append(p.cmdline())
                p.kill()  # clean up, then fail
            except psutil.NoSuchProcess:
                pass
        pytest.fail(f"processes outlived the test: {names}")


# ------------------------------------------------------------------ the maths in NumPy
@pytest.mark.parametrize("workers", [2, 4])
def test_averaged_shard_gradients_equal_the_full_batch_gradient(workers):
    params = maths.init_mlp((20, 16, 10), seed=0)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(128, 20)), rng.integers(0, 10, 128)
    loss, full = distributed.mlp_mean_gradients(params, x, y)
    parts = [distributed.mlp_mean_gradients(params, xs, ys)
             for xs, ys in distributed.shard_batch(x, y, workers)]
    averaged = distributed.all_reduce_mean([g for _, g in parts])
    for key in full:
        np.testing.assert_allclose(averaged[key], full[key], rtol=1e-12, atol=1e-15)
    assert np.mean([l for l, _ in parts]) == pytest.approx(loss, rel=1e-12)
    # summing instead of averaging is K times too large: the check can tell
    assert not np.allclose(averaged["W1"] * workers, full["W1"], rtol=1e-3)


def test_uneven_shards_and_bad_inputs_are_refused():
    x, y = np.zeros((10, 3)), np.zeros(10, int)
    with pytest.raises(ValueError, match="multiple of workers=4"):
        distributed.shard_batch(x, y, 4)
    with pytest.raises(TypeError, match="workers"):
        distributed.shard_batch(x, y, 2.0)
    with pytest.raises(ValueError, match="same length"):
        distributed.shard_batch(x, y[:5], 5)
    with pytest.raises(ValueError, match="keys"):
        distributed.all_reduce_mean([{"a": np.ones(2)}, {"b": np.ones(2)}])
    with pytest.raises(TypeError, match="list of dicts"):
        distributed.all_reduce_mean({"a": np.ones(2)})


def test_ring_cost_and_memory_arithmetic():
    assert distributed.ring_all_reduce_bytes(100.0, 1) == 0
    assert distributed.ring_all_reduce_bytes(100.0, 2) == 100
    assert distributed.ring_all_reduce_bytes(100.0, 4) == 150
    assert distributed.ring_all_reduce_bytes(100.0, 1000) == pytest.approx(199.8)
    n, k = 7.5e9, 64  # ZeRO paper's example: 7.5 B parameters on 64 devices
    dp = distributed.memory_per_device(n, k, "dp").total
    assert dp == 16 * n == 120e9
    assert distributed.memory_per_device(n, k, "zero1").total == pytest.approx(
        4 * n + 12 * n / k)  # 31.4 GB in Rajbhandari et al. (2020), Figure 1
    assert distributed.memory_per_device(n, k, "zero2").total == pytest.approx(2 * n + 14 * n / k)
    assert distributed.memory_per_device(n, k, "zero3").total == pytest.approx(16 * n / k)
    with pytest.raises(ValueError, match="scheme"):
        distributed.memory_per_device(n, k, "zero4")
    with pytest.raises(ValueError, match="devices"):
        distributed.memory_per_device(n, 0)


# ------------------------------------------------------------------ the launcher
def test_a_timeout_kills_the_whole_process_group(tmp_path):
    # the child starts a grandchild that writes its pid; both sleep; neither may survive
    pid_file = tmp_path / "grandchild.pid"
    grandchild = (f"import os, time; open({str(pid_file)!r}, 'w').write(str(os.getpid())); "
                  "time.sleep(60)")
    code = ("import subprocess, sys, time; "
            f"subprocess.Popen([sys.executable, '-c', {grandchild!r}]); time.sleep(60)")
    start = time.perf_counter()
    with pytest.raises(distributed.WorkerTimeout, match="timeout=3 s"):
        distributed.run_workers([[sys.executable, "-c", code]], timeout=3)
    assert time.perf_counter() - start < 15
    pid = int(pid_file.read_text())  # it did start
    deadline = time.time() + 5
    while psutil.pid_exists(pid) and time.time() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    else:
        if psutil.pid_exists(pid):
            psutil.Process(pid).kill()
            pytest.fail("the grandchild outlived the timeout: the process group was not killed")


def test_the_launcher_checks_its_arguments():
    with pytest.raises(TypeError, match="commands"):
        distributed.run_workers("python")
    with pytest.raises(ValueError, match="timeout"):
        distributed.run_workers([["true"]], timeout=0)
    with pytest.raises(ValueError, match="node_rank"):
        distributed.torchrun_command("m", nnodes=2, node_rank=2, master_port=1234)


# ------------------------------------------------------------------ real processes
def _torch(out, *extra, nproc=2, port=None, timeout=90, **kw):
    port = port or distributed.free_port()
    command = distributed.torchrun_command(
        "course_utils.ddp_mnist", ["--out", str(out), *TORCH_ARGS, *extra],
        nproc=nproc, master_port=port, **kw)
    return distributed.run_workers([command], timeout=timeout)


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    out = tmp_path_factory.mktemp("single") / "single.npz"
    command = [sys.executable, "-m", "course_utils.ddp_mnist", "--out", str(out), *TORCH_ARGS]
    distributed.run_workers([command], timeout=90).check()
    return dict(np.load(out))


@pytest.mark.slow
def test_two_ddp_workers_equal_one_process_and_an_unsynchronised_run_does_not(
    single, tmp_path
):
    _torch(tmp_path / "ddp.npz").check()
    ddp = dict(np.load(tmp_path / "ddp.npz"))
    assert int(ddp["world_size"]) == 2 and len(ddp["losses"]) == STEPS
    diff = distributed.assert_same_run(ddp, single, tol=1e-5)
    assert diff["loss"] < 1e-5 and diff["weights"] < 1e-5

    _torch(tmp_path / "broken.npz", "--no-sync").check()
    broken = dict(np.load(tmp_path / "broken.npz"))
    with pytest.raises(AssertionError, match="the two runs differ"):
        distributed.assert_same_run(broken, single, tol=1e-5)


@pytest.mark.slow
def test_two_nodes_on_localhost_equal_one_process(single, tmp_path):
    port = distributed.free_port()
    commands = [
        distributed.torchrun_command(
            "course_utils.ddp_mnist", ["--out", str(tmp_path / f"node{i}.npz"), *TORCH_ARGS],
            nproc=1, nnodes=2, node_rank=i, master_port=port)
        for i in range(2)
    ]
    distributed.run_workers(commands, timeout=90).check()
    assert (tmp_path / "node0.npz").exists() and not (tmp_path / "node1.npz").exists()
    distributed.assert_same_run(dict(np.load(tmp_path / "node0.npz")), single, tol=1e-5)


@pytest.mark.slow
def test_a_killed_worker_stops_the_other_in_bounded_time(tmp_path):
    start = time.perf_counter()
    run = _torch(tmp_path / "dead.npz", "--die-at-step", "5", "--timeout", "10")
    seconds = time.perf_counter() - start
    assert run.returncodes[0] != 0 and seconds < 60
    assert "SIGKILL" in run.outputs[0] and "rank      : 1" in run.outputs[0]
    assert not (tmp_path / "dead.npz").exists()


@pytest.mark.slow
def test_a_silent_worker_hits_the_process_group_timeout(tmp_path):
    start = time.perf_counter()
    run = _torch(tmp_path / "hung.npz", "--hang-at-step", "5", "--timeout", "3")
    seconds = time.perf_counter() - start
    assert run.returncodes[0] != 0 and seconds < 60
    assert "Timed out waiting 3000ms" in run.outputs[0]


def test_a_busy_port_gives_a_clear_error_not_a_hang(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        start = time.perf_counter()
        run = _torch(tmp_path / "busy.npz", port=port, timeout=60)
        assert time.perf_counter() - start < 60
        assert distributed.free_port() != port  # the fix: ask for a fresh port
    assert run.returncodes[0] != 0
    assert "EADDRINUSE" in run.outputs[0] and "address already in use" in run.outputs[0]


@pytest.mark.slow
def test_tensorflow_multiworker_equals_one_process(single, tmp_path):
    ports = [distributed.free_port() for _ in range(2)]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    envs = [{"TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}),
             "TF_CPP_MIN_LOG_LEVEL": "2"} for i in range(2)]
    out = tmp_path / "multi.npz"
    command = [sys.executable, "-m", "course_utils.tf_distributed", "--out", str(out),
               "--steps", str(STEPS)]
    distributed.run_workers([command, command], envs=envs, timeout=120).check()
    distributed.assert_same_run(dict(np.load(out)), single, tol=1e-5)
