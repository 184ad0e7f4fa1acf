r"""The Markdown writer: a :class:`~.document.Document` as Markdown with LaTeX math.

Inline math is ``$...$``; a group of equations is one display block
``$$\begin{split} lhs &= ... \\ ... \end{split}$$`` (``split`` is understood by MathJax -- Jupyter,
GitHub --, KaTeX and latex2mathml alike, whereas latex2mathml does not align ``aligned``); the
network is a mermaid diagram.
"""

from __future__ import annotations

from .document import Diagram, Document, Equations, Heading, Inline, Paragraph
from .notation import EQ, Math, join


def _inline(part: Inline) -> str:
    return f"${part.tex}$" if isinstance(part, Math) else part


def to_markdown(doc: Document) -> str:
    """``doc`` as Markdown, ending in one newline."""
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + block.text)
        elif isinstance(block, Paragraph):
            out.append("".join(_inline(p) for p in block.parts))
        elif isinstance(block, Diagram):
            out.append("```mermaid\n" + block.diagram.to_mermaid() + "\n```")
        elif isinstance(block, Equations):
            rows = [r.lhs.tex + " &" + r.rel.tex.lstrip() + join(r.chain(), EQ).tex
                    for r in block.rows]
            out.append("$$\n\\begin{split}\n" + " \\\\\n".join(rows) + "\n\\end{split}\n$$")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
