"""Explaining training: every number of a step recorded, built into a document, written in any
format.

Data flows one way -- record -> document -> text / Markdown / HTML / JSON:

* :mod:`.record` -- :func:`trace` (one step) and :func:`trace_steps` (several) run the engine's
  own steps under observers of the layers and of the optimiser and keep every number
  (:class:`Trace`, :class:`LayerTrace` for a Dense and its activation, ``ModuleTrace`` for any
  other layer, ``OptimizerTrace`` for what the optimiser did; :class:`Steps`);
  ``Trace.to_dict()`` is the JSON;
* :mod:`.spec` -- a network and its training steps written down as JSON (``backprop example
  --spec``): any optimiser, schedule, clipping, layer type, frozen parameters, several steps;
* :mod:`.formula` reads any formula by a small grammar (never as Python) and :mod:`.graph`
  records its computational graph -- :func:`chain` evaluates it with the operations of
  :mod:`.operations` (and the registered activations), differentiates it in reverse mode and
  keeps every value, local derivative and gradient (:class:`Chain`); :mod:`.chain_rule` builds
  the document of its chain rule and :mod:`.graph_diagram` draws the graph (mermaid or SVG);
* :mod:`.worksheet` lists every number of a spec's steps with the rules between them, written
  with the engine's pieces so that they recompute a learner's numbers from the learner's own;
  :mod:`.answers` reads a learner's numbers (keeping the decimals they wrote),
  :mod:`.marking` marks them (:func:`check`: right, wrong, or wrong only because of an earlier
  number) and :mod:`.misconceptions` names the wrong rule a wrong number shows;
  :mod:`.feedback` builds the marker's report;
* :mod:`.topics` -- the exercise topics (what network, which numbers asked, how they are drawn)
  and :mod:`.sheets` -- :func:`exercises` draws one sheet per student and builds the sheet and
  its key (the answers, the derivation, the JSON ``backprop check`` reads);
* :mod:`.steps` -- builds the :class:`~.document.Document` of the article's steps 1-10 from a
  trace, with the optimiser's update, batch norm and dropout explained in their own words;
  :mod:`.run_report` builds the document of a saved training run (``backprop report``);
* what they build with: :mod:`.notation` (math fragments as LaTeX and text, and the templates
  activations and losses write themselves in), :mod:`.words` (one table of words per language,
  shared with the labs), :mod:`.diagram` (the network as mermaid or SVG);
* :mod:`.document` -- the document model: headings, paragraphs, equations, tables, images and
  the diagram, in no format;
* the writers, each turning a document into its format: :mod:`.text`, :mod:`.markdown`,
  :mod:`.html` (math as MathML, the network as SVG) and :mod:`.page` (the self-contained HTML
  page around it, or a notebook fragment).

Recording never formats, building never computes a gradient, and a writer never reads a trace:
``Trace.to_text()`` and its siblings import the builder and a writer when called, and nothing on
that side imports the recording back.
"""

from .formula import FormulaError
from .graph import Chain, chain
from .marking import Marking, check
from .misconceptions import MISCONCEPTIONS, Misconception, register_misconception
from .record import LayerTrace, Steps, Trace, trace, trace_steps
from .sheets import Exercise, exercises
from .topics import TOPICS, Topic, register_topic
from .words import LANGUAGES

__all__ = ["LANGUAGES", "MISCONCEPTIONS", "TOPICS", "Chain", "Exercise", "FormulaError",
           "LayerTrace", "Marking", "Misconception", "Steps", "Topic", "Trace", "chain", "check",
           "exercises", "register_misconception", "register_topic", "trace", "trace_steps"]
