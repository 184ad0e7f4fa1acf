"""Layers: one class per layer, each with ``forward(x) -> y`` and ``backward(dy) -> dx``.

Every layer kind is registered in :data:`LAYERS` (activations included); see
:mod:`backprop.layers.base` for the contract and what each layer says about itself.
"""

from .activations import (
    GELU,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .base import (
    LAYERS,
    Activation,
    Layer,
    Notation,
    activation_class,
    activation_names,
    get_activation,
    register_activation,
    register_layer,
)
from .batchnorm import BatchNorm
from .dense import Dense
from .dropout import Dropout
from .layernorm import LayerNorm
from .sequential import Sequential

__all__ = [
    "LAYERS", "Activation", "BatchNorm", "Dense", "Dropout", "GELU", "Identity", "Layer",
    "LayerNorm", "LeakyReLU", "Notation", "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax",
    "Softplus", "Tanh", "activation_class", "activation_names", "get_activation",
    "register_activation", "register_layer",
]
