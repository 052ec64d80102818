"""Learners' self-checks: strict comparison of answers, and each lesson's public checks on real answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jupytext
import numpy as np
import pytest

from course_utils.selfcheck import AnswerTypeError, CheckFailure, Question, assert_close, assert_int, to_numpy
from grading_fixtures.hostile_values import AlwaysEqual, SmugArray

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "assignments" / "source"


class FakeTorch:
    """Pretends to come from PyTorch and hands back itself instead of an array."""

    __module__ = "torch.fake"

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return AlwaysEqual()


# --- to_numpy and the assertions ------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (np.array([1.0, 2.0]), [1.0, 2.0]),
    (np.float32(1.5), 1.5),
    (3, 3),
    (True, True),
    ([[1, 2], [3, 4]], [[1, 2], [3, 4]]),
    ((0.5,), [0.5]),
])
def test_to_numpy_accepts_numbers_and_arrays(value, expected):
    got = to_numpy(value)
    assert type(got) is np.ndarray
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("value", [AlwaysEqual(), [AlwaysEqual(), 1.0], "0.5", 1 + 2j, None, {"a": 1},
                                   [[1, 2], [3]], FakeTorch(), np.array(["a"]), np.array([1 + 1j])])
def test_to_numpy_refuses_what_is_not_numbers(value):
    with pytest.raises(AnswerTypeError):
        to_numpy(value, "answer")


def test_an_object_equal_to_everything_fails_every_comparison():
    with pytest.raises(AnswerTypeError, match="AlwaysEqual"):
        assert_close(AlwaysEqual(), [0.0, 1.0], name="relu_derivative(z)")
    smug = np.full(3, 0.5).view(SmugArray)
    assert (smug == np.zeros(3)).all()  # it lies ...
    with pytest.raises(CheckFailure, match="wrong in 3 of 3"):
        assert_close(smug, np.zeros(3))  # ... but its numbers are compared, not its opinion
    np.testing.assert_array_equal(assert_close(np.full(3, 0.5).view(SmugArray), np.full(3, 0.5)), 0.5)


def test_assert_close_checks_shape_nan_and_infinity():
    with pytest.raises(CheckFailure, match=r"shape \(2,\)"):
        assert_close(np.ones((2, 1)), np.ones(2))  # no broadcasting
    with pytest.raises(CheckFailure, match="NaN"):
        assert_close([np.nan, 1.0], [0.0, 1.0])
    with pytest.raises(CheckFailure):
        assert_close([np.inf], [1e308])
    with pytest.raises(CheckFailure, match="floating-point"):
        assert_close(np.array([1, 0]), [1.0, 0.0], require_float=True)
    assert_close([np.inf, np.nan, 1.0], [np.inf, np.nan, 1.0 + 1e-9])


def test_assert_int_is_strict_about_types():
    assert assert_int(np.int64(7), 7) == 7
    for wrong in (7.0, True, "7", np.array([7])):
        with pytest.raises(AnswerTypeError):
            assert_int(wrong, 7)
    with pytest.raises(CheckFailure, match="should be 8"):
        assert_int(7, 8)


def test_framework_tensors_are_compared_as_numbers():
    import tensorflow as tf
    import torch

    assert_close(torch.tensor([1.0, 2.0], requires_grad=True) * 1, [1.0, 2.0])
    assert_close(tf.constant([[1.0], [2.0]]), [[1.0], [2.0]])
    assert_close(tf.Variable([3.0]), [3.0])
    with pytest.raises(CheckFailure):
        assert_close(torch.zeros(2), [0.0, 1.0])


# --- Question -------------------------------------------------------------------------------------------


def _question():
    def exact(answer):
        assert_close(answer(np.array([1.0, -1.0])), [1.0, 0.0], name="f([1, -1])")

    return Question("Question 9 (f)", [("two values", exact)], hint="think", expects="your function f")


def test_check_says_what_passed_and_that_hidden_tests_will_run(capsys):
    q = _question()
    result = q.check(lambda z: np.maximum(z, 0.0))
    out = capsys.readouterr().out
    assert result.ok and "all 1 public checks passed" in out and "Hidden tests will also run" in out


def test_check_reports_failures_and_unfinished_work_without_raising(capsys):
    q = _question()
    assert not q.check(lambda z: z)
    assert "FAILED: two values - f([1, -1]) is wrong" in capsys.readouterr().out

    def unfinished(z):
        raise NotImplementedError()

    assert not q.check(unfinished)
    assert "not implemented yet" in capsys.readouterr().out
    assert not q.check(lambda z: AlwaysEqual())
    assert "must be a NumPy array" in capsys.readouterr().out
    assert not q.check(lambda z: 1 / 0)
    assert "raised ZeroDivisionError" in capsys.readouterr().out
    q.check()
    assert "Pass your function f" in capsys.readouterr().out


def test_assert_passes_raises_for_graded_test_cells():
    q = _question()
    q.assert_passes(lambda z: np.maximum(z, 0.0))
    with pytest.raises(CheckFailure):
        q.assert_passes(lambda z: AlwaysEqual())


def test_hint_and_solution(capsys):
    q = _question()
    q.hint()
    q.solution()
    out = capsys.readouterr().out
    assert "Hint for Question 9 (f): think" in out and "not shown" in out
    Question("Q", [], hint="h", solution="x = 1").solution()
    assert "x = 1" in capsys.readouterr().out


# --- the lessons' public checks, on the model answers and on typical mistakes --------------------------


def _answers(name: str, blank: bool = False) -> dict:
    """Run the setup cell and the answer cells of an assignment source; return the names they define."""
    nb = jupytext.read(SOURCES / f"{name}.py")
    namespace: dict = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not (meta.get("solution") or meta.get("grade_id", "").endswith("setup")):
            continue
        source = cell.source
        if blank and meta.get("solution"):
            head = source.split("### BEGIN SOLUTION")[0]  # ends with the indentation of the marker
            source = head + "raise NotImplementedError()\n"
        try:
            exec(compile(source, f"<{name}>", "exec"), namespace)
        except NotImplementedError:  # a blank class body raises when the class is defined
            assert blank
    return namespace


LESSON_ANSWERS = {
    "01_activation_functions": ("lesson1", ["relu_derivative", "sigmoid_derivative", "softmax"]),
    "02_cross_entropy": ("lesson2", ["logsumexp", "cross_entropy_from_logits", "binary_cross_entropy_with_logits"]),
    "03_training_steps": ("lesson3", ["init_params", "forward", "training_step"]),
    "04_mnist_tensorflow": ("lesson4", ["make_pipeline", "build_model", "compile_model"]),
    "05_mnist_pytorch": ("lesson5", ["MLP", "train_step", "evaluate"]),
    "06_tensorflow_vs_pytorch": ("lesson6", ["count_parameters", "keras_kernel_to_torch", "copy_keras_to_torch"]),
    "07_scaling_laws": ("lesson7", ["training_flops", "fit_power_law", "compute_optimal"]),
    "08_tiny_gpt": ("lesson8", ["uniform_loss", "bigram_loss", "causal_attention_weights"]),
    "09_distributed_training": (
        "lesson9", ["ring_all_reduce_bytes", "zero_bytes_per_device", "data_parallel_gradient"]
    ),
}


@pytest.mark.parametrize("name", sorted(LESSON_ANSWERS))
def test_model_answers_pass_and_blank_answers_fail_the_public_checks(name):
    import importlib

    module_name, answers = LESSON_ANSWERS[name]
    module = importlib.import_module(f"course_utils.exercises.{module_name}")
    solved = _answers(name)
    for index, answer in enumerate(answers, start=1):
        question = getattr(module, f"q{index}")
        result = question.run(solved[answer])
        assert result.ok, result.report()
    assert getattr(module, "q4").checks == []  # the written answer
    blank = _answers(name, blank=True)
    for index, answer in enumerate(answers, start=1):
        if answer in blank:  # a class whose body raises is not even defined
            assert not getattr(module, f"q{index}").run(blank[answer]).ok


def test_typical_mistakes_are_caught():
    from course_utils.exercises import lesson1, lesson2, lesson5

    naive_sigmoid = lambda z: (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z)))  # noqa: E731
    assert lesson1.q2.run(naive_sigmoid).failed[0][0].endswith("(no overflow)")
    naive_softmax = lambda z: np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)  # noqa: E731
    assert not lesson1.q3.run(naive_softmax).ok
    flat_softmax = lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum()  # noqa: E731 - ignores rows
    assert not lesson1.q3.run(flat_softmax).ok
    probs_first = lambda logits, labels: float(np.mean(-np.log(  # noqa: E731
        (np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))[np.arange(len(labels)), labels])))
    assert not lesson2.q2.run(probs_first).ok

    import torch

    def mean_of_batches(model, batches):
        model.eval()
        with torch.no_grad():
            return float(np.mean([(model(x).argmax(1) == y).float().mean().item() for x, y in batches]))

    result = lesson5.q3.run(mean_of_batches)
    assert not result.ok and "accuracy" in result.failed[0][1]

    def left_in_training_mode(model, batches):
        with torch.no_grad():
            return sum(int((model(x).argmax(1) == y).sum()) for x, y in batches) / 40

    def recording_gradients(model, batches):
        model.eval()
        return sum(int((model(x).argmax(1) == y).sum()) for x, y in batches) / 40

    failed = {name: problem for name, problem in lesson5.q3.run(left_in_training_mode).failed}
    assert list(failed) == ["in evaluation mode"] and "model.eval()" in failed["in evaluation mode"]
    failed = {name: problem for name, problem in lesson5.q3.run(recording_gradients).failed}
    assert list(failed) == ["no gradients are recorded"] and "torch.no_grad()" in failed["no gradients are recorded"]


def test_answers_may_be_framework_tensors():
    import tensorflow as tf
    import torch

    from course_utils.exercises import lesson1

    assert lesson1.q1.run(lambda z: (torch.from_numpy(z) > 0).to(torch.float32)).ok
    assert lesson1.q1.run(lambda z: tf.cast(tf.constant(z) > 0, tf.float64)).ok


def test_importing_the_checks_loads_no_framework():
    code = (
        "import sys\nfrom course_utils.exercises import lesson1, lesson4, lesson5, lesson6, lesson7, lesson8\n"
        "print(sorted(m for m in ('tensorflow', 'torch', 'keras') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
