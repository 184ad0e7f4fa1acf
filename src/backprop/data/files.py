"""Dataset files: IDX (MNIST, Fashion-MNIST), CSV and ``.npz``, and the one entry point
:func:`load_dataset` (a built-in generator name from :mod:`backprop.data.toy`, ``"mnist"``, or a
path).

Images travel flattened (MNIST: 784 columns, row-major 28 x 28, values in ``[0, 1]``). Files are
read without pickling (``np.load(..., allow_pickle=False)``).
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import as_float_array, check_int
from .toy import DATASETS

__all__ = [
    "MNIST_ENV", "find_mnist_dir", "load_csv", "load_dataset", "load_idx", "load_mnist",
    "load_npz", "save_idx",
]


# --------------------------------------------------------------------------------------------
# IDX files (MNIST, Fashion-MNIST)
# --------------------------------------------------------------------------------------------

# IDX type code -> element type (big-endian on disk, as the format specifies)
_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _check_data_file(path: Path, what: str) -> None:
    """``path`` must be a regular file: a missing one is a ``FileNotFoundError``; a folder, a
    named pipe, a device or a socket is a ``ValueError`` that says which (reading a pipe would
    wait for a writer, a device may never end)."""
    if path.is_file():
        return
    if not path.exists():
        raise FileNotFoundError(f"{what} not found: {path}")
    kind = (" but a folder" if path.is_dir() else " but a named pipe (FIFO)" if path.is_fifo()
            else " but a socket" if path.is_socket()
            else " but a device" if path.is_block_device() or path.is_char_device() else "")
    raise ValueError(f"{what} {str(path)!r} is not a regular file{kind}; data is read from "
                     f"regular files only")


def _read_maybe_gzip(path: Path) -> bytes:
    """File contents, gunzipped when the file starts with the gzip magic bytes."""
    from ..io import read_regular_file

    raw = read_regular_file(path, "IDX file")
    if raw[:2] != _GZIP_MAGIC:
        return raw
    # Decompress in chunks, stopping once past what the IDX header declares: a small file whose
    # gzip stream expands far beyond its header's sizes is refused without holding it all.
    out = bytearray()
    limit: int | None = None
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
            while True:
                chunk = gz.read(1 << 20)
                if not chunk:
                    break
                out += chunk
                if limit is None and len(out) >= 4 and len(out) >= 4 + 4 * out[3]:
                    ndim = out[3]
                    dims = struct.unpack(f">{ndim}I", bytes(out[4:4 + 4 * ndim]))
                    itemsize = _IDX_TYPES[out[2]].itemsize if out[2] in _IDX_TYPES else 1
                    limit = 4 + 4 * ndim + math.prod(dims) * itemsize
                if limit is not None and len(out) > limit:
                    raise ValueError(f"{path}: the gzip data holds more than the {limit:,} bytes "
                                     f"its IDX header declares")
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: gzip data is corrupt or truncated ({exc})") from exc
    return bytes(out)


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not, into a native-endian array.

    Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions ``d``, then ``d`` big-endian uint32
    sizes, then the elements, big-endian, row-major. Compression is detected from the gzip
    magic bytes, not from the file name.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        Naming the path and the problem: bad magic, unknown type code, truncated data, trailing
        bytes, corrupt gzip.
    """
    path = Path(path)
    _check_data_file(path, "IDX file")
    data = _read_maybe_gzip(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(data)} bytes, the header needs 4)")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise ValueError(f"{path}: not an IDX file (magic starts with bytes "
                         f"{data[:4].hex(' ')}, expected 00 00 <type> <ndim>)")
    if code not in _IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_TYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, {ndim} dimensions "
                         f"need {header_len})")
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = _IDX_TYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    found = len(data) - header_len
    if found < expected:
        raise ValueError(f"{path}: truncated IDX data: shape {dims} of {dtype.name} needs "
                         f"{expected} bytes after the header, found {found}")
    if found > expected:
        raise ValueError(f"{path}: {found - expected} unexpected bytes after the IDX data "
                         f"(shape {dims} of {dtype.name} needs {expected})")
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(dims), offset=header_len)
    return arr.reshape(dims).astype(dtype.newbyteorder("="))


