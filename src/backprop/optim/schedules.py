r"""Learning-rate schedules with ``torch.optim.lr_scheduler``'s formulas and call pattern.

A schedule wraps an optimiser and rewrites ``optimizer.lr`` (and, for :class:`OneCycleLR`,
the momentum or Adam's :math:`\beta_1`) each time its :meth:`~LRScheduler.step` is called::

    opt = bp.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = bp.optim.CosineAnnealingLR(opt, T_max=100)
    for epoch in range(100):
        ...                       # opt.step() for every batch
        sched.step()              # then once per epoch (or per batch for OneCycleLR)

As in PyTorch, constructing a schedule counts as step 0 (``last_epoch = 0``): it sets the
starting learning rate, and the ``k``-th call to ``step()`` gives the rate of step ``k``.
:math:`\eta_0` below is the optimiser's learning rate when the schedule was built
(``base_lr``) and :math:`t` is ``last_epoch``.

Where PyTorch updates the rate *recursively* from the optimiser's current rate
(:class:`StepLR`, :class:`MultiStepLR`, :class:`ExponentialLR`, :class:`CosineAnnealingLR`,
:class:`LinearLR`), so that changes made to ``opt.lr`` from outside carry through, these classes
do the same, with the same arithmetic, so the sequences agree with PyTorch's to the last bit; the
docstrings give the closed forms these recursions reproduce. :class:`OneCycleLR`,
:class:`CosineAnnealingWarmRestarts` and :class:`LambdaLR` are computed from ``base_lr``, as in
PyTorch, and :class:`SequentialLR` runs schedules one after another, restarting each at its
milestone from its closed form (PyTorch's ``step(0)``). ``base_lr`` is the optimiser's
``initial_lr``: the rate before the first schedule attached to it, as PyTorch's
``param_group["initial_lr"]``.

Every schedule is registered in :data:`SCHEDULES` under a short name (``"step"``, ``"cosine"``,
...) and says when the trainer steps it (``interval``: ``"epoch"`` or ``"step"``, i.e. after
every batch) and whether :meth:`~LRScheduler.step` needs a metric (``needs_metric``:
:class:`ReduceLROnPlateau`); ``make_schedule("step", opt, step_size=10)`` builds one by name with
PyTorch's arguments.

Each schedule has ``get_last_lr()`` (a one-element list, like PyTorch's one-group result) and
``state_dict()`` / ``load_state_dict()`` with JSON-able values (Python's ``json`` writes the
infinite ``best`` of a fresh :class:`ReduceLROnPlateau` as ``Infinity`` and reads it back).
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Callable
from typing import Any

from .._checks import (
    check_bool,
    check_int,
    check_non_negative,
    check_positive,
    check_range,
    check_real,
)
from ..registry import Registry
from .optimizers import Optimizer

#: every schedule by name; ``register_schedule`` adds one
SCHEDULES: Registry[type[LRScheduler]] = Registry("schedule")


class LRScheduler:
    """Base class: on each :meth:`step`, compute the next rate and write it to ``optimizer.lr``.

    Subclasses implement ``_lr_at(t)`` (the rate for step ``t``; ``self._initial`` is true
    during construction) and list their constructor arguments in ``_hyper`` so they are saved.

    Attributes
    ----------
    optimizer : Optimizer
    base_lr : float
        ``optimizer.lr`` when the schedule was built.
    last_epoch : int
        Number of ``step()`` calls since construction (0 right after it).
    """

    _hyper: tuple[str, ...] = ()
    #: registry name
    name = ""
    #: when the trainer steps it: after every epoch, or after every optimiser step
    interval = "epoch"
    #: whether step() takes the monitored metric (the validation loss)
    needs_metric = False

    #: whether ``backprop train --schedule`` offers it (False for schedules built from Python
    #: objects, such as a callable or other schedules, that cannot be typed on a command line)
    command_line = True

    def __init__(self, optimizer: Optimizer):
        self._attach(optimizer)
        if optimizer.initial_lr is None:
            optimizer.initial_lr = optimizer.lr
        # PyTorch's base_lrs come from the optimiser's initial_lr, set by the first schedule
        self.base_lr = optimizer.initial_lr
        self.last_epoch = -1
        self._initial_step()

    def _initial_step(self) -> None:
        """The step construction counts as step 0 (PyTorch's ``_initial_step``); also what
        :class:`SequentialLR` calls on the schedule that runs first."""
        self._initial = True
        try:
            self.step()
        finally:
            self._initial = False

    def _attach(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a schedule needs a backprop Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer

    def _lr_at(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def _closed_form(self, t: int) -> float | None:
        """The rate at step ``t`` from ``base_lr`` alone (PyTorch's ``_get_closed_form_lr``), or
        None for a schedule that has no closed form."""
        return None

    def _restart(self, t: int) -> None:
        """Jump to step ``t``: the closed form if there is one, else :meth:`_lr_at` (PyTorch's
        ``_update_lr(epoch)``). :class:`SequentialLR` calls ``_restart(0)`` on a schedule when
        its milestone is reached."""
        lr = self._closed_form(t)
        if lr is None:
            lr = self._lr_at(t)
        self.last_epoch = t
        self.optimizer.lr = lr
        self._last_lr = self.optimizer.lr

    def step(self) -> None:
        """Advance one step and set ``optimizer.lr`` to the new rate."""
        t = self.last_epoch + 1
        lr = self._lr_at(t)  # may raise (OneCycleLR past its end): then nothing changes
        self.last_epoch = t
        self.optimizer.lr = lr
        self._last_lr = self.optimizer.lr

    def get_last_lr(self) -> list[float]:
        """The rate set by the last :meth:`step`, as a one-element list (PyTorch's shape)."""
        return [self._last_lr]

    # --- saving and resuming --------------------------------------------------------------
    def _counters(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "base_lr": self.base_lr,
                "last_lr": self._last_lr}

    def state_dict(self) -> dict[str, Any]:
        """JSON-able state: ``type``, the counters and the constructor arguments."""
        state: dict[str, Any] = {"type": type(self).__name__}
        state.update(self._counters())
        state.update({k: getattr(self, k) for k in self._hyper})
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned.

        The optimiser's state is saved separately. To resume: build the optimiser, then the
        schedule (construction sets ``optimizer.lr``), then load the optimiser's state and this
        one -- the same order PyTorch asks for.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        if state.get("type") != type(self).__name__:
            raise ValueError(f"state is for schedule type {state.get('type')!r}, "
                             f"not {type(self).__name__!r}")
        keys = list(self._counters()) + list(self._hyper)
        missing = [k for k in keys if k not in state]
        if missing:
            raise ValueError(f"{type(self).__name__} state is missing {missing}")
        for k in keys:
            setattr(self, "_last_lr" if k == "last_lr" else k, state[k])
        self._after_load()

    def _after_load(self) -> None:
        """Rebuild anything derived from the constructor arguments."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._hyper)
        return f"{type(self).__name__}({args}, last_epoch={self.last_epoch})"


@SCHEDULES.decorator()
class StepLR(LRScheduler):
    r"""Multiply the rate by :math:`\gamma` every ``step_size`` steps.

    .. math:: \eta_t = \eta_0\, \gamma^{\lfloor t / s \rfloor}

    computed as PyTorch does, recursively: :math:`\eta_t = \gamma\,\eta_{t-1}` when :math:`t` is
    a positive multiple of :math:`s`, else :math:`\eta_t = \eta_{t-1}`.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int
        Period :math:`s \ge 1`.
    gamma : float, default 0.1
        Factor :math:`\gamma > 0`.
    """

    name = "step"
    _hyper = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1):
        self.step_size = check_int("step_size", step_size, minimum=1)
        self.gamma = check_positive("gamma", gamma)
        super().__init__(optimizer)

    def _lr_at(self, t: int) -> float:
        lr = self.optimizer.lr
        if self._initial or t % self.step_size != 0:
            return lr
        return lr * self.gamma

    def _closed_form(self, t: int) -> float:
        return self.base_lr * self.gamma ** (t // self.step_size)


@SCHEDULES.decorator()
class ExponentialLR(LRScheduler):
    r"""Multiply the rate by :math:`\gamma` every step.

    .. math:: \eta_t = \eta_0\, \gamma^{t}

    computed recursively, :math:`\eta_t = \gamma\,\eta_{t-1}`, as PyTorch does.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float
        Factor :math:`\gamma > 0`.
    """

    name = "exponential"
    _hyper = ("gamma",)

    def __init__(self, optimizer: Optimizer, gamma: float):
        self.gamma = check_positive("gamma", gamma)
        super().__init__(optimizer)

    def _lr_at(self, t: int) -> float:
        lr = self.optimizer.lr
        return lr if self._initial else lr * self.gamma

    def _closed_form(self, t: int) -> float:
        return self.base_lr * self.gamma ** t


@SCHEDULES.decorator()
class CosineAnnealingLR(LRScheduler):
    r"""Half a cosine from :math:`\eta_0` down to :math:`\eta_{min}` over :math:`T_{max}` steps.

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})
                 \left(1 + \cos\frac{\pi t}{T_{max}}\right)

    PyTorch computes it recursively (SGDR's form, so outside changes to the rate carry on):

    .. math::
        \eta_t = \eta_{min} + (\eta_{t-1} - \eta_{min})\,
                 \frac{1 + \cos(\pi t / T_{max})}{1 + \cos(\pi (t-1) / T_{max})}

    and, where the denominator vanishes (:math:`t - 1 - T_{max}` a multiple of
    :math:`2T_{max}`), :math:`\eta_t = \eta_{t-1} + \tfrac12(\eta_0 - \eta_{min})
    (1 - \cos(\pi / T_{max}))`. Past :math:`T_{max}` the rate rises again along the same
    cosine (period :math:`2T_{max}`), exactly as in PyTorch.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int
        Half-period in steps (:math:`\ge 1`).
    eta_min : float, default 0
        Lowest rate (:math:`\ge 0`).
    """

    name = "cosine"
    _hyper = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0):
        self.T_max = check_int("T_max", T_max, minimum=1)
        self.eta_min = check_non_negative("eta_min", eta_min)
        super().__init__(optimizer)

    def _lr_at(self, t: int) -> float:
        lr = self.optimizer.lr
        if self._initial:
            return lr
        T, eta_min = self.T_max, self.eta_min
        if (t - 1 - T) % (2 * T) == 0:
            return lr + (self.base_lr - eta_min) * (1 - math.cos(math.pi / T)) / 2
        return ((1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (lr - eta_min) + eta_min)

    def _closed_form(self, t: int) -> float:
        eta_min = self.eta_min
        return eta_min + (self.base_lr - eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


@SCHEDULES.decorator()
class OneCycleLR(LRScheduler):
    r"""The 1cycle policy (Smith & Topin): warm up to ``max_lr``, then anneal far below the start.

    With :math:`T` = ``total_steps``, :math:`p` = ``pct_start``,
    :math:`\eta_{init} = \eta_{max} / \text{div\_factor}` and
    :math:`\eta_{end} = \eta_{init} / \text{final\_div\_factor}`, step :math:`t` lies in a phase
    :math:`[s_a, s_b]` that anneals from a start value to an end value with
    :math:`q = (t - s_a) / (s_b - s_a)`:

    .. math::
        \text{cos: } f(a, b, q) = b + \tfrac12 (a - b)(1 + \cos \pi q), \qquad
        \text{linear: } f(a, b, q) = a + (b - a)\, q

    * warm-up, steps :math:`[0,\ pT-1]`: rate :math:`\eta_{init} \to \eta_{max}`, momentum
      max -> base;
    * anneal, steps :math:`[pT-1,\ T-1]`: rate :math:`\eta_{max} \to \eta_{end}`, momentum
      base -> max.

    With ``three_phase=True`` the anneal is split: :math:`[pT-1, 2pT-2]` brings the rate back to
    :math:`\eta_{init}` (momentum base -> max), then :math:`[2pT-2, T-1]` goes to
    :math:`\eta_{end}` (momentum stays at max). The schedule may be stepped up to :math:`T`
    times (PyTorch's limit); the :math:`T`-th step, which a loop of :math:`T` batches takes
    after its last batch, extrapolates the last phase as PyTorch does, except that the rate is
    kept :math:`\ge 0` and the momentum within its range (PyTorch's linear extrapolation there
    goes below zero).

    Construction sets ``optimizer.lr`` to :math:`\eta_{init}`, ignoring its previous value. With
    ``cycle_momentum=True`` the momentum moves opposite to the rate: ``optimizer.momentum`` for
    :class:`~backprop.optim.SGD` -- which, as in PyTorch, switches momentum on even if the
    optimiser was built with ``momentum=0`` -- or :math:`\beta_1` of ``optimizer.betas`` for
    :class:`~backprop.optim.Adam` / :class:`~backprop.optim.AdamW`.

    Parameters
    ----------
    optimizer : Optimizer
    max_lr : float
        Peak rate :math:`\eta_{max} > 0`.
    total_steps : int
        :math:`T \ge 1`, usually epochs x batches per epoch (step this schedule every batch).
    pct_start : float, default 0.3
        Fraction :math:`p \in [0, 1)` of the steps spent warming up (at most 0.5 with
        ``three_phase``).
    anneal_strategy : {"cos", "linear"}, default "cos"
    cycle_momentum : bool, default True
    base_momentum, max_momentum : float, default 0.85, 0.95
        Momentum range, each in :math:`[0, 1)`.
    div_factor : float, default 25
        :math:`\eta_{init} = \eta_{max} / \text{div\_factor}`.
    final_div_factor : float, default 1e4
        :math:`\eta_{end} = \eta_{init} / \text{final\_div\_factor}`.
    three_phase : bool, default False
    """

    name = "onecycle"
    interval = "step"
    _hyper = ("max_lr", "total_steps", "pct_start", "anneal_strategy", "cycle_momentum",
              "base_momentum", "max_momentum", "div_factor", "final_div_factor", "three_phase")

    def __init__(self, optimizer: Optimizer, max_lr: float, total_steps: int,
                 pct_start: float = 0.3, anneal_strategy: str = "cos",
                 cycle_momentum: bool = True, base_momentum: float = 0.85,
                 max_momentum: float = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False):
        self._attach(optimizer)
        self.max_lr = check_positive("max_lr", max_lr)
        self.total_steps = check_int("total_steps", total_steps, minimum=1)
        self.pct_start = check_range("pct_start", pct_start, 0.0, 0.5 if three_phase else 1.0,
                                     high_open=not three_phase)
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"anneal_strategy must be 'cos' or 'linear', got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        self.cycle_momentum = check_bool("cycle_momentum", cycle_momentum)
        self.base_momentum = check_range("base_momentum", base_momentum, 0.0, 1.0)
        self.max_momentum = check_range("max_momentum", max_momentum, 0.0, 1.0)
        self.div_factor = check_positive("div_factor", div_factor)
        self.final_div_factor = check_positive("final_div_factor", final_div_factor)
        self.three_phase = check_bool("three_phase", three_phase)
        if self.cycle_momentum and not (hasattr(optimizer, "betas")
                                        or hasattr(optimizer, "momentum")):
            raise ValueError(f"OneCycleLR(cycle_momentum=True) needs an optimizer with "
                             f"'momentum' (SGD) or 'betas' (Adam, AdamW), got "
                             f"{type(optimizer).__name__}; pass cycle_momentum=False")
        self._after_load()
        if self.pct_start * self.total_steps == 1.0:
            # the warm-up would span [0, 0]: PyTorch divides by zero at step 0
            raise ValueError(f"pct_start * total_steps must not be 1 (an empty warm-up), got "
                             f"pct_start={self.pct_start:g}, total_steps={self.total_steps}")
        optimizer.initial_lr = self.initial_lr  # PyTorch overrides the group's initial_lr too
        super().__init__(optimizer)

    def _after_load(self) -> None:
        self.initial_lr = self.max_lr / self.div_factor
        self.min_lr = self.initial_lr / self.final_div_factor
        self._use_beta1 = hasattr(self.optimizer, "betas")
        T, p = self.total_steps, self.pct_start
        lo, hi, end = self.initial_lr, self.max_lr, self.min_lr
        m_lo, m_hi = self.base_momentum, self.max_momentum
        # (last step of the phase, start rate, end rate, start momentum, end momentum)
        if self.three_phase:
            self._phases = [(float(p * T) - 1, lo, hi, m_hi, m_lo),
                            (float(2 * p * T) - 2, hi, lo, m_lo, m_hi),
                            (T - 1, lo, end, m_hi, m_hi)]
        else:
            self._phases = [(float(p * T) - 1, lo, hi, m_hi, m_lo),
                            (T - 1, hi, end, m_lo, m_hi)]

    def _anneal(self, start: float, end: float, q: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * q) + 1)
        return (end - start) * q + start

    def _lr_at(self, t: int) -> float:
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR stepped {t} times, but total_steps is "
                             f"{self.total_steps}")
        start = 0.0
        last = len(self._phases) - 1
        for i, (end_step, lr0, lr1, m0, m1) in enumerate(self._phases):
            if t <= end_step or i == last:
                q = (t - start) / (end_step - start)
                lr = self._anneal(lr0, lr1, q)
                m = self._anneal(m0, m1, q)
                if t == self.total_steps:
                    # one step past the schedule (the usual loop's last sched.step()): PyTorch
                    # extrapolates, which goes below 0 with linear annealing; keep it valid
                    lr = max(lr, 0.0)
                    m = min(max(m, min(m0, m1)), max(m0, m1))
                if self.cycle_momentum:
                    self._set_momentum(m)
                return lr
            start = end_step
        raise AssertionError("unreachable: the last phase always matches")  # pragma: no cover

    def _set_momentum(self, m: float) -> None:
        opt: Any = self.optimizer
        if self._use_beta1:
            opt.betas = (m, opt.betas[1])
        else:
            opt.momentum = m


@SCHEDULES.decorator()
class ReduceLROnPlateau(LRScheduler):
    r"""Divide the rate when a watched metric stops improving.

    ``step(metric)`` is called once per epoch with, say, the validation loss. A value is an
    improvement when (``mode="min"``)

    .. math::
        \text{rel: } x < b\,(1 - \theta), \qquad \text{abs: } x < b - \theta

    (``mode="max"``: :math:`x > b(1+\theta)` or :math:`x > b + \theta`), :math:`b` being the best
    value so far. After more than ``patience`` epochs without improvement,

    .. math:: \eta \leftarrow \max(\eta \cdot \text{factor},\ \eta_{min})

    (skipped if it would change :math:`\eta` by no more than ``eps``), and the next ``cooldown``
    epochs are not counted. PyTorch's rules, step for step.

    Parameters
    ----------
    optimizer : Optimizer
    mode : {"min", "max"}, default "min"
    factor : float, default 0.1
        In :math:`(0, 1)`.
    patience : int, default 10
        Epochs without improvement tolerated (:math:`\ge 0`).
    threshold : float, default 1e-4
        :math:`\theta \ge 0`.
    threshold_mode : {"rel", "abs"}, default "rel"
    cooldown : int, default 0
    min_lr : float, default 0
    eps : float, default 1e-8

    Attributes
    ----------
    best : float
        Best metric so far (:math:`+\infty` / :math:`-\infty` before the first step).
    num_bad_epochs, cooldown_counter : int
    """

    name = "plateau"
    needs_metric = True
    _hyper = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown", "min_lr",
              "eps")

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float = 0.0, eps: float = 1e-8):
        self._attach(optimizer)
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.mode = mode
        self.threshold_mode = threshold_mode
        self.factor = check_range("factor", factor, 0.0, 1.0, low_open=True)
        self.patience = check_int("patience", patience, minimum=0)
        self.threshold = check_non_negative("threshold", threshold)
        self.cooldown = check_int("cooldown", cooldown, minimum=0)
        self.min_lr = check_non_negative("min_lr", min_lr)
        self.eps = check_non_negative("eps", eps)
        # no initial step: the rate only changes in response to metrics
        self.last_epoch = 0
        self._last_lr = optimizer.lr
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0

    def _counters(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "last_lr": self._last_lr, "best": self.best,
                "num_bad_epochs": self.num_bad_epochs,
                "cooldown_counter": self.cooldown_counter}

    def _is_better(self, x: float) -> bool:
        b, th = self.best, self.threshold
        if self.mode == "min":
            return x < b * (1.0 - th) if self.threshold_mode == "rel" else x < b - th
        return x > b * (th + 1.0) if self.threshold_mode == "rel" else x > b + th

    def step(self, metric: float) -> None:  # type: ignore[override]
        """Record one epoch's ``metric`` and lower the rate if it has plateaued."""
        if isinstance(metric, numbers.Real) and not isinstance(metric, bool):
            x = float(metric)
        else:
            try:
                x = float(metric)  # 0-d / one-element arrays
            except (TypeError, ValueError) as exc:
                raise TypeError(f"metric must be a number, got {metric!r}") from exc
        self.last_epoch += 1
        if self._is_better(x):
            self.best = x
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # epochs in cooldown do not count
        if self.num_bad_epochs > self.patience:
            old = self.optimizer.lr
            new = max(old * self.factor, self.min_lr)
            if old - new > self.eps:
                self.optimizer.lr = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self.optimizer.lr


@SCHEDULES.decorator()
class LinearLR(LRScheduler):
    r"""Scale the rate by a factor that moves linearly from ``start_factor`` to ``end_factor``.

    The usual warm-up: ``LinearLR(opt, start_factor=0.1, total_iters=5)`` starts at a tenth of
    the rate and reaches the full rate after 5 steps, where it stays. With :math:`f_s, f_e` the
    factors and :math:`T` = ``total_iters``:

    .. math:: \eta_t = \eta_0 \left(f_s + (f_e - f_s)\,\frac{\min(t, T)}{T}\right)

    computed as PyTorch does, recursively from the optimiser's current rate:
    :math:`\eta_0 \leftarrow \eta_0 f_s` at construction, then for :math:`1 \le t \le T`

    .. math::
        \eta_t = \eta_{t-1}\left(1 + \frac{f_e - f_s}{T f_s + (t - 1)(f_e - f_s)}\right)

    and :math:`\eta_t = \eta_{t-1}` after :math:`T`.

    Parameters
    ----------
    optimizer : Optimizer
    start_factor : float, default 1/3
        :math:`f_s \in (0, 1]`.
    end_factor : float, default 1
        :math:`f_e \in [0, 1]`.
    total_iters : int, default 5
        :math:`T \ge 1` steps to go from one factor to the other.
    """

    name = "linear"
    _hyper = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5):
        self.start_factor = check_range("start_factor", start_factor, 0.0, 1.0, low_open=True,
                                        high_open=False)
        self.end_factor = check_range("end_factor", end_factor, 0.0, 1.0, high_open=False)
        self.total_iters = check_int("total_iters", total_iters, minimum=1)
        super().__init__(optimizer)

    def _lr_at(self, t: int) -> float:
        lr = self.optimizer.lr
        if t == 0:
            return lr * self.start_factor
        if self._initial or t > self.total_iters:
            return lr
        f_s, f_e = self.start_factor, self.end_factor
        return lr * (1.0 + (f_e - f_s) / (self.total_iters * f_s + (t - 1) * (f_e - f_s)))

    def _closed_form(self, t: int) -> float:
        f_s, f_e, T = self.start_factor, self.end_factor, self.total_iters
        return self.base_lr * (f_s + (f_e - f_s) * min(T, t) / T)


@SCHEDULES.decorator()
class MultiStepLR(LRScheduler):
    r"""Multiply the rate by :math:`\gamma` at each milestone.

    .. math:: \eta_t = \eta_0\, \gamma^{\,|\{k \,:\, m_k \le t\}|}

    computed recursively as PyTorch does: :math:`\eta_t = \eta_{t-1}\,\gamma^{n_t}`, where
    :math:`n_t` is the number of times :math:`t` appears among the milestones (a milestone listed
    twice multiplies by :math:`\gamma^2`). A milestone 0 applies at construction, as in PyTorch.

    Parameters
    ----------
    optimizer : Optimizer
    milestones : sequence of int
        Steps :math:`m_1 \le m_2 \le \dots`, each :math:`\ge 0`, in non-decreasing order.
    gamma : float, default 0.1
        Factor :math:`\gamma > 0`.
    """

    name = "multistep"
    _hyper = ("milestones", "gamma")

    def __init__(self, optimizer: Optimizer, milestones: Any, gamma: float = 0.1):
        self.milestones = _as_milestones("milestones", milestones, minimum=0, strict=False)
        self.gamma = check_positive("gamma", gamma)
        self._after_load()
        super().__init__(optimizer)

    def _after_load(self) -> None:
        self._counts: dict[int, int] = {}
        for m in self.milestones:
            self._counts[m] = self._counts.get(m, 0) + 1

    def _lr_at(self, t: int) -> float:
        lr = self.optimizer.lr
        n = self._counts.get(t, 0)
        return lr if n == 0 else lr * self.gamma ** n

    def _closed_form(self, t: int) -> float:
        return self.base_lr * self.gamma ** bisect.bisect_right(self.milestones, t)


@SCHEDULES.decorator()
class CosineAnnealingWarmRestarts(LRScheduler):
    r"""Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter).

    The rate follows half a cosine from :math:`\eta_0` down towards :math:`\eta_{min}` over a
    period of :math:`T_i` steps, then jumps back to :math:`\eta_0`; each period is
    :math:`T_{mult}` times the previous one (:math:`T_0, T_0 T_{mult}, T_0 T_{mult}^2, \dots`).
    With :math:`T_{cur}` the steps since the last restart:

    .. math::
        \eta_t = \eta_{min} + \tfrac12(\eta_0 - \eta_{min})
                 \left(1 + \cos\frac{\pi\, T_{cur}}{T_i}\right), \qquad
        T_{cur} \leftarrow T_{cur} + 1;\ \text{if } T_{cur} \ge T_i:\
        T_{cur} \leftarrow T_{cur} - T_i,\ T_i \leftarrow T_{mult} T_i

    PyTorch's arithmetic, computed from :math:`T_{cur}` and :math:`T_i` as PyTorch does. It is
    stepped once per epoch by default (``interval = "epoch"``), as PyTorch's examples do; pass
    ``schedule_interval="step"`` to ``fit`` to restart within epochs. PyTorch's fractional
    ``step(epoch)`` calls are not offered.

    Parameters
    ----------
    optimizer : Optimizer
    T_0 : int
        Length of the first period (:math:`\ge 1`).
    T_mult : int, default 1
        Growth of the period after each restart (:math:`\ge 1`).
    eta_min : float, default 0
        Lowest rate (:math:`\ge 0`).

    Attributes
    ----------
    T_i, T_cur : int
        The current period and the position in it.
    """

    name = "cosine_restarts"
    _hyper = ("T_0", "T_mult", "eta_min")

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0):
        self.T_0 = check_int("T_0", T_0, minimum=1)
        self.T_mult = check_int("T_mult", T_mult, minimum=1)
        self.eta_min = check_non_negative("eta_min", eta_min)
        self.T_i = self.T_0
        self.T_cur = -1
        super().__init__(optimizer)

    def _counters(self) -> dict[str, Any]:
        return {**super()._counters(), "T_i": self.T_i, "T_cur": self.T_cur}

    def _lr_at(self, t: int) -> float:
        # the rate at the current position; t is implied by T_cur (as in PyTorch's get_lr)
        eta_min = self.eta_min
        return eta_min + (self.base_lr - eta_min) * (
            1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2

    def step(self) -> None:
        """Advance one step (restarting when the period is over) and set ``optimizer.lr``."""
        old = (self.T_cur, self.T_i)
        if self.last_epoch < 0:
            self.T_cur, self.T_i = 0, self.T_0
        else:
            self.T_cur += 1
            if self.T_cur >= self.T_i:
                self.T_cur %= self.T_i
                self.T_i *= self.T_mult
        try:
            lr = self._lr_at(self.last_epoch + 1)
            self.optimizer.lr = lr
        except Exception:
            self.T_cur, self.T_i = old
            raise
        self.last_epoch += 1
        self._last_lr = self.optimizer.lr


@SCHEDULES.decorator()
class LambdaLR(LRScheduler):
    r"""The rate is the starting rate times a Python function of the step.

    .. math:: \eta_t = \eta_0 \cdot \lambda(t)

    ``lr_lambda(t) -> factor`` is any callable, e.g. ``lambda epoch: 0.95 ** epoch``. Registered
    by name so that the registry knows it, but built from Python only: a callable cannot be typed
    on the command line (``command_line = False``).

    :meth:`state_dict` saves everything but the callable, as PyTorch does for functions and
    lambdas; rebuild the schedule with the same function before loading a state. (PyTorch also
    saves the ``__dict__`` of a callable *object*; here states stay plain JSON, so it is not.)

    Parameters
    ----------
    optimizer : Optimizer
    lr_lambda : callable int -> float
        The factor :math:`\lambda(t)` for step :math:`t = 0, 1, \dots`; the rate must come out
        :math:`\ge 0`.
    """

    name = "lambda"
    command_line = False

    def __init__(self, optimizer: Optimizer, lr_lambda: Callable[[int], float]):
        if not callable(lr_lambda):
            raise TypeError(f"lr_lambda must be a callable step -> factor, got {lr_lambda!r}")
        self.lr_lambda = lr_lambda
        super().__init__(optimizer)

    def _lr_at(self, t: int) -> float:
        factor = check_real(f"lr_lambda({t})", self.lr_lambda(t))
        return self.base_lr * factor

    def __repr__(self) -> str:
        fn = getattr(self.lr_lambda, "__name__", repr(self.lr_lambda))
        return f"LambdaLR(lr_lambda={fn}, last_epoch={self.last_epoch})"


@SCHEDULES.decorator()
class SequentialLR(LRScheduler):
    r"""Run schedules one after another, switching at milestones (e.g. warm-up, then cosine).

    With schedules :math:`S_0, \dots, S_n` and milestones :math:`m_1 < \dots < m_n`, step
    :math:`t` belongs to :math:`S_k` for :math:`m_k \le t < m_{k+1}` (:math:`m_0 = 0`)::

        warm = bp.LinearLR(opt, start_factor=0.1, total_iters=5)
        main = bp.CosineAnnealingLR(opt, T_max=55)
        sched = bp.SequentialLR(opt, [warm, main], milestones=[5])

    PyTorch's behaviour, step for step:

    * **construction** sets the rate back to the optimiser's ``initial_lr`` (the rate before any
      schedule), takes back the construction step of every schedule (``last_epoch -= 1``) and
      runs the construction step of :math:`S_0` again, so the later schedules' own
      construction leaves no trace;
    * at milestone :math:`m_k`, :math:`S_k` restarts at its step 0 *in closed form* from its
      ``base_lr`` (PyTorch's ``step(0)``), so the rate jumps to :math:`S_k`'s starting rate
      whatever :math:`S_{k-1}` left; after that :math:`S_k` is stepped as usual, counting from 0.

    :meth:`state_dict` holds the children's states. Every schedule must drive the same optimiser
    and have the same ``interval``; :class:`ReduceLROnPlateau` (its ``step`` needs a metric) and
    nested ``SequentialLR`` are refused (PyTorch refuses the first and fails at a milestone on
    the second). Built from Python only (``command_line = False``); ``backprop train
    --warmup-epochs`` builds one.

    Parameters
    ----------
    optimizer : Optimizer
    schedulers : sequence of LRScheduler
        At least one, all built on ``optimizer``.
    milestones : sequence of int
        One fewer than the schedules, strictly increasing, each :math:`\ge 1`.
    """

    name = "sequential"
    command_line = False
    _hyper = ("milestones",)

    def __init__(self, optimizer: Optimizer, schedulers: Any, milestones: Any):
        self._attach(optimizer)
        try:
            schedulers = list(schedulers)
        except TypeError:
            raise TypeError(f"schedulers must be a list of schedules, got "
                            f"{type(schedulers).__name__}") from None
        if not schedulers:
            raise ValueError("SequentialLR needs at least one schedule, got none")
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler):
                raise TypeError(f"schedulers[{i}] must be a backprop schedule, got "
                                f"{type(s).__name__}")
            if s.needs_metric or isinstance(s, SequentialLR):
                raise ValueError(f"SequentialLR cannot run {type(s).__name__} (schedulers[{i}]): "
                                 f"{'its step needs a metric' if s.needs_metric else 'nesting'}"
                                 f" is not supported")
            if s.optimizer is not optimizer:
                raise ValueError(f"schedulers[{i}] ({type(s).__name__}) drives another optimizer; "
                                 f"every schedule must be built on the same one")
        intervals = {s.interval for s in schedulers}
        if len(intervals) > 1:
            raise ValueError(f"the schedules step at different intervals "
                             f"{[s.interval for s in schedulers]}; SequentialLR needs one (set "
                             f"the 'interval' attribute of a schedule to choose)")
        milestones = _as_milestones("milestones", milestones, minimum=1, strict=True)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR needs one milestone fewer than schedules: got "
                             f"{len(schedulers)} schedules and milestones {milestones}")
        self.schedulers = schedulers
        self.milestones = milestones
        self.interval = schedulers[0].interval
        self.last_epoch = 0
        if optimizer.initial_lr is not None:  # always set: the children were built first
            optimizer.lr = optimizer.initial_lr
        for s in schedulers:  # undo the children's construction steps
            s.last_epoch -= 1
        first = schedulers[bisect.bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first._last_lr

    def step(self) -> None:
        """Advance one step: the schedule whose turn it is steps, or restarts at its milestone."""
        t = self.last_epoch + 1
        k = bisect.bisect_right(self.milestones, t)
        current = self.schedulers[k]
        if k > 0 and self.milestones[k - 1] == t:
            current._restart(0)
        else:
            current.step()
        self.last_epoch = t
        self._last_lr = current._last_lr

    def _counters(self) -> dict[str, Any]:
        return {"last_epoch": self.last_epoch, "last_lr": self._last_lr}

    def state_dict(self) -> dict[str, Any]:
        """JSON-able state: the counters, the milestones and each schedule's own state."""
        state = super().state_dict()
        state["schedulers"] = [s.state_dict() for s in self.schedulers]
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, children included; all or nothing."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        children = state.get("schedulers")
        if not isinstance(children, list) or len(children) != len(self.schedulers):
            raise ValueError(f"SequentialLR state must hold {len(self.schedulers)} schedule "
                             f"states under 'schedulers', got {children!r:.80}")
        milestones = _as_milestones("milestones", state.get("milestones"), minimum=1,
                                    strict=True)
        if len(milestones) != len(self.milestones):
            raise ValueError(f"SequentialLR state has milestones {milestones} for "
                             f"{len(self.schedulers)} schedules")
        backup = [s.state_dict() for s in self.schedulers]
        try:
            for s, sub in zip(self.schedulers, children, strict=True):
                s.load_state_dict(sub)
            super().load_state_dict({k: v for k, v in state.items() if k != "schedulers"})
        except Exception:
            for s, sub in zip(self.schedulers, backup, strict=True):
                s.load_state_dict(sub)
            raise
        self.milestones = milestones

    def __repr__(self) -> str:
        inner = ", ".join(repr(s) for s in self.schedulers)
        return (f"SequentialLR([{inner}], milestones={self.milestones}, "
                f"last_epoch={self.last_epoch})")


def _as_milestones(label: str, value: Any, *, minimum: int, strict: bool) -> list[int]:
    """A list of integer steps ``>= minimum`` in increasing (``strict``) or non-decreasing
    order, with an error naming the offending value."""
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"{label} must be a list of integers, got {value!r}")
    out = [check_int(f"{label} entry", m, minimum=minimum) for m in value]
    for a, b in zip(out[:-1], out[1:], strict=True):
        if b < a or (strict and b == a):
            order = "increasing" if strict else "non-decreasing"
            raise ValueError(f"{label} must be in {order} order, got {out}")
    return out


