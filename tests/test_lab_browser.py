"""A learner's path, in a real JupyterLab driven through Debian's Chromium.

For each lesson checked here: start JupyterLab (from this environment, on
127.0.0.1, with a token, in a temporary home, on a copy of notebooks/ so that
autosave cannot touch the repository), open the lesson's ``.py`` (it must open
as a notebook), run all cells, and check what a learner would see. Screenshots
go to ``build/lab-screenshots/``. The server and every process it started are
stopped afterwards, and the test fails if any is left.
"""

from __future__ import annotations

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

    # The explorer widget: scroll to it, move the weight slider with the keyboard, watch the picture change.
    index = page.evaluate(
        f"() => {CURRENT}.content.widgets.findIndex(c => (c.model.sharedModel.outputs || [])"
        ".some(o => o.data && o.data['application/vnd.jupyter.widget-view+json']))"
    )
    assert index >= 0, "no cell displays a widget"
    page.evaluate(f"async () => {{ {CURRENT}.content.activeCellIndex = {index}; await {CURRENT}.content.scrollToItem({index}); }}")
    widget = page.locator(".jp-Cell").nth(index).locator(".jupyter-widgets.widget-vbox").first
    widget.wait_for(state="visible", timeout=30_000)
    picture = widget.locator("img").first
    picture.wait_for(state="visible", timeout=30_000)
    before_src = picture.get_attribute("src")
    readout = widget.locator(".widget-slider .widget-readout").first
    before_value = readout.inner_text()
    page.screenshot(path=str(SCREENSHOTS / "01_activation_functions-widget-before.png"))
    handle = widget.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(15):
        handle.press("ArrowRight")
    page.wait_for_function(
        "([el, src]) => el.getAttribute('src') !== src", arg=[picture.element_handle(), before_src], timeout=30_000
    )
    assert readout.inner_text() != before_value
    page.screenshot(path=str(SCREENSHOTS / "01_activation_functions-widget-after.png"))
    assert page.console_errors == [], page.console_errors
    record("01_activation_functions", run_all_seconds=round(run_seconds, 1), kernel_peak_mib=round(kernel_peak_mib(lab)))


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
