"""The ``backprop`` command line.

Each subcommand is one :class:`Command` in :data:`COMMANDS`: a name, a one-line help, a function
that adds its arguments and a function that runs it and returns the exit status. Adding a
subcommand is adding one entry. Names given on the command line (formats, languages) are turned
into objects here, at the edge, never deeper in the library.

Exit status: 0 success, 1 a check that ran and failed (``gradcheck``), 2 bad input. Bad input is
reported as one line on stderr, ``backprop: error: <message>``, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import NoReturn

from . import __version__
from .gradcheck import gradcheck
from .spec import Spec, SpecError, load_spec
from .trace import LANGUAGES, trace

PROG = "backprop"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: the article's example, shipped with the package (identical to examples/article.json)
ARTICLE_SPEC = "article.json"


class UsageError(Exception):
    """A command-line mistake, reported as one line."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (``backprop: error: ...``), not usage + error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --- helpers shared by subcommands --------------------------------------------------------------
def _load(spec_path: str | None) -> Spec:
    if spec_path is not None:
        return load_spec(spec_path)
    text = resources.files("backprop").joinpath("data", ARTICLE_SPEC).read_text(encoding="utf-8")
    return load_spec(json.loads(text))


def _emit(text: str, output: str | None) -> None:
    """Print ``text``, or write it to ``output`` atomically (temp file + ``os.replace``)."""
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()  # a closed pipe (``| head``) surfaces here, inside main's handler
        return
    from .io import atomic_write_text  # temp file beside the target, then os.replace

    atomic_write_text(output, text)


def _json(obj: object) -> str:
    # allow_nan=False: a NaN would be written as the non-standard token NaN
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)


# --- example ------------------------------------------------------------------------------------
def _example_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", metavar="FILE",
                   help="network spec (JSON); default: the article's 2-2-1 example")
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the explanation (default: en)")
    p.add_argument("--format", choices=("text", "markdown", "html", "json"), default="text",
                   help="text, Markdown with LaTeX, a self-contained HTML page (math as MathML, "
                        "no scripts), or the raw numbers as JSON (default: text)")
    p.add_argument("--output", metavar="FILE",
                   help="write to FILE (atomically) instead of standard output")


def _example(args: argparse.Namespace) -> int:
    spec = _load(args.spec)
    tr = trace(spec.net, spec.loss, spec.x, spec.y, lr=spec.learning_rate)
    if args.format == "json":
        text = _json(tr.to_dict())
    elif args.format == "markdown":
        text = tr.to_markdown(args.lang)
    elif args.format == "html":
        text = tr.to_html(args.lang)
    else:
        text = tr.to_text(args.lang)
    _emit(text, args.output)
    return EXIT_OK


# --- gradcheck ----------------------------------------------------------------------------------
def _gradcheck_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--spec", metavar="FILE", required=True, help="network spec (JSON)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="report format (default: text)")


def _gradcheck(args: argparse.Namespace) -> int:
    spec = _load(args.spec)
    report = gradcheck(spec.net, spec.loss, spec.x, spec.y)
    _emit(_json(report.to_dict()) if args.format == "json" else str(report), None)
    return EXIT_OK if report.ok else EXIT_FAILED


# --- the table ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def _train_args(p: argparse.ArgumentParser) -> None:
    from . import cli_train  # imported on use: keeps `backprop --help` and `import backprop` fast

    cli_train.add_arguments(p)


def _train(args: argparse.Namespace) -> int:
    from . import cli_train

    return cli_train.run(args)


def _lab_args(p: argparse.ArgumentParser) -> None:
    from . import cli_lab

    cli_lab.add_arguments(p)


def _lab(args: argparse.Namespace) -> int:
    from . import cli_lab

    return cli_lab.run(args)


def _report_args(p: argparse.ArgumentParser) -> None:
    # dest is not "run": that name holds each command's function (set_defaults below)
    p.add_argument("model", metavar="RUN", help="a model saved by 'backprop train --save'")
    p.add_argument("--output", metavar="FILE",
                   help="where to write the page (default: RUN with the suffix .html)")
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the page (default: en)")


def _report(args: argparse.Namespace) -> int:
    from .report import write_run_report  # imported on use, like train

    target = write_run_report(args.model, args.output, lang=args.lang)
    _emit(f"report written to {target}", None)
    return EXIT_OK


COMMANDS: tuple[Command, ...] = (
    Command("example", "explain one training step (the article's steps 1-10) number by number",
            _example_args, _example),
    Command("gradcheck", "compare backprop's gradients with finite differences",
            _gradcheck_args, _gradcheck),
    Command("train", "train a network on a built-in dataset, MNIST or a CSV/npz/IDX file",
            _train_args, _train),
    Command("lab", "see the article's claims: vanishing gradients, optimisers compared",
            _lab_args, _lab),
    Command("report", "write a self-contained HTML report of a model saved by 'train --save'",
            _report_args, _report),
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Backpropagation made visible, checkable and fast.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(run=cmd.run)
    return parser


def _error(message: str) -> int:
    sys.stderr.write(f"{PROG}: error: {' '.join(str(message).split())}\n")
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (``--help`` and ``--version`` give 0)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _error(str(exc))
    except SystemExit as exc:  # --help / --version print and exit 0
        return exc.code if isinstance(exc.code, int) else EXIT_OK
    if args.command is None:
        names = ", ".join(c.name for c in COMMANDS)
        return _error(f"choose a command: {names} (see '{PROG} --help')")
    try:
        return args.run(args)
    except BrokenPipeError:
        # the reader went away (``backprop example | head``): stop quietly, and keep Python from
        # complaining when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (SpecError, ValueError, TypeError, ImportError) as exc:
        return _error(str(exc))
    except OSError as exc:
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        return _error(f"{exc.strerror or exc}{where}")
