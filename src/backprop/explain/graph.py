r"""The chain rule of any formula: its computational graph, evaluated and differentiated.

:func:`chain` reads a formula (:mod:`.formula`), builds its graph -- one node per number, name
and operation -- computes every node's value in a forward pass, and then the gradient of the
output :math:`f` with respect to every node in one backward pass (reverse mode):

.. math::
    \frac{\partial f}{\partial f} = 1, \qquad
    \frac{\partial f}{\partial u} = \sum_{c \,\in\, \text{users of } u}
        \frac{\partial f}{\partial c} \cdot \frac{\partial c}{\partial u}

which is the article's :math:`f = g(h(x)) \Rightarrow df/dx = dg/dh \cdot dh/dx`, applied once
per edge and summed where a value is used more than once. Each node keeps its value, the local
derivative of its output with respect to each of its inputs (:math:`\partial c / \partial u`)
and its gradient, so the explanation (:mod:`.chain_rule`) only writes them out.

Operations: ``+ - * / **``, a sign, ``exp``, ``log``, ``sqrt``, ``abs``, ``max`` and ``min``
(:data:`FUNCTIONS`), and every registered element-wise activation by its name: its value and
local derivative come from the activation's own ``forward`` and ``backward`` on a 1x1 array
(ReLU's slope at 0 is the engine's, 0). At a tie, ``max``/``min`` share the gradient equally
between the tied arguments, as ``torch.maximum`` does.

Recording never formats: :meth:`Chain.to_text` and its siblings import the document builder
and a writer when called.
"""

from __future__ import annotations

import inspect
import keyword
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..layers.base import Activation
from .formula import (
    MAX_EXPONENT,
    MAX_MAGNITUDE,
    MAX_NAME,
    Binary,
    Call,
    Expr,
    FormulaError,
    Name,
    Num,
    Program,
    Unary,
    parse,
)
from .operations import (
    BINARY,
    FUNCTIONS,
    OPERATORS,
    SPOKEN,
    Function,
    activation,
    is_function,
    known_functions,
)

__all__ = ["MAX_INPUTS", "Chain", "Node", "chain"]

#: most inputs a formula may be given
MAX_INPUTS = 100

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


# --- the graph --------------------------------------------------------------------------------
@dataclass
class Node:
    r"""One node of the graph.

    Attributes
    ----------
    id : str
        Unique: an input's or an assigned value's name, else ``u1``, ``u2``, ... (operations)
        and ``c1``, ``c2``, ... (numbers); another letter is taken when the formula uses these.
    op : str
        ``"input"``, ``"const"``, an operator (``"add"``, ``"sub"``, ``"mul"``, ``"div"``,
        ``"pow"``, ``"neg"``, ``"copy"``), a function of :data:`FUNCTIONS` or an activation's
        registry name.
    kind : str
        ``"input"``, ``"const"``, ``"operator"``, ``"function"`` or ``"activation"``.
    inputs : tuple of int
        Positions (in :attr:`Chain.nodes`) of the nodes it reads, in order.
    value : float
    local : tuple of (float or None)
        :math:`\partial\,\text{this} / \partial\,\text{inputs}[k]`; None where that input needs
        no gradient (a number, or a value computed from numbers only).
    grad : float or None
        :math:`\partial f / \partial\,\text{this}`; None for a node that needs none.
    named : bool
        The formula names it (an input, or the target of an assignment).
    config : dict
        An activation's settings (``negative_slope``, ...).
    users : list of (int, int)
        ``(node, slot)`` of every edge leaving this node that carries a gradient back, in the
        order the backward pass summed them.
    """

    id: str
    op: str
    kind: str
    inputs: tuple[int, ...]
    value: float
    local: tuple[float | None, ...] = ()
    grad: float | None = None
    named: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    users: list[tuple[int, int]] = field(default_factory=list)

    def activation(self) -> Activation:
        """A fresh layer of this node's activation (to ask for its notation and words)."""
        cls = activation(self.op)
        if cls is None:
            raise TypeError(f"node {self.id} is a {self.kind}, not an activation")
        return cls(**self.config)


