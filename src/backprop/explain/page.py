"""The page around a document: one self-contained HTML file, or a fragment for Jupyter.

:func:`write_page` writes a :class:`~.document.Document` with :mod:`.html` and puts it in a page
that holds everything it needs: the style sheet inline, images as ``data:`` URIs, math as MathML
(typeset by the browser, no JavaScript), no fonts or links fetched from anywhere. The style
rules are scoped to ``.backprop-report`` so the fragment shown in a notebook leaves the
notebook's own styling alone.
"""

from __future__ import annotations

import html

from .._version import __version__
from .document import Document, Heading
from .html import to_html
from .words import words

CSS = """
.backprop-report {
  --ink: #1f2937; --muted: #4b5563; --rule: #e5e7eb; --accent: #2563eb; --panel: #f8fafc;
  color: var(--ink); line-height: 1.55; max-width: 70rem; margin: 0 auto;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans",
    sans-serif;
  font-size: 16px;
}
.backprop-report h1 { font-size: 1.8rem; margin: 0 0 1rem; line-height: 1.25; }
.backprop-report h2 {
  font-size: 1.3rem; margin: 2.2rem 0 0.8rem; padding-bottom: 0.3rem;
  border-bottom: 1px solid var(--rule);
}
.backprop-report h3 { font-size: 1.1rem; margin: 1.6rem 0 0.6rem; }
.backprop-report p, .backprop-report ul, .backprop-report ol { margin: 0.6rem 0; }
.backprop-report code, .backprop-report pre {
  font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace;
  font-size: 0.9em;
}
.backprop-report code { background: var(--panel); padding: 0.05em 0.3em; border-radius: 3px; }
.backprop-report pre {
  background: var(--panel); border: 1px solid var(--rule); border-radius: 6px;
  padding: 0.8rem 1rem; overflow-x: auto;
}
.backprop-report pre code { background: none; padding: 0; }
.backprop-report table { border-collapse: collapse; margin: 0.8rem 0; font-size: 0.95em; }
.backprop-report th, .backprop-report td {
  border: 1px solid var(--rule); padding: 0.35rem 0.7rem; text-align: left;
  vertical-align: top;
}
.backprop-report th { background: var(--panel); font-weight: 600; }
.backprop-report tbody tr:nth-child(even) { background: #fcfcfd; }
.backprop-report img { max-width: 100%; height: auto; }
.backprop-report figure, .backprop-report .diagram { margin: 1rem 0; }
.backprop-report .diagram {
  background: #fff; border: 1px solid var(--rule); border-radius: 8px; padding: 0.6rem;
  overflow-x: auto; text-align: center;
}
.backprop-report hr { border: 0; border-top: 1px solid var(--rule); margin: 2rem 0; }
.backprop-report footer { margin-top: 3rem; color: var(--muted); font-size: 0.85rem; }
/* math: MathML typeset by the browser. Display blocks scroll sideways instead of overflowing.
   split's columns are aligned right | left as in LaTeX. MathML Core ignores columnalign (Firefox
   reads it); Chromium lays a cell's row out by text-align, but only its -webkit- values. */
.backprop-report math {
  font-family: "STIX Two Math", "Cambria Math", "Latin Modern Math", "DejaVu Math TeX Gyre",
    math;
  font-size: 1.08em;
}
.backprop-report .math-display {
  overflow-x: auto; overflow-y: hidden; margin: 0.7rem 0; padding: 0.5rem 0.8rem;
  background: var(--panel); border-left: 3px solid var(--accent); border-radius: 0 6px 6px 0;
}
.backprop-report .math-display math { display: block; text-align: left; }
.backprop-report mtd[columnalign="right"] { text-align: right; text-align: -webkit-right; }
.backprop-report mtd[columnalign="left"] { text-align: left; text-align: -webkit-left; }
/* split's columns touch, as the & of LaTeX does (the browser pads every cell by default);
   matrices (no columnspacing attribute) keep their padding */
.backprop-report mtable[columnspacing="0em"] > mtr > mtd { padding: 0.25em 0; }
.backprop-report [mathvariant="bold"] { font-weight: bold; }
.backprop-report .nowrap { white-space: nowrap; }
""".strip()

PAGE_CSS = """
html { background: #fff; }
body { margin: 0; padding: 2rem 1.25rem 3rem; }
@media print {
  /* paper is narrower than a screen: smaller type and tighter tables (an exercise sheet fits
     two A4 pages) */
  html { font-size: 13px; }
  body { padding: 0; }
  .backprop-report { font-size: 13px; }
  .backprop-report th, .backprop-report td { padding: 0.2rem 0.6rem; }
  .backprop-report .math-display { overflow: visible; }
  /* several documents on one page (backprop exercise's sheets): each prints from a new page */
  .backprop-report h1:not(:first-of-type) { break-before: page; }
}
""".strip()


def _footer(text: str) -> str:
    return f"<footer>{html.escape(text)}</footer>"


def _fragment(body: str) -> str:
    """``body`` in a scoped ``<div>`` with its style sheet, for a notebook cell."""
    return (f'<div class="backprop-report">\n<style>\n{CSS}\n</style>\n{body}</div>\n')


def _page(body: str, *, title: str, lang: str) -> str:
    """A complete UTF-8 HTML page around ``body`` (HTML), titled ``title`` (plain text)."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{html.escape(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="backprop {__version__}">\n'
        f"<title>{html.escape(title)}</title>\n"
        f"<style>\n{PAGE_CSS}\n{CSS}\n</style>\n</head>\n<body>\n"
        f'<main class="backprop-report">\n{body}</main>\n</body>\n</html>\n'
    )


def write_page(doc: Document, lang: str = "en", *, full: bool = True) -> str:
    """``doc`` as one self-contained HTML page, or as a fragment for a notebook cell.

    Parameters
    ----------
    doc : Document
        Its first heading is the page's title.
    lang : str
        The page's language (``<html lang="...">``) and the words of its footer.
    full : bool
        A complete page (``<!DOCTYPE html>``, a footer saying what wrote it); False gives a
        styled ``<div>`` instead.

    Raises
    ------
    ImportError
        When the document has math and latex2mathml is not installed.
    """
    footer = words(lang)["page_footer"]  # an unknown language fails before any typesetting
    body = to_html(doc)
    if not full:
        return _fragment(body)
    title = next((b.text for b in doc.blocks if isinstance(b, Heading)), "backprop")
    body += _footer(footer.format(version=__version__)) + "\n"
    return _page(body, title=title, lang=lang)