def save_idx(path: str | os.PathLike[str], array: Any, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (inverse of :func:`load_idx`).

    Parameters
    ----------
    path : path-like
    array : ndarray of uint8, int8, int16, int32, float32 or float64, at least 1-D
    compress : bool, optional
        gzip the file; defaults to whether ``path`` ends in ``.gz``.
    """
    path = Path(path)
    arr = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in _IDX_TYPES.items()}
    native = arr.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(f"IDX cannot store dtype {arr.dtype}; use one of "
                        f"{', '.join(dt.name for dt in _IDX_TYPES.values())}")
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, got shape {arr.shape}")
    code = codes[native]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + np.ascontiguousarray(arr, dtype=_IDX_TYPES[code]).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------

MNIST_ENV = "BACKPROP_MNIST_DIR"
_MNIST_KINDS = {"t10k": "t10k", "test": "t10k", "train": "train"}


def _mnist_file(directory: Path, kind: str, what: str) -> Path | None:
    """The images/labels file of ``kind`` in ``directory``, under its usual names."""
    ndim = 3 if what == "images" else 1
    for stem in (f"{kind}-{what}-idx{ndim}-ubyte", f"{kind}-{what}.idx{ndim}-ubyte"):
        for name in (stem + ".gz", stem):
            if (directory / name).is_file():
                return directory / name
    return None


def _has_mnist(directory: Path) -> bool:
    return directory.is_dir() and any(
        _mnist_file(directory, kind, "images") is not None for kind in ("t10k", "train"))


def find_mnist_dir() -> Path | None:
    """Where the MNIST files are, or ``None``.

    Looks at ``$BACKPROP_MNIST_DIR`` first, then for ``shared/data/mnist`` in the current
    directory, the package directory and each of their parents (a checkout at ``<root>/repo``
    finds ``<root>/shared/data/mnist``). A directory counts when it holds a ``t10k`` or
    ``train`` images file.
    """
    env = os.environ.get(MNIST_ENV)
    if env:
        return Path(env) if _has_mnist(Path(env)) else None
    package = Path(__file__).resolve().parent.parent  # src/backprop, not src/backprop/data
    starts = [Path.cwd().resolve(), package]
    for start in starts:
        for base in (start, *start.parents):
            candidate = base / "shared" / "data" / "mnist"
            if _has_mnist(candidate):
                return candidate
    return None


def load_mnist(directory: str | os.PathLike[str] | None = None, *, kind: str = "t10k"
               ) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST (or Fashion-MNIST, same format) from IDX files.

    Parameters
    ----------
    directory : path-like, optional
        Folder holding ``{kind}-images-idx3-ubyte[.gz]`` and ``{kind}-labels-idx1-ubyte[.gz]``.
        Default: :func:`find_mnist_dir` (``$BACKPROP_MNIST_DIR``, else ``shared/data/mnist``
        found by walking up from the working directory and from the package).
    kind : {"t10k", "test", "train"}
        ``"test"`` is an alias of ``"t10k"`` (the 10,000 test images).

    Returns
    -------
    X : ndarray of float32, shape (n, 784)
        Pixels scaled to ``[0, 1]`` (divided by 255), rows are row-major 28 x 28 images.
    y : ndarray of int64, shape (n,)
        Digits 0..9.
    """
    if kind not in _MNIST_KINDS:
        raise ValueError(f"kind must be one of {', '.join(_MNIST_KINDS)}; got {kind!r}")
    kind = _MNIST_KINDS[kind]
    if directory is None:
        found = find_mnist_dir()
        if found is None:
            env = os.environ.get(MNIST_ENV)
            where = (f"${MNIST_ENV}={env} holds no MNIST files" if env else
                     f"${MNIST_ENV} is not set and no shared/data/mnist was found above "
                     f"{Path.cwd()} or the package")
            raise FileNotFoundError(f"MNIST not found: {where}. Put the IDX files "
                                    f"({kind}-images-idx3-ubyte.gz, ...) in a folder and pass "
                                    f"it, or set ${MNIST_ENV}.")
        directory = found
    directory = Path(directory)
    images = _mnist_file(directory, kind, "images")
    labels = _mnist_file(directory, kind, "labels")
    if images is None or labels is None:
        missing = [f"{kind}-{w}-idx{d}-ubyte[.gz]" for w, d, f in
                   (("images", 3, images), ("labels", 1, labels)) if f is None]
        raise FileNotFoundError(f"MNIST files {', '.join(missing)} not found in {directory}")
    X = load_idx(images)
    y = load_idx(labels)
    if X.ndim != 3 or X.dtype != np.uint8:
        raise ValueError(f"{images}: expected uint8 images of shape (n, rows, cols), got "
                         f"{X.dtype} {X.shape}")
    if y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{labels}: expected {X.shape[0]} labels, got shape {y.shape}")
    X = X.reshape(X.shape[0], -1).astype(np.float32) / np.float32(255.0)
    return X, y.astype(np.int64)


# --------------------------------------------------------------------------------------------
# CSV and NPZ
# --------------------------------------------------------------------------------------------

def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_csv(path: str | os.PathLike[str], *, label_column: int | str | None = -1,
             header: bool | str = "auto", delimiter: str = ",",
             return_classes: bool = False, return_names: bool = False) -> Any:
    """Read a numeric table with one label column.

    Parameters
    ----------
    path : path-like
    label_column : int, str or None, default -1
        Index (negative counts from the end) or header name of the label column; ``None``
        means every column is a feature and ``y`` is ``None``.
    header : bool or "auto"
        ``"auto"``: the first row is a header when one of its feature fields is not a number
        (or when ``label_column`` is a name).
    delimiter : str, default ","
    return_classes : bool, default False
        Also return ``classes``: for string labels the list of label names, where ``y == k``
        means ``classes[k]``; ``None`` for numeric labels.
    return_names : bool, default False
        Also return the feature columns' names (from the header; ``None`` without one).

    Returns
    -------
    X : ndarray of float64, shape (n, n_features)
    y : ndarray or None
        Numeric labels that are all integral become ``int64``, other numbers stay ``float64``
        (regression targets). String labels become ``int64`` codes in *sorted* order of the
        names (as scikit-learn's ``LabelEncoder``), so the mapping does not depend on row order.
    classes : list of str or None
        Only with ``return_classes=True``.
    names : list of str or None
        Only with ``return_names=True``.

    Raises
    ------
    ValueError
        Naming the line and column: a field that is not a number, an empty label, a row of
        another width, a field longer than the CSV reader's limit, text that is not UTF-8.
    """
    path = Path(path)
    _check_data_file(path, "CSV file")
    if header not in (True, False, "auto"):
        raise ValueError(f"header must be True, False or 'auto', got {header!r}")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise ValueError(f"delimiter must be one character, got {delimiter!r}")
    reader = None
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            rows = [(reader.line_num, [f.strip() for f in row]) for row in reader
                    if row and any(f.strip() for f in row)]
    except csv.Error as exc:
        line = reader.line_num if reader is not None else "?"
        raise ValueError(f"{path}: line {line}: not readable as CSV ({exc})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file ({exc.reason} at byte "
                         f"{exc.start})") from None
    if not rows:
        raise ValueError(f"{path}: no data (the file is empty)")
    width = len(rows[0][1])
    for line_no, row in rows:
        if len(row) != width:
            raise ValueError(f"{path}: line {line_no} has {len(row)} fields, expected {width}")

    first = rows[0][1]
    if isinstance(label_column, str):
        if header is False:
            raise ValueError(f"label_column {label_column!r} is a name but header=False")
        header = True
    lab: int | None = None
    if label_column is not None and not isinstance(label_column, str):
        lab = check_int("label_column", label_column)
        if not -width <= lab < width:
            raise ValueError(f"label_column {lab} is out of range for {width} columns")
        lab %= width
    if header == "auto":
        header = any(not _is_number(f) for j, f in enumerate(first) if j != lab)
    names = first if header else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"{path}: no data rows after the header")
    if isinstance(label_column, str):
        if names is None or label_column not in names:
            raise ValueError(f"label_column {label_column!r} not found in header {names}")
        lab = names.index(label_column)

    table = np.array([row for _, row in body], dtype=str)
    feature_cols = [j for j in range(width) if j != lab]
    if not feature_cols:
        raise ValueError(f"{path}: no feature columns besides the label column")
    X = _parse_numbers(path, table[:, feature_cols], body, feature_cols)
    y: np.ndarray | None = None
    classes: list[str] | None = None
    if lab is not None:
        raw = table[:, lab]
        blank = np.flatnonzero(raw == "")
        if blank.size:
            line_no = body[int(blank[0])][0]
            raise ValueError(f"{path}: line {line_no} has an empty label (column {lab}); "
                             f"every row needs one")
        if all(_is_number(v) for v in raw):
            y = np.array([float(v) for v in raw], dtype=np.float64)
            if np.all(np.isfinite(y)) and np.all(np.mod(y, 1) == 0):
                y = y.astype(np.int64)
        else:
            uniq, codes = np.unique(raw, return_inverse=True)
            classes = [str(u) for u in uniq]
            y = codes.reshape(-1).astype(np.int64)
    out: tuple[Any, ...] = (X, y)
    if return_classes:
        out += (classes,)
    if return_names:
        out += (None if names is None else [names[j] for j in feature_cols],)
    return out


