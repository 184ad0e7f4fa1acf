"""The loop's state and the small pieces around it: history, validation, schedules, early
stopping, progress.

:func:`backprop.fit` runs one loop -- forward, loss, backward, guard, step -- and everything
else is a :class:`Callback`: an object whose hooks the loop calls at fixed points, each receiving
the :class:`TrainState` (the network, loss, optimiser, history, ``epoch``, ``step`` and a
``stop`` flag a callback may set to end training after the current epoch). The built-in ones run
in this order around the user's own::

    Validation -> RecordHistory -> ScheduleStepper -> user callbacks -> EarlyStopping
        -> Diagnostics -> ProgressLogger -> Checkpoint

so the epoch's validation metrics exist before the history records them and before early
stopping reads them, and the checkpoint holds everything the others did. A callback with state
to save gives it through :meth:`Callback.state_dict`; checkpoints store it under the callback's
:attr:`Callback.key`, so a resumed run finds it whatever other callbacks were added or left out.
"""

from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._checks import check_int, check_non_negative
from ..layers.sequential import Sequential
from ..losses import Loss
from ..parameters import contiguous_run


@dataclass
class History:
    """What happened during :func:`fit`.

    Attributes
    ----------
    history : dict of str to list of float
        One value per epoch for each metric: ``loss``, ``accuracy``, ``val_loss``,
        ``val_accuracy`` (when they apply) and ``lr``.
    epochs : list of int
        The epoch numbers (1-based) the values belong to.
    stop_reason : str or None
        Why training ended before ``epochs`` (early stopping, divergence, interruption).
    best_epoch : int or None
        The epoch whose weights were restored by early stopping.
    diverged : bool
        True when the non-finite guard stopped training.
    no_good_parameters : bool
        True when, after diverging, no state of the network seen in the last epoch gave finite
        outputs on the failing batch: the parameters it holds are not worth keeping.
    diagnostics : dict or None
        Per-layer records of a :class:`backprop.diagnostics.Diagnostics` callback (JSON-able;
        None when no diagnostics were recorded).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    stop_reason: str | None = None
    best_epoch: int | None = None
    diverged: bool = False
    no_good_parameters: bool = False
    interrupted: bool = False
    diagnostics: dict[str, Any] | None = None

    def __getitem__(self, key: str) -> list[float]:
        return self.history[key]

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        self.epochs.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(float(value))

    def to_dict(self) -> dict[str, Any]:
        return {"history": self.history, "epochs": self.epochs, "stop_reason": self.stop_reason,
                "best_epoch": self.best_epoch, "diverged": self.diverged,
                "no_good_parameters": self.no_good_parameters,
                "interrupted": self.interrupted, "diagnostics": self.diagnostics}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(history={k: list(v) for k, v in data.get("history", {}).items()},
                   epochs=list(data.get("epochs", [])), stop_reason=data.get("stop_reason"),
                   best_epoch=data.get("best_epoch"), diverged=bool(data.get("diverged")),
                   no_good_parameters=bool(data.get("no_good_parameters")),
                   interrupted=bool(data.get("interrupted")),
                   diagnostics=data.get("diagnostics"))


@dataclass
class TrainState:
    """The loop's state as callbacks see it.

    Attributes
    ----------
    net, loss, optimizer
        What is trained, on what cost, by what.
    history : History
    epochs, steps_per_epoch : int
        Planned epochs and batches per epoch.
    epoch, step : int
        The current epoch (1-based once started) and batch within it.
    stop : bool
        Set to end training after the current epoch (or at once, by the guard).
    stop_reason : str or None
    iterator : BatchIterator or None
        The batches (their order and random state travel with checkpoints).
    schedule : LRScheduler or None
    """

    net: Sequential
    loss: Loss
    optimizer: Any
    history: History
    epochs: int
    steps_per_epoch: int
    epoch: int = 0
    step: int = 0
    stop: bool = False
    stop_reason: str | None = None
    iterator: Any = None
    schedule: Any = None

    def state_arrays(self) -> list[np.ndarray]:
        """Every parameter and buffer array of the network, for snapshots: the one flat
        parameter vector when the network keeps its parameters in one (``Sequential`` does),
        then the buffers. Asked once per run: the arrays are updated in place."""
        arrays = self.__dict__.get("_state_arrays")
        if arrays is None:
            params = self.net.parameters()
            run = contiguous_run(params)
            arrays = [run[0]] if run is not None else [p.data for p in params]
            arrays += list(self.net.buffers().values())
            self.__dict__["_state_arrays"] = arrays
        return arrays


class Callback:
    """Base class; every hook does nothing by default.

    Attributes
    ----------
    key : str
        The name its saved state is filed under in a checkpoint; by default the class name
        (several callbacks of one class are told apart by their order among themselves).
    """

    @property
    def key(self) -> str:
        return type(self).__name__

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
        if not isinstance(monitor, str):
            raise TypeError(f"monitor must be the name of a logged value such as 'val_loss', "
                            f"got {monitor!r}")
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
            if not callable(fn):
                raise TypeError(f"callback hook {name} must be a function, got {fn!r}")
            setattr(self, name, fn)


class Validation(Callback):
    """Add ``val_loss`` (and ``val_accuracy`` for classifiers) to each epoch's logs, computed in
    evaluation mode on held-out data; the network is put back in training mode afterwards."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.X = X
        self.y = y

    def on_epoch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        from .evaluation import evaluate_engine

        scores = evaluate_engine(state.net, self.X, self.y, loss=state.loss)
        logs.update({f"val_{k}": v for k, v in scores.items()})
        state.net.train()


class RecordHistory(Callback):
    """Add the learning rate used in the epoch to its logs and append them to the history."""

    def on_epoch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        logs["lr"] = float(state.optimizer.lr)
        state.history.append(state.epoch, logs)


class ScheduleStepper(Callback):
    """Step a learning-rate schedule when it asks to be stepped.

    After every optimiser step when the schedule's ``interval`` is ``"step"`` (or
    ``interval="step"`` is forced), otherwise after every epoch; a schedule that
    ``needs_metric`` (:class:`~backprop.optim.ReduceLROnPlateau`) is stepped with the
    validation loss, or the training loss when there is no validation data.

    Parameters
    ----------
    schedule : LRScheduler
    interval : {"auto", "step", "epoch"}
    """

    def __init__(self, schedule: Any, interval: str = "auto"):
        if interval not in ("auto", "step", "epoch"):
            raise ValueError(f"schedule_interval must be 'auto', 'step' or 'epoch', got "
                             f"{interval!r}")
        self.schedule = schedule
        self.per_step = (getattr(schedule, "interval", "epoch") == "step" if interval == "auto"
                         else interval == "step")

    def on_batch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        if self.per_step:
            self.schedule.step()

    def on_epoch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        if self.per_step:
            return
        if getattr(self.schedule, "needs_metric", False):
            self.schedule.step(logs.get("val_loss", logs["loss"]))
        else:
            self.schedule.step()
