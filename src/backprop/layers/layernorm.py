r"""Layer normalisation over the units of each sample (Ba, Kiros & Hinton, 2016)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_dtype, check_int, check_positive
from ..parameters import Parameter
from .base import Layer, as_input, register_layer


@register_layer
class LayerNorm(Layer):
    r"""Layer normalisation of ``n`` units, as ``torch.nn.LayerNorm(n)`` over the last axis.

    Each *row* (sample) :math:`i` of ``X`` (shape ``(m, n)``) is normalised with its own mean and
    biased variance over the :math:`n` units, then a learned per-unit affine map is applied:

    .. math::
        \mu_i = \frac1n\sum_j x_{ij}, \qquad
        \sigma^2_i = \frac1n\sum_j (x_{ij} - \mu_i)^2, \qquad
        \hat x_{ij} = \frac{x_{ij} - \mu_i}{\sqrt{\sigma^2_i + \varepsilon}}, \qquad
        y_{ij} = \gamma_j \hat x_{ij} + \beta_j

    Unlike :class:`~backprop.BatchNorm` the statistics belong to one sample, so training and
    evaluation compute the same thing, there are no running statistics and a batch of one
    sample is fine.

    **Backward**, with :math:`s_i = 1/\sqrt{\sigma^2_i+\varepsilon}` and
    :math:`d\hat x = dY \odot \gamma`:

    .. math::
        \frac{\partial J}{\partial \gamma_j} = \sum_i dy_{ij}\,\hat x_{ij}, \qquad
        \frac{\partial J}{\partial \beta_j} = \sum_i dy_{ij}, \qquad
        dx_{ij} = \frac{s_i}{n}\Bigl(n\, d\hat x_{ij} - \sum_k d\hat x_{ik}
                  - \hat x_{ij} \sum_k d\hat x_{ik}\hat x_{ik}\Bigr)

    -- batch norm's formula with the roles of rows and columns exchanged.

    Parameters
    ----------
    n : int
        Number of units (the last axis).
    eps : float > 0, default 1e-5
        :math:`\varepsilon`, added to the variance before the square root (PyTorch's default).
    elementwise_affine : bool, default True
        Learn :math:`\gamma` (starts at ones) and :math:`\beta` (zeros); False fixes
        :math:`\gamma = 1, \beta = 0` (no parameters), as PyTorch's flag does.
    dtype : float32 or float64, default float64

    Examples
    --------
    >>> import numpy as np
    >>> import backprop as bp
    >>> ln = bp.LayerNorm(3)
    >>> np.round(ln.forward(np.array([[1.0, 2.0, 3.0]])), 4)
    array([[-1.2247,  0.    ,  1.2247]])
    """

    name = "layernorm"
    role = "normalization"
    words = {"en": "layer normalisation", "vi": "chuẩn hoá theo lớp"}

    def __init__(self, n: int, *, eps: float = 1e-5, elementwise_affine: bool = True,
                 dtype: Any = np.float64):
        super().__init__()
        self.n = check_int("n", n, minimum=1)
        self.eps = check_positive("eps", eps)
        if not isinstance(elementwise_affine, (bool, np.bool_)):
            raise TypeError(f"elementwise_affine must be True or False, got "
                            f"{elementwise_affine!r}")
        self.elementwise_affine = bool(elementwise_affine)
        self.dtype = check_dtype(dtype)
        self.gamma = np.ones(self.n, dtype=self.dtype)
        self.beta = np.zeros(self.n, dtype=self.dtype)
        self.dgamma = np.zeros_like(self.gamma)
        self.dbeta = np.zeros_like(self.beta)
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if type(x) is not np.ndarray:
            x = as_input(x, "LayerNorm.forward")
        if x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"LayerNorm({self.n}) expects input of shape (m, {self.n}), "
                             f"got {x.shape}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        centred = x - x.mean(axis=1, keepdims=True)
        var = np.mean(centred * centred, axis=1, keepdims=True)  # biased: divides by n
        inv_std = 1.0 / np.sqrt(var + self.eps)
        xhat = centred * inv_std
        self._xhat = xhat
        self._inv_std = inv_std
        if not self.elementwise_affine:
            return xhat
        return self.gamma * xhat + self.beta

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        xhat = self._xhat
        if xhat is None:
            raise RuntimeError("LayerNorm.backward called before forward")
        if dy.shape != xhat.shape:
            raise ValueError(f"LayerNorm.backward expects dy of shape {xhat.shape} (the forward "
                             f"output's), got {dy.shape}")
        if self.elementwise_affine:
            np.sum(dy * xhat, axis=0, out=self.dgamma)
            np.sum(dy, axis=0, out=self.dbeta)
            dxhat = dy * self.gamma
        else:
            dxhat = dy
        if not input_grad:
            return None
        n = self.n
        return (self._inv_std / n) * (n * dxhat - dxhat.sum(axis=1, keepdims=True)
                                      - xhat * np.sum(dxhat * xhat, axis=1, keepdims=True))

    def parameters(self) -> list[Parameter]:
        if not self.elementwise_affine:
            return []
        return [Parameter(self, "gamma", "dgamma", decay=False),
                Parameter(self, "beta", "dbeta", decay=False)]

    def get_config(self) -> dict[str, Any]:
        return {"n": self.n, "eps": self.eps, "elementwise_affine": self.elementwise_affine,
                "dtype": self.dtype.name}

    @classmethod
    def state_shapes(cls, config: dict[str, Any]
                     ) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
        n = check_int("n", config.get("n"), minimum=1)
        params = {"gamma": (n,), "beta": (n,)} if config.get("elementwise_affine", True) else {}
        return params, {}

    @property
    def input_width(self) -> int:
        return self.n

    def label(self) -> str:
        return f"LayerNorm({self.n})"
