"""Training checkpoints: everything needed to continue a run bit for bit, in one model file.

A checkpoint is a file of :mod:`backprop.io`'s format (``kind: "checkpoint"``) holding the
network's parameters and buffers, the optimiser's and the schedule's state, the batch iterator's
order and random state, every dropout generator's state, each callback's state (filed under its
:attr:`~backprop.training.callbacks.Callback.key`) and the history. A run resumed from it ends
with exactly the parameters of an uninterrupted run with the same seeds.

:class:`Checkpoint` is the callback :func:`backprop.fit` adds for ``checkpoint=PATH``; it writes
every ``every`` epochs and after the last one. :func:`restore_checkpoint` is what
``fit(resume=PATH)`` calls before the first epoch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import io
from .._checks import check_int
from .callbacks import Callback, History, TrainState


def callback_keys(callbacks: list[Callback]) -> list[str]:
    """One distinct key per callback: its ``key``, numbered when several share one."""
    seen: dict[str, int] = {}
    keys = []
    for cb in callbacks:
        n = seen.get(cb.key, 0)
        seen[cb.key] = n + 1
        keys.append(cb.key if n == 0 else f"{cb.key}#{n}")
    return keys


def _rng_layers(state: TrainState) -> list[tuple[int, Any]]:
    return [(i, layer) for i, layer in enumerate(state.net.layers)
            if hasattr(layer, "get_rng_state")]


def save_checkpoint(path: str | Path, state: TrainState, callbacks: list[Callback], *,
                    extra: dict[str, Any] | None = None) -> None:
    """Write everything needed to continue training bit-identically (atomically)."""
    opt_meta = dict(state.optimizer.state_dict())
    opt_arrays = opt_meta.pop("arrays", {})
    arrays = io.state_arrays(state.net)
    arrays.update({f"optim/{k}": v for k, v in opt_arrays.items()})
    cb_meta = {}
    for key, cb in zip(callback_keys(callbacks), callbacks, strict=True):
        meta, cb_arrays = cb.state_dict()
        if not meta and not cb_arrays:
            continue
        cb_meta[key] = meta
        arrays.update({f"callback/{key}/{k}": v for k, v in cb_arrays.items()})
    schedule = state.schedule
    meta = {
        "format": io.FORMAT, "kind": "checkpoint", "version": io.VERSION,
        "layers": io.describe(state.net),
        "epoch": state.epoch,
        "optimizer": {"type": type(state.optimizer).__name__, "state": opt_meta},
        "schedule": None if schedule is None else {"type": type(schedule).__name__,
                                                    "state": schedule.state_dict()},
        "iterator": state.iterator.get_state(),
        "layer_rngs": {str(i): layer.get_rng_state() for i, layer in _rng_layers(state)},
        "callbacks": cb_meta,
        "history": state.history.to_dict(),
        "extra": extra or {},
    }
    io.write_archive(path, meta, arrays)


def _require(meta: dict[str, Any], key: str, kind: type | tuple[type, ...], path: Any,
             *, optional: bool = False, within: str = "") -> Any:
    """``meta[key]`` when it has the JSON type ``kind`` (else :class:`~backprop.io.ModelFileError`
    naming the file and the key)."""
    label = f"{within}.{key}" if within else key
    if key not in meta:
        if optional:
            return None
        raise io.ModelFileError(f"{path}: the checkpoint has no {label!r} entry")
    value = meta[key]
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        names = {dict: "an object", list: "a list", int: "an integer", str: "a string"}
        want = " or ".join(names.get(k, k.__name__) for k in
                           (kind if isinstance(kind, tuple) else (kind,)))
        raise io.ModelFileError(f"{path}: checkpoint entry {label!r} must be {want}, got "
                                f"{type(value).__name__}")
    return value


def restore_checkpoint(path: str | Path, state: TrainState, callbacks: list[Callback]) -> None:
    """Load a checkpoint written by :func:`save_checkpoint` into a freshly set-up run.

    Raises
    ------
    backprop.io.ModelFileError
        Naming the file and the entry, for a file that is not a complete checkpoint (a missing
        key, a list where an object belongs, a state its owner cannot read).
    ValueError
        The checkpoint is of another architecture, optimiser or epoch count.
    """
    meta, arrays = io.read_archive(path)
    if meta.get("kind") != "checkpoint":
        raise io.ModelFileError(f"{path}: not a training checkpoint (kind {meta.get('kind')!r})")
    if meta.get("layers") != io.describe(state.net):
        raise ValueError(f"{path}: the checkpoint's architecture differs from this network")
    optimizer = _require(meta, "optimizer", dict, path)
    opt_type = _require(optimizer, "type", str, path, within="optimizer")
    opt_state = _require(optimizer, "state", dict, path, within="optimizer")
    schedule = _require(meta, "schedule", dict, path, optional=True)
    iterator = _require(meta, "iterator", dict, path)
    layer_rngs = _require(meta, "layer_rngs", dict, path, optional=True) or {}
    saved = _require(meta, "callbacks", dict, path, optional=True) or {}
    history = _require(meta, "history", dict, path)
    epoch = _require(meta, "epoch", int, path)
    if not 0 <= epoch:
        raise io.ModelFileError(f"{path}: checkpoint epoch {epoch} is negative")
    if opt_type != type(state.optimizer).__name__:
        raise ValueError(f"{path}: checkpoint was made with {opt_type}, resuming with "
                         f"{type(state.optimizer).__name__}")
    io.load_state(state.net, arrays, path)
    opt_arrays = {k[len("optim/"):]: v for k, v in arrays.items() if k.startswith("optim/")}
    part = "optimizer"
    try:
        state.optimizer.load_state_dict({**opt_state, "arrays": opt_arrays})
        part = "schedule"
        if state.schedule is not None and schedule is not None:
            state.schedule.load_state_dict(_require(schedule, "state", dict, path,
                                                    within="schedule"))
        part = "batch order"
        state.iterator.set_state(iterator)
        part = "dropout generators"
        for i, layer in _rng_layers(state):
            if str(i) in layer_rngs:
                layer.set_rng_state(layer_rngs[str(i)])
        for key, cb in zip(callback_keys(callbacks), callbacks, strict=True):
            if key in saved:
                part = f"callback {key}"
                cb_meta = saved[key]
                if not isinstance(cb_meta, dict):
                    raise TypeError(f"its state must be an object, got "
                                    f"{type(cb_meta).__name__}")
                prefix = f"callback/{key}/"
                cb.load_state_dict(cb_meta, {k[len(prefix):]: v for k, v in arrays.items()
                                             if k.startswith(prefix)})
        part = "history"
        state.history = History.from_dict(history)
    except io.ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        detail = f"missing {exc}" if isinstance(exc, KeyError) else str(exc)
        raise io.ModelFileError(f"{path}: the checkpoint's {part} state cannot be restored "
                                f"({detail})") from exc
    state.epoch = epoch


class Checkpoint(Callback):
    """Write a checkpoint every ``every`` epochs and after the last one.

    When training is interrupted (Ctrl-C) the stop reason says which epoch the file holds: a
    resumed run repeats the epochs after it exactly.

    Parameters
    ----------
    path : str or Path
    every : int, default 1
    callbacks : list of Callback
        The run's callbacks, whose states go into the file (filled in by ``fit``).
    """

    def __init__(self, path: str | Path, every: int = 1,
                 callbacks: list[Callback] | None = None):
        self.path = path
        self.every = check_int("checkpoint_every", every, minimum=1)
        self.callbacks = callbacks if callbacks is not None else []

    def on_epoch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        if state.epoch % self.every == 0 or state.epoch == state.epochs:
            save_checkpoint(self.path, state, self.callbacks)

    def on_train_end(self, state: TrainState) -> None:
        if state.history.interrupted:
            done = state.epoch - 1
            state.stop_reason += f"; the last checkpoint holds epoch {done - done % self.every}"

