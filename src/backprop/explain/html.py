r"""A small Markdown-to-HTML converter for the Markdown this package writes, with LaTeX math
typeset as MathML at build time (latex2mathml), so the page needs no JavaScript.

Supported, and nothing more:

* ATX headings ``#`` ... ``######``; paragraphs (lines joined); a thematic break ``---``;
* lists, one level: ``- item`` / ``* item`` / ``+ item`` and ``1. item``;
* pipe tables with a ``|---|:--:|--:|`` separator row (alignment kept);
* fenced code blocks (````` ``` ````` or ``~~~``) with an optional language; a caller-supplied
  ``fence`` function may render a block itself (the network diagram's mermaid text becomes an
  SVG);
* display math ``$$ ... $$`` as a block of its own lines, inline math ``$...$``;
* ``**strong**``, ``*emphasis*`` (also with ``_``), ```code```, ``![alt](src)`` images and
  backslash escapes of ASCII punctuation (``\$`` is a dollar sign, not math).

Math, code spans, escapes and images are cut out of the text *before* anything else is parsed
and put back last, so a ``*`` or ``_`` inside LaTeX never turns into emphasis and a ``$`` inside
code is never math. Raw HTML in the source is escaped, not passed through.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable

#: renders one fenced block: ``fence(language, code)`` -> HTML, or None for the default
#: ``<pre><code>``
Fence = Callable[[str, str], "str | None"]

_INSTALL_HINT = "pip install 'backprop[report]'"
_PUNCT = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
# placeholders for cut-out pieces; the two control characters never survive from the input
_OPEN, _CLOSE = "\x02", "\x03"
_TRAILING = ".,;:!?)"
_SLOT = re.compile(_OPEN + r"(\d+)" + _CLOSE)

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_HR = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[ \t]*([\w+-]*)[ \t]*$")
_BULLET = re.compile(r"^ {0,3}([-*+])[ \t]+(.*)$")
_ORDERED = re.compile(r"^ {0,3}(\d{1,9})[.)][ \t]+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^()\s]+)\)")

_STRONG_EM = re.compile(r"\*\*\*(?=[^\s*])(.+?)(?<=[^\s*])\*\*\*")
_STRONG = (re.compile(r"\*\*(?=[^\s*])(.+?)(?<=[^\s*])\*\*"),
           re.compile(r"(?<![\w])__(?=\S)(.+?)(?<=\S)__(?![\w])"))
_EM = (re.compile(r"(?<!\*)\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?!\*)"),
       re.compile(r"(?<![\w])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w])"))


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
def _find_closing_dollar(text: str, start: int) -> int:
    """Index of the ``$`` closing an inline formula opened just before ``start``, or -1.

    As in pandoc: the formula does not start with a space, does not end with one, and the
    closing ``$`` is not followed by a digit (so ``$5 and $6`` is no formula).
    """
    if start >= len(text) or text[start].isspace():
        return -1
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "$":
            if text[i - 1].isspace() or (i + 1 < len(text) and text[i + 1].isdigit()):
                return -1
            return i
        i += 1
    return -1


def inline(text: str) -> str:
    """Convert one block's inline Markdown to HTML."""
    text = text.replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd")
    slots: list[str] = []

    def slot(fragment: str) -> str:
        slots.append(fragment)
        return f"{_OPEN}{len(slots) - 1}{_CLOSE}"

    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in _PUNCT:
            out.append(slot(html.escape(text[i + 1])))
            i += 2
        elif ch == "`":
            run = len(text[i:]) - len(text[i:].lstrip("`"))
            ticks = text[i:i + run]
            end = text.find(ticks, i + run)
            # a run of backticks closes only an equally long run
            while end != -1 and end + run < n and text[end + run] == "`":
                end = text.find(ticks, end + run + 1)
            if end == -1:
                out.append(html.escape(ticks))
                i += run
                continue
            code = text[i + run:end]
            if code.startswith(" ") and code.endswith(" ") and code.strip():
                code = code[1:-1]
            out.append(slot(f"<code>{html.escape(code)}</code>"))
            i = end + run
        elif text.startswith("$$", i):
            end = text.find("$$", i + 2)
            if end == -1:
                out.append("$$")
                i += 2
                continue
            out.append(slot(latex_to_mathml(text[i + 2:end], display=True)))
            i = end + 2
        elif ch == "$":
            end = _find_closing_dollar(text, i + 1)
            if end == -1:
                out.append("$")
                i += 1
                continue
            mathml = latex_to_mathml(text[i + 1:end])
            i = end + 1
            # punctuation right after a formula stays on its line (a browser may break after
            # an inline <math> as after an image)
            tail = len(text[i:]) - len(text[i:].lstrip(_TRAILING))
            if tail:
                mathml = (f'<span class="nowrap">{mathml}{html.escape(text[i:i + tail])}'
                          "</span>")
                i += tail
            out.append(slot(mathml))
        elif ch == "!" and (m := _IMAGE.match(text, i)):
            alt, src = m.group(1), m.group(2)
            out.append(slot(f'<img src="{html.escape(src)}" alt="{html.escape(alt)}">'))
            i = m.end()
        else:
            out.append(html.escape(ch, quote=False))
            i += 1
    result = _STRONG_EM.sub(r"<em><strong>\1</strong></em>", "".join(out))
    for pattern in _STRONG:
        result = pattern.sub(r"<strong>\1</strong>", result)
    for pattern in _EM:
        result = pattern.sub(r"<em>\1</em>", result)
    # put the cut-out pieces back (an escaped character is a slot too, so never emphasis)
    return _SLOT.sub(lambda m: slots[int(m.group(1))], result)


