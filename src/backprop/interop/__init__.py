"""Interoperability: ONNX export, verified against ONNX Runtime.

``import backprop.interop`` is cheap: ``onnx`` and ``onnxruntime`` are imported only
when a function needs them, and a missing one raises ``ImportError`` with the pip command
(``pip install 'backprop[onnx]'``).

Modules, each named after its job (none is named like a package it imports):

* :mod:`~backprop.interop.onnx_export` -- :func:`to_onnx`, :func:`onnx_model`;
* :mod:`~backprop.interop.verify` -- the measure and the tolerances an export is checked with.
"""

from .onnx_export import onnx_model, to_onnx
from .verify import TOLERANCE, Comparison, verify_onnx

__all__ = ["TOLERANCE", "Comparison", "onnx_model", "to_onnx", "verify_onnx"]
