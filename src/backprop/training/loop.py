"""The training loop: forward -> loss -> backward -> guard -> step, for every mini-batch.

:func:`fit` checks its arguments, sets the run up and then runs :func:`run_epochs`, which is the
teaching loop itself and adds nothing to the math of the engine pieces it calls::

    out = net.forward(xb)                         # forward pass
    J = loss.forward(out, yb)                     # the batch's cost
    net.backward(loss.backward(), input_grad=False)   # backward pass: every p.grad
    (guard: stop if J or a gradient is NaN or infinite)
    optimizer.step()                              # the update

Everything else -- validation, the history, learning-rate schedules, early stopping,
diagnostics, progress, checkpoints -- is a small :class:`~backprop.training.callbacks.Callback`
around it (see :mod:`backprop.training.callbacks` for their order).

Guards
------
A non-finite loss or gradient stops training at once with a :class:`TrainingDivergedWarning`
naming the epoch, the step and the layer; the optimiser step that would have used the bad values
is not taken. Parameters can go bad well before the loss does (finite but ~1e17, predicting NaN
for every input), so the run keeps parameters only after checking them: the network's state is
copied at the start of every epoch and every :data:`SNAPSHOT_EVERY` steps (into buffers
allocated once, two rolling copies), and when training diverges the newest state whose outputs
and loss on the failing batch are finite in evaluation mode is restored -- the current one, then
the snapshots, newest first. If none is, ``history.no_good_parameters`` is True and the message
says the network holds nothing worth keeping (``backprop train`` then saves nothing).

Reproducibility
---------------
``seed`` drives every random choice of the loop (validation split, shuffling, augmentation); the
network's own initialisation and dropout masks come from the generators given to its layers. Same
seeds -> identical parameters, bit for bit. A checkpoint stores the model, the optimiser and
schedule state, every random generator's state and the history, so a run resumed from it ends
with the same parameters as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .. import compiled
from .._checks import check_bool, check_int, check_range
from ..layers.sequential import Sequential
from ..losses import Loss, resolve_loss
from ..optim.optimizers import OPTIMIZERS, Optimizer, make_optimizer
from ..parameters import contiguous_run
from ..threads import ThreadPolicy, flops_per_step
from .callbacks import (
    Callback,
    EarlyStopping,
    History,
    ProgressLogger,
    RecordHistory,
    ScheduleStepper,
    TrainState,
    Validation,
)
from .checkpoint import Checkpoint, restore_checkpoint
from .evaluation import net_dtype


class TrainingDivergedWarning(RuntimeWarning):
    """Training stopped because a loss, gradient or parameter became NaN or infinite."""


# --- the guard ------------------------------------------------------------------------------------
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
    # one pass over the flat gradient buffer: the compiled test of every element's exponent,
    # or a sum (NaN/inf when any element is); only a bad gradient pays for naming the parameter
    if flat_grad is not None:
        kernels = compiled.kernels
        if kernels is not None and flat_grad.flags.c_contiguous:
            if kernels.all_finite(flat_grad):
                return None
        elif math.isfinite(float(flat_grad.sum())):
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


#: steps between two snapshots of the network's state (besides the one at each epoch's start);
#: a copy of the parameters every 32 steps costs well under 1% of a step's time
SNAPSHOT_EVERY = 32


def _all_finite(arrays: list[np.ndarray]) -> bool:
    return all(math.isfinite(float(np.sum(a))) for a in arrays)


class _Snapshots:
    """Copies of the network's state (parameters and buffers), in buffers allocated once: the
    state at the start of the epoch, and two rolling copies taken every ``every`` steps."""

    def __init__(self, arrays: list[np.ndarray], every: int):
        self.arrays = arrays
        self.every = every
        self.slots = [[np.empty_like(a) for a in arrays] for _ in range(3)]
        self.where: list[str | None] = [None, None, None]  # slot 0: epoch start; 1, 2: rolling
        self.newest = 1
        self.count = 0

    def take(self, slot: int, where: str) -> None:
        for dst, src in zip(self.slots[slot], self.arrays, strict=True):
            np.copyto(dst, src)
        self.where[slot] = where

    def epoch_start(self, epoch: int) -> None:
        self.take(0, f"the start of epoch {epoch}")
        self.where[1] = self.where[2] = None  # the rolling copies are of the previous epoch

    def step(self, epoch: int, step: int) -> None:
        self.count += 1
        if self.count % self.every == 0:
            self.newest = 3 - self.newest
            self.take(self.newest, f"epoch {epoch}, step {step}")

    def candidates(self) -> list[tuple[str, list[np.ndarray]]]:
        """Restorable states, newest first."""
        order = [self.newest, 3 - self.newest, 0]
        return [(self.where[i], self.slots[i]) for i in order if self.where[i] is not None]


def _usable(net: Sequential, loss: Loss, xb: np.ndarray, yb: Any) -> bool:
    """Whether the network's outputs and loss on ``(xb, yb)`` are finite in evaluation mode."""
    if not _all_finite([p.data for p in net.parameters()] + list(net.buffers().values())):
        return False
    net.eval()
    try:
        out = net.forward(xb)
        return bool(np.all(np.isfinite(out))) and math.isfinite(float(loss.forward(out, yb)))
    except (ValueError, FloatingPointError):
        return False
    finally:
        net.train()


