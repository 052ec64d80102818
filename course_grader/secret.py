"""The class secret that draws the cases of the hidden tests.

The instructor sets it at grading time, in one of two ways (the first found wins):

1. the environment variable ``COURSE_GRADING_SECRET``;
2. ``secret_file`` in ``assignments/grading.toml`` (or ``--secret-file``): a
   file *outside* the repository, readable by the instructor only (mode 600).

Make one with ``python -c "import secrets; print(secrets.token_hex(32))"``, keep
it with the gradebook's password (a password manager, the grading server's
private folder), and use the same one for the whole term: regrading with
another secret draws other cases. It is never written to a log, a report, a
job file or feedback; the grading workers take it from their environment and
remove it there before any kernel starts, and kernels get an environment of
their own (:func:`course_grader.sandbox.kernel_env`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

SECRET_VARIABLE = "COURSE_GRADING_SECRET"
MIN_LENGTH = 16


class SecretError(ValueError):
    """No usable class secret; the message says how to set one."""


def _repository_root(path: Path) -> Path | None:
    for folder in [path, *path.parents]:
        if (folder / ".git").exists():
            return folder
    return None


def load_secret(secret_file: Path | None, *, repositories: list[Path] = ()) -> bytes:
    """The class secret, from ``$COURSE_GRADING_SECRET`` or ``secret_file``.

    ``secret_file`` : pathlib.Path or None
        Refused when it lies inside one of the git ``repositories`` (it would
        be committed and published) or when others may read it.
    """
    value = os.environ.get(SECRET_VARIABLE, "")
    where = f"the environment variable {SECRET_VARIABLE}"
    if not value and secret_file is not None:
        path = Path(secret_file).expanduser().resolve()
        where = f"the secret file {path}"
        if not path.is_file():
            raise SecretError(f"secret_file {path} does not exist; create it outside the repository "
                              "(see the README, 'The class secret').")
        for repo in repositories:
            root = _repository_root(Path(repo).resolve())
            if root is not None and path.is_relative_to(root):
                raise SecretError(f"secret_file {path} lies inside the git repository {root}; a secret "
                                  "there would be published. Keep it outside, for example in ~/.config.")
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretError(f"secret_file {path} can be read by other users; run chmod 600 on it.")
        value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise SecretError(
            f"no class secret: set {SECRET_VARIABLE} or secret_file in grading.toml. The hidden tests "
            "draw their cases from it; make one with: python -c \"import secrets; "
            "print(secrets.token_hex(32))\"")
    if len(value) < MIN_LENGTH:
        raise SecretError(f"the class secret in {where} has {len(value)} characters; use at least "
                          f"{MIN_LENGTH} (for example 64 hexadecimal digits).")
    return value.encode("utf-8")
