r"""The article's ten steps as a :class:`~.document.Document`, built from a recorded
:class:`~.record.Trace`.

Every number shown is one the engine produced (read from the trace) or one the user gave
(weights, inputs, targets). Formulas are shown three ways in a chain -- symbols, the numbers put
in, the result -- e.g. :math:`z^{[1]}_1 = w^{[1]}_{11}x_1 + w^{[1]}_{12}x_2 + b^{[1]}_1 =
0.1\cdot 0.2 + (-0.2)\cdot 0.4 + 0.01 = -0.050000`. Results have six decimals.

For a mini-batch the article's per-sample error :math:`\delta^{[l](i)} = \partial L^{(i)} /
\partial z^{[l](i)}` is shown; the trace stores :math:`\partial J/\partial z^{[l]} =
\delta^{[l](i)}/m` (the cost carries the :math:`1/m`), so the shown value is ``m * delta[i]``, and
the gradients are written as the article's averages :math:`\frac1m\sum_i`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..layers import LAYERS, BatchNorm, Dropout
from ..losses import LOSSES
from ..optim import (
    AddDecayedWeights,
    ClipByGlobalNorm,
    ClipByValue,
    Momentum,
    ScaleByAdam,
    ScaleByNAdam,
    ScaleByRMS,
)
from .diagram import trace_diagram
from .document import Document, Heading, Row
from .notation import (
    ALPHA,
    ARROW,
    CDOT,
    DELTA,
    ELLIPSIS,
    EQ,
    MINUS,
    PLUS,
    Y_HAT,
    Math,
    as_factor,
    bracket,
    column,
    fill_formula,
    frac,
    func,
    index,
    join,
    lit,
    matrix,
    mean_sum,
    operand,
    paren,
    partial,
    product,
    result,
    scaled_sum,
    small,
    small_operand,
    sum_over,
    sym,
    transpose,
    tuple_t,
    value,
)
from .words import name_of, words

if TYPE_CHECKING:
    from .record import LayerTrace, ModuleTrace, Trace

#: samples written out one by one; larger batches show this many and say how many are left
MAX_SAMPLES = 8
#: terms written out in a sum; wider layers are written with a summation sign
MAX_TERMS = 8
#: elements of a parameter written out one by one in the optimiser's step; larger parameters are
#: shown as matrices
MAX_ELEMENTS = 16

# juxtaposition of symbols: a thin space in LaTeX, a middle dot in text
_JUX = lit(r"\,", "·")
_ONE = lit("1")
_SAMPLE = "i"


def fill_notation(template: tuple[str, str], t: LayerTrace, **values: Math) -> Math:
    """Fill an activation's notation template (see :class:`backprop.layers.Notation`).

    ``values`` are the ``<z>`` and ``<a>`` to put in (symbols or numbers); ``<name>`` of a
    constructor argument is the layer's own value, written as a given number.
    """
    return fill_formula(template, values, t.activation_config)


_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "theta": "θ",
          "lambda": "λ", "mu": "μ", "rho": "ρ", "sigma": "σ", "tau": "τ", "phi": "φ"}
_THETA = lit(r"\theta", "θ")
_MU = lit(r"\mu", "μ")
_BETA1, _BETA2 = lit(r"\beta_{1}", "β₁"), lit(r"\beta_{2}", "β₂")
_EPS = lit(r"\varepsilon", "ε")
_LAMBDA = lit(r"\lambda", "λ")
_TAU = lit(r"\tau", "τ")
_G, _U, _B = lit("g"), lit("u"), lit("b")
_M_HAT, _V_HAT = lit(r"\hat{m}", "m̂"), lit(r"\hat{v}", "v̂")
_X_HAT = lit(r"\hat{x}", "x̂")
_RUN_MEAN, _RUN_VAR = lit(r"\bar{\mu}", "μ̄"), lit(r"\bar{\sigma}^{2}", "σ̄²")
_VAR = lit(r"\sigma^{2}", "σ²")
_GAMMA, _BETA = lit(r"\gamma", "γ"), lit(r"\beta", "β")


def _param_base(attr: str) -> Math:
    """A parameter's letter: its attribute name, in Greek when it is the name of a Greek one."""
    if attr in _GREEK:
        return lit("\\" + attr, _GREEK[attr])
    return lit(attr if len(attr) == 1 else r"\mathrm{" + attr.replace("_", r"\_") + "}", attr)


def _sqrt(x: Math) -> Math:
    return Math(r"\sqrt{" + x.tex + "}", f"√({x.text})")


def _power(base: Math, exponent: int | str) -> Math:
    return Math(base.tex + "^{" + str(exponent) + "}", f"{base.text}^{exponent}")


def _squared(v: float) -> Math:
    """A computed number squared, in parentheses when negative or written with a power."""
    x = small(v)
    if x.text.startswith("-") or "e" in x.text:
        x = paren(x)
    return Math(x.tex + "^{2}", x.text + "²")


def _const(v: float) -> Math:
    """A constant made of given numbers (1 - β₁, 1 - ρ), written as short as it is."""
    return value(float(f"{v:.12g}"))


def _tilde(base: Math, n: int) -> Math:
    for _ in range(n):
        base = Math(r"\tilde{" + base.tex + "}", base.text + "\u0303")
    return base


