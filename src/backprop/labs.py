r"""Labs: the article's claims about training deep networks, measured on this engine.

Each lab trains small networks on a built-in 2-D dataset, returns its numbers as a result object
(so tests and notebooks can check them), prints a table and a reading *computed from those
numbers*, and can write a PNG.

``vanishing``
    The same deep network (:math:`\ge 8` hidden layers) four ways: sigmoid with the naive
    :math:`\mathcal{N}(0, 0.01^2)` start, sigmoid with Xavier, ReLU with He, ReLU with He and
    batch normalisation. The gradient norms :math:`\lVert \partial J / \partial W^{[l]} \rVert`
    of every Dense layer come from the engine's own backward pass (recorded by
    :class:`~backprop.diagnostics.Diagnostics`) at the first step and after training. The
    backward recursion :math:`\delta^{[l]} = (W^{[l+1]})^\top \delta^{[l+1]} \odot g'(Z^{[l]})`
    multiplies the error signal by :math:`W^\top` and :math:`g'` once per layer; with
    :math:`\sigma' \le 1/4` and tiny weights the product shrinks geometrically.

``optimizers``
    One network, one dataset, one seed, five optimisers: SGD, SGD with momentum, Nesterov, Adam
    and AdamW (Adam with decoupled weight decay); loss curves and a final table.

``exploding``
    A deep ReLU network with He's start, with He's weights times a scale, and the same clipped
    by global norm: each layer's gradient at the start, every step's gradient norm before
    clipping and the length of the step taken (measured on the parameters).

``normalization``
    Raw inputs whose features differ in scale by a factor, against the same inputs standardised
    on the training rows, over several learning rates: per-feature gradients, accuracy, dead
    units.

``batch_size`` (``backprop lab batch-size``)
    The error of a mini-batch's gradient against the whole data set's for several sizes (and
    its fitted exponent), and SGD at one learning rate with each size: updates, epochs to a
    target loss, final loss; wall time apart.

``weight_decay`` (``backprop lab weight-decay``)
    A large network on few noisy points with L2 decay of several strengths: weight norms,
    training and validation accuracy.

:data:`LABS` is the table the command line is built from: one :class:`Lab` per lab, with its
own options.

Every number is reproducible from ``seed`` (the wall-clock times aside). The tables and readings
are written in any registered language (``lang=``), with the words of
:mod:`backprop.explain.words`.
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ._checks import check_int, check_non_negative, check_positive
from .data.toy import DATASETS
from .diagnostics import Diagnostics, GradientWarning
from .explain.words import LANGUAGES, words
from .models import mlp
from .optim import SGD, Adam, AdamW
from .training.loop import fit

__all__ = ["LABS", "BatchSizeResult", "BatchSizeRun", "ExplodingResult", "ExplodingRun", "Lab",
           "LabOption", "NormalizationResult", "NormalizationRun", "OptimizerRun",
           "OptimizersResult", "VanishingResult", "VanishingRun", "WeightDecayResult",
           "WeightDecayRun", "batch_size", "exploding", "normalization", "optimizers",
           "vanishing", "weight_decay"]

MIN_DEPTH = 8


def _dataset(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name](check_int("n_samples", n, minimum=8), rng=seed)


def _seed(seed: Any) -> int:
    return check_int("seed", seed, minimum=0)


def _lang(lang: Any) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {tuple(LANGUAGES.names())}, got {lang!r}")
    return lang


def _out_dir(out: str | Path | None) -> Path | None:
    if out is None:
        return None
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    return out


def _sci(x: float) -> str:
    """A ratio as a readable power of ten: 1.3e-17, 0.35, 12."""
    if not math.isfinite(x):
        return str(x)
    if x == 0:
        return "0"
    if 1e-2 <= abs(x) < 1e3:
        return f"{x:.2g}"
    return f"{x:.1e}"


# --- vanishing gradients ----------------------------------------------------------------------

#: (label, activation, init, batch_norm) of each configuration of the vanishing lab
VANISHING_CONFIGS: tuple[tuple[str, str, str, bool], ...] = (
    ("sigmoid + N(0, 0.01²)", "sigmoid", "normal", False),
    ("sigmoid + Xavier", "sigmoid", "xavier_uniform", False),
    ("ReLU + He", "relu", "he_uniform", False),
    ("ReLU + He + BatchNorm", "relu", "he_uniform", True),
)


@dataclass
class VanishingRun:
    r"""One configuration of :func:`vanishing`.

    Attributes
    ----------
    name : str
        Configuration label, e.g. ``"sigmoid + Xavier"``.
    activation, init : str
    batch_norm : bool
    layers : list of str
        The Dense layers, input side first.
    grad_start, grad_end : list of float
        :math:`\lVert dW^{[l]} \rVert` of each Dense layer at step 1 (the initial weights) and
        at the last step of training (NaN where non-finite).
    loss, accuracy : list of float
        Training loss and accuracy per epoch.
    warnings : list of str
        The :class:`~backprop.diagnostics.GradientWarning` messages raised while training.
    """

    name: str
    activation: str
    init: str
    batch_norm: bool
    layers: list[str]
    grad_start: list[float]
    grad_end: list[float]
    loss: list[float]
    accuracy: list[float]
    warnings: list[str] = field(default_factory=list)

    @property
    def ratio_start(self) -> float:
        """First Dense layer's gradient norm over the last one's, at initialisation."""
        return self.grad_start[0] / self.grad_start[-1]

    @property
    def ratio_end(self) -> float:
        """First over last gradient norm after training."""
        return self.grad_end[0] / self.grad_end[-1]

    @property
    def final_loss(self) -> float:
        return self.loss[-1]

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]


@dataclass
class VanishingResult:
    """What :func:`vanishing` measured, with its text table and reading."""

    runs: list[VanishingRun]
    depth: int
    width: int
    epochs: int
    dataset: str
    n_samples: int
    seed: int
    lang: str
    table: str = ""
    reading: str = ""
    png: str | None = None

    def run(self, name: str) -> VanishingRun:
        """The run of a configuration, by its label or a unique part of it."""
        for r in self.runs:
            if r.name == name:
                return r
        hits = [r for r in self.runs if name.lower() in r.name.lower()]
        if len(hits) == 1:
            return hits[0]
        raise KeyError(f"no single configuration matches {name!r}; known: "
                       f"{[r.name for r in self.runs]}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for run, d in zip(self.runs, data["runs"], strict=True):
            d.update(ratio_start=run.ratio_start, ratio_end=run.ratio_end,
                     final_loss=run.final_loss, final_accuracy=run.final_accuracy)
        return data


def vanishing(*, depth: int = 10, width: int = 32, epochs: int = 20, n_samples: int = 512,
              batch_size: int = 64, lr: float = 0.1, dataset: str = "circles", seed: int = 0,
              out: str | Path | None = None, lang: str = "en") -> VanishingResult:
    r"""The vanishing-gradient lab: per-layer gradient norms of a deep network, four ways.

    Each configuration is ``mlp([2] + [width] * depth + [n_classes])`` built from the same seed
    and trained with plain SGD on the same batches; the gradient norms are those the engine's
    backward pass wrote at the first step and at the last step.

    Parameters
    ----------
    depth : int, default 10
        Number of hidden layers (at least 8: the effect compounds with depth).
    width : int, default 32
        Units per hidden layer.
    epochs : int, default 20
    n_samples : int, default 512
    batch_size : int, default 64
    lr : float, default 0.1
        SGD learning rate :math:`\alpha` (:math:`W \leftarrow W - \alpha\, dW`).
    dataset : str, default "circles"
        A built-in 2-D dataset (see :mod:`backprop.data.toy`).
    seed : int, default 0
        Seeds the data, the initial weights and the batch order.
    out : path, optional
        Directory for ``lab-vanishing.png`` (created if missing); no PNG when None.
    lang : str, default "en"
        Language of the table and the reading (a registered one: ``"en"``, ``"vi"``).

    Returns
    -------
    VanishingResult
    """
    depth = check_int("depth", depth)
    if depth < MIN_DEPTH:
        raise ValueError(f"depth must be >= {MIN_DEPTH} hidden layers (vanishing gradients "
                         f"need a deep network), got {depth}")
    width = check_int("width", width, minimum=1)
    epochs = check_int("epochs", epochs, minimum=1)
    batch_size = check_int("batch size", batch_size, minimum=2)  # BatchNorm needs 2 samples
    lr = check_positive("learning rate", lr)
    seed = _seed(seed)
    lang = _lang(lang)
    out_dir = _out_dir(out)
    X, y = _dataset(dataset, n_samples, seed)
    n_classes = int(y.max()) + 1
    runs = []
    for name, activation, init, bn in VANISHING_CONFIGS:
        net = mlp([X.shape[1]] + [width] * depth + [n_classes], activation=activation,
                  init=init, batch_norm=bn, rng=seed)
        # every epoch records its last batch; the first step (initial weights) is always kept
        diag = Diagnostics(unit="epoch")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GradientWarning)
            history = fit(net, X, y, loss="softmax_cross_entropy",
                          optimizer=SGD(net.parameters(), lr=lr), epochs=epochs,
                          batch_size=batch_size, seed=seed, verbose=False, callbacks=[diag])
        d = history.diagnostics
        dense = [k for k, i in enumerate(d["layer_index"]) if net.layers[i].role == "affine"]

        def norms(record: dict[str, Any], dense: list[int] = dense) -> list[float]:
            return [math.nan if record["grad_norm"][k] is None else record["grad_norm"][k]
                    for k in dense]

        runs.append(VanishingRun(
            name=name, activation=activation, init=init, batch_norm=bn,
            layers=[d["layers"][k] for k in dense],
            grad_start=norms(d["records"][0]), grad_end=norms(d["records"][-1]),
            loss=list(history["loss"]), accuracy=list(history["accuracy"]),
            warnings=[str(w.message) for w in caught if issubclass(w.category, GradientWarning)]))
    result = VanishingResult(runs=runs, depth=depth, width=width, epochs=epochs, dataset=dataset,
                             n_samples=int(X.shape[0]), seed=seed, lang=lang)
    result.table = _vanishing_table(result)
    result.reading = _vanishing_reading(result)
    if out_dir is not None:
        from .plots import plot_lab_vanishing

        result.png = str(plot_lab_vanishing(result, out_dir / "lab-vanishing.png"))
    return result


def _vanishing_table(result: VanishingResult) -> str:
    t = words(result.lang)
    col = max(len(r.name) for r in result.runs) + 2
    lines = [t["lab_vanishing_title"].format(dataset=result.dataset, depth=result.depth,
                                             width=result.width, seed=result.seed)]
    for key, label in (("grad_start", t["lab_vanishing_start"]),
                       ("grad_end", t["lab_vanishing_end"])):
        lines.append("")
        lines.append(label.format(epochs=result.epochs))
        lines.append(f"{t['lab_layer']:>6}" + "".join(f"{r.name:>{col}}" for r in result.runs))
        for l in range(len(result.runs[0].layers)):
            lines.append(f"{l + 1:>6}" + "".join(f"{getattr(r, key)[l]:>{col}.2e}"
                                                 for r in result.runs))
    lines.append("")
    w = max(len(r.name) for r in result.runs)
    lines.append(f"{t['lab_config']:<{w}}  {t['lab_ratio_start']:>18}  {t['lab_ratio_end']:>18}  "
                 f"{t['lab_final_loss']:>12}  {t['lab_accuracy']:>12}")
    for r in result.runs:
        lines.append(f"{r.name:<{w}}  {r.ratio_start:>18.2e}  {r.ratio_end:>18.2e}  "
                     f"{r.final_loss:>12.4f}  {100 * r.final_accuracy:>11.1f}%")
    return "\n".join(lines)


def _verdict(ratio: float, depth: int, lang: str, vanish: float = 1e-3,
             explode: float = 1e3) -> str:
    """How the first layer's gradient compares with the last one's, in words."""
    t = words(lang)
    if not math.isfinite(ratio):
        return t["lab_verdict_not_finite"]
    if ratio < vanish:
        per_layer = ratio ** (1.0 / depth) if ratio > 0 else 0.0
        return t["lab_verdict_vanishes"].format(ratio=_sci(ratio), per_layer=per_layer)
    if ratio > explode:
        return t["lab_verdict_explodes"].format(ratio=_sci(ratio))
    return t["lab_verdict_within"].format(factor=max(ratio, 1.0 / ratio))


def _vanishing_reading(result: VanishingResult) -> str:
    t = words(result.lang)
    e = result.epochs
    sentences = []
    for r in result.runs:
        sentences.append(t["lab_vanishing_run"].format(
            name=r.name, verdict=_verdict(r.ratio_start, result.depth, result.lang), epochs=e,
            ratio=_sci(r.ratio_end), accuracy=100 * r.final_accuracy, loss=r.final_loss))
    naive, xavier = result.runs[0], result.runs[1]
    if naive.ratio_start > 0 and xavier.ratio_start > 0:
        gain = math.log10(xavier.ratio_start / naive.ratio_start)
        still = xavier.ratio_start < 1e-3  # with sigmoid the gradient still vanishes
        key = "lab_vanishing_xavier_still" if still else "lab_vanishing_xavier"
        sentences.append(t[key].format(gain=gain))
    best = max(result.runs, key=lambda r: (r.final_accuracy, -r.final_loss))
    worst = min(result.runs, key=lambda r: (r.final_accuracy, -r.final_loss))
    sentences.append(t["lab_vanishing_best"].format(
        epochs=e, best=best.name, best_accuracy=100 * best.final_accuracy, worst=worst.name,
        worst_accuracy=100 * worst.final_accuracy))
    return " ".join(sentences)


# --- optimisers -------------------------------------------------------------------------------

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
    """What :func:`optimizers` measured, with its text table and reading."""

    runs: list[OptimizerRun]
    sizes: list[int]
    epochs: int
    dataset: str
    n_samples: int
    seed: int
    lang: str = "en"
    table: str = ""
    reading: str = ""
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
    if out_dir is not None:
        from .plots import plot_decision_boundary, plot_loss_curves

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
    wl, wa, wt = (max(n, len(t[k])) for n, k in ((10, "lab_final_loss"), (9, "lab_accuracy"),
                                                   (7, "lab_time")))
    lines = [t["lab_optimizers_title"].format(dataset=result.dataset, n_samples=result.n_samples,
                                              arch=arch, epochs=result.epochs, seed=result.seed),
             "",
             f"{t['lab_optimizer']:<{w}}  {t['lab_settings']:<{s}}  {t['lab_final_loss']:>{wl}}  "
             f"{t['lab_accuracy']:>{wa}}  {t['lab_time']:>{wt}}"]
    for r in result.runs:
        lines.append(f"{r.name:<{w}}  {r.settings:<{s}}  {r.final_loss:>{wl}.4f}  "
                     f"{100 * r.final_accuracy:>{wa - 1}.1f}%  {r.seconds:>{wt - 1}.2f}s")
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
    fastest = min(result.runs, key=lambda r: r.seconds)
    slowest = max(result.runs, key=lambda r: r.seconds)
    sentences.append(t["lab_optimizers_time"].format(
        fastest_seconds=fastest.seconds, fastest=fastest.name, slowest_seconds=slowest.seconds,
        slowest=slowest.name))
    return " ".join(sentences)


# --- exploding gradients ----------------------------------------------------------------------

def _dense_grad_norms(net: Any, loss: Any, X: np.ndarray, y: np.ndarray) -> list[float]:
    r""":math:`\lVert \partial J / \partial W^{[l]} \rVert` of every Dense layer, from one
    forward and backward pass of the engine over ``(X, y)``."""
    loss.forward(net.forward(X), y)
    net.backward(loss.backward(), input_grad=False)
    return [float(np.linalg.norm(layer.dW)) for layer in net if layer.role == "affine"]


def _flat(params: list[Any]) -> np.ndarray:
    return np.concatenate([p.data.ravel() for p in params])


@dataclass
class ExplodingRun:
    r"""One configuration of :func:`exploding`.

    Attributes
    ----------
    name : str
        e.g. ``"He ×2 + clip 1"``.
    scale : float
        The factor the He-initialised weights were multiplied by.
    clip : float or None
        The largest global gradient norm a step may use (None: no clipping).
    grad_start : list of float
        :math:`\lVert dW^{[l]} \rVert` of each Dense layer at initialisation (whole data set).
    raw_norm : list of float
        Per step, the global norm :math:`\lVert g \rVert` of every parameter's gradient, as the
        backward pass wrote it (before any clipping).
    step_norm : list of float
        Per step, :math:`\lVert \Delta\theta \rVert / \alpha`: the length of the gradient the
        step actually used, measured on the parameters before and after it.
    loss_start : float
        The loss on the training set before training.
    loss, accuracy : list of float
        On the whole training set after each epoch (as many as were finished).
    diverged_at : int or None
        The step at which the loss or a gradient stopped being finite (training stopped).
    """

    name: str
    scale: float
    clip: float | None
    grad_start: list[float]
    raw_norm: list[float]
    step_norm: list[float]
    loss_start: float
    loss: list[float]
    accuracy: list[float]
    diverged_at: int | None = None

    @property
    def largest_raw(self) -> float:
        return max(self.raw_norm) if self.raw_norm else math.nan

    @property
    def largest_step(self) -> float:
        return max(self.step_norm) if self.step_norm else math.nan

    @property
    def final_loss(self) -> float:
        """The loss after the last epoch (NaN when training diverged)."""
        return self.loss[-1] if self.loss and self.diverged_at is None else math.nan

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1] if self.accuracy and self.diverged_at is None else math.nan


@dataclass
class ExplodingResult:
    """What :func:`exploding` measured, with its text table and reading."""

    runs: list[ExplodingRun]
    depth: int
    width: int
    scale: float
    clip: float
    epochs: int
    lr: float
    batch_size: int
    dataset: str
    n_samples: int
    seed: int
    lang: str
    table: str = ""
    reading: str = ""
    png: str | None = None

    def run(self, name: str) -> ExplodingRun:
        """The run of a configuration, by its exact label."""
        for r in self.runs:
            if r.name == name:
                return r
        raise KeyError(f"no configuration {name!r}; known: {[r.name for r in self.runs]}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for run, d in zip(self.runs, data["runs"], strict=True):
            d.update(largest_raw=run.largest_raw, largest_step=run.largest_step,
                     final_loss=run.final_loss, final_accuracy=run.final_accuracy)
        return data


def _sgd_with_norms(net: Any, X: np.ndarray, y: np.ndarray, *, lr: float, clip: float | None,
                    epochs: int, batch_size: int, seed: int) -> dict[str, Any]:
    """The teaching loop (forward, loss, backward, step) with every step's gradient norm before
    clipping and the length of the step taken; stops at the first non-finite loss or gradient."""
    from .data import BatchIterator
    from .losses import SoftmaxCrossEntropy

    loss = SoftmaxCrossEntropy()
    params = net.parameters()
    opt = SGD(params, lr=lr, clip_norm=clip)
    batches = BatchIterator(X, y, batch_size, rng=seed)
    out: dict[str, Any] = {"raw_norm": [], "step_norm": [], "loss": [], "accuracy": [],
                           "diverged_at": None}
    step = 0
    with np.errstate(all="ignore"):  # a diverging run overflows on purpose; it is caught below
        out["loss_start"] = float(loss.forward(net.forward(X), y))
        for _ in range(epochs):
            for xb, yb in batches:
                step += 1
                J = loss.forward(net.forward(xb), yb)
                net.backward(loss.backward(), input_grad=False)
                g = math.sqrt(sum(float(np.sum(p.grad * p.grad)) for p in params))
                if not (math.isfinite(J) and math.isfinite(g)):
                    out["diverged_at"] = step
                    return out
                before = _flat(params)
                opt.step()
                out["raw_norm"].append(g)
                out["step_norm"].append(float(np.linalg.norm(_flat(params) - before)) / lr)
            scores = net.forward(X)
            J = float(loss.forward(scores, y))
            if not math.isfinite(J):
                out["diverged_at"] = step
                return out
            out["loss"].append(J)
            out["accuracy"].append(float(np.mean(scores.argmax(axis=1) == y)))
    return out


def exploding(*, depth: int = 10, width: int = 32, scale: float = 2.0, clip: float = 1.0,
              epochs: int = 50, lr: float = 0.1, n_samples: int = 512, batch_size: int = 64,
              dataset: str = "circles", seed: int = 0, out: str | Path | None = None,
              lang: str = "en") -> ExplodingResult:
    r"""The exploding-gradient lab: a deep ReLU network started with too-large weights, trained
    with and without gradient clipping.

    Three runs of ``mlp([2] + [width] * depth + [n_classes])`` from the same seed: He's
    initialisation (the reference), He's weights multiplied by ``scale`` (each layer then
    multiplies the backward signal by about ``scale``, so the gradient grows like
    :math:`\text{scale}^{L}`), and the same with clipping by global norm
    (:math:`g \leftarrow g \cdot \min(1, c / \lVert g \rVert)`, PyTorch's
    ``clip_grad_norm_``). All train with plain SGD on the same batches; every step's gradient
    norm and step length are measured, not derived.

    Parameters
    ----------
    depth : int, default 10
        Hidden layers (the growth compounds with depth).
    width : int, default 32
    scale : float, default 2
        Factor on the He-initialised weights (> 1 makes the gradient explode).
    clip : float, default 1
        The clipping threshold :math:`c` of the third run.
    epochs : int, default 50
    lr : float, default 0.1
        SGD learning rate :math:`\alpha`.
    n_samples : int, default 512
    batch_size : int, default 64
    dataset : str, default "circles"
    seed : int, default 0
    out : path, optional
        Directory for ``lab-exploding.png``; no PNG when None.
    lang : str, default "en"

    Returns
    -------
    ExplodingResult
    """
    depth = check_int("depth", depth, minimum=2)
    width = check_int("width", width, minimum=1)
    scale = check_positive("scale", scale)
    clip = check_positive("clip", clip)
    epochs = check_int("epochs", epochs, minimum=1)
    lr = check_positive("learning rate", lr)
    batch_size = check_int("batch size", batch_size, minimum=1)
    seed = _seed(seed)
    lang = _lang(lang)
    out_dir = _out_dir(out)
    X, y = _dataset(dataset, n_samples, seed)
    sizes = [X.shape[1]] + [width] * depth + [int(y.max()) + 1]
    from .losses import SoftmaxCrossEntropy

    runs = []
    for name, factor, threshold in (("He", 1.0, None), (f"He ×{scale:g}", scale, None),
                                    (f"He ×{scale:g} + clip {clip:g}", scale, clip)):
        net = mlp(sizes, activation="relu", init="he_uniform", rng=seed)
        for layer in net:
            if layer.role == "affine":
                layer.W *= factor
        start = _dense_grad_norms(net, SoftmaxCrossEntropy(), X, y)
        rec = _sgd_with_norms(net, X, y, lr=lr, clip=threshold, epochs=epochs,
                              batch_size=batch_size, seed=seed)
        runs.append(ExplodingRun(name=name, scale=factor, clip=threshold, grad_start=start,
                                 **rec))
    result = ExplodingResult(runs=runs, depth=depth, width=width, scale=scale, clip=clip,
                             epochs=epochs, lr=lr, batch_size=batch_size, dataset=dataset,
                             n_samples=int(X.shape[0]), seed=seed, lang=lang)
    result.table = _exploding_table(result)
    result.reading = _exploding_reading(result)
    if out_dir is not None:
        from .plots import plot_lab_exploding

        result.png = str(plot_lab_exploding(result, out_dir / "lab-exploding.png"))
    return result


def _cell(x: float | None, fmt: str = ".2e") -> str:
    """A number for a table, ``-`` where there is none."""
    return "-" if x is None or not math.isfinite(x) else format(x, fmt)


def _percent(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{100 * x:.1f}%"


def _exploding_table(result: ExplodingResult) -> str:
    t = words(result.lang)
    base, big = result.runs[0], result.runs[1]
    lines = [t["lab_exploding_title"].format(dataset=result.dataset, depth=result.depth,
                                             width=result.width, seed=result.seed), "",
             f"{t['lab_layer']:>6}{base.name:>14}{big.name:>14}{t['lab_ratio']:>14}"]
    for l, (a, b) in enumerate(zip(base.grad_start, big.grad_start, strict=True)):
        lines.append(f"{l + 1:>6}{a:>14.2e}{b:>14.2e}{b / a if a else math.nan:>14.2e}")
    heads = [t["lab_config"], t["lab_grad_first"], t["lab_grad_largest"], t["lab_step_largest"],
             t["lab_diverged_at"], t["lab_final_loss"], t["lab_accuracy"]]
    w = max(len(heads[0]), *(len(r.name) for r in result.runs))
    widths = [max(len(h), 11) for h in heads[1:]]
    lines += ["", t["lab_exploding_training"].format(lr=result.lr, epochs=result.epochs,
                                                      batch_size=result.batch_size), "",
              f"{heads[0]:<{w}}" + "".join(f"  {h:>{n}}" for h, n in zip(heads[1:], widths,
                                                                           strict=True))]
    for r in result.runs:
        cells = [_cell(r.raw_norm[0] if r.raw_norm else None), _cell(r.largest_raw),
                 _cell(r.largest_step), "-" if r.diverged_at is None else str(r.diverged_at),
                 _cell(r.final_loss, ".4f"), _percent(r.final_accuracy)]
        lines.append(f"{r.name:<{w}}" + "".join(f"  {c:>{n}}" for c, n in zip(cells, widths,
                                                                            strict=True)))
    return "\n".join(lines)


def _exploding_reading(result: ExplodingResult) -> str:
    t = words(result.lang)
    base, big, clipped = result.runs
    ratios = [b / a for a, b in zip(base.grad_start, big.grad_start, strict=True) if a > 0]
    sentences = []
    if ratios:
        low, high = min(ratios), max(ratios)
        mean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
        key = "lab_exploding_start" if low >= 10 else "lab_exploding_start_mild"
        sentences.append(t[key].format(scale=f"{big.scale:g}", low=_sci(low), high=_sci(high),
                                       per_layer=mean ** (1.0 / len(ratios)),
                                       layers=len(ratios)))
    first = big.raw_norm[0] if big.raw_norm else math.nan
    if big.diverged_at is not None:
        sentences.append(t["lab_exploding_diverged"].format(
            name=big.name, first=_sci(first), largest=_sci(big.largest_raw),
            step=big.diverged_at))
    else:
        sentences.append(t["lab_exploding_unclipped"].format(
            name=big.name, largest=_sci(big.largest_raw), start=big.loss_start,
            end=big.final_loss, accuracy=100 * big.final_accuracy))
    if clipped.diverged_at is not None:
        sentences.append(t["lab_exploding_clipped_diverged"].format(
            name=clipped.name, clip=f"{result.clip:g}", step=clipped.diverged_at))
    else:
        sentences.append(t["lab_exploding_clipped"].format(
            name=clipped.name, clip=f"{result.clip:g}", largest=_sci(clipped.largest_raw),
            times=_sci(clipped.largest_raw / result.clip), step=_sci(clipped.largest_step),
            start=clipped.loss_start, end=clipped.final_loss,
            accuracy=100 * clipped.final_accuracy))
    if big.step_norm and clipped.step_norm:
        sentences.append(t["lab_exploding_ratio"].format(
            ratio=_sci(big.largest_step / clipped.largest_step)))
    if base.diverged_at is None:
        sentences.append(t["lab_exploding_baseline"].format(
            name=base.name, largest=_sci(base.largest_raw), end=base.final_loss,
            accuracy=100 * base.final_accuracy))
    return " ".join(sentences)


# --- normalisation of the inputs --------------------------------------------------------------

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
    from .data import Standardizer, train_val_split
    from .losses import SoftmaxCrossEntropy
    from .training.loop import TrainingDivergedWarning

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
        from .plots import plot_lab_normalization

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


def _and(items: list[str], lang: str) -> str:
    """``a, b and c`` in ``lang``."""
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {words(lang)['lab_and']} " + items[-1]


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


# --- batch size -------------------------------------------------------------------------------

def _flat_grad(net: Any, loss: Any, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Every parameter's gradient of the cost on ``(X, y)``, from the engine, as one vector."""
    loss.forward(net.forward(X), y)
    net.backward(loss.backward(), input_grad=False)
    return np.concatenate([p.grad.ravel() for p in net.parameters()])


