"""Callbacks: small observers of the fit loop (early stopping, progress, custom hooks).

A callback subclasses :class:`Callback` and overrides any of the hooks; each receives the
:class:`~backprop.train.TrainState` (the network, optimiser, history, ``epoch``, ``step`` and a
``stop`` flag a callback may set to end training after the current epoch).
"""

from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import check_int, check_non_negative

if TYPE_CHECKING:  # pragma: no cover
    from .train import TrainState


class Callback:
    """Base class; every hook does nothing by default."""

    def on_train_begin(self, state: TrainState) -> None:
        """Called once before the first epoch (also when resuming)."""

    def on_epoch_begin(self, state: TrainState) -> None:
        """Called at the start of every epoch (``state.epoch`` is 1-based)."""

    def on_batch_begin(self, state: TrainState) -> None:
        """Called before every forward pass (``state.step`` is already the new 1-based step)."""

    def on_after_backward(self, state: TrainState) -> None:
        """Called after ``net.backward`` has written every gradient, before the optimiser step
        (and before the non-finite guard, so observers also see a bad gradient)."""

    def on_batch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        """Called after every optimiser step with ``logs = {"loss": batch loss}``."""

    def on_epoch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        """Called after every epoch with the epoch's metrics (``loss``, ``val_loss``, ...)."""

    def on_train_end(self, state: TrainState) -> None:
        """Called once when training ends, whatever the reason."""

    # checkpointing support: JSON-able state plus arrays
    def state_dict(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {}

    def load_state_dict(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` returned."""


class EarlyStopping(Callback):
    """Stop when a monitored metric has stopped improving.

    Parameters
    ----------
    monitor : str, default "val_loss"
        Metric name in the epoch logs (falls back to ``"loss"`` when there is no validation data).
    patience : int, default 5
        Epochs without improvement before stopping.
    min_delta : float, default 0
        Smallest change that counts as an improvement.
    mode : {"auto", "min", "max"}
        ``auto`` maximises metrics whose name contains "acc", minimises the rest.
    restore_best_weights : bool, default True
        Put the parameters (and buffers) of the best epoch back when training stops.
    """

    def __init__(self, monitor: str = "val_loss", *, patience: int = 5, min_delta: float = 0.0,
                 mode: str = "auto", restore_best_weights: bool = True):
        self.monitor = monitor
        self.patience = check_int("patience", patience, minimum=0)
        self.min_delta = check_non_negative("min_delta", min_delta)
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.mode = mode
        self.restore_best_weights = bool(restore_best_weights)
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self._best_state: list[np.ndarray] | None = None

    def _maximise(self, name: str) -> bool:
        return self.mode == "max" or (self.mode == "auto" and "acc" in name)

    def _key(self, logs: dict[str, float]) -> str:
        if self.monitor in logs:
            return self.monitor
        if self.monitor.startswith("val_") and self.monitor[4:] in logs:
            return self.monitor[4:]
        known = ", ".join(sorted(logs))
        raise ValueError(f"EarlyStopping monitors {self.monitor!r}, which is not among the "
                         f"metrics ({known})")

    def on_epoch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        key = self._key(logs)
        value = logs[key]
        sign = -1.0 if self._maximise(key) else 1.0
        improved = self.best is None or sign * (value - self.best) < -self.min_delta
        if improved and math.isfinite(value):
            self.best = value
            self.best_epoch = state.epoch
            self.wait = 0
            if self.restore_best_weights:
                self._best_state = [a.copy() for a in state.state_arrays()]
        else:
            self.wait += 1
            if self.wait > self.patience:
                state.stop = True
                state.stop_reason = (f"early stopping: {key} did not improve for "
                                     f"{self.patience} epoch(s); best {self.best:.6g} at epoch "
                                     f"{self.best_epoch}")

    def on_train_end(self, state: TrainState) -> None:
        if state.stop and self.restore_best_weights and self._best_state is not None:
            for target, best in zip(state.state_arrays(), self._best_state, strict=True):
                target[...] = best
            state.history.best_epoch = self.best_epoch

    def state_dict(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        meta = {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait}
        arrays = {}
        if self._best_state is not None:
            arrays = {f"best/{i}": a for i, a in enumerate(self._best_state)}
        return meta, arrays

    def load_state_dict(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self.best = meta.get("best")
        self.best_epoch = meta.get("best_epoch")
        self.wait = int(meta.get("wait", 0))
        if arrays:
            self._best_state = [arrays[f"best/{i}"].copy() for i in range(len(arrays))]


class ProgressLogger(Callback):
    """Progress while training: a tqdm bar per epoch when tqdm is installed and the output is a
    terminal, otherwise one summary line per epoch.

    Parameters
    ----------
    stream : file, default sys.stderr
    bar : {"auto", True, False}
        Force or forbid the tqdm bar.
    """

    def __init__(self, stream: Any = None, bar: Any = "auto"):
        self.stream = stream if stream is not None else sys.stderr
        self.bar_setting = bar
        self._bar: Any = None
        self._tqdm: Any = None
        self._t0 = 0.0

    def on_train_begin(self, state: TrainState) -> None:
        use_bar = self.bar_setting
        if use_bar == "auto":
            use_bar = bool(getattr(self.stream, "isatty", lambda: False)())
        if use_bar:
            try:
                from tqdm.auto import tqdm
            except ImportError:  # optional extra "progress"
                tqdm = None
            self._tqdm = tqdm

    def on_epoch_begin(self, state: TrainState) -> None:
        self._t0 = time.perf_counter()
        if self._tqdm is not None:
            self._bar = self._tqdm(total=state.steps_per_epoch, file=self.stream, leave=False,
                                   desc=f"epoch {state.epoch}/{state.epochs}", unit="batch")

    def on_batch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        if self._bar is not None:
            self._bar.update(1)
            if state.step % 20 == 0:
                self._bar.set_postfix(loss=f"{logs['loss']:.4f}", refresh=False)

    def on_epoch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        parts = [f"epoch {state.epoch}/{state.epochs}"]
        for key, value in logs.items():
            if key == "lr":
                parts.append(f"lr {value:.3g}")
            elif "acc" in key:
                parts.append(f"{key} {100 * value:.2f}%")
            else:
                parts.append(f"{key} {value:.4f}")
        parts.append(f"{time.perf_counter() - self._t0:.1f}s")
        print("  ".join(parts), file=self.stream, flush=True)


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda state, logs: ...)``."""

    def __init__(self, **hooks: Any):
        allowed = {"on_train_begin", "on_epoch_begin", "on_batch_begin", "on_after_backward",
                   "on_batch_end", "on_epoch_end", "on_train_end"}
        for name, fn in hooks.items():
            if name not in allowed:
                raise ValueError(f"unknown callback hook {name!r}; known: {sorted(allowed)}")
            setattr(self, name, fn)
