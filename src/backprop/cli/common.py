"""What several commands share: usage errors, reading a spec (the article's by default),
checking output paths before any work, writing output, strict JSON. Names given on the command
line are turned into objects at this edge, never deeper in the library."""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Iterable, Mapping
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


def _same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file (the same resolved path, or the same inode)."""
    from pathlib import Path

    try:
        if Path(a).resolve() == Path(b).resolve():
            return True
        return os.path.exists(a) and os.path.exists(b) and os.path.samefile(a, b)
    except (OSError, RuntimeError):
        return False


def check_outputs(outputs: Mapping[str, Any], inputs: Mapping[str, Any] | Iterable[Any] = (), *,
                  may_overwrite: Mapping[str, Any] | None = None) -> None:
    """Check every output path of a command before it does any work.

    Parameters
    ----------
    outputs : mapping of option name to path
        ``{"--save": args.save, "--plot": args.plot}``; ``None`` paths are skipped.
    inputs : mapping of description to path, or iterable of paths
        The files the command reads (``None`` skipped): no output may be one of them.
        ``{"the model file": args.model}`` names them in the message.
    may_overwrite : mapping of option name to path, optional
        Inputs an output may legitimately replace (``--checkpoint`` continuing the checkpoint
        given to ``--resume``): ``{"--checkpoint": args.resume}``.

    Raises
    ------
    ValueError
        One line naming the option and the path: a symbolic link, a folder, a device, an
        unwritable file, one of the command's own inputs, or two outputs on one path.
    FileNotFoundError
        The output's folder does not exist.
    """
    from ..io import check_output_path

    given = [(opt, path) for opt, path in outputs.items() if path is not None]
    allowed = {k: v for k, v in (may_overwrite or {}).items() if v is not None}
    named = inputs.items() if isinstance(inputs, Mapping) else (
        ("one of this command's input files", p) for p in inputs)
    sources = [(what, p) for what, p in named if p is not None]
    for i, (opt, path) in enumerate(given):
        for other_opt, other in given[:i]:
            if _same_file(path, other):
                raise ValueError(f"{other_opt} and {opt} are the same file {str(path)!r}; "
                                 f"each output needs its own path")
        for what, src in sources:
            if _same_file(path, src) and not (opt in allowed and _same_file(allowed[opt], src)):
                raise ValueError(f"{opt} {str(path)!r} would overwrite {what}, an input of this "
                                 f"command; choose another path")
        try:
            check_output_path(path, probe=True)
        except ValueError as exc:
            raise ValueError(f"{opt}: {exc}") from None
        except OSError as exc:
            raise type(exc)(exc.errno, f"{opt}: {exc.strerror or exc}") from None


def check_output_folder(option: str, path: Any) -> None:
    """Check a folder a command writes files into (created if missing): not a symbolic link to
    elsewhere or a file, and writable (or creatable)."""
    from pathlib import Path

    folder = Path(path)
    if folder.is_symlink() and not folder.is_dir():
        raise ValueError(f"{option}: {str(folder)!r} is a symbolic link that is not a folder")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{option}: {str(folder)!r} is a file, not a folder")
    existing = folder
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f"{option}: cannot write into {str(folder)!r}: permission denied")


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


def finite_json(obj: Any) -> tuple[Any, list[str]]:
    """``obj`` with every NaN or infinite float replaced by ``None``, and one note per
    replacement naming where it was (``"test_loss was nan, written as null"``)."""
    notes: list[str] = []

    def walk(value: Any, where: str) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            notes.append(f"{where or 'the value'} was {value}, written as null")
            return None
        if isinstance(value, dict):
            return {k: walk(v, f"{where}.{k}" if where else str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    return walk(obj, ""), notes


def json_text(obj: object, *, indent: int | None = 2) -> str:
    """Strict JSON (never the non-standard ``NaN``): a non-finite number becomes ``null``, and a
    dictionary gets a ``"notes"`` list saying which values were replaced."""
    clean, notes = finite_json(obj)
    if notes and isinstance(clean, dict):
        clean = {**clean, "notes": list(clean.get("notes") or []) + notes}
    return json.dumps(clean, indent=indent, ensure_ascii=False, allow_nan=False)


#: the largest whole number an integer option takes (a count of epochs, a width, a size): past
#: this a value is a typo, and NumPy would fail on it with a message that names nothing
MAX_INT_OPTION = 2**31 - 1
#: the largest seed an option takes (NumPy takes any; a bound keeps the number printable)
MAX_SEED = 2**63 - 1


def number(kind: type = float, *, low: float | None = None, high: float | None = None,
           low_open: bool = False, high_open: bool = False, allow_inf: bool = False) -> Any:
    """An argparse ``type=`` that reads a number and checks its range at the edge, so a bad
    value is refused whatever else is chosen (an option the chosen optimiser ignores, too) and
    the message names the option (argparse prefixes ``argument --lr:``) and the value.

    ``kind`` is ``float`` or ``int``; NaN is always refused, infinity unless ``allow_inf``;
    integers are bounded by :data:`MAX_INT_OPTION` unless ``high`` says otherwise.
    """
    import argparse

    if kind is int and high is None:
        high = MAX_INT_OPTION

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            what = "a whole number" if kind is int else "a number"
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if kind is float and math.isnan(value):
            raise argparse.ArgumentTypeError(f"must be a number, got {text!r}")
        if kind is float and math.isinf(value) and not allow_inf:
            raise argparse.ArgumentTypeError(f"must be finite, got {text!r}")
        fmt = "d" if kind is int else "g"
        bad_low = low is not None and (value <= low if low_open else value < low)
        bad_high = high is not None and (value >= high if high_open else value > high)
        if kind is float and low is not None and high is not None and (bad_low or bad_high):
            brackets = ("(" if low_open else "[") + ", " + (")" if high_open else "]")
            interval = f"{brackets[0]}{low:g}{brackets[1:3]}{high:g}{brackets[3]}"
            raise argparse.ArgumentTypeError(f"must be in {interval}, got {text!r}")
        if bad_low:
            raise argparse.ArgumentTypeError(
                f"must be {'>' if low_open else '>='} {low:{fmt}}, got {text!r}")
        if bad_high:
            raise argparse.ArgumentTypeError(
                f"must be {'<' if high_open else '<='} {high:{fmt}}, got {text!r}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in "invalid <type> value"
    return parse
