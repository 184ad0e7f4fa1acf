"""The file format of models and training checkpoints -- never pickle.

This module is the public file API the rest builds on: :func:`write_archive` /
:func:`read_archive` (one ``.npz`` with a JSON document), :func:`describe` / :func:`build_layers`
(a network's architecture as JSON and back, through the layer registry), :func:`load_state` and
atomic writes. :func:`backprop.save` / :func:`backprop.load` (in :mod:`backprop.models`) write and
read whole models with it; :mod:`backprop.training.checkpoint` writes checkpoints with it.

File format (version 1)
-----------------------
A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays, CRC-checked) that is read with
``allow_pickle=False``, so loading a file can never run code. It holds:

``__meta__``
    a UTF-8 JSON document stored as a ``uint8`` array::

        {"format": "backprop", "kind": "model" | "checkpoint", "version": 1,
         "layers": [{"type": "dense", "config": {...}}, ...],
         "extra": {...}}                # JSON-able user data (loss name, classes, ...)

``param/<i>.<name>``
    every trainable parameter (``param/0.W``, ``param/0.b``, ...);
``buffer/<i>.<name>``
    every buffer (batch-norm running statistics);
``array/<key>``
    additional named arrays (a standardiser's mean and scale, an optimiser's moments).

Files are written atomically: into a temporary file in the target directory, flushed and synced,
then renamed over the destination, so a crash never leaves a half-written model. The destination
must be a regular file or not exist yet: a symbolic link, a device, a pipe or a folder is refused
(renaming over it would replace the link or the device, not write what it points to). The
temporary file is ``.<name>.<pid>.<random>.tmp``; it is removed on every exit path Python sees,
and one left by a killed process (whose pid no longer runs) is removed by the next writer of the
same file.

Reading is bounded: every ``.npy`` header is read from the zip first and its shape times its item
size compared with the member's size, and the member's declared size with what the file holds,
before anything is allocated; the JSON document's nesting depth is limited, its structure checked,
and every layer's configuration compared with the arrays present before the layer is built. No
file can make :func:`read_archive` allocate more than a small multiple of its own size.

Loading rebuilds the network layer by layer and checks every array's shape and dtype;
predictions of the loaded model are bit-identical to the saved one's. A truncated, corrupted or
foreign file raises :class:`ModelFileError` (a ``ValueError``) that names the file and the
problem.
"""

from __future__ import annotations

import errno
import inspect
import json
import math
import os
import stat
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .layers.base import LAYERS, Layer
from .layers.sequential import Sequential

FORMAT = "backprop"
#: 2: layer types are registry names ("dense"); version 1 files named classes ("Dense")
VERSION = 2


class ModelFileError(ValueError):
    """A file that is not a readable backprop model/checkpoint."""


class OutputPathError(ValueError):
    """A path that cannot be written safely: a link, a device, a folder, or an input."""


#: a temporary file: ``.<name>.<pid>.<random>.tmp`` beside the target
_TMP_SUFFIX = ".tmp"


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return 255


