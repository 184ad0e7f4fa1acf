"""Access to the optional compiled kernels (``backprop._kernels``).

The C extension is built at install time when a compiler is available. Set the environment
variable ``BACKPROP_PURE_NUMPY=1`` to ignore it; both paths compute the same arithmetic
(see ``tests/test_kernels.py``).
"""

from __future__ import annotations

import os
from types import ModuleType

kernels: ModuleType | None
if os.environ.get("BACKPROP_PURE_NUMPY", "") not in ("", "0"):
    kernels = None
else:
    try:
        from . import _kernels as kernels
    except ImportError:  # no compiler at install time: the NumPy code path is used
        kernels = None


def available() -> bool:
    """Whether the compiled kernels are in use."""
    return kernels is not None
