"""Using a network after (or during) training: outputs, predictions, probabilities, scores.

All of these run the network in evaluation mode (batch norm on running statistics, dropout off),
in batches, and put the network back in the mode it was in. What a prediction *is* comes from
the loss the network was trained with (its ``link``): argmax of the logits for softmax
cross-entropy, logit > 0 for binary cross-entropy, the raw output for regression.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..layers.base import Layer
from ..layers.sequential import Sequential
from ..losses import Loss, resolve_loss


def net_dtype(net: Layer) -> np.dtype:
    """The floating dtype of a network's parameters (float64 if it has none)."""
    for p in net.parameters():
        return p.data.dtype
    return np.dtype(np.float64)


def predict_raw(net: Sequential, X: Any, *, batch_size: int = 1024) -> np.ndarray:
    """Network outputs in evaluation mode, computed in batches (the net's mode is restored)."""
    X = np.asarray(X)
    if X.ndim == 1:
        X = X.reshape(1, -1)
    was_training = net.training
    net.eval()
    try:
        outs = [np.array(net.forward(X[i:i + batch_size]), copy=True)
                for i in range(0, X.shape[0], batch_size)]
    finally:
        net.train(was_training)
    if not outs:
        raise ValueError("X is empty")
    return np.concatenate(outs, axis=0)


def evaluate(net: Sequential, X: Any, y: Any, *, loss: Loss | str,
             batch_size: int = 1024) -> dict[str, float]:
    """Mean loss (and accuracy for classifiers) over a data set, in evaluation mode."""
    loss = resolve_loss(loss)
    y = loss.prepare_targets(y, net_dtype(net))
    out = predict_raw(net, np.asarray(X), batch_size=batch_size)
    result = {"loss": loss.forward(out, y)}
    if loss.classifier:
        correct, total = loss.count_correct(out, y)
        result["accuracy"] = correct / total
    return result


def _link(loss: Loss | str | None, net: Sequential) -> str:
    if loss is None:
        loss = getattr(net, "loss_", None)
    if loss is None:
        return "identity"
    return resolve_loss(loss).link


def predict_proba(net: Sequential, X: Any, *, loss: Loss | str | None = None) -> np.ndarray:
    """Class probabilities: softmax of the logits (softmax cross-entropy) or the sigmoid of each
    logit (binary cross-entropy). ``loss`` defaults to the one the network was trained with."""
    out = predict_raw(net, X)
    link = _link(loss, net)
    if link == "softmax":
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    if link == "sigmoid":
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-out))
    raise ValueError("predict_proba needs a classifier (trained with SoftmaxCrossEntropy or "
                     "BinaryCrossEntropy); this network's outputs are not probabilities")


def predict(net: Sequential, X: Any, *, loss: Loss | str | None = None) -> np.ndarray:
    """Predictions: class labels for classifiers (argmax, or logit > 0 per unit), raw outputs for
    regression."""
    out = predict_raw(net, X)
    link = _link(loss, net)
    if link == "softmax":
        return out.argmax(axis=1)
    if link == "sigmoid":
        labels = (out > 0).astype(np.int64)
        return labels[:, 0] if labels.shape[1] == 1 else labels
    return out
