"""The layer contract every piece of a network follows.

A layer maps a batch ``x`` of shape ``(m, n_in)`` (one sample per row) to ``y`` of shape
``(m, n_out)``:

* ``forward(x) -> y`` computes the output and keeps exactly what ``backward`` needs;
* ``backward(dy) -> dx`` takes ``dy = dJ/dy`` of shape ``(m, n_out)``, *assigns* (does not
  accumulate) the gradients of the layer's parameters and returns ``dx = dJ/dx``.

Three kinds of state are kept apart:

* **parameters** -- trainable arrays with a gradient (:class:`Parameter`); optimisers update them;
* **buffers** -- non-trainable state saved with the model (batch-norm running statistics);
  optimisers and weight decay never touch them;
* the **training flag** -- ``train()`` / ``eval()``; only layers whose behaviour differs read it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Parameter:
    """A trainable array living on a layer, together with its gradient.

    The arrays stay attributes of the layer (``dense.W`` / ``dense.dW``); a ``Parameter`` is a
    named handle on them, so an optimiser can update ``p.data`` in place after ``backward`` has
    written ``p.grad``. Assigning ``p.data = new_array`` rebinds the layer's attribute.

    Parameters
    ----------
    owner : Layer
        The layer holding the arrays.
    attr, grad_attr : str
        Attribute names of the value and of its gradient (``"W"``, ``"dW"``).
    decay : bool
        Whether weight decay applies by default (False for biases and batch-norm parameters).
    """

    __slots__ = ("owner", "attr", "grad_attr", "name", "decay")

    def __init__(self, owner: Layer, attr: str, grad_attr: str, *, decay: bool = True):
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


class Layer:
    """Base class: a layer with no parameters that passes nothing through by itself."""

    training: bool

    def __init__(self) -> None:
        self.training = True

    # --- the contract ---------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dy: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- state ----------------------------------------------------------------------------
    def parameters(self) -> list[Parameter]:
        """Trainable parameters, in a fixed order."""
        return []

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state that is saved with the model (name -> array)."""
        return {}

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad[...] = 0

    def train(self, mode: bool = True) -> Layer:
        """Switch training mode on (``mode=True``) or off; returns ``self``."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode (batch norm uses running statistics, dropout is off)."""
        return self.train(False)

    # --- description ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """JSON-able constructor arguments; ``type(self)(**config)`` rebuilds the layer."""
        return {}

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.parameters())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