class _Explainer:
    """Builds the document for one trace in one language."""

    def __init__(self, tr: Trace, lang: str):
        self.tr = tr
        self.S = words(lang)
        self.lang = lang
        self.doc = Document()
        self.m = tr.batch_size
        self.L = len(tr.layers)
        self.batch = self.m > 1
        self.shown = range(min(self.m, MAX_SAMPLES))
        self.cost = lit("J") if self.batch else lit("L")
        self.notation = tr.loss_fn.notation()
        self.opt = tr.optimizer
        # the variable each layer reads and writes: x, a[l], and a tilde for every layer
        # (batch norm, dropout, ...) between two Dense layers
        self.var_in: dict[int, tuple[str, int | None, int]] = {}
        self.var_out: dict[int, tuple[str, int | None, int]] = {}
        # the layers between Dense l and Dense l+1 (0: before the first)
        self.after: dict[int, list[ModuleTrace]] = {0: []}
        current: tuple[str, int | None, int] = ("x", None, 0)
        dense = 0
        for mod in tr.modules:
            self.var_in[id(mod)] = current
            if self.is_dense(mod):
                dense = mod.index
                self.after[dense] = []
                current = ("a", dense, 0)
            else:
                self.after[dense].append(mod)
                current = (current[0], current[1], current[2] + 1)
            self.var_out[id(mod)] = current
        self.output_var = current

    @staticmethod
    def is_dense(mod: Any) -> bool:
        return hasattr(mod, "W_new")

    # --- symbols -----------------------------------------------------------------------------
    def s(self, i: int) -> int | None:
        """The sample label written as a superscript: none for one sample, 1-based otherwise."""
        return i + 1 if self.batch else None

    def var_sym(self, var: tuple[str, int | None, int], s: int | str | None,
                k: int | str | None = None) -> Math:
        base, layer, tildes = var
        sub = k + 1 if isinstance(k, int) else k
        return sym(_tilde(lit(base), tildes), layer, s, sub)

    def in_sym(self, mod: Any, s: int | str | None, k: int | str | None = None) -> Math:
        """The variable a layer reads (``x``, :math:`a^{[l-1]}`, or a tilde of it)."""
        return self.var_sym(self.var_in[id(mod)], s, k)

    def out_sym(self, mod: Any, s: int | str | None, k: int | str | None = None) -> Math:
        return self.var_sym(self.var_out[id(mod)], s, k)

    def direct(self, t: LayerTrace) -> bool:
        """Whether the Dense reads the previous article layer's ``a`` (or ``x``) itself."""
        return self.var_in[id(t)][2] == 0

    def a_sym(self, l: int, s: int | str | None, k: int | str | None = None) -> Math:
        """Activation ``k`` (0-based int, or a letter) of layer ``l``; layer 0 is ``x``."""
        sub = k + 1 if isinstance(k, int) else k
        return sym("x", None, s, sub) if l == 0 else sym("a", l, s, sub)

    def in_val(self, t: LayerTrace, i: int, k: int) -> Math:
        """Input ``k`` of sample ``i`` of a Dense: given (x) or computed."""
        if self.var_in[id(t)] == ("x", None, 0):
            return operand(t.a_prev[i, k], exact=True)
        return operand(t.a_prev[i, k])

    def delta_val(self, t: LayerTrace, i: int, j: int) -> float:
        # the article's per-sample delta; the engine's dJ/dz carries the cost's 1/m
        return float(t.delta[i, j] * self.m)

    def w_sym(self, l: int, j: int, k: int) -> Math:
        return sym("w", l, None, index(j + 1, k + 1))

    def role(self, t: LayerTrace) -> str:
        return self.S["role_output"] if t.index == self.L else self.S["role_hidden"]

    def module_words(self, mod: ModuleTrace) -> str:
        return name_of(mod.layer if mod.layer is not None else LAYERS.get(mod.name, mod.name),
                       self.lang)

    # --- activation notation -----------------------------------------------------------------
    @staticmethod
    def g_apply(t: LayerTrace, z: Math) -> Math:
        """:math:`g(z)` for the layer's activation, as the activation writes itself."""
        return fill_notation(t.activation_layer.notation().g, t, z=z)

    @staticmethod
    def g_prime(t: LayerTrace, a: Math, z: Math) -> Math:
        """:math:`g'(z)` written with ``a = g(z)`` or ``z``, ready to be a factor."""
        return fill_notation(t.activation_layer.notation().slope, t, a=a, z=z)

    def g_definition(self, t: LayerTrace) -> tuple[Math, Math]:
        """The activation and its derivative as definitions, for the network section."""
        notation = t.activation_layer.notation()
        z = lit("z")
        g = (fill_notation(notation.definition, t) if notation.definition is not None
             else self.g_apply(t, z))
        if notation.derivative is not None:
            gp = fill_notation(notation.derivative, t)
        else:
            gp = lit("g'(z) = ") + self.g_prime(t, lit("a"), z)
        return g, gp

    # --- loss notation -----------------------------------------------------------------------
    def _loss_words(self) -> str:
        cls = LOSSES.get(self.tr.loss_name)
        if cls is None:
            return self.S["loss_other"].format(name=self.tr.loss_name)
        return name_of(cls, self.lang)

    def loss_fill(self, template: tuple[str, str], s: int | str | None,
                  k: int | str | None) -> Math:
        """A template of the loss's notation with the symbols of output unit ``k`` (no index:
        the only unit) of sample ``s``."""
        return fill_formula(template, {
            "y": sym("y", None, s, k), "y_hat": sym(Y_HAT, None, s, k),
            "target": sym("y", None, s), "output": sym(Y_HAT, None, s),
            "k": lit("" if k is None else str(k))})

    def loss_numbers(self, template: tuple[str, str], i: int, k: int) -> Math:
        """A template of the loss's notation with the numbers of output unit ``k`` of sample
        ``i`` (the target as given, the prediction as computed)."""
        y = value(self.target()[i, k])
        y_hat = result(self.tr.output[i, k])
        return fill_formula(template, {"y": y, "y_hat": y_hat, "k": lit(str(k + 1))})

    def loss_formula(self) -> Math:
        """:math:`L` of one sample, as the loss writes itself."""
        n, k = self.notation, self.tr.output.shape[1]
        if n.loss is not None:
            return self.loss_fill(n.loss, None, "k")
        scale = Math(*n.scale)
        if k == 1:
            return scale + self.loss_fill(n.term, None, None)
        return scale + sum_over(self.loss_fill(n.term, None, "k"), "k")

    def dloss_sym(self, s: int | str | None, k: int | str) -> Math:
        """:math:`\\partial L/\\partial \\hat y_k` written for the loss in use, as a factor."""
        return as_factor(self.loss_fill(self.notation.gradient, s, k))

    def target(self) -> np.ndarray:
        """Targets as (m, k) values: class labels become one-hot rows."""
        y = self.tr.y
        if self.tr.labels:
            return np.eye(self.tr.output.shape[1])[y.astype(np.int64)]
        return y.reshape(self.m, -1)

    # --- the document ------------------------------------------------------------------------
    def build(self) -> Document:
        self.doc.heading(1, self.S["title"])
        self.network()
        self.step1()
        self.step2()
        self.step3()
        self.step4()
        self.step5()
        self.steps6_9()
        if self.opt is None:
            self.step10()
        else:
            self.step10_optimizer()
        return self.doc

    def network(self) -> None:
        S, doc, tr = self.S, self.doc, self.tr
        doc.heading(2, S["network"])
        doc.figure(trace_diagram(tr, self.lang))
        l_sym = lit("[l]")
        doc.para(S["layer_rule"], l=l_sym,
                 zdef=sym("z", "l") + EQ + sym("W", "l") + _JUX + sym("a", "l-1") + PLUS
                 + sym("b", "l"),
                 adef=sym("a", "l") + EQ + func(sym("g", "l"), sym("z", "l")),
                 a0=sym("a", 0) + EQ + lit("x"))
        if self.batch:
            doc.para(S["input_batch"], m=self.m, X=lit("X"), Y=lit("Y"))
            doc.equations([Row(lit("X"), [matrix(tr.x, value)]),
                           Row(lit("Y"), [matrix(self.target(), value)])])
        else:
            doc.para(S["input_single"], x=lit("x = ") + tuple_t(tr.x[0]),
                     y=lit("y = ") + tuple_t(self.target()[0]))
        if tr.labels:
            doc.para(S["labels_one_hot"], labels=tuple_t(tr.y.astype(np.int64)))
        if self.opt is None:
            doc.para(S["learning_rate"], alpha=ALPHA + EQ + value(tr.learning_rate))
        else:
            self.optimizer_line()
        name = self._loss_words()
        loss = lit("L") + EQ + self.loss_formula()
        if self.batch:
            cost = lit("J") + EQ + mean_sum(sym("L", None, _SAMPLE), self.m)
            doc.para(S["loss_batch"], name=name, formula=loss, cost=cost)
        else:
            doc.para(S["loss_single"], name=name, formula=loss)
        for mod in tr.modules:
            if not self.is_dense(mod):
                self.module_line(mod)
                continue
            t = mod
            g, gp = self.g_definition(t)
            if t.fused:
                doc.para(S["layer_line_fused"], l=lit(f"[{t.index}]"), role=self.role(t),
                         n_in=t.n_in, n_out=t.n_out, name=name_of(t.activation_layer, self.lang),
                         g=g, loss=name)
            else:
                doc.para(S["layer_line"], l=lit(f"[{t.index}]"), role=self.role(t),
                         n_in=t.n_in, n_out=t.n_out,
                         name=name_of(t.activation_layer, self.lang), g=g, gp=gp)
            for attr in t.frozen:
                doc.para(S["frozen"], theta=sym(attr, t.index))
        doc.para(S["params"])
        rows = []
        for t in tr.layers:
            rows.append(Row(sym("W", t.index), [matrix(t.W, value)]))
            if t.b is not None:
                rows.append(Row(sym("b", t.index), [column(t.b, value)]))
        doc.equations(rows)

    def _more_samples(self) -> None:
        if self.m > len(self.shown):
            self.doc.para(self.S["more_samples"], n=self.m - len(self.shown))

    # step 1 ------------------------------------------------------------------------------------
    def step1(self) -> None:
        S, doc, tr = self.S, self.doc, self.tr
        doc.heading(2, S["step1"])
        for mod in tr.modules:
            if not self.is_dense(mod):
                _module_steps(mod).forward(self, mod)
                continue
            t = mod
            l = t.index
            doc.para(S["step1_layer"], l=lit(f"[{l}]"))
            rows = []
            for i in self.shown:
                s = self.s(i)
                for j in range(t.n_out):
                    rows.append(Row(sym("z", l, s, j + 1), self._z_chain(t, i, j)))
                for j in range(t.n_out):
                    rows.append(Row(sym("a", l, s, j + 1), self._a_chain(t, i, j)))
            doc.equations(rows)
        self._more_samples()

        doc.para(S["prediction"])
        k_out = tr.output.shape[1]
        doc.equations([Row(sym(Y_HAT, None, self.s(i), k + 1),
                           [self.var_sym(self.output_var, self.s(i), k),
                            result(tr.output[i, k])])
                       for i in self.shown for k in range(k_out)])
        doc.para(S["cost_value"] if self.batch else S["loss_value"])
        rows = [Row(sym("L", None, self.s(i)), self._loss_chain(i)) for i in self.shown]
        if self.batch:
            chain = [mean_sum(sym("L", None, _SAMPLE), self.m)]
            if self.m <= MAX_SAMPLES:
                chain.append(scaled_sum([result(v) for v in tr.sample_losses], self.m))
            rows.append(Row(lit("J"), [*chain, result(tr.loss)]))
        doc.equations(rows)

    def _a_chain(self, t: LayerTrace, i: int, j: int) -> list[Math]:
        z = sym("z", t.index, self.s(i), j + 1)
        if t.fused and not t.activation_layer.elementwise:
            # a link over all units (softmax): g of the whole vector, unit j of it
            g = self.g_apply(t, sym("z", t.index, self.s(i)))
            return [Math(g.tex + "_{" + str(j + 1) + "}", g.text + f"_{j + 1}"),
                    result(t.a[i, j])]
        return [self.g_apply(t, z), self.g_apply(t, result(t.z[i, j])), result(t.a[i, j])]

    def _z_chain(self, t: LayerTrace, i: int, j: int) -> list[Math]:
        l, s = t.index, self.s(i)
        bias_sym = [sym("b", l, None, j + 1)] if t.b is not None else []
        bias_val = [value(t.b[j])] if t.b is not None else []
        if t.n_in > MAX_TERMS:
            term = sym("w", l, None, index(j + 1, "k")) + _JUX + self.in_sym(t, s, "k")
            return [join([sum_over(term, "k"), *bias_sym], PLUS), result(t.z[i, j])]
        symbolic = [self.w_sym(l, j, k) + _JUX + self.in_sym(t, s, k) for k in range(t.n_in)]
        numeric = [product(operand(t.W[j, k], exact=True), self.in_val(t, i, k))
                   for k in range(t.n_in)]
        bias_num = [paren(value(t.b[j])) if bias_val and bias_val[0].text.startswith("-")
                    else v for v in bias_val]
        return [join(symbolic + bias_sym, PLUS), join(numeric + bias_num, PLUS),
                result(t.z[i, j])]

    def _loss_chain(self, i: int) -> list[Math]:
        """:math:`L^{(i)}`: a loss written per unit with its symbols and numbers, then its value."""
        tr, s, n = self.tr, self.s(i), self.notation
        k_out = tr.output.shape[1]
        chain: list[Math] = []
        if n.term is not None:
            scale = Math(*n.scale)
            if k_out == 1:
                chain.append(scale + self.loss_fill(n.term, s, None))
                chain.append(scale + self.loss_numbers(n.term, i, 0))
            elif k_out <= MAX_TERMS:
                terms = [self.loss_fill(n.term, s, k + 1) for k in range(k_out)]
                nums = [self.loss_numbers(n.term, i, k) for k in range(k_out)]
                chain.append(scale + bracket(join(terms, PLUS)))
                chain.append(scale + bracket(join(nums, PLUS)))
            else:
                chain.append(scale + sum_over(self.loss_fill(n.term, s, "k"), "k"))
        chain.append(result(tr.sample_losses[i]))
        return chain

    # step 2 ------------------------------------------------------------------------------------
    def step2(self) -> None:
        S, doc, tr = self.S, self.doc, self.tr
        t = tr.layers[-1]
        L = self.L
        doc.heading(2, S["step2"])
        if t.fused:
            self._step2_fused(t)
            return
        trailing = self.after.get(L, [])
        z_k, a_k = sym("z", L, None, "k"), sym("a", L, None, "k")
        if trailing:
            # the loss's gradient reaches a[L] only through the layers after the last Dense
            formula = (sym(DELTA, L, None, "k") + EQ + partial(self.cost, a_k) + CDOT
                       + self.g_prime(t, a_k, z_k))
            doc.para(S["step2_through"], formula=formula, y_hat=lit(Y_HAT) + EQ
                     + self.var_sym(self.output_var, None))
            doc.equations([Row(partial(self.cost, sym(Y_HAT, None, self.s(i), k + 1)),
                               [result(tr.grad_output[i, k])])
                           for i in self.shown for k in range(tr.output.shape[1])])
            for mod in reversed(trailing):
                _module_steps(mod).backward(self, mod)
            rows = []
            for i in self.shown:
                s = self.s(i)
                for k in range(t.n_out):
                    z, a = sym("z", L, s, k + 1), sym("a", L, s, k + 1)
                    gnum = self.g_prime(t, result(t.a[i, k]), result(t.z[i, k]))
                    rows.append(Row(sym(DELTA, L, s, k + 1), [
                        product(partial(self.cost, a), self.g_prime(t, a, z)),
                        product(operand(t.grad_a[i, k]), gnum),
                        product(operand(t.grad_a[i, k]), operand(t.g_prime[i, k], exact=True)),
                        result(t.delta[i, k])]))
            doc.equations(rows)
            self._more_samples()
            return
        formula = (sym(DELTA, L, None, "k") + EQ + partial(lit("L"), sym(Y_HAT, sub="k")) + CDOT
                   + lit("g'") + paren(z_k) + EQ + self.dloss_sym(None, "k") + CDOT
                   + self.g_prime(t, a_k, z_k))
        doc.para(S["step2_intro"], formula=formula)
        worked = self.notation.term is not None  # a loss written per unit, with its numbers
        if worked:
            doc.para(S["step2_gradient"], name=self._loss_words(),
                     dl=partial(lit("L"), sym(Y_HAT, sub="k")) + EQ
                     + self.loss_fill(self.notation.gradient, None, "k"))
        if self.batch:
            doc.para(S["step2_batch"], delta=sym(DELTA, L, _SAMPLE)
                     + EQ + partial(sym("L", None, _SAMPLE), sym("z", L, _SAMPLE)),
                     frac=frac(_ONE, lit("m")))
        rows = []
        for i in self.shown:
            s = self.s(i)
            for k in range(t.n_out):
                z, a = sym("z", L, s, k + 1), sym("a", L, s, k + 1)
                chain = [product(self.dloss_sym(s, k + 1), self.g_prime(t, a, z))]
                gnum = self.g_prime(t, result(t.a[i, k]), result(t.z[i, k]))
                if worked:
                    gradient = self.loss_numbers(self.notation.gradient, i, k)
                    chain.append(product(as_factor(gradient), gnum))
                grad = float(tr.grad_output[i, k] * self.m)
                chain.append(product(operand(grad), operand(t.g_prime[i, k], exact=True)))
                chain.append(result(self.delta_val(t, i, k)))
                rows.append(Row(sym(DELTA, L, s, k + 1), chain))
        doc.equations(rows)
        self._more_samples()

    def _step2_fused(self, t: LayerTrace) -> None:
        """The output's link is part of the loss: δ = p − y, and why."""
        S, doc, L = self.S, self.doc, self.L
        p_k, y_k = lit("p_{k}", "p_k"), lit("y_{k}", "y_k")
        doc.para(S["step2_fused"], link=name_of(t.activation_layer, self.lang),
                 loss=self._loss_words(),
                 p=lit("p") + EQ + sym(Y_HAT) + EQ + sym("a", L),
                 delta=sym(DELTA, L, None, "k") + EQ + partial(lit("L"), sym("z", L, None, "k"))
                 + EQ + p_k + MINUS + y_k)
        why = self.notation.link_gradient
        if why is not None:
            doc.para(S["step2_fused_why"], why=fill_formula(why, {"k": lit("k")}))
        if self.batch:
            doc.para(S["step2_batch"], delta=sym(DELTA, L, _SAMPLE)
                     + EQ + partial(sym("L", None, _SAMPLE), sym("z", L, _SAMPLE)),
                     frac=frac(_ONE, lit("m")))
        target = self.target()
        rows = []
        for i in self.shown:
            s = self.s(i)
            for k in range(t.n_out):
                rows.append(Row(sym(DELTA, L, s, k + 1), [
                    sym("p", None, s, k + 1) + MINUS + sym("y", None, s, k + 1),
                    result(t.a[i, k]) + MINUS + operand(target[i, k], exact=True),
                    result(self.delta_val(t, i, k))]))
        doc.equations(rows)
        self._more_samples()

    # steps 3 and 5: gradients -----------------------------------------------------------------
    def grad_formulas(self, t: LayerTrace) -> tuple[Math, Math, Math, Math]:
        """Left and right sides of :math:`\\partial J/\\partial W^{[l]}` and
        :math:`\\partial J/\\partial b^{[l]}`."""
        l = t.index
        dW, db = partial(self.cost, sym("W", l)), partial(self.cost, sym("b", l))
        if self.batch:
            term = sym(DELTA, l, _SAMPLE) + _JUX + transpose(self.in_sym(t, _SAMPLE))
            return dW, mean_sum(term, self.m), db, mean_sum(sym(DELTA, l, _SAMPLE), self.m)
        return (dW, sym(DELTA, l) + _JUX + transpose(self.in_sym(t, None)),
                db, sym(DELTA, l))

    def weight_chain(self, t: LayerTrace, j: int, k: int) -> list[Math]:
        """:math:`\\partial J/\\partial w^{[l]}_{jk}`: symbols, numbers, the engine's result."""
        l = t.index
        if self.batch:
            term = sym(DELTA, l, _SAMPLE, j + 1) + _JUX + self.in_sym(t, _SAMPLE, k)
            chain = [mean_sum(term, self.m)]
            if self.m <= MAX_SAMPLES:
                chain.append(scaled_sum([product(operand(self.delta_val(t, i, j)),
                                                 self.in_val(t, i, k))
                                         for i in range(self.m)], self.m))
        else:
            chain = [sym(DELTA, l, None, j + 1) + _JUX + self.in_sym(t, None, k),
                     product(operand(self.delta_val(t, 0, j)), self.in_val(t, 0, k))]
        return [*chain, result(t.dW[j, k])]

    def bias_chain(self, t: LayerTrace, j: int) -> list[Math]:
        l = t.index
        if self.batch:
            chain = [mean_sum(sym(DELTA, l, _SAMPLE, j + 1), self.m)]
            if self.m <= MAX_SAMPLES:
                chain.append(scaled_sum([operand(self.delta_val(t, i, j))
                                         for i in range(self.m)], self.m))
        else:
            chain = [sym(DELTA, l, None, j + 1)]
        return [*chain, result(t.db[j])]

    def gradient_matrices(self, t: LayerTrace, worked: bool) -> list[Row]:
        dW, gw, db, gb = self.grad_formulas(t)
        chain_w = [matrix(t.dW)]
        if worked and not self.batch:
            # the outer product with its numbers: delta (column) times the input (row)
            given = self.var_in[id(t)] == ("x", None, 0)
            outer = column([self.delta_val(t, 0, j) for j in range(t.n_out)]) + _JUX + matrix(
                t.a_prev[:1], value if given else result)
            chain_w.insert(0, outer)
        rows = [Row(dW, [gw, *chain_w])]
        if t.db is not None:
            rows.append(Row(db, [gb, column(t.db)]))
        return rows

    def step3(self) -> None:
        S, doc = self.S, self.doc
        t = self.tr.layers[-1]
        doc.heading(2, S["step3"])
        dW, gw, db, gb = self.grad_formulas(t)
        doc.para(S["step3_intro"], gw=dW + EQ + gw, gb=db + EQ + gb)
        rows = [Row(partial(self.cost, self.w_sym(t.index, j, k)), self.weight_chain(t, j, k))
                for j in range(t.n_out) for k in range(t.n_in)]
        if t.db is not None:
            rows += [Row(partial(self.cost, sym("b", t.index, None, j + 1)), self.bias_chain(t, j))
                     for j in range(t.n_out)]
        doc.equations(rows)
        doc.para(S["as_matrices"])
        doc.equations(self.gradient_matrices(t, worked=False))

    # step 4 ------------------------------------------------------------------------------------
    def step4(self) -> None:
        S, doc, tr = self.S, self.doc, self.tr
        doc.heading(2, S["step4"])
        formula = (sym(DELTA, "l", None, "j") + EQ
                   + paren(sum_over(sym("w", "l+1", None, "kj") + _JUX
                                    + sym(DELTA, "l+1", None, "k"), "k"))
                   + CDOT + lit("g'") + paren(sym("z", "l", None, "j")))
        doc.para(S["step4_intro"], formula=formula)
        if self.L == 1:
            doc.para(S["no_hidden"])
            for mod in reversed(self.after[0]):
                _module_steps(mod).backward(self, mod)
            return
        for t in reversed(tr.layers[:-1]):
            nxt = tr.layers[t.index]  # layer l+1 (list index l)
            l = t.index
            for mod in reversed(self.after[l]):
                _module_steps(mod).backward(self, mod)
            doc.para(S["step4_layer"], l=lit(f"[{l}]"))
            rows = []
            for i in self.shown:
                s = self.s(i)
                for j in range(t.n_out):
                    z, a = sym("z", l, s, j + 1), sym("a", l, s, j + 1)
                    if not self.direct(nxt):
                        # dJ/da[l] came back through the layers in between (above)
                        gnum = self.g_prime(t, result(t.a[i, j]), result(t.z[i, j]))
                        back = float(t.grad_a[i, j] * self.m)
                        chain = [product(partial(sym("L", None, s), a), self.g_prime(t, a, z)),
                                 product(operand(back), gnum)]
                    elif nxt.n_out > MAX_TERMS:
                        back_sym = sum_over(sym("w", l + 1, None, index("k", j + 1)) + _JUX
                                            + sym(DELTA, l + 1, s, "k"), "k")
                        chain = [product(paren(back_sym), self.g_prime(t, a, z))]
                    else:
                        back_sym = join([sym("w", l + 1, None, index(k + 1, j + 1)) + _JUX
                                         + sym(DELTA, l + 1, s, k + 1)
                                         for k in range(nxt.n_out)], PLUS)
                        back_num = join([product(operand(nxt.W[k, j], exact=True),
                                                 operand(self.delta_val(nxt, i, k)))
                                         for k in range(nxt.n_out)], PLUS)
                        gnum = self.g_prime(t, result(t.a[i, j]), result(t.z[i, j]))
                        chain = [product(paren(back_sym), self.g_prime(t, a, z)),
                                 product(paren(back_num), gnum)]
                    back = float(t.grad_a[i, j] * self.m)  # sum_k w_kj delta_k, from backward
                    chain.append(product(operand(back), operand(t.g_prime[i, j], exact=True)))
                    chain.append(result(self.delta_val(t, i, j)))
                    rows.append(Row(sym(DELTA, l, s, j + 1), chain))
            doc.equations(rows)
        self._more_samples()
        for mod in reversed(self.after[0]):
            _module_steps(mod).backward(self, mod)

    # step 5 ------------------------------------------------------------------------------------
    def step5(self) -> None:
        S, doc, tr = self.S, self.doc, self.tr
        doc.heading(2, S["step5"])
        if self.L == 1:
            doc.para(S["no_hidden"])
            return
        for t in reversed(tr.layers[:-1]):
            dW, gw, db, gb = self.grad_formulas(t)
            doc.para(S["step5_intro"], l=lit(f"[{t.index}]"), gw=dW + EQ + gw, gb=db + EQ + gb)
            doc.equations(self.gradient_matrices(t, worked=True))

    # steps 6-9 ---------------------------------------------------------------------------------
    def weight_numbers(self) -> dict[int, int]:
        """Offset of each layer's weights in the article's numbering (output layer first)."""
        offsets, n = {}, 0
        for t in reversed(self.tr.layers):
            offsets[t.index] = n
            n += t.W.size
        return offsets

    def steps6_9(self) -> None:
        S, doc, tr = self.S, self.doc, self.tr
        doc.heading(2, S["step6"])
        formula = (partial(self.cost, sym("w", "l", None, "jk")) + EQ
                   + sym(DELTA, "l", None, "j") + _JUX + sym("a", "l-1", None, "k"))
        doc.para(S["step6_intro"], W2=sym("W", 2), W1=sym("W", 1),
                 w12=join([sym("w", sub=1), sym("w", sub=2)], lit(", ")),
                 w36=join([sym("w", sub=3), ELLIPSIS, sym("w", sub=6)], lit(", ")),
                 formula=formula)
        if self.L == 1:
            doc.para(S["no_hidden"])
            return
        offsets = self.weight_numbers()
        rows = []
        for t in reversed(tr.layers[:-1]):
            for j in range(t.n_out):
                for k in range(t.n_in):
                    n = offsets[t.index] + j * t.n_in + k + 1
                    rows.append(Row(partial(self.cost, sym("w", sub=n)),
                                    [partial(self.cost, self.w_sym(t.index, j, k)),
                                     *self.weight_chain(t, j, k)]))
        doc.equations(rows)

    # step 10 -----------------------------------------------------------------------------------
    def step10(self) -> None:
        S, doc, tr = self.S, self.doc, self.tr
        doc.heading(2, S["step10"])
        theta = lit(r"\theta", "θ")
        doc.para(S["step10_intro"], alpha=ALPHA + EQ + value(tr.learning_rate),
                 rule=theta + ARROW + theta + MINUS + ALPHA + _JUX + partial(self.cost, theta))
        lr = value(tr.learning_rate)
        for mod in reversed(tr.modules):
            if not self.is_dense(mod):
                self._module_sgd(mod, lr)
                continue
            t = mod
            l = t.index
            doc.para(S["step10_layer"], l=lit(f"[{l}]"))
            rows = []
            if "W" not in t.frozen:
                rows += [Row(self.w_sym(l, j, k),
                             [value(t.W[j, k]) + MINUS + product(lr, operand(t.dW[j, k])),
                              result(t.W_new[j, k])], ARROW)
                         for j in range(t.n_out) for k in range(t.n_in)]
            if t.b is not None and "b" not in t.frozen:
                rows += [Row(sym("b", l, None, j + 1),
                             [value(t.b[j]) + MINUS + product(lr, operand(t.db[j])),
                              result(t.b_new[j])], ARROW)
                         for j in range(t.n_out)]
            doc.equations(rows)
            for attr in t.frozen:
                doc.para(S["frozen_kept"], theta=sym(attr, l))
        doc.para(S["new_params"])
        rows = []
        for t in tr.layers:
            rows.append(Row(sym("W", t.index), [matrix(t.W_new)], ARROW))
            if t.b_new is not None:
                rows.append(Row(sym("b", t.index), [column(t.b_new)], ARROW))
        doc.equations(rows)

    def _module_sgd(self, mod: ModuleTrace, lr: Math) -> None:
        """Plain SGD on the parameters of a layer other than Dense (batch norm's γ and β)."""
        if not mod.params:
            return
        self.doc.para(self.S["step10_module"], name=self.module_words(mod))
        rows = []
        for p in mod.params:
            if p.frozen:
                continue
            for idx in list(np.ndindex(p.before.shape))[:MAX_ELEMENTS]:
                rows.append(Row(sym(_param_base(p.attr), sub=index(*(v + 1 for v in idx))),
                                [value(p.before[idx]) + MINUS + product(lr, operand(p.grad[idx])),
                                 result(p.after[idx])], ARROW))
        self.doc.equations(rows)

    # --- the optimiser ---------------------------------------------------------------------------
    def optimizer_line(self) -> None:
        """The optimiser and its settings, for the network section."""
        o = self.opt
        S = self.S
        opt = o.optimizer
        cls = type(opt)
        parts = [ALPHA + EQ + value(o.lr)]
        for tr, st in zip(opt.transforms, o.settings, strict=True):
            parts += [k + EQ + value(v) for k, v in self._hyper(tr, st)]
        self.doc.para(S["optimizer_line"], name=cls.__name__, settings=join(parts, lit(", ")))
        if o.schedule is not None:
            self.doc.para(S["schedule_line"], name=o.schedule, t=o.step,
                          alpha=sym(ALPHA, sub=o.step) + EQ + value(o.lr))

    @staticmethod
    def _hyper(tr: Any, st: dict[str, Any]) -> list[tuple[Math, float]]:
        """A transform's settings ``st`` as ``(symbol, value)`` (empty for a no-op)."""
        if isinstance(tr, Momentum):
            out = [(_MU, st["momentum"])] if st["momentum"] else []
            if st["dampening"]:
                out.append((_TAU, st["dampening"]))
            return out
        if isinstance(tr, ScaleByAdam | ScaleByNAdam):
            return [(_BETA1, st["b1"]), (_BETA2, st["b2"]), (_EPS, st["eps"])]
        if isinstance(tr, ScaleByRMS):
            return [(lit(r"\rho", "ρ"), st["alpha"]), (_EPS, st["eps"])]
        if isinstance(tr, AddDecayedWeights):
            return [(_LAMBDA, st["weight_decay"])] if st["weight_decay"] else []
        if isinstance(tr, ClipByGlobalNorm):
            return [(lit(r"\text{max\_norm}", "max_norm"), st["max_norm"])]
        if isinstance(tr, ClipByValue):
            return [(lit("c"), st["clip_value"])]
        return []

    def param_targets(self) -> list[tuple[Callable[[tuple[int, ...]], Math], np.ndarray,
                                          np.ndarray, np.ndarray, dict[str, Any], str]]:
        """For each parameter the optimiser trains, in its order: the symbol of an element, the
        values before and after, the gradient, its recorded state and a label for paragraphs."""
        by_position = {(mod.position if not self.is_dense(mod) else mod.position): mod
                       for mod in self.tr.modules}
        out = []
        for position, attr in self.opt.params:
            mod = by_position[position]
            if self.is_dense(mod):
                l = mod.index
                if attr == "W":
                    out.append((lambda idx, l=l: self.w_sym(l, idx[0], idx[1]), mod.W, mod.W_new,
                                mod.dW, mod.state.get("W", {}), f"W[{l}]"))
                else:
                    out.append((lambda idx, l=l: sym("b", l, None, idx[0] + 1), mod.b, mod.b_new,
                                mod.db, mod.state.get("b", {}), f"b[{l}]"))
                continue
            p = next(p for p in mod.params if p.attr == attr)
            base = _param_base(attr)
            out.append((lambda idx, base=base: sym(base, sub=index(*(v + 1 for v in idx))),
                        p.before, p.after, p.grad, mod.state.get(attr, {}),
                        f"{_GREEK.get(attr, attr)} ({self.module_words(mod)})"))
        return out

    def _element_rows(self, make: Callable[[int, tuple[int, ...]], Row | None]) -> None:
        """One row per element of every trained parameter (the first MAX_ELEMENTS of each)."""
        rows = []
        for i, (_, before, *_rest) in enumerate(self.targets):
            for idx in list(np.ndindex(before.shape))[:MAX_ELEMENTS]:
                row = make(i, idx)
                if row is not None:
                    rows.append(row)
        self.doc.equations(rows)

    def stage(self, name: str, i: int) -> np.ndarray:
        return self.opt.stages[name][i]

    def step10_optimizer(self) -> None:
        S, doc, o = self.S, self.doc, self.opt
        opt = o.optimizer
        doc.heading(2, S["opt_step10"].format(name=type(opt).__name__))
        theta = _THETA
        active = [tr.name for tr, st in zip(opt.transforms, o.settings, strict=True)
                  if not (isinstance(tr, AddDecayedWeights) and st["weight_decay"] == 0.0)
                  and not (isinstance(tr, Momentum) and st["momentum"] == 0.0)]
        chain = (join([lit(r"\text{" + n.replace("_", r"\_") + "}", n) for n in active],
                      lit(r" \to ", " → ")) if active else _U + EQ + _G)
        doc.para(S["opt_intro"], chain=chain,
                 rule=theta + ARROW + theta + MINUS + ALPHA + _JUX + _U,
                 alpha=ALPHA + EQ + value(o.lr))
        if o.schedule is not None:
            doc.para(S["opt_schedule"], name=o.schedule, t=o.step,
                     alpha=sym(ALPHA, sub=o.step) + EQ + value(o.lr),
                     next=sym(ALPHA, sub=o.step + 1) + EQ + value(o.next_lr))
        self.targets = self.param_targets()
        # the gradient g each chain starts from
        doc.para(S["opt_gradient"], g=_G + EQ + partial(self.cost, theta))
        previous = "gradient"
        core = next((i for i, tr in enumerate(opt.transforms)
                     if isinstance(tr, Momentum | ScaleByAdam | ScaleByRMS | ScaleByNAdam)), None)
        for k, (tr, st) in enumerate(zip(opt.transforms, o.settings, strict=True)):
            done = self._transform(tr, st, previous, k < core if core is not None else True)
            if done:
                previous = tr.name
        self._final_update(previous)

    def _transform(self, tr: Any, st: dict[str, Any], previous: str, before_core: bool) -> bool:
        """Explain one transform of the chain with its settings ``st`` of this step; False when
        it did nothing (left out)."""
        if isinstance(tr, ClipByValue):
            self._clip_value(tr, st, previous)
        elif isinstance(tr, ClipByGlobalNorm):
            self._clip_norm(tr, st, previous)
        elif isinstance(tr, AddDecayedWeights):
            if st["weight_decay"] == 0.0:
                return False
            self._decay(tr, st, previous, before_core)
        elif isinstance(tr, Momentum):
            if st["momentum"] == 0.0:
                return False
            self._momentum(tr, st, previous)
        elif isinstance(tr, ScaleByAdam):
            self._adam(tr, st, previous)
        elif isinstance(tr, ScaleByRMS):
            self._rms(tr, st, previous)
        elif isinstance(tr, ScaleByNAdam):
            self._nadam(tr, st, previous)
        else:
            self.doc.para(self.S["opt_other"], name=tr.name)
            self._element_rows(lambda i, idx: Row(
                self.targets[i][0](idx), [result(self.stage(previous, i)[idx]) + lit(r" \mapsto ",
                                                                                       " ↦ ")
                                          + result(self.stage(tr.name, i)[idx])]))
        return True

    def _clip_value(self, tr: ClipByValue, st: dict[str, Any], previous: str) -> None:
        c = value(st["clip_value"])
        self.doc.para(self.S["opt_clip_value"], rule=_G + ARROW + func(
            r"\min", func(r"\max", _G + lit(", -") + lit("c")) + lit(", c")), c=lit("c") + EQ + c)

        def row(i: int, idx: tuple[int, ...]) -> Row | None:
            old, new = self.stage(previous, i)[idx], self.stage(tr.name, i)[idx]
            if old == new:
                return None
            return Row(self.targets[i][0](idx), [result(old) + lit(r" \to ", " → ") + result(new)])

        self._element_rows(row)

    def _clip_norm(self, tr: ClipByGlobalNorm, st: dict[str, Any], previous: str) -> None:
        S, doc, o = self.S, self.doc, self.opt
        norm, coef = o.clip["total_norm"], o.clip["coef"]
        norm_sym = Math(r"\lVert g \rVert", "‖g‖")
        doc.para(S["opt_clip_norm"],
                 norm=norm_sym + EQ + _sqrt(Math(r"\sum g^{2}", "Σ g²")) + EQ + result(norm),
                 c=lit("c") + EQ + frac(lit(r"\text{max\_norm}", "max_norm"),
                                        norm_sym + lit(" + 10^{-6}", " + 10⁻⁶"))
                 + EQ + frac(value(st["max_norm"]), result(norm) + lit(" + 10^{-6}", " + 10⁻⁶"))
                 + EQ + result(coef))
        if not coef < 1.0:
            doc.para(S["opt_clip_none"])
            return
        doc.para(S["opt_clip_scaled"])
        self._element_rows(lambda i, idx: Row(self.targets[i][0](idx), [
            product(operand(self.stage(previous, i)[idx]), result(coef)),
            result(self.stage(tr.name, i)[idx])], ARROW))

    def _decay(self, tr: AddDecayedWeights, st: dict[str, Any], previous: str,
               before_core: bool) -> None:
        S = self.S
        lam = value(st["weight_decay"])
        mask = st["mask"]
        if before_core:
            self.doc.para(S["opt_decay_l2"], penalty=frac(_LAMBDA, lit("2"))
                          + Math(r"\lVert\theta\rVert^{2}", "‖θ‖²"),
                          rule=_G + ARROW + _G + PLUS + _LAMBDA + _JUX + _THETA,
                          lam=_LAMBDA + EQ + lam)
            lhs = _G
        else:
            self.doc.para(S["opt_decay_decoupled"],
                          rule=_U + ARROW + _U + PLUS + _LAMBDA + _JUX + _THETA,
                          step=_THETA + ARROW + _THETA + MINUS + ALPHA + _JUX + _U + MINUS + ALPHA
                          + _LAMBDA + _JUX + _THETA, lam=_LAMBDA + EQ + lam,
                          factor=paren(_ONE + MINUS + ALPHA + _LAMBDA) + EQ
                          + result(1.0 - self.opt.lr * st["weight_decay"]))
            lhs = _U
        for i, target in enumerate(self.targets):
            if mask is not None and not mask[i]:
                self.doc.para(S["opt_decay_masked"], name=target[5])

        def row(i: int, idx: tuple[int, ...]) -> Row | None:
            if mask is not None and not mask[i]:
                return None
            symbol, before = self.targets[i][0], self.targets[i][1]
            on = lit(r"\;(", " (") + symbol(idx) + lit(")")
            return Row(lhs + on, [operand(self.stage(previous, i)[idx]) + PLUS
                                  + product(lam, operand(before[idx], exact=True)),
                                  result(self.stage(tr.name, i)[idx])])

        self._element_rows(row)

    def _momentum(self, tr: Momentum, st: dict[str, Any], previous: str) -> None:
        S, doc = self.S, self.doc
        mu = value(st["momentum"])
        keep = 1.0 - st["dampening"]
        b_t, b_prev = sym(_B, sub="t"), sym(_B, sub="t-1")
        g_t = sym(_G, sub="t")
        damp = (paren(_ONE + MINUS + _TAU) + _JUX) if st["dampening"] else lit("")
        doc.para(S["opt_momentum"], rule=b_t + EQ + _MU + _JUX + b_prev + PLUS + damp + g_t,
                 first=sym(_B, sub=1) + EQ + sym(_G, sub=1), mu=_MU + EQ + mu)
        if st["nesterov"]:
            doc.para(S["opt_nesterov_torch"], u=sym(_U, sub="t") + EQ + g_t + PLUS + _MU + _JUX
                     + b_t)
        else:
            doc.para(S["opt_momentum_u"], u=sym(_U, sub="t") + EQ + b_t)

        def row(i: int, idx: tuple[int, ...]) -> Row:
            state, before = self.targets[i][4], self.opt.state_before[i]
            g = self.stage(previous, i)[idx]
            b = state["momentum_buffer"][idx]
            lhs = lit(r"b\;", "b ") + lit("(") + self.targets[i][0](idx) + lit(")")
            if "momentum_buffer" not in before:
                return Row(lhs, [result(b)])
            old = before["momentum_buffer"][idx]
            g_term = product(_const(keep), operand(g)) if st["dampening"] else operand(g)
            return Row(lhs, [product(mu, operand(old)) + PLUS + g_term, result(b)])

        self._element_rows(row)
        if st["nesterov"]:
            self._element_rows(lambda i, idx: Row(
                lit(r"u\;", "u ") + lit("(") + self.targets[i][0](idx) + lit(")"),
                [operand(self.stage(previous, i)[idx]) + PLUS + product(
                    mu, operand(self.targets[i][4]["momentum_buffer"][idx])),
                 result(self.stage(tr.name, i)[idx])]))
            self.nesterov = st

    def _adam(self, tr: ScaleByAdam, st: dict[str, Any], previous: str) -> None:
        S, doc = self.S, self.doc
        beta1, beta2 = st["b1"], st["b2"]
        b1, b2, eps = value(beta1), value(beta2), value(st["eps"])
        t = self.targets[0][4]["step"]
        m_t, v_t, g_t = sym("m", sub="t"), sym("v", sub="t"), sym(_G, sub="t")
        doc.para(S["opt_adam"],
                 m=m_t + EQ + _BETA1 + _JUX + sym("m", sub="t-1") + PLUS + paren(
                     _ONE + MINUS + _BETA1) + _JUX + g_t,
                 v=v_t + EQ + _BETA2 + _JUX + sym("v", sub="t-1") + PLUS + paren(
                     _ONE + MINUS + _BETA2) + _JUX + Math(g_t.tex + "^{2}", g_t.text + "²"),
                 settings=join([_BETA1 + EQ + b1, _BETA2 + EQ + b2, _EPS + EQ + eps,
                                lit("t") + EQ + lit(str(t))], lit(", ")))
        bc1, bc2 = 1.0 - beta1 ** t, 1.0 - beta2 ** t
        den = _V_HAT if not tr.amsgrad else lit(r"\hat{v}^{\max}", "v̂ᵐᵃˣ")
        doc.para(S["opt_adam_hat"],
                 m_hat=_M_HAT + EQ + frac(m_t, _ONE + MINUS + _power(_BETA1, "t")) + EQ
                 + frac(m_t, result(bc1)),
                 v_hat=_V_HAT + EQ + frac(v_t, _ONE + MINUS + _power(_BETA2, "t")) + EQ
                 + frac(v_t, result(bc2)),
                 u=_U + EQ + frac(_M_HAT, _sqrt(den) + PLUS + _EPS))
        if tr.amsgrad:
            doc.para(S["opt_amsgrad"], rule=lit(r"v^{\max}_{t}", "vᵐᵃˣ_t") + EQ
                     + func(r"\max", lit(r"v^{\max}_{t-1}, v_{t}", "vᵐᵃˣ_t-1, v_t")))

        def rows(i: int, idx: tuple[int, ...]) -> list[Row]:
            state, before = self.targets[i][4], self.opt.state_before[i]
            g = self.stage(previous, i)[idx]
            m0 = before.get("exp_avg", np.zeros_like(state["exp_avg"]))[idx]
            v0 = before.get("exp_avg_sq", np.zeros_like(state["exp_avg_sq"]))[idx]
            symbol = self.targets[i][0](idx)
            on = lit(r"\;(", " (") + symbol + lit(")")
            m, v = state["exp_avg"][idx], state["exp_avg_sq"][idx]
            vd = state.get("max_exp_avg_sq_hat", state["exp_avg_sq_hat"])[idx]
            out = [Row(lit("m") + on, [product(b1, small_operand(m0)) + PLUS + product(
                       _const(1.0 - beta1), small_operand(g)), small(m)]),
                   Row(lit("v") + on, [product(b2, small_operand(v0)) + PLUS + product(
                       _const(1.0 - beta2), _squared(g)), small(v)]),
                   Row(_M_HAT + on, [frac(small(m), result(bc1)),
                                     small(state["exp_avg_hat"][idx])]),
                   Row(_V_HAT + on, [frac(small(v), result(bc2)),
                                     small(state["exp_avg_sq_hat"][idx])])]
            out.append(Row(lit("u") + on, [
                frac(small(state["exp_avg_hat"][idx]), _sqrt(small(vd)) + PLUS + eps),
                result(self.stage(tr.name, i)[idx])]))
            return out

        self._element_rows_many(rows)

    def _element_rows_many(self, make: Callable[[int, tuple[int, ...]], list[Row]]) -> None:
        rows: list[Row] = []
        for i, (_, before, *_rest) in enumerate(self.targets):
            for idx in list(np.ndindex(before.shape))[:MAX_ELEMENTS]:
                rows += make(i, idx)
        self.doc.equations(rows)

    def _rms(self, tr: ScaleByRMS, st: dict[str, Any], previous: str) -> None:
        S = self.S
        rho, eps = value(st["alpha"]), value(st["eps"])
        s_t, g_t = sym("s", sub="t"), sym(_G, sub="t")
        rho_sym = lit(r"\rho", "ρ")
        den = (_sqrt(s_t + MINUS + Math(r"\bar{g}_{t}^{2}", "ḡ_t²")) if tr.centered
               else _sqrt(s_t))
        self.doc.para(S["opt_rms"], s=s_t + EQ + rho_sym + _JUX + sym("s", sub="t-1") + PLUS
                      + paren(_ONE + MINUS + rho_sym) + _JUX + Math(g_t.tex + "^{2}",
                                                                    g_t.text + "²"),
                      u=_U + EQ + frac(g_t, den + PLUS + _EPS),
                      settings=join([rho_sym + EQ + rho, _EPS + EQ + eps], lit(", ")))

        def rows(i: int, idx: tuple[int, ...]) -> list[Row]:
            state, before = self.targets[i][4], self.opt.state_before[i]
            g = self.stage(previous, i)[idx]
            s0 = before.get("square_avg", np.zeros_like(state["square_avg"]))[idx]
            on = lit(r"\;(", " (") + self.targets[i][0](idx) + lit(")")
            return [Row(lit("s") + on, [product(rho, small_operand(s0)) + PLUS + product(
                        _const(1.0 - st["alpha"]), _squared(g)),
                        small(state["square_avg"][idx])]),
                    Row(lit("u") + on, [result(self.stage(tr.name, i)[idx])])]

        self._element_rows_many(rows)

    def _nadam(self, tr: ScaleByNAdam, st: dict[str, Any], previous: str) -> None:
        S = self.S
        psi = lit(r"\psi", "ψ")
        mu_t = sym(_MU, sub="t")
        self.doc.para(S["opt_nadam"],
                      mu=mu_t + EQ + _BETA1 + paren(_ONE + MINUS + lit(r"\tfrac{1}{2}", "½")
                                                    + _power(lit("0.96"), r"t\psi")),
                      u=_U + EQ + frac(_ONE + MINUS + mu_t, _ONE + MINUS + lit(r"\Pi_{t}", "Π_t"))
                      + frac(sym(_G, sub="t"), lit("D")) + PLUS
                      + frac(sym(_MU, sub="t+1"), _ONE + MINUS + lit(r"\Pi_{t}\mu_{t+1}",
                                                                      "Π_t·μ_t+1"))
                      + frac(sym("m", sub="t"), lit("D")),
                      d=lit("D") + EQ + _sqrt(frac(sym("v", sub="t"), _ONE + MINUS
                                                   + _power(_BETA2, "t"))) + PLUS + _EPS,
                      settings=join([_BETA1 + EQ + value(st["b1"]), _BETA2 + EQ + value(st["b2"]),
                                     _EPS + EQ + value(st["eps"]), psi + EQ
                                     + value(st["momentum_decay"]),
                                     lit(r"\Pi_{t}", "Π_t") + EQ
                                     + result(self.targets[0][4]["mu_product"])],
                                    lit(", ")))

        def rows(i: int, idx: tuple[int, ...]) -> list[Row]:
            state = self.targets[i][4]
            on = lit(r"\;(", " (") + self.targets[i][0](idx) + lit(")")
            return [Row(lit("m") + on, [small(state["exp_avg"][idx])]),
                    Row(lit("v") + on, [small(state["exp_avg_sq"][idx])]),
                    Row(lit("u") + on, [result(self.stage(tr.name, i)[idx])])]

        self._element_rows_many(rows)

    def _final_update(self, previous: str) -> None:
        S, doc, o = self.S, self.doc, self.opt
        alpha = value(o.lr)
        doc.para(S["opt_update"], rule=_THETA + ARROW + _THETA + MINUS + ALPHA + _JUX + _U,
                 alpha=ALPHA + EQ + alpha)
        self._element_rows(lambda i, idx: Row(self.targets[i][0](idx), [
            operand(self.targets[i][1][idx], exact=True) + MINUS
            + product(alpha, operand(self.stage(previous, i)[idx])),
            result(self.targets[i][2][idx])], ARROW))
        if getattr(self, "nesterov", None) is not None:
            self._nesterov_lookahead(self.nesterov)
        for mod in self.tr.modules:
            if self.is_dense(mod):
                for attr in mod.frozen:
                    doc.para(S["frozen_kept"], theta=sym(attr, mod.index))
            elif any(p.frozen for p in mod.params):
                doc.para(S["frozen_module"], name=self.module_words(mod))
        doc.para(S["new_params"])
        rows = []
        for t in self.tr.layers:
            rows.append(Row(sym("W", t.index), [matrix(t.W_new)], ARROW))
            if t.b_new is not None:
                rows.append(Row(sym("b", t.index), [column(t.b_new)], ARROW))
        doc.equations(rows)

    def _nesterov_lookahead(self, st: dict[str, Any]) -> None:
        """The article's look-ahead form of the same step, by the change of variable."""
        S, o = self.S, self.opt
        mu = value(st["momentum"])
        alpha = value(o.lr)
        v_t, th_t, p_t = sym("v", sub="t"), sym(_THETA, sub="t"), sym("p", sub="t")
        self.doc.para(S["opt_nesterov_article"],
                      v=v_t + EQ + _MU + _JUX + sym("v", sub="t-1") + MINUS + ALPHA + _JUX
                      + func(lit(r"\nabla J", "∇J"), sym(_THETA, sub="t-1") + PLUS + _MU
                             + _JUX + sym("v", sub="t-1")),
                      theta=th_t + EQ + sym(_THETA, sub="t-1") + PLUS + v_t)
        self.doc.para(S["opt_nesterov_change"],
                      change=p_t + EQ + th_t + PLUS + _MU + _JUX + v_t + lit(r",\quad ", ", ")
                      + v_t + EQ + lit("-") + ALPHA + _JUX + sym(_B, sub="t"),
                      theta=th_t + EQ + p_t + PLUS + ALPHA + _MU + _JUX + sym(_B, sub="t"))
        self._element_rows_many(lambda i, idx: [
            Row(lit("v") + lit(r"\;(", " (") + self.targets[i][0](idx) + lit(")"), [
                lit("-") + product(alpha, operand(self.targets[i][4]["momentum_buffer"][idx])),
                result(-o.lr * self.targets[i][4]["momentum_buffer"][idx])]),
            Row(_THETA + lit(r"\;(", " (") + self.targets[i][0](idx) + lit(")"), [
                result(self.targets[i][2][idx]) + PLUS + product(
                    alpha, mu, operand(self.targets[i][4]["momentum_buffer"][idx])),
                result(self.targets[i][2][idx]
                       + o.lr * st["momentum"] * self.targets[i][4]["momentum_buffer"][idx])])])

    # --- layers other than Dense: the network section ----------------------------------------
    def module_line(self, mod: ModuleTrace) -> None:
        _module_steps(mod).describe(self, mod)


