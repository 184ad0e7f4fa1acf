"""The fit loop: mini-batches, metrics, validation, schedules, early stopping, checkpoints.

``fit`` composes the engine pieces and adds nothing to their math: each step is exactly
``net.forward`` -> ``loss.forward`` -> ``loss.backward`` -> ``net.backward`` -> ``optimizer.step``.
Everything else -- batching (:class:`backprop.data.BatchIterator`), early stopping, progress,
checkpoints -- is a separate small piece that observes or feeds that loop.

Guards
------
A non-finite loss or gradient stops training at once with a :class:`TrainingDivergedWarning`
naming the epoch, the step and the layer; the optimiser step that would have used the bad values
is not taken, so the network keeps its last good parameters. If a step itself overflows the
parameters, they are restored from a copy taken at the start of that epoch (the last state known
to be good), and the message says so.

Reproducibility
---------------
``seed`` drives every random choice of the loop (validation split, shuffling, augmentation); the
network's own initialisation and dropout masks come from the generators given to its layers. Same
seeds -> identical parameters, bit for bit. A checkpoint stores the model, the optimiser and
schedule state, every random generator's state and the history, so a run resumed from it ends
with the same parameters as an uninterrupted one.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import io as _io
from ._checks import check_int, check_range
from .callbacks import Callback, EarlyStopping, ProgressLogger
from .layers.base import Layer
from .layers.dense import Dense
from .layers.flat import contiguous_run
from .layers.sequential import Sequential
from .losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy, get_loss


class TrainingDivergedWarning(RuntimeWarning):
    """Training stopped because a loss, gradient or parameter became NaN or infinite."""


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
    diagnostics : dict or None
        Per-layer records of a :class:`backprop.diagnostics.Diagnostics` callback (JSON-able;
        None when no diagnostics were recorded).
    """

    history: dict[str, list[float]] = field(default_factory=dict)
    epochs: list[int] = field(default_factory=list)
    stop_reason: str | None = None
    best_epoch: int | None = None
    diverged: bool = False
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
                "interrupted": self.interrupted, "diagnostics": self.diagnostics}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> History:
        return cls(history={k: list(v) for k, v in data.get("history", {}).items()},
                   epochs=list(data.get("epochs", [])), stop_reason=data.get("stop_reason"),
                   best_epoch=data.get("best_epoch"), diverged=bool(data.get("diverged")),
                   interrupted=bool(data.get("interrupted")),
                   diagnostics=data.get("diagnostics"))


@dataclass
class TrainState:
    """The loop's state as callbacks see it."""

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

    def state_arrays(self) -> list[np.ndarray]:
        """Every parameter and buffer array of the network (for snapshots)."""
        return [p.data for p in self.net.parameters()] + list(self.net.buffers().values())


# --- helpers --------------------------------------------------------------------------------

def net_dtype(net: Layer) -> np.dtype:
    """The floating dtype of a network's parameters (float64 if it has none)."""
    for p in net.parameters():
        return p.data.dtype
    return np.dtype(np.float64)


def _input_width(net: Sequential) -> int | None:
    for layer in net.layers:
        if isinstance(layer, Dense):
            return layer.n_in
    return None


def _output_width(net: Sequential) -> int | None:
    for layer in reversed(net.layers):
        if isinstance(layer, Dense):
            return layer.n_out
    return None


def _resolve_loss(loss: Loss | str) -> Loss:
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        return get_loss(loss)
    raise TypeError(f"loss must be a Loss or a loss name, got {type(loss).__name__}")


def _resolve_optimizer(optimizer: Any, net: Sequential) -> Any:
    if isinstance(optimizer, str):
        from . import optim

        table = {"sgd": lambda ps: optim.SGD(ps, lr=0.01), "adam": optim.Adam,
                 "adamw": optim.AdamW}
        try:
            return table[optimizer.lower()](net.parameters())
        except KeyError:
            raise ValueError(f"unknown optimizer {optimizer!r}; known: {sorted(table)}") from None
    if not hasattr(optimizer, "step"):
        raise TypeError(f"optimizer must be an optimiser object or a name, got {optimizer!r}")
    return optimizer


