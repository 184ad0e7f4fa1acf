"""Build hook for the optional C kernels; all metadata lives in pyproject.toml.

``-ffp-contract=off``: no fused multiply-add, so the kernels round every product and sum as
NumPy does and give its numbers.

The extension is ``optional``: without a C compiler the package installs and runs on its NumPy
code path (same results, slower optimiser steps at small batch sizes).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "backprop._kernels",
            sources=["src/backprop/_kernels.c"],
            extra_compile_args=["-O3", "-fno-math-errno", "-ffp-contract=off"],
            optional=True,
        )
    ]
)
