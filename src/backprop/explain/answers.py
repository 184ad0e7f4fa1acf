r"""A learner's numbers, read as they wrote them: where each one goes on the worksheet and how
many decimals it was written with.

An answers file is any part of the object ``backprop example --spec SPEC --format json``
prints -- the same keys and nesting, ``null`` for a number left out -- and, at the top level,
the names a learner writes by hand, as the explanation prints them: ``"z[1]_2"``,
``"a[1](2)_1"`` (sample 2 of a batch), ``"delta[2]_1"`` or ``"δ[2]_1"``, ``"dW[1]_21"`` or
``"∂L/∂w[1]_21"``, ``"db[2]_1"``, ``"W[2]_11_new"`` or ``"w[2]_11 ←"``, ``"ŷ"`` / ``"y_hat"``,
``"L"`` / ``"J"`` / ``"loss"``, ``"g'[1]_2"``, and the article's numbering of single weights
(``"w_3"`` is :math:`w^{[1]}_{11}` of a 2-2-1 network, ``"∂L/∂w_3"`` its gradient,
``"w_3_new"`` its new value). Vietnamese uses the same symbols.

Every number keeps the decimals it was written with: ``0.10`` has two (the JSON text is read
with a number parser that keeps the digits). A number given from Python keeps the digits of its
shortest ``repr`` (``0.1`` has one).

Reading is bounded (size and nesting) and every problem is one :class:`AnswersError` naming
where it is.
"""

from __future__ import annotations

import json
import math
import numbers
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .worksheet import join_path, split_path

if TYPE_CHECKING:
    from .worksheet import Worksheet

#: the largest answers file read (bytes)
MAX_BYTES = 16 * 2**20
#: the deepest nesting of lists and objects accepted (a multi-step state array needs 9)
MAX_DEPTH = 24


#: top-level keys that are not answers: the spec an exercise key carries, and what the exercise
#: is (topic, seed, student)
METADATA = ("spec", "exercise")


class AnswersError(ValueError):
    """Answers that cannot be read or do not fit the spec's step; the message says where."""


@dataclass(frozen=True)
class Written:
    """A number as the learner wrote it: its value and its decimals (``0.10``: 2;
    ``1.6e-05``: 6)."""

    value: float
    decimals: int
    text: str

    @classmethod
    def parse(cls, text: str) -> Written:
        value = float(text)
        if not math.isfinite(value):
            raise AnswersError(f"the number {text} is too large for a float")
        mantissa, _, exponent = text.lower().partition("e")
        _, _, fraction = mantissa.partition(".")
        decimals = len(fraction) - (int(exponent) if exponent else 0)
        return cls(value, max(decimals, 0), text)

    @classmethod
    def of(cls, value: Any, where: str) -> Written:
        """A number given from Python: the decimals of its shortest ``repr``."""
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise AnswersError(f"{where} must be a number, got {_kind(value)}")
        try:
            f = float(value)
        except OverflowError:
            raise AnswersError(f"{where} is too large for a float") from None
        if not math.isfinite(f):
            raise AnswersError(f"{where} is {f}; a number must be finite")
        if isinstance(value, numbers.Integral):
            return cls(f, 0, str(int(value)))
        return cls.parse(repr(f))


@dataclass
class Answers:
    """A learner's numbers placed on a worksheet.

    Attributes
    ----------
    given : dict of path to (values, decimals, mask)
        For each quantity of the worksheet that has a number given: arrays of its shape with
        the values, the decimals each was written with, and where a number was given.
    names : dict of (path, index) to str
        How the learner named each number (their flat name, or the JSON path).
    texts : dict of (path, index) to str
        Each number as written (``"0.10"``).
    unknown : list of str
        Keys that name no number of the step.
    spec : dict or None
        A spec carried in the answers (``"spec"`` at the top level, as an exercise key has;
        ``"exercise"`` beside it says which sheet, and is not checked).
    """

    given: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    names: dict[tuple[str, tuple[int, ...]], str] = field(default_factory=dict)
    texts: dict[tuple[str, tuple[int, ...]], str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    spec: dict[str, Any] | None = None

    @property
    def count(self) -> int:
        return int(sum(mask.sum() for _, _, mask in self.given.values()))


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (Written, numbers.Number)):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _refuse_constant(name: str) -> Any:
    raise AnswersError(f"{name} is not a number a learner writes; every number must be finite")


