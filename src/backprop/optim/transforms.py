r"""The small pieces every optimiser is built from.

An optimiser step works on a list of **update arrays** ``u_i``, one per parameter ``p_i``, that
starts as a copy of the gradients :math:`g_i = \partial J / \partial p_i`. Each transform rewrites
the ``u_i`` in place, in a fixed order, and the optimiser finally applies
:math:`p_i \leftarrow p_i - \alpha\, u_i` -- the one place where parameters change::

    clip (value, then global norm) -> L2 decay -> momentum / Adam / RMS + momentum / NAdam
        -> [decoupled decay] -> -lr

Every transform

* keeps its own state (momentum buffers, Adam moments), allocated **once** in :meth:`init` (or on
  first use) and then updated in place with ``out=``; per-step scratch space is one shared flat
  buffer viewed per parameter, so a step allocates no array temporaries;
* has its update rule written as math in its docstring;
* exposes its hyper-parameters as plain attributes validated on every assignment
  (:class:`~backprop._checks.Hyper`; schedules change them between steps);
* never writes parameters: only :meth:`Optimizer.step <backprop.optim.Optimizer.step>` does;
* saves and restores its state through :meth:`Transform.state_dict` /
  :meth:`Transform.load_state_dict` (JSON-able scalars plus arrays, see there).

Where libraries differ
----------------------
* **Momentum** (:class:`Momentum`): PyTorch's form
  :math:`b \leftarrow \mu b + (1-\tau) g,\; p \leftarrow p - \alpha b`, not Sutskever's
  :math:`v \leftarrow \mu v - \alpha g,\; p \leftarrow p + v`. Both agree while :math:`\alpha`
  is constant; when a schedule changes :math:`\alpha`, PyTorch's form applies the new rate to the
  whole buffer at once, Sutskever's lets old velocity keep the old rate. We follow PyTorch for
  exact parity with ``torch.optim.SGD`` and so that schedules act immediately.
* **Adam's** :math:`\epsilon` (:class:`ScaleByAdam`): outside the square root and added *after*
  bias correction, :math:`\hat m / (\sqrt{\hat v} + \epsilon)`, as PyTorch and optax do. The
  Adam paper's efficient form (used by TensorFlow/Keras) adds an un-corrected
  :math:`\hat\epsilon` to :math:`\sqrt{v_t}`, which is a slightly different, step-dependent
  effective :math:`\epsilon`.
* **RMSprop's** :math:`\epsilon` (:class:`ScaleByRMS`): outside the square root,
  :math:`g / (\sqrt{s} + \epsilon)`, as PyTorch (and optax with ``eps_in_sqrt=False``);
  TensorFlow and optax's default use :math:`g / \sqrt{s + \epsilon}`.
* **NAdam's momentum** (:class:`ScaleByNAdam`): Dozat's warming-up schedule
  :math:`\mu_t = \beta_1(1 - \tfrac12 0.96^{0.004 t})`, as PyTorch and Keras; optax's ``nadam``
  uses a constant :math:`\beta_1`.
* **Weight decay** (:class:`AddDecayedWeights`): one piece, :math:`u \leftarrow u + \lambda p`,
  whose *position* in the chain decides its meaning. Placed before momentum/Adam it is L2
  regularisation (the penalty's gradient :math:`\lambda p` is added to :math:`g` and then
  rescaled by Adam's preconditioner) -- ``torch.optim.SGD`` / ``Adam``'s ``weight_decay``. Placed
  after Adam it is decoupled decay (Loshchilov & Hutter), :math:`p \leftarrow p - \alpha\lambda p`
  untouched by the preconditioner -- ``torch.optim.AdamW`` and optax's ``adamw`` chain.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import compiled
from .._checks import (
    Hyper,
    check_bool,
    check_non_negative,
    check_norm_type,
    check_positive,
    check_range,
)
from ..parameters import FlatLayout

#: state dictionaries hold JSON-able scalars plus a name -> ndarray dictionary under this key
ARRAYS = "arrays"


def global_norm(arrays: Sequence[np.ndarray], norm_type: float = 2.0) -> float:
    r"""The p-norm of all arrays seen as one long vector.

    .. math::
        \|u\|_p = \Bigl(\textstyle\sum_i \|u_i\|_p^{\,p}\Bigr)^{1/p}
                 = \Bigl(\textstyle\sum_i \sum_k |u_{i,k}|^p\Bigr)^{1/p}, \qquad
        \|u\|_\infty = \max_{i,k} |u_{i,k}|

    For :math:`p = 2` (the default) one sum of squares over everything; for any other order the
    norm of the per-array norms, as ``torch.nn.utils.get_total_norm`` computes it.

    Parameters
    ----------
    arrays : sequence of ndarray (any shapes)
    norm_type : float, default 2
        The order :math:`p > 0`, or ``inf``.

    Returns
    -------
    float
        The norm (``0.0`` for an empty sequence).
    """
    if norm_type == 2.0:
        total = 0.0
        for a in arrays:
            flat = a.ravel()  # a view for contiguous arrays: no copy
            total += float(np.dot(flat, flat))
        return math.sqrt(total)
    norms = np.array([_vector_norm(a.ravel(), norm_type) for a in arrays], dtype=np.float64)
    return _vector_norm(norms, norm_type)


def _vector_norm(x: np.ndarray, p: float) -> float:
    r""":math:`\|x\|_p` of one vector (torch's ``linalg.vector_norm``); 0 for an empty one."""
    if x.size == 0:
        return 0.0
    if p == math.inf:
        return float(np.max(np.abs(x)))
    if p == 1.0:
        return float(np.sum(np.abs(x)))
    return float(np.sum(np.abs(x) ** p) ** (1.0 / p))


def clip_arrays_by_norm(arrays: Sequence[np.ndarray], max_norm: float, norm_type: float = 2.0,
                        error_if_nonfinite: bool = False) -> float:
    r"""Rescale ``arrays`` in place so their global p-norm is at most ``max_norm``.

    .. math::
        c = \frac{\text{max\_norm}}{\|u\|_p + 10^{-6}}, \qquad
        u \leftarrow u \cdot c \quad \text{if } c < 1

    This is exactly ``torch.nn.utils.clip_grad_norm_``'s rule (its ``clamp(c, max=1)``): the
    :math:`10^{-6}` keeps the division finite for a zero gradient, and a non-finite norm gives
    :math:`c = 0` or NaN and is applied as PyTorch does, so the problem shows up in the
    parameters instead of being hidden -- unless ``error_if_nonfinite=True``, which raises
    first and leaves the arrays untouched.

    Returns
    -------
    float
        The global norm **before** clipping.

    Raises
    ------
    RuntimeError
        With ``error_if_nonfinite=True``, when the norm is NaN or infinite.
    """
    norm = global_norm(arrays, norm_type)
    if error_if_nonfinite and not math.isfinite(norm):
        raise RuntimeError(f"the total norm of order {norm_type:g} of the gradients is {norm}, "
                           f"so they cannot be clipped; set error_if_nonfinite=False to scale "
                           f"them by it anyway")
    coef = clip_coefficient(norm, max_norm)
    if not coef >= 1.0:  # also true for NaN, as torch's clamp(max=1) keeps NaN
        for a in arrays:
            np.multiply(a, coef, out=a)
    return norm


def clip_coefficient(norm: float, max_norm: float) -> float:
    r"""The factor :math:`c = \text{max\_norm} / (\|u\| + 10^{-6})` of
    :func:`clip_arrays_by_norm`, applied when :math:`c < 1`."""
    return max_norm / (norm + 1e-6)


def clip_arrays_by_value(arrays: Sequence[np.ndarray], clip_value: float) -> None:
    r"""Clamp every entry in place: :math:`u \leftarrow \min(\max(u, -c), c)`."""
    for a in arrays:
        np.clip(a, -clip_value, clip_value, out=a)


class _Scratch:
    """One flat buffer per dtype, viewed with each parameter's shape.

    Transforms need a temporary the size of one parameter at a time; sharing one buffer of the
    largest size keeps memory at one parameter's worth and avoids per-step allocations.
    """

    def __init__(self, params: Sequence[np.ndarray]):
        sizes: dict[np.dtype, int] = {}
        for p in params:
            sizes[p.dtype] = max(sizes.get(p.dtype, 0), p.size)
        flat = {dt: np.empty(n, dtype=dt) for dt, n in sizes.items()}
        self.views = [flat[p.dtype][:p.size].reshape(p.shape) for p in params]


class Transform:
    """Base class: an in-place rewrite of the update arrays, with its own state.

    Subclasses set :attr:`name` (unique within a chain; used as the prefix of its keys in the
    optimiser's state dictionary) and implement :meth:`update`.
    """

    name = "transform"
    #: names of the hyper-parameters saved in state_dict (attributes of the transform)
    hyper: tuple[str, ...] = ()

    def init(self, params: Sequence[np.ndarray], layout: FlatLayout | None = None) -> None:
        """Allocate state for parameters with the shapes and dtypes of ``params``.

        With a ``layout`` the parameters are consecutive slices of one flat buffer and
        :meth:`update` receives one-element lists (the whole flat update and parameter vectors);
        state is then kept flat too, with per-parameter views for :meth:`state_dict`.
        """
        self._shapes = [(p.shape, p.dtype) for p in params]
        self._layout = layout

    def _zeros(self) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Zero state arrays: (one per parameter, the arrays :meth:`update` iterates over)."""
        layout = getattr(self, "_layout", None)
        if layout is None:
            arrays = [np.zeros(shape, dtype=dt) for shape, dt in self._shapes]
            return arrays, arrays
        flat = np.zeros(layout.size, dtype=layout.dtype)
        return layout.split(flat), [flat]

    def update(self, updates: list[np.ndarray], params: list[np.ndarray]) -> None:
        """Rewrite ``updates`` in place; ``params`` are read, never written."""
        raise NotImplementedError  # pragma: no cover - abstract

    # --- state ----------------------------------------------------------------------------
    def param_state(self, i: int) -> dict[str, Any]:
        """What this transform keeps for parameter ``i``, under ``torch.optim``'s state names
        (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``step``, ...): copies of arrays
        and plain numbers, empty for a transform without state (or before its first step).
        For observers (the explanation of a step); :meth:`state_dict` is what resumes a run."""
        return {}

    def load_param_state(self, i: int, state: Mapping[str, Any]) -> None:
        """The inverse of :meth:`param_state`: set what this transform keeps for parameter ``i``
        from values under ``torch.optim``'s names (copied in; names it does not keep are left
        alone). Checking a learner's numbers starts the next step from the state they wrote."""

    def _state_scalars(self) -> dict[str, Any]:
        return {}

    def _state_arrays(self) -> dict[str, np.ndarray]:
        return {}

    def _load_state(self, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        """Restore the non-hyper-parameter state (subclasses with state override this)."""

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and state: JSON-able scalars, plus copies of arrays under ``"arrays"``.

        Returns
        -------
        dict
            ``{name: scalar or list, ..., "arrays": {name: ndarray}}``. The arrays are copies,
            so continuing to train does not change a saved state.
        """
        state: dict[str, Any] = {k: _jsonable(getattr(self, k)) for k in self.hyper}
        state.update(self._state_scalars())
        state[ARRAYS] = {k: v.copy() for k, v in self._state_arrays().items()}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned; arrays are copied into the own buffers."""
        arrays = state.get(ARRAYS, {})
        for k in self.hyper:
            if k not in state:
                raise ValueError(f"{self.name} state is missing the key {k!r}")
        self._set_hyper(state)
        self._load_state(state, arrays)

    def _set_hyper(self, state: dict[str, Any]) -> None:
        for k in self.hyper:
            setattr(self, k, state[k])  # Hyper attributes validate

    def _load_arrays(self, prefix: str, arrays: dict[str, np.ndarray],
                     into: list[np.ndarray]) -> None:
        """Copy ``arrays[f"{prefix}.{i}"]`` into ``into[i]`` after checking every shape."""
        for i, target in enumerate(into):
            key = f"{prefix}.{i}"
            if key not in arrays:
                raise ValueError(f"{self.name} state is missing the array {key!r}")
            src = np.asarray(arrays[key])
            if src.shape != target.shape:
                raise ValueError(f"{self.name} state array {key!r} has shape {src.shape}, "
                                 f"expected {target.shape}")
        for i, target in enumerate(into):
            np.copyto(target, arrays[f"{prefix}.{i}"], casting="same_kind")

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyper if k != "mask")
        return f"{type(self).__name__}({args})"


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return list(value)
    return value


