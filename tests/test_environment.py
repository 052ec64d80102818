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


def requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def constraints() -> dict[tuple[str, str], Requirement]:
    """constraints.txt by (name, marker): the exact pins of the local install."""
    pins = {}
    for line in requirement_lines(ROOT / "constraints.txt"):
        name, spec, marker = canonical(line)
        assert spec.startswith("==") and "," not in spec, f"constraints.txt pins exactly: {line}"
        pins[(name, marker)] = Requirement(line)
    return pins


def extra(name: str) -> list[str]:
    """An extra of pyproject.toml, with self-references (course-utils[a,b]) expanded."""
    extras = pyproject()["project"]["optional-dependencies"]
    out = []
    for line in extras[name]:
        req = Requirement(line)
        if req.name == "course-utils":
            for sub in sorted(req.extras):
                out += extra(sub)
        else:
            out.append(line)
    return out


def conda_pip_section() -> list[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "environment.yml should have one pip: section"
    return pip_lists[0]


def conda_pip_requirements() -> list[str]:
    return [line for line in conda_pip_section() if not line.startswith("-")]


def test_environment_yml_lists_the_learner_dependencies_at_the_local_pins():
    """environment.yml = pyproject's dependencies, each narrowed to its pin in constraints.txt."""
    pins = constraints()
    wanted = set()
    for line in pyproject()["project"]["dependencies"]:
        name, spec, marker = canonical(line)
        pin = pins.get((name, marker))
        wanted.add((name, str(pin.specifier) if pin else spec, marker))
    listed = {canonical(r) for r in conda_pip_requirements()}
    assert listed - wanted == set(), "in environment.yml but not in pyproject.toml (at the pins of constraints.txt)"
    assert wanted - listed == set(), "in pyproject.toml but not in environment.yml (at the pins of constraints.txt)"


def test_every_pin_lies_inside_the_declared_range():
    ranges = {}
    for line in pyproject()["project"]["dependencies"] + extra("dev"):
        name, spec, marker = canonical(line)
        ranges[(name, marker)] = SpecifierSet(spec)
    for key, pin in constraints().items():
        version = str(pin.specifier).removeprefix("==")
        if key in ranges:
            assert ranges[key].contains(version, prereleases=True), (key, version, str(ranges[key]))


def test_extras_split_learner_test_book_grade():
    deps = {canonical(r)[0] for r in pyproject()["project"]["dependencies"]}
    extras = pyproject()["project"]["optional-dependencies"]
    assert set(extras) >= {"test", "book", "grade", "dev"}
    names = {k: {canonical(r)[0] for r in extra(k)} for k in extras}
    # A learner needs none of the tools for tests, the book or grading.
    tools = {"pytest", "nbval", "playwright", "jupyter-book", "nbgrader", "psycopg2-binary", "psutil"}
    assert deps & tools == set(), deps & tools
    assert {"nbgrader", "psycopg2-binary", "psutil"} <= names["grade"]
    assert {"pytest", "nbval", "playwright"} <= names["test"]
    assert "jupyter-book" in names["book"]
    assert names["dev"] == names["test"] | names["book"] | names["grade"]


def test_frameworks_are_ranges_and_the_local_install_pins_them():
    deps = {canonical(r)[0]: canonical(r) for r in pyproject()["project"]["dependencies"]}
    for name in ("torch", "tensorflow", "tensorflow-cpu"):
        spec = SpecifierSet(deps[name][1])
        assert not any(s.operator == "==" for s in spec), f"{name}: a range, not a pin"
    assert "2.4.0" in SpecifierSet(deps["torch"][1]) and "2.13.0" in SpecifierSet(deps["torch"][1])
    assert "2.16.0" in SpecifierSet(deps["tensorflow"][1]) and "2.15.0" not in SpecifierSet(deps["tensorflow"][1])
    pins = {k[0]: str(v.specifier) for k, v in constraints().items()}
    assert pins["torch"] == "==2.13.0"
    assert pins["tensorflow-cpu"] == "==2.21.0" and pins["tensorflow"] == "==2.21.0"
    assert pins["nbval"] == "==0.11.0"
    assert deps["tensorflow-cpu"][2] == 'sys_platform == "linux" and platform_machine == "x86_64"'
    assert {"matplotlib", "ipywidgets", "pooch", "platformdirs", "jupyterlab", "jupytext"} <= set(deps)


def test_the_project_env_has_the_pinned_releases():
    """nbval's stored outputs come from these releases: the .venv that `make` builds has them."""
    from importlib.metadata import PackageNotFoundError, version
    from packaging.markers import default_environment

    if Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        pytest.skip("not running in the project's .venv, which `make` installs with -c constraints.txt")
    for (name, _marker), pin in constraints().items():
        if pin.marker and not pin.marker.evaluate(default_environment()):
            continue
        try:
            installed = version(name)
        except PackageNotFoundError:
            continue  # an extra that this environment does not have
        assert pin.specifier.contains(installed, prereleases=True), (name, installed, str(pin.specifier))


def test_environment_yml_python_is_allowed_by_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    version = python.split("=", 1)[1]
    assert version in SpecifierSet(pyproject()["project"]["requires-python"])


def test_requires_python_admits_3_13():
    """torch 2.13.0 and tensorflow(-cpu) 2.21.0 publish cp313 wheels (README, "Python versions")."""
    spec = SpecifierSet(pyproject()["project"]["requires-python"])
    assert "3.13" in spec and "3.10" in spec and "3.14" not in spec


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


def write_conda_requirements(folder: Path) -> Path:
    """What conda does with a pip: section: one requirements file, next to environment.yml."""
    path = folder / "condaenv.course.requirements.txt"
    path.write_text("\n".join(conda_pip_section()) + "\n")
    return path


@pytest.mark.slow
def test_environment_yml_pip_section_resolves_as_conda_runs_it(tmp_path):
    """`pip install --dry-run -r` on the pip: section, from the folder holding environment.yml.

    conda (conda/env/installers/pip.py) writes the section to a temporary
    requirements file beside environment.yml and runs ``pip install -U -r`` on
    it from that folder, so relative paths and every option line count. Here
    pip ignores what is installed, so every requirement is resolved from the
    package index. An index that this machine cannot reach (PyTorch's CPU
    index, offline) is tried without retries, as PIP_RETRIES=0 tells pip.
    """
    import subprocess

    (tmp_path / "environment.yml").write_text((ROOT / "environment.yml").read_text())
    requirements = write_conda_requirements(tmp_path)
    env = {**__import__("os").environ, "PIP_RETRIES": "0", "PIP_TIMEOUT": "10"}
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
         "--disable-pip-version-check", "--progress-bar", "off", "-U", "-r", requirements.name],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=1800,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    would = result.stdout.rsplit("Would install", 1)[-1].split()
    for name in ("torch-2.13.0", "jupyterlab-", "matplotlib-3.11.2", "pooch-"):
        assert any(w.startswith(name) for w in would), (name, result.stdout[-2000:])


