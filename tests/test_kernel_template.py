"""The kernel template (course_grader._launch.serve): forked kernels get the same sandbox as executed ones.

Each test starts real grading kernels through :class:`course_grader.nbg.SandboxKernelManager`,
both ways: forked from the worker's template (``fork_kernels=True``, what grading uses) and as a
new interpreter (``fork_kernels=False``), and compares what the students' code can see and do.
The grading tests (test_grading.py) grade the hostile submissions with forked kernels and again
without the template, and require the same grades.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent

REPORT = r"""
import importlib.util, json, os, resource, sys
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
def target(n):
    try:
        return os.readlink(f"/proc/self/fd/{n}")
    except OSError:  # the folder listing's own descriptor, closed by now
        return None
fds = [t for t in map(target, os.listdir("/proc/self/fd")) if t]
print("REPORT" + json.dumps({
    "uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups(), "cwd": os.getcwd(),
    "root": sorted(os.listdir("/")), "tmp": sorted(os.listdir("/tmp")),
    "limits": [list(resource.getrlimit(r)) for r in (resource.RLIMIT_DATA, resource.RLIMIT_NPROC,
                                                      resource.RLIMIT_CPU, resource.RLIMIT_CORE)],
    "env": sorted(os.environ), "home": os.environ.get("HOME"), "path0": sys.path[0],
    "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "cmdline": open("/proc/self/cmdline", "rb").read().decode(errors="replace").split("\0"),
    "no_new_privs": status["NoNewPrivs"].strip(), "capabilities": status["CapEff"].strip(),
    "grader": importlib.util.find_spec("course_grader") is not None,
    "files": sorted(t for t in fds if t.startswith("/") and not t.startswith("/tmp/")), "sockets": sorted(t for t in fds if t.startswith("socket:")),
    "course_utils": importlib.util.find_spec("course_utils").origin,
}))
"""


@pytest.fixture(scope="module")
def sandbox_config(tmp_path_factory):
    from course_grader.sandbox import SandboxUnavailable, cleanup, prepare, stop_kernel_templates, workspace

    ws = workspace()
    try:
        config, plan = prepare("auto", secrets=[ws], workdir=ws)
    except SandboxUnavailable as exc:
        shutil.rmtree(ws, ignore_errors=True)
        if os.geteuid() == 0:
            raise
        pytest.skip(f"grading kernels cannot be isolated on this machine: {exc}")
    yield config
    stop_kernel_templates()
    cleanup(plan)
    shutil.rmtree(ws, ignore_errors=True)


def _manager(config: Path, fork: bool):
    from course_grader.nbg import SandboxKernelManager

    return SandboxKernelManager(launcher_config=str(config), fork_kernels=fork, kernel_name="python3")


async def _run(config: Path, fork: bool, cells: list[str]) -> tuple[list[str], object]:
    """Start a kernel, run ``cells``, return what they printed (one string per cell) and the manager."""
    km = _manager(config, fork)
    await km.start_kernel()
    kc = km.client()
    kc.start_channels()
    printed = []
    try:
        await kc.wait_for_ready(timeout=60)
        for code in cells:
            out: list[str] = []

            def hook(msg, out=out):
                if msg["msg_type"] == "stream":
                    out.append(msg["content"]["text"])
                elif msg["msg_type"] == "error":
                    out.append("ERROR " + msg["content"]["ename"] + ": " + msg["content"]["evalue"])

            await kc.execute_interactive(code, timeout=60, output_hook=hook)
            printed.append("".join(out))
    finally:
        kc.stop_channels()
    return printed, km


def _report(config: Path, fork: bool) -> dict:
    async def go():
        printed, km = await _run(config, fork, [REPORT])
        await km.shutdown_kernel(now=True)
        return printed[0]

    text = asyncio.run(go())
    assert "REPORT" in text, text
    return json.loads(text.split("REPORT", 1)[1])


def test_a_forked_kernel_sees_and_may_do_what_an_executed_kernel_may(sandbox_config):
    from course_grader.sandbox import kernel_template

    forked, executed = _report(sandbox_config, True), _report(sandbox_config, False)
    cfg = json.loads(sandbox_config.read_text())
    for report in (forked, executed):
        assert report["uid"] != 0 and report["gid"] != 0 and report["groups"] == []
        assert report["no_new_privs"] == "1" and int(report["capabilities"], 16) == 0
        assert not report["grader"], "the grader's package must stay out of the kernel's reach"
        joined = " ".join(report["cmdline"])
        assert "course_grader" not in joined and cfg["scratch"] not in joined, report["cmdline"]
    if cfg["uid_count"]:  # a user id of its own per kernel (from the launcher's pid): compare the rest
        for report in (forked, executed):
            assert cfg["uid_base"] <= report["uid"] < cfg["uid_base"] + cfg["uid_count"]
            del report["uid"]
    assert forked["cmdline"] != executed["cmdline"]  # a fork shows the template's own command line
    # No socket of the template's (its listening socket, its launchers' connections) reaches the
    # kernel. (How many sockets ZeroMQ has open at a given moment varies, and so do the files the
    # kernel opens in its own /tmp, IPython's history among them: those are not compared.)
    template = kernel_template(sandbox_config).process.pid
    template_sockets = {os.readlink(f"/proc/{template}/fd/{n}") for n in os.listdir(f"/proc/{template}/fd")}
    template_sockets = {t for t in template_sockets if t.startswith("socket:")}
    assert template_sockets and not template_sockets & set(forked["sockets"])
    for report in (forked, executed):
        del report["cmdline"], report["sockets"]
    assert forked == executed


def test_a_forked_kernel_reports_its_exit_status_as_an_executed_one(sandbox_config):
    async def exit_code(fork: bool) -> int:
        km = _manager(sandbox_config, fork)
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        kc.execute("import os; os._exit(7)")
        process = km.provisioner.process
        for _ in range(200):
            if process.poll() is not None:
                break
            await asyncio.sleep(0.05)
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
        return process.returncode

    assert asyncio.run(exit_code(True)) == asyncio.run(exit_code(False)) == 7


def _sandbox_processes(template_pid: int) -> list[psutil.Process]:
    return psutil.Process(template_pid).children(recursive=True)


def test_a_forked_kernel_ends_with_its_launcher(sandbox_config):
    """Jupyter kills a kernel by killing the process it started: the template must end the fork too."""
    from course_grader.sandbox import kernel_template

    async def go():
        printed, km = await _run(sandbox_config, True, ["print(1 + 1)"])
        assert printed == ["2\n"]
        template = kernel_template(sandbox_config).process.pid
        forked = _sandbox_processes(template)
        assert forked, "the sandbox's processes are the template's children"
        km.provisioner.process.kill()  # the launcher only, as a crash would
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE
                                                  for p in forked):
            await asyncio.sleep(0.05)
        alive = [p.pid for p in forked if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        await km.shutdown_kernel(now=True)
        return alive

    assert asyncio.run(go()) == []


def test_an_interrupt_reaches_a_forked_kernel(sandbox_config):
    async def go():
        km = _manager(sandbox_config, True)
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        await kc.wait_for_ready(timeout=60)
        msg_id = kc.execute("import time\ntry:\n    time.sleep(30)\nexcept KeyboardInterrupt:\n    print('stopped')")
        await asyncio.sleep(1.0)
        started = time.monotonic()
        await km.interrupt_kernel()
        text = []
        while True:
            msg = await kc.get_iopub_msg(timeout=20)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                text.append(msg["content"]["text"])
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        kc.stop_channels()
        await km.shutdown_kernel(now=True)
        return "".join(text), time.monotonic() - started

    text, seconds = asyncio.run(go())
    assert text == "stopped\n" and seconds < 10


def test_the_template_ends_with_the_worker_that_started_it(sandbox_config, tmp_path):
    script = (
        "import sys, time\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from course_grader.sandbox import kernel_template\n"
        f"template = kernel_template({str(sandbox_config)!r})\n"
        "template.socket_path()\n"
        "print(template.process.pid, flush=True)\n"
        "time.sleep(120)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        pid = int(worker.stdout.readline())
        assert psutil.pid_exists(pid)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            break
        time.sleep(0.05)
    else:
        pytest.fail(f"the kernel template {pid} outlived the worker that started it")
