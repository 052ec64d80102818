"""Keep the Chinese lessons in step with the English ones.

Every lesson ``notebooks/NN_name.py`` has a Chinese twin
``notebooks/zh_CN/NN_name.py`` with the same cells in the same order. The
code cells are the English code (comments may be translated); the markdown
cells are Chinese, and each records in its metadata, as ``translates``, a
digest of the English cell it renders. The Chinese ``.ipynb`` is not
executed: it is built from the Chinese ``.py`` and the outputs of the
English ``.ipynb``, which nbval checks.

Usage (from the repository root, inside the course's virtual environment):

The book's pages work the same way, a page at a time: ``book/zh_CN/NAME.md``
renders ``book/NAME.md`` and records the English page's digest in its front
matter (``translates: ...``); the two tables of contents list the same pages
in the same order.

    python tools/translations.py check [NN ...]
        Exit 1, naming the lesson, the cell and what changed, when a lesson
        has no Chinese twin (or a twin has no English lesson), when a code
        cell's code, tags or position differ, when an English markdown cell
        changed, was added or was removed since it was translated, when a
        Chinese markdown cell has no digest or was left in English, or when
        a Chinese .ipynb is not what ``build`` writes; and, with no NN, when
        a book page has no Chinese twin, changed since it was translated,
        has a different number of headings or different cross-references
        and citations, or when the two tables of contents differ. Bold or
        italic text that Markdown would leave unclosed (``**所需时间：**阅读``:
        CommonMark does not close emphasis after full-width punctuation
        followed by a letter) is reported too.

    python tools/translations.py stamp NN [--cell M ...]
        Record the digests of the English cells in the Chinese lesson NN:
        with no --cell, in the markdown cells that have none yet (a new
        translation); with --cell M, in Chinese cell M (0-based) once its
        translation has been updated. Refuses when the two lessons' cells do
        not line up.

    python tools/translations.py stamp-page NAME
        Record the digest of book/NAME.md in book/zh_CN/NAME.md, once its
        translation is up to date.

    python tools/translations.py build [NN ...]
        Write each Chinese .ipynb (all of them with no argument) from its
        .py and the English .ipynb's outputs, atomically.

    python tools/translations.py init NN
        Start the twin of a new English lesson: copy its .py to zh_CN/, to
        be translated and then stamped.

NN is a lesson number (``3``, ``03``) or a lesson's file name.
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import io
import os
import re
import sys
import tempfile
import tokenize
from dataclasses import dataclass
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_utils.lesson_format import (
    cell_source,
    cell_tags,
    jupytext_sources,
    stable_cell_id,
)

NOTEBOOKS = ROOT / "notebooks"
BOOK = ROOT / "book"
LANGUAGE = "zh_CN"
TRANSLATED = NOTEBOOKS / LANGUAGE
KEY = "translates"  # the markdown cell metadata that holds the English cell's digest
TEXT_FORMAT = "py:percent"
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
WORDS = re.compile(r"[A-Za-z]{3,}")
ROLES = re.compile(r"\{(?:doc|ref|cite(?::[a-z]+)?|numref|eq)\}`[^`]*`")
FRONT_MATTER = re.compile(r"\A---\n(?P<body>.*?)\n---\n", re.DOTALL)
HEADING = re.compile(r"^#{1,6} ", re.MULTILINE)
FENCE = re.compile(r"^(`{3,}|:{3,}).*?^\1", re.MULTILINE | re.DOTALL)


def unclosed_emphasis(text: str) -> list[str]:
    """Lines of ``text`` whose ``**`` or ``*`` Markdown leaves as literal asterisks."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    found = []
    for line in FENCE.sub("", text).splitlines():
        if "*" not in line or not CJK.search(line):
            continue
        parsed = re.sub(r"\$[^$]*\$", "M", line)  # maths may hold stars; code spans are parsed as code
        inline = "".join(t.content for tok in md.parseInline(parsed) for t in (tok.children or []) if t.type == "text")
        if "**" in inline or re.search(r"(?<![\w*\\])\*(?=\S)", inline):
            found.append(line.strip()[:60])
    return found


