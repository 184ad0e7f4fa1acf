"""Weight initialisers.

Each initialiser is a function ``f(shape, *, rng, gain=1.0, dtype=float64) -> ndarray`` for a weight
matrix of shape ``(n_out, n_in)`` (rows are units, as in ``z = W x + b``), so
``fan_in = n_in = shape[1]`` and ``fan_out = n_out = shape[0]``. Randomness always comes from an
explicit ``rng`` (an int seed or a :class:`numpy.random.Generator`); there is no global state.

================  =====================================================================
name              distribution
================  =====================================================================
xavier_uniform    U(-a, a),  a = gain * sqrt(6 / (fan_in + fan_out))     (Glorot & Bengio 2010)
xavier_normal     N(0, s^2), s = gain * sqrt(2 / (fan_in + fan_out))
he_uniform        U(-a, a),  a = gain * sqrt(3 / fan_in)                  (He et al. 2015)
he_normal         N(0, s^2), s = gain / sqrt(fan_in)
uniform           U(-a, a),  a = 1 / sqrt(fan_in)   (PyTorch's nn.Linear default)
normal            N(0, 0.01^2)   (the "naive" small-random start of old tutorials)
zeros             all zeros
================  =====================================================================

For He initialisation pass the gain of the activation that follows, ``gain("relu") = sqrt(2)``;
:func:`he_uniform` / :func:`he_normal` default to that gain because they exist for ReLU nets.
The formulas match ``torch.nn.init`` (``xavier_*`` with ``gain``, ``kaiming_*`` with
``mode="fan_in"``), so the same seed-free statistics can be compared.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np

from ._checks import as_rng, check_dtype, check_positive
from .registry import Registry


def gain(activation: str, *args: float, **config: float) -> float:
    r"""Recommended gain for an activation, asked of the activation itself.

    The built-in values are those of ``torch.nn.init.calculate_gain``: 1 for identity / sigmoid /
    softmax, 5/3 for tanh, :math:`\sqrt{2}` for ReLU and :math:`\sqrt{2 / (1 + \alpha^2)}` for
    leaky ReLU with ``negative_slope`` :math:`\alpha`; GELU, SiLU and softplus, which PyTorch
    has no value for, take ReLU's :math:`\sqrt2`. Any registered activation answers through
    its ``gain()`` method; ``args`` and ``config`` are its constructor arguments
    (``gain("leaky_relu", 0.2)``).
    """
    from .layers.base import activation_class

    cls = activation_class(activation)
    try:
        layer = cls(*args, **config)
    except TypeError as exc:
        raise TypeError(f"bad arguments for the {activation!r} activation: {exc}") from None
    return float(layer.gain())


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight shape ``(n_out, n_in)``, after checking the shape."""
    if isinstance(shape, (str, bytes)) or not hasattr(shape, "__len__"):
        raise TypeError(f"shape must be a pair (n_out, n_in), got {shape!r}")
    if len(shape) != 2:
        raise ValueError(f"initialisers expect a 2-D weight shape (n_out, n_in), got {shape}")
    for dim in shape:
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"shape must hold integers, got {shape!r}")
        # a zero fan would divide by zero in the scale formulas (and a layer needs a unit)
        if dim < 1:
            raise ValueError(f"shape dimensions must be >= 1, got {shape}")
    n_out, n_in = shape
    return int(n_in), int(n_out)


def xavier_uniform(shape, *, rng=None, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Glorot uniform: ``U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    a = check_positive("gain", gain) * math.sqrt(6.0 / (fan_in + fan_out))
    return as_rng(rng).uniform(-a, a, size=shape).astype(check_dtype(dtype))


def xavier_normal(shape, *, rng=None, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Glorot normal: ``N(0, s^2)``, ``s = gain * sqrt(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = _fans(shape)
    s = check_positive("gain", gain) * math.sqrt(2.0 / (fan_in + fan_out))
    return as_rng(rng).normal(0.0, s, size=shape).astype(check_dtype(dtype))


def he_uniform(shape, *, rng=None, gain: float = math.sqrt(2.0), dtype=np.float64) -> np.ndarray:
    """He/Kaiming uniform (fan_in): ``U(-a, a)``, ``a = gain * sqrt(3 / fan_in)``."""
    fan_in, _ = _fans(shape)
    a = check_positive("gain", gain) * math.sqrt(3.0 / fan_in)
    return as_rng(rng).uniform(-a, a, size=shape).astype(check_dtype(dtype))


def he_normal(shape, *, rng=None, gain: float = math.sqrt(2.0), dtype=np.float64) -> np.ndarray:
    """He/Kaiming normal (fan_in): ``N(0, s^2)``, ``s = gain / sqrt(fan_in)``."""
    fan_in, _ = _fans(shape)
    s = check_positive("gain", gain) / math.sqrt(fan_in)
    return as_rng(rng).normal(0.0, s, size=shape).astype(check_dtype(dtype))


def uniform(shape, *, rng=None, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    """``U(-a, a)`` with ``a = gain / sqrt(fan_in)`` (PyTorch ``nn.Linear``'s default range)."""
    fan_in, _ = _fans(shape)
    a = check_positive("gain", gain) / math.sqrt(fan_in)
    return as_rng(rng).uniform(-a, a, size=shape).astype(check_dtype(dtype))


def normal(shape, *, rng=None, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    """Naive small random start ``N(0, (0.01 * gain)^2)``: vanishing gradients in deep nets."""
    _fans(shape)
    s = 0.01 * check_positive("gain", gain)
    return as_rng(rng).normal(0.0, s, size=shape).astype(check_dtype(dtype))


def zeros(shape, *, rng=None, gain: float = 1.0, dtype=np.float64) -> np.ndarray:
    """All zeros (every unit of a layer then learns the same thing: fine for biases only)."""
    _fans(shape)
    return np.zeros(shape, dtype=check_dtype(dtype))


#: every initialiser by name; ``register_initializer(name, fn)`` adds one
INITIALIZERS: Registry[Callable[..., np.ndarray]] = Registry("initialiser")
INITIALIZERS.add("xavier_uniform", xavier_uniform, aliases=("glorot_uniform",))
INITIALIZERS.add("xavier_normal", xavier_normal, aliases=("glorot_normal",))
INITIALIZERS.add("he_uniform", he_uniform, aliases=("kaiming_uniform",))
INITIALIZERS.add("he_normal", he_normal, aliases=("kaiming_normal",))
INITIALIZERS.add("uniform", uniform)
INITIALIZERS.add("normal", normal)
INITIALIZERS.add("zeros", zeros)


def register_initializer(name: str, fn: Callable[..., np.ndarray], *,
                         replace: bool = False) -> Callable[..., np.ndarray]:
    """Make ``fn(shape, *, rng, gain, dtype)`` available by ``name`` (``Dense(init=name)``,
    ``bp.mlp(init=name)``, ``backprop train --init name``)."""
    return INITIALIZERS.add(name, fn, replace=replace)


def get(name_or_fn: str | Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
    """Look an initialiser up by name (or pass a callable through)."""
    if callable(name_or_fn):
        return name_or_fn
    return INITIALIZERS[name_or_fn]
