"""A learner's path, in a real JupyterLab driven through Debian's Chromium.

For each lesson checked here: start JupyterLab (from this environment, on
127.0.0.1, with a token, in a temporary home, on a copy of notebooks/ so that
autosave cannot touch the repository), open the lesson's ``.py`` (it must open
as a notebook), run all cells, and check what a learner would see. Screenshots
go to ``build/lab-screenshots/``. The server and every process it started are
stopped afterwards, and the test fails if any is left.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("CHROMIUM") or "/usr/bin/chromium")  # tools/prereqs.py
SCREENSHOTS = ROOT / "build" / "lab-screenshots"
TOKEN = "course-browser-test"

psutil = pytest.importorskip("psutil")
playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"),
]

CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",  # the machine has no internet; don't let Chromium try
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class Lab:
    """A JupyterLab server on 127.0.0.1 and the processes it owns."""

    def __init__(self, root_dir: Path, home: Path, port: int) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "HOME": str(home),
            "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
            "JUPYTER_CONFIG_DIR": str(home / "config"),
            "PYTHONHASHSEED": "0",
        }
        self.log = (home / "jupyterlab.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ip=127.0.0.1",
             f"--port={self.port}", f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={root_dir}",
             "--LabApp.expose_app_in_browser=True"],
            stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
        self.seen: set[int] = {self.process.pid}
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={TOKEN}", timeout=2):
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"JupyterLab did not start; see {self.log.name}") from None
                time.sleep(0.2)

    def descendants(self) -> list:
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []
        self.seen.update(child.pid for child in children)
        return children

    def kernel_processes(self) -> list:
        return [p for p in self.descendants() if "ipykernel" in " ".join(p.cmdline())]

    def stop(self) -> list[int]:
        """Stop the server and everything it started; return the pids still alive (should be none)."""
        self.descendants()
        try:
            request = urllib.request.Request(f"{self.base}/api/shutdown?token={TOKEN}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
            self.process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = [pid for pid in self.seen if psutil.pid_exists(pid) and _not_zombie(pid)]
            if not alive:
                break
            for pid in alive:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            psutil.wait_procs([psutil.Process(p) for p in alive if psutil.pid_exists(p)], timeout=15)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=15)
        self.log.close()
        return [pid for pid in self.seen if psutil.pid_exists(pid) and _not_zombie(pid)]


def _not_zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.fixture
def lab(tmp_path, free_port) -> Iterator[Lab]:
    work = tmp_path / "notebooks"
    shutil.copytree(ROOT / "notebooks", work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    home = tmp_path / "home"
    home.mkdir()
    server = Lab(work, home, free_port)
    try:
        yield server
    finally:
        left = server.stop()
    assert left == [], f"processes left behind by JupyterLab: {left}"


@pytest.fixture
def page(request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.console_errors = []
            tab.on("console", lambda m: tab.console_errors.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda e: tab.console_errors.append(str(e)))
            try:
                yield tab
            finally:  # the last thing the page showed, pass or fail
                tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-last.png"))
        finally:
            browser.close()


CURRENT = "window.jupyterapp.shell.currentWidget"

JS_IDLE_AND_DONE = f"""() => {{
    const nb = {CURRENT};
    if (!nb || !nb.sessionContext || !nb.sessionContext.session || !nb.sessionContext.session.kernel) return false;
    const code = nb.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.source.trim());
    return nb.sessionContext.session.kernel.status === 'idle'
        && code.every(c => c.model.executionCount !== null && c.promptNode.textContent.indexOf('*') < 0);
}}"""

JS_OUTPUTS = f"""() => {CURRENT}.content.widgets
    .filter(c => c.model.type === 'code')
    .map(c => ({{source: c.model.sharedModel.source, outputs: c.model.sharedModel.outputs,
                 tags: (c.model.sharedModel.metadata.tags || [])}}))"""


# Run Python in the lesson's kernel (as the notebook's own session) and return what it printed.
JS_KERNEL_RUN = f"""async (code) => {{
    const kernel = {CURRENT}.sessionContext.session.kernel;
    const future = kernel.requestExecute({{code, silent: false, store_history: false}});
    let out = '';
    future.onIOPub = (msg) => {{
        if (msg.header.msg_type === 'stream') out += msg.content.text;
        if (msg.header.msg_type === 'error') out += 'ERROR ' + msg.content.ename + ': ' + msg.content.evalue;
    }};
    await future.done;
    return out;
}}"""


def kernel_run(page, code: str) -> str:
    out = page.evaluate(JS_KERNEL_RUN, code)
    assert "ERROR " not in out, out
    return out


# Before the slider moves: record, for every picture lesson 1's explorer draws from now on, the
# legend of the figure it was drawn from (redraw() saves a matplotlib Figure; no cell runs while
# the slider moves, so every Figure.savefig is the explorer's) and a digest of the PNG it put into
# ``picture``. Recording only appends; it changes no drawing and rebinds no name redraw() reads:
# JupyterLab sends widget messages on a kernel subshell, so redraw() runs on another thread at
# the same time as this test's own requests, and a probe that swapped ``picture`` for a scratch
# widget caught the explorer's drawings of the last values.
JS_RECORD_DRAWINGS = """
import hashlib as _hashlib
from matplotlib.figure import Figure as _Figure
_course_test_legends, _course_test_pictures, _course_test_savefig = [], [], _Figure.savefig
def _course_test_recording_savefig(fig, *args, **kwargs):
    legend = fig.axes[0].get_legend() if fig.axes else None
    _course_test_legends.append([t.get_text() for t in legend.get_texts()] if legend else [])
    return _course_test_savefig(fig, *args, **kwargs)
