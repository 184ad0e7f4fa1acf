r"""Recording training steps as the engine performs them.

:func:`trace` (one step) and :func:`trace_steps` (several) copy the network, attach observers --
:meth:`Sequential.add_hook` on the layers, :meth:`Optimizer.add_hook` on the optimiser -- and run
the real steps: ``net.forward``, ``loss.forward``, ``loss.backward``, ``net.backward``,
``optimizer.step()`` and, if there is one, the schedule's ``step()``. The observers copy what
each layer receives and returns and what the optimiser's transforms make of the gradients;
nothing here computes a forward value, a gradient or an update itself, so the trace shows
exactly the numbers training uses.

The article groups a ``Dense`` and the activation after it into one layer :math:`l`:

.. math::
    z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}, \qquad a^{[l]} = g^{[l]}(z^{[l]}), \qquad
    \delta^{[l]} = \frac{\partial J}{\partial z^{[l]}}

with :math:`a^{[0]} = x`. :class:`LayerTrace` holds these arrays for one such layer, with
samples in rows (shape ``(m, n)``) as the engine keeps them. Every other layer -- batch norm,
dropout, layer norm, an activation that follows no ``Dense``, a user's layer -- is a
:class:`ModuleTrace`: its input, output, both gradients, its parameters and buffers before and
after, and what the layer offers to show (:meth:`Layer.observables`: batch norm's batch
statistics, dropout's mask). :attr:`Trace.modules` lists both kinds in network order.

Convention: ``delta`` is :math:`\partial J / \partial z^{[l]}` of the *cost*
:math:`J = \frac1m \sum_i L^{(i)}`, i.e. what arrives at the ``Dense`` output during backward.
For one sample it equals the article's :math:`\delta^{[l]}`; for a batch it is the article's
per-sample :math:`\delta^{[l](i)}` divided by :math:`m` (the loss carries the :math:`\frac1m`),
so that ``dW = delta.T @ a_prev`` with no further factor.

The optimiser is any :class:`~backprop.optim.Optimizer` (by default plain SGD with ``lr``):
:class:`OptimizerTrace` keeps the update arrays after each transform of its chain, the change
applied to every parameter and the state it keeps, under ``torch.optim``'s names. A frozen
parameter is left out of the optimiser's parameter list: its gradient is computed and shown,
its value never changes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._checks import as_float_array, check_positive
from ..layers import Dense, Identity, Layer, Sequential, get_activation
from ..losses import Loss
from ..optim import OPTIMIZERS, SGD, LRScheduler, Optimizer
from ..parameters import Parameter

#: more steps than this are refused (a trace keeps every number of every step)
MAX_STEPS = 1000


def _elementwise(layer: Layer) -> bool:
    """An activation whose slope g'(z) is one number per unit (what a trace explains)."""
    return layer.role == "activation" and bool(getattr(layer, "elementwise", False))


@dataclass
class LayerTrace:
    """One article layer :math:`l` (a ``Dense`` and its activation) during one step.

    Attributes
    ----------
    index : int
        :math:`l`, counted from 1 (the first ``Dense`` after the input).
    activation : str
        The registry name of the element-wise activation after the ``Dense`` (``"identity"``
        for a ``Dense`` with no activation after it), or of the loss's link when it is fused
        into the loss (``fused``).
    activation_config : dict
        Its constructor arguments (the leaky ReLU's ``negative_slope``, ...).
    W : ndarray of shape (n_out, n_in)
        Weights before the update.
    b : ndarray of shape (n_out,) or None
        Bias before the update (None for a ``Dense`` without bias).
    a_prev : ndarray of shape (m, n_in)
        The layer's input: :math:`a^{[l-1]}` (:math:`x` for :math:`l = 1`), or the output of the
        layers in between (batch norm, dropout, ...).
    z, a : ndarray of shape (m, n_out)
        :math:`z^{[l]}` (the ``Dense`` output) and :math:`a^{[l]} = g(z^{[l]})`.
    g_prime : ndarray of shape (m, n_out)
        :math:`g'(z^{[l]})`, from the activation's own ``backward`` applied to ones (ones for a
        fused output layer, whose :math:`\\delta` comes from the loss).
    grad_a : ndarray of shape (m, n_out)
        :math:`\\partial J / \\partial a^{[l]}`, what arrives at the activation during backward.
    delta : ndarray of shape (m, n_out)
        :math:`\\partial J / \\partial z^{[l]}` (see the module note on :math:`1/m`).
    dW : ndarray of shape (n_out, n_in)
    db : ndarray of shape (n_out,) or None
    W_new, b_new : ndarray or None
        Parameters after the optimiser's step (unchanged when frozen).
    position : int
        Where the ``Dense`` sits in the network (0-based).
    fused : bool
        The activation is the loss's link (a softmax or sigmoid output trained with the matching
        cross-entropy): the loss takes :math:`z` and gives :math:`\\delta = \\partial J/\\partial
        z` itself, and :math:`a` is the link applied to :math:`z` by the activation layer.
    frozen : tuple of str
        The parameters (``"W"``, ``"b"``) the optimiser does not update.
    state : dict
        ``{"W": {...}, "b": {...}}``: the optimiser's state for each trained parameter after the
        step (see :class:`OptimizerTrace`), empty for plain SGD.
    """

    index: int
    activation: str
    activation_config: dict[str, Any]
    W: np.ndarray
    b: np.ndarray | None
    a_prev: np.ndarray
    z: np.ndarray
    a: np.ndarray
    g_prime: np.ndarray
    grad_a: np.ndarray
    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray | None
    W_new: np.ndarray
    b_new: np.ndarray | None
    position: int = 0
    fused: bool = False
    frozen: tuple[str, ...] = ()
    state: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def activation_layer(self) -> Layer:
        """A fresh layer of the activation, to ask for its notation and words."""
        return get_activation(self.activation, **self.activation_config)

    @property
    def n_in(self) -> int:
        return int(self.W.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.W.shape[0])


