r"""The operations a formula may use: how each is computed, differentiated and written.

One :class:`Function` per operation, in two tables -- :data:`OPERATORS` (``+ - * / **``, a
sign, and the copy an assignment of a named value makes) and :data:`FUNCTIONS` (``exp``,
``log``, ``sqrt``, ``abs``, ``max``, ``min``) -- and, beside them, every registered element-wise
activation, looked up by name in the layer registry (:func:`activation`): the graph
(:mod:`.graph`) asks an entry for a value and its local derivatives, the explanation
(:mod:`.chain_rule`) for how to write them. Adding a function is one row here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..layers.base import LAYERS, Activation, activation_names

__all__ = ["FUNCTIONS", "OPERATORS", "Function", "activation", "is_function", "known_functions"]

Partials = Callable[[Sequence[float], float], Sequence[float]]


@dataclass(frozen=True)
class Function:
    r"""One built-in operation: how to compute it, its local derivatives, how it is written.

    ``value(args) -> float`` and ``partials(args, value) -> (∂value/∂args[k], ...)``, both in
    float64 (NumPy scalars: an overflow is an infinity and a bad domain a NaN, caught by the
    graph with a message naming the node). ``arity`` is ``(fewest, most)`` arguments (most None:
    any number); ``domain`` says, for messages, where the function is defined.

    ``formula`` and ``slopes`` are ``(tex, text)`` templates in the placeholders of
    :func:`backprop.explain.notation.fill_formula`, as an activation's
    :class:`~backprop.layers.Notation`: ``<a>``, ``<b>`` are the arguments, ``<args>`` all of
    them, ``<out>`` the result and ``<arg>`` the argument a slope belongs to. ``slopes`` has one
    template per argument, or one for all of them.
    """

    name: str
    arity: tuple[int, int | None]
    value: Callable[[Sequence[float]], float]
    partials: Partials
    formula: tuple[str, str]
    slopes: tuple[tuple[str, str], ...]
    domain: str = ""

    def slope(self, slot: int) -> tuple[str, str]:
        """The template of ∂out/∂args[slot]."""
        return self.slopes[slot] if len(self.slopes) > 1 else self.slopes[0]


def _ties(args: Sequence[float], best: float) -> list[float]:
    hits = [a == best for a in args]
    share = 1.0 / sum(hits)
    return [share if h else 0.0 for h in hits]


def _pow_partials(args: Sequence[float], v: float) -> tuple[float, float]:
    a, b = args
    # d/db a**b = a**b ln a, defined for a > 0 only; asked only when b needs a gradient
    return b * a ** (b - 1.0), (v * np.log(a) if a > 0 else np.float64(np.nan))


_ONE = ("1", "1")

#: the operators, by the name a node of the graph gives them
OPERATORS: dict[str, Function] = {f.name: f for f in (
    Function("add", (2, 2), lambda a: a[0] + a[1], lambda a, v: (1.0, 1.0),
             ("<a> + <b:factor>", "<a> + <b:factor>"), (_ONE,)),
    Function("sub", (2, 2), lambda a: a[0] - a[1], lambda a, v: (1.0, -1.0),
             ("<a> - <b:factor>", "<a> - <b:factor>"), (_ONE, ("-1", "-1"))),
    Function("mul", (2, 2), lambda a: a[0] * a[1], lambda a, v: (a[1], a[0]),
             (r"<a:factor> \cdot <b:factor>", "<a:factor>·<b:factor>"),
             (("<b>", "<b>"), ("<a>", "<a>"))),
    Function("div", (2, 2), lambda a: a[0] / a[1],
             lambda a, v: (1.0 / a[1], -a[0] / (a[1] * a[1])),
             (r"\frac{<a>}{<b>}", "<a> / <b:factor>"),
             ((r"\frac{1}{<b>}", "1 / <b:factor>"),
              (r"-\frac{<a>}{<b:base>^{2}}", "-<a:factor> / <b:base>²")),
             "a divisor other than 0"),
    Function("pow", (2, 2), lambda a: a[0] ** a[1], _pow_partials,
             ("<a:base>^{<b>}", "<a:base>^<b:base>"),
             ((r"<b:factor> \cdot <a:base>^{<b> - 1}", "<b:factor>·<a:base>^(<b> - 1)"),
              (r"<out:factor> \cdot \ln <a:base>", "<out:factor>·ln <a:base>")),
             "a positive base, or a negative one with a whole exponent"),
    Function("neg", (1, 1), lambda a: -a[0], lambda a, v: (-1.0,),
             ("-<a:factor>", "-<a:factor>"), (("-1", "-1"),)),
    # ``a = x``: a name given to a value that already has one
    Function("copy", (1, 1), lambda a: a[0], lambda a, v: (1.0,), ("<a>", "<a>"), (_ONE,)),
)}

#: the functions a formula may call besides the activations
FUNCTIONS: dict[str, Function] = {f.name: f for f in (
    Function("exp", (1, 1), lambda a: np.exp(a[0]), lambda a, v: (v,),
             (r"\exp(<a>)", "exp(<a>)"), ((r"\exp(<a>)", "exp(<a>)"),)),
    Function("log", (1, 1), lambda a: np.log(a[0]), lambda a, v: (1.0 / a[0],),
             (r"\ln(<a>)", "ln(<a>)"), ((r"\frac{1}{<a>}", "1 / <a:factor>"),),
             "a positive argument"),
    Function("sqrt", (1, 1), lambda a: np.sqrt(a[0]), lambda a, v: (0.5 / v,),
             (r"\sqrt{<a>}", "sqrt(<a>)"),
             ((r"\frac{1}{2\sqrt{<a>}}", "1 / (2·sqrt(<a>))"),),
             "a positive argument (its slope is infinite at 0)"),
    Function("abs", (1, 1), lambda a: np.abs(a[0]), lambda a, v: (np.sign(a[0]),),
             (r"\lvert <a> \rvert", "|<a>|"),
             ((r"\operatorname{sign}(<a>)", "sign(<a>)"),)),
    Function("max", (2, None), lambda a: max(a), lambda a, v: _ties(a, v),
             (r"\max(<args>)", "max(<args>)"),
             ((r"\mathbf{1}[<arg> = <out>]", "1[<arg> = <out>]"),)),
    Function("min", (2, None), lambda a: min(a), lambda a, v: _ties(a, v),
             (r"\min(<args>)", "min(<args>)"),
             ((r"\mathbf{1}[<arg> = <out>]", "1[<arg> = <out>]"),)),
)}

#: the operator each symbol of the grammar stands for
BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
#: how messages name an operator
SPOKEN = {"add": "'+'", "sub": "'-'", "mul": "'*'", "div": "'/'", "pow": "'**'",
           "neg": "the sign '-'", "copy": "the assignment"}


def activation(name: str) -> type[Activation] | None:
    cls = LAYERS.get(name)
    return cls if isinstance(cls, type) and issubclass(cls, Activation) else None


def known_functions() -> str:
    return (", ".join(sorted(FUNCTIONS)) + " and the activations "
            + ", ".join(sorted(activation_names(elementwise=True))))


def is_function(name: str) -> bool:
    return name in FUNCTIONS or activation(name) is not None
