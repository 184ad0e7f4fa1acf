r"""Per-layer training diagnostics: gradient and weight norms, update ratios, activation health.

:class:`Diagnostics` is a :class:`~backprop.training.callbacks.Callback`; it only *observes* the
fit loop (it reads the gradients ``net.backward`` wrote and the parameters the optimiser changed,
and attaches a :meth:`~backprop.layers.Sequential.add_hook` observer to the forward pass of the
steps it records). It never changes what is computed.

For every layer with parameters (named like ``"layer 0 Dense(784->256)"``) a record holds

* ``grad_norm`` -- :math:`\lVert \partial J / \partial W^{[l]} \rVert_F`, the Frobenius norm of
  the gradient of the layer's weight (its first parameter: ``W`` of a Dense layer, ``gamma`` of a
  BatchNorm; biases are left out, as in the usual :math:`\lVert dW \rVert` plots);
* ``weight_norm`` -- :math:`\lVert W^{[l]} \rVert_F` before the optimiser step;
* ``update_ratio`` -- :math:`\lVert W_{after} - W_{before} \rVert_F / \lVert W_{before} \rVert_F`
  of that step (about 1e-3 is the classic healthy value; 1e-7 means the layer is not learning,
  1e-1 means each step rewrites it);

and for every activation layer (``"layer 1 Sigmoid"``)

* ``act_mean`` / ``act_std`` -- mean and standard deviation of its output over the batch;
* ``saturated`` -- fraction of the outputs in a flat tail (sigmoid :math:`a < 0.01` or
  :math:`a > 0.99`, tanh :math:`|a| > 0.99`), where :math:`g'(z)` is below 0.01 and the
  :math:`\odot\, g'(Z)` factor of the backward recursion all but stops the gradient;
* ``dead`` -- fraction of ReLU units that output 0 for every sample of the batch (their
  gradient is exactly 0, so they cannot recover on this batch).

Values that do not apply (``dead`` of a sigmoid) are ``None``; so are non-finite numbers, which
keeps ``history.diagnostics`` strict JSON.

Warnings
--------
A :class:`GradientWarning` names the layer and suggests the usual remedy when, at a recorded
step, a layer's gradient norm is

* **vanishing**: below ``vanish_ratio`` times the largest norm among the layers *after* it
  (closer to the output);
* **exploding**: above ``explode_ratio`` times the smallest non-zero norm among the layers after
  it;
* **non-finite** (NaN or infinite).

Comparing with the layers after it follows the direction the error signal travels
(:math:`\delta^{[l]} = (W^{[l+1]})^\top \delta^{[l+1]} \odot g'(Z^{[l]})`): a vanishing gradient
shrinks on its way back to the input and an exploding one grows. Comparing every layer with the
global largest and smallest norms instead would report one imbalance twice -- the first layer as
"vanishing" and the last as "exploding". Each layer warns at most once per condition per run;
every record keeps the full list of conditions that held at that step (``warnings``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ._checks import check_int, check_range
from .layers.base import Activation, Layer
from .parameters import Parameter
from .training.callbacks import Callback, TrainState

__all__ = ["Diagnostics", "GradientWarning", "format_record", "layer_name"]


class GradientWarning(UserWarning):
    """A layer's gradient vanished, exploded or became non-finite (see :class:`Diagnostics`)."""


#: Remedy hints attached to each warning condition.
HINTS = {
    "vanishing": ("usual remedies: Xavier (sigmoid/tanh) or He (ReLU) initialisation, ReLU "
                  "instead of sigmoid, batch normalisation"),
    "exploding": ("usual remedies: gradient clipping, a lower learning rate, Xavier/He "
                  "initialisation, batch normalisation"),
    "non-finite": ("usual remedies: a lower learning rate, gradient clipping, standardised "
                   "inputs"),
}

def layer_name(index: int, layer: Layer) -> str:
    """Readable name of a layer of a Sequential: ``"layer 0 Dense(784->256)"``."""
    return f"layer {index} {layer.label()}"


