r"""Export a network to ONNX: ``bp.to_onnx(net, "model.onnx")``.

The graph is built node by node with ``onnx.helper`` and checked with ``onnx.checker``
(``full_check``: types and shapes inferred through every node). It computes the network in
**evaluation mode** whatever mode ``net`` is in -- batch norm with its running statistics, dropout
switched off -- as ``torch.onnx.export`` does by default; an exported graph is for inference.

Format
------
* **Opset 17, IR version 8**: read by ONNX Runtime 1.12 and later, by ``onnx`` 1.12 and later and
  by the other runtimes that follow the standard. Every op used below has float32 *and* float64
  kernels in ONNX Runtime's CPU provider (checked one by one; ``tests/test_interop_onnx.py``
  runs every layer kind in both dtypes).
* **dtype**: the graph's dtype follows the network's (float32 or float64); where the library casts
  (a Dense, BatchNorm or LayerNorm layer of another dtype than its input), the graph has a
  ``Cast`` at the same place.
* one input ``input`` of shape ``(batch, n_in)`` and one output ``output`` of shape
  ``(batch, n_out)``; the batch size is free. Initialisers are named after the layer
  (``l0_dense.W``) and the architecture travels in the model's metadata
  (``backprop.architecture``, the JSON of :func:`backprop.io.describe`).

Layer by layer
--------------
========================  ==========================================================================
backprop layer            ONNX nodes
========================  ==========================================================================
Dense                     ``Gemm(x, W, b, transB=1)`` -- ``W`` keeps its ``(n_out, n_in)`` layout
Identity, Dropout         ``Identity`` (dropout does nothing at evaluation)
Sigmoid, Tanh, ReLU       ``Sigmoid``, ``Tanh``, ``Relu``
Softmax                   ``Softmax(axis=1)``
LeakyReLU                 ``Where(x > 0, x, slope * x)`` -- the library's own formula, with
                          the slope as a tensor of the graph's dtype (see below)
SiLU                      ``x * Sigmoid(x)``
GELU (tanh)               ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``, element-wise ops
GELU (exact)              ``x * 0.5 (1 + erf(x / sqrt 2))`` with ``erf`` **composed** (below)
Softplus                  ``Where(beta x > threshold, x, (max(beta x, 0) + log1p(exp(-|beta x|))) /
                          beta)`` -- torch's threshold rule; ``log1p`` composed (below)
BatchNorm                 ``gamma * (x - running_mean) / sqrt(running_var + eps) + beta``
                          (eval); without running statistics (``track_running_stats=False``) the
                          batch's own mean and biased variance from ``ReduceMean`` nodes, as the
                          layer does
LayerNorm                 two-pass mean and variance from ``ReduceMean``/``Sub``/``Mul`` nodes,
                          then ``gamma * xhat + beta``
========================  ==========================================================================

Composed ops, and why
---------------------
* **erf** (exact GELU). ONNX Runtime has no float64 kernel for ``Erf`` (nor for ``Gelu``), and
  casting to float32 around it would cost 9 digits. The graph computes erf as the library does
  (:func:`backprop.layers.activations.erf`): W. J. Cody's three rational approximations, each
  branch evaluated on the whole tensor (arguments clamped into the branch's interval so unused
  lanes stay finite) and chosen per element with ``Where``. The library computes erf in float64
  for float32 layers too; so does the graph (``Cast`` to double and back).
* **softplus**. ONNX Runtime's ``Softplus`` has no float64 kernel, and ONNX's op has no
  ``threshold`` (torch's and the library's switch to the identity above it). ONNX has no
  ``log1p`` either: ``log(1 + u)`` would lose all relative accuracy for small ``u``, so the graph
  uses Goldberg's exact rewrite ``log1p(u) = u log(w) / (w - 1)`` with ``w = 1 + u`` (and ``u``
  itself where ``w == 1``).
* **float attributes are float32**. ONNX stores an op's float attributes (``LeakyRelu``'s
  ``alpha``, ``BatchNormalization``'s and ``LayerNormalization``'s ``epsilon``) in 32 bits:
  a slope of 0.01 becomes 0.009999999776 and ``eps = 1e-5`` becomes 9.99999975e-06, errors of
  1e-9 and 1e-13 in a float64 graph (measured: ONNX Runtime's ``BatchNormalization`` differs
  from the library by 2e-13). The composed versions carry these numbers as tensors of the
  graph's dtype. ONNX Runtime's ``LayerNormalization`` is further off -- up to 1e-12 in float64
  and 1e-4 in float32 for inputs whose mean is large against their spread (it does not compute
  the variance in two passes) -- while the composed two-pass graph agrees to rounding. Graph
  optimisers fold batch norm's ``Sub``/``Mul``/``Add`` chain all the same.

A model's **input transform** (the standardisation ``backprop train`` learns and saves with the
model, ``net.input_transform``) becomes the graph's first two nodes, ``Div(Sub(input, mean),
scale)`` with the statistics as initialisers of the graph's dtype -- the library's own arithmetic
for inputs of the network's dtype -- so the exported graph, like the loaded model, takes raw
inputs.

Every registered layer kind has a translation (``EMITTERS``, one entry per kind; a test checks
that the table covers the registry). A network holding anything else -- a user's own layer
class -- raises ``TypeError`` naming the layer.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .._version import __version__
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
from ..layers import activations as _act
from ..layers.base import Layer
from ..layers.sequential import Sequential
from ._optional import require

OPSET = 17
IR_VERSION = 8
INPUT, OUTPUT = "input", "output"


class _Graph:
    """The nodes and initialisers of the graph being built, with fresh names for both."""

    def __init__(self, onnx: Any, dtype: np.dtype):
        self.onnx = onnx
        self.dtype = np.dtype(dtype)  # the dtype of the tensor flowing through, now
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._scalars: dict[tuple[str, float], str] = {}
        self._names: set[str] = {INPUT}

    def _fresh(self, hint: str) -> str:
        name, k = hint, 1
        while name in self._names:
            k += 1
            name = f"{hint}_{k}"
        self._names.add(name)
        return name

    def op(self, op_type: str, *inputs: str, name: str = "", **attrs: Any) -> str:
        """Append one node; return the name of its (single) output."""
        out = self._fresh(name or op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [out],
                                                     name=f"{out}_node", **attrs))
        return out

    def array(self, values: Any, name: str, dtype: Any = None) -> str:
        """An initialiser holding ``values`` (a copy, in ``dtype`` or the current dtype)."""
        arr = np.array(values, dtype=dtype or self.dtype)
        name = self._fresh(name)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def scalar(self, value: float, dtype: Any = None) -> str:
        """A 0-d constant, shared by every node that uses the same value and dtype."""
        dt = np.dtype(dtype or self.dtype)
        key = (dt.name, float(value))
        if key not in self._scalars:
            self._scalars[key] = self.array(value, f"c_{dt.name}_{float(value):.17g}", dt)
        return self._scalars[key]

    def cast(self, x: str, dtype: Any) -> str:
        """The flowing tensor ``x`` converted to ``dtype`` (no node when it already is)."""
        dt = np.dtype(dtype)
        if dt == self.dtype:
            return x
        self.dtype = dt
        return self.convert(x, dt)

    def convert(self, x: str, dtype: Any) -> str:
        """A ``Cast`` of ``x`` to ``dtype``, leaving the flowing dtype alone."""
        dt = np.dtype(dtype)
        return self.op("Cast", x, name=f"{x}_as_{dt.name}",
                       to=self.onnx.helper.np_dtype_to_tensor_dtype(dt))

    # element-wise arithmetic with Python numbers turned into constants of the current dtype
    def _operand(self, v: str | float) -> str:
        return v if isinstance(v, str) else self.scalar(v)

    def add(self, a: str | float, b: str | float) -> str:
        return self.op("Add", self._operand(a), self._operand(b))

    def sub(self, a: str | float, b: str | float) -> str:
        return self.op("Sub", self._operand(a), self._operand(b))

    def mul(self, a: str | float, b: str | float) -> str:
        return self.op("Mul", self._operand(a), self._operand(b))

    def div(self, a: str | float, b: str | float) -> str:
        return self.op("Div", self._operand(a), self._operand(b))

    def where(self, cond: str, a: str | float, b: str | float) -> str:
        return self.op("Where", cond, self._operand(a), self._operand(b))

    def compare(self, op_type: str, a: str, b: float) -> str:
        return self.op(op_type, a, self._operand(b))


# --- composed functions -------------------------------------------------------------------------
def _rational(g: _Graph, t: str, num: tuple[float, ...], den: tuple[float, ...]) -> str:
    """Cody's rational function in the nesting of :func:`backprop.layers.activations._rational`."""
    top = g.mul(num[-1], t)
    bottom = t
    for a, b in zip(num[:-2], den[:-1], strict=True):
        top = g.mul(g.add(top, a), t)
        bottom = g.mul(g.add(bottom, b), t)
    return g.div(g.add(top, num[-2]), g.add(bottom, den[-1]))


