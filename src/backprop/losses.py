r"""Losses: ``forward(pred, target) -> J`` and ``backward() -> dJ/dpred``.

Every loss returns the **cost** :math:`J = \frac{1}{m}\sum_{i=1}^m L(y^{(i)}, \hat y^{(i)})`, the
mean over the ``m`` samples of the batch (the article's mini-batch cost), with the per-sample loss
summed over output units. ``backward`` therefore carries the :math:`1/m`, and the layers' gradients
are gradients of :math:`J` directly.

Where libraries differ
----------------------
* :class:`SquaredError` keeps the article's :math:`\tfrac12`: :math:`L = \tfrac12\|y-\hat y\|^2`.
  PyTorch's ``MSELoss`` has no :math:`\tfrac12` and averages over units too; with one output unit
  ``SquaredError = 0.5 * MSELoss``.
* :class:`BinaryCrossEntropy` and :class:`SoftmaxCrossEntropy` take **logits** (raw scores), with
  the sigmoid/softmax fused in so the gradient is the stable :math:`(p - y)/m`. With one output
  unit they equal PyTorch's ``BCEWithLogitsLoss`` / ``CrossEntropyLoss`` (mean reduction).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _fast


def _as_pred(pred: Any) -> np.ndarray:
    pred = np.asarray(pred)
    if pred.ndim != 2:
        raise ValueError(f"predictions must have shape (m, n_outputs), got {pred.shape}")
    if pred.shape[0] == 0:
        raise ValueError("predictions are empty (m = 0)")
    return pred


def _as_dense_target(pred: np.ndarray, target: Any) -> np.ndarray:
    """Target of the same shape as ``pred``; a 1-D target is accepted for one output unit."""
    t = np.asarray(target, dtype=pred.dtype)
    if t.ndim == 1 and pred.shape[1] == 1:
        t = t.reshape(-1, 1)
    if t.shape != pred.shape:
        raise ValueError(f"target shape {t.shape} does not match prediction shape {pred.shape}")
    return t


class Loss:
    """Base class. Subclasses implement ``forward`` and ``backward``."""

    name = "loss"
    #: the function that turns the network's output into probabilities / predictions
    link = "identity"

    def forward(self, pred: Any, target: Any) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, pred: Any, target: Any) -> float:
        return self.forward(pred, target)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SquaredError(Loss):
    r"""Squared error with the article's one half, averaged over the batch.

    .. math::
        J = \frac{1}{m}\sum_{i=1}^{m} \tfrac12 \sum_k \bigl(y^{(i)}_k - \hat y^{(i)}_k\bigr)^2,
        \qquad \frac{\partial J}{\partial \hat Y} = \frac{1}{m}(\hat Y - Y)

    ``pred`` and ``target`` have shape ``(m, k)``; a target of shape ``(m,)`` is accepted when
    ``k = 1``.
    """

    name = "squared"

    def __init__(self) -> None:
        self._diff: np.ndarray | None = None

    def forward(self, pred: Any, target: Any) -> float:
        pred = _as_pred(pred)
        diff = pred - _as_dense_target(pred, target)
        self._diff = diff
        m = pred.shape[0]
        return float(0.5 * np.sum(diff * diff) / m)

    def backward(self) -> np.ndarray:
        if self._diff is None:
            raise RuntimeError("backward called before forward")
        return self._diff / self._diff.shape[0]


class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy on logits, with the sigmoid fused in.

    For logits :math:`z` and targets :math:`y \in [0, 1]` (shape ``(m, k)``; ``(m,)`` for one
    unit), :math:`p = \sigma(z)`:

    .. math::
        J = \frac{1}{m}\sum_i\sum_k \bigl[\max(z,0) - z\,y + \log(1 + e^{-|z|})\bigr],
        \qquad \frac{\partial J}{\partial z} = \frac{1}{m}(p - y)

    The first form equals :math:`-[y\log p + (1-y)\log(1-p)]` but never takes the log of 0.
    """

    name = "binary_cross_entropy"
    link = "sigmoid"

    def __init__(self) -> None:
        self._grad: np.ndarray | None = None

    def forward(self, pred: Any, target: Any) -> float:
        z = _as_pred(pred)
        y = _as_dense_target(z, target)
        if np.any((y < 0) | (y > 1)):
            bad = y[(y < 0) | (y > 1)][0]
            raise ValueError(f"binary targets must lie in [0, 1], got {bad:g}")
        m = z.shape[0]
        loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-z))
        self._grad = (p - y) / m
        return float(np.sum(loss) / m)

    def backward(self) -> np.ndarray:
        if self._grad is None:
            raise RuntimeError("backward called before forward")
        return self._grad


