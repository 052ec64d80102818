"""The published course: its lesson pages, its strict build, and the site in a real browser.

Two parts:

* fast checks of ``book/_ext/course_book.py``, which turns the lesson
  notebooks into book pages (framework tabs, glued outputs, alt text) and
  fails the build when a lesson shows one framework but not the other;
* the built site, served by Python's ``http.server`` on 127.0.0.1 and driven
  through Debian's Chromium with Playwright (never ``playwright install``).
  Every page in the table of contents must load without console errors
  (apart from the named entries in ``CONSOLE_ALLOWED``) and without asking
  for anything outside the site, show every image with alt text, and render
  all of its mathematics; the framework tabs must switch, stay in step across
  pages and reloads; search must find "cross-entropy"; no internal link may
  be broken; no code cell of a lesson may need scrolling sideways at the
  widths a reader's laptop shows. Screenshots go to ``book/_build/screenshots/``.

The site is the strict build of ``tools/book_build.py``; the check reuses
the build that ``make book`` just made when the sources have not changed.
"""

from __future__ import annotations

import copy
import functools
import html.parser
import http.server
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
HTML = BOOK / "_build" / "html"
SCREENSHOTS = BOOK / "_build" / "screenshots"
CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")  # tools/prereqs.py
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",  # no internet here; don't let Chromium try
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
LESSONS = [
    "01_activation_functions",
    "02_cross_entropy",
    "03_training_steps",
    "04_mnist_tensorflow",
    "05_mnist_pytorch",
    "06_tensorflow_vs_pytorch",
    "07_scaling_laws",
    "08_tiny_gpt",
    "09_distributed_training",
]

# Console errors the check tolerates. Each entry: (a regular expression the
# message must match, why it is harmless). Anything else fails the page.
# It is empty: the two sources of noise this check found are fixed where they
# arise instead: pydata-sphinx-theme's "Got invalid theme mode: ." (no
# default_mode; set in book/_config.yml) and "Identifier 'THEBE_JS_URL' has
# already been declared" (a script Sphinx 7.4 writes twice; removed by
# book/_ext/course_book.py).
CONSOLE_ALLOWED: list[tuple[str, str]] = []

sys.path.insert(0, str(BOOK / "_ext"))
import course_book  # noqa: E402  (book/_ext is not a package)


def toc_docnames(book: Path = BOOK) -> list[str]:
    """Every page in ``_toc.yml`` of ``book``, in reading order."""
    toc = yaml.safe_load((book / "_toc.yml").read_text(encoding="utf-8"))
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return names


PAGES = toc_docnames()
# The Chinese edition, published under zh_CN/ (book/zh_CN): the same pages.
ZH = "zh_CN"
ZH_PAGES = [f"{ZH}/{name}" for name in toc_docnames(BOOK / ZH)]


# --------------------------------------------------------------------------- the lesson pages


def code(source: str, *tags: str, outputs: list | None = None) -> dict:
    return {"cell_type": "code", "metadata": {"tags": list(tags)} if tags else {}, "source": source,
            "outputs": outputs or [], "execution_count": 1}