def _diverged(state: TrainState, message: str, snapshots: _Snapshots, batch: tuple[Any, ...],
              current_ok: bool) -> None:
    """Stop, and keep the newest state that predicts finite values on the failing batch."""
    state.stop = True
    state.history.diverged = True
    xb, yb = batch[0], batch[1]
    net, loss = state.net, state.loss
    if current_ok and _usable(net, loss, xb, yb):
        kept = "the parameters before this step are kept (finite on the failing batch)"
    else:
        kept = None
        for where, saved in snapshots.candidates():
            _restore(state, saved)
            if _usable(net, loss, xb, yb):
                kept = (f"the parameters of {where} are restored (checked: finite outputs on "
                        f"the failing batch)")
                break
        if kept is None:
            state.history.no_good_parameters = True
            kept = ("no parameters seen in this epoch give finite outputs on the failing batch: "
                    "the network holds nothing worth keeping")
    state.stop_reason = f"{message}; training stopped, {kept}"
    warnings.warn(state.stop_reason, TrainingDivergedWarning, stacklevel=4)


class _EpochMeter:
    """The epoch's mean loss and accuracy, accumulated batch by batch."""

    def __init__(self, loss: Loss):
        self.loss = loss
        self.total = 0.0
        self.seen = 0
        self.correct = 0.0
        self.counted = 0

    def add(self, J: float, out: np.ndarray, yb: np.ndarray,
            wb: np.ndarray | None = None) -> None:
        m = out.shape[0] if wb is None else float(wb.sum())  # J is a (weighted) batch mean
        self.total += J * m
        self.seen += m
        if self.loss.classifier:
            c, n = self.loss.count_correct(out, yb)
            self.correct += c
            self.counted += n

    def logs(self) -> dict[str, float]:
        logs = {"loss": self.total / max(self.seen, 1)}
        if self.loss.classifier:
            logs["accuracy"] = self.correct / max(self.counted, 1)
        return logs


