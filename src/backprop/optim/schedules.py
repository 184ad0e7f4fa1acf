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
(:class:`StepLR`, :class:`ExponentialLR`, :class:`CosineAnnealingLR`), so that changes made to
``opt.lr`` from outside carry through, these classes do the same, with the same arithmetic, so the
sequences agree with PyTorch's to the last bit; the docstrings give the closed forms these
recursions reproduce. :class:`OneCycleLR` is computed in closed form, as in PyTorch.

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

import math
import numbers
from typing import Any

from .._checks import check_bool, check_int, check_non_negative, check_positive, check_range
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

    def __init__(self, optimizer: Optimizer):
        self._attach(optimizer)
        self.base_lr = optimizer.lr
        self.last_epoch = -1
        self._initial = True
        self.step()
        self._initial = False

    def _attach(self, optimizer: Optimizer) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"a schedule needs a backprop Optimizer, got "
                            f"{type(optimizer).__name__}")
        self.optimizer = optimizer

    def _lr_at(self, t: int) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

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


__all__ = ["SCHEDULES", "CosineAnnealingLR", "ExponentialLR", "LRScheduler", "OneCycleLR",
           "ReduceLROnPlateau", "StepLR", "make_schedule", "register_schedule"]
