r"""Gradient checking: backprop's gradients against central finite differences.

For every scalar parameter :math:`\theta_i` the numerical derivative is the five-point central
difference (``h`` = ``eps``)

.. math::
    \hat g_i = \frac{-J(\theta + 2h e_i) + 8J(\theta + h e_i) - 8J(\theta - h e_i)
                     + J(\theta - 2h e_i)}{12h}

whose truncation error is :math:`O(h^4)`: with ``h = 1e-3`` both truncation (~1e-12) and rounding
(~1e-13) stay far below the 1e-7 tolerance, which the plain two-point difference
(:math:`O(h^2)`) cannot promise for small gradients. ``method="central"`` uses the two-point form.
The numerical gradient is compared with the analytic gradient :math:`g_i` from
``backward`` by the relative error

.. math:: r_i = \frac{|g_i - \hat g_i|}{\max(|g_i|, |\hat g_i|, \text{floor})}

where ``floor`` (default 1e-5) keeps gradients that are both ~0 from dividing by zero. The
finite difference itself cannot be more precise than float64 rounding of the cost,
about :math:`1.5\,\epsilon_{mach} |J| / h \approx 3\times10^{-13}` for :math:`|J| \approx 1`; so
gradients smaller than ``floor`` are in effect checked absolutely (to ``tolerance * floor`` =
1e-12), larger ones relatively. The check
runs in float64 on a copy of the network (the caller's network is untouched), so float32 networks
can be checked too. ReLU-like kinks: a coordinate whose finite-difference stencil crosses a kink
gives a meaningless number; :func:`gradcheck` watches the sign pattern of the inputs of every
ReLU/LeakyReLU layer of a :class:`~backprop.Sequential` and reports coordinates whose perturbation
flips a unit as ``kinks`` instead of failing on them.

This module only *observes* layers through their public ``forward``/``backward``; it works on any
user layer that follows the contract.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .layers.base import Layer
from .losses import Loss


@dataclass
class ParamCheck:
    """Result for one parameter array."""

    name: str
    shape: tuple[int, ...]
    max_rel_error: float
    max_abs_error: float
    worst_index: tuple[int, ...]
    analytic: float
    numeric: float
    kinks: int = 0


@dataclass
class GradcheckReport:
    """Worst relative error per parameter (and for the input, if checked).

    Attributes
    ----------
    params : list of ParamCheck
    tolerance : float
        ``ok`` is True when every ``max_rel_error`` is below it.
    """

    params: list[ParamCheck] = field(default_factory=list)
    tolerance: float = 1e-7

    @property
    def worst(self) -> dict[str, float]:
        return {p.name: p.max_rel_error for p in self.params}

    @property
    def max_rel_error(self) -> float:
        return max((p.max_rel_error for p in self.params), default=0.0)

    @property
    def ok(self) -> bool:
        return self.max_rel_error < self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "tolerance": self.tolerance,
            "max_rel_error": self.max_rel_error,
            "params": [
                {"name": p.name, "shape": list(p.shape), "max_rel_error": p.max_rel_error,
                 "max_abs_error": p.max_abs_error, "worst_index": list(p.worst_index),
                 "analytic": p.analytic, "numeric": p.numeric, "kinks": p.kinks}
                for p in self.params
            ],
        }

    def __str__(self) -> str:
        rows = [f"{'parameter':<12} {'shape':<10} {'max rel. error':>15} {'backprop':>14} "
                f"{'numeric':>14}"]
        for p in self.params:
            shape = "x".join(str(s) for s in p.shape) or "()"
            kink = f"  ({p.kinks} kink(s) skipped)" if p.kinks else ""
            rows.append(f"{p.name:<12} {shape:<10} {p.max_rel_error:>15.3e} {p.analytic:>14.6e} "
                        f"{p.numeric:>14.6e}{kink}")
        verdict = "PASS" if self.ok else "FAIL"
        rows.append(f"{verdict}: worst relative error {self.max_rel_error:.3e} "
                    f"(tolerance {self.tolerance:g})")
        return "\n".join(rows)


def _to_float64(net: Layer) -> Layer:
    """A deep copy of ``net`` whose every float array is float64."""
    net64 = copy.deepcopy(net)

    def convert(obj: Any, seen: set[int]) -> None:
        if id(obj) in seen:
            return
        seen.add(id(obj))
        if isinstance(obj, Layer):
            for key, value in vars(obj).items():
                if isinstance(value, np.ndarray) and value.dtype == np.float32:
                    setattr(obj, key, value.astype(np.float64))
                elif isinstance(value, np.dtype) and value == np.float32:
                    setattr(obj, key, np.dtype(np.float64))
                elif isinstance(value, (Layer, list, tuple)):
                    convert(value, seen)
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                convert(item, seen)

    convert(net64, set())
    return net64


class _KinkWatcher:
    """Records on which side of its kinks every input of a kinked layer lies (an activation's
    ``kinks``: ReLU's 0), to spot finite-difference stencils that cross one."""

    def __init__(self, net: Layer):
        self.patterns: list[bytes] = []
        add_hook = getattr(net, "add_hook", None)
        self._handle = add_hook(self._hook) if add_hook is not None else None

    def _hook(self, phase: str, index: int, layer: Layer, inp: np.ndarray, out: Any) -> None:
        kinks = getattr(layer, "kinks", ())
        if phase == "forward" and kinks:
            for k in kinks:
                self.patterns.append(np.packbits(inp > k).tobytes())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.remove()


class _Elements:
    """An array's elements by their position in index (C) order, read and written in place
    whatever the array's memory order (``reshape(-1)`` of a Fortran-ordered array would copy)."""

    def __init__(self, array: np.ndarray):
        self.array = array

    def __getitem__(self, i: int) -> Any:
        return self.array[np.unravel_index(i, self.array.shape)]

    def __setitem__(self, i: int, value: Any) -> None:
        self.array[np.unravel_index(i, self.array.shape)] = value


def numerical_gradient(f: Any, x: np.ndarray, *, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f()`` w.r.t. array ``x`` (in place).

    ``x`` is perturbed element by element and restored; ``f`` takes no arguments and must read
    ``x`` (e.g. a closure over a layer's weights).
    """
    grad = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):  # by index: x may lie in memory in either order
        old = x[i]
        x[i] = old + eps
        f_plus = f()
        x[i] = old - eps
        f_minus = f()
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def gradcheck(net: Layer, loss: Loss, X: Any, y: Any, *, eps: float = 1e-3,
              tolerance: float = 1e-7, floor: float = 1e-5, check_input: bool = False,
              train_mode: bool = True, method: str = "five-point",
              masks: Mapping[int, Any] | None = None) -> GradcheckReport:
    """Compare every parameter's backprop gradient with central finite differences.

    Parameters
    ----------
    net : Layer
        Any layer or :class:`~backprop.Sequential` following the forward/backward contract. It is
        copied and converted to float64; the original is not modified.
    loss : Loss
        The cost whose gradient is checked.
    X : array-like of shape (m, n_in)
    y : array-like
        Targets in the form ``loss`` accepts.
    eps : float, default 1e-3
        Finite-difference step ``h`` (use about 1e-6 with ``method="central"``).
    tolerance : float, default 1e-7
        Pass/fail threshold on the worst relative error.
    floor : float, default 1e-5
        Denominator floor in the relative error (gradients smaller than this are compared
        absolutely).
    check_input : bool, default False
        Also check ``dJ/dX`` (reported as ``"input"``).
    train_mode : bool, default True
        Check in training mode (batch norm uses batch statistics). Dropout is random: fix its
        masks (``masks``), put dropout layers in eval mode, or expect failures.
    method : {"five-point", "central"}
        Finite-difference stencil.
    masks : mapping of int to array-like, optional
        A fixed keep-mask (``(m, n)`` of 0 / 1) for the ``Dropout`` at a network position,
        given to it (:meth:`~backprop.layers.Dropout.set_mask`) before every evaluation of the
        cost, so that every evaluation differentiates the same function.

    Returns
    -------
    GradcheckReport
        ``report.worst`` maps parameter names to their worst relative error; ``report.ok``.
    """
    if method not in ("five-point", "central"):
        raise ValueError(f"method must be 'five-point' or 'central', got {method!r}")
    five_point = method == "five-point"
    from ._checks import check_non_negative, check_positive
    from .losses import resolve_loss

    # eps = 0 would divide by zero; NaN or a negative tolerance would pass or fail everything
    eps = check_positive("eps", eps)
    tolerance = check_non_negative("tolerance", tolerance)
    floor = check_non_negative("floor", floor)

    loss = resolve_loss(loss)  # a Loss or a registered name
    net64 = _to_float64(net)
    net64.train(train_mode)
    X64 = np.array(X, dtype=np.float64)
    if X64.ndim != 2:
        raise ValueError(f"X must have shape (m, n_features), got {X64.shape}")
    y_arr = np.asarray(y)
    y64 = y_arr if np.issubdtype(y_arr.dtype, np.integer) else y_arr.astype(np.float64)

    layers = getattr(net64, "layers", [net64])
    masks = dict(masks or {})
    for position in masks:
        if not (isinstance(position, int) and 0 <= position < len(layers)
                and hasattr(layers[position], "set_mask")):
            raise ValueError(f"a mask is given for network position {position!r}, which is not "
                             f"a Dropout layer")

    watcher = _KinkWatcher(net64)

    def cost() -> float:
        watcher.patterns = []
        for position, mask in masks.items():
            layers[position].set_mask(mask)  # used by the next forward only
        return loss.forward(net64.forward(X64), y64)

    cost()
    dX = net64.backward(loss.backward())
    targets: list[tuple[str, np.ndarray, np.ndarray]] = []
    for p in net64.parameters():
        targets.append((p.name, p.data, np.array(p.grad, dtype=np.float64)))
    if check_input:
        targets.append(("input", X64, np.array(dX, dtype=np.float64)))

    report = GradcheckReport(tolerance=tolerance)
    for name, array, analytic in targets:
        # element by element in index order (a parameter may lie in memory in either order;
        # a flat view of it would not follow the analytic gradient's order)
        flat = _Elements(array)
        numeric = np.zeros(array.size)
        kink = np.zeros(array.size, dtype=bool)
        cost()
        reference = watcher.patterns
        for i in range(array.size):
            crossed = False
            old = flat[i]
            flat[i] = old + eps
            j_plus = cost()
            crossed |= watcher.patterns != reference
            flat[i] = old - eps
            j_minus = cost()
            crossed |= watcher.patterns != reference
            if five_point:
                flat[i] = old + 2 * eps
                j_plus2 = cost()
                crossed |= watcher.patterns != reference
                flat[i] = old - 2 * eps
                j_minus2 = cost()
                crossed |= watcher.patterns != reference
                numeric[i] = (-j_plus2 + 8 * j_plus - 8 * j_minus + j_minus2) / (12.0 * eps)
            else:
                numeric[i] = (j_plus - j_minus) / (2.0 * eps)
            flat[i] = old
            kink[i] = crossed
        a = analytic.reshape(-1)
        abs_err = np.abs(a - numeric)
        rel_err = abs_err / np.maximum(np.maximum(np.abs(a), np.abs(numeric)), floor)
        rel_err[kink] = 0.0
        abs_err = np.where(kink, 0.0, abs_err)
        worst = int(np.argmax(rel_err)) if rel_err.size else 0
        report.params.append(ParamCheck(
            name=name, shape=tuple(array.shape), max_rel_error=float(rel_err.max(initial=0.0)),
            max_abs_error=float(abs_err.max(initial=0.0)),
            worst_index=tuple(int(i) for i in np.unravel_index(worst, array.shape)),
            analytic=float(a[worst]) if a.size else 0.0,
            numeric=float(numeric[worst]) if a.size else 0.0, kinks=int(kink.sum()),
        ))
    watcher.close()
    return report