def _one_hot_from(labels: np.ndarray, k: int, dtype: np.dtype) -> np.ndarray:
    out = np.zeros((labels.shape[0], k), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


class SoftmaxCrossEntropy(Loss):
    r"""Softmax cross-entropy on logits, computed with log-sum-exp.

    For logits :math:`Z` of shape ``(m, k)`` and targets given as integer labels of shape ``(m,)``
    or as one-hot / probability rows of shape ``(m, k)``:

    .. math::
        J = \frac{1}{m}\sum_i \Bigl[\log\sum_j e^{z^{(i)}_j} - \sum_j y^{(i)}_j z^{(i)}_j\Bigr],
        \qquad \frac{\partial J}{\partial Z} = \frac{1}{m}\bigl(\mathrm{softmax}(Z) - Y\bigr)
    """

    name = "softmax_cross_entropy"
    link = "softmax"

    def __init__(self) -> None:
        self._grad: np.ndarray | None = None

    def forward(self, pred: Any, target: Any) -> float:
        z = _as_pred(pred)
        m, k = z.shape
        t = np.asarray(target)
        kernels = _fast.kernels
        if (kernels is not None and t.ndim == 1 and t.dtype == np.int64 and t.shape[0] == m
                and z.dtype in (np.float32, np.float64) and z.flags.c_contiguous):
            # the same formulas in one compiled pass per row (about 10x fewer memory passes)
            grad = np.empty_like(z)
            try:
                total = kernels.softmax_xent(z, t, grad)
            except IndexError:
                pass  # fall through: the NumPy path below names the bad label
            else:
                self._grad = grad
                return total / m
        # log-sum-exp with the row maximum subtracted: exp never overflows, the largest term is 1
        row_max = z.max(axis=1, keepdims=True)
        shifted = z - row_max  # <= 0; the per-row loss is log(sum_e) - shifted[target]
        e = np.exp(shifted)
        sum_e = e.sum(axis=1, keepdims=True)
        log_sum_e = np.log(sum_e)
        grad = e
        grad /= sum_e  # softmax probabilities p, in place
        if t.ndim == 1:
            if t.shape[0] != m:
                raise ValueError(f"got {t.shape[0]} labels for {m} predictions")
            if t.dtype.kind not in "iu":
                if not np.all(np.mod(t, 1) == 0):
                    raise ValueError("class labels must be integers")
                t = t.astype(np.int64)
            if t.size and (t.min() < 0 or t.max() >= k):
                bad = t[(t < 0) | (t >= k)][0]
                raise ValueError(f"label {bad} is out of range for {k} classes (0..{k - 1})")
            rows = np.arange(m)
            # subtract per row before summing: large logits would cancel badly in float32
            loss = float(np.sum(log_sum_e[:, 0] - shifted[rows, t])) / m
            grad[rows, t] -= 1
        else:
            y = _as_dense_target(z, t)
            loss = float(np.sum(y * (log_sum_e - shifted))) / m
            grad -= y
        grad /= m
        self._grad = grad
        return loss

    def backward(self) -> np.ndarray:
        if self._grad is None:
            raise RuntimeError("backward called before forward")
        return self._grad


LOSSES: dict[str, type[Loss]] = {
    "squared": SquaredError,
    "mse": SquaredError,
    "binary_cross_entropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "softmax_cross_entropy": SoftmaxCrossEntropy,
    "cross_entropy": SoftmaxCrossEntropy,
}


def get_loss(name: str) -> Loss:
    """A loss from its name (``"squared"``, ``"binary_cross_entropy"``, ...)."""
    try:
        return LOSSES[name]()
    except (KeyError, TypeError):
        known = ", ".join(sorted(LOSSES))
        raise ValueError(f"unknown loss {name!r}; known: {known}") from None