def _times_exp_minus_square(g: _Graph, y: str, erfc: str) -> str:
    """``exp(-y^2) * erfc`` with ``y^2`` split exactly, as the library does."""
    r = g.div(g.op("Floor", g.mul(y, 16.0)), 16.0)
    e1 = g.op("Exp", g.op("Neg", g.mul(r, r)))
    e2 = g.op("Exp", g.op("Neg", g.mul(g.sub(y, r), g.add(y, r))))
    return g.mul(g.mul(e1, e2), erfc)


def _erf(g: _Graph, x: str) -> str:
    """:func:`backprop.layers.activations.erf` as a float64 subgraph (three branches + Where)."""
    y = g.op("Abs", x)
    small = g.mul(x, _rational(g, g.mul(y, y), _act._ERF_A, _act._ERF_B))
    # 0.46875 < |x| <= 4, with y clamped into that interval so unused lanes stay finite
    ym = g.op("Min", g.op("Max", y, g.scalar(0.46875)), g.scalar(4.0))
    erfc_mid = _times_exp_minus_square(g, ym, _rational(g, ym, _act._ERFC_C, _act._ERFC_D))
    # |x| > 4
    yl = g.op("Max", y, g.scalar(4.0))
    inv = g.div(1.0, g.mul(yl, yl))
    erfc_large = g.div(g.sub(_act._INV_SQRT_PI, g.mul(inv, _rational(g, inv, _act._ERFC_P,
                                                                        _act._ERFC_Q))), yl)
    erfc_large = _times_exp_minus_square(g, yl, erfc_large)
    erfc = g.where(g.compare("Greater", y, 4.0), erfc_large, erfc_mid)
    one_minus = g.sub(1.0, erfc)  # >= 0: copysign(v, x) is -v for negative x
    signed = g.where(g.compare("Less", x, 0.0), g.op("Neg", one_minus), one_minus)
    return g.where(g.compare("LessOrEqual", y, 0.46875), small, signed)