def escape(text: str) -> str:
    """Backslash-escape ``text`` so that :func:`markdown_to_html` shows it literally."""
    return "".join("\\" + ch if ch in "\\`*_$|[]!#<>" else ch for ch in str(text))


# --- tables -----------------------------------------------------------------------------------
def _split_row(line: str) -> list[str]:
    """Cells of a table row; a ``|`` escaped or inside code/math does not split."""
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells, current, i = [], [], 0
    quote: str | None = None  # "`" or "$" while inside a code span or formula
    while i < len(line):
        ch = line[i]
        if ch == "\\" and i + 1 < len(line):
            current.append(line[i:i + 2])
            i += 2
            continue
        if ch in "`$":
            quote = None if quote == ch else (ch if quote is None else quote)
        if ch == "|" and quote is None:
            cells.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    cells.append("".join(current).strip())
    return cells


def _alignments(rule: str) -> list[str | None]:
    out: list[str | None] = []
    for cell in _split_row(rule):
        left, right = cell.startswith(":"), cell.endswith(":")
        out.append("center" if left and right else "right" if right else
                   "left" if left else None)
    return out


def _table(header: str, rule: str, rows: list[str]) -> str:
    align = _alignments(rule)

    def cells(line: str, tag: str) -> str:
        values = _split_row(line)
        values = (values + [""] * len(align))[:len(align)]
        return "".join(
            f"<{tag}" + (f' style="text-align:{a}"' if a else "") + f">{inline(v)}</{tag}>"
            for v, a in zip(values, align, strict=True))

    body = "".join(f"<tr>{cells(r, 'td')}</tr>\n" for r in rows)
    return (f"<table>\n<thead>\n<tr>{cells(header, 'th')}</tr>\n</thead>\n"
            f"<tbody>\n{body}</tbody>\n</table>")


# --- blocks -----------------------------------------------------------------------------------
def _starts_block(line: str) -> bool:
    return bool(_HEADING.match(line) or _FENCE.match(line) or _HR.match(line)
                or _BULLET.match(line) or _ORDERED.match(line) or line.strip().startswith("$$"))