_Figure.savefig = _course_test_recording_savefig
picture.observe(lambda change: _course_test_pictures.append(_hashlib.sha256(change["new"]).hexdigest()),
                names="value")
print("recording")
"""

# What the explorer holds now, and what it drew last.
JS_EXPLORER_STATE = """
import hashlib as _hashlib, json as _json
print(_json.dumps({"weight": weight_slider.value,
                   "picture_sha256": _hashlib.sha256(picture.value).hexdigest(),
                   "last_legend": (_course_test_legends or [[]])[-1],
                   "last_drawn_sha256": (_course_test_pictures or [None])[-1],
                   "drawings": len(_course_test_pictures)}))
"""

# The bytes the <img> shows (a blob: URL that ipywidgets made from the model's value), as base64.
JS_PICTURE_BYTES = """async (img) => {
    try {
        const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
        let text = '';
        for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
        return btoa(text);
    } catch (e) { return null; }  // a URL revoked by a newer picture: read again
}"""


def open_and_run_all(page, lab: Lab, lesson: str, timeout_s: int) -> list[dict]:
    """Open ``lesson``.py as a learner would, run every cell, and return the code cells' outputs."""
    page.goto(f"{lab.base}/lab/tree/{lesson}.py?token={TOKEN}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=90_000)
    page.wait_for_function(
        f"() => {CURRENT} && {CURRENT}.context && {CURRENT}.context.isReady"
        f" && {CURRENT}.context.path.endsWith('{lesson}.py')",
        timeout=90_000,
    )
    # The .py opened as a notebook (not in the text editor), with its cells and stored outputs.
    assert page.evaluate(f"() => {CURRENT}.content.widgets.length") > 10, "the .py did not open as a notebook"
    stored = page.evaluate(
        f"() => {CURRENT}.content.widgets.filter(c => (c.model.sharedModel.outputs || []).length > 0).length"
    )
    assert stored > 0, "the outputs of the paired .ipynb were not loaded"
    page.wait_for_function(
        f"() => {CURRENT}.sessionContext.session && {CURRENT}.sessionContext.session.kernel"
        f" && {CURRENT}.sessionContext.session.kernel.status === 'idle'",
        timeout=90_000,
    )
    page.click("text=Run", timeout=10_000)  # the menu bar, as a learner would
    page.click("li.lm-Menu-item:has-text('Run All Cells')", timeout=10_000)
    page.wait_for_timeout(1000)
    page.wait_for_function(JS_IDLE_AND_DONE, timeout=timeout_s * 1000, polling=500)
    return page.evaluate(JS_OUTPUTS)


def errors_in(cells: list[dict]) -> list[str]:
    """Errors a learner would see, except in cells tagged ``raises-exception``: those
    demonstrate a bug on purpose (the source article's), and must raise."""
    problems = []
    for c in cells:
        raised = [f"{o.get('ename')}: {o.get('evalue')}" for o in c["outputs"] if o.get("output_type") == "error"]
        where = f" (in cell starting {c['source'][:60]!r})"
        if "raises-exception" in c["tags"]:
            if not raised:
                problems.append("a cell tagged raises-exception did not raise" + where)
        else:
            problems.extend(error + where for error in raised)
    return problems


def kernel_peak_mib(lab: Lab) -> float:
    """Peak resident memory of the lesson's kernel (VmHWM), in MiB."""
    peaks = []
    for proc in lab.kernel_processes():
        status = Path(f"/proc/{proc.pid}/status").read_text()
        line = next(l for l in status.splitlines() if l.startswith("VmHWM:"))
        peaks.append(int(line.split()[1]) / 1024)
    assert peaks, "no kernel process found"
    return max(peaks)


def record(name: str, **figures) -> None:
    path = SCREENSHOTS / "figures.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data[name] = figures
    path.write_text(json.dumps(data, indent=2, sort_keys=True))


def test_activation_lesson_runs_and_its_widget_responds(lab, page):
    started = time.monotonic()
    cells = open_and_run_all(page, lab, "01_activation_functions", timeout_s=240)
    run_seconds = time.monotonic() - started
    assert errors_in(cells) == []
    assert page.console_errors == [], page.console_errors

    # At least one matplotlib figure is in the outputs and one is displayed and loaded.
    assert sum("image/png" in o.get("data", {}) for c in cells for o in c["outputs"]) >= 3
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.jp-RenderedImage img')).some(i => i.complete && i.naturalWidth > 100)",
        timeout=30_000,
    )

    # The explorer widget: scroll to it, move the weight slider with the keyboard, and wait until
    # the picture shows the slider's final value (not merely a different picture).
    index = page.evaluate(
        f"() => {CURRENT}.content.widgets.findIndex(c => (c.model.sharedModel.outputs || [])"
        ".some(o => o.data && o.data['application/vnd.jupyter.widget-view+json']))"
    )
    assert index >= 0, "no cell displays a widget"
    page.evaluate(f"async () => {{ {CURRENT}.content.activeCellIndex = {index}; await {CURRENT}.content.scrollToItem({index}); }}")
    widget = page.locator(".jp-Cell").nth(index).locator(".jupyter-widgets.widget-vbox").first
    widget.wait_for(state="visible", timeout=30_000)
    picture = widget.locator("img").first
    page.wait_for_function("el => el.complete && el.naturalWidth > 100", arg=picture.element_handle(), timeout=30_000)
    try:
        picture.wait_for(state="visible", timeout=15_000)
    except playwright_api.TimeoutError:
        # Seen in Chromium with JupyterLab 4.6's default windowing ("contentVisibility"): an image
        # inserted while its cell was off screen is decoded but never given a layout box (its
        # bounding box stays 0 x 0 even in view), until its display is toggled. Toggle it once.
        picture.evaluate("el => { el.style.display = 'none'; void el.offsetWidth; el.style.display = ''; }")
    picture.evaluate("el => el.scrollIntoView({block: 'center'})")
    picture.wait_for(state="visible", timeout=15_000)
    before_src = picture.get_attribute("src")
    readout = widget.locator(".widget-slider .widget-readout").first
    before_value = readout.inner_text()
    bias_value = float(widget.locator(".widget-slider .widget-readout").nth(1).inner_text())
    page.screenshot(path=str(SCREENSHOTS / "01_activation_functions-widget-before.png"))
    presses, step = 15, 0.1
    final = round(float(before_value) + presses * step, 10)
    assert kernel_run(page, JS_RECORD_DRAWINGS).strip() == "recording"
    handle = widget.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight")
    page.wait_for_function(
        "([el, src]) => el.getAttribute('src') !== src", arg=[picture.element_handle(), before_src], timeout=30_000
    )
    page.wait_for_function("([el, text]) => el.textContent.trim() === text",
                           arg=[readout.element_handle(), f"{final:.2f}"], timeout=10_000)

    # Wait until the explorer is quiet: the kernel has the slider's final value, and the page
    # shows the picture the kernel holds, unchanged over two readings.
    deadline, last = time.monotonic() + 60, None
    while True:
        state = json.loads(kernel_run(page, JS_EXPLORER_STATE))
        shown = page.evaluate(JS_PICTURE_BYTES, picture.element_handle())
        shown_sha = hashlib.sha256(base64.b64decode(shown)).hexdigest() if shown else None
        reading = (state["weight"], state["picture_sha256"], shown_sha)
        settled = abs(state["weight"] - final) < 1e-9 and shown_sha == state["picture_sha256"]
        if (settled and reading == last) or time.monotonic() > deadline:
            break
        last = reading
        page.wait_for_timeout(500)
    assert abs(state["weight"] - final) < 1e-9, f"the kernel's weight is {state['weight']}, the slider reads {final}"
    assert shown_sha == state["picture_sha256"], (
        f"after 60 s the page still does not show the kernel's picture "
        f"(page sha256 {shown_sha}, kernel {state['picture_sha256']})"
    )

    # And that picture is the one the explorer drew last, from a figure whose legend reads
    # "sigmoid(2.5 z + 0)": the final value, not one the slider passed on its way.
    function = widget.locator("select").first.input_value()
    expected_label = f"{function}({final:g} z + {bias_value:g})"
    assert state["drawings"] >= 1, "the explorer drew nothing while the slider moved"
    assert state["last_drawn_sha256"] == state["picture_sha256"], "the picture is not the explorer's last drawing"
    assert state["last_legend"][:1] == [expected_label], (
        f"the slider reads {final:.2f} but the picture shown was drawn for {state['last_legend'][:1]}, "
        f"not {expected_label!r}"
    )
    page.screenshot(path=str(SCREENSHOTS / "01_activation_functions-widget-after.png"))
    assert page.console_errors == [], page.console_errors
    record("01_activation_functions", run_all_seconds=round(run_seconds, 1), kernel_peak_mib=round(kernel_peak_mib(lab)))


