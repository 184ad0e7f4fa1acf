"""Optional packages, imported on first use with an error that says how to install them."""

from __future__ import annotations

import importlib
from types import ModuleType

#: import name -> (the distribution pip installs, the backprop extra that brings it)
PACKAGES = {
    "onnx": ("onnx", "onnx"),
    "onnxruntime": ("onnxruntime", "onnx"),
    "torch": ("torch==2.13.0", "torch"),
}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (one of :data:`PACKAGES`) or raise an ImportError naming the pip command.

    Parameters
    ----------
    module : str
        ``"onnx"``, ``"onnxruntime"`` or ``"torch"``.
    purpose : str
        What needs it, for the message (``"bp.to_onnx"``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        dist, extra = PACKAGES[module]
        raise ImportError(f"{purpose} needs the optional package {module!r}, which is not "
                          f"installed; install it with: pip install 'backprop[{extra}]' "
                          f"(or: pip install '{dist}')") from exc


def torch_dtype(torch: ModuleType, dtype: object) -> object:
    """The torch dtype of a NumPy float32/float64 dtype."""
    import numpy as np

    return {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}[
        np.dtype(dtype)]
