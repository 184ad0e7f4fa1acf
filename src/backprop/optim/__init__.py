"""Optimisers, gradient clipping and learning-rate schedules (``torch.optim``'s rules).

A familiar front -- ``SGD``, ``Adam``, ``AdamW`` with ``step()`` / ``zero_grad()`` -- over small
composable transforms (:mod:`backprop.optim.transforms`): clip -> decay -> momentum/Adam -> scale.
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
    Optimizer,
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
    Transform,
)

__all__ = [
    "OPTIMIZERS", "SCHEDULES", "SGD", "Adam", "AdamW", "AddDecayedWeights", "ClipByGlobalNorm",
    "ClipByValue", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ExponentialLR",
    "LRScheduler", "LambdaLR", "LinearLR", "Momentum", "MultiStepLR", "OneCycleLR",
    "Optimizer", "ReduceLROnPlateau", "ScaleByAdam", "SequentialLR", "StepLR", "Transform",
    "clip_grad_norm", "clip_grad_value", "make_optimizer", "make_schedule", "register_optimizer",
    "register_schedule", "transforms",
]
