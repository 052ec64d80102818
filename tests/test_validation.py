"""course_utils.validation: the error types and the exact messages learners read."""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

from course_utils import validation as v


def _message(call) -> tuple[type, str]:
    with pytest.raises((TypeError, ValueError)) as info:
        call()
    return info.type, str(info.value)


# Each row: the call, the error type, the whole message. A change of wording is
# a deliberate edit of this table.
MESSAGES = [
    (
        lambda: v.check_integer("hidden", 0, low=1),
        ValueError,
        "hidden must be a positive integer; got 0.",
    ),
    (
        lambda: v.check_integer("epochs", 2.0, low=1),
        TypeError,
        "epochs must be a positive integer; got float 2.0. "
        "Pass 2 (an int) rather than a float.",
    ),
    (
        lambda: v.check_integer("epochs", 2.5, low=1),
        TypeError,
        "epochs must be a positive integer; got float 2.5. Pass a whole number as an int.",
    ),
    (
        lambda: v.check_integer("batch_size", True, low=1),
        TypeError,
        "batch_size must be a positive integer; got bool True. "
        "A bool is not accepted as a number; pass an int explicitly.",
    ),
    (
        lambda: v.check_integer("digit", 10, low=0, high=9),
        ValueError,
        "digit must be an integer in 0..9; got 10.",
    ),
    (
        lambda: v.check_integer("bins", 1, low=2),
        ValueError,
        "bins must be an integer >= 2; got 1.",
    ),
    (
        lambda: v.check_seed("seed", -1),
        ValueError,
        "seed must be None or a non-negative integer; got -1.",
    ),
    (
        lambda: v.check_real("learning_rate", True, low=0, low_open=True),
        TypeError,
        "learning_rate must be a positive number; got bool True. "
        "A bool is not accepted as a number; pass a float explicitly.",
    ),
    (
        lambda: v.check_real("learning_rate", "0.1", low=0, low_open=True),
        TypeError,
        "learning_rate must be a positive number; got str '0.1'. "
        "Convert the text first, for example float('0.1').",
    ),
    (
        lambda: v.check_real("learning_rate", -1.0, low=0, low_open=True),
        ValueError,
        "learning_rate must be a positive number; got -1.0.",
    ),
    (
        lambda: v.check_real("momentum", 1.0, low=0, high=1, high_open=True),
        ValueError,
        "momentum must be a number in [0, 1); got 1.0.",
    ),
    (
        lambda: v.check_real(
            "eps", 0.5, low=0, high=0.5, low_open=True, high_open=True, allow_none=True
        ),
        ValueError,
        "eps must be None or a number strictly between 0 and 0.5; got 0.5.",
    ),
    (
        lambda: v.check_real("h", float("nan"), low=0, low_open=True),
        ValueError,
        "h must be a positive number; got nan.",
    ),
    (
        lambda: v.check_one_of("activation", "Relu", ("relu", "sigmoid", "tanh")),
        ValueError,
        "activation must be one of ('relu', 'sigmoid', 'tanh'); got 'Relu'. "
        "Did you mean 'relu'?",
    ),
    (
        lambda: v.check_one_of("dtype", np.float64, ("float32", "float64")),
        ValueError,
        "dtype must be one of ('float32', 'float64'); got type <class "
        "'numpy.float64'>. The options are strings: pass the name in quotes.",
    ),
    (
        lambda: v.check_one_of("reduction", "avg", ("mean", "sum", "none")),
        ValueError,
        "reduction must be one of ('mean', 'sum', 'none'); got 'avg'.",
    ),
    (
        lambda: v.check_array("x", "abc", dtype="numeric"),
        TypeError,
        "x must be an array of real numbers (integer or floating dtype); got str 'abc'.",
    ),
    (
        lambda: v.check_array("x", np.array([True]), dtype="numeric"),
        TypeError,
        "x must be an array of real numbers (integer or floating dtype); "
        "got a NumPy array of dtype bool and shape (1,).",
    ),
    (
        lambda: v.check_array("x", [1, 2], dtype="floating"),
        TypeError,
        "x must be an array of floating-point numbers; got list [1, 2]. "
        "Convert it first, for example with .astype(np.float64).",
    ),
    (
        lambda: v.check_array("images", np.zeros(3), dtype=np.uint8),
        TypeError,
        "images must be an array of dtype uint8; "
        "got a NumPy array of dtype float64 and shape (3,).",
    ),
    (
        lambda: v.check_array("z", 1.0, min_ndim=1),
        ValueError,
        "z must have at least 1 dimension(s); got a NumPy array of dtype float64 "
        "and shape ().",
    ),
    (
        lambda: v.check_array("x", np.zeros((2, 2, 2)), ndim=(1, 2)),
        ValueError,
        "x must have 1 or 2 dimension(s); got a NumPy array of dtype float64 "
        "and shape (2, 2, 2).",
    ),
    (
        lambda: v.check_array("x", np.zeros((3, 4)), shape=("N", 2)),
        ValueError,
        "x must have shape (N, 2); got a NumPy array of dtype float64 and shape (3, 4).",
    ),
    (
        lambda: v.check_array("b", np.zeros(2), shape=(3,)),
        ValueError,
        "b must have shape (3,); got a NumPy array of dtype float64 and shape (2,).",
    ),
    (
        lambda: v.check_array("loss", [0.1, np.nan, np.inf], finite=True),
        ValueError,
        "loss must hold only finite numbers; got a NumPy array of dtype float64 and "
        "shape (3,) with 2 NaN or infinite value(s). "
        "Look for a division by zero or an overflow upstream.",
    ),
    (
        lambda: v.check_path("root", 3),
        TypeError,
        "root must be a path (a str or pathlib.Path); got int 3.",
    ),
    (
        lambda: v.check_path("root", "  "),
        ValueError,
        "root must be a path; got an empty string.",
    ),
]


