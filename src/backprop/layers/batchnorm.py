r"""Batch normalisation over the units of a fully connected layer.

Training mode normalises each unit with the statistics of the current mini-batch, then applies a
learned affine map; evaluation mode uses running averages gathered during training instead.
The behaviour (formulas, running-statistics update, error for one-sample batches) is that of
``torch.nn.BatchNorm1d(n, affine=..., track_running_stats=...)`` on 2-D input, for both flags.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import check_bool, check_dtype, check_int, check_positive, check_range
from ..parameters import Parameter
from .base import Layer, as_input, register_layer


@register_layer
class BatchNorm(Layer):
    r"""Batch normalisation of ``n`` units (Ioffe & Szegedy, 2015).

    For a batch ``X`` of shape ``(m, n)``, each column (unit) :math:`j` is normalised separately.

    **Training mode** uses the batch statistics, with the *biased* variance:

    .. math::
        \mu_j = \frac{1}{m}\sum_{i} x_{ij}, \qquad
        \sigma^2_j = \frac{1}{m}\sum_{i} (x_{ij} - \mu_j)^2, \qquad
        \hat x_{ij} = \frac{x_{ij} - \mu_j}{\sqrt{\sigma^2_j + \varepsilon}}, \qquad
        y_{ij} = \gamma_j \hat x_{ij} + \beta_j

    and updates the running statistics with the *unbiased* variance (as PyTorch does):

    .. math::
        \bar\mu \leftarrow (1 - \rho)\,\bar\mu + \rho\,\mu, \qquad
        \bar\sigma^2 \leftarrow (1 - \rho)\,\bar\sigma^2 + \rho\,\frac{m}{m - 1}\sigma^2

    where :math:`\rho` is ``momentum``. A batch of one sample has no variance to estimate, so
    training mode rejects ``m = 1`` (PyTorch does too).

    **Evaluation mode** is a fixed affine map:
    :math:`y_{ij} = \gamma_j (x_{ij} - \bar\mu_j) / \sqrt{\bar\sigma^2_j + \varepsilon} + \beta_j`.

    **Backward**, given ``dY = dJ/dY`` of shape ``(m, n)``:

    .. math::
        \frac{\partial J}{\partial \gamma_j} = \sum_i dy_{ij}\,\hat x_{ij}, \qquad
        \frac{\partial J}{\partial \beta_j} = \sum_i dy_{ij}

    In training mode :math:`\mu` and :math:`\sigma^2` depend on every sample, and the chain rule
    through them collapses to the closed form (with :math:`s_j = 1/\sqrt{\sigma^2_j+\varepsilon}`
    and :math:`d\hat x = dY \odot \gamma`):

    .. math::
        dx_{ij} = \frac{s_j}{m}\Bigl(m\, d\hat x_{ij} - \sum_k d\hat x_{kj}
                  - \hat x_{ij} \sum_k d\hat x_{kj}\hat x_{kj}\Bigr)
                = \frac{\gamma_j s_j}{m}\Bigl(m\, dy_{ij} - \frac{\partial J}{\partial \beta_j}
                  - \hat x_{ij} \frac{\partial J}{\partial \gamma_j}\Bigr)

    The second form reuses the parameter gradients. In evaluation mode the statistics are
    constants and :math:`dx_{ij} = dy_{ij}\,\gamma_j / \sqrt{\bar\sigma^2_j + \varepsilon}`.
    Backward follows the mode that the matching ``forward`` ran in.

    **Flags**, as PyTorch's: ``affine=False`` fixes :math:`\gamma = 1, \beta = 0` (the layer has
    no parameters; :math:`y = \hat x`). ``track_running_stats=False`` keeps no running
    statistics (no buffers): every forward pass, in evaluation mode too, normalises with the
    statistics of its own batch (and so needs more than one sample), and backward always takes
    the training-mode form.

    Parameters
    ----------
    n : int
        Number of units (columns of the input).
    momentum : float in [0, 1], default 0.1
        :math:`\rho`, the weight of the newest batch in the running averages (PyTorch's
        convention; Keras's ``momentum`` is :math:`1 - \rho`). PyTorch's ``momentum=None``
        (cumulative average) is not offered.
    eps : float > 0, default 1e-5
        :math:`\varepsilon`, added to the variance before the square root.
    affine : bool, default True
        Learn :math:`\gamma` and :math:`\beta`; False fixes them at 1 and 0 (no parameters).
    track_running_stats : bool, default True
        Keep running statistics for evaluation; False uses batch statistics always.
    dtype : float32 or float64, default float64

    Attributes
    ----------
    gamma, beta : ndarray of shape (n,)
        Scale (starts at ones) and shift (starts at zeros); trainable, no weight decay (fixed,
        and not parameters, with ``affine=False``).
    dgamma, dbeta : ndarray of shape (n,)
        Their gradients from the last ``backward``.
    running_mean, running_var : ndarray of shape (n,) or None
        Buffers (start at zeros and ones), updated in place during training-mode ``forward``;
        None with ``track_running_stats=False``.

    Examples
    --------
    >>> import numpy as np
    >>> import backprop as bp
    >>> bn = bp.BatchNorm(2)
    >>> y = bn.forward(np.array([[1.0, 10.0], [3.0, 30.0]]))
    >>> np.round(y, 4)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> bn.running_mean
    array([0.2, 2. ])
    """

    name = "batchnorm"
    role = "normalization"
    #: in training mode it normalises with the batch's own statistics: a batch needs 2+ rows
    needs_batch_stats = True
    words = {"en": "batch normalisation", "vi": "chuẩn hoá theo batch"}

    def __init__(self, n: int, *, momentum: float = 0.1, eps: float = 1e-5,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = np.float64):
        super().__init__()
        self.n = check_int("n", n, minimum=1)
        self.momentum = check_range("momentum", momentum, 0.0, 1.0, high_open=False)
        self.eps = check_positive("eps", eps)
        self.affine = check_bool("affine", affine)
        self.track_running_stats = check_bool("track_running_stats", track_running_stats)
        self.dtype = check_dtype(dtype)
        self.gamma = np.ones(self.n, dtype=self.dtype)
        self.beta = np.zeros(self.n, dtype=self.dtype)
        self.dgamma = np.zeros_like(self.gamma)
        self.dbeta = np.zeros_like(self.beta)
        self.running_mean: np.ndarray | None = None
        self.running_var: np.ndarray | None = None
        if self.track_running_stats:
            self.running_mean = np.zeros(self.n, dtype=self.dtype)
            self.running_var = np.ones(self.n, dtype=self.dtype)
        # cache of the last forward: normalised input, 1/std per unit, and the mode it ran in;
        # the batch statistics too (kept for observers; None when the running ones were used)
        self._xhat: np.ndarray | None = None
        self._inv_std: np.ndarray | None = None
        self._mean: np.ndarray | None = None
        self._var: np.ndarray | None = None
        self._trained_forward = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        if type(x) is not np.ndarray:
            x = as_input(x, "BatchNorm.forward")
        if x.ndim != 2 or x.shape[1] != self.n:
            raise ValueError(f"BatchNorm({self.n}) expects input of shape (m, {self.n}), "
                             f"got {x.shape}")
        if x.dtype != self.dtype:
            x = x.astype(self.dtype)
        m = x.shape[0]
        # without running statistics the batch's own are used in evaluation mode too
        batch_stats = self.training or not self.track_running_stats
        if batch_stats:
            if m < 2:
                if self.training:
                    raise ValueError(f"BatchNorm needs more than 1 sample per batch in training "
                                     f"mode (the batch variance is undefined), got input of "
                                     f"shape {x.shape}; call eval() to use the running "
                                     f"statistics")
                raise ValueError(f"BatchNorm(track_running_stats=False) normalises with the "
                                 f"batch's own statistics, in eval mode too, so it needs more "
                                 f"than 1 sample per batch, got input of shape {x.shape}")
            mean = x.mean(axis=0)
            centred = x - mean
            var = np.mean(centred * centred, axis=0)  # biased: divides by m
            inv_std = 1.0 / np.sqrt(var + self.eps)
            if self.running_mean is not None and self.running_var is not None:
                rho = self.momentum
                # in place, so arrays handed out by buffers() stay the live state
                self.running_mean *= 1.0 - rho
                self.running_mean += rho * mean
                self.running_var *= 1.0 - rho
                self.running_var += rho * (var * (m / (m - 1)))
        else:
            assert self.running_mean is not None and self.running_var is not None
            centred = x - self.running_mean
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            mean = var = None
        self._mean, self._var = mean, var
        xhat = centred * inv_std
        self._xhat = xhat
        self._inv_std = inv_std
        self._trained_forward = batch_stats
        return self.gamma * xhat + self.beta  # gamma = 1, beta = 0 exactly without affine

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        xhat = self._xhat
        if xhat is None:
            raise RuntimeError("BatchNorm.backward called before forward")
        if dy.shape != xhat.shape:
            raise ValueError(f"BatchNorm.backward expects dy of shape {xhat.shape} (the forward "
                             f"output's), got {dy.shape}")
        if not (self.affine or input_grad):
            return None
        # without affine these are not gradients of parameters, but dx below needs the sums
        np.sum(dy * xhat, axis=0, out=self.dgamma)
        np.sum(dy, axis=0, out=self.dbeta)
        if not input_grad:
            return None
        scale = self.gamma * self._inv_std
        if not self._trained_forward:
            return dy * scale
        m = dy.shape[0]
        return (scale / m) * (m * dy - self.dbeta - xhat * self.dgamma)

    def observables(self) -> dict[str, np.ndarray]:
        r"""``xhat`` (:math:`\hat x`) and ``inv_std`` (:math:`1/\sqrt{\sigma^2 + \varepsilon}`)
        of the last forward and, when it normalised with the batch's own statistics, ``mean``
        and ``var`` (:math:`\mu_B`, the biased :math:`\sigma^2_B`)."""
        out: dict[str, np.ndarray] = {}
        if self._mean is not None and self._var is not None:
            out.update(mean=self._mean, var=self._var)
        if self._xhat is not None and self._inv_std is not None:
            out.update(inv_std=self._inv_std, xhat=self._xhat)
        return out

    def parameters(self) -> list[Parameter]:
        if not self.affine:
            return []
        return [Parameter(self, "gamma", "dgamma", decay=False),
                Parameter(self, "beta", "dbeta", decay=False)]

    def buffers(self) -> dict[str, np.ndarray]:
        if self.running_mean is None or self.running_var is None:
            return {}
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def get_config(self) -> dict[str, Any]:
        return {"n": self.n, "momentum": self.momentum, "eps": self.eps,
                "affine": self.affine, "track_running_stats": self.track_running_stats,
                "dtype": self.dtype.name}

    @classmethod
    def state_shapes(cls, config: dict[str, Any]
                     ) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
        n = check_int("n", config.get("n"), minimum=1)
        params = {"gamma": (n,), "beta": (n,)} if config.get("affine", True) else {}
        buffers = ({"running_mean": (n,), "running_var": (n,)}
                   if config.get("track_running_stats", True) else {})
        return params, buffers

    @property
    def input_width(self) -> int:
        return self.n

    def label(self) -> str:
        return f"BatchNorm({self.n})"