def _display_math(lines: list[str], i: int) -> tuple[str, int]:
    """The ``$$ ... $$`` block starting at line ``i``: its LaTeX and the next line's index."""
    first = lines[i].strip()[2:]
    if first.rstrip().endswith("$$"):
        return first.rstrip()[:-2], i + 1
    body = [first]
    for j in range(i + 1, len(lines)):
        stripped = lines[j].rstrip()
        if stripped.endswith("$$"):
            body.append(stripped[:-2])
            return "\n".join(body), j + 1
        body.append(lines[j])
    raise ValueError(f"display math opened with $$ on line {i + 1} is never closed")


def markdown_to_html(md: str, *, fence: Fence | None = None) -> str:
    """Convert Markdown (the subset in this module's docstring) to an HTML fragment.

    Parameters
    ----------
    md : str
    fence : callable, optional
        ``fence(language, code)`` returns the HTML of a fenced block, or None to write it as
        ``<pre><code>``.

    Returns
    -------
    str
        HTML, one block per line group; display math is ``<div class="math-display">`` around a
        ``<math display="block">``.

    Raises
    ------
    ValueError
        For a ``$$`` display block that is never closed.
    ImportError
        When the text has math and latex2mathml is not installed.
    """
    lines = md.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        if m := _FENCE.match(line):
            marker, lang = m.group(1), m.group(2)
            body = []
            i += 1
            while i < len(lines):
                close = lines[i].strip()
                if close.startswith(marker[0] * len(marker)) and not close.strip(marker[0]):
                    i += 1
                    break
                body.append(lines[i])
                i += 1
            code = "\n".join(body)
            rendered = fence(lang, code) if fence is not None else None
            if rendered is None:
                cls = f' class="language-{html.escape(lang)}"' if lang else ""
                rendered = f"<pre><code{cls}>{html.escape(code, quote=False)}</code></pre>"
            out.append(rendered)
            continue
        if line.strip().startswith("$$"):
            tex, i = _display_math(lines, i)
            out.append(f'<div class="math-display">{latex_to_mathml(tex, display=True)}</div>')
            continue
        if m := _HEADING.match(line):
            level = len(m.group(1))
            out.append(f"<h{level}>{inline(m.group(2))}</h{level}>")
            i += 1
            continue
        if (i + 1 < len(lines) and "|" in line and _TABLE_RULE.match(lines[i + 1])
                and "-" in lines[i + 1]
                and len(_split_row(lines[i + 1])) == len(_split_row(line))):
            header, rule = line, lines[i + 1]
            i += 2
            rows = []
            while i < len(lines) and lines[i].strip() and "|" in lines[i]:
                rows.append(lines[i])
                i += 1
            out.append(_table(header, rule, rows))
            continue
        if _HR.match(line):
            out.append("<hr>")
            i += 1
            continue
        item = _BULLET.match(line) or _ORDERED.match(line)
        if item:
            ordered = _ORDERED.match(line) is not None
            pattern = _ORDERED if ordered else _BULLET
            start = int(item.group(1)) if ordered else 1
            items: list[list[str]] = []
            while i < len(lines) and lines[i].strip():
                m = pattern.match(lines[i])
                if m:
                    items.append([m.group(2)])
                elif _starts_block(lines[i]):
                    break
                else:
                    items[-1].append(lines[i].strip())  # a continuation line of the item
                i += 1
            tag = "ol" if ordered else "ul"
            attr = f' start="{start}"' if ordered and start != 1 else ""
            body = "".join(f"<li>{inline(' '.join(parts))}</li>\n" for parts in items)
            out.append(f"<{tag}{attr}>\n{body}</{tag}>")
            continue
        para = [line.strip()]
        i += 1
        while i < len(lines) and lines[i].strip() and not _starts_block(lines[i]):
            if i + 1 < len(lines) and "|" in lines[i] and _TABLE_RULE.match(lines[i + 1]):
                break
            para.append(lines[i].strip())
            i += 1
        out.append(f"<p>{inline(chr(10).join(para))}</p>")
    return "\n".join(out) + "\n" if out else ""