def check_output_path(path: str | os.PathLike, *, probe: bool = False) -> Path:
    """Check that ``path`` can be written as a regular file, before any work is done.

    With ``probe``, a temporary file is also created (and removed) beside it, which finds what
    permissions alone do not tell (a read-only file system, a full quota, root on ``/proc``).

    Raises
    ------
    OutputPathError
        ``path`` is a symbolic link, a folder, a device, a pipe or a socket, its name is too
        long, or it cannot be written.
    FileNotFoundError
        Its folder does not exist.
    """
    path = Path(path)
    shown = str(path)
    if path.is_symlink():
        raise OutputPathError(f"{shown!r} is a symbolic link; files are written by renaming a "
                              f"new file into place, which would replace the link, not write "
                              f"where it points; give the real path")
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputPathError(f"cannot write {shown!r}: {exc.strerror or exc}") from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputPathError(f"{shown!r} is a folder; give a file name")
        if not stat.S_ISREG(st.st_mode):
            raise OutputPathError(f"{shown!r} is not a regular file (a device, a pipe or a "
                                  f"socket); only regular files are written")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        if folder.exists():
            raise OutputPathError(f"cannot write {shown!r}: {str(folder)!r} is not a folder")
        raise FileNotFoundError(errno.ENOENT, f"cannot write {shown!r}: the folder "
                                f"{str(folder)!r} does not exist (No such file or directory)")
    longest = len(os.fsencode(f".{path.name}.{os.getpid()}.12345678{_TMP_SUFFIX}"))
    if longest > _name_max(folder):
        raise OutputPathError(f"cannot write {shown!r}: the file name is too long (with the "
                              f"temporary file's suffix, over {_name_max(folder)} bytes)")
    if not os.access(folder, os.W_OK | os.X_OK) or (st is not None
                                                    and not os.access(path, os.W_OK)):
        raise OutputPathError(f"cannot write {shown!r}: permission denied")
    if probe:
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.",
                                       suffix=_TMP_SUFFIX, dir=folder)
        except OSError as exc:
            raise OutputPathError(f"cannot write {shown!r}: {exc.strerror or exc}") from None
        os.close(fd)
        os.unlink(tmp)
    return path


#: the largest text file (a spec, an architecture document) read whole
MAX_TEXT_BYTES = 64 * 2**20


def read_regular_file(path: str | os.PathLike, what: str = "file", *,
                      limit: int | None = None) -> bytes:
    """The bytes of ``path``, which must be a regular file (of at most ``limit`` bytes).

    The file is opened without blocking and checked *after* opening (``fstat``), so a named pipe
    never waits for a writer and a device (``/dev/zero``, ``/dev/stdin``) is never read without
    end, even when the path is swapped between a check and the read.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        ``path`` is a folder, a pipe, a device or a socket, or larger than ``limit``.
    """
    shown = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise FileNotFoundError(errno.ENOENT, f"{what} not found: {shown}", shown) from None
    except IsADirectoryError:
        raise ValueError(f"{what} {shown!r} is a folder, not a file") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a named pipe (FIFO)"
                    if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                    else "a device")
            raise ValueError(f"{what} {shown!r} is not a regular file but {kind}; only regular "
                             f"files are read")
        if limit is not None and st.st_size > limit:
            raise ValueError(f"{what} {shown!r} is {st.st_size:,} bytes, more than the "
                             f"{limit:,} accepted")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read() if limit is None else fh.read(limit + 1)
    finally:
        os.close(fd)
    if limit is not None and len(data) > limit:  # it grew while being read
        raise ValueError(f"{what} {shown!r} is more than the {limit:,} bytes accepted")
    return data


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process, or we cannot tell: leave its file alone
    return True


def remove_stale_temporaries(path: str | os.PathLike) -> list[Path]:
    """Remove the temporary files of ``path`` (``.<name>.<pid>.<random>.tmp``) left by writers
    that no longer run (killed during a write); returns what was removed."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    prefix = f".{path.name}."
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(_TMP_SUFFIX)):
            continue
        pid_text = name[len(prefix):-len(_TMP_SUFFIX)].split(".", 1)[0]
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            pass
    return removed


def atomic_write_bytes(path: str | os.PathLike, write: Any) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it into place.

    ``path`` must be a regular file or not exist (:func:`check_output_path`); the temporary file
    is removed whatever happens, and temporaries of killed writers are cleaned up first.
    """
    path = check_output_path(path)
    directory = path.parent if str(path.parent) else Path(".")
    remove_stale_temporaries(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=_TMP_SUFFIX,
                               dir=directory)
    try:
        # mkstemp creates the file private (0600); give it the permissions a plain open() would
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, lambda fh: fh.write(text.encode("utf-8")))


