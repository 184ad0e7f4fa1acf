"""backprop: backpropagation made visible, checkable and fast.

>>> import backprop as bp
>>> net = bp.Sequential(bp.Dense(2, 2, rng=0), bp.Sigmoid(), bp.Dense(2, 1, rng=1), bp.Sigmoid())

Architecture: ``layers``, ``losses``, ``init`` and ``optim`` depend on NumPy only; ``train``,
``callbacks`` and ``io`` compose them; ``gradcheck`` and ``trace`` only observe the engine.
"""

from . import data, datasets, init, optim
from .data import (
    BatchIterator,
    RandomShift,
    Standardizer,
    check_Xy,
    load_dataset,
    load_mnist,
    one_hot,
    random_shift,
    train_val_split,
)
from .gradcheck import GradcheckReport, gradcheck, numerical_gradient
from .layers import (
    BatchNorm,
    Dense,
    Dropout,
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

__version__ = "0.1.0"

__all__ = [
    # layers
    "BatchNorm", "Dense", "Dropout", "Identity", "Layer", "LeakyReLU", "Parameter", "ReLU",
    "Sequential", "Sigmoid",
    "Softmax", "Tanh",
    # losses
    "BinaryCrossEntropy", "Loss", "SoftmaxCrossEntropy", "SquaredError",
    # optimisers
    "SGD", "Optimizer", "optim",
    # data
    "BatchIterator", "RandomShift", "Standardizer", "check_Xy", "data", "datasets",
    "load_dataset", "load_mnist", "one_hot", "random_shift", "train_val_split",
    # checking
    "GradcheckReport", "gradcheck", "init", "numerical_gradient",
]