# --- layers other than Dense ------------------------------------------------------------------
class ModuleSteps:
    """How the explanation writes a layer it has no formulas for: its numbers.

    Subclasses registered in :data:`MODULE_STEPS` (by layer class) write their formulas with
    the numbers put in: the network section (``describe``), the forward pass (step 1) and the
    backward pass (steps 2 and 4).
    """

    def describe(self, ex: _Explainer, mod: ModuleTrace) -> None:
        ex.doc.para(ex.S["module_line"], name=ex.module_words(mod), u=ex.in_sym(mod, None),
                    y=ex.out_sym(mod, None))

    def forward(self, ex: _Explainer, mod: ModuleTrace) -> None:
        ex.doc.para(ex.S["module_forward"], name=ex.module_words(mod),
                    u=ex.in_sym(mod, None), y=ex.out_sym(mod, None))
        ex.doc.equations([Row(ex.in_sym(mod, None), [matrix(mod.x)]),
                          Row(ex.out_sym(mod, None), [matrix(mod.y)])])

    def backward(self, ex: _Explainer, mod: ModuleTrace) -> None:
        y, u = ex.out_sym(mod, None), ex.in_sym(mod, None)
        ex.doc.para(ex.S["module_backward"], name=ex.module_words(mod),
                    dy=partial(lit("J"), y), du=partial(lit("J"), u))
        rows = [Row(partial(lit("J"), y), [matrix(mod.grad_y)]),
                Row(partial(lit("J"), u), [matrix(mod.grad_x)])]
        for p in mod.params:
            rows.append(Row(partial(lit("J"), _param_base(p.attr)), [matrix(np.atleast_2d(
                p.grad))]))
        ex.doc.equations(rows)


