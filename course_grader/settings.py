"""Grading settings: ``assignments/grading.toml``, environment variables, command-line options.

Precedence, highest first: a command-line option, the environment variable
(``COURSE_GRADING_DB_URL`` for the gradebook address, so that a password need
not be written in a file or appear on a command line), the settings file,
the built-in default.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DB_URL_VARIABLE = "COURSE_GRADING_DB_URL"
SOURCE_VARIABLE = "COURSE_GRADING_SOURCE"
DEFAULT_SETTINGS = Path("assignments") / "grading.toml"


@dataclass(frozen=True)
class Settings:
    """Where things are and how grading runs. Relative paths in the file are relative to the file."""

    source: Path = Path("assignments/source")
    course_dir: Path = Path("assignments/course")
    db_url: str = ""  # empty: SQLite, <course_dir>/gradebook.db
    timeout: int = 60  # seconds per cell
    notebook_timeout: int = 900  # seconds per notebook, all cells together
    workers: int = 0  # 0: one per CPU core
    sandbox: str = "auto"
    sandbox_user: str = "nobody"
    secret_file: str = ""  # the class secret, outside the repository (or $COURSE_GRADING_SECRET)
    judge: str = "grader"  # "grader": tests judged outside the kernel; "kernel": the old way (demonstrations)
    memory_limit_mb: int = 4096  # per grading kernel (address space it may write)
    max_processes: int = 512  # processes and threads per grading kernel
    cpu_seconds: int = 1800  # CPU time per grading kernel
    cell_output_kb: int = 256  # output kept per cell; the rest is replaced by a "truncated" marker
    notebook_output_kb: int = 1024  # output kept per notebook
    max_submission_mb: int = 20  # a larger notebook file is refused before it is read
    fork_kernels: bool = True  # fork each kernel from a template that has imported ipykernel and NumPy

    @property
    def gradebook_url(self) -> str:
        return normalize_db_url(self.db_url) or f"sqlite:///{(self.course_dir / 'gradebook.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.gradebook_url.startswith("sqlite")

    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)

    def with_options(self, **options: Any) -> "Settings":
        """A copy with the options that were given (None means: not given)."""
        given = {k: v for k, v in options.items() if v is not None}
        for key in ("source", "course_dir"):
            if key in given:
                given[key] = Path(given[key]).resolve()
        settings = replace(self, **given)
        settings.check()
        return settings

    def check(self) -> None:
        """ValueError naming the setting when a value is out of range."""
        if not isinstance(self.fork_kernels, bool):
            raise ValueError(f"fork_kernels must be true or false; got {self.fork_kernels!r}.")
        if self.judge not in ("grader", "kernel"):
            raise ValueError(f"judge must be 'grader' or 'kernel'; got {self.judge!r}.")
        for name in ("memory_limit_mb", "max_processes", "cpu_seconds", "cell_output_kb",
                     "notebook_output_kb", "max_submission_mb", "timeout", "notebook_timeout"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive whole number; got {value!r}.")

    def public(self) -> dict[str, str]:
        """The settings for a report, with any password in the gradebook address hidden."""
        out = {f.name: str(getattr(self, f.name)) for f in fields(self)}
        out["db_url"] = redact(self.gradebook_url)
        return out

    def secret(self) -> bytes:
        """The class secret (:mod:`course_grader.secret`)."""
        from .secret import load_secret

        return load_secret(Path(self.secret_file) if self.secret_file else None,
                           repositories=[self.source, self.course_dir, Path.cwd()])


def normalize_db_url(url: str) -> str:
    """Name the PostgreSQL driver that the course installs (psycopg2) when the address names none.

    SQLAlchemy 2.1 reads a bare ``postgresql://`` as the newer ``psycopg``
    driver, which the course does not install.
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            try:
                import psycopg  # noqa: F401 - the newer driver, if someone installed it
            except ImportError:
                return "postgresql+psycopg2://" + url[len(prefix):]
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def redact(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    if "://" in url and "@" in url.split("://", 1)[1]:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            creds = creds.split(":", 1)[0] + ":***"
        return f"{scheme}://{creds}@{host}"
    return url


def _read_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return data.get("grading", data)


def load(path: Path | None = None) -> Settings:
    """Read the settings file (``assignments/grading.toml`` by default, if it exists) and the environment."""
    settings = Settings()
    file = Path(path) if path is not None else DEFAULT_SETTINGS
    if path is not None and not file.is_file():
        raise FileNotFoundError(f"settings file {file} does not exist.")
    if file.is_file():
        data = _read_toml(file)
        known = {f.name for f in fields(Settings)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"{file}: unknown settings {unknown}; known: {sorted(known)}.")
        base = file.resolve().parent
        for key in ("source", "course_dir"):
            if key in data:
                data[key] = (base / data[key]).resolve()
        if data.get("secret_file"):
            data["secret_file"] = str((base / Path(data["secret_file"]).expanduser()).resolve())
        settings = replace(settings, **data)
    else:
        settings = replace(settings, source=settings.source.resolve(), course_dir=settings.course_dir.resolve())
    if os.environ.get(DB_URL_VARIABLE):
        settings = replace(settings, db_url=os.environ[DB_URL_VARIABLE])
    if os.environ.get(SOURCE_VARIABLE):  # instructors who keep their sources outside the repository
        settings = replace(settings, source=Path(os.environ[SOURCE_VARIABLE]).expanduser().resolve())
    settings.check()
    return settings
