"""A formula's computational graph as a picture: one box per node, an arrow per edge.

:class:`GraphDiagram` is described once -- boxes with their lines of words, arranged in
columns by depth, and the edges between them -- and written two ways, like the network's
:class:`~.diagram.NetworkDiagram`: :meth:`~GraphDiagram.to_mermaid` (a ``graph LR`` for
Markdown viewers that run mermaid) and :meth:`~GraphDiagram.to_svg` (an inline SVG drawn here,
for the offline HTML pages, which run no JavaScript). It knows nothing of formulas: the
explanation (:mod:`.chain_rule`) gives it the words of each box.

Columns: an input sits in the first column, an operation one column right of the deepest node
it reads, and a number just left of the first operation that reads it (so the number sits next
to its use instead of far away in the first column).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass

# SVG geometry (pixels): column gap, row gap, line height, padding, width of one character
_COL_GAP, _ROW_GAP, _LINE, _PAD, _CHAR, _MARGIN = 56, 18, 16, 8, 7.2, 12
_STYLE = {
    "input": ("#dbeafe", "#2563eb"),
    "const": ("#f3f4f6", "#6b7280"),
    "op": ("#fef3c7", "#d97706"),
    "output": ("#dcfce7", "#16a34a"),
}
_SANS = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'DejaVu Sans', sans-serif"


@dataclass(frozen=True)
class Box:
    """One node: ``kind`` is ``"input"``, ``"const"``, ``"op"`` or ``"output"``; ``lines`` its
    words, the first in bold; ``inputs`` the positions of the boxes it reads."""

    kind: str
    lines: tuple[str, ...]
    inputs: tuple[int, ...]


@dataclass(frozen=True)
class GraphDiagram:
    boxes: tuple[Box, ...]
    description: str

    # --- layout ---------------------------------------------------------------------------------
    def columns(self) -> list[int]:
        """The column of every box (see the module docstring)."""
        col = [0] * len(self.boxes)
        for k, box in enumerate(self.boxes):  # every box comes after the boxes it reads
            reads = [col[i] for i in box.inputs if self.boxes[i].kind != "const"]
            col[k] = 1 + max(reads) if box.inputs else 0
            if box.inputs and not reads:  # an operation on numbers only
                col[k] = 1
        users: dict[int, list[int]] = {}
        for k, box in enumerate(self.boxes):
            for i in box.inputs:
                users.setdefault(i, []).append(k)
        for k, box in enumerate(self.boxes):
            if box.kind == "const" and users.get(k):
                col[k] = max(0, min(col[u] for u in users[k]) - 1)
        return col

    def _rows(self, col: list[int]) -> dict[int, list[int]]:
        """Boxes of each column, top to bottom: in the order of the rows they read (one pass
        of the barycentre heuristic keeps most arrows short and uncrossed)."""
        by_col: dict[int, list[int]] = {}
        row: dict[int, float] = {}
        for c in sorted(set(col)):
            members = [k for k in range(len(self.boxes)) if col[k] == c]

            def key(k: int) -> tuple[float, int]:
                placed = [row[i] for i in self.boxes[k].inputs if i in row]
                return (sum(placed) / len(placed) if placed else float(k), k)

            members.sort(key=key)
            for r, k in enumerate(members):
                row[k] = r
            by_col[c] = members
        return by_col

    # --- mermaid --------------------------------------------------------------------------------
    def to_mermaid(self) -> str:
        """``graph LR`` text: one node per box (inputs as stadiums), one arrow per edge."""
        lines = ["graph LR"]
        shapes = {"input": ('(["', '"])'), "const": ('["', '"]'), "op": ('("', '")'),
                  "output": ('(["', '"])')}
        for k, box in enumerate(self.boxes):
            left, right = shapes[box.kind]
            label = "<br/>".join(_mermaid_text(line) for line in box.lines)
            lines.append(f"  n{k}{left}{label}{right}")
        for k, box in enumerate(self.boxes):
            for i in box.inputs:
                lines.append(f"  n{i} --> n{k}")
        for kind, (fill, stroke) in _STYLE.items():
            members = [f"n{k}" for k, b in enumerate(self.boxes) if b.kind == kind]
            if members:
                lines.append(f"  classDef {kind} fill:{fill},stroke:{stroke}")
                lines.append(f"  class {','.join(members)} {kind}")
        return "\n".join(lines)

    # --- SVG ------------------------------------------------------------------------------------
    def to_svg(self) -> str:
        """An inline SVG (no ``xmlns``: it is meant for HTML, where inline SVG needs none)."""
        col = self.columns()
        by_col = self._rows(col)
        size = [(max(len(line) for line in b.lines) * _CHAR + 2 * _PAD,
                 len(b.lines) * _LINE + 2 * _PAD - 4) for b in self.boxes]
        widths = {c: max(size[k][0] for k in members) for c, members in by_col.items()}
        xs: dict[int, float] = {}
        x = _MARGIN
        for c in sorted(by_col):
            xs[c] = x
            x += widths[c] + _COL_GAP
        width = x - _COL_GAP + _MARGIN
        heights = {c: sum(size[k][1] for k in m) + _ROW_GAP * (len(m) - 1)
                   for c, m in by_col.items()}
        height = max(heights.values()) + 2 * _MARGIN
        pos: dict[int, tuple[float, float, float, float]] = {}  # x, y, w, h
        for c, members in by_col.items():
            y = _MARGIN + (height - 2 * _MARGIN - heights[c]) / 2
            for k in members:
                w, h = size[k]
                pos[k] = (xs[c] + (widths[c] - w) / 2, y, w, h)
                y += h + _ROW_GAP
        desc = html.escape(self.description)
        out = [f'<svg class="graph" role="img" aria-label="{desc}" width="{width:g}" '
               f'height="{height:g}" viewBox="0 0 {width:g} {height:g}" '
               f'style="max-width:100%;height:auto">', f"<title>{desc}</title>",
               '<defs><marker id="bp-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
               'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
               '<path d="M 0 0 L 10 5 L 0 10 z" fill="#64748b"/></marker></defs>']
        for k, box in enumerate(self.boxes):  # edges first, under the boxes
            x2, y2, _, h2 = pos[k]
            for i in box.inputs:
                x1, y1, w1, h1 = pos[i]
                a, b = (x1 + w1, y1 + h1 / 2), (x2, y2 + h2 / 2)
                mid = (a[0] + b[0]) / 2
                out.append(f'<path d="M {a[0]:g} {a[1]:g} C {mid:g} {a[1]:g}, {mid:g} '
                           f'{b[1]:g}, {b[0]:g} {b[1]:g}" fill="none" stroke="#94a3b8" '
                           f'stroke-width="1.2" marker-end="url(#bp-arrow)"/>')
        for k, box in enumerate(self.boxes):
            x, y, w, h = pos[k]
            fill, stroke = _STYLE[box.kind]
            rx = h / 2 if box.kind in ("input", "output") else 6
            out.append(f'<rect x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" rx="{rx:g}" '
                       f'fill="{fill}" stroke="{stroke}" stroke-width="1.4"/>')
            for j, line in enumerate(box.lines):
                weight = ' font-weight="600"' if j == 0 else ""
                out.append(f'<text x="{x + w / 2:g}" y="{y + _PAD + 8 + j * _LINE:g}" '
                           f'text-anchor="middle" font-family="{_SANS}" font-size="12" '
                           f'fill="#111827"{weight}>{html.escape(line)}</text>')
        out.append("</svg>")
        return "\n".join(out)


def _mermaid_text(text: str) -> str:
    # a double quote would end mermaid's quoted label; mermaid reads #quot; as the character
    return text.replace('"', "#quot;")


def graph_diagram(boxes: Sequence[Box], description: str) -> GraphDiagram:
    """A diagram of ``boxes`` (each after the boxes it reads)."""
    boxes = tuple(boxes)
    for k, box in enumerate(boxes):
        if any(not 0 <= i < k for i in box.inputs):
            raise ValueError(f"box {k} reads a box that does not come before it: "
                             f"{box.inputs}")
        if box.kind not in _STYLE:
            raise ValueError(f"unknown kind of box {box.kind!r}; known: {', '.join(_STYLE)}")
    return GraphDiagram(boxes, description)
