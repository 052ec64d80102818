"""nbgrader, adapted: sandboxed kernels, a time budget, and feedback without hidden tests.

* :class:`SandboxKernelManager` starts every kernel through
  :mod:`course_grader._launch`, which isolates it.
* :class:`SandboxedExecute` replaces nbgrader's ``Execute`` preprocessor: it
  records which cell was running when the kernel died or stopped answering,
  and stops a notebook that runs past its total time budget.
* :class:`InjectCases` (before the execution) and :class:`JudgeResults`
  (after it) judge the graded test cells in the grader's process
  (:mod:`course_grader.judge`): the kernel only computes.
* :class:`HideHiddenTests` runs before nbgrader's feedback is rendered: the
  hidden tests' code and outputs are replaced by a one-line verdict, and any
  output elsewhere that quotes a line of a hidden test is withheld.
  :func:`configure_feedback` sets it up, with nbconvert's HTML exporter made
  cheaper by one step (the same page).
* For throughput: :class:`QuickStartClient` waits less for a new kernel,
  :data:`NEXT_KERNEL` starts the next notebook's kernel while this one's
  results are written.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, DottedObjectName, Integer, Type, Unicode

from . import judge
from .sandbox import LAUNCHER, kernel_template

HIDDEN_BEGIN = "BEGIN HIDDEN TESTS"
HIDDEN_END = "END HIDDEN TESTS"
TIMEOUT_ENAME = "CellTimeoutError"


class NotebookBudgetExceeded(RuntimeError):
    """The notebook as a whole ran longer than its budget."""


@dataclass
class RunState:
    """What happened during the last execution in this process (one notebook at a time)."""

    cell_index: int | None = None
    grade_id: str | None = None
    failure: str | None = None  # "dead", "unresponsive", "budget"
    started: float = 0.0
    started_cells: int = 0  # code cells sent to the kernel
    notes: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.cell_index = self.grade_id = self.failure = None
        self.started = time.monotonic()
        self.started_cells = 0
        self.notes = []

    def where(self) -> str:
        if self.cell_index is None:
            return "before the first cell"
        label = f" ({self.grade_id})" if self.grade_id else ""
        return f"in cell {self.cell_index + 1}{label}"


LAST_RUN = RunState()


class NextKernel:
    """The kernel started for the next notebook while the last one's results were written.

    A worker grades one notebook after the other. Starting a kernel (and waiting until it
    answers) took about 0.2 s of every notebook, while the worker itself waited; the worker's
    own work after the cells (judging, the gradebook, the feedback page) took about 0.4 s, while
    no kernel ran. So the next notebook's kernel is started as soon as the cells of this one
    have run. It is a new, unused kernel in its own sandbox, like any other; it is used only
    for a notebook of the same kernel name, and ended with the worker if no notebook comes.
    """

    def __init__(self) -> None:
        self.km = None
        self.name = ""

    def start(self, execute: SandboxedExecute, name: str) -> None:
        from jupyter_core.utils import run_sync

        self.discard()
        km = execute.kernel_manager_class(kernel_name=name, config=execute.config) if name else \
            execute.kernel_manager_class(config=execute.config)
        try:
            run_sync(km.start_kernel)(extra_arguments=execute.kernel_arguments(km))
        except Exception as exc:  # noqa: BLE001 - the next notebook then starts a kernel itself
            execute.log.warning("could not start the next kernel in advance: %s", exc)
            return
        self.km, self.name = km, name

    def take(self, name: str):
        """The kernel started in advance, if it suits a notebook of kernel ``name`` and still runs."""
        km, self.km = self.km, None
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if km is not None and self.name == name and process is not None and process.poll() is None:
            return km
        if km is not None:
            self.end(None, km)
        return None

    @staticmethod
    def end(kc, km) -> None:
        from jupyter_core.utils import run_sync

        try:
            if kc is not None:
                kc.stop_channels()
            run_sync(km.shutdown_kernel)(now=True)
        except Exception:  # noqa: BLE001 - its sandbox ends with the worker in any case
            pass

    def discard(self) -> None:
        if self.km is not None:
            km, self.km = self.km, None
            self.end(None, km)


NEXT_KERNEL = NextKernel()


class QuickStartClient(AsyncKernelClient):
    """jupyter_client's kernel client, waiting 20 ms instead of 200 ms for a quiet IOPub channel at start.

    ``wait_for_ready`` asks for ``kernel_info`` until the kernel answers on the shell channel
    and IOPub is connected, as jupyter_client does; then it drops IOPub's start-up messages.
    jupyter_client waits until no message has come for 0.2 s, a fixed cost per kernel (a fifth
    of the time a submission of assignment 1 took to grade). Messages that arrive later are
    still harmless: nbclient only reads the replies to its own requests.
    """

    flush_seconds = 0.02

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        from queue import Empty

        from jupyter_core.utils import ensure_async

        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
            except Empty:
                pass
            else:
                if msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub is connected once it carries something (the status of that request)
                        await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
            if not await ensure_async(self.is_alive()):
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
        while True:
            try:
                await ensure_async(self.iopub_channel.get_msg(timeout=self.flush_seconds))
            except Empty:
                break


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside the grading sandbox."""

    client_class = DottedObjectName("course_grader.nbg.QuickStartClient")
    client_factory = Type(QuickStartClient, klass=AsyncKernelClient)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        """Wait for the kernel's process to end, looking every 10 ms instead of every 100 ms."""
        await super()._async_wait(pollinterval=min(pollinterval, 0.01))

    async def _async_kill_kernel(self, restart: bool = False) -> None:
        """End the kernel through its launcher, then as jupyter_client does.

        SIGTERM makes the launcher kill the sandbox and exit only once every process in it
        has ended (the init of a PID namespace ends last). Killing the launcher outright
        would free the kernel's ports for the next kernel while a forked kernel, ended by
        the template a moment later, still holds them.
        """
        import asyncio

        process = getattr(self.provisioner, "process", None)
        if process is not None and process.poll() is None:
            try:
                process.terminate()
            except OSError:
                pass
            for _ in range(500):
                if process.poll() is not None:
                    break
                await asyncio.sleep(0.01)
        await super()._async_kill_kernel(restart=restart)

    launcher_config = Unicode("", help="The sandbox description written by course_grader.sandbox.").tag(
        config=True
    )

    fork_kernels = Bool(True, help="Fork each kernel from this worker's kernel template (the same "
                        "sandbox, without importing ipykernel and NumPy again).").tag(config=True)

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if not self.launcher_config:
            raise RuntimeError(
                "SandboxKernelManager.launcher_config is not set; refusing to start an unisolated kernel"
            )
        via = ["--via", kernel_template(self.launcher_config).socket_path()] if self.fork_kernels else []
        return [sys.executable, str(LAUNCHER), self.launcher_config, *via, "--", *cmd]


