"""``backprop chain "EXPR" --at x=2,w=-3``: the chain rule of any formula, node by node.

The formula is read by a small grammar (never evaluated as Python; see
:mod:`backprop.explain.formula`); its graph, forward pass, local derivatives and chain-rule
products are written as text, Markdown, a self-contained HTML page or JSON
(``{"value", "grad", "nodes"}``). A formula that starts with ``-`` goes after ``--``:
``backprop chain --at x=2 -- "-x**2"``.
"""

from __future__ import annotations

import argparse
import math

from .common import EXIT_OK, check_outputs, emit, json_text

HELP = "the chain rule of any formula: its graph, every value, local derivative and gradient"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..explain.words import LANGUAGES

    p.add_argument("formula", metavar="EXPR",
                   help="a formula, e.g. '(x + y) * z', or assignments separated by ';' or new "
                        "lines, e.g. 'z = w*x + b; a = sigmoid(z); L = 0.5*(y - a)**2' (the "
                        "last name assigned is the output); operators + - * / **, exp, log, "
                        "sqrt, abs, max, min and every activation by name. Put a formula that "
                        "starts with '-' after '--'")
    p.add_argument("--at", action="append", default=[], metavar="NAME=VALUE,...",
                   help="the inputs' values, e.g. --at x=2,w=-3 (may be repeated)")
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the explanation (default: en)")
    p.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text",
                   help="text, Markdown with LaTeX (the graph as mermaid), a self-contained HTML "
                        "page (math as MathML, the graph as SVG), or JSON {value, grad, nodes} "
                        "(default: text)")
    p.add_argument("--output", metavar="FILE",
                   help="write to FILE (atomically) instead of standard output")


def parse_at(items: list[str]) -> dict[str, float]:
    """``["x=2,w=-3", "b=0.5"]`` -> ``{"x": 2.0, "w": -3.0, "b": 0.5}`` (``ValueError`` naming
    the bad pair)."""
    values: dict[str, float] = {}
    for item in items:
        for pair in item.split(","):
            if not pair.strip():
                continue
            name, sep, text = pair.partition("=")
            name, text = name.strip(), text.strip()
            if not sep or not name or not text:
                raise ValueError(f"--at takes NAME=VALUE pairs separated by commas, got "
                                 f"{pair.strip()!r}")
            try:
                v = float(text)
            except ValueError:
                raise ValueError(f"--at {name}={text}: {text!r} is not a number") from None
            if not math.isfinite(v):
                raise ValueError(f"--at {name}={text}: the value must be finite")
            if name in values:
                raise ValueError(f"--at gives {name} twice")
            values[name] = v
    return values


def run(args: argparse.Namespace) -> int:
    from ..explain.graph import chain

    check_outputs({"--output": args.output})
    c = chain(args.formula, parse_at(args.at))
    if args.format == "json":
        text = json_text(c.to_dict())
    elif args.format == "markdown":
        text = c.to_markdown(args.lang)
    elif args.format == "html":
        text = c.to_html(args.lang)
    else:
        text = c.to_text(args.lang)
    emit(text, args.output)
    return EXIT_OK
