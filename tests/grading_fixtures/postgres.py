"""A throw-away PostgreSQL server for the gradebook tests (Debian's ``postgresql`` package).

The server listens on 127.0.0.1 at a free port and on a Unix socket in its own
private folder. Connections over TCP need a password (SCRAM), so the grading
kernels, which can see the port, cannot log in. ``initdb`` refuses to run as
root; as root, the server runs as the ``postgres`` system user.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/<version>/bin`` with a ``postgres`` binary, or ``$PG_BINDIR``."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4].split(".")[0]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    bindir: Path
    folder: Path
    port: int
    password: str
    as_user: str | None

    @property
    def url(self) -> str:
        return f"postgresql://grader:{self.password}@127.0.0.1:{self.port}/gradebook"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(args)
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120, cwd=self.folder)

    def start(self) -> "PostgresServer":
        data, sock = self.folder / "data", self.folder / "socket"
        pwfile = self.folder / "superuser-password"
        pwfile.write_text(secrets.token_hex(16) + "\n", encoding="utf-8")
        if self.as_user:
            shutil.chown(pwfile, self.as_user)
        sock.mkdir(mode=0o700)
        if self.as_user:
            shutil.chown(sock, self.as_user)
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth-local=trust",
                  "--auth-host=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8", "--no-instructions")
        options = f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(self.folder / "server.log"),
                  "-w", "-t", "60", "start")
        sql = (f"CREATE ROLE grader LOGIN PASSWORD '{self.password}';"
               "CREATE DATABASE gradebook OWNER grader;")
        for statement in sql.split(";")[:-1]:
            self._run(str(self.bindir / "psql"), "-h", str(sock), "-p", str(self.port), "-U", "postgres",
                      "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", statement)
        return self

    def create_database(self, name: str) -> str:
        """Create another database owned by ``grader``; return its address."""
        self._run(str(self.bindir / "psql"), "-h", str(self.folder / "socket"), "-p", str(self.port), "-U",
                  "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
                  f"CREATE DATABASE {name} OWNER grader")
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop",
                  check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> PostgresServer:
    """Start a server in a fresh private folder; raises FileNotFoundError if PostgreSQL is not installed."""
    bindir = find_bindir()
    if bindir is None:
        raise FileNotFoundError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/postgres)")
    folder = Path(tempfile.mkdtemp(prefix="course-pg-"))
    as_user = None
    if os.geteuid() == 0:
        as_user = "postgres"
        pwd.getpwnam(as_user)
        shutil.chown(folder, as_user)
    os.chmod(folder, 0o700)
    server = PostgresServer(bindir=bindir, folder=folder, port=_free_port(), password=secrets.token_hex(12),
                            as_user=as_user)
    try:
        return server.start()
    except Exception:
        log = folder / "server.log"
        detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        server.stop()
        raise RuntimeError(f"could not start PostgreSQL: {detail}") from None