def _log1p(g: _Graph, u: str) -> str:
    """``log(1 + u)`` to full relative accuracy (Goldberg): ``u log(w) / (w - 1)``, w = 1 + u."""
    w = g.add(1.0, u)
    d = g.sub(w, 1.0)
    return g.where(g.compare("Equal", d, 0.0), u, g.mul(u, g.div(g.op("Log", w), d)))


# --- one emitter per layer kind -----------------------------------------------------------------
Emitter = Callable[[_Graph, Any, str, str], str]


def _layer_dtype(g: _Graph, layer: Any, x: str) -> str:
    """Cast the input to the layer's dtype, as Dense/BatchNorm/LayerNorm's forward does."""
    return g.cast(x, layer.dtype)


def _dense(g: _Graph, layer: Dense, x: str, name: str) -> str:
    x = _layer_dtype(g, layer, x)
    inputs = [x, g.array(layer.W, f"{name}.W")]
    if layer.bias:
        inputs.append(g.array(layer.b, f"{name}.b"))
    return g.op("Gemm", *inputs, name=name, transB=1)


def _batchnorm(g: _Graph, layer: BatchNorm, x: str, name: str) -> str:
    x = _layer_dtype(g, layer, x)
    running_mean = getattr(layer, "running_mean", None)
    if getattr(layer, "track_running_stats", True) and running_mean is not None:
        # evaluation: (x - running_mean) / sqrt(running_var + eps), the layer's own arithmetic
        centred = g.sub(x, g.array(running_mean, f"{name}.running_mean"))
        var = g.array(layer.running_var, f"{name}.running_var")
        xhat = g.mul(centred, g.div(1.0, g.op("Sqrt", g.add(var, float(layer.eps)))))
    else:
        # no running statistics: the batch's own (biased) statistics, in evaluation mode too
        xhat = _normalize(g, x, axis=0, eps=layer.eps)
    if not getattr(layer, "affine", True):
        return xhat
    return g.add(g.mul(g.array(layer.gamma, f"{name}.gamma"), xhat),
                 g.array(layer.beta, f"{name}.beta"))