def truncated_marker(limit: int, scope: str) -> str:
    return f"[output truncated: {scope} printed more than {limit // 1024} kB; the rest is not kept]\n"


def _output_size(output: dict) -> int:
    if output.get("output_type") == "stream":
        return len(output.get("text", ""))
    if output.get("output_type") == "error":
        return len(output.get("evalue", "")) + sum(len(line) for line in output.get("traceback", []))
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in output.get("data", {}).values())


class SandboxedExecute(Execute):
    """nbgrader's Execute, with sandboxed kernels, failure reports, a time budget and output caps.

    Output beyond ``cell_output_bytes`` in a cell, or beyond
    ``notebook_output_bytes`` in the notebook, is dropped as it arrives (a
    stream is cut at the limit) and replaced by one "truncated" marker, so that
    neither the grader's memory nor the graded notebook and its feedback grow
    with what a submission prints. The one result a judged cell hands back is
    exempt (it is replaced by the verdict, and its size is checked there).
    """

    notebook_budget = Integer(900, help="Seconds one notebook may run in total.").tag(config=True)
    cell_output_bytes = Integer(256 * 1024, help="Output characters kept per cell.").tag(config=True)
    notebook_output_bytes = Integer(1024 * 1024, help="Output characters kept per notebook.").tag(config=True)

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kw)
        self._used: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._cpu_stopped: str | None = None

    start_next = Bool(True, help="Once the cells have run, start the kernel of the next notebook, so "
                      "that it starts while this one's grades and feedback are written.").tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        LAST_RUN.reset()
        self._used, self._truncated, self._cpu_stopped = {}, set(), None
        name = self.kernel_name or nb.metadata.get("kernelspec", {}).get("name", "")
        spare = NEXT_KERNEL.take(name) if km is None else None
        try:
            nb, resources = super().preprocess(nb, resources, km or spare)
        finally:
            if spare is not None:  # nbclient leaves a kernel it was given running: end it here
                NEXT_KERNEL.end(getattr(self, "kc", None), spare)
        self._cap_after(nb)  # display updates can change earlier outputs: check them all again
        if self.start_next and km is None:
            NEXT_KERNEL.start(self, name)
        return nb, resources

    def kernel_arguments(self, km) -> list[str]:
        """The kernel's extra arguments, as nbclient's ``start_new_kernel`` gives them."""
        args = list(self.extra_arguments)
        if getattr(km, "ipykernel", False) and self.ipython_hist_file and \
                not any(a.startswith("--HistoryManager.hist_file") for a in args):
            args.append(f"--HistoryManager.hist_file={self.ipython_hist_file}")
        return args

    def _kernel_exit_code(self) -> int | None:
        """The launcher's exit status: 128 + the signal that ended the kernel (SIGXCPU: 152)."""
        process = getattr(getattr(getattr(self, "km", None), "provisioner", None), "process", None)
        for _ in range(20):
            code = process.poll() if process is not None else None
            if code is not None:
                return code
            time.sleep(0.1)
        return None

    def _judged_result(self, cell_index: int, out: dict) -> bool:
        cell = self.nb.cells[cell_index]
        return cell.get("id") in _JUDGED and judge.MIME in out.get("data", {}) and \
            _output_size(out) <= judge.MAX_RESULT_BYTES

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None or self._judged_result(cell_index, out):
            return out
        size = _output_size(out)
        cell_left = self.cell_output_bytes - self._used.get(cell_index, 0)
        notebook_left = self.notebook_output_bytes - sum(self._used.values())
        left = min(cell_left, notebook_left)
        if size <= left:
            self._used[cell_index] = self._used.get(cell_index, 0) + size
            return out
        outs.remove(out)
        if out.get("output_type") == "stream" and left > 0:
            outs.append(NotebookNode(output_type="stream", name=out["name"], text=out["text"][:left]))
            self._used[cell_index] = self._used.get(cell_index, 0) + left
        if cell_index not in self._truncated:
            self._truncated.add(cell_index)
            scope = "this cell" if cell_left <= notebook_left else "the notebook"
            limit = self.cell_output_bytes if cell_left <= notebook_left else self.notebook_output_bytes
            outs.append(NotebookNode(output_type="stream", name="stdout", text=truncated_marker(limit, scope)))
        return None

    def _cap_after(self, nb) -> None:
        total = 0
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code":
                continue
            kept, used = [], 0
            for out in cell.get("outputs", []):
                size = _output_size(out)
                marker = out.get("text", "").startswith("[output truncated:")
                if marker or self._judged_result(index, out) or (
                        used + size <= self.cell_output_bytes and total + size <= self.notebook_output_bytes):
                    kept.append(out)
                    used, total = used + (0 if marker else size), total + (0 if marker else size)
                elif not any(o.get("text", "").startswith("[output truncated:") for o in kept):
                    kept.append(NotebookNode(output_type="stream", name="stdout",
                                             text=truncated_marker(self.cell_output_bytes, "this cell")))
            cell.outputs = kept

    def preprocess_cell(self, cell, resources, index):
        if self.notebook_budget and time.monotonic() - LAST_RUN.started > self.notebook_budget:
            LAST_RUN.failure = "budget"
            raise NotebookBudgetExceeded(
                f"the notebook ran for more than {self.notebook_budget} s in total; stopped before cell {index + 1}"
            )
        if self._cpu_stopped is not None:  # the kernel is gone: this cell never runs
            if cell.get("cell_type") == "code":
                cell.outputs = [_error_output(NOT_RUN_ENAME,
                                              f"not run: the kernel was stopped in {self._cpu_stopped}")]
            return cell, resources
        LAST_RUN.cell_index = index
        LAST_RUN.grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("cell_type") == "code" and cell.get("source", "").strip():
            LAST_RUN.started_cells += 1
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            LAST_RUN.failure = {152: "cpu", 137: "killed"}.get(self._kernel_exit_code(), "dead")
            if LAST_RUN.failure != "cpu":
                raise
            # The CPU-time limit ended the kernel (SIGXCPU): like the memory limit, this cell
            # fails and the cells before it keep their results; the later cells cannot run.
            self._cpu_stopped = f"cell {index + 1}" + (f" ({LAST_RUN.grade_id})" if LAST_RUN.grade_id else "")
            cell.outputs = [_error_output(CPU_LIMIT_ENAME, "the CPU-time limit of the grading kernel was "
                                                           "exceeded; the kernel was ended")]
            return cell, resources
        except CellTimeoutError:
            LAST_RUN.failure = "unresponsive"
            raise


