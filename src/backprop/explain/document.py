"""The document model: what an explanation says, before it is written in any format.

A :class:`Document` is a list of blocks -- headings, paragraphs of words with inline math, and
groups of equations -- built once (:mod:`.steps` for a training step) and then written by
:mod:`.text`, :mod:`.markdown` or :mod:`.html`. A block holds words and
:class:`~.notation.Math` fragments only; how they look is the writers' business.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

from .diagram import NetworkDiagram
from .notation import EQ, Math

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

    def chain(self) -> list[Math]:
        """The right-hand sides to write: a step that repeats the previous one (``1 = 1``) is
        dropped."""
        out: list[Math] = []
        for item in self.rhs:
            if not out or item.text != out[-1].text:
                out.append(item)
        return out


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
