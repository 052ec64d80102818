"""nanoGPT's CPU recipe for Tiny Shakespeare in PyTorch and Keras: speed against a compute floor, and the loss.

Usage (from the repository root, inside the course's environment):

    python benchmarks/tiny_gpt.py [--steps 2000] [--frameworks torch,keras]

The recipe (nanoGPT's README, "I only have a macbook"): 4 layers, 4 heads,
width 128, context 64, batches of 12, 2,000 iterations, dropout 0; here AdamW
at a constant learning rate of 1e-3. Both frameworks train
``course_utils.gpt.GPTConfig()`` on the same seeded batches.

The floor is what the run would take if every floating-point operation ran
at the machine's matrix-multiply rate: ``flops_per_token`` (6 N plus the
attention terms, :func:`course_utils.gpt.flops_per_token`) times the tokens
of one iteration, divided by the rate of a large float32 matrix product that
this run measures in each framework; the faster of the two is the machine's
rate and sets one floor for both. The ratio ``s/iteration / floor`` says how
far each framework is from compute-bound. Timings exclude evaluation.
Run it on an otherwise idle machine: on a busy one the figures only say how
busy it was.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


from course_utils import gpt, text_data  # noqa: E402

MATMUL_N = 1024


def torch_matmul_rate(repeats: int = 20) -> float:
    import torch

    a, b = torch.randn(MATMUL_N, MATMUL_N), torch.randn(MATMUL_N, MATMUL_N)
    a @ b  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * MATMUL_N**3 * repeats / (time.perf_counter() - start)


def tf_matmul_rate(repeats: int = 20) -> float:
    import tensorflow as tf

    a, b = tf.random.normal((MATMUL_N, MATMUL_N)), tf.random.normal((MATMUL_N, MATMUL_N))
    (a @ b).numpy()
    start = time.perf_counter()
    for _ in range(repeats):
        c = a @ b
    c.numpy()
    return 2 * MATMUL_N**3 * repeats / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--frameworks", default="torch,keras")
    parser.add_argument("--eval-batches", type=int, default=50)
    # Variations of the recipe, to see what moves the final loss (defaults: the recipe).
    parser.add_argument("--seed", type=int, default=0, help="seeds the initial weights and the batches")
    parser.add_argument("--beta2", type=float, default=0.99, help="AdamW's second-moment decay")
    parser.add_argument("--weight-decay", type=float, default=0.1, help="AdamW's decay of the matrices")
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--threads", type=int, default=0,
                        help="threads per library (0: each library's default, all cores); "
                        "1 on a busy machine")
    args = parser.parse_args(argv)
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
    frameworks = [f.strip() for f in args.frameworks.split(",") if f.strip()]
    unknown = sorted(set(frameworks) - {"torch", "keras"})
    if unknown:
        parser.error(f"--frameworks takes torch and/or keras; got {unknown}")

    text = text_data.load_tinyshakespeare()
    vocab = text_data.CharVocabulary(text)
    train_ids, val_ids = text_data.split_ids(vocab.encode(text))
    config = gpt.GPTConfig()
    batch_size = 12
    tokens = batch_size * config.block_size
    flops_iteration = gpt.flops_per_token(config) * tokens
    print(f"config {config}; {gpt.parameter_count(config):,} parameters; "
          f"{gpt.flops_per_token(config):,} FLOPs per token; {tokens} tokens per iteration; "
          f"{args.steps} iterations; AdamW lr {args.learning_rate:g}, beta2 {args.beta2:g}, "
          f"weight decay {args.weight_decay:g}, seed {args.seed}; cores {os.cpu_count()}, threads {args.threads or 'default'}, "
          f"load average {os.getloadavg()[0]:.1f}")

    rates, results = {}, {}
    for name in frameworks:
        if name == "torch":
            import torch

            from course_utils import torch_gpt as module

            if args.threads:
                torch.set_num_threads(args.threads)

            rates[name] = torch_matmul_rate()
        else:
            import tensorflow as tf

            from course_utils import tf_gpt as module

            if args.threads:
                tf.config.threading.set_intra_op_parallelism_threads(args.threads)
                tf.config.threading.set_inter_op_parallelism_threads(args.threads)

            rates[name] = tf_matmul_rate()
        model = module.build_gpt(config, seed=args.seed)
        history = module.train(model, train_ids, val_ids, steps=args.steps, batch_size=batch_size,
                               learning_rate=args.learning_rate, weight_decay=args.weight_decay,
                               beta2=args.beta2, seed=args.seed,
                               eval_every=args.steps, eval_batches=args.eval_batches)
        results[name] = (history["seconds"][0] / args.steps, history["val_loss"][-1],
                         module.count_parameters(model))
    rate = max(rates.values())
    floor = flops_iteration / rate
    print(f"matmul rate ({MATMUL_N}^3, float32): " + ", ".join(f"{k} {v / 1e9:.1f} GFLOP/s" for k, v in rates.items())
          + f"; floor {floor * 1e3:.1f} ms per iteration; load average now {os.getloadavg()[0]:.1f}")
    print()
    print("| framework | parameters | tokens/s | s/iteration | ratio to floor | val loss |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, (seconds, val_loss, count) in results.items():
        label = "PyTorch" if name == "torch" else "Keras 3 (TensorFlow)"
        print(f"| {label} | {count:,} | {tokens / seconds:,.0f} | {seconds:.4f} | {seconds / floor:.2f} | "
              f"{val_loss:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