# --- the loop ---------------------------------------------------------------------------------
def run_epochs(state: TrainState, callbacks: list[Callback]) -> History:
    """Train until ``state.epochs`` epochs are done or a callback or the guard stops it."""
    net, loss, optimizer = state.net, state.loss, state.optimizer
    params = net.parameters()
    run = contiguous_run(params)
    flat_grad = run[1] if run is not None else None
    net.train()
    snapshots = _Snapshots(state.state_arrays(), SNAPSHOT_EVERY)
    # the per-batch hooks of the callbacks that have them (most callbacks act once an epoch)
    batch_begin = _hooks(callbacks, "on_batch_begin")
    after_backward = _hooks(callbacks, "on_after_backward")
    batch_end = _hooks(callbacks, "on_batch_end")
    for cb in callbacks:
        cb.on_train_begin(state)
    # Overflow inside a diverging step is reported once, by the guard, not as NumPy warnings.
    errstate = np.errstate(over="ignore", invalid="ignore")
    errstate.__enter__()
    try:
        while state.epoch < state.epochs and not state.stop:
            state.epoch += 1
            state.step = 0
            for cb in callbacks:
                cb.on_epoch_begin(state)
            snapshots.epoch_start(state.epoch)
            meter = _EpochMeter(loss)
            batch: tuple[Any, ...] = ()
            for batch in state.iterator:
                xb, yb = batch[0], batch[1]
                wb = batch[2] if len(batch) > 2 else None  # sample weights, when fit has them
                state.step += 1
                snapshots.step(state.epoch, state.step)
                for hook in batch_begin:
                    hook(state)
                out = net.forward(xb)
                J = loss.forward(out, yb) if wb is None else loss.forward(out, yb,
                                                                           sample_weight=wb)
                if not math.isfinite(J):
                    where = _first_nonfinite_layer_output(net, xb)
                    _diverged(state, f"the loss became {J} at epoch {state.epoch}, step "
                                     f"{state.step} (first non-finite value: {where})",
                              snapshots, batch, current_ok=False)
                    break
                net.backward(loss.backward(), input_grad=False)
                for hook in after_backward:
                    hook(state)
                bad = _nonfinite_grad(params, flat_grad)
                if bad is not None:
                    _diverged(state, f"a non-finite gradient appeared at epoch {state.epoch}, "
                                     f"step {state.step}: {_describe_param(net, bad)}",
                              snapshots, batch, current_ok=True)
                    break
                optimizer.step()
                meter.add(J, out, yb, wb)
                for hook in batch_end:
                    hook(state, {"loss": J})
            if state.history.diverged:
                break
            if not _all_finite(state.state_arrays()):
                _diverged(state, f"parameters became non-finite during epoch {state.epoch}",
                          snapshots, batch, current_ok=False)
                break
            logs = meter.logs()
            for cb in callbacks:
                cb.on_epoch_end(state, logs)
    except KeyboardInterrupt:
        state.stop = True
        state.stop_reason = f"interrupted during epoch {state.epoch}"
        state.history.interrupted = True
    finally:
        errstate.__exit__(None, None, None)
        net.train()
    for cb in callbacks:
        cb.on_train_end(state)
    if state.history.no_good_parameters and state.history.best_epoch is not None:
        # early stopping put back the weights of its best epoch, which were finite
        state.history.no_good_parameters = False
        state.stop_reason += (f"; early stopping restored the weights of epoch "
                              f"{state.history.best_epoch}")
    if state.stop_reason:
        state.history.stop_reason = state.stop_reason
    return state.history


def _hooks(callbacks: list[Callback], name: str) -> list[Any]:
    """The bound ``name`` methods of the callbacks that do something there (a class that
    overrides it, or a function set on the instance, as ``LambdaCallback`` does)."""
    base = getattr(Callback, name)
    return [getattr(cb, name) for cb in callbacks
            if name in vars(cb) or getattr(type(cb), name) is not base]


def _restore(state: TrainState, snapshot: list[np.ndarray]) -> None:
    for target, good in zip(state.state_arrays(), snapshot, strict=True):
        target[...] = good


# --- setting a run up --------------------------------------------------------------------------
def _single_row_last_batch(net: Sequential, n: int, batch_size: int, shuffle: bool) -> bool:
    """Whether to drop an epoch's last batch: it would hold one row, which a batch-normalising
    layer in training mode cannot normalise (its variance is undefined)."""
    needs_batch = [layer for layer in net.layers if getattr(layer, "needs_batch_stats", False)]
    if not needs_batch or n % batch_size != 1:
        return False
    if n == 1:
        raise ValueError(f"{needs_batch[0].label()} normalises with batch statistics and needs "
                         f"at least 2 training samples, got 1")
    which = "a different one each epoch" if shuffle else "always the last one"
    warnings.warn(f"{n} training samples in batches of {batch_size} leave a last batch of one "
                  f"sample, which batch normalisation cannot normalise: that sample is left out "
                  f"of each epoch ({which})", UserWarning, stacklevel=3)
    return True



def _resolve_optimizer(optimizer: Any, net: Sequential) -> Any:
    if isinstance(optimizer, str):
        return make_optimizer(optimizer, net.parameters())
    if not callable(getattr(optimizer, "step", None)):
        known = ", ".join(OPTIMIZERS.names())
        raise TypeError(f"optimizer must be an optimiser object or a name ({known}), got "
                        f"{optimizer!r}")
    params = getattr(optimizer, "params", None)
    if params is not None:
        own = {(id(p.owner), p.attr) for p in net.parameters()}
        stray = [p for p in params if (id(p.owner), p.attr) not in own]
        if stray:
            raise ValueError(f"the optimizer updates {len(stray)} parameter(s) that are not "
                             f"this network's (first: {stray[0].name!r}), so training would "
                             f"change nothing here; build it on this network: "
                             f"{type(optimizer).__name__}(net.parameters(), ...)")
    return optimizer


