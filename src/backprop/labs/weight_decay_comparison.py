"""The weight-decay lab (``backprop lab weight-decay``).

A large network on few noisy points with L2 decay of several strengths: weight norms,
training and validation accuracy.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_int, check_non_negative, check_positive
from ..data.toy import DATASETS
from ..explain.words import words
from ..models import mlp
from ..optim import SGD
from ..training.loop import fit
from .base import Lab, LabOption, _lang, _out_dir, _percent, _seed, float_list


@dataclass
class WeightDecayRun:
    r"""One strength :math:`\lambda` of :func:`weight_decay`.

    ``weight_norm`` is :math:`\sqrt{\sum_l \lVert W^{[l]} \rVert_F^2}` over the weights (not
    the biases) after training; the curves are per epoch.
    """

    decay: float
    weight_norm: float
    loss: list[float]
    accuracy: list[float]
    val_loss: list[float]
    val_accuracy: list[float]

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]

    @property
    def final_val_accuracy(self) -> float:
        return self.val_accuracy[-1]

    @property
    def final_val_loss(self) -> float:
        return self.val_loss[-1]

    @property
    def gap(self) -> float:
        """Training accuracy minus validation accuracy at the end (a fraction)."""
        return self.final_accuracy - self.final_val_accuracy


@dataclass
class WeightDecayResult:
    """What :func:`weight_decay` measured, with its text table and reading."""

    runs: list[WeightDecayRun]
    decays: list[float]
    hidden: tuple[int, ...]
    epochs: int
    lr: float
    momentum: float
    batch_size: int
    dataset: str
    noise: float
    n_train: int
    n_val: int
    seed: int
    lang: str
    table: str = ""
    reading: str = ""
    png: str | None = None

    def run(self, decay: float) -> WeightDecayRun:
        for r in self.runs:
            if r.decay == decay:
                return r
        raise KeyError(f"no run with weight decay {decay:g}; known: {self.decays}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for run, d in zip(self.runs, data["runs"], strict=True):
            d.update(final_accuracy=run.final_accuracy, final_val_accuracy=run.final_val_accuracy,
                     final_val_loss=run.final_val_loss, gap=run.gap)
        return data


def weight_decay(*, decays: tuple[float, ...] = (0.0, 1e-3, 1e-2, 3e-2, 1e-1),
                 hidden: tuple[int, ...] = (128, 128), epochs: int = 300, lr: float = 0.05,
                 momentum: float = 0.9, batch_size: int = 16, n_train: int = 40,
                 n_val: int = 400, noise: float = 0.3, dataset: str = "moons", seed: int = 0,
                 out: str | Path | None = None, lang: str = "en") -> WeightDecayResult:
    r"""The weight-decay lab: a large network on few noisy points, trained with L2 weight decay
    of several strengths; weight norms, training and validation accuracy.

    Weight decay as the article states it: a penalty :math:`\frac{\lambda}{2}\sum_l \lVert
    W^{[l]} \rVert^2` added to the cost, so each weight's gradient gains :math:`\lambda W`
    (``SGD(weight_decay=λ, decay_mask="auto")``: the weights, not the biases). Every run starts
    from the same weights and sees the same batches; only :math:`\lambda` changes.

    Parameters
    ----------
    decays : tuple of float, default (0, 1e-3, 1e-2, 3e-2, 1e-1)
        The strengths :math:`\lambda \ge 0` to compare (0: no decay).
    hidden : tuple of int, default (128, 128)
        A network far larger than the data needs, so it can memorise the noise.
    epochs : int, default 300
    lr : float, default 0.05
    momentum : float, default 0.9
    batch_size : int, default 16
    n_train : int, default 40
        Training points (few, so that overfitting shows).
    n_val : int, default 400
        Validation points, drawn from the same distribution.
    noise : float, default 0.3
        The dataset's noise.
    dataset : str, default "moons"
    seed : int, default 0
    out : path, optional
        Directory for ``lab-weight-decay.png``.
    lang : str, default "en"

    Returns
    -------
    WeightDecayResult
    """
    from ..data import train_val_split

    decays = tuple(check_non_negative("weight decay", d) for d in decays)
    if not decays:
        raise ValueError("decays needs at least one strength")
    hidden = tuple(check_int("hidden width", h, minimum=1) for h in hidden)
    epochs = check_int("epochs", epochs, minimum=1)
    lr = check_positive("learning rate", lr)
    momentum = check_non_negative("momentum", momentum)
    batch_size = check_int("batch size", batch_size, minimum=1)
    n_train = check_int("n_train", n_train, minimum=4)
    n_val = check_int("n_val", n_val, minimum=4)
    noise = check_non_negative("noise", noise)
    seed = _seed(seed)
    lang = _lang(lang)
    out_dir = _out_dir(out)
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; known: {', '.join(sorted(DATASETS))}")
    X, y = DATASETS[dataset](n_train + n_val, noise=noise, rng=seed)
    X_tr, y_tr, X_va, y_va = train_val_split(X, y, n_val / (n_train + n_val), rng=seed,
                                             stratify=True)
    sizes = [X.shape[1], *hidden, int(y.max()) + 1]
    runs = []
    for decay in decays:
        net = mlp(sizes, activation="relu", rng=seed)
        opt = SGD(net.parameters(), lr=lr, momentum=momentum, weight_decay=decay,
                  decay_mask="auto")
        history = fit(net, X_tr, y_tr, loss="softmax_cross_entropy", optimizer=opt,
                      epochs=epochs, batch_size=batch_size, seed=seed, verbose=False,
                      validation_data=(X_va, y_va))
        weights = [p.data for p in net.parameters() if p.decay]
        runs.append(WeightDecayRun(
            decay=decay, weight_norm=float(np.sqrt(sum(np.sum(w * w) for w in weights))),
            loss=list(history["loss"]), accuracy=list(history["accuracy"]),
            val_loss=list(history["val_loss"]), val_accuracy=list(history["val_accuracy"])))
    result = WeightDecayResult(runs=runs, decays=list(decays), hidden=hidden, epochs=epochs,
                               lr=lr, momentum=momentum, batch_size=batch_size,
                               dataset=dataset, noise=noise, n_train=len(y_tr),
                               n_val=len(y_va), seed=seed, lang=lang)
    result.table = _weight_decay_table(result)
    result.reading = _weight_decay_reading(result)
    if out_dir is not None:
        from ..plots import plot_lab_weight_decay

        result.png = str(plot_lab_weight_decay(result, out_dir / "lab-weight-decay.png"))
    return result


def _weight_decay_table(result: WeightDecayResult) -> str:
    t = words(result.lang)
    arch = "-".join(str(s) for s in [2, *result.hidden, 2])
    lines = [t["lab_weight_decay_title"].format(
        dataset=result.dataset, noise=f"{result.noise:g}", n_train=result.n_train,
        n_val=result.n_val, arch=arch, lr=f"{result.lr:g}", momentum=f"{result.momentum:g}",
        epochs=result.epochs, batch_size=result.batch_size, seed=result.seed), ""]
    heads = ["λ", t["lab_weight_norm"], t["lab_train_accuracy"], t["lab_val_accuracy"],
             t["lab_gap"], t["lab_final_loss"], t["lab_val_loss"]]
    w = [max(len(h), 7) for h in heads]
    lines.append("  ".join(f"{h:>{n}}" for h, n in zip(heads, w, strict=True)))
    for r in result.runs:
        cells = [f"{r.decay:g}", f"{r.weight_norm:.3g}", _percent(r.final_accuracy),
                 _percent(r.final_val_accuracy), f"{100 * r.gap:+.1f}", f"{r.loss[-1]:.4f}",
                 f"{r.final_val_loss:.4f}"]
        lines.append("  ".join(f"{c:>{n}}" for c, n in zip(cells, w, strict=True)))
    return "\n".join(lines)


def _weight_decay_reading(result: WeightDecayResult) -> str:
    t = words(result.lang)
    runs = sorted(result.runs, key=lambda r: r.decay)
    least, most = runs[0], runs[-1]
    sentences = []
    if len(runs) >= 2:
        norms = [r.weight_norm for r in runs]
        key = ("lab_weight_decay_norms" if all(a > b for a, b in zip(norms, norms[1:],
                                                                      strict=False))
               else "lab_weight_decay_norms_not_monotone")
        sentences.append(t[key].format(low=f"{least.decay:g}", low_norm=least.weight_norm,
                                       high=f"{most.decay:g}", high_norm=most.weight_norm))
    sentences.append(t["lab_weight_decay_fit"].format(
        decay=f"{least.decay:g}", train=100 * least.final_accuracy, n_train=result.n_train,
        val=100 * least.final_val_accuracy, n_val=result.n_val, gap=100 * least.gap))
    best = max(runs, key=lambda r: (r.final_val_accuracy, -r.final_val_loss))
    if best is least:
        sentences.append(t["lab_weight_decay_no_gain"].format(decay=f"{least.decay:g}"))
    else:
        sentences.append(t["lab_weight_decay_best"].format(
            decay=f"{best.decay:g}", val=100 * best.final_val_accuracy, gain=100 * (
                best.final_val_accuracy - least.final_val_accuracy), gap=100 * best.gap,
            val_loss=best.final_val_loss, base_loss=least.final_val_loss))
    if most is not best and most.final_accuracy < least.final_accuracy - 0.02:
        sentences.append(t["lab_weight_decay_too_much"].format(
            decay=f"{most.decay:g}", train=100 * most.final_accuracy,
            val=100 * most.final_val_accuracy))
    return " ".join(sentences)


#: the lab's entry in :data:`backprop.labs.LABS` (``backprop lab weight-decay``)
LAB = Lab(
    "weight-decay", weight_decay, "weight norms and validation accuracy against the "
    "strength of L2 weight decay",
    "A network far larger than its few noisy training points, trained with SGD and L2 "
    "weight decay of each strength in --decays from the same start: weight norm, "
    "training and validation accuracy and loss, a PNG and a reading.",
    (LabOption("decays", "strengths λ, separated by commas", float_list),
     LabOption("epochs", "training epochs"), LabOption("lr", "SGD learning rate", float),
     LabOption("n_train", "training points"), LabOption("noise", "dataset noise", float)))
