"""backprop: backpropagation made visible, checkable and fast.

>>> import backprop as bp
>>> net = bp.Sequential(bp.Dense(2, 2, rng=0), bp.Sigmoid(), bp.Dense(2, 1, rng=1), bp.Sigmoid())
"""

from . import init
from .gradcheck import GradcheckReport, gradcheck, numerical_gradient
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
from .optim import SGD, Optimizer
from .spec import Spec, SpecError, load_spec, spec_to_dict
from .trace import LayerTrace, Trace, trace

__version__ = "0.1.0"

__all__ = [
    "SGD", "BinaryCrossEntropy", "Dense", "Identity", "Layer", "LeakyReLU", "Loss", "Optimizer",
    "Parameter", "ReLU", "Sequential", "Sigmoid", "Softmax", "SoftmaxCrossEntropy", "SquaredError",
    "Tanh", "init", "GradcheckReport", "gradcheck", "numerical_gradient",
    "Spec", "SpecError", "load_spec", "spec_to_dict", "LayerTrace", "Trace", "trace",
]