class ClipByValue(Transform):
    r"""Clamp each update entry to :math:`[-c, c]`.

    .. math:: u \leftarrow \min(\max(u, -c),\, c)

    The same rule as ``torch.nn.utils.clip_grad_value_``.

    Parameters
    ----------
    clip_value : float
        :math:`c > 0`.
    """

    name = "clip_value"
    hyper = ("clip_value",)

    clip_value = Hyper(check_positive)

    def __init__(self, clip_value: float):
        self.clip_value = clip_value

    def update(self, updates: list[np.ndarray], params: list[np.ndarray]) -> None:
        clip_arrays_by_value(updates, self._clip_value)


class ClipByGlobalNorm(Transform):
    r"""Rescale all updates together when their global norm exceeds ``max_norm``.

    .. math::
        \|u\|_p = \Bigl(\textstyle\sum_i \|u_i\|_p^{\,p}\Bigr)^{1/p}, \qquad
        c = \frac{\text{max\_norm}}{\|u\|_p + 10^{-6}}, \qquad
        u_i \leftarrow c\, u_i \text{ for all } i \quad \text{if } c < 1

    The same rule as ``torch.nn.utils.clip_grad_norm_`` (:math:`p = 2` by default,
    :math:`\|u\|_\infty = \max |u|` for ``inf``); the direction of the step is kept.

    Parameters
    ----------
    max_norm : float
        Largest allowed global norm (> 0).
    norm_type : float, default 2
        The order :math:`p > 0` of the norm, or ``inf``.

    Attributes
    ----------
    last_norm : float or None
        The global norm before clipping, from the last :meth:`update` (for monitoring).
    last_coef : float or None
        The factor :math:`c` of the last :meth:`update` (applied only if :math:`c < 1`).
    """

    name = "clip_norm"
    hyper = ("max_norm", "norm_type")

    max_norm = Hyper(check_positive)
    norm_type = Hyper(check_norm_type)

    def __init__(self, max_norm: float, norm_type: float = 2.0):
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.last_norm: float | None = None
        self.last_coef: float | None = None

    def update(self, updates: list[np.ndarray], params: list[np.ndarray]) -> None:
        self.last_norm = clip_arrays_by_norm(updates, self._max_norm, self._norm_type)
        self.last_coef = clip_coefficient(self.last_norm, self._max_norm)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        # states saved before norm_type existed clipped by the 2-norm
        super().load_state_dict({"norm_type": 2.0, **state})


