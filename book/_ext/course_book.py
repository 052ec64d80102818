"""The course book's Sphinx extension (Jupyter Book loads it from ``_config.yml``).

The lessons live in the repository's ``notebooks/`` folder as executed,
nbval-checked ``.ipynb`` files. Before Sphinx looks for documents, this
extension turns each lesson listed in the ``course_lessons`` setting into a
page source under ``book/notebooks/`` (a generated, git-ignored folder; the
``.py`` twins are never copied). On the way it:

* checks the lesson against the format's rules, which live in
  :mod:`course_utils.lesson_format` (shared with ``tools/notebooks.py`` and the
  grader): in a lesson declared with both frameworks, every run of
  consecutive cells tagged ``tensorflow`` / ``pytorch`` must hold both, and
  the lesson must have at least one such run; a lesson declared
  single-framework must not contain the other framework (no cell tagged with
  it, no code that imports it); every image has a caption. A violation is a
  Sphinx warning, so the strict build (``-W``) fails and names the lesson and
  cell;
* shows each run in the convention's order (TensorFlow cells, then PyTorch
  cells) as a synced TensorFlow | PyTorch tab-set (sphinx-design, sync group
  ``framework``); a run in another order hands data from one framework to the
  other and stays as plain cells (see ``tabbed_runs``). A notebook's code cells cannot
  sit inside a directive, so each tagged cell's code is repeated in the tab as
  a code block and its outputs are glued (myst-nb ``glue``) into the tab; the
  original cell is hidden with ``remove-cell``. A single-framework lesson gets
  a synced note at the top that points a reader of the other framework to its
  counterpart lesson;
* gives every image output alt text: the first sentence of the
  ``**Figure N.M.** ...`` caption that the lessons put right after a figure
  (an image without such a caption is reported as a warning);
* replaces ipywidgets outputs, which need a running kernel, with a short note.

It also removes the duplicate inline scripts that Sphinx 7.4 writes for
some extensions (see ``_dedupe_scripts``).

After the build, the page's download button serves the untouched lesson
notebook, not the transformed page source. The extension also serves the
vendored MathJax (``_vendor/static``) and provides the ``repository_url``
substitution and the ``repository-code`` directive, so the repository address
stays in one place: ``repository.url`` in ``_config.yml``.

Run ``python book/_ext/course_book.py`` to check the lessons without
building the book.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from course_utils.lesson_format import (  # the format's rules: one definition for every tool
    FRAMEWORKS,
    IMAGE_MIMES,
    LABELS,
    WIDGET_MIME,
    alt_from_caption,
    caption_after,
    cell_framework,
    cell_source,
    cell_tags,
    check_lesson,
    has_image,
    joined_text,
    tabbed_runs,
)

SYNC_GROUP = "framework"
GLUE_PREFIX = "application/papermill.record/"  # myst_nb.ext.glue.GLUE_PREFIX: glued, not displayed in place
#: Texts the extension writes into pages, by edition (``language`` in the
#: book's Sphinx settings; the English edition leaves it unset).
TEXTS = {
    "en": {
        "widget_title": "Interactive figure",
        "widget": "An interactive control panel appears here when the notebook runs in Jupyter. "
        "Open the lesson with the launch button at the top of the page, or run it on your "
        "own machine (see <a href=\"../running_locally.html\">Running the course</a>), to use it.",
        "own": "This lesson uses {own} only, like the example in the article that it follows.",
        "other": "This lesson is written for {own} only.{pointer}",
        "pointer": " The same model in {other} is in {refs}.",
        "or": " or ",
    },
    "zh_CN": {
        "widget_title": "交互式图形",
        "widget": "在 Jupyter 中运行本课时，这里会出现一个交互式控制面板。用页面顶部的启动按钮打开本课，"
        "或者在自己的电脑上运行（见<a href=\"../running_locally.html\">运行课程</a>），就能使用它。",
        "own": "本课只使用 {own}，与它所依据的原文示例一致。",
        "other": "本课只为 {own} 编写。{pointer}",
        "pointer": "用 {other} 实现的同一个模型见 {refs}。",
        "or": " 或 ",
    },
}


def texts(language: str | None) -> dict[str, str]:
    """The extension's page texts for a book whose Sphinx ``language`` is ``language``."""
    return TEXTS.get(language or "en", TEXTS["en"])


