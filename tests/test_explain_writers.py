"""The plain-text and Markdown writers say what a document says, block by block; every writer
takes the same document (a trace's steps, a run's report)."""

from __future__ import annotations

import re

import backprop as bp
from backprop.explain.document import Code, Document, Paragraph, Row, Strong
from backprop.explain.markdown import to_markdown
from backprop.explain.notation import lit
from backprop.explain.run_report import run_document
from backprop.explain.text import to_text

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(8))


def sample() -> Document:
    doc = Document()
    doc.heading(1, "Title")
    doc.para("so {x}, with a_b * c | d", x=lit("x^{2}", "x²"))
    doc.blocks.append(Paragraph([Code("a`b"), " ", Strong("bold")]))
    doc.equations([Row(lit("a"), [lit("1"), lit("1")]), Row(lit("bb"), [lit("2")])])
    doc.table(["name", "n"], [["dense", "12"], [Strong("Total"), Strong("1,234")]],
              align=(None, "right"))
    doc.image(PNG, "a plot")
    return doc


def test_text():
    assert to_text(sample()) == (
        "Title\n=====\n\n"
        "so x², with a_b * c | d\n\n"
        "a`b bold\n\n"
        "    a  = 1\n    bb = 2\n\n"
        "name       n\n-----  -----\ndense     12\nTotal  1,234\n\n"
        "[a plot]\n")


def test_markdown():
    md = to_markdown(sample())
    assert md.startswith("# Title\n\nso $x^{2}$, with a\\_b \\* c \\| d\n\n``a`b`` **bold**\n\n")
    assert "$$\n\\begin{split}\na &= 1 \\\\\nbb &= 2\n\\end{split}\n$$\n" in md
    assert "| name | n |\n| --- | ---: |\n| dense | 12 |\n| **Total** | **1,234** |\n" in md
    assert md.endswith("![a plot](data:image/png;base64,iVBORw0KGgoAAQIDBAUGBw==)\n")


def test_a_run_report_is_a_document_every_writer_takes(tmp_path):
    model = tmp_path / "plain.npz"
    net = bp.Sequential(bp.Dense(3, 4, rng=0), bp.ReLU(), bp.Dense(4, 1, rng=1))
    bp.save(model, net)
    doc = run_document(model)
    text, md = to_text(doc), to_markdown(doc)
    assert "no training record" in text and "`plain.npz`" in md
    assert re.search(rf"\n +Total +{net.n_params:,}\n", text)
    assert f"**{net.n_params:,}**" in md and "```mermaid" in md
