"""The plain-text writer: a :class:`~.document.Document` as UTF-8 text.

Headings are underlined, paragraphs are one line each, equations are indented with their left
sides aligned, tables are padded columns; the network diagram is left out (the words beside it
say the same) and an image is its alternative text in brackets.
"""

from __future__ import annotations

from .document import Diagram, Document, Equations, Heading, Image, Inline, Paragraph, Table
from .notation import EQ, join

_UNDERLINE = {1: "=", 2: "-"}


def _inline(parts: list[Inline]) -> str:
    return "".join(p if isinstance(p, str) else p.text for p in parts)


def _table(block: Table) -> list[str]:
    cells = [[_inline(c) for c in row] for row in [block.header, *block.rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(block.header))]

    def line(row: list[str]) -> str:
        padded = [c.rjust(w) if a == "right" else c.center(w) if a == "center" else c.ljust(w)
                  for c, w, a in zip(row, widths, block.align, strict=True)]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [line(cells[0]), rule, *(line(row) for row in cells[1:])]


def to_text(doc: Document) -> str:
    """``doc`` as plain text, ending in one newline."""
    lines: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines.append(block.text)
            if block.level in _UNDERLINE:
                lines.append(_UNDERLINE[block.level] * len(block.text))
        elif isinstance(block, Paragraph):
            lines.append(_inline(block.parts))
        elif isinstance(block, Diagram):
            continue
        elif isinstance(block, Equations):
            width = max(len(r.lhs.text) for r in block.rows)
            for r in block.rows:
                rhs = join(r.chain(), EQ).text
                lines.append(f"    {r.lhs.text:<{width}}{r.rel.text}{rhs}")
        elif isinstance(block, Table):
            lines.extend(_table(block))
        elif isinstance(block, Image):
            lines.append(f"[{block.alt}]")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"