CPU_LIMIT_ENAME = "CPUTimeLimitExceeded"
NOT_RUN_ENAME = "NotRun"


def _error_output(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


@dataclass
class _Judged:
    grade_id: str
    test: judge.Test
    cases: list
    expected: list
    source: str
    injected: str = ""


#: The class secret, set by the worker (never a traitlet, so that no configuration dump shows it).
SECRET: bytes = b""
#: The judged cells of the notebook being graded, by cell id (one notebook at a time per process).
_JUDGED: dict[str, _Judged] = {}
WITHHELD = "[output withheld: it quoted a hidden test]\n"


def _grade_id(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class InjectCases(NbGraderPreprocessor):
    """Replace the source of every judged grade cell by code that computes and hands back."""

    source_dir = Unicode("", help="The assignment sources folder (with judges/).").tag(config=True)
    mode = Unicode("grader", help="'grader' (judged here) or 'kernel' (the old, forgeable way).").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        _JUDGED.clear()
        assignment = resources["nbgrader"]["assignment"]
        student = resources["nbgrader"]["student"]
        tests = judge.load_tests(self.source_dir, assignment) if self.source_dir else {}
        if tests and len(SECRET) < 16:
            raise judge.JudgeError("no class secret: the hidden tests cannot draw their cases")
        for cell in nb.cells:
            grade_id = _grade_id(cell)
            if cell.cell_type != "code" or grade_id not in tests:
                continue
            test = tests[grade_id]
            cases = judge.draw_cases(test, SECRET, assignment, grade_id, student)
            expected = [test.reference(*c) if test.reference is not None else None for c in cases]
            _JUDGED[cell.id] = _Judged(grade_id, test, cases, expected, cell.source)
            if self.mode == "kernel":
                cell.source = judge.kernel_assert_code(test, cases, expected)
            else:
                cell.source = judge.kernel_code(test, cases)
            _JUDGED[cell.id].injected = cell.source
        return nb, resources


class JudgeResults(NbGraderPreprocessor):
    """Score the judged cells from the data they handed back; put their sources back."""

    mode = Unicode("grader").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        # The hidden cases must not reach the feedback, even quoted by the student's code.
        quotes = {line.strip() for item in _JUDGED.values() if item.test.hidden
                  for line in item.injected.splitlines() if "_course_judged_cell(" in line and len(line) > 40}
        for cell in nb.cells:
            item = _JUDGED.get(cell.get("id"))
            if item is None:
                if quotes and cell.cell_type == "code":
                    cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=WITHHELD)
                                    if any(q[:200] in _output_text(o) for q in quotes) else o
                                    for o in cell.get("outputs", [])]
                continue
            cell.source = item.source
            if self.mode == "kernel":
                continue
            verdict = judge.judge_outputs(cell.get("outputs", []), item.test, item.cases, item.expected)
            if verdict.passed:
                cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=verdict.text() + "\n")]
            else:
                cell.outputs = [NotebookNode(output_type="error", ename="WrongAnswer", evalue=verdict.text(),
                                             traceback=verdict.text().splitlines())]
        _JUDGED.clear()
        return nb, resources


