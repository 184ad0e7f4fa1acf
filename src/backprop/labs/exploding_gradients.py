"""The exploding-gradient lab (``backprop lab exploding``).

A deep ReLU network with He's start, with He's weights times a scale, and the same clipped
by global norm: each layer's gradient at the start, every step's gradient norm before
clipping and the length of the step taken (measured on the parameters).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_int, check_positive
from ..explain.words import words
from ..models import mlp
from ..optim import SGD
from .base import MAX_DEPTH, Lab, LabOption, _cell, _dataset, _lang, _out_dir, _percent, _sci, _seed


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
    from ..data import BatchIterator
    from ..losses import SoftmaxCrossEntropy

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
    depth = check_int("depth", depth, minimum=2, maximum=MAX_DEPTH)
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
    from ..losses import SoftmaxCrossEntropy

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
        from ..plots import plot_lab_exploding

        result.png = str(plot_lab_exploding(result, out_dir / "lab-exploding.png"))
    return result


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


#: the lab's entry in :data:`backprop.labs.LABS` (``backprop lab exploding``)
LAB = Lab(
    "exploding", exploding, "a deep net started with too-large weights, with and without "
    "gradient clipping",
    "A deep ReLU network with He's initialisation, with He's weights times --scale, and "
    "the same clipped by global norm at --clip: every layer's gradient norm at the start, "
    "every step's gradient norm and step length during SGD, a PNG and a reading.",
    (LabOption("depth", "hidden layers"), LabOption("width", "units per hidden layer"),
     LabOption("scale", "factor on He's weights", float),
     LabOption("clip", "largest gradient norm a clipped step uses", float),
     LabOption("epochs", "training epochs"), LabOption("lr", "SGD learning rate", float)))
