"""`make test` on a machine without Chromium or PostgreSQL: one line, at once, or a loud skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

PREREQS = [sys.executable, str(ROOT / "tools" / "prereqs.py")]


def env_without(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"CI", "CHROMIUM", "PG_BINDIR", "COURSE_SKIP_TESTS"}}
    env.update(extra)
    return env


def test_missing_chromium_is_one_line_that_says_what_to_install():
    result = subprocess.run(PREREQS, env=env_without(CHROMIUM="/nonexistent/chromium"),
                            capture_output=True, text=True)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert "apt-get install chromium" in lines[0] and "brew install --cask chromium" in lines[0]
    assert "make test BROWSER=skip" in lines[0]


def test_under_ci_a_missing_browser_fails_and_skipping_is_refused():
    ci = env_without(CI="true", CHROMIUM="/nonexistent/chromium")
    result = subprocess.run(PREREQS, env=ci, capture_output=True, text=True)
    assert result.returncode == 2 and "BROWSER=skip" not in result.stderr
    refused = subprocess.run(PREREQS + ["--skip", "browser"], env=ci, capture_output=True, text=True)
    assert refused.returncode == 2 and "not allowed under CI" in refused.stderr


def test_outside_ci_a_skip_passes_with_a_warning():
    result = subprocess.run(PREREQS + ["--skip", "browser"], env=env_without(CHROMIUM="/nonexistent/chromium"),
                            capture_output=True, text=True)
    if "PostgreSQL" in result.stderr and "SKIPPED" not in result.stderr.split("PostgreSQL")[0]:
        pytest.skip("this machine lacks PostgreSQL too")
    assert result.returncode == 0, result.stderr
    assert "SKIPPED as asked (BROWSER=skip)" in result.stderr


def test_missing_postgres_follows_the_same_rule():
    result = subprocess.run(PREREQS, env=env_without(PG_BINDIR="/nonexistent"), capture_output=True, text=True)
    assert result.returncode == 2
    assert "apt-get install postgresql" in result.stderr and "POSTGRES=skip" in result.stderr
    skip = subprocess.run(PREREQS + ["--skip", "postgres"], env=env_without(PG_BINDIR="/nonexistent"),
                          capture_output=True, text=True)
    assert "SKIPPED as asked (POSTGRES=skip)" in skip.stderr


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_test_stops_before_installing_anything(tmp_path):
    """A throwaway copy without .venv: make test must stop at the check, creating nothing."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy2(ROOT / name, tmp_path / name)
    for name in ("tools", "jupyter"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(["make", "test", f"PYTHON={sys.executable}"], cwd=tmp_path,
                            env=env_without(CHROMIUM="/nonexistent/chromium"),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert not (tmp_path / ".venv").exists(), "make test installed before checking"
    first = result.stderr.strip().splitlines()[0]
    assert first.startswith("make test needs Chromium"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "two processes"])
def test_skipped_groups_are_named_loudly_in_the_summary(workers):
    env = env_without(COURSE_SKIP_TESTS="browser", PYTHONPATH=str(ROOT))
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *workers,
                             str(ROOT / "tests" / "test_lab_browser.py")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "TESTS SKIPPED ON REQUEST" in result.stdout
    assert "browser test(s) NOT RUN (they need Chromium)" in result.stdout
    assert "test_lab_browser.py::test_activation_lesson_runs_and_its_widget_responds" in result.stdout
    refused = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--co",
                              str(ROOT / "tests" / "test_lab_browser.py")],
                             cwd=ROOT, env={**env, "CI": "true"}, capture_output=True, text=True, timeout=600)
    assert refused.returncode != 0 and "nothing may be skipped" in refused.stdout + refused.stderr