def digest(source: str) -> str:
    """The digest that a translation records: 12 hex digits of SHA-256 of the
    English cell's text, trailing whitespace of each line ignored."""
    text = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def code_tokens(source: str) -> tuple[tuple[int, str], ...] | str:
    """The executable content of a code cell: its tokens without comments or
    layout, so that a translated comment changes nothing. Code that Python's
    tokenizer cannot read (a cell magic) is compared as text."""
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        kept = tuple(
            (tok.type, tok.string)
            for tok in tokens
            if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.INDENT, tokenize.DEDENT)
        )
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return source.strip()
    # INDENT/DEDENT are dropped above; keep the structure through each line's indent.
    indents = tuple(len(line) - len(line.lstrip()) for line in source.splitlines()
                    if line.strip() and not line.lstrip().startswith("#"))
    return kept + (("indents", str(indents)),)


@dataclass
class Pair:
    """A lesson and its Chinese twin."""

    name: str
    english: Path
    chinese: Path


def pairs(selected: list[str] | None = None) -> tuple[list[Pair], list[str]]:
    """The lessons (with their twins' paths), and problems with the two folders' lists."""
    problems = []
    english = {p.stem: p for p in jupytext_sources(NOTEBOOKS)}
    chinese = {p.stem: p for p in jupytext_sources(TRANSLATED)} if TRANSLATED.is_dir() else {}
    for stem in sorted(set(chinese) - set(english)):
        problems.append(f"{LANGUAGE}/{stem}.py translates no English lesson (notebooks/{stem}.py is missing)")
    names = sorted(english)
    if selected:
        wanted = []
        for item in selected:
            match = [n for n in names if n == item or n.split("_")[0] == item.zfill(2) or n == Path(item).stem]
            if not match:
                raise SystemExit(f"no lesson {item!r}; the lessons are {', '.join(names)}")
            wanted.extend(match)
        names = wanted
    return [Pair(n, english[n], TRANSLATED / f"{n}.py") for n in names], problems


def _key(cell, recorded: bool) -> tuple:
    if cell.cell_type == "code":
        return ("code", code_tokens(cell_source(cell)), tuple(cell_tags(cell)))
    if recorded:
        return ("markdown", cell.metadata.get(KEY), tuple(cell_tags(cell)))
    return ("markdown", digest(cell_source(cell)), tuple(cell_tags(cell)))


def _first_line(cell, width: int = 60) -> str:
    for line in cell_source(cell).splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 3] + "..."
    return "(empty)"


def compare(pair: Pair) -> list[str]:
    """What keeps ``pair.chinese`` from being a faithful twin of ``pair.english``."""
    lesson = pair.name
    if not pair.chinese.is_file():
        return [(f"{lesson}: no Chinese twin notebooks/{LANGUAGE}/{lesson}.py "
                 f"(start one: python tools/translations.py init {lesson.split('_')[0]})")]
    en = jupytext.read(pair.english)
    zh = jupytext.read(pair.chinese)
    problems = []
    a = [_key(c, recorded=False) for c in en.cells]
    b = [_key(c, recorded=True) for c in zh.cells]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        if op == "replace" and i2 - i1 == j2 - j1:
            for i, j in zip(range(i1, i2), range(j1, j2)):
                problems.append(_cell_problem(lesson, i, en.cells[i], j, zh.cells[j]))
            continue
        for i in range(i1, i2):
            problems.append(f"{lesson}: English cell {i} ({en.cells[i].cell_type}, "
                            f"'{_first_line(en.cells[i])}') has no counterpart in the Chinese lesson "
                            f"(it was added, or its translation was removed or is out of date)")
        for j in range(j1, j2):
            problems.append(f"{lesson}: Chinese cell {j} ({zh.cells[j].cell_type}, "
                            f"'{_first_line(zh.cells[j])}') matches no English cell "
                            f"(the English cell changed or was removed)")
    for j, cell in enumerate(zh.cells):
        if cell.cell_type == "markdown":
            text = cell_source(cell)
            if len(WORDS.findall(text)) >= 3 and not CJK.search(text):
                problems.append(f"{lesson}: Chinese cell {j} ('{_first_line(cell)}') is still in English")
            for line in unclosed_emphasis(text):
                problems.append(f"{lesson}: Chinese cell {j}: emphasis left unclosed in '{line}' "
                                "(put a space after the closing ** when full-width punctuation ends it)")
    return problems


