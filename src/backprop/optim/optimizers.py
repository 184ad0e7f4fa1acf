r"""Optimisers with the update rules, argument names and defaults of ``torch.optim``.

All optimisers share one front::

    opt = bp.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net.backward(loss.backward())     # writes every p.grad
    opt.step()                        # updates every p.data in place

Behind it each optimiser is a chain of small transforms (:mod:`backprop.optim.transforms`)
applied to a copy of the gradients, in this order::

    ClipByValue -> ClipByGlobalNorm -> AddDecayedWeights (L2)
        -> Momentum | ScaleByAdam | ScaleByRMS -> Momentum | ScaleByNAdam
        -> [AddDecayedWeights (decoupled, AdamW)] -> p <- p - lr * u

* ``SGD``     = [clip] -> L2 decay -> momentum -> scale by :math:`-\alpha`
* ``Adam``    = [clip] -> L2 decay -> Adam     -> scale by :math:`-\alpha`
* ``AdamW``   = [clip] -> Adam -> decoupled decay -> scale by :math:`-\alpha`
* ``RMSprop`` = [clip] -> L2 decay -> RMS scaling -> momentum -> scale by :math:`-\alpha`
* ``NAdam``   = [clip] -> L2 decay -> NAdam -> scale by :math:`-\alpha` (or, decoupled,
  [clip] -> NAdam -> decoupled decay -> scale)

Clipping comes first so it bounds the raw gradient, as ``clip_grad_norm_`` called before
``optimizer.step()`` does in PyTorch. Parameters change in exactly one place,
:meth:`Optimizer.step`: either the chain runs and ``p <- p - lr * u`` is applied, or -- the
explicit fast path -- an Adam/AdamW chain on a flat buffer runs as one compiled pass that does
the same arithmetic (:meth:`Optimizer._compiled_adam_step`). An observer attached with
:meth:`Optimizer.add_hook` (the explanation of a step, :mod:`backprop.explain`) sees the update
arrays after every transform and the change applied to every parameter; the fast path is off
while one is attached, since its intermediate arrays never exist. The chain works on its own
buffer, so ``p.grad`` is left as ``backward`` wrote it (PyTorch's ``clip_grad_norm_`` would
overwrite it; the parameters come out the same).

The learning rate lives in ``opt.lr`` and the other hyper-parameters (``momentum``, ``betas``,
``weight_decay``, ...) are attributes too, so schedules can change them between steps; each
is validated whenever it is assigned.

Every optimiser is registered in :data:`OPTIMIZERS` under ``torch.optim``'s lower-case name
(``"sgd"``, ``"adam"``, ``"adamw"``, ``"rmsprop"``, ``"nadam"``) and built by name with
``torch.optim``'s arguments: ``make_optimizer("sgd", params, lr=0.1, momentum=0.9)``. Two presets
are registered beside them: ``"momentum"`` (SGD with momentum 0.9) and ``"nesterov"`` (the same
with Nesterov).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from .. import compiled
from .._checks import (
    Alias,
    check_bool,
    check_non_negative,
    check_norm_type,
    check_positive,
    check_range,
)
from ..parameters import Parameter, contiguous_run
from ..registry import Registry
from .transforms import (
    ARRAYS,
    AddDecayedWeights,
    ClipByGlobalNorm,
    ClipByValue,
    Momentum,
    ScaleByAdam,
    ScaleByNAdam,
    ScaleByRMS,
    Transform,
)

DecayMask = str | Sequence[bool] | Callable[[Parameter], bool] | None
#: ``hook(stage, arrays)``: see :meth:`Optimizer.add_hook`
OptimizerHook = Callable[[str, list[np.ndarray]], None]

_TOP_KEYS = ("type", "lr", "n_steps", ARRAYS)


def as_parameter_list(params: Iterable[Parameter] | Parameter, *,
                      allow_empty: bool = False) -> list[Parameter]:
    """Check and list the parameters handed to an optimiser or a clipping function."""
    if isinstance(params, Parameter):
        params = [params]
    try:
        plist = list(params)
    except TypeError as exc:
        raise TypeError(f"params must be an iterable of Parameter (net.parameters()), "
                        f"got {type(params).__name__}") from exc
    if not plist and not allow_empty:
        raise ValueError("optimizer got an empty parameter list")
    seen: set[tuple[int, str]] = set()
    for i, p in enumerate(plist):
        if not isinstance(p, Parameter):
            raise TypeError(f"expected Parameter objects (net.parameters()), got "
                            f"{type(p).__name__} at index {i}")
        key = (id(p.owner), p.attr)
        if key in seen:
            # updating the same array twice per step would silently double the step
            raise ValueError(f"parameter {p.name!r} appears more than once (index {i})")
        seen.add(key)
    return plist


def resolve_decay_mask(params: Sequence[Parameter], decay_mask: DecayMask) -> list[bool] | None:
    """Turn ``decay_mask`` into one bool per parameter (``None``: every parameter decays).

    Parameters
    ----------
    params : sequence of Parameter
    decay_mask : None, "auto", sequence of bool or callable
        ``None`` decays everything (``torch.optim`` parity); ``"auto"`` uses each parameter's
        ``decay`` flag (False for biases and batch-norm parameters); a sequence gives one bool
        per parameter; a callable maps a Parameter to a bool.
    """
    if decay_mask is None:
        return None
    if isinstance(decay_mask, str):
        if decay_mask != "auto":
            raise ValueError(f"decay_mask must be None, 'auto', a sequence of bool or a "
                             f"callable, got {decay_mask!r}")
        return [bool(p.decay) for p in params]
    if callable(decay_mask):
        mask = []
        for p in params:
            m = decay_mask(p)
            if not isinstance(m, (bool, np.bool_)):
                raise TypeError(f"decay_mask callable must return a bool, got {m!r} for {p!r}")
            mask.append(bool(m))
        return mask
    mask = list(decay_mask)
    if len(mask) != len(params):
        raise ValueError(f"decay_mask has {len(mask)} entries for {len(params)} parameters")
    for i, m in enumerate(mask):
        if not isinstance(m, (bool, np.bool_)):
            raise TypeError(f"decay_mask entries must be bool, got {m!r} at index {i}")
    return [bool(m) for m in mask]


class _HookHandle:
    """Detaches an optimiser hook: ``remove()``, or leave a ``with`` block."""

    def __init__(self, hooks: list[OptimizerHook], hook: OptimizerHook):
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self) -> _HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _clipping(clip_norm: float | None, clip_value: float | None,
              clip_norm_type: float = 2.0) -> list[Transform]:
    chain: list[Transform] = []
    if clip_value is not None:
        chain.append(ClipByValue(clip_value))
    norm_type = check_norm_type("clip_norm_type", clip_norm_type)
    if clip_norm is not None:
        chain.append(ClipByGlobalNorm(clip_norm, norm_type))
    elif norm_type != 2.0:
        raise ValueError(f"clip_norm_type={clip_norm_type!r} has no effect without clip_norm")
    return chain


class Optimizer:
    r"""A chain of transforms followed by :math:`p \leftarrow p - \alpha\, u`.

    Each :meth:`step` copies the gradients into preallocated update arrays ``u``, lets every
    transform rewrite them in place, then applies :math:`p \leftarrow p - \alpha u` in place.
    :class:`SGD`, :class:`Adam` and :class:`AdamW` are this class with a fixed chain; any other
    chain works too::

        opt = Optimizer(net.parameters(), lr=0.01,
                        transforms=[ClipByGlobalNorm(1.0), Momentum(0.9)])

    Parameters
    ----------
    params : iterable of Parameter
        Usually ``net.parameters()``; each is updated in place (its array is never replaced).
    lr : float
        Learning rate :math:`\alpha > 0`. Afterwards ``opt.lr`` may be set to any value
        :math:`\ge 0` (a cosine schedule ends at 0).
    transforms : sequence of Transform
        The chain, applied in order; names must be unique.

    Attributes
    ----------
    params : list of Parameter
    transforms : list of Transform
    n_steps : int
        Number of :meth:`step` calls.
    initial_lr : float or None
        The rate the first schedule attached to this optimiser started from (PyTorch's
        ``param_group["initial_lr"]``): every later schedule on the same optimiser takes it as
        its ``base_lr``, and :class:`~backprop.optim.SequentialLR` resets the rate to it. None
        until a schedule is attached; not part of :meth:`state_dict` (a schedule saves its own
        ``base_lr``).
    """

    def __init__(self, params: Iterable[Parameter], lr: float,
                 transforms: Sequence[Transform] = ()):
        self.params = as_parameter_list(params)
        self._lr = check_positive("learning rate", lr)
        self.transforms = list(transforms)
        names = set()
        for t in self.transforms:
            if not isinstance(t, Transform):
                raise TypeError(f"transforms must be Transform objects, got {type(t).__name__}")
            if t.name in names:
                raise ValueError(f"two transforms named {t.name!r} in one chain")
            names.add(t.name)
        arrays = [p.data for p in self.params]
        run = contiguous_run(self.params)
        if run is not None:
            # the parameters are consecutive slices of one flat buffer (Sequential arranges
            # that): every step works on three whole vectors instead of a loop over arrays
            flat_data, flat_grad, layout = run
            self._flat: tuple[np.ndarray, np.ndarray] | None = (flat_data, flat_grad)
            self._updates = [np.empty_like(flat_data)]
            # the views the flat step writes through; a layer attribute re-assigned later
            # (net[0].W = ...) would silently stop training, so step() checks these first
            self._views = [_view(p) for p in self.params]
        else:
            layout = None
            self._flat = None
            self._updates = [np.empty_like(a) for a in arrays]
        for t in self.transforms:
            t.init(arrays, layout)
        self._layout = layout
        self._hooks: list[OptimizerHook] = []
        self.n_steps = 0
        self.initial_lr: float | None = None
        self._fused = self._fused_plan()

    # --- building -------------------------------------------------------------------------
    @classmethod
    def preset(cls, **defaults: Any) -> Callable[..., Optimizer]:
        """A factory with other defaults (``SGD.preset(momentum=0.9)``), for the registry."""

        def make(params: Iterable[Parameter], **kwargs: Any) -> Optimizer:
            return cls(params, **{**defaults, **kwargs})

        make.__doc__ = f"{cls.__name__} with {defaults} unless told otherwise."
        make.__wrapped__ = cls  # type: ignore[attr-defined]  # inspect.signature reads cls's
        return make

    def _fused_plan(self) -> tuple[ScaleByAdam, AddDecayedWeights | None,
                                   AddDecayedWeights | None] | None:
        """Adam/AdamW chains ([decay?, adam, decay?], no clipping) on a flat buffer can run as
        one compiled pass; anything else runs transform by transform."""
        if self._flat is None:
            return None
        chain = self.transforms
        adams = [i for i, t in enumerate(chain) if isinstance(t, ScaleByAdam)]
        if len(adams) != 1 or len(chain) > 3:
            return None
        i = adams[0]
        pre, post = chain[:i], chain[i + 1:]
        if len(pre) > 1 or len(post) > 1:
            return None
        if not all(isinstance(t, AddDecayedWeights) for t in (*pre, *post)):
            return None
        if chain[i].amsgrad:  # the compiled kernel has no AMSGrad: the chain runs instead
            return None
        return chain[i], (pre[0] if pre else None), (post[0] if post else None)

    @property
    def lr(self) -> float:
        r"""The learning rate :math:`\alpha` used by the next :meth:`step`."""
        return self._lr

    @lr.setter
    def lr(self, value: float) -> None:
        self._lr = check_non_negative("learning rate", value)

    def transform(self, name: str) -> Transform:
        """The transform called ``name`` in this optimiser's chain."""
        for t in self.transforms:
            if t.name == name:
                return t
        raise KeyError(f"no transform named {name!r}; the chain has "
                       f"{[t.name for t in self.transforms]}")

    def step(self) -> None:
        r"""One update of every parameter: :math:`p \leftarrow p - \alpha\,\text{chain}(g)`.

        The only place where an optimiser changes parameters: the chain rewrites a copy of the
        gradients and :meth:`_apply` subtracts :math:`\alpha u`, or the compiled fast path does
        both in one pass (not while a hook observes the step, see :meth:`add_hook`).
        """
        if self._flat is not None:
            self._check_views()
        if self._hooks:
            self._observed_step()
        elif self._fused is not None and compiled.kernels is not None:
            self._compiled_adam_step()
        else:
            self._apply(self._direction())
        self.n_steps += 1

    # --- observers ------------------------------------------------------------------------
    def add_hook(self, hook: OptimizerHook) -> _HookHandle:
        r"""Observe every :meth:`step`: ``hook(stage, arrays)`` is called

        * with ``stage="gradient"`` once the update arrays hold the copy of the gradients the
          chain starts from;
        * with each transform's ``name`` right after that transform rewrote them (``"clip_norm"``,
          ``"weight_decay"``, ``"momentum"``, ``"adam"``, ...), in chain order;
        * with ``stage="apply"`` and the change actually added to each parameter,
          :math:`-\alpha u`: after the step ``p.data`` equals ``p_before + arrays[i]`` exactly.

        ``arrays`` holds one array per parameter of :attr:`params`, in order (views of the
        optimiser's working memory: copy what you keep, change nothing). While a hook is attached
        the compiled Adam/AdamW pass is not used -- its intermediate arrays never exist -- and the
        chain runs with the NumPy arithmetic of :meth:`_apply` (``u *= -lr; p += u``), which the
        fast-path tests hold equal to the compiled pass. Returns a handle whose ``remove()``
        detaches the hook (also a context manager).
        """
        if not callable(hook):
            raise TypeError(f"an optimiser hook must be callable, got {type(hook).__name__}")
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    def _per_parameter(self, updates: list[np.ndarray]) -> list[np.ndarray]:
        """The update arrays as one array per parameter (views of the flat vector if flat)."""
        if self._layout is not None:
            return self._layout.split(updates[0])
        return updates

    def _notify(self, stage: str, updates: list[np.ndarray]) -> None:
        arrays = self._per_parameter(updates)
        for hook in list(self._hooks):
            hook(stage, arrays)

    def _observed_step(self) -> None:
        """:meth:`_direction` and :meth:`_apply` with the hooks called between the pieces."""
        updates = self._direction(observe=True)
        neg_lr = -self._lr
        if self._flat is not None:
            flat_data = self._flat[0]
            updates[0] *= neg_lr
            flat_data += updates[0]
        else:
            for u, p in zip(updates, self.params, strict=True):
                u *= neg_lr
                p.data += u
        self._notify("apply", updates)

    def _direction(self, observe: bool = False) -> list[np.ndarray]:
        """The update arrays :math:`u`: a copy of the gradients rewritten by every transform
        (with ``observe``, the hooks see them after the copy and after each transform)."""
        updates = self._updates
        if self._flat is not None:
            np.copyto(updates[0], self._flat[1], casting="same_kind")
            params = [self._flat[0]]
        else:
            for u, p in zip(updates, self.params, strict=True):
                g = p.grad
                if g.shape != u.shape:
                    raise ValueError(f"gradient of {p.name!r} has shape {g.shape}, "
                                     f"parameter has {u.shape}")
                np.copyto(u, g, casting="same_kind")
            params = [p.data for p in self.params]
        if observe:
            self._notify("gradient", updates)
        for t in self.transforms:
            t.update(updates, params)
            if observe:
                self._notify(t.name, updates)
        return updates

    def _apply(self, updates: list[np.ndarray]) -> None:
        r""":math:`p \leftarrow p - \alpha u`, in place."""
        if self._flat is not None:
            flat_data, u = self._flat[0], updates[0]
            if compiled.kernels is not None:
                compiled.kernels.axpy(flat_data, u, -self._lr)
            else:
                u *= -self._lr
                flat_data += u
            return
        neg_lr = -self._lr
        for u, p in zip(updates, self.params, strict=True):
            u *= neg_lr
            p.data += u

    def _compiled_adam_step(self) -> None:
        """The fast path of an [L2 decay?] -> Adam -> [decoupled decay?] chain on a flat buffer:
        the same arithmetic as :meth:`_direction` + :meth:`_apply`, in one compiled pass that
        updates the moments and the parameters in place (tested against the chain in
        ``tests/test_fast_paths.py``)."""
        adam, pre, post = self._fused
        eps_hat, scale = adam.advance()
        m, v = adam.moments
        wd_pre = pre.weight_decay if pre is not None else 0.0
        wd_post = post.weight_decay if post is not None else 0.0
        compiled.kernels.adam_step(self._flat[0], self._flat[1], m, v,
                                   pre.element_mask() if wd_pre else None,
                                   post.element_mask() if wd_post else None,
                                   adam.b1, adam.b2, eps_hat, scale, self._lr, wd_pre, wd_post)

    def _check_views(self) -> None:
        # the layers' own attribute dictionaries, read directly: a few dictionary lookups a step
        for p, attrs, attr, data, grad_attr, grad in self._views:
            if attrs is None:
                if p.data is not data or p.grad is not grad:
                    self._replaced(p)
            elif attrs.get(attr) is not data or attrs.get(grad_attr) is not grad:
                self._replaced(p)

    @staticmethod
    def _replaced(p: Parameter) -> None:
        raise RuntimeError(
            f"parameter {p.name!r} was replaced by a new array after the optimiser was "
            f"created, so the optimiser no longer updates it; assign in place instead "
            f"(layer.{p.attr}[...] = values) or create the optimiser afterwards")

    def zero_grad(self) -> None:
        """Set every gradient to zero (``backward`` assigns gradients, so this is rarely needed)."""
        for p in self.params:
            p.grad[...] = 0

    # --- saving and resuming --------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume bit-identically (the parameters themselves excluded).

        Returns
        -------
        dict
            JSON-able scalars -- ``"type"``, ``"lr"``, ``"n_steps"`` and each transform's
            hyper-parameters and counters as ``"<transform>.<name>"`` (e.g. ``"adam.t"``) --
            plus ``"arrays"``: a dict ``"<transform>.<name>.<i>" -> ndarray`` (copies) of the
            per-parameter state, ``i`` being the parameter's position in ``params``.
        """
        state: dict[str, Any] = {"type": type(self).__name__, "lr": self._lr,
                                 "n_steps": self.n_steps}
        arrays: dict[str, np.ndarray] = {}
        for t in self.transforms:
            sub = t.state_dict()
            for k, v in sub.pop(ARRAYS).items():
                arrays[f"{t.name}.{k}"] = v
            for k, v in sub.items():
                state[f"{t.name}.{k}"] = v
        state[ARRAYS] = arrays
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict` (arrays are copied in); all or nothing.

        Raises
        ------
        ValueError
            If the state belongs to another optimiser type or chain, or an array has the
            wrong shape. The optimiser is left unchanged then.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict from state_dict(), got {type(state).__name__}")
        if state.get("type") != type(self).__name__:
            raise ValueError(f"state is for optimizer type {state.get('type')!r}, "
                             f"not {type(self).__name__!r}")
        names = {t.name for t in self.transforms}
        for key in list(state) + list(state.get(ARRAYS, {})):
            if key not in _TOP_KEYS and key.split(".", 1)[0] not in names:
                raise ValueError(f"state entry {key!r} does not match this optimizer's chain "
                                 f"{[t.name for t in self.transforms]}")
        backup = self.state_dict()
        try:
            self._load(state)
        except Exception:
            self._load(backup)
            raise

    def _load(self, state: dict[str, Any]) -> None:
        for key in ("lr", "n_steps"):
            if key not in state:
                raise ValueError(f"optimizer state is missing the key {key!r}")
        self.lr = state["lr"]
        self.n_steps = int(state["n_steps"])
        arrays = state.get(ARRAYS, {})
        for t in self.transforms:
            prefix = t.name + "."
            sub = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}
            sub[ARRAYS] = {k[len(prefix):]: v for k, v in arrays.items()
                           if k.startswith(prefix)}
            t.load_state_dict(sub)

    def __repr__(self) -> str:
        chain = ", ".join(repr(t) for t in self.transforms)
        return f"{type(self).__name__}(lr={self._lr:g}, {len(self.params)} params, [{chain}])"


class SGD(Optimizer):
    r"""Stochastic gradient descent with momentum, as ``torch.optim.SGD``.

    With gradient :math:`g_t`, L2 coefficient :math:`\lambda`, momentum :math:`\mu` and
    dampening :math:`\tau`:

    .. math::
        d_t = g_t + \lambda p_{t-1}, \qquad
        b_t = \begin{cases} d_1 & t = 1 \\ \mu b_{t-1} + (1-\tau)\, d_t & t > 1 \end{cases}

    .. math::
        p_t = p_{t-1} - \alpha\, b_t \quad\text{or, Nesterov,}\quad
        p_t = p_{t-1} - \alpha\,(d_t + \mu b_t)

    With :math:`\mu = 0` this is plain :math:`p \leftarrow p - \alpha (g + \lambda p)`.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float
        :math:`\alpha > 0`.
    momentum : float, default 0
        :math:`\mu \in [0, 1)`.
    dampening : float, default 0
        :math:`\tau \in [0, 1]`.
    nesterov : bool, default False
        Needs momentum > 0 and dampening = 0.
    weight_decay : float, default 0
        L2 coefficient :math:`\lambda \ge 0`, added to the gradient.
    decay_mask : None, "auto", sequence of bool or callable, keyword-only
        Which parameters decay: ``None`` all (torch parity), ``"auto"`` each parameter's
        ``decay`` flag (skips biases and batch-norm parameters), or one bool per parameter, or
        a function Parameter -> bool.
    clip_norm, clip_value : float or None, keyword-only
        Clip the gradient by global norm / by value before anything else (see
        :func:`~backprop.optim.clip_grad_norm`, :func:`~backprop.optim.clip_grad_value`).
    clip_norm_type : float, default 2, keyword-only
        The order of the norm ``clip_norm`` bounds (:math:`p > 0` or ``inf``), as
        ``clip_grad_norm_``'s ``norm_type``.

    Examples
    --------
    >>> import backprop as bp
    >>> net = bp.Sequential(bp.Dense(2, 3, rng=0), bp.Tanh(), bp.Dense(3, 1, rng=1))
    >>> opt = bp.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4,
    ...              decay_mask="auto")
    >>> [t.name for t in opt.transforms]
    ['weight_decay', 'momentum']
    """

    def __init__(self, params: Iterable[Parameter], lr: float, momentum: float = 0.0,
                 dampening: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0, *,
                 decay_mask: DecayMask = None, clip_norm: float | None = None,
                 clip_value: float | None = None, clip_norm_type: float = 2.0):
        params = as_parameter_list(params)
        self._momentum = Momentum(momentum, dampening, nesterov)
        self._decay = AddDecayedWeights(weight_decay, resolve_decay_mask(params, decay_mask))
        chain = _clipping(clip_norm, clip_value, clip_norm_type) + [self._decay, self._momentum]
        super().__init__(params, lr, chain)

    momentum = Alias("_momentum", "momentum",
                     "Momentum :math:`\\mu`; a schedule (:class:`OneCycleLR`) may cycle it.")
    dampening = Alias("_momentum", "dampening")
    nesterov = Alias("_momentum", "nesterov")
    weight_decay = Alias("_decay", "weight_decay")


class Adam(Optimizer):
    r"""Adam (Kingma & Ba) with L2 weight decay, as ``torch.optim.Adam``.

    .. math::
        d_t = g_t + \lambda p_{t-1}, \quad
        m_t = \beta_1 m_{t-1} + (1-\beta_1) d_t, \quad
        v_t = \beta_2 v_{t-1} + (1-\beta_2) d_t^2

    .. math::
        p_t = p_{t-1} - \alpha\, \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}

    The decay term :math:`\lambda p` goes through Adam's rescaling, so large-gradient weights
    decay less -- the reason :class:`AdamW` exists. With ``amsgrad=True`` the denominator uses
    :math:`\max_{k \le t} v_k` instead of :math:`v_t` (PyTorch's AMSGrad, see
    :class:`ScaleByAdam`); the compiled fast path does not do it, so the transform chain runs.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
        :math:`(\beta_1, \beta_2)`, each in :math:`[0, 1)`.
    eps : float, default 1e-8
        :math:`\epsilon > 0`, outside the square root (see :class:`ScaleByAdam`).
    weight_decay : float, default 0
        L2 coefficient :math:`\lambda \ge 0`.
    amsgrad : bool, default False
        Divide by the largest second moment so far (fixed at construction).
    decay_mask, clip_norm, clip_value, clip_norm_type : keyword-only
        As in :class:`SGD`.
    """

    _decoupled = False

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 decay_mask: DecayMask = None, clip_norm: float | None = None,
                 clip_value: float | None = None, clip_norm_type: float = 2.0):
        params = as_parameter_list(params)
        b1, b2 = _as_betas(betas)
        self._adam = ScaleByAdam(b1, b2, eps, amsgrad)
        self._decay = AddDecayedWeights(weight_decay, resolve_decay_mask(params, decay_mask))
        if self._decoupled:
            core = [self._adam, self._decay]
        else:
            core = [self._decay, self._adam]
        super().__init__(params, lr, _clipping(clip_norm, clip_value, clip_norm_type) + core)

    @property
    def betas(self) -> tuple[float, float]:
        r""":math:`(\beta_1, \beta_2)`; :class:`OneCycleLR` may cycle :math:`\beta_1`."""
        return (self._adam.b1, self._adam.b2)

    @betas.setter
    def betas(self, value: tuple[float, float]) -> None:
        b1, b2 = _as_betas(value)
        self._adam.b1, self._adam.b2 = b1, b2

    eps = Alias("_adam", "eps")
    weight_decay = Alias("_decay", "weight_decay")

    @property
    def amsgrad(self) -> bool:
        """Whether AMSGrad's maximum of the second moments is used (fixed at construction)."""
        return self._adam.amsgrad


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter), as ``torch.optim.AdamW``.

    .. math::
        m_t, v_t \text{ as in Adam with } d_t = g_t, \qquad
        p_t = p_{t-1} - \alpha\lambda\, p_{t-1}
              - \alpha\, \frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \epsilon}

    i.e. PyTorch's :math:`p \leftarrow p(1 - \alpha\lambda)` followed by the Adam step, written
    as the chain Adam -> :class:`AddDecayedWeights` -> scale by :math:`-\alpha`. The decay
    bypasses Adam's rescaling, so every weight shrinks by the same factor.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        :math:`\lambda \ge 0` (PyTorch's default is not zero here).
    amsgrad : bool, default False
        As in :class:`Adam`.
    decay_mask, clip_norm, clip_value, clip_norm_type : keyword-only
        As in :class:`SGD`.
    """

    _decoupled = True

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 decay_mask: DecayMask = None, clip_norm: float | None = None,
                 clip_value: float | None = None, clip_norm_type: float = 2.0):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decay_mask=decay_mask,
                         clip_norm=clip_norm, clip_value=clip_value,
                         clip_norm_type=clip_norm_type)


class RMSprop(Optimizer):
    r"""RMSprop, as ``torch.optim.RMSprop``: each weight's step divided by its recent RMS gradient.

    With gradient :math:`g_t`, L2 coefficient :math:`\lambda`, smoothing :math:`\alpha` and
    momentum :math:`\mu` (all state starting at 0):

    .. math::
        d_t = g_t + \lambda p_{t-1}, \qquad
        s_t = \alpha s_{t-1} + (1-\alpha)\, d_t^2, \qquad
        r_t = \frac{d_t}{\sqrt{s_t} + \epsilon}
        \quad\Bigl(\text{centered: } \bar d_t = \alpha \bar d_{t-1} + (1-\alpha) d_t,\
        r_t = \frac{d_t}{\sqrt{s_t - \bar d_t^{\,2}} + \epsilon}\Bigr)

    .. math::
        b_t = \mu b_{t-1} + r_t, \qquad p_t = p_{t-1} - \alpha_{lr}\, b_t
        \quad (\mu = 0:\ p_t = p_{t-1} - \alpha_{lr}\, r_t)

    The chain is [clip] -> L2 decay -> :class:`ScaleByRMS` -> :class:`Momentum` -> scale by
    :math:`-\alpha_{lr}`; PyTorch's zero-initialised ``momentum_buffer`` equals
    :class:`Momentum`'s first buffer :math:`b_1 = r_1`. State: ``rmsprop.step`` (PyTorch's
    ``step``), ``rmsprop.square_avg``, ``rmsprop.grad_avg`` (centered) and ``momentum.buf``
    (PyTorch's ``momentum_buffer``, under the name SGD's momentum uses here).

    Where libraries differ: :math:`\epsilon` outside the square root (PyTorch); TensorFlow and
    optax's default add it inside (see :class:`ScaleByRMS`).

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 1e-2
    alpha : float, default 0.99
        Smoothing constant :math:`\alpha \in [0, 1]` (Keras's ``rho``).
    eps : float, default 1e-8
        :math:`\epsilon > 0`.
    weight_decay : float, default 0
        L2 coefficient :math:`\lambda \ge 0`, added to the gradient.
    momentum : float, default 0
        :math:`\mu \in [0, 1)`.
    centered : bool, default False
        Normalise by the estimated variance instead of the second moment (fixed at
        construction).
    decay_mask, clip_norm, clip_value, clip_norm_type : keyword-only
        As in :class:`SGD`.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, *, decay_mask: DecayMask = None,
                 clip_norm: float | None = None, clip_value: float | None = None,
                 clip_norm_type: float = 2.0):
        params = as_parameter_list(params)
        self._rms = ScaleByRMS(alpha, eps, centered)
        self._momentum = Momentum(momentum)
        self._decay = AddDecayedWeights(weight_decay, resolve_decay_mask(params, decay_mask))
        chain = (_clipping(clip_norm, clip_value, clip_norm_type)
                 + [self._decay, self._rms, self._momentum])
        super().__init__(params, lr, chain)

    alpha = Alias("_rms", "alpha")
    eps = Alias("_rms", "eps")
    momentum = Alias("_momentum", "momentum",
                     "Momentum :math:`\\mu`; a schedule (:class:`OneCycleLR`) may cycle it.")
    weight_decay = Alias("_decay", "weight_decay")

    @property
    def centered(self) -> bool:
        """Whether the variance is used instead of the second moment (fixed at construction)."""
        return self._rms.centered