def _parse_numbers(path: Path, cells: np.ndarray, body: list[tuple[int, list[str]]],
                   cols: list[int]) -> np.ndarray:
    """Convert the string table ``cells`` (rows of ``body``, columns ``cols``) to float64.

    The conversion runs in NumPy; only when that fails are the fields re-read one by one with
    Python's ``float`` (which also accepts a few spellings NumPy refuses, such as ``1_000``),
    naming the first field that is not a number.
    """
    try:
        return cells.astype(np.float64)
    except ValueError:
        pass
    out = np.empty(cells.shape, dtype=np.float64)
    for i, (line_no, row) in enumerate(body):
        for k, col in enumerate(cols):
            try:
                out[i, k] = float(row[col])
            except ValueError:
                raise ValueError(f"{path}: cannot read {row[col]!r} as a number at line "
                                 f"{line_no}, column {col}") from None
    return out


def load_npz(path: str | os.PathLike[str], x_key: str = "X", y_key: str | None = "y"
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """Read ``X`` (and ``y``) from an ``.npz`` archive, never unpickling.

    Returns
    -------
    X : ndarray
        float32/float64 as stored; other numeric types become float64.
    y : ndarray or None
        Integer labels become int64; other dtypes are returned as stored. ``None`` when
        ``y_key`` is None.
    """
    from ..io import read_npz  # bounded: headers checked against sizes before allocating

    path = Path(path)
    _check_data_file(path, "npz file")
    arrays = read_npz(path, what="data file (.npz)", allow_text=True)
    keys = sorted(arrays)
    for key in (x_key, y_key):
        if key is not None and key not in arrays:
            raise ValueError(f"{path}: no array {key!r} in the archive (has {keys})")
    X = arrays[x_key]
    y = None if y_key is None else arrays[y_key]
    X = as_float_array(f"{path}[{x_key!r}]", X)
    if y is not None and np.issubdtype(y.dtype, np.integer):
        y = y.astype(np.int64)
    return X, y


# --------------------------------------------------------------------------------------------
# one entry point
# --------------------------------------------------------------------------------------------

_IDX_SUFFIXES = (".gz", ".idx", "-ubyte")


def _idx_pair(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """An IDX images/labels pair from the path of either file (MNIST naming)."""
    name = path.name
    if "images" in name:
        partner = name.replace("images", "labels").replace("idx3", "idx1")
    elif "labels" in name:
        partner = name.replace("labels", "images").replace("idx1", "idx3")
    else:
        raise ValueError(f"{path}: cannot tell whether this IDX file holds images or labels "
                         "(expected 'images' or 'labels' in its name)")
    # the partner may be compressed when this one is not, or the other way round
    stem = partner.removesuffix(".gz")
    candidates = [path.with_name(stem + ".gz"), path.with_name(stem)]
    other = next((c for c in candidates if c.is_file()), path.with_name(partner))
    images, labels = (path, other) if "images" in name else (other, path)
    X = load_idx(images)
    y = load_idx(labels)
    if X.shape[0] != y.shape[0] or y.ndim != 1:
        raise ValueError(f"{images} has {X.shape[0]} samples but {labels} has shape {y.shape}")
    X = X.reshape(X.shape[0], -1)
    X = X.astype(np.float32) / np.float32(255) if X.dtype == np.uint8 else X.astype(np.float64)
    return X, y.astype(np.int64)


def load_dataset(name_or_path: str | os.PathLike[str], **kw: Any) -> Any:
    """Load a dataset by name or path and return ``(X, y)``.

    * a generator name registered in :data:`backprop.data.toy.DATASETS` (the built-ins ``xor``,
      ``spirals``, ``moons``, ``circles``, ``blobs``, and any added with
      :func:`~backprop.data.toy.register_dataset`) -- ``kw`` goes to the generator (``n``,
      ``noise``, ``rng``...);
    * ``"mnist"`` -- :func:`load_mnist` with ``kw`` (``directory``, ``kind``);
    * a directory -- :func:`load_mnist` on it;
    * a file by extension: ``.csv`` (:func:`load_csv`), ``.npz`` (:func:`load_npz`), ``.gz``,
      ``.idx`` or ``-ubyte`` (an IDX images or labels file; its partner is found by the MNIST
      naming, ``images-idx3`` <-> ``labels-idx1``).
    """
    if isinstance(name_or_path, str) and name_or_path.lower() in DATASETS:
        return DATASETS[name_or_path.lower()](**kw)
    if isinstance(name_or_path, str) and name_or_path.lower() == "mnist":
        return load_mnist(**kw)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"name_or_path must be a name or a path, got {name_or_path!r}")
    path = Path(name_or_path)
    if path.is_dir():
        return load_mnist(path, **kw)
    name = path.name.lower()
    if name.endswith(".csv"):
        return load_csv(path, **kw)
    if name.endswith(".npz"):
        return load_npz(path, **kw)
    if name.endswith(_IDX_SUFFIXES):
        if kw:
            raise TypeError(f"IDX files take no options, got {sorted(kw)}")
        return _idx_pair(path)
    known = ", ".join([*DATASETS.names(), "mnist"])
    raise ValueError(f"unknown dataset {str(name_or_path)!r}: expected one of {known}, or a "
                     ".csv / .npz / IDX (.gz, .idx, -ubyte) file or an MNIST folder")