def widget_note(language: str | None = None) -> str:
    t = texts(language)
    return (
        '<div class="admonition tip course-widget-note">'
        f'<p class="admonition-title">{t["widget_title"]}</p><p>{t["widget"]}</p></div>'
    )


WIDGET_NOTE = widget_note()

BOOK = Path(__file__).resolve().parent.parent
ROOT = BOOK.parent
GENERATED = "notebooks"  # under book/: the lesson page sources written here
VENDOR_STATIC = BOOK / "_vendor" / "static"


class LessonError(ValueError):
    """A lesson breaks the book's conventions."""


# --------------------------------------------------------------------------- transformation


def _glue_outputs(cell: dict, key_prefix: str, note: str = WIDGET_NOTE) -> tuple[list[dict], list[tuple[str, bool]]]:
    """Turn a cell's outputs into hidden glue records; return them and (key, is_image) pairs."""
    glued, keys = [], []
    for number, out in enumerate(cell.get("outputs", [])):
        key = f"{key_prefix}-{number}"
        kind = out.get("output_type")
        if kind == "stream":
            data = {"text/plain": joined_text(out.get("text", ""))}
            metadata: dict[str, Any] = {}
        elif kind in ("display_data", "execute_result"):
            data = dict(out.get("data", {}))
            metadata = copy.deepcopy(out.get("metadata", {}))
        elif kind == "error":  # a cell tagged raises-exception: show its traceback
            data = {"text/plain": "\n".join(out.get("traceback", [])) or f"{out.get('ename')}: {out.get('evalue')}"}
            metadata = {}
        else:
            continue
        if WIDGET_MIME in data:
            data = {"text/html": note}
        metadata["scrapbook"] = {"name": key, "mime_prefix": GLUE_PREFIX}
        glued.append(
            {
                "output_type": "display_data",
                "data": {GLUE_PREFIX + mime: value for mime, value in data.items()},
                "metadata": metadata,
            }
        )
        keys.append((key, any(m in data for m in IMAGE_MIMES)))
    return glued, keys


def _tab_item(framework: str, blocks: list[str]) -> str:
    body = "\n\n".join(blocks)
    return f"::::::{{tab-item}} {LABELS[framework]}\n:sync: {framework}\n\n{body}\n::::::"


def _tab_set(items: list[str]) -> str:
    return f":::::::{{tab-set}}\n:sync-group: {SYNC_GROUP}\n:class: course-frameworks\n\n" + "\n\n".join(items) + "\n:::::::\n"


def _cell(source: str, keys: list[tuple[str, bool]], alt: str, tags: list[str]) -> str:
    """A code cell as myst-nb draws one (input, then outputs), built from directives."""
    classes = " ".join(["cell", *(f"tag_{t}" for t in tags if t != "remove-cell")])
    parts = [f":::::{{course-cell}} {classes}", "::::{course-cell} cell_input", _code_block(source), "::::"]
    if keys:
        parts.append("::::{course-cell} cell_output")
        for key, is_image in keys:
            if is_image:
                parts.append(f"```{{glue:figure}} {key}\n:alt: {alt}\n```")
            else:
                parts.append(f"```{{glue}} {key}\n```")
        parts.append("::::")
    parts.append(":::::")
    return "\n".join(parts)


def _code_block(source: str) -> str:
    longest = max([len(m) for m in re.findall(r"`+", source)] + [2])
    fence = "`" * (longest + 1)
    return f"{fence}{{code-block}} ipython3\n{source.rstrip()}\n{fence}"


