"""The input-normalisation lab (``backprop lab normalization``).

Raw inputs whose features differ in scale by a factor, against the same inputs standardised
on the training rows, over several learning rates: per-feature gradients, accuracy, dead
units.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_int, check_positive
from ..explain.words import words
from ..models import mlp
from ..optim import SGD
from ..training.loop import fit
from .base import (
    Lab,
    LabOption,
    _and,
    _cell,
    _dataset,
    _lang,
    _out_dir,
    _percent,
    _sci,
    _seed,
    float_list,
)


def _dead_share(net: Any, X: np.ndarray) -> float:
    """The share of hidden units that output 0 for every row of ``X`` (a ReLU that never
    fires passes no gradient: it has died)."""
    dead = total = 0
    a = X
    for layer in net:
        a = layer.forward(a)
        if getattr(layer, "can_die", False):
            dead += int(np.sum(np.all(a == 0, axis=0)))
            total += a.shape[1]
    return dead / total if total else 0.0


@dataclass
class NormalizationRun:
    """One learning rate of :func:`normalization`, with raw or standardised inputs."""

    inputs: str  # "raw" or "standardised"
    lr: float
    loss: list[float]
    val_accuracy: list[float]
    dead_units: float
    diverged: bool

    @property
    def final_loss(self) -> float:
        return self.loss[-1] if self.loss and not self.diverged else math.nan

    @property
    def final_val_accuracy(self) -> float:
        return self.val_accuracy[-1] if self.val_accuracy and not self.diverged else math.nan


@dataclass
class NormalizationResult:
    r"""What :func:`normalization` measured, with its text table and reading.

    ``spread`` is each feature's standard deviation in the raw training data;
    ``grad_columns`` the norm of the first layer's weight gradient per input feature at
    initialisation, :math:`\lVert \partial J / \partial W^{[1]}_{:,j} \rVert`, for raw and
    standardised inputs.
    """

    runs: list[NormalizationRun]
    scale: float
    shift: float
    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    dataset: str
    n_train: int
    n_val: int
    seed: int
    lang: str
    spread: list[float]
    grad_columns: dict[str, list[float]]
    chance: float
    table: str = ""
    reading: str = ""
    png: str | None = None

    def run(self, inputs: str, lr: float) -> NormalizationRun:
        for r in self.runs:
            if r.inputs == inputs and r.lr == lr:
                return r
        raise KeyError(f"no run with {inputs} inputs at lr {lr:g}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for run, d in zip(self.runs, data["runs"], strict=True):
            d.update(final_loss=run.final_loss, final_val_accuracy=run.final_val_accuracy)
        return data


def normalization(*, scale: float = 100.0, shift: float = 0.0,
                  lrs: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1, 1.0),
                  hidden: tuple[int, ...] = (32, 32), epochs: int = 30, n_samples: int = 600,
                  batch_size: int = 32, dataset: str = "moons", seed: int = 0,
                  out: str | Path | None = None, lang: str = "en") -> NormalizationResult:
    r"""The input-normalisation lab: one network trained on raw inputs whose features have very
    different scales, and on the same inputs standardised, at several learning rates.

    The second feature of a 2-D dataset is multiplied by ``scale`` and moved by ``shift`` (as
    a quantity measured in other units); a :class:`~backprop.data.Standardizer` fitted on the
    training rows only maps each feature to mean 0 and standard deviation 1. For each learning
    rate, the same ReLU network (same seed) is trained with plain SGD on both; the first
    layer's weight gradient per feature at initialisation shows why one learning rate cannot
    suit both directions: :math:`\partial J/\partial W_{ij} = \delta_i x_j` grows with
    :math:`x_j`.

    Parameters
    ----------
    scale : float, default 100
        Factor on the second feature.
    shift : float, default 0
        Added to the second feature after scaling.
    lrs : tuple of float, default (1e-4, 1e-3, 1e-2, 1e-1, 1)
        SGD learning rates to try.
    hidden : tuple of int, default (32, 32)
    epochs : int, default 30
    n_samples : int, default 600
        A quarter is held out for validation (stratified).
    batch_size : int, default 32
    dataset : str, default "moons"
    seed : int, default 0
    out : path, optional
        Directory for ``lab-normalization.png``.
    lang : str, default "en"

    Returns
    -------
    NormalizationResult
    """
    from ..data import Standardizer, train_val_split
    from ..losses import SoftmaxCrossEntropy
    from ..training.loop import TrainingDivergedWarning

    scale = check_positive("scale", scale)
    shift = float(shift)
    lrs = tuple(check_positive("learning rate", lr) for lr in lrs)
    if not lrs:
        raise ValueError("lrs needs at least one learning rate")
    hidden = tuple(check_int("hidden width", h, minimum=1) for h in hidden)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch size", batch_size, minimum=1)
    seed = _seed(seed)
    lang = _lang(lang)
    out_dir = _out_dir(out)
    X, y = _dataset(dataset, n_samples, seed)
    X = X.copy()
    X[:, -1] = X[:, -1] * scale + shift
    X_tr, y_tr, X_va, y_va = train_val_split(X, y, 0.25, rng=seed, stratify=True)
    scaler = Standardizer().fit(X_tr)
    inputs = {"raw": (X_tr, X_va), "standardised": (scaler.transform(X_tr),
                                                    scaler.transform(X_va))}
    sizes = [X.shape[1], *hidden, int(y.max()) + 1]
    grad_columns = {}
    for kind, (A, _) in inputs.items():
        net = mlp(sizes, activation="relu", rng=seed)
        loss = SoftmaxCrossEntropy()
        loss.forward(net.forward(A), y_tr)
        net.backward(loss.backward(), input_grad=False)
        grad_columns[kind] = np.linalg.norm(net[0].dW, axis=0).tolist()
    runs = []
    for kind, (A, B) in inputs.items():
        for lr in lrs:
            net = mlp(sizes, activation="relu", rng=seed)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", TrainingDivergedWarning)
                history = fit(net, A, y_tr, loss="softmax_cross_entropy",
                              optimizer=SGD(net.parameters(), lr=lr), epochs=epochs,
                              batch_size=batch_size, seed=seed, verbose=False,
                              validation_data=(B, y_va))
                dead = _dead_share(net, A)
            runs.append(NormalizationRun(kind, lr, list(history["loss"]),
                                         list(history.history.get("val_accuracy", [])), dead,
                                         history.diverged))
    chance = float(np.max(np.bincount(y_va)) / len(y_va))
    result = NormalizationResult(
        runs=runs, scale=scale, shift=shift, hidden=hidden, epochs=epochs,
        batch_size=batch_size, dataset=dataset, n_train=len(y_tr), n_val=len(y_va), seed=seed,
        lang=lang, spread=X_tr.std(axis=0).tolist(), grad_columns=grad_columns, chance=chance)
    result.table = _normalization_table(result)
    result.reading = _normalization_reading(result)
    if out_dir is not None:
        from ..plots import plot_lab_normalization

        result.png = str(plot_lab_normalization(result, out_dir / "lab-normalization.png"))
    return result


def _transform(result: NormalizationResult) -> str:
    """What the raw second feature is: ``100·x2``, ``100·x2 + 5``."""
    x = f"x{len(result.spread)}"
    shift = f" + {result.shift:g}" if result.shift > 0 else \
        f" - {-result.shift:g}" if result.shift < 0 else ""
    return f"{result.scale:g}·{x}{shift}"


def _normalization_table(result: NormalizationResult) -> str:
    t = words(result.lang)
    arch = "-".join(str(s) for s in [len(result.spread), *result.hidden, 2])
    lines = [t["lab_normalization_title"].format(
        dataset=result.dataset, n_train=result.n_train, n_val=result.n_val,
        transform=_transform(result), arch=arch, epochs=result.epochs,
        batch_size=result.batch_size, seed=result.seed), ""]
    heads = [t["lab_feature"], t["lab_spread"], t["lab_grad_raw"], t["lab_grad_standardised"]]
    w = [max(len(h), 10) for h in heads]
    lines.append("  ".join(f"{h:>{n}}" for h, n in zip(heads, w, strict=True)))
    for j, s in enumerate(result.spread):
        cells = [f"x{j + 1}", f"{s:.3g}", f"{result.grad_columns['raw'][j]:.2e}",
                 f"{result.grad_columns['standardised'][j]:.2e}"]
        lines.append("  ".join(f"{c:>{n}}" for c, n in zip(cells, w, strict=True)))
    lines.append("")
    heads = [t["lab_lr"], t["lab_inputs"], t["lab_final_loss"], t["lab_val_accuracy"],
             t["lab_dead"]]
    w = [max(len(h), 8) for h in heads]
    w[1] = max(w[1], *(len(t[f"lab_inputs_{k}"]) for k in ("raw", "standardised")))
    lines.append(f"{heads[0]:>{w[0]}}  {heads[1]:<{w[1]}}  "
                 + "  ".join(f"{h:>{n}}" for h, n in zip(heads[2:], w[2:], strict=True)))
    for lr in sorted({r.lr for r in result.runs}):
        for kind in ("raw", "standardised"):
            r = result.run(kind, lr)
            cells = [t["lab_diverged"] if r.diverged else _cell(r.final_loss, ".4f"),
                     _percent(r.final_val_accuracy), f"{100 * r.dead_units:.0f}%"]
            lines.append(f"{lr:>{w[0]}g}  {t[f'lab_inputs_{kind}']:<{w[1]}}  "
                         + "  ".join(f"{c:>{n}}" for c, n in zip(cells, w[2:], strict=True)))
    return "\n".join(lines)


def _normalization_reading(result: NormalizationResult) -> str:
    t = words(result.lang)
    spread = result.spread
    g_raw, g_std = result.grad_columns["raw"], result.grad_columns["standardised"]
    sentences = [t["lab_normalization_gradient"].format(
        spread=_sci(spread[-1] / spread[0]), raw=_sci(g_raw[-1] / g_raw[0]),
        standardised=_sci(g_std[-1] / g_std[0]))]

    def best(kind: str) -> NormalizationRun:
        runs = [r for r in result.runs if r.inputs == kind and not r.diverged]
        return max(runs, key=lambda r: (r.final_val_accuracy, -r.final_loss)) if runs else None

    raw, std = best("raw"), best("standardised")
    if raw is not None and std is not None:
        sentences.append(t["lab_normalization_best"].format(
            raw=100 * raw.final_val_accuracy, raw_lr=f"{raw.lr:g}",
            standardised=100 * std.final_val_accuracy, standardised_lr=f"{std.lr:g}"))
    lrs = sorted({r.lr for r in result.runs})
    wins = 0
    for lr in lrs:
        a, b = result.run("raw", lr), result.run("standardised", lr)
        if b.diverged:
            continue
        if a.diverged or b.final_val_accuracy >= a.final_val_accuracy:
            wins += 1
    sentences.append(t["lab_normalization_wins"].format(wins=wins, n=len(lrs)))
    # the learning rates at which raw inputs do no better than always guessing one class
    failed = [r for r in result.runs if r.inputs == "raw"
              and (r.diverged or r.final_val_accuracy <= result.chance + 0.05)]
    if failed:
        sentences.append(t["lab_normalization_collapse"].format(
            lrs=_and([f"{r.lr:g}" for r in failed], result.lang), chance=100 * result.chance,
            dead=100 * max(r.dead_units for r in failed)))
    return " ".join(sentences)


#: the lab's entry in :data:`backprop.labs.LABS` (``backprop lab normalization``)
LAB = Lab(
    "normalization", normalization, "raw inputs of very different scales against the same "
    "inputs standardised",
    "The same network trained with SGD at several learning rates on raw inputs (the second "
    "feature multiplied by --scale) and on the same inputs standardised with the training "
    "rows' mean and spread: per-feature gradients at the start, final loss, validation "
    "accuracy and dead units, a PNG and a reading.",
    (LabOption("scale", "factor on the second feature", float),
     LabOption("shift", "added to the second feature", float),
     LabOption("lrs", "learning rates, separated by commas", float_list),
     LabOption("epochs", "training epochs")))