def _prepare_targets(loss: Loss, y: Any, dtype: np.dtype) -> np.ndarray:
    y = np.asarray(y)
    if isinstance(loss, SoftmaxCrossEntropy) and y.ndim == 1:
        if not np.issubdtype(y.dtype, np.integer):
            if y.size and not np.all(np.mod(y, 1) == 0):
                raise ValueError("class labels must be integers")
            y = y.astype(np.int64)
        return y
    return y.astype(dtype, copy=False)


def _correct(loss: Loss, out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
    """Number of correct predictions in a batch and how many predictions were made."""
    if isinstance(loss, SoftmaxCrossEntropy):
        pred = out.argmax(axis=1)
        truth = y if y.ndim == 1 else y.argmax(axis=1)
        return float(np.count_nonzero(pred == truth)), out.shape[0]
    if isinstance(loss, BinaryCrossEntropy):
        truth = y.reshape(out.shape)
        return float(np.count_nonzero((out > 0) == (truth > 0.5))), out.size
    return 0.0, 0


def _is_classifier(loss: Loss) -> bool:
    return isinstance(loss, (SoftmaxCrossEntropy, BinaryCrossEntropy))


def _first_nonfinite_layer_output(net: Sequential, xb: np.ndarray) -> str:
    """Re-run a forward pass layer by layer to name where a non-finite value first appears."""
    x = xb
    for i, layer in enumerate(net.layers):
        x = layer.forward(x)
        if not np.all(np.isfinite(x)):
            return f"layer {i} ({type(layer).__name__}) output"
    return "the loss"


def _nonfinite_grad(params: list[Any], flat_grad: np.ndarray | None = None) -> str | None:
    """Name the parameter whose gradient holds a NaN or an infinity (None if all are finite)."""
    # a sum is NaN/inf when any element is: one cheap reduction over the flat gradient buffer
    # (or one per parameter); only a non-finite sum pays for the element-wise search
    if flat_grad is not None and math.isfinite(float(flat_grad.sum())):
        return None
    for p in reversed(params):  # backward runs last layer first: name the origin
        # a float32 sum of huge finite values can overflow: confirm element-wise
        if not math.isfinite(float(np.sum(p.grad))) and not np.all(np.isfinite(p.grad)):
            return p.name
    return None


def _describe_param(net: Sequential, name: str) -> str:
    index, attr = name.split(".", 1)
    layer = net.layers[int(index)]
    return f"layer {index} ({type(layer).__name__}) gradient of {attr}"


# --- evaluation -----------------------------------------------------------------------------

def predict_raw(net: Sequential, X: Any, *, batch_size: int = 1024) -> np.ndarray:
    """Network outputs in evaluation mode, computed in batches (the net's mode is restored)."""
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    was_training = net.training
    net.eval()
    try:
        outs = [np.array(net.forward(X[i:i + batch_size]), copy=True)
                for i in range(0, X.shape[0], batch_size)]
    finally:
        net.train(was_training)
    if not outs:
        raise ValueError("X is empty")
    return np.concatenate(outs, axis=0)


def evaluate(net: Sequential, X: Any, y: Any, *, loss: Loss | str,
             batch_size: int = 1024) -> dict[str, float]:
    """Mean loss (and accuracy for classifiers) over a data set, in evaluation mode."""
    loss = _resolve_loss(loss)
    dtype = net_dtype(net)
    X = np.asarray(X)
    y = _prepare_targets(loss, y, dtype)
    out = predict_raw(net, X, batch_size=batch_size)
    J = loss.forward(out, y)
    result = {"loss": J}
    if _is_classifier(loss):
        correct, total = _correct(loss, out, y)
        result["accuracy"] = correct / total
    return result


def _val_logs(net: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    return {f"val_{k}": v for k, v in evaluate(net, X, y, loss=loss).items()}


# --- checkpoints ----------------------------------------------------------------------------

def _rng_layers(net: Sequential) -> list[tuple[int, Layer]]:
    return [(i, layer) for i, layer in enumerate(net.layers) if hasattr(layer, "get_rng_state")]


def save_checkpoint(path: str | Path, state: TrainState, *, iterator: Any, schedule: Any,
                    callbacks: list[Callback], extra: dict[str, Any] | None = None) -> None:
    """Write everything needed to continue training bit-identically (atomic)."""
    opt_meta = dict(state.optimizer.state_dict())
    opt_arrays = opt_meta.pop("arrays", {})
    arrays = {f"param/{p.name}": p.data for p in state.net.parameters()}
    arrays.update({f"buffer/{k}": v for k, v in state.net.buffers().items()})
    arrays.update({f"optim/{k}": v for k, v in opt_arrays.items()})
    cb_meta = []
    for i, cb in enumerate(callbacks):
        meta, cb_arrays = cb.state_dict()
        cb_meta.append({"type": type(cb).__name__, "state": meta})
        arrays.update({f"callback{i}/{k}": v for k, v in cb_arrays.items()})
    meta = {
        "format": _io.FORMAT, "kind": "checkpoint", "version": _io.VERSION,
        "layers": _io.describe(state.net),
        "epoch": state.epoch,
        "optimizer": {"type": type(state.optimizer).__name__, "state": opt_meta},
        "schedule": None if schedule is None else {"type": type(schedule).__name__,
                                                    "state": schedule.state_dict()},
        "iterator": iterator.get_state(),
        "layer_rngs": {str(i): layer.get_rng_state() for i, layer in _rng_layers(state.net)},
        "callbacks": cb_meta,
        "history": state.history.to_dict(),
        "extra": extra or {},
    }
    _io.write_archive(path, meta, arrays)


def _restore_checkpoint(path: str | Path, state: TrainState, *, iterator: Any, schedule: Any,
                        callbacks: list[Callback]) -> None:
    meta, arrays = _io.read_archive(path)
    if meta.get("kind") != "checkpoint":
        raise _io.ModelFileError(f"{path}: not a training checkpoint (kind {meta.get('kind')!r})")
    if meta.get("layers") != _io.describe(state.net):
        raise ValueError(f"{path}: the checkpoint's architecture differs from this network")
    _io._load_state(state.net, arrays, path)
    opt_arrays = {k[len("optim/"):]: v for k, v in arrays.items() if k.startswith("optim/")}
    if meta["optimizer"]["type"] != type(state.optimizer).__name__:
        raise ValueError(f"{path}: checkpoint was made with {meta['optimizer']['type']}, "
                         f"resuming with {type(state.optimizer).__name__}")
    state.optimizer.load_state_dict({**meta["optimizer"]["state"], "arrays": opt_arrays})
    if schedule is not None and meta.get("schedule") is not None:
        schedule.load_state_dict(meta["schedule"]["state"])
    iterator.set_state(meta["iterator"])
    for i, layer in _rng_layers(state.net):
        if str(i) in meta.get("layer_rngs", {}):
            layer.set_rng_state(meta["layer_rngs"][str(i)])
    for i, (cb, cb_meta) in enumerate(zip(callbacks, meta.get("callbacks", []), strict=False)):
        prefix = f"callback{i}/"
        cb.load_state_dict(cb_meta["state"],
                           {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)})
    state.history = History.from_dict(meta["history"])
    state.epoch = int(meta["epoch"])


# --- the loop -------------------------------------------------------------------------------

def _schedule_per_step(schedule: Any, interval: str) -> bool:
    if interval == "step":
        return True
    if interval == "epoch":
        return False
    if interval != "auto":
        raise ValueError(f"schedule_interval must be 'auto', 'step' or 'epoch', got {interval!r}")
    return type(schedule).__name__ == "OneCycleLR"


def fit(net: Sequential, X: Any, y: Any, *, loss: Loss | str, optimizer: Any,
        epochs: int = 10, batch_size: int = 32, validation_data: tuple[Any, Any] | None = None,
        validation_split: float = 0.0, shuffle: bool = True, seed: int | None = None,
        augment: Any = None, schedule: Any = None, schedule_interval: str = "auto",
        early_stopping: EarlyStopping | int | None = None,
        callbacks: Iterable[Callback] = (), verbose: bool = True,
        checkpoint: str | Path | None = None, checkpoint_every: int = 1,
        resume: str | Path | None = None, diagnostics: Any = False) -> History:
    """Train ``net`` on ``(X, y)`` with mini-batch gradient descent.

    Parameters
    ----------
    net : Sequential
    X : array-like of shape (n_samples, n_features)
    y : array-like
        Targets: integer labels ``(n_samples,)`` or one-hot rows for
        :class:`~backprop.SoftmaxCrossEntropy`; 0/1 values for
        :class:`~backprop.BinaryCrossEntropy`; real values ``(n_samples, n_outputs)`` for
        :class:`~backprop.SquaredError`.
    loss : Loss or str
    optimizer : optimiser or {"sgd", "adam", "adamw"}
        Usually ``bp.Adam(net.parameters(), lr=1e-3)``.
    epochs : int, default 10
    batch_size : int, default 32
    validation_data : (X_val, y_val), optional
    validation_split : float, default 0
        Fraction of ``(X, y)`` held out for validation when ``validation_data`` is not given
        (drawn with ``seed``).
    shuffle : bool, default True
        Reshuffle the training data every epoch.
    seed : int, optional
        Seed of the loop's random choices (split, shuffling, augmentation).
    augment : callable, optional
        ``augment(X_batch, rng) -> X_batch`` applied to each training batch
        (e.g. :class:`backprop.data.RandomShift`).
    schedule : learning-rate schedule, optional
        Stepped once per epoch, or once per batch for ``OneCycleLR`` (``schedule_interval``
        overrides); ``ReduceLROnPlateau`` is stepped with the validation loss (training loss if
        there is no validation data).
    early_stopping : EarlyStopping or int, optional
        An int is the patience of ``EarlyStopping("val_loss", restore_best_weights=True)``.
    callbacks : iterable of Callback
    verbose : bool, default True
        Report progress (a tqdm bar on a terminal, else one line per epoch) on stderr.
    checkpoint : path, optional
        Write a checkpoint there every ``checkpoint_every`` epochs (and when interrupted by
        Ctrl-C, at the last finished epoch).
    resume : path, optional
        Continue from a checkpoint written by an earlier run with the same arguments.
    diagnostics : bool or Diagnostics, default False
        ``True`` adds a :class:`backprop.diagnostics.Diagnostics` callback with its defaults (a
        per-layer record on the last batch of each epoch, in ``history.diagnostics``); pass a
        ``Diagnostics(...)`` to choose its settings. Off, it costs nothing.

    Returns
    -------
    History
    """
    from .data import BatchIterator, check_Xy, train_val_split

    if not isinstance(net, Sequential):
        raise TypeError(f"fit expects a Sequential network, got {type(net).__name__}")
    loss = _resolve_loss(loss)
    optimizer = _resolve_optimizer(optimizer, net)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch size", batch_size, minimum=1)
    check_range("validation_split", validation_split, 0.0, 1.0)
    checkpoint_every = check_int("checkpoint_every", checkpoint_every, minimum=1)
    dtype = net_dtype(net)
    n_classes = _output_width(net) if isinstance(loss, SoftmaxCrossEntropy) else None
    check_Xy(X, y, n_features=_input_width(net), n_classes=n_classes)
    X = np.ascontiguousarray(np.asarray(X), dtype=dtype)
    y = _prepare_targets(loss, y, dtype)

    split_seed, loop_seed = np.random.SeedSequence(seed).spawn(2) if seed is not None else (
        None, None)
    if validation_data is None and validation_split > 0:
        X, y, X_val, y_val = train_val_split(X, y, validation_split,
                                             rng=np.random.default_rng(split_seed))
        validation_data = (X_val, y_val)
    if validation_data is not None:
        X_val, y_val = validation_data
        check_Xy(X_val, y_val, n_features=_input_width(net), n_classes=n_classes)
        X_val = np.asarray(X_val, dtype=dtype)
        y_val = _prepare_targets(loss, y_val, dtype)

    iterator = BatchIterator(X, y, batch_size, shuffle=shuffle,
                             rng=np.random.default_rng(loop_seed), augment=augment)
    callbacks = list(callbacks)
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping("val_loss" if validation_data is not None else "loss",
                                       patience=early_stopping)
    if early_stopping is not None:
        if not isinstance(early_stopping, EarlyStopping):
            raise TypeError("early_stopping must be an EarlyStopping or a patience (int)")
        callbacks.append(early_stopping)
    if diagnostics is True:
        from .diagnostics import Diagnostics

        callbacks.append(Diagnostics())
    elif diagnostics is not False and diagnostics is not None:
        if not isinstance(diagnostics, Callback):
            raise TypeError(f"diagnostics must be True, False or a Diagnostics callback, got "
                            f"{diagnostics!r}")
        callbacks.append(diagnostics)
    if verbose:
        callbacks.append(ProgressLogger())

    state = TrainState(net=net, loss=loss, optimizer=optimizer, history=History(),
                       epochs=epochs, steps_per_epoch=len(iterator))
    if resume is not None:
        _restore_checkpoint(resume, state, iterator=iterator, schedule=schedule,
                            callbacks=callbacks)
    per_step = schedule is not None and _schedule_per_step(schedule, schedule_interval)
    plateau = schedule is not None and type(schedule).__name__ == "ReduceLROnPlateau"
    params = net.parameters()
    run = contiguous_run(params)
    flat_grad = run[1] if run is not None else None
    classifier = _is_classifier(loss)
    net.train()

    def write_checkpoint() -> None:
        if checkpoint is not None:
            save_checkpoint(checkpoint, state, iterator=iterator, schedule=schedule,
                            callbacks=callbacks)

    for cb in callbacks:
        cb.on_train_begin(state)
    # Overflow inside a diverging step is reported once, by the guard, not as NumPy warnings.
    errstate = np.errstate(over="ignore", invalid="ignore")
    errstate.__enter__()
    try:
        while state.epoch < epochs and not state.stop:
            state.epoch += 1
            state.step = 0
            for cb in callbacks:
                cb.on_epoch_begin(state)
            snapshot = [a.copy() for a in state.state_arrays()]
            total_loss = 0.0
            seen = 0
            correct = 0.0
            counted = 0
            for xb, yb in iterator:
                state.step += 1
                for cb in callbacks:
                    cb.on_batch_begin(state)
                out = net.forward(xb)
                J = loss.forward(out, yb)
                if not math.isfinite(J):
                    where = _first_nonfinite_layer_output(net, xb)
                    _diverged(state, f"the loss became {J} at epoch {state.epoch}, step "
                                     f"{state.step} (first non-finite value: {where})")
                    break
                net.backward(loss.backward(), input_grad=False)
                for cb in callbacks:
                    cb.on_after_backward(state)
                bad = _nonfinite_grad(params, flat_grad)
                if bad is not None:
                    _diverged(state, f"a non-finite gradient appeared at epoch {state.epoch}, "
                                     f"step {state.step}: {_describe_param(net, bad)}")
                    break
                optimizer.step()
                if per_step:
                    schedule.step()
                m = xb.shape[0]
                total_loss += J * m
                seen += m
                if classifier:
                    c, n = _correct(loss, out, yb)
                    correct += c
                    counted += n
                for cb in callbacks:
                    cb.on_batch_end(state, {"loss": J})
            if state.history.diverged:
                # the bad step was not applied; if parameters themselves went bad, roll back
                if not all(np.all(np.isfinite(a)) for a in state.state_arrays()):
                    for target, good in zip(state.state_arrays(), snapshot, strict=True):
                        target[...] = good
                    state.stop_reason += ("; parameters restored from the start of epoch "
                                          f"{state.epoch}")
                break
            if not all(math.isfinite(float(np.sum(a))) for a in state.state_arrays()):
                for target, good in zip(state.state_arrays(), snapshot, strict=True):
                    target[...] = good
                _diverged(state, f"parameters became non-finite during epoch {state.epoch}; "
                                 f"restored the parameters from the start of that epoch")
                break
            logs = {"loss": total_loss / max(seen, 1)}
            if classifier:
                logs["accuracy"] = correct / max(counted, 1)
            if validation_data is not None:
                logs.update(_val_logs(net, loss, X_val, y_val))
                net.train()
            logs["lr"] = float(optimizer.lr)
            state.history.append(state.epoch, logs)
            if schedule is not None and not per_step:
                if plateau:
                    schedule.step(logs.get("val_loss", logs["loss"]))
                else:
                    schedule.step()
            for cb in callbacks:
                cb.on_epoch_end(state, logs)
            if state.epoch % checkpoint_every == 0 or state.epoch == epochs:
                write_checkpoint()
    except KeyboardInterrupt:
        state.stop = True
        state.stop_reason = (f"interrupted during epoch {state.epoch}; the last checkpoint "
                             f"holds epoch {_last_saved_epoch(state, checkpoint_every)}")
        state.history.interrupted = True
    finally:
        errstate.__exit__(None, None, None)
        net.train()
    for cb in callbacks:
        cb.on_train_end(state)
    if state.stop_reason:
        state.history.stop_reason = state.stop_reason
    return state.history


def _last_saved_epoch(state: TrainState, every: int) -> int:
    done = state.epoch - 1
    return done - done % every


def _diverged(state: TrainState, message: str) -> None:
    state.stop = True
    state.history.diverged = True
    state.stop_reason = message + "; training stopped, the last good parameters are kept"
    warnings.warn(state.stop_reason, TrainingDivergedWarning, stacklevel=3)


def _link(loss: Loss | str | None, net: Sequential) -> str:
    if loss is None:
        loss = getattr(net, "loss_", None)
    if loss is None:
        return "identity"
    return _resolve_loss(loss).link


def predict_proba(net: Sequential, X: Any, *, loss: Loss | str | None = None) -> np.ndarray:
    """Class probabilities: softmax of the logits (softmax cross-entropy) or the sigmoid of each
    logit (binary cross-entropy). ``loss`` defaults to the one the network was trained with."""
    out = predict_raw(net, X)
    link = _link(loss, net)
    if link == "softmax":
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if link == "sigmoid":
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-out))
    raise ValueError("predict_proba needs a classifier (trained with SoftmaxCrossEntropy or "
                     "BinaryCrossEntropy); this network's outputs are not probabilities")


def predict(net: Sequential, X: Any, *, loss: Loss | str | None = None) -> np.ndarray:
    """Predictions: class labels for classifiers (argmax, or logit > 0 per unit), raw outputs for
    regression."""
    out = predict_raw(net, X)
    link = _link(loss, net)
    if link == "softmax":
        return out.argmax(axis=1)
    if link == "sigmoid":
        labels = (out > 0).astype(np.int64)
        return labels[:, 0] if labels.shape[1] == 1 else labels
    return out
