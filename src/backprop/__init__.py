"""backprop: backpropagation made visible, checkable and fast.

>>> import backprop as bp
>>> net = bp.Sequential(bp.Dense(2, 2, rng=0), bp.Sigmoid(), bp.Dense(2, 1, rng=1), bp.Sigmoid())
"""

from . import init, optim
from .layers import (
    Dense,
    Identity,
    Layer,
    LeakyReLU,
    Parameter,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
)
from .losses import BinaryCrossEntropy, Loss, SoftmaxCrossEntropy, SquaredError
from .optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    OneCycleLR,
    Optimizer,
    ReduceLROnPlateau,
    StepLR,
    clip_grad_norm,
    clip_grad_value,
)

__version__ = "0.1.0"

__all__ = [
    "SGD", "BinaryCrossEntropy", "Dense", "Identity", "Layer", "LeakyReLU", "Loss", "Optimizer",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "SoftmaxCrossEntropy", "SquaredError",
    "Tanh", "init",
    # optimisers, clipping, schedules
    "Adam", "AdamW", "CosineAnnealingLR", "ExponentialLR", "OneCycleLR", "ReduceLROnPlateau",
    "StepLR", "clip_grad_norm", "clip_grad_value", "optim",
]
