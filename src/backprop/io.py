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
then renamed over the destination, so a crash never leaves a half-written model. Loading rebuilds
the network layer by layer and checks every array's shape and dtype; predictions of the loaded
model are bit-identical to the saved one's. A truncated, corrupted or foreign file raises
:class:`ModelFileError` (a ``ValueError``) that names the file and the problem.
"""

from __future__ import annotations

import errno
import inspect
import json
import os
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


def build_layers(architecture: list[dict[str, Any]], *, version: int = VERSION) -> list[Layer]:
    """Rebuild the layers (with placeholder weights) from :func:`describe`'s output.

    Layers that take an ``init`` argument are built with zeros: their weights are overwritten
    from the file, so no randomness is consumed.
    """
    if not isinstance(architecture, list):
        raise ModelFileError(f"the architecture must be a list of layers, got "
                             f"{type(architecture).__name__}")
    layers = []
    for i, entry in enumerate(architecture):
        if not isinstance(entry, dict) or "type" not in entry:
            raise ModelFileError(f"layer {i}: malformed entry {entry!r}")
        cls = _layer_class(entry["type"], version)
        if cls is None:
            raise ModelFileError(f"layer {i}: unknown layer type {entry['type']!r}")
        config = entry.get("config", {})
        if not isinstance(config, dict):
            raise ModelFileError(f"layer {i} ({entry['type']}): config must be an object, got "
                                 f"{type(config).__name__}")
        config = dict(config)
        if "init" in inspect.signature(cls).parameters:
            config["init"] = "zeros"
        try:
            layers.append(cls(**config))
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"layer {i} ({entry['type']}): bad config: {exc}") from exc
    return layers


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
