"""The Chinese edition stays in step with the English one (tools/translations.py).

The real lessons and pages are checked as committed; then copies of them in a
temporary folder are broken on purpose, one way at a time, to show that the
check names the lesson, the cell and what changed.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import translations

LESSON = "02_cross_entropy"


def test_the_committed_editions_are_in_step():
    assert translations.check() == []


def test_every_english_lesson_and_page_has_a_chinese_twin():
    english = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    chinese = sorted(p.stem for p in (ROOT / "notebooks" / "zh_CN").glob("[0-9][0-9]_*.py"))
    assert english == chinese
    pages = sorted(p.name for p in (ROOT / "book").glob("*.md"))
    assert pages == sorted(p.name for p in (ROOT / "book" / "zh_CN").glob("*.md"))


@pytest.mark.parametrize("lesson", sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")))
def test_each_chinese_notebook_carries_the_english_runs_outputs(lesson):
    """Checked here directly, not through the tool: same code, same outputs, cell for cell."""
    en = nbformat.read(ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    zh = nbformat.read(ROOT / "notebooks" / "zh_CN" / f"{lesson}.ipynb", as_version=4)
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in zh.cells]
    for i, (a, b) in enumerate(zip(en.cells, zh.cells)):
        if a.cell_type == "code":
            assert a.outputs == b.outputs, f"{lesson}, cell {i}"
            assert a.execution_count == b.execution_count, f"{lesson}, cell {i}"
            assert translations.code_tokens(a.source) == translations.code_tokens(b.source), f"{lesson}, cell {i}"
        else:
            assert translations.CJK.search(b.source) or not translations.WORDS.search(a.source), f"{lesson}, cell {i}"


def test_no_figure_needs_a_chinese_font():
    """Figures keep their English labels in both editions (a CJK font cannot be
    counted on in Colab or CI): no lesson's code holds Chinese text, so only
    captions and alt text, which are markdown, are translated. Were a figure to
    draw Chinese, this test would have to become a font and missing-glyph check."""
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py")):
        for i, cell in enumerate(jupytext.read(path).cells):
            if cell.cell_type == "code":
                assert not translations.CJK.search(cell.source), f"{path.name}, cell {i}"


@pytest.fixture
def copy(tmp_path, monkeypatch):
    """A copy of one lesson pair in both languages and of the book's pages, with the tool pointed at it."""
    notebooks = tmp_path / "notebooks"
    (notebooks / "zh_CN").mkdir(parents=True)
    for suffix in (".py", ".ipynb"):
        shutil.copy(ROOT / "notebooks" / f"{LESSON}{suffix}", notebooks)
        shutil.copy(ROOT / "notebooks" / "zh_CN" / f"{LESSON}{suffix}", notebooks / "zh_CN")
    book = tmp_path / "book"
    shutil.copytree(ROOT / "book", book, ignore=shutil.ignore_patterns("_build", "notebooks", "_vendor", "_ext"))
    monkeypatch.setattr(translations, "NOTEBOOKS", notebooks)
    monkeypatch.setattr(translations, "TRANSLATED", notebooks / "zh_CN")
    monkeypatch.setattr(translations, "BOOK", book)
    assert translations.check() == []
    return tmp_path


def _edit(path: Path, index: int, change) -> None:
    nb = jupytext.read(path)
    change(nb.cells, index)
    jupytext.write(nb, path, fmt="py:percent")


def _markdown_index(path: Path) -> int:
    return next(i for i, c in enumerate(jupytext.read(path).cells) if c.cell_type == "markdown" and i > 2)


def test_an_edited_english_cell_is_named_until_the_translation_follows(copy):
    en = copy / "notebooks" / f"{LESSON}.py"
    i = _markdown_index(en)
    _edit(en, i, lambda cells, i: cells[i].__setitem__("source", cells[i].source + "\n\nOne more sentence."))
    problems = translations.check()
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"{LESSON}: cell {i} (") and "changed since it was translated" in problems[0]
    assert f"stamp 02 --cell {i}" in problems[0]
    # the translator updates the cell and records it: in step again
    zh = copy / "notebooks" / "zh_CN" / f"{LESSON}.py"
    _edit(zh, i, lambda cells, i: cells[i].__setitem__("source", cells[i].source + "\n\n再加一句。"))
    translations.stamp(translations.Pair(LESSON, en, zh), [i])
    translations._write_text(zh.with_suffix(".ipynb"), translations._dumps(translations.built(
        translations.Pair(LESSON, en, zh))))
    assert translations.check() == []


