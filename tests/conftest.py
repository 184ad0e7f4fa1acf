"""Helpers shared by the whole suite, defined once and handed to tests as fixtures.

* ``tol`` -- the tolerances (float64 parity with PyTorch is held to a relative 1e-12);
* ``rel_err`` -- the norm-wise relative error the parity tests compare with;
* ``torch`` -- PyTorch with one thread (the test is skipped, saying why, without it);
* ``torch_twin`` -- a backprop layer (or Sequential) -> the torch module computing the same
  function with copies of the same numbers (:data:`TORCH_TWINS`, one builder per registry name);
* ``run_cli`` -- ``run_cli(*argv) -> (exit status, stdout, stderr)`` of ``backprop.cli.main``;
* ``assert_png`` -- a file (or bytes) is a PNG of plausible size;
* ``article_spec`` -- the article's 2-2-1 network, read from ``examples/article.json``.

The table of test cases is ``tests/cases.py``; no test file imports another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import backprop as bp

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- tolerances -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Tolerances:
    #: float64 against PyTorch (one layer, one loss, N optimiser steps, a schedule, a network):
    #: the same formulas in the same precision differ by rounding only
    parity64: float = 1e-12
    #: float32 against PyTorch
    parity32: float = 1e-5
    #: analytic against finite-difference gradients (``bp.gradcheck``'s default tolerance)
    gradcheck: float = 1e-7


TOL = Tolerances()


@pytest.fixture(scope="session")
def tol() -> Tolerances:
    return TOL


def rel_err(a: Any, b: Any) -> float:
    """``|a - b| / max(|a|, |b|)`` with Frobenius norms: robust to single entries near 0."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"shapes differ: {a.shape} vs {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


@pytest.fixture(name="rel_err", scope="session")
def rel_err_fixture() -> Callable[[Any, Any], float]:
    return rel_err


# --- torch and the torch twins of backprop layers -------------------------------------------------
@pytest.fixture(scope="session")
def torch() -> Any:
    """PyTorch, limited to one thread: its threads stall next to NumPy's on small machines."""
    module = pytest.importorskip(
        "torch", reason="the PyTorch reference is in the dev extra (pip install -e '.[dev]')")
    module.set_num_threads(1)
    return module


def make_torch_twin(torch: Any, layer: bp.Layer) -> Any:
    """The torch module computing the same function as ``layer`` (a Sequential becomes a
    ``torch.nn.Sequential``), holding copies of its numbers, in the same training mode.

    Built by the library's own converter's table (``backprop.interop.pytorch.TO_TORCH``, one
    builder per registered layer kind, which the interop tests check is complete): it only maps
    the constructor arguments; what is compared is torch's arithmetic against ours."""
    from backprop.interop.pytorch import TO_TORCH

    if isinstance(layer, bp.layers.Sequential):
        mod = torch.nn.Sequential(*[make_torch_twin(torch, item) for item in layer])
    else:
        try:
            build = TO_TORCH[type(layer)]
        except KeyError:
            raise KeyError(f"no torch counterpart for {layer.label()} ({layer.name!r}): add a "
                           f"builder to TO_TORCH in backprop/interop/pytorch.py") from None
        mod = build(torch, layer)
    return mod.train(layer.training)


@pytest.fixture(scope="session")
def torch_twin(torch: Any) -> Callable[[bp.Layer], Any]:
    return lambda layer: make_torch_twin(torch, layer)


# --- the command line, PNG files, the article's network -------------------------------------------
@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """``run_cli(*argv) -> (exit status, stdout, stderr)`` of ``backprop.cli.main(argv)``."""
    from backprop.cli import main

    def run(*argv: Any) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def check_png(data: bytes | str | Path, min_size: int = 1000) -> bytes:
    """Assert that ``data`` (or the file it names) is a PNG of plausible size; returns the
    bytes."""
    if not isinstance(data, bytes):
        data = Path(data).read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"not a PNG: starts with {data[:8]!r}"
    assert len(data) >= min_size, f"a PNG of only {len(data)} bytes"
    return data


@pytest.fixture(scope="session")
def assert_png() -> Callable[..., bytes]:
    return check_png


@pytest.fixture
def article_spec() -> Any:
    """The article's 2-2-1 sigmoid network, input, target, loss and learning rate (a fresh
    :class:`backprop.Spec` for every test, so a test may train its network)."""
    return bp.load_spec(ROOT / "examples" / "article.json")
