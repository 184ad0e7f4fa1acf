"""Optimisers, gradient clipping and learning-rate schedules (``torch.optim``'s rules).

A familiar front -- ``SGD``, ``Adam``, ``AdamW`` with ``step()`` / ``zero_grad()`` -- over small
composable transforms (:mod:`backprop.optim.transforms`): clip -> decay -> momentum/Adam -> scale.
"""

from . import transforms
from .clip import clip_grad_norm, clip_grad_value
from .optimizers import SGD, Adam, AdamW, Optimizer
from .schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LRScheduler,
    OneCycleLR,
    ReduceLROnPlateau,
    StepLR,
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
    "SGD", "Adam", "AdamW", "AddDecayedWeights", "ClipByGlobalNorm", "ClipByValue",
    "CosineAnnealingLR", "ExponentialLR", "LRScheduler", "Momentum", "OneCycleLR", "Optimizer",
    "ReduceLROnPlateau", "ScaleByAdam", "StepLR", "Transform", "clip_grad_norm",
    "clip_grad_value", "transforms",
]
