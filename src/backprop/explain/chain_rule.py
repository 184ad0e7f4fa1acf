r"""The document of a formula's chain rule: its graph, its forward pass, every local derivative
and every product of the backward pass, written out from a :class:`~.graph.Chain`.

The sections follow the article's opening, :math:`f = g(h(x)) \Rightarrow
\frac{df}{dx} = \frac{dg}{dh}\cdot\frac{dh}{dx}`, node by node:

1. the formula and the values given;
2. the computational graph (:mod:`.graph_diagram`: SVG in HTML, mermaid in Markdown);
3. the forward pass: each node = its formula = the numbers put in = its value;
4. the local derivatives: :math:`\partial c/\partial u` of every edge, as the operation (or the
   activation's :class:`~backprop.layers.Notation`) writes it, then its number;
5. the backward pass: :math:`df/du = \sum_c df/dc \cdot \partial c/\partial u` for every
   node, from the output back, the products written out (:math:`df/du`, with a :math:`d`, is
   the gradient of the output along every path; :math:`\partial c/\partial u` the local
   derivative of one operation);
6. a table of every node and the gradient of every input.

Building never computes: every number comes from the chain; only the notation is added.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .document import Code, Document, Row, Strong
from .graph_diagram import Box, GraphDiagram, graph_diagram
from .notation import (
    CDOT,
    EQ,
    PLUS,
    Math,
    fill_formula,
    join,
    lit,
    paren,
    partial,
    value,
)
from .operations import FUNCTIONS, OPERATORS
from .words import name_of, words

if TYPE_CHECKING:
    from .graph import Chain, Node

#: Greek letters a name may spell out: the name is written as the letter
_GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eta": "η",
          "theta": "θ", "kappa": "κ", "mu": "μ", "nu": "ν", "rho": "ρ",
          "tau": "τ", "phi": "φ", "omega": "ω"}  # not sigma: σ is the sigmoid's


# --- symbols and numbers ----------------------------------------------------------------------
def symbol(name: str) -> Math:
    r"""A name as math: ``w0`` is :math:`w_{0}`, ``y_hat`` is :math:`y_{\mathrm{hat}}`, ``theta``
    is :math:`\theta`; plain text keeps the name (``w0``), a Greek name becomes its letter."""
    head, sep, tail = name.partition("_")
    stem = head.rstrip("0123456789")
    digits = head[len(stem):]
    if stem in _GREEK and not sep:
        tex_stem, text_stem = "\\" + stem, _GREEK[stem]
    elif len(stem) == 1:
        tex_stem, text_stem = stem, stem
    else:
        tex_stem, text_stem = r"\mathit{" + stem + "}", stem
    sub = digits if not sep else (digits + ("," if digits else "") + r"\mathrm{" +
                                  tail.replace("_", r"\_") + "}")
    tex = tex_stem + ("_{" + sub + "}" if sub else "")
    text = text_stem + digits + (sep + tail if sep else "")
    return Math(tex, text)


def number(v: float) -> Math:
    """A number: exact short form when it has one (``0.5``, ``-12``), six decimals otherwise,
    and powers of ten for very small or very large magnitudes (``1.234568e-9``, ``1e8``)."""
    if v == 0 or 1e-4 <= abs(v) < 1e7:
        return value(v)
    mantissa, exponent = f"{v:.6e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return Math(mantissa + r" \cdot 10^{" + str(int(exponent)) + "}",
                f"{mantissa}e{int(exponent)}")


def total(of: Math, wrt: Math) -> Math:
    r""":math:`\frac{df}{du}`: the gradient of the output along every path, written with
    :math:`d` as the article's :math:`df/dx = dg/dh \cdot dh/dx`, apart from the local
    :math:`\partial c/\partial u` of one operation (they differ when the output reads an input
    directly and through another path too)."""
    return Math(r"\frac{d" + of.tex + "}{d" + wrt.tex + "}", f"d{of.text}/d{wrt.text}")


def _factor(x: Math) -> Math:
    return paren(x) if x.text.startswith("-") else x


def node_symbol(chain: Chain, k: int) -> Math:
    """A node as it appears in formulas: a number's value, else its name."""
    node = chain.nodes[k]
    return number(node.value) if node.kind == "const" else symbol(node.id)


# --- what an operation looks like ---------------------------------------------------------------
def _templates(node: Node) -> tuple[tuple[str, str], list[tuple[str, str]], dict]:
    """The formula template, one slope template per argument and the parameters of ``node``."""
    if node.kind == "activation":
        notation = node.activation().notation()
        return notation.g, [notation.slope] * len(node.inputs), dict(node.config)
    fn = OPERATORS.get(node.op) or FUNCTIONS[node.op]
    return fn.formula, [fn.slope(k) for k in range(len(node.inputs))], {}


