"""Layers: one class per layer, each with ``forward(x) -> y`` and ``backward(dy) -> dx``."""

from .activations import (
    ACTIVATIONS,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Tanh,
    get_activation,
)
from .base import Layer, Parameter
from .dense import Dense
from .sequential import Sequential

__all__ = [
    "ACTIVATIONS", "Dense", "Identity", "Layer", "LeakyReLU", "Parameter", "ReLU", "Sequential",
    "Sigmoid", "Softmax", "Tanh", "get_activation",
]