@pytest.mark.parametrize("call, error, message", MESSAGES)
def test_messages_are_pinned(call, error, message):
    kind, text = _message(call)
    assert kind is error, (kind, text)
    assert text == message


def test_ragged_list_is_a_type_error_that_says_how_to_fix_it():
    kind, text = _message(lambda: v.check_array("x", [[1], [2, 3]], dtype="numeric"))
    assert kind is TypeError
    assert text.startswith("x must be an array of real numbers")
    assert text.endswith("Nested lists must have equal lengths.")


def test_accepted_values_come_back_converted():
    assert v.check_integer("n", np.int64(3), low=1) == 3
    assert type(v.check_integer("n", np.int64(3))) is int
    assert v.check_seed("seed", None) is None
    assert v.check_real("lr", np.float32(0.5), low=0, low_open=True) == 0.5
    assert type(v.check_real("lr", 1)) is float
    assert v.check_real("p", 0.0, low=0, high=1) == 0.0  # closed bounds included
    assert v.check_one_of("mode", "sum", ("mean", "sum")) == "sum"
    array = np.arange(6.0).reshape(3, 2)
    assert v.check_array("x", array, shape=(None, 2), dtype="floating") is array
    assert v.check_array("x", [[1, 2]], dtype="numeric").dtype.kind == "i"
    assert v.check_array("labels", np.arange(3), dtype="integer", ndim=1).shape == (3,)


def test_bool_is_never_a_number_nor_an_option_for_one():
    with pytest.raises(TypeError):
        v.check_integer("n", np.bool_(True))
    with pytest.raises(TypeError):
        v.check_real("x", False)
    with pytest.raises(ValueError, match=r"^flag must be one of \(0, 1\); got True\.$"):
        v.check_one_of("flag", True, (0, 1))
    assert v.check_one_of("flag", True, (True, False)) is True


def test_open_bounds_exclude_the_bound():
    with pytest.raises(ValueError, match=re.escape("must be a positive number; got 0")):
        v.check_real("h", 0, low=0, low_open=True)
    with pytest.raises(ValueError, match=re.escape("a number in (0, 1]; got 0")):
        v.check_real("p", 0.0, low=0, high=1, low_open=True)
    assert v.check_real("p", 1.0, low=0, high=1, low_open=True) == 1.0


def test_paths(tmp_path: pathlib.Path):
    file = tmp_path / "a.txt"
    file.write_text("x")
    assert v.check_path("source", str(file)) == file
    assert v.check_path("root", tmp_path, kind="dir") == tmp_path
    assert v.check_path("out", tmp_path / "new", must_exist=False) == tmp_path / "new"
    missing = tmp_path / "nope"
    with pytest.raises(FileNotFoundError) as info:
        v.check_path("source", missing)
    assert isinstance(info.value, ValueError)  # a wrong value, and findable as missing
    assert str(info.value) == (
        f"source must be an existing file; {str(missing)!r} does not exist. "
        "Check the spelling and the current directory."
    )
    with pytest.raises(ValueError, match=r"is a folder\. Name a file inside it\.$"):
        v.check_path("source", tmp_path)
    with pytest.raises(ValueError, match=r"is a file\. Pass the folder that holds it\.$"):
        v.check_path("root", file, kind="dir")
    with pytest.raises(ValueError, match=r"^kind must be one of \('file', 'dir', 'any'\)"):
        v.check_path("root", tmp_path, kind="folder")


def test_describe_and_type_name():
    assert v.describe(np.zeros((2, 3), np.float32)) == (
        "a NumPy array of dtype float32 and shape (2, 3)"
    )
    assert v.describe(float) == "type <class 'float'>"
    assert v.describe("x" * 500).startswith("str 'xxx") and len(v.describe("x" * 500)) == 200
    assert v.type_name(1.5) == "float"
    assert v.type_name(np.float64(1.5)) == "numpy.float64"
    assert v.type_name(np.zeros(1)) == "numpy.ndarray"

    class Tensorish:  # what a framework tensor looks like to describe()
        shape = [4, 2]
        dtype = "float32"

    assert v.describe(Tensorish()) == (
        f"a {__name__}.test_describe_and_type_name.<locals>.Tensorish of dtype float32 "
        "and shape (4, 2)"
    )


def test_images_and_labels():
    images = np.zeros((2, 28, 28), np.uint8)
    labels = np.array([0, 9])
    assert v.check_images_labels(images, labels)[0] is images
    with pytest.raises(ValueError, match=r"^labels must lie in 0\.\.9; got values from 0 to 10\.$"):
        v.check_images_labels(images, np.array([0, 10]))
    with pytest.raises(TypeError, match=r"^labels must have an integer dtype"):
        v.check_images_labels(images, labels.astype(float))
    with pytest.raises(ValueError, match="same number of examples; got 2 images and 1 labels"):
        v.check_images_labels(images, labels[:1])


def test_module_imports_no_framework():
    import subprocess
    import sys

    code = (
        "import sys, course_utils.validation; "
        "print(sorted(m for m in ('torch', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
