"""The project's own configuration: one environment in two files, JupyterLab settings."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent


def canonical(requirement: str) -> tuple[str, str, str]:
    req = Requirement(requirement)
    return (req.name.lower().replace("_", "-"), str(SpecifierSet(str(req.specifier))), str(req.marker or ""))


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def conda_pip_requirements() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml should have one pip: section"
    return [line for line in pip_lists[0] if not line.startswith("-")]


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    project = pyproject()["project"]
    wanted = {canonical(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]
              + project["optional-dependencies"]["grade"]}
    listed = {canonical(r) for r in conda_pip_requirements()}
    assert listed - wanted == set(), "in environment.yml but not in pyproject.toml"
    assert wanted - listed == set(), "in pyproject.toml but not in environment.yml"


def test_environment_yml_python_is_allowed_by_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = python.split("=", 1)[1]
    assert version in SpecifierSet(pyproject()["project"]["requires-python"])


def test_pins_the_issue_asks_for():
    deps = {canonical(r)[0]: canonical(r) for r in pyproject()["project"]["dependencies"]}
    assert deps["torch"][1] == "==2.13.0"
    assert deps["tensorflow-cpu"] == ("tensorflow-cpu", "==2.21.0", 'sys_platform == "linux" and platform_machine == "x86_64"')
    assert deps["tensorflow"][1] == "==2.21.0"
    assert "2" not in SpecifierSet(deps["jupyter-book"][1]) and "1.0.4" in SpecifierSet(deps["jupyter-book"][1])
    assert "1.19.6" in SpecifierSet(deps["jupytext"][1]) and "1.20.0" not in SpecifierSet(deps["jupytext"][1])
    assert "0.11.0" in SpecifierSet(deps["nbval"][1]) and "0.12.0" not in SpecifierSet(deps["nbval"][1])
    assert "4.6.0" in SpecifierSet(deps["jupyterlab"][1]) and "5.0.0" not in SpecifierSet(deps["jupyterlab"][1])
    assert {"matplotlib", "ipywidgets", "pooch", "platformdirs"} <= set(deps)


def test_tensorflow_markers_are_complementary():
    reqs = [Requirement(r) for r in pyproject()["project"]["dependencies"] if r.startswith("tensorflow")]
    platforms = [
        {"sys_platform": "linux", "platform_machine": "x86_64"},
        {"sys_platform": "linux", "platform_machine": "aarch64"},
        {"sys_platform": "darwin", "platform_machine": "arm64"},
        {"sys_platform": "win32", "platform_machine": "AMD64"},
    ]
    for env in platforms:
        chosen = [r.name for r in reqs if r.marker.evaluate(env)]
        assert len(chosen) == 1, (env, chosen)
    assert [r.name for r in reqs if r.marker.evaluate(platforms[0])] == ["tensorflow-cpu"]


def test_jupyterlab_opens_py_files_as_notebooks():
    """The project's settings override (installed into the environment by `make`) is what JupyterLab reads."""
    project = json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    viewers = project["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]
    assert viewers["python"] == "Jupytext Notebook"
    from jupyterlab.commands import get_app_dir

    installed = Path(get_app_dir()) / "settings" / "overrides.json"
    if Path(sys.prefix) != (ROOT / ".venv").resolve() and not installed.exists():
        pytest.skip("not running in the project's .venv, which `make` sets up")
    assert json.loads(installed.read_text()) == project


def test_jupytext_extension_is_installed_for_jupyterlab():
    from jupyterlab.commands import get_app_dir  # noqa: F401  (JupyterLab must be importable)
    import jupytext

    labextension = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-jupytext"
    assert labextension.is_dir(), f"jupytext {jupytext.__version__} should ship its JupyterLab extension"


def test_jupytext_pairs_every_notebook_with_a_percent_script():
    config = tomllib.loads((ROOT / "jupytext.toml").read_text())
    assert config["formats"] == "ipynb,py:percent"
    # JupyterLab's root is notebooks/, and Jupytext looks for its configuration
    # only inside that root: the copy there must say exactly the same.
    assert tomllib.loads((ROOT / "notebooks" / "jupytext.toml").read_text()) == config


def test_running_jupyterlab_serves_the_jupytext_default_viewer(tmp_path, free_port):
    """Start a real JupyterLab from this environment and ask it for the setting."""
    import subprocess
    import time
    import urllib.request

    port = free_port
    token = "course-test-token"
    env = {**__import__("os").environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "HOME": str(tmp_path)}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={ROOT / 'notebooks'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        url = f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/docmanager-extension:plugin?token={token}"
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    setting = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.25)
        assert setting["schema"]["properties"]["defaultViewers"]["default"]["python"] == "Jupytext Notebook"
    finally:
        server.terminate()
        server.wait(timeout=30)