def page_digest(path: Path) -> str:
    return digest(path.read_text(encoding="utf-8"))


def recorded_digest(text: str) -> str | None:
    match = FRONT_MATTER.match(text)
    if not match:
        return None
    found = re.search(r"^translates:\s*(\S+)\s*$", match.group("body"), re.MULTILINE)
    return found.group(1) if found else None


def _toc_files(path: Path) -> list[str]:
    return re.findall(r"^\s*(?:-\s*)?(?:file|root):\s*(\S+)", path.read_text(encoding="utf-8"), re.MULTILINE)


def check_pages(book: Path | None = None) -> list[str]:
    """What keeps the Chinese book's pages from being faithful twins of the English ones."""
    book = BOOK if book is None else book
    problems = []
    zh_book = book / LANGUAGE
    en_toc, zh_toc = _toc_files(book / "_toc.yml"), _toc_files(zh_book / "_toc.yml")
    if en_toc != zh_toc:
        diff = list(difflib.unified_diff(en_toc, zh_toc, "book/_toc.yml", f"book/{LANGUAGE}/_toc.yml", lineterm="", n=0))
        problems.append("the two tables of contents list different pages:\n      " + "\n      ".join(diff[2:10]))
    english = {p.stem: p for p in sorted(book.glob("*.md"))}
    chinese = {p.stem: p for p in sorted(zh_book.glob("*.md"))}
    for name in sorted(set(chinese) - set(english)):
        problems.append(f"book/{LANGUAGE}/{name}.md translates no English page (book/{name}.md is missing)")
    for name, en_path in english.items():
        zh_path = chinese.get(name)
        where = f"book/{LANGUAGE}/{name}.md"
        if zh_path is None:
            problems.append(f"book/{name}.md has no Chinese twin {where}")
            continue
        en_text, zh_text = en_path.read_text(encoding="utf-8"), zh_path.read_text(encoding="utf-8")
        recorded = recorded_digest(zh_text)
        if recorded is None:
            problems.append(f"{where} records no English digest; when it is translated, run: "
                            f"python tools/translations.py stamp-page {name}")
        elif recorded != digest(en_text):
            problems.append(f"book/{name}.md changed since {where} was translated (digest {recorded}, now "
                            f"{digest(en_text)}; `git log -p book/{name}.md` shows the change); update it, then "
                            f"run: python tools/translations.py stamp-page {name}")
        body = FRONT_MATTER.sub("", zh_text)
        en_body = FENCE.sub("", en_text)
        zh_plain = FENCE.sub("", body)
        if len(HEADING.findall(en_body)) != len(HEADING.findall(zh_plain)):
            problems.append(f"{where} has {len(HEADING.findall(zh_plain))} headings, book/{name}.md "
                            f"{len(HEADING.findall(en_body))}")
        en_roles, zh_roles = sorted(ROLES.findall(en_text)), sorted(ROLES.findall(body))
        if en_roles != zh_roles:
            missing = sorted(set(en_roles) - set(zh_roles))
            extra = sorted(set(zh_roles) - set(en_roles))
            problems.append(f"{where}: cross-references and citations differ from book/{name}.md "
                            f"(only in English: {missing[:4] or 'none'}; only in Chinese: {extra[:4] or 'none'})")
        if not CJK.search(body):
            problems.append(f"{where} is still in English")
        for line in unclosed_emphasis(body):
            problems.append(f"{where}: emphasis left unclosed in '{line}'")
    return problems