def markdown(source: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


PNG = {"output_type": "display_data", "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}, "metadata": {}}


def notebook(*cells: dict) -> dict:
    return {"cells": list(cells), "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def dual_lesson() -> dict:
    return notebook(
        markdown("# Lesson\n\nIntro."),
        markdown("## Side by side"),
        code("import tensorflow as tf\nprint(tf.constant(1.0).numpy())", "tensorflow", outputs=[stream("1.0\n")]),
        code("import torch\nprint(torch.tensor(1.0).item())", "pytorch", outputs=[stream("1.0\n")]),
        code("plot()", outputs=[PNG]),
        markdown("**Figure 9.1.** Loss of the $\\ell_2$ model over *ten* epochs. Lower is better."),
    )


def test_the_book_declares_exactly_the_six_lessons_and_lists_them_in_order():
    assert list(course_book.lessons_setting()) == LESSONS
    assert [p for p in PAGES if p.startswith("notebooks/")] == [f"notebooks/{name}" for name in LESSONS]
    declared = course_book.lessons_setting()
    assert declared["04_mnist_tensorflow"] == ["tensorflow"]
    assert declared["05_mnist_pytorch"] == ["pytorch"]
    assert all(sorted(declared[name]) == ["pytorch", "tensorflow"] for name in LESSONS if name[:2] in {"01", "02", "03", "06", "07"})


def test_the_chinese_book_differs_from_the_english_only_in_language():
    """book/zh_CN/_config.yml repeats the English settings that are not about
    language (Jupyter Book reads one file per book); they must not drift apart."""
    en = yaml.safe_load((BOOK / "_config.yml").read_text(encoding="utf-8"))
    zh = yaml.safe_load((BOOK / ZH / "_config.yml").read_text(encoding="utf-8"))
    for key in ("repository", "launch_buttons", "html", "parse", "execute", "only_build_toc_files"):
        assert zh[key] == en[key], key
    assert [str(Path(p)) for p in zh["bibtex_bibfiles"]] == [f"../{p}" for p in en["bibtex_bibfiles"]]
    en_sphinx, zh_sphinx = dict(en["sphinx"]["config"]), dict(zh["sphinx"]["config"])
    assert zh_sphinx.pop("language") == "zh_CN" and "language" not in en_sphinx
    assert zh_sphinx.pop("course_notebooks") == "notebooks/zh_CN"
    assert en_sphinx.pop("course_language_switch")["root"] == f"{ZH}/"
    assert zh_sphinx.pop("course_language_switch")["root"] == "../"
    en_sphinx.pop("course_lessons")  # the Chinese book takes the English list
    assert zh_sphinx == en_sphinx
    assert zh["sphinx"]["local_extensions"] == {"course_book": "../_ext"}


def test_every_article_section_has_its_page():
    for page in ["intro", "background", "core_concepts", "lessons", "applications", "tools_and_resources",
                 "summary_and_outlook", "faq", "running_locally", "references"]:
        assert page in PAGES
        assert (BOOK / f"{page}.md").is_file()


def test_a_dual_lesson_becomes_synced_tabs_with_glued_outputs():
    page = course_book.transform(dual_lesson(), "09_demo", ["tensorflow", "pytorch"])
    cells = page["cells"]
    hidden = [c for c in cells if "remove-cell" in c["metadata"].get("tags", [])]
    assert [c["metadata"]["tags"] for c in hidden] == [["tensorflow", "remove-cell"], ["pytorch", "remove-cell"]]
    for cell in hidden:  # outputs become glue records, not displayed in place
        (out,) = cell["outputs"]
        assert list(out["data"]) == [course_book.GLUE_PREFIX + "text/plain"]
        assert out["metadata"]["scrapbook"]["mime_prefix"] == course_book.GLUE_PREFIX
    tabs = next(c["source"] for c in cells if c["cell_type"] == "markdown" and "{tab-set}" in c["source"])
    assert ":sync-group: framework" in tabs
    assert tabs.index(":sync: tensorflow") < tabs.index(":sync: pytorch")
    assert "import tensorflow as tf" in tabs and "import torch" in tabs
    keys = re.findall(r"\{glue\} (\S+)", tabs)
    assert keys == [c["outputs"][0]["metadata"]["scrapbook"]["name"] for c in hidden]
    # The figure after the tabs gets the first sentence of its caption as alt text.
    figure = next(c for c in cells if c["cell_type"] == "code" and c["source"] == "plot()")
    assert figure["metadata"]["mystnb"]["image"]["alt"] == "Loss of the \\ell_2 model over ten epochs."


def test_an_expected_error_is_kept_and_an_unexpected_one_fails():
    error = {"output_type": "error", "ename": "NameError", "evalue": "name 'F' is not defined",
             "traceback": ["NameError: name 'F' is not defined"]}
    nb = dual_lesson()
    nb["cells"][3]["outputs"] = [error]
    with pytest.raises(course_book.LessonError, match=r"error output in a cell not tagged 'raises-exception'"):
        course_book.transform(nb, "09_demo", ["tensorflow", "pytorch"])
    nb["cells"][3]["metadata"]["tags"].append("raises-exception")
    page = course_book.transform(nb, "09_demo", ["tensorflow", "pytorch"])
    glued = next(c for c in page["cells"] if "pytorch" in c["metadata"].get("tags", []))["outputs"][0]
    assert glued["data"] == {course_book.GLUE_PREFIX + "text/plain": "NameError: name 'F' is not defined"}


def test_a_step_that_hands_data_from_pytorch_to_tensorflow_stays_as_plain_cells():
    nb = dual_lesson()
    nb["cells"][2:4] = nb["cells"][3:1:-1]  # PyTorch first: the TensorFlow cell uses its result
    page = course_book.transform(nb, "09_demo", ["tensorflow", "pytorch"])
    assert not any("{tab-set}" in c["source"] for c in page["cells"] if c["cell_type"] == "markdown")
    assert [c["metadata"].get("tags") for c in page["cells"][2:4]] == [["pytorch"], ["tensorflow"]]


def test_a_lesson_that_shows_one_framework_but_not_the_other_fails():
    nb = dual_lesson()
    del nb["cells"][3]  # the PyTorch cell
    with pytest.raises(course_book.LessonError, match=r"shows TensorFlow but not PyTorch"):
        course_book.transform(nb, "09_demo", ["tensorflow", "pytorch"])
    nb = dual_lesson()
    for cell in nb["cells"]:
        cell["metadata"].pop("tags", None)
    with pytest.raises(course_book.LessonError, match=r"no cells tagged"):
        course_book.transform(nb, "09_demo", ["tensorflow", "pytorch"])


def test_a_single_framework_lesson_is_declared_and_kept_to_its_framework():
    nb = dual_lesson()
    with pytest.raises(course_book.LessonError, match=r"tagged 'pytorch' in a lesson declared TensorFlow-only"):
        course_book.transform(nb, "09_demo", ["tensorflow"])
    del nb["cells"][3]
    nb["cells"].insert(3, code("import torch"))
    with pytest.raises(course_book.LessonError, match=r"imports PyTorch in a lesson declared TensorFlow-only"):
        course_book.transform(nb, "09_demo", ["tensorflow"])
    del nb["cells"][3]
    page = course_book.transform(nb, "09_demo", ["tensorflow"], counterparts=["10_demo_pytorch"])
    note = page["cells"][1]["source"]
    assert ":sync-group: framework" in note and "{doc}`10_demo_pytorch`" in note
    assert not any("remove-cell" in c["metadata"].get("tags", []) for c in page["cells"])  # no tabs: plain cells


def test_an_image_without_a_caption_fails_and_widgets_become_a_note():
    nb = dual_lesson()
    del nb["cells"][5]
    with pytest.raises(course_book.LessonError, match=r"shows an image but no '\*\*Figure"):
        course_book.transform(nb, "09_demo", ["tensorflow", "pytorch"])
    nb = dual_lesson()
    widget = {"output_type": "display_data", "metadata": {},
              "data": {course_book.WIDGET_MIME: {"model_id": "x"}, "text/plain": "VBox()"}}
    nb["cells"].append(code("display(explorer)", outputs=[widget]))
    page = course_book.transform(nb, "09_demo", ["tensorflow", "pytorch"])
    assert page["cells"][-1]["outputs"][0]["data"] == {"text/html": course_book.WIDGET_NOTE}
    assert nb["cells"][-1]["outputs"][0]["data"][course_book.WIDGET_MIME] == {"model_id": "x"}  # input untouched


@pytest.mark.parametrize("lesson", LESSONS)
def test_each_committed_lesson_follows_the_book_conventions(lesson):
    path = ROOT / "notebooks" / f"{lesson}.ipynb"
    assert path.is_file(), f"notebooks/{lesson}.ipynb is missing"
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert course_book.check_lesson(nb, lesson, course_book.lessons_setting()[lesson]) == []


# --------------------------------------------------------------------------- the built site


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The strict build, served on 127.0.0.1 by a server that stops when the module ends."""
    built = subprocess.run([sys.executable, str(ROOT / "tools" / "book_build.py"), "--reuse"], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert built.returncode == 0, f"the strict book build failed:\n{built.stdout[-6000:]}"
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(HTML)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _children() -> set[int]:
    """Processes whose parent is this one (Linux; empty elsewhere)."""
    mine, found = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == mine and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail("the browser check needs Debian's Chromium at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    before = _children()
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
    left = _children() - before
    for pid in left:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    assert not left, f"browser processes left behind: {sorted(left)}"


class Visit:
    """A browser context on the site that records console errors and outside requests."""

    def __init__(self, browser, base: str) -> None:
        self.base = base
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(30_000)
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.failed: list[str] = []
        self.context.route("**/*", self._only_the_site)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} ({r.failure})")
                     if r.url.startswith(self.base) else None)
        self.page.on("response", lambda r: self.failed.append(f"{r.url} (HTTP {r.status})") if r.status >= 400 else None)

    def _only_the_site(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base) or url.startswith("data:") or url.startswith("blob:"):
            route.continue_()
        else:  # nothing outside the site may be needed: record it and refuse
            self.outside.append(url)
            route.abort()

    def open(self, docname: str) -> None:
        self.page.goto(f"{self.base}/{docname}.html", wait_until="load")
        self.page.wait_for_load_state("networkidle")

    def problems(self) -> list[str]:
        unexplained = [e for e in self.errors if not any(re.search(p, e) for p, _ in CONSOLE_ALLOWED)]
        return ([f"console: {e}" for e in unexplained] + [f"outside request: {u}" for u in self.outside]
                + [f"failed request: {f}" for f in self.failed])

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser, site) -> Iterator[Visit]:
    v = Visit(browser, site)
    try:
        yield v
    finally:
        v.close()


JS_IMAGES = """async () => {
    const imgs = Array.from(document.querySelectorAll('img'));
    imgs.forEach(i => { i.loading = 'eager'; });
    await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => { i.onload = r; i.onerror = r; })));
    return imgs.map(i => ({src: i.getAttribute('src'), alt: i.getAttribute('alt'),
                           loaded: i.complete && i.naturalWidth > 0}));
}"""

JS_MATH = """async () => {
    const maths = Array.from(document.querySelectorAll('.math'));
    if (maths.length === 0) return {count: 0, unrendered: [], errors: 0};
    const deadline = Date.now() + 20000;
    while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() < deadline)
        await new Promise(r => setTimeout(r, 100));
    if (!(window.MathJax && MathJax.startup && MathJax.startup.promise))
        return {count: maths.length, unrendered: ['MathJax never started'], errors: 0};
    await MathJax.startup.promise;
    const unrendered = maths.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 80));
    return {count: maths.length, unrendered, errors: document.querySelectorAll('mjx-merror').length};
}"""

# Text a reader sees outside code and rendered maths: raw TeX there means maths was not rendered.
JS_VISIBLE_TEXT = """() => {
    const main = document.querySelector('main') || document.body;
    const copy = main.cloneNode(true);
    copy.querySelectorAll('pre, code, mjx-container, .highlight, script, style').forEach(n => n.remove());
    return copy.textContent;
}"""
RAW_TEX = re.compile(r"\\(?:frac|sum|log|mathbf|mathrm|operatorname|begin|end|left|right|cdot|times|varphi|sigma|"
                     r"partial|qquad|approx|underbrace|text|ell|delta|le|ge|tanh|exp)\b|\$\$|\\\(|\\\[")


@pytest.mark.slow
def test_every_page_loads_cleanly_with_images_alt_text_and_rendered_maths(visit):
    report: dict[str, list[str]] = {}
    maths_pages = 0
    for docname in PAGES + ZH_PAGES:
        visit.errors.clear(), visit.outside.clear(), visit.failed.clear()
        visit.open(docname)
        problems = visit.problems()
        for image in visit.page.evaluate(JS_IMAGES):
            name = Path(urllib.parse.urlparse(image["src"] or "").path).name
            if not image["loaded"]:
                problems.append(f"image did not load: {image['src']}")
            alt = (image["alt"] or "").strip()
            if not alt or alt == image["src"] or alt.endswith(name) or re.fullmatch(r"[\w./-]+\.(png|svg|jpe?g|gif)", alt):
                problems.append(f"image without alt text: {image['src']} (alt={image['alt']!r})")
        maths = visit.page.evaluate(JS_MATH)
        maths_pages += maths["count"] > 0
        problems += [f"maths not rendered: {m!r}" for m in maths["unrendered"]]
        if maths["errors"]:
            problems.append(f"{maths['errors']} MathJax error(s) (mjx-merror)")
        text = visit.page.evaluate(JS_VISIBLE_TEXT)
        for match in list(RAW_TEX.finditer(text))[:5]:
            problems.append(f"raw TeX in the page text: ...{text[max(0, match.start() - 60):match.end() + 20]!r}...")
        problems += [p for p in visit.problems() if p not in problems]  # late console messages (MathJax, images)
        if problems:
            report[docname] = problems
    assert report == {}, "\n".join(f"{page}:\n  " + "\n  ".join(p) for page, p in report.items())
    assert maths_pages >= 8  # core concepts and the first three lessons at least, in both editions


def _selected(page) -> list[str]:
    """The framework shown by each synced tab set on the page, in order."""
    return page.evaluate("""() => Array.from(document.querySelectorAll('.sd-tab-set')).filter(
        s => s.querySelector('label[data-sync-group="framework"]')).map(s => {
            const input = Array.from(s.querySelectorAll(':scope > input')).find(i => i.checked);
            return input.nextElementSibling.getAttribute('data-sync-id'); })""")


def _visible_panels(page) -> list[str]:
    return page.evaluate("""() => Array.from(document.querySelectorAll('.sd-tab-content'))
        .filter(c => c.offsetParent !== null && c.previousElementSibling.hasAttribute('data-sync-id'))
        .map(c => c.previousElementSibling.getAttribute('data-sync-id'))""")


@pytest.mark.slow
def test_framework_tabs_switch_and_stay_synced_across_pages_and_reloads(visit):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    lesson, other = "notebooks/01_activation_functions", "notebooks/02_cross_entropy"
    visit.open(lesson)
    first = _selected(visit.page)
    assert len(first) >= 3 and set(first) == {"tensorflow"}, first
    assert set(_visible_panels(visit.page)) == {"tensorflow"}

    label = visit.page.locator('label.sd-tab-label[data-sync-id="pytorch"]').nth(1)
    label.scroll_into_view_if_needed()
    label.click()
    assert set(_selected(visit.page)) == {"pytorch"}, "the other tab sets did not follow"
    assert set(_visible_panels(visit.page)) == {"pytorch"}
    assert "torch" in label.locator("xpath=following-sibling::div[1]").inner_text()
    visit.page.screenshot(path=str(SCREENSHOTS / "lesson-01-pytorch-tabs.png"))

    visit.page.reload(wait_until="load")
    assert set(_selected(visit.page)) == {"pytorch"}, "the choice was lost on reload"
    visit.open(other)
    assert set(_selected(visit.page)) == {"pytorch"}, "the choice did not carry over to the next lesson"
    visit.open("tools_and_resources")
    assert set(_selected(visit.page)) == {"pytorch"}

    visit.page.locator('label.sd-tab-label[data-sync-id="tensorflow"]').first.click()
    visit.open(lesson)
    assert set(_selected(visit.page)) == {"tensorflow"}
    for single, shown in (("notebooks/04_mnist_tensorflow", "tensorflow"), ("notebooks/05_mnist_pytorch", "pytorch")):
        visit.open(single)  # single-framework lessons: a synced note points to the other lesson
        assert _selected(visit.page) and set(_selected(visit.page)) == {"tensorflow"}
        assert f"uses {course_book.LABELS[shown]} only" in visit.page.content() or \
            f"written for {course_book.LABELS[shown]} only" in visit.page.content()
    assert visit.problems() == []


@pytest.mark.slow
def test_search_finds_cross_entropy(visit):
    visit.open("intro")
    visit.page.goto(f"{visit.base}/search.html?q=cross-entropy", wait_until="load")
    visit.page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
    hits = visit.page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.getAttribute('href'))")
    assert any("notebooks/02_cross_entropy" in h for h in hits), hits
    assert visit.problems() == []


@pytest.mark.slow
def test_chinese_search_finds_cross_entropy(visit):
    """交叉熵 is one word for the Chinese index only because the glossary's terms
    are added to jieba's dictionary (book/_ext/course_book.py)."""
    visit.page.goto(f"{visit.base}/{ZH}/search.html?q=交叉熵", wait_until="load")
    visit.page.wait_for_selector("#search-results ul.search li a", timeout=30_000)
    hits = visit.page.eval_on_selector_all("#search-results ul.search li a", "as => as.map(a => a.getAttribute('href'))")
    assert any("notebooks/02_cross_entropy" in h for h in hits), hits
    assert visit.problems() == []