def test_a_chinese_lesson_opens_runs_and_speaks_chinese(lab, page):
    """The Chinese twin opens from zh_CN/ as a notebook with Chinese prose, runs
    without errors (its code is the English lesson's), and the self-checks, which
    follow the lesson's folder, answer in Chinese."""
    cells = open_and_run_all(page, lab, "zh_CN/02_cross_entropy", timeout_s=240)
    assert errors_in(cells) == []
    assert page.locator(".jp-MarkdownOutput h1", has_text="第 2 课").count() >= 1, "no Chinese title"
    text = "\n".join("".join(o.get("text", "")) for c in cells for o in c["outputs"])
    assert "尚未作答" in text, "the self-check did not answer in Chinese"
    assert "not answered yet" not in text
    assert page.console_errors == [], page.console_errors


def test_pytorch_mnist_lesson_runs_to_its_accuracy_line(lab, page):
    if not (ROOT / "notebooks" / "05_mnist_pytorch.py").exists():
        pytest.fail("notebooks/05_mnist_pytorch.py is missing")
    started = time.monotonic()
    cells = open_and_run_all(page, lab, "05_mnist_pytorch", timeout_s=420)
    run_seconds = time.monotonic() - started
    assert errors_in(cells) == []
    text = "\n".join(
        "".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
        for c in cells
        for o in c["outputs"]
    )
    assert "test accuracy >= 97.5%: True" in text, "the lesson's final accuracy line is missing"
    page.screenshot(path=str(SCREENSHOTS / "05_mnist_pytorch-after-run-all.png"))
    assert page.console_errors == [], page.console_errors
    record("05_mnist_pytorch", run_all_seconds=round(run_seconds, 1), kernel_peak_mib=round(kernel_peak_mib(lab)))