def read_answers(source: Any) -> Any:
    """The answers as nested dicts and lists whose numbers are :class:`Written`.

    ``source`` is a file path, the JSON text's bytes, or a dict (numbers given from Python).
    """
    if isinstance(source, Mapping):
        return _from_python(source, "")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        where = f"answers file {str(path)!r}"
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise AnswersError(f"{where} does not exist") from None
        except IsADirectoryError:
            raise AnswersError(f"{where} is a directory, not a file") from None
        except OSError as exc:
            raise AnswersError(f"cannot read {where}: {exc.strerror or exc}") from None
        return parse_answers(data, where)
    if isinstance(source, bytes):
        return parse_answers(source, "the answers")
    raise AnswersError(f"answers are a file path or a dict, got {type(source).__name__}")


def parse_answers(data: bytes, where: str) -> Any:
    """Parse an answers file's bytes, keeping every number's digits."""
    if len(data) > MAX_BYTES:
        raise AnswersError(f"{where} is larger than {MAX_BYTES:,} bytes; answers are a few "
                           f"numbers")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise AnswersError(f"{where} is not UTF-8 text") from None
    if _depth(text) > MAX_DEPTH:
        raise AnswersError(f"{where} nests lists or objects deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(text, parse_float=Written.parse, parse_int=Written.parse,
                          parse_constant=_refuse_constant)
    except AnswersError as exc:
        raise AnswersError(f"{where}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise AnswersError(f"{where} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                           f"column {exc.colno}") from None
    except (RecursionError, ValueError) as exc:
        raise AnswersError(f"{where} cannot be read: {exc}") from None


