"""The document model: what an explanation says, before it is written in any format.

A :class:`Document` is a list of blocks -- headings, paragraphs of words with inline math,
groups of equations, tables, images and the network diagram -- built once (:mod:`.steps` for a
training step, :mod:`.run_report` for a saved run) and then written by :mod:`.text`,
:mod:`.markdown` or :mod:`.html`. A block holds words, numbers already formatted,
:class:`~.notation.Math` fragments (LaTeX and plain text) and PNG bytes; how they look is the
writers' business, so no block holds Markdown or HTML.
"""

from __future__ import annotations

import base64
import string
from collections.abc import Sequence
from dataclasses import dataclass, field

from .diagram import NetworkDiagram
from .graph_diagram import GraphDiagram
from .notation import EQ, Math

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Code:
    """Words shown as they are, in a fixed-width font (a file name, a setting's key)."""

    text: str


@dataclass(frozen=True)
class Strong:
    """Words set in bold (a table's total)."""

    text: str


#: one piece of a paragraph or a table cell
Inline = str | Math | Code | Strong


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
    """A group of equations, aligned at their relation signs."""

    rows: list[Row]

    def tex(self) -> str:
        r"""The group as one LaTeX ``split`` (understood by MathJax -- Jupyter, GitHub --,
        KaTeX and latex2mathml alike; latex2mathml does not align ``aligned``)."""
        rows = [r.lhs.tex + " &" + r.rel.tex.lstrip() + _join_tex(r.chain()) for r in self.rows]
        return "\\begin{split}\n" + " \\\\\n".join(rows) + "\n\\end{split}"


def _join_tex(chain: list[Math]) -> str:
    return EQ.tex.join(m.tex for m in chain)


@dataclass
class Table:
    """Rows of cells under a header; each cell is a list of inline pieces.

    ``align`` has one entry per column: ``"left"``, ``"right"``, ``"center"`` or None (the
    writer's default).
    """

    header: list[list[Inline]]
    rows: list[list[list[Inline]]]
    align: tuple[str | None, ...]


@dataclass
class Image:
    """A PNG picture (its bytes) and the words that stand for it."""

    png: bytes
    alt: str

    def __post_init__(self) -> None:
        if not isinstance(self.png, bytes | bytearray) or bytes(self.png[:8]) != PNG_SIGNATURE:
            head = bytes(self.png[:8]) if isinstance(self.png, bytes | bytearray) else self.png
            raise ValueError("expected the bytes of a PNG image (they must start with the PNG "
                             f"signature), got {head!r}")

    def data_uri(self) -> str:
        """``data:image/png;base64,...``: the picture inside the page that shows it."""
        return "data:image/png;base64," + base64.b64encode(bytes(self.png)).decode("ascii")


@dataclass
class Diagram:
    """A picture -- the network, or a formula's computational graph: SVG in HTML, a mermaid
    block in Markdown, left out of plain text (the words beside it say the same)."""

    diagram: NetworkDiagram | GraphDiagram


Block = Heading | Paragraph | Equations | Table | Image | Diagram


def fill(template: str, **values: Inline | int | float) -> list[Inline]:
    """Split ``template`` at its ``{name}`` fields and put ``values`` in (math stays math, code
    stays code)."""
    parts: list[Inline] = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if name is not None:
            v = values[name]
            parts.append(v if isinstance(v, Math | Code | Strong) else format(v, spec or ""))
    return parts


def _cell(cell: Inline | list[Inline]) -> list[Inline]:
    return list(cell) if isinstance(cell, list) else [cell]


@dataclass
class Document:
    blocks: list[Block] = field(default_factory=list)

    def heading(self, level: int, text: str) -> None:
        self.blocks.append(Heading(level, text))

    def para(self, template: str, **values: Inline | int | float) -> None:
        """A paragraph of ``template``'s words with ``values`` put in (see :func:`fill`)."""
        self.blocks.append(Paragraph(fill(template, **values)))

    def equations(self, rows: list[Row]) -> None:
        if rows:
            self.blocks.append(Equations(rows))

    def table(self, header: Sequence[Inline | list[Inline]],
              rows: Sequence[Sequence[Inline | list[Inline]]],
              align: Sequence[str | None] = ()) -> None:
        """A table; a cell is one inline piece or a list of them, ``align`` is per column (see
        :class:`Table`; missing entries are None)."""
        width = len(header)
        if any(len(r) != width for r in rows):
            raise ValueError(f"every row of the table needs {width} cells")
        align = tuple(align) + (None,) * (width - len(align))
        self.blocks.append(Table([_cell(c) for c in header],
                                 [[_cell(c) for c in r] for r in rows], align[:width]))

    def image(self, png: bytes, alt: str) -> None:
        self.blocks.append(Image(png, alt))

    def figure(self, diagram: NetworkDiagram | GraphDiagram) -> None:
        self.blocks.append(Diagram(diagram))
