"""``backprop check ANSWERS.json``: mark a learner's numbers for a training step.

ANSWERS holds any part of the object ``backprop example --spec SPEC --format json`` prints, as
the learner wrote the numbers (``null`` for one left out), and/or the names written by hand
(``"delta[2]_1"``, ``"w_3"``, ...). Each number is right, wrong (a root error, named after the
misconception it shows when one fits) or wrong only because of an earlier wrong number (see
:mod:`backprop.explain.marking`). Exit status 0 when every number is right, 1 when one is not,
2 for answers or a spec that cannot be read.

The key of a chain-rule exercise (``backprop exercise --topic chain-rule``) is a formula's:
answers checked against it are ``{"value": f, "grad": {"x": df/dx, ...}}``.
"""

from __future__ import annotations

import argparse

from .common import EXIT_FAILED, EXIT_OK, emit, json_text

HELP = ("mark a learner's numbers for a training step: the first wrong one, the misconception "
        "it shows, and what follows from it")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..explain.words import LANGUAGES

    p.add_argument("answers", metavar="ANSWERS.json",
                   help="the learner's numbers: any part of what 'backprop example --format "
                        "json' prints, or names written by hand such as \"delta[2]_1\", "
                        "\"w_3\"")
    p.add_argument("--spec", metavar="SPEC.json",
                   help="the step's spec, or an exercise key (its spec is used; a chain-rule "
                        "key marks {\"value\", \"grad\"}); default: the spec the answers "
                        "carry, else the article's 2-2-1 example")
    p.add_argument("--lang", choices=sorted(LANGUAGES), default="en",
                   help="language of the report (default: en)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text, or JSON {checked, correct, root_errors, consequential, "
                        "unknown_keys} (default: text)")


def run(args: argparse.Namespace) -> int:
    from ..explain.marking import check

    marking = check(args.answers, args.spec)
    if args.format == "json":
        text = json_text(marking.to_dict(args.lang))
    else:
        text = marking.to_text(args.lang)
    emit(text, None)
    return EXIT_OK if marking.all_correct else EXIT_FAILED
