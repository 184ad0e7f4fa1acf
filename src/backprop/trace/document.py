r"""A small document model and its two writers: plain text and Markdown + LaTeX.

The explanation of a step (:mod:`.render`) is built once as a list of blocks -- headings,
paragraphs with inline math, and equation groups -- and then written by :func:`to_text` or
:func:`to_markdown`. A later HTML writer only has to walk the same blocks (or convert the
Markdown's LaTeX); the math is standard LaTeX throughout.

Equation groups are written as ``$$\begin{split} lhs &= ... \\ ... \end{split}$$``: ``split`` is
understood by MathJax (Jupyter, GitHub), KaTeX and latex2mathml alike, whereas latex2mathml
does not align ``aligned``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from .diagram import NetworkDiagram
from .notation import EQ, Math, join

Inline = str | Math


@dataclass
class Heading:
    level: int
    text: str


@dataclass
class Paragraph:
    parts: list[Inline]


@dataclass
class Row:
    """``lhs rel rhs[0] = rhs[1] = ...`` -- a chain of equal expressions."""

    lhs: Math
    rhs: list[Math]
    rel: Math = EQ


@dataclass
class Equations:
    rows: list[Row]


@dataclass
class Diagram:
    """A picture of the network: a mermaid block in Markdown, left out of plain text (the
    layer lines beside it say the same in words)."""

    diagram: NetworkDiagram


Block = Heading | Paragraph | Equations | Diagram


def fill(template: str, **values: Inline | int | float) -> list[Inline]:
    """Split ``template`` at its ``{name}`` fields and put ``values`` in (math stays math)."""
    parts: list[Inline] = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if name is not None:
            v = values[name]
            parts.append(v if isinstance(v, Math) else format(v, spec or ""))
    return parts


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)

    def heading(self, level: int, text: str) -> None:
        self.blocks.append(Heading(level, text))

    def para(self, template: str, **values: Inline | int | float) -> None:
        self.blocks.append(Paragraph(fill(template, **values)))

    def equations(self, rows: list[Row]) -> None:
        if rows:
            self.blocks.append(Equations(rows))

    def figure(self, diagram: NetworkDiagram) -> None:
        self.blocks.append(Diagram(diagram))


def _dedupe(chain: list[Math]) -> list[Math]:
    """Drop a step of a chain that repeats the previous one (``1 = 1``)."""
    out: list[Math] = []
    for item in chain:
        if not out or item.text != out[-1].text:
            out.append(item)
    return out


# --- plain text ---------------------------------------------------------------------------------
def to_text(doc: Document) -> str:
    lines: list[str] = []
    underline = {1: "=", 2: "-"}
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines.append(block.text)
            if block.level in underline:
                lines.append(underline[block.level] * len(block.text))
        elif isinstance(block, Paragraph):
            lines.append("".join(p.text if isinstance(p, Math) else p for p in block.parts))
        elif isinstance(block, Diagram):
            continue
        else:
            width = max(len(r.lhs.text) for r in block.rows)
            for r in block.rows:
                rhs = join(_dedupe(r.rhs), EQ).text
                lines.append(f"    {r.lhs.text:<{width}}{r.rel.text}{rhs}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


# --- Markdown + LaTeX ---------------------------------------------------------------------------
def _inline_md(part: Inline) -> str:
    return f"${part.tex}$" if isinstance(part, Math) else part


def to_markdown(doc: Document) -> str:
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + block.text)
        elif isinstance(block, Paragraph):
            out.append("".join(_inline_md(p) for p in block.parts))
        elif isinstance(block, Diagram):
            out.append("```mermaid\n" + block.diagram.to_mermaid() + "\n```")
        else:
            rows = [r.lhs.tex + " &" + r.rel.tex.lstrip() + join(_dedupe(r.rhs), EQ).tex
                    for r in block.rows]
            out.append("$$\n\\begin{split}\n" + " \\\\\n".join(rows) + "\n\\end{split}\n$$")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
