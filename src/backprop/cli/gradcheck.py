"""``backprop gradcheck``: compare backprop's gradients with finite differences (exit 1 when
they disagree). Parameters are named as the article names them: ``W[1]``, ``b[1]`` for the
first layer's weights and biases (the engine's own names, ``0.W``, count every layer object,
activations included)."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_FAILED, EXIT_OK, emit, json_text, load_spec_or_article

HELP = "compare backprop's gradients with finite differences (the article's network by default)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", metavar="FILE",
                   help="network spec (JSON); default: the article's 2-2-1 example")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="report format (default: text)")


def article_names(net: Any) -> dict[str, str]:
    """The engine's parameter names (``"2.W"``) -> the article's (``"W[2]"``): layer ``l`` is
    the ``l``-th weighted (affine) layer; a normalisation's parameters take the number of the
    weighted layer before it."""
    names: dict[str, str] = {}
    number = 0
    for i, layer in enumerate(net.layers):
        if layer.role == "affine":
            number += 1
        for p in layer.parameters():
            names[f"{i}.{p.attr}"] = f"{p.attr}[{number}]"
    return names


def run(args: argparse.Namespace) -> int:
    from ..gradient_check import gradcheck

    spec = load_spec_or_article(args.spec)
    names = article_names(spec.net)
    # a dropout's mask is fixed for the check (the spec's, or drawn once from its seed): a new
    # mask at every evaluation would make the finite differences meaningless
    report = gradcheck(spec.net, spec.loss, spec.x, spec.y, masks=spec.dropout_masks())
    for p in report.params:
        p.name = names.get(p.name, p.name)
    emit(json_text(report.to_dict()) if args.format == "json" else str(report), None)
    return EXIT_OK if report.ok else EXIT_FAILED
