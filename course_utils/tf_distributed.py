"""Data-parallel training of the MNIST MLP with ``tf.distribute`` (TensorFlow's side).

Import this module only where TensorFlow is wanted. The same training loop
runs under three strategies, so that their results can be compared:

* the default strategy (one device, the whole batch): the reference;
* ``tf.distribute.MirroredStrategy`` over logical CPU devices in this process
  (:func:`split_cpu` creates them; it must run before TensorFlow uses a device);
* ``tf.distribute.MultiWorkerMirroredStrategy`` over worker processes that
  find each other through the ``TF_CONFIG`` environment variable. Run::

      TF_CONFIG='{"cluster": {"worker": ["127.0.0.1:P0", "127.0.0.1:P1"]},
                  "task": {"type": "worker", "index": 0}}' \\
          python -m course_utils.tf_distributed --out multi.npz

  once per worker (index 0, 1, ...); worker 0 (the chief) writes the file.

Every replica takes a contiguous ``batch_size / K`` of the same global batch,
as :mod:`course_utils.ddp_mnist` does, from the same initial weights.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from .validation import check_integer, check_real, describe

__all__ = ["split_cpu", "train"]


def split_cpu(devices: int) -> list[str]:
    """Split the CPU into ``devices`` logical devices; return their names.

    devices : int >= 1
        Must be called before TensorFlow initialises its devices (before the
        first tensor is made); afterwards TensorFlow raises a RuntimeError.
    """
    import tensorflow as tf

    devices = check_integer("devices", devices, low=1)
    (cpu,) = tf.config.list_physical_devices("CPU")
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(devices)]
    )
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def train(
    strategy: Any,
    images: np.ndarray,
    labels: np.ndarray,
    order: np.ndarray,
    *,
    learning_rate: float = 0.1,
    momentum: float = 0.9,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Train the MLP for ``len(order)`` steps under ``strategy``.

    strategy : tf.distribute.Strategy
        ``tf.distribute.get_strategy()`` for one device, a MirroredStrategy or a
        MultiWorkerMirroredStrategy.
    images : numpy.ndarray of uint8, shape (n, 28, 28)
    labels : numpy.ndarray of int, shape (n,)
    order : numpy.ndarray of int, shape (steps, batch_size)
        Which examples each step uses (``scaling.batch_indices``); the batch
        size must be a multiple of the replicas.

    Returns ``losses`` (the mean loss of each global batch), ``step_seconds``
    and the final weights ``W1, b1, W2, b2`` in the course layout.
    """
    import tensorflow as tf

    from . import data, scaling, tf_models

    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(
            f"strategy must be a tf.distribute.Strategy; got {describe(strategy)}."
        )
    learning_rate = check_real("learning_rate", learning_rate, low=0, low_open=True)
    momentum = check_real("momentum", momentum, low=0, high=1, high_open=True)
    order = np.asarray(order)
    if order.ndim != 2:
        raise ValueError(
            f"order must have shape (steps, batch_size); got {order.shape}."
        )
    steps, batch = order.shape
    replicas = strategy.num_replicas_in_sync
    if batch % replicas:
        raise ValueError(
            f"the batch size {batch} must be a multiple of the {replicas} replicas."
        )
    shard = batch // replicas
    x_all = data.normalize_images(images[order.ravel()]).reshape(steps, batch, 28, 28)
    y_all = labels[order].astype(np.int64)

    with strategy.scope():
        model = tf_models.build_mlp(output="logits")
        tf_models.set_dense_weights(model, scaling.initial_parameters(128, seed=seed))
        optimizer = tf.keras.optimizers.SGD(learning_rate, momentum=momentum)
        optimizer.build(model.trainable_variables)  # its slots, before any step

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            per_example = tf.keras.losses.sparse_categorical_crossentropy(
                y, logits, from_logits=True
            )
            # The sum over my shard divided by the GLOBAL batch: the all-reduce
            # then sums the replicas' gradients into the mean over the batch.
            loss = tf.reduce_sum(per_example) / batch
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def step(x, y):
        per_replica = strategy.run(replica_step, args=(x, y))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    losses, seconds = [], []
    for t in range(steps):

        def shard_of(context, part, t=t):
            k = context.replica_id_in_sync_group
            return tf.constant(part[t, k * shard : (k + 1) * shard])

        x = strategy.experimental_distribute_values_from_function(
            lambda c: shard_of(c, x_all)
        )
        y = strategy.experimental_distribute_values_from_function(
            lambda c: shard_of(c, y_all)
        )
        start = time.perf_counter()
        losses.append(float(step(x, y)))
        seconds.append(time.perf_counter() - start)
    weights = tf_models.get_dense_weights(model)
    return {"losses": np.array(losses), "step_seconds": np.array(seconds), **weights}


def main(argv: list[str] | None = None) -> int:
    """One worker of a MultiWorkerMirroredStrategy run (``TF_CONFIG`` says which)."""
    parser = argparse.ArgumentParser(
        description="One MultiWorkerMirroredStrategy worker."
    )
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds a collective may wait for a peer",
    )
    args = parser.parse_args(argv)
    if "TF_CONFIG" not in os.environ:
        parser.error("TF_CONFIG is not set; see this module's docstring")
    import json

    import tensorflow as tf

    from . import data, scaling
    from .ddp_mnist import save_atomically

    options = tf.distribute.experimental.CommunicationOptions(
        timeout_seconds=args.timeout,
        implementation=tf.distribute.experimental.CommunicationImplementation.RING,
    )
    strategy = tf.distribute.MultiWorkerMirroredStrategy(communication_options=options)
    (x_train, y_train), _ = data.load_mnist()
    order = scaling.batch_indices(
        len(x_train), args.steps * args.batch_size, args.batch_size
    )
    result = train(strategy, x_train, y_train, order)
    task = json.loads(os.environ["TF_CONFIG"])["task"]
    if task.get("index", 0) == 0:
        save_atomically(
            args.out, world_size=np.array(strategy.num_replicas_in_sync), **result
        )
        print(
            f"chief of {strategy.num_replicas_in_sync} workers: last loss "
            f"{result['losses'][-1]:.6f}, wrote {args.out}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
