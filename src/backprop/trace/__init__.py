"""The teaching trace: one training step recorded from the engine and explained step by step.

* :mod:`.record` -- :func:`trace` runs the engine's own step under an observer and keeps every
  number (:class:`Trace`, :class:`LayerTrace`);
* :mod:`.render` -- writes the article's steps 1-10 from a trace (text, Markdown + LaTeX), with the
  words from :mod:`.i18n` and the formulas from :mod:`.notation`;
* :mod:`.diagram` -- the network as a picture (mermaid for Markdown, SVG for HTML; the HTML page
  itself is built by :mod:`backprop.report`).

Recording never formats and rendering never computes a gradient.
"""

from .i18n import LANGUAGES
from .record import LayerTrace, Trace, trace

__all__ = ["LANGUAGES", "LayerTrace", "Trace", "trace"]