class NAdam(Optimizer):
    r"""NAdam (Adam with Nesterov momentum, Dozat 2016), as ``torch.optim.NAdam``.

    With :math:`d_t = g_t + \lambda p_{t-1}` (L2) or :math:`d_t = g_t` (decoupled), Adam's
    moments of :math:`d_t` and the momentum schedule :math:`\mu_t = \beta_1(1 - \frac12
    0.96^{t\psi})`, :math:`\Pi_t = \prod_{k \le t}\mu_k`:

    .. math::
        p_t = p_{t-1} - \alpha\left[\frac{1-\mu_t}{1-\Pi_t}\,\frac{d_t}{D_t}
              + \frac{\mu_{t+1}}{1-\Pi_t\mu_{t+1}}\,\frac{m_t}{D_t}\right]
              \;[-\, \alpha\lambda p_{t-1}], \qquad
        D_t = \sqrt{v_t/(1-\beta_2^t)} + \epsilon

    The chain is [clip] -> L2 decay -> :class:`ScaleByNAdam` -> scale, or, with
    ``decoupled_weight_decay=True`` (PyTorch's flag, NAdamW), [clip] -> NAdam -> decoupled decay
    -> scale, as :class:`AdamW`. State as PyTorch's: ``nadam.exp_avg``, ``nadam.exp_avg_sq``,
    ``nadam.mu_product``, ``nadam.step``.

    Where libraries differ: the momentum schedule :math:`\mu_t` is Dozat's, as PyTorch and Keras
    use; optax's ``nadam`` keeps :math:`\beta_1` constant. See :class:`ScaleByNAdam`.

    Parameters
    ----------
    params : iterable of Parameter
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
        :math:`\lambda \ge 0`.
    momentum_decay : float, default 4e-3
        :math:`\psi \ge 0` of the momentum schedule.
    decoupled_weight_decay : bool, default False
        Decay as AdamW does instead of L2 (fixed at construction).
    decay_mask, clip_norm, clip_value, clip_norm_type : keyword-only
        As in :class:`SGD`.
    """

    def __init__(self, params: Iterable[Parameter], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, decay_mask: DecayMask = None,
                 clip_norm: float | None = None, clip_value: float | None = None,
                 clip_norm_type: float = 2.0):
        params = as_parameter_list(params)
        b1, b2 = _as_betas(betas)
        self._decoupled = check_bool("decoupled_weight_decay", decoupled_weight_decay)
        self._nadam = ScaleByNAdam(b1, b2, eps, momentum_decay)
        self._decay = AddDecayedWeights(weight_decay, resolve_decay_mask(params, decay_mask))
        core = ([self._nadam, self._decay] if self._decoupled
                else [self._decay, self._nadam])
        super().__init__(params, lr, _clipping(clip_norm, clip_value, clip_norm_type) + core)

    @property
    def betas(self) -> tuple[float, float]:
        r""":math:`(\beta_1, \beta_2)`; :class:`OneCycleLR` may cycle :math:`\beta_1`."""
        return (self._nadam.b1, self._nadam.b2)

    @betas.setter
    def betas(self, value: tuple[float, float]) -> None:
        b1, b2 = _as_betas(value)
        self._nadam.b1, self._nadam.b2 = b1, b2

    eps = Alias("_nadam", "eps")
    momentum_decay = Alias("_nadam", "momentum_decay")
    weight_decay = Alias("_decay", "weight_decay")

    @property
    def decoupled_weight_decay(self) -> bool:
        """Whether the decay is decoupled (NAdamW) rather than L2 (fixed at construction)."""
        return self._decoupled


