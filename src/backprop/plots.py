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
        :class:`backprop.train.History` or its ``history`` dict.
    path : str or Path
        Output PNG file (written atomically).
    """
    from .io import atomic_write_bytes

    plt = _pyplot()
    h = getattr(history, "history", history)
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
    atomic_write_bytes(path, lambda fh: fig.savefig(fh, format="png", dpi=110))
    plt.close(fig)
    return path