class BatchNormSteps(ModuleSteps):
    """Batch normalisation: :math:`\\mu_B`, :math:`\\sigma^2_B`, :math:`\\hat x`, :math:`\\gamma`,
    :math:`\\beta`, the backward pass and the running statistics."""

    def describe(self, ex: _Explainer, mod: ModuleTrace) -> None:
        ex.doc.para(ex.S["bn_line"], u=ex.in_sym(mod, None), y=ex.out_sym(mod, None),
                    n=mod.config.get("n", mod.x.shape[1]),
                    eps=_EPS + EQ + value(mod.config.get("eps", 0.0)),
                    rho=lit(r"\rho", "ρ") + EQ + value(mod.config.get("momentum", 0.0)))

    def forward(self, ex: _Explainer, mod: ModuleTrace) -> None:
        S, doc = ex.S, ex.doc
        obs = mod.observed
        m = mod.x.shape[0]
        n = mod.x.shape[1]
        eps = value(mod.config.get("eps", 0.0))
        gamma = _param(mod, "gamma")
        beta = _param(mod, "beta")
        u = ex.in_sym
        batch_stats = "mean" in obs
        doc.para(S["bn_forward"] if batch_stats else S["bn_forward_running"],
                 u=u(mod, None), y=ex.out_sym(mod, None), m=m,
                 mu=sym(_MU, sub="j") + EQ + mean_sum(u(mod, _SAMPLE, "j"), m),
                 var=sym(_VAR, sub="j") + EQ + mean_sum(
                     Math(r"(" + u(mod, _SAMPLE, "j").tex + r" - \mu_{j})^{2}",
                          f"({u(mod, _SAMPLE, 'j').text} - μ_j)²"), m),
                 xhat=Math(r"\hat{x}^{(i)}_{j}", "x̂(i)_j") + EQ + frac(
                     u(mod, _SAMPLE, "j") + MINUS + sym(_MU, sub="j"),
                     _sqrt(sym(_VAR, sub="j") + PLUS + _EPS)),
                 out=ex.out_sym(mod, _SAMPLE, "j") + EQ + sym(_GAMMA, sub="j") + _JUX
                 + Math(r"\hat{x}^{(i)}_{j}", "x̂(i)_j") + PLUS + sym(_BETA, sub="j"),
                 eps=_EPS + EQ + eps)
        rows = []
        shown = range(min(m, MAX_SAMPLES))
        for j in range(n):
            if batch_stats:
                mean, var = obs["mean"][j], obs["var"][j]
                if m <= MAX_SAMPLES:
                    rows.append(Row(sym(_MU, sub=j + 1), [scaled_sum(
                        [result(mod.x[i, j]) for i in range(m)], m), result(mean)]))
                    rows.append(Row(sym(_VAR, sub=j + 1), [scaled_sum(
                        [Math(paren(result(mod.x[i, j]) + MINUS + operand(mean)).tex + "^{2}",
                              paren(result(mod.x[i, j]) + MINUS + operand(mean)).text + "²")
                         for i in range(m)], m), result(var)]))
                else:
                    rows += [Row(sym(_MU, sub=j + 1), [result(mean)]),
                             Row(sym(_VAR, sub=j + 1), [result(var)])]
            else:
                mean = mod.buffers_before["running_mean"][j]
                var = mod.buffers_before["running_var"][j]
            for i in shown:
                s = ex.s(i)
                xh = obs["xhat"][i, j]
                rows.append(Row(Math(r"\hat{x}" + (f"^{{({s})}}" if s else "") + f"_{{{j + 1}}}",
                                     "x̂" + (f"({s})" if s else "") + f"_{j + 1}"),
                                [frac(result(mod.x[i, j]) + MINUS + operand(mean),
                                      _sqrt(result(var) + PLUS + eps)), result(xh)]))
                rows.append(Row(ex.out_sym(mod, s, j), [
                    product(value(gamma.before[j]) if gamma else _ONE, operand(xh))
                    + (PLUS + operand(beta.before[j], exact=True) if beta else lit("")),
                    result(mod.y[i, j])]))
        doc.equations(rows)
        if batch_stats and mod.buffers_before:
            rho = mod.config.get("momentum", 0.0)
            doc.para(S["bn_running"],
                     mean=_RUN_MEAN + ARROW + paren(_ONE + MINUS + lit(r"\rho", "ρ")) + _RUN_MEAN
                     + PLUS + lit(r"\rho", "ρ") + _JUX + _MU,
                     var=_RUN_VAR + ARROW + paren(_ONE + MINUS + lit(r"\rho", "ρ")) + _RUN_VAR
                     + PLUS + lit(r"\rho", "ρ") + _JUX + frac(lit("m"), lit("m - 1")) + _VAR,
                     rho=lit(r"\rho", "ρ") + EQ + value(rho))
            rows = []
            for j in range(n):
                rows.append(Row(sym(_RUN_MEAN, sub=j + 1), [
                    product(_const(1.0 - rho), operand(mod.buffers_before["running_mean"][j]))
                    + PLUS + product(value(rho), operand(obs["mean"][j])),
                    result(mod.buffers_after["running_mean"][j])], ARROW))
                rows.append(Row(sym(_RUN_VAR, sub=j + 1), [
                    product(_const(1.0 - rho), operand(mod.buffers_before["running_var"][j]))
                    + PLUS + product(value(rho), frac(value(m), value(m - 1)),
                                     operand(obs["var"][j])),
                    result(mod.buffers_after["running_var"][j])], ARROW))
            doc.equations(rows)

    def backward(self, ex: _Explainer, mod: ModuleTrace) -> None:
        S, doc = ex.S, ex.doc
        obs = mod.observed
        m, n = mod.x.shape
        gamma = _param(mod, "gamma")
        dgamma = gamma.grad if gamma else np.sum(mod.grad_y * obs["xhat"], axis=0)
        beta = _param(mod, "beta")
        dbeta = beta.grad if beta else np.sum(mod.grad_y, axis=0)
        dy = Math(r"dy", "dy")
        doc.para(S["bn_backward"], y=ex.out_sym(mod, None), u=ex.in_sym(mod, None),
                 dgamma=partial(lit("J"), sym(_GAMMA, sub="j")) + EQ + sum_over(
                     sym(dy, None, "i", "j") + _JUX + Math(r"\hat{x}^{(i)}_{j}", "x̂(i)_j"), "i"),
                 dbeta=partial(lit("J"), sym(_BETA, sub="j")) + EQ + sum_over(
                     sym(dy, None, "i", "j"), "i"),
                 du=partial(lit("J"), ex.in_sym(mod, "i", "j")) + EQ + frac(
                     sym(_GAMMA, sub="j") + lit("s_{j}", "s_j"), lit("m")) + paren(
                     lit("m") + _JUX + sym(dy, None, "i", "j") + MINUS
                     + partial(lit("J"), sym(_BETA, sub="j")) + MINUS
                     + Math(r"\hat{x}^{(i)}_{j}", "x̂(i)_j") + _JUX
                     + partial(lit("J"), sym(_GAMMA, sub="j"))),
                 s=lit("s_{j}", "s_j") + EQ + frac(_ONE, _sqrt(sym(_VAR, sub="j") + PLUS + _EPS)))
        rows = []
        shown = range(min(m, MAX_SAMPLES))
        for j in range(n):
            if m <= MAX_TERMS:
                rows.append(Row(partial(lit("J"), sym(_GAMMA, sub=j + 1)), [join(
                    [product(operand(mod.grad_y[i, j]), operand(obs["xhat"][i, j]))
                     for i in range(m)], PLUS), result(dgamma[j])]))
                rows.append(Row(partial(lit("J"), sym(_BETA, sub=j + 1)), [join(
                    [operand(mod.grad_y[i, j]) for i in range(m)], PLUS), result(dbeta[j])]))
            else:
                rows += [Row(partial(lit("J"), sym(_GAMMA, sub=j + 1)), [result(dgamma[j])]),
                         Row(partial(lit("J"), sym(_BETA, sub=j + 1)), [result(dbeta[j])])]
            rows.append(Row(lit(f"s_{{{j + 1}}}", f"s_{j + 1}"), [result(obs["inv_std"][j])]))
            g = value(gamma.before[j]) if gamma else _ONE
            for i in shown:
                rows.append(Row(partial(lit("J"), ex.in_sym(mod, ex.s(i), j)), [
                    product(frac(product(g, result(obs["inv_std"][j])), value(m)), paren(
                        product(value(m), operand(mod.grad_y[i, j])) + MINUS
                        + operand(dbeta[j]) + MINUS
                        + product(operand(obs["xhat"][i, j]), operand(dgamma[j])))),
                    result(mod.grad_x[i, j])]))
        doc.equations(rows)


