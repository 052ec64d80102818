"""Train lesson 4-6's MNIST MLP with PyTorch's DistributedDataParallel.

Run it with one plain process (the reference: one process, the whole batch)::

    python -m course_utils.ddp_mnist --out single.npz --batch-size 128

or with ``torchrun`` (K processes, each one shard of every batch)::

    python -m torch.distributed.run --nproc-per-node 2 \\
        --module course_utils.ddp_mnist --out ddp.npz --batch-size 128

and on several machines, the same script unchanged::

    torchrun --nnodes 2 --node-rank 0 --nproc-per-node 8 \\
        --master-addr 10.0.0.1 --master-port 29500 \\
        --module course_utils.ddp_mnist --out ddp.npz    # on machine 0
    torchrun --nnodes 2 --node-rank 1 ...                 # on machine 1

``--batch-size`` is the *global* batch: with K processes each takes a
contiguous ``batch_size / K`` of the same batch, so K workers see exactly the
examples of the one-process run, in the same order. All start from the same
weights (``scaling.initial_parameters``). Rank 0 writes an ``.npz`` file
(atomically) with the loss of every step (the mean over all workers), the
final weights in the course layout and the step and all-reduce timings.

Flags for the lesson's experiments and tests: ``--no-sync`` skips the
gradient all-reduce (every worker trains on its own shard only: the result
must then differ), ``--die-at-step S --die-rank R`` kills rank R with SIGKILL
at step S, ``--hang-at-step S`` makes rank 1 stop answering (sleep) so that
the others hit the process-group timeout (``--timeout`` seconds).
"""

from __future__ import annotations

import argparse
import datetime
import os
import signal
import sys
import tempfile
import time
from contextlib import nullcontext
from pathlib import Path

import numpy as np


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path, help="the .npz to write")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128, help="global batch")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="process-group timeout in seconds"
    )
    parser.add_argument(
        "--no-sync",
        action="store_true",
        help="skip the gradient all-reduce (a broken run)",
    )
    parser.add_argument(
        "--time-comm",
        action="store_true",
        help="also time an all-reduce of the gradient's size",
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="torch threads in each process"
    )
    parser.add_argument("--die-at-step", type=int, default=None)
    parser.add_argument("--die-rank", type=int, default=1)
    parser.add_argument("--hang-at-step", type=int, default=None)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.batch_size < 1:
        parser.error(
            f"--steps and --batch-size must be >= 1; got {args.steps}, "
            f"{args.batch_size}"
        )
    if args.threads < 1:
        parser.error(f"--threads must be >= 1; got {args.threads}")
    if args.timeout <= 0:
        parser.error(f"--timeout must be > 0 seconds; got {args.timeout}")
    return args


def save_atomically(path: Path, **arrays: np.ndarray) -> None:
    """Write ``arrays`` to ``path`` (.npz) through a temporary file and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.savez(handle, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.nn.parallel import DistributedDataParallel as DDP

    from course_utils import data, scaling, torch_models

    torch.set_num_threads(args.threads)
    distributed = "RANK" in os.environ  # set by torchrun
    if distributed:
        dist.init_process_group(
            "gloo", timeout=datetime.timedelta(seconds=args.timeout)
        )
        rank, world = dist.get_rank(), dist.get_world_size()
    else:
        rank, world = 0, 1
    if args.batch_size % world:
        raise SystemExit(
            f"--batch-size {args.batch_size} must be a multiple of the {world} workers"
        )
    shard = args.batch_size // world

    (x_train, y_train), _ = data.load_mnist()
    order = scaling.batch_indices(
        len(x_train), args.steps * args.batch_size, args.batch_size, seed=args.seed
    )
    mine = order[:, rank * shard : (rank + 1) * shard]  # (steps, B/K): my shard
    images = torch.from_numpy(data.normalize_images(x_train[mine.ravel()]))
    images = images.reshape(args.steps, shard, 28, 28)
    labels = torch.from_numpy(y_train[mine].astype(np.int64))

    model = torch_models.build_mlp(output="logits")
    torch_models.set_dense_weights(model, scaling.initial_parameters(128, seed=0))
    net = DDP(model) if distributed else model
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=args.momentum)
    loss_fn = nn.CrossEntropyLoss()  # the mean over my shard
    flat = torch.zeros(sum(p.numel() for p in model.parameters()))

    losses, step_seconds, comm_seconds = [], [], []
    for step in range(args.steps):
        if args.die_at_step == step and rank == args.die_rank:
            os.kill(os.getpid(), signal.SIGKILL)  # a worker dies without a word
        if args.hang_at_step == step and rank == 1:
            time.sleep(3600)  # alive but silent: the others must time out
        start = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        # DDP averages the gradients during backward; inside no_sync (forward
        # and backward both) they stay local to each worker: a wrong run.
        local = net.no_sync() if distributed and args.no_sync else nullcontext()
        with local:
            loss = loss_fn(net(images[step]), labels[step])
            loss.backward()
        optimizer.step()
        mean_loss = loss.detach().clone()
        if distributed:  # the loss of the whole batch: the mean of the shards'
            dist.all_reduce(mean_loss)
            mean_loss /= world
        step_seconds.append(time.perf_counter() - start)
        losses.append(float(mean_loss))
        if args.time_comm and distributed:
            start = time.perf_counter()
            dist.all_reduce(flat)  # as many numbers as the gradient holds
            comm_seconds.append(time.perf_counter() - start)

    if rank == 0:
        weights = torch_models.get_dense_weights(model)
        save_atomically(
            args.out, losses=np.array(losses), world_size=np.array(world),
            step_seconds=np.array(step_seconds),
            comm_seconds=np.array(comm_seconds), **weights,
        )  # fmt: skip
        print(
            f"rank 0 of {world}: {args.steps} steps, last loss {losses[-1]:.6f}, "
            f"wrote {args.out}"
        )
    if distributed:
        dist.barrier()
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
