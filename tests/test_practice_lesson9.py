"""Lesson 9's practice self-checks pass the model solutions and fail plausible wrong answers."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from course_utils import distributed
from course_utils.practice import lesson9 as practice

LESSON = Path(__file__).resolve().parent.parent / "notebooks" / "09_distributed_training.py"


def solution_code(title: str) -> str:
    """The fenced code block inside the <details> solution of the named exercise."""
    text = LESSON.read_text(encoding="utf-8")
    section = text.split(f"### Exercise {title}")[1].split("</details>")[0]
    block = re.search(r"# ```python\n(.*?)# ```", section, re.S).group(1)
    return "\n".join(line[2:] for line in block.splitlines())


def test_exercise_1_ring_bytes():
    assert practice.exercise_1.run(distributed.ring_all_reduce_bytes(400e6, 8)).ok
    for wrong in (800e6, 350e6, 2 * 400e6, 400e6 * 7 / 8):
        assert not practice.exercise_1.run(wrong).ok


def test_exercise_2_zero_stage_2():
    right = distributed.memory_per_device(7.5e9, 64, "zero2").total / 1e9
    assert practice.exercise_2.run(right).ok
    for scheme in ("dp", "zero1", "zero3"):
        wrong = distributed.memory_per_device(7.5e9, 64, scheme).total / 1e9
        assert not practice.exercise_2.run(wrong).ok
    assert not practice.exercise_2.run(right * 1e9).ok  # bytes, not GB


def test_exercise_3_the_solution_printed_in_the_lesson_passes():
    namespace = {"np": np}
    exec(solution_code("9.3"), namespace)
    assert practice.exercise_3.run(namespace["average_gradients"]).ok

    def summed(grads):
        return {k: np.sum([g[k] for g in grads], axis=0) for k in grads[0]}

    def first_only(grads):
        return dict(grads[0])

    for wrong in (summed, first_only):
        assert not practice.exercise_3.run(wrong).ok


def test_importing_the_checks_loads_no_framework():
    code = ("import sys\nfrom course_utils.practice import lesson9\nimport course_utils.distributed\n"
            "print(sorted(m for m in ('tensorflow', 'torch', 'keras') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