@dataclass
class ParamTrace:
    """One parameter of a layer during a step: before, gradient, after."""

    attr: str
    grad_attr: str
    before: np.ndarray
    grad: np.ndarray
    after: np.ndarray
    frozen: bool = False


@dataclass
class ModuleTrace:
    """Any layer outside the article's Dense-and-activation pairs during one step.

    Attributes
    ----------
    position : int
        Where the layer sits in the network (0-based).
    name : str
        Its registry name (``"batchnorm"``, ``"dropout"``) or, unregistered, its class name.
    config : dict
        Its constructor arguments (``get_config()``).
    x, y : ndarray
        What it received and returned in the forward pass.
    grad_y, grad_x : ndarray
        :math:`\\partial J/\\partial y` (what arrived in the backward pass) and
        :math:`\\partial J/\\partial x` (what it returned).
    observed : dict of str to ndarray
        What the layer offers to show (:meth:`~backprop.layers.Layer.observables`): batch
        norm's ``mean``, ``var``, ``xhat``, dropout's ``mask``.
    params : list of ParamTrace
    buffers_before, buffers_after : dict of str to ndarray
        Non-trainable state (batch norm's running statistics) before and after the step.
    state : dict
        The optimiser's state for each trained parameter, by attribute name.
    layer : Layer
        The layer itself (after the step), to ask for its words.
    """

    position: int
    name: str
    config: dict[str, Any]
    x: np.ndarray
    y: np.ndarray
    grad_y: np.ndarray
    grad_x: np.ndarray
    observed: dict[str, np.ndarray]
    params: list[ParamTrace]
    buffers_before: dict[str, np.ndarray]
    buffers_after: dict[str, np.ndarray]
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    layer: Layer | None = field(default=None, repr=False, compare=False)


@dataclass
class OptimizerTrace:
    """What the optimiser did in one step (absent for plain SGD).

    Attributes
    ----------
    name : str
        Its registry name (``"adamw"``), or its class name.
    lr : float
        :math:`\\alpha` of this step (the schedule's rate, if there is one).
    step : int
        The optimiser's step count after this step (1 for the first).
    chain : list of str
        The transforms' names in order (``["clip_norm", "adam", "weight_decay"]``).
    stages : dict of str to list of ndarray
        The update arrays, one per trained parameter, as the hooks saw them: ``"gradient"``
        (the copy the chain starts from), after each transform (by its name), and ``"apply"``
        (the change added to each parameter, :math:`-\\alpha u`).
    params : list of (int, str)
        For each trained parameter, in the optimiser's order: the layer's position and the
        attribute (``(0, "W")``).
    state : list of dict
        For each trained parameter: the state every transform keeps, under ``torch.optim``'s
        names, after the step.
    state_before : list of dict
        The same before the step (empty before the first).
    settings : list of dict
        Each transform's hyper-parameters as they were in this step (a schedule may change
        them between steps), in chain order.
    clip : dict or None
        ``{"total_norm", "coef"}`` of clipping by norm (:math:`c = \\text{max\\_norm} / (\\|g\\|
        + 10^{-6})`, applied when :math:`c < 1`).
    schedule : str or None
        The schedule's registry name; ``next_lr`` the rate it set for the next step.
    optimizer : Optimizer
        The optimiser itself (after the step), to ask for its hyper-parameters.
    """

    name: str
    lr: float
    step: int
    chain: list[str]
    stages: dict[str, list[np.ndarray]]
    params: list[tuple[int, str]]
    state: list[dict[str, Any]]
    state_before: list[dict[str, Any]] = field(default_factory=list)
    settings: list[dict[str, Any]] = field(default_factory=list)
    clip: dict[str, float] | None = None
    schedule: str | None = None
    next_lr: float | None = None
    optimizer: Optimizer | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "lr": self.lr, "step": self.step}
        if self.clip is not None:
            out["clip"] = dict(self.clip)
        return out