def describe(net: Sequential) -> list[dict[str, Any]]:
    """The JSON architecture of a network: one ``{"type", "config"}`` entry per layer, ``type``
    being the layer's registry name."""
    if not isinstance(net, Sequential):
        raise TypeError(f"only Sequential networks can be saved, got {type(net).__name__}")
    out = []
    for i, layer in enumerate(net.layers):
        if LAYERS.get(layer.name) is not type(layer):
            raise TypeError(f"layer {i} ({type(layer).__name__}) is not a registered layer type "
                            f"and cannot be saved; register it with backprop.register_layer")
        out.append({"type": layer.name, "config": layer.get_config()})
    return out


def _layer_class(name: Any, version: int) -> type[Layer] | None:
    if version < 2:  # version 1 named the class itself
        return next((cls for cls in LAYERS.values() if cls.__name__ == name), None)
    return LAYERS.get(name) if isinstance(name, str) else None


def build_layers(architecture: list[dict[str, Any]], *, version: int = VERSION,
                 arrays: dict[str, np.ndarray] | None = None, path: Any = None) -> list[Layer]:
    """Rebuild the layers (with placeholder weights) from :func:`describe`'s output.

    Layers that take an ``init`` argument are built with zeros: their weights are overwritten
    from the file, so no randomness is consumed. With ``arrays`` (a file's arrays), each
    layer's configuration is first checked against the arrays present
    (:meth:`~backprop.layers.base.Layer.state_shapes`), so nothing is allocated that the file
    does not hold.
    """
    where = f"{path}: " if path is not None else ""
    if not isinstance(architecture, list):
        raise ModelFileError(f"{where}the architecture must be a list of layers, got "
                             f"{type(architecture).__name__}")
    layers = []
    for i, entry in enumerate(architecture):
        if not isinstance(entry, dict) or "type" not in entry:
            raise ModelFileError(f"{where}layer {i}: malformed entry {_short(entry)}")
        cls = _layer_class(entry["type"], version)
        if cls is None:
            raise ModelFileError(f"{where}layer {i}: unknown layer type "
                                 f"{_short(entry['type'])}")
        config = entry.get("config", {})
        if not isinstance(config, dict):
            raise ModelFileError(f"{where}layer {i} ({entry['type']}): config must be an "
                                 f"object, got {type(config).__name__}")
        config = dict(config)
        if arrays is not None:
            _check_layer_arrays(i, cls, config, arrays, where)
        if "init" in inspect.signature(cls).parameters:
            config["init"] = "zeros"
        try:
            layers.append(cls(**config))
        except (TypeError, ValueError, OverflowError) as exc:
            raise ModelFileError(f"{where}layer {i} ({entry['type']}): bad config: "
                                 f"{exc}") from exc
    return layers


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _check_layer_arrays(i: int, cls: type[Layer], config: dict[str, Any],
                        arrays: dict[str, np.ndarray], where: str) -> None:
    """The arrays a layer of ``config`` would hold are in ``arrays``, with those shapes."""
    try:
        shapes = cls.state_shapes(config)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ModelFileError(f"{where}layer {i} ({cls.name}): bad config: {exc}") from exc
    if shapes is None:
        return
    for kind, named in zip(("param", "buffer"), shapes, strict=True):
        for name, shape in named.items():
            key = f"{kind}/{i}.{name}"
            if key not in arrays:
                raise ModelFileError(f"{where}missing array {key!r} (layer {i}, "
                                     f"{cls.name}, needs shape {tuple(shape)})")
            if tuple(arrays[key].shape) != tuple(shape):
                raise ModelFileError(f"{where}array {key!r} has shape {arrays[key].shape}, "
                                     f"the architecture needs {tuple(shape)}")


def state_arrays(net: Sequential) -> dict[str, np.ndarray]:
    """Every parameter and buffer of ``net`` under its key in the file (``param/0.W``, ...)."""
    arrays = {f"param/{p.name}": p.data for p in net.parameters()}
    arrays.update({f"buffer/{k}": v for k, v in net.buffers().items()})
    return arrays


