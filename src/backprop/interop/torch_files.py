r"""A PyTorch model on disk without pickle risk: a state dict plus its architecture as JSON.

:func:`save_torch` writes two files, each atomically:

``FILE``
    ``torch.save(module.state_dict(), FILE)`` -- tensors only, so it loads with
    ``torch.load(FILE, weights_only=True)`` (torch's restricted unpickler, the default since
    torch 2.6: it rebuilds tensors and plain containers and refuses anything else);
``FILE.json``
    the architecture, one entry per module of the ``nn.Sequential``::

        {"format": "backprop-torch", "version": 1, "producer": "backprop 0.1.0",
         "torch": "2.13.0", "state_dict": "model.pt", "training": false,
         "modules": [{"type": "Linear", "args": {"in_features": 4, "out_features": 8,
                                                 "bias": true},
                      "dtype": "float64", "training": false}, ...]}

:func:`load_torch` rebuilds the modules from a fixed table of ``torch.nn`` classes (a name not in
the table is an error, never a lookup), then loads the state dict with ``weights_only=True`` and
``strict=True``. Without backprop, the JSON is a recipe: ``getattr(torch.nn, m["type"])(**m["args"],
dtype=...)`` for each entry, then ``load_state_dict``.

Why not TorchScript: ``torch.jit.script`` / ``trace`` would give one self-contained file, but
TorchScript is deprecated in torch 2.13 (``torch.jit.script`` warns to move to ``torch.compile``
/ ``torch.export``), and its archives still carry pickled data that a reader must trust. A state
dict is what PyTorch's own documentation recommends saving, loads with the safe unpickler, and
the JSON beside it is readable by people and by any language.
"""

from __future__ import annotations

import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._version import __version__
from ._optional import require

FORMAT = "backprop-torch"
VERSION = 1


def architecture_path(path: str | os.PathLike) -> Path:
    """Where the architecture of the state dict ``path`` is written: ``path`` + ``.json``."""
    return Path(os.fspath(path) + ".json")


def _module_args(torch: Any) -> dict[str, tuple[Any, Callable[[Any], dict[str, Any]]]]:
    """Module type name -> (class, its constructor arguments as JSON)."""
    nn = torch.nn
    return {
        "Linear": (nn.Linear, lambda m: {"in_features": m.in_features,
                                         "out_features": m.out_features,
                                         "bias": m.bias is not None}),
        "BatchNorm1d": (nn.BatchNorm1d, lambda m: {"num_features": m.num_features,
                                                   "eps": m.eps, "momentum": m.momentum,
                                                   "affine": m.affine,
                                                   "track_running_stats":
                                                       m.track_running_stats}),
        "LayerNorm": (nn.LayerNorm, lambda m: {"normalized_shape": list(m.normalized_shape),
                                               "eps": m.eps,
                                               "elementwise_affine": m.elementwise_affine,
                                               "bias": m.bias is not None
                                               or not m.elementwise_affine}),
        "Dropout": (nn.Dropout, lambda m: {"p": m.p}),
        "Identity": (nn.Identity, lambda m: {}),
        "Sigmoid": (nn.Sigmoid, lambda m: {}),
        "Tanh": (nn.Tanh, lambda m: {}),
        "ReLU": (nn.ReLU, lambda m: {}),
        "LeakyReLU": (nn.LeakyReLU, lambda m: {"negative_slope": m.negative_slope}),
        "GELU": (nn.GELU, lambda m: {"approximate": m.approximate}),
        "SiLU": (nn.SiLU, lambda m: {}),
        "Softplus": (nn.Softplus, lambda m: {"beta": m.beta, "threshold": m.threshold}),
        "Softmax": (nn.Softmax, lambda m: {"dim": m.dim}),
    }