@dataclass
class BatchSizeRun:
    r"""One batch size of :func:`batch_size`.

    ``grad_error`` is the root-mean-square of :math:`\lVert g_B - g \rVert / \lVert g \rVert`
    over ``draws`` random batches at initialisation (:math:`g` the gradient of the whole
    training set); ``seconds`` the wall time of training (not reproducible).
    """

    batch_size: int
    updates_per_epoch: int
    grad_error: float
    loss: list[float]
    accuracy: list[float]
    seconds: float

    @property
    def final_loss(self) -> float:
        return self.loss[-1]

    @property
    def final_accuracy(self) -> float:
        return self.accuracy[-1]

    def epochs_to(self, target: float) -> int | None:
        """The first epoch after which the training loss is below ``target`` (None: never)."""
        return next((k + 1 for k, v in enumerate(self.loss) if v < target), None)


@dataclass
class BatchSizeResult:
    """What :func:`batch_size` measured, with its text table, reading and timing."""

    runs: list[BatchSizeRun]
    sizes: list[int]
    epochs: int
    lr: float
    target: float
    draws: int
    dataset: str
    n_samples: int
    seed: int
    lang: str
    slope: float
    table: str = ""
    reading: str = ""
    timing: str = ""
    png: str | None = None

    def run(self, batch_size: int) -> BatchSizeRun:
        for r in self.runs:
            if r.batch_size == batch_size:
                return r
        raise KeyError(f"no run with batch size {batch_size}; known: {self.sizes}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for run, d in zip(self.runs, data["runs"], strict=True):
            d.update(final_loss=run.final_loss, final_accuracy=run.final_accuracy,
                     epochs_to_target=run.epochs_to(self.target))
        return data


def batch_size(*, sizes: tuple[int, ...] = (4, 16, 64, 256, 1024), epochs: int = 20,
               lr: float = 0.05, target: float = 0.25, draws: int = 50,
               hidden: tuple[int, ...] = (32, 32), n_samples: int = 1024,
               dataset: str = "moons", seed: int = 0, out: str | Path | None = None,
               lang: str = "en") -> BatchSizeResult:
    r"""The batch-size lab: how noisy a mini-batch's gradient is, and how fast training goes,
    for several batch sizes.

    Noise: at the initial weights, the gradient :math:`g_B` of ``draws`` random batches of
    each size is compared with the gradient :math:`g` of the whole training set,
    :math:`\lVert g_B - g \rVert / \lVert g \rVert` (sampling theory expects it to shrink like
    :math:`1/\sqrt{B}`; the lab fits the exponent instead of assuming it). Speed: the same
    network (same seed) is trained with plain SGD at one learning rate for ``epochs`` epochs
    with each batch size -- :math:`\lceil n/B \rceil` updates per epoch -- and the loss after
    each epoch, the epochs needed to bring it below ``target`` and the wall time are recorded.

    Parameters
    ----------
    sizes : tuple of int, default (4, 16, 64, 256, 1024)
        Batch sizes, each at most ``n_samples`` (``n_samples`` itself is full-batch gradient
        descent).
    epochs : int, default 20
    lr : float, default 0.05
        The SGD learning rate of every run.
    target : float, default 0.25
        The training loss the "epochs to target" column waits for.
    draws : int, default 50
        Random batches per size for the noise measurement.
    hidden : tuple of int, default (32, 32)
    n_samples : int, default 1024
    dataset : str, default "moons"
    seed : int, default 0
    out : path, optional
        Directory for ``lab-batch-size.png``.
    lang : str, default "en"

    Returns
    -------
    BatchSizeResult
    """
    from .losses import SoftmaxCrossEntropy

    epochs = check_int("epochs", epochs, minimum=1)
    lr = check_positive("learning rate", lr)
    target = check_positive("target", target)
    draws = check_int("draws", draws, minimum=2)
    hidden = tuple(check_int("hidden width", h, minimum=1) for h in hidden)
    seed = _seed(seed)
    lang = _lang(lang)
    out_dir = _out_dir(out)
    X, y = _dataset(dataset, n_samples, seed)
    n = X.shape[0]
    sizes = tuple(sorted({check_int("batch size", b, minimum=1) for b in sizes}))
    if not sizes:
        raise ValueError("sizes needs at least one batch size")
    if sizes[-1] > n:
        raise ValueError(f"a batch size is at most the number of samples ({n}), got {sizes[-1]}")
    arch = [X.shape[1], *hidden, int(y.max()) + 1]
    net = mlp(arch, activation="relu", rng=seed)
    loss = SoftmaxCrossEntropy()
    full = _flat_grad(net, loss, X, y).copy()
    rng = np.random.default_rng(seed)
    runs = []
    for b in sizes:
        errors = [np.linalg.norm(_flat_grad(net, loss, X[idx], y[idx]) - full)
                  for idx in (rng.choice(n, b, replace=False) for _ in range(draws))]
        error = float(np.sqrt(np.mean(np.square(errors))) / np.linalg.norm(full))
        model = mlp(arch, activation="relu", rng=seed)
        t0 = time.perf_counter()
        history = fit(model, X, y, loss="softmax_cross_entropy",
                      optimizer=SGD(model.parameters(), lr=lr), epochs=epochs, batch_size=b,
                      seed=seed, verbose=False)
        seconds = time.perf_counter() - t0
        runs.append(BatchSizeRun(b, math.ceil(n / b), error, list(history["loss"]),
                                 list(history["accuracy"]), seconds))
    # the exponent of error ~ B^slope, fitted where the batch is not the whole data set
    fit_runs = [r for r in runs if r.batch_size < n and r.grad_error > 0]
    slope = (float(np.polyfit(np.log([r.batch_size for r in fit_runs]),
                              np.log([r.grad_error for r in fit_runs]), 1)[0])
             if len(fit_runs) >= 2 else math.nan)
    result = BatchSizeResult(runs=runs, sizes=list(sizes), epochs=epochs, lr=lr, target=target,
                             draws=draws, dataset=dataset, n_samples=n, seed=seed, lang=lang,
                             slope=slope)
    result.table = _batch_size_table(result)
    result.reading = _batch_size_reading(result)
    result.timing = _batch_size_timing(result)
    if out_dir is not None:
        from .plots import plot_lab_batch_size

        result.png = str(plot_lab_batch_size(result, out_dir / "lab-batch-size.png"))
    return result


def _batch_size_table(result: BatchSizeResult) -> str:
    t = words(result.lang)
    lines = [t["lab_batch_size_title"].format(dataset=result.dataset, n=result.n_samples,
                                              lr=result.lr, epochs=result.epochs,
                                              draws=result.draws, seed=result.seed), ""]
    heads = [t["lab_batch"], t["lab_updates"], t["lab_grad_error"],
             t["lab_epochs_to"].format(target=f"{result.target:g}"), t["lab_final_loss"],
             t["lab_accuracy"]]
    w = [max(len(h), 8) for h in heads]
    lines.append("  ".join(f"{h:>{n}}" for h, n in zip(heads, w, strict=True)))
    for r in result.runs:
        reached = r.epochs_to(result.target)
        cells = [str(r.batch_size), str(r.updates_per_epoch), f"{r.grad_error:.3f}",
                 "-" if reached is None else str(reached), f"{r.final_loss:.4f}",
                 _percent(r.final_accuracy)]
        lines.append("  ".join(f"{c:>{n}}" for c, n in zip(cells, w, strict=True)))
    return "\n".join(lines)


def _batch_size_reading(result: BatchSizeResult) -> str:
    t = words(result.lang)
    runs = result.runs
    noisy = [r for r in runs if r.batch_size < result.n_samples]
    sentences = []
    if len(noisy) >= 2:
        sentences.append(t["lab_batch_size_noise"].format(
            small=noisy[0].batch_size, small_error=noisy[0].grad_error,
            big=noisy[-1].batch_size, big_error=noisy[-1].grad_error, slope=result.slope))
    if runs[-1].batch_size == result.n_samples:
        sentences.append(t["lab_batch_size_full"].format(n=result.n_samples))
    first, last = runs[0], runs[-1]
    sentences.append(t["lab_batch_size_speed"].format(
        epochs=result.epochs, lr=f"{result.lr:g}", small=first.batch_size,
        small_updates=first.updates_per_epoch * result.epochs, small_loss=first.final_loss,
        big=last.batch_size, big_updates=last.updates_per_epoch * result.epochs,
        big_loss=last.final_loss))
    reached = [f"B = {r.batch_size}: {r.epochs_to(result.target)}" for r in runs
               if r.epochs_to(result.target) is not None]
    never = [f"B = {r.batch_size}" for r in runs if r.epochs_to(result.target) is None]
    if reached:
        sentences.append(t["lab_batch_size_target"].format(target=f"{result.target:g}",
                                                           reached="; ".join(reached)))
    if never:
        sentences.append(t["lab_batch_size_never"].format(target=f"{result.target:g}",
                                                          epochs=result.epochs,
                                                          never=_and(never, result.lang)))
    return " ".join(sentences)


def _batch_size_timing(result: BatchSizeResult) -> str:
    """Wall time per epoch: measured, so it changes from run to run (kept out of the table)."""
    t = words(result.lang)
    per_epoch = [f"B = {r.batch_size}: {1000 * r.seconds / result.epochs:.1f} ms"
                 for r in result.runs]
    first = result.runs[0]
    fastest = min(result.runs, key=lambda r: r.seconds)
    ratio = first.seconds / fastest.seconds if fastest.seconds > 0 else math.nan
    return t["lab_batch_size_timing"].format(per_epoch="; ".join(per_epoch),
                                             small=first.batch_size, fast=fastest.batch_size,
                                             ratio=ratio)


# --- weight decay -----------------------------------------------------------------------------

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
    from .data import train_val_split

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
        from .plots import plot_lab_weight_decay

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


# --- the table of labs ------------------------------------------------------------------------

def int_list(text: str) -> tuple[int, ...]:
    """``"64,64"`` -> ``(64, 64)`` (a command-line option's value)."""
    try:
        return tuple(int(x) for x in str(text).split(",") if x.strip())
    except ValueError:
        raise ValueError(f"expected whole numbers separated by commas, got {text!r}") from None


def float_list(text: str) -> tuple[float, ...]:
    """``"0,1e-3,0.01"`` -> ``(0.0, 0.001, 0.01)`` (a command-line option's value)."""
    try:
        return tuple(float(x) for x in str(text).split(",") if x.strip())
    except ValueError:
        raise ValueError(f"expected numbers separated by commas, got {text!r}") from None


@dataclass(frozen=True)
class LabOption:
    """One setting of a lab that the command line offers as ``--name`` (underscores become
    dashes); ``parse`` turns the text into the lab's argument. The default is the lab
    function's own."""

    name: str
    help: str
    parse: Any = int


@dataclass(frozen=True)
class Lab:
    """One lab: its function and what the command line says about it.

    Every lab takes ``seed``, ``out`` and ``lang``; ``options`` are its own settings, each a
    keyword argument of ``run``.
    """

    name: str
    run: Any
    help: str
    description: str
    options: tuple[LabOption, ...] = ()

    def default(self, option: LabOption) -> Any:
        """The default of ``option``: the lab function's own."""
        import inspect

        return inspect.signature(self.run).parameters[option.name].default


#: name -> lab, for the command line (``backprop lab NAME``); adding a lab is one function and
#: one entry
LABS: dict[str, Lab] = {lab.name: lab for lab in (
    Lab("vanishing", vanishing, "per-layer gradient norms of a deep network, four ways",
        "A deep network with sigmoid + naive N(0, 0.01^2) init, sigmoid + Xavier, ReLU + He and "
        "ReLU + He + BatchNorm: gradient norm of every layer at the start and after training, a "
        "PNG and a reading of the numbers.",
        (LabOption("depth", f"hidden layers, at least {MIN_DEPTH}"),
         LabOption("epochs", "training epochs"))),
    Lab("optimizers", optimizers, "SGD, momentum, Nesterov, Adam and AdamW on one network",
        "The same network, data and seed trained with SGD, SGD + momentum, Nesterov, Adam and "
        "AdamW: overlaid loss curves (PNG), a table of final loss / accuracy / time and a "
        "reading.",
        (LabOption("epochs", "training epochs"),)),
    Lab("exploding", exploding, "a deep net started with too-large weights, with and without "
        "gradient clipping",
        "A deep ReLU network with He's initialisation, with He's weights times --scale, and "
        "the same clipped by global norm at --clip: every layer's gradient norm at the start, "
        "every step's gradient norm and step length during SGD, a PNG and a reading.",
        (LabOption("depth", "hidden layers"), LabOption("width", "units per hidden layer"),
         LabOption("scale", "factor on He's weights", float),
         LabOption("clip", "largest gradient norm a clipped step uses", float),
         LabOption("epochs", "training epochs"), LabOption("lr", "SGD learning rate", float))),
    Lab("normalization", normalization, "raw inputs of very different scales against the same "
        "inputs standardised",
        "The same network trained with SGD at several learning rates on raw inputs (the second "
        "feature multiplied by --scale) and on the same inputs standardised with the training "
        "rows' mean and spread: per-feature gradients at the start, final loss, validation "
        "accuracy and dead units, a PNG and a reading.",
        (LabOption("scale", "factor on the second feature", float),
         LabOption("shift", "added to the second feature", float),
         LabOption("lrs", "learning rates, separated by commas", float_list),
         LabOption("epochs", "training epochs"))),
    Lab("batch-size", batch_size, "how noisy a mini-batch's gradient is, and how fast training "
        "goes, against the batch size",
        "For each batch size: the error of a random batch's gradient against the whole data "
        "set's at the start (and the exponent of its fall with the size), then SGD at one "
        "learning rate for the same epochs -- updates per epoch, epochs to reach a target "
        "loss, final loss and accuracy, wall time -- a PNG and a reading.",
        (LabOption("sizes", "batch sizes, separated by commas", int_list),
         LabOption("epochs", "training epochs"), LabOption("lr", "SGD learning rate", float),
         LabOption("target", "the training loss to reach", float))),
    Lab("weight-decay", weight_decay, "weight norms and validation accuracy against the "
        "strength of L2 weight decay",
        "A network far larger than its few noisy training points, trained with SGD and L2 "
        "weight decay of each strength in --decays from the same start: weight norm, "
        "training and validation accuracy and loss, a PNG and a reading.",
        (LabOption("decays", "strengths λ, separated by commas", float_list),
         LabOption("epochs", "training epochs"), LabOption("lr", "SGD learning rate", float),
         LabOption("n_train", "training points"), LabOption("noise", "dataset noise", float))),
)}