def write_archive(path: str | os.PathLike, meta: dict[str, Any],
                  arrays: dict[str, np.ndarray]) -> None:
    """Write ``meta`` (JSON) and ``arrays`` into one ``.npz`` file atomically."""
    payload = {"__meta__": np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)}
    for key, arr in arrays.items():
        arr = np.asarray(arr)
        if arr.dtype == object:
            raise TypeError(f"array {key!r} has dtype object; only numeric arrays can be saved")
        payload[key] = arr
    atomic_write_bytes(path, lambda fh: np.savez(fh, **payload))


#: the most a deflated zip member can expand (deflate's own limit is about 1032 : 1)
MAX_DEFLATE_RATIO = 1032
#: the deepest nesting of lists and objects accepted in a file's JSON document
MAX_JSON_DEPTH = 64
#: the largest JSON document accepted (bytes)
MAX_META_BYTES = 64 * 2**20


def _json_depth_ok(obj: Any, limit: int) -> bool:
    """Whether ``obj`` nests lists/objects no deeper than ``limit`` (iterative: no recursion)."""
    todo = [(obj, 1)]
    while todo:
        item, depth = todo.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        if depth > limit:
            return False
        todo.extend((v, depth + 1) for v in items if isinstance(v, (dict, list)))
    return True


def parse_json_document(text: bytes | str, where: str, *,
                        max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` with the limits of a file read from an untrusted place: a size bound, a
    nesting bound; :class:`ModelFileError` naming ``where``."""
    if len(text) > MAX_META_BYTES:
        raise ModelFileError(f"{where}: the metadata document is {len(text):,} bytes, more than "
                             f"{MAX_META_BYTES:,}")
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    try:
        doc = json.loads(raw.decode("utf-8"))
    except RecursionError:
        doc = None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{where}: corrupted metadata ({exc})") from exc
    # json's own recursion limit stops very deep documents; the bound here is much lower
    if doc is None or not _json_depth_ok(doc, max_depth):
        raise ModelFileError(f"{where}: the metadata document nests deeper than {max_depth} "
                             f"levels")
    return doc


def _npy_header(fh: Any, where: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Read an ``.npy`` header from ``fh``: shape, Fortran order, dtype, header length."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, EOFError, SyntaxError, TypeError, zipfile.BadZipFile) as exc:
        raise ModelFileError(f"{where}: bad array header ({exc})") from exc
    return shape, fortran, dtype, fh.tell()


def read_npz(path: str | os.PathLike, *, what: str = "backprop model file",
             allow_text: bool = False) -> dict[str, np.ndarray]:
    """Every array of the ``.npz`` archive ``path``, read within bounds, never unpickling.

    Each member's ``.npy`` header is read first and its shape times its item size compared with
    the member's declared size, and that size with the bytes stored (exactly, for an
    uncompressed member; at most :data:`MAX_DEFLATE_RATIO` times, for a deflated one) -- all
    before the array is allocated. ``allow_text`` admits string arrays (a data set's labels).

    Raises
    ------
    FileNotFoundError
    ModelFileError
        A truncated, corrupted or foreign archive, or one whose sizes do not add up.
    """
    path = Path(path)
    if not path.is_file():
        if path.exists():
            raise ModelFileError(f"{path}: not a {what} (not a regular file)")
        raise FileNotFoundError(errno.ENOENT, f"no such file: {path}", str(path))
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        raise ModelFileError(f"{path}: not a {what} (not an .npz archive)")
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                name = info.filename
                where = f"{path}: array {name.removesuffix('.npy')!r}"
                if not name.endswith(".npy") or info.is_dir():
                    raise ModelFileError(f"{path}: unexpected entry {name!r} in the archive")
                key = name[:-4]
                if key in arrays:
                    raise ModelFileError(f"{path}: the archive holds {key!r} twice")
                if info.compress_type == zipfile.ZIP_STORED:
                    if info.file_size != info.compress_size:
                        raise ModelFileError(f"{where}: declares {info.file_size} bytes but "
                                             f"stores {info.compress_size}")
                elif info.compress_type == zipfile.ZIP_DEFLATED:
                    if info.file_size > MAX_DEFLATE_RATIO * max(info.compress_size, 1):
                        raise ModelFileError(f"{where}: declares {info.file_size} bytes from "
                                             f"{info.compress_size} compressed, more than "
                                             f"deflate can expand")
                else:
                    raise ModelFileError(f"{where}: unsupported compression "
                                         f"{info.compress_type}")
                with zf.open(info) as member:
                    shape, fortran, dtype, header_len = _npy_header(member, where)
                    if dtype.hasobject or dtype.kind not in ("biuf" + ("US" if allow_text
                                                                        else "")):
                        raise ModelFileError(f"{where}: dtype {dtype} is not a number type "
                                             f"(object arrays would need pickle, never used)")
                    count = math.prod(shape)
                    need = count * dtype.itemsize
                    have = info.file_size - header_len
                    if need != have:
                        raise ModelFileError(f"{where}: its header declares shape {shape} of "
                                             f"{dtype} ({need:,} bytes) but the member holds "
                                             f"{max(have, 0):,}")
                    buf = bytearray(need)
                    view = memoryview(buf)
                    got = 0
                    while got < need:
                        n = member.readinto(view[got:])
                        if not n:
                            raise ModelFileError(f"{where}: truncated ({got:,} of {need:,} "
                                                 f"bytes)")
                        got += n
                    member.read(1)  # reach the end: the CRC is checked there
                arr = np.frombuffer(buf, dtype=dtype, count=count)
                arrays[key] = arr.reshape(shape, order="F" if fortran else "C")
    except ModelFileError:
        raise
    except zipfile.BadZipFile as exc:
        raise ModelFileError(f"{path}: not a {what} (truncated or corrupted archive: "
                             f"{exc})") from exc
    except (zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError,
            RuntimeError, OverflowError, MemoryError) as exc:
        raise ModelFileError(f"{path}: cannot read the file (truncated or corrupted: "
                             f"{exc})") from exc
    return arrays


def read_archive(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`write_archive`; clear errors for anything else."""
    path = Path(path)
    arrays = read_npz(path)
    if "__meta__" not in arrays:
        raise ModelFileError(f"{path}: not a backprop model file (no __meta__ entry)")
    raw = arrays.pop("__meta__")
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise ModelFileError(f"{path}: corrupted metadata (not a byte string)")
    meta = parse_json_document(raw.tobytes(), str(path))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a backprop model file (format marker missing)")
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{path}: bad file format version {version!r}")
    if version > VERSION:
        raise ModelFileError(f"{path}: file format version {version!r} is newer than this "
                             f"library supports ({VERSION}); upgrade backprop")
    for key, kind in (("layers", list), ("extra", dict)):
        if key in meta and not isinstance(meta[key], kind):
            raise ModelFileError(f"{path}: metadata {key!r} must be a JSON "
                                 f"{'list' if kind is list else 'object'}, got "
                                 f"{type(meta[key]).__name__}")
    return meta, arrays


def load_state(net: Sequential, arrays: dict[str, np.ndarray], path: Any) -> None:
    """Copy the parameters and buffers in ``arrays`` (as :func:`state_arrays` names them) into
    ``net``, after checking each one's presence, shape and dtype (``path`` is for messages)."""
    expected = state_arrays(net)
    for key, target in expected.items():
        if key not in arrays:
            raise ModelFileError(f"{path}: missing array {key!r}")
        src = arrays[key]
        if src.shape != target.shape:
            raise ModelFileError(f"{path}: array {key!r} has shape {src.shape}, the architecture "
                                 f"needs {target.shape}")
        if src.dtype != target.dtype:
            raise ModelFileError(f"{path}: array {key!r} has dtype {src.dtype}, expected "
                                 f"{target.dtype}")
        target[...] = src