def _normalize(g: _Graph, x: str, *, axis: int, eps: float) -> str:
    """``(x - mean) / sqrt(var + eps)`` over ``axis``, mean and biased variance in two passes."""
    centred = g.sub(x, g.op("ReduceMean", x, axes=[axis], keepdims=1))
    var = g.op("ReduceMean", g.mul(centred, centred), axes=[axis], keepdims=1)
    inv_std = g.div(1.0, g.op("Sqrt", g.add(var, float(eps))))
    return g.mul(centred, inv_std)


def _layernorm(g: _Graph, layer: LayerNorm, x: str, name: str) -> str:
    x = _layer_dtype(g, layer, x)
    xhat = _normalize(g, x, axis=1, eps=layer.eps)
    if not layer.elementwise_affine:
        return xhat
    return g.add(g.mul(g.array(layer.gamma, f"{name}.gamma"), xhat),
                 g.array(layer.beta, f"{name}.beta"))


def _identity(g: _Graph, layer: Layer, x: str, name: str) -> str:
    return g.op("Identity", x, name=name)


def _simple(op_type: str, **attrs: Any) -> Emitter:
    def emit(g: _Graph, layer: Layer, x: str, name: str) -> str:
        return g.op(op_type, x, name=name, **attrs)

    return emit


def _leaky_relu(g: _Graph, layer: LeakyReLU, x: str, name: str) -> str:
    return g.where(g.compare("Greater", x, 0.0), x, g.mul(x, layer.negative_slope))


def _silu(g: _Graph, layer: SiLU, x: str, name: str) -> str:
    return g.mul(x, g.op("Sigmoid", x))


def _gelu(g: _Graph, layer: GELU, x: str, name: str) -> str:
    if layer.approximate == "tanh":
        u = g.mul(GELU._C, g.add(x, g.mul(GELU._K, g.mul(g.mul(x, x), x))))
        return g.mul(g.mul(0.5, x), g.add(1.0, g.op("Tanh", u)))
    dtype = g.dtype
    z = g.div(x, _act._SQRT2)
    if dtype != np.float64:  # the library computes erf, and x * cdf, in float64 for any input
        z, x = g.convert(z, np.float64), g.convert(x, np.float64)
        g.dtype = np.dtype(np.float64)
    y = g.mul(x, g.mul(0.5, g.add(1.0, _erf(g, z))))
    return g.cast(y, dtype)


def _softplus(g: _Graph, layer: Softplus, x: str, name: str) -> str:
    bx = g.mul(x, layer.beta)
    soft = g.div(g.add(g.op("Max", bx, g.scalar(0.0)),
                       _log1p(g, g.op("Exp", g.op("Neg", g.op("Abs", bx))))), layer.beta)
    return g.where(g.compare("Greater", bx, layer.threshold), x, soft)


#: the ONNX translation of every registered layer kind
EMITTERS: dict[type[Layer], Emitter] = {
    Dense: _dense,
    BatchNorm: _batchnorm,
    LayerNorm: _layernorm,
    Dropout: _identity,
    Identity: _identity,
    Sigmoid: _simple("Sigmoid"),
    Tanh: _simple("Tanh"),
    ReLU: _simple("Relu"),
    Softmax: _simple("Softmax", axis=1),
    LeakyReLU: _leaky_relu,
    SiLU: _silu,
    GELU: _gelu,
    Softplus: _softplus,
}