def test_an_added_or_removed_english_cell_is_named(copy):
    en = copy / "notebooks" / f"{LESSON}.py"
    i = _markdown_index(en)
    _edit(en, i, lambda cells, i: cells.insert(i, nbformat.v4.new_markdown_cell("A new paragraph in English.")))
    problems = translations.check()
    assert any(f"English cell {i} (markdown, 'A new paragraph in English.') has no counterpart" in p
               for p in problems), problems
    shutil.copy(ROOT / "notebooks" / f"{LESSON}.py", en)
    _edit(en, i, lambda cells, i: cells.pop(i))
    problems = translations.check()
    assert any(f"Chinese cell {i} (markdown" in p and "matches no English cell" in p for p in problems), problems


def test_code_must_match_but_comments_may_be_translated(copy):
    zh = copy / "notebooks" / "zh_CN" / f"{LESSON}.py"
    cells = jupytext.read(zh).cells
    j = next(i for i, c in enumerate(cells) if c.cell_type == "code" and "=" in c.source and i > 1)
    _edit(zh, j, lambda cells, j: cells[j].__setitem__("source", "# 一条新的中文注释\n" + cells[j].source))
    translations._write_text(zh.with_suffix(".ipynb"), translations._dumps(translations.built(
        translations.Pair(LESSON, copy / "notebooks" / f"{LESSON}.py", zh))))
    assert translations.check() == []  # a comment changes nothing
    _edit(zh, j, lambda cells, j: cells[j].__setitem__("source", cells[j].source.replace("=", "= 1 +", 1)))
    problems = translations.check()
    assert any(f"{LESSON}: cell {j}" in p and "the code differs" in p and "+" in p for p in problems), problems


def test_tags_must_match(copy):
    zh = copy / "notebooks" / "zh_CN" / f"{LESSON}.py"
    cells = jupytext.read(zh).cells
    j = next(i for i, c in enumerate(cells) if c.cell_type == "code" and i > 1)
    _edit(zh, j, lambda cells, j: cells[j].metadata.__setitem__("tags", ["nbval-ignore-output"]))
    assert any("tags" in p for p in translations.check())


def test_the_chinese_notebook_must_carry_the_english_outputs(copy):
    ipynb = copy / "notebooks" / "zh_CN" / f"{LESSON}.ipynb"
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code" and c["outputs"])
    cell["outputs"] = []
    ipynb.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = translations.check()
    assert problems and "is not the Chinese text with the English outputs" in problems[0], problems


def test_an_untranslated_cell_and_unclosed_emphasis_are_reported(copy):
    zh = copy / "notebooks" / "zh_CN" / f"{LESSON}.py"
    i = _markdown_index(zh)
    _edit(zh, i, lambda cells, i: cells[i].__setitem__("source", "This paragraph was left in English."))
    assert any(f"Chinese cell {i}" in p and "still in English" in p for p in translations.check())
    _edit(zh, i, lambda cells, i: cells[i].__setitem__("source", "**所需时间：**阅读约 35 分钟。"))
    assert any("emphasis left unclosed" in p for p in translations.check())
    _edit(zh, i, lambda cells, i: cells[i].__setitem__("source", "**所需时间：** 阅读约 35 分钟。"))
    assert not any("emphasis" in p for p in translations.check())


def test_a_missing_twin_is_named(copy):
    (copy / "notebooks" / "zh_CN" / f"{LESSON}.py").unlink()
    assert translations.check() == [
        f"{LESSON}: no Chinese twin notebooks/zh_CN/{LESSON}.py (start one: python tools/translations.py init 02)"]


def test_book_pages_are_tracked_a_page_at_a_time(copy):
    book = copy / "book"
    page = book / "faq.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more answer.\n", encoding="utf-8")
    problems = translations.check()
    assert problems == [p for p in problems if "book/faq.md changed since book/zh_CN/faq.md was translated" in p]
    assert len(problems) == 1
    translations.stamp_page("faq")
    assert translations.check() == []
    zh = book / "zh_CN" / "faq.md"
    zh.write_text(zh.read_text(encoding="utf-8").replace("{doc}`running_locally`", "运行课程", 1), encoding="utf-8")
    assert any("cross-references and citations differ" in p and "running_locally" in p for p in translations.check())
    (book / "zh_CN" / "glossary.md").unlink()
    assert "book/glossary.md has no Chinese twin book/zh_CN/glossary.md" in translations.check()


def test_the_tables_of_contents_must_list_the_same_pages(copy):
    toc = copy / "book" / "zh_CN" / "_toc.yml"
    toc.write_text(toc.read_text(encoding="utf-8").replace("      - file: faq\n", ""), encoding="utf-8")
    assert any(p.startswith("the two tables of contents list different pages") and "-faq" in p
               for p in translations.check())
