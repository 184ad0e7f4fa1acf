r"""Element-wise activations (and softmax), each one class with its local derivative.

Every activation stores what its backward needs and computes ``dx = dy * g'(z)`` -- the
:math:`\odot\, g'(Z)` factor of the article's :math:`\delta` formulas. Softmax is the exception:
its Jacobian is not diagonal, so ``dx = s * (dy - sum(dy * s))`` row by row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_non_negative
from .base import Layer


class Identity(Layer):
    r"""Identity :math:`g(z) = z`, :math:`g'(z) = 1` (a linear output)."""

    name = "identity"

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy


class Sigmoid(Layer):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`,
    :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`.

    Backward reuses the stored output ``a = sigma(z)``: ``dx = dy * a * (1 - a)``.
    """

    name = "sigmoid"

    def __init__(self) -> None:
        super().__init__()
        self._a: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        # exp(-z) overflows to inf for z < -709 (float64); 1 / (1 + inf) = 0 is the right limit.
        with np.errstate(over="ignore"):
            a = 1.0 / (1.0 + np.exp(-x))
        self._a = a
        return a

    def backward(self, dy: np.ndarray) -> np.ndarray:
        a = self._a
        return dy * a * (1.0 - a)


class Tanh(Layer):
    r"""Hyperbolic tangent, :math:`\tanh'(z) = 1 - \tanh^2(z)`."""

    name = "tanh"

    def __init__(self) -> None:
        super().__init__()
        self._a: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        a = np.tanh(x)
        self._a = a
        return a

    def backward(self, dy: np.ndarray) -> np.ndarray:
        a = self._a
        return dy * (1.0 - a * a)


class ReLU(Layer):
    r"""Rectified linear unit :math:`\max(0, z)`; :math:`g'(z) = 1` if :math:`z > 0` else 0.

    At exactly ``z = 0`` the derivative is taken as 0, as PyTorch does.

    Forward and backward both multiply by the stored 0/1 mask ``1[z > 0]`` (kept in the input's
    float dtype): a same-type multiply is about three times cheaper than ``np.maximum`` (which
    must propagate NaNs) or a multiply by a boolean array. (The one difference from
    ``max(z, 0)``: an input of exactly ``-inf`` gives NaN, which the training guard reports.)
    """

    name = "relu"

    def __init__(self) -> None:
        super().__init__()
        self._mask: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        mask = self._mask
        if mask is None or mask.shape != x.shape or mask.dtype != x.dtype:
            mask = np.empty_like(x)
        np.greater(x, 0, out=mask)
        self._mask = mask
        return x * mask

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy * self._mask


class LeakyReLU(Layer):
    r"""Leaky ReLU: :math:`z` if :math:`z > 0` else :math:`\alpha z`; derivative 1 or
    :math:`\alpha`.

    Parameters
    ----------
    negative_slope : float, default 0.01
        :math:`\alpha`, the slope for negative inputs (PyTorch's default).
    """

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_non_negative("negative_slope", negative_slope)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return np.where(x > 0, x, x * self.negative_slope)

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return np.where(self._x > 0, dy, dy * self.negative_slope)

    def get_config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


class Softmax(Layer):
    r"""Softmax over the units of each sample: :math:`s_k = e^{z_k} / \sum_j e^{z_j}`.

    Computed stably by subtracting the row maximum. Backward applies the Jacobian
    :math:`\partial s_k / \partial z_j = s_k(\delta_{kj} - s_j)`:
    ``dx = s * (dy - sum(dy * s, axis=1))``.

    For classification prefer :class:`backprop.SoftmaxCrossEntropy` on raw logits: the fused
    gradient ``p - y`` is cheaper and more accurate than this layer followed by a log loss.
    """

    name = "softmax"

    def __init__(self) -> None:
        super().__init__()
        self._s: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        s = e / e.sum(axis=1, keepdims=True)
        self._s = s
        return s

    def backward(self, dy: np.ndarray) -> np.ndarray:
        s = self._s
        return s * (dy - np.sum(dy * s, axis=1, keepdims=True))


ACTIVATIONS: dict[str, type[Layer]] = {
    "identity": Identity,
    "linear": Identity,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "softmax": Softmax,
}


def get_activation(name: str) -> Layer:
    """A fresh activation layer from its name (``"sigmoid"``, ``"relu"``, ...)."""
    try:
        return ACTIVATIONS[name]()
    except (KeyError, TypeError):
        known = ", ".join(sorted(ACTIVATIONS))
        raise ValueError(f"unknown activation {name!r}; known: {known}") from None
