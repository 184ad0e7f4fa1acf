"""Optimisers, gradient clipping and learning-rate schedules (``torch.optim``'s rules).

A familiar front -- ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``NAdam`` with ``step()`` /
``zero_grad()`` -- over small composable transforms (:mod:`backprop.optim.transforms`): clip ->
decay -> momentum/Adam/RMS/NAdam -> scale.
Optimisers are registered in :data:`OPTIMIZERS` and schedules in :data:`SCHEDULES`, both by
``torch.optim``'s names and arguments.
"""

from . import transforms
from .clip import clip_grad_norm, clip_grad_value
from .optimizers import (
    OPTIMIZERS,
    SGD,
    Adam,
    AdamW,
    NAdam,
    Optimizer,
    RMSprop,
    make_optimizer,
    register_optimizer,
)
from .schedules import (
    SCHEDULES,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiStepLR,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
    make_schedule,
    register_schedule,
)
from .transforms import (
    AddDecayedWeights,
    ClipByGlobalNorm,
    ClipByValue,
    Momentum,
    ScaleByAdam,
    ScaleByNAdam,
    ScaleByRMS,
    Transform,
)

__all__ = [
    "OPTIMIZERS", "SCHEDULES", "SGD", "Adam", "AdamW", "AddDecayedWeights", "ClipByGlobalNorm",
    "ClipByValue", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ExponentialLR",
    "LRScheduler", "LambdaLR", "LinearLR", "Momentum", "MultiStepLR", "NAdam", "OneCycleLR",
    "Optimizer", "RMSprop", "ReduceLROnPlateau", "ScaleByAdam", "ScaleByNAdam", "ScaleByRMS",
    "SequentialLR", "StepLR", "Transform",
    "clip_grad_norm", "clip_grad_value", "make_optimizer", "make_schedule", "register_optimizer",
    "register_schedule", "transforms",
]
