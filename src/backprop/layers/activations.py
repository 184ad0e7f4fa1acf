r"""Activations, each one class with its local derivative and what the library asks of it.

Every activation stores what its backward needs and computes ``dx = dy * g'(z)`` -- the
:math:`\odot\, g'(Z)` factor of the article's :math:`\delta` formulas. Softmax is the exception:
its Jacobian is not diagonal, so ``dx = s * (dy - sum(dy * s))`` row by row.

Each class also says, as class attributes (see :class:`~backprop.layers.base.Activation`), its
registry name and words, its kinks, its initialisation gain, the initialiser ``bp.mlp`` pairs it
with, how the explanation writes it, and when its units saturate or die. Registering the class
(``@register_activation``) is all it takes for every part of the library to use it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import compiled
from .._checks import check_non_negative, check_positive
from .base import Activation, Notation, register_activation

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@register_activation
class Identity(Activation):
    r"""Identity :math:`g(z) = z`, :math:`g'(z) = 1` (a linear output)."""

    name = "identity"
    aliases = ("linear",)
    words = {"en": "identity", "vi": "đồng nhất"}

    def forward(self, x: np.ndarray) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return dy

    def slope_of_output(self, a: np.ndarray) -> np.ndarray:
        return np.ones_like(np.asarray(a, dtype=np.float64))

    def notation(self) -> Notation:
        return Notation(g=("<z>", "<z>"), slope=("1", "1"),
                        definition=("g(z) = z", "g(z) = z"), derivative=("g'(z) = 1", "g'(z) = 1"))


@register_activation
class Sigmoid(Activation):
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`,
    :math:`\sigma'(z) = \sigma(z)(1 - \sigma(z))`.

    Backward reuses the stored output ``a = sigma(z)``: ``dx = dy * a * (1 - a)``.
    """

    name = "sigmoid"
    words = {"en": "sigmoid", "vi": "sigmoid"}

    def __init__(self) -> None:
        super().__init__()
        self._a: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        # exp(-z) overflows to inf for z < -709 (float64); 1 / (1 + inf) = 0 is the right limit.
        with np.errstate(over="ignore"):
            a = 1.0 / (1.0 + np.exp(-x))
        self._a = a
        return a

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        a = self._a
        return dy * a * (1.0 - a)

    def slope_of_output(self, a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        return a * (1.0 - a)

    def notation(self) -> Notation:
        return Notation(
            g=(r"\sigma(<z>)", "σ(<z>)"),
            slope=("<a><times>(1 - <a:factor>)", "<a><times>(1 - <a:factor>)"),
            definition=(r"\sigma(z) = \frac{1}{1 + e^{-z}}", "σ(z) = 1/(1 + e^(-z))"),
            derivative=(r"\sigma'(z) = \sigma(z)\bigl(1 - \sigma(z)\bigr)",
                        "σ'(z) = σ(z)(1 - σ(z))"))

    def saturated(self, a: np.ndarray) -> np.ndarray:
        return (a < 0.01) | (a > 0.99)


@register_activation
class Tanh(Activation):
    r"""Hyperbolic tangent, :math:`\tanh'(z) = 1 - \tanh^2(z)`."""

    name = "tanh"
    words = {"en": "tanh", "vi": "tanh"}

    def __init__(self) -> None:
        super().__init__()
        self._a: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        a = np.tanh(x)
        self._a = a
        return a

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        a = self._a
        return dy * (1.0 - a * a)

    def slope_of_output(self, a: np.ndarray) -> np.ndarray:
        a = np.asarray(a, dtype=np.float64)
        return 1.0 - a * a

    def gain(self) -> float:
        return 5.0 / 3.0

    def notation(self) -> Notation:
        return Notation(
            g=(r"\tanh(<z>)", "tanh(<z>)"),
            slope=("(1 - <a:base>^{2})", "(1 - <a:base>²)"),
            derivative=(r"\tanh'(z) = 1 - \tanh^{2}(z)", "tanh'(z) = 1 - tanh²(z)"))

    def saturated(self, a: np.ndarray) -> np.ndarray:
        return np.abs(a) > 0.99


@register_activation
class ReLU(Activation):
    r"""Rectified linear unit :math:`\max(0, z)`; :math:`g'(z) = 1` if :math:`z > 0` else 0.

    At exactly ``z = 0`` the derivative is taken as 0, as PyTorch does.

    Forward computes the output and the 0/1 mask ``1[z > 0]`` (kept in the input's float dtype)
    that backward multiplies by: with the compiled kernels in one pass over memory (writing into
    a buffer reused from step to step inside a network), otherwise with ``np.greater`` and
    ``np.maximum``. Both give the same numbers: ``ReLU(-inf) = 0`` and a NaN stays NaN (the
    training guard reports it).
    """

    name = "relu"
    words = {"en": "ReLU", "vi": "ReLU"}
    kinks = (0.0,)
    default_init = "he_uniform"
    can_die = True

    def __init__(self) -> None:
        super().__init__()
        self._mask: np.ndarray | None = None
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        mask = self._mask
        if mask is None or mask.shape != x.shape or mask.dtype != x.dtype:
            mask = self._mask = np.empty_like(x)
        kernels = compiled.kernels
        if (kernels is not None and x.dtype.kind == "f" and x.dtype.itemsize in (4, 8)
                and x.flags.c_contiguous):
            if self.reuse_output:
                y = self._out
                if y is None or y.shape != x.shape or y.dtype != x.dtype:
                    y = self._out = np.empty_like(x)
            else:
                y = np.empty_like(x)
            kernels.relu_forward(x, y, mask)
            return y
        np.greater(x, 0, out=mask)
        return np.maximum(x, 0)  # max(-inf, 0) = 0; a NaN stays NaN

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return dy * self._mask

    def slope_of_output(self, a: np.ndarray) -> np.ndarray:
        # a > 0 exactly when z > 0
        return (np.asarray(a, dtype=np.float64) > 0).astype(np.float64)

    def gain(self) -> float:
        return math.sqrt(2.0)

    def notation(self) -> Notation:
        return Notation(g=(r"\max(0, <z>)", "max(0, <z>)"),
                        slope=(r"\mathbf{1}[<z> > 0]", "1[<z> > 0]"))


@register_activation
class LeakyReLU(Activation):
    r"""Leaky ReLU: :math:`z` if :math:`z > 0` else :math:`\alpha z`; derivative 1 or
    :math:`\alpha`.

    Parameters
    ----------
    negative_slope : float, default 0.01
        :math:`\alpha`, the slope for negative inputs (PyTorch's default).
    """

    name = "leaky_relu"
    words = {"en": "leaky ReLU", "vi": "ReLU rò (leaky ReLU)"}
    kinks = (0.0,)
    default_init = "he_uniform"

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = check_non_negative("negative_slope", negative_slope)
        self._x: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        self._x = x
        return np.where(x > 0, x, x * self.negative_slope)

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return np.where(self._x > 0, dy, dy * self.negative_slope)

    def slope_of_output(self, a: np.ndarray) -> np.ndarray:
        # the slope is >= 0, so a > 0 exactly when z > 0
        return np.where(np.asarray(a, dtype=np.float64) > 0, 1.0, self.negative_slope)

    def gain(self) -> float:
        return math.sqrt(2.0 / (1.0 + self.negative_slope**2))

    def notation(self) -> Notation:
        # for a slope <= 1 the leaky ReLU is max(s z, z); above 1 it is min(s z, z)
        tex, text = (r"\max", "max") if self.negative_slope <= 1 else (r"\min", "min")
        return Notation(
            g=(tex + r"(<negative_slope> \cdot <z:factor>, <z>)",
               text + "(<negative_slope>·<z:factor>, <z>)"),
            slope=(r"(\mathbf{1}[<z> > 0] + <negative_slope> \cdot \mathbf{1}[<z> \le 0])",
                   "(1[<z> > 0] + <negative_slope>·1[<z> ≤ 0])"))

    def get_config(self) -> dict[str, Any]:
        return {"negative_slope": self.negative_slope}


# --- the error function, for the exact GELU ------------------------------------------------------
# NumPy has no erf. W. J. Cody's rational Chebyshev approximations (Math. Comp. 23, 1969,
# 631-638) give erf to about 1e-16 in double precision with three rational functions; their
# published coefficients follow, highest degree last as in Cody's tables.
_ERF_A = (3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02,
          3.20937758913846947e03, 1.85777706184603153e-1)
_ERF_B = (2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
          2.84423683343917062e03)
_ERFC_C = (5.64188496988670089e-1, 8.88314979438837594e00, 6.61191906371416295e01,
           2.98635138197400131e02, 8.81952221241769090e02, 1.71204761263407058e03,
           2.05107837782607147e03, 1.23033935479799725e03, 2.15311535474403846e-8)
_ERFC_D = (1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_ERFC_P = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
           1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_ERFC_Q = (2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_INV_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _rational(t: np.ndarray, num: tuple[float, ...], den: tuple[float, ...]) -> np.ndarray:
    """``(n_k t^k + ... + n_0) / (t^k + d_{k-1} t^{k-1} + ... + d_0)`` in Cody's nesting: the
    last numerator coefficient leads, the others are added from the first on, and the last of
    each is the constant term."""
    top = num[-1] * t
    bottom = t
    for a, b in zip(num[:-2], den[:-1], strict=True):
        top = (top + a) * t
        bottom = (bottom + b) * t
    return (top + num[-2]) / (bottom + den[-1])


def erf(x: Any) -> np.ndarray:
    r"""The error function :math:`\operatorname{erf}(x) = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}dt`,
    element-wise in NumPy (Cody's approximations; within a few units in the last place of
    ``math.erf`` in float64, see ``tests/test_layers.py``)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.abs(x)
    out = np.array(x, copy=True)  # NaN stays NaN (no branch below claims it)
    small = y <= 0.46875
    if np.any(small):
        ys = y[small]
        out[small] = x[small] * _rational(ys * ys, _ERF_A, _ERF_B)
    mid = ~small & (y <= 4.0)
    if np.any(mid):
        ym = y[mid]
        erfc = _rational(ym, _ERFC_C, _ERFC_D)
        # e^{-y^2} split as e^{-r^2} e^{-(y-r)(y+r)} with r = y rounded down to 1/16: exact r^2
        r = np.floor(ym * 16.0) / 16.0
        erfc = np.exp(-r * r) * np.exp(-(ym - r) * (ym + r)) * erfc
        out[mid] = np.copysign(1.0 - erfc, x[mid])
    large = (y > 4.0) & np.isfinite(y)
    out[np.isinf(x)] = np.sign(x[np.isinf(x)])  # erf(±inf) = ±1
    if np.any(large):
        yl = y[large]
        inv = 1.0 / (yl * yl)
        erfc = (_INV_SQRT_PI - inv * _rational(inv, _ERFC_P, _ERFC_Q)) / yl
        r = np.floor(yl * 16.0) / 16.0
        with np.errstate(under="ignore"):
            erfc = np.exp(-r * r) * np.exp(-(yl - r) * (yl + r)) * erfc
        out[large] = np.copysign(1.0 - erfc, x[large])
    return out


@register_activation
class GELU(Activation):
    r"""Gaussian error linear unit (Hendrycks & Gimpel), as ``torch.nn.GELU``.

    ``approximate="none"`` (the default): :math:`g(z) = z\,\Phi(z)` with the standard normal
    distribution function :math:`\Phi(z) = \tfrac12\bigl(1 + \operatorname{erf}(z/\sqrt2)\bigr)`,
    and :math:`g'(z) = \Phi(z) + z\,\varphi(z)`, :math:`\varphi(z) = e^{-z^2/2}/\sqrt{2\pi}`.
    NumPy has no ``erf``; :func:`erf` computes it with Cody's rational approximations, which
    agree with PyTorch to 1e-12 in float64 (tested).

    ``approximate="tanh"``: :math:`g(z) = \tfrac12 z\bigl(1 + \tanh u\bigr)`,
    :math:`u = \sqrt{2/\pi}\,(z + 0.044715\,z^3)`, with
    :math:`g'(z) = \tfrac12(1 + \tanh u) + \tfrac12 z\,(1 - \tanh^2 u)\,
    \sqrt{2/\pi}\,(1 + 3 \cdot 0.044715\,z^2)`.

    Where libraries differ: Keras's ``gelu`` defaults to ``approximate=False`` too; JAX's
    ``jax.nn.gelu`` defaults to the tanh form. Its gain is taken as ReLU's :math:`\sqrt2`
    (``torch.nn.init.calculate_gain`` has no entry for GELU), and ``bp.mlp`` pairs it with He
    initialisation, as for ReLU.

    Parameters
    ----------
    approximate : {"none", "tanh"}, default "none"
    """

    name = "gelu"
    words = {"en": "GELU", "vi": "GELU"}
    default_init = "he_uniform"

    _C = math.sqrt(2.0 / math.pi)
    _K = 0.044715

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self._slope: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        if self.approximate == "tanh":
            u = self._C * (x + self._K * x * x * x)
            t = np.tanh(u)
            y = 0.5 * x * (1.0 + t)
            self._slope = (0.5 * (1.0 + t)
                           + 0.5 * x * (1.0 - t * t) * self._C * (1.0 + 3.0 * self._K * x * x))
            return y
        cdf = 0.5 * (1.0 + erf(x / _SQRT2))
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
        self._slope = (cdf + x * pdf).astype(x.dtype, copy=False)
        return (x * cdf).astype(x.dtype, copy=False)

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return dy * self._slope

    def gain(self) -> float:
        return math.sqrt(2.0)

    def notation(self) -> Notation:
        if self.approximate == "tanh":
            return Notation(
                g=(r"\operatorname{GELU}_{\tanh}(<z>)", "GELU_tanh(<z>)"),
                slope=(r"\operatorname{GELU}_{\tanh}'(<z>)", "GELU_tanh'(<z>)"),
                definition=(r"\operatorname{GELU}_{\tanh}(z) = \tfrac{1}{2} z \bigl(1 + "
                            r"\tanh\bigl(\sqrt{2/\pi}\,(z + 0.044715 z^{3})\bigr)\bigr)",
                            "GELU_tanh(z) = ½·z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))"))
        return Notation(
            g=(r"\operatorname{GELU}(<z>)", "GELU(<z>)"),
            slope=(r"\operatorname{GELU}'(<z>)", "GELU'(<z>)"),
            definition=(r"\operatorname{GELU}(z) = z\,\Phi(z)", "GELU(z) = z·Φ(z)"),
            derivative=(r"\operatorname{GELU}'(z) = \Phi(z) + z\,\varphi(z)",
                        "GELU'(z) = Φ(z) + z·φ(z)"))

    def get_config(self) -> dict[str, Any]:
        return {"approximate": self.approximate}


@register_activation
class SiLU(Activation):
    r"""Sigmoid-weighted linear unit (swish with :math:`\beta = 1`), as ``torch.nn.SiLU``:
    :math:`g(z) = z\,\sigma(z)`, :math:`g'(z) = \sigma(z)\bigl(1 + z(1 - \sigma(z))\bigr)`.

    Gain :math:`\sqrt2` and He initialisation in ``bp.mlp``, as for ReLU (PyTorch's
    ``calculate_gain`` has no entry for SiLU).
    """

    name = "silu"
    aliases = ("swish",)
    words = {"en": "SiLU", "vi": "SiLU"}
    default_init = "he_uniform"

    def __init__(self) -> None:
        super().__init__()
        self._slope: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            s = 1.0 / (1.0 + np.exp(-x))
        self._slope = s * (1.0 + x * (1.0 - s))
        return x * s

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return dy * self._slope

    def gain(self) -> float:
        return math.sqrt(2.0)

    def notation(self) -> Notation:
        return Notation(
            g=(r"<z:factor> \cdot \sigma(<z>)", "<z:factor>·σ(<z>)"),
            slope=(r"\operatorname{SiLU}'(<z>)", "SiLU'(<z>)"),
            definition=(r"\operatorname{SiLU}(z) = z\,\sigma(z)", "SiLU(z) = z·σ(z)"),
            derivative=(r"\operatorname{SiLU}'(z) = \sigma(z)\bigl(1 + z(1 - \sigma(z))\bigr)",
                        "SiLU'(z) = σ(z)(1 + z(1 - σ(z)))"))


@register_activation
class Softplus(Activation):
    r"""Softplus, as ``torch.nn.Softplus``: :math:`g(z) = \frac1\beta\log(1 + e^{\beta z})`,
    :math:`g'(z) = \sigma(\beta z)`; where :math:`\beta z` exceeds ``threshold`` the layer is
    the identity (:math:`g = z`, :math:`g' = 1`), exactly as PyTorch does, which avoids the
    overflow of :math:`e^{\beta z}`.

    Gain :math:`\sqrt2` and He initialisation in ``bp.mlp`` (a smooth ReLU).

    Parameters
    ----------
    beta : float > 0, default 1
    threshold : float > 0, default 20
    """

    name = "softplus"
    words = {"en": "softplus", "vi": "softplus"}
    default_init = "he_uniform"

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = check_positive("beta", beta)
        self.threshold = check_positive("threshold", threshold)
        self._slope: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        bx = x * self.beta
        linear = bx > self.threshold
        # log(1 + e^t) = max(t, 0) + log1p(e^{-|t|}): never overflows
        soft = (np.maximum(bx, 0) + np.log1p(np.exp(-np.abs(bx)))) / self.beta
        with np.errstate(over="ignore"):
            s = 1.0 / (1.0 + np.exp(-bx))
        self._slope = np.where(linear, 1.0, s).astype(x.dtype, copy=False)
        return np.where(linear, x, soft).astype(x.dtype, copy=False)

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return dy * self._slope

    def gain(self) -> float:
        return math.sqrt(2.0)

    def notation(self) -> Notation:
        return Notation(
            g=(r"\operatorname{softplus}(<z>)", "softplus(<z>)"),
            slope=(r"\sigma(<beta> \cdot <z:factor>)", "σ(<beta>·<z:factor>)"),
            definition=(r"\operatorname{softplus}(z) = \tfrac{1}{\beta}\log(1 + e^{\beta z})",
                        "softplus(z) = (1/β)·log(1 + e^(βz))"),
            derivative=(r"\operatorname{softplus}'(z) = \sigma(\beta z)",
                        "softplus'(z) = σ(βz)"))

    @property
    def kinks(self) -> tuple[float, ...]:  # type: ignore[override]
        """Where it switches to the identity: there g jumps by log1p(e^-threshold)/beta (as in
        PyTorch), so a finite difference across this point is not a derivative."""
        return (self.threshold / self.beta,)

    def get_config(self) -> dict[str, Any]:
        return {"beta": self.beta, "threshold": self.threshold}


@register_activation
class Softmax(Activation):
    r"""Softmax over the units of each sample: :math:`s_k = e^{z_k} / \sum_j e^{z_j}`.

    Computed stably by subtracting the row maximum. Backward applies the Jacobian
    :math:`\partial s_k / \partial z_j = s_k(\delta_{kj} - s_j)`:
    ``dx = s * (dy - sum(dy * s, axis=1))``.

    For classification prefer :class:`backprop.SoftmaxCrossEntropy` on raw logits: the fused
    gradient ``p - y`` is cheaper and more accurate than this layer followed by a log loss.
    """

    name = "softmax"
    words = {"en": "softmax", "vi": "softmax"}
    elementwise = False

    def __init__(self) -> None:
        super().__init__()
        self._s: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(axis=1, keepdims=True))
        s = e / e.sum(axis=1, keepdims=True)
        self._s = s
        return s

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        s = self._s
        return s * (dy - np.sum(dy * s, axis=1, keepdims=True))

    def notation(self) -> Notation:
        return Notation(
            g=(r"\mathrm{softmax}(<z>)", "softmax(<z>)"),
            slope=(r"\mathrm{softmax}'(<z>)", "softmax'(<z>)"),
            definition=(r"\mathrm{softmax}(z)_{k} = \frac{e^{z_{k}}}{\sum_{j} e^{z_{j}}}",
                        "softmax(z)_k = e^(z_k) / Σ_j e^(z_j)"))
