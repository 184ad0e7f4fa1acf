"""backprop: backpropagation made visible, checkable and fast.

>>> import backprop as bp
>>> net = bp.Sequential(bp.Dense(2, 2, rng=0), bp.Sigmoid(), bp.Dense(2, 1, rng=1), bp.Sigmoid())

Architecture: ``layers``, ``losses``, ``init`` and ``optim`` depend on NumPy only; ``train``,
``callbacks`` and ``io`` compose them; ``gradcheck`` and ``trace`` only observe the engine.
"""

from . import data, datasets, diagnostics, init, io, labs, optim
from .callbacks import Callback, EarlyStopping, LambdaCallback
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
from .diagnostics import Diagnostics, GradientWarning
from .gradcheck import GradcheckReport, gradcheck, numerical_gradient
from .io import load, save
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
from .models import mlp
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
from .spec import Spec, SpecError, load_spec, spec_to_dict
from .trace import LayerTrace, Trace, trace
from .train import History, TrainingDivergedWarning, evaluate, fit, predict, predict_proba

__version__ = "0.1.0"

__all__ = [
    # layers
    "BatchNorm", "Dense", "Dropout", "Identity", "Layer", "LeakyReLU", "Parameter", "ReLU",
    "Sequential", "Sigmoid",
    "Softmax", "Tanh", "mlp",
    # losses
    "BinaryCrossEntropy", "Loss", "SoftmaxCrossEntropy", "SquaredError",
    # optimisers
    "SGD", "Adam", "AdamW", "Optimizer", "clip_grad_norm", "clip_grad_value", "optim",
    # schedules
    "CosineAnnealingLR", "ExponentialLR", "OneCycleLR", "ReduceLROnPlateau", "StepLR",
    # training
    "Callback", "Diagnostics", "EarlyStopping", "GradientWarning", "History", "LambdaCallback",
    "TrainingDivergedWarning", "diagnostics", "labs",
    "evaluate", "fit", "predict", "predict_proba",
    # data
    "BatchIterator", "RandomShift", "Standardizer", "check_Xy", "data", "datasets",
    "load_dataset", "load_mnist", "one_hot", "random_shift", "train_val_split",
    # files
    "io", "load", "save",
    # checking and explaining
    "GradcheckReport", "gradcheck", "init", "numerical_gradient",
    "LayerTrace", "Spec", "SpecError", "Trace", "load_spec", "spec_to_dict", "trace",
]