def register_schedule(cls: type[LRScheduler] | None = None, *, replace: bool = False) -> Any:
    """Register an :class:`LRScheduler` subclass under its ``name`` (a class decorator)."""

    def apply(c: type[LRScheduler]) -> type[LRScheduler]:
        if not (isinstance(c, type) and issubclass(c, LRScheduler)):
            raise TypeError(f"register_schedule expects an LRScheduler subclass, got {c!r}")
        return SCHEDULES.decorator()(c, replace=replace)

    return apply if cls is None else apply(cls)


def make_schedule(name: str, optimizer: Optimizer, **kwargs: Any) -> LRScheduler:
    """Build the schedule registered as ``name`` with PyTorch's arguments."""
    cls = SCHEDULES[name]
    try:
        return cls(optimizer, **kwargs)
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc) or "required" in str(exc):
            raise TypeError(f"schedule {name!r}: {str(exc).split(': ', 1)[-1]}") from None
        raise


__all__ = ["SCHEDULES", "CosineAnnealingLR", "CosineAnnealingWarmRestarts", "ExponentialLR",
           "LRScheduler", "LambdaLR", "LinearLR", "MultiStepLR", "OneCycleLR",
           "ReduceLROnPlateau", "SequentialLR", "StepLR", "make_schedule", "register_schedule"]