def _hidden_region_lines(source: str) -> tuple[str, list[str]]:
    """Split a cell's source into its visible part and the lines of its hidden tests."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
            visible.append(re.sub(r"\S.*$", "# (hidden tests ran here; their code is not shown)", line))
        elif HIDDEN_END in line:
            inside = False
        elif inside:
            hidden.append(line)
        else:
            visible.append(line)
    return "\n".join(visible), hidden


def _output_text(output: NotebookNode) -> str:
    parts = []
    if output.get("output_type") == "stream":
        parts.append(output.get("text", ""))
    elif output.get("output_type") == "error":
        parts.extend([output.get("evalue", ""), *output.get("traceback", [])])
    else:
        for value in output.get("data", {}).values():
            parts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else "")
    return "\n".join(parts)


def _verdict(outputs: list[NotebookNode]) -> NotebookNode:
    failed = [o for o in outputs if o.get("output_type") == "error"]
    if failed:
        ename = failed[-1].get("ename", "Error")
        text = f"Hidden tests: not passed ({ename}). Their code and messages are not shown.\n"
    else:
        text = "Hidden tests: passed.\n"
    return NotebookNode(output_type="stream", name="stdout", text=text)


class HideHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests, their outputs and any output that quotes them (for feedback)."""

    min_quote = Integer(12, help="Shortest hidden-test line (without spaces) that counts as a quote.").tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict) -> tuple[NotebookNode, dict]:
        secret_lines: set[str] = set()
        for cell in nb.cells:
            if HIDDEN_BEGIN not in cell.get("source", ""):
                continue
            visible, hidden = _hidden_region_lines(cell.source)
            cell.source = visible
            secret_lines.update(
                line.strip() for line in hidden if len("".join(line.split())) >= self.min_quote
            )
            if cell.cell_type == "code":
                cell.outputs = [_verdict(cell.get("outputs", []))]
        if secret_lines:
            for cell in nb.cells:
                if cell.cell_type != "code":
                    continue
                kept = []
                for output in cell.get("outputs", []):
                    text = _output_text(output)
                    if any(line in text for line in secret_lines):
                        kept.append(NotebookNode(
                            output_type="stream", name="stdout",
                            text="[output withheld: it quoted a hidden test]\n",
                        ))
                    else:
                        kept.append(output)
                cell.outputs = kept
        return nb, resources