class AddDecayedWeights(Transform):
    r"""Weight decay: add :math:`\lambda p` to the update of every masked-in parameter.

    .. math:: u_i \leftarrow u_i + \lambda\, m_i\, p_i, \qquad m_i \in \{0, 1\}

    Before momentum/Adam this is **L2 regularisation** (the gradient of
    :math:`\tfrac{\lambda}{2}\|p\|^2`), as ``weight_decay`` in ``torch.optim.SGD`` and
    ``torch.optim.Adam``. After Adam it is **decoupled decay**: with the final
    :math:`p \leftarrow p - \alpha u` it gives :math:`p \leftarrow p - \alpha\lambda p - \alpha\,
    \text{Adam}(g)`, which is ``torch.optim.AdamW``'s :math:`p \leftarrow p(1 - \alpha\lambda)`
    followed by the Adam step. The decay is scaled by the *current* learning rate either way, so a
    schedule shrinks it too (PyTorch's behaviour).

    Parameters
    ----------
    weight_decay : float
        :math:`\lambda \ge 0`; 0 makes the transform a no-op.
    mask : sequence of bool or None
        :math:`m_i`: which parameters decay; ``None`` means all. Biases and batch-norm scales
        are usually left out (``decay_mask="auto"`` in the optimisers).
    """

    name = "weight_decay"
    hyper = ("weight_decay", "mask")

    weight_decay = Hyper(check_non_negative)

    def __init__(self, weight_decay: float, mask: Sequence[bool] | None = None):
        self.weight_decay = weight_decay
        self._mask = None if mask is None else _as_mask(mask)

    @property
    def mask(self) -> list[bool] | None:
        return None if self._mask is None else list(self._mask)

    @mask.setter
    def mask(self, value: Sequence[bool] | None) -> None:
        mask = None if value is None else _as_mask(value)
        if mask is not None and hasattr(self, "_shapes") and len(mask) != len(self._shapes):
            raise ValueError(f"weight-decay mask has {len(mask)} entries for "
                             f"{len(self._shapes)} parameters")
        self._mask = mask
        self._flat_mask = None

    def init(self, params: Sequence[np.ndarray], layout: FlatLayout | None = None) -> None:
        if self._mask is not None and len(self._mask) != len(params):
            raise ValueError(f"weight-decay mask has {len(self._mask)} entries for "
                             f"{len(params)} parameters")
        super().init(params, layout)
        if layout is None:
            self._scratch = _Scratch(params).views
        else:
            self._scratch = [np.empty(layout.size, dtype=layout.dtype)]
        self._flat_mask: np.ndarray | None = None

    def element_mask(self) -> np.ndarray | None:
        """The per-parameter mask spread over the flat vector (None when everything decays);
        only for a transform initialised with a flat layout."""
        if self._mask is None or all(self._mask):
            return None
        if self._flat_mask is None:
            layout = self._layout
            sizes = [int(np.prod(shape, dtype=np.int64)) for shape in layout.shapes]
            self._flat_mask = np.repeat(np.asarray(self._mask, dtype=layout.dtype), sizes)
        return self._flat_mask

    def update(self, updates: list[np.ndarray], params: list[np.ndarray]) -> None:
        wd = self._weight_decay
        if wd == 0.0:
            return
        mask = self._mask
        if getattr(self, "_layout", None) is not None:
            (u,), (p,), (s,) = updates, params, self._scratch
            element_mask = self.element_mask()
            if element_mask is None:
                np.multiply(p, wd, out=s)
            else:
                np.multiply(p, element_mask, out=s)
                s *= wd
            u += s
            return
        for i, (u, p) in enumerate(zip(updates, params, strict=True)):
            if mask is None or mask[i]:
                s = self._scratch[i]
                np.multiply(p, wd, out=s)
                u += s


