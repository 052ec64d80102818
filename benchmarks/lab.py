"""How the course feels in JupyterLab: start-up time and each lesson's kernel memory.

Run from the repository's root, with .venv already built (``make setup``):

    .venv/bin/python benchmarks/lab.py            # all lessons
    .venv/bin/python benchmarks/lab.py 01 05      # lessons whose name starts so

It prints two tables:

1. ``make lab`` to a usable page: seconds until the server answers, and
   until Debian's Chromium shows JupyterLab with its file browser listing the
   lessons (skipped when /usr/bin/chromium is absent).
2. For every lesson: the seconds "run all" takes in a fresh kernel and that
   kernel's peak resident memory (its high-water mark, read inside the kernel
   after the last cell), against the 1.5 GB target.

This is a measurement, not a test: nothing here fails the build.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

TARGET_MIB = 1.5 * 1024
PEAK_CELL = """\
import resource, sys
_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print("PEAK_KIB", _peak // 1024 if sys.platform == "darwin" else _peak)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def lab_startup() -> tuple[float, float | None]:
    """Seconds from ``make lab`` to a server that answers, and to a usable page in Chromium."""
    port, token = free_port(), "benchmark"
    home = Path(tempfile.mkdtemp(prefix="lab-home-"))
    env = {**os.environ, "HOME": str(home), "JUPYTER_RUNTIME_DIR": str(home / "runtime")}
    args = f"--no-browser --ip=127.0.0.1 --port={port} --IdentityProvider.token={token}"
    started = time.perf_counter()
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=1):
                    break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError("make lab exited early") from None
                time.sleep(0.05)
        answered = time.perf_counter() - started
        usable = None
        if Path("/usr/bin/chromium").exists():
            from playwright.sync_api import sync_playwright

            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path="/usr/bin/chromium",
                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync", "--no-first-run"],
                )
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/lab?token={token}")
                page.wait_for_selector(".jp-DirListing-item:has-text('01_activation_functions')", timeout=120_000)
                usable = time.perf_counter() - started
                browser.close()
        return answered, usable
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


def lesson_memory(py_path: Path) -> tuple[float, float]:
    """Run a lesson top to bottom in a fresh kernel; return (seconds, peak MiB of that kernel)."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(py_path)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK_CELL))
    started = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(py_path.parent)}}).execute()
    seconds = time.perf_counter() - started
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    kib = int(text.split("PEAK_KIB", 1)[1].split()[0])
    return seconds, kib / 1024


def main(prefixes: list[str]) -> int:
    from notebooks import lessons

    chosen = [p for p in lessons() if not prefixes or any(p.name.startswith(x) for x in prefixes)]
    print("make lab (with .venv built) to a usable JupyterLab page")
    answered, usable = lab_startup()
    print(f"  server answers after   {answered:6.1f} s")
    print(f"  page usable after      {usable:6.1f} s" if usable is not None else "  page: skipped (no /usr/bin/chromium)")
    print()
    print(f"{'lesson':<32} {'run all (s)':>12} {'kernel peak (MiB)':>18} {'< 1.5 GB':>9}")
    worst = 0.0
    for path in chosen:
        seconds, peak = lesson_memory(path)
        worst = max(worst, peak)
        print(f"{path.stem:<32} {seconds:12.1f} {peak:18.0f} {'yes' if peak < TARGET_MIB else 'NO':>9}")
    print(f"\nlargest kernel peak: {worst:.0f} MiB (target under {TARGET_MIB:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