def _markdown_cell(source: str, cell_id: str) -> dict:
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": source}


def single_framework_note(lesson: str, own: str, counterparts: list[str], language: str | None = None) -> str:
    """A synced tab set for the top of a single-framework lesson (tabs in the usual order)."""
    t = texts(language)
    other = next(f for f in FRAMEWORKS if f != own)
    refs = t["or"].join(f"{{doc}}`{c}`" for c in counterparts)
    pointer = t["pointer"].format(other=LABELS[other], refs=refs) if counterparts else ""
    text = {
        own: t["own"].format(own=LABELS[own]),
        other: t["other"].format(own=LABELS[own], pointer=pointer),
    }
    return _tab_set([_tab_item(f, [text[f]]) for f in FRAMEWORKS])


def transform(
    nb: dict, lesson: str, frameworks: list[str], counterparts: list[str] | None = None, language: str | None = None
) -> dict:
    """The page source for ``lesson``: tabs, glued outputs, alt text, widget notes (see module doc).

    ``language`` is the edition's Sphinx language (None: English), for the texts the page gains.
    """
    note = widget_note(language)
    problems = check_lesson(nb, lesson, frameworks)
    if problems:
        raise LessonError("\n".join(problems))
    nb = copy.deepcopy(nb)
    cells = nb["cells"]
    dual = set(frameworks) == set(FRAMEWORKS)
    runs = tabbed_runs(cells) if dual else []
    run_of = {i: r for r in runs for i in r}
    out: list[dict] = []
    for index, cell in enumerate(cells):
        cell.setdefault("metadata", {})
        if cell.get("cell_type") == "code":
            for out_ in cell.get("outputs", []):
                if WIDGET_MIME in out_.get("data", {}):
                    out_["data"] = {"text/html": note}
                    out_["metadata"] = {}
        if index not in run_of:
            if cell.get("cell_type") == "code" and has_image(cell):
                alt = alt_from_caption(caption_after(cells, index) or "")
                cell["metadata"].setdefault("mystnb", {}).setdefault("image", {})["alt"] = alt
            out.append(cell)
            if index == 0 and not dual:
                (own,) = frameworks
                out.append(
                    _markdown_cell(single_framework_note(lesson, own, counterparts or [], language), "course-framework-note")
                )
            continue
        run = run_of[index]
        # Hide the original cell; its outputs become glue records shown inside the tab.
        glued, keys = _glue_outputs(cell, f"course-{index}", note)
        cell["outputs"] = glued
        cell["metadata"]["tags"] = cell_tags(cell) + ["remove-cell"]
        cell["_course_keys"] = keys
        out.append(cell)
        if index != run[-1]:
            continue
        caption = caption_after(cells, index)
        alt = alt_from_caption(caption) if caption else ""
        items = []
        for framework in FRAMEWORKS:
            blocks = []
            for i in run:
                if cell_framework(cells[i]) != framework:
                    continue
                keys = cells[i].pop("_course_keys")
                blocks.append(_cell(cell_source(cells[i]), keys, alt, cell_tags(cells[i])))
            items.append(_tab_item(framework, blocks))
        out.append(_markdown_cell(_tab_set(items), f"course-tabs-{run[0]}"))
    for cell in out:
        cell.pop("_course_keys", None)
    nb["cells"] = out
    return nb


# --------------------------------------------------------------------------- solutions

SOLUTION_OPEN = re.compile(r"^\s*<details>\s*<summary>(?P<title>[^<]*)</summary>\s*$", re.DOTALL)
SOLUTION_CLOSE = re.compile(r"^\s*</details>\s*$")