def _fill(template: tuple[str, str], node: Node, args: list[Math], out: Math, slot: int | None,
          params: dict) -> Math:
    values = {"out": out, "args": join(args, lit(", "))}
    if node.kind == "activation":  # an activation writes itself with <z> and <a>
        values = {"z": args[0], "a": out}
    else:
        values.update(zip("ab", args, strict=False))
        if slot is not None:
            values["arg"] = args[slot]
    return fill_formula(template, values, params)


class _Builder:
    def __init__(self, chain: Chain, lang: str):
        self.c = chain
        self.lang = lang
        self.S = words(lang)
        self.f = symbol(chain.output_node.id)
        self.doc = Document()

    # helpers
    def sym(self, k: int) -> Math:
        return node_symbol(self.c, k)

    def num(self, k: int) -> Math:
        return number(self.c.nodes[k].value)

    def formula(self, k: int, numbers: bool) -> Math:
        node = self.c.nodes[k]
        template, _, params = _templates(node)
        args = [self.num(i) if numbers else self.sym(i) for i in node.inputs]
        return _fill(template, node, args, self.num(k) if numbers else self.sym(k), None, params)

    def slope(self, k: int, slot: int, numbers: bool) -> Math:
        node = self.c.nodes[k]
        _, slopes, params = _templates(node)
        args = [self.num(i) if numbers else self.sym(i) for i in node.inputs]
        return _fill(slopes[slot], node, args, self.num(k) if numbers else self.sym(k), slot,
                     params)

    def edge(self, k: int, slot: int) -> Math:
        r""":math:`\partial c/\partial u` of one edge (marked with its argument's position when
        the node reads the same value twice, as in ``x * x``)."""
        node = self.c.nodes[k]
        i = node.inputs[slot]
        d = partial(self.sym(k), self.sym(i))
        if node.inputs.count(i) > 1:
            d = d + Math("_{[" + str(slot + 1) + "]}", f"[{slot + 1}]")
        return d

    def op_words(self, node: Node) -> str:
        if node.kind == "activation":
            return self.S["chain_op_activation"].format(name=name_of(node.activation(),
                                                                     self.lang))
        if node.kind == "function":
            return self.S["chain_op_function"].format(name=node.op)
        return self.S[f"chain_op_{node.op}"]

    # sections
    def build(self) -> Document:
        S, c, doc = self.S, self.c, self.doc
        doc.heading(1, S["chain_title"])
        lines = [line.split("#")[0].strip() for line in c.source.splitlines()]
        doc.para(S["chain_formula"], formula=Code("; ".join(x for x in lines if x)))
        if c.inputs:
            given = join((symbol(n) + EQ + number(v) for n, v in c.inputs.items()), lit(", "))
            doc.para(S["chain_at"], values=given)
        else:
            doc.para(S["chain_no_inputs"])
        rule = Math(r"f(x) = g(h(x)) \quad\Rightarrow\quad \frac{df}{dx} = \frac{dg}{dh} "
                    r"\cdot \frac{dh}{dx}", "f(x) = g(h(x)) ⇒ df/dx = dg/dh · dh/dx")
        doc.para(S["chain_rule"], rule=rule, seed=total(self.f, self.f) + EQ + lit("1"),
                 grad=total(self.f, lit("u")), local=partial(lit("c"), lit("u")))
        self.graph()
        self.forward()
        if c.output_node.grad is None:
            doc.para(S["chain_result_none"], f=self.f)
            return doc
        self.local()
        self.backward()
        self.table()
        grads = join((total(self.f, symbol(n)) + EQ + number(g) for n, g in c.grad.items()),
                     lit(", "))
        doc.para(S["chain_result"], f=self.f, grads=grads)
        return doc

    def graph(self) -> None:
        S, c = self.S, self.c
        self.doc.heading(2, S["chain_graph"])
        counts = {kind: sum(n.kind == kind for n in c.nodes) for kind in ("input", "const")}
        ops = len(c.nodes) - counts["input"] - counts["const"]
        self.doc.para(S["chain_graph_intro"], n=len(c.nodes), inputs=counts["input"], ops=ops,
                      consts=counts["const"], f=self.f)
        self.doc.figure(diagram(c, self.lang))

    def forward(self) -> None:
        S, c = self.S, self.c
        self.doc.heading(2, S["chain_forward"])
        self.doc.para(S["chain_forward_intro"])
        rows = []
        for k, node in enumerate(c.nodes):
            if node.kind in ("input", "const"):
                continue
            rows.append(Row(self.sym(k), [self.formula(k, False), self.formula(k, True),
                                          self.num(k)]))
        self.doc.equations(rows)
        seen: set[str] = set()
        for node in c.nodes:  # the definition of each activation used, once
            if node.kind != "activation" or node.op in seen:
                continue
            seen.add(node.op)
            n = node.activation().notation()
            lines = [Math(*pair) for pair in (n.definition, n.derivative) if pair is not None]
            if lines:
                self.doc.para(S["chain_activation"], name=name_of(node.activation(), self.lang),
                              formula=join(lines, lit("; ")))

    def local(self) -> None:
        S, c = self.S, self.c
        self.doc.heading(2, S["chain_local"])
        self.doc.para(S["chain_local_intro"])
        rows = []
        for k, node in enumerate(c.nodes):
            for slot, d in enumerate(node.local):
                if d is not None:
                    rows.append(Row(self.edge(k, slot), [self.slope(k, slot, False),
                                                         self.slope(k, slot, True), number(d)]))
        self.doc.equations(rows)

    def backward(self) -> None:
        S, c = self.S, self.c
        self.doc.heading(2, S["chain_backward"])
        out = c.output
        self.doc.para(S["chain_backward_intro"], seed=total(self.f, self.f) + EQ + lit("1"))
        rows = []
        for k in range(len(c.nodes) - 1, -1, -1):
            node = c.nodes[k]
            if k == out or node.grad is None:
                continue
            lhs = total(self.f, self.sym(k))
            if not node.users:
                rows.append(Row(lhs, [lit("0")]))
                continue
            symbolic = [total(self.f, self.sym(u)) + CDOT + self.edge(u, slot)
                        for u, slot in node.users]
            numbers = [_factor(number(c.nodes[u].grad)) + CDOT
                       + _factor(number(c.nodes[u].local[slot]))
                       for u, slot in node.users]
            rows.append(Row(lhs, [join(symbolic, PLUS), join(numbers, PLUS), number(node.grad)]))
        self.doc.equations(rows)
        shared = [self.sym(k) for k, n in enumerate(c.nodes) if len(n.users) > 1]
        if shared:
            self.doc.para(S["chain_shared"], names=join(shared, lit(", ")))
        unused = [self.sym(k) for k, n in enumerate(c.nodes)
                  if k != out and n.grad is not None and not n.users]
        if unused:
            self.doc.para(S["chain_unused"], names=join(unused, lit(", ")), f=self.f)

    def table(self) -> None:
        S, c = self.S, self.c
        self.doc.heading(2, S["chain_table"])
        header = [S["chain_col_node"], S["chain_col_op"], S["chain_col_value"],
                  S["chain_col_local"], [S["chain_col_grad"] + " ", total(self.f, lit("·"))]]
        rows = []
        for k, node in enumerate(c.nodes):
            if node.kind == "const":
                continue
            local = [self.edge(k, slot) + EQ + number(d) for slot, d in enumerate(node.local)
                     if d is not None]
            sym = self.sym(k)
            rows.append([Strong(sym.text) if k == c.output else sym, self.op_words(node),
                         self.num(k), join(local, lit(", ")) if local else "",
                         number(node.grad) if node.grad is not None else "—"])
        self.doc.table(header, rows, ("left", "left", "right", "left", "right"))