def _as_mask(mask: Sequence[bool]) -> tuple[bool, ...]:
    out = []
    for i, m in enumerate(mask):
        if not isinstance(m, (bool, np.bool_)):
            raise TypeError(f"weight-decay mask entries must be bool, got {m!r} at index {i}")
        out.append(bool(m))
    return tuple(out)


class Momentum(Transform):
    r"""Heavy-ball momentum in PyTorch's form (optionally Nesterov).

    With :math:`g_t` the incoming update, :math:`\mu` the momentum and :math:`\tau` the dampening:

    .. math::
        b_1 = g_1, \qquad b_t = \mu\, b_{t-1} + (1 - \tau)\, g_t \quad (t > 1)

    .. math::
        u_t = b_t \quad\text{(classical)}, \qquad u_t = g_t + \mu\, b_t \quad\text{(Nesterov)}

    The first buffer is the plain gradient, without the :math:`(1-\tau)` factor -- PyTorch's
    rule, kept for parity. Nesterov's look-ahead is written, as in PyTorch and Keras, in terms of
    the current parameters (Sutskever et al.'s reformulation) so no extra evaluation is needed.
    With :math:`\mu = 0` the transform does nothing and keeps no buffer; the buffer starts (with
    :math:`b = g`) at the first step where :math:`\mu > 0`, which is how PyTorch behaves when a
    schedule turns momentum on.

    Parameters
    ----------
    momentum : float
        :math:`\mu \in [0, 1)`.
    dampening : float
        :math:`\tau \in [0, 1]`.
    nesterov : bool
        Nesterov momentum; needs :math:`\mu > 0` and :math:`\tau = 0` (PyTorch's rule).
    """

    name = "momentum"
    hyper = ("momentum", "dampening", "nesterov")

    momentum = Hyper(check_range, 0.0, 1.0, guard="_nesterov_rule")
    dampening = Hyper(check_range, 0.0, 1.0, high_open=False, guard="_nesterov_rule")
    nesterov = Hyper(check_bool, guard="_nesterov_rule")

    def __init__(self, momentum: float = 0.0, dampening: float = 0.0, nesterov: bool = False):
        self._nesterov = False
        self.momentum = momentum
        self.dampening = dampening
        self.nesterov = nesterov
        self._bufs: list[np.ndarray] | None = None

    def _nesterov_rule(self, name: str, value: Any) -> None:
        """Nesterov needs momentum > 0 and no dampening (PyTorch's rule), whichever changes."""
        now = {"momentum": getattr(self, "_momentum", 0.0),
               "dampening": getattr(self, "_dampening", 0.0), "nesterov": self._nesterov}
        now[name] = value
        if now["nesterov"] and (now["momentum"] == 0.0 or now["dampening"] != 0.0):
            raise ValueError("nesterov=True requires momentum > 0 and dampening = 0, got "
                             f"momentum={now['momentum']:g}, dampening={now['dampening']:g}")

    def init(self, params: Sequence[np.ndarray], layout: FlatLayout | None = None) -> None:
        super().init(params, layout)
        self._bufs = None
        self._run: list[np.ndarray] | None = None
        self._scratch: list[np.ndarray] | None = None

    def _allocate(self) -> list[np.ndarray]:
        self._bufs, self._run = self._zeros()
        self._scratch = _Scratch(self._run).views
        return self._run

    def update(self, updates: list[np.ndarray], params: list[np.ndarray]) -> None:
        mu = self._momentum
        if mu == 0.0:
            return
        first = self._bufs is None
        bufs = self._allocate() if first else self._run
        keep = 1.0 - self._dampening
        for i, (u, buf) in enumerate(zip(updates, bufs, strict=True)):
            s = self._scratch[i]
            if first:
                np.copyto(buf, u)
                if not self._nesterov:
                    continue  # u already equals the new buffer
            else:
                buf *= mu
                if keep == 1.0:
                    buf += u
                else:
                    np.multiply(u, keep, out=s)
                    buf += s
            if self._nesterov:
                np.multiply(buf, mu, out=s)
                u += s
            else:
                np.copyto(u, buf)

    def _set_hyper(self, state: dict[str, Any]) -> None:
        # nesterov constrains the other two: switch it off first so any valid triple loads
        self._nesterov = False
        super()._set_hyper(state)

    def param_state(self, i: int) -> dict[str, Any]:
        if self._bufs is None:
            return {}
        return {"momentum_buffer": self._bufs[i].copy()}

    def load_param_state(self, i: int, state: Mapping[str, Any]) -> None:
        if "momentum_buffer" not in state:
            return
        if self._bufs is None:
            self._allocate()  # started: set every parameter's buffer before the next step
        np.copyto(self._bufs[i], np.asarray(state["momentum_buffer"], dtype=np.float64),
                  casting="same_kind")

    def _state_scalars(self) -> dict[str, Any]:
        return {"started": self._bufs is not None}

    def _state_arrays(self) -> dict[str, np.ndarray]:
        if self._bufs is None:
            return {}
        return {f"buf.{i}": b for i, b in enumerate(self._bufs)}

    def _load_state(self, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        if "started" not in scalars:
            raise ValueError("momentum state is missing the key 'started'")
        if not scalars["started"]:
            self._bufs = None
            self._run = None
            return
        if self._bufs is not None:
            self._load_arrays("buf", arrays, self._bufs)
            return
        bufs, run = self._zeros()
        self._load_arrays("buf", arrays, bufs)  # checks every shape before anything changes
        self._bufs, self._run = bufs, run
        self._scratch = _Scratch(run).views


class ScaleByAdam(Transform):
    r"""Adam's moment estimates with bias correction (Kingma & Ba), in PyTorch's arithmetic.

    At step :math:`t = 1, 2, \dots`, for incoming update :math:`g_t`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2, \qquad m_0 = v_0 = 0

    .. math::
        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
        u_t = \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}

    :math:`\epsilon` sits outside the square root, after bias correction (PyTorch, optax); see the
    module notes for the TensorFlow variant. The bias corrections use the *current*
    :math:`\beta_1, \beta_2` (a schedule such as :class:`~backprop.optim.OneCycleLR` may cycle
    :math:`\beta_1`), as PyTorch does.

    **AMSGrad** (Reddi et al., ``amsgrad=True``) divides by the largest second moment seen so far
    instead of the current one, so the step size per weight never grows:

    .. math::
        \hat v^{max}_t = \max(\hat v^{max}_{t-1},\, v_t), \qquad
        u_t = \frac{\hat m_t}{\sqrt{\hat v^{max}_t / (1 - \beta_2^t)} + \epsilon}

    PyTorch's form: the maximum is taken over the raw :math:`v_t` and the *current* bias
    correction is applied to it (the paper has no bias correction; optax keeps the maximum of
    the corrected :math:`\hat v`, which differs while :math:`1-\beta_2^t` still grows).

    Parameters
    ----------
    b1, b2 : float
        :math:`\beta_1, \beta_2 \in [0, 1)`.
    eps : float
        :math:`\epsilon > 0`.
    amsgrad : bool, default False
        Fixed at construction (it decides which state is kept).

    Attributes
    ----------
    t : int
        Number of steps taken.
    """

    name = "adam"
    hyper = ("b1", "b2", "eps")

    b1 = Hyper(check_range, 0.0, 1.0, label="beta1")
    b2 = Hyper(check_range, 0.0, 1.0, label="beta2")
    eps = Hyper(check_positive)

    def __init__(self, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                 amsgrad: bool = False):
        self.b1 = b1
        self.b2 = b2
        self.eps = eps
        self._amsgrad = check_bool("amsgrad", amsgrad)
        self.t = 0

    @property
    def amsgrad(self) -> bool:
        """Whether the largest second moment so far is used (AMSGrad); fixed at construction."""
        return self._amsgrad

    def init(self, params: Sequence[np.ndarray], layout: FlatLayout | None = None) -> None:
        super().init(params, layout)
        self.m, self._m_run = self._zeros()
        self.v, self._v_run = self._zeros()
        if self._amsgrad:  # torch's max_exp_avg_sq
            self.v_max, self._v_max_run = self._zeros()
        self._scratch = _Scratch(self._m_run).views
        self.t = 0

    def advance(self) -> tuple[float, float]:
        """Count one step; return ``(eps_hat, scale)`` of the folded bias correction:
        ``m_hat / (sqrt(v_hat) + eps) = scale * m / (sqrt(v) + eps_hat)``."""
        self.t += 1
        bc1 = 1.0 - self._b1 ** self.t
        bc2_sqrt = (1.0 - self._b2 ** self.t) ** 0.5
        return self._eps * bc2_sqrt, bc2_sqrt / bc1

    @property
    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """The flat first and second moment vectors ``(m, v)`` (flat layout only), for the
        optimiser's compiled fast path, which updates them in place."""
        return self._m_run[0], self._v_run[0]

    def update(self, updates: list[np.ndarray], params: list[np.ndarray]) -> None:
        b1, b2 = self._b1, self._b2
        # (m/bc1) / (sqrt(v)/sqrt(bc2) + eps) = (m sqrt(bc2)/bc1) / (sqrt(v) + eps sqrt(bc2)):
        # folding the corrections into two scalars saves two passes over the vectors.
        eps_hat, scale = self.advance()
        amsgrad = self._amsgrad
        kernels = None if amsgrad else compiled.kernels  # the kernel has no AMSGrad
        # the denominators come from v_max with AMSGrad, from v itself otherwise
        v_dens = self._v_max_run if amsgrad else self._v_run
        for u, m, v, v_den, s in zip(updates, self._m_run, self._v_run, v_dens, self._scratch,
                                     strict=True):
            if kernels is not None and u.flags.c_contiguous:
                # the same arithmetic in one pass over memory instead of ten
                kernels.adam_direction(u, m, v, b1, b2, eps_hat, scale)
                continue
            # m += (1 - b1) (g - m): the same value as b1 m + (1 - b1) g, in torch's lerp form
            np.subtract(u, m, out=s)
            s *= 1.0 - b1
            m += s
            # v = b2 v + (1 - b2) g^2
            np.multiply(u, u, out=s)
            s *= 1.0 - b2
            v *= b2
            v += s
            if amsgrad:
                np.maximum(v_den, v, out=v_den)
            # g is no longer needed: u becomes the Adam direction
            np.sqrt(v_den, out=s)
            s += eps_hat
            np.divide(m, s, out=u)
            u *= scale

    def param_state(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.t, "exp_avg": self.m[i].copy(),
                               "exp_avg_sq": self.v[i].copy()}
        if self._amsgrad:
            out["max_exp_avg_sq"] = self.v_max[i].copy()
        return out

    def load_param_state(self, i: int, state: Mapping[str, Any]) -> None:
        if "step" in state:
            self.t = _step_count(self.name, state["step"], "step")
        targets = [("exp_avg", self.m), ("exp_avg_sq", self.v)]
        if self._amsgrad:
            targets.append(("max_exp_avg_sq", self.v_max))
        _copy_in(state, targets, i)

    def _state_scalars(self) -> dict[str, Any]:
        return {"t": self.t, "amsgrad": self._amsgrad}

    def _state_arrays(self) -> dict[str, np.ndarray]:
        out = {f"exp_avg.{i}": a for i, a in enumerate(self.m)}
        out.update({f"exp_avg_sq.{i}": a for i, a in enumerate(self.v)})
        if self._amsgrad:
            out.update({f"max_exp_avg_sq.{i}": a for i, a in enumerate(self.v_max)})
        return out

    def _load_state(self, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        t = _step_count(self.name, scalars.get("t"))
        _check_fixed(self.name, "amsgrad", scalars.get("amsgrad", False), self._amsgrad)
        self._load_arrays("exp_avg", arrays, self.m)
        self._load_arrays("exp_avg_sq", arrays, self.v)
        if self._amsgrad:
            self._load_arrays("max_exp_avg_sq", arrays, self.v_max)
        self.t = t


def _copy_in(state: Mapping[str, Any], targets: list[tuple[str, list[np.ndarray]]],
             i: int) -> None:
    """Copy ``state[name]`` into ``arrays[i]`` for each ``(name, arrays)`` the state holds."""
    for name, arrays in targets:
        if name in state:
            value = np.asarray(state[name], dtype=np.float64)
            if value.shape != arrays[i].shape:
                raise ValueError(f"state {name!r} of parameter {i} has shape {value.shape}, "
                                 f"expected {arrays[i].shape}")
            np.copyto(arrays[i], value, casting="same_kind")


def _step_count(name: str, t: Any, key: str = "t") -> int:
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or t < 0:
        raise ValueError(f"{name} state {key!r} must be an integer >= 0, got {t!r}")
    return int(t)


def _check_fixed(name: str, key: str, saved: Any, own: bool) -> None:
    """A construction-time flag (amsgrad, centered) must match the saved state's."""
    if saved is not own and saved != own:
        raise ValueError(f"{name} state was saved with {key}={saved!r}, but this optimizer has "
                         f"{key}={own!r}")


def _lerp(start: np.ndarray, end: np.ndarray, weight: float, scratch: np.ndarray) -> None:
    r"""``start`` <- ``start`` + ``weight`` (``end`` - ``start``) in place, in torch's ``lerp_``
    form: :math:`s + w(e - s)` for :math:`|w| < \tfrac12`, else :math:`e - (e - s)(1 - w)`."""
    np.subtract(end, start, out=scratch)
    if abs(weight) < 0.5:
        scratch *= weight
        start += scratch
    else:
        scratch *= 1.0 - weight
        np.subtract(end, scratch, out=start)


def _ema_of_square(avg: np.ndarray, g: np.ndarray, decay: float, scratch: np.ndarray) -> None:
    r""":math:`a \leftarrow \rho a + (1 - \rho) g^2` in place, as torch's
    ``avg.mul_(rho).addcmul_(g, g, value=1 - rho)`` orders it: :math:`((1-\rho) g) g`."""
    np.multiply(g, 1.0 - decay, out=scratch)
    scratch *= g
    avg *= decay
    avg += scratch


class ScaleByRMS(Transform):
    r"""RMSprop's scaling (Tieleman & Hinton), in PyTorch's arithmetic.

    For incoming update :math:`g_t` and smoothing constant :math:`\alpha`, with
    :math:`s_0 = \bar g_0 = 0`:

    .. math::
        s_t = \alpha\, s_{t-1} + (1 - \alpha)\, g_t^2, \qquad
        u_t = \frac{g_t}{\sqrt{s_t} + \epsilon}

    and, ``centered=True``, the variance instead of the raw second moment:

    .. math::
        \bar g_t = \alpha\, \bar g_{t-1} + (1 - \alpha)\, g_t, \qquad
        u_t = \frac{g_t}{\sqrt{s_t - \bar g_t^{\,2}} + \epsilon}

    There is no bias correction: the first steps divide by :math:`\sqrt{1-\alpha}\,|g|`, i.e. they
    are about 10 times larger than later ones for :math:`\alpha = 0.99`, as in PyTorch and
    TensorFlow. Momentum is not part of this transform: :class:`~backprop.optim.RMSprop` follows
    it with :class:`Momentum` (:math:`b \leftarrow \mu b + u`, PyTorch's ``momentum_buffer``).

    Where libraries differ: :math:`\epsilon` is added **outside** the square root, as in PyTorch
    (optax: ``eps_in_sqrt=False``); TensorFlow, and optax by default, add it inside,
    :math:`g / \sqrt{s + \epsilon}`, which is a much larger effective :math:`\epsilon` (with
    :math:`\epsilon = 10^{-7}`: :math:`\sqrt{\epsilon} \approx 3 \cdot 10^{-4}`). Keras's
    ``rho`` is this :math:`\alpha`.

    Parameters
    ----------
    alpha : float, default 0.99
        :math:`\alpha \in [0, 1]`.
    eps : float, default 1e-8
        :math:`\epsilon > 0`.
    centered : bool, default False
        Fixed at construction (it decides which state is kept).

    Attributes
    ----------
    t : int
        Number of steps taken (PyTorch's ``step``; the update never reads it, it is kept so the
        state is PyTorch's).
    """

    name = "rmsprop"
    hyper = ("alpha", "eps")

    alpha = Hyper(check_range, 0.0, 1.0, high_open=False)
    eps = Hyper(check_positive)

    def __init__(self, alpha: float = 0.99, eps: float = 1e-8, centered: bool = False):
        self.alpha = alpha
        self.eps = eps
        self._centered = check_bool("centered", centered)
        self.t = 0

    @property
    def centered(self) -> bool:
        """Whether the gradient's running mean is subtracted; fixed at construction."""
        return self._centered

    def init(self, params: Sequence[np.ndarray], layout: FlatLayout | None = None) -> None:
        super().init(params, layout)
        self.square_avg, self._sq_run = self._zeros()
        if self._centered:
            self.grad_avg, self._ga_run = self._zeros()
        else:
            self.grad_avg, self._ga_run = [], [None] * len(self._sq_run)
        self._scratch = _Scratch(self._sq_run).views
        self.t = 0

    def update(self, updates: list[np.ndarray], params: list[np.ndarray]) -> None:
        alpha, eps = self._alpha, self._eps
        self.t += 1
        for u, sq, ga, s in zip(updates, self._sq_run, self._ga_run, self._scratch, strict=True):
            _ema_of_square(sq, u, alpha, s)
            if ga is not None:
                _lerp(ga, u, 1.0 - alpha, s)
                np.multiply(ga, ga, out=s)
                np.subtract(sq, s, out=s)
                np.sqrt(s, out=s)
            else:
                np.sqrt(sq, out=s)
            s += eps
            np.divide(u, s, out=u)

    def param_state(self, i: int) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.t, "square_avg": self.square_avg[i].copy()}
        if self._centered:
            out["grad_avg"] = self.grad_avg[i].copy()
        return out

    def load_param_state(self, i: int, state: Mapping[str, Any]) -> None:
        targets = [("square_avg", self.square_avg)]
        if self._centered:
            targets.append(("grad_avg", self.grad_avg))
        _copy_in(state, targets, i)

    def _state_scalars(self) -> dict[str, Any]:
        return {"step": self.t, "centered": self._centered}

    def _state_arrays(self) -> dict[str, np.ndarray]:
        out = {f"square_avg.{i}": a for i, a in enumerate(self.square_avg)}
        out.update({f"grad_avg.{i}": a for i, a in enumerate(self.grad_avg)})
        return out

    def _load_state(self, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        _check_fixed(self.name, "centered", scalars.get("centered"), self._centered)
        # a state saved before the count was kept has none; the update never reads it
        t = _step_count(self.name, scalars.get("step", 0), "step")
        self._load_arrays("square_avg", arrays, self.square_avg)
        self._load_arrays("grad_avg", arrays, self.grad_avg)
        self.t = t


class ScaleByNAdam(Transform):
    r"""NAdam: Adam with Nesterov momentum (Dozat, 2016), in PyTorch's arithmetic.

    Adam's moments :math:`m_t, v_t` (see :class:`ScaleByAdam`) and a momentum coefficient that
    warms up over the steps, with :math:`\psi` = ``momentum_decay``:

    .. math::
        \mu_t = \beta_1\left(1 - \tfrac12\, 0.96^{\,t\psi}\right), \qquad
        \Pi_t = \prod_{k=1}^{t} \mu_k \quad (\text{``mu\_product''})

    .. math::
        u_t = \frac{1 - \mu_t}{1 - \Pi_t}\,\frac{g_t}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon}
            + \frac{\mu_{t+1}}{1 - \Pi_t\, \mu_{t+1}}\,
              \frac{m_t}{\sqrt{v_t / (1 - \beta_2^t)} + \epsilon}

    i.e. the bias-corrected gradient and the bias-corrected *next* momentum, mixed by the
    schedule :math:`\mu`; with :math:`\psi = 0`, :math:`\mu_t = \beta_1/2` for every step.

    Where libraries differ: the schedule :math:`\mu_t = \beta_1(1 - \frac12 0.96^{t\psi})` with
    :math:`\psi = 0.004` is Dozat's and PyTorch's (Keras's ``Nadam`` uses the same with its
    ``0.004``); optax's ``nadam`` has **no** schedule -- a constant :math:`\beta_1` in Adam's
    bias correction. PyTorch keeps ``mu_product`` (and ``step``) in its *default* dtype, float32
    unless ``torch.set_default_dtype(torch.float64)``; here they are float64, so against
    PyTorch's float32 default the step sizes agree to about 1e-7 only.

    Parameters
    ----------
    b1, b2 : float
        :math:`\beta_1, \beta_2 \in [0, 1)`.
    eps : float
        :math:`\epsilon > 0`.
    momentum_decay : float, default 4e-3
        :math:`\psi \ge 0`.

    Attributes
    ----------
    t : int
        Number of steps taken (PyTorch's ``step``).
    mu_product : float
        :math:`\Pi_t` (1 before the first step).
    """

    name = "nadam"
    hyper = ("b1", "b2", "eps", "momentum_decay")

    b1 = Hyper(check_range, 0.0, 1.0, label="beta1")
    b2 = Hyper(check_range, 0.0, 1.0, label="beta2")
    eps = Hyper(check_positive)
    momentum_decay = Hyper(check_non_negative)

    def __init__(self, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8,
                 momentum_decay: float = 4e-3):
        self.b1 = b1
        self.b2 = b2
        self.eps = eps
        self.momentum_decay = momentum_decay
        self.t = 0
        self.mu_product = 1.0

    def init(self, params: Sequence[np.ndarray], layout: FlatLayout | None = None) -> None:
        super().init(params, layout)
        self.m, self._m_run = self._zeros()
        self.v, self._v_run = self._zeros()
        self._scratch = _Scratch(self._m_run).views
        self.t = 0
        self.mu_product = 1.0

    def update(self, updates: list[np.ndarray], params: list[np.ndarray]) -> None:
        b1, b2, eps, psi = self._b1, self._b2, self._eps, self._momentum_decay
        self.t += 1
        t = float(self.t)
        bias_correction2 = 1 - b2 ** t
        mu = b1 * (1.0 - 0.5 * (0.96 ** (t * psi)))
        mu_next = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * psi)))
        self.mu_product *= mu
        grad_coef = (1.0 - mu) / (1.0 - self.mu_product)
        avg_coef = mu_next / (1.0 - self.mu_product * mu_next)
        for u, m, v, s in zip(updates, self._m_run, self._v_run, self._scratch, strict=True):
            _lerp(m, u, 1.0 - b1, s)
            _ema_of_square(v, u, b2, s)
            np.divide(v, bias_correction2, out=s)
            np.sqrt(s, out=s)
            s += eps  # the denominator, shared by both terms
            np.divide(u, s, out=u)
            u *= grad_coef
            np.divide(m, s, out=s)
            s *= avg_coef
            u += s

    def param_state(self, i: int) -> dict[str, Any]:
        return {"step": self.t, "mu_product": self.mu_product, "exp_avg": self.m[i].copy(),
                "exp_avg_sq": self.v[i].copy()}

    def load_param_state(self, i: int, state: Mapping[str, Any]) -> None:
        if "step" in state:
            self.t = _step_count(self.name, state["step"], "step")
        if "mu_product" in state:
            self.mu_product = float(state["mu_product"])
        _copy_in(state, [("exp_avg", self.m), ("exp_avg_sq", self.v)], i)

    def _state_scalars(self) -> dict[str, Any]:
        return {"step": self.t, "mu_product": self.mu_product}

    def _state_arrays(self) -> dict[str, np.ndarray]:
        out = {f"exp_avg.{i}": a for i, a in enumerate(self.m)}
        out.update({f"exp_avg_sq.{i}": a for i, a in enumerate(self.v)})
        return out

    def _load_state(self, scalars: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
        t = _step_count(self.name, scalars.get("step"), "step")
        mu_product = scalars.get("mu_product")
        if isinstance(mu_product, bool) or not isinstance(mu_product, (int, float, np.floating)):
            raise ValueError(f"nadam state 'mu_product' must be a number, got {mu_product!r}")
        self._load_arrays("exp_avg", arrays, self.m)
        self._load_arrays("exp_avg_sq", arrays, self.v)
        self.t = t
        self.mu_product = float(mu_product)