def _depth(text: str) -> int:
    """The deepest nesting of brackets outside strings (before parsing, so a hostile file never
    reaches the recursive parser)."""
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _from_python(value: Any, where: str, depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise AnswersError(f"the answers nest deeper than {MAX_DEPTH} levels")
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise AnswersError(f"{where or 'the answers'} has a key {k!r} that is not a "
                                   f"string")
            out[k] = v if k in METADATA and not where else _from_python(
                v, f"{where}.{k}" if where else k, depth + 1)
        return out
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [_from_python(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]
    if value is None or isinstance(value, (str, bool, Written)):
        return value
    return Written.of(value, where)


# --- placing the numbers on the worksheet ---------------------------------------------------------
def place(raw: Any, sheet: Worksheet) -> Answers:
    """Put every number of ``raw`` (from :func:`read_answers`) on its quantity of ``sheet``.

    Raises
    ------
    AnswersError
        When the answers are not an object, a value is not a number where the step has one, a
        list has another length than the step's, or one number is given twice.
    """
    if not isinstance(raw, Mapping):
        raise AnswersError(f"the answers must be a JSON object like the one 'backprop example "
                           f"--format json' prints, got {_kind(raw)}")
    out = Answers()
    spec = raw.get("spec")
    if spec is not None:
        if not isinstance(spec, Mapping):
            raise AnswersError(f"the answers' spec must be an object, got {_kind(spec)}")
        out.spec = _plain(spec)
    leaves: list[tuple[list[str | int], Written, str]] = []
    for key, value in raw.items():
        if key in METADATA:
            continue
        if key in sheet.reference:
            _walk(value, sheet.reference[key], [key], leaves, out.unknown)
            continue
        element = flat_name(key, sheet)
        if element is None:
            out.unknown.append(key)
            continue
        if value is None:
            continue
        if not isinstance(value, Written):
            raise AnswersError(f"{key} must be a number, got {_kind(value)}")
        leaves.append((split_path(element), value, key))
    for parts, written, name in leaves:
        _place(out, sheet, parts, written, name)
    return out


def _walk(value: Any, ref: Any, path: list[str | int], leaves: list, unknown: list[str]) -> None:
    where = join_path(path)
    if value is None:
        return
    if isinstance(ref, Mapping):
        if not isinstance(value, Mapping):
            raise AnswersError(f"{where} must be an object, as in the step's JSON, got "
                               f"{_kind(value)}")
        for k, v in value.items():
            if k in ref:
                _walk(v, ref[k], [*path, k], leaves, unknown)
            else:
                unknown.append(join_path([*path, k]))
        return
    if isinstance(ref, list):
        if not isinstance(value, list):
            raise AnswersError(f"{where} must be a list of {len(ref)} entries, as in the step's "
                               f"JSON, got {_kind(value)}")
        if len(value) != len(ref):
            raise AnswersError(f"{where} has {len(value)} entries but the step has {len(ref)} "
                               f"(write null for a number you leave out)")
        for i, (v, r) in enumerate(zip(value, ref, strict=True)):
            _walk(v, r, [*path, i], leaves, unknown)
        return
    if isinstance(ref, (int, float)) and not isinstance(ref, bool):
        if not isinstance(value, Written):
            raise AnswersError(f"{where} must be a number, got {_kind(value)}")
        leaves.append((path, value, where))
    # words (an activation's name, a loss's) are not checked


def _place(out: Answers, sheet: Worksheet, parts: list[str | int], written: Written,
           name: str) -> None:
    # a quantity's path ends at its last name; the numbers after it index its array
    n = max(i for i, p in enumerate(parts) if isinstance(p, str)) + 1
    key = join_path(parts[:n])
    q = sheet.by_key.get(key)
    index = tuple(int(i) for i in parts[n:])
    if q is None or not q.answerable or len(index) != len(q.shape) or any(
            not 0 <= i < d for i, d in zip(index, q.shape, strict=True)):
        out.unknown.append(name)
        return
    if key not in out.given:
        out.given[key] = (np.zeros(q.shape), np.zeros(q.shape, dtype=np.int64),
                          np.zeros(q.shape, dtype=bool))
    values, decimals, mask = out.given[key]
    if mask[index]:
        first = out.names[(key, index)]
        raise AnswersError(f"{first} and {name} are the same number "
                           f"({key}{''.join(f'[{i}]' for i in index)}); give it once")
    values[index], decimals[index], mask[index] = written.value, written.decimals, True
    out.names[(key, index)] = name
    out.texts[(key, index)] = written.text


def _plain(value: Any) -> Any:
    if isinstance(value, Written):
        return int(value.value) if value.decimals == 0 and "." not in value.text \
            and "e" not in value.text.lower() else value.value
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


# --- names written by hand -----------------------------------------------------------------------
_DERIV = r"(?:(?:∂|d)(?:L|J)/(?:∂|d))"
_NAME = re.compile(
    r"^(?P<deriv>" + _DERIV + r")?"
    r"(?P<sym>delta|δ|dW|dw|db|W|w|b|z|a|g_prime|g'|σ'|y_hat|yhat|ŷ|y\^|x|y|L|J|loss|output)"
    r"(?:\[(?P<layer>\d+)\])?(?:\((?P<sample>\d+)\))?"
    r"(?:_(?P<index>\d+(?:,\d+)?))?(?P<new>_new|new|←|<-)?$")


def _normalise(name: str) -> str:
    name = "".join(name.split())  # spaces anywhere
    for a, b in (("′", "'"), ("’", "'"), ("ˆ", "^"), ("\u0302", "")):
        name = name.replace(a, b)
    return name.replace("y\u0302", "ŷ")


def flat_name(name: str, sheet: Worksheet) -> str | None:
    """The JSON path of the number a hand-written name stands for (None: no such number).

    Only a one-step spec has flat names (several steps are written under ``steps``)."""
    if sheet.multi:
        return None
    match = _NAME.match(_normalise(name))
    if match is None:
        return None
    g = match.groupdict()
    sym, deriv, new = g["sym"], g["deriv"] is not None, g["new"] is not None
    tr = sheet.traces[0]
    batch = not tr.single_sample
    sample = int(g["sample"]) - 1 if g["sample"] else None
    if batch and sample is None and sym in ("z", "a", "delta", "δ", "g_prime", "g'", "σ'",
                                            "y_hat", "yhat", "ŷ", "y^", "output", "x", "y"):
        return None
    if not batch and sample not in (None, 0):
        return None
    sample_part = [sample] if batch and sample is not None else []
    index = g["index"]

    def units(n: int) -> list[int] | None:
        if index is None:
            return [0] if n == 1 else None
        if "," in index:
            return None
        j = int(index) - 1
        return [j] if 0 <= j < n else None

    def cell(shape: tuple[int, ...]) -> list[int] | None:
        if index is None:
            return [0, 0] if shape == (1, 1) else None
        parts = index.split(",") if "," in index else list(index) if len(index) == 2 else None
        if parts is None:
            return None
        j, k = int(parts[0]) - 1, int(parts[1]) - 1
        return [j, k] if 0 <= j < shape[0] and 0 <= k < shape[1] else None

    if sym in ("L", "J", "loss") and not deriv and g["layer"] is None:
        if sample is not None and batch:
            return f"sample_losses[{sample}]"
        return "loss" if index is None else None
    if sym in ("y_hat", "yhat", "ŷ", "y^", "output") and not deriv and g["layer"] is None:
        u = units(tr.output.shape[1])
        return None if u is None else join_path(["output", *sample_part, *u])
    if sym in ("x", "y") and not deriv and g["layer"] is None and not new:
        width = tr.x.shape[1] if sym == "x" else (1 if tr.labels else tr.output.shape[1])
        u = units(width)
        if u is None:
            return None
        if sym == "y" and tr.labels:
            u = []
        return join_path(["input" if sym == "x" else "target", *sample_part, *u])
    # the article's numbering of single weights: w_1, w_2 (output layer) ... w_3 ... w_6
    if sym == "w" and g["layer"] is None and index is not None and "," not in index:
        found = _numbered(sheet, int(index))
        if found is None:
            return None
        pos, j, k = found
        field_ = "dW" if deriv else "W_new" if new else "W"
        return join_path(["layers", pos, field_, j, k])
    if g["layer"] is None:
        return None
    layer = int(g["layer"])
    pos = _position(sheet, layer)
    if pos is None:
        return None
    t = tr.modules[pos]
    if sym in ("W", "w", "dW", "dw"):
        field_ = "dW" if deriv or sym in ("dW", "dw") else "W_new" if new else "W"
        c = cell(t.W.shape)
        return None if c is None else join_path(["layers", pos, field_, *c])
    if sym in ("b", "db"):
        if t.b is None:
            return None
        field_ = "db" if deriv or sym == "db" else "b_new" if new else "b"
        u = units(t.n_out)
        return None if u is None else join_path(["layers", pos, field_, *u])
    if deriv or new:
        return None
    field_ = {"delta": "delta", "δ": "delta", "z": "z", "a": "a", "g_prime": "g_prime",
              "g'": "g_prime", "σ'": "g_prime"}[sym]
    if field_ == "g_prime" and t.fused:
        return None
    u = units(t.n_out)
    return None if u is None else join_path(["layers", pos, field_, *sample_part, *u])


def _position(sheet: Worksheet, layer: int) -> int | None:
    """The index in the JSON's ``layers`` of the article's layer ``[layer]``."""
    for pos, mod in enumerate(sheet.traces[0].modules):
        if getattr(mod, "index", None) == layer and hasattr(mod, "W_new"):
            return pos
    return None


def _numbered(sheet: Worksheet, n: int) -> tuple[int, int, int] | None:
    """Weight number ``n`` of the article (from the output layer back, row by row):
    ``(position, j, k)``."""
    tr = sheet.traces[0]
    offset = 0
    for t in reversed(tr.layers):
        if offset < n <= offset + t.W.size:
            j, k = divmod(n - offset - 1, t.n_in)
            return _position(sheet, t.index), j, k  # type: ignore[return-value]
        offset += t.W.size
    return None
