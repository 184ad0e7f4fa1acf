r"""The vanishing-gradient lab (``backprop lab vanishing``).

The same deep network (:math:`\ge 8` hidden layers) four ways: sigmoid with the naive
:math:`\mathcal{N}(0, 0.01^2)` start, sigmoid with Xavier, ReLU with He, ReLU with He and
batch normalisation. The gradient norms :math:`\lVert \partial J / \partial W^{[l]} \rVert`
of every Dense layer come from the engine's own backward pass (recorded by
:class:`~backprop.diagnostics.Diagnostics`) at the first step and after training. The
backward recursion :math:`\delta^{[l]} = (W^{[l+1]})^\top \delta^{[l+1]} \odot g'(Z^{[l]})`
multiplies the error signal by :math:`W^\top` and :math:`g'` once per layer; with
:math:`\sigma' \le 1/4` and tiny weights the product shrinks geometrically.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .._checks import check_int, check_positive
from ..diagnostics import Diagnostics, GradientWarning
from ..explain.words import words
from ..models import mlp
from ..optim import SGD
from ..training.loop import fit
from .base import MAX_DEPTH, Lab, LabOption, _dataset, _lang, _out_dir, _sci, _seed

MIN_DEPTH = 8


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
    depth = check_int("depth", depth, maximum=MAX_DEPTH)
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
        from ..plots import plot_lab_vanishing

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


#: the lab's entry in :data:`backprop.labs.LABS` (``backprop lab vanishing``)
LAB = Lab(
    "vanishing", vanishing, "per-layer gradient norms of a deep network, four ways",
    "A deep network with sigmoid + naive N(0, 0.01^2) init, sigmoid + Xavier, ReLU + He and "
    "ReLU + He + BatchNorm: gradient norm of every layer at the start and after training, a "
    "PNG and a reading of the numbers.",
    (LabOption("depth", f"hidden layers, at least {MIN_DEPTH}"),
     LabOption("epochs", "training epochs")))