@dataclass
class Chain:
    """A formula's graph with every value, local derivative and gradient (see :func:`chain`).

    Attributes
    ----------
    program : Program
        The formula as read.
    inputs : dict of str to float
        The values given, in the order given.
    nodes : list of Node
        In the order they were computed (every node after the nodes it reads).
    output : int
        Position of :math:`f`, the last value assigned (or the last bare expression).
    """

    program: Program
    inputs: dict[str, float]
    nodes: list[Node]
    output: int

    @property
    def source(self) -> str:
        return self.program.source

    @property
    def value(self) -> float:
        """:math:`f`."""
        return self.nodes[self.output].value

    @property
    def grad(self) -> dict[str, float]:
        r""":math:`\partial f / \partial x` of every input, in the order given."""
        return {name: float(self.node(name).grad or 0.0) for name in self.inputs}

    @property
    def output_node(self) -> Node:
        return self.nodes[self.output]

    def node(self, id: str) -> Node:
        """A node by its id (``KeyError`` listing the ids)."""
        for n in self.nodes:
            if n.id == id:
                return n
        raise KeyError(f"no node {id!r}; the nodes are {[n.id for n in self.nodes]}")

    # --- export -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """``{"value": f, "grad": {input: ∂f/∂input}, "nodes": [...]}`` in full precision.

        Each node is ``{"id", "op", "value", "grad", "inputs": [ids], "local": [...]}``, plus
        ``"config"`` for an activation with settings; ``grad`` and an entry of ``local`` are
        None where no gradient is needed (numbers).
        """
        nodes = []
        for n in self.nodes:
            item: dict[str, Any] = {
                "id": n.id, "op": n.op, "value": n.value, "grad": n.grad,
                "inputs": [self.nodes[i].id for i in n.inputs], "local": list(n.local),
            }
            if n.config:
                item["config"] = dict(n.config)
            nodes.append(item)
        return {"value": self.value, "grad": self.grad, "nodes": nodes}

    # --- writing (chain_rule.py builds the document, a writer writes it) -----------------------
    def to_text(self, lang: str = "en") -> str:
        """The graph, the forward pass and the chain-rule products as plain UTF-8 text."""
        from .chain_rule import build_document
        from .text import to_text

        return to_text(build_document(self, lang))

    def to_markdown(self, lang: str = "en") -> str:
        """The same as Markdown with LaTeX; the graph is a mermaid diagram."""
        from .chain_rule import build_document
        from .markdown import to_markdown

        return to_markdown(build_document(self, lang))

    def to_html(self, lang: str = "en", *, full: bool = True) -> str:
        """The same as self-contained HTML (math as MathML, the graph as inline SVG).

        ``full=False`` gives a fragment (a styled ``<div>``). Needs latex2mathml
        (``pip install 'backprop[report]'``).
        """
        from .chain_rule import build_document
        from .page import write_page

        return write_page(build_document(self, lang), lang, full=full)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str | None:
        try:
            return self.to_html(full=False)
        except ImportError:
            return None

    def __repr__(self) -> str:
        grads = ", ".join(f"{k}={v:.6g}" for k, v in self.grad.items())
        return (f"Chain({self.output_node.id}={self.value:.6g}, nodes={len(self.nodes)}, "
                f"grad: {grads or 'none'})")


# --- building ---------------------------------------------------------------------------------
def _where(item: Any) -> str:
    return f"line {item.line}, column {item.col}"


def _fresh(bases: Sequence[str], used: set[str]) -> str:
    """The first letter of ``bases`` that no name of the formula takes as ``letter + digits``."""
    for base in bases:
        if not any(re.fullmatch(re.escape(base) + r"\d+", name) for name in used):
            return base
    return bases[-1] + "_"  # a name cannot contain "_" followed by digits only in every case


def _referenced(expr: Expr, out: set[str]) -> None:
    todo = [expr]
    while todo:
        e = todo.pop()
        if isinstance(e, Name):
            out.add(e.id)
        elif isinstance(e, Unary):
            todo.append(e.operand)
        elif isinstance(e, Binary):
            todo.extend((e.left, e.right))
        elif isinstance(e, Call):
            todo.extend(e.args)


class _Builder:
    """Evaluates the statements in order, one node per operation, without recursion."""

    def __init__(self, program: Program, inputs: dict[str, float]):
        self.program = program
        self.nodes: list[Node] = []
        self.scope: dict[str, int] = {}
        self.lines: dict[str, int] = {}  # name -> line where it was assigned
        used = set(inputs) | set(program.assigned)
        for s in program.statements:
            _referenced(s.expr, used)
        self.op_base = _fresh(("u", "v", "t", "q", "h"), used)
        self.const_base = _fresh(("c", "k", "m", "n"), used)
        self.output_name = "f" if "f" not in used else None
        self.counts = {"op": 0, "const": 0}
        for name, v in inputs.items():
            self.scope[name] = self._add(Node(name, "input", "input", (), v, grad=0.0,
                                              named=True))

    def _add(self, node: Node) -> int:
        self.nodes.append(node)
        return len(self.nodes) - 1

    def _anon(self, kind: str) -> str:
        self.counts[kind] += 1
        base = self.op_base if kind == "op" else self.const_base
        return f"{base}{self.counts[kind]}"

    # the whole program
    def run(self) -> int:
        statements = self.program.statements
        out = -1
        for k, s in enumerate(statements):
            last = k == len(statements) - 1
            if s.target is None and not last:
                raise FormulaError(f"the expression at {_where(s)} is neither assigned nor the "
                                   f"last line: give it a name (t = ...) or remove it")
            if s.target is not None:
                self._check_target(s.target, s)
            first_new = len(self.nodes)
            top = self.expr(s.expr)
            name = s.target if s.target is not None else self.output_name
            if name is not None:
                if top < first_new:
                    # the expression is a value that already has a name (or is an input): the
                    # new name is a node of its own, equal to it
                    top = self._operate("copy", OPERATORS["copy"], (top,), s)
                node = self.nodes[top]
                # the statement's last node takes the name instead of the next anonymous one
                self.counts["const" if node.kind == "const" else "op"] -= 1
                node.id, node.named = name, True
                if s.target is not None:
                    self.scope[name] = top
                    self.lines[name] = s.line
            out = top
        return out

    def _check_target(self, name: str, s: Any) -> None:
        if len(name) > MAX_NAME:
            raise FormulaError(f"the name {name[:MAX_NAME]}... is too long")
        if is_function(name):
            raise FormulaError(f"{name} is a function and cannot be assigned to ({_where(s)})")
        if name in self.scope:
            if name in self.lines:
                raise FormulaError(f"{name} is assigned twice (lines {self.lines[name]} and "
                                   f"{s.line}): give the new value another name")
            raise FormulaError(f"{name} is an input (it has a given value) and cannot be "
                               f"assigned to ({_where(s)}): give the value another name")

    # one expression, post-order with an explicit stack (expressions may be deep)
    def expr(self, root: Expr) -> int:
        done: dict[int, int] = {}  # id(expr) -> node position
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if isinstance(e, Num):
                done[id(e)] = self._add(Node(self._anon("const"), "const", "const", (),
                                             float(e.value)))
            elif isinstance(e, Name):
                done[id(e)] = self._lookup(e)
            elif not ready:
                stack.append((e, True))
                children = ((e.operand,) if isinstance(e, Unary) else (e.left, e.right)
                            if isinstance(e, Binary) else e.args)
                stack.extend((c, False) for c in reversed(children))
            elif isinstance(e, Unary):
                done[id(e)] = self._operate("neg", OPERATORS["neg"], (done[id(e.operand)],), e)
            elif isinstance(e, Binary):
                op = BINARY[e.op]
                done[id(e)] = self._operate(op, OPERATORS[op],
                                            (done[id(e.left)], done[id(e.right)]), e)
            else:
                done[id(e)] = self._call(e, tuple(done[id(a)] for a in e.args))
        return done[id(root)]

    def _lookup(self, e: Name) -> int:
        if e.id in self.scope:
            return self.scope[e.id]
        if is_function(e.id):
            raise FormulaError(f"{e.id} is a function: call it, {e.id}(...) ({_where(e)})")
        later = [s for s in self.program.statements if s.target == e.id]
        if later:
            raise FormulaError(f"{e.id} is used at {_where(e)} before it is assigned (on line "
                               f"{later[0].line})")
        raise FormulaError(f"{e.id} has no value ({_where(e)}): give it one (--at {e.id}=... "
                           f"on the command line, chain(..., {e.id}=...) in Python) or assign "
                           f"it first")

    def _call(self, e: Call, args: tuple[int, ...]) -> int:
        if e.func in self.scope:
            raise FormulaError(f"{e.func} is a value, not a function ({_where(e)})")
        fn = FUNCTIONS.get(e.func)
        if fn is not None:
            if e.settings:
                raise FormulaError(f"{e.func} takes no settings ({_where(e)})")
            lo, hi = fn.arity
            if len(args) < lo or (hi is not None and len(args) > hi):
                want = (f"{lo} value{'s' if lo > 1 else ''}" if lo == hi
                        else f"{lo} or more values")
                raise FormulaError(f"{e.func} takes {want}, got {len(args)} ({_where(e)})")
            return self._operate(e.func, fn, args, e, kind="function")
        cls = activation(e.func)
        if cls is None:
            raise FormulaError(f"unknown function {e.func!r} at {_where(e)}; known: "
                               f"{known_functions()}")
        if not cls.elementwise:
            raise FormulaError(f"{e.func} is not element-wise (it mixes the units of a layer), "
                               f"so it has no meaning for one number ({_where(e)})")
        if len(args) != 1:
            raise FormulaError(f"{e.func} takes 1 value, got {len(args)} ({_where(e)})")
        config = dict(e.settings)
        known = [p for p in inspect.signature(cls).parameters if p != "self"]
        unknown = sorted(set(config) - set(known))
        if unknown:
            have = f"its settings: {', '.join(known)}" if known else "it has none"
            raise FormulaError(f"{e.func} has no setting {unknown[0]!r} ({_where(e)}); {have}")
        try:
            layer = cls(**config)
        except (TypeError, ValueError) as exc:
            raise FormulaError(f"{e.func} at {_where(e)}: {exc}") from None
        return self._activate(layer, args[0], layer.get_config(), e)

    def _check(self, node: Node, what: str, v: float, e: Any, domain: str = "") -> None:
        if not math.isfinite(v):
            args = ", ".join(f"{self.nodes[i].value:.6g}" if self.nodes[i].kind == "const"
                             else f"{self.nodes[i].id} = {self.nodes[i].value:.6g}"
                             for i in node.inputs)
            op = SPOKEN.get(node.op, node.op)
            hint = f"; {op} needs {domain}" if domain else ""
            raise FormulaError(f"{op} at {_where(e)}: {what} is {v}, not a finite number, "
                               f"with {args}{hint}")

    def _operate(self, op: str, fn: Function, args: tuple[int, ...], e: Any,
                 kind: str = "operator") -> int:
        values = [np.float64(self.nodes[i].value) for i in args]
        if op == "pow" and abs(values[1]) > MAX_EXPONENT:
            raise FormulaError(f"the exponent {values[1]:.6g} at {_where(e)} is too large (at "
                               f"most {MAX_EXPONENT:g} in magnitude)")
        with np.errstate(all="ignore"):
            v = fn.value(values)
            partials = fn.partials(values, v)
        node = Node("", op, kind, args, float(v))
        self._check(node, "the value", node.value, e, fn.domain)
        return self._finish(node, [float(p) for p in partials], e, fn.domain)

    def _activate(self, layer: Activation, arg: int, config: dict[str, Any], e: Any) -> int:
        z = np.array([[self.nodes[arg].value]], dtype=np.float64)
        with np.errstate(all="ignore"):
            a = layer.forward(z)
            slope = layer.backward(np.ones_like(z))  # the engine's own g'(z)
        node = Node("", layer.name, "activation", (arg,), float(np.asarray(a)[0, 0]),
                    config=config)
        self._check(node, "the value", node.value, e)
        return self._finish(node, [float(np.asarray(slope)[0, 0])], e)

    def _finish(self, node: Node, partials: list[float], e: Any, domain: str = "") -> int:
        needs = [self.nodes[i].grad is not None for i in node.inputs]
        node.local = tuple(p if n else None for p, n in zip(partials, needs, strict=True))
        for p, n in zip(partials, needs, strict=True):
            if n:
                self._check(node, "the local derivative", p, e, domain)
        if any(needs):
            node.grad = 0.0
        node.id = self._anon("op")
        return self._add(node)


def _backward(nodes: list[Node], output: int) -> None:
    """Reverse mode: every edge multiplies the gradient of its end by its local derivative and
    adds the product to its start, from the output back to the inputs."""
    if nodes[output].grad is None:
        return  # f is a number: nothing depends on an input
    nodes[output].grad = 1.0
    for k in range(output, -1, -1):
        node = nodes[k]
        g = node.grad
        if g is None:
            continue
        for slot, i in enumerate(node.inputs):
            local = node.local[slot]
            if local is not None:
                nodes[i].grad = float(nodes[i].grad) + g * local
                nodes[i].users.append((k, slot))


def _check_inputs(values: Mapping[str, Any]) -> dict[str, float]:
    if len(values) > MAX_INPUTS:
        raise FormulaError(f"{len(values)} inputs given; at most {MAX_INPUTS}")
    out: dict[str, float] = {}
    for name, v in values.items():
        if not isinstance(name, str) or not _NAME.match(name) or len(name) > MAX_NAME:
            raise FormulaError(f"an input's name is a letter followed by letters, digits or _ "
                               f"(at most {MAX_NAME} characters), got {name!r}")
        if keyword.iskeyword(name) or keyword.issoftkeyword(name):
            raise FormulaError(f"the Python keyword {name!r} cannot name an input")
        if is_function(name):
            raise FormulaError(f"{name} is a function and cannot name an input")
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            raise FormulaError(f"the value of {name} must be a real number, got {v!r}")
        v = float(v)
        if not math.isfinite(v) or abs(v) > MAX_MAGNITUDE:
            raise FormulaError(f"the value of {name} must be finite and at most "
                               f"{MAX_MAGNITUDE:g} in magnitude, got {v}")
        out[name] = v
    return out


def chain(formula: str, /, at: Mapping[str, float] | None = None, **values: float) -> Chain:
    r"""The chain rule of ``formula`` at the given point, node by node.

    Parameters
    ----------
    formula : str
        One expression (``"(x + y) * z"``) or assignments separated by ``;`` or new lines
        (``"z = w*x + b; a = sigmoid(z); L = 0.5*(y - a)**2"``); the last name assigned is the
        output. See :mod:`backprop.explain.formula` for the grammar: ``+ - * / **``, a sign,
        parentheses, ``exp``, ``log``, ``sqrt``, ``abs``, ``max``, ``min`` and every registered
        element-wise activation by name (``sigmoid(z)``, ``leaky_relu(z, negative_slope=0.2)``).
    at : mapping of str to float, optional
        The inputs' values as one mapping (a ready dict, or an input named ``at``); merged
        with ``values``.
    **values : float
        The inputs' values: ``chain("(x + y) * z", x=-2, y=5, z=-4)``. Every name the formula
        reads and does not assign needs one; a name given and not used gets gradient 0.

    Returns
    -------
    Chain
        ``.value``, ``.grad`` (a dict, one entry per input), ``.nodes``, and ``to_text``,
        ``to_markdown``, ``to_html``, ``to_dict``.

    Raises
    ------
    FormulaError
        (a ``ValueError``) Anything outside the grammar or its bounds, a name with no value, a
        value or derivative that is not finite -- one line, naming where.

    Examples
    --------
    >>> import backprop as bp
    >>> c = bp.chain("(x + y) * z", x=-2, y=5, z=-4)
    >>> c.value, c.grad
    (-12.0, {'x': -4.0, 'y': -4.0, 'z': 3.0})
    """
    given = dict(at or {})
    overlap = sorted(set(given) & set(values))
    if overlap:
        raise FormulaError(f"{', '.join(overlap)} given twice (in at= and as a keyword)")
    given.update(values)
    inputs = _check_inputs(given)
    program = parse(formula)
    builder = _Builder(program, inputs)
    output = builder.run()
    nodes = builder.nodes
    _backward(nodes, output)
    for n in nodes:
        if n.grad is not None and not math.isfinite(n.grad):
            raise FormulaError(f"the gradient of {n.id} is not finite ({n.grad})")
    return Chain(program=program, inputs=inputs, nodes=nodes, output=output)