#: schedule arguments ``fit`` can derive from its own: name -> fit's value
def _schedule_pool(optimizer: Any, epochs: int, steps: int) -> dict[str, Any]:
    return {"T_max": epochs, "total_steps": epochs * steps, "epochs": epochs,
            "steps_per_epoch": steps, "max_lr": optimizer.lr, "total_iters": epochs}


def _resolve_schedule(schedule: Any, optimizer: Any, epochs: int, steps: int) -> Any:
    """A schedule object, or one built by name when fit's arguments give all it needs."""
    if schedule is None:
        return None
    if isinstance(schedule, str):
        import inspect

        from ..optim.schedules import SCHEDULES, make_schedule

        if schedule not in SCHEDULES:
            known = ", ".join(SCHEDULES.names())
            raise ValueError(f"unknown schedule {schedule!r}; known: {known}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"schedule={schedule!r} needs a backprop optimiser to act on")
        cls = SCHEDULES[schedule]
        wanted = inspect.signature(cls).parameters
        pool = _schedule_pool(optimizer, epochs, steps)
        missing = [n for n, p in wanted.items() if n != "optimizer"
                   and p.default is inspect.Parameter.empty and n not in pool]
        if missing:
            raise TypeError(f"schedule={schedule!r} needs {', '.join(missing)}, which fit cannot "
                            f"derive; build it: bp.optim.make_schedule({schedule!r}, optimizer, "
                            f"{', '.join(f'{m}=...' for m in missing)})")
        return make_schedule(schedule, optimizer, **{k: v for k, v in pool.items()
                                                     if k in wanted})
    if not callable(getattr(schedule, "step", None)):
        raise TypeError(f"schedule must be a learning-rate schedule (bp.optim.StepLR(opt, ...)) "
                        f"or a schedule name, got {schedule!r}")
    target = getattr(schedule, "optimizer", None)
    if target is not None and target is not optimizer:
        raise ValueError("the schedule was built on another optimizer than the one fit uses; "
                         "build it on this one")
    return schedule


def _check_callbacks(callbacks: Any) -> list[Callback]:
    if isinstance(callbacks, Callback):
        raise TypeError("callbacks must be a list of Callback objects, got one Callback; "
                        "wrap it: callbacks=[cb]")
    try:
        items = list(callbacks)
    except TypeError:
        raise TypeError(f"callbacks must be a list of Callback objects, got "
                        f"{callbacks!r}") from None
    for i, cb in enumerate(items):
        if not isinstance(cb, Callback):
            raise TypeError(f"callbacks[{i}] must be a Callback (bp.Callback subclass or "
                            f"bp.LambdaCallback), got {cb!r}")
    return items


def _check_labels(y: Any) -> None:
    """Class labels given as text get a message that says what to do."""
    try:
        arr = np.asarray(y)
    except (ValueError, TypeError):
        return
    if arr.dtype.kind in "USO" and arr.size:
        first = next(iter(arr.reshape(-1).tolist()))
        if isinstance(first, (str, bytes)):
            raise TypeError(f"y holds text labels ({first!r}, ...); bp.fit trains on class "
                            f"indices 0..K-1: call net.fit(...), which encodes labels into "
                            f"net.classes_, or encode them with np.unique(y, "
                            f"return_inverse=True)")


def fit(net: Sequential, X: Any, y: Any, *, loss: Loss | str, optimizer: Optimizer | str,
        epochs: int = 10, batch_size: int = 32, validation_data: tuple[Any, Any] | None = None,
        validation_split: float = 0.0, shuffle: bool = True, seed: int | None = None,
        augment: Any = None, schedule: Any = None, schedule_interval: str = "auto",
        early_stopping: EarlyStopping | int | None = None,
        callbacks: Iterable[Callback] = (), verbose: bool = True,
        checkpoint: str | Path | None = None, checkpoint_every: int = 1,
        resume: str | Path | None = None, diagnostics: Any = False,
        sample_weight: Any = None, threads: int | str | None = "auto") -> History:
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
        A loss or a name registered in :data:`backprop.losses.LOSSES`.
    optimizer : optimiser or str
        Usually ``bp.Adam(net.parameters(), lr=1e-3)``; a name registered in
        :data:`backprop.optim.OPTIMIZERS` builds one with its defaults.
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
        Stepped once per epoch, or once per batch for a schedule whose ``interval`` is
        ``"step"`` (``OneCycleLR``; ``schedule_interval`` overrides); a schedule that
        ``needs_metric`` (``ReduceLROnPlateau``) is stepped with the validation loss (the
        training loss if there is no validation data).
    early_stopping : EarlyStopping or int, optional
        An int is the patience of ``EarlyStopping("val_loss", restore_best_weights=True)``.
    callbacks : iterable of Callback
    verbose : bool, default True
        Report progress (a tqdm bar on a terminal, else one line per epoch) on stderr.
    checkpoint : path, optional
        Write a checkpoint there every ``checkpoint_every`` epochs (and after the last one).
    resume : path, optional
        Continue from a checkpoint written by an earlier run with the same arguments.
    diagnostics : bool or Diagnostics, default False
        ``True`` adds a :class:`backprop.diagnostics.Diagnostics` callback with its defaults (a
        per-layer record on the last batch of each epoch, in ``history.diagnostics``); pass a
        ``Diagnostics(...)`` to choose its settings. Off, it costs nothing.
    sample_weight : array-like of shape (n_samples,), optional
        Each sample's weight in the cost of its batch: the loss of a batch is
        :math:`\\sum_i s_i L_i / \\sum_i s_i` (a weight of 2 counts a sample twice). Validation
        is unweighted.
    threads : "auto", int or None, default "auto"
        BLAS threads during training. ``"auto"``: :class:`backprop.threads.ThreadPolicy` --
        one thread when the step's matrix products are too small to share, otherwise the cores
        shared among the backprop trainings running on the machine, looked at again every epoch
        (needs threadpoolctl, the ``threads`` extra). An int fixes the number; None leaves the
        BLAS as it is.

    Returns
    -------
    History
    """
    from ..data import BatchIterator, check_Xy, train_val_split

    if not isinstance(net, Sequential):
        raise TypeError(f"fit expects a Sequential network, got {type(net).__name__}")
    loss = resolve_loss(loss)
    if loss.repeats_link(net.layers):
        warnings.warn(f"the network ends with a {loss.link} and the {loss.name} loss applies the "
                      f"{loss.link} itself (it takes the logits), so the two apply it twice; "
                      f"end the network without it (predict_proba applies it)", UserWarning,
                      stacklevel=3)
    optimizer = _resolve_optimizer(optimizer, net)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch size", batch_size, minimum=1)
    check_range("validation_split", validation_split, 0.0, 1.0)
    if seed is not None:
        seed = check_int("seed", seed, minimum=0)
    check_bool("shuffle", shuffle)
    if schedule_interval not in ("auto", "step", "epoch"):  # checked even without a schedule
        raise ValueError(f"schedule_interval must be 'auto', 'step' or 'epoch', got "
                         f"{schedule_interval!r}")
    if augment is not None and not callable(augment):
        raise TypeError(f"augment must be a callable augment(X_batch, rng), got {augment!r}")
    callbacks = _check_callbacks(callbacks)
    if validation_data is not None and not (isinstance(validation_data, (tuple, list))
                                            and len(validation_data) == 2):
        raise TypeError("validation_data must be a pair (X_val, y_val)")
    if checkpoint is not None:
        from ..io import check_output_path

        check_output_path(checkpoint)  # before any step: a missing folder, a link, a device
    if resume is not None and not Path(resume).is_file():
        raise FileNotFoundError(2, f"no such checkpoint to resume: {str(resume)!r}")
    dtype = net_dtype(net)
    n_classes = net.output_width() if loss.link == "softmax" else None
    if loss.classifier:
        _check_labels(y)
    check_Xy(X, y, n_features=net.input_width, n_classes=n_classes)
    X = np.ascontiguousarray(np.asarray(X), dtype=dtype)
    y = loss.prepare_targets(y, dtype)

    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
        if sample_weight.shape[0] != X.shape[0]:
            raise ValueError(f"sample_weight has {sample_weight.shape[0]} entries for "
                             f"{X.shape[0]} samples")
        if not np.all(np.isfinite(sample_weight)) or np.any(sample_weight < 0):
            raise ValueError("sample_weight must hold finite numbers >= 0")
    split_seed, loop_seed = np.random.SeedSequence(seed).spawn(2) if seed is not None else (
        None, None)
    if validation_data is None and validation_split > 0:
        if sample_weight is not None:
            raise ValueError("validation_split with sample_weight is not supported; pass "
                             "validation_data")
        X, y, X_val, y_val = train_val_split(X, y, validation_split,
                                             rng=np.random.default_rng(split_seed))
        validation_data = (X_val, y_val)
    if validation_data is not None:
        X_val, y_val = validation_data
        check_Xy(X_val, y_val, n_features=net.input_width, n_classes=n_classes)
        validation_data = (np.asarray(X_val, dtype=dtype), loss.prepare_targets(y_val, dtype))

    drop_last = _single_row_last_batch(net, X.shape[0], batch_size, shuffle)
    iterator = BatchIterator(X, y, batch_size, shuffle=shuffle,
                             rng=np.random.default_rng(loop_seed), augment=augment,
                             sample_weight=sample_weight, drop_last=drop_last)
    schedule = _resolve_schedule(schedule, optimizer, epochs, len(iterator))
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        early_stopping = EarlyStopping("val_loss" if validation_data is not None else "loss",
                                       patience=early_stopping)
    if early_stopping is not None and not isinstance(early_stopping, EarlyStopping):
        raise TypeError("early_stopping must be an EarlyStopping or a patience (int)")
    if diagnostics is True:
        from ..diagnostics import Diagnostics

        diagnostics = Diagnostics()
    elif diagnostics is False or diagnostics is None:
        diagnostics = None
    elif not isinstance(diagnostics, Callback):
        raise TypeError(f"diagnostics must be True, False or a Diagnostics callback, got "
                        f"{diagnostics!r}")

    # the built-in callbacks around the user's, in the order documented in .callbacks
    chain: list[Callback] = []
    if validation_data is not None:
        chain.append(Validation(*validation_data))
    chain.append(RecordHistory())
    if schedule is not None:
        chain.append(ScheduleStepper(schedule, schedule_interval))
    chain += list(callbacks)
    chain += [cb for cb in (early_stopping, diagnostics) if cb is not None]
    if verbose:
        chain.append(ProgressLogger())
    if checkpoint is not None:
        chain.append(Checkpoint(checkpoint, checkpoint_every, callbacks=chain))
    else:
        check_int("checkpoint_every", checkpoint_every, minimum=1)

    policy = _thread_policy(threads, net, batch_size)
    state = TrainState(net=net, loss=loss, optimizer=optimizer, history=History(),
                       epochs=epochs, steps_per_epoch=len(iterator), iterator=iterator,
                       schedule=schedule)
    if resume is not None:
        restore_checkpoint(resume, state, chain)
    with policy:
        if isinstance(policy, ThreadPolicy):
            chain.insert(0, _LookAgainAtThreads(policy))
        return run_epochs(state, chain)


class _LookAgainAtThreads(Callback):
    """Re-applies the thread policy at every epoch: a training started (or ended) elsewhere in
    the meantime changes the share of the cores."""

    def __init__(self, policy: ThreadPolicy):
        self.policy = policy

    def on_epoch_begin(self, state: TrainState) -> None:
        if state.epoch > 1:
            self.policy.update()


def _thread_policy(threads: int | str | None, net: Sequential, batch_size: int) -> Any:
    """The context that sets the BLAS threads for the run (see ``fit``'s ``threads``)."""
    if threads is None:
        return contextlib.nullcontext()
    if threads == "auto":
        widths = [(layer.input_width, layer.output_width(layer.input_width))
                  for layer in net.layers
                  if layer.role == "affine" and layer.input_width is not None]
        return ThreadPolicy(flops_per_step(widths, batch_size))
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be 'auto', None or an integer >= 1, got {threads!r}")
    return _FixedThreads(threads)


class _FixedThreads:
    """``threads=N``: the BLAS limited to N threads for the run (threadpoolctl, if installed)."""

    def __init__(self, n: int):
        self.n = n
        self._limits: Any = None

    def __enter__(self) -> _FixedThreads:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return self
        self._limits = threadpool_limits(self.n, user_api="blas")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._limits is not None:
            self._limits.restore_original_limits()
