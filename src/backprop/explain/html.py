"""The HTML writer: a :class:`~.document.Document` as an HTML fragment, math as MathML.

Each block becomes its element: headings ``<h1>``..., paragraphs ``<p>``, a group of equations a
``<div class="math-display">`` around one ``<math display="block">`` (the LaTeX ``split``, whose
columns the page's style sheet aligns), tables ``<table>`` with their columns' alignment, images
``<img>`` with a ``data:`` URI and the network diagram an inline SVG in a ``<figure>``. Every
formula's LaTeX is typeset as MathML here, when the page is written (latex2mathml), so the
browser needs no JavaScript; words are escaped, so nothing in them is read as HTML. The page
around the fragment is :mod:`.page`'s.
"""

from __future__ import annotations

import html
import re

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

_INSTALL_HINT = "pip install 'backprop[report]'"
# punctuation that stays on the line of the formula it follows
_TRAILING = ".,;:!?)"


# --- math -------------------------------------------------------------------------------------
def latex_to_mathml(tex: str, *, display: bool = False) -> str:
    """LaTeX (no ``$``) to a ``<math>`` element for HTML.

    Parameters
    ----------
    tex : str
    display : bool
        ``display="block"`` (a display equation) instead of ``display="inline"``.

    Raises
    ------
    ImportError
        When latex2mathml is not installed, with the command that installs it.
    """
    try:
        from latex2mathml.converter import convert
    except ImportError as exc:
        raise ImportError(f"typesetting math as MathML needs latex2mathml: {_INSTALL_HINT}") \
            from exc
    # latex2mathml always writes an xmlns attribute; HTML needs none (the HTML parser puts
    # <math> in the MathML namespace itself), and the page must not name any URL
    mathml = convert(tex.strip(), xmlns="", display="block" if display else "inline")
    mathml = mathml.replace('<math xmlns="" ', "<math ", 1)
    return _UNARY_MINUS.sub(_unary_minus, mathml)


# A minus right after an operator or an opening bracket is a sign, not a subtraction; TeX sets
# it without the spaces of a binary operator, and so must the browser: latex2mathml writes every
# minus as a plain <mo>, which MathML Core spaces as binary, giving "( − 0.2)" and "= − 0.05".
_UNARY_MINUS = re.compile(r"(<mo[^>]*>([^<]*)</mo>)<mo>&#x02212;</mo>")
_CLOSING = {")", "]", "}", "|", "&#x00029;", "&#x0005D;", "&#x0007D;", "&#x0007C;", "&#x02016;",
            "&#x0232A;", "&#x027E9;"}


def _unary_minus(m: re.Match[str]) -> str:
    if m.group(2) in _CLOSING:
        return m.group(0)
    return m.group(1) + '<mo form="prefix" lspace="0" rspace="0">&#x02212;</mo>'


# --- inline -----------------------------------------------------------------------------------
def _text(text: str) -> str:
    return html.escape(text, quote=False)


def inline(parts: list[Inline]) -> str:
    """A paragraph's (or a cell's) pieces as HTML: words escaped, math as inline MathML.

    Punctuation right after a formula is kept on its line (a browser may break after an inline
    ``<math>`` as after an image): the two are wrapped in ``<span class="nowrap">``.
    """
    out: list[str] = []
    taken = 0  # characters of this piece already written with the formula before it
    for k, part in enumerate(parts):
        if isinstance(part, Math):
            mathml = latex_to_mathml(part.tex)
            after = parts[k + 1] if k + 1 < len(parts) else None
            tail = after[:len(after) - len(after.lstrip(_TRAILING))] \
                if isinstance(after, str) else ""
            if tail:
                mathml = f'<span class="nowrap">{mathml}{_text(tail)}</span>'
            out.append(mathml)
            taken = len(tail)
            continue
        if isinstance(part, Code):
            out.append(f"<code>{_text(part.text)}</code>")
        elif isinstance(part, Strong):
            out.append(f"<strong>{_text(part.text)}</strong>")
        else:
            out.append(_text(part[taken:]))
        taken = 0
    return "".join(out)


# --- blocks -----------------------------------------------------------------------------------
def _table(block: Table) -> str:
    def cells(row: list[list[Inline]], tag: str) -> str:
        return "".join(
            f"<{tag}" + (f' style="text-align:{a}"' if a else "") + f">{inline(c)}</{tag}>"
            for c, a in zip(row, block.align, strict=True))

    body = "".join(f"<tr>{cells(r, 'td')}</tr>\n" for r in block.rows)
    return (f"<table>\n<thead>\n<tr>{cells(block.header, 'th')}</tr>\n</thead>\n"
            f"<tbody>\n{body}</tbody>\n</table>")


def to_html(doc: Document) -> str:
    """``doc`` as an HTML fragment, one element per block and line group.

    Raises
    ------
    ImportError
        When the document has math and latex2mathml is not installed.
    """
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.append(f"<h{block.level}>{_text(block.text)}</h{block.level}>")
        elif isinstance(block, Paragraph):
            out.append(f"<p>{inline(block.parts)}</p>")
        elif isinstance(block, Equations):
            mathml = latex_to_mathml(block.tex(), display=True)
            out.append(f'<div class="math-display">{mathml}</div>')
        elif isinstance(block, Table):
            out.append(_table(block))
        elif isinstance(block, Image):
            out.append(f'<p><img src="{block.data_uri()}" alt="{html.escape(block.alt)}"></p>')
        elif isinstance(block, Diagram):
            out.append(f'<figure class="diagram">\n{block.diagram.to_svg()}\n</figure>')
    return "\n".join(out) + "\n" if out else ""