class DropoutSteps(ModuleSteps):
    """Dropout: the mask, the :math:`1/(1-p)` scaling, and the same mask on the way back."""

    def describe(self, ex: _Explainer, mod: ModuleTrace) -> None:
        p = mod.config.get("p", 0.0)
        ex.doc.para(ex.S["dropout_line"], u=ex.in_sym(mod, None), y=ex.out_sym(mod, None),
                    p=lit("p") + EQ + value(p), keep=_ONE + MINUS + lit("p") + EQ
                    + value(1.0 - p), scale=frac(_ONE, _ONE + MINUS + lit("p")) + EQ
                    + result(1.0 / (1.0 - p)) if p < 1.0 else lit(""))

    def forward(self, ex: _Explainer, mod: ModuleTrace) -> None:
        S, doc = ex.S, ex.doc
        p = mod.config.get("p", 0.0)
        mask = mod.observed.get("mask")
        if mask is None:
            doc.para(S["dropout_identity"], u=ex.in_sym(mod, None), y=ex.out_sym(mod, None))
            return
        scale = 1.0 / (1.0 - p)
        M = lit("M")
        doc.para(S["dropout_forward"], rule=ex.out_sym(mod, "i", "j") + EQ + frac(
            sym(M, None, "i", "j") + _JUX + ex.in_sym(mod, "i", "j"), _ONE + MINUS + lit("p")),
            M=M)
        doc.equations([Row(M, [matrix(mask.astype(np.float64), value)])])
        rows = []
        for i in range(min(mod.x.shape[0], MAX_SAMPLES)):
            s = ex.s(i)
            for j in range(mod.x.shape[1]):
                rows.append(Row(ex.out_sym(mod, s, j), [
                    product(value(float(mask[i, j])), operand(mod.x[i, j]), result(scale)),
                    result(mod.y[i, j])]))
        doc.equations(rows)

    def backward(self, ex: _Explainer, mod: ModuleTrace) -> None:
        S, doc = ex.S, ex.doc
        p = mod.config.get("p", 0.0)
        mask = mod.observed.get("mask")
        if mask is None:
            return
        scale = 1.0 / (1.0 - p)
        doc.para(S["dropout_backward"], rule=partial(lit("J"), ex.in_sym(mod, "i", "j")) + EQ
                 + frac(sym(lit("M"), None, "i", "j") + _JUX + partial(
                     lit("J"), ex.out_sym(mod, "i", "j")), _ONE + MINUS + lit("p")))
        rows = []
        for i in range(min(mod.x.shape[0], MAX_SAMPLES)):
            for j in range(mod.x.shape[1]):
                rows.append(Row(partial(lit("J"), ex.in_sym(mod, ex.s(i), j)), [
                    product(value(float(mask[i, j])), operand(mod.grad_y[i, j]), result(scale)),
                    result(mod.grad_x[i, j])]))
        doc.equations(rows)


