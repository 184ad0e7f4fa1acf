"""``backprop example``: explain training steps (the article's steps 1-10) number by number."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, check_outputs, emit, json_text, load_spec_or_article

HELP = ("explain training steps (the article's steps 1-10, any optimiser, batch norm, dropout) "
        "number by number")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..explain.words import LANGUAGES

    p.add_argument("--spec", metavar="FILE",
                   help="network spec (JSON); default: the article's 2-2-1 example")
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the explanation (default: en)")
    p.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text",
                   help="text, Markdown with LaTeX, a self-contained HTML page (math as MathML, "
                        "no scripts), or the raw numbers as JSON (default: text)")
    p.add_argument("--output", metavar="FILE",
                   help="write to FILE (atomically) instead of standard output")


def run(args: argparse.Namespace) -> int:
    check_outputs({"--output": args.output}, inputs={"the --spec file": args.spec})
    spec = load_spec_or_article(args.spec)
    tr = spec.trace()  # one Trace, or Steps when the spec asks for several steps
    if args.format == "json":
        text = json_text(tr.to_dict())
    elif args.format == "markdown":
        text = tr.to_markdown(args.lang)
    elif args.format == "html":
        text = tr.to_html(args.lang)
    else:
        text = tr.to_text(args.lang)
    emit(text, args.output)
    return EXIT_OK
