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

from ._checks import as_rng, check_bool, check_dtype, check_int, check_range
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

    Attributes
    ----------
    input_transform : Standardizer or None
        Applied to the inputs of :meth:`fit`, :meth:`predict`, :meth:`predict_proba` and
        :meth:`evaluate` -- never by :meth:`forward`, which stays the engine. ``backprop train``
        sets it to the standardisation it learned; :func:`save` stores it and :func:`load`
        restores it, so a loaded model takes raw inputs.
    classes_ : ndarray or None
        The class labels of the output units (``classes_[k]`` is unit ``k``): ``predict``
        returns them and ``fit``/``evaluate`` take them. Set by :meth:`fit` from labels that are
        not class indices (strings, say), by ``backprop train``, or by hand; saved with the
        model.
    feature_names_ : list of str or None
        The input columns' names (a CSV header), saved with the model.

    Examples
    --------
    >>> import backprop as bp
    >>> import numpy as np
    >>> net = bp.Sequential(bp.Dense(2, 2, rng=0), bp.Sigmoid(),
    ...                     bp.Dense(2, 1, rng=1), bp.Sigmoid())
    >>> net.forward(np.zeros((4, 2))).shape
    (4, 1)
    """

    _input_transform: Any = None
    _classes: np.ndarray | None = None
    _feature_names: list[str] | None = None

    # --- what the model carries besides its layers ----------------------------------------
    @property
    def input_transform(self) -> Any:
        return self._input_transform

    @input_transform.setter
    def input_transform(self, transform: Any) -> None:
        from .data.preprocessing import Standardizer

        if transform is not None:
            if not isinstance(transform, Standardizer):
                raise TypeError(f"input_transform must be a fitted bp.Standardizer or None, got "
                                f"{type(transform).__name__}")
            if not transform.fitted:
                raise ValueError("input_transform must be fitted (Standardizer().fit(X_train))")
            width = self.input_width
            if width is not None and transform.n_features_in_ != width:
                raise ValueError(f"the input transform was fitted on {transform.n_features_in_} "
                                 f"features but the network takes {width}")
        self._input_transform = transform

    @property
    def classes_(self) -> np.ndarray | None:
        return self._classes

    @classes_.setter
    def classes_(self, classes: Any) -> None:
        self._classes = None if classes is None else _check_classes(self, classes)

    @property
    def feature_names_(self) -> list[str] | None:
        return self._feature_names

    @feature_names_.setter
    def feature_names_(self, names: Any) -> None:
        if names is not None:
            names = list(names)
            if not all(isinstance(n, str) for n in names):
                raise TypeError("feature_names_ must be a list of strings")
            width = self.input_width
            if width is not None and len(names) != width:
                raise ValueError(f"{len(names)} feature names for a network of {width} inputs")
        self._feature_names = names

    # --- training and using the model -----------------------------------------------------
    def fit(self, X: Any, y: Any, **kwargs: Any) -> Any:
        """Train on ``(X, y)``; see :func:`backprop.fit` for every argument. The loss is
        remembered (``net.loss_``) so that ``predict`` and ``evaluate`` know it.

        Unlike :func:`backprop.fit` (the engine's loop), this takes inputs and labels as the
        model does: ``input_transform`` is applied to ``X`` (and to ``validation_data``), and
        class labels that are not indices ``0..K-1`` -- strings, say -- are encoded through
        ``classes_`` (learned here as their sorted distinct values when not set yet)."""
        from .training.evaluation import encode_labels, model_inputs
        from .training.loop import fit

        if "loss" not in kwargs:
            raise TypeError("fit() needs loss=... (a Loss or a loss name)")
        loss = kwargs["loss"] = resolve_loss(kwargs["loss"])
        if self.input_transform is not None:
            X = model_inputs(self, X)
        if loss.classifier:
            y = self._class_targets(y, loss)
            validation = kwargs.get("validation_data")
            if isinstance(validation, tuple) and len(validation) == 2:
                Xv, yv = validation
                if self.input_transform is not None:
                    Xv = model_inputs(self, Xv)
                kwargs["validation_data"] = (Xv, encode_labels(self, yv, name="validation y"))
        elif self.input_transform is not None and isinstance(kwargs.get("validation_data"),
                                                                 tuple):
            Xv, yv = kwargs["validation_data"]
            kwargs["validation_data"] = (model_inputs(self, Xv), yv)
        history = fit(self, X, y, **kwargs)
        self.loss_ = loss
        return history

    def _class_targets(self, y: Any, loss: Any) -> Any:
        """Class labels as output indices, learning ``classes_`` from labels that are not
        indices (strings, booleans, ...)."""
        from .training.evaluation import encode_labels

        if self.classes_ is not None:
            return encode_labels(self, y)
        try:
            arr = np.asarray(y)
        except (ValueError, TypeError):
            return y  # fit names the problem
        if arr.ndim != 1 or arr.size == 0 or arr.dtype.kind in "iuf":
            return y  # indices (or one-hot rows): the engine's own form
        if arr.dtype.kind == "O":
            for row, v in enumerate(arr.tolist()):
                if not isinstance(v, str):
                    raise TypeError(f"class labels must be numbers, strings or booleans; "
                                    f"y[{row}] is {v!r}")
            arr = arr.astype(str)
        if arr.dtype.kind not in "USb":
            raise TypeError(f"class labels must be numbers, strings or booleans, got dtype "
                            f"{arr.dtype}")
        classes = np.unique(arr)
        width = self.output_width()
        wanted = 2 if loss.link == "sigmoid" and width == 1 else width
        if width is not None and len(classes) != wanted:
            raise ValueError(f"y holds {len(classes)} distinct class label(s) "
                             f"({', '.join(repr(c) for c in classes.tolist()[:10])}) but the "
                             f"network has {width} output unit(s) for {wanted} classes; set "
                             f"net.classes_ to name every class")
        self.classes_ = classes
        return encode_labels(self, arr)

    def evaluate(self, X: Any, y: Any, *, loss: Any = None) -> dict[str, float]:
        """Mean loss (and accuracy for classifiers) in evaluation mode, on inputs and labels as
        the model takes them (``input_transform`` and ``classes_`` apply)."""
        from .training.evaluation import evaluate

        loss = loss if loss is not None else getattr(self, "loss_", None)
        if loss is None:
            raise TypeError("evaluate() needs loss=... for a network that was not fitted")
        return evaluate(self, X, y, loss=loss)

    def predict(self, X: Any) -> np.ndarray:
        """Class labels for classifiers (``classes_`` when set, else output indices), raw
        outputs for regression (evaluation mode; ``input_transform`` applies)."""
        from .training.evaluation import predict

        return predict(self, X)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities of a classifier (evaluation mode; ``input_transform``
        applies); column ``k`` is the class ``classes_[k]``."""
        from .training.evaluation import predict_proba

        return predict_proba(self, X)


def _check_classes(net: _Container, classes: Any) -> np.ndarray:
    """``classes`` as a 1-D array of distinct numbers, strings or booleans, one per output."""
    arr = np.asarray(classes)
    if arr.dtype.kind == "O":
        arr = np.asarray(arr.tolist())
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"classes_ must be a non-empty 1-D list of labels, got shape "
                         f"{arr.shape}")
    if arr.dtype.kind not in "iubfUS":
        raise TypeError(f"classes_ must hold numbers, strings or booleans, got dtype "
                        f"{arr.dtype}")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError("classes_ must be finite numbers")
    if len(np.unique(arr)) != len(arr):
        raise ValueError("classes_ must not repeat a label")
    width = net.output_width()
    if width is not None and len(arr) not in (width, 2 if width == 1 else width):
        raise ValueError(f"{len(arr)} classes for a network with {width} output unit(s)")
    return arr


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
    batch_norm = check_bool("batch_norm", batch_norm)
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
#: where a model file keeps what the model carries besides its layers
MODEL_META = "model"


