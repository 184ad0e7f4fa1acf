r"""The Markdown writer: a :class:`~.document.Document` as Markdown with LaTeX math.

Inline math is ``$...$``; a group of equations is one display block
``$$\begin{split} lhs &= ... \\ ... \end{split}$$``; the network is a mermaid diagram (drawn by
GitHub and mermaid-enabled notebook viewers); a table is a pipe table; an image is embedded as a
``data:`` URI. Words are backslash-escaped where Markdown would read them as markup, so they show
as they are.
"""

from __future__ import annotations

from .document import (
    Code,
    Diagram,
    Document,
    Equations,
    Heading,
    Image,
    Inline,
    Paragraph,
    Strong,
    Table,
)
from .notation import Math

_MARKUP = set("\\`*_$|[]!#<>")
_RULE = {"left": ":---", "right": "---:", "center": ":---:", None: "---"}


def escape(text: str) -> str:
    """Backslash-escape the characters Markdown would read as markup."""
    return "".join("\\" + ch if ch in _MARKUP else ch for ch in text)


def _code(text: str) -> str:
    # a code span is closed by a run of backticks as long as its opening one
    longest, run = 0, 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _inline(part: Inline) -> str:
    if isinstance(part, Math):
        return f"${part.tex}$"
    if isinstance(part, Code):
        return _code(part.text)
    if isinstance(part, Strong):
        return f"**{escape(part.text)}**"
    return escape(part)


def _table(block: Table) -> str:
    def row(cells: list[list[Inline]]) -> str:
        return "| " + " | ".join("".join(_inline(p) for p in c) for c in cells) + " |"

    rule = "| " + " | ".join(_RULE[a] for a in block.align) + " |"
    return "\n".join([row(block.header), rule, *(row(r) for r in block.rows)])


def to_markdown(doc: Document) -> str:
    """``doc`` as Markdown, ending in one newline."""
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.append("#" * block.level + " " + escape(block.text))
        elif isinstance(block, Paragraph):
            out.append("".join(_inline(p) for p in block.parts))
        elif isinstance(block, Diagram):
            out.append("```mermaid\n" + block.diagram.to_mermaid() + "\n```")
        elif isinstance(block, Equations):
            out.append("$$\n" + block.tex() + "\n$$")
        elif isinstance(block, Table):
            out.append(_table(block))
        elif isinstance(block, Image):
            out.append(f"![{escape(block.alt)}]({block.data_uri()})")
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
