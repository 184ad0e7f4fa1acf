"""backprop: backpropagation made visible, checkable and fast.

>>> import backprop as bp
>>> net = bp.Sequential(bp.Dense(2, 2, rng=0), bp.Sigmoid(), bp.Dense(2, 1, rng=1), bp.Sigmoid())

Architecture: ``layers``, ``losses``, ``init`` and ``optim`` depend on NumPy only;
``training`` composes them and ``models`` puts a training front on the container; ``io`` is the
file format; ``gradcheck``, ``explain`` and ``diagnostics`` only observe the engine. Every kind the
library knows by name has one registry (``LAYERS``, ``LOSSES``, ``OPTIMIZERS``, ``SCHEDULES``,
``INITIALIZERS``, ``DATASETS``). The engine is imported eagerly; training, files, data and the
labs load on first use (``bp.fit``, ``bp.data``, ...), which keeps ``import backprop`` fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import init, optim
from ._version import __version__ as __version__
from .init import INITIALIZERS, register_initializer
from .layers import (
    GELU,
    LAYERS,
    Activation,
    BatchNorm,
    Dense,
    Dropout,
    Identity,
    Layer,
    LayerNorm,
    LeakyReLU,
    Notation,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
    register_activation,
    register_layer,
)
from .losses import (
    LOSSES,
    BinaryCrossEntropy,
    Loss,
    LossNotation,
    SoftmaxCrossEntropy,
    SquaredError,
    register_loss,
)
from .models import Sequential, load, mlp, save
from .optim import (
    OPTIMIZERS,
    SCHEDULES,
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    NAdam,
    OneCycleLR,
    Optimizer,
    ReduceLROnPlateau,
    RMSprop,
    SequentialLR,
    StepLR,
    clip_grad_norm,
    clip_grad_value,
    register_optimizer,
    register_schedule,
)
from .parameters import Parameter

# name -> (submodule, attribute or None for the module itself), imported on first access
_LAZY: dict[str, tuple[str, str | None]] = {
    "trace": ("explain.record", "trace"), "Trace": ("explain.record", "Trace"),
    "LayerTrace": ("explain.record", "LayerTrace"), "explain": ("explain", None),
    "chain": ("explain.graph", "chain"), "Chain": ("explain.graph", "Chain"),
    "check": ("explain.marking", "check"), "Marking": ("explain.marking", "Marking"),
    "FormulaError": ("explain.formula", "FormulaError"),
    "gradcheck": ("gradient_check", "gradcheck"),
    "GradcheckReport": ("gradient_check", "GradcheckReport"),
    "numerical_gradient": ("gradient_check", "numerical_gradient"),
    "gradient_check": ("gradient_check", None),
    "data": ("data", None), "datasets": ("data.toy", None), "io": ("io", None),
    "labs": ("labs", None), "diagnostics": ("diagnostics", None), "plots": ("plots", None),
    "callbacks": ("training.callbacks", None), "spec": ("explain.spec", None),
    "training": ("training", None),
    "Callback": ("training.callbacks", "Callback"),
    "EarlyStopping": ("training.callbacks", "EarlyStopping"),
    "LambdaCallback": ("training.callbacks", "LambdaCallback"),
    "BatchIterator": ("data", "BatchIterator"), "RandomShift": ("data", "RandomShift"),
    "Standardizer": ("data", "Standardizer"), "check_Xy": ("data", "check_Xy"),
    "load_dataset": ("data", "load_dataset"), "load_mnist": ("data", "load_mnist"),
    "one_hot": ("data", "one_hot"), "random_shift": ("data", "random_shift"),
    "train_val_split": ("data", "train_val_split"),
    "Diagnostics": ("diagnostics", "Diagnostics"),
    "GradientWarning": ("diagnostics", "GradientWarning"),
    "Spec": ("explain.spec", "Spec"), "SpecError": ("explain.spec", "SpecError"),
    "load_spec": ("explain.spec", "load_spec"), "spec_to_dict": ("explain.spec", "spec_to_dict"),
    "History": ("training.callbacks", "History"),
    "TrainingDivergedWarning": ("training.loop", "TrainingDivergedWarning"),
    "evaluate": ("training.evaluation", "evaluate"), "fit": ("training.loop", "fit"),
    "predict": ("training.evaluation", "predict"),
    "predict_proba": ("training.evaluation", "predict_proba"),
    # interoperability: torch / onnx are imported only when these are called
    "interop": ("interop", None), "to_onnx": ("interop.onnx_export", "to_onnx"),
    "to_torch": ("interop.pytorch", "to_torch"), "from_torch": ("interop.pytorch", "from_torch"),
}


def __getattr__(name: str) -> Any:
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'backprop' has no attribute {name!r}") from None
    module = importlib.import_module(f".{module_name}", __name__)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    # layers
    "Activation", "BatchNorm", "Dense", "Dropout", "GELU", "Identity", "Layer", "LayerNorm",
    "LeakyReLU", "Notation", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax",
    "Softplus", "Tanh", "mlp",
    # losses
    "BinaryCrossEntropy", "Loss", "LossNotation", "SoftmaxCrossEntropy", "SquaredError",
    # optimisers and schedules
    "SGD", "Adam", "AdamW", "Optimizer", "clip_grad_norm", "clip_grad_value", "optim",
    "NAdam", "RMSprop",
    "CosineAnnealingLR", "ExponentialLR", "OneCycleLR", "ReduceLROnPlateau", "StepLR",
    "CosineAnnealingWarmRestarts", "LambdaLR", "LinearLR", "MultiStepLR", "SequentialLR",
    # registries: one per kind, and the call that adds to each
    "INITIALIZERS", "LAYERS", "LOSSES", "OPTIMIZERS", "SCHEDULES", "register_activation",
    "register_initializer", "register_layer", "register_loss", "register_optimizer",
    "register_schedule",
    # training (loaded on first use)
    "Callback", "EarlyStopping", "History", "LambdaCallback", "TrainingDivergedWarning",
    "evaluate", "fit", "predict", "predict_proba", "Diagnostics", "GradientWarning",
    # data (loaded on first use)
    "BatchIterator", "RandomShift", "Standardizer", "check_Xy", "data", "datasets",
    "load_dataset", "load_mnist", "one_hot", "random_shift", "train_val_split",
    # files, labs, plots (loaded on first use)
    "io", "load", "save", "labs", "diagnostics", "plots", "callbacks", "spec", "training",
    # checking and explaining
    "GradcheckReport", "gradcheck", "init", "numerical_gradient",
    "LayerTrace", "Spec", "SpecError", "Trace", "load_spec", "spec_to_dict", "trace",
    "Chain", "FormulaError", "chain", "Marking", "check",
    # interoperability (loaded on first use; onnx / torch only when called)
    "interop", "to_onnx", "to_torch", "from_torch",
]