def _norm(a: np.ndarray) -> float:
    """Frobenius norm accumulated in float64 (a float32 sum of squares overflows early)."""
    flat = a.astype(np.float64, copy=False).ravel()
    with np.errstate(over="ignore", invalid="ignore"):
        return math.sqrt(float(np.dot(flat, flat)))


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _saturated(layer: Activation, a: np.ndarray) -> float | None:
    """Share of outputs in the activation's flat region (None when it has none)."""
    flat = layer.saturated(a)
    if flat is None:
        return None
    return np.count_nonzero(flat) / a.size  # a Python float


def _dead(layer: Activation, a: np.ndarray) -> float | None:
    """Share of units that output nothing positive for any sample (for activations whose
    units can die)."""
    if not layer.can_die or a.ndim != 2:
        return None
    dead = ~np.any(a > 0, axis=0)
    return np.count_nonzero(dead) / a.shape[1]


class Diagnostics(Callback):
    """Record per-layer gradient/weight/activation statistics during :func:`backprop.fit`.

    Parameters
    ----------
    every : int, default 1
        Record every ``every`` epochs (``unit="epoch"``) or steps (``unit="step"``).
    unit : {"epoch", "step"}
        ``"epoch"``: record the last batch of every ``every``-th epoch and of the final epoch.
        ``"step"``: record steps 1, 1 + every, 1 + 2 every, ... and the final step. Both also
        record the very first step, whose gradients are those of the initial weights.
    warn : bool, default True
        Emit a :class:`GradientWarning` (once per layer and condition); the conditions are kept
        in the records either way.
    vanish_ratio : float in (0, 1), default 1e-3
    explode_ratio : float > 1, default 1e3
        Thresholds of the vanishing and exploding tests (see the module docstring).

    Notes
    -----
    Results go to ``history.diagnostics``::

        {"layers": [names of layers with parameters], "layer_index": [their indices],
         "activations": [names of activation layers], "activation_index": [...],
         "unit": "epoch", "every": 1,
         "records": [{"epoch", "step" (global, 1-based), "batch" (step within the epoch),
                      "grad_norm", "weight_norm", "update_ratio"   # one per layer
                      "act_mean", "act_std", "saturated", "dead",  # one per activation
                      "warnings": [{"layer", "condition", "message"}]}, ...]}

    Between recorded steps nothing is attached to the network; a recorded step costs one extra
    pass over the weights (norms and a copy) and over each activation output.

    Examples
    --------
    >>> import backprop as bp, numpy as np
    >>> X, y = bp.datasets.circles(64, rng=0)
    >>> net = bp.mlp([2, 8, 2], activation="tanh", rng=0)
    >>> h = bp.fit(net, X, y, loss="softmax_cross_entropy", optimizer=bp.SGD(net.parameters(),
    ...            lr=0.1), epochs=2, verbose=False, callbacks=[bp.Diagnostics()])
    >>> h.diagnostics["layers"]
    ['layer 0 Dense(2->8)', 'layer 2 Dense(8->2)']
    >>> [r["epoch"] for r in h.diagnostics["records"]]
    [1, 1, 2]
    """

    def __init__(self, every: int = 1, *, unit: str = "epoch", warn: bool = True,
                 vanish_ratio: float = 1e-3, explode_ratio: float = 1e3):
        self.every = check_int("every", every, minimum=1)
        if unit not in ("epoch", "step"):
            raise ValueError(f"unit must be 'epoch' or 'step', got {unit!r}")
        self.unit = unit
        self.warn = bool(warn)
        self.vanish_ratio = check_range("vanish_ratio", vanish_ratio, 0.0, 1.0, low_open=True)
        self.explode_ratio = check_range("explode_ratio", explode_ratio, 1.0, math.inf,
                                         low_open=True)
        self._warned: set[tuple[str, str]] = set()
        self._layers: list[tuple[int, Layer, Parameter]] = []
        self._acts: list[tuple[int, Layer]] = []
        self._handle: Any = None
        self._act_stats: dict[int, tuple[float, float, float | None, float | None]] = {}
        self._before: list[np.ndarray] | None = None
        self._pending: dict[str, Any] | None = None
        self._data: dict[str, Any] = {}

    # --- which steps -------------------------------------------------------------------------
    @staticmethod
    def _global_step(state: TrainState) -> int:
        return (state.epoch - 1) * state.steps_per_epoch + state.step

    def _records_now(self, state: TrainState) -> bool:
        g = self._global_step(state)
        if g == 1:
            return True
        last_batch = state.step == state.steps_per_epoch
        if self.unit == "step":
            final = last_batch and state.epoch == state.epochs
            return (g - 1) % self.every == 0 or final
        return last_batch and (state.epoch % self.every == 0 or state.epoch == state.epochs)

    # --- callback hooks ------------------------------------------------------------------------
    def on_train_begin(self, state: TrainState) -> None:
        net = state.net
        self._layers = [(i, layer, layer.parameters()[0]) for i, layer in enumerate(net.layers)
                        if layer.parameters()]
        self._acts = [(i, layer) for i, layer in enumerate(net.layers)
                      if isinstance(layer, Activation)]
        names = [layer_name(i, layer) for i, layer, _ in self._layers]
        old = state.history.diagnostics
        if old is not None and state.epoch > 0 and old.get("layers") == names:
            self._data = old  # resumed from a checkpoint (epoch restored): keep appending
            return
        self._warned = set()
        self._data = {
            "layers": names,
            "layer_index": [i for i, _, _ in self._layers],
            "activations": [layer_name(i, layer) for i, layer in self._acts],
            "activation_index": [i for i, _ in self._acts],
            "unit": self.unit,
            "every": self.every,
            "records": [],
        }
        state.history.diagnostics = self._data

    def on_batch_begin(self, state: TrainState) -> None:
        if self._records_now(state):
            self._act_stats = {}
            self._handle = state.net.add_hook(self._observe)

    def _observe(self, phase: str, index: int, layer: Layer, inp: np.ndarray,
                 out: np.ndarray) -> None:
        if phase != "forward" or not isinstance(layer, Activation):
            return
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(out.mean(dtype=np.float64))
            std = float(out.std(dtype=np.float64))
        self._act_stats[index] = (mean, std, _saturated(layer, out), _dead(layer, out))

    def on_after_backward(self, state: TrainState) -> None:
        if self._handle is None:
            return
        self._detach()
        grads = [_norm(p.grad) for _, _, p in self._layers]
        weights = [_norm(p.data) for _, _, p in self._layers]
        self._before = [p.data.copy() for _, _, p in self._layers]
        stats = [self._act_stats.get(i) for i, _ in self._acts]
        record = self._new_record(state, grads, weights)
        record["act_mean"] = [None if s is None else _json_float(s[0]) for s in stats]
        record["act_std"] = [None if s is None else _json_float(s[1]) for s in stats]
        record["saturated"] = [None if s is None else s[2] for s in stats]
        record["dead"] = [None if s is None else s[3] for s in stats]
        self._pending = record

    def on_batch_end(self, state: TrainState, logs: dict[str, float]) -> None:
        if self._pending is None or self._before is None:
            return
        ratios = []
        for (_, _, p), before in zip(self._layers, self._before, strict=True):
            denom = _norm(before)
            ratios.append(_json_float(_norm(p.data - before) / denom) if denom > 0 else None)
        self._pending["update_ratio"] = ratios
        self._pending = None
        self._before = None

    def on_train_end(self, state: TrainState) -> None:
        self._detach()
        self._pending = None
        self._before = None
        # The step that produced a non-finite gradient may not have been a recorded one: the
        # gradients are still there (fit skipped that optimiser step), so record them now.
        if not state.history.diverged or not self._layers or state.epoch < 1:
            return
        records = self._data.get("records", [])
        if records and records[-1]["step"] == self._global_step(state):
            return
        grads = [_norm(p.grad) for _, _, p in self._layers]
        if all(math.isfinite(g) for g in grads):
            return  # the loss, not a gradient, went bad: these gradients are from a good step
        record = self._new_record(state, grads, [_norm(p.data) for _, _, p in self._layers])
        n_act = len(self._acts)
        for key in ("act_mean", "act_std", "saturated", "dead"):
            record[key] = [None] * n_act

    # --- helpers -----------------------------------------------------------------------------
    def _detach(self) -> None:
        if self._handle is not None:
            self._handle.remove()
            self._handle = None

    def _new_record(self, state: TrainState, grads: list[float],
                    weights: list[float]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "epoch": state.epoch, "step": self._global_step(state), "batch": state.step,
            "grad_norm": [_json_float(g) for g in grads],
            "weight_norm": [_json_float(w) for w in weights],
            "update_ratio": [None] * len(grads),
        }
        record["warnings"] = self._check(state, grads)
        self._data["records"].append(record)
        return record

    def _check(self, state: TrainState, grads: list[float]) -> list[dict[str, str]]:
        names = self._data["layers"]
        where = f"epoch {state.epoch}, step {state.step}"
        found = []
        for l, g in enumerate(grads):
            if not math.isfinite(g):
                found.append((l, "non-finite",
                              f"non-finite gradient in {names[l]}: ||dW|| = {g} ({where})"))
                continue
            after = [(grads[k], k) for k in range(l + 1, len(grads)) if math.isfinite(grads[k])]
            if not after:
                continue
            big, kb = max(after)
            if big > 0 and g < self.vanish_ratio * big:
                found.append((l, "vanishing",
                              f"vanishing gradient in {names[l]}: ||dW|| = {g:.3g} is "
                              f"{g / big:.2g} x the {big:.3g} of {names[kb]} ({where}); the "
                              f"layers before it barely learn"))
            positive = [(x, k) for x, k in after if x > 0]
            if positive:
                small, ks = min(positive)
                if g > self.explode_ratio * small:
                    found.append((l, "exploding",
                                  f"exploding gradient in {names[l]}: ||dW|| = {g:.3g} is "
                                  f"{g / small:.2g} x the {small:.3g} of {names[ks]} ({where})"))
        out = []
        for l, condition, text in found:
            message = f"{text}; {HINTS[condition]}"
            out.append({"layer": names[l], "condition": condition, "message": message})
            key = (names[l], condition)
            if self.warn and key not in self._warned:
                self._warned.add(key)
                # stacklevel 6: _check <- _new_record <- hook <- run_epochs <- fit <- its caller
                warnings.warn(message, GradientWarning, stacklevel=6)
        return out

    # --- checkpoints ---------------------------------------------------------------------------
    def state_dict(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"warned": sorted([list(k) for k in self._warned])}, {}

    def load_state_dict(self, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        self._warned = {(str(a), str(b)) for a, b in meta.get("warned", [])}


def format_record(diagnostics: dict[str, Any], index: int = -1) -> str:
    """One record of ``history.diagnostics`` as a text table (layers, then activations).

    Parameters
    ----------
    diagnostics : dict
        ``history.diagnostics``.
    index : int, default -1
        Which record (the last by default).
    """
    records = diagnostics.get("records") or []
    if not records:
        raise ValueError("no diagnostics were recorded")
    rec = records[index]

    def num(x: float | None, fmt: str = ".3e") -> str:
        return "-" if x is None else format(x, fmt)

    width = max([len(n) for n in diagnostics["layers"] + diagnostics["activations"]] + [5])
    lines = [f"epoch {rec['epoch']}, step {rec['step']}",
             f"{'layer':<{width}}  {'||dW||':>10}  {'||W||':>10}  {'update/W':>10}"]
    for l, name in enumerate(diagnostics["layers"]):
        lines.append(f"{name:<{width}}  {num(rec['grad_norm'][l]):>10}  "
                     f"{num(rec['weight_norm'][l]):>10}  {num(rec['update_ratio'][l]):>10}")
    if diagnostics["activations"]:
        lines.append(f"{'activation':<{width}}  {'mean':>10}  {'std':>10}  {'saturated':>10}  "
                     f"{'dead':>10}")
        for a, name in enumerate(diagnostics["activations"]):
            lines.append(f"{name:<{width}}  {num(rec['act_mean'][a], '.4f'):>10}  "
                         f"{num(rec['act_std'][a], '.4f'):>10}  "
                         f"{num(rec['saturated'][a], '.1%'):>10}  "
                         f"{num(rec['dead'][a], '.1%'):>10}")
    for w in rec.get("warnings", []):
        lines.append(f"warning: {w['message']}")
    return "\n".join(lines)
