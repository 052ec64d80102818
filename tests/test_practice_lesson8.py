"""Lesson 8's practice self-checks pass the model solutions and fail plausible wrong answers."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

from course_utils.practice import lesson8 as practice

LESSON = Path(__file__).resolve().parent.parent / "notebooks" / "08_tiny_gpt.py"


def solution_code(title: str) -> str:
    """The fenced code block inside the <details> solution of the named exercise in the lesson."""
    text = LESSON.read_text(encoding="utf-8")
    section = text.split(f"### Exercise {title}")[1].split("</details>")[0]
    block = re.search(r"# ```python\n(.*?)# ```", section, re.S).group(1)
    return "\n".join(line[2:] for line in block.splitlines())


def test_exercise_1_uniform_loss():
    assert practice.exercise_1.run(math.log(65)).ok
    for wrong in (math.log2(65), 65, 1 / 65, math.log10(65)):
        assert not practice.exercise_1.run(wrong).ok


def test_exercise_2_the_solution_printed_in_the_lesson_passes():
    namespace = {"np": np}
    exec(solution_code("8.2"), namespace)
    assert practice.exercise_2.run(namespace["causal_attention_weights"]).ok

    def no_mask(s):
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def mask_after_softmax(s):  # zeros the future but the rows no longer sum to 1
        return np.tril(no_mask(s))

    def unshifted(s):
        s = np.where(np.tril(np.ones(s.shape, dtype=bool)), s, -np.inf)
        return np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)

    for wrong in (no_mask, mask_after_softmax):
        assert not practice.exercise_2.run(wrong).ok
    result = practice.exercise_2.run(unshifted)
    assert not result.ok and "no overflow" in result.failed[0][0]


def test_exercise_3_parameter_count():
    from course_utils import gpt

    right = gpt.parameter_count(gpt.GPTConfig(block_size=256, n_layer=6, n_head=6, n_embd=384))
    assert right == 10_770_816 and practice.exercise_3.run(right).ok
    untied = right + 384 * 65
    for wrong in (untied, 6 * 12 * 384**2, float(right)):
        assert not practice.exercise_3.run(wrong).ok


def test_importing_the_checks_loads_no_framework():
    code = ("import sys\nfrom course_utils.practice import lesson8\n"
            "print(sorted(m for m in ('tensorflow', 'torch', 'keras') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
