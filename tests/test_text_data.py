"""course_utils.text_data: finding, verifying and downloading Tiny Shakespeare; ids and batches."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from course_utils import CharVocabulary, DataIntegrityError, DataUnavailableError, load_tinyshakespeare
from course_utils.text_data import NBYTES, SHA256, sample_batch, split_ids

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def shakespeare_bytes() -> bytes:
    """The real input.txt: from $COURSE_DATA_DIR, ../shared/data, or a download into the cache."""
    for base in (os.environ.get("COURSE_DATA_DIR"), ROOT.parent / "shared" / "data"):
        if base and (Path(base) / "tinyshakespeare" / "input.txt").is_file():
            return (Path(base) / "tinyshakespeare" / "input.txt").read_bytes()
    return load_tinyshakespeare(progress=False).encode("ascii")


def write_copy(root: Path, content: bytes) -> Path:
    (root / "tinyshakespeare").mkdir(parents=True, exist_ok=True)
    (root / "tinyshakespeare" / "input.txt").write_bytes(content)
    return root


def flip_one_byte(content: bytes) -> bytes:
    changed = bytearray(content)
    changed[-2] ^= 0x01
    return bytes(changed)


def listing(cache: Path) -> list[str]:
    return sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) if cache.exists() else []


# --- the text and its facts ------------------------------------------------------------------


def test_the_real_file_has_its_published_properties(shakespeare_bytes, tmp_path, isolated_env):
    text = load_tinyshakespeare(write_copy(tmp_path, shakespeare_bytes), download=False)
    assert len(text) == NBYTES == 1_115_394
    assert hashlib.sha256(text.encode("ascii")).hexdigest() == SHA256
    assert text.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    vocab = CharVocabulary(text)
    assert vocab.size == len(vocab) == 65
    assert vocab.chars[:3] == "\n !" and vocab.chars[-1] == "z"
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (NBYTES,)
    assert vocab.decode(ids) == text
    train, val = split_ids(ids)
    assert (len(train), len(val)) == (1_003_854, 111_540)
    assert vocab.decode(val[:20]) == text[1_003_854:1_003_874]


def test_environment_variable_is_the_default_folder(shakespeare_bytes, tmp_path, monkeypatch, isolated_env):
    monkeypatch.setenv("COURSE_DATA_DIR", str(write_copy(tmp_path / "env", shakespeare_bytes)))
    assert load_tinyshakespeare(download=False)[:5] == "First"
    assert listing(isolated_env) == []


def test_missing_folder_names_the_variable(tmp_path, monkeypatch, isolated_env):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match=r"\$COURSE_DATA_DIR.*nowhere.*tinyshakespeare/input.txt"):
        load_tinyshakespeare()


def test_corrupt_copy_reports_both_digests(shakespeare_bytes, tmp_path, isolated_env):
    bad = flip_one_byte(shakespeare_bytes)
    root = write_copy(tmp_path, bad)
    with pytest.raises(DataIntegrityError) as info:
        load_tinyshakespeare(root, download=False)
    message = str(info.value)
    assert SHA256 in message and hashlib.sha256(bad).hexdigest() in message
    assert str(root / "tinyshakespeare" / "input.txt") in message and "Delete" in message


def test_truncated_copy_reports_sizes(shakespeare_bytes, tmp_path, isolated_env):
    root = write_copy(tmp_path, shakespeare_bytes[:1000])
    with pytest.raises(DataIntegrityError, match="truncated.*1115394 bytes.*1000 bytes"):
        load_tinyshakespeare(root, download=False)


def test_corrupt_copy_in_the_cache_is_reported_not_used(shakespeare_bytes, isolated_env):
    write_copy(isolated_env, shakespeare_bytes + b"extra")
    with pytest.raises(DataIntegrityError, match="too long"):
        load_tinyshakespeare(download=False)


# --- downloading -------------------------------------------------------------------------------


def test_download_then_reuse_the_cache(file_server, shakespeare_bytes, dead_url, isolated_env):
    server = file_server()
    server.serve("/ts/input.txt", shakespeare_bytes)
    text = load_tinyshakespeare(urls=[server.url + "/ts/input.txt"], progress=False)
    assert text.encode("ascii") == shakespeare_bytes
    assert listing(isolated_env) == ["tinyshakespeare", "tinyshakespeare/input.txt"]
    assert server.requests == ["/ts/input.txt"]
    again = load_tinyshakespeare(urls=[dead_url], progress=False)  # from the cache
    assert again == text and len(server.requests) == 1


def test_bad_downloads_fall_through_to_a_good_address(file_server, shakespeare_bytes, dead_url, isolated_env):
    corrupt, truncated, good = file_server(), file_server(), file_server()
    corrupt.serve("/input.txt", flip_one_byte(shakespeare_bytes))
    truncated.serve("/input.txt", shakespeare_bytes[:5000], announce=len(shakespeare_bytes))
    good.serve("/input.txt", shakespeare_bytes)
    urls = [dead_url, corrupt.url + "/input.txt", truncated.url + "/input.txt", good.url + "/input.txt"]
    text = load_tinyshakespeare(urls=urls, progress=False, timeout=5)
    assert len(text) == NBYTES
    assert len(corrupt.requests) == 1 and len(truncated.requests) == 1
    assert listing(isolated_env) == ["tinyshakespeare", "tinyshakespeare/input.txt"]


def test_every_address_bad_leaves_nothing_and_says_what_to_do(file_server, shakespeare_bytes, dead_url,
                                                               isolated_env):
    corrupt = file_server()
    corrupt.serve("/input.txt", flip_one_byte(shakespeare_bytes))
    missing = file_server().url + "/input.txt"  # answers 404
    with pytest.raises(DataUnavailableError) as info:
        load_tinyshakespeare(urls=[dead_url, corrupt.url + "/input.txt", missing], progress=False, timeout=5)
    message = str(info.value)
    assert "$COURSE_DATA_DIR: not set" in message and str(isolated_env / "tinyshakespeare") in message
    assert "failed verification" in message and SHA256 in message and "404" in message
    assert "export COURSE_DATA_DIR=" in message
    assert listing(isolated_env) == ["tinyshakespeare"]  # no partial or staging file left


def test_download_false_never_touches_the_network(file_server, shakespeare_bytes, isolated_env):
    server = file_server()
    server.serve("/input.txt", shakespeare_bytes)
    with pytest.raises(DataUnavailableError, match="download=False"):
        load_tinyshakespeare(urls=[server.url + "/input.txt"], download=False)
    assert server.requests == []


def test_urls_must_be_a_sequence(isolated_env):
    with pytest.raises(TypeError, match="sequence of addresses"):
        load_tinyshakespeare(urls="http://127.0.0.1/input.txt")


# --- vocabulary, split and batches -----------------------------------------------------------------


def test_vocabulary_round_trip_and_errors():
    vocab = CharVocabulary("hello world")
    assert vocab.chars == " dehlorw"
    np.testing.assert_array_equal(vocab.encode("hold"), [3, 5, 4, 1])
    assert vocab.decode(np.array([3, 2, 4, 4, 5])) == "hello" and vocab.decode([]) == ""
    with pytest.raises(ValueError, match="outside the vocabulary: 'afixz'"):
        vocab.encode("fizz ax")
    with pytest.raises(ValueError, match=r"0\.\.7.*from 0 to 8"):
        vocab.decode([0, 8])
    with pytest.raises(TypeError, match="integers"):
        vocab.decode(np.array([0.5]))
    with pytest.raises(TypeError, match="text must be a str"):
        CharVocabulary(b"bytes")
    with pytest.raises(ValueError, match="empty"):
        CharVocabulary("")


def test_split_and_batches():
    ids = np.arange(100)
    train, val = split_ids(ids)
    assert len(train) == 90 and val[0] == 90
    with pytest.raises(ValueError, match="train_fraction"):
        split_ids(ids, 1.0)
    with pytest.raises(TypeError, match="1-D NumPy integer array"):
        split_ids(ids.astype(float))
    x, y = sample_batch(ids, 4, 8, np.random.default_rng(0))
    assert x.shape == y.shape == (4, 8) and x.dtype == np.int64
    np.testing.assert_array_equal(y, x + 1)  # the target is the next id
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    again, _ = sample_batch(ids, 4, 8, np.random.default_rng(0))
    np.testing.assert_array_equal(x, again)  # seeded
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        sample_batch(ids, 0, 8, np.random.default_rng(0))
    with pytest.raises(ValueError, match="longer than block_size=100"):
        sample_batch(ids, 1, 100, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        sample_batch(ids, 1, 8, 0)
