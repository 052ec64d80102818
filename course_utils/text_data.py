"""Tiny Shakespeare as text and integer ids, verified, from a folder, a cache or the web.

:func:`load_tinyshakespeare` finds ``input.txt`` the way
:func:`course_utils.load_mnist` finds the MNIST files, in turn in

1. ``$COURSE_DATA_DIR/tinyshakespeare/`` (or the ``data_dir`` argument), for
   machines without internet access;
2. the user cache (``$COURSE_CACHE_DIR`` or the ``cache_dir`` argument), in its
   ``tinyshakespeare/`` subfolder;
3. the public address (:data:`URLS`), downloaded with :mod:`pooch` into a
   private staging folder and moved into the cache only once it has passed
   its checks.

Every copy is checked before use: its size and its SHA-256 digest must be
those of the original file. The same errors as for MNIST say what went wrong:
:class:`~course_utils.data.DataIntegrityError` with both digests,
:class:`~course_utils.data.DataUnavailableError` with what was tried and the
``export`` line that makes a local copy the default.

:class:`CharVocabulary` turns the text into integer ids and back (one id per
distinct character, in sorted order, as nanoGPT's ``shakespeare_char`` does),
:func:`split_ids` cuts them 90/10 into training and validation ids, and
:func:`sample_batch` draws a batch of next-character training examples.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .i18n import _
from .validation import check_integer, describe
from .data import DATA_DIR_VARIABLE, DataIntegrityError, DataUnavailableError, default_cache_dir

__all__ = [
    "CharVocabulary",
    "FILE_NAME",
    "NBYTES",
    "SHA256",
    "SUBFOLDER",
    "URLS",
    "load_tinyshakespeare",
    "sample_batch",
    "split_ids",
]

#: Where the original file is published (the char-rnn repository), tried in order.
URLS: tuple[str, ...] = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
)
SUBFOLDER = "tinyshakespeare"
FILE_NAME = "input.txt"
#: Size and SHA-256 digest of the original ``input.txt``.
NBYTES = 1_115_394
SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"


def _advice(path: Path) -> str:
    return _(
        "Delete {path} and run again to fetch a fresh copy, or replace it with the original "
        "file from {url} (the course README lists its SHA-256 digest)."
    ).format(path=path, url=URLS[0])


def read_verified(path: Path) -> str:
    """The text of ``path`` if it is the original ``input.txt``; else DataIntegrityError."""
    raw = path.read_bytes()
    if len(raw) != NBYTES:
        if len(raw) < NBYTES:
            message = _("{path} is truncated: the original {name} has {expected} bytes, this file has "
                        "{size} bytes. {advice}")
        else:
            message = _("{path} is too long: the original {name} has {expected} bytes, this file has "
                        "{size} bytes. {advice}")
        raise DataIntegrityError(message.format(
            path=path, name=FILE_NAME, expected=NBYTES, size=len(raw), advice=_advice(path)))
    actual = hashlib.sha256(raw).hexdigest()
    if actual != SHA256:
        raise DataIntegrityError(
            _("{path} is corrupt or not the original {name}: its SHA-256 digest is {actual}, "
              "expected {expected}. {advice}").format(
                path=path, name=FILE_NAME, actual=actual, expected=SHA256, advice=_advice(path))
        )
    return raw.decode("ascii")


def _download(
    cache: Path, urls: Sequence[str], *, progress: bool, timeout: float, failures: list[str]
) -> str | None:
    """Try each address in turn; return the verified text, or None if all failed."""
    import pooch
    import requests

    cache.mkdir(parents=True, exist_ok=True)
    for url in urls:
        staging = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
        try:
            downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
            fetched = Path(
                pooch.retrieve(
                    url, known_hash=None, fname=FILE_NAME, path=staging,
                    downloader=downloader, progressbar=progress,
                )
            )
            text = read_verified(fetched)
            os.replace(fetched, cache / FILE_NAME)  # atomic: the cache never holds a bad copy
            return text
        except DataIntegrityError as exc:
            failures.append(
                _("{url}: the download failed verification ({error})").format(url=url, error=exc)
            )
        except (requests.RequestException, OSError) as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return None


def load_tinyshakespeare(
    data_dir: str | os.PathLike | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
    urls: Sequence[str] | None = None,
    download: bool = True,
    progress: bool = True,
    timeout: float = 60.0,
) -> str:
    """Load Tiny Shakespeare (1,115,394 characters of plain ASCII) as one string.

    Parameters
    ----------
    data_dir : str, path or None
        A folder that contains ``tinyshakespeare/input.txt``. Defaults to
        ``$COURSE_DATA_DIR``; when neither is set, this step is skipped.
    cache_dir : str, path or None
        Where downloads are kept (in its ``tinyshakespeare/`` subfolder).
        Defaults to ``$COURSE_CACHE_DIR`` or the user cache folder.
    urls : sequence of str or None
        Full addresses of ``input.txt``, tried in order when no local copy
        exists. Defaults to :data:`URLS`.
    download : bool
        Set to False to fail rather than reach the network.
    progress : bool
        Show a progress bar while downloading.
    timeout : float
        Seconds to wait for an address to answer before trying the next.

    Returns
    -------
    str
        The whole text.

    Raises
    ------
    FileNotFoundError
        If ``data_dir`` (or ``$COURSE_DATA_DIR``) names a folder without
        ``tinyshakespeare/``.
    DataIntegrityError
        If a copy is present but truncated, too long or corrupt; the message
        gives the expected and the actual SHA-256 digest.
    DataUnavailableError
        If no copy is present and none could be downloaded; the message says
        where to put the file and which variable to set.

    Examples
    --------
    >>> text = load_tinyshakespeare()  # doctest: +SKIP
    >>> text[:14]  # doctest: +SKIP
    'First Citizen:'
    """
    if data_dir is None and os.environ.get(DATA_DIR_VARIABLE):
        data_dir, origin = os.environ[DATA_DIR_VARIABLE], f"${DATA_DIR_VARIABLE}"
    else:
        origin = "data_dir"
    if isinstance(urls, str):
        raise TypeError(f"urls must be a sequence of addresses, not a single string; got {urls!r}.")
    url_list = tuple(URLS if urls is None else urls)
    tried: list[str] = []
    if data_dir is not None:
        folder = Path(data_dir).expanduser() / SUBFOLDER
        if not folder.is_dir():
            raise FileNotFoundError(
                _("{origin} is {value}, but {folder} is not a folder. Expected a folder "
                  "that contains {file}; fix the path, or unset "
                  "{variable} to use the cache and the download.").format(
                    origin=origin, value=repr(str(data_dir)), folder=folder,
                    file=f"{SUBFOLDER}/{FILE_NAME}", variable=DATA_DIR_VARIABLE)
            )
        if (folder / FILE_NAME).is_file():
            return read_verified(folder / FILE_NAME)
        tried.append(_("{folder}: no {name}").format(folder=folder, name=FILE_NAME))
    else:
        tried.append(_("${variable}: not set").format(variable=DATA_DIR_VARIABLE))
    cache = (Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()) / SUBFOLDER
    if (cache / FILE_NAME).is_file():
        return read_verified(cache / FILE_NAME)
    tried.append(_("cache {folder}: no {name}").format(folder=cache, name=FILE_NAME))
    if download:
        text = _download(cache, url_list, progress=progress, timeout=timeout, failures=tried)
        if text is not None:
            return text
    else:
        tried.append(_("download: turned off (download=False)"))
    where = Path(data_dir).expanduser() if data_dir is not None else Path("/path/to/data")
    raise DataUnavailableError(
        _("Tiny Shakespeare ({name}) could not be found or downloaded. Tried:").format(name=FILE_NAME)
        + "\n  - "
        + "\n  - ".join(tried)
        + "\n"
        + _("To work offline, copy {name} (sha256 {sha256}) into "
            "{folder} and set the environment variable {variable} to the "
            "folder that contains {subfolder}/ (export {variable}={where}).").format(
            name=FILE_NAME, sha256=SHA256, folder=where / SUBFOLDER, variable=DATA_DIR_VARIABLE,
            subfolder=SUBFOLDER, where=where)
    )


class CharVocabulary:
    """One integer id per distinct character, in sorted order.

    Parameters
    ----------
    text : str
        The text whose characters make up the vocabulary (Tiny Shakespeare
        has 65).

    Attributes
    ----------
    chars : str
        The characters, sorted; ``chars[i]`` has id ``i``.
    size : int
        ``len(chars)``.
    """

    def __init__(self, text: str) -> None:
        if not isinstance(text, str):
            raise TypeError(f"text must be a str; got {describe(text)}.")
        if not text:
            raise ValueError("text must hold at least one character; got an empty string.")
        self.chars = "".join(sorted(set(text)))
        self.size = len(self.chars)
        self._ids = {c: i for i, c in enumerate(self.chars)}
        self._table = np.array(list(self.chars))
        self._lookup = np.full(ord(self.chars[-1]) + 1, -1, dtype=np.int64)
        self._lookup[[ord(c) for c in self.chars]] = np.arange(self.size)

    def __repr__(self) -> str:
        return f"CharVocabulary({self.size} characters: {self.chars[:20]!r}...)"

    def __len__(self) -> int:
        return self.size

    def encode(self, text: str) -> np.ndarray:
        """``text`` as an ``int64`` array of ids, one per character."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str; got {describe(text)}.")
        unknown = sorted(set(text) - self._ids.keys())
        if unknown:
            raise ValueError(
                f"text contains {len(unknown)} character(s) outside the vocabulary: "
                f"{''.join(unknown)[:20]!r}; build the vocabulary from a text that has them."
            )
        if not text:
            return np.zeros(0, dtype=np.int64)
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        return self._lookup[codes]  # every code is in the table: checked above

    def decode(self, ids: Iterable[int] | np.ndarray) -> str:
        """The characters of an array (or list) of ids, as one string."""
        array = np.asarray(ids)
        if array.size == 0 and array.ndim == 1:
            return ""
        if array.dtype.kind not in "iu" or array.ndim != 1:
            raise TypeError(f"ids must be a 1-D array or list of integers; got {describe(ids)}.")
        if array.size and (array.min() < 0 or array.max() >= self.size):
            raise ValueError(
                f"ids must lie in 0..{self.size - 1}; got values from {array.min()} to {array.max()}."
            )
        return "".join(self._table[array].tolist())


