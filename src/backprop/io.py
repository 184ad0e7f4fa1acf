"""Saving and loading models and training checkpoints -- never with pickle.

File format (version 1)
-----------------------
A model file is a NumPy ``.npz`` archive (a zip of ``.npy`` arrays, CRC-checked) that is read with
``allow_pickle=False``, so loading a file can never run code. It holds:

``__meta__``
    a UTF-8 JSON document stored as a ``uint8`` array::

        {"format": "backprop", "kind": "model" | "checkpoint", "version": 1,
         "layers": [{"type": "Dense", "config": {...}}, ...],
         "extra": {...}}                # JSON-able user data (loss name, classes, ...)

``param/<i>.<name>``
    every trainable parameter (``param/0.W``, ``param/0.b``, ...);
``buffer/<i>.<name>``
    every buffer (batch-norm running statistics);
``array/<key>``
    additional named arrays (a standardiser's mean and scale, an optimiser's moments).

Files are written atomically: into a temporary file in the target directory, flushed and synced,
then renamed over the destination, so a crash never leaves a half-written model. Loading rebuilds
the network layer by layer and checks every array's shape and dtype; predictions of the loaded
model are bit-identical to the saved one's. A truncated, corrupted or foreign file raises
:class:`ModelFileError` (a ``ValueError``) that names the file and the problem.
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .layers.base import Layer
from .layers.sequential import Sequential

FORMAT = "backprop"
VERSION = 1


class ModelFileError(ValueError):
    """A file that is not a readable backprop model/checkpoint."""


def _layer_types() -> dict[str, type[Layer]]:
    from . import layers as layers_module

    types: dict[str, type[Layer]] = {}
    for name in dir(layers_module):
        obj = getattr(layers_module, name)
        if isinstance(obj, type) and issubclass(obj, Layer) and obj not in (Layer, Sequential):
            types[obj.__name__] = obj
    return types


def atomic_write_bytes(path: str | os.PathLike, write: Any) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it into place."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(directory))
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
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
    """The JSON architecture of a network: one ``{"type", "config"}`` entry per layer."""
    if not isinstance(net, Sequential):
        raise TypeError(f"only Sequential networks can be saved, got {type(net).__name__}")
    types = _layer_types()
    out = []
    for i, layer in enumerate(net.layers):
        name = type(layer).__name__
        if types.get(name) is not type(layer):
            raise TypeError(f"layer {i} ({name}) is not a built-in layer type and cannot be saved")
        out.append({"type": name, "config": layer.get_config()})
    return out


def build(architecture: list[dict[str, Any]]) -> Sequential:
    """Rebuild a network (with placeholder weights) from :func:`describe`'s output."""
    types = _layer_types()
    layers = []
    for i, entry in enumerate(architecture):
        if not isinstance(entry, dict) or "type" not in entry:
            raise ModelFileError(f"layer {i}: malformed entry {entry!r}")
        cls = types.get(entry["type"])
        if cls is None:
            raise ModelFileError(f"layer {i}: unknown layer type {entry['type']!r}")
        config = dict(entry.get("config", {}))
        if cls.__name__ == "Dense":
            config["init"] = "zeros"  # weights are overwritten; do not consume randomness
        try:
            layers.append(cls(**config))
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"layer {i} ({entry['type']}): bad config: {exc}") from exc
    return Sequential(*layers)


def _state_arrays(net: Sequential) -> dict[str, np.ndarray]:
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


def read_archive(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read a file written by :func:`write_archive`; clear errors for anything else."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic != b"PK\x03\x04":
        raise ModelFileError(f"{path}: not a backprop model file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except zipfile.BadZipFile as exc:
        raise ModelFileError(f"{path}: not a backprop model file (truncated or not a zip "
                             f"archive: {exc})") from exc
    except (zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise ModelFileError(
            f"{path}: cannot read the file (truncated or corrupted: {exc})") from exc
    except ValueError as exc:  # pickled object arrays, bad .npy headers
        raise ModelFileError(f"{path}: not a backprop model file ({exc})") from exc
    if not isinstance(arrays, dict) or "__meta__" not in arrays:
        raise ModelFileError(f"{path}: not a backprop model file (no __meta__ entry)")
    try:
        meta = json.loads(arrays.pop("__meta__").tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path}: corrupted metadata ({exc})") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a backprop model file (format marker missing)")
    version = meta.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise ModelFileError(f"{path}: file format version {version!r} is newer than this "
                             f"library supports ({VERSION}); upgrade backprop")
    return meta, arrays


def _load_state(net: Sequential, arrays: dict[str, np.ndarray], path: Any) -> None:
    expected = _state_arrays(net)
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


def save(path: str | os.PathLike, net: Sequential, *, extra: dict[str, Any] | None = None,
         arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Save ``net`` (architecture, parameters, buffers) to ``path`` atomically.

    Parameters
    ----------
    path : str or Path
        Destination; ``.npz`` is the conventional suffix.
    net : Sequential
    extra : dict, optional
        JSON-able metadata stored alongside (the loss name, class names, a description).
    arrays : dict of str to ndarray, optional
        Additional arrays (e.g. a standardiser's ``mean`` and ``scale``).

    Returns
    -------
    Path
    """
    extra = dict(extra or {})
    if "loss" not in extra and getattr(net, "loss_", None) is not None:
        extra["loss"] = net.loss_.name  # so the loaded model predicts labels/probabilities
    meta = {"format": FORMAT, "kind": "model", "version": VERSION, "layers": describe(net),
            "training": bool(net.training), "extra": extra}
    try:
        json.dumps(meta)
    except TypeError as exc:
        raise TypeError(f"extra metadata must be JSON-serialisable: {exc}") from exc
    payload = _state_arrays(net)
    for key, arr in (arrays or {}).items():
        payload[f"array/{key}"] = arr
    write_archive(path, meta, payload)
    return Path(path)


def load(path: str | os.PathLike, *, with_extra: bool = False) -> Any:
    """Load a model saved by :func:`save`.

    Returns the :class:`~backprop.Sequential` network in evaluation mode (with ``net.loss_`` set
    when the file names the loss it was trained with, so ``predict`` gives labels), or
    ``(net, extra, arrays)`` when ``with_extra=True`` (``extra`` is the JSON metadata, ``arrays``
    the additional arrays).
    """
    meta, arrays = read_archive(path)
    if "layers" not in meta:
        raise ModelFileError(f"{path}: metadata has no architecture")
    net = build(meta["layers"])
    _load_state(net, arrays, path)
    net.eval()
    loss_name = meta.get("extra", {}).get("loss")
    if isinstance(loss_name, str):
        from .losses import LOSSES, get_loss

        if loss_name in LOSSES:
            net.loss_ = get_loss(loss_name)
    if with_extra:
        extra_arrays = {k[len("array/"):]: v for k, v in arrays.items() if k.startswith("array/")}
        return net, meta.get("extra", {}), extra_arrays
    return net
