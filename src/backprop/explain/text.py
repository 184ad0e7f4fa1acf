"""The plain-text writer: a :class:`~.document.Document` as UTF-8 text.

Headings are underlined, paragraphs are one line each, equations are indented with their left
sides aligned; the network diagram is left out (the layer lines beside it say the same in words).
"""

from __future__ import annotations

from .document import Diagram, Document, Equations, Heading, Paragraph
from .notation import EQ, Math, join

_UNDERLINE = {1: "=", 2: "-"}


def to_text(doc: Document) -> str:
    """``doc`` as plain text, ending in one newline."""
    lines: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines.append(block.text)
            if block.level in _UNDERLINE:
                lines.append(_UNDERLINE[block.level] * len(block.text))
        elif isinstance(block, Paragraph):
            lines.append("".join(p.text if isinstance(p, Math) else p for p in block.parts))
        elif isinstance(block, Diagram):
            continue
        elif isinstance(block, Equations):
            width = max(len(r.lhs.text) for r in block.rows)
            for r in block.rows:
                rhs = join(r.chain(), EQ).text
                lines.append(f"    {r.lhs.text:<{width}}{r.rel.text}{rhs}")
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"
