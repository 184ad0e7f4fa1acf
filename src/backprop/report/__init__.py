"""Offline HTML: one self-contained file (inline style, MathML, SVG, PNG ``data:`` URIs, no
JavaScript, no URLs), readable without a network connection or a math renderer.

* :func:`trace_to_html` -- the explanation of one training step (``backprop example --format
  html``; ``Trace.to_html``; ``Trace._repr_html_`` in Jupyter);
* :func:`run_report` / :func:`write_run_report` -- a page for a model saved by
  ``backprop train --save`` (``backprop report``);
* :func:`markdown_to_html` and :func:`latex_to_mathml` -- the converter both are built on.

Needs latex2mathml (``pip install 'backprop[report]'``), and matplotlib for the run report's
curves.
"""

from .markdown import latex_to_mathml, markdown_to_html
from .run import run_report, write_run_report
from .trace_html import trace_to_html

__all__ = ["latex_to_mathml", "markdown_to_html", "run_report", "trace_to_html",
           "write_run_report"]
