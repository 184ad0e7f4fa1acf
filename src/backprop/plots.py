"""Plots (matplotlib, an optional extra). Headless-safe: the Agg backend, files only."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError("plots need matplotlib: pip install 'backprop[plot]'") from exc
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_history(history: Any, path: str | Path, *, title: str | None = None) -> Path:
    """Loss (and accuracy, when recorded) per epoch, training and validation, as a PNG.

    Parameters
    ----------
    history : History or dict
        :class:`backprop.training.History` or its ``history`` dict.
    path : str or Path
        Output PNG file (written atomically).
    """
    from .io import atomic_write_bytes

    h = getattr(history, "history", history)
    if not isinstance(h, dict) or not h.get("loss"):
        raise ValueError("the history holds no completed epoch: there is no curve to draw")
    plt = _pyplot()
    epochs = getattr(history, "epochs", None) or list(range(1, len(h["loss"]) + 1))
    has_acc = "accuracy" in h
    fig, axes = plt.subplots(1, 2 if has_acc else 1, figsize=(10 if has_acc else 5.5, 4))
    axes = list(axes) if has_acc else [axes]
    axes[0].plot(epochs, h["loss"], label="training")
    if "val_loss" in h:
        axes[0].plot(epochs, h["val_loss"], label="validation")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("loss")
    axes[0].set_yscale("log")
    axes[0].legend()
    axes[0].grid(alpha=0.3)
    if has_acc:
        axes[1].plot(epochs, [100 * a for a in h["accuracy"]], label="training")
        if "val_accuracy" in h:
            axes[1].plot(epochs, [100 * a for a in h["val_accuracy"]], label="validation")
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("accuracy (%)")
        axes[1].legend()
        axes[1].grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    try:
        atomic_write_bytes(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
    finally:
        plt.close(fig)
    return path


def _save(fig: Any, path: str | Path, plt: Any, dpi: int = 110) -> Path:
    """Write a figure as PNG atomically, then free it."""
    from .io import atomic_write_bytes

    path = Path(path)
    try:
        atomic_write_bytes(path, lambda fh: fig.savefig(fh, format="png", dpi=dpi))
    finally:
        plt.close(fig)
    return path


def _nan(x: Any) -> float:
    """JSON ``None`` (a non-finite number in a diagnostics record) -> NaN."""
    return float("nan") if x is None else float(x)


def plot_grad_heatmap(history: Any, path: str | Path, *, title: str | None = None) -> Path:
    r"""Heat map of :math:`\lVert dW \rVert` per layer (rows) and recorded step (columns).

    Colours are on a log scale, so a gradient that vanishes towards the input shows as a dark
    band at the top rows (layer 0 is drawn first); non-finite or zero norms are left blank.

    Parameters
    ----------
    history : History or dict
        A :class:`backprop.training.History` trained with diagnostics, or its ``diagnostics``
        dict.
    path : str or Path
        Output PNG file (written atomically).
    """
    import numpy as np
    from matplotlib.colors import LogNorm

    diag = history.diagnostics if hasattr(history, "diagnostics") else history
    if not isinstance(diag, dict) or not diag.get("records"):
        raise ValueError("no diagnostics to plot: train with fit(..., diagnostics=True) or "
                         "callbacks=[backprop.Diagnostics()]")
    plt = _pyplot()
    records = diag["records"]
    names = diag["layers"]
    grid = np.array([[_nan(r["grad_norm"][l]) for r in records] for l in range(len(names))])
    shown = np.ma.masked_where(~(np.isfinite(grid) & (grid > 0)), grid)
    if shown.count() == 0:
        raise ValueError("every recorded gradient norm is zero or non-finite: nothing to plot")
    fig, ax = plt.subplots(figsize=(min(4 + 0.25 * len(records), 12), 1.2 + 0.32 * len(names)))
    image = ax.imshow(shown, aspect="auto", interpolation="nearest", cmap="viridis",
                      norm=LogNorm(vmin=float(shown.min()), vmax=float(shown.max())))
    ax.set_yticks(range(len(names)), labels=names, fontsize=8)
    steps = [r["step"] for r in records]
    ticks = list(range(0, len(steps), max(1, len(steps) // 10)))
    ax.set_xticks(ticks, labels=[str(steps[i]) for i in ticks], fontsize=8)
    ax.set_xlabel("step (recorded)")
    fig.colorbar(image, ax=ax, label="||dW|| (log scale)")
    ax.set_title(title or "gradient norm per layer")
    fig.tight_layout()
    return _save(fig, path, plt)


def plot_decision_boundary(net: Any, X: Any, y: Any, path: str | Path, *,
                           resolution: int = 200, title: str | None = None) -> Path:
    """Class regions of a trained 2-D classifier with the data points on top.

    Parameters
    ----------
    net : Sequential
        Trained network with 2 inputs. Several outputs: the class is the argmax; one output:
        the class is ``output > 0`` for a logit (trained with binary cross-entropy) and
        ``output > 0.5`` otherwise.
    X : array-like of shape (n_samples, 2)
    y : array-like of shape (n_samples,)
        Class labels, drawn as the points' colours.
    path : str or Path
        Output PNG file (written atomically).
    resolution : int, default 200
        Grid points per axis.
    """
    import numpy as np

    from ._checks import check_int
    from .training.evaluation import _link, predict_raw

    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs 2-D points, X of shape (n, 2); got "
                         f"shape {X.shape}")
    y = np.asarray(y).reshape(-1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} labels for {X.shape[0]} points")
    resolution = check_int("resolution", resolution, minimum=2)
    plt = _pyplot()
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * np.maximum(hi - lo, 1e-9)
    gx = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    gy = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    xx, yy = np.meshgrid(gx, gy)
    out = predict_raw(net, np.column_stack([xx.ravel(), yy.ravel()]))
    if out.shape[1] > 1:
        cls = out.argmax(axis=1)
    else:
        cls = (out[:, 0] > (0.0 if _link(None, net) == "sigmoid" else 0.5)).astype(int)
    from matplotlib.colors import ListedColormap

    fig, ax = plt.subplots(figsize=(5.5, 5))
    n_cls = int(max(cls.max(), np.max(y) if y.size else 0)) + 1
    # one distinct colour per class (a diverging map would give a middle class a grey)
    cmap = ListedColormap([plt.get_cmap("tab10")(k % 10) for k in range(n_cls)])
    levels = np.arange(n_cls + 1) - 0.5
    ax.contourf(xx, yy, cls.reshape(xx.shape), levels=levels, cmap=cmap, alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=cmap, vmin=-0.5, vmax=n_cls - 0.5, s=14,
               edgecolors="k", linewidths=0.4)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(title or "decision boundary")
    fig.tight_layout()
    return _save(fig, path, plt)


def plot_loss_curves(histories: dict[str, Any], path: str | Path, *, title: str | None = None,
                     log: bool = True) -> Path:
    """Training loss per epoch of several runs overlaid (one line per run).

    Parameters
    ----------
    histories : dict of str to History
        Label -> :class:`backprop.training.History` (or a list of per-epoch losses).
    path : str or Path
        Output PNG file (written atomically).
    log : bool, default True
        Log-scale loss axis.
    """
    if not histories:
        raise ValueError("plot_loss_curves needs at least one history")
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for label, h in histories.items():
        losses = h["loss"] if not isinstance(h, (list, tuple)) else list(h)
        epochs = getattr(h, "epochs", None) or list(range(1, len(losses) + 1))
        ax.plot(epochs, losses, label=label, linewidth=1.6)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    if log:
        ax.set_yscale("log")
    ax.grid(alpha=0.3, which="both")
    ax.legend()
    ax.set_title(title or "loss curves")
    fig.tight_layout()
    return _save(fig, path, plt)


def plot_lab_vanishing(result: Any, path: str | Path, *, title: str | None = None) -> Path:
    """Per-layer gradient norms of the vanishing-gradient lab: one line per configuration, at
    initialisation (left) and after training (right), log scale.

    Parameters
    ----------
    result : VanishingResult or dict
        What :func:`backprop.labs.vanishing` returned (or its ``to_dict()``).
    path : str or Path
        Output PNG file (written atomically).
    """
    data = result.to_dict() if hasattr(result, "to_dict") else result
    runs = data.get("runs") if isinstance(data, dict) else None
    if not runs:
        raise ValueError("plot_lab_vanishing needs the result of backprop.labs.vanishing()")
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    panels = [("grad_start", "at initialisation (step 1)"),
              ("grad_end", f"after {data['epochs']} epochs")]
    markers = "osD^v<>"
    for ax, (key, label) in zip(axes, panels, strict=True):
        for k, run in enumerate(runs):
            values = [_nan(v) for v in run[key]]
            ax.plot(range(1, len(values) + 1), values, marker=markers[k % len(markers)],
                    markersize=4, linewidth=1.6, label=run["name"])
        ax.set_yscale("log")
        n_layers = len(run[key])
        ax.set_xticks(range(1, n_layers + 1, max(1, n_layers // 12)))
        ax.set_xlabel("Dense layer (1 = next to the input)")
        ax.set_title(label)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("gradient norm ||dW|| (log scale)")
    axes[1].legend(fontsize=8)
    fig.suptitle(title or (f"Vanishing gradients: {data['depth']} hidden layers of "
                           f"{data['width']}, {data['dataset']}"))
    fig.tight_layout()
    return _save(fig, path, plt, dpi=90)


def plot_lab_exploding(result: Any, path: str | Path) -> Path:
    """The exploding-gradient lab: each layer's gradient norm at initialisation (left) and the
    global gradient norm at every step of training (right; dashed: the length of the step
    actually taken, which clipping bounds), log scale, in the result's language.

    Parameters
    ----------
    result : ExplodingResult
        What :func:`backprop.labs.exploding` returned.
    path : str or Path
        Output PNG file (written atomically).
    """
    from .explain.words import words

    runs = getattr(result, "runs", None)
    if not runs:
        raise ValueError("plot_lab_exploding needs the result of backprop.labs.exploding()")
    t = words(result.lang)
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    for k, run in enumerate(runs):
        colour = f"C{k}"
        left.plot(range(1, len(run.grad_start) + 1), run.grad_start, marker="o", markersize=4,
                  color=colour, label=run.name)
        steps = range(1, len(run.raw_norm) + 1)
        right.plot(steps, run.raw_norm, color=colour, linewidth=1.2, label=run.name)
        if run.clip is not None:
            right.plot(steps, run.step_norm, color=colour, linewidth=1.2, linestyle="--")
            right.axhline(run.clip, color="0.5", linewidth=0.8, linestyle=":")
        if run.diverged_at is not None:
            right.axvline(run.diverged_at, color=colour, linewidth=0.8, linestyle=":")
    left.set_xlabel(t["lab_plot_dense_layer"])
    left.set_title(t["lab_exploding_plot_start"])
    right.set_xlabel(t["lab_plot_step"])
    right.set_title(t["lab_exploding_plot_steps"])
    for ax in (left, right):
        ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
    left.set_ylabel("||dW||")
    right.set_ylabel("||g||")
    left.legend(fontsize=8)
    fig.suptitle(t["lab_exploding_plot_title"].format(depth=result.depth, width=result.width,
                                                      dataset=result.dataset))
    fig.tight_layout()
    return _save(fig, path, plt, dpi=90)


def plot_lab_normalization(result: Any, path: str | Path) -> Path:
    """The input-normalisation lab: validation accuracy against the learning rate (left) and
    the training loss per epoch of every run (right; solid raw, dashed standardised).

    Parameters
    ----------
    result : NormalizationResult
        What :func:`backprop.labs.normalization` returned.
    path : str or Path
        Output PNG file (written atomically).
    """
    import math

    from .explain.words import words

    runs = getattr(result, "runs", None)
    if not runs:
        raise ValueError("plot_lab_normalization needs the result of "
                         "backprop.labs.normalization()")
    t = words(result.lang)
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    lrs = sorted({r.lr for r in runs})
    for k, (kind, style) in enumerate((("raw", "-"), ("standardised", "--"))):
        mine = [r for r in runs if r.inputs == kind]
        acc = [100 * r.final_val_accuracy for r in sorted(mine, key=lambda r: r.lr)]
        left.plot(lrs, acc, marker="o", linestyle=style, color=f"C{k}",
                  label=t[f"lab_inputs_{kind}"])
        for j, r in enumerate(sorted(mine, key=lambda r: r.lr)):
            losses = [v for v in r.loss if math.isfinite(v)]
            if losses:
                right.plot(range(1, len(losses) + 1), losses, linestyle=style,
                           color=f"C{j + 2}",
                           label=f"{t[f'lab_inputs_{kind}']}, {r.lr:g}")
    left.axhline(100 * result.chance, color="0.5", linewidth=0.8, linestyle=":")
    left.set_xscale("log")
    left.set_xlabel(t["lab_plot_lr"])
    left.set_ylabel("%")
    left.set_title(t["lab_normalization_plot_accuracy"])
    left.legend(fontsize=8)
    right.set_yscale("log")
    right.set_xlabel(t["lab_plot_epoch"])
    right.set_title(t["lab_normalization_plot_loss"])
    right.legend(fontsize=7, ncol=2)
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(t["lab_normalization_plot_title"].format(dataset=result.dataset,
                                                          scale=f"{result.scale:g}"))
    fig.tight_layout()
    return _save(fig, path, plt, dpi=90)


def plot_lab_batch_size(result: Any, path: str | Path) -> Path:
    """The batch-size lab: the gradient error of a batch against its size (left, log-log, with
    a line of slope -1/2 through the smallest batch for reference) and the training loss per
    epoch of each batch size (right).

    Parameters
    ----------
    result : BatchSizeResult
        What :func:`backprop.labs.batch_size` returned.
    path : str or Path
        Output PNG file (written atomically).
    """
    from .explain.words import words

    runs = getattr(result, "runs", None)
    if not runs:
        raise ValueError("plot_lab_batch_size needs the result of backprop.labs.batch_size()")
    t = words(result.lang)
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    noisy = [r for r in runs if r.batch_size < result.n_samples]  # the whole set: exact
    if noisy:
        sizes = [r.batch_size for r in noisy]
        left.plot(sizes, [r.grad_error for r in noisy], marker="o", label="||g_B - g|| / ||g||")
        b0, e0 = noisy[0].batch_size, noisy[0].grad_error
        left.plot(sizes, [e0 * (b0 / b) ** 0.5 for b in sizes], linestyle="--", color="0.5",
                  label="∝ 1/√B")
        left.set_xscale("log")
        left.set_yscale("log")
        left.legend(fontsize=8)
    left.set_xlabel(t["lab_plot_batch"])
    left.set_title(t["lab_batch_size_plot_noise"])
    for k, r in enumerate(runs):
        right.plot(range(1, len(r.loss) + 1), r.loss, color=f"C{k}", label=f"B = {r.batch_size}")
    right.axhline(result.target, color="0.5", linewidth=0.8, linestyle=":")
    right.set_yscale("log")
    right.set_xlabel(t["lab_plot_epoch"])
    right.set_title(t["lab_batch_size_plot_loss"])
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.grid(alpha=0.3, which="both")
    fig.suptitle(t["lab_batch_size_plot_title"].format(dataset=result.dataset,
                                                       n=result.n_samples, lr=result.lr))
    fig.tight_layout()
    return _save(fig, path, plt, dpi=90)


def plot_lab_weight_decay(result: Any, path: str | Path) -> Path:
    """The weight-decay lab: the weights' norm after training for each strength λ (left) and
    the training and validation accuracy (right), λ on an evenly spaced axis (0 included).

    Parameters
    ----------
    result : WeightDecayResult
        What :func:`backprop.labs.weight_decay` returned.
    path : str or Path
        Output PNG file (written atomically).
    """
    from .explain.words import words

    runs = getattr(result, "runs", None)
    if not runs:
        raise ValueError("plot_lab_weight_decay needs the result of "
                         "backprop.labs.weight_decay()")
    t = words(result.lang)
    plt = _pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.4))
    runs = sorted(runs, key=lambda r: r.decay)
    xs = list(range(len(runs)))
    labels = [f"{r.decay:g}" for r in runs]
    left.bar(xs, [r.weight_norm for r in runs], color="C0")
    left.set_title(t["lab_weight_decay_plot_norm"])
    left.set_ylabel("||W||")
    right.plot(xs, [100 * r.final_accuracy for r in runs], marker="o",
               label=t["lab_plot_train"])
    right.plot(xs, [100 * r.final_val_accuracy for r in runs], marker="s",
               label=t["lab_plot_validation"])
    right.set_title(t["lab_weight_decay_plot_accuracy"])
    right.set_ylabel("%")
    right.legend(fontsize=8)
    for ax in (left, right):
        ax.set_xticks(xs, labels)
        ax.set_xlabel("λ")
        ax.grid(alpha=0.3)
    arch = "-".join(str(s) for s in [2, *result.hidden, 2])
    fig.suptitle(t["lab_weight_decay_plot_title"].format(dataset=result.dataset,
                                                         n_train=result.n_train, arch=arch))
    fig.tight_layout()
    return _save(fig, path, plt, dpi=90)