def split_ids(ids: np.ndarray, train_fraction: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
    """The first ``train_fraction`` of ``ids`` for training, the rest for validation.

    The split is by position, not at random: the validation text is a
    continuous stretch the model never sees (the usual 90/10 split gives
    1,003,854 and 111,540 characters of Tiny Shakespeare).
    """
    if not isinstance(ids, np.ndarray) or ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be a 1-D NumPy integer array; got {describe(ids)}.")
    if isinstance(train_fraction, bool) or not isinstance(train_fraction, (int, float)):
        raise TypeError(f"train_fraction must be a float; got {describe(train_fraction)}.")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must lie strictly between 0 and 1; got {train_fraction!r}.")
    n = int(train_fraction * len(ids))
    return ids[:n], ids[n:]


def sample_batch(
    ids: np.ndarray, batch_size: int, block_size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Draw ``batch_size`` random windows of ``block_size`` ids and their next ids.

    Returns ``(x, y)``, two ``int64`` arrays of shape (batch_size, block_size)
    with ``y[b, t] == ids[start_b + t + 1]``: at every position the target is
    the character that follows. Both frameworks train on these NumPy batches.
    """
    if not isinstance(ids, np.ndarray) or ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise TypeError(f"ids must be a 1-D NumPy integer array; got {describe(ids)}.")
    batch_size = check_integer("batch_size", batch_size, low=1)
    block_size = check_integer("block_size", block_size, low=1)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator; got {describe(rng)}.")
    if len(ids) <= block_size:
        raise ValueError(
            f"ids must be longer than block_size={block_size}; got {len(ids)} ids."
        )
    starts = rng.integers(0, len(ids) - block_size, size=batch_size)
    offsets = np.arange(block_size)
    x = ids[starts[:, None] + offsets].astype(np.int64)
    y = ids[starts[:, None] + offsets + 1].astype(np.int64)
    return x, y
