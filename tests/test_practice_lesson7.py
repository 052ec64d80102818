"""Lesson 7's practice self-checks pass their model solutions and fail plausible mistakes."""

from __future__ import annotations

import numpy as np

from course_utils.practice import lesson7 as practice


def n(hidden):
    return 784 * hidden + hidden + hidden * 10 + 10


SOLVED_AND_WRONG = {
    "exercise_1": (6 * n(64) * 300_000, 6 * n(64) * 60_000),  # one epoch instead of five
    "exercise_2": (lambda c, h: c / (6 * n(h)), lambda c, h: c / (6 * 784 * h)),  # no biases
    "exercise_3": (14, 4),  # fp16 weights only (2 bytes a parameter)
    "exercise_4": (lambda x, l, a, al: l + a * np.power(x, -al),
                   lambda x, l, a, al: l + a * np.power(x, al)),  # the sign of the exponent
    "exercise_5": (3.5e12, 300e9),  # what GPT-3 saw
}


def test_model_solutions_pass_and_mistakes_fail():
    for name, (good, bad) in SOLVED_AND_WRONG.items():
        question = getattr(practice, name)
        assert question.run(good).ok, question.run(good).report()
        assert not question.run(bad).ok, name


def test_a_missing_answer_is_not_a_pass(capsys):
    assert practice.exercise_1.check(None) is None
    assert "not answered yet" in capsys.readouterr().out
    assert not practice.exercise_3.run(14.0).ok  # a float is not a count of devices