def _switch_target(url: str) -> str | None:
    with _local.open(url, timeout=30) as response:
        text = response.read().decode("utf-8")
    match = re.search(r'<div class="course-language-switch"><a [^>]*href="([^"]+)"', text)
    return urllib.parse.urljoin(url, match.group(1)) if match else None


@pytest.mark.slow
def test_every_page_switches_to_its_twin_and_back(site):
    problems = []
    for english in PAGES:
        url = f"{site}/{english}.html"
        twin = _switch_target(url)
        if twin != f"{site}/{ZH}/{english}.html":
            problems.append(f"{english}: the switch leads to {twin}")
            continue
        back = _switch_target(twin)
        if back != url:
            problems.append(f"{ZH}/{english}: the switch leads back to {back}, not {url}")
    assert problems == [], "\n".join(problems)


@pytest.mark.slow
def test_the_switch_in_the_browser_and_chinese_tabs_in_step(visit):
    visit.open(f"{ZH}/notebooks/01_activation_functions")
    assert visit.page.evaluate("document.documentElement.lang").startswith("zh")
    label = visit.page.locator('label.sd-tab-label[data-sync-id="pytorch"]').nth(1)
    label.scroll_into_view_if_needed()
    label.click()
    assert set(_selected(visit.page)) == {"pytorch"}, "the Chinese page's tab sets did not follow"
    visit.open(f"{ZH}/notebooks/02_cross_entropy")
    assert set(_selected(visit.page)) == {"pytorch"}, "the choice did not carry over to the next Chinese lesson"
    visit.page.locator(".course-language-switch a").click()
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url.endswith("/notebooks/02_cross_entropy.html") and f"/{ZH}/" not in visit.page.url
    assert set(_selected(visit.page)) == {"pytorch"}, "the choice did not carry over to the English edition"
    assert visit.page.evaluate("document.documentElement.lang").startswith("en")
    visit.page.locator(".course-language-switch a").click()
    visit.page.wait_for_load_state("networkidle")
    assert visit.page.url.endswith(f"/{ZH}/notebooks/02_cross_entropy.html"), visit.page.url
    visit.page.locator('label.sd-tab-label[data-sync-id="tensorflow"]').first.click()
    assert visit.problems() == []


