"""The optimiser lab (``backprop lab optimizers``).

One network, one dataset, one seed, five optimisers: SGD, SGD with momentum, Nesterov, Adam
and AdamW (Adam with decoupled weight decay); loss curves and a final table.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_int, check_positive
from ..data.toy import DATASETS
from ..explain.words import words
from ..models import mlp
from ..optim import SGD, Adam, AdamW
from ..training.loop import fit
from .base import Lab, LabOption, _dataset, _lang, _out_dir, _seed


@dataclass
class OptimizerRun:
    r"""One optimiser of :func:`optimizers`: its settings, loss curve and final numbers.

    ``weight_norm`` is :math:`\sqrt{\sum_l \lVert W^{[l]} \rVert_F^2}` over the weights
    (not the biases) at the end of training; ``seconds`` is wall time (not reproducible).
    """

    name: str
    settings: str
    loss: list[float]
    accuracy: list[float]
    seconds: float
    weight_norm: float

    @property
    def final_loss(self) -> float:
        return self.loss[-1]

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]


@dataclass
class OptimizersResult:
    """What :func:`optimizers` measured, with its text table and reading (reproducible from
    the seed) and its timing (wall time, measured, so kept apart)."""

    runs: list[OptimizerRun]
    sizes: list[int]
    epochs: int
    dataset: str
    n_samples: int
    seed: int
    lang: str = "en"
    table: str = ""
    reading: str = ""
    timing: str = ""
    png: str | None = None
    boundary_png: str | None = None

    def run(self, name: str) -> OptimizerRun:
        """The run of an optimiser, by its exact label."""
        for r in self.runs:
            if r.name == name:
                return r
        raise KeyError(f"no optimiser {name!r}; known: {[r.name for r in self.runs]}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for run, d in zip(self.runs, data["runs"], strict=True):
            d.update(final_loss=run.final_loss, final_accuracy=run.final_accuracy)
        return data


def _optimizer_table(lr_sgd: float, lr_adam: float, weight_decay: float
                     ) -> list[tuple[str, str, Any]]:
    """(label, settings, factory) of each optimiser; the SGD family shares one learning rate
    so only the update rule differs, and Adam/AdamW use their usual one."""
    return [
        ("SGD", f"lr={lr_sgd:g}", lambda ps: SGD(ps, lr=lr_sgd)),
        ("SGD + momentum", f"lr={lr_sgd:g}, momentum=0.9",
         lambda ps: SGD(ps, lr=lr_sgd, momentum=0.9)),
        ("Nesterov", f"lr={lr_sgd:g}, momentum=0.9, nesterov",
         lambda ps: SGD(ps, lr=lr_sgd, momentum=0.9, nesterov=True)),
        ("Adam", f"lr={lr_adam:g}", lambda ps: Adam(ps, lr=lr_adam)),
        ("AdamW", f"lr={lr_adam:g}, weight_decay={weight_decay:g} (decoupled)",
         lambda ps: AdamW(ps, lr=lr_adam, weight_decay=weight_decay)),
    ]


def optimizers(*, epochs: int = 100, hidden: tuple[int, ...] = (64, 64), n_samples: int = 600,
               batch_size: int = 32, lr_sgd: float = 0.05, lr_adam: float = 0.01,
               weight_decay: float = 1e-2, dataset: str = "spirals", seed: int = 0,
               out: str | Path | None = None, lang: str = "en") -> OptimizersResult:
    r"""The optimiser lab: one network and dataset trained with five optimisers.

    Every run starts from the same initial weights (the same ``seed``) and sees the same
    batches. The rules (as in ``torch.optim``): SGD :math:`W \leftarrow W - \alpha g`;
    momentum :math:`v \leftarrow \mu v + g,\ W \leftarrow W - \alpha v`; Nesterov steps along
    :math:`g + \mu v`; Adam divides a running mean of :math:`g` by the root of a running mean
    of :math:`g^2` (bias-corrected); AdamW adds decoupled decay
    :math:`W \leftarrow W - \alpha \lambda W`.

    Parameters
    ----------
    epochs : int, default 100
    hidden : tuple of int, default (64, 64)
        Hidden widths of the ReLU network (He init).
    n_samples : int, default 600
    batch_size : int, default 32
    lr_sgd : float, default 0.05
        Learning rate of SGD, SGD + momentum and Nesterov.
    lr_adam : float, default 0.01
        Learning rate of Adam and AdamW.
    weight_decay : float, default 1e-2
        AdamW's :math:`\lambda`.
    dataset : str, default "spirals"
        A built-in 2-D dataset (3 arms for spirals).
    seed : int, default 0
    out : path, optional
        Directory for ``lab-optimizers.png`` (loss curves) and
        ``lab-optimizers-boundary.png`` (the lowest-loss run's decision boundary).
    lang : str, default "en"
        Language of the table, the reading and the figures' titles (a registered one: ``"en"``,
        ``"vi"``).

    Returns
    -------
    OptimizersResult
    """
    epochs = check_int("epochs", epochs, minimum=1)
    hidden = tuple(check_int("hidden width", h, minimum=1) for h in hidden)
    batch_size = check_int("batch size", batch_size, minimum=1)
    lr_sgd = check_positive("lr_sgd", lr_sgd)
    lr_adam = check_positive("lr_adam", lr_adam)
    weight_decay = check_positive("weight_decay", weight_decay)
    seed = _seed(seed)
    lang = _lang(lang)
    out_dir = _out_dir(out)
    if dataset == "spirals":
        X, y = DATASETS["spirals"](check_int("n_samples", n_samples, minimum=8), n_classes=3,
                                   rng=seed)
    else:
        X, y = _dataset(dataset, n_samples, seed)
    sizes = [X.shape[1], *hidden, int(y.max()) + 1]
    runs = []
    nets = {}
    histories = {}
    for name, settings, make in _optimizer_table(lr_sgd, lr_adam, weight_decay):
        net = mlp(sizes, activation="relu", rng=seed)
        t0 = time.perf_counter()
        history = fit(net, X, y, loss="softmax_cross_entropy", optimizer=make(net.parameters()),
                      epochs=epochs, batch_size=batch_size, seed=seed, verbose=False)
        seconds = time.perf_counter() - t0
        weights = [p.data for p in net.parameters() if p.decay]
        runs.append(OptimizerRun(name=name, settings=settings, loss=list(history["loss"]),
                                 accuracy=list(history["accuracy"]), seconds=seconds,
                                 weight_norm=float(np.sqrt(sum(np.sum(w * w) for w in weights)))))
        nets[name] = net
        histories[name] = history
    result = OptimizersResult(runs=runs, sizes=sizes, epochs=epochs, dataset=dataset,
                              n_samples=int(X.shape[0]), seed=seed, lang=lang)
    result.table = _optimizers_table_text(result)
    result.reading = _optimizers_reading(result)
    result.timing = _optimizers_timing(result)
    if out_dir is not None:
        from ..plots import plot_decision_boundary, plot_loss_curves

        t = words(lang)
        arch = "-".join(str(s) for s in sizes)
        result.png = str(plot_loss_curves(
            histories, out_dir / "lab-optimizers.png",
            title=t["lab_optimizers_plot"].format(dataset=dataset, arch=arch, seed=seed)))
        best = min(runs, key=lambda r: r.final_loss)
        result.boundary_png = str(plot_decision_boundary(
            nets[best.name], X, y, out_dir / "lab-optimizers-boundary.png",
            title=t["lab_optimizers_boundary"].format(name=best.name, epochs=epochs)))
    return result


def _optimizers_table_text(result: OptimizersResult) -> str:
    t = words(result.lang)
    arch = "-".join(str(s) for s in result.sizes)
    w = max(len(t["lab_optimizer"]), *(len(r.name) for r in result.runs))
    s = max(len(t["lab_settings"]), *(len(r.settings) for r in result.runs))
    # the columns of numbers are as wide as their numbers, or as their header if wider
    wl, wa = (max(n, len(t[k])) for n, k in ((10, "lab_final_loss"), (9, "lab_accuracy")))
    lines = [t["lab_optimizers_title"].format(dataset=result.dataset, n_samples=result.n_samples,
                                              arch=arch, epochs=result.epochs, seed=result.seed),
             "",
             f"{t['lab_optimizer']:<{w}}  {t['lab_settings']:<{s}}  {t['lab_final_loss']:>{wl}}  "
             f"{t['lab_accuracy']:>{wa}}"]
    for r in result.runs:
        lines.append(f"{r.name:<{w}}  {r.settings:<{s}}  {r.final_loss:>{wl}.4f}  "
                     f"{100 * r.final_accuracy:>{wa - 1}.1f}%")
    return "\n".join(lines)


def _optimizers_reading(result: OptimizersResult) -> str:
    t = words(result.lang)
    by_loss = sorted(result.runs, key=lambda r: r.final_loss)
    sgd = result.run("SGD")
    sentences = [t["lab_optimizers_lowest"].format(
        epochs=result.epochs, best=by_loss[0].name, best_loss=by_loss[0].final_loss,
        worst=by_loss[-1].name, worst_loss=by_loss[-1].final_loss)]
    parts = []
    for r in result.runs:
        if r is sgd or r.final_loss <= 0:
            continue
        ratio = sgd.final_loss / r.final_loss
        parts.append(t["lab_optimizers_lower"].format(name=r.name, ratio=ratio) if ratio >= 1
                     else t["lab_optimizers_higher"].format(name=r.name, ratio=1 / ratio))
    if parts:
        sentences.append(t["lab_optimizers_against_sgd"].format(comparisons=", ".join(parts)))
    mom, nes = result.run("SGD + momentum"), result.run("Nesterov")
    key = ("lab_optimizers_nesterov_below" if nes.final_loss < mom.final_loss
           else "lab_optimizers_nesterov_above")
    sentences.append(t[key].format(nesterov=nes.final_loss, momentum=mom.final_loss))
    adam, adamw = result.run("Adam"), result.run("AdamW")
    key = ("lab_optimizers_adamw_smaller" if adamw.weight_norm < adam.weight_norm
           else "lab_optimizers_adamw_not_smaller")
    sentences.append(t[key].format(adamw=adamw.final_loss, adam=adam.final_loss,
                                   adamw_norm=adamw.weight_norm, adam_norm=adam.weight_norm))
    return " ".join(sentences)


def _optimizers_timing(result: OptimizersResult) -> str:
    """Wall time per run: measured, so it changes from run to run (kept out of the table and
    the reading, which the seed reproduces)."""
    t = words(result.lang)
    fastest = min(result.runs, key=lambda r: r.seconds)
    slowest = max(result.runs, key=lambda r: r.seconds)
    return t["lab_optimizers_time"].format(
        per_run="; ".join(f"{r.name} {r.seconds:.2f} s" for r in result.runs),
        fastest=fastest.name, slowest=slowest.name)


#: the lab's entry in :data:`backprop.labs.LABS` (``backprop lab optimizers``)
LAB = Lab(
    "optimizers", optimizers, "SGD, momentum, Nesterov, Adam and AdamW on one network",
    "The same network, data and seed trained with SGD, SGD + momentum, Nesterov, Adam and "
    "AdamW: overlaid loss curves (PNG), a table of final loss and accuracy, a reading and, "
    "apart, the wall time of each run.",
    (LabOption("epochs", "training epochs"),))
