"""Fixtures shared by the test suite."""

from __future__ import annotations

import gzip
import http.server
import os
import socket
import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
collect_ignore_glob = ["*/_build/*", "*/.ipynb_checkpoints/*"]


def _real_mnist_dir() -> Path | None:
    """A folder holding the four real MNIST files, if this machine has one."""
    candidates = []
    if os.environ.get("COURSE_DATA_DIR"):
        candidates.append(Path(os.environ["COURSE_DATA_DIR"]) / "mnist")
    candidates.append(ROOT.parent / "shared" / "data" / "mnist")
    for folder in candidates:
        if (folder / "t10k-labels-idx1-ubyte.gz").is_file() or (folder / "t10k-labels-idx1-ubyte").is_file():
            return folder
    return None


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The real MNIST files (CI and offline machines: ``$COURSE_DATA_DIR/mnist``)."""
    folder = _real_mnist_dir()
    if folder is None:
        from course_utils.data import default_cache_dir, load_mnist

        load_mnist(progress=True)  # downloads into the user cache on a machine with internet
        folder = default_cache_dir() / "mnist"
    return folder


@pytest.fixture(scope="session")
def mnist_bytes(mnist_dir: Path) -> dict[str, bytes]:
    """The decompressed content of the four real files, by name."""
    from course_utils.data import MNIST_FILES

    out = {}
    for name in MNIST_FILES:
        gz = mnist_dir / f"{name}.gz"
        out[name] = gzip.decompress(gz.read_bytes()) if gz.is_file() else (mnist_dir / name).read_bytes()
    return out


@pytest.fixture(scope="session")
def mnist(mnist_dir: Path):
    from course_utils import load_mnist

    return load_mnist(mnist_dir.parent)


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, Callable[["_Handler"], None]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        handler = self.server.routes.get(self.path)  # type: ignore[attr-defined]
        if handler is None:
            self.send_error(404, "not here")
            return
        handler(self)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


class FileServer:
    """A real HTTP server on 127.0.0.1 serving chosen bytes under chosen paths.

    ``serve(path, body)`` serves ``body`` with a correct Content-Length;
    ``serve(path, body, announce=n)`` announces ``n`` bytes but sends only
    ``body`` and closes the connection, like a dropped download.
    """

    def __init__(self) -> None:
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.routes = {}  # type: ignore[attr-defined]
        self.httpd.requests = []  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[str]:
        return self.httpd.requests  # type: ignore[attr-defined]

    def serve(self, path: str, body: bytes, announce: int | None = None) -> None:
        def handler(request: _Handler) -> None:
            request.send_response(200)
            request.send_header("Content-Type", "application/octet-stream")
            request.send_header("Content-Length", str(announce if announce is not None else len(body)))
            request.end_headers()
            request.wfile.write(body)
            if announce is not None:
                request.close_connection = True

        self.httpd.routes[path] = handler  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def file_server() -> Iterator[Callable[[], FileServer]]:
    """Start as many real HTTP servers on 127.0.0.1 as a test needs; all stop afterwards."""
    servers: list[FileServer] = []

    def start() -> FileServer:
        servers.append(FileServer())
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def unused_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (at the moment of asking)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def free_port() -> int:
    return unused_port()


@pytest.fixture
def dead_url() -> str:
    """The address of a port on 127.0.0.1 where nothing listens (connection refused)."""
    return f"http://127.0.0.1:{unused_port()}/mnist/"


@pytest.fixture
def isolated_env(monkeypatch, tmp_path) -> Path:
    """No COURSE_DATA_DIR, and a private cache folder; returns the cache folder."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_MNIST_MIRROR", raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    return cache


def make_overlay_venv(path: Path) -> Path:
    """A fresh virtual environment that sees this one's packages, except course_utils.

    Installing PyTorch, TensorFlow and Jupyter for real takes many minutes and
    gigabytes. Instead the new environment gets one ``.pth`` file that puts
    this environment's site-packages on its path as a plain folder: every
    package there imports, but the ``.pth`` files inside it are not run, so
    the editable install of course_utils (an import hook started from a
    ``.pth`` file) stays invisible, as on Colab or Kaggle before the
    bootstrap. pip runs from that folder too, and installs into the new
    environment only: it never removes packages outside its own environment.
    Returns the new environment's python.
    """
    import subprocess
    import sys
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    shared = sysconfig.get_paths()["purelib"]
    Path(purelib, "_course_shared_site_packages.pth").write_text(shared + "\n")
    return python


def overlay_env(**extra: str) -> dict[str, str]:
    """os.environ without what would reveal the checkout (PYTHONPATH) or a hosted runtime."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE",
                        "COURSE_UTILS_SOURCE", "VIRTUAL_ENV"}}
    env.update(extra)
    return env


@pytest.fixture
def overlay_venv(tmp_path) -> Path:
    """The python of a fresh environment without course_utils (see make_overlay_venv)."""
    return make_overlay_venv(tmp_path / "overlay-venv")


# --- groups of tests a learner may skip by name (make test BROWSER=skip) ----------------------

#: group -> (fixtures whose tests belong to it, what they need)
SKIPPABLE = {
    "browser": ({"browser", "page"}, "Chromium"),
    "postgres": ({"pg_server"}, "PostgreSQL"),
}
SKIP_VARIABLE = "COURSE_SKIP_TESTS"  # e.g. "browser postgres"; the Makefile sets it


def _requested_skips() -> list[str]:
    groups = os.environ.get(SKIP_VARIABLE, "").replace(",", " ").split()
    unknown = sorted(set(groups) - set(SKIPPABLE))
    if unknown:
        raise pytest.UsageError(f"${SKIP_VARIABLE}: unknown group(s) {unknown}; expected some of {sorted(SKIPPABLE)}")
    if groups and os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        raise pytest.UsageError(f"${SKIP_VARIABLE}={' '.join(groups)}: CI runs every test; nothing may be skipped")
    return groups


_SKIPPED_ON_REQUEST = "SKIPPED ON REQUEST"


def pytest_collection_modifyitems(config, items):
    groups = _requested_skips()
    for item in items:
        for group in groups:
            fixtures, program = SKIPPABLE[group]
            if fixtures & set(getattr(item, "fixturenames", ())):
                item.add_marker(pytest.mark.skip(reason=f"{_SKIPPED_ON_REQUEST}: needs {program} ({group}=skip)"))


def _skipped_on_request(terminalreporter) -> dict[str, list[str]]:
    """group -> node ids, from the reports (which pytest-xdist's workers send to the controller,
    so this also holds when the tests ran in other processes and collected there)."""
    skipped: dict[str, list[str]] = {}
    for report in terminalreporter.stats.get("skipped", []):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        for group in SKIPPABLE:
            if _SKIPPED_ON_REQUEST in reason and f"({group}=skip)" in reason:
                skipped.setdefault(group, []).append(report.nodeid)
    return skipped


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    skipped = _skipped_on_request(terminalreporter)
    if not skipped:
        return
    tr = terminalreporter
    tr.section("TESTS SKIPPED ON REQUEST", sep="!", red=True, bold=True)
    for group, nodeids in skipped.items():
        program = SKIPPABLE[group][1]
        tr.write_line(f"{len(nodeids)} {group} test(s) NOT RUN (they need {program}):", red=True, bold=True)
        for nodeid in nodeids:
            tr.write_line(f"    {nodeid}")
    tr.write_line("This run does not cover them. Install what they need and run make test again.",
                  red=True, bold=True)
