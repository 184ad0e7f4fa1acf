r"""A training step as a worksheet: every number a learner writes down, and how each follows
from the numbers before it.

:class:`Worksheet` lists the numbers of a spec's steps -- the same numbers, under the same paths,
as ``backprop example --spec SPEC --format json`` prints -- in the order the article computes
them: the forward pass and the loss, then for each layer from the output back its slope
:math:`g'`, its error :math:`\delta` and its gradients, then the update. Each
:class:`Quantity` holds

* its path (``layers[1].delta``, ``steps[2].layers[0].W_new``),
* the engine's value, read from the trace (the reference: nothing here recomputes it), and
* its *ways*: how it follows from the numbers before it, written with the engine's own pieces --
  a ``Dense`` layer's forward on the given :math:`a^{[l-1]}` and its backward on the given
  :math:`\delta`, an activation's forward and backward on the given :math:`z`, the loss's
  backward on the given :math:`\hat y`, the spec's optimiser stepping on the given gradients
  from the given state -- so the same rules recompute a number *from anyone's values*: the
  engine's, or a learner's. Where the engine folds a step away (Adam's bias-corrected moments,
  the update from the learner's own :math:`\hat m` and :math:`\hat v`) a way writes the
  documented formula.

A way reads a :class:`Values` table (path -> array) and returns the quantity's array. Ways see
only quantities earlier in the order, so evaluating the list in order -- each quantity by the
way a person computes it by hand, from the numbers just before it -- carries a learner's
numbers forward exactly as they would: :meth:`Worksheet.evaluate` fills in the numbers a learner
did not write from the ones they did, optionally rounding every number as a person does, or
with one quantity computed by another rule (a misconception, see :mod:`.misconceptions`).

For a mini-batch the article's per-sample error :math:`\delta^{[l](i)}` is :math:`m` times the
``delta`` of the JSON (:math:`\partial J/\partial z`, which carries the cost's :math:`1/m`); a
learner may write either. :attr:`Values.scale` says which (1 or :math:`m`): the error's ways
multiply by it and the gradients' ways divide by it.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..layers import Dense, get_activation
from ..optim import Momentum, ScaleByAdam
from ..parameters import Parameter
from .record import LayerTrace, ModuleTrace, Steps, Trace, _derived

if TYPE_CHECKING:
    from .spec import Spec

#: state entries the optimiser's observer derives for display (not kept by any transform)
DERIVED_STATE = ("exp_avg_hat", "exp_avg_sq_hat", "max_exp_avg_sq_hat", "update")


class Values(dict):
    """Path -> array: the numbers of one worksheet while it is evaluated.

    ``scale`` is the convention of the errors :math:`\\delta` (1: the JSON's
    :math:`\\partial J/\\partial z`; :math:`m`: the article's per-sample error); ``cache`` holds
    what one evaluation computes once for several quantities (a module's forward pass, the
    optimiser's step)."""

    def __init__(self, *args: Any, scale: float = 1.0) -> None:
        super().__init__(*args)
        self.scale = float(scale)
        self.cache: dict[Any, Any] = {}


Way = Callable[[Values], Any]


@dataclass(eq=False)
class Site:
    """Where a quantity sits, for the rules that recompute it or get it wrong.

    Attributes
    ----------
    sheet : Worksheet
    step : int
        The step (0-based).
    kind : str
        The quantity's key in its object (``"z"``, ``"delta"``, ``"W_new"``, ``"exp_avg"``).
    role : str
        What it is: ``"given"``, ``"forward"``, ``"cost"``, ``"slope"``, ``"delta"``,
        ``"param_grad"``, ``"backward"``, ``"state"``, ``"new_param"``, ``"buffer_new"``.
    layer : LayerTrace or None
        The article layer it belongs to.
    module : ModuleTrace or None
        The other layer it belongs to.
    keys : dict of str to str
        The paths of the quantities around it: ``"z"``, ``"a"``, ``"g_prime"``, ``"grad_a"``,
        ``"a_prev"``, ``"W"``, ``"delta"``, ``"W_next"``, ``"W_new_next"``, ``"delta_next"``,
        ``"param"``, ``"grad"``, ``"update"``, ``"exp_avg"``, ... (those that exist).
    output : bool
        The quantity belongs to the output layer.
    """

    sheet: Worksheet
    step: int
    kind: str
    role: str
    layer: LayerTrace | None = None
    module: ModuleTrace | None = None
    keys: dict[str, str] = field(default_factory=dict)
    output: bool = False
    quantity: Quantity | None = None

    @property
    def trace(self) -> Trace:
        return self.sheet.traces[self.step]

    @property
    def m(self) -> int:
        return self.trace.batch_size

    def correct(self, v: Values) -> np.ndarray:
        """The quantity by the right rule a person uses, from the numbers in ``v``."""
        assert self.quantity is not None
        return self.quantity.by_hand_value(v)

    # --- pieces the rules (and the misconceptions) share ------------------------------------
    def rows(self, v: Values, role: str) -> np.ndarray:
        """The per-sample array ``keys[role]`` of ``v`` as rows ``(m, n)``."""
        return np.reshape(np.asarray(v[self.keys[role]], dtype=np.float64), (self.m, -1))

    def activation(self) -> Any:
        assert self.layer is not None
        return get_activation(self.layer.activation, **self.layer.activation_config)

    def slope_of_output(self, values: np.ndarray) -> np.ndarray | None:
        """:math:`g'` written with the output, evaluated at ``values`` (the activation's own
        formula; None when its slope is not a function of its output)."""
        out = self.activation().slope_of_output(values)
        return None if out is None else np.asarray(out, dtype=np.float64)

    def backward_input(self, v: Values, W: np.ndarray) -> np.ndarray:
        """:math:`\\partial J/\\partial a^{[l]}` through the next layer's weights ``W``: the
        ``Dense`` layer's backward of the next error (engine convention, :math:`1/m` in it)."""
        return _dense_backward(W, None, np.zeros((self.m, W.shape[1])),
                               self.rows(v, "delta_next") / v.scale)[2]

    def step_size(self, v: Values) -> np.ndarray:
        """The change subtracted from the parameter, :math:`\\alpha u`: the learner's own
        ``update`` where the state shows one, else what the first rule subtracts."""
        if "update" in self.keys:
            return np.asarray(v[self.keys["update"]], dtype=np.float64)
        return np.asarray(v[self.keys["param"]], dtype=np.float64) - self.correct(v)

    def settings(self, cls: type) -> dict[str, Any] | None:
        """The hyper-parameters of the optimiser's transform of class ``cls`` in this step
        (with ``lr`` and, for Adam, the step count ``t``), or None when it has none."""
        return self.sheet.transform_settings(self.step, cls)


@dataclass(eq=False)
class Quantity:
    """One array (or number) of the worksheet: its path, the engine's value and its rules."""

    key: str
    site: Site
    reference: np.ndarray
    ways: tuple[Way, ...]
    answerable: bool = True
    #: the way a person computes it by hand, from the numbers just before it (the last way
    #: written, unless said otherwise: Adam's m-hat from m, not the optimiser's step from g)
    by_hand: int = -1

    @property
    def kind(self) -> str:
        return self.site.kind

    @property
    def role(self) -> str:
        return self.site.role

    @property
    def shape(self) -> tuple[int, ...]:
        return self.reference.shape

    def fit(self, value: Any) -> np.ndarray:
        """A rule's result in this quantity's shape (float64)."""
        return np.reshape(np.asarray(value, dtype=np.float64), self.shape)

    def compute(self, v: Values, way: int = 0) -> np.ndarray:
        return self.fit(self.ways[way](v))

    def _order(self) -> list[int]:
        first = self.by_hand % len(self.ways)
        return [first] + [i for i in range(len(self.ways)) if i != first]

    def _try(self, i: int, v: Values) -> np.ndarray | None:
        try:
            with np.errstate(all="ignore"):
                return self.fit(self.ways[i](v))
        except (ValueError, KeyError, FloatingPointError, ZeroDivisionError):
            return None  # this rule cannot take these numbers

    def all_ways(self, v: Values) -> list[np.ndarray]:
        """Every rule's result, the one a person uses first (see :attr:`by_hand`); a rule that
        cannot apply to these numbers is left out."""
        return [w for i in self._order() if (w := self._try(i, v)) is not None]

    def other_ways(self, v: Values, first: int) -> list[np.ndarray]:
        """The results of the rules after the ``first`` ones :meth:`all_ways` gives."""
        out = []
        for i in self._order():
            w = self._try(i, v)
            if w is not None:
                out.append(w)
        return out[first:]

    def by_hand_value(self, v: Values) -> np.ndarray:
        """The quantity as a person computes it from the numbers in ``v`` (by another rule
        when the numbers do not suit that one)."""
        for i in self._order():
            w = self._try(i, v)
            if w is not None:
                return w
        raise ValueError(f"no rule computes {self.key} from these numbers")

    def true(self, scale: float) -> np.ndarray:
        """The right value when errors are written with ``scale`` (see :class:`Values`)."""
        return self.reference * scale if self.role == "delta" else self.reference


# --- the engine's pieces on given numbers --------------------------------------------------------
def _dense(W: Any, b: Any) -> Dense:
    """A ``Dense`` layer holding ``W`` and ``b``; one layer per shape is kept and refilled (a
    new layer draws a generator for its initial weights, which costs more than its use here)."""
    W = np.asarray(W, dtype=np.float64)
    key = (W.shape, b is not None)
    layer = _LAYERS.get(key)
    if layer is None:
        if len(_LAYERS) >= 64:  # a bound, not a store: a few shapes per network
            _LAYERS.clear()
        layer = _LAYERS[key] = Dense.from_arrays(W, b)
    layer.W[...] = W
    if b is not None:
        layer.b[...] = np.reshape(np.asarray(b, dtype=np.float64), layer.b.shape)
    return layer


#: one Dense layer per (weight shape, bias), refilled for every use (a handful of shapes)
_LAYERS: dict[tuple[tuple[int, ...], bool], Dense] = {}


def _dense_forward(W: np.ndarray, b: np.ndarray | None, x: np.ndarray) -> np.ndarray:
    return np.array(_dense(W, b).forward(np.asarray(x, dtype=np.float64)), copy=True)


def _dense_backward(W: np.ndarray, b: np.ndarray | None, x: np.ndarray, delta: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """``(dW, db, dJ/dx)`` of a ``Dense`` layer with weights ``W`` run on ``x``, given
    :math:`\\delta = \\partial J/\\partial z` (engine convention)."""
    layer = _dense(W, b)
    layer.forward(np.asarray(x, dtype=np.float64))
    dx = layer.backward(np.asarray(delta, dtype=np.float64))
    return layer.dW.copy(), (layer.db.copy() if layer.bias else None), np.array(dx, copy=True)


def _const(value: Any) -> Way:
    """A number given with the spec: the same whatever the learner wrote."""
    fixed = np.array(value, dtype=np.float64)
    return lambda v: fixed


def _slope(act: Any, z: np.ndarray) -> np.ndarray:
    """:math:`g'(z)`: the activation's backward applied to ones after its forward on ``z``."""
    act.forward(z)
    return np.array(act.backward(np.ones_like(z)), copy=True)


class _Holder:
    """A parameter's value and gradient, for an optimiser that steps on given numbers."""

    def __init__(self, value: np.ndarray, grad: np.ndarray):
        self.value = np.array(value, dtype=np.float64)
        self.grad = np.array(grad, dtype=np.float64)


class _StageRecorder:
    def __init__(self) -> None:
        self.stages: dict[str, list[np.ndarray]] = {}

    def __call__(self, stage: str, arrays: list[np.ndarray]) -> None:
        self.stages[stage] = [np.array(a, copy=True) for a in arrays]


# --- the worksheet -------------------------------------------------------------------------------
class Worksheet:
    """Every number of a spec's steps, in the article's order, with the rules between them.

    Parameters
    ----------
    spec : Spec
        The network, its data and its training steps (:func:`~.spec.load_spec`).

    Attributes
    ----------
    spec : Spec
    traces : list of Trace
        The engine's steps.
    reference : dict
        What ``backprop example --format json`` prints for the spec.
    quantities : list of Quantity
        In the article's order; :attr:`by_key` finds one by its path.
    multi : bool
        Several steps: paths start with ``steps[s].``.
    """

    def __init__(self, spec: Spec):
        self.spec = spec
        run = spec.trace()
        self.multi = isinstance(run, Steps)
        self.traces: list[Trace] = list(run.steps) if isinstance(run, Steps) else [run]
        self.reference: dict[str, Any] = run.to_dict()
        self.quantities: list[Quantity] = []
        self.by_key: dict[str, Quantity] = {}
        for s in range(len(self.traces)):
            self._build_step(s)
        self._left_over()

    # --- paths ---------------------------------------------------------------------------------
    def prefix(self, s: int) -> str:
        return f"steps[{s}]." if self.multi else ""

    def step_reference(self, s: int) -> dict[str, Any]:
        return self.reference["steps"][s] if self.multi else self.reference

    def _add(self, key: str, site: Site, reference: Any, ways: tuple[Way, ...],
             answerable: bool = True, by_hand: int = -1) -> Quantity:
        q = Quantity(key, site, np.asarray(reference, dtype=np.float64), ways, answerable,
                     by_hand)
        site.quantity = q
        self.quantities.append(q)
        self.by_key[key] = q
        return q

    def lookup(self, path: str) -> Any:
        """The reference value at a JSON path (``layers[1].delta``)."""
        node: Any = self.reference
        for part in split_path(path):
            node = node[part]
        return node

    # --- building ------------------------------------------------------------------------------
    def _build_step(self, s: int) -> None:
        tr = self.traces[s]
        P = self.prefix(s)
        ref = self.step_reference(s)

        def site(kind: str, role: str, **kw: Any) -> Site:
            return Site(self, s, kind, role, **kw)

        self._add(f"{P}input", site("input", "given"), ref["input"],
                  (_const(ref["input"]),))
        if self._numeric(ref["target"]):
            self._add(f"{P}target", site("target", "given"), ref["target"],
                      (_const(ref["target"]),))

        # forward pass, module by module
        current = f"{P}input"  # the path of what the next layer reads
        outputs: dict[int, str] = {}
        for pos, mod in enumerate(tr.modules):
            L = f"{P}layers[{pos}]"
            if isinstance(mod, LayerTrace):
                self._params(s, L, mod, [("W", mod.W), ("b", mod.b)])
                keys = {"a_prev": current, "W": f"{L}.W", "z": f"{L}.z", "a": f"{L}.a"}
                if mod.b is not None:
                    keys["b"] = f"{L}.b"
                zsite = site("z", "forward", layer=mod, keys=keys)
                self._add(f"{L}.z", zsite, ref["layers"][pos]["z"], (self._z_way(zsite),))
                asite = site("a", "forward", layer=mod, keys=keys,
                             output=mod.index == len(tr.layers))
                self._add(f"{L}.a", asite, ref["layers"][pos]["a"], (self._a_way(asite, tr),))
                current = f"{L}.a"
            else:
                current = self._module_forward(s, L, pos, mod, current)
            outputs[pos] = current
        self._add(f"{P}output", site("output", "forward", keys={"out": current}),
                  ref["output"], (lambda v, k=current: v[k],))
        last = tr.layers[-1] if tr.layers else None
        self._loss(s, current, last)

        # backward pass, from the output back
        incoming = f"{P}#grad_output"
        if not tr.fused:
            gsite = site("grad_output", "backward", keys={"out": current})
            self._add(incoming, gsite, tr.grad_output, (self._loss_grad_way(gsite),),
                      answerable=False)
        for pos in reversed(range(len(tr.modules))):
            mod = tr.modules[pos]
            L = f"{P}layers[{pos}]"
            a_prev = outputs[pos - 1] if pos > 0 else f"{P}input"
            if isinstance(mod, LayerTrace):
                incoming = self._layer_backward(s, L, pos, mod, a_prev, incoming)
            else:
                incoming = self._module_backward(s, L, pos, mod, incoming)

        # the update, output layer first (step 10)
        for pos in reversed(range(len(tr.modules))):
            self._update(s, pos, tr.modules[pos])

    @staticmethod
    def _numeric(value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, (int, float)):
            return True
        return isinstance(value, list) and all(Worksheet._numeric(v) for v in value)

    def _params(self, s: int, L: str, owner: Any, params: list[tuple[str, Any]]) -> None:
        """A parameter (or buffer) at the start of step ``s``: given in the first step, the
        learner's own new value of the step before after that."""
        for attr, value in params:
            if value is None:
                continue
            key = f"{L}.{attr}"
            psite = Site(self, s, attr, "given", layer=owner if isinstance(owner, LayerTrace)
                         else None, module=owner if isinstance(owner, ModuleTrace) else None)
            if s == 0:
                ways: tuple[Way, ...] = (_const(value),)
            else:
                before = f"{self.prefix(s - 1)}{L[len(self.prefix(s)):]}.{attr}_new"
                psite.keys["before"] = before
                ways = (lambda v, k=before: v[k],)
            self._add(key, psite, value, ways)

    def _z_way(self, site: Site) -> Way:
        def way(v: Values) -> np.ndarray:
            b = v[site.keys["b"]] if "b" in site.keys else None
            return _dense_forward(v[site.keys["W"]], b, site.rows(v, "a_prev"))

        return way

    def _a_way(self, site: Site, tr: Trace) -> Way:
        layer = site.layer
        assert layer is not None

        def way(v: Values) -> np.ndarray:
            act = (get_activation(tr.loss_fn.link) if layer.fused else site.activation())
            return act.forward(site.rows(v, "z"))

        return way

    def _loss(self, s: int, out_key: str, last: LayerTrace | None) -> None:
        tr = self.traces[s]
        P = self.prefix(s)
        ref = self.step_reference(s)
        y = tr.y
        keys = {"out": out_key}
        if tr.fused and last is not None:
            keys["z"] = f"{P}layers[{next(i for i, m in enumerate(tr.modules) if m is last)}].z"
        lsite = Site(self, s, "loss", "cost", keys=keys, output=True)

        def loss_on(v: Values, rows: slice | None = None) -> float:
            loss = copy.deepcopy(tr.loss_fn)
            pred = lsite.rows(v, "z" if tr.fused else "out")
            target = y
            if rows is not None:
                pred, target = pred[rows], y[rows]
            return float(loss.forward(pred, target))

        self._add(f"{P}loss", lsite, tr.loss, (lambda v: loss_on(v),))
        ssite = Site(self, s, "sample_losses", "cost", keys=keys, output=True)
        self._add(f"{P}sample_losses", ssite, ref["sample_losses"], (
            lambda v: [loss_on(v, slice(i, i + 1)) for i in range(tr.batch_size)],))

    def _loss_grad_way(self, site: Site) -> Way:
        tr = site.trace

        def way(v: Values) -> np.ndarray:
            loss = copy.deepcopy(tr.loss_fn)
            loss.forward(site.rows(v, "out"), tr.y)
            return np.array(loss.backward(), copy=True)

        return way

    def _layer_backward(self, s: int, L: str, pos: int, t: LayerTrace, a_prev: str,
                        incoming: str) -> str:
        tr = self.traces[s]
        P = self.prefix(s)
        ref = self.step_reference(s)["layers"][pos]
        keys = {"a_prev": a_prev, "W": f"{L}.W", "z": f"{L}.z", "a": f"{L}.a",
                "delta": f"{L}.delta", "grad_a": f"{L}.#grad_a"}
        if t.b is not None:
            keys["b"] = f"{L}.b"
        nxt = tr.modules[pos + 1] if pos + 1 < len(tr.modules) else None
        if isinstance(nxt, LayerTrace):
            N = f"{P}layers[{pos + 1}]"
            keys.update(W_next=f"{N}.W", W_new_next=f"{N}.W_new", delta_next=f"{N}.delta")
        output = t.index == len(tr.layers)

        def site(kind: str, role: str) -> Site:
            return Site(self, s, kind, role, layer=t, keys=dict(keys), output=output)

        if t.fused:
            dsite = site("delta", "delta")
            self._add(f"{L}.delta", dsite, ref["delta"], self._fused_delta_ways(dsite, tr))
        else:
            self._add(f"{L}.#grad_a", site("grad_a", "backward"), t.grad_a,
                      (lambda v, k=incoming: v[k],), answerable=False)
            keys["g_prime"] = f"{L}.g_prime"
            gsite = site("g_prime", "slope")
            ways: list[Way] = [lambda v, g=gsite: _slope(g.activation(), g.rows(v, "z"))]
            if gsite.activation().slope_of_output(np.zeros(1)) is not None:
                ways.append(lambda v, g=gsite: g.slope_of_output(g.rows(v, "a")))
            self._add(f"{L}.g_prime", gsite, ref["g_prime"], tuple(ways))
            dsite = site("delta", "delta")
            dways: list[Way] = [
                lambda v, d=dsite: v.scale * d.rows(v, "grad_a") * d.rows(v, "g_prime")]
            if len(ways) > 1:
                dways.append(lambda v, d=dsite: v.scale * d.rows(v, "grad_a")
                             * d.slope_of_output(d.rows(v, "a")))
            # by hand: the slope the learner wrote down times what came back
            self._add(f"{L}.delta", dsite, ref["delta"], tuple(dways), by_hand=0)

        def grads(v: Values, d: Site) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
            # once per evaluation: dW, db and dJ/da[l-1] come from one backward, and every
            # number it reads comes before them
            key = ("dense", d.keys["delta"])
            if key not in v.cache:
                b = v[d.keys["b"]] if "b" in d.keys else None
                v.cache[key] = _dense_backward(v[d.keys["W"]], b, d.rows(v, "a_prev"),
                                               d.rows(v, "delta") / v.scale)
            return v.cache[key]

        wsite = site("dW", "param_grad")
        self._add(f"{L}.dW", wsite, t.dW, (lambda v, d=wsite: grads(v, d)[0],))
        if t.b is not None:
            bsite = site("db", "param_grad")
            self._add(f"{L}.db", bsite, t.db, (lambda v, d=bsite: grads(v, d)[1],))
        xsite = site("grad_in", "backward")
        self._add(f"{L}.#grad_in", xsite, t.delta @ t.W, (lambda v, d=xsite: grads(v, d)[2],),
                  answerable=False)
        return f"{L}.#grad_in"

    def _fused_delta_ways(self, site: Site, tr: Trace) -> tuple[Way, ...]:
        """:math:`\\delta^{[L]} = \\partial J/\\partial z` from the loss itself on the given
        :math:`z`, or :math:`(p - y)/m` from the given probabilities (the link's gradient)."""
        target = _one_hot(tr)

        def from_z(v: Values) -> np.ndarray:
            loss = copy.deepcopy(tr.loss_fn)
            loss.forward(site.rows(v, "z"), tr.y)
            return v.scale * np.array(loss.backward(), copy=True)

        def from_p(v: Values) -> np.ndarray:
            return v.scale * (site.rows(v, "a") - target) / tr.batch_size

        return (from_z, from_p)

    # --- layers other than Dense ----------------------------------------------------------------
    def _module_forward(self, s: int, L: str, pos: int, mod: ModuleTrace, current: str) -> str:
        ref = self.step_reference(s)["layers"][pos]
        self._params(s, L, mod, [(p.attr, p.before) for p in mod.params])
        self._params(s, L, mod, list(mod.buffers_before.items()))
        keys = {"input": f"{L}.input", "a_prev": current}
        for p in mod.params:
            keys[p.attr] = f"{L}.{p.attr}"
        for name in mod.buffers_before:
            keys[name] = f"{L}.{name}"

        def site(kind: str, role: str) -> Site:
            return Site(self, s, kind, role, module=mod, keys=dict(keys))

        self._add(f"{L}.input", site("input", "forward"), ref["input"],
                  (lambda v, k=current: v[k],))
        extra = MODULE_WAYS.get(type(mod.layer), {}) if mod.layer is not None else {}
        for name in mod.observed:
            if name == "mask":  # given with the spec, not computed
                continue
            osite = site(name, "forward")
            ways = (lambda v, o=osite, n=name: self.run_module(v, o)["observed"][n],)
            ways += tuple(w(osite) for w in extra.get(name, ()))
            self._add(f"{L}.{name}", osite, ref[name], ways)
            keys[name] = f"{L}.{name}"
        osite = site("output", "forward")
        ways = (lambda v, o=osite: self.run_module(v, o)["output"],)
        ways += tuple(w(osite) for w in extra.get("output", ()))
        self._add(f"{L}.output", osite, ref["output"], ways)
        for name in mod.buffers_before:
            bsite = site(f"{name}_new", "buffer_new")
            ways = (lambda v, o=bsite, n=name: self.run_module(v, o)["buffers"][n],)
            ways += tuple(w(bsite) for w in extra.get(f"{name}_new", ()))
            self._add(f"{L}.{name}_new", bsite, ref[f"{name}_new"], ways)
        return f"{L}.output"

    def run_module(self, v: Values, site: Site, grad_output: np.ndarray | None = None
                   ) -> dict[str, Any]:
        """The module's own forward (and backward, given ``grad_output``) on the numbers in
        ``v``: its parameters and buffers as given, its input as given."""
        mod = site.module
        assert mod is not None and mod.layer is not None
        key = ("module", site.step, mod.position, grad_output is not None)
        if key in v.cache:
            return v.cache[key]
        layer = copy.deepcopy(mod.layer)
        layer.train(True)
        for p in layer.parameters():
            p.data[...] = np.reshape(v[site.keys[p.attr]], p.shape)
        for name, arr in layer.buffers().items():
            arr[...] = np.reshape(v[site.keys[name]], arr.shape)
        if "mask" in mod.observed and hasattr(layer, "set_mask"):
            layer.set_mask(mod.observed["mask"])
        x = np.reshape(np.asarray(v[site.keys["input"]], dtype=np.float64), mod.x.shape)
        out: dict[str, Any] = {"output": np.array(layer.forward(x), copy=True)}
        out["observed"] = {k: np.array(a, copy=True) for k, a in layer.observables().items()}
        out["buffers"] = {k: np.array(a, copy=True) for k, a in layer.buffers().items()}
        if grad_output is not None:
            dx = layer.backward(np.reshape(grad_output, mod.y.shape))
            out["grad_x"] = np.zeros_like(x) if dx is None else np.array(dx, copy=True)
            out["grads"] = {p.grad_attr: np.array(p.grad, copy=True)
                            for p in layer.parameters()}
        v.cache[key] = out
        return out

    def _module_backward(self, s: int, L: str, pos: int, mod: ModuleTrace, incoming: str
                         ) -> str:
        ref = self.step_reference(s)["layers"][pos]
        keys = {"input": f"{L}.input", "grad_output": f"{L}.grad_output"}
        for p in mod.params:
            keys[p.attr] = f"{L}.{p.attr}"
        for name in mod.buffers_before:
            keys[name] = f"{L}.{name}"
        for name in mod.observed:
            keys[name] = f"{L}.{name}"
        extra = MODULE_WAYS.get(type(mod.layer), {}) if mod.layer is not None else {}

        def site(kind: str, role: str) -> Site:
            return Site(self, s, kind, role, module=mod, keys=dict(keys))

        self._add(f"{L}.grad_output", site("grad_output", "backward"), ref["grad_output"],
                  (lambda v, k=incoming: v[k],))

        def backward(v: Values, o: Site) -> dict[str, Any]:
            return self.run_module(v, o, np.asarray(v[o.keys["grad_output"]]))

        xsite = site("grad_x", "backward")
        self._add(f"{L}.grad_x", xsite, ref["grad_x"],
                  (lambda v, o=xsite: backward(v, o)["grad_x"],)
                  + tuple(w(xsite) for w in extra.get("grad_x", ())))
        for p in mod.params:
            psite = site(p.grad_attr, "param_grad")
            ways = (lambda v, o=psite, g=p.grad_attr: backward(v, o)["grads"][g],)
            ways += tuple(w(psite) for w in extra.get(p.grad_attr, ()))
            self._add(f"{L}.{p.grad_attr}", psite, p.grad, ways)
        return f"{L}.grad_x"

    # --- the update ------------------------------------------------------------------------------
    def trained(self, s: int) -> list[tuple[int, str, str]]:
        """``(position, attr, grad_attr)`` of every parameter the optimiser trains in step ``s``,
        in the optimiser's order."""
        tr = self.traces[s]
        out = []
        for pos, mod in enumerate(tr.modules):
            if isinstance(mod, LayerTrace):
                for attr, grad in (("W", "dW"), ("b", "db")):
                    if (attr == "W" or mod.b is not None) and attr not in mod.frozen:
                        out.append((pos, attr, grad))
            else:
                out += [(pos, p.attr, p.grad_attr) for p in mod.params if not p.frozen]
        return out

    def trained_paths(self, s: int) -> set[str]:
        """The paths of the parameters the optimiser updates in step ``s``."""
        return {f"{self.prefix(s)}layers[{pos}].{attr}" for pos, attr, _ in self.trained(s)}

    def _update(self, s: int, pos: int, mod: LayerTrace | ModuleTrace) -> None:
        P = self.prefix(s)
        L = f"{P}layers[{pos}]"
        ref = self.step_reference(s)["layers"][pos]
        if isinstance(mod, LayerTrace):
            params = [("W", "dW", mod.W_new), ("b", "db", mod.b_new)]
            if mod.b is None:
                params = params[:1]
        else:
            params = [(p.attr, p.grad_attr, p.after) for p in mod.params]
        for attr, grad, after in params:
            keys = {"param": f"{L}.{attr}", "grad": f"{L}.{grad}", "new": f"{L}.{attr}_new"}
            state_ref = ref.get("state", {}).get(attr, {})
            for name in state_ref:
                keys[name] = f"{L}.state.{attr}.{name}"
            if s > 0:
                before = self.step_reference(s - 1)["layers"][pos].get("state", {}).get(attr, {})
                for name in before:
                    keys[f"prev_{name}"] = f"{self.prefix(s - 1)}layers[{pos}].state.{attr}.{name}"

            def site(kind: str, role: str, keys: dict[str, str] = keys) -> Site:
                return Site(self, s, kind, role, layer=mod if isinstance(mod, LayerTrace)
                            else None, module=mod if isinstance(mod, ModuleTrace) else None,
                            keys=dict(keys))

            frozen = (attr in mod.frozen if isinstance(mod, LayerTrace)
                      else any(p.frozen for p in mod.params if p.attr == attr))
            for name, value in state_ref.items():
                ssite = site(name, "state")
                ways: tuple[Way, ...] = (
                    lambda v, o=ssite, k=keys[name]: self.optimizer_step(v, o.step)[k],)
                for cls, table in STATE_WAYS.items():
                    if self.transform_settings(s, cls) is not None and name in table:
                        ways += tuple(w(ssite) for w in table[name])
                self._add(keys[name], ssite, value, ways)
            nsite = site(f"{attr}_new", "new_param")
            if frozen:
                ways = (lambda v, k=keys["param"]: v[k],)
            else:
                ways = (lambda v, o=nsite: self.optimizer_step(v, o.step)[o.keys["new"]],)
                if "update" in keys:
                    ways += (lambda v, o=nsite: np.asarray(v[o.keys["param"]])
                             - np.asarray(v[o.keys["update"]]),)
            self._add(keys["new"], nsite, after, ways)

    def _network_position(self, s: int, pos: int) -> int:
        """Where the module at index ``pos`` of the JSON's layers sits in the network."""
        return self.traces[s].modules[pos].position

    def transform_settings(self, s: int, cls: type) -> dict[str, Any] | None:
        """The settings of the transform of class ``cls`` in step ``s``'s optimiser (with
        ``lr``, and ``t`` for Adam), or None: no such transform, or it does nothing."""
        opt = self.traces[s].optimizer
        if opt is None or opt.optimizer is None:
            return None
        for tr, st in zip(opt.optimizer.transforms, opt.settings, strict=True):
            if isinstance(tr, cls):
                out = dict(st, lr=opt.lr)
                if isinstance(tr, Momentum) and not st["momentum"]:
                    return None
                if isinstance(tr, ScaleByAdam):
                    out["t"] = opt.step
                    out["amsgrad"] = tr.amsgrad
                out["alone"] = self._alone(opt, tr)
                return out
        return None

    @staticmethod
    def _alone(opt: Any, core: Any) -> bool:
        """Whether ``core`` is the only transform of the chain that changes anything (no
        clipping, no decay): then the update is a formula of its own state."""
        for tr, st in zip(opt.optimizer.transforms, opt.settings, strict=True):
            if tr is core:
                continue
            if st.get("weight_decay", 0.0) or "max_norm" in st or "clip_value" in st:
                return False
            if isinstance(tr, Momentum) and st["momentum"]:
                return False
        return True

    def optimizer_step(self, v: Values, s: int) -> dict[str, np.ndarray]:
        """The spec's optimiser, stepping once on the numbers in ``v``: the parameters and
        gradients of step ``s`` as given, the state as given at the end of the step before.
        Returns path -> array for every new parameter and state entry of the step."""
        key = ("optimizer", s)
        if key in v.cache:
            return v.cache[key]
        tr = self.traces[s]
        P = self.prefix(s)
        ref = self.step_reference(s)["layers"]
        trained = self.trained(s)
        holders = [_Holder(v[f"{P}layers[{pos}].{attr}"], v[f"{P}layers[{pos}].{grad}"])
                   for pos, attr, grad in trained]
        decays = {(i, p.attr): p.decay for i, layer in enumerate(self.spec.net)
                  for p in layer.parameters()}
        params = [Parameter(h, "value", "grad", decay=decays[(self._network_position(s, pos),
                                                                attr)])
                  for h, (pos, attr, _) in zip(holders, trained, strict=True)]
        opt_trace = tr.optimizer
        if opt_trace is None:
            from ..optim import SGD

            opt: Any = SGD(params, lr=tr.learning_rate)
        else:
            opt = self.spec.make_optimizer(params)
            opt.lr = opt_trace.lr
            for transform, st in zip(opt.transforms, opt_trace.settings, strict=True):
                for k, value in st.items():
                    if k != "mask":
                        setattr(transform, k, value)
            if s > 0:
                before = self.step_reference(s - 1)["layers"]
                for i, (pos, attr, _) in enumerate(trained):
                    state = {}
                    for name in before[pos].get("state", {}).get(attr, {}):
                        if name in DERIVED_STATE:
                            continue
                        path = f"{self.prefix(s - 1)}layers[{pos}].state.{attr}.{name}"
                        state[name] = (before[pos]["state"][attr][name] if name == "step"
                                       else v[path])
                    for transform in opt.transforms:
                        transform.load_param_state(i, state)
        recorder = _StageRecorder()
        with np.errstate(all="ignore"), opt.add_hook(recorder):
            opt.step()
        out: dict[str, np.ndarray] = {}
        for i, ((pos, attr, _), h) in enumerate(zip(trained, holders, strict=True)):
            L = f"{P}layers[{pos}]"
            out[f"{L}.{attr}_new"] = h.value
            if opt_trace is None:
                continue
            state: dict[str, Any] = {}
            for transform in opt.transforms:
                state.update(transform.param_state(i))
            state.update(_derived(opt, state))
            state["update"] = -recorder.stages["apply"][i]
            for name in ref[pos].get("state", {}).get(attr, {}):
                if name in state:
                    out[f"{L}.state.{attr}.{name}"] = np.asarray(state[name], dtype=np.float64)
        v.cache[key] = out
        return out

    # --- numbers no rule above computes -----------------------------------------------------------
    def _left_over(self) -> None:
        """Every other number of the JSON (a layer's index, the batch size, the learning rate,
        a clipping norm): checked against the engine's value only."""
        modelled = set(self.by_key)
        for path, value in _numeric_leaves(self.reference):
            if path in modelled or any(path.startswith(k + "[") for k in modelled):
                continue
            s = int(path.split("]")[0][len("steps["):]) if self.multi else 0
            site = Site(self, s, split_path(path)[-1] if split_path(path) else path, "given")
            self._add(path, site, value, (_const(value),))

    # --- evaluating ------------------------------------------------------------------------------
    def evaluate(self, given: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None, *,
                 decimals: int | Callable[[np.ndarray], np.ndarray] | None = None,
                 planted: Mapping[str, Way] | None = None, scale: float = 1.0) -> Values:
        """Every number, computed in order from the ones before it.

        Parameters
        ----------
        given : mapping of path to (values, mask), optional
            Numbers written by someone: where ``mask`` is True they replace the computed ones.
        decimals : int or callable, optional
            Round every computed number to this many decimals, as a person writing it down
            does (and compute the next ones from the rounded numbers); or a function that
            rounds an array.
        planted : mapping of path to rule, optional
            Quantities computed by another rule than their own (a misconception).
        scale : float
            The errors' convention (see :class:`Values`).
        """
        v = Values({q.key: q.true(scale) for q in self.quantities}, scale=scale)
        if planted:  # a rule may read a later quantity (the next layer's new weights)
            v.update(self.evaluate(given, decimals=decimals, scale=scale))
        for q in self.quantities:
            rule = planted.get(q.key) if planted else None
            with np.errstate(all="ignore"):
                value = q.fit(rule(v)) if rule is not None else q.by_hand_value(v)
            if decimals is not None and q.answerable:
                value = decimals(value) if callable(decimals) else np.round(value, decimals)
            if given and q.key in given:
                values, mask = given[q.key]
                value = np.where(mask, values, value)
            v[q.key] = value
        return v

    def __iter__(self) -> Iterator[Quantity]:
        return iter(self.quantities)

    def answerable(self) -> list[Quantity]:
        return [q for q in self.quantities if q.answerable]

    def answers_object(self, values: Mapping[str, np.ndarray], keys: Any = None
                       ) -> dict[str, Any]:
        """The object of ``backprop example --format json`` holding ``values`` at the paths in
        ``keys`` (all answerable quantities by default), NaN written as ``None``."""
        wanted = set(keys) if keys is not None else {q.key for q in self.answerable()}
        obj: dict[str, Any] = {}
        for q in self.quantities:
            if q.key in wanted:
                value = np.asarray(values[q.key], dtype=np.float64)
                plain = np.where(np.isnan(value), None, value).tolist() if value.ndim else (
                    None if np.isnan(value) else float(value))
                _put(obj, split_path(q.key), plain)
        _pad(obj, self.reference)
        return obj

    def to_json_text(self, values: Mapping[str, np.ndarray],
                     decimals: int | Callable[[float], int] | None = None,
                     keys: Any = None) -> str:
        """:meth:`answers_object` as JSON text, every number written with ``decimals`` decimals
        (as a learner writes it; a function gives each number's)."""
        return _dump(self.answers_object(values, keys), decimals) + "\n"


# --- ways the engine folds away ---------------------------------------------------------------
def _bn_ways() -> dict[str, tuple[Callable[[Site], Way], ...]]:
    """Batch norm's steps from the learner's own intermediate numbers (the layer computes them
    in one pass from its input)."""
    def rows(v: Values, site: Site, role: str) -> np.ndarray:
        assert site.module is not None
        return np.reshape(np.asarray(v[site.keys[role]], dtype=np.float64), site.module.x.shape)

    def eps(site: Site) -> float:
        assert site.module is not None
        return float(site.module.config.get("eps", 0.0))

    def rho(site: Site) -> float:
        assert site.module is not None
        return float(site.module.config.get("momentum", 0.0))

    return {
        "inv_std": (lambda o: lambda v: 1.0 / np.sqrt(np.asarray(v[o.keys["var"]]) + eps(o)),),
        "xhat": (lambda o: lambda v: (rows(v, o, "input") - v[o.keys["mean"]])
                 * np.asarray(v[o.keys["inv_std"]]),
                 lambda o: lambda v: (rows(v, o, "input") - v[o.keys["mean"]])
                 / np.sqrt(np.asarray(v[o.keys["var"]]) + eps(o))),
        "output": (lambda o: lambda v: np.asarray(v[o.keys.get("gamma", "")] if "gamma" in
                                                  o.keys else 1.0)
                   * rows(v, o, "xhat") + (np.asarray(v[o.keys["beta"]]) if "beta" in o.keys
                                           else 0.0),),
        "running_mean_new": (lambda o: lambda v: (1 - rho(o)) * np.asarray(v[o.keys[
            "running_mean"]]) + rho(o) * np.asarray(v[o.keys["mean"]]),),
        "running_var_new": (lambda o: lambda v: (1 - rho(o)) * np.asarray(v[o.keys[
            "running_var"]]) + rho(o) * np.asarray(v[o.keys["var"]]) * o.module.x.shape[0]
            / (o.module.x.shape[0] - 1),),
        "dgamma": (lambda o: lambda v: np.sum(rows(v, o, "grad_output") * rows(v, o, "xhat"),
                                              axis=0),),
        "dbeta": (lambda o: lambda v: np.sum(rows(v, o, "grad_output"), axis=0),),
    }


def _adam_ways() -> dict[str, tuple[Callable[[Site], Way], ...]]:
    """Adam's bias corrections and update from the learner's own moments (the engine folds the
    corrections into two scalars, so it has no step that takes them)."""
    def hyper(site: Site) -> dict[str, Any]:
        st = site.settings(ScaleByAdam)
        assert st is not None
        return st

    def update(o: Site) -> Way | None:
        def way(v: Values) -> np.ndarray:
            st = hyper(o)
            if not st["alone"] or st["amsgrad"]:
                raise ValueError("the update mixes in other transforms")
            return st["lr"] * np.asarray(v[o.keys["exp_avg_hat"]]) / (
                np.sqrt(np.asarray(v[o.keys["exp_avg_sq_hat"]])) + st["eps"])
        return way

    return {
        "exp_avg_hat": (lambda o: lambda v: np.asarray(v[o.keys["exp_avg"]])
                        / (1.0 - hyper(o)["b1"] ** hyper(o)["t"]),),
        "exp_avg_sq_hat": (lambda o: lambda v: np.asarray(v[o.keys["exp_avg_sq"]])
                           / (1.0 - hyper(o)["b2"] ** hyper(o)["t"]),),
        "update": (update,),
    }


def _momentum_ways() -> dict[str, tuple[Callable[[Site], Way], ...]]:
    """The update from the learner's own momentum buffer."""
    def update(o: Site) -> Way:
        def way(v: Values) -> np.ndarray:
            st = o.settings(Momentum)
            assert st is not None
            if not st["alone"]:
                raise ValueError("the update mixes in other transforms")
            b = np.asarray(v[o.keys["momentum_buffer"]])
            if st["nesterov"]:
                return st["lr"] * (np.asarray(v[o.keys["grad"]]) + st["momentum"] * b)
            return st["lr"] * b
        return way

    return {"update": (update,)}


def _module_ways() -> dict[type, dict[str, tuple[Callable[[Site], Way], ...]]]:
    from ..layers import BatchNorm

    return {BatchNorm: _bn_ways()}


#: more ways for a layer other than Dense, by class: quantity -> rules from the learner's own
#: intermediate numbers (the layer computes them in one pass)
MODULE_WAYS: dict[type, dict[str, tuple[Callable[[Site], Way], ...]]] = _module_ways()
#: more ways for an optimiser's state, by transform class
STATE_WAYS: dict[type, dict[str, tuple[Callable[[Site], Way], ...]]] = {
    ScaleByAdam: _adam_ways(), Momentum: _momentum_ways()}


# --- how a person writes numbers down -------------------------------------------------------
def calculator_decimals(values: Any) -> Any:
    """How many decimals a person with a calculator writes: four, and at least four significant
    digits for a small number (``0.000016`` is written ``0.00001600``, not ``0.0000``)."""
    if isinstance(values, float):  # one number (as a writer asks): no array machinery
        if values == 0.0 or not math.isfinite(values):
            return 4
        return max(4, 3 - math.floor(math.log10(abs(values))))
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        exponent = np.floor(np.log10(np.abs(x)))
    decimals = np.where(np.isfinite(exponent), np.maximum(4, 3 - exponent), 4).astype(np.int64)
    return int(decimals) if decimals.ndim == 0 else decimals


def calculator(values: np.ndarray) -> np.ndarray:
    """Round as a person with a calculator writes numbers down (:func:`calculator_decimals`)."""
    x = np.asarray(values, dtype=np.float64)
    scale = 10.0 ** calculator_decimals(x)
    return np.round(x * scale) / scale


# --- paths ----------------------------------------------------------------------------------
def split_path(path: str) -> list[str | int]:
    """``"steps[2].layers[0].W_new[1][0]"`` -> ``["steps", 2, "layers", 0, "W_new", 1, 0]``."""
    out: list[str | int] = []
    for part in path.split("."):
        name, _, rest = part.partition("[")
        if name:
            out.append(name)
        while rest:
            index, _, rest = rest.partition("]")
            out.append(int(index))
            rest = rest[1:] if rest.startswith("[") else rest
    return out


def join_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + p
    return out


def element_path(key: str, index: tuple[int, ...]) -> str:
    return key + "".join(f"[{i}]" for i in index)


def _numeric_leaves(obj: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(path, value)`` of every maximal array of numbers (or single number) in ``obj``."""
    if isinstance(obj, Mapping):
        for k, val in obj.items():
            yield from _numeric_leaves(val, f"{prefix}.{k}" if prefix else str(k))
    elif isinstance(obj, list):
        if obj and Worksheet._numeric(obj):
            yield prefix, obj
        else:
            for i, val in enumerate(obj):
                yield from _numeric_leaves(val, f"{prefix}[{i}]")
    elif Worksheet._numeric(obj):
        yield prefix, obj


def _one_hot(tr: Trace) -> np.ndarray:
    y = tr.y
    if tr.labels:
        return np.eye(tr.output.shape[1])[y.astype(np.int64)]
    return np.reshape(np.asarray(y, dtype=np.float64), tr.output.shape)


def _put(obj: dict[str, Any], parts: list[str | int], value: Any) -> None:
    node: Any = obj
    for here, nxt in zip(parts, parts[1:], strict=False):
        if isinstance(here, int):
            while len(node) <= here:
                node.append(None)
            if node[here] is None:
                node[here] = [] if isinstance(nxt, int) else {}
            node = node[here]
        else:
            if here not in node:
                node[here] = [] if isinstance(nxt, int) else {}
            node = node[here]
    last = parts[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
        node[last] = value
    else:
        node[last] = value


def _pad(obj: Any, ref: Any) -> None:
    """Lengthen every list of ``obj`` to its length in ``ref`` with ``None`` (JSON's null: a
    number left out), so the object has the nesting of the step's JSON."""
    if isinstance(obj, dict) and isinstance(ref, Mapping):
        for k, v in obj.items():
            if k in ref:
                _pad(v, ref[k])
    elif isinstance(obj, list) and isinstance(ref, list):
        obj.extend([None] * (len(ref) - len(obj)))
        for v, r in zip(obj, ref, strict=False):
            _pad(v, r)


def _dump(obj: Any, decimals: int | Callable[[float], int] | None, indent: int = 0) -> str:
    """JSON text of ``obj`` with every float written with ``decimals`` decimals (``0.100``: the
    digits a learner writes; a function gives each number's), or in full when ``decimals`` is
    None."""
    pad = " " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_dump(v, decimals, indent + 1)}"
                 for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    if isinstance(obj, list):
        if all(not isinstance(v, (dict, list)) for v in obj):
            return "[" + ", ".join(_dump(v, decimals, indent) for v in obj) + "]"
        return "[\n" + ",\n".join(pad + _dump(v, decimals, indent + 1) for v in obj) + "\n" \
            + " " * indent + "]"
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return json.dumps(obj, ensure_ascii=False)
    x = float(obj)
    if not math.isfinite(x):
        return "null"
    if decimals is None:
        return repr(x)
    text = f"{x:.{decimals(x) if callable(decimals) else decimals}f}"
    return text.lstrip("-") if float(text) == 0.0 else text


def worksheet(spec: Spec) -> Worksheet:
    return Worksheet(spec)
