r"""Networks to and from PyTorch: ``bp.to_torch(net)`` and ``bp.from_torch(module)``.

``to_torch`` gives a ``torch.nn.Sequential`` computing the same function with copies of the same
numbers: identical outputs and gradients (float64: to a relative 1e-12, tested), parameters and
buffers copied, the train/eval mode of the network and of every layer carried over.
``from_torch`` goes back, from a ``torch.nn.Sequential`` (nested ones are flattened) of

    Linear, Identity, Sigmoid, Tanh, ReLU, LeakyReLU, GELU, SiLU, Softplus, Softmax,
    BatchNorm1d, Dropout, LayerNorm

so that a model trained with PyTorch can be traced (``bp.trace``), explained, gradient-checked
and saved here. Any other module -- a convolution, ``Flatten``, a subclass of a supported module
(its ``forward`` may differ), an option this library does not have -- raises ``TypeError``
naming the module and its position.

Conventions
-----------
Every convention that matters here is the same in both libraries, so **no number is
transformed**; the conversions are copies between NumPy arrays and tensors of the same dtype
(float32 <-> ``torch.float32``, float64 <-> ``torch.float64``; other dtypes are refused):

* **weight layout**: ``Dense.W`` is ``(n_out, n_in)`` and ``Z = X W^T + b``, exactly
  ``torch.nn.Linear.weight``; copied without a transpose.
* **batch norm**: ``momentum`` is the weight of the *new* batch in the running averages
  (default 0.1) in both (Keras uses ``1 - momentum``); the running variance is the *unbiased*
  batch variance ``m/(m-1) sigma^2`` in both, while normalisation uses the biased one; ``eps`` is
  added to the variance inside the square root in both. ``gamma``/``beta`` are torch's
  ``weight``/``bias``. torch's ``num_batches_tracked`` only matters for ``momentum=None``
  (a cumulative average this library does not offer): it is set to 0 by ``to_torch`` and
  ignored by ``from_torch``, which refuses ``momentum=None``. ``BatchNorm1d`` also takes
  ``(N, C, L)`` input; the library's layer takes ``(m, n)`` only.
* **layer norm**: normalisation over the last axis with the biased variance, ``eps`` (default
  1e-5) inside the square root, ``elementwise_affine`` as in torch; a ``LayerNorm`` with a weight
  but no bias (``bias=False``) has no counterpart here and is refused.
* **dropout**: ``p`` is the probability of *dropping* in both, with inverted scaling
  ``1/(1 - p)`` at training time and the identity at evaluation. The masks come from each
  library's own random generator, so training-mode outputs agree only for ``p = 0``.
* **activations**: ``LeakyReLU(negative_slope)``, ``GELU(approximate="none"|"tanh")``,
  ``Softplus(beta, threshold)`` (identity where ``beta x > threshold``) and ``ReLU``'s
  derivative 0 at 0 are torch's; ``Softmax`` is over the units of each sample (``dim=1``, also
  accepted as ``dim=-1`` or ``dim=None``, which torch resolves to 1 for 2-D input).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ..layers import (
    GELU,
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    LayerNorm,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from ..layers.base import Layer
from ..layers.sequential import Sequential as _Container
from ._optional import require, torch_dtype

# --- backprop -> torch --------------------------------------------------------------------------


def _copy(torch: Any, target: Any, values: np.ndarray) -> None:
    with torch.no_grad():
        target.copy_(torch.from_numpy(np.ascontiguousarray(values)))


def _linear(torch: Any, layer: Dense) -> Any:
    mod = torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.bias,
                          dtype=torch_dtype(torch, layer.dtype))
    _copy(torch, mod.weight, layer.W)
    if layer.bias:
        _copy(torch, mod.bias, layer.b)
    return mod


def _batchnorm1d(torch: Any, layer: BatchNorm) -> Any:
    affine = getattr(layer, "affine", True)
    track = getattr(layer, "track_running_stats", True)
    mod = torch.nn.BatchNorm1d(layer.n, eps=layer.eps, momentum=layer.momentum, affine=affine,
                               track_running_stats=track, dtype=torch_dtype(torch, layer.dtype))
    if affine:
        _copy(torch, mod.weight, layer.gamma)
        _copy(torch, mod.bias, layer.beta)
    if track:
        _copy(torch, mod.running_mean, layer.running_mean)
        _copy(torch, mod.running_var, layer.running_var)
    return mod


def _layernorm(torch: Any, layer: LayerNorm) -> Any:
    mod = torch.nn.LayerNorm(layer.n, eps=layer.eps, elementwise_affine=layer.elementwise_affine,
                             dtype=torch_dtype(torch, layer.dtype))
    if layer.elementwise_affine:
        _copy(torch, mod.weight, layer.gamma)
        _copy(torch, mod.bias, layer.beta)
    return mod


#: the torch module of every registered layer kind
TO_TORCH: dict[type[Layer], Callable[[Any, Any], Any]] = {
    Dense: _linear,
    BatchNorm: _batchnorm1d,
    LayerNorm: _layernorm,
    Dropout: lambda torch, layer: torch.nn.Dropout(layer.p),
    Identity: lambda torch, layer: torch.nn.Identity(),
    Sigmoid: lambda torch, layer: torch.nn.Sigmoid(),
    Tanh: lambda torch, layer: torch.nn.Tanh(),
    ReLU: lambda torch, layer: torch.nn.ReLU(),
    LeakyReLU: lambda torch, layer: torch.nn.LeakyReLU(layer.negative_slope),
    GELU: lambda torch, layer: torch.nn.GELU(approximate=layer.approximate),
    SiLU: lambda torch, layer: torch.nn.SiLU(),
    Softplus: lambda torch, layer: torch.nn.Softplus(beta=layer.beta, threshold=layer.threshold),
    Softmax: lambda torch, layer: torch.nn.Softmax(dim=1),
}


def check_convertible(net: Any) -> None:
    """Raise ``TypeError`` naming the first layer of ``net`` that has no torch counterpart."""
    if not isinstance(net, _Container):
        raise TypeError(f"to_torch expects a backprop Sequential network, got "
                        f"{type(net).__name__}")
    if getattr(net, "input_transform", None) is not None:
        raise TypeError("this model standardises its inputs (net.input_transform, saved with "
                        "it) and torch.nn has no module that does: export it to ONNX, which "
                        "carries the standardisation, or set net.input_transform = None and "
                        "standardise the inputs yourself")
    for i, layer in enumerate(net.layers):
        if type(layer) not in TO_TORCH:
            known = ", ".join(sorted(c.__name__ for c in TO_TORCH))
            raise TypeError(f"layer {i} ({layer.label()}) has no PyTorch counterpart: "
                            f"{type(layer).__name__} is not one of {known}")


def to_torch(net: Any) -> Any:
    """A ``torch.nn.Sequential`` computing the same function as ``net``, with copies of its
    parameters and buffers and the same train/eval modes.

    Parameters
    ----------
    net : Sequential
        A backprop network of the layer kinds listed in the module docstring.

    Returns
    -------
    torch.nn.Sequential
        One module per layer, in order; its ``parameters()`` come in the order of
        ``net.parameters()`` (what :func:`~backprop.interop.optimizer_to_torch` relies on).

    Raises
    ------
    TypeError
        For a layer without a torch counterpart (named).
    ImportError
        When torch is missing (with the pip command).

    Examples
    --------
    >>> import backprop as bp
    >>> tnet = bp.to_torch(bp.mlp([4, 8, 3], rng=0))  # doctest: +SKIP
    >>> tnet                                           # doctest: +SKIP
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=3, bias=True)
    )
    """
    check_convertible(net)
    torch = require("torch", "bp.to_torch")
    modules = []
    for layer in net.layers:
        mod = TO_TORCH[type(layer)](torch, layer)
        mod.train(layer.training)
        modules.append(mod)
    seq = torch.nn.Sequential(*modules)
    seq.training = net.training  # not .train(): that would overwrite the layers' own modes
    return seq


# --- torch -> backprop --------------------------------------------------------------------------


class _Refused(TypeError):
    """An option of a supported module that the library does not have."""


def _numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def _dtype_of(mod: Any) -> Any:
    tensors = list(mod.parameters()) + list(mod.buffers())
    floats = [t for t in tensors if t.is_floating_point()]
    if not floats:
        return np.float64
    dtypes = {str(t.dtype).removeprefix("torch.") for t in floats}
    if len(dtypes) != 1 or next(iter(dtypes)) not in ("float32", "float64"):
        raise _Refused(f"has tensors of dtype {sorted(dtypes)}; backprop computes in float32 or "
                       f"float64 -- convert the module with .float() or .double() first")
    return np.dtype(next(iter(dtypes)))


def _from_linear(mod: Any) -> Dense:
    dtype = _dtype_of(mod)
    b = None if mod.bias is None else _numpy(mod.bias)
    return Dense.from_arrays(_numpy(mod.weight), b, dtype=dtype)


def _from_batchnorm1d(mod: Any) -> BatchNorm:
    if mod.momentum is None:
        raise _Refused("has momentum=None (a cumulative moving average), which backprop's "
                       "BatchNorm does not offer; give it a momentum such as 0.1")
    options = {}
    accepted = inspect.signature(BatchNorm).parameters
    for name, default in (("affine", True), ("track_running_stats", True)):
        value = bool(getattr(mod, name))
        if value != default:
            if name not in accepted:
                raise _Refused(f"has {name}={value}, which this version of backprop's "
                               f"BatchNorm does not support")
            options[name] = value
    layer = BatchNorm(mod.num_features, momentum=float(mod.momentum), eps=float(mod.eps),
                      dtype=_dtype_of(mod), **options)
    if mod.affine:
        layer.gamma[...] = _numpy(mod.weight)
        layer.beta[...] = _numpy(mod.bias)
    if mod.track_running_stats:
        layer.running_mean[...] = _numpy(mod.running_mean)
        layer.running_var[...] = _numpy(mod.running_var)
    return layer


def _from_layernorm(mod: Any) -> LayerNorm:
    if len(mod.normalized_shape) != 1:
        raise _Refused(f"normalises over {len(mod.normalized_shape)} axes "
                       f"{tuple(mod.normalized_shape)}; backprop's LayerNorm normalises the "
                       f"last axis of (m, n) input only")
    if mod.elementwise_affine and mod.bias is None:
        raise _Refused("has a weight but no bias (bias=False); backprop's LayerNorm learns both "
                       "or neither")
    layer = LayerNorm(mod.normalized_shape[0], eps=float(mod.eps),
                      elementwise_affine=bool(mod.elementwise_affine), dtype=_dtype_of(mod))
    if mod.elementwise_affine:
        layer.gamma[...] = _numpy(mod.weight)
        layer.beta[...] = _numpy(mod.bias)
    return layer


def _from_softmax(mod: Any) -> Softmax:
    if mod.dim not in (1, -1, None):
        raise _Refused(f"is over dim={mod.dim}; backprop's Softmax is over the units of each "
                       f"sample (dim=1 of (m, n) input)")
    return Softmax()


def _from_table(torch: Any) -> dict[type, Callable[[Any], Layer]]:
    nn = torch.nn
    return {
        nn.Linear: _from_linear,
        nn.BatchNorm1d: _from_batchnorm1d,
        nn.LayerNorm: _from_layernorm,
        nn.Dropout: lambda mod: Dropout(float(mod.p)),
        nn.Identity: lambda mod: Identity(),
        nn.Sigmoid: lambda mod: Sigmoid(),
        nn.Tanh: lambda mod: Tanh(),
        nn.ReLU: lambda mod: ReLU(),
        nn.LeakyReLU: lambda mod: LeakyReLU(float(mod.negative_slope)),
        nn.GELU: lambda mod: GELU(approximate=mod.approximate),
        nn.SiLU: lambda mod: SiLU(),
        nn.Softplus: lambda mod: Softplus(beta=float(mod.beta), threshold=float(mod.threshold)),
        nn.Softmax: _from_softmax,
    }


def _flatten(torch: Any, module: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``(position, module)`` of every leaf of nested ``Sequential`` containers, in order."""
    out = []
    for name, child in module.named_children():
        where = f"{prefix}{name}"
        if type(child) is torch.nn.Sequential:
            out += _flatten(torch, child, where + ".")
        else:
            out.append((where, child))
    return out