def stamp_page(name: str, book: Path | None = None) -> None:
    book = BOOK if book is None else book
    en_path, zh_path = book / f"{name}.md", book / LANGUAGE / f"{name}.md"
    for path in (en_path, zh_path):
        if not path.is_file():
            raise SystemExit(f"{path} does not exist")
    text = zh_path.read_text(encoding="utf-8")
    line = f"translates: {page_digest(en_path)}"
    match = FRONT_MATTER.match(text)
    if match:
        body = match.group("body")
        body = re.sub(r"^translates:.*$", line, body, flags=re.MULTILINE) if re.search(r"^translates:", body, re.MULTILINE) \
            else body + "\n" + line
        text = f"---\n{body}\n---\n" + text[match.end():]
    else:
        text = f"---\n{line}\n---\n" + text
    _write_text(zh_path, text)


def _cell_problem(lesson: str, i: int, en_cell, j: int, zh_cell) -> str:
    where = f"{lesson}: cell {i} ('{_first_line(en_cell)}')"
    if en_cell.cell_type != zh_cell.cell_type:
        return f"{where} is {en_cell.cell_type} in English but Chinese cell {j} is {zh_cell.cell_type}"
    if cell_tags(en_cell) != cell_tags(zh_cell):
        return f"{where}: tags {cell_tags(en_cell)} in English, {cell_tags(zh_cell)} in Chinese cell {j}"
    if en_cell.cell_type == "code":
        diff = difflib.unified_diff(
            cell_source(en_cell).splitlines(), cell_source(zh_cell).splitlines(),
            "English", "Chinese", lineterm="", n=0)
        shown = "\n      ".join(list(diff)[2:8])
        return f"{where}: the code differs from Chinese cell {j} (only comments may differ):\n      {shown}"
    recorded = zh_cell.metadata.get(KEY)
    if recorded is None:
        return (f"{where}: Chinese cell {j} records no English digest; when its translation is done, "
                f"run: python tools/translations.py stamp {lesson.split('_')[0]} --cell {j}")
    return (f"{where} changed since it was translated (digest {recorded}, now {digest(cell_source(en_cell))}); "
            f"update Chinese cell {j}, then run: python tools/translations.py stamp {lesson.split('_')[0]} "
            f"--cell {j}")


def stamp(pair: Pair, cells: list[int] | None) -> int:
    """Record English digests in the Chinese lesson; return how many cells were stamped."""
    en = jupytext.read(pair.english)
    zh = jupytext.read(pair.chinese)
    kinds = lambda nb: [c.cell_type for c in nb.cells]
    if kinds(en) != kinds(zh):
        raise SystemExit(f"{pair.name}: the English and Chinese lessons have different cells "
                         f"({len(en.cells)} and {len(zh.cells)}); make them line up first "
                         f"(python tools/translations.py check {pair.name.split('_')[0]} names the cells)")
    targets = [j for j, c in enumerate(zh.cells) if c.cell_type == "markdown"] if cells is None else cells
    count = 0
    for j in targets:
        if not 0 <= j < len(zh.cells) or zh.cells[j].cell_type != "markdown":
            raise SystemExit(f"{pair.name}: cell {j} is not a markdown cell of the Chinese lesson")
        if cells is None and KEY in zh.cells[j].metadata:
            continue
        zh.cells[j].metadata[KEY] = digest(cell_source(en.cells[j]))
        count += 1
    _write_text(pair.chinese, jupytext.writes(zh, fmt=TEXT_FORMAT))
    return count


