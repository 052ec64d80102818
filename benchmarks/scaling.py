"""Scaling laws on MNIST: the full sweeps of lesson 7, written to a JSON file.

Usage (from the repository root, in the course's environment; offline,
``export COURSE_DATA_DIR=/path/to/data`` first):

    python benchmarks/scaling.py                      # every sweep (about 10 minutes)
    python benchmarks/scaling.py --sweeps width       # one sweep only
    python benchmarks/scaling.py --framework pytorch  # the same runs in PyTorch
    python benchmarks/scaling.py --output /tmp/s.json # somewhere else

Every run trains one 784-h-10 MLP with the one recipe of
:data:`course_utils.scaling.RECIPE` (SGD, momentum 0.9, batches of 128, a
learning rate falling from 0.1 to 0 along a cosine), from the seeded initial
weights and batch order of :mod:`course_utils.scaling`, and measures the
cross-entropy on the 10,000 test images. Three sweeps:

* ``width``: hidden widths 4 to 512 (N from 3,190 to 407,050 parameters,
  128 x), each on the 60,000 training images for 300,000 examples seen;
* ``data``: width 128, the first 1,000 to 60,000 training images, each for
  300,000 examples seen;
* ``isoflop``: budgets C of 3e9 to 1e11 FLOPs; for each, every width of
  2, 4, ..., 1024 whose D = C / (6 N) lies between 10,000 and 2,000,000.

The width and data sweeps run every point with each of ``--seeds``. The file
records the command, the date, the versions, the machine and every run; the
lesson reads it (``benchmarks/results/scaling.json``). The script prints the
fits as it finishes (``--summary-only`` prints them for a stored file); the
parabola of each isoFLOP curve is fitted to the five sizes around its
minimum: they are measurements, not tests, so it always exits 0
unless a run fails.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

import course_utils  # noqa: E402
from course_utils import scaling  # noqa: E402

OUTPUT = ROOT / "benchmarks" / "results" / "scaling.json"
WIDTHS = (4, 8, 16, 32, 64, 128, 256, 512)
WIDTH_EXAMPLES = 300_000
DATA_HIDDEN = 128
DATA_SIZES = (1_000, 2_000, 5_000, 10_000, 20_000, 60_000)
DATA_EXAMPLES = 300_000
BUDGETS = (3e9, 1e10, 3e10, 1e11)
ISOFLOP_WIDTHS = (2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
ISOFLOP_EXAMPLES = (10_000, 2_000_000)
ISOFLOP_WINDOW = 5  # the parabola is fitted to the 5 sizes around each minimum


def isoflop_grid(budget: float) -> list[tuple[int, int]]:
    """(hidden, examples) of every width whose D = C / (6 N) lies in the allowed range."""
    low, high = ISOFLOP_EXAMPLES
    grid = []
    for hidden in ISOFLOP_WIDTHS:
        examples = scaling.isoflop_examples(budget, scaling.mlp_parameters(hidden))
        if low <= examples <= high:
            grid.append((hidden, int(round(examples))))
    return grid


def _versions() -> dict:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "torch", "tensorflow-cpu", "tensorflow"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            pass
    return out


def _commit() -> str:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _write_atomic(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=1)
        handle.write("\n")
    os.chmod(tmp, 0o644)  # mkstemp makes it private; a result file is for everyone
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sweeps", nargs="+", default=["width", "data", "isoflop"],
                        choices=["width", "data", "isoflop"])
    parser.add_argument("--framework", default="tensorflow", choices=scaling.FRAMEWORKS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--summary-only", action="store_true",
                        help="print the fits of the stored --output file; train nothing")
    args = parser.parse_args(argv)
    if args.summary_only:
        summarize(scaling.load_results(args.output))
        return 0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    (x_train, y_train), (x_test, y_test) = course_utils.load_mnist()
    x_train, x_test = scaling.flatten_images(x_train), scaling.flatten_images(x_test)
    started = time.perf_counter()
    result = {
        "command": " ".join(["python benchmarks/scaling.py",
                             *(sys.argv[1:] if argv is None else argv)]),
        "provenance": {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "commit": _commit(),
            "framework": args.framework,
            "seeds": args.seeds,
            "versions": _versions(),
            "machine": f"{platform.platform()}, {platform.processor() or platform.machine()}, "
                       f"{os.cpu_count()} CPUs",
            "load_average_at_start": list(os.getloadavg()),
        },
        "recipe": {"batch_size": scaling.RECIPE.batch_size,
                   "learning_rate": scaling.RECIPE.learning_rate,
                   "momentum": scaling.RECIPE.momentum, "schedule": "cosine to 0"},
    }

    def run(label: str, x: np.ndarray, y: np.ndarray, **kw) -> dict:
        r = scaling.train_mlp(x, y, x_test, y_test, framework=args.framework, **kw)
        print(f"{label:8s} h={r['hidden']:5d} N={r['parameters']:9,d} D={r['examples']:10,d} "
              f"C={r['compute']:.2e} test loss {r['test_loss']:.4f} acc {r['test_accuracy']:.4f} "
              f"({r['seconds']:.1f} s)", flush=True)
        return r

    if "width" in args.sweeps:
        runs = [dict(run("width", x_train, y_train, hidden=h, examples=WIDTH_EXAMPLES, seed=s),
                     seed=s) for h in WIDTHS for s in args.seeds]
        result["width_sweep"] = {"examples": WIDTH_EXAMPLES, "train_size": len(x_train),
                                 "runs": runs}
    if "data" in args.sweeps:
        runs = []
        for size in DATA_SIZES:
            for s in args.seeds:
                r = run("data", x_train[:size], y_train[:size], hidden=DATA_HIDDEN,
                        examples=DATA_EXAMPLES, seed=s)
                runs.append(dict(r, seed=s, train_size=size))
        result["data_sweep"] = {"hidden": DATA_HIDDEN, "examples": DATA_EXAMPLES, "runs": runs}
    if "isoflop" in args.sweeps:
        runs = []
        for budget in BUDGETS:
            for hidden, examples in isoflop_grid(budget):
                r = run("isoflop", x_train, y_train, hidden=hidden, examples=examples,
                        seed=args.seeds[0])
                runs.append(dict(r, seed=args.seeds[0], budget=budget))
        result["isoflop"] = {"budgets": list(BUDGETS), "runs": runs}
    result["provenance"]["seconds"] = round(time.perf_counter() - started, 1)
    _write_atomic(args.output, result)
    print(f"wrote {args.output} after {result['provenance']['seconds']:.0f} s")
    summarize(result)
    return 0


def summarize(result: dict) -> None:
    """Print the fits of every sweep in ``result``."""
    def mean_by(runs: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
        xs = sorted({r[key] for r in runs})
        return (np.array(xs, dtype=float),
                np.array([np.mean([r["test_loss"] for r in runs if r[key] == x]) for x in xs]))

    if "width_sweep" in result:
        n, loss = mean_by(result["width_sweep"]["runs"], "parameters")
        print("L(N):", scaling.fit_power_law(n, loss).describe())
    if "data_sweep" in result:
        d, loss = mean_by(result["data_sweep"]["runs"], "train_size")
        print("L(D):", scaling.fit_power_law(d, loss).describe())
    if "isoflop" in result:
        runs = result["isoflop"]["runs"]
        stars = []
        for budget in result["isoflop"]["budgets"]:
            sub = [r for r in runs if r["budget"] == budget]
            opt = scaling.isoflop_optimum([r["parameters"] for r in sub],
                                          [r["test_loss"] for r in sub], window=ISOFLOP_WINDOW)
            stars.append(opt.parameters)
            print(f"C = {budget:.0e}: N* = {opt.parameters:,.0f} (loss {opt.loss:.4f}, "
                  f"interior: {opt.interior})")
        fit = scaling.fit_exponent(result["isoflop"]["budgets"], stars)
        print(f"N* ~ C^a: a = {fit.exponent:.3f} ± {fit.exponent_stderr:.3f}")


if __name__ == "__main__":
    sys.exit(main())
