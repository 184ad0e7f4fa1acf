"""``backprop lab NAME``: run one of the labs of :mod:`backprop.labs` from the command line.

::

    backprop lab vanishing     [--out DIR] [--seed N] [--lang en|vi] [--depth 10] [--epochs N]
    backprop lab optimizers    [--out DIR] [--seed N] [--lang en|vi] [--epochs N]
    backprop lab exploding     [--depth 10] [--width 32] [--scale 2] [--clip 1] [--lr 0.1]
    backprop lab normalization [--scale 100] [--shift 0] [--lrs 1e-4,1e-3,1e-2,0.1,1]
    backprop lab batch-size    [--sizes 4,16,64,256,1024] [--lr 0.05] [--target 0.25]
    backprop lab weight-decay  [--decays 0,0.001,0.01,0.03,0.1] [--n-train 40] [--noise 0.3]
    backprop lab NAME --help                     # every lab of the table and its own options

The sub-commands come from the table :data:`backprop.labs.LABS`: every lab takes ``--out``,
``--seed``, ``--no-plot`` and ``--lang``, and its own options (``--depth``, ``--clip``, ...)
whose defaults are the lab function's. The table and the reading go to stdout, the PNG files
into ``--out`` (the current directory by default; skipped with a note when matplotlib is not
installed). The main ``backprop`` command wires this module in with :func:`add_arguments` and
:func:`run`; ``python -m backprop.cli.lab`` runs it on its own.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from .. import labs
from ..explain.words import LANGUAGES
from .common import MAX_SEED, check_output_folder, number

#: attribute of the parsed arguments that holds the lab's name (distinct from the main
#: command's own sub-command attribute)
DEST = "lab_name"


HELP = "see the article's claims measured: " + ", ".join(labs.LABS)


def _flag(option: labs.LabOption) -> str:
    return "--" + option.name.replace("_", "-")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one sub-command per lab of :data:`backprop.labs.LABS`, with the options every lab
    takes and the lab's own."""
    sub = parser.add_subparsers(dest=DEST, metavar="LAB", required=True, title="labs",
                                description=", ".join(labs.LABS))
    for lab in labs.LABS.values():
        p = sub.add_parser(lab.name, help=lab.help, description=lab.description)
        p.add_argument("--out", default=".", metavar="DIR",
                       help="directory for the PNG files, created if missing (default: .)")
        p.add_argument("--seed", type=number(int, low=0, high=MAX_SEED), default=0,
                       help="seed of the data, the weights and the batch order (default: 0)")
        p.add_argument("--no-plot", action="store_true", help="print the results only")
        p.add_argument("--lang", choices=LANGUAGES.names(), default="en",
                       help="language of the table and the reading (default: en)")
        for option in lab.options:
            default = lab.default(option)
            shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
            # None here: the lab's own default applies unless the option is given
            p.add_argument(_flag(option), dest=option.name, type=_parser(option), default=None,
                           metavar=option.name.upper(),
                           help=f"{option.help} (default: {shown})")


def _parser(option: labs.LabOption) -> Any:
    """The option's ``parse``; a plain ``int`` or ``float`` is read by :func:`.common.number`
    (NaN, infinity and integers past any sensible size refused at the edge, naming the option);
    the lab function checks its own ranges."""
    if option.parse in (int, float):
        return number(option.parse)
    return option.parse


def _plots_available() -> bool:
    return importlib.util.find_spec("matplotlib") is not None


def run(args: argparse.Namespace) -> int:
    """Run the lab named in ``args`` and print its results; returns 0.

    Raises
    ------
    ValueError
        For an unknown lab or a bad setting (``--depth 4``), with a one-line message naming the
        value; the main command turns it into ``backprop: error: ...`` and exit status 2.
    """
    name = getattr(args, DEST, None)
    if name not in labs.LABS:
        known = ", ".join(sorted(labs.LABS))
        raise ValueError(f"unknown lab {name!r}; known: {known}")
    out: Any = None if getattr(args, "no_plot", False) else args.out
    if out is not None and not _plots_available():
        print("note: matplotlib is not installed, so no PNG is written "
              "(pip install 'backprop[plot]')", file=sys.stderr)
        out = None
    if out is not None:
        check_output_folder("--out", out)  # before the lab trains anything
    lab = labs.LABS[name]
    kwargs: dict[str, Any] = {"seed": args.seed, "out": out, "lang": args.lang}
    for option in lab.options:
        given = getattr(args, option.name, None)
        if given is not None:
            kwargs[option.name] = given
    result = lab.run(**kwargs)
    print(result.table)
    print()
    print(textwrap.fill(result.reading, width=100))
    timing = getattr(result, "timing", "")
    if timing:
        print()
        print(textwrap.fill(timing, width=100))
    for png in (result.png, getattr(result, "boundary_png", None)):
        if png:
            print(f"\nwrote {png}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m backprop.cli.lab vanishing --depth 12``.

    Bad settings are reported as one line on stderr with exit status 2.
    """
    parser = argparse.ArgumentParser(prog="backprop lab",
                                     description="Run a lab: see inside training.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except (ValueError, TypeError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
