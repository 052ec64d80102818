"""The lessons' first cell: it sets up Colab and Kaggle, and does nothing anywhere else.

This machine cannot reach Colab, so a hosted runtime is simulated: a fresh
virtual environment that has the frameworks and Jupyter but not course_utils
(tests/conftest.py, make_overlay_venv), the runtime's marker set
(``COLAB_RELEASE_TAG``), and the bootstrap's install source pointed at a local
git clone of this checkout (``COURSE_UTILS_SOURCE``).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest

from conftest import ROOT, make_overlay_venv, overlay_env

sys.path.insert(0, str(ROOT / "tools"))
import bootstrap  # noqa: E402  (tools/bootstrap.py)
from notebooks import lessons  # noqa: E402

CELL = bootstrap.cell_source()


def local_clone(tmp_path: Path) -> str:
    """A git repository holding this checkout's package as it is now; its pip source."""
    repo = tmp_path / "course-clone"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, repo / name)
    shutil.copytree(ROOT / "course_utils", repo / "course_utils",
                    ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-c", "user.name=course", "-c", "user.email=course@example.org",
           "-c", "init.defaultBranch=main"]
    subprocess.run(git + ["init", "-q"], cwd=repo, check=True)
    subprocess.run(git + ["add", "-A"], cwd=repo, check=True)
    subprocess.run(git + ["commit", "-q", "-m", "snapshot"], cwd=repo, check=True)
    # file://localhost/...: the older packaging inside pip 23 rejects file:/// in a PEP 508 URL.
    return f"git+file://localhost{repo}@main"


