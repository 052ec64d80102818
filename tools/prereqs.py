"""Check the system programs that `make test` needs, before anything is installed.

    python3 tools/prereqs.py [--skip browser] [--skip postgres]

The browser tests drive Chromium (tests/test_book.py, tests/test_lab_browser.py)
and the grading tests start a PostgreSQL server. When one is missing this
prints one line that says what to install, and exits with status 2, at once
(not after minutes of installs and five stack traces).

Outside CI a learner may skip a group of tests by name instead
(`make test BROWSER=skip`, `make test POSTGRES=skip`): the check then passes
with a warning, and the test summary says loudly what was skipped. Under
``CI=true`` nothing may be skipped: a missing program is a failure.
Standard library only: it runs before the virtual environment exists.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
from pathlib import Path

#: Where the tests look for Chromium; $CHROMIUM overrides it (macOS, other layouts).
DEFAULT_CHROMIUM = "/usr/bin/chromium"

INSTALL = {
    "browser": (
        "Chromium",
        "Debian/Ubuntu: sudo apt-get install chromium; macOS: brew install --cask "
        "chromium and export CHROMIUM=/Applications/Chromium.app/Contents/MacOS/Chromium",
    ),
    "postgres": (
        "PostgreSQL",
        "Debian/Ubuntu: sudo apt-get install postgresql; macOS: brew install postgresql@16 "
        "and export PG_BINDIR=$(brew --prefix postgresql@16)/bin",
    ),
}
MAKE_VARIABLE = {"browser": "BROWSER", "postgres": "POSTGRES"}


def chromium_path() -> Path:
    return Path(os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM)


def postgres_found() -> str | None:
    bindir = os.environ.get("PG_BINDIR")
    if bindir:
        return bindir if (Path(bindir) / "postgres").is_file() else None
    found = glob.glob("/usr/lib/postgresql/*/bin/postgres")
    return found[0] if found else None


def missing() -> dict[str, str]:
    """The groups whose program is absent, with what was looked for."""
    out = {}
    if not chromium_path().is_file():
        out["browser"] = f"no Chromium at {chromium_path()}"
    if postgres_found() is None:
        where = os.environ.get("PG_BINDIR") or "/usr/lib/postgresql/*/bin"
        out["postgres"] = f"no postgres in {where}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip", action="append", default=[], choices=sorted(INSTALL),
                        help="a group of tests the learner chose to skip")
    args = parser.parse_args(argv)
    ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    status = 0
    if ci and args.skip:
        names = ", ".join(f"{MAKE_VARIABLE[g]}=skip" for g in args.skip)
        print(f"make test: CI=true runs every test; {names} is not allowed under CI.", file=sys.stderr)
        return 2
    for group, found_nothing in missing().items():
        program, how = INSTALL[group]
        if group in args.skip:
            print(f"WARNING: {program} is missing ({found_nothing}); its tests will be SKIPPED "
                  f"as asked ({MAKE_VARIABLE[group]}=skip).", file=sys.stderr)
            continue
        hint = "" if ci else f", or run make test {MAKE_VARIABLE[group]}=skip to skip its tests"
        print(f"make test needs {program} ({found_nothing}): install it ({how}){hint}.",
              file=sys.stderr)
        status = 2
    return status


if __name__ == "__main__":
    sys.exit(main())
