r"""How a worksheet's numbers are written: each number's symbol and its rule, in the article's
notation, for the marker's report (:mod:`.feedback`) and the exercise sheets (:mod:`.sheets`).

Symbols and rules are written the way the explanation of a step writes them (:mod:`.steps`: the
activation's and the loss's own notation), so a learner sees the names they know: ``δ[2]_1``,
``∂L/∂w[1]_12``, ``w[2]_11 ←``, ``m (w[1]_11)``. A number outside the article's layers (a batch
norm's mean) is named by its path in the JSON.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .notation import (
    ALPHA,
    ARROW,
    DELTA,
    EQ,
    MINUS,
    PLUS,
    Y_HAT,
    Math,
    index,
    join,
    lit,
    mean_sum,
    paren,
    partial,
    product,
    sum_over,
    sym,
)
from .steps import MAX_TERMS, _Explainer
from .worksheet import element_path

if TYPE_CHECKING:
    from .worksheet import Quantity, Worksheet

_JUX = lit(r"\,", "·")
#: how the optimiser's state entries are written (torch's names -> symbols)
_STATE = {"exp_avg": lit("m"), "exp_avg_sq": lit("v"), "exp_avg_hat": lit(r"\hat{m}", "m̂"),
          "exp_avg_sq_hat": lit(r"\hat{v}", "v̂"), "update": lit(r"\alpha u", "α·u"),
          "momentum_buffer": lit("b"), "step": lit("t")}
_STATE_RULES = {
    "exp_avg": lit(r"\beta_{1} m_{t-1} + (1 - \beta_{1})\, g_{t}", "β₁·m_t-1 + (1 - β₁)·g_t"),
    "exp_avg_sq": lit(r"\beta_{2} v_{t-1} + (1 - \beta_{2})\, g_{t}^{2}",
                      "β₂·v_t-1 + (1 - β₂)·g_t²"),
    "exp_avg_hat": lit(r"\frac{m_{t}}{1 - \beta_{1}^{t}}", "m_t/(1 - β₁^t)"),
    "exp_avg_sq_hat": lit(r"\frac{v_{t}}{1 - \beta_{2}^{t}}", "v_t/(1 - β₂^t)"),
    "momentum_buffer": lit(r"\mu\, b_{t-1} + g_{t}", "μ·b_t-1 + g_t"),
}


#: how batch norm's numbers are written
_X_HAT = lit(r"\hat{x}", "x̂")
_MODULE = {"mean": lit(r"\mu", "μ"), "var": lit(r"\sigma^{2}", "σ²"),
           "inv_std": lit("s"), "gamma": lit(r"\gamma", "γ"), "beta": lit(r"\beta", "β"),
           "running_mean": lit(r"\bar{\mu}", "μ̄"),
           "running_var": lit(r"\bar{\sigma}^{2}", "σ̄²")}


class Symbols:
    """Symbols and rules of one worksheet's numbers, in one language."""

    def __init__(self, sheet: Worksheet, lang: str):
        self.lang = lang
        self.sheet = sheet
        self._explainers: dict[int, _Explainer] = {}

    def ex(self, step: int) -> _Explainer:
        if step not in self._explainers:
            self._explainers[step] = _Explainer(self.sheet.traces[step], self.lang)
        return self._explainers[step]

    # --- symbols ---------------------------------------------------------------------------
    def split(self, q: Quantity, idx: tuple[int, ...]) -> tuple[int | None, int, int | None]:
        """``(sample label, unit j, column k)`` of a number of a layer's array."""
        site = q.site
        batch = site.m > 1
        per_sample = q.kind in ("z", "a", "g_prime", "delta", "output", "input", "target",
                                "xhat", "grad_output", "grad_x")
        if per_sample and batch and len(idx) == 2:
            return idx[0] + 1, idx[1], None
        if len(idx) == 2:
            return None, idx[0], idx[1]
        return None, idx[0] if idx else 0, None

    def symbol(self, q: Quantity, idx: tuple[int, ...]) -> tuple[Math, Math]:
        """The number's symbol and the relation its line is written with (``=`` or ``←``)."""
        site, kind = q.site, q.kind
        ex = self.ex(site.step)
        s, j, k = self.split(q, idx)
        t = site.layer
        if t is not None:
            l = t.index
            if kind in ("z", "a"):
                return sym(kind, l, s, j + 1), EQ
            if kind == "delta":
                return sym(DELTA, l, s, j + 1), EQ
            if kind == "g_prime":
                return lit("g'") + paren(sym("z", l, s, j + 1)), EQ
            weight = ex.w_sym(l, j, k) if k is not None else None
            bias = sym("b", l, None, j + 1)
            if kind == "dW" and weight is not None:
                return partial(ex.cost, weight), EQ
            if kind == "db":
                return partial(ex.cost, bias), EQ
            if kind in ("W", "W_new") and weight is not None:
                return weight, ARROW if kind == "W_new" else EQ
            if kind in ("b", "b_new"):
                return bias, ARROW if kind == "b_new" else EQ
            if q.role == "state" and kind in _STATE:
                param = weight if "state.W." in q.key else bias
                return _STATE[kind] + lit(r"\;(", " (") + param + lit(")"), EQ
        if site.module is not None:
            found = self._module_symbol(q, s, j)
            if found is not None:
                return found
        if kind == "loss":
            return ex.cost, EQ
        if kind == "sample_losses":
            return sym("L", None, j + 1 if site.m > 1 else None), EQ
        if kind == "output":
            return sym(Y_HAT, None, s, j + 1), EQ
        if kind == "input" and site.module is None:
            return sym("x", None, s, j + 1), EQ
        if kind == "target":
            return sym("y", None, s, j + 1), EQ
        text = element_path(q.key, idx)
        return Math(r"\mathtt{" + text.replace("_", r"\_") + "}", text), EQ

    def _module_symbol(self, q: Quantity, s: int | None, j: int) -> tuple[Math, Math] | None:
        """A number of a layer other than Dense (batch norm's μ, σ², x̂, γ, ...): its input and
        output named as the explanation names them (``a[1]``, ``ã[1]``)."""
        ex = self.ex(q.site.step)
        mod = q.site.module
        kind = q.kind
        rel = EQ
        if kind.endswith("_new"):
            kind, rel = kind[:-len("_new")], ARROW
        if kind == "input":
            return ex.in_sym(mod, s, j), EQ
        if kind == "output":
            return ex.out_sym(mod, s, j), EQ
        if kind == "grad_output":
            return partial(lit("J"), ex.out_sym(mod, s, j)), EQ
        if kind == "grad_x":
            return partial(lit("J"), ex.in_sym(mod, s, j)), EQ
        if kind == "xhat":
            return sym(_X_HAT, None, s, j + 1), EQ
        if kind in _MODULE:
            return sym(_MODULE[kind], sub=j + 1), rel
        grads = {p.grad_attr: p.attr for p in mod.params}
        if kind in grads and grads[kind] in _MODULE:
            return partial(lit("J"), sym(_MODULE[grads[kind]], sub=j + 1)), EQ
        return None

    # --- rules -----------------------------------------------------------------------------
    def rule(self, q: Quantity, idx: tuple[int, ...]) -> list[Math]:
        """The number's rule written with symbols (empty when there is no short one)."""
        site, kind = q.site, q.kind
        ex = self.ex(site.step)
        s, j, k = self.split(q, idx)
        t = site.layer
        if t is None:
            if kind == "loss" and not site.m > 1:
                return [ex.loss_formula()]
            return []
        l = t.index
        z, a = sym("z", l, s, j + 1), sym("a", l, s, j + 1)
        if kind == "z" and ex.direct(t) and t.n_in <= MAX_TERMS:
            terms = [ex.w_sym(l, j, kk) + _JUX + ex.in_sym(t, s, kk) for kk in range(t.n_in)]
            if t.b is not None:
                terms.append(sym("b", l, None, j + 1))
            return [join(terms, PLUS)]
        if kind == "a":
            if t.fused:
                g = ex.g_apply(t, sym("z", l, s))
                return [Math(g.tex + "_{" + str(j + 1) + "}", f"{g.text}_{j + 1}")]
            return [ex.g_apply(t, z)]
        if kind == "g_prime":
            return [ex.g_prime(t, a, z)]
        if kind == "delta":
            if t.fused:
                return [sym("p", None, s, j + 1) + MINUS + sym("y", None, s, j + 1)]
            slope = ex.g_prime(t, a, z)
            if site.output and ex.direct(t) is not None and not ex.after.get(t.index):
                return [product(ex.dloss_sym(s, j + 1), slope)]
            if "delta_next" in site.keys:
                nxt = self.sheet.traces[site.step].layers[l]
                back = join([sym("w", l + 1, None, index(kk + 1, j + 1)) + _JUX
                             + sym(DELTA, l + 1, s, kk + 1) for kk in range(nxt.n_out)], PLUS) \
                    if nxt.n_out <= MAX_TERMS else sum_over(
                        sym("w", l + 1, None, index("k", j + 1)) + _JUX
                        + sym(DELTA, l + 1, s, "k"), "k")
                return [product(paren(back), slope)]
            return [product(partial(ex.cost, a), slope)]
        if kind in ("dW", "db"):
            if kind == "dW" and k is None:
                return []
            if site.m > 1:
                term = sym(DELTA, l, "i", j + 1)
                if kind == "dW":
                    term = term + _JUX + ex.in_sym(t, "i", k)
                return [mean_sum(term, site.m)]
            term = sym(DELTA, l, None, j + 1)
            return [term + _JUX + ex.in_sym(t, None, k) if kind == "dW" else term]
        if kind in ("W_new", "b_new"):
            theta = ex.w_sym(l, j, k) if kind == "W_new" and k is not None else sym(
                "b", l, None, j + 1)
            if site.trace.optimizer is None:
                return [theta + MINUS + ALPHA + _JUX + partial(ex.cost, theta)]
            return [theta + MINUS + ALPHA + _JUX + lit("u")]
        if q.role == "state" and kind in _STATE_RULES:
            return [_STATE_RULES[kind]]
        return []