def _limit_of(output: dict) -> str | None:
    if output.get("output_type") != "error":
        return None
    name, value = output.get("ename", ""), output.get("evalue", "")
    if name == TIMEOUT_ENAME:
        return "time"
    if name == CPU_LIMIT_ENAME:
        return "cpu"
    if name == "MemoryError" or "Cannot allocate memory" in value:
        return "memory"
    if name == "BlockingIOError" and "Resource temporarily unavailable" in value:
        return "processes"
    return None


def limited_cells(nb: NotebookNode) -> list[tuple[str, str]]:
    """``(cell label, "time" | "memory" | "processes" | "cpu")`` for each cell that a limit stopped."""
    out = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            kind = _limit_of(output)
            if kind:
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                out.append((f"cell {index + 1}" + (f" ({grade_id})" if grade_id else ""), kind))
                break
    return out


def timed_out_cells(nb: NotebookNode) -> list[str]:
    """Labels of the cells whose execution was stopped by the per-cell time limit."""
    return [label for label, kind in limited_cells(nb) if kind == "time"]


_FOCUSABLE = re.compile(r'<div class="(?=[^"]*\b(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b)([^"]*)"(?![^>]*\btabindex=)')
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)", re.IGNORECASE)


def _feedback_exporter():
    from nbconvert.exporters import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class FeedbackExporter(HTMLExporter):
        """nbconvert's HTML exporter, with its last step done by two substitutions instead of BeautifulSoup.

        HTMLExporter parses the page it has rendered to give images without a description
        an ``alt`` text and to make input and output areas focusable (``tabindex="0"``), then
        serialises it again: about 0.2 s of the 0.4 s that one feedback page cost. The page
        comes from nbconvert's own template, whose ``<div class="...">`` and ``<img`` tags
        these substitutions find; the result carries the same attributes.
        """

        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            filter_data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self,
                                                     resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", filter_data_type)
            html, resources = TemplateExporter.from_notebook_node(self, nb, resources, **kw)
            html = _IMG_WITHOUT_ALT.sub('<img alt="No description has been provided for this image"', html)
            html = _FOCUSABLE.sub(r'<div class="\1" tabindex="0"', html)
            return html, resources

    return FeedbackExporter


def configure_feedback(config) -> None:
    """How feedback pages are made, by the grading workers and by ``python -m course_grader feedback``."""
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    config.GenerateFeedback.preprocessors = [HideHiddenTests, GetGrades, CSSHTMLHeaderPreprocessor]
    config.GenerateFeedback.exporter_class = _feedback_exporter()