def _model_meta(net: _Container) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The input transform, classes and feature names of ``net`` as file metadata + arrays."""
    meta: dict[str, Any] = {}
    arrays: dict[str, np.ndarray] = {}
    transform = getattr(net, "input_transform", None)
    if transform is not None:
        state = transform.state_dict()
        meta["input_transform"] = {"type": "standardizer",
                                   "per_feature": bool(transform.per_feature)}
        arrays = {"input/mean": state["mean"], "input/scale": state["scale"]}
    classes = getattr(net, "classes_", None)
    if classes is not None:
        meta["classes"] = np.asarray(classes).tolist()
    names = getattr(net, "feature_names_", None)
    if names is not None:
        meta["feature_names"] = list(names)
    return meta, arrays


def save(path: str | os.PathLike, net: _Container, *, extra: dict[str, Any] | None = None,
         arrays: dict[str, np.ndarray] | None = None) -> Path:
    """Save ``net`` (architecture, parameters, buffers) to ``path`` atomically.

    The format is :mod:`backprop.io`'s: one ``.npz`` read without pickle. What the model
    carries besides its layers -- its ``input_transform`` (the standardisation's mean and scale),
    its ``classes_`` and ``feature_names_`` -- is saved with it, and :func:`load` restores it.

    Parameters
    ----------
    path : str or Path
        Destination; ``.npz`` is the conventional suffix. A symbolic link, a device or a folder
        is refused (:class:`backprop.io.OutputPathError`).
    net : Sequential
    extra : dict, optional
        JSON-able metadata stored alongside (the loss name, a description).
    arrays : dict of str to ndarray, optional
        Additional arrays.

    Returns
    -------
    Path
    """
    import json

    from . import io  # on first use: keeps `import backprop` fast

    extra = dict(extra or {})
    if "loss" not in extra and getattr(net, "loss_", None) is not None:
        extra["loss"] = net.loss_.name  # so the loaded model predicts labels/probabilities
    model_meta, model_arrays = _model_meta(net)
    meta = {"format": io.FORMAT, "kind": "model", "version": io.VERSION,
            "layers": io.describe(net), "training": bool(net.training), "extra": extra}
    if model_meta:
        meta[MODEL_META] = model_meta
    try:
        json.dumps(meta, allow_nan=False)
    except TypeError as exc:
        raise TypeError(f"extra metadata must be JSON-serialisable: {exc}") from exc
    except ValueError as exc:
        raise ValueError(f"extra metadata must hold finite numbers: {exc}") from exc
    payload = io.state_arrays(net)
    payload.update(model_arrays)
    for key, arr in (arrays or {}).items():
        payload[f"array/{key}"] = arr
    io.write_archive(path, meta, payload)
    from pathlib import Path  # on first use: pathlib costs milliseconds at `import backprop`

    return Path(path)


def _restore_model_meta(net: Sequential, meta: dict[str, Any], arrays: dict[str, np.ndarray],
                        path: Any) -> None:
    """Give ``net`` the input transform, classes and feature names its file holds (files of
    ``backprop train`` from before they were part of the model keep the standardisation in
    ``array/standardizer/*``: it is restored from there)."""
    from .data.preprocessing import Standardizer
    from .io import ModelFileError

    model = meta.get(MODEL_META, {})
    if not isinstance(model, dict):
        raise ModelFileError(f"{path}: metadata {MODEL_META!r} must be an object")
    try:
        spec = model.get("input_transform")
        if spec is not None:
            if not isinstance(spec, dict) or spec.get("type") != "standardizer":
                raise ValueError(f"unknown input transform {spec!r}")
            state = {k: arrays[f"input/{k}"] for k in ("mean", "scale")
                     if f"input/{k}" in arrays}
            scaler = Standardizer.from_state_dict(state)
            scaler.per_feature = bool(spec.get("per_feature", True))
            net.input_transform = scaler
        elif "array/standardizer/mean" in arrays and "array/standardizer/scale" in arrays:
            net.input_transform = Standardizer.from_state_dict(
                {"mean": arrays["array/standardizer/mean"],
                 "scale": arrays["array/standardizer/scale"]})
        if model.get("classes") is not None:
            net.classes_ = model["classes"]
        if model.get("feature_names") is not None:
            net.feature_names_ = model["feature_names"]
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: {exc}") from exc


def load(path: str | os.PathLike, *, with_extra: bool = False) -> Any:
    """Load a model saved by :func:`save`.

    Returns the :class:`Sequential` network in evaluation mode (with ``net.loss_`` set when the
    file names the loss it was trained with, so ``predict`` gives labels, and with the
    ``input_transform``, ``classes_`` and ``feature_names_`` it was saved with), or
    ``(net, extra, arrays)`` when ``with_extra=True`` (``extra`` is the JSON metadata, ``arrays``
    the additional arrays).

    Raises
    ------
    FileNotFoundError
    backprop.io.ModelFileError
        (a ``ValueError``) naming the file and the problem, for anything that is not a
        readable model file -- before any layer is built larger than the file's arrays.
    """
    from . import io

    meta, arrays = io.read_archive(path)
    if "layers" not in meta:
        raise io.ModelFileError(f"{path}: metadata has no architecture")
    net = Sequential(*io.build_layers(meta["layers"], version=meta["version"], arrays=arrays,
                                      path=path))
    io.load_state(net, arrays, path)
    net.eval()
    _restore_model_meta(net, meta, arrays, path)
    extra = meta.get("extra", {})
    loss_name = extra.get("loss") if isinstance(extra, dict) else None
    if isinstance(loss_name, str) and loss_name in LOSSES:
        net.loss_ = get_loss(loss_name)
    if with_extra:
        extra_arrays = {k[len("array/"):]: v for k, v in arrays.items() if k.startswith("array/")}
        return net, extra, extra_arrays
    return net
