r"""Optimisers with the update rules and argument names of ``torch.optim``.

All optimisers share one front: ``opt = SGD(net.parameters(), lr=0.1)``; after
``net.backward(...)`` has written every ``p.grad``, ``opt.step()`` updates every ``p.data`` in
place. The learning rate lives in ``opt.lr`` so schedules can change it between steps.
"""

from __future__ import annotations

from collections.abc import Iterable

from .._checks import check_positive
from ..layers.base import Parameter


class Optimizer:
    """Base class: holds the parameters and the learning rate.

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``net.parameters()``.
    lr : float
        Learning rate :math:`\\alpha` (> 0).
    """

    def __init__(self, params: Iterable[Parameter], lr: float):
        self.params: list[Parameter] = list(params)
        if not self.params:
            raise ValueError("optimizer got an empty parameter list")
        for p in self.params:
            if not isinstance(p, Parameter):
                raise TypeError(f"optimizer expects Parameter objects, got {type(p).__name__}")
        self.lr = check_positive("learning rate", lr)

    def step(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def zero_grad(self) -> None:
        """Set every gradient to zero (backward assigns gradients, so this is rarely needed)."""
        for p in self.params:
            p.grad[...] = 0


class SGD(Optimizer):
    r"""Plain stochastic gradient descent: :math:`W \leftarrow W - \alpha\,\partial J/\partial W`.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        Learning rate :math:`\alpha`.
    """

    def __init__(self, params: Iterable[Parameter], lr: float):
        super().__init__(params, lr)

    def step(self) -> None:
        lr = self.lr
        for p in self.params:
            p.data -= lr * p.grad
