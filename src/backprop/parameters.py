"""Trainable parameters and the flat buffers that hold them -- the bottom of the engine.

Layers own parameters (:class:`Parameter`), optimisers and clipping update them; both import
this module and nothing of each other, so an optimiser never needs the layers package.

One contiguous buffer for all parameters, one for all gradients
---------------------------------------------------------------
:class:`~backprop.Sequential` moves its parameters into a single 1-D ``data`` array and their
gradients into a single 1-D ``grad`` array, and rebinds every layer attribute (``dense.W``,
``dense.dW``, ...) to a view of the right slice. Layers do not notice: they keep reading and
writing ``self.W`` and write gradients in place (``np.matmul(..., out=self.dW)``). Optimisers
notice: when their parameters form one contiguous run of such a buffer they update it with a
handful of whole-vector operations instead of a loop over arrays -- the difference that matters
at small batch sizes, where the per-array Python and temporary-array overhead of an optimiser step
costs as much as the matrix products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


class Parameter:
    """A trainable array living on a layer, together with its gradient.

    The arrays stay attributes of the layer (``dense.W`` / ``dense.dW``); a ``Parameter`` is a
    named handle on them, so an optimiser can update ``p.data`` in place after ``backward`` has
    written ``p.grad``. Assigning ``p.data = new_array`` rebinds the layer's attribute.

    Parameters
    ----------
    owner : object
        The object holding the arrays (a layer).
    attr, grad_attr : str
        Attribute names of the value and of its gradient (``"W"``, ``"dW"``).
    decay : bool
        Whether weight decay applies by default (False for biases and batch-norm parameters).
    """

    __slots__ = ("owner", "attr", "grad_attr", "name", "decay")

    def __init__(self, owner: Any, attr: str, grad_attr: str, *, decay: bool = True):
        self.owner = owner
        self.attr = attr
        self.grad_attr = grad_attr
        self.name = attr
        self.decay = decay

    @property
    def data(self) -> np.ndarray:
        return getattr(self.owner, self.attr)

    @data.setter
    def data(self, value: np.ndarray) -> None:
        setattr(self.owner, self.attr, value)

    @property
    def grad(self) -> np.ndarray:
        return getattr(self.owner, self.grad_attr)

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        setattr(self.owner, self.grad_attr, value)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def size(self) -> int:
        return int(self.data.size)

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, shape={self.shape}, dtype={self.data.dtype})"


@dataclass(frozen=True)
class FlatLayout:
    """Where each parameter lives inside a flat buffer."""

    offsets: tuple[int, ...]
    shapes: tuple[tuple[int, ...], ...]
    size: int
    dtype: np.dtype
    #: each parameter's memory order, ``"C"`` or ``"F"`` (a Dense layer's W lies transposed)
    orders: tuple[str, ...]

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """Views of ``flat`` with each parameter's shape and memory order."""
        return [flat[o:o + int(np.prod(s, dtype=np.int64))].reshape(s, order=r)
                for o, s, r in zip(self.offsets, self.shapes, self.orders, strict=True)]


def _address(a: np.ndarray) -> int:
    return a.__array_interface__["data"][0]


def _order(a: np.ndarray) -> str | None:
    """``"C"`` or ``"F"``: the order ``a`` lies contiguous in memory (None: it does not)."""
    if a.flags.c_contiguous:
        return "C"
    return "F" if a.flags.f_contiguous else None


def _owns(a: np.ndarray) -> bool:
    return a.base is None and (a.flags.c_contiguous or a.flags.f_contiguous)


def flatten_parameters(params: Sequence[Parameter]) -> FlatLayout | None:
    """Move ``params`` (values and gradients) into two contiguous buffers, in order.

    Only done when every parameter owns its arrays (none is already a view of another buffer,
    e.g. shared with another network) and all share one dtype; otherwise nothing changes and
    ``None`` is returned. Values are copied, so the numbers are untouched; each parameter keeps
    its memory order (row-major, or Fortran order as a Dense layer's W has), and its gradient
    takes the same.
    """
    params = list(params)
    if not params:
        return None
    dtype = params[0].data.dtype
    for p in params:
        if p.data.dtype != dtype or p.grad.dtype != dtype or p.grad.shape != p.data.shape:
            return None
        if not (_owns(p.data) and _owns(p.grad)):
            return None
    sizes = [p.size for p in params]
    offsets = tuple(int(o) for o in np.cumsum([0, *sizes[:-1]]))
    layout = FlatLayout(offsets=offsets, shapes=tuple(p.shape for p in params),
                        size=int(sum(sizes)), dtype=dtype,
                        orders=tuple(_order(p.data) for p in params))
    data = np.empty(layout.size, dtype=dtype)
    grad = np.zeros(layout.size, dtype=dtype)
    for p, d, g in zip(params, layout.split(data), layout.split(grad), strict=True):
        d[...] = p.data
        g[...] = p.grad
        p.data = d
        p.grad = g
    return layout


def contiguous_run(params: Sequence[Parameter]) -> tuple[np.ndarray, np.ndarray,
                                                          FlatLayout] | None:
    """If ``params`` are consecutive slices of one flat data buffer and one flat gradient buffer
    (in this order, no gaps), return ``(data_run, grad_run, layout)`` -- 1-D views covering exactly
    them; otherwise ``None``."""
    params = list(params)
    if not params:
        return None
    first = params[0]
    dbase, gbase = first.data.base, first.grad.base
    if not (isinstance(dbase, np.ndarray) and isinstance(gbase, np.ndarray)):
        return None  # not views of an array (no base, or memory mapped by an unpickler)
    if dbase.ndim != 1 or gbase.ndim != 1:
        return None
    dtype = dbase.dtype
    item = dtype.itemsize
    start_d = (_address(first.data) - _address(dbase)) // item
    start_g = (_address(first.grad) - _address(gbase)) // item
    pos = 0
    offsets, shapes, orders = [], [], []
    for p in params:
        if p.data.base is not dbase or p.grad.base is not gbase:
            return None
        order = _order(p.data)
        if order is None or _order(p.grad) != order:
            return None
        orders.append(order)
        if (_address(p.data) - _address(dbase)) // item != start_d + pos:
            return None
        if (_address(p.grad) - _address(gbase)) // item != start_g + pos:
            return None
        offsets.append(pos)
        shapes.append(p.shape)
        pos += p.size
    layout = FlatLayout(offsets=tuple(offsets), shapes=tuple(shapes), size=pos, dtype=dtype,
                        orders=tuple(orders))
    return dbase[start_d:start_d + pos], gbase[start_g:start_g + pos], layout
