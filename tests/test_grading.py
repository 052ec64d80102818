"""Instructor grading with real nbgrader, real sandboxed kernels and real gradebooks (SQLite and PostgreSQL).

The module generates all six assignments once, then grades:

* run A: the solution and the blank student version of every assignment (full
  marks and zero), two workers;
* run B: lesson 1's honest, broken and hostile submissions
  (``grading_fixtures/submissions.py`` says what each must get), two workers,
  a short per-cell time limit; then the same submissions again with one worker,
  which must give the same grades;
* a control run without the sandbox, which shows that the snooping submission
  really finds the hidden tests when nothing stops it;
* a run against a PostgreSQL server that the test starts, through the command line.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import nbformat
import pytest

from grading_fixtures import postgres
from grading_fixtures.submissions import (
    ATTACKS, ATTACKS_L7, BUILDERS, CASES, FILE, NAME, NAME_L7, attack, snoop, snoop_result, write_submission,
)

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow

#: Every assignment source there is (at least lessons 1-9), each with its judges file.
LESSONS = sorted(p.stem for p in (ROOT / "assignments" / "source").glob("*.py"))
HIDDEN_FRAGMENTS = ("BEGIN HIDDEN TESTS", "judges/01_activation_functions", "_course_judged_cell")
SECRET = "test-class-secret-" + "5f" * 16
OTHER_SECRET = "another-class-secret-" + "a7" * 16


@pytest.fixture(scope="module", autouse=True)
def _class_secret():
    """The hidden tests draw their cases from the class secret, set here as an instructor would."""
    from course_grader.secret import SECRET_VARIABLE

    old = os.environ.get(SECRET_VARIABLE)
    os.environ[SECRET_VARIABLE] = SECRET
    yield
    if old is None:
        os.environ.pop(SECRET_VARIABLE, None)
    else:
        os.environ[SECRET_VARIABLE] = old


@pytest.fixture(scope="module", autouse=True)
def _venv_on_path():
    """nbgrader calls `alembic` from PATH; the course's commands put the environment's bin/ there too."""
    old = os.environ.get("PATH", "")
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + old
    yield
    os.environ["PATH"] = old


@pytest.fixture(scope="module")
def sandbox_works():
    """Grading runs students' code only in an isolated kernel. As root (CI) that must work here; an
    ordinary user whose system forbids user namespaces gets these tests skipped, with the reason."""
    import shutil

    from course_grader.sandbox import SandboxUnavailable, cleanup, prepare, workspace

    ws = workspace()
    try:
        _, plan = prepare("auto", secrets=[ws], workdir=ws)
        cleanup(plan)
    except SandboxUnavailable as exc:
        if os.geteuid() == 0:
            raise
        pytest.skip(f"grading kernels cannot be isolated on this machine: {exc}")
    finally:
        shutil.rmtree(ws, ignore_errors=True)


@pytest.fixture(scope="module")
def settings(tmp_path_factory, _venv_on_path):
    from course_grader import course
    from course_grader.settings import load

    base = load(ROOT / "assignments" / "grading.toml")
    chosen = base.with_options(course_dir=tmp_path_factory.mktemp("course") / "course", workers=2, timeout=90,
                               db_url="")
    course.generate(chosen, log=lambda *_: None)
    return chosen


def _grades(path: Path) -> dict[tuple[str, str], dict]:
    with path.open(newline="", encoding="utf-8") as fh:
        return {(row["student"], row["assignment"]): row for row in csv.DictReader(fh)}


# --- sources and student versions -------------------------------------------------------------


def test_sources_keep_nbgrader_metadata_when_saved_from_jupyterlab(tmp_path):
    """Open and save each source through Jupytext's contents manager (what JupyterLab uses):
    nothing changes, nbgrader metadata included, and no paired .ipynb appears."""
    import asyncio
    import shutil

    import jupytext
    from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
    from jupytext.async_contentsmanager import build_async_jupytext_contents_manager_class

    shutil.copytree(ROOT / "assignments", tmp_path / "assignments")
    shutil.copy(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")  # the repository's pairing must not apply
    manager = build_async_jupytext_contents_manager_class(AsyncLargeFileManager)(root_dir=str(tmp_path))
    sources = sorted((tmp_path / "assignments" / "source").glob("*.py"))
    assert [p.stem for p in sources] == LESSONS and len(LESSONS) >= 8

    async def open_and_save(path: str) -> None:
        model = await manager.get(path, type="notebook")
        await manager.save(model, path)

    for path in sources:
        before = path.read_text(encoding="utf-8")
        asyncio.run(open_and_save(str(path.relative_to(tmp_path))))
        assert path.read_text(encoding="utf-8") == before, f"{path.name} changes when saved from JupyterLab"
        nb = jupytext.reads(before, fmt="py:percent")
        assert sum("nbgrader" in c.metadata for c in nb.cells) >= 15
    folder = tmp_path / "assignments" / "source"
    assert sorted(p.suffix for p in folder.iterdir() if p.is_file()) == [".py"] * len(LESSONS)
    assert {p.suffix for p in (folder / "judges").iterdir()} <= {".py"}  # the grader's tests, no notebooks


def test_student_versions_hold_no_solutions_hidden_tests_or_jupytext(settings):
    from course_grader.course import check_student_version

    release = settings.course_dir / "release"
    assert sorted(p.name for p in release.iterdir()) == LESSONS
    for name in LESSONS:
        folder = release / name
        assert sorted(p.name for p in folder.iterdir()) == [f"{name}.ipynb"]  # no paired .py
        check_student_version(folder, name)
        text = (folder / f"{name}.ipynb").read_text(encoding="utf-8")
        for fragment in ("BEGIN SOLUTION", "### BEGIN HIDDEN", "_hidden_l", "jupytext", "Model answer"):
            assert fragment not in text, f"{name}: the student version contains {fragment!r}"
        assert "YOUR CODE HERE" in text and "YOUR ANSWER HERE" in text
        source = (settings.course_dir / "source" / name / f"{name}.ipynb").read_text(encoding="utf-8")
        assert "BEGIN HIDDEN TESTS" in source  # the hidden tests exist, and only on the instructor's side


def test_every_assignment_has_three_code_questions_and_a_written_one(settings):
    from course_grader.course import load_spec

    for name in LESSONS:
        spec = load_spec(settings, name)
        code_answers = [g for g in spec.answer_ids if not spec.cells[g].get("grade")]
        written = [g for g in spec.answer_ids if spec.cells[g].get("grade")]
        hidden = [g for g in spec.test_ids if g.endswith("hidden")]
        assert len(code_answers) >= 3 and len(written) >= 1 and len(hidden) >= 3, name
        assert all(spec.cells[g]["locked"] for g in spec.test_ids), name


# --- run A: solutions and blanks of every assignment -----------------------------------------


@pytest.fixture(scope="module")
def run_a(settings, tmp_path_factory, sandbox_works):
    from course_grader import course
    from course_grader.pipeline import grade

    subs = tmp_path_factory.mktemp("submissions-a")
    for name in LESSONS:
        full = course.solution_version(settings, name)
        empty = nbformat.read(settings.course_dir / "release" / name / f"{name}.ipynb", as_version=4)
        write_submission(subs / "model-student" / name, {f"{name}.ipynb": nbformat.writes(full).encode()})
        write_submission(subs / "blank-student" / name, {f"{name}.ipynb": nbformat.writes(empty).encode()})
    out = tmp_path_factory.mktemp("out-a")
    return grade(settings, subs, out, log=lambda *_: None)


def test_solutions_get_full_marks_and_blank_versions_zero(run_a):
    grades = _grades(run_a.grades_csv)
    assert run_a.workers == 2
    for name in LESSONS:
        full, empty = grades[("model-student", name)], grades[("blank-student", name)]
        assert full["status"] == "graded" and empty["status"] == "graded"
        assert full["autograded_score"] == full["autograded_max"] == "9", (name, full)
        assert full["written_to_grade"] == "1" and full["written_score"] == ""  # a person grades the answer
        assert empty["score"] == "0" and empty["autograded_score"] == "0", (name, empty)
        assert empty["written_to_grade"] == "0"
        assert full["max_score"] == empty["max_score"] == "11"


def test_written_answers_graded_by_hand_reach_the_export_and_the_feedback(run_a, settings, tmp_path):
    """A grader enters a score for the written answer (as nbgrader's formgrader does); export and feedback follow."""
    from nbgrader.api import Gradebook

    from course_grader.feedback import render
    from course_grader.gradebook import export

    with Gradebook(settings.gradebook_url) as gb:
        grade = gb.find_grade("L2-q4-written", "02_cross_entropy", "02_cross_entropy", "model-student")
        grade.manual_score, grade.needs_manual_grade = 1.5, False
        gb.db.commit()
    grades_csv, _ = export(settings.gradebook_url, tmp_path)
    row = _grades(grades_csv)[("model-student", "02_cross_entropy")]
    assert (row["score"], row["written_score"], row["written_to_grade"]) == ("10.5", "1.5", "0")
    pages = render(settings, tmp_path, students={"model-student"})
    page = next(p for p in pages if p.name == "02_cross_entropy.html").read_text(encoding="utf-8")
    assert "Score: 10.5 / 11.0" in page and "BEGIN HIDDEN" not in page and "_hidden_l" not in page


# --- run B: hostile and broken submissions -------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(settings, tmp_path_factory):
    """Lesson 1's cases, plus another lesson's notebook, a wrong folder and stray files."""
    from course_grader import course

    sol = course.solution_version(settings, NAME)
    empty = nbformat.read(settings.course_dir / "release" / NAME / FILE, as_version=4)
    subs = tmp_path_factory.mktemp("submissions-b")
    for case, build in BUILDERS.items():
        write_submission(subs / case.replace("_", "-") / NAME, build(sol, empty))
    other = course.solution_version(settings, "02_cross_entropy")
    write_submission(subs / "wrong-notebook" / NAME, {FILE: nbformat.writes(other).encode()})
    write_submission(subs / "wrong-folder" / "lesson1", {FILE: nbformat.writes(sol).encode()})
    (subs / "stray-file").mkdir()
    (subs / "stray-file" / FILE).write_bytes(nbformat.writes(sol).encode())
    (subs / "with-timestamp" / NAME).mkdir(parents=True)
    (subs / "with-timestamp" / NAME / FILE).write_bytes(nbformat.writes(sol).encode())
    (subs / "with-timestamp" / NAME / "timestamp.txt").write_text("2030-01-01 12:00:00 UTC")
    return subs


@pytest.fixture(scope="module")
def run_b(settings, hostile, tmp_path_factory, sandbox_works):
    from course_grader.intake import tree_digests
    from course_grader.pipeline import grade

    before = tree_digests(hostile)
    short = replace(settings, timeout=10, workers=2)
    run = grade(short, hostile, tmp_path_factory.mktemp("out-b"), assignments=None, log=lambda *_: None)
    assert tree_digests(hostile) == before
    return run


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_and_broken_submissions(run_b, case):
    expected = CASES[case]
    row = _grades(run_b.grades_csv)[(case.replace("_", "-"), expected.assignment)]
    assert row["status"] == expected.status, row
    if expected.status == "graded":
        assert float(row["autograded_score"]) == expected.autograded, row
        assert row["autograded_max"] == "9" and row["max_score"] == "11", row
        assert row["reason"] == ""
    else:
        assert row["score"] == "" and row["autograded_score"] == "", "an ungradable submission must not score 0"
        assert expected.reason in row["reason"], row
        assert (run_b.report.parent / "feedback" / row["student"] / NAME / "NOT_GRADED.txt").is_file()
    for fragment in expected.notes:
        assert fragment in row["notes"], (fragment, row["notes"])


def test_wrong_notebook_folder_and_stray_files_are_reported(run_b):
    grades = _grades(run_b.grades_csv)
    wrong = grades[("wrong-notebook", NAME)]
    assert wrong["status"] == "ungradable" and "notebook of assignment 02_cross_entropy" in wrong["reason"]
    folder = grades[("wrong-folder", "lesson1")]
    assert folder["status"] == "ungradable" and "unknown assignment 'lesson1'" in folder["reason"]
    stray = grades[("stray-file", "(none)")]
    assert stray["status"] == "ungradable" and "outside an assignment folder" in stray["reason"]
    late = grades[("with-timestamp", NAME)]
    assert late["status"] == "graded" and late["autograded_score"] == "9"
    report = run_b.report.read_text(encoding="utf-8")
    for name in ("invalid-json", "os-exit", "unresponsive", "wrong-notebook", "missing-notebook"):
        assert f"{name} / " in report and "ungradable" in report


def test_students_code_cannot_find_hidden_tests_or_gradebook(run_b, settings):
    result = snoop_result(settings.course_dir / "autograded" / "snoop" / NAME / FILE)
    assert result["found"] == [], result["found"]
    assert result["uid"] != 0  # the kernel does not run as the grader
    assert result["checked"] > 100  # it did look around


def test_feedback_does_not_reveal_hidden_tests(run_b):
    feedback = sorted((run_b.report.parent / "feedback").rglob("*.html"))
    assert len(feedback) >= 10
    for path in feedback:
        text = path.read_text(encoding="utf-8")
        for fragment in HIDDEN_FRAGMENTS:
            assert fragment not in text, f"{path} reveals {fragment!r}"
    leak = (run_b.report.parent / "feedback" / "leak-through-feedback" / NAME / f"{NAME}.html").read_text()
    assert "[output withheld: it quoted a hidden test]" in leak
    model = (run_b.report.parent / "feedback" / "solution" / NAME / f"{NAME}.html").read_text()
    assert model.count("Hidden tests: passed.") == 3


def test_grading_again_with_one_worker_gives_the_same_grades(run_b, settings, hostile, tmp_path):
    """Also without the kernel template: every kernel a new interpreter (run B forks them)."""
    from course_grader.pipeline import grade

    assert settings.fork_kernels
    again = grade(replace(settings, timeout=10, workers=1, fork_kernels=False), hostile, tmp_path / "out",
                  log=lambda *_: None)
    assert again.workers == 1 and run_b.workers == 2
    assert again.grades_csv.read_text() == run_b.grades_csv.read_text()
    assert again.cells_csv.read_text() == run_b.cells_csv.read_text()


def test_export_command_writes_the_same_csv(run_b, settings, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "course_grader", "export", "--course-dir", str(settings.course_dir),
         "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    exported = _grades(tmp_path / "grades.csv")
    assert exported[("solution", NAME)]["autograded_score"] == "9"
    assert exported[("os-exit", NAME)]["status"] == "ungradable"


def test_without_the_sandbox_the_snoop_does_find_the_hidden_tests(settings, tmp_path):
    """A control: the snooping submission is able to find what the sandbox hides."""
    from course_grader import course
    from course_grader.pipeline import grade

    sol = course.solution_version(settings, NAME)
    empty = nbformat.read(settings.course_dir / "release" / NAME / FILE, as_version=4)
    write_submission(tmp_path / "subs" / "snoop-control" / NAME, snoop(sol, empty))
    grade(replace(settings, sandbox="none", workers=1), tmp_path / "subs", tmp_path / "out", log=lambda *_: None)
    result = snoop_result(settings.course_dir / "autograded" / "snoop-control" / NAME / FILE)
    kinds = {kind for kind, _ in result["found"]}
    assert "hidden test" in kinds or "readable folder" in kinds, result


# --- judged outside the kernel --------------------------------------------------------------------


@pytest.fixture(scope="module")
def attack_runs(settings, tmp_path_factory, sandbox_works):
    """Every attack graded twice: judged by the grader, and judged inside the kernel (the old design)."""
    from course_grader import course
    from course_grader.pipeline import grade

    sol = course.solution_version(settings, NAME)
    empty = nbformat.read(settings.course_dir / "release" / NAME / FILE, as_version=4)
    subs = tmp_path_factory.mktemp("submissions-attacks")
    for name in ATTACKS:
        write_submission(subs / name.replace("_", "-") / NAME, attack(name)(sol, empty))
    sol7 = course.solution_version(settings, NAME_L7)
    for name in ATTACKS_L7:
        write_submission(subs / name.replace("_", "-") / NAME_L7, attack(name, NAME_L7)(sol7, None))
    runs = {}
    for mode in ("grader", "kernel"):
        chosen = replace(settings, judge=mode, workers=2, timeout=30,
                         course_dir=_course_copy(settings, tmp_path_factory.mktemp(f"course-{mode}")))
        runs[mode] = _grades(grade(chosen, subs, tmp_path_factory.mktemp(f"out-{mode}"), log=lambda *_: None)
                             .grades_csv)
    return runs


def _course_copy(settings, folder: Path) -> Path:
    import shutil

    target = folder / "course"
    shutil.copytree(settings.course_dir / "source", target / "source")
    shutil.copytree(settings.course_dir / "release", target / "release")
    shutil.copy2(settings.course_dir / "gradebook.db", target / "gradebook.db")
    return target


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_attacks_score_only_what_they_solved(attack_runs, name):
    """Judged by the grader, an attack scores only the questions it really solved; judged in the
    kernel, the same notebook takes points it never earned (so the attack is real)."""
    judged_here, judged_in_kernel = ATTACKS[name]
    row = attack_runs["grader"][(name.replace("_", "-"), NAME)]
    assert row["status"] == "graded", row
    assert float(row["autograded_score"]) == judged_here, row
    old = attack_runs["kernel"][(name.replace("_", "-"), NAME)]
    assert float(old["autograded_score"]) == judged_in_kernel, old
    assert judged_in_kernel > judged_here


@pytest.mark.parametrize("name", sorted(ATTACKS_L7))
def test_attacks_on_lesson_7_score_only_what_they_solved(attack_runs, name):
    """The same attacks on lesson 7's assignment, judged outside the kernel since its judges file."""
    judged_here, judged_in_kernel = ATTACKS_L7[name]
    row = attack_runs["grader"][(name.replace("_", "-"), NAME_L7)]
    assert row["status"] == "graded", row
    assert float(row["autograded_score"]) == judged_here, row
    old = attack_runs["kernel"][(name.replace("_", "-"), NAME_L7)]
    assert float(old["autograded_score"]) == judged_in_kernel, old
    assert judged_in_kernel > judged_here


def test_cases_depend_on_the_secret_and_the_student():
    from course_grader import judge

    tests = judge.load_tests(ROOT / "assignments" / "source", NAME)
    hidden = [g for g, test in tests.items() if test.hidden]
    assert hidden == ["L1-q1-hidden", "L1-q2-hidden", "L1-q3-hidden"]
    for grade_id in hidden:
        draw = lambda secret, student: judge.encode(  # noqa: E731
            judge.draw_cases(tests[grade_id], secret.encode(), NAME, grade_id, student))
        assert draw(SECRET, "ann") == draw(SECRET, "ann")  # deterministic
        assert draw(SECRET, "ann") != draw(OTHER_SECRET, "ann")
        assert draw(SECRET, "ann") != draw(SECRET, "bob")


def test_every_test_cell_of_every_assignment_is_judged_by_the_grader(tmp_path):
    """`generate` warns of no test cell judged in the kernel, for every assignment source; a judges
    file that lacks a test makes it warn (so the check can fail)."""
    import shutil

    from course_grader.course import check_judges, read_source, source_files

    source = ROOT / "assignments" / "source"
    names = [p.stem for p in source_files(source)]
    assert names == LESSONS
    for path in source_files(source):
        assert check_judges(source, path.stem, read_source(path)) == [], path.stem
    shutil.copytree(source, tmp_path / "source", ignore=shutil.ignore_patterns("__pycache__"))
    judges = tmp_path / "source" / "judges" / "05_mnist_pytorch.py"
    judges.write_text(judges.read_text() + '\ndel TESTS["L5-q2-hidden"]\n')
    warnings = check_judges(tmp_path / "source", "05_mnist_pytorch",
                            read_source(tmp_path / "source" / "05_mnist_pytorch.py"))
    assert len(warnings) == 1 and "L5-q2-hidden" in warnings[0] and "can be forged" in warnings[0], warnings


def _model_answers(name: str) -> dict:
    """The namespace of the source's setup cell and model answers (frameworks imported as there)."""
    import numpy as np

    namespace = {"np": np}
    for cell in (ROOT / "assignments" / "source" / f"{name}.py").read_text().split("# %%"):
        if '-setup"' in cell.split("\n", 1)[0] or ('"solution": true' in cell and "def " in cell):
            exec(cell.split("\n", 1)[1], namespace)  # noqa: S102 - the course's own model answers
    return namespace


@pytest.mark.parametrize("name", LESSONS)
def test_judges_accept_the_model_answers_and_refuse_wrong_ones(name):
    """Every judged cell passes the source's model answer and fails zeros, decided in this process
    (framework questions through their probes, run here as the kernel would run them)."""
    import numpy as np

    from course_grader import judge

    tests = judge.load_tests(ROOT / "assignments" / "source", name)
    namespace = _model_answers(name)
    assert len(tests) == 6

    def handed(values):
        return [{"output_type": "display_data", "data": {judge.MIME: {"results": values}}}]

    for grade_id, test in tests.items():
        cases = judge.draw_cases(test, SECRET.encode(), name, grade_id, "ann")
        expected = [test.reference(*c) if test.reference else None for c in cases]
        good = [{"value": judge.encode(judge.run_probe(test, namespace[test.answer], c))} for c in cases]
        verdict = judge.judge_outputs(handed(good), test, cases, expected)
        assert verdict.passed, (grade_id, verdict.problems)
        zeros = [{"value": judge.encode(np.zeros(2))} for _ in cases]
        assert not judge.judge_outputs(handed(zeros), test, cases, expected).passed, grade_id
        assert not judge.judge_outputs([], test, cases, expected).passed, grade_id  # nothing handed back


WRONG_FRAMEWORK_ANSWERS = r'''
import keras
import tensorflow as tf
import torch
from torch import nn


def sgd(model):
    model.compile(optimizer=keras.optimizers.SGD(1e-3), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


class Adam(keras.optimizers.SGD):  # a name that says Adam, steps that do not
    pass


def named_adam(model):
    model.compile(optimizer=Adam(1e-3), metrics=["accuracy"],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def on_probabilities(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def not_shuffled(images, labels, batch_size=32, seed=0):
    dataset = tf.data.Dataset.from_tensor_slices((images, labels)).batch(batch_size)
    return dataset.map(lambda x, y: (tf.cast(x, tf.float32) / 255.0, tf.cast(y, tf.int64)))


def softmax_model():
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(128, activation="relu"), keras.layers.Dense(10, activation="softmax")])


class NoReLU(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden, self.output = nn.Linear(784, 128), nn.Linear(128, 10)

    def forward(self, x):
        return self.output(self.hidden(x.flatten(1)))


def no_zero_grad(model, optimizer, images, labels):
    loss = nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss.item()


def in_training_mode(model, batches):
    with torch.no_grad():
        return sum(int((model(x).argmax(1) == y).sum()) for x, y in batches) / sum(len(y) for _, y in batches)


def mean_of_batches(model, batches):
    model.eval()
    with torch.no_grad():
        means = [float((model(x).argmax(1) == y).double().mean()) for x, y in batches]
    return sum(means) / len(means)


def copies_nothing(keras_model, torch_model):
    pass


# Answers that forge what the probes of an earlier version took from the kernel's word.
def activation_named_linear(x):
    return keras.activations.softmax(x)


activation_named_linear.__name__ = "linear"


def softmax_named_linear():
    return keras.Sequential([keras.Input((28, 28)), keras.layers.Flatten(),
                             keras.layers.Dense(128, activation="relu"),
                             keras.layers.Dense(10, activation=activation_named_linear)])


def accuracy(y_true, y_pred):  # a metric that only carries the name
    return keras.ops.mean(y_pred)


def metric_named_accuracy(model):
    model.compile(optimizer=keras.optimizers.Adam(1e-3), metrics=[accuracy],
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def loss_as_tensor(model, optimizer, images, labels):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(images), labels)
    loss.backward()
    optimizer.step()
    return loss


def grad_flag_patched(model, batches):
    real = torch.is_grad_enabled
    torch.is_grad_enabled = lambda: False  # what a hook reading the grad mode would see
    try:
        model.eval()
        return sum(int((model(x).argmax(1) == y).sum()) for x, y in batches) / sum(len(y) for _, y in batches)
    finally:
        torch.is_grad_enabled = real


def eval_flag_only(model, batches):
    model.training = False  # the top module says eval, its layers still train
    with torch.no_grad():
        return sum(int((model(x).argmax(1) == y).sum()) for x, y in batches) / sum(len(y) for _, y in batches)


def kernels_not_transposed(kernel, bias):
    return np.asarray(kernel), np.asarray(bias)
'''


@pytest.mark.parametrize("name, grade_id, wrong, problem", [
    ("04_mnist_tensorflow", "L4-q1-hidden", "not_shuffled", "not shuffled"),
    ("04_mnist_tensorflow", "L4-q2-hidden", "softmax_model", "no activation"),
    ("04_mnist_tensorflow", "L4-q3-public", "sgd", "should be Adam"),
    ("04_mnist_tensorflow", "L4-q3-hidden", "named_adam", "as Adam with learning rate 0.001 does"),
    ("04_mnist_tensorflow", "L4-q3-hidden", "on_probabilities", "from_logits=True"),
    ("05_mnist_pytorch", "L5-q1-hidden", "NoReLU", "the logits are not"),
    ("05_mnist_pytorch", "L5-q2-hidden", "no_zero_grad", "['losses'] is wrong"),
    ("05_mnist_pytorch", "L5-q3-public", "in_training_mode", "training mode"),
    ("05_mnist_pytorch", "L5-q3-hidden", "mean_of_batches", "over all"),
    ("06_tensorflow_vs_pytorch", "L6-q2-hidden", "kernels_not_transposed", "keras_kernel_to_torch"),
    ("06_tensorflow_vs_pytorch", "L6-q3-hidden", "copies_nothing", "['outputs'] is wrong"),
    ("04_mnist_tensorflow", "L4-q2-public", "softmax_named_linear", "the logits are not"),
    ("04_mnist_tensorflow", "L4-q3-hidden", "metric_named_accuracy", "not the accuracy of the logits"),
    ("05_mnist_pytorch", "L5-q2-public", "loss_as_tensor", "as a Python float"),
    ("05_mnist_pytorch", "L5-q3-public", "grad_flag_patched", "recording gradients"),
    ("05_mnist_pytorch", "L5-q3-hidden", "eval_flag_only", "training mode"),
])
def test_framework_judges_refuse_plausible_wrong_answers(name, grade_id, wrong, problem):
    """The probes hand back data that the grader's NumPy checks refuse for a plausible mistake,
    including answers that only carry the right name (an optimiser, an activation, a metric) or
    make the kernel report eval mode and no gradients without using them: no verdict rests on
    the kernel's word."""
    import numpy as np

    from course_grader import judge

    namespace = {"np": np}
    exec(WRONG_FRAMEWORK_ANSWERS, namespace)  # noqa: S102 - the wrong answers above
    test = judge.load_tests(ROOT / "assignments" / "source", name)[grade_id]
    cases = judge.draw_cases(test, SECRET.encode(), name, grade_id, "ann")
    expected = [test.reference(*c) if test.reference else None for c in cases]
    results = []
    for case in cases:
        try:
            results.append({"value": judge.encode(judge.run_probe(test, namespace[wrong], case))})
        except Exception as exc:  # noqa: BLE001 - as the kernel hands back an answer's error
            results.append({"error": [type(exc).__name__, str(exc)]})
    verdict = judge.judge_outputs([{"output_type": "display_data", "data": {judge.MIME: {"results": results}}}],
                                  test, cases, expected)
    assert not verdict.passed
    assert any(problem in p for p in verdict.problems), verdict.problems


def _silenced(formula):
    """An answer that switches the in-kernel numerics check off for itself."""
    import numpy as np

    def answer(*args):
        with np.errstate(all="ignore"):
            return formula(*args)
    return answer


@pytest.mark.parametrize("grade_id", ["L2-q1-public", "L2-q1-hidden", "L2-q2-public", "L2-q2-hidden",
                                      "L2-q3-public", "L2-q3-hidden"])
def test_unstable_formulas_fail_lesson_2_by_value_alone(grade_id):
    """strict_numerics runs in the kernel, where an answer can switch it off; the unstable formulas
    still fail every test of lesson 2 on their values, judged here with the switch off."""
    import dataclasses

    import numpy as np

    from course_grader import judge

    def softmax(z):
        return np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)

    naive = {
        "logsumexp": lambda z: np.log(np.exp(np.asarray(z, dtype=float)).sum(axis=-1)),
        "cross_entropy_from_logits": lambda z, y: float(-np.log(softmax(np.asarray(z, dtype=float))
                                                                [np.arange(len(y)), y]).mean()),
        "binary_cross_entropy_with_logits": lambda x, t: float(np.mean(
            -(t * np.log(1 / (1 + np.exp(-x))) + (1 - t) * np.log(1 - 1 / (1 + np.exp(-x)))))),
    }
    name = "02_cross_entropy"
    test = judge.load_tests(ROOT / "assignments" / "source", name)[grade_id]
    assert test.strict_numerics
    test = dataclasses.replace(test, strict_numerics=False)
    cases = judge.draw_cases(test, SECRET.encode(), name, grade_id, "ann")
    results = [{"value": judge.encode(_silenced(naive[test.answer])(*case))} for case in cases]
    verdict = judge.judge_outputs([{"output_type": "display_data", "data": {judge.MIME: {"results": results}}}],
                                  test, cases, [test.reference(*c) for c in cases])
    assert not verdict.passed, grade_id


def _hard_coded(settings, secret: str, student: str):
    """A submission whose answers are a table of the expected values of one secret's cases."""
    import numpy as np

    from course_grader import course, judge

    tests = judge.load_tests(settings.source, NAME)
    nb = course.solution_version(settings, NAME)
    for question, answer in (("q1", "relu_derivative"), ("q2", "sigmoid_derivative"), ("q3", "softmax")):
        table = {}
        for grade_id in (f"L1-{question}-public", f"L1-{question}-hidden"):
            test = tests[grade_id]
            for case in judge.draw_cases(test, secret.encode(), NAME, grade_id, student):
                z = np.asarray(case[0])
                table[(z.dtype.str, z.shape, z.tobytes().hex())] = np.asarray(test.reference(*case)).tolist()
        source = (f"_TABLE_{question} = {table!r}\n\n"
                  f"def {answer}(z):\n    z = np.asarray(z)\n"
                  f"    return np.array(_TABLE_{question}.get((z.dtype.str, z.shape, z.tobytes().hex()), "
                  f"np.zeros(z.shape).tolist()))\n")
        for cell in nb.cells:
            if cell.metadata.get("nbgrader", {}).get("grade_id") == f"L1-{question}-answer":
                cell.source = source
    return nb


def test_answers_hard_coded_for_one_secret_fail_under_another(settings, tmp_path, sandbox_works):
    from course_grader.pipeline import grade
    from course_grader.secret import SECRET_VARIABLE

    nb = _hard_coded(settings, SECRET, "hard-coded")
    write_submission(tmp_path / "subs" / "hard-coded" / NAME, {FILE: nbformat.writes(nb).encode()})
    scores = {}
    for secret in (SECRET, OTHER_SECRET):
        os.environ[SECRET_VARIABLE] = secret
        try:
            chosen = replace(settings, workers=1, course_dir=_course_copy(settings, tmp_path / secret[:5]))
            run = grade(chosen, tmp_path / "subs", tmp_path / f"out-{secret[:5]}", log=lambda *_: None)
        finally:
            os.environ[SECRET_VARIABLE] = SECRET
        scores[secret] = run.row("hard-coded", NAME)["autograded_score"]
    assert scores == {SECRET: "9", OTHER_SECRET: "3"}  # the public cases are fixed, the hidden ones are not


def test_grading_refuses_to_start_without_a_secret(settings, tmp_path):
    from course_grader.pipeline import grade
    from course_grader.secret import SECRET_VARIABLE, SecretError

    (tmp_path / "subs").mkdir()
    os.environ.pop(SECRET_VARIABLE)
    try:
        with pytest.raises(SecretError, match="no class secret"):
            grade(settings, tmp_path / "subs", tmp_path / "out", log=lambda *_: None)
        repo = tmp_path / "repo"
        (repo / ".git").mkdir(parents=True)
        (repo / "source").mkdir()
        (repo / "secret.txt").write_text(OTHER_SECRET)
        (repo / "secret.txt").chmod(0o600)
        with pytest.raises(SecretError, match="inside the git repository"):
            replace(settings, source=repo / "source", secret_file=str(repo / "secret.txt")).secret()
    finally:
        os.environ[SECRET_VARIABLE] = SECRET
    outside = tmp_path / "class-secret"
    outside.write_text(OTHER_SECRET + "\n")
    outside.chmod(0o644)
    os.environ.pop(SECRET_VARIABLE)
    try:
        with pytest.raises(SecretError, match="chmod 600"):
            replace(settings, secret_file=str(outside)).secret()
        outside.chmod(0o600)
        assert replace(settings, secret_file=str(outside)).secret() == OTHER_SECRET.encode()
    finally:
        os.environ[SECRET_VARIABLE] = SECRET


# --- limits and hygiene ------------------------------------------------------------------------------

TWIN_NFC, TWIN_NFD = "jos\u00e9", "jose\u0301"
CHINESE_ID = "\u738b\u82b3-2025"  # a Chinese name and a year


@pytest.fixture(scope="module")
def limits_run(settings, tmp_path_factory, sandbox_works):
    from course_grader import course
    from course_grader.pipeline import grade
    from grading_fixtures import submissions as fx

    sol = course.solution_version(settings, NAME)
    empty = nbformat.read(settings.course_dir / "release" / NAME / FILE, as_version=4)
    subs = tmp_path_factory.mktemp("submissions-limits")
    for name in ("memory_hog", "process_hog", "output_flood", "nbformat3"):
        write_submission(subs / name.replace("_", "-") / NAME, getattr(fx, name)(sol, empty))
    solution = {FILE: nbformat.writes(sol).encode()}
    for student in (CHINESE_ID, TWIN_NFC, TWIN_NFD, "bell\u0007"):
        write_submission(subs / student / NAME, solution)
    (subs / "symlink-notebook" / NAME).mkdir(parents=True)
    (subs / "symlink-notebook" / NAME / FILE).symlink_to(settings.course_dir / "source" / NAME / FILE)
    write_submission(subs / "symlink-inside" / NAME, solution)
    (subs / "symlink-inside" / NAME / "data").symlink_to("/etc")
    (subs / "oversized" / NAME).mkdir(parents=True)
    with (subs / "oversized" / NAME / FILE).open("wb") as fh:
        fh.truncate(21 * 2**20)  # 21 MB of zero bytes: refused before anything reads it
    chosen = replace(settings, max_processes=64, timeout=180,
                     course_dir=_course_copy(settings, tmp_path_factory.mktemp("course-limits")))
    out = tmp_path_factory.mktemp("out-limits")
    run = grade(chosen, subs, out, log=lambda *_: None)
    return run, chosen, out


def test_memory_and_process_limits_stop_the_cell_and_score_the_rest(limits_run):
    run, _, _ = limits_run
    grades = _grades(run.grades_csv)
    memory = grades[("memory-hog", NAME)]
    assert memory["status"] == "graded" and memory["autograded_score"] == "6", memory
    assert "stopped: memory limit of 4 GB exceeded in cell" in memory["notes"], memory
    processes = grades[("process-hog", NAME)]
    assert processes["status"] == "graded" and processes["autograded_score"] == "6", processes
    assert "stopped: process limit of 64 exceeded in cell" in processes["notes"], processes


@pytest.mark.parametrize("ignore_signal", [False, True], ids=["spins", "spins-ignoring-SIGXCPU"])
def test_cpu_time_limit_stops_the_cell_and_scores_what_ran_before(settings, tmp_path, sandbox_works,
                                                                    ignore_signal):
    """A spinning answer cell hits the CPU-time limit: the kernel is ended there, questions 1 and 2
    (before it) keep their points, question 3 and every cell after it score nothing, and the note
    names the limit and the cell. Also when the cell ignores the soft limit's SIGXCPU and only the
    hard limit's SIGKILL (5 s later) ends it."""
    from course_grader import course
    from course_grader.pipeline import grade
    from grading_fixtures import submissions as fx

    sol = course.solution_version(settings, NAME)
    write_submission(tmp_path / "subs" / "cpu-spin" / NAME, fx.cpu_spin(sol, None, ignore_signal=ignore_signal))
    chosen = replace(settings, cpu_seconds=8, timeout=240, workers=1,
                     course_dir=_course_copy(settings, tmp_path / "course"))
    run = grade(chosen, tmp_path / "subs", tmp_path / "out", log=lambda *_: None)
    row = run.row("cpu-spin", NAME)
    log = tmp_path / "out" / "logs" / "cpu-spin" / f"{NAME}.log"
    assert row["status"] == "graded", (row, log.read_text()[-2500:] if log.exists() else "")
    assert row["autograded_score"] == "6", row
    cell = 1 + [c.metadata.get("nbgrader", {}).get("grade_id") for c in sol.cells].index("L1-q3-answer")
    assert f"stopped: CPU-time limit of 8 s exceeded in cell {cell} (L1-q3-answer)" in row["notes"], row


def test_output_is_capped_per_cell_and_per_notebook(limits_run):
    run, chosen, out = limits_run
    assert _grades(run.grades_csv)[("output-flood", NAME)]["autograded_score"] == "9"
    graded = chosen.course_dir / "autograded" / "output-flood" / NAME / FILE
    text = graded.read_text(encoding="utf-8")
    assert graded.stat().st_size < 2 * 2**20, graded.stat().st_size  # 9.5 MB were printed
    assert "[output truncated: this cell printed more than 256 kB" in text
    assert "[output truncated: the notebook printed more than 1024 kB" in text
    page = out / "feedback" / "output-flood" / NAME / f"{NAME}.html"
    assert page.stat().st_size < 3 * 2**20 and "output truncated" in page.read_text(encoding="utf-8")


def test_intake_refuses_links_huge_files_and_unusable_ids(limits_run):
    run, _, _ = limits_run
    grades = _grades(run.grades_csv)
    for student in ("symlink-notebook", "symlink-inside"):
        row = grades[(student, "(none)")]
        assert row["status"] == "ungradable" and "symbolic link" in row["reason"], row
    big = grades[("oversized", NAME)]
    assert big["status"] == "ungradable" and "more than the limit of 20 MB" in big["reason"], big
    for student in (TWIN_NFC, TWIN_NFD):
        import unicodedata

        row = grades[(unicodedata.normalize("NFC", student), "(none)")]
        assert "only by Unicode normalisation" in row["reason"], row
    bell = [r for (s, _), r in grades.items() if s.startswith("bell")]
    assert bell and "control or format character U+0007" in bell[0]["reason"], bell


def test_unicode_ids_and_nbformat3_notebooks_are_graded(limits_run):
    run, _, _ = limits_run
    grades = _grades(run.grades_csv)
    assert grades[(CHINESE_ID, NAME)]["autograded_score"] == "9", grades.get((CHINESE_ID, NAME))
    assert grades[("nbformat3", NAME)]["autograded_score"] == "9", grades[("nbformat3", NAME)]


def test_without_the_limits_the_hogs_run_unchecked(settings, tmp_path, sandbox_works):
    """A control: the memory hog passes and the flood is kept whole when the limits are lifted."""
    from course_grader import course
    from course_grader.pipeline import grade
    from grading_fixtures import submissions as fx

    sol = course.solution_version(settings, NAME)
    for name in ("memory_hog", "output_flood"):
        write_submission(tmp_path / "subs" / name / NAME, getattr(fx, name)(sol, None))
    chosen = replace(settings, memory_limit_mb=10**6, cell_output_kb=10**6, notebook_output_kb=10**6, timeout=180,
                     course_dir=_course_copy(settings, tmp_path / "course"))
    run = grade(chosen, tmp_path / "subs", tmp_path / "out", feedback=False, log=lambda *_: None)
    assert run.row("memory_hog", NAME)["autograded_score"] == "9"
    graded = chosen.course_dir / "autograded" / "output_flood" / NAME / FILE
    assert graded.stat().st_size > 8 * 2**20


# --- PostgreSQL -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg_server():
    try:
        server = postgres.start()
    except FileNotFoundError as exc:
        pytest.skip(f"{exc}; CI installs Debian's postgresql package")
    yield server
    server.stop()


def test_postgresql_gradebook_through_the_command_line(pg_server, settings, tmp_path, sandbox_works):
    """generate, grade and export with the gradebook on a real PostgreSQL server (address in the environment)."""
    import sqlalchemy

    from course_grader import course
    from course_grader.settings import normalize_db_url

    course_dir = tmp_path / "course"
    env = dict(os.environ, COURSE_GRADING_DB_URL=pg_server.url)
    cli = [sys.executable, "-m", "course_grader"]
    done = subprocess.run([*cli, "generate", "--course-dir", str(course_dir), "--only", NAME],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (course_dir / "gradebook.db").exists()
    sol = course.solution_version(settings, NAME)
    empty = nbformat.read(settings.course_dir / "release" / NAME / FILE, as_version=4)
    subs = tmp_path / "subs"
    for case in ("solution", "blank", "snoop", "os_exit"):
        write_submission(subs / case.replace("_", "-") / NAME, BUILDERS[case](sol, empty))
    out = tmp_path / "out"
    done = subprocess.run([*cli, "grade", str(subs), "--out", str(out), "--course-dir", str(course_dir),
                           "--workers", "2", "--timeout", "60"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=900)
    assert done.returncode == 0, done.stdout + done.stderr
    assert pg_server.password not in done.stdout + done.stderr
    grades = _grades(out / "grades.csv")
    assert grades[("solution", NAME)]["autograded_score"] == "9"
    assert grades[("blank", NAME)]["score"] == "0"
    assert grades[("os-exit", NAME)]["status"] == "ungradable"
    assert snoop_result(course_dir / "autograded" / "snoop" / NAME / FILE)["found"] == []
    engine = sqlalchemy.create_engine(normalize_db_url(pg_server.url))
    with engine.connect() as conn:
        rows = conn.execute(sqlalchemy.text(
            "SELECT s.student_id, SUM(g.auto_score) FROM grade g JOIN submitted_notebook n ON g.notebook_id = n.id "
            "JOIN submitted_assignment s ON n.assignment_id = s.id GROUP BY s.student_id ORDER BY s.student_id"
        )).fetchall()
        statuses = dict(conn.execute(sqlalchemy.text(
            "SELECT student, status FROM course_utils_grading")).fetchall())
    engine.dispose()
    assert dict(rows) == {"blank": 0.0, "snoop": 9.0, "solution": 9.0}  # no row at all for the dead kernel
    assert statuses == {"blank": "graded", "os-exit": "ungradable", "snoop": "graded", "solution": "graded"}


def test_two_shards_on_one_postgresql_equal_one_run_and_a_dead_shard_can_rerun(
        pg_server, settings, tmp_path, sandbox_works):
    """`grade --shard i/2` in separate processes into one gradebook; shard 1 is killed mid-run and run
    again. The exported grades equal those of one single run, with no duplicate or missing rows."""
    import signal
    import time

    import sqlalchemy

    from course_grader import course
    from course_grader.pipeline import shard_of
    from course_grader.settings import normalize_db_url

    single_url, shards_url = pg_server.create_database("single"), pg_server.create_database("sharded")
    cli = [sys.executable, "-m", "course_grader"]
    sol = course.solution_version(settings, NAME)
    half = course.solution_version(settings, NAME, answered={"L1-q1-answer"})
    students = [f"s{i:02d}" for i in range(8)]
    for i, student in enumerate(students):
        write_submission(tmp_path / "subs" / student / NAME, {FILE: nbformat.writes((sol, half)[i % 2]).encode()})
    assert {shard_of(s, 2) for s in students} == {1, 2}

    def run(url: str, *args: str, **kw):
        env = dict(os.environ, COURSE_GRADING_DB_URL=url)
        return subprocess.Popen([*cli, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                cwd=ROOT, env=env, **kw)

    for url, name in ((single_url, "single"), (shards_url, "sharded")):
        done = run(url, "generate", "--course-dir", str(tmp_path / name), "--only", NAME)
        assert done.wait(600) == 0, done.stdout.read()
    common = ["--timeout", "60", "--workers", "1"]
    single = run(single_url, "grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out-single"),
                 "--course-dir", str(tmp_path / "single"), *common)
    assert single.wait(900) == 0, single.stdout.read()

    engine = sqlalchemy.create_engine(normalize_db_url(shards_url))
    count = "SELECT COUNT(*) FROM submitted_assignment"
    first = run(shards_url, "grade", str(tmp_path / "subs"), "--out", str(tmp_path / "out-1"), "--course-dir",
                str(tmp_path / "sharded"), "--shard", "1/2", *common, start_new_session=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and first.poll() is None:  # kill it once it has graded one
        try:
            with engine.connect() as conn:
                if conn.execute(sqlalchemy.text(count)).scalar() >= 1:
                    break
        except sqlalchemy.exc.ProgrammingError:  # the tables do not exist yet
            pass
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait(60)
    procs = [run(shards_url, "grade", str(tmp_path / "subs"), "--out", str(tmp_path / f"out-{i}"),
                 "--course-dir", str(tmp_path / "sharded"), "--shard", f"{i}/2", *common) for i in (1, 2)]
    for proc in procs:
        assert proc.wait(900) == 0, proc.stdout.read()
    exported = run(shards_url, "export", "--course-dir", str(tmp_path / "sharded"), "--out", str(tmp_path / "merged"))
    assert exported.wait(300) == 0, exported.stdout.read()
    merged = (tmp_path / "merged" / "grades.csv").read_text()
    assert merged == (tmp_path / "out-single" / "grades.csv").read_text()
    assert len(_grades(tmp_path / "merged" / "grades.csv")) == len(students)
    with engine.connect() as conn:
        assert conn.execute(sqlalchemy.text(count)).scalar() == len(students)
        assert conn.execute(sqlalchemy.text("SELECT COUNT(*) FROM course_utils_grading")).scalar() == len(students)
    engine.dispose()


# --- packaging -------------------------------------------------------------------------------------


def test_course_utils_does_not_load_nbgrader_or_frameworks():
    code = (
        "import sys, course_utils, course_utils.selfcheck, course_grader\n"
        "from course_utils.exercises import lesson1, lesson2, lesson3, lesson4, lesson5, lesson6, lesson7, lesson8\n"
        "heavy = sorted(m for m in ('nbgrader', 'tensorflow', 'torch', 'keras', 'jupytext') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_grading_settings_file_is_valid():
    from course_grader.settings import load

    settings = load(ROOT / "assignments" / "grading.toml")
    assert settings.source == ROOT / "assignments" / "source"
    assert settings.course_dir == ROOT / "assignments" / "course"
    assert settings.gradebook_url.startswith("sqlite:///")
    assert json.dumps(settings.public())