def diagram(chain: Chain, lang: str = "en") -> GraphDiagram:
    """The graph of ``chain`` as boxes: a node's name (and operation), its value and its
    gradient."""
    S = words(lang)
    f = chain.output_node.id
    boxes = []
    for k, node in enumerate(chain.nodes):
        val = number(node.value).text
        if node.kind == "const":
            boxes.append(Box("const", (val,), ()))
            continue
        if node.kind == "input":
            head = f"{node.id} = {val}"
            body: tuple[str, ...] = ()
        else:
            args = [node_symbol(chain, i).text for i in node.inputs]
            template, _, params = _templates(node)
            out = symbol(node.id)
            formula = _fill(template, node, [lit(a) for a in args], out, None, params).text
            head = f"{symbol(node.id).text} = {formula}"
            body = (f"= {val}",)
        grad = () if node.grad is None else (f"d{f}/d{symbol(node.id).text} = "
                                             f"{number(node.grad).text}",)
        kind = "output" if k == chain.output else "input" if node.kind == "input" else "op"
        boxes.append(Box(kind, (head, *body, *grad), node.inputs))
    names = ", ".join(chain.inputs) or "—"
    return graph_diagram(boxes, S["chain_graph_alt"].format(f=f, n=len(chain.nodes),
                                                            inputs=names))


def build_document(chain: Chain, lang: str = "en") -> Document:
    """The document of ``chain``'s chain rule in language ``lang``."""
    return _Builder(chain, lang).build()
