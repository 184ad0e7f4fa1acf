"""The network diagram: one node per unit (wide layers collapsed), every unit joined to every unit
of the next layer, in the mermaid text and in the SVG alike."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter

import numpy as np
import pytest

import backprop as bp
from backprop.explain.diagram import MAX_UNITS, SHOWN_EACH_SIDE, network_diagram

# (widths, activations)
NETWORKS = [
    ((2, 2, 1), ("sigmoid", "sigmoid")),
    ((3, 4, 3, 2), ("tanh", "relu", "identity")),
    ((MAX_UNITS, MAX_UNITS), ("relu",)),                       # exactly at the limit: all drawn
    ((MAX_UNITS + 1, 3, 1), ("relu", "sigmoid")),              # one over: collapsed
    ((784, 256, 128, 10), ("relu", "relu", "identity")),
    ((1, 20, 1), ("leaky_relu", "identity")),
]


def pairs(widths):
    """Consecutive layers (a, b)."""
    return list(zip(widths[:-1], widths[1:], strict=True))


def drawn(width: int) -> int:
    """Nodes a layer of ``width`` units should get."""
    return width if width <= MAX_UNITS else 2 * SHOWN_EACH_SIDE + 1


def mermaid_nodes(text: str) -> list[list[str]]:
    """Node definitions of each subgraph, in order."""
    layers, current = [], None
    for line in text.splitlines():
        if line.strip().startswith("subgraph"):
            current = []
            layers.append(current)
        elif line.strip() == "end":
            current = None
        elif current is not None:
            current.append(line.strip())
    return layers


@pytest.mark.parametrize("widths, acts", NETWORKS, ids=["-".join(map(str, w)) for w, _ in NETWORKS])
def test_mermaid_has_one_node_per_drawn_unit_and_all_edges(widths, acts):
    text = network_diagram(widths, acts).to_mermaid()
    assert text.startswith("graph LR\n")
    layers = mermaid_nodes(text)
    assert [len(nodes) for nodes in layers] == [drawn(w) for w in widths]
    edges = [line for line in text.splitlines() if "-->" in line or "-.->" in line]
    assert len(edges) == sum(drawn(a) * drawn(b) for a, b in pairs(widths))
    assert len(set(edges)) == len(edges)
    for c, (nodes, width) in enumerate(zip(layers, widths, strict=True)):
        ids = [re.match(r"(L\d+_\d+)", n).group(1) for n in nodes]
        assert all(i.startswith(f"L{c}_") for i in ids)
        if width > MAX_UNITS:
            # first and last units by their numbers, one "⋮ N more" in the middle
            middle = nodes[SHOWN_EACH_SIDE]
            assert f"⋮ {width - 2 * SHOWN_EACH_SIDE} more" in middle
            assert f"{width}".translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")) in nodes[-1]
            dotted = [e for e in edges if f"L{c}_{SHOWN_EACH_SIDE + 1} " in e + " "]
            assert dotted and all("-.->" in e for e in dotted)
        else:
            assert not any("more" in n for n in nodes)


@pytest.mark.parametrize("widths, acts", NETWORKS, ids=["-".join(map(str, w)) for w, _ in NETWORKS])
def test_svg_has_one_circle_per_drawn_unit_and_a_line_per_edge(widths, acts):
    svg = network_diagram(widths, acts).to_svg()
    assert "http" not in svg and "<script" not in svg
    root = ET.fromstring(svg)  # well-formed XML as well as HTML
    circles = root.findall("circle")
    by_column = Counter(float(c.get("cx")) for c in circles)
    assert [by_column[x] for x in sorted(by_column)] == [drawn(w) for w in widths]
    lines = root.findall("line")
    assert len(lines) == sum(drawn(a) * drawn(b) for a, b in pairs(widths))
    dashed = [ln for ln in lines if ln.get("stroke-dasharray")]
    # a collapsed layer has one node whose edges are all dashed
    solid = [drawn(w) if w <= MAX_UNITS else drawn(w) - 1 for w in widths]
    expected_solid = sum(a * b for a, b in pairs(solid))
    assert len(lines) - len(dashed) == expected_solid
    titles = [t.text for t in root.findall("text") if t.get("font-weight") == "600"]
    assert titles[0] == "Input layer" and titles[-1] == "Output layer"
    assert titles[1:-1] == [f"Hidden layer [{l}]" for l in range(1, len(widths) - 1)]


def test_input_values_and_languages():
    d = network_diagram((2, 2, 1), ("sigmoid", "sigmoid"), inputs=[0.2, 0.4])
    assert '"x₁ = 0.2"' in d.to_mermaid() and '"x₂ = 0.4"' in d.to_mermaid()
    assert ">0.2</text>" in d.to_svg()
    vi = network_diagram((2, 2, 1), ("sigmoid", "sigmoid"), lang="vi")
    assert "Lớp đầu vào" in vi.to_mermaid() and "Lớp ẩn [1]" in vi.to_svg()
    assert "Input layer" not in vi.to_mermaid() + vi.to_svg()


@pytest.mark.parametrize("kwargs, match", [
    (dict(widths=[2], activations=[]), r"two or more positive integers, got \[2\]"),
    (dict(widths=[2, 0], activations=["relu"]), r"got \[2, 0\]"),
    (dict(widths=[2, 2.5], activations=["relu"]), r"got \[2, 2.5\]"),
    (dict(widths=[2, 3], activations=["relu", "relu"]), r"one activation per layer.*'relu'"),
    (dict(widths=[2, 3], activations=["relu"], inputs=[1.0]), r"2 values, got \[1.0\]"),
])
def test_bad_arguments_name_the_value(kwargs, match):
    with pytest.raises(ValueError, match=match):
        network_diagram(**kwargs)


def test_trace_markdown_has_the_mermaid_block_and_text_has_none():
    net = bp.Sequential(bp.Dense(12, 3, rng=0), bp.Tanh(), bp.Dense(3, 1, rng=1))
    tr = bp.trace(net, bp.SquaredError(), np.ones((2, 12)), np.zeros((2, 1)), lr=0.1)
    md = tr.to_markdown()
    blocks = re.findall(r"^```mermaid\n(.*?)\n```$", md, flags=re.S | re.M)
    assert len(blocks) == 1
    assert [len(n) for n in mermaid_nodes(blocks[0])] == [drawn(12), 3, 1]
    assert "= 1" not in blocks[0]  # a batch: no single input to write in
    assert "mermaid" not in tr.to_text() and "graph LR" not in tr.to_text()


def test_quotes_in_words_cannot_end_a_mermaid_label(monkeypatch):
    from backprop.explain import words

    monkeypatch.setitem(words.EN, "diagram_input", 'Input "x"')
    text = network_diagram((2, 1), ("identity",)).to_mermaid()
    assert 'subgraph L0["Input #quot;x#quot; · 2 units"]' in text
