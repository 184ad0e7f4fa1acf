r"""The marker's report as a :class:`~.document.Document`: for every wrong number the learner's
line, the right line (its rule with symbols, the number recomputed from the learner's own
numbers) and what went wrong, then the numbers that are wrong only because of an earlier one.

Symbols and rules are written the way the explanation of a step writes them (:mod:`.steps`:
the activation's and the loss's own notation), so the report speaks the learner's notation;
the numbers are the marker's (:mod:`.marking`). Nothing here computes a gradient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .document import Code, Document, Row
from .notation import (
    ALPHA,
    ARROW,
    DELTA,
    EQ,
    MINUS,
    PLUS,
    Y_HAT,
    Math,
    as_factor,
    index,
    join,
    lit,
    mean_sum,
    paren,
    partial,
    product,
    result,
    sum_over,
    sym,
)
from .steps import MAX_TERMS, _Explainer
from .words import words

if TYPE_CHECKING:
    from .marking import Mark, Marking

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


class _Writer:
    """Symbols and rules of one marking's quantities, in one language."""

    def __init__(self, marking: Marking, lang: str):
        self.marking = marking
        self.lang = lang
        self.S = words(lang)
        self.sheet = marking.sheet
        self._explainers: dict[int, _Explainer] = {}

    def ex(self, step: int) -> _Explainer:
        if step not in self._explainers:
            self._explainers[step] = _Explainer(self.sheet.traces[step], self.lang)
        return self._explainers[step]

    # --- symbols ---------------------------------------------------------------------------
    def split(self, mark: Mark) -> tuple[int | None, int, int | None]:
        """``(sample label, unit j, column k)`` of a number of a layer's array."""
        site = mark.quantity.site
        idx = mark.index
        batch = site.m > 1
        per_sample = mark.quantity.kind in ("z", "a", "g_prime", "delta", "output", "input",
                                            "target")
        if per_sample and batch and len(idx) == 2:
            return idx[0] + 1, idx[1], None
        if len(idx) == 2:
            return None, idx[0], idx[1]
        return None, idx[0] if idx else 0, None

    def symbol(self, mark: Mark) -> tuple[Math, Math]:
        """The number's symbol and the relation its line is written with (``=`` or ``←``)."""
        q = mark.quantity
        site, kind = q.site, q.kind
        ex = self.ex(site.step)
        s, j, k = self.split(mark)
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
        text = mark.path
        return Math(r"\mathtt{" + text.replace("_", r"\_") + "}", text), EQ

    def heading_name(self, mark: Mark) -> str:
        return f"{self.symbol(mark)[0].text} ({mark.path})"

    # --- rules -----------------------------------------------------------------------------
    def rule(self, mark: Mark) -> list[Math]:
        """The number's rule written with symbols (empty when there is no short one)."""
        q = mark.quantity
        site, kind = q.site, q.kind
        ex = self.ex(site.step)
        s, j, k = self.split(mark)
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

    # --- the document ----------------------------------------------------------------------
    def build(self) -> Document:
        S, marking = self.S, self.marking
        doc = Document()
        doc.heading(1, S["check_title"])
        roots, follows = marking.root_errors, marking.consequential
        doc.para(S["check_summary"], checked=marking.checked, correct=marking.correct,
                 wrong=len(roots), consequential=len(follows))
        if marking.all_correct:
            doc.para(S["check_all_right"])
        for n, mark in enumerate(roots):
            self.root(doc, mark, first=mark is marking.first_wrong or n == 0)
        if follows:
            doc.heading(2, S["check_consequential"])
            doc.para(S["check_consequential_intro"])
            rows = []
            for mark in follows:
                symbol, _ = self.symbol(mark)
                rows.append([symbol, Code(mark.path), mark.text,
                             self.number(mark, mark.from_yours)])
            doc.table([S["check_number"], S["check_path"], S["check_given"],
                       S["check_from_yours"]], rows, align=(None, None, "right", "right"))
        if marking.unknown_keys:
            doc.para(S["check_unknown"], keys=", ".join(marking.unknown_keys))
        return doc

    def number(self, mark: Mark, value: float) -> str:
        decimals = max(mark.decimals, 6)
        return result(value).text if decimals == 6 else f"{value:.{decimals}f}"

    def root(self, doc: Document, mark: Mark, first: bool) -> None:
        S = self.S
        name = self.heading_name(mark)
        doc.heading(2, (S["check_first"] if first else S["check_next"]).format(name=name))
        symbol, rel = self.symbol(mark)
        doc.para(S["check_yours"])
        doc.equations([Row(symbol, [lit(mark.text)], rel)])
        doc.para(S["check_right"])
        chain = [as_factor(m) for m in self.rule(mark)]
        doc.equations([Row(symbol, [*chain, lit(self.number(mark, mark.from_yours))], rel)])
        if abs(mark.expected - mark.from_yours) > 0.5 * 10.0 ** -max(mark.decimals, 6):
            doc.para(S["check_expected"], value=lit(self.number(mark, mark.expected)))
        if mark.misconception is None:
            doc.para(S["check_what"], sentence=S["check_recheck"])
            return
        from .misconceptions import MISCONCEPTIONS

        m = MISCONCEPTIONS[mark.misconception]
        doc.para(S["check_what"], sentence=m.sentence(self.lang))
        doc.para(S["check_fix"], fix=m.fix(self.lang))


def build_marking_document(marking: Marking, lang: str = "en") -> Document:
    """The marker's report in ``lang`` as a :class:`~.document.Document`."""
    return _Writer(marking, lang).build()


__all__ = ["build_marking_document"]
