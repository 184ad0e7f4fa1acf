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
from .batchnorm import BatchNorm
from .dense import Dense
from .dropout import Dropout
from .sequential import Sequential

__all__ = [
    "ACTIVATIONS", "Dense", "Identity", "Layer", "LeakyReLU", "Parameter", "ReLU", "Sequential",
    "BatchNorm", "Dropout",
    "Sigmoid", "Softmax", "Tanh", "get_activation",
]
