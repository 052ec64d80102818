"""Keep the translations of course_utils' learner-facing messages in step with the code.

Usage (from the repository root, inside the course's virtual environment):

    python tools/i18n.py extract
        Collect every message marked with _(), gettext(), ngettext() or N_()
        in course_utils/ into course_utils/locale/course_utils.pot (for
        translation tools; not committed, see below).

    python tools/i18n.py update
        Merge the messages found in the code into each catalog
        (course_utils/locale/<lang>/LC_MESSAGES/course_utils.po): new ones
        arrive untranslated, changed ones are marked fuzzy, removed ones become
        obsolete (#~). Translate them, then run `compile`.

    python tools/i18n.py compile
        Write each catalog's .mo next to its .po (atomically), skipping fuzzy
        entries. The .mo is committed: it is what an installed package reads.

    python tools/i18n.py check
        Exit 1, naming every problem, when a message marked in the code is
        missing from a catalog, a translation is empty or fuzzy, a
        translation's {placeholders} differ from its English text's, or the
        committed .mo differs from what compiling its .po gives.

The template (.pot) is not committed: `check` and `update` extract the
messages from the code in memory, so a committed template could only ever be
a stale copy of what the code says.
"""

from __future__ import annotations

import argparse
import io
import os
import re
import string
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "course_utils"
DOMAIN = "course_utils"
LANGUAGES = ("zh_CN",)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
WIDTH = 88
# A fixed date keeps the generated files the same from run to run.
EPOCH = datetime(2026, 1, 1, tzinfo=timezone.utc)
VERSION = "0.1.0"
HEADER = (
    "# Translations of the learner-facing messages of course_utils.\n"
    "# The English text in the code is the message id; `python tools/i18n.py update`\n"
    "# merges new and changed messages in, `python tools/i18n.py check` lists what\n"
    "# is missing. Distributed under the same license as the course (MIT)."
)


def _show(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def locale_dir(package: Path = PACKAGE) -> Path:
    return package / "locale"


def po_path(lang: str, package: Path = PACKAGE) -> Path:
    return locale_dir(package) / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(package: Path = PACKAGE) -> Catalog:
    """Every marked message in the Python files under ``package``, as a template catalog."""
    template = Catalog(project="course-utils", version=VERSION, domain=DOMAIN,
                       header_comment=HEADER, creation_date=EPOCH, revision_date=EPOCH,
                       fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(package), method_map=[("**.py", "python")], keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",), strip_comment_tags=True,
    ):
        if "locale" in Path(filename).parts:
            continue
        location = (f"{package.name}/{filename}", lineno)
        template.add(message, None, [location], auto_comments=comments, context=context)
    return template


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def po_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=WIDTH, include_lineno=False, sort_by_file=True)
    return buffer.getvalue()


def mo_bytes(catalog: Catalog) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def read_catalog(path: Path, lang: str) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def placeholders(text: str) -> set[str]:
    """The named fields of a ``str.format`` template (``{{`` escapes ignored)."""
    try:
        return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
    except ValueError:  # an unbalanced brace: compare the raw {...} instead
        return set(re.findall(r"\{[^{}]*\}", text))


def _texts(value) -> list[str]:
    return [v for v in (value if isinstance(value, (list, tuple)) else (value,)) if v]


def check(package: Path = PACKAGE, languages: tuple[str, ...] = LANGUAGES) -> list[str]:
    """Every problem with the catalogs under ``package``, one line each (empty: all good)."""
    problems: list[str] = []
    template = extract(package)
    wanted = [m for m in template if m.id]
    for lang in languages:
        path = po_path(lang, package)
        shown = path.relative_to(package.parent)
        if not path.is_file():
            problems.append(f"{shown}: missing (run: python tools/i18n.py update)")
            continue
        catalog = read_catalog(path, lang)
        for message in wanted:
            english = _texts(message.id)
            where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
            label = f"{shown}: {english[0]!r} ({where})"
            entry = catalog.get(message.id, message.context)
            if entry is None:
                problems.append(f"{label}: not in the catalog (run: python tools/i18n.py update)")
                continue
            translated = _texts(entry.string)
            if not translated or len(translated) < (len(english) if entry.pluralizable else 1):
                problems.append(f"{label}: not translated")
                continue
            if entry.fuzzy:
                problems.append(f"{label}: fuzzy (check the translation, then remove the fuzzy flag)")
            want = set().union(*(placeholders(t) for t in english))
            for text in translated:
                got = placeholders(text)
                if got != want:
                    missing, extra = sorted(want - got), sorted(got - want)
                    detail = "; ".join(
                        part for part in (
                            f"missing {{{'}, {'.join(missing)}}}" if missing else "",
                            f"unknown {{{'}, {'.join(extra)}}}" if extra else "",
                        ) if part
                    )
                    problems.append(f"{label}: placeholders differ from the English text ({detail})")
        mo = path.with_suffix(".mo")
        if not mo.is_file():
            problems.append(f"{mo.relative_to(package.parent)}: missing (run: python tools/i18n.py compile)")
        elif mo.read_bytes() != mo_bytes(catalog):
            problems.append(
                f"{mo.relative_to(package.parent)}: differs from what {path.name} compiles to "
                "(run: python tools/i18n.py compile)"
            )
    return problems


def update(package: Path = PACKAGE, languages: tuple[str, ...] = LANGUAGES) -> None:
    template = extract(package)
    for lang in languages:
        path = po_path(lang, package)
        if path.is_file():
            catalog = read_catalog(path, lang)
        else:
            catalog = Catalog(locale=lang, domain=DOMAIN, project="course-utils",
                              version=VERSION, header_comment=HEADER,
                              creation_date=EPOCH, revision_date=EPOCH, fuzzy=False)
        catalog.update(template, no_fuzzy_matching=False)
        catalog.header_comment, catalog.version = HEADER, VERSION
        catalog.creation_date = EPOCH
        catalog.revision_date = EPOCH
        _write_atomic(path, po_bytes(catalog))
        untranslated = sum(1 for m in catalog if m.id and not _texts(m.string))
        fuzzy = sum(1 for m in catalog if m.id and m.fuzzy)
        total = sum(1 for m in catalog if m.id)
        print(f"{_show(path)}: {total} messages, "
              f"{untranslated} untranslated, {fuzzy} fuzzy")


def compile_catalogs(package: Path = PACKAGE, languages: tuple[str, ...] = LANGUAGES) -> None:
    for lang in languages:
        path = po_path(lang, package)
        catalog = read_catalog(path, lang)
        mo = path.with_suffix(".mo")
        _write_atomic(mo, mo_bytes(catalog))
        print(f"{_show(mo)}: written")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["extract", "update", "compile", "check"])
    parser.add_argument("--package", type=Path, default=PACKAGE,
                        help="the package folder (default: course_utils)")
    args = parser.parse_args(argv)
    package = args.package.resolve()
    if args.command == "extract":
        pot = locale_dir(package) / f"{DOMAIN}.pot"
        template = extract(package)
        _write_atomic(pot, po_bytes(template))
        print(f"{_show(pot)}: {sum(1 for m in template if m.id)} messages")
    elif args.command == "update":
        update(package)
    elif args.command == "compile":
        compile_catalogs(package)
    else:
        problems = check(package)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        count = sum(1 for m in extract(package) if m.id)
        print(f"translations: {count} messages in {len(LANGUAGES)} language(s) checked, "
              f"{len(problems)} problem(s)")
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
