"""What several commands share: usage errors, reading a spec (the article's by default),
writing output, strict JSON. Names given on the command line are turned into objects at this
edge, never deeper in the library."""

from __future__ import annotations

import json
import sys
from importlib import resources
from typing import Any

PROG = "backprop"
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

#: the article's example, shipped with the explain package (identical to examples/article.json)
ARTICLE_SPEC = "article.json"


class UsageError(Exception):
    """A command-line mistake, reported as one line."""


def load_spec_or_article(spec_path: str | None) -> Any:
    """The spec in ``spec_path``, or the article's 2-2-1 example when it is None."""
    from ..explain.spec import load_spec

    if spec_path is not None:
        return load_spec(spec_path)
    text = resources.files("backprop.explain").joinpath(ARTICLE_SPEC).read_text(encoding="utf-8")
    return load_spec(json.loads(text))


def emit(text: str, output: str | None) -> None:
    """Print ``text``, or write it to ``output`` atomically (temp file + ``os.replace``)."""
    if not text.endswith("\n"):
        text += "\n"
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()  # a closed pipe (``| head``) surfaces here, inside main's handler
        return
    from ..io import atomic_write_text  # temp file beside the target, then os.replace

    atomic_write_text(output, text)


def json_text(obj: object) -> str:
    """Indented JSON; ``allow_nan=False``: a NaN would be written as the non-standard NaN."""
    return json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False)
