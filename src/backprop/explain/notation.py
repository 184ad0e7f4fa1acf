r"""Math fragments written twice: as LaTeX (for Markdown/HTML) and as plain text.

Every formula the explanation writes is built from these pieces, so the text, Markdown and HTML
outputs always say the same thing. LaTeX is kept to standard commands (``\frac``, ``\delta``,
``\sigma``, ``^{[l]}``, ``_{j}``, ``\cdot``, ``bmatrix``) that MathJax, KaTeX and latex2mathml all
read. :func:`fill_formula` fills the templates in which activations and losses write themselves
(:class:`backprop.layers.Notation`, :class:`backprop.losses.LossNotation`).

Number formats:

* :func:`result` -- a computed value, always six decimals (``-0.054696``), the article's style;
* :func:`value` -- a given number (weights, inputs) in the shortest form that is exact to six
  decimals (``0.1``, ``-0.2``, ``1``), else six decimals;
* :func:`operand` -- :func:`value` or :func:`result`, in parentheses when negative, ready to be a
  factor of a product or the right side of a minus.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Math:
    """One formula fragment: ``tex`` (LaTeX, no ``$``) and ``text`` (plain UTF-8)."""

    tex: str
    text: str

    def __add__(self, other: Math | str) -> Math:
        if isinstance(other, str):
            return Math(self.tex + other, self.text + other)
        return Math(self.tex + other.tex, self.text + other.text)

    def __radd__(self, other: str) -> Math:
        return Math(other + self.tex, other + self.text)


def lit(tex: str, text: str | None = None) -> Math:
    """A fragment from its LaTeX and (if different) its plain text."""
    return Math(tex, tex if text is None else text)


def join(items: Iterable[Math], sep: Math) -> Math:
    out: Math | None = None
    for item in items:
        out = item if out is None else out + sep + item
    return out if out is not None else lit("")


# --- symbols ----------------------------------------------------------------------------------
DELTA = lit(r"\delta", "δ")
SIGMA = lit(r"\sigma", "σ")
ALPHA = lit(r"\alpha", "α")
Y_HAT = lit(r"\hat{y}", "ŷ")
CDOT = lit(r" \cdot ", "·")
EQ = lit(" = ")
ARROW = lit(r" \leftarrow ", " ← ")
MINUS = lit(" - ")
PLUS = lit(" + ")
HALF = lit(r"\tfrac{1}{2}", "½")
ELLIPSIS = lit(r"\ldots", "…")


def index(*idx: int | str) -> str:
    """Subscript digits: ``12`` for (1, 2); ``10,2`` when an index has several characters."""
    parts = [str(i) for i in idx]
    return ("," if any(len(p) > 1 for p in parts) else "").join(parts)


def sym(base: Math | str, layer: int | str | None = None, sample: int | str | None = None,
        sub: str | int | None = None) -> Math:
    r"""``base^{[layer](sample)}_{sub}``; plain text ``base[layer](sample)_sub``."""
    if isinstance(base, str):
        base = lit(base)
    sup = ""
    if layer is not None:
        sup += f"[{layer}]"
    if sample is not None:
        sup += f"({sample})"
    tex, text = base.tex, base.text
    if sup:
        tex += "^{" + sup + "}"
        text += sup
    if sub is not None and str(sub) != "":
        tex += "_{" + str(sub) + "}"
        text += "_" + str(sub)
    return Math(tex, text)


def paren(x: Math) -> Math:
    return "(" + x + ")"


def bracket(x: Math) -> Math:
    return "[" + x + "]"


def square(x: Math) -> Math:
    """``x^2`` (x is wrapped by the caller when it is not atomic)."""
    return Math(x.tex + "^{2}", x.text + "²")


def _grouped(text: str) -> str:
    """``text`` in parentheses when it is more than one factor (an operator outside brackets),
    so that it can stand on one side of a ``/`` in plain text."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and (ch in " ·/" or (ch == "-" and i > 0)):
            return f"({text})"
    return text


def frac(num: Math, den: Math) -> Math:
    return Math(r"\frac{" + num.tex + "}{" + den.tex + "}",
                f"{_grouped(num.text)}/{_grouped(den.text)}")


def partial(of: Math, wrt: Math) -> Math:
    r""":math:`\partial f / \partial x`."""
    return Math(r"\frac{\partial " + of.tex + r"}{\partial " + wrt.tex + "}",
                f"∂{of.text}/∂{wrt.text}")


def transpose(x: Math) -> Math:
    return Math("(" + x.tex + r")^{\top}", f"({x.text})ᵀ")


def product(*factors: Math) -> Math:
    return join(factors, CDOT)


def func(name: Math | str, arg: Math) -> Math:
    """``name(arg)``."""
    if isinstance(name, str):
        name = lit(name)
    return name + "(" + arg + ")"


def mean_sum(term: Math, m: int, over: str = "i") -> Math:
    r""":math:`\frac{1}{m}\sum_{i=1}^{m} \text{term}`."""
    return Math(r"\frac{1}{" + str(m) + r"}\sum_{" + over + "=1}^{" + str(m) + "} " + term.tex,
                f"(1/{m}) Σ_{over} " + term.text)


def sum_over(term: Math, over: str) -> Math:
    return Math(r"\sum_{" + over + "} " + term.tex, f"Σ_{over} " + term.text)


def scaled_sum(terms: Sequence[Math], m: int) -> Math:
    """``(1/m)(t1 + t2 + ...)`` with the terms written out."""
    inner = join(terms, PLUS)
    return Math(r"\frac{1}{" + str(m) + r"}\bigl(" + inner.tex + r"\bigr)",
                f"(1/{m})(" + inner.text + ")")


