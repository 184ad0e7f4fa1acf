"""The optional compiled kernels: ``backprop._kernels``, a small C extension, or ``None``.

The extension (``src/backprop/_kernels.c``) is built at install time when a C compiler is
available, twice (baseline and AVX2; the CPU picks at load time). It holds the few loops where
NumPy would make many passes over memory: the whole Adam/AdamW step, Adam's direction, an axpy
and softmax cross-entropy with its gradient. Every caller has a NumPy path with the same
arithmetic, used when :data:`kernels` is ``None`` -- no compiler at install time, or the
environment variable ``BACKPROP_PURE_NUMPY=1``.

That both paths compute the same numbers is tested in ``tests/test_fast_paths.py``: the Adam
kernel against the NumPy arithmetic, whole trainings with and without the kernels, the fused
softmax cross-entropy against NumPy, and the kernels' refusal of mismatched arrays.
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
