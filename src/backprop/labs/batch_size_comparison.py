"""The batch-size lab (``backprop lab batch-size``).

The error of a mini-batch's gradient against the whole data set's for several sizes (and
its fitted exponent), and SGD at one learning rate with each size: updates, epochs to a
target loss, final loss; wall time apart.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._checks import check_int, check_positive
from ..explain.words import words
from ..models import mlp
from ..optim import SGD
from ..training.loop import fit
from .base import Lab, LabOption, _and, _dataset, _lang, _out_dir, _percent, _seed, int_list


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
    from ..losses import SoftmaxCrossEntropy

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
        from ..plots import plot_lab_batch_size

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


#: the lab's entry in :data:`backprop.labs.LABS` (``backprop lab batch-size``)
LAB = Lab(
    "batch-size", batch_size, "how noisy a mini-batch's gradient is, and how fast training "
    "goes, against the batch size",
    "For each batch size: the error of a random batch's gradient against the whole data "
    "set's at the start (and the exponent of its fall with the size), then SGD at one "
    "learning rate for the same epochs -- updates per epoch, epochs to reach a target "
    "loss, final loss and accuracy, wall time -- a PNG and a reading.",
    (LabOption("sizes", "batch sizes, separated by commas", int_list),
     LabOption("epochs", "training epochs"), LabOption("lr", "SGD learning rate", float),
     LabOption("target", "the training loss to reach", float)))
