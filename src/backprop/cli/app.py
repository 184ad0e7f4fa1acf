"""The command table, the parser and :func:`main`.

Each subcommand is one :class:`Command` in :data:`COMMANDS`: a name, a one-line help, a function
that adds its arguments and a function that runs it and returns the exit status. Adding a
subcommand is one module (``add_arguments``, ``run``, ``HELP``) and one entry here.

Exit status: 0 success, 1 a check that ran and failed (``gradcheck``, ``export --verify``),
2 bad input. Bad input is reported as one line on stderr, ``backprop: error: <message>``, never
as a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import NoReturn

from .._version import __version__
from . import chain, check, example, exercise, export, gradcheck, lab, report, train
from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, PROG, UsageError

__all__ = ["COMMANDS", "Command", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser",
           "main"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (``backprop: error: ...``), not usage + error."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]

    @classmethod
    def of(cls, name: str, module: ModuleType) -> Command:
        """The command a module defines (its ``HELP``, ``add_arguments`` and ``run``)."""
        return cls(name, module.HELP, module.add_arguments, module.run)


COMMANDS: tuple[Command, ...] = (
    Command.of("example", example),
    Command.of("gradcheck", gradcheck),
    Command.of("chain", chain),
    Command.of("check", check),
    Command.of("exercise", exercise),
    Command.of("train", train),
    Command.of("lab", lab),
    Command.of("report", report),
    Command.of("export", export),
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
    if args.command is None:  # `backprop` / `python -m backprop` alone: the help, as --help
        parser.print_help()
        return EXIT_OK
    try:
        return args.run(args)
    except BrokenPipeError:
        # the reader went away (``backprop example | head``): stop quietly, and keep Python from
        # complaining when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except (ValueError, TypeError, ImportError) as exc:  # SpecError is a ValueError
        return _error(str(exc))
    except OverflowError as exc:  # a number too large for NumPy (a size, a seed) got through
        return _error(f"a number is too large for this command ({exc})")
    except OSError as exc:
        where = f" {exc.filename!r}" if getattr(exc, "filename", None) else ""
        return _error(f"{exc.strerror or exc}{where}")
    except MemoryError as exc:  # a network or data set larger than this machine's memory
        detail = f" ({exc})" if str(exc) else ""
        return _error(f"not enough memory for this command{detail}; use smaller settings")
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: interrupted\n")
        return 130
