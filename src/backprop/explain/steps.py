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

from typing import TYPE_CHECKING

import numpy as np

from ..losses import LOSSES
from .diagram import trace_diagram
from .document import Document, Row
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
    sum_over,
    sym,
    transpose,
    tuple_t,
    value,
)
from .words import name_of, words

if TYPE_CHECKING:
    from .record import LayerTrace, Trace

#: samples written out one by one; larger batches show this many and say how many are left
MAX_SAMPLES = 8
#: terms written out in a sum; wider layers are written with a summation sign
MAX_TERMS = 8

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

    # --- symbols -----------------------------------------------------------------------------
    def s(self, i: int) -> int | None:
        """The sample label written as a superscript: none for one sample, 1-based otherwise."""
        return i + 1 if self.batch else None

    def a_sym(self, l: int, s: int | str | None, k: int | str | None = None) -> Math:
        """Activation ``k`` (0-based int, or a letter) of layer ``l``; layer 0 is ``x``."""
        sub = k + 1 if isinstance(k, int) else k
        return sym("x", None, s, sub) if l == 0 else sym("a", l, s, sub)

    def a_val(self, l: int, i: int, k: int) -> Math:
        if l == 0:
            return operand(self.tr.x[i, k], exact=True)
        return operand(self.tr.layers[l - 1].a[i, k])

    def delta_val(self, t: LayerTrace, i: int, j: int) -> float:
        # the article's per-sample delta; the engine's dJ/dz carries the cost's 1/m
        return float(t.delta[i, j] * self.m)

    def w_sym(self, l: int, j: int, k: int) -> Math:
        return sym("w", l, None, index(j + 1, k + 1))

    def role(self, t: LayerTrace) -> str:
        return self.S["role_output"] if t.index == self.L else self.S["role_hidden"]

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
        """Targets as (m, k) when they are values (not class labels)."""
        y = self.tr.y
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
        self.step10()
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
        doc.para(S["learning_rate"], alpha=ALPHA + EQ + value(tr.learning_rate))
        name = self._loss_words()
        loss = lit("L") + EQ + self.loss_formula()
        if self.batch:
            cost = lit("J") + EQ + mean_sum(sym("L", None, _SAMPLE), self.m)
            doc.para(S["loss_batch"], name=name, formula=loss, cost=cost)
        else:
            doc.para(S["loss_single"], name=name, formula=loss)
        for t in tr.layers:
            g, gp = self.g_definition(t)
            doc.para(S["layer_line"], l=lit(f"[{t.index}]"), role=self.role(t), n_in=t.n_in,
                     n_out=t.n_out, name=name_of(t.activation_layer, self.lang), g=g, gp=gp)
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
        for t in tr.layers:
            l = t.index
            doc.para(S["step1_layer"], l=lit(f"[{l}]"))
            rows = []
            for i in self.shown:
                s = self.s(i)
                for j in range(t.n_out):
                    rows.append(Row(sym("z", l, s, j + 1), self._z_chain(t, i, j)))
                for j in range(t.n_out):
                    z = sym("z", l, s, j + 1)
                    rows.append(Row(sym("a", l, s, j + 1),
                                    [self.g_apply(t, z), self.g_apply(t, result(t.z[i, j])),
                                     result(t.a[i, j])]))
            doc.equations(rows)
        self._more_samples()

        last = tr.layers[-1]
        doc.para(S["prediction"])
        doc.equations([Row(sym(Y_HAT, None, self.s(i), k + 1),
                           [sym("a", self.L, self.s(i), k + 1), result(tr.output[i, k])])
                       for i in self.shown for k in range(last.n_out)])
        doc.para(S["cost_value"] if self.batch else S["loss_value"])
        rows = [Row(sym("L", None, self.s(i)), self._loss_chain(i)) for i in self.shown]
        if self.batch:
            chain = [mean_sum(sym("L", None, _SAMPLE), self.m)]
            if self.m <= MAX_SAMPLES:
                chain.append(scaled_sum([result(v) for v in tr.sample_losses], self.m))
            rows.append(Row(lit("J"), [*chain, result(tr.loss)]))
        doc.equations(rows)

    def _z_chain(self, t: LayerTrace, i: int, j: int) -> list[Math]:
        l, s = t.index, self.s(i)
        bias_sym = [sym("b", l, None, j + 1)] if t.b is not None else []
        bias_val = [value(t.b[j])] if t.b is not None else []
        if t.n_in > MAX_TERMS:
            term = sym("w", l, None, index(j + 1, "k")) + _JUX + self.a_sym(l - 1, s, "k")
            return [join([sum_over(term, "k"), *bias_sym], PLUS), result(t.z[i, j])]
        symbolic = [self.w_sym(l, j, k) + _JUX + self.a_sym(l - 1, s, k) for k in range(t.n_in)]
        numeric = [product(operand(t.W[j, k], exact=True), self.a_val(l - 1, i, k))
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
        z_k, a_k = sym("z", L, None, "k"), sym("a", L, None, "k")
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

    # steps 3 and 5: gradients -----------------------------------------------------------------
    def grad_formulas(self, l: int) -> tuple[Math, Math, Math, Math]:
        """Left and right sides of :math:`\\partial J/\\partial W^{[l]}` and
        :math:`\\partial J/\\partial b^{[l]}`."""
        dW, db = partial(self.cost, sym("W", l)), partial(self.cost, sym("b", l))
        if self.batch:
            term = sym(DELTA, l, _SAMPLE) + _JUX + transpose(self.a_sym(l - 1, _SAMPLE))
            return dW, mean_sum(term, self.m), db, mean_sum(sym(DELTA, l, _SAMPLE), self.m)
        return (dW, sym(DELTA, l) + _JUX + transpose(self.a_sym(l - 1, None)),
                db, sym(DELTA, l))

    def weight_chain(self, t: LayerTrace, j: int, k: int) -> list[Math]:
        """:math:`\\partial J/\\partial w^{[l]}_{jk}`: symbols, numbers, the engine's result."""
        l = t.index
        if self.batch:
            term = sym(DELTA, l, _SAMPLE, j + 1) + _JUX + self.a_sym(l - 1, _SAMPLE, k)
            chain = [mean_sum(term, self.m)]
            if self.m <= MAX_SAMPLES:
                chain.append(scaled_sum([product(operand(self.delta_val(t, i, j)),
                                                 self.a_val(l - 1, i, k))
                                         for i in range(self.m)], self.m))
        else:
            chain = [sym(DELTA, l, None, j + 1) + _JUX + self.a_sym(l - 1, None, k),
                     product(operand(self.delta_val(t, 0, j)), self.a_val(l - 1, 0, k))]
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
        l = t.index
        dW, gw, db, gb = self.grad_formulas(l)
        chain_w = [matrix(t.dW)]
        if worked and not self.batch:
            # the outer product with its numbers: delta (column) times the input (row)
            outer = column([self.delta_val(t, 0, j) for j in range(t.n_out)]) + _JUX + matrix(
                np.asarray([[self.tr.x[0, k] if l == 1 else self.tr.layers[l - 2].a[0, k]
                             for k in range(t.n_in)]]), value if l == 1 else result)
            chain_w.insert(0, outer)
        rows = [Row(dW, [gw, *chain_w])]
        if t.db is not None:
            rows.append(Row(db, [gb, column(t.db)]))
        return rows

    def step3(self) -> None:
        S, doc = self.S, self.doc
        t = self.tr.layers[-1]
        doc.heading(2, S["step3"])
        dW, gw, db, gb = self.grad_formulas(t.index)
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
            return
        for t in reversed(tr.layers[:-1]):
            nxt = tr.layers[t.index]  # layer l+1 (list index l)
            l = t.index
            doc.para(S["step4_layer"], l=lit(f"[{l}]"))
            rows = []
            for i in self.shown:
                s = self.s(i)
                for j in range(t.n_out):
                    z, a = sym("z", l, s, j + 1), sym("a", l, s, j + 1)
                    if nxt.n_out > MAX_TERMS:
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

    # step 5 ------------------------------------------------------------------------------------
    def step5(self) -> None:
        S, doc, tr = self.S, self.doc, self.tr
        doc.heading(2, S["step5"])
        if self.L == 1:
            doc.para(S["no_hidden"])
            return
        for t in reversed(tr.layers[:-1]):
            dW, gw, db, gb = self.grad_formulas(t.index)
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
        for t in reversed(tr.layers):
            l = t.index
            doc.para(S["step10_layer"], l=lit(f"[{l}]"))
            rows = [Row(self.w_sym(l, j, k),
                        [value(t.W[j, k]) + MINUS + product(lr, operand(t.dW[j, k])),
                         result(t.W_new[j, k])], ARROW)
                    for j in range(t.n_out) for k in range(t.n_in)]
            if t.b is not None:
                rows += [Row(sym("b", l, None, j + 1),
                             [value(t.b[j]) + MINUS + product(lr, operand(t.db[j])),
                              result(t.b_new[j])], ARROW)
                         for j in range(t.n_out)]
            doc.equations(rows)
        doc.para(S["new_params"])
        rows = []
        for t in tr.layers:
            rows.append(Row(sym("W", t.index), [matrix(t.W_new)], ARROW))
            if t.b_new is not None:
                rows.append(Row(sym("b", t.index), [column(t.b_new)], ARROW))
        doc.equations(rows)


def build_document(trace: Trace, lang: str = "en") -> Document:
    """The ten steps of ``trace`` in ``lang`` as a :class:`~.document.Document`."""
    return _Explainer(trace, lang).build()