def test_a_requirements_option_pip_rejects_fails_the_resolution(tmp_path):
    """The check above can fail: pip stops on an option that requirements files do not take."""
    import subprocess

    path = tmp_path / "req.txt"
    path.write_text("--no-deps\ntqdm\n")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "-r", path.name],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0
    assert "no such option: --no-deps" in result.stderr


@pytest.mark.slow
def test_postbuild_installs_the_package_and_the_lab_settings(tmp_path):
    """Binder runs postBuild after copying the repository; run it in a throwaway environment.

    The environment sees this one's packages but not course_utils (see
    tests/conftest.py, make_overlay_venv), as Binder's does after environment.yml.
    """
    import os
    import shutil
    import subprocess

    from conftest import make_overlay_venv, overlay_env

    python = make_overlay_venv(tmp_path / "binder-env")
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("postBuild", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, repo / name)
    for name in ("course_utils", "jupyter"):
        shutil.copytree(ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__"))
    assert os.access(repo / "postBuild", os.X_OK), "postBuild must be executable"
    env = overlay_env(PATH=f"{python.parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(["./postBuild"], cwd=repo, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    probe = ("import json, course_utils; from jupyterlab.commands import get_app_dir; "
             "print(json.dumps([course_utils.__file__, get_app_dir()]))")
    where, app_dir = json.loads(subprocess.run([str(python), "-c", probe], cwd=tmp_path, env=overlay_env(),
                                               capture_output=True, text=True, check=True).stdout)
    assert where.startswith(str(repo / "course_utils")), where
    assert app_dir.startswith(str(tmp_path / "binder-env")), app_dir
    installed = json.loads((Path(app_dir) / "settings" / "overrides.json").read_text())
    assert installed == json.loads((ROOT / "jupyter" / "overrides.json").read_text())
    assert installed["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"


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