def describe_torch(module: Any) -> dict[str, Any]:
    """The JSON architecture of a ``torch.nn.Sequential`` of supported modules."""
    torch = require("torch", "saving a torch model")
    table = _module_args(torch)
    if type(module) is not torch.nn.Sequential:
        raise TypeError(f"expected a torch.nn.Sequential, got {type(module).__name__}")
    entries = []
    for i, child in enumerate(module):
        name = type(child).__name__
        if name not in table or table[name][0] is not type(child):
            raise TypeError(f"module {i} ({child!r}) cannot be saved: {name} is not one of "
                            f"{', '.join(sorted(table))}")
        floats = [t for t in list(child.parameters()) + list(child.buffers())
                  if t.is_floating_point()]
        entries.append({"type": name, "args": table[name][1](child),
                        "dtype": str(floats[0].dtype).removeprefix("torch.") if floats else None,
                        "training": child.training})
    return {"format": FORMAT, "version": VERSION, "producer": f"backprop {__version__}",
            "torch": torch.__version__.split("+")[0], "training": module.training,
            "modules": entries}


def save_torch(model: Any, path: str | os.PathLike) -> tuple[Path, Path]:
    """Write a model as a state dict (``path``) and its architecture (``path`` + ``.json``).

    Parameters
    ----------
    model : backprop Sequential or torch.nn.Sequential
        A backprop network is converted with :func:`~backprop.interop.to_torch` first.
    path : str or Path
        The state dict's file (``*.pt`` by convention); its folder must exist.

    Returns
    -------
    (Path, Path)
        The state dict's path and the architecture's.
    """
    torch = require("torch", "saving a torch model")
    from ..io import atomic_write_bytes, atomic_write_text
    from ..layers.sequential import Sequential
    from .pytorch import to_torch

    module = to_torch(model) if isinstance(model, Sequential) else model
    meta = describe_torch(module)
    path = Path(path)
    meta["state_dict"] = path.name
    state = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    atomic_write_bytes(path, lambda fh: torch.save(state, fh))
    json_path = architecture_path(path)
    atomic_write_text(json_path, json.dumps(meta, indent=2) + "\n")
    return path, json_path


def load_torch(path: str | os.PathLike) -> Any:
    """Rebuild the ``torch.nn.Sequential`` saved by :func:`save_torch` (modes restored).

    Raises
    ------
    FileNotFoundError
        When the state dict or its ``.json`` is missing.
    ValueError
        When the architecture is not one :func:`save_torch` writes, or the state dict does not
        fit it.
    """
    torch = require("torch", "loading a torch model")
    path = Path(path)
    json_path = architecture_path(path)
    for p in (path, json_path):
        if not p.exists():
            raise FileNotFoundError(f"no such file: {p}")
    from ..io import MAX_TEXT_BYTES, parse_json_document, read_regular_file

    # bounded like a model file: a regular file, a size limit, a nesting limit
    meta = parse_json_document(read_regular_file(json_path, "architecture file",
                                                 limit=MAX_TEXT_BYTES), str(json_path))
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{json_path}: not a backprop-torch architecture (format marker "
                         f"missing)")
    if not isinstance(meta.get("version"), int) or meta["version"] > VERSION:
        raise ValueError(f"{json_path}: version {meta.get('version')!r} is newer than this "
                         f"library reads ({VERSION})")
    table = _module_args(torch)
    modules = []
    for i, entry in enumerate(meta.get("modules", [])):
        kind = entry.get("type") if isinstance(entry, dict) else None
        if kind not in table:
            raise ValueError(f"{json_path}: module {i} has unknown type {kind!r}")
        args = dict(entry.get("args", {}))
        dtype = entry.get("dtype")
        if dtype is not None:
            if dtype not in ("float32", "float64"):
                raise ValueError(f"{json_path}: module {i} has unsupported dtype {dtype!r}")
            args["dtype"] = getattr(torch, dtype)
        try:
            mod = table[kind][0](**args)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{json_path}: module {i} ({kind}): bad arguments: {exc}") from exc
        modules.append(mod.train(bool(entry.get("training", False))))
    module = torch.nn.Sequential(*modules)
    module.training = bool(meta.get("training", False))
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        module.load_state_dict(state, strict=True)
    except (RuntimeError, ValueError, OSError, EOFError, pickle.UnpicklingError) as exc:
        raise ValueError(f"{path}: cannot load the state dict: "
                         f"{' '.join(str(exc).split())[:300]}") from exc
    return module