# --- notation templates ------------------------------------------------------------------------
_PLACEHOLDER = re.compile(r"<(\w+)(?::(\w+))?>")
#: a name of letters and digits (``x``, ``u12``): it carries an exponent without parentheses
_PLAIN = re.compile(r"[A-Za-z]+\d*")


def _symbolic(x: Math) -> bool:
    return x.text[:1].isalpha()


def fill_formula(template: tuple[str, str], values: Mapping[str, Math],
                 params: Mapping[str, Any] | None = None) -> Math:
    """Fill a ``(tex, text)`` template of an activation's or a loss's notation.

    ``<name>`` is ``values[name]`` (a symbol or a number), else ``params[name]`` (a constructor
    argument, written as a given number); ``<name:factor>`` puts a negative number in
    parentheses, ``<name:base>`` anything but a bare positive number or a plain name like
    ``u1`` (it carries an exponent);
    ``<times>`` is nothing between symbols and a dot between numbers. See
    :class:`backprop.layers.Notation` and :class:`backprop.losses.LossNotation`.
    """
    symbolic = all(_symbolic(v) for v in values.values())
    params = params or {}

    def piece(match: re.Match[str], which: int) -> str:
        name, form = match.group(1), match.group(2)
        if name == "times":
            return "" if symbolic else (CDOT.tex, CDOT.text)[which]
        if name in values:
            v = values[name]
        elif name in params:
            v = value(params[name])
        else:
            known = ", ".join(f"<{n}>" for n in [*values, *params, "times"])
            raise ValueError(f"unknown placeholder <{name}> in the notation {template[which]!r}; "
                             f"known here: {known}")
        if form == "factor" and v.text.startswith("-"):
            v = paren(v)
        elif form == "base" and not (v.text[:1].isdigit() or _PLAIN.fullmatch(v.text)):
            v = paren(v)
        return (v.tex, v.text)[which]

    tex, text = template
    return Math(_PLACEHOLDER.sub(lambda m: piece(m, 0), tex),
                _PLACEHOLDER.sub(lambda m: piece(m, 1), text))


def as_factor(x: Math) -> Math:
    """``x`` in parentheses when it is a sum or a difference (an operator outside brackets),
    ready to be a factor of a product."""
    depth = 0
    for i, ch in enumerate(x.text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and ch in "+-" and x.text[i - 1:i] == " " and x.text[i + 1:i + 2] == " ":
            return paren(x)
    return x


# --- numbers ----------------------------------------------------------------------------------
def _six(v: float) -> str:
    s = f"{float(v):.6f}"
    return "0.000000" if s == "-0.000000" else s


def result(v: float) -> Math:
    """A computed value, six decimals."""
    return lit(_six(v))


def value(v: float) -> Math:
    """A given number, as short as it can be while exact to six decimals; a small one that six
    decimals would round away (a hyper-parameter such as :math:`\varepsilon = 10^{-8}`) in
    powers of ten."""
    s = _six(v)
    if float(s) == float(v):
        s = s.rstrip("0").rstrip(".")
        if s in ("", "-", "-0"):
            s = "0"
    elif v != 0 and abs(v) < 1e-4:
        mantissa, exponent = f"{float(v):.6g}".split("e")
        power = "10^{" + str(int(exponent)) + "}"
        tex = power if mantissa == "1" else mantissa + r" \cdot " + power
        return Math(tex, f"{float(v):.6g}")
    return lit(s)


def small(v: float) -> Math:
    """A computed value that may be tiny (an optimiser's second moment): six decimals, or six
    significant digits with a power of ten below :math:`10^{-3}`."""
    v = float(v)
    if v == 0.0 or abs(v) >= 1e-3 or not np.isfinite(v):
        return result(v)
    mantissa, exponent = f"{v:.5e}".split("e")
    return Math(mantissa + r" \cdot 10^{" + str(int(exponent)) + "}", f"{mantissa}e{exponent}")


def small_operand(v: float) -> Math:
    """:func:`small`, parenthesised when negative (a factor)."""
    x = small(v)
    return paren(x) if x.text.startswith("-") else x


def operand(v: float, *, exact: bool = False) -> Math:
    """A factor: :func:`value` if ``exact`` else :func:`result`, parenthesised when negative."""
    x = value(v) if exact else result(v)
    return paren(x) if x.text.startswith("-") else x


def matrix(arr: np.ndarray, fmt=result) -> Math:
    r"""A 2-D array as ``\begin{bmatrix} ... \end{bmatrix}``; text ``[a, b; c, d]``."""
    arr = np.atleast_2d(arr)
    rows = [[fmt(v) for v in row] for row in arr]
    tex = (r"\begin{bmatrix} " + r" \\ ".join(" & ".join(c.tex for c in row) for row in rows)
           + r" \end{bmatrix}")
    text = "[" + "; ".join(", ".join(c.text for c in row) for row in rows) + "]"
    return Math(tex, text)


def column(vec: np.ndarray, fmt=result) -> Math:
    """A vector as a column ``bmatrix``; text ``[a; b]``."""
    return matrix(np.asarray(vec).reshape(-1, 1), fmt)


def tuple_t(vec: np.ndarray, fmt=value) -> Math:
    r"""A vector written in a line, transposed: ``(a, b)^\top``; a single number stays bare."""
    vec = np.asarray(vec).reshape(-1)
    if vec.size == 1:
        return fmt(vec[0])
    items = [fmt(v) for v in vec]
    return Math(r"\left(" + r",\ ".join(i.tex for i in items) + r"\right)^{\top}",
                "(" + ", ".join(i.text for i in items) + ")ᵀ")
