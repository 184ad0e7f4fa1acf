"""Optional packages, imported on first use with an error that says how to install them."""

from __future__ import annotations

import importlib
from types import ModuleType

#: import name -> (the distribution pip installs, the backprop extra that brings it)
PACKAGES = {
    "onnx": ("onnx", "onnx"),
    "onnxruntime": ("onnxruntime", "onnx"),
}


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` (one of :data:`PACKAGES`) or raise an ImportError naming the pip command.

    Parameters
    ----------
    module : str
        ``"onnx"`` or ``"onnxruntime"``.
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

