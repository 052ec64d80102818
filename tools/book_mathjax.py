"""Vendor the MathJax 3 files that the course book serves itself.

Usage (from the repository root; needs ``npm`` and the npm registry):

    python tools/book_mathjax.py            # (re)write book/_vendor/static/mathjax/
    python tools/book_mathjax.py --check    # exit 1 when the vendored copy differs from the pinned release

Why vendored: Sphinx points pages at MathJax on a CDN by default. The book
instead serves a pinned copy from its own ``_static/mathjax/`` folder, so that
the published site needs no third-party host, a book built on a machine
without internet still shows its mathematics, and the browser check in
``tests/test_book.py`` tests exactly the files that are published. Only what
the pages use is copied (about 2 MB): the component Sphinx loads by default
(``tex-mml-chtml.js``), its web fonts, and the TeX extensions that MathJax's
autoload fetches on demand (e.g. for ``\\boldsymbol`` or ``\\cancel``).

The tarball comes from the npm registry through ``npm pack`` and is checked
against the integrity digest pinned below before anything is extracted.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "book" / "_vendor" / "static" / "mathjax"

VERSION = "3.2.2"
# `npm view mathjax@3.2.2 dist.integrity`
INTEGRITY = "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="

# Paths inside the package (under package/), and where they go under TARGET.
WANTED = {
    "LICENSE": "LICENSE",
    "es5/tex-mml-chtml.js": "tex-mml-chtml.js",
    "es5/output/chtml/fonts/woff-v2/": "output/chtml/fonts/woff-v2/",
    "es5/input/tex/extensions/": "input/tex/extensions/",
}


def integrity_of(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def fetch_tarball(workdir: Path) -> Path:
    """Download the pinned release with npm and verify it; return the tarball's path."""
    subprocess.run(
        ["npm", "pack", f"mathjax@{VERSION}", "--pack-destination", str(workdir), "--silent"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    tarball = workdir / f"mathjax-{VERSION}.tgz"
    found = integrity_of(tarball.read_bytes())
    if found != INTEGRITY:
        raise SystemExit(f"mathjax-{VERSION}.tgz: integrity {found} is not the pinned {INTEGRITY}")
    return tarball


def wanted_members(tar: tarfile.TarFile) -> dict[str, tarfile.TarInfo]:
    """Map each target-relative path to its member in the tarball."""
    out = {}
    for member in tar.getmembers():
        if not member.isfile() or not member.name.startswith("package/"):
            continue
        inner = member.name[len("package/") :]
        for source, dest in WANTED.items():
            if inner == source or (source.endswith("/") and inner.startswith(source) and "/" not in inner[len(source) :]):
                out[dest + inner[len(source) :] if source.endswith("/") else dest] = member
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="compare the vendored files with the release")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tarball = fetch_tarball(Path(tmp))
        with tarfile.open(tarball) as tar:
            members = wanted_members(tar)
            if args.check:
                present = {p.relative_to(TARGET).as_posix() for p in TARGET.rglob("*") if p.is_file()}
                differ = sorted(set(members) ^ present)
                differ += sorted(
                    rel for rel, m in members.items()
                    if rel in present and (TARGET / rel).read_bytes() != tar.extractfile(m).read()
                )
                for rel in differ:
                    print(f"differs from mathjax {VERSION}: {rel}", file=sys.stderr)
                print(f"MathJax {VERSION}: {len(members)} files, {len(differ)} differ")
                return 1 if differ else 0
            if TARGET.exists():
                shutil.rmtree(TARGET)
            total = 0
            for rel, member in sorted(members.items()):
                dest = TARGET / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                data = tar.extractfile(member).read()
                dest.write_bytes(data)
                total += len(data)
    print(f"MathJax {VERSION}: {len(members)} files, {total / 1e6:.2f} MB in {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
