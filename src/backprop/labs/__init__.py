r"""Labs: the article's claims about training deep networks, measured on this engine.

Each lab trains small networks on a built-in 2-D dataset, returns its numbers as a result object
(so tests and notebooks can check them), prints a table and a reading *computed from those
numbers*, and can write a PNG.

``vanishing``
    The same deep network (:math:`\ge 8` hidden layers) four ways: sigmoid with the naive
    :math:`\mathcal{N}(0, 0.01^2)` start, sigmoid with Xavier, ReLU with He, ReLU with He and
    batch normalisation. The gradient norms :math:`\lVert \partial J / \partial W^{[l]} \rVert`
    of every Dense layer come from the engine's own backward pass (recorded by
    :class:`~backprop.diagnostics.Diagnostics`) at the first step and after training. The
    backward recursion :math:`\delta^{[l]} = (W^{[l+1]})^\top \delta^{[l+1]} \odot g'(Z^{[l]})`
    multiplies the error signal by :math:`W^\top` and :math:`g'` once per layer; with
    :math:`\sigma' \le 1/4` and tiny weights the product shrinks geometrically.

``optimizers``
    One network, one dataset, one seed, five optimisers: SGD, SGD with momentum, Nesterov, Adam
    and AdamW (Adam with decoupled weight decay); loss curves and a final table.

``exploding``
    A deep ReLU network with He's start, with He's weights times a scale, and the same clipped
    by global norm: each layer's gradient at the start, every step's gradient norm before
    clipping and the length of the step taken (measured on the parameters).

``normalization``
    Raw inputs whose features differ in scale by a factor, against the same inputs standardised
    on the training rows, over several learning rates: per-feature gradients, accuracy, dead
    units.

``batch_size`` (``backprop lab batch-size``)
    The error of a mini-batch's gradient against the whole data set's for several sizes (and
    its fitted exponent), and SGD at one learning rate with each size: updates, epochs to a
    target loss, final loss; wall time apart.

``weight_decay`` (``backprop lab weight-decay``)
    A large network on few noisy points with L2 decay of several strengths: weight norms,
    training and validation accuracy.

:data:`LABS` is the table the command line is built from: one :class:`Lab` per lab, with its
own options, each defined beside its lab.

One module per lab -- :mod:`.vanishing_gradients`, :mod:`.optimizer_comparison`,
:mod:`.exploding_gradients`, :mod:`.input_normalization`, :mod:`.batch_size_comparison`,
:mod:`.weight_decay_comparison` -- holds its function, its result classes, its table and its
reading; :mod:`.base` holds what they share (the :class:`Lab` entry and its options, the checks
of the common settings, the number formats). Adding a lab is one module and one line of
:data:`LABS`.

Every number is reproducible from ``seed`` (the wall-clock times aside). The tables and readings
are written in any registered language (``lang=``), with the words of
:mod:`backprop.explain.words`.
"""

from __future__ import annotations

from .base import Lab, LabOption
from .base import _sci as _sci  # the readings' number format, for checks that recompute them
from .batch_size_comparison import LAB as _BATCH_SIZE
from .batch_size_comparison import BatchSizeResult, BatchSizeRun, batch_size
from .exploding_gradients import LAB as _EXPLODING
from .exploding_gradients import ExplodingResult, ExplodingRun, exploding
from .input_normalization import LAB as _NORMALIZATION
from .input_normalization import NormalizationResult, NormalizationRun, normalization
from .optimizer_comparison import LAB as _OPTIMIZERS
from .optimizer_comparison import OptimizerRun, OptimizersResult, optimizers
from .vanishing_gradients import LAB as _VANISHING
from .vanishing_gradients import VanishingResult, VanishingRun, vanishing
from .vanishing_gradients import _verdict as _verdict  # the reading's verdict, for its tests
from .weight_decay_comparison import LAB as _WEIGHT_DECAY
from .weight_decay_comparison import WeightDecayResult, WeightDecayRun, weight_decay

__all__ = ["LABS", "BatchSizeResult", "BatchSizeRun", "ExplodingResult", "ExplodingRun", "Lab",
           "LabOption", "NormalizationResult", "NormalizationRun", "OptimizerRun",
           "OptimizersResult", "VanishingResult", "VanishingRun", "WeightDecayResult",
           "WeightDecayRun", "batch_size", "exploding", "normalization", "optimizers",
           "vanishing", "weight_decay"]

#: name -> lab, for the command line (``backprop lab NAME``); adding a lab is one module and
#: one entry
LABS: dict[str, Lab] = {lab.name: lab for lab in (
    _VANISHING, _OPTIMIZERS, _EXPLODING, _NORMALIZATION, _BATCH_SIZE, _WEIGHT_DECAY)}
