"""Explaining a training step: recorded once, built into a document, written in any format.

Data flows one way -- record -> document -> text / Markdown / HTML / JSON:

* :mod:`.record` -- :func:`trace` runs the engine's own step under an observer and keeps every
  number (:class:`Trace`, :class:`LayerTrace`); ``Trace.to_dict`` is the JSON;
* :mod:`.spec` -- networks written down as JSON (``backprop example --spec``);
* :mod:`.steps` -- builds the :class:`~.document.Document` of the article's steps 1-10 from a
  trace, with the formulas of :mod:`.notation`, the words of :mod:`.words` and the picture of
  :mod:`.diagram`;
* :mod:`.run_report` -- builds the document of a saved training run (``backprop report``);
* :mod:`.document` -- the document model: blocks of words and math, no format;
* writers, each turning a document into its format: :mod:`.text`, :mod:`.markdown`,
  :mod:`.html` (MathML and SVG), and :mod:`.page`, the self-contained HTML page around it.

Recording never formats, building never computes a gradient, and writing never reads a trace.
"""

from .record import LayerTrace, Trace, trace
from .words import LANGUAGES

__all__ = ["LANGUAGES", "LayerTrace", "Trace", "trace"]