def solution_dropdowns(app, doctree) -> None:
    """Turn each ``<details><summary>Title</summary> ... </details>`` of a page into a
    sphinx-design dropdown, closed, titled ``Title``.

    The lessons fold each exercise's worked solution in a ``<details>`` block,
    which JupyterLab shows folded. MyST reads the two tags as raw HTML nodes
    with the solution's Markdown parsed in between; this handler (connected to
    ``doctree-read``) moves the nodes between the tags into a dropdown
    component, so the book draws the solution like its other dropdowns and
    every format, not only HTML, sees its content. A ``<details>`` without its
    ``</details>`` among the following siblings is a warning (strict builds fail).
    """
    from docutils import nodes
    from sphinx.util import logging
    from sphinx_design.shared import create_component

    def is_html(node, pattern):
        return (isinstance(node, nodes.raw) and "html" in node.get("format", "").split()
                and pattern.match(node.astext()))

    for opening in list(doctree.findall(nodes.raw)):
        match = is_html(opening, SOLUTION_OPEN)
        if not match or opening.parent is None:
            continue
        parent = opening.parent
        start = parent.index(opening)
        end = next((i for i in range(start + 1, len(parent)) if is_html(parent[i], SOLUTION_CLOSE)), None)
        if end is None:
            logging.getLogger("course_book").warning(
                "a <details> block has no </details> in the same cell; it is not turned into a dropdown",
                location=opening, type="course", subtype="solutions")
            continue
        body = list(parent[start + 1 : end])
        for node in [*body, parent[end]]:
            parent.remove(node)
        title = match.group("title").strip() or "Solution"
        dropdown = create_component(
            "dropdown", opened=False, type="dropdown", has_title=True, icon=None, chevron=None,
            container_classes=["sd-mb-3", "course-solution"], title_classes=[], body_classes=[],
        )
        dropdown += nodes.rubric(title, title)
        dropdown.extend(body)
        dropdown.source, dropdown.line = opening.source, opening.line
        opening.replace_self(dropdown)


# --------------------------------------------------------------------------- Sphinx


def lessons_setting(config_path: Path = BOOK / "_config.yml") -> dict[str, list[str]]:
    """``course_lessons`` as written in ``_config.yml`` (for tools and tests)."""
    import yaml

    data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    return dict(data["sphinx"]["config"]["course_lessons"])


def counterparts_of(lesson: str, lessons: dict[str, list[str]]) -> list[str]:
    frameworks = lessons[lesson]
    if len(frameworks) != 1:
        return []
    other = next(f for f in FRAMEWORKS if f != frameworks[0])
    return [name for name, fws in lessons.items() if list(fws) == [other]]


def prepare_lessons(
    lessons: dict[str, list[str]],
    source: Path = ROOT / "notebooks",
    target: Path = BOOK / GENERATED,
    language: str | None = None,
) -> list[str]:
    """Write every lesson's page source into ``target``; return the problems found."""
    problems: list[str] = []
    where = source.relative_to(ROOT).as_posix() if source.is_relative_to(ROOT) else str(source)
    target.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for lesson, frameworks in lessons.items():
        path = source / f"{lesson}.ipynb"
        if not path.is_file():
            problems.append(f"{where}/{lesson}.ipynb does not exist (listed in course_lessons in book/_config.yml)")
            continue
        try:
            page = transform(
                json.loads(path.read_text(encoding="utf-8")), lesson, list(frameworks),
                counterparts_of(lesson, lessons), language,
            )
        except LessonError as exc:
            problems.extend(str(exc).splitlines())
            continue
        text = json.dumps(page, indent=1, ensure_ascii=False) + "\n"
        dest = target / f"{lesson}.ipynb"
        wanted.add(dest.name)
        if not dest.is_file() or dest.read_text(encoding="utf-8") != text:
            dest.write_text(text, encoding="utf-8")  # only when changed: keeps rebuilds incremental
    for stale in target.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    for lesson_file in sorted(source.glob("[0-9][0-9]_*.ipynb")):
        if lesson_file.stem not in lessons:
            problems.append(
                f"{where}/{lesson_file.name} is not listed in course_lessons in book/_config.yml "
                "(declare its frameworks and add it to _toc.yml)"
            )
    return problems