class _Links(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        for key in ("href", "src"):
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") == "canonical"):
                self.links.append(attrs[key])


# Requests to the local server never go through a proxy from the environment.
_local = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _parse(url: str) -> _Links:
    with _local.open(url, timeout=30) as response:
        parser = _Links()
        parser.feed(response.read().decode("utf-8", "replace"))
        return parser


@pytest.mark.slow
def test_no_internal_link_is_broken(site):
    pages = {f"{site}/{name}.html" for name in PAGES + ZH_PAGES} | {
        f"{site}/{edition}{name}.html" for edition in ("", f"{ZH}/") for name in ("index", "search", "genindex")}
    parsed = {url: _parse(url) for url in sorted(pages)}
    broken: list[str] = []
    checked: dict[str, bool] = {}
    for url, page in parsed.items():
        for link in page.links:
            target = urllib.parse.urljoin(url, link)
            if not target.startswith(site + "/"):
                continue  # external: not this check's business (the site must not need them, see above)
            address, _, fragment = target.partition("#")
            address = address.split("?")[0]
            if address not in checked:
                try:
                    with _local.open(address, timeout=30) as response:
                        checked[address] = response.status == 200
                except urllib.error.HTTPError:
                    checked[address] = False
            if not checked[address]:
                broken.append(f"{url.removeprefix(site)}: {link} (not found)")
            elif fragment and address.endswith(".html"):
                if address not in parsed:
                    parsed[address] = _parse(address)
                if fragment not in parsed[address].ids:
                    broken.append(f"{url.removeprefix(site)}: {link} (no element with id {fragment!r})")
    assert broken == [], "\n".join(broken)
    assert len(checked) > 50


@pytest.mark.slow
def test_lesson_pages_offer_launch_and_download_buttons(visit):
    repository = yaml.safe_load((BOOK / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    owner_repo = urllib.parse.urlparse(repository).path.strip("/")
    visit.open("notebooks/01_activation_functions")
    hrefs = visit.page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)")
    assert f"https://mybinder.org/v2/gh/{owner_repo}/main?urlpath=lab/tree/notebooks/01_activation_functions.ipynb" in hrefs
    assert f"https://colab.research.google.com/github/{owner_repo}/blob/main/notebooks/01_activation_functions.ipynb" in hrefs
    download = next(h for h in hrefs if h.endswith("_sources/notebooks/01_activation_functions.ipynb"))
    with _local.open(download, timeout=30) as response:
        served = json.loads(response.read())
    original = json.loads((ROOT / "notebooks" / "01_activation_functions.ipynb").read_text(encoding="utf-8"))
    assert served == original, "the download button must serve the lesson notebook itself"


@pytest.mark.slow
def test_screenshots_of_three_representative_pages(visit):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shots = {"intro": "intro.png", "core_concepts": "core_concepts.png",
             "notebooks/01_activation_functions": "lesson-01-activation-functions.png"}
    for docname, filename in shots.items():
        visit.open(docname)
        visit.page.evaluate(JS_MATH)
        if docname.startswith("notebooks/"):  # the first tab set that shows an output
            visit.page.evaluate("""() => Array.from(document.querySelectorAll('.sd-tab-set'))
                .find(s => s.querySelector('.cell_output')).scrollIntoView({block: 'start'})""")
            visit.page.evaluate("window.scrollBy(0, -140)")
            visit.page.screenshot(path=str(SCREENSHOTS / filename))
        else:
            visit.page.screenshot(path=str(SCREENSHOTS / filename), full_page=True)
        assert (SCREENSHOTS / filename).stat().st_size > 10_000
    assert visit.problems() == []


# --------------------------------------------------------------------------- code cells fit the page

# Widths at which a lesson's code must be readable without scrolling sideways:
# 1366 px, the most common laptop screen, and 1440 px, from which on the theme
# gives the article column its full width (786 px). There a code cell shows
# 85 and 89 characters, a code cell inside a framework tab 82 and 86 (measured
# in Chromium with DejaVu Sans Mono at the theme's 14 px), so code kept within
# 80 columns fits both.
CODE_FIT_WIDTHS = [1366, 1440]

JS_OVERFLOWING_CODE = """() => Array.from(document.querySelectorAll('main .cell_input pre'))
    .filter(p => p.offsetParent !== null && p.scrollWidth > p.clientWidth)
    .map(p => {
        const tab = p.closest('.sd-tab-content');
        const lines = p.textContent.split('\\n');
        const longest = lines.reduce((a, b) => (b.length > a.length ? b : a), '');
        return {tab: tab ? tab.previousElementSibling.getAttribute('data-sync-id') : null,
                overflow: p.scrollWidth - p.clientWidth, chars: longest.length, line: longest};
    })"""


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS)
def test_no_code_cell_of_a_lesson_needs_scrolling_sideways(visit, lesson):
    """Every code cell of the lesson page, in both framework tabs, fits its box:
    its scrollWidth is at most its clientWidth at each width of CODE_FIT_WIDTHS."""
    too_wide: list[str] = []
    for width in CODE_FIT_WIDTHS:
        visit.page.set_viewport_size({"width": width, "height": 900})
        visit.open(f"notebooks/{lesson}")
        frameworks = [None]
        if visit.page.locator('label.sd-tab-label[data-sync-id="pytorch"]').count():
            frameworks = ["tensorflow", "pytorch"]
        for framework in frameworks:
            if framework:  # synced tabs: one click shows that framework in every tab set
                label = visit.page.locator(f'label.sd-tab-label[data-sync-id="{framework}"]').first
                label.scroll_into_view_if_needed()
                label.click()
            for cell in visit.page.evaluate(JS_OVERFLOWING_CODE):
                where = f"{width} px" + (f", {cell['tab']} tab" if cell["tab"] else "")
                entry = (f"{where}: {cell['overflow']} px too wide, longest line "
                         f"{cell['chars']} characters: {cell['line'].strip()[:70]!r}")
                if entry not in too_wide:
                    too_wide.append(entry)
    if too_wide:
        pytest.fail(f"{len(too_wide)} code cells of {lesson} need horizontal scrolling:\n" + "\n".join(too_wide))
