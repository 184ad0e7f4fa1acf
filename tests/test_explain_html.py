"""The HTML writer, one kind of block per case, and LaTeX -> MathML for HTML."""

from __future__ import annotations

import re

import pytest

from backprop.explain.diagram import network_diagram
from backprop.explain.document import Code, Document, Paragraph, Row, Strong
from backprop.explain.html import latex_to_mathml, to_html
from backprop.explain.notation import lit

pytest.importorskip("latex2mathml")

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(8))
PNG_URI = "data:image/png;base64,iVBORw0KGgoAAQIDBAUGBw=="

# (id, how to build the document, fragments the HTML must contain, fragments it must not contain)
CASES = [
    ("heading-1", lambda d: d.heading(1, "Title"), ["<h1>Title</h1>"], ["#"]),
    ("heading-3", lambda d: d.heading(3, "Deep"), ["<h3>Deep</h3>"], []),
    ("heading-escaped", lambda d: d.heading(2, "a < b & c"), ["<h2>a &lt; b &amp; c</h2>"],
     ["a < b"]),
    ("paragraphs-apart", lambda d: (d.para("one"), d.para("two")), ["<p>one</p>\n<p>two</p>"],
     []),
    ("inline-math", lambda d: d.para("so {x} here", x=lit("x^{2}")),
     ['<p>so <math display="inline">', "<msup>", "</math> here</p>"], ["$"]),
    ("math-punctuation-kept-on-line", lambda d: d.para("so {x}, then", x=lit("x")),
     ['<span class="nowrap"><math display="inline">', "</math>,</span> then"], ["</span>,"]),
    ("math-keeps-stars-underscores", lambda d: d.para("{x}", x=lit("a_{1} * b_{2} * c")),
     ["<msub>"], ["<em>", "$", "_{"]),
    ("numbers-in-words", lambda d: d.para("{n} of {m:.1f}", n=3, m=0.25), ["<p>3 of 0.2</p>"],
     []),
    ("dollars-are-words", lambda d: d.para("costs $5 and $6"), ["costs $5 and $6"], ["<math"]),
    ("markup-is-words", lambda d: d.para("**a** _b_ `c` ![d](e) # f"),
     ["<p>**a** _b_ `c` ![d](e) # f</p>"], ["<strong>", "<em>", "<code>", "<img", "<h1>"]),
    ("code-and-strong", lambda d: d.blocks.append(Paragraph([Code("a < b"), " and ",
                                                             Strong("c & d")])),
     ["<p><code>a &lt; b</code> and <strong>c &amp; d</strong></p>"], []),
    ("raw-html-is-escaped", lambda d: d.para("<script>alert(1)</script> & <b>"),
     ["&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"], ["<script", "<b>"]),
    ("equations-are-one-display-block",
     lambda d: d.equations([Row(lit("a"), [lit("1")]), Row(lit("b"), [lit("x"), lit("2")])]),
     ['<div class="math-display"><math display="block">', "<mtable", "</math></div>"],
     ["$", "split", "begin", "\\\\"]),
    ("table-with-alignment",
     lambda d: d.table(["a", "b", "c"], [["1", Code("x|y"), lit("z")]],
                       align=("left", "center", "right")),
     ['<th style="text-align:left">a</th>', '<th style="text-align:center">b</th>',
      '<th style="text-align:right">c</th>', '<td style="text-align:center"><code>x|y</code>',
      '<td style="text-align:right"><math'], ["| a", "--"]),
    ("table-default-alignment-and-empty-cell", lambda d: d.table(["a", "b"], [["x", ""]]),
     ["<table>\n<thead>\n<tr><th>a</th><th>b</th></tr>\n</thead>\n"
      "<tbody>\n<tr><td>x</td><td></td></tr>\n</tbody>\n</table>"], ["style="]),
    ("table-cells-are-escaped", lambda d: d.table(["<i>"], [[Strong("a & b")]]),
     ["<th>&lt;i&gt;</th>", "<td><strong>a &amp; b</strong></td>"], ["<i>"]),
    ("image-as-data-uri", lambda d: d.image(PNG, 'a "plot" <1>'),
     [f'<p><img src="{PNG_URI}" alt="a &quot;plot&quot; &lt;1&gt;"></p>'], ["!["]),
    ("diagram-as-svg", lambda d: d.figure(network_diagram((2, 2, 1), ("sigmoid", "sigmoid"))),
     ['<figure class="diagram">\n<svg class="network"', "</svg>\n</figure>"],
     ["graph LR", "mermaid", "xmlns"]),
]


@pytest.mark.parametrize("build, present, absent", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_block(build, present, absent):
    doc = Document()
    build(doc)
    out = to_html(doc)
    assert out.endswith("\n")
    for fragment in present:
        assert fragment in out, (fragment, out)
    # what must be gone is checked outside the math, whose MathML may hold any character
    text = re.sub(r"<math.*?</math>", "", out, flags=re.S)
    for fragment in absent:
        assert fragment not in text, (fragment, out)


def test_a_chain_step_that_repeats_the_previous_one_is_not_written():
    doc = Document()
    doc.equations([Row(lit("a"), [lit("7"), lit("7"), lit("8")])])
    out = to_html(doc)
    assert out.count("<mn>7</mn>") == 1 and out.count("<mn>8</mn>") == 1


def test_empty_document_is_empty():
    assert to_html(Document()) == ""


def test_an_image_must_be_a_png():
    with pytest.raises(ValueError, match="PNG signature"):
        Document().image(b"GIF89a", "not a png")


@pytest.mark.parametrize("tex, display", [("x^{2}", False), (r"\frac{1}{2}", True)])
def test_mathml_for_html_names_no_namespace_url(tex, display):
    mathml = latex_to_mathml(tex, display=display)
    assert mathml.startswith(f'<math display="{"block" if display else "inline"}">')
    assert "xmlns" not in mathml and "http" not in mathml


@pytest.mark.parametrize("tex, unary", [
    ("(-0.2)", 1), ("a = -1", 1), (r"0.1 \cdot -3", 1), (r"a \leftarrow -b", 1),
    ("a - b", 0), ("(a) - b", 0), ("[1] - 2", 0), ("-x", 0),  # first in its row: already prefix
])
def test_a_sign_is_set_without_binary_spacing(tex, unary):
    mathml = latex_to_mathml(tex)
    assert mathml.count('form="prefix"') == unary
    assert mathml.count("&#x02212;") == 1