# --------------------------------------------------------------------------- editions
#
# The English book is built from book/, the Chinese one from book/zh_CN/ (its
# own _config.yml sets ``language: zh_CN`` and ``course_notebooks:
# notebooks/zh_CN``), into book/_build/html/ and book/_build/html/zh_CN/.
# Both have the same page names, so every page can link to its twin.


def edition_link(pagename: str, switch: dict) -> str:
    """The relative address of ``pagename``'s twin in the other edition.

    switch : dict with ``root``, the other edition's root seen from this one's
        (``zh_CN/`` from the English book, ``../`` from the Chinese one).
    """
    depth = pagename.count("/")
    return "../" * depth + switch["root"] + pagename + ".html"


def _language_switch(app, pagename, templatename, context, doctree) -> None:
    """Put a link to the same page in the other edition at the top of every page."""
    switch = app.config.course_language_switch
    if not switch or "body" not in context:
        return
    href = edition_link(pagename, switch)
    lang = switch.get("hreflang", "")
    link = (
        f'<div class="course-language-switch"><a class="reference external" href="{href}" '
        f'hreflang="{lang}" lang="{lang}">{switch["label"]}</a></div>'
    )
    context["body"] = link + context["body"]
    context["metatags"] = context.get("metatags", "") + f'\n<link rel="alternate" hreflang="{lang}" href="{href}" />'


def _launch_paths(app, pagename, templatename, context, doctree) -> None:
    """Point the launch buttons of a lesson page at the edition's own notebook.

    The theme builds the repository path of a page from its name
    (``notebooks/NN_name``); the Chinese lessons live in ``notebooks/zh_CN``.
    """
    folder = app.config.course_notebooks.strip("/")
    if folder == GENERATED or not pagename.startswith(GENERATED + "/"):
        return
    old = f"/{pagename}.ipynb"
    new = f"/{folder}/{pagename[len(GENERATED) + 1:]}.ipynb"

    def fix(value):
        if isinstance(value, str):  # the launch services' addresses; not the page's own download link
            return value.replace(old, new) if value.startswith(("http://", "https://")) else value
        if isinstance(value, list):
            return [fix(v) for v in value]
        if isinstance(value, dict):
            return {k: fix(v) for k, v in value.items()}
        return value

    if "header_buttons" in context:
        context["header_buttons"] = fix(context["header_buttons"])


def glossary_terms(path: Path) -> list[str]:
    """The Chinese terms of a glossary page: the second column of its tables."""
    terms = []
    if not path.is_file():
        return terms
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.lstrip().startswith("|") and len(cells) >= 2 and not set(cells[1]) <= set("-: "):
            for term in re.split(r"[/、，,（）()]", cells[1]):
                term = term.strip()
                if re.fullmatch(r"[\u3400-\u9fff]{2,}", term):
                    terms.append(term)
    return sorted(set(terms))


def _search_terms(app) -> None:
    """Teach the Chinese search index the course's terms.

    Sphinx indexes Chinese with jieba, whose dictionary splits 交叉熵 into
    交叉 + 熵; a query for 交叉熵 would then find nothing. Every Chinese term of
    the glossary is added to jieba's dictionary before the pages are indexed.
    """
    if not (app.config.language or "").startswith("zh"):
        return
    import jieba

    jieba.setLogLevel(60)
    for term in glossary_terms(Path(app.srcdir) / "glossary.md"):
        jieba.add_word(term, freq=20000)


