"""nbgrader, adapted: sandboxed kernels, a time budget, and feedback without hidden tests.

* :class:`SandboxKernelManager` starts every kernel through
  :mod:`course_grader._launch`, which isolates it.
* :class:`SandboxedExecute` replaces nbgrader's ``Execute`` preprocessor: it
  records which cell was running when the kernel died or stopped answering,
  and stops a notebook that runs past its total time budget.
* :class:`HideHiddenTests` runs before nbgrader's feedback is rendered: the
  hidden tests' code and outputs are replaced by a one-line verdict, and any
  output elsewhere that quotes a line of a hidden test is withheld.
"""

from __future__ import annotations

import re
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Integer, Unicode

from .sandbox import LAUNCHER

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


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels start inside the grading sandbox."""

    launcher_config = Unicode("", help="The sandbox description written by course_grader.sandbox.").tag(
        config=True
    )

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        cmd = super().format_kernel_cmd(extra_arguments)
        if not self.launcher_config:
            raise RuntimeError(
                "SandboxKernelManager.launcher_config is not set; refusing to start an unisolated kernel"
            )
        return [sys.executable, str(LAUNCHER), self.launcher_config, "--", *cmd]


class SandboxedExecute(Execute):
    """nbgrader's Execute, with sandboxed kernels, failure reports and a time budget."""

    notebook_budget = Integer(900, help="Seconds one notebook may run in total.").tag(config=True)

    def __init__(self, **kw: Any) -> None:
        kw.setdefault("kernel_manager_class", SandboxKernelManager)
        super().__init__(**kw)

    def preprocess(self, nb, resources=None, km=None):
        LAST_RUN.reset()
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell, resources, index):
        if self.notebook_budget and time.monotonic() - LAST_RUN.started > self.notebook_budget:
            LAST_RUN.failure = "budget"
            raise NotebookBudgetExceeded(
                f"the notebook ran for more than {self.notebook_budget} s in total; stopped before cell {index + 1}"
            )
        LAST_RUN.cell_index = index
        LAST_RUN.grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.get("cell_type") == "code" and cell.get("source", "").strip():
            LAST_RUN.started_cells += 1
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            LAST_RUN.failure = "dead"
            raise
        except CellTimeoutError:
            LAST_RUN.failure = "unresponsive"
            raise


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


def timed_out_cells(nb: NotebookNode) -> list[str]:
    """Labels of the cells whose execution was stopped by the per-cell time limit."""
    out = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == TIMEOUT_ENAME:
                grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                out.append(f"cell {index + 1}" + (f" ({grade_id})" if grade_id else ""))
                break
    return out