#: every optimiser by name, with ``torch.optim``'s arguments; ``register_optimizer`` adds one
OPTIMIZERS: Registry[Callable[..., Optimizer]] = Registry("optimizer")
OPTIMIZERS.add("sgd", SGD)
OPTIMIZERS.add("momentum", SGD.preset(momentum=0.9))
OPTIMIZERS.add("nesterov", SGD.preset(momentum=0.9, nesterov=True))
OPTIMIZERS.add("adam", Adam)
OPTIMIZERS.add("adamw", AdamW)
OPTIMIZERS.add("rmsprop", RMSprop)
OPTIMIZERS.add("nadam", NAdam)


def register_optimizer(name: str, factory: Callable[..., Optimizer], *,
                       replace: bool = False) -> Callable[..., Optimizer]:
    """Make ``factory(params, **kwargs)`` (an :class:`Optimizer` subclass or a function that
    returns one) available by ``name``."""
    return OPTIMIZERS.add(name, factory, replace=replace)


def _view(p: Parameter) -> tuple[Any, ...]:
    """What ``_check_views`` compares for one parameter: the owner's attribute dictionary when
    the arrays live there (the usual case), else None and the generic ``p.data`` / ``p.grad``."""
    attrs = getattr(p.owner, "__dict__", None)
    if attrs is None or p.attr not in attrs or p.grad_attr not in attrs:
        attrs = None
    return p, attrs, p.attr, p.data, p.grad_attr, p.grad


