"""The framework adapters turn the same arrays into the same normalised batches."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import normalize_images

tf_backend = pytest.importorskip("course_utils.tf_backend")
torch_backend = pytest.importorskip("course_utils.torch_backend")
BACKENDS = {"tensorflow": tf_backend, "torch": torch_backend}


def as_numpy(batch):
    x, y = batch
    return np.asarray(x), np.asarray(y)


def epoch(dataset) -> list[tuple[np.ndarray, np.ndarray]]:
    return [as_numpy(b) for b in dataset]


@pytest.fixture(scope="module")
def small(mnist):
    """The first 250 test images: small enough to go through many times."""
    return mnist.test.images[:250], mnist.test.labels[:250].astype(np.int64)


@pytest.mark.parametrize("name", BACKENDS)
def test_batches_have_the_promised_shapes_dtypes_and_values(name, small):
    images, labels = small
    batches = epoch(BACKENDS[name].make_dataset(images, labels, batch_size=100, shuffle=False))
    assert [x.shape for x, _ in batches] == [(100, 28, 28), (100, 28, 28), (50, 28, 28)]
    assert all(x.dtype == np.float32 and y.dtype == np.int64 for x, y in batches)
    # Unshuffled, the batches are the arrays in order, scaled exactly as the NumPy reference.
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), normalize_images(images))
    np.testing.assert_array_equal(np.concatenate([y for _, y in batches]), labels)


@pytest.mark.parametrize("name", BACKENDS)
def test_shuffle_is_seeded_complete_and_fresh_each_epoch(name, small):
    images, labels = small
    make = BACKENDS[name].make_dataset
    first = make(images, labels, batch_size=64, seed=7)
    twin = make(images, labels, batch_size=64, seed=7)
    other = make(images, labels, batch_size=64, seed=8)
    e1, e2 = epoch(first), epoch(first)
    same_seed = epoch(twin)
    for (xa, ya), (xb, yb) in zip(e1, same_seed):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    order = lambda batches: np.concatenate([y for _, y in batches])  # noqa: E731
    assert not np.array_equal(order(e1), order(e2)), "each pass should reshuffle"
    assert not np.array_equal(order(e1), order(epoch(other))), "another seed, another order"
    assert not np.array_equal(order(e1), labels), "shuffled differs from the stored order"
    # Every example appears exactly once per epoch, images still paired with their labels.
    for batches in (e1, e2):
        x = np.concatenate([b[0] for b in batches])
        y = order(batches)
        assert sorted(y.tolist()) == sorted(labels.tolist())
        reference = {normalize_images(images[i : i + 1]).tobytes(): int(labels[i]) for i in range(len(labels))}
        assert all(reference[x[i : i + 1].tobytes()] == y[i] for i in range(len(y)))


@pytest.mark.parametrize("name", BACKENDS)
def test_drop_remainder(name, small):
    images, labels = small
    batches = epoch(BACKENDS[name].make_dataset(images, labels, batch_size=100, drop_remainder=True))
    assert [len(y) for _, y in batches] == [100, 100]


def test_torch_batches_know_their_length(small):
    images, labels = small
    assert len(torch_backend.make_dataset(images, labels, batch_size=100)) == 3
    assert len(torch_backend.make_dataset(images, labels, batch_size=100, drop_remainder=True)) == 2


def test_both_frameworks_give_identical_unshuffled_batches(small):
    images, labels = small
    tf_batches = epoch(tf_backend.make_dataset(images, labels, batch_size=32, shuffle=False))
    torch_batches = epoch(torch_backend.make_dataset(images, labels, batch_size=32, shuffle=False))
    assert len(tf_batches) == len(torch_batches) == 8
    for (xa, ya), (xb, yb) in zip(tf_batches, torch_batches):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)


BAD_INPUTS = [
    ("list of images", lambda x, y: (x.tolist(), y), {}, TypeError, "images must be a NumPy uint8 array"),
    ("float images", lambda x, y: (x.astype(np.float32), y), {}, TypeError, "dtype uint8"),
    ("flattened images", lambda x, y: (x.reshape(len(x), -1), y), {}, ValueError, r"shape \(N, height, width\)"),
    ("float labels", lambda x, y: (x, y.astype(float)), {}, TypeError, "integer dtype"),
    ("one-hot labels", lambda x, y: (x, np.eye(10, dtype=np.int64)[y]), {}, ValueError, r"labels must have shape \(N,\)"),
    ("too few labels", lambda x, y: (x, y[:-1]), {}, ValueError, "250 images and 249 labels"),
    ("label 10", lambda x, y: (x, np.where(y == 0, 10, y)), {}, ValueError, r"labels must lie in 0\.\.9"),
    ("no examples", lambda x, y: (x[:0], y[:0]), {}, ValueError, "N >= 1"),
    ("batch size 0", lambda x, y: (x, y), {"batch_size": 0}, ValueError, "batch_size must be a positive integer"),
    ("batch size 2.5", lambda x, y: (x, y), {"batch_size": 2.5}, TypeError, "batch_size must be a positive integer"),
    ("negative seed", lambda x, y: (x, y), {"seed": -1}, ValueError, "seed must be None or a non-negative integer"),
]


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("case", BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_inputs_get_clear_errors(name, case, small):
    _, transform, kwargs, error, message = case
    images, labels = transform(*small)
    with pytest.raises(error, match=message):
        BACKENDS[name].make_dataset(images, labels, **kwargs)
