"""MNIST as NumPy arrays, verified, from a local folder, a cache or a mirror.

:func:`load_mnist` looks for each of the four original MNIST files in turn in

1. ``$COURSE_DATA_DIR/mnist/`` (or the ``data_dir`` argument), for machines
   without internet access;
2. the user cache directory (``platformdirs.user_cache_dir("course-utils")``,
   or ``$COURSE_CACHE_DIR``, or the ``cache_dir`` argument);
3. public mirrors, downloaded with :mod:`pooch` into the cache: first the
   mirrors named in ``$COURSE_MNIST_MIRROR``, if set, then :data:`MIRRORS`.

Where the default mirrors are slow or blocked (in mainland China, for
example, Google's storage is not reachable), name a closer copy of the four
``.gz`` files: ``COURSE_MNIST_MIRROR=https://example.org/mnist/`` (several
base URLs may be given, separated by spaces). Any copy is safe to use, since
each file is verified against the published digests.

Every file is checked before use: its IDX header (magic number and
dimensions), its size and the SHA-256 digest of its decompressed content,
against the published values. A file may be gzip-compressed or not; the
digests are of the decompressed bytes, so any faithful copy passes.

Downloads go to a private staging folder inside the cache and are moved into
place only after they pass every check, so the cache never holds a partial or
corrupt file.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple, Sequence

import numpy as np

from .i18n import _
from .validation import check_path, check_real, describe

__all__ = [
    "MIRRORS",
    "MNIST_FILES",
    "DataIntegrityError",
    "DataUnavailableError",
    "MnistData",
    "Split",
    "default_cache_dir",
    "load_mnist",
    "normalize_images",
    "read_idx",
]

#: Public mirrors that serve the original compressed files, tried in order.
MIRRORS: tuple[str, ...] = (
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

DATA_DIR_VARIABLE = "COURSE_DATA_DIR"
MIRROR_VARIABLE = "COURSE_MNIST_MIRROR"
CACHE_DIR_VARIABLE = "COURSE_CACHE_DIR"

#: Pixel values are divided by this to bring them into [0, 1]. Both framework
#: adapters and :func:`normalize_images` use it, so all three agree exactly.
PIXEL_SCALE = 255.0

_IDX_UBYTE = 0x08
_GZIP_MAGIC = b"\x1f\x8b"


class DataIntegrityError(ValueError):
    """A data file is present but is not the file it should be."""


class DataUnavailableError(FileNotFoundError):
    """A data file could not be found locally nor downloaded."""


@dataclass(frozen=True)
class IdxFile:
    """One of the four MNIST files and what its decompressed content must be."""

    name: str
    shape: tuple[int, ...]
    sha256: str

    @property
    def nbytes(self) -> int:
        """Size of the decompressed file: a 4-byte magic, 4 bytes per dimension, the data."""
        return 4 + 4 * len(self.shape) + int(np.prod(self.shape))


#: The four files, with the published SHA-256 digests of their decompressed content.
MNIST_FILES: dict[str, IdxFile] = {
    f.name: f
    for f in (
        IdxFile(
            "train-images-idx3-ubyte",
            (60000, 28, 28),
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
        ),
        IdxFile(
            "train-labels-idx1-ubyte",
            (60000,),
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
        ),
        IdxFile(
            "t10k-images-idx3-ubyte",
            (10000, 28, 28),
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
        ),
        IdxFile(
            "t10k-labels-idx1-ubyte",
            (10000,),
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        ),
    )
}


class Split(NamedTuple):
    """Images (uint8, N x 28 x 28) and labels (uint8, N) of one split."""

    images: np.ndarray
    labels: np.ndarray


class MnistData(NamedTuple):
    """The training and test splits; unpacks like Keras' ``mnist.load_data()``.

    ``(x_train, y_train), (x_test, y_test) = load_mnist()`` works, and so do
    ``data.train.images`` and ``data.test.labels``.
    """

    train: Split
    test: Split


def default_cache_dir() -> Path:
    """The folder that holds downloaded data: ``$COURSE_CACHE_DIR`` or the user cache."""
    override = os.environ.get(CACHE_DIR_VARIABLE)
    if override:
        return Path(override).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("course-utils", appauthor=False))


def read_idx(path: str | os.PathLike, expected: IdxFile | None = None) -> np.ndarray:
    """Read an IDX file (gzip-compressed or not) into a NumPy ``uint8`` array.

    Parameters
    ----------
    path : str or os.PathLike
        The file to read.
    expected : IdxFile or None
        When given, the file must match it exactly: the same dimensions and
        the same SHA-256 digest of the decompressed content. The four MNIST
        files are described in :data:`MNIST_FILES`.

    Returns
    -------
    numpy.ndarray
        A writable ``uint8`` array with the dimensions stored in the header.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist (:class:`course_utils.validation.MissingPathError`).
    DataIntegrityError
        If the file is not a well-formed unsigned-byte IDX file, is truncated,
        or differs from ``expected``. The message names the file, says what was
        expected and what was found, and what to do.
    """
    path = check_path("path", path, kind="file")
    raw = _decompressed_bytes(path)
    shape = _parse_idx_header(path, raw)
    if expected is not None:
        _check_against(path, raw, shape, expected)
    offset = 4 + 4 * len(shape)
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape).copy()


def _advice(path: Path) -> str:
    return _(
        "Delete {path} and run again to fetch a fresh copy, or replace it with the "
        "original file from a public mirror (the course README lists the digests)."
    ).format(path=path)


def _decompressed_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataIntegrityError(
            _("{path} looks gzip-compressed but cannot be decompressed ({error}); it is probably "
              "truncated or corrupt. {advice}").format(path=path, error=exc, advice=_advice(path))
        ) from None


def _parse_idx_header(path: Path, raw: bytes) -> tuple[int, ...]:
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != _IDX_UBYTE or raw[3] == 0:
        raise DataIntegrityError(
            _("{path} is not an unsigned-byte IDX file: it should start with the bytes "
              "00 00 08 followed by the number of dimensions, but starts with "
              "{start}. {advice}").format(
                path=path, start=raw[:4].hex(" ") or _("nothing (the file is empty)"),
                advice=_advice(path))
        )
    ndim = raw[3]
    header_size = 4 + 4 * ndim
    if len(raw) < header_size:
        raise DataIntegrityError(
            _("{path} is truncated: its IDX header announces {ndim} dimensions "
              "({header_size} header bytes) but the file has only {size} bytes. {advice}").format(
                path=path, ndim=ndim, header_size=header_size, size=len(raw), advice=_advice(path))
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected_size = header_size + int(np.prod(shape, dtype=np.int64))
    if len(raw) != expected_size:
        if len(raw) < expected_size:
            message = _("{path} is truncated: its IDX header announces shape {shape}, so its "
                        "decompressed size should be {expected} bytes, but it is {size} bytes. "
                        "{advice}")
        else:
            message = _("{path} is too long: its IDX header announces shape {shape}, so its "
                        "decompressed size should be {expected} bytes, but it is {size} bytes. "
                        "{advice}")
        raise DataIntegrityError(message.format(
            path=path, shape=shape, expected=expected_size, size=len(raw), advice=_advice(path)))
    return shape


def _check_against(path: Path, raw: bytes, shape: tuple[int, ...], expected: IdxFile) -> None:
    if shape != expected.shape:
        raise DataIntegrityError(
            _("{path} is not {name}: its IDX header gives shape {shape}, "
              "expected {expected}. {advice}").format(
                path=path, name=expected.name, shape=shape, expected=expected.shape,
                advice=_advice(path))
        )
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected.sha256:
        raise DataIntegrityError(
            _("{path} is corrupt or not the original {name}: the SHA-256 digest of its "
              "decompressed content is {actual}, expected {expected}. {advice}").format(
                path=path, name=expected.name, actual=actual, expected=expected.sha256,
                advice=_advice(path))
        )


def user_mirrors() -> tuple[str, ...]:
    """The base URLs in ``$COURSE_MNIST_MIRROR`` (separated by spaces), checked; may be empty."""
    value = os.environ.get(MIRROR_VARIABLE, "")
    urls = tuple(value.split())
    for url in urls:
        if not url.startswith(("https://", "http://", "ftp://")):
            raise ValueError(
                f"${MIRROR_VARIABLE} should hold base URLs (https://, http:// or ftp://) of a "
                f"folder with the four MNIST .gz files, separated by spaces; got {url!r} in "
                f"{value!r}. Fix it, or unset {MIRROR_VARIABLE} to use the default mirrors."
            )
    return urls


def _candidates(folder: Path, name: str) -> list[Path]:
    """The files in ``folder`` that may hold ``name``: compressed first, then plain."""
    return [p for p in (folder / f"{name}.gz", folder / name) if p.is_file()]


def _download(
    spec: IdxFile,
    cache: Path,
    mirrors: Sequence[str],
    *,
    progress: bool,
    timeout: float,
    failures: list[str],
) -> np.ndarray | None:
    """Try each mirror in turn; return the verified array, or None if all failed.

    Each download lands in a private staging folder inside ``cache`` and is
    moved into ``cache`` only once it has passed every check.
    """
    import pooch
    import requests

    cache.mkdir(parents=True, exist_ok=True)
    for mirror in mirrors:
        url = mirror.rstrip("/") + f"/{spec.name}.gz"
        staging = Path(tempfile.mkdtemp(prefix=".download-", dir=cache))
        try:
            downloader = pooch.HTTPDownloader(progressbar=progress, timeout=timeout)
            fetched = Path(
                pooch.retrieve(
                    url,
                    known_hash=None,
                    fname=f"{spec.name}.gz",
                    path=staging,
                    downloader=downloader,
                    progressbar=progress,
                )
            )
            array = read_idx(fetched, spec)
            os.replace(fetched, cache / f"{spec.name}.gz")
            return array
        except DataIntegrityError as exc:
            failures.append(
                _("{url}: the download failed verification ({error})").format(url=url, error=exc)
            )
        except (requests.RequestException, OSError) as exc:
            failures.append(f"{url}: {type(exc).__name__}: {exc}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return None


def _load_file(
    spec: IdxFile,
    data_dir: Path | None,
    cache: Path,
    mirrors: Sequence[str],
    *,
    download: bool,
    progress: bool,
    timeout: float,
) -> np.ndarray:
    tried: list[str] = []
    if data_dir is not None:
        found = _candidates(data_dir, spec.name)
        if found:
            return read_idx(found[0], spec)
        tried.append(_("{folder}: no {name}.gz or {name}").format(folder=data_dir, name=spec.name))
    else:
        tried.append(_("${variable}: not set").format(variable=DATA_DIR_VARIABLE))
    found = _candidates(cache, spec.name)
    if found:
        return read_idx(found[0], spec)
    tried.append(_("cache {folder}: no {name}.gz or {name}").format(folder=cache, name=spec.name))
    if download:
        array = _download(spec, cache, mirrors, progress=progress, timeout=timeout, failures=tried)
        if array is not None:
            return array
    else:
        tried.append(_("download: turned off (download=False)"))
    where = data_dir if data_dir is not None else Path("/path/to/data") / "mnist"
    raise DataUnavailableError(
        _("MNIST file {name} could not be found or downloaded. Tried:").format(name=spec.name)
        + "\n  - "
        + "\n  - ".join(tried)
        + "\n"
        + _("To work offline, copy the four MNIST files (gzip-compressed or not) into a folder "
            "named mnist, for example {where}, and set the environment variable "
            "{variable} to the folder that contains mnist/ "
            "(export {variable}={parent}).").format(
            where=where, variable=DATA_DIR_VARIABLE, parent=where.parent)
    )


def load_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    cache_dir: str | os.PathLike | None = None,
    mirrors: Sequence[str] | None = None,
    download: bool = True,
    progress: bool = True,
    timeout: float = 60.0,
) -> MnistData:
    """Load the MNIST training and test sets as NumPy arrays.

    Parameters
    ----------
    data_dir : str, os.PathLike or None
        A folder that contains ``mnist/`` with the four original files
        (``train-images-idx3-ubyte`` and so on, each gzip-compressed or not).
        Defaults to ``$COURSE_DATA_DIR``; when neither is set, this step is skipped.
    cache_dir : str, os.PathLike or None
        Where downloads are kept. Defaults to ``$COURSE_CACHE_DIR`` or the user
        cache folder; the files go into its ``mnist/`` subfolder.
    mirrors : sequence of str or None
        Base URLs tried in order for a file that is not found locally.
        Defaults to the URLs in ``$COURSE_MNIST_MIRROR`` (if set), then
        :data:`MIRRORS`.
    download : bool
        Set to False to fail rather than reach the network.
    progress : bool
        Show a progress bar while downloading.
    timeout : float > 0
        Seconds to wait for a mirror to answer before trying the next one.

    Returns
    -------
    MnistData
        ``train`` and ``test`` splits of ``(images, labels)``: images are
        ``uint8`` arrays of shape (60000, 28, 28) and (10000, 28, 28), labels
        ``uint8`` arrays of shape (60000,) and (10000,) with values 0-9.

    Raises
    ------
    FileNotFoundError
        If ``data_dir`` (or ``$COURSE_DATA_DIR``) names a folder without ``mnist/``.
    DataIntegrityError
        If a file is present but corrupt, truncated or not the expected file.
    DataUnavailableError
        If a file is neither present nor downloadable; the message says where
        to put the files and which variable to set.
    """
    if data_dir is None and os.environ.get(DATA_DIR_VARIABLE):
        data_dir, origin = os.environ[DATA_DIR_VARIABLE], f"${DATA_DIR_VARIABLE}"
    else:
        origin = "data_dir"
    mnist_dir: Path | None = None
    if data_dir is not None:
        base = Path(data_dir).expanduser()
        mnist_dir = base / "mnist"
        if not mnist_dir.is_dir():
            raise FileNotFoundError(
                _("{origin} is {value}, but {folder} is not a folder. Expected a "
                  "folder that contains mnist/ with the four MNIST files (gzip-compressed or not); "
                  "fix the path, or unset {variable} to use the cache and the download.").format(
                    origin=origin, value=repr(str(data_dir)), folder=mnist_dir,
                    variable=DATA_DIR_VARIABLE)
            )
    cache = (Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()) / "mnist"
    if isinstance(mirrors, str):
        raise TypeError(
            f"mirrors must be a sequence of base URLs, not a single string; got {mirrors!r}."
        )
    timeout = check_real("timeout", timeout, low=0, low_open=True)
    mirror_list = tuple(user_mirrors() + MIRRORS if mirrors is None else mirrors)
    arrays = {
        name: _load_file(
            spec, mnist_dir, cache, mirror_list, download=download, progress=progress, timeout=timeout
        )
        for name, spec in MNIST_FILES.items()
    }
    return MnistData(
        train=Split(arrays["train-images-idx3-ubyte"], arrays["train-labels-idx1-ubyte"]),
        test=Split(arrays["t10k-images-idx3-ubyte"], arrays["t10k-labels-idx1-ubyte"]),
    )


def normalize_images(images: np.ndarray) -> np.ndarray:
    """Scale ``uint8`` pixel values to ``float32`` values in [0, 1].

    This is the NumPy reference for what both framework adapters do to each
    batch; the tests check that all three give identical numbers.

    images : numpy.ndarray of uint8, any shape
    """
    if not isinstance(images, np.ndarray) or images.dtype != np.uint8:
        raise TypeError(f"images must be a NumPy uint8 array; got {describe(images)}.")
    return images.astype(np.float32) / np.float32(PIXEL_SCALE)