def check_exportable(net: Any) -> None:
    """Raise ``TypeError`` naming the first layer of ``net`` that has no ONNX translation."""
    if not isinstance(net, Sequential):
        raise TypeError(f"to_onnx expects a backprop Sequential network, got "
                        f"{type(net).__name__}")
    for i, layer in enumerate(net.layers):
        if type(layer) not in EMITTERS:
            known = ", ".join(sorted(c.__name__ for c in EMITTERS))
            raise TypeError(f"layer {i} ({layer.label()}) cannot be exported to ONNX: no "
                            f"translation for {type(layer).__name__} (supported: {known})")


def network_dtype(net: Sequential) -> np.dtype:
    """The dtype the network's first dtype-bearing layer computes in (float64 when none does)."""
    for layer in net.layers:
        if getattr(layer, "dtype", None) is not None:
            return np.dtype(layer.dtype)
    return np.dtype(np.float64)


def onnx_model(net: Sequential) -> Any:
    """The ONNX ``ModelProto`` computing ``net`` in evaluation mode, checked by ``onnx.checker``.

    Parameters
    ----------
    net : Sequential
        Layers of the kinds listed in the module docstring, float32 or float64.

    Returns
    -------
    onnx.ModelProto

    Raises
    ------
    TypeError
        For a layer without an ONNX translation (named), or something that is not a network.
    ImportError
        When the ``onnx`` package is missing (with the pip command).
    """
    check_exportable(net)
    onnx = require("onnx", "bp.to_onnx")
    from ..io import describe

    dtype = network_dtype(net)
    g = _Graph(onnx, dtype)
    x = INPUT
    transform = getattr(net, "input_transform", None)
    if transform is not None:  # as Standardizer.transform does for inputs of this dtype
        x = g.op("Sub", x, g.array(transform.mean_, "input_mean"), name="standardize_sub")
        x = g.op("Div", x, g.array(transform.scale_, "input_scale"), name="standardize")
    for i, layer in enumerate(net.layers):
        x = EMITTERS[type(layer)](g, layer, x, f"l{i}_{layer.name}")
    if x == INPUT:  # no node at all (an empty network): the output is a copy of the input
        x = g.op("Identity", x)
    # the last node's output becomes the graph's output
    for node in g.nodes:
        node.output[:] = [OUTPUT if o == x else o for o in node.output]
        node.input[:] = [OUTPUT if i == x else i for i in node.input]
    elem = onnx.helper.np_dtype_to_tensor_dtype
    graph = onnx.helper.make_graph(
        g.nodes, "backprop_network",
        [onnx.helper.make_tensor_value_info(INPUT, elem(dtype), ["batch", net.input_width
                                                                 or "n_in"])],
        [onnx.helper.make_tensor_value_info(OUTPUT, elem(g.dtype),
                                            ["batch", net.output_width() or "n_out"])],
        initializer=g.initializers)
    model = onnx.helper.make_model(graph, producer_name="backprop", producer_version=__version__,
                                   opset_imports=[onnx.helper.make_opsetid("", OPSET)],
                                   doc_string=net.label())
    model.ir_version = IR_VERSION
    onnx.helper.set_model_props(model, {"backprop.architecture": json.dumps(describe(net))})
    onnx.checker.check_model(model, full_check=True)
    return model


def to_onnx(net: Sequential, path: str | os.PathLike) -> Path:
    """Write ``net`` as an ONNX model (evaluation mode) to ``path``, atomically.

    The graph's dtype is the network's; see the module docstring for each layer's translation.
    ONNX Runtime reproduces the library's outputs to 1e-6 (float32) and 1e-12 (float64)
    (``tests/test_interop_onnx.py``; :func:`~backprop.interop.verify_onnx` measures it for a
    network and a file, ``backprop export --verify`` for a saved model).

    Parameters
    ----------
    net : Sequential
    path : str or Path
        Destination, conventionally ``*.onnx``; its folder must exist.

    Returns
    -------
    Path

    Examples
    --------
    >>> import backprop as bp
    >>> net = bp.mlp([4, 8, 3], activation="gelu", rng=0)
    >>> bp.to_onnx(net, "net.onnx")  # doctest: +SKIP
    PosixPath('net.onnx')
    """
    from ..io import atomic_write_bytes

    data = onnx_model(net).SerializeToString()
    atomic_write_bytes(path, lambda fh: fh.write(data))
    return Path(path)
