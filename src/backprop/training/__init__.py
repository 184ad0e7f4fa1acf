"""Training: the loop that composes the engine pieces, and the small parts around it.

* :mod:`.loop` -- :func:`fit`: forward -> loss -> backward -> guard -> step, per mini-batch;
* :mod:`.callbacks` -- the loop's state (:class:`TrainState`, :class:`History`) and the callbacks
  that do everything else (validation, schedules, early stopping, progress);
* :mod:`.checkpoint` -- resumable checkpoints, on the file format of :mod:`backprop.io`;
* :mod:`.evaluation` -- ``predict``, ``predict_proba``, ``evaluate`` in evaluation mode.

Layers, losses, initialisers and optimisers import nothing from here: training sits above them.
"""

from .callbacks import (
    Callback,
    EarlyStopping,
    History,
    LambdaCallback,
    ProgressLogger,
    RecordHistory,
    ScheduleStepper,
    TrainState,
    Validation,
)
from .checkpoint import Checkpoint, restore_checkpoint, save_checkpoint
from .evaluation import evaluate, net_dtype, predict, predict_proba, predict_raw
from .loop import TrainingDivergedWarning, fit, run_epochs

__all__ = [
    "Callback", "Checkpoint", "EarlyStopping", "History", "LambdaCallback", "ProgressLogger",
    "RecordHistory", "ScheduleStepper", "TrainState", "TrainingDivergedWarning", "Validation",
    "evaluate", "fit", "net_dtype", "predict", "predict_proba", "predict_raw",
    "restore_checkpoint", "run_epochs", "save_checkpoint",
]
