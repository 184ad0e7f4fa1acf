"""The explanation of one training step as HTML: the trace's Markdown, converted.

The page is made from the very Markdown :meth:`Trace.to_markdown` writes, so the two never say
different things; only the mermaid diagram, which needs mermaid's JavaScript to draw, is swapped
for the same diagram drawn as SVG.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._version import __version__
from . import page
from .diagram import NetworkDiagram
from .document import Diagram, Heading
from .html import Fence, markdown_to_html
from .markdown import to_markdown
from .page_words import words
from .steps import build_document

if TYPE_CHECKING:
    from .record import Trace


def diagram_fence(diagrams: list[NetworkDiagram]) -> Fence:
    """A ``fence`` for :func:`markdown_to_html` that draws these diagrams' mermaid blocks as SVG."""
    svgs = {d.to_mermaid().strip(): d.to_svg() for d in diagrams}

    def fence(language: str, code: str) -> str | None:
        svg = svgs.get(code.strip()) if language == "mermaid" else None
        return None if svg is None else f'<figure class="diagram">\n{svg}\n</figure>'

    return fence


def trace_to_html(tr: Trace, lang: str = "en", *, full: bool = True) -> str:
    """Steps 1-10 of ``tr`` as HTML with MathML and the network as SVG.

    Parameters
    ----------
    tr : Trace
    lang : str
        ``"en"`` or ``"vi"``.
    full : bool
        A complete page (``<!DOCTYPE html>``, ``<html lang=...>``); False gives a fragment for a
        notebook cell.

    Raises
    ------
    ImportError
        When latex2mathml is not installed.
    """
    W = words(lang)
    doc = build_document(tr, lang)
    diagrams = [b.diagram for b in doc.blocks if isinstance(b, Diagram)]
    body = markdown_to_html(to_markdown(doc), fence=diagram_fence(diagrams))
    if not full:
        return page.fragment(body)
    title = next((b.text for b in doc.blocks if isinstance(b, Heading)), "backprop")
    body += page.footer(W["footer"].format(version=__version__)) + "\n"
    return page.document(body, title=title, lang=lang)
