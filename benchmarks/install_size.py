"""Install the course into a fresh virtual environment and print its time and size.

    python benchmarks/install_size.py [--extras dev] [--source DIR] [--constraints FILE]

The environment is created in a temporary folder with ``python -m venv`` and
filled with ``pip install --no-cache-dir`` (a cold cache: every wheel is
fetched and unpacked again), using the same package options as the Makefile
(PyTorch's CPU index on Linux when it is reachable). It prints the wall time
of the install and the environment's size on disk, then deletes it.
``--source`` installs another copy of the project, e.g. an older commit
unpacked with ``git archive``; by default the package is this checkout.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import torch_index  # noqa: E402  (tools/torch_index.py, as the Makefile uses it)


def folder_size(path: Path) -> int:
    """Bytes on disk under ``path`` (allocated blocks, as ``du`` counts them)."""
    total = 0
    seen: set[tuple[int, int]] = set()
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default="", help="e.g. dev, or test,book (default: none)")
    parser.add_argument("--source", type=Path, default=ROOT, help="the project folder to install")
    parser.add_argument("--constraints", type=Path, default=None, help="pip -c file")
    parser.add_argument("--torch-index", default="https://download.pytorch.org/whl/cpu")
    args = parser.parse_args(argv)
    source = args.source.resolve()
    if not (source / "pyproject.toml").is_file():
        parser.error(f"--source: expected a folder holding pyproject.toml, got {source}")
    target = str(source) + (f"[{args.extras}]" if args.extras else "")
    with tempfile.TemporaryDirectory(prefix="course-install-") as tmp:
        # Build from a copy, so that the checkout gets no build/ or egg-info.
        copy = Path(tmp) / "src"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns(
            ".venv", ".git", "book", "notebooks", "assignments", "tests", "build"))
        target = str(copy) + (f"[{args.extras}]" if args.extras else "")
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        command = [str(python), "-m", "pip", "install", "--no-cache-dir", "--quiet",
                   "--disable-pip-version-check", "--progress-bar", "off"]
        command += torch_index.main(args.torch_index).split()
        if args.constraints:
            command += ["-c", str(args.constraints.resolve())]
        command.append(target)
        before = folder_size(venv)
        start = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - start
        size = folder_size(venv)
        pip_list = subprocess.run([str(python), "-m", "pip", "list", "--format=freeze"],
                                  capture_output=True, text=True, check=True).stdout.split()
    label = f"pip install {'.' if source == ROOT else source}" + (f"[{args.extras}]" if args.extras else "")
    if args.constraints:
        label += f" -c {args.constraints}"
    print(f"{label}: {len(pip_list)} packages, {size / 1e9:.2f} GB on disk "
          f"(empty venv {before / 1e6:.0f} MB), install took {seconds:.0f} s "
          "with --no-cache-dir")
    return 0


if __name__ == "__main__":
    sys.exit(main())