def make_optimizer(name: str, params: Iterable[Parameter], **kwargs: Any) -> Optimizer:
    """Build the optimiser registered as ``name`` with ``torch.optim``'s arguments.

    ``lr`` defaults to the optimiser's own default (``torch.optim``'s: 1e-3 for Adam/AdamW);
    SGD and its presets have none in PyTorch, so 0.01 is used here.

    Raises
    ------
    ValueError
        For an unknown name (the known ones are listed) or a bad value.
    TypeError
        For an argument the optimiser does not take (its name is given).
    """
    factory = OPTIMIZERS[name]
    if "lr" not in kwargs and OPTIMIZERS.canonical(name) in ("sgd", "momentum", "nesterov"):
        kwargs["lr"] = 0.01
    try:
        return factory(params, **kwargs)
    except TypeError as exc:
        if "unexpected keyword argument" in str(exc):
            bad = str(exc).split("argument", 1)[1].strip()
            raise TypeError(f"optimizer {name!r} takes no argument {bad}") from None
        raise


def _as_betas(betas: Any) -> tuple[float, float]:
    try:
        b1, b2 = betas
    except (TypeError, ValueError) as exc:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from exc
    # both checked before either is stored, so a bad pair leaves the optimiser unchanged
    return check_range("beta1", b1, 0.0, 1.0), check_range("beta2", b2, 0.0, 1.0)