def from_torch(module: Any) -> Any:
    """A backprop network computing the same function as a torch ``nn.Sequential``.

    Parameters
    ----------
    module : torch.nn.Sequential
        Of the modules listed in the module docstring (nested ``Sequential`` containers are
        flattened), float32 or float64, on any device (values are copied to NumPy).

    Returns
    -------
    backprop.Sequential
        One layer per module, with copies of the parameters and buffers, in the same train/eval
        modes; its ``parameters()`` come in the order of ``module.parameters()``.

    Raises
    ------
    TypeError
        Naming the first module that cannot be converted and why.
    ImportError
        When torch is missing (with the pip command).
    """
    torch = require("torch", "bp.from_torch")
    if type(module) is not torch.nn.Sequential:
        raise TypeError(f"from_torch expects a torch.nn.Sequential, got {type(module).__name__}"
                        f" (wrap a single module: torch.nn.Sequential(module))")
    from ..models import Sequential

    table = _from_table(torch)
    layers = []
    for where, child in _flatten(torch, module):
        convert = table.get(type(child))
        if convert is None:
            known = ", ".join(sorted(c.__name__ for c in table))
            raise TypeError(f"cannot convert module {where} ({child!r}) of type "
                            f"{type(child).__name__}: backprop has no such layer (supported: "
                            f"{known})")
        try:
            layer = convert(child)
        except _Refused as exc:
            raise TypeError(f"cannot convert module {where} ({child!r}): it {exc}") from None
        except ValueError as exc:  # a value the library's layer refuses (Dropout p = 1)
            raise TypeError(f"cannot convert module {where} ({child!r}): {exc}") from None
        layers.append(layer.train(child.training))
    net = Sequential(*layers)
    net.training = module.training
    return net
