"""course_utils.data: finding, verifying and downloading MNIST."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

from course_utils import DataIntegrityError, DataUnavailableError, load_mnist, normalize_images
from course_utils.data import MNIST_FILES, read_idx

LABELS = "t10k-labels-idx1-ubyte"
IMAGES = "t10k-images-idx3-ubyte"


_GZ_MEMO: dict[int, bytes] = {}


def gz(content: bytes) -> bytes:
    """``content`` gzip-compressed (fast setting; remembered, since the tests reuse the same files)."""
    key = hash(content)
    if key not in _GZ_MEMO:
        _GZ_MEMO[key] = gzip.compress(content, compresslevel=1, mtime=0)
    return _GZ_MEMO[key]


def write_folder(root: Path, files: dict[str, bytes], compress: bool = True) -> Path:
    """Write ``files`` into ``root/mnist`` (gzip-compressed or not); return ``root``."""
    folder = root / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if compress:
            (folder / f"{name}.gz").write_bytes(gz(content))
        else:
            (folder / name).write_bytes(content)
    return root


def flip_one_byte(content: bytes) -> bytes:
    """The same file with one pixel or label changed, header intact."""
    changed = bytearray(content)
    changed[-1] ^= 0x01
    return bytes(changed)


def cache_listing(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.rglob("*")) if cache.exists() else []


# --- loading from a local folder -------------------------------------------------


def test_loads_the_real_files_with_known_properties(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.uint8
    # Facts about MNIST known independently of this code:
    assert y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert x_train.min() == 0 and x_train.max() == 255
    # The arrays belong to the caller: writable, not views of a shared buffer.
    assert x_train.flags.writeable and y_test.flags.writeable


def test_named_fields_match_the_unpacked_tuple(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert mnist.train.images is x_train and mnist.test.labels is y_test


def test_uncompressed_files_load_the_same(mnist_bytes, mnist, tmp_path, isolated_env):
    root = write_folder(tmp_path / "plain", mnist_bytes, compress=False)
    data = load_mnist(root, download=False)
    for got, want in zip((*data.train, *data.test), (*mnist.train, *mnist.test)):
        np.testing.assert_array_equal(got, want)


def test_environment_variable_is_the_default_folder(mnist_bytes, tmp_path, monkeypatch, isolated_env):
    root = write_folder(tmp_path / "from-env", mnist_bytes)
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    data = load_mnist(download=False)
    assert data.test.labels[:3].tolist() == [7, 2, 1]
    assert cache_listing(isolated_env) == []  # nothing was copied or downloaded


def test_missing_folder_names_the_variable(monkeypatch, tmp_path, isolated_env):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError) as info:
        load_mnist()
    message = str(info.value)
    assert "$COURSE_DATA_DIR" in message and "nowhere" in message and "mnist/" in message


def test_file_that_is_not_idx(mnist_bytes, tmp_path, isolated_env):
    files = dict(mnist_bytes)
    files[LABELS] = b"<html>Not found</html>\n"
    root = write_folder(tmp_path / "html", files, compress=False)
    with pytest.raises(DataIntegrityError) as info:
        load_mnist(root, download=False)
    message = str(info.value)
    assert LABELS in message and "not an unsigned-byte IDX file" in message and "3c 68 74 6d" in message
    assert "Delete" in message  # says what to do


def test_corrupt_file_reports_both_digests(mnist_bytes, tmp_path, isolated_env):
    files = dict(mnist_bytes)
    files[LABELS] = flip_one_byte(files[LABELS])
    root = write_folder(tmp_path / "corrupt", files)
    with pytest.raises(DataIntegrityError) as info:
        load_mnist(root, download=False)
    message = str(info.value)
    import hashlib

    assert f"{LABELS}.gz" in message
    assert MNIST_FILES[LABELS].sha256 in message
    assert hashlib.sha256(files[LABELS]).hexdigest() in message


def test_truncated_gzip_file(mnist_bytes, tmp_path, isolated_env):
    root = write_folder(tmp_path / "cut", mnist_bytes)
    gz = root / "mnist" / f"{IMAGES}.gz"
    gz.write_bytes(gz.read_bytes()[: gz.stat().st_size // 2])
    with pytest.raises(DataIntegrityError, match="truncated or corrupt") as info:
        load_mnist(root, download=False)
    assert str(gz) in str(info.value)


def test_truncated_plain_file_reports_sizes(mnist_bytes, tmp_path):
    path = tmp_path / IMAGES
    path.write_bytes(mnist_bytes[IMAGES][:1000])
    with pytest.raises(DataIntegrityError, match="is truncated") as info:
        read_idx(path, MNIST_FILES[IMAGES])
    assert "7840016" in str(info.value) and "1000 bytes" in str(info.value)


def test_wrong_file_under_the_right_name(mnist_bytes, tmp_path, isolated_env):
    files = dict(mnist_bytes)
    files[LABELS] = mnist_bytes["train-labels-idx1-ubyte"]  # 60,000 labels where 10,000 belong
    root = write_folder(tmp_path / "swapped", files)
    with pytest.raises(DataIntegrityError, match=r"shape \(60000,\), expected \(10000,\)"):
        load_mnist(root, download=False)


def test_read_idx_without_expectation_reads_any_idx(tmp_path):
    content = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(range(6))
    path = tmp_path / "small.idx"
    path.write_bytes(content)
    np.testing.assert_array_equal(read_idx(path), np.arange(6, dtype=np.uint8).reshape(2, 3))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_idx(tmp_path / "absent")


def test_normalize_images_scales_to_unit_interval():
    pixels = np.array([[0, 51, 255]], dtype=np.uint8)
    np.testing.assert_array_equal(normalize_images(pixels), np.array([[0.0, 0.2, 1.0]], np.float32))
    assert normalize_images(pixels).dtype == np.float32
    with pytest.raises(TypeError, match="uint8"):
        normalize_images(pixels.astype(np.float64))


# --- downloading from mirrors ---------------------------------------------------


def serve_all(server, files: dict[str, bytes], prefix: str = "/mnist/") -> str:
    for name, content in files.items():
        server.serve(f"{prefix}{name}.gz", gz(content))
    return server.url + prefix


def test_download_then_reuse_the_cache(file_server, mnist_bytes, mnist, dead_url, isolated_env):
    server = file_server()
    mirror = serve_all(server, mnist_bytes)
    data = load_mnist(mirrors=[mirror])
    np.testing.assert_array_equal(data.train.images, mnist.train.images)
    np.testing.assert_array_equal(data.test.labels, mnist.test.labels)
    assert cache_listing(isolated_env) == ["mnist"] + sorted(f"{n}.gz" for n in MNIST_FILES)
    assert len(server.requests) == 4
    # Second load: from the cache, with the only mirror dead.
    again = load_mnist(mirrors=[dead_url])
    np.testing.assert_array_equal(again.train.labels, mnist.train.labels)
    assert len(server.requests) == 4


def test_dead_mirror_then_live_one(file_server, mnist_bytes, dead_url, isolated_env):
    mirror = serve_all(file_server(), mnist_bytes)
    data = load_mnist(mirrors=[dead_url, mirror], timeout=5)
    assert data.test.labels[:3].tolist() == [7, 2, 1]


def test_corrupt_and_truncated_downloads_fall_through_to_a_good_mirror(file_server, mnist_bytes, isolated_env):
    corrupt = file_server()
    bad = {name: flip_one_byte(content) for name, content in mnist_bytes.items()}
    corrupt_url = serve_all(corrupt, bad)
    truncated = file_server()
    for name, content in mnist_bytes.items():
        body = gz(content)
        truncated.serve(f"/mnist/{name}.gz", body[: len(body) // 2], announce=len(body))
    good_url = serve_all(file_server(), mnist_bytes)
    data = load_mnist(mirrors=[corrupt_url, truncated.url + "/mnist/", good_url], timeout=5)
    assert data.train.labels[:3].tolist() == [5, 0, 4]
    assert len(corrupt.requests) == 4 and len(truncated.requests) == 4
    assert cache_listing(isolated_env) == ["mnist"] + sorted(f"{n}.gz" for n in MNIST_FILES)


def test_every_mirror_bad_leaves_nothing_in_the_cache(file_server, mnist_bytes, dead_url, isolated_env):
    corrupt_url = serve_all(file_server(), {n: flip_one_byte(c) for n, c in mnist_bytes.items()})
    truncated = file_server()
    body = gz(mnist_bytes[IMAGES])
    truncated.serve(f"/mnist/{IMAGES}.gz", body[:5000], announce=len(body))
    missing_url = file_server().url + "/mnist/"  # answers 404
    with pytest.raises(DataUnavailableError) as info:
        load_mnist(mirrors=[dead_url, corrupt_url, truncated.url + "/mnist/", missing_url], timeout=5)
    message = str(info.value)
    assert "train-images-idx3-ubyte" in message
    assert dead_url in message and corrupt_url in message and missing_url in message
    assert "failed verification" in message and "404" in message
    assert "COURSE_DATA_DIR" in message  # says how to work offline
    # No partial, corrupt or staging file is left behind.
    assert cache_listing(isolated_env) == ["mnist"]


def test_offline_without_a_local_copy_says_what_to_do(dead_url, isolated_env):
    with pytest.raises(DataUnavailableError) as info:
        load_mnist(mirrors=[dead_url], timeout=5)
    message = str(info.value)
    assert "$COURSE_DATA_DIR: not set" in message
    assert "export COURSE_DATA_DIR=" in message and "mnist" in message
    assert str(isolated_env / "mnist") in message  # names the cache that was searched


def test_download_false_never_touches_the_network(file_server, mnist_bytes, isolated_env):
    server = file_server()
    mirror = serve_all(server, mnist_bytes)
    with pytest.raises(DataUnavailableError, match="download=False"):
        load_mnist(mirrors=[mirror], download=False)
    assert server.requests == []


def test_corrupt_file_in_the_cache_is_reported_not_used(mnist_bytes, isolated_env):
    write_folder(isolated_env, {**mnist_bytes, LABELS: flip_one_byte(mnist_bytes[LABELS])})
    with pytest.raises(DataIntegrityError, match=str(isolated_env / "mnist" / LABELS)):
        load_mnist(download=False)


def test_mirrors_must_be_a_sequence_of_urls(isolated_env):
    with pytest.raises(TypeError, match="sequence of base URLs"):
        load_mnist(mirrors="http://127.0.0.1/mnist/")


def test_local_folder_missing_one_file_falls_back_to_the_cache(mnist_bytes, tmp_path, isolated_env):
    partial = {n: c for n, c in mnist_bytes.items() if n != LABELS}
    root = write_folder(tmp_path / "partial", partial)
    write_folder(isolated_env, {LABELS: mnist_bytes[LABELS]})
    data = load_mnist(root, download=False)
    assert data.test.labels[:3].tolist() == [7, 2, 1]
    shutil.rmtree(isolated_env)
    with pytest.raises(DataUnavailableError, match="no t10k-labels-idx1-ubyte.gz"):
        load_mnist(root, download=False)


def test_error_messages_describe_a_class_passed_by_mistake():
    with pytest.raises(TypeError, match="got type <class 'numpy.float64'>"):
        normalize_images(np.float64)


# --- a learner's own mirror ($COURSE_MNIST_MIRROR) ------------------------------


def test_mirror_variable_is_tried_before_the_default_mirrors(
    file_server, mnist_bytes, mnist, dead_url, isolated_env, monkeypatch
):
    from course_utils import data as data_module

    server = file_server()
    mirror = serve_all(server, mnist_bytes)
    # The defaults stand for mirrors that a learner cannot reach (dead here).
    monkeypatch.setattr(data_module, "MIRRORS", (dead_url,))
    monkeypatch.setenv("COURSE_MNIST_MIRROR", mirror)
    data = load_mnist(timeout=5)
    np.testing.assert_array_equal(data.test.images, mnist.test.images)
    assert sorted(server.requests) == sorted(f"/mnist/{n}.gz" for n in MNIST_FILES)


def test_mirror_variable_may_name_several_and_falls_back_in_order(
    file_server, mnist_bytes, dead_url, isolated_env, monkeypatch
):
    from course_utils import data as data_module

    good = file_server()
    mirror = serve_all(good, mnist_bytes)
    monkeypatch.setattr(data_module, "MIRRORS", (mirror,))
    monkeypatch.setenv("COURSE_MNIST_MIRROR", f"  {dead_url}   {dead_url}\n")
    assert data_module.user_mirrors() == (dead_url, dead_url)
    data = load_mnist(timeout=5)
    assert data.test.labels[:3].tolist() == [7, 2, 1]
    assert len(good.requests) == 4


def test_mirror_variable_that_is_not_a_url_is_a_clear_error(isolated_env, monkeypatch):
    monkeypatch.setenv("COURSE_MNIST_MIRROR", "mirror.example.org/mnist")
    with pytest.raises(ValueError, match=r"COURSE_MNIST_MIRROR should hold base URLs .*'mirror.example.org/mnist'"):
        load_mnist()


def test_explicit_mirrors_argument_wins_over_the_variable(file_server, mnist_bytes, isolated_env, monkeypatch):
    server, other = file_server(), file_server()
    mirror = serve_all(server, mnist_bytes)
    monkeypatch.setenv("COURSE_MNIST_MIRROR", serve_all(other, mnist_bytes))
    data = load_mnist(mirrors=[mirror], timeout=5)
    assert data.train.labels.shape == (60000,)
    assert len(server.requests) == 4 and other.requests == []