def run_cell(python: Path, cwd: Path, env: dict[str, str], prelude: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", prelude + CELL], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def site_packages(python: Path) -> Path:
    out = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                         capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def test_every_lesson_starts_with_the_generated_cell():
    assert bootstrap.check() == [], bootstrap.check()
    assert len(lessons()) >= 6


def test_check_fails_for_a_lesson_without_the_cell_or_with_an_old_one(tmp_path):
    source = (ROOT / "notebooks" / "01_activation_functions.py").read_text()
    nb = jupytext.reads(source, fmt="py:percent")
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = first.source.replace("@main", "@v0.0")
    (tmp_path / "01_old.py").write_text(jupytext.writes(nb, fmt="py:percent"))
    nb.cells.remove(first)
    (tmp_path / "02_none.py").write_text(jupytext.writes(nb, fmt="py:percent"))
    problems = bootstrap.check(tmp_path)
    assert len(problems) == 2
    assert "01_old.py: its first code cell is an older bootstrap cell" in problems[0]
    assert "02_none.py: its first code cell is no bootstrap cell" in problems[1]
    # write() repairs both, and a second write changes nothing.
    for path in sorted(tmp_path.glob("*.py")):
        assert bootstrap.write(path, CELL)
        assert not bootstrap.write(path, CELL)
    assert bootstrap.check(tmp_path) == []


def test_cell_installs_from_the_book_config_address_and_ref(tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text("repository:\n  url: https://github.com/example/fork/\n  branch: v2.0\n")
    assert bootstrap.install_source(config) == "git+https://github.com/example/fork@v2.0"
    assert '"git+https://github.com/example/fork@v2.0"' in bootstrap.cell_source(config)
    assert f'"{bootstrap.install_source()}"' in CELL
    config.write_text("repository:\n  url: github.com/example/fork\n  branch: main\n")
    with pytest.raises(ValueError, match="repository.url should be an https:// address"):
        bootstrap.install_source(config)


def test_cell_never_installs_a_framework_or_numpy():
    assert '"--no-deps"' in CELL
    helpers = dict(bootstrap.helper_requirements())
    assert {"pooch", "platformdirs"} <= set(helpers)
    for name in ("torch", "tensorflow", "tensorflow_cpu", "keras", "numpy"):
        assert name not in helpers
    assert all(len(line) <= 80 for line in CELL.splitlines()), "lesson code lines within 80 characters"


def test_cell_is_a_no_op_outside_colab_and_kaggle(tmp_path, overlay_venv):
    """No marker: nothing runs, even where course_utils is missing."""
    source = "git+file:///nonexistent/course@main"  # any install attempt would fail loudly
    before = sorted(p.name for p in site_packages(overlay_venv).iterdir())
    result = run_cell(overlay_venv, tmp_path, overlay_env(COURSE_UTILS_SOURCE=source),
                      prelude="import sys\n")
    assert result.returncode == 0 and result.stdout == "" and result.stderr == "", result
    assert sorted(p.name for p in site_packages(overlay_venv).iterdir()) == before
    # And in this (the local) environment, with course_utils importable, as in every lesson run.
    env = {**overlay_env(COURSE_UTILS_SOURCE=source), "PYTHONPATH": str(ROOT)}
    local = subprocess.run([sys.executable, "-c", CELL], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert local.returncode == 0 and local.stdout == "" and local.stderr == "", local


@pytest.mark.parametrize("marker", ["COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE", "google.colab"])
def test_each_runtime_marker_is_recognised(tmp_path, overlay_venv, marker):
    """With a marker and no course_utils the cell tries to install: a bad source proves it."""
    env = overlay_env(COURSE_UTILS_SOURCE="git+file:///nonexistent/course@main")
    prelude = ""
    if marker == "google.colab":  # Colab's kernel imports google.colab at start-up
        stub = tmp_path / "stub" / "google" / "colab"
        stub.mkdir(parents=True)
        (stub.parent / "__init__.py").write_text("")
        (stub / "__init__.py").write_text("")
        env["PYTHONPATH"] = str(tmp_path / "stub")
        prelude = "import google.colab\n"
    else:
        env[marker] = "simulated"
    result = run_cell(overlay_venv, tmp_path, env, prelude)
    assert result.returncode != 0
    assert "CalledProcessError" in result.stderr and "nonexistent/course" in result.stderr
    # With course_utils present the same marker changes nothing.
    env["PYTHONPATH"] = f"{env.get('PYTHONPATH', '')}:{ROOT}".lstrip(":")
    present = run_cell(overlay_venv, tmp_path, env, prelude)
    assert present.returncode == 0 and present.stdout == "", present


EXECUTE = """
import sys, json, jupytext, nbformat
from nbclient import NotebookClient
nb = jupytext.read(sys.argv[1])
NotebookClient(nb, timeout=3000, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
first = next(c for c in nb.cells if c.cell_type == "code")
print(json.dumps({"bootstrap": "".join(o.get("text", "") for o in first.outputs),
                  "cells": sum(c.cell_type == "code" for c in nb.cells)}))
"""


@pytest.mark.slow
def test_hosted_runtime_simulation_runs_lessons_1_and_5(tmp_path):
    """A fresh runtime without course_utils: the first cell installs it, then each lesson runs to the end."""
    python = make_overlay_venv(tmp_path / "runtime")
    source = local_clone(tmp_path)
    purelib = site_packages(python)
    workdir = tmp_path / "content"  # Colab's working folder: the notebook only, no checkout
    workdir.mkdir()
    env = overlay_env(COLAB_RELEASE_TAG="simulated", COURSE_UTILS_SOURCE=source,
                      PYTHONHASHSEED="0", TF_CPP_MIN_LOG_LEVEL="3")
    script = tmp_path / "execute.py"
    script.write_text(EXECUTE)
    for number, lesson in enumerate(["01_activation_functions", "05_mnist_pytorch"]):
        # The .py is the source of truth (tools/notebooks.py check: the .ipynb has the same cells).
        notebook = workdir / f"{lesson}.py"
        shutil.copy2(ROOT / "notebooks" / f"{lesson}.py", notebook)
        result = subprocess.run([str(python), str(script), str(notebook), str(workdir)], cwd=workdir,
                                env=env, capture_output=True, text=True, timeout=3600)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
        report = json.loads(result.stdout.strip().splitlines()[-1])
        if number == 0:
            assert f"course-utils installed from {source}" in report["bootstrap"], report
        else:  # already installed by lesson 1: the cell does nothing
            assert report["bootstrap"] == "", report
    installed = sorted(p.name for p in purelib.iterdir() if not p.name.startswith(("_", ".")))
    assert installed == ["course_utils", "course_utils-0.1.0.dist-info"], installed
    where = subprocess.run([str(python), "-c", "import course_utils; print(course_utils.__file__)"],
                           cwd=tmp_path, env=overlay_env(), capture_output=True, text=True, check=True)
    assert where.stdout.startswith(str(purelib)), where.stdout
