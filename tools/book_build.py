"""Build the course book strictly, both editions: every page from scratch, and any warning fails.

Usage (from the repository root, inside the course's virtual environment):

    python tools/book_build.py           # what `make book` runs
    python tools/book_build.py --reuse   # skip the build when the last strict build
                                         # was made from exactly the current sources

The English edition is built from ``book/`` into ``book/_build/html``, the
Chinese one from ``book/zh_CN`` into ``book/_build/html/zh_CN`` (where it is
published, next to the English site). Each build is
``jupyter-book build <folder> --all -n -W --keep-going``: ``--all``
re-reads every page so that no warning from an unchanged page is forgotten,
``-n`` reports every broken cross-reference, ``-W`` turns warnings into a
failure and ``--keep-going`` reports all of them, not just the first.

After a build without warnings, a stamp in ``book/_build/`` records a digest
of everything the book is made from (``book/`` and the lesson notebooks).
``--reuse`` (used by ``tests/test_book.py``) builds only when that digest
differs, so ``make test`` builds the book once and the browser check then
tests that very build.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
HTML = BOOK / "_build" / "html"
STAMP = BOOK / "_build" / ".strict-build"
GENERATED = {"_build", "notebooks", "__pycache__", ".ipynb_checkpoints"}  # not inputs


def sources_digest() -> str:
    """A digest of every file the book is built from."""
    digest = hashlib.sha256()
    files = [p for p in BOOK.rglob("*") if p.is_file() and not GENERATED & set(p.relative_to(BOOK).parts)]
    files += list((ROOT / "notebooks").glob("*.ipynb")) + list((ROOT / "notebooks" / "zh_CN").glob("*.ipynb"))
    files += [Path(__file__)]
    for path in sorted(files):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def jupyter_book() -> str:
    here = Path(sys.executable).parent / "jupyter-book"
    return str(here) if here.exists() else "jupyter-book"


EDITIONS = {"en": BOOK, "zh_CN": BOOK / "zh_CN"}  # the Chinese site goes to html/zh_CN


def build_edition(name: str) -> tuple[int, list[str], float]:
    """Build one edition; return the exit status, its warnings and the seconds it took."""
    folder = EDITIONS[name]
    command = [jupyter_book(), "build", str(folder.relative_to(ROOT)), "--all", "-n", "-W", "--keep-going"]
    print(f"$ {' '.join(command)}", flush=True)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    process = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    seconds = time.perf_counter() - started
    sys.stdout.write(process.stdout)
    plain = re.sub(r"\x1b\[[0-9;]*m", "", process.stdout)
    warnings = [line for line in plain.splitlines() if "WARNING" in line or "ERROR" in line]
    if process.returncode == 0 and not warnings and folder != BOOK:
        # Publish the edition under the English site: replace the old copy whole.
        target = HTML / name
        staging = HTML / f".{name}.new"
        shutil.rmtree(staging, ignore_errors=True)
        shutil.copytree(folder / "_build" / "html", staging)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    return process.returncode, warnings, seconds


def build() -> int:
    """Run the strict builds; return their exit status (0 only without warnings)."""
    STAMP.unlink(missing_ok=True)
    failed = False
    for name in EDITIONS:
        returncode, warnings, seconds = build_edition(name)
        if returncode != 0 or warnings:
            failed = True
            print(f"\nbook build ({name}) FAILED in {seconds:.1f} s with {len(warnings)} warning(s):", file=sys.stderr)
            for line in warnings:
                print(f"  {line}", file=sys.stderr)
        else:
            print(f"\nbook ({name}) built in {seconds:.1f} s with no warnings")
    if failed:
        return 1
    STAMP.write_text(sources_digest() + "\n")
    print(f"both editions built: {HTML.relative_to(ROOT)}/index.html and {HTML.relative_to(ROOT)}/zh_CN/index.html")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reuse", action="store_true", help="skip the build when the stamp matches the sources")
    args = parser.parse_args(argv)
    if args.reuse and STAMP.is_file() and STAMP.read_text().strip() == sources_digest() and (HTML / "index.html").is_file():
        print(f"book is up to date (strict build of the current sources in {HTML.relative_to(ROOT)})")
        return 0
    return build()


if __name__ == "__main__":
    sys.exit(main())
