"""Using a network after (or during) training: outputs, predictions, probabilities, scores.

All of these run the network in evaluation mode (batch norm on running statistics, dropout off),
in batches, and put the network back in the mode it was in. What a prediction *is* comes from
the loss the network was trained with (its ``link``): argmax of the logits for softmax
cross-entropy, logit > 0 for binary cross-entropy, the raw output for regression.

Two levels
----------
* the **engine** level, :func:`predict_raw`: the network's outputs for inputs as its first
  layer takes them (what :meth:`~backprop.layers.Sequential.forward` computes);
* the **model** level, :func:`predict`, :func:`predict_proba`, :func:`evaluate`: inputs as the
  user has them. A network that carries an ``input_transform`` (the standardisation
  ``backprop train`` learned, saved in its file) applies it first, and one that carries
  ``classes_`` returns those labels from ``predict`` and takes them in ``evaluate``.

Inputs are checked at both levels: numbers only (no complex, object or string arrays), the
network's width, and no NaN or infinity (named by row and column). Outputs that are not finite
(parameters that diverged) come with a :class:`NonFiniteOutputWarning`, never silently.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..layers.base import Layer
from ..layers.sequential import Sequential
from ..losses import Loss, resolve_loss


class NonFiniteOutputWarning(RuntimeWarning):
    """A network produced NaN or infinite outputs for finite inputs."""


def net_dtype(net: Layer) -> np.dtype:
    """The floating dtype of a network's parameters (float64 if it has none)."""
    for p in net.parameters():
        return p.data.dtype
    return np.dtype(np.float64)


def check_inputs(X: Any, width: int | None, *, name: str = "X") -> np.ndarray:
    """``X`` as a 2-D array of real numbers of ``width`` columns, every value finite (a 1-D
    ``X`` is one sample). Integer and boolean arrays and nested lists are accepted; complex,
    object and string arrays are refused (``TypeError``), as are NaN and infinity
    (``ValueError`` naming the row and column)."""
    from .._checks import as_float_array
    from ..data.checks import _first_non_finite

    X = as_float_array(name, X)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    if width is not None and X.shape[1] != width:
        raise ValueError(f"{name} has {X.shape[1]} features per sample, the network takes "
                         f"{width}")
    problem = _first_non_finite(name, X)
    if problem:
        raise ValueError(problem)
    return X


def _warn_nonfinite(out: np.ndarray) -> None:
    finite = np.isfinite(out)
    if not finite.all():
        rows = int(np.count_nonzero(~finite.all(axis=tuple(range(1, out.ndim)))))
        warnings.warn(f"the network's outputs are NaN or infinite for {rows} of {out.shape[0]} "
                      f"samples (finite inputs): its parameters have probably diverged; "
                      f"these predictions mean nothing", NonFiniteOutputWarning, stacklevel=4)


def row_chunks(n: int, size: int) -> list[slice]:
    """The rows ``0..n-1`` in consecutive slices of ``size`` rows, except that a last slice of
    a single row joins the one before it (``1025, 1024`` -> one slice of 1025 rows): a network
    that normalises with its batch's own statistics in evaluation mode too
    (``BatchNorm(track_running_stats=False)``) has none for one sample. With ``size`` 1 every
    slice is one row, as asked."""
    starts = list(range(0, n, size))
    if size > 1 and len(starts) > 1 and n - starts[-1] == 1:
        starts.pop()
    return [slice(a, b) for a, b in zip(starts, [*starts[1:], n], strict=True)]


def predict_raw(net: Sequential, X: Any, *, batch_size: int = 1024) -> np.ndarray:
    """Network outputs in evaluation mode, computed in batches of ``batch_size`` rows (never a
    last batch of one row: see :func:`row_chunks`); the net's mode is restored.

    ``X`` goes to the first layer as it is (no input transform): the engine level."""
    X = check_inputs(X, net.input_width)
    was_training = net.training
    net.eval()
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            outs = [np.array(net.forward(X[rows]), copy=True)
                    for rows in row_chunks(X.shape[0], batch_size)]
    finally:
        net.train(was_training)
    out = np.concatenate(outs, axis=0)
    _warn_nonfinite(out)
    return out


def model_inputs(net: Any, X: Any) -> np.ndarray:
    """``X`` as the network's first layer takes it: checked, then passed through the network's
    ``input_transform`` when it has one."""
    transform = getattr(net, "input_transform", None)
    if transform is None:
        return check_inputs(X, net.input_width)
    X = check_inputs(X, transform.n_features_in_)
    with np.errstate(over="ignore", invalid="ignore"):
        Z = transform.transform(X)
    problem = _nonfinite_after_transform(Z)
    if problem:
        raise ValueError(problem)
    return Z


