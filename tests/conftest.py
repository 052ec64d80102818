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
    cache = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(cache))
    return cache
