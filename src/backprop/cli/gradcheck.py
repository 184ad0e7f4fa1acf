"""``backprop gradcheck``: compare backprop's gradients with finite differences (exit 1 when
they disagree)."""

from __future__ import annotations

import argparse

from .common import EXIT_FAILED, EXIT_OK, emit, json_text, load_spec_or_article

HELP = "compare backprop's gradients with finite differences"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", metavar="FILE", required=True, help="network spec (JSON)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="report format (default: text)")


def run(args: argparse.Namespace) -> int:
    from ..gradient_check import gradcheck

    spec = load_spec_or_article(args.spec)
    report = gradcheck(spec.net, spec.loss, spec.x, spec.y)
    emit(json_text(report.to_dict()) if args.format == "json" else str(report), None)
    return EXIT_OK if report.ok else EXIT_FAILED
