r"""How closely an exported model reproduces the library: the measure and the tolerances.

For outputs ``a`` (the other runtime's) and ``b`` (the library's) on the same inputs:

.. math::
    \text{abs} = \max_{ij} |a_{ij} - b_{ij}|, \qquad
    \text{rel} = \frac{\text{abs}}{\max_{ij} |b_{ij}|}

and the export is accepted when :math:`\min(\text{abs}, \text{rel}) \le \text{tol}` -- that is,
:math:`\text{abs} \le \text{tol} \cdot \max(1, \max|b|)`: within ``tol`` absolutely for outputs
of magnitude up to 1 (probabilities), relative to the output's scale beyond. A relative measure
per element would be meaningless where an output is near 0, and a purely absolute one would
punish networks with large outputs for rounding alone.

``tol`` is :data:`TOLERANCE` of the model's dtype: 1e-6 for float32 (a few units in the last
place of float32, whose epsilon is 1.2e-7: two libraries summing the same products in another
order differ by that much) and 1e-12 for float64.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._optional import require

#: accepted difference (see the module docstring) by dtype name
TOLERANCE = {"float32": 1e-6, "float64": 1e-12}


@dataclass(frozen=True)
class Comparison:
    """The measured difference between two runs of the same model.

    Attributes
    ----------
    max_abs, max_rel : float
        As defined in the module docstring.
    tolerance : float
    dtype : str
    n_samples : int
    """

    max_abs: float
    max_rel: float
    tolerance: float
    dtype: str
    n_samples: int

    @property
    def ok(self) -> bool:
        """True when ``min(max_abs, max_rel) <= tolerance`` (NaN never passes)."""
        return bool(min(self.max_abs, self.max_rel) <= self.tolerance)

    def __str__(self) -> str:
        verdict = "OK" if self.ok else "FAILED"
        return (f"{verdict}: max absolute difference {self.max_abs:.3g}, max relative "
                f"difference {self.max_rel:.3g} on {self.n_samples} random inputs (tolerance "
                f"{self.tolerance:g}, {self.dtype})")


def compare(actual: Any, expected: Any, dtype: Any) -> Comparison:
    """Measure ``actual`` (another runtime's outputs) against ``expected`` (the library's)."""
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"outputs have shape {a.shape}, expected {b.shape}")
    diff = np.abs(a - b)
    max_abs = float(diff.max()) if diff.size else 0.0
    if diff.size and not np.all(np.isfinite(diff)):
        max_abs = float("nan")
    scale = float(np.abs(b).max()) if b.size else 0.0
    max_rel = max_abs / scale if scale > 0 else (0.0 if max_abs == 0 else float("inf"))
    name = np.dtype(dtype).name
    return Comparison(max_abs, max_rel, TOLERANCE[name], name, int(b.shape[0]) if b.ndim else 1)


def random_inputs(net: Any, n: int = 1000, *, seed: int = 0) -> np.ndarray:
    """``n`` standard-normal rows of the network's input width, in its dtype (for a model that
    standardises its inputs, rows that are standard-normal after its standardisation)."""
    from .onnx_export import network_dtype

    width = net.input_width
    if width is None:
        raise ValueError("the network does not fix its input width (no Dense or normalisation "
                         "layer), so there is no width to draw inputs of")
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, width))
    transform = getattr(net, "input_transform", None)
    if transform is not None:  # raw inputs around the training data: mean + scale * N(0, 1)
        Z = transform.inverse_transform(Z)
    return Z.astype(network_dtype(net))


def library_outputs(net: Any, X: np.ndarray) -> np.ndarray:
    """The network's evaluation-mode outputs (the network's own mode is restored), its input
    transform applied first when it has one."""
    modes = [net.training] + [layer.training for layer in net.layers]
    transform = getattr(net, "input_transform", None)
    if transform is not None:
        X = transform.transform(X)
    net.eval()
    try:
        return np.array(net.forward(X), copy=True)
    finally:
        net.training = modes[0]
        for layer, mode in zip(net.layers, modes[1:], strict=True):
            layer.train(mode)


def onnxruntime_outputs(model: str | os.PathLike | bytes, X: np.ndarray) -> np.ndarray:
    """Run an ONNX model (a path or serialised bytes) on ``X`` with ONNX Runtime's CPU
    provider, graph optimisations included, as a deployment would."""
    ort = require("onnxruntime", "running an ONNX model")
    source = model if isinstance(model, bytes) else os.fspath(model)
    options = ort.SessionOptions()
    options.log_severity_level = 3  # warnings about unused initialisers are not ours to show
    session = ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: X})[0]


def verify_onnx(net: Any, path: str | os.PathLike, *, n: int = 1000,
                seed: int = 0) -> Comparison:
    """Compare ONNX Runtime running the file ``path`` with ``net`` on ``n`` random inputs."""
    X = random_inputs(net, n, seed=seed)
    return compare(onnxruntime_outputs(path, X), library_outputs(net, X), X.dtype)


def verify_torch(net: Any, path: str | os.PathLike, *, n: int = 1000,
                 seed: int = 0) -> Comparison:
    """Load the torch file ``path`` back (:func:`~backprop.interop.torch_files.load_torch`) and
    compare it, in evaluation mode, with ``net`` on ``n`` random inputs."""
    from . import torch_files

    torch = require("torch", "verifying a torch export")
    module = torch_files.load_torch(path).eval()
    X = random_inputs(net, n, seed=seed)
    with torch.no_grad():
        out = module(torch.from_numpy(X)).numpy()
    return compare(out, library_outputs(net, X), X.dtype)
