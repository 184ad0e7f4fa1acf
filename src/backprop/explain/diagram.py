"""The network as a picture: input units, hidden units and output units, joined layer to layer.

:func:`network_diagram` describes the picture once (a :class:`NetworkDiagram`: one column of
units per layer) and it is written two ways:

* :meth:`NetworkDiagram.to_mermaid` -- a ``graph LR`` for Markdown viewers that run mermaid
  (GitHub, JupyterLab with the mermaid extension), one ``subgraph`` per layer as in the article;
* :meth:`NetworkDiagram.to_svg` -- an inline SVG drawn here (circles, lines, layer titles), for
  the offline HTML pages, which run no JavaScript.

A layer wider than :data:`MAX_UNITS` shows its first and last :data:`SHOWN_EACH_SIDE` units and
one "⋮" unit that stands for the ones in between, so a 784-256-10 network stays readable.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..layers.base import LAYERS
from .notation import value
from .words import name_of, words

if TYPE_CHECKING:
    from .record import Trace

#: layers with more units than this are drawn with their middle units collapsed into one
MAX_UNITS = 8
#: units drawn on each side of the collapsed middle of a wide layer
SHOWN_EACH_SIDE = 3

_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")

# SVG geometry (pixels): column spacing, row spacing, node radius, room for the titles on top,
# room on the sides for the titles of the first/last column and the input values
_COL_GAP, _ROW_GAP, _R, _TOP, _SIDE, _BOTTOM = 190, 50, 18, 62, 105, 12
_STYLE = {
    "input": ("#dbeafe", "#2563eb"),
    "hidden": ("#fef3c7", "#d97706"),
    "output": ("#dcfce7", "#16a34a"),
}
_SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"
_SERIF = "'Cambria Math', 'STIX Two Math', 'Latin Modern Math', Georgia, 'DejaVu Serif', serif"


@dataclass(frozen=True)
class Unit:
    """One drawn unit: ``base`` with subscript ``sub`` (``x`` and ``1`` for :math:`x_1`).

    ``value`` is a given input value written beside the unit; a collapsed unit has ``more``
    (e.g. ``"58 more"``) instead of a name.
    """

    base: str
    sub: str = ""
    value: str | None = None
    more: str | None = None

    @property
    def collapsed(self) -> bool:
        return self.more is not None

    def label(self) -> str:
        """Plain UTF-8 label, ``x₁ = 0.2``, ``a₃`` or ``⋮ 58 more``."""
        if self.more is not None:
            return f"⋮ {self.more}"
        name = self.base + self.sub.translate(_SUBSCRIPT)
        return name if self.value is None else f"{name} = {self.value}"


@dataclass(frozen=True)
class Column:
    """One layer: ``kind`` is ``"input"``, ``"hidden"`` or ``"output"``; ``width`` its true
    number of units (``len(units)`` is smaller when the middle is collapsed)."""

    kind: str
    title: str
    subtitle: str
    width: int
    units: tuple[Unit, ...]


@dataclass(frozen=True)
class NetworkDiagram:
    columns: tuple[Column, ...]
    description: str

    @property
    def widths(self) -> list[int]:
        return [c.width for c in self.columns]

    # --- mermaid --------------------------------------------------------------------------------
    def to_mermaid(self) -> str:
        """``graph LR`` text: one ``subgraph`` per layer, every unit joined to every unit of the
        next layer (dotted when a collapsed unit is involved)."""
        lines = ["graph LR"]
        for c, col in enumerate(self.columns):
            title = col.title + (f" · {col.subtitle}" if col.subtitle else "")
            lines.append(f'  subgraph L{c}["{_mermaid_text(title)}"]')
            for k, unit in enumerate(col.units):
                label = _mermaid_text(unit.label())
                if unit.collapsed:
                    shape = f'["{label}"]'
                elif col.kind == "input":
                    shape = f'(["{label}"])'  # stadium, as the article draws inputs
                else:
                    shape = f'(("{label}"))'
                lines.append(f"    {_node_id(c, k)}{shape}")
            lines.append("  end")
        for c in range(len(self.columns) - 1):
            left, right = self.columns[c].units, self.columns[c + 1].units
            for i, a in enumerate(left):
                for j, b in enumerate(right):
                    arrow = "-.->" if a.collapsed or b.collapsed else "-->"
                    lines.append(f"  {_node_id(c, i)} {arrow} {_node_id(c + 1, j)}")
        return "\n".join(lines)

    # --- SVG ------------------------------------------------------------------------------------
    def to_svg(self) -> str:
        """An inline SVG (no ``xmlns``: it is meant for HTML, where inline SVG needs none)."""
        rows = max(len(col.units) for col in self.columns)
        width = 2 * _SIDE + (len(self.columns) - 1) * _COL_GAP
        height = _TOP + rows * _ROW_GAP + _BOTTOM
        centres = [[(_SIDE + c * _COL_GAP,
                     _TOP + (rows - len(col.units)) * _ROW_GAP / 2 + (k + 0.5) * _ROW_GAP)
                    for k in range(len(col.units))] for c, col in enumerate(self.columns)]
        desc = html.escape(self.description)
        out = [f'<svg class="network" role="img" aria-label="{desc}" width="{width}" '
               f'height="{height:g}" viewBox="0 0 {width} {height:g}" '
               f'style="max-width:100%;height:auto">', f"<title>{desc}</title>"]
        # edges first, so the units are drawn over them
        for c in range(len(self.columns) - 1):
            for i, (x1, y1) in enumerate(centres[c]):
                for j, (x2, y2) in enumerate(centres[c + 1]):
                    dashed = self.columns[c].units[i].collapsed or \
                        self.columns[c + 1].units[j].collapsed
                    out.append(f'<line x1="{x1 + _R:g}" y1="{y1:g}" x2="{x2 - _R:g}" y2="{y2:g}" '
                               f'stroke="#94a3b8" stroke-width="1"'
                               + (' stroke-dasharray="3 3"' if dashed else "") + "/>")
        for c, col in enumerate(self.columns):
            x = _SIDE + c * _COL_GAP
            out.append(f'<text x="{x}" y="18" text-anchor="middle" font-family="{_SANS}" '
                       f'font-size="13" font-weight="600" fill="#1f2937">'
                       f"{html.escape(col.title)}</text>")
            if col.subtitle:
                out.append(f'<text x="{x}" y="36" text-anchor="middle" font-family="{_SANS}" '
                           f'font-size="12" fill="#4b5563">{html.escape(col.subtitle)}</text>')
            fill, stroke = _STYLE[col.kind]
            for unit, (cx, cy) in zip(col.units, centres[c], strict=True):
                out.extend(_svg_unit(unit, cx, cy, fill, stroke))
        out.append("</svg>")
        return "\n".join(out)


def _svg_unit(unit: Unit, cx: float, cy: float, fill: str, stroke: str) -> list[str]:
    if unit.collapsed:
        # a dashed unit standing for many; its label gets a white halo (the stroke, painted
        # under the letters) so the edges behind it do not cross the words
        return [f'<circle cx="{cx:g}" cy="{cy:g}" r="{_R}" fill="#ffffff" stroke="{stroke}" '
                f'stroke-width="1.2" stroke-dasharray="3 2"/>',
                f'<text x="{cx:g}" y="{cy + 7:g}" text-anchor="middle" font-family="{_SERIF}" '
                f'font-size="20" fill="#4b5563">⋮</text>',
                f'<text x="{cx:g}" y="{cy + _R + 12:g}" text-anchor="middle" '
                f'font-family="{_SANS}" font-size="11" fill="#374151" stroke="#ffffff" '
                f'stroke-width="4" paint-order="stroke">{html.escape(unit.more or "")}</text>']
    parts = [f'<circle cx="{cx:g}" cy="{cy:g}" r="{_R}" fill="{fill}" stroke="{stroke}" '
             f'stroke-width="1.5"/>',
             # the subscript is a smaller tspan moved down; nothing follows it, so no reset
             f'<text x="{cx:g}" y="{cy + 5:g}" text-anchor="middle" font-family="{_SERIF}" '
             f'font-size="16" fill="#111827"><tspan font-style="italic">'
             f'{html.escape(unit.base)}</tspan><tspan font-size="11" dy="4">'
             f"{html.escape(unit.sub)}</tspan></text>"]
    if unit.value is not None:
        parts.append(f'<text x="{cx - _R - 6:g}" y="{cy + 4:g}" text-anchor="end" '
                     f'font-family="{_SANS}" font-size="12" fill="#1e3a8a">'
                     f"{html.escape(unit.value)}</text>")
    return parts


def _node_id(column: int, k: int) -> str:
    return f"L{column}_{k + 1}"


def _mermaid_text(text: str) -> str:
    # a double quote would end mermaid's quoted label; mermaid reads #quot; as the character
    return text.replace('"', "#quot;")


def _units(base: str, width: int, more: str, values: Sequence[str] | None) -> tuple[Unit, ...]:
    def unit(k: int) -> Unit:
        return Unit(base, str(k + 1), None if values is None else values[k])

    if width <= MAX_UNITS:
        return tuple(unit(k) for k in range(width))
    hidden = width - 2 * SHOWN_EACH_SIDE
    return (*(unit(k) for k in range(SHOWN_EACH_SIDE)),
            Unit(base, more=more.format(n=hidden)),
            *(unit(k) for k in range(width - SHOWN_EACH_SIDE, width)))


def network_diagram(widths: Sequence[int], activations: Sequence[str], *, lang: str = "en",
                    inputs: Sequence[float] | None = None) -> NetworkDiagram:
    """Describe a fully connected network layer by layer.

    Parameters
    ----------
    widths : sequence of int, length L + 1
        Units per layer, the input first: ``(2, 2, 1)`` for the article's network.
    activations : sequence of str, length L
        Activation of each layer after the input (``"sigmoid"``, ``"relu"``, ...; a name that is
        not registered is shown as it is).
    lang : str
        A registered language (``"en"``, ``"vi"``): the words of the layer titles.
    inputs : sequence of float, length ``widths[0]``, optional
        One sample's input, written beside the input units (``x₁ = 0.2``).

    Returns
    -------
    NetworkDiagram
    """
    S = words(lang)
    widths = list(widths)
    if len(widths) < 2 or any(not isinstance(w, int) or isinstance(w, bool) or w < 1
                              for w in widths):
        raise ValueError(f"widths must be two or more positive integers, got {widths!r}")
    if len(activations) != len(widths) - 1:
        raise ValueError(f"need one activation per layer after the input ({len(widths) - 1}), "
                         f"got {list(activations)!r}")
    values = None
    if inputs is not None:
        if len(inputs) != widths[0]:
            raise ValueError(f"inputs must have {widths[0]} values, got {list(inputs)!r}")
        values = [value(v).text for v in inputs]

    def units_word(n: int) -> str:
        return S["diagram_one_unit"] if n == 1 else S["diagram_units"].format(n=n)

    L = len(widths) - 1
    columns = [Column("input", S["diagram_input"], units_word(widths[0]), widths[0],
                      _units("x", widths[0], S["diagram_more"], values))]
    for l in range(1, L + 1):
        name = activations[l - 1]
        act = name_of(LAYERS.get(name, name), lang)
        if l < L:
            kind, title, base = "hidden", S["diagram_hidden"].format(l=f"[{l}]"), "a"
        else:
            kind, title, base = "output", S["diagram_output"], "ŷ"
        columns.append(Column(kind, title, f"{act} · {units_word(widths[l])}", widths[l],
                              _units(base, widths[l], S["diagram_more"], None)))
    description = S["diagram_alt"].format(widths="-".join(map(str, widths)))
    return NetworkDiagram(tuple(columns), description)


def trace_diagram(tr: Trace, lang: str = "en") -> NetworkDiagram:
    """The diagram of a traced network; one sample's input values are written in."""
    widths = [tr.layers[0].n_in] + [t.n_out for t in tr.layers]
    inputs = tr.x[0].tolist() if tr.single_sample else None
    return network_diagram(widths, [t.activation for t in tr.layers], lang=lang, inputs=inputs)