@dataclass
class Trace:
    """Every number of one training step, layer by layer (see :func:`trace`).

    Attributes
    ----------
    x : ndarray of shape (m, n_0)
    y : ndarray
        The target as given to the loss (shape ``(m, k)``, or ``(m,)`` class labels).
    output : ndarray of shape (m, k)
        :math:`\\hat y = a^{[L]}` (with a fused link: the probabilities).
    loss : float
        The cost :math:`J = \\frac1m \\sum_i L^{(i)}` (:math:`= L` for one sample).
    sample_losses : ndarray of shape (m,)
        :math:`L^{(i)}`, each from the loss applied to sample ``i`` alone.
    grad_output : ndarray of shape (m, k)
        :math:`\\partial J / \\partial \\hat y` from ``loss.backward()`` (with a fused link:
        :math:`\\partial J / \\partial z^{[L]}`).
    loss_name : str
    learning_rate : float
        :math:`\\alpha` of this step.
    loss_fn : Loss
        The loss of the step (a copy), to ask for its notation and words.
    layers : list of LayerTrace
        The article's layers: ``layers[0]`` is layer [1].
    modules : list of LayerTrace or ModuleTrace
        Every layer in network order (an article layer once, for its Dense and activation).
    optimizer : OptimizerTrace or None
        None for plain SGD (:math:`\\theta \\leftarrow \\theta - \\alpha\\,\\partial J/\\partial
        \\theta`).
    step : int
        1 for the first step of a run.
    fused : bool
        The output layer's activation is the loss's link (see :class:`LayerTrace`).
    """

    x: np.ndarray
    y: np.ndarray
    output: np.ndarray
    loss: float
    sample_losses: np.ndarray
    grad_output: np.ndarray
    loss_name: str
    learning_rate: float
    loss_fn: Loss = field(repr=False, compare=False)
    layers: list[LayerTrace] = field(default_factory=list)
    modules: list[LayerTrace | ModuleTrace] = field(default_factory=list)
    optimizer: OptimizerTrace | None = None
    step: int = 1
    fused: bool = False

    @property
    def batch_size(self) -> int:
        """:math:`m`, the number of samples."""
        return int(self.x.shape[0])

    @property
    def single_sample(self) -> bool:
        return self.batch_size == 1

    @property
    def labels(self) -> bool:
        """Whether the target is given as class labels (one integer per sample, for an output
        of several units)."""
        return self.y.ndim == 1 and self.output.shape[1] > 1

    # --- export -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain lists and floats (full precision) for JSON.

        Shape: ``{"loss", "output", "layers": [{"W", "b", "z", "a", "delta", "dW", "db", "W_new",
        "b_new", ...}, ...], ...}``. With one sample, ``z``, ``a``, ``delta``, ``output``,
        ``input`` and ``target`` are 1-D lists; with a batch they are lists of rows.

        ``layers`` lists every layer in network order: an entry without ``"type"`` is an article
        layer (a ``Dense`` and its activation; ``"index"`` is its :math:`l`), any other has
        ``"type"`` (``"batchnorm"``, ``"dropout"``, ...) and its input, output, gradients
        (``"grad_output"``, ``"grad_x"``), what it shows (batch norm's ``"mean"``, ``"var"``,
        ``"xhat"``; dropout's ``"mask"``), each parameter before, its gradient and after
        (``"gamma"``, ``"dgamma"``, ``"gamma_new"``) and each buffer before and after
        (``"running_mean"``, ``"running_mean_new"``). When the optimiser is not plain SGD every
        layer with trained parameters adds ``"state"`` (see :class:`OptimizerTrace`) and the
        step adds ``"optimizer": {"name", "lr", "step"[, "clip"]}``.
        """
        one = self.single_sample

        def per_sample(arr: np.ndarray) -> Any:
            return arr[0].tolist() if one and arr.ndim == 2 else arr.tolist()

        def maybe(arr: np.ndarray | None) -> Any:
            return None if arr is None else arr.tolist()

        layers = []
        for t in self.modules:
            if isinstance(t, ModuleTrace):
                layers.append(self._module_dict(t, per_sample))
                continue
            item: dict[str, Any] = {
                "index": t.index, "activation": t.activation,
                "W": t.W.tolist(), "b": maybe(t.b),
                "z": per_sample(t.z), "a": per_sample(t.a), "delta": per_sample(t.delta),
                "dW": t.dW.tolist(), "db": maybe(t.db),
                "W_new": t.W_new.tolist(), "b_new": maybe(t.b_new),
            }
            if not t.fused:
                item["g_prime"] = per_sample(t.g_prime)
            item.update(t.activation_config)
            if t.frozen:
                item["trainable"] = {attr: attr not in t.frozen
                                     for attr in ("W", "b") if attr == "W" or t.b is not None}
            if self.optimizer is not None:
                item["state"] = _state_json(t.state)
            layers.append(item)
        out: dict[str, Any] = {
            "loss": self.loss,
            "output": per_sample(self.output),
            "layers": layers,
            "input": per_sample(self.x),
            "target": per_sample(self.y) if not self.labels else
            (int(self.y[0]) if one else [int(v) for v in self.y]),
            "loss_name": self.loss_name,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "sample_losses": self.sample_losses.tolist(),
        }
        if self.optimizer is not None:
            out["optimizer"] = self.optimizer.to_dict()
        return out

    def _module_dict(self, t: ModuleTrace, per_sample: Callable[[np.ndarray], Any]
                     ) -> dict[str, Any]:
        item: dict[str, Any] = {"type": t.name}
        item.update({k: v for k, v in t.config.items() if k != "dtype"})
        item["input"] = per_sample(t.x)
        for key, arr in t.observed.items():
            item[key] = per_sample(arr) if arr.ndim == 2 else arr.tolist()
        item["output"] = per_sample(t.y)
        item["grad_output"] = per_sample(t.grad_y)
        item["grad_x"] = per_sample(t.grad_x)
        for p in t.params:
            item[p.attr] = p.before.tolist()
            item[p.grad_attr] = p.grad.tolist()
            item[f"{p.attr}_new"] = p.after.tolist()
        for name, arr in t.buffers_before.items():
            item[name] = arr.tolist()
            item[f"{name}_new"] = t.buffers_after[name].tolist()
        if any(p.frozen for p in t.params):
            item["trainable"] = {p.attr: not p.frozen for p in t.params}
        if self.optimizer is not None and t.params:
            item["state"] = _state_json(t.state)
        return item

    # --- writing (steps.py builds the document, a writer writes it; recording never formats) ---
    def to_text(self, lang: str = "en") -> str:
        """Steps 1-10 as plain text (UTF-8: Greek letters, subscripts written ``z[1]_1``)."""
        from .steps import build_document
        from .text import to_text

        return to_text(build_document(self, lang))

    def to_markdown(self, lang: str = "en") -> str:
        """Steps 1-10 as Markdown with LaTeX (``$...$`` inline, ``$$...$$`` display blocks)."""
        from .markdown import to_markdown
        from .steps import build_document

        return to_markdown(build_document(self, lang))

    def to_html(self, lang: str = "en", *, full: bool = True) -> str:
        """Steps 1-10 as self-contained HTML: math as MathML, the network as SVG, no scripts.

        ``full=False`` gives a fragment (a styled ``<div>``) instead of a whole page. Needs
        latex2mathml (``pip install 'backprop[report]'``).
        """
        from .page import write_page
        from .steps import build_document

        return write_page(build_document(self, lang), lang, full=full)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str | None:
        # typeset MathML even where the notebook has no MathJax; without latex2mathml, None
        # tells Jupyter to fall back to the Markdown
        try:
            return self.to_html(full=False)
        except ImportError:
            return None

    def __repr__(self) -> str:
        widths = [self.layers[0].n_in] + [t.n_out for t in self.layers] if self.layers else []
        return (f"Trace(layers={'-'.join(map(str, widths))}, m={self.batch_size}, "
                f"loss={self.loss:.6f}, lr={self.learning_rate:g})")


@dataclass
class Steps:
    """Several training steps of one run, each a :class:`Trace` (see :func:`trace_steps`)."""

    steps: list[Trace]

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Trace:
        return self.steps[i]

    def to_dict(self) -> dict[str, Any]:
        """``{"steps": [step_1, ..., step_N]}``, each the one-step object of that step."""
        return {"steps": [t.to_dict() for t in self.steps]}

    def to_text(self, lang: str = "en") -> str:
        from .steps import build_steps_document
        from .text import to_text

        return to_text(build_steps_document(self.steps, lang))

    def to_markdown(self, lang: str = "en") -> str:
        from .markdown import to_markdown
        from .steps import build_steps_document

        return to_markdown(build_steps_document(self.steps, lang))

    def to_html(self, lang: str = "en", *, full: bool = True) -> str:
        from .page import write_page
        from .steps import build_steps_document

        return write_page(build_steps_document(self.steps, lang), lang, full=full)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return f"Steps({len(self.steps)} steps, loss {self.steps[0].loss:.6f} -> " \
               f"{self.steps[-1].loss:.6f})"


def _state_json(state: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {attr: {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
            for attr, s in state.items()}


# --- recording ------------------------------------------------------------------------------------
def _groups(net: Sequential) -> list[tuple[int, int | None] | int]:
    """The network as article layers ``(dense, activation or None)`` and single layers ``i``."""
    layers = list(net)
    if not layers:
        raise ValueError("cannot trace an empty Sequential")
    groups: list[tuple[int, int | None] | int] = []
    i = 0
    while i < len(layers):
        if layers[i].role == "affine" and isinstance(layers[i], Dense):
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if nxt is not None and _elementwise(nxt):
                groups.append((i, i + 1))
                i += 2
            else:
                groups.append((i, None))
                i += 1
        else:
            groups.append(i)
            i += 1
    return groups


class _Recorder:
    """The observer: copies each layer's input/output (forward) and gradients (backward)."""

    def __init__(self) -> None:
        self.forward: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.backward: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.observed: dict[int, dict[str, np.ndarray]] = {}

    def __call__(self, phase: str, index: int, layer: Layer, inp: np.ndarray,
                 out: np.ndarray) -> None:
        # copies: the engine may reuse these buffers on the next call
        if phase == "forward":
            self.forward[index] = (np.array(inp, copy=True), np.array(out, copy=True))
            self.observed[index] = {k: np.array(v, copy=True)
                                    for k, v in layer.observables().items()}
        else:
            self.backward[index] = (np.array(inp, copy=True), np.array(out, copy=True))


class _OptimizerRecorder:
    """The optimiser's observer: copies the update arrays after each stage of a step."""

    def __init__(self) -> None:
        self.stages: dict[str, list[np.ndarray]] = {}

    def __call__(self, stage: str, arrays: list[np.ndarray]) -> None:
        self.stages[stage] = [np.array(a, copy=True) for a in arrays]


def _as_batch(X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    X = as_float_array("X", X)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2:
        raise ValueError(f"X must have shape (m, n_features) or (n_features,), got {X.shape}")
    y_arr = np.asarray(y)
    if y_arr.ndim == 0:
        y_arr = y_arr.reshape(1, 1)  # one sample, one output unit, target given as a number
    elif y_arr.ndim == 1 and X.shape[0] == 1 and y_arr.shape[0] != 1:
        y_arr = y_arr[None, :]  # one sample's target given as a flat list of k values
    return X, y_arr


def _check_finite(t: Trace) -> None:
    """Refuse a step whose numbers overflowed, naming the first non-finite value in the order
    the step computes them (forward, loss, backward, update)."""

    def first_bad(arr: Any) -> str | None:
        a = np.asarray(arr, dtype=np.float64)
        bad = np.argwhere(~np.isfinite(a))
        if not bad.size:
            return None
        where = tuple(int(v) for v in bad[0])
        return f"{a[where]} at {list(where)}" if where else f"{float(a)}"

    def name(m: LayerTrace | ModuleTrace) -> str:
        return (f"layer {m.index}" if isinstance(m, LayerTrace)
                else f"the {m.name} layer (network position {m.position})")

    checks: list[tuple[str, Any]] = []
    for m in t.modules:
        if isinstance(m, LayerTrace):
            checks += [(f"z of {name(m)}", m.z), (f"a of {name(m)}", m.a)]
        else:
            checks += [(f"the output of {name(m)}", m.y)]
    checks += [("the loss", t.loss)]
    for m in reversed(t.modules):
        if isinstance(m, LayerTrace):
            checks += [(f"δ of {name(m)}", m.delta), (f"dW of {name(m)}", m.dW)]
            if m.db is not None:
                checks.append((f"db of {name(m)}", m.db))
        else:
            checks += [(f"the gradient through {name(m)}", m.grad_x)]
            checks += [(f"d{p.attr} of {name(m)}", p.grad) for p in m.params]
    for m in t.modules:
        if isinstance(m, LayerTrace):
            checks.append((f"the new W of {name(m)}", m.W_new))
            if m.b_new is not None:
                checks.append((f"the new b of {name(m)}", m.b_new))
        else:
            checks += [(f"the new {p.attr} of {name(m)}", p.after) for p in m.params]
    for what, arr in checks:
        bad = first_bad(arr)
        if bad is not None:
            raise ValueError(f"step {t.step} cannot be explained: {what} is not finite ({bad}); "
                             f"the numbers overflow float64, so start from smaller weights, "
                             f"inputs or learning rate")


def trace(net: Sequential, loss: Loss, X: Any, y: Any, *, lr: float | None = None,
          optimizer: Callable[[list[Parameter]], Optimizer] | None = None,
          schedule: Callable[[Optimizer], LRScheduler] | None = None,
          frozen: Iterable[str] = (), masks: Mapping[int, Any] | None = None,
          link: bool = False) -> Trace:
    r"""Run one training step of ``net`` on ``(X, y)`` and record every number of it.

    The step is the engine's own, on a deep copy of ``net`` (the caller's network and loss are
    left as they were):

    .. math::
        \hat Y = \text{net}(X),\quad J = \text{loss}(\hat Y, y),\quad
        \text{net.backward}(\partial J/\partial \hat Y),\quad \text{optimizer.step()}

    with plain SGD, :math:`W \leftarrow W - \alpha\,\partial J/\partial W`, unless
    ``optimizer`` says otherwise.

    Parameters
    ----------
    net : Sequential
        Any layers. ``Dense`` layers, each optionally followed by one element-wise activation
        (any registered one), are the article's layers; every other layer is recorded and shown
        by its numbers, and explained in words where the explanation knows it (batch norm,
        dropout).
    loss : Loss
    X : array-like of shape (m, n_0), or (n_0,) for one sample
    y : array-like
        The target in the form ``loss`` accepts.
    lr : float, optional
        Learning rate :math:`\alpha > 0` of plain SGD; give it or ``optimizer``.
    optimizer : callable, optional
        ``optimizer(params) -> Optimizer`` for the trained parameters, e.g.
        ``lambda ps: bp.optim.make_optimizer("adam", ps, lr=0.01)``.
    schedule : callable, optional
        ``schedule(optimizer) -> LRScheduler``, stepped after every optimiser step (with the
        step's cost as the metric of a schedule that needs one).
    frozen : iterable of str
        Parameters left out of the optimiser, by their names in ``net.parameters()``
        (``"2.b"``: the bias of layer 2); their gradients are still computed and shown.
    masks : mapping of int to array-like, optional
        A fixed keep-mask for the ``Dropout`` at a network position, given to it before the
        forward pass (:meth:`~backprop.layers.Dropout.set_mask`).
    link : bool, default False
        Show the loss's link (the softmax of softmax cross-entropy, the sigmoid of binary
        cross-entropy) as the activation of the output layer, whose ``Dense`` must then end
        the network: :math:`a^{[L]}` is the probabilities and :math:`\delta^{[L]} = p - y`
        comes from the loss.

    Returns
    -------
    Trace

    Raises
    ------
    ValueError
        For bad arguments, or when a number of the step is not finite (naming the first one).
    """
    return trace_steps(net, loss, [(X, y)], lr=lr, optimizer=optimizer, schedule=schedule,
                       frozen=frozen, masks=masks, link=link).steps[0]


def trace_steps(net: Sequential, loss: Loss, batches: Sequence[tuple[Any, Any]], *,
                lr: float | None = None,
                optimizer: Callable[[list[Parameter]], Optimizer] | None = None,
                schedule: Callable[[Optimizer], LRScheduler] | None = None,
                frozen: Iterable[str] = (), masks: Mapping[int, Any] | None = None,
                link: bool = False) -> Steps:
    """Run one training step per ``(X, y)`` in ``batches`` -- the same network, optimiser and
    schedule carried from step to step -- and record every number of each (see :func:`trace`
    for the arguments)."""
    if not isinstance(net, Sequential):
        raise TypeError(f"trace expects a Sequential, got {type(net).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"trace expects a Loss, got {type(loss).__name__}")
    if (lr is None) == (optimizer is None):
        raise ValueError("give the learning rate of plain SGD (lr=) or an optimizer, not "
                         "both" if lr is not None else "give the learning rate of plain SGD "
                         "(lr=) or an optimizer")
    if lr is not None:
        lr = check_positive("learning rate", lr)
    batches = [_as_batch(X, y) for X, y in batches]
    if not batches:
        raise ValueError("trace_steps needs at least one (X, y) batch")
    if len(batches) > MAX_STEPS:
        raise ValueError(f"a trace keeps every number of every step: at most {MAX_STEPS} "
                         f"steps, got {len(batches)}")
    groups = _groups(net)

    # A fresh Sequential over copied layers: the caller's hooks are not carried along.
    work = Sequential(*copy.deepcopy(list(net)))
    work.train(net.training)
    work_loss = copy.deepcopy(loss)
    frozen = set(frozen)
    params = work.parameters()
    unknown = sorted(frozen - {p.name for p in params})
    if unknown:
        raise ValueError(f"no parameter named {unknown[0]!r} to freeze; the network's are "
                         f"{', '.join(p.name for p in params)}")
    trained = [p for p in params if p.name not in frozen]
    if not trained:
        raise ValueError("every parameter is frozen: the optimiser has nothing to update")
    plain = optimizer is None
    opt = SGD(trained, lr=lr) if optimizer is None else optimizer(trained)
    if not isinstance(opt, Optimizer):
        raise TypeError(f"optimizer must return a backprop Optimizer, got "
                        f"{type(opt).__name__}")
    sched = schedule(opt) if schedule is not None else None
    if sched is not None and not isinstance(sched, LRScheduler):
        raise TypeError(f"schedule must return a backprop LRScheduler, got "
                        f"{type(sched).__name__}")
    plain = plain or (sched is None and _plain_sgd(opt))
    masks = dict(masks or {})
    for position in masks:
        if not (isinstance(position, int) and 0 <= position < len(work)
                and hasattr(work[position], "set_mask")):
            raise ValueError(f"a mask is given for network position {position!r}, which is not "
                             f"a Dropout layer")
    link_layer = None
    if link:
        last = groups[-1]
        if not (isinstance(last, tuple) and last[1] is None):
            raise ValueError("link=True shows the loss's link as the output layer's "
                             "activation, so the network must end with a Dense layer")
        link_layer = get_activation(work_loss.link)
    owners = {(id(p.owner), p.attr): i for i, p in enumerate(trained)}
    run = []
    for t, (X, y) in enumerate(batches, start=1):
        run.append(_record_step(work, work_loss, loss, X, y, opt, sched, groups, t, plain,
                                masks, link_layer, owners))
    return Steps(run)


def _plain_sgd(opt: Optimizer) -> bool:
    """SGD without momentum, decay or clipping: the article's update, nothing to explain."""
    return (type(opt) is SGD and opt.momentum == 0.0 and opt.weight_decay == 0.0
            and len(opt.transforms) == 2)


def _record_step(work: Sequential, work_loss: Loss, loss: Loss, X: np.ndarray, y: np.ndarray,
                 opt: Optimizer, sched: LRScheduler | None,
                 groups: list[tuple[int, int | None] | int], step: int, plain: bool,
                 masks: Mapping[int, Any], link_layer: Layer | None,
                 owners: Mapping[tuple[int, str], int]) -> Trace:
    recorder = _Recorder()
    buffers_before = {i: {k: v.copy() for k, v in layer.buffers().items()}
                      for i, layer in enumerate(work)}
    with np.errstate(all="ignore"):  # an overflow is reported below, naming where
        for position, mask in masks.items():
            work[position].set_mask(mask)
        with work.add_hook(recorder):
            output = work.forward(X)
            J = work_loss.forward(output, y)
            grad_output = np.array(work_loss.backward(), copy=True)
            work.backward(grad_output)
        output = np.array(output, copy=True)
        shown_output = output
        if link_layer is not None:
            shown_output = np.array(link_layer.forward(output), copy=True)

        m = X.shape[0]
        if m == 1:
            sample_losses = np.array([J])
        else:
            # each L^(i) from the same loss on sample i alone (a fresh copy: no shared state)
            sample_losses = np.array([copy.deepcopy(loss).forward(output[i:i + 1], y[i:i + 1])
                                      for i in range(m)])

        before = {i: [(p.attr, p.grad_attr, p.data.copy(), p.grad.copy())
                      for p in layer.parameters()] for i, layer in enumerate(work)}
        lr_used = opt.lr
        state_before = [{k: v for tr in opt.transforms for k, v in tr.param_state(i).items()}
                        for i in range(len(opt.params))]
        settings = [{k: getattr(tr, k) for k in tr.hyper} for tr in opt.transforms]
        observer = _OptimizerRecorder()
        with opt.add_hook(observer):
            opt.step()
        if sched is not None:
            if getattr(sched, "needs_metric", False):
                sched.step(float(J))  # type: ignore[call-arg]
            else:
                sched.step()

    def state_of(position: int, attr: str) -> dict[str, Any] | None:
        i = owners.get((id(work[position]), attr))
        if i is None:
            return None
        out: dict[str, Any] = {}
        for tr in opt.transforms:
            out.update(tr.param_state(i))
        out.update(_derived(opt, out))
        out["update"] = -observer.stages["apply"][i]
        return out

    modules: list[LayerTrace | ModuleTrace] = []
    layers: list[LayerTrace] = []
    for g in groups:
        if isinstance(g, int):
            modules.append(_module_trace(work, g, recorder, buffers_before[g], before[g],
                                         state_of, plain))
            continue
        d, a_index = g
        dense: Dense = work[d]  # type: ignore[assignment]
        a_prev, z = recorder.forward[d]
        delta = recorder.backward[d][0]
        activation_config: dict[str, Any] = {}
        fused = False
        if a_index is not None:
            act: Layer = work[a_index]
            a = recorder.forward[a_index][1]
            grad_a = recorder.backward[a_index][0]
            # the activation's own backward applied to ones is its local slope g'(z)
            g_prime = np.array(act.backward(np.ones_like(z)), copy=True)
            activation_config = act.get_config()
        elif link_layer is not None and g is groups[-1]:
            act = link_layer
            a, grad_a, g_prime, fused = shown_output, delta, np.ones_like(z), True
        else:
            act = Identity()
            a, grad_a = z, delta
            g_prime = np.ones_like(z)
        (w_attr, _, W, dW), *rest = before[d]
        b = db = None
        if rest:
            _, _, b, db = rest[0]
        frozen = tuple(attr for attr, *_ in before[d] if (id(dense), attr) not in owners)
        state = {} if plain else {attr: s for attr, *_ in before[d]
                                  if (s := state_of(d, attr)) is not None}
        t = LayerTrace(index=len(layers) + 1, activation=act.name,
                       activation_config=activation_config, W=W, b=b, a_prev=a_prev, z=z, a=a,
                       g_prime=g_prime, grad_a=grad_a, delta=delta, dW=dW, db=db,
                       W_new=dense.W.copy(), b_new=dense.b.copy() if dense.bias else None,
                       position=d, fused=fused, frozen=frozen, state=state)
        layers.append(t)
        modules.append(t)

    opt_trace = None
    if not plain:
        chain = [tr.name for tr in opt.transforms]
        clip = None
        for tr in opt.transforms:
            if getattr(tr, "last_coef", None) is not None:
                clip = {"total_norm": float(tr.last_norm), "coef": float(tr.last_coef)}
        positions = {id(layer): i for i, layer in enumerate(work)}
        opt_trace = OptimizerTrace(
            name=OPTIMIZERS.name_of(type(opt)) or type(opt).__name__.lower(), lr=lr_used,
            step=opt.n_steps, chain=chain, stages=observer.stages,
            params=[(positions[id(p.owner)], p.attr) for p in opt.params],
            state=[{k: v for tr in opt.transforms for k, v in tr.param_state(i).items()}
                   for i in range(len(opt.params))],
            state_before=state_before, settings=settings, clip=clip,
            schedule=getattr(sched, "name", None) or None,
            next_lr=opt.lr if sched is not None else None, optimizer=opt)
    tr = Trace(x=X.copy(), y=y.copy(), output=shown_output, loss=float(J),
               sample_losses=sample_losses, grad_output=grad_output,
               loss_name=getattr(loss, "name", type(loss).__name__), learning_rate=lr_used,
               loss_fn=copy.deepcopy(work_loss), layers=layers, modules=modules,
               optimizer=opt_trace, step=step, fused=link_layer is not None)
    _check_finite(tr)
    return tr


def _derived(opt: Optimizer, state: Mapping[str, Any]) -> dict[str, Any]:
    """Display-only values the engine folds away: Adam's bias-corrected moments
    :math:`\\hat m = m / (1-\\beta_1^t)`, :math:`\\hat v = v / (1-\\beta_2^t)` (the recorded
    ``update`` is what was applied; these explain it)."""
    betas = getattr(opt, "betas", None)
    if betas is None or "exp_avg" not in state or "step" not in state or "mu_product" in state:
        return {}  # NAdam mixes its moments otherwise (its docstring has the formula)
    t = state["step"]
    out = {"exp_avg_hat": state["exp_avg"] / (1.0 - betas[0] ** t),
           "exp_avg_sq_hat": state["exp_avg_sq"] / (1.0 - betas[1] ** t)}
    if "max_exp_avg_sq" in state:
        out["max_exp_avg_sq_hat"] = state["max_exp_avg_sq"] / (1.0 - betas[1] ** t)
    return out


def _module_trace(work: Sequential, i: int, recorder: _Recorder,
                  buffers_before: dict[str, np.ndarray],
                  params_before: list[tuple[str, str, np.ndarray, np.ndarray]],
                  state_of: Callable[[int, str], dict[str, Any] | None],
                  plain: bool) -> ModuleTrace:
    layer = work[i]
    x, y = recorder.forward[i]
    grad_y, grad_x = recorder.backward[i]
    current = {p.attr: p for p in layer.parameters()}
    params = []
    state = {}
    for attr, grad_attr, value, grad in params_before:
        s = state_of(i, attr)
        params.append(ParamTrace(attr, grad_attr, value, grad, current[attr].data.copy(),
                                 frozen=s is None))
        if s is not None and not plain:
            state[attr] = s
    buffers_after = {k: v.copy() for k, v in layer.buffers().items()}
    return ModuleTrace(position=i, name=layer.name or type(layer).__name__,
                       config=layer.get_config(), x=x, y=y, grad_y=grad_y,
                       grad_x=grad_x if grad_x is not None else np.zeros_like(x),
                       observed=recorder.observed.get(i, {}), params=params,
                       buffers_before=buffers_before, buffers_after=buffers_after, state=state,
                       layer=layer)