def _nonfinite_after_transform(Z: np.ndarray) -> str | None:
    from ..data.checks import _first_non_finite

    problem = _first_non_finite("X", Z)
    if problem is None:
        return None
    return (problem.replace("X contains", "the standardised X holds", 1)
            + " (an input far outside the training data's range)")


def encode_labels(net: Any, y: Any, *, name: str = "y") -> Any:
    """Class labels as the network's output indices: through ``net.classes_`` when the network
    carries it (an unknown label is a ``ValueError`` naming it and its row), else unchanged."""
    classes = getattr(net, "classes_", None)
    if classes is None:
        return y
    y = np.asarray(y)
    if y.ndim != 1:
        return y  # one-hot or probability rows: already per output unit
    index = {c: i for i, c in enumerate(np.asarray(classes).tolist())}
    out = np.empty(y.shape[0], dtype=np.int64)
    for row, value in enumerate(y.tolist()):
        try:
            out[row] = index[value]
        except (KeyError, TypeError):
            known = ", ".join(repr(c) for c in list(index)[:10])
            more = ", ..." if len(index) > 10 else ""
            raise ValueError(f"{name}[{row}] = {value!r} is not one of the network's classes "
                             f"({known}{more})") from None
    return out


def decode_labels(net: Any, indices: np.ndarray) -> np.ndarray:
    """Output indices as the network's class labels (``net.classes_``), when it has them."""
    classes = getattr(net, "classes_", None)
    if classes is None:
        return indices
    return np.asarray(classes)[indices]


def _engine_evaluate(net: Sequential, X: np.ndarray, y: Any, loss: Loss,
                     batch_size: int) -> dict[str, float]:
    from .._checks import check_int
    from ..data.checks import check_Xy

    batch_size = check_int("batch size", batch_size, minimum=1)
    n_classes = net.output_width() if loss.link == "softmax" else None
    _, y = check_Xy(X, y, n_classes=n_classes)
    y = loss.prepare_targets(y, net_dtype(net))
    out = predict_raw(net, X, batch_size=batch_size)
    result = {"loss": float(loss.forward(out, y))}
    if loss.classifier:
        correct, total = loss.count_correct(out, y)
        result["accuracy"] = correct / total
    return result


def evaluate(net: Sequential, X: Any, y: Any, *, loss: Loss | str,
             batch_size: int = 1024) -> dict[str, float]:
    """Mean loss (and accuracy for classifiers) over a data set, in evaluation mode.

    ``X`` and ``y`` as the user has them: the network's input transform and classes apply."""
    loss = resolve_loss(loss)
    X = model_inputs(net, X)
    return _engine_evaluate(net, X, encode_labels(net, y), loss, batch_size)


def evaluate_engine(net: Sequential, X: Any, y: Any, *, loss: Loss | str,
                    batch_size: int = 1024) -> dict[str, float]:
    """:func:`evaluate` at the engine level: ``X`` and ``y`` as the network trains on them
    (what the validation of :func:`backprop.fit` measures)."""
    return _engine_evaluate(net, X, y, resolve_loss(loss), batch_size)


def _link(loss: Loss | str | None, net: Sequential) -> str:
    if loss is None:
        loss = getattr(net, "loss_", None)
    if loss is None:
        return "identity"
    return resolve_loss(loss).link


def predict_proba(net: Sequential, X: Any, *, loss: Loss | str | None = None) -> np.ndarray:
    """Class probabilities: softmax of the logits (softmax cross-entropy) or the sigmoid of each
    logit (binary cross-entropy). ``loss`` defaults to the one the network was trained with.
    Columns follow ``net.classes_`` when the network has them."""
    link = _link(loss, net)
    if link not in ("softmax", "sigmoid"):
        raise ValueError("predict_proba needs a classifier (trained with SoftmaxCrossEntropy or "
                         "BinaryCrossEntropy); this network's outputs are not probabilities")
    out = predict_raw(net, model_inputs(net, X))
    with np.errstate(over="ignore", invalid="ignore"):
        if link == "softmax":
            e = np.exp(out - out.max(axis=1, keepdims=True))
            return e / e.sum(axis=1, keepdims=True)
        return 1.0 / (1.0 + np.exp(-out))


def predict(net: Sequential, X: Any, *, loss: Loss | str | None = None) -> np.ndarray:
    """Predictions: class labels for classifiers (argmax, or logit > 0 per unit; the network's
    ``classes_`` when it has them), raw outputs for regression."""
    out = predict_raw(net, model_inputs(net, X))
    link = _link(loss, net)
    if link == "softmax":
        return decode_labels(net, out.argmax(axis=1))
    if link == "sigmoid":
        labels = (out > 0).astype(np.int64)
        if labels.shape[1] == 1:
            return decode_labels(net, labels[:, 0])
        return labels
    return out