def built(pair: Pair) -> nbformat.NotebookNode:
    """The Chinese .ipynb: the Chinese sources with the English run's outputs."""
    problems = [p for p in compare(pair) if "still in English" not in p]
    if problems:
        raise SystemExit("cannot build a Chinese notebook whose cells do not match:\n- " + "\n- ".join(problems))
    en = nbformat.read(pair.english.with_suffix(".ipynb"), as_version=4)
    zh = jupytext.read(pair.chinese)
    out = copy.deepcopy(en)
    out.metadata.update(copy.deepcopy(zh.metadata))
    if len(en.cells) != len(zh.cells):
        raise SystemExit(f"{pair.name}: the English .ipynb has {len(en.cells)} cells and the Chinese .py "
                         f"{len(zh.cells)}; run python tools/notebooks.py check for the English pair first")
    for index, (cell, source) in enumerate(zip(out.cells, zh.cells)):
        cell.source = source.source
        if cell.cell_type == "markdown":
            cell.metadata = copy.deepcopy(source.metadata)
        cell["id"] = stable_cell_id(index, cell.source)
    return out


def _dumps(nb: nbformat.NotebookNode) -> str:
    return nbformat.writes(nb) + "\n"


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check(selected: list[str] | None = None) -> list[str]:
    """Every problem with the Chinese lessons, and with no selection the pages
    too (empty when the two languages are in step)."""
    found, problems = pairs(selected)
    if not selected:
        problems.extend(check_pages())
    for pair in found:
        cell_problems = compare(pair)
        problems.extend(cell_problems)
        if cell_problems or not pair.chinese.is_file():
            continue
        ipynb = pair.chinese.with_suffix(".ipynb")
        if not ipynb.is_file():
            problems.append(f"{pair.name}: no {LANGUAGE}/{ipynb.name}; run: python tools/translations.py build "
                            f"{pair.name.split('_')[0]}")
        elif ipynb.read_text(encoding="utf-8") != _dumps(built(pair)):
            problems.append(f"{pair.name}: {LANGUAGE}/{ipynb.name} is not the Chinese text with the English "
                            f"outputs (an English rerun or a Chinese edit since it was built); run: "
                            f"python tools/translations.py build {pair.name.split('_')[0]}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("check", help="fail when the two languages are out of step")
    p.add_argument("lessons", nargs="*")
    p = sub.add_parser("stamp", help="record the English digests in a Chinese lesson")
    p.add_argument("lesson")
    p.add_argument("--cell", type=int, action="append", help="a Chinese cell whose translation was updated")
    p = sub.add_parser("stamp-page", help="record the English page's digest in its Chinese twin")
    p.add_argument("page")
    p = sub.add_parser("build", help="write the Chinese .ipynb files")
    p.add_argument("lessons", nargs="*")
    p = sub.add_parser("init", help="copy a new English lesson to zh_CN/ for translation")
    p.add_argument("lesson")
    args = parser.parse_args(argv)

    if args.command == "check":
        problems = check(args.lessons)
        for problem in problems:
            print(f"- {problem}", file=sys.stderr)
        count = len(pairs(args.lessons)[0])
        pages = "" if args.lessons else f" and {len(list(BOOK.glob('*.md')))} pages"
        print(f"Chinese lessons: {count}{pages} checked, {len(problems)} problem(s)")
        return 1 if problems else 0
    if args.command == "build":
        for pair in pairs(args.lessons)[0]:
            _write_text(pair.chinese.with_suffix(".ipynb"), _dumps(built(pair)))
            print(f"wrote notebooks/{LANGUAGE}/{pair.name}.ipynb")
        return 0
    if args.command == "stamp-page":
        stamp_page(Path(args.page).stem)
        print(f"book/{LANGUAGE}/{Path(args.page).stem}.md: stamped")
        return 0
    (pair,) = pairs([args.lesson])[0]
    if args.command == "init":
        if pair.chinese.exists():
            raise SystemExit(f"{pair.chinese.relative_to(ROOT)} exists already")
        TRANSLATED.mkdir(exist_ok=True)
        _write_text(pair.chinese, pair.english.read_text(encoding="utf-8"))
        print(f"wrote {pair.chinese.relative_to(ROOT)}: translate its markdown cells, then run "
              f"python tools/translations.py stamp {pair.name.split('_')[0]}")
        return 0
    count = stamp(pair, args.cell)
    print(f"{pair.name}: {count} cell(s) stamped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
