"""Optimisers: a familiar front (``SGD(params, lr=...)``, ``step()``) over small update rules."""

from .optimizers import SGD, Optimizer

__all__ = ["SGD", "Optimizer"]