def _on_config_inited(app, config) -> None:
    from sphinx.util import logging

    logger = logging.getLogger("course_book")
    lessons = dict(config.course_lessons) or lessons_setting()  # an edition may leave the list to English
    config.course_lessons = lessons
    source = ROOT / config.course_notebooks
    for problem in prepare_lessons(lessons, source, Path(app.srcdir) / GENERATED, config.language):
        logger.warning(problem, type="course", subtype="lessons")
    # Serve the vendored MathJax. Added here rather than in _config.yml because
    # Jupyter Book adds every .js file under a configured static folder to every page.
    config.html_static_path = [*config.html_static_path, str(VENDOR_STATIC)]
    url = config.html_theme_options.get("repository_url", "")
    config.myst_substitutions = {**config.myst_substitutions, "repository_url": url}


def _on_build_finished(app, exception) -> None:
    """Let the download button serve the lesson notebook itself, not the page source."""
    if exception is not None or app.builder.format != "html":
        return
    sources = Path(app.outdir) / "_sources" / GENERATED
    for lesson in app.config.course_lessons:
        original, copied = ROOT / app.config.course_notebooks / f"{lesson}.ipynb", sources / f"{lesson}.ipynb"
        if original.is_file() and copied.is_file():
            shutil.copyfile(original, copied)


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated inline scripts from a page.

    Sphinx 7.4 registers an inline script that an extension adds after the
    builder starts (sphinx-thebe's ``const THEBE_JS_URL = ...``,
    sphinx-togglebutton's selector) twice: once with the file name ``None`` and
    once with ``''``, which its duplicate check treats as different. The
    second copy of the ``const`` declaration then throws a SyntaxError in the
    reader's console on every page. Keep the first of each.
    """
    seen, unique = set(), []
    for script in context.get("script_files", []):
        filename = getattr(script, "filename", script) or ""
        attributes = getattr(script, "attributes", {})
        key = (filename, tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    class RepositoryCodeDirective(SphinxDirective):
        """A code block in which ``{repository_url}`` and ``{repository_folder}``
        are replaced by the configured repository's address and folder name."""

        has_content = True
        optional_arguments = 1  # the language

        def run(self):
            url = self.config.html_theme_options.get("repository_url", "").rstrip("/")
            text = "\n".join(self.content).replace("{repository_url}", url)
            text = text.replace("{repository_folder}", url.rsplit("/", 1)[-1])
            block = nodes.literal_block(text, text, language=(self.arguments or ["text"])[0])
            self.set_source_info(block)
            return [block]

    class CellDirective(SphinxDirective):
        """A container with exactly the given classes (``container`` would turn
        ``cell_input`` into ``cell-input``), so that a cell drawn inside a tab
        gets myst-nb's styling for ``cell``, ``cell_input`` and ``cell_output``."""

        required_arguments = 1
        final_argument_whitespace = True
        has_content = True

        def run(self):
            node = nodes.container(classes=self.arguments[0].split())
            self.set_source_info(node)
            self.state.nested_parse(self.content, self.content_offset, node)
            return [node]

    app.add_config_value("course_lessons", {}, "env", [dict])
    # The edition: where its lesson notebooks are (relative to the repository),
    # and the link to the other edition ({"root", "label", "hreflang"}).
    app.add_config_value("course_notebooks", GENERATED, "env", [str])
    app.add_config_value("course_language_switch", {}, "html", [dict])
    app.add_directive("course-cell", CellDirective)
    app.add_directive("repository-code", RepositoryCodeDirective)
    app.connect("config-inited", _on_config_inited, priority=100)
    app.connect("build-finished", _on_build_finished)
    app.connect("html-page-context", _dedupe_scripts)
    app.connect("html-page-context", _language_switch)
    app.connect("html-page-context", _launch_paths, priority=900)  # after the theme's launch buttons
    app.connect("builder-inited", _search_terms)
    app.connect("doctree-read", solution_dropdowns)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}


def main() -> int:
    """Check every lesson (and write the page sources) without building the book."""
    problems = prepare_lessons(lessons_setting())
    for problem in problems:
        print(f"- {problem}", file=sys.stderr)
    print(f"lessons: {len(lessons_setting())} declared, {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
