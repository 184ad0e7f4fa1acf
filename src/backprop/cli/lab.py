"""``backprop lab NAME``: run one of the labs of :mod:`backprop.labs` from the command line.

::

    backprop lab vanishing  [--out DIR] [--seed N] [--depth 10] [--lang en|vi]
    backprop lab optimizers [--out DIR] [--seed N] [--epochs N] [--lang en|vi]

The table and the reading go to stdout, the PNG files into ``--out`` (the current directory by
default; skipped with a note when matplotlib is not installed). The main ``backprop`` command
wires this module in with :func:`add_arguments` and :func:`run`; ``python -m backprop.cli.lab``
runs it on its own.
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

#: attribute of the parsed arguments that holds the lab's name (distinct from the main
#: command's own sub-command attribute)
DEST = "lab_name"


HELP = "see the article's claims: vanishing gradients, optimisers compared"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``vanishing`` and ``optimizers`` sub-commands and their options to ``parser``."""
    sub = parser.add_subparsers(dest=DEST, metavar="LAB", required=True,
                                title="labs", description="vanishing, optimizers")

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--out", default=".", metavar="DIR",
                       help="directory for the PNG files, created if missing (default: .)")
        p.add_argument("--seed", type=int, default=0,
                       help="seed of the data, the weights and the batch order (default: 0)")
        p.add_argument("--no-plot", action="store_true", help="print the results only")
        p.add_argument("--lang", choices=LANGUAGES.names(), default="en",
                       help="language of the table and the reading (default: en)")

    v = sub.add_parser(
        "vanishing", help="per-layer gradient norms of a deep network, four ways",
        description="A deep network with sigmoid + naive N(0, 0.01^2) init, sigmoid + Xavier, "
                    "ReLU + He and ReLU + He + BatchNorm: gradient norm of every layer at the "
                    "start and after training, a PNG and a reading of the numbers.")
    common(v)
    v.add_argument("--depth", type=int, default=10,
                   help=f"hidden layers, at least {labs.MIN_DEPTH} (default: 10)")
    v.add_argument("--epochs", type=int, default=20, help="training epochs (default: 20)")

    o = sub.add_parser(
        "optimizers", help="SGD, momentum, Nesterov, Adam and AdamW on one network",
        description="The same network, data and seed trained with SGD, SGD + momentum, "
                    "Nesterov, Adam and AdamW: overlaid loss curves (PNG), a table of final "
                    "loss / accuracy / time and a reading.")
    common(o)
    o.add_argument("--epochs", type=int, default=100, help="training epochs (default: 100)")


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
    kwargs: dict[str, Any] = {"seed": args.seed, "out": out, "epochs": args.epochs,
                              "lang": args.lang}
    if name == "vanishing":
        kwargs.update(depth=args.depth)
    result = labs.LABS[name](**kwargs)
    print(result.table)
    print()
    print(textwrap.fill(result.reading, width=100))
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