def _param(mod: ModuleTrace, attr: str) -> Any:
    return next((p for p in mod.params if p.attr == attr), None)


#: how the explanation writes a layer other than Dense, by layer class (subclasses included);
#: a layer of any other class is shown by its numbers (:class:`ModuleSteps`)
MODULE_STEPS: dict[type, ModuleSteps] = {BatchNorm: BatchNormSteps(), Dropout: DropoutSteps()}


def _module_steps(mod: ModuleTrace) -> ModuleSteps:
    layer_cls = type(mod.layer) if mod.layer is not None else LAYERS.get(mod.name)
    for cls in getattr(layer_cls, "__mro__", ()):
        if cls in MODULE_STEPS:
            return MODULE_STEPS[cls]
    return ModuleSteps()


def build_document(trace: Trace, lang: str = "en") -> Document:
    """The ten steps of ``trace`` in ``lang`` as a :class:`~.document.Document`."""
    return _Explainer(trace, lang).build()


def build_steps_document(traces: list[Trace], lang: str = "en") -> Document:
    """Several steps of one run: the ten steps of each, one after the other."""
    S = words(lang)
    doc = Document()
    doc.heading(1, S["steps_title"].format(n=len(traces)))
    for tr in traces:
        doc.heading(2, S["steps_step"].format(t=tr.step, n=len(traces), loss=f"{tr.loss:.6f}"))
        inner = _Explainer(tr, lang).build()
        for block in inner.blocks[1:]:  # its title is the heading above
            if isinstance(block, Heading):
                block = Heading(block.level + 1, block.text)
            doc.blocks.append(block)
    return doc
