"""Execute the lesson notebooks, and check that each pair is consistent.

Usage (from the repository root, inside the course's virtual environment):

    python tools/notebooks.py execute [notebooks/NN_name.py ...]
        Run each lesson's .py (the source of truth) top to bottom in a fresh
        kernel, with notebooks/ as the working folder and fixed seeds, and
        write the outputs into the paired .ipynb. With no argument: every
        lesson. The .ipynb is replaced atomically only when the run succeeds.

    python tools/notebooks.py check
        For the lessons in notebooks/ and their Chinese twins in
        notebooks/zh_CN/ (see tools/translations.py), fail (exit 1) when a
        .py and its .ipynb differ in anything but
        outputs, when one of a pair is missing, when a notebook holds
        cells that were never executed, or when a lesson's code is not laid
        out as `ruff format` (notebooks/ruff.toml) lays it out, or has a code
        line longer than 80 characters (the book's code cells show about 80).

    python tools/notebooks.py update-text notebooks/NN_name.py ...
        Copy edits of markdown cells from a lesson's .py into its .ipynb
        without running anything, so that a corrected sentence does not
        need a new run. Refuses (exit 1) when a code cell, or the number or
        kind of cells, differs: then the lesson must be executed.

    python tools/notebooks.py nbval [pytest options]
        Run every lesson .ipynb under nbval, comparing outputs after the
        rules in tests/nbval_sanitize.cfg, preceded by one that removes this
        checkout's own location (stored outputs name it relatively, see
        tidy_outputs; a fresh run names it wherever the clone happens to be).

`jupytext --sync` picks whichever file is newer, so it cannot serve as a
check; this script converts each .ipynb back to text and compares.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

from course_utils.lesson_format import WIDGET_MIME, jupytext_sources, stable_cell_id

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
TEXT_FORMAT = "py:percent"
SANITIZE_RULES = ROOT / "tests" / "nbval_sanitize.cfg"
RUFF_CONFIG = NOTEBOOKS / "ruff.toml"
CODE_WIDTH = 80  # characters of code the book shows without scrolling


def checkout_prefix(root: Path = ROOT) -> str:
    """The text that stands for ``root`` at the start of a path in an output."""
    return f"{root}{os.sep}"


def lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    """The lesson sources: every ``.py`` in ``folder`` that is a Jupytext notebook."""
    return jupytext_sources(folder)


def stable_ids(nb: nbformat.NotebookNode) -> None:
    """Give cells ids that depend on their position and source, not on chance,
    so that executing twice writes the same file."""
    for index, cell in enumerate(nb.cells):
        cell["id"] = stable_cell_id(index, cell.source)


def tidy_outputs(nb: nbformat.NotebookNode) -> None:
    """Make outputs independent of timing and chance, so that a rerun writes the same file.

    Consecutive prints to the same stream are merged into one output (how
    they are split depends on when the kernel flushed), and widget views get
    ids derived from their cell: widget state is not stored, so the ids in
    the file point at nothing, and random ones would only make every run differ.
    Paths into this checkout (warnings and tracebacks name files in .venv)
    become relative, so that the published notebooks don't show the folder
    they happened to be executed in.
    """
    checkout = checkout_prefix()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged: list = []
        for output in cell.outputs:
            previous = merged[-1] if merged else None
            if (
                output.output_type == "stream"
                and previous is not None
                and previous.output_type == "stream"
                and previous.name == output.name
            ):
                previous.text += output.text
            else:
                merged.append(output)
        cell.outputs = merged
        for output in cell.outputs:
            if output.output_type == "stream":
                output.text = output.text.replace(checkout, "")
            elif output.output_type == "error":
                output.traceback = [line.replace(checkout, "") for line in output.traceback]
        for number, output in enumerate(cell.outputs):
            view = output.get("data", {}).get(WIDGET_MIME)
            if view is not None:
                view["model_id"] = f"{cell.id}-{number}"


def execute(py_path: Path, timeout: int = 600) -> float:
    """Execute ``py_path`` and write the outputs to its paired ``.ipynb``; return seconds."""
    nb = jupytext.read(py_path)
    stable_ids(nb)
    env_before = dict(os.environ)
    os.environ["PYTHONHASHSEED"] = "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    started = time.perf_counter()
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(py_path.parent)}},
            record_timing=False,
            store_widget_state=False,
        )
        client.execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    seconds = time.perf_counter() - started
    tidy_outputs(nb)
    target = py_path.with_suffix(".ipynb")
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".ipynb")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    try:
        jupytext.write(nb, tmp, fmt="ipynb")
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes it private; give it a normal file's mode
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return seconds


def layout_problems(sources: list[Path], config: Path = RUFF_CONFIG) -> list[str]:
    """Lessons in ``sources`` whose code ``ruff format`` would change, and code lines too long.

    ``ruff format --check`` is the judge of layout (it reads a Jupytext
    percent file as the Python it is). The formatter cannot break a long
    string or comment, so code-cell lines longer than CODE_WIDTH are listed
    separately; markdown cells are prose, which the book wraps.
    """
    problems: list[str] = []
    if not sources:
        return problems
    for py_path in sources:
        # One file per call: the exit status (1: would reformat) is the
        # verdict, whatever the report looks like in this version of ruff.
        command = [sys.executable, "-m", "ruff", "format", "--check", "--quiet",
                   "--config", str(config), str(py_path)]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode == 1:
            problems.append(
                f"{py_path.name} is not formatted; run: ruff format --config "
                f"notebooks/ruff.toml notebooks/{py_path.name} (then `make notebooks`)"
            )
        elif result.returncode != 0:
            raise RuntimeError(
                f"ruff format failed on {py_path} ({result.returncode}): "
                f"{(result.stderr or result.stdout).strip()}"
            )
    for py_path in sources:
        nb = jupytext.read(py_path)
        long_lines = [
            line
            for cell in nb.cells
            if cell.cell_type == "code"
            for line in cell.source.splitlines()
            if len(line) > CODE_WIDTH
        ]
        if long_lines:
            shown = "\n".join(f"    {line}" for line in long_lines[:5])
            problems.append(
                f"{py_path.name} has {len(long_lines)} code line(s) longer than {CODE_WIDTH} "
                f"characters; split the strings or comments:\n{shown}"
            )
    return problems


def check(folder: Path = NOTEBOOKS) -> list[str]:
    """Return a list of problems with the notebook pairs in ``folder`` (empty when all is well)."""
    problems: list[str] = []
    sources = lessons(folder)
    problems.extend(layout_problems(sources))
    for py_path in sources:
        if not py_path.with_suffix(".ipynb").is_file():
            problems.append(f"{py_path.name} has no executed {py_path.stem}.ipynb (run: make notebooks)")
    for ipynb in sorted(folder.glob("*.ipynb")):
        py_path = ipynb.with_suffix(".py")
        if not py_path.is_file():
            problems.append(f"{ipynb.name} has no paired {py_path.name}")
            continue
        nb = jupytext.read(ipynb)
        expected = jupytext.writes(nb, fmt=TEXT_FORMAT)
        actual = py_path.read_text(encoding="utf-8")
        if expected != actual:
            import difflib

            diff = "".join(
                list(
                    difflib.unified_diff(
                        actual.splitlines(keepends=True),
                        expected.splitlines(keepends=True),
                        fromfile=str(py_path.name),
                        tofile=f"{ipynb.name} as {TEXT_FORMAT}",
                    )
                )[:40]
            )
            problems.append(
                f"{py_path.name} and {ipynb.name} differ; edit the .py, then run "
                f"`make notebooks` to regenerate the .ipynb:\n{diff}"
            )
        unexecuted = [
            i
            for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.source.strip() and cell.get("execution_count") is None
        ]
        if unexecuted:
            problems.append(
                f"{ipynb.name} has code cells that were never executed (cells {unexecuted[:10]}); "
                "run `make notebooks` so that its outputs come from one scripted run"
            )
    return problems


def update_text(py_path: Path) -> int:
    """Copy the markdown of ``py_path`` into its paired .ipynb; return how many cells changed."""
    ipynb = py_path.with_suffix(".ipynb")
    nb = nbformat.read(ipynb, as_version=4)
    text = jupytext.read(py_path)
    if [c.cell_type for c in nb.cells] != [c.cell_type for c in text.cells]:
        raise SystemExit(f"{py_path.name}: its cells differ in number or kind from {ipynb.name}; execute it")
    changed = 0
    for index, (cell, source) in enumerate(zip(nb.cells, text.cells)):
        if cell.cell_type == "code" and (cell.source != source.source or cell.metadata != source.metadata):
            raise SystemExit(f"{py_path.name}: code cell {index} changed; execute the lesson instead")
        if cell.cell_type == "markdown" and (cell.source != source.source or cell.metadata != source.metadata):
            cell.source, cell.metadata = source.source, source.metadata
            changed += 1
    stable_ids(nb)
    fd, tmp = tempfile.mkstemp(dir=ipynb.parent, prefix=f".{ipynb.stem}.", suffix=".ipynb")
    os.close(fd)
    nbformat.write(nb, tmp)
    os.replace(tmp, ipynb)
    return changed


def sanitize_rules(root: Path = ROOT, rules: Path = SANITIZE_RULES) -> str:
    """nbval's sanitize file for a checkout at ``root``.

    Its first rule deletes ``root/`` wherever it appears, exactly as
    tidy_outputs does before a notebook is stored, so a warning that names
    ``/any/clone/.venv/...`` compares equal to the stored ``.venv/...``. The
    fixed rules follow; nbval applies them in the order of the file.
    """
    prefix = checkout_prefix(root)
    if "\n" in prefix:
        raise ValueError(f"a checkout path must be one line, got {prefix!r}")
    return (
        "[this checkout's location, which tidy_outputs removes from stored outputs]\n"
        f"regex: {re.escape(prefix)}\n"
        "replace: \n\n"
        + rules.read_text(encoding="utf-8")
    )


def run_nbval(pytest_args: list[str]) -> int:
    """Run nbval on every lesson notebook with :func:`sanitize_rules`; return pytest's exit code."""
    notebooks = sorted(str(p.relative_to(ROOT)) for p in NOTEBOOKS.glob("*.ipynb"))
    if not notebooks:
        print("no lesson notebooks yet")
        return 0
    with tempfile.TemporaryDirectory(prefix="nbval-") as folder:
        config = Path(folder) / "sanitize.cfg"
        config.write_text(sanitize_rules(), encoding="utf-8")
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--nbval",
                   "--nbval-sanitize-with", str(config), *pytest_args, *notebooks]
        return subprocess.call(command, cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("execute", help="execute lessons and write their .ipynb")
    run.add_argument("paths", nargs="*", type=Path, help="lesson .py files (default: all)")
    run.add_argument("--timeout", type=int, default=600, help="seconds allowed per cell")
    sub.add_parser("check", help="check that every pair is consistent and executed")
    text = sub.add_parser("update-text", help="copy markdown edits from .py files into their .ipynb")
    text.add_argument("paths", nargs="+", type=Path, help="lesson .py files")
    sub.add_parser("nbval", help="run the lesson notebooks under nbval (extra arguments go to pytest)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.command != "nbval":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "nbval":
        return run_nbval(extra)

    if args.command == "update-text":
        for path in args.paths:
            print(f"{path}: {update_text(path.resolve())} markdown cell(s) copied into the .ipynb")
        return 0

    if args.command == "check":
        folders = [NOTEBOOKS] + ([NOTEBOOKS / "zh_CN"] if (NOTEBOOKS / "zh_CN").is_dir() else [])
        problems = [p for folder in folders for p in check(folder)]
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        count = sum(len(lessons(folder)) for folder in folders)
        print(f"notebook pairs: {count} checked ({len(folders)} languages), {len(problems)} problem(s)")
        return 1 if problems else 0

    paths = [p.resolve() for p in args.paths] or lessons()
    for path in paths:
        if path.suffix != ".py" or not path.is_file():
            parser.error(f"expected a lesson .py file, got {path}")
    for path in paths:
        seconds = execute(path, timeout=args.timeout)
        print(f"{path.relative_to(ROOT)}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
