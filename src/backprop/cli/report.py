"""``backprop report``: a self-contained HTML page of a model saved by ``backprop train
--save``."""

from __future__ import annotations

import argparse

from .common import EXIT_OK, check_outputs, emit

HELP = "write a self-contained HTML report of a model saved by 'train --save'"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..explain.words import LANGUAGES

    # dest is not "run": that name holds each command's function (set_defaults in app)
    p.add_argument("model", metavar="RUN", help="a model saved by 'backprop train --save'")
    p.add_argument("--output", metavar="FILE",
                   help="where to write the page (default: RUN with the suffix .html)")
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the page (default: en)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..explain.run_report import write_run_report

    if not Path(args.model).is_file():
        raise FileNotFoundError(2, f"no such file: {args.model!r}")
    target = args.output if args.output is not None else Path(args.model).with_suffix(".html")
    check_outputs({"--output": target}, inputs={"the model file": args.model})
    target = write_run_report(args.model, target, lang=args.lang)
    emit(f"report written to {target}", None)
    return EXIT_OK
