"""Interoperability: ONNX export, PyTorch modules and optimiser state both ways.

``import backprop.interop`` is cheap: ``onnx``, ``onnxruntime`` and ``torch`` are imported only
when a function needs them, and a missing one raises ``ImportError`` with the pip command
(``pip install 'backprop[onnx]'`` / ``'backprop[torch]'``).

Modules, each named after its job (none is named like a package it imports):

* :mod:`~backprop.interop.onnx_export` -- :func:`to_onnx`, :func:`onnx_model`;
* :mod:`~backprop.interop.pytorch` -- :func:`to_torch`, :func:`from_torch`;
* :mod:`~backprop.interop.torch_files` -- :func:`save_torch`, :func:`load_torch`: a state dict
  plus its architecture as JSON, loaded without pickle risk;
* :mod:`~backprop.interop.optim_state` -- :func:`optimizer_to_torch`,
  :func:`optimizer_from_torch`;
* :mod:`~backprop.interop.verify` -- the tolerances and the measured differences that
  ``backprop export --verify`` prints.
"""

from .onnx_export import onnx_model, to_onnx
from .optim_state import optimizer_from_torch, optimizer_to_torch
from .pytorch import from_torch, to_torch
from .torch_files import load_torch, save_torch
from .verify import TOLERANCE, Comparison, verify_onnx, verify_torch

__all__ = ["TOLERANCE", "Comparison", "from_torch", "load_torch", "onnx_model",
           "optimizer_from_torch", "optimizer_to_torch", "save_torch", "to_onnx", "to_torch",
           "verify_onnx", "verify_torch"]
