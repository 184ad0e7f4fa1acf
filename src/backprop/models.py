"""Networks as users build them: ``bp.Sequential`` with training methods, ``bp.mlp``, and
``bp.save`` / ``bp.load``.

:class:`Sequential` is the engine's container (:class:`backprop.layers.Sequential`) plus
``fit``, ``evaluate``, ``predict`` and ``predict_proba``. It lives here, above both the layers
and the trainer, so that neither imports the other: the layers know nothing of training, and the
trainer trains any container.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._checks import as_rng, check_dtype, check_int, check_range
from .layers import BatchNorm, Dense, Dropout, activation_class
from .layers import Sequential as _Container
from .layers.base import Layer
from .losses import LOSSES, get_loss, resolve_loss

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path


class Sequential(_Container):
    """Layers applied one after the other, with the training front users expect.

    Parameters
    ----------
    *layers : Layer
        The layers, input side first.

    Examples
    --------
    >>> import backprop as bp
    >>> import numpy as np
    >>> net = bp.Sequential(bp.Dense(2, 2, rng=0), bp.Sigmoid(),
    ...                     bp.Dense(2, 1, rng=1), bp.Sigmoid())
    >>> net.forward(np.zeros((4, 2))).shape
    (4, 1)
    """

    def fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
        """Train on ``(X, y)``; see :func:`backprop.fit` for every argument. The loss is
        remembered (``net.loss_``) so that ``predict`` and ``evaluate`` know it."""
        from .training.loop import fit

        if "loss" not in kwargs:
            raise TypeError("fit() needs loss=... (a Loss or a loss name)")
        kwargs["loss"] = resolve_loss(kwargs["loss"])
        history = fit(self, X, y, **kwargs)
        self.loss_ = kwargs["loss"]
        return history

    def evaluate(self, X: Any, y: Any, *, loss: Any = None) -> dict[str, float]:
        """Mean loss (and accuracy for classifiers) in evaluation mode."""
        from .training.evaluation import evaluate

        loss = loss if loss is not None else getattr(self, "loss_", None)
        if loss is None:
            raise TypeError("evaluate() needs loss=... for a network that was not fitted")
        return evaluate(self, X, y, loss=loss)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels for classifiers, raw outputs for regression (evaluation mode)."""
        from .training.evaluation import predict

        return predict(self, X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of a classifier (evaluation mode)."""
        from .training.evaluation import predict_proba

        return predict_proba(self, X)


def mlp(sizes: Sequence[int], *, activation: str = "relu", init: str | None = None,
        batch_norm: bool = False, dropout: float = 0.0, dtype: Any = "float64",
        rng: Any = None) -> Sequential:
    """A multi-layer perceptron whose last layer is linear (losses take logits).

    Parameters
    ----------
    sizes : sequence of int
        Widths from input to output, e.g. ``[784, 256, 128, 10]``.
    activation : str, default "relu"
        Hidden activation: any registered activation (``backprop.layers.activation_names()``).
    init : str, optional
        Weight initialiser; by default the one the activation asks for (its
        ``default_init``: He uniform for ReLU-like activations, Xavier uniform otherwise --
        each matched to the variance its activation preserves).
    batch_norm : bool, default False
        Insert :class:`BatchNorm` between each hidden Dense layer and its activation.
    dropout : float, default 0
        Dropout probability after each hidden activation (0 = none).
    dtype : float32 or float64
    rng : int or numpy.random.Generator, optional
        One generator feeds every layer in order, so one seed fixes the whole network.

    Returns
    -------
    Sequential
        ``Dense -> [BatchNorm] -> act -> [Dropout] -> ... -> Dense``.
    """
    sizes = [check_int("layer size", s, minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {sizes}")
    dropout = check_range("dropout p", dropout, 0.0, 1.0)
    dtype = check_dtype(dtype)
    gen = as_rng(rng)
    act_cls = activation_class(activation)  # validate the name early
    if init is None:
        init = act_cls.default_init
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        last = i == len(sizes) - 2
        layers.append(Dense(n_in, n_out, init="xavier_uniform" if last else init, dtype=dtype,
                            rng=gen))
        if last:
            break
        if batch_norm:
            layers.append(BatchNorm(n_out, dtype=dtype))
        layers.append(act_cls())
        if dropout > 0:
            layers.append(Dropout(dropout, rng=int(gen.integers(2**63))))
    return Sequential(*layers)


# --- model files ------------------------------------------------------------------------------
def save(path: str | os.PathLike, net: _Container, *, extra: dict[str, Any] | None = None,
         arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Save ``net`` (architecture, parameters, buffers) to ``path`` atomically.

    The format is :mod:`backprop.io`'s: one ``.npz`` read without pickle.

    Parameters
    ----------
    path : str or Path
        Destination; ``.npz`` is the conventional suffix.
    net : Sequential
    extra : dict, optional
        JSON-able metadata stored alongside (the loss name, class names, a description).
    arrays : dict of str to ndarray, optional
        Additional arrays (e.g. a standardiser's ``mean`` and ``scale``).

    Returns
    -------
    Path
    """
    import json

    from . import io  # on first use: keeps `import backprop` fast

    extra = dict(extra or {})
    if "loss" not in extra and getattr(net, "loss_", None) is not None:
        extra["loss"] = net.loss_.name  # so the loaded model predicts labels/probabilities
    meta = {"format": io.FORMAT, "kind": "model", "version": io.VERSION,
            "layers": io.describe(net), "training": bool(net.training), "extra": extra}
    try:
        json.dumps(meta)
    except TypeError as exc:
        raise TypeError(f"extra metadata must be JSON-serialisable: {exc}") from exc
    payload = io.state_arrays(net)
    for key, arr in (arrays or {}).items():
        payload[f"array/{key}"] = arr
    io.write_archive(path, meta, payload)
    from pathlib import Path  # on first use: pathlib costs milliseconds at `import backprop`

    return Path(path)


def load(path: str | os.PathLike, *, with_extra: bool = False) -> Any:
    """Load a model saved by :func:`save`.

    Returns the :class:`Sequential` network in evaluation mode (with ``net.loss_`` set when the
    file names the loss it was trained with, so ``predict`` gives labels), or
    ``(net, extra, arrays)`` when ``with_extra=True`` (``extra`` is the JSON metadata, ``arrays``
    the additional arrays).
    """
    from . import io

    meta, arrays = io.read_archive(path)
    if "layers" not in meta:
        raise io.ModelFileError(f"{path}: metadata has no architecture")
    net = Sequential(*io.build_layers(meta["layers"], version=meta["version"]))
    io.load_state(net, arrays, path)
    net.eval()
    extra = meta.get("extra", {})
    loss_name = extra.get("loss") if isinstance(extra, dict) else None
    if isinstance(loss_name, str) and loss_name in LOSSES:
        net.loss_ = get_loss(loss_name)
    if with_extra:
        extra_arrays = {k[len("array/"):]: v for k, v in arrays.items() if k.startswith("array/")}
        return net, extra, extra_arrays
    return net
