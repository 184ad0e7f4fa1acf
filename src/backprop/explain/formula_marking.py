r"""Marking a learner's value and derivatives of a formula against a chain-rule key.

A chain-rule exercise's key (``backprop exercise --topic chain-rule``) is ``backprop chain``'s
JSON with the ``"formula"`` and the ``"at"`` it was drawn with. The answers are
``{"value": f, "grad": {"x": df/dx, ...}}``, as the learner wrote the numbers. The reference
is the engine's: the formula evaluated again at ``at`` (:func:`~.graph.chain`), never the
numbers of the key file.

A number is right when it lies within its own rounding of the engine's value (half a unit of
its last decimal) or within :math:`5\cdot 10^{-4}` of it -- what carrying a calculator's rounding
through the graph may move it by, which the exercise's numbers are drawn to keep below (see
:mod:`.sheets`). The intermediate numbers of the graph are not asked, so a wrong number is a
root error: there is nothing before it to be consequential on.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .answers import METADATA, AnswersError, Written, _kind, _plain

# the marker's statuses and slack, as in .marking (which calls this module, so it is not
# imported here; a test keeps them equal)
CORRECT, WRONG = "correct", "wrong"
SLACK = 1e-12
MAX_DECIMALS = 12

#: how far from the engine's value a number may be, whatever its decimals: the rounding a
#: chain-rule sheet promises (sheets.ROUNDING)
CARRIED = 5e-4
#: the key's own entries, not answers
KEY_ENTRIES = ("formula", "at", "nodes")


@dataclass
class FormulaMark:
    """One number of the answers: its path (``value``, ``grad.x``), as written, and the
    engine's value."""

    path: str
    given: float
    decimals: int
    expected: float
    status: str
    text: str


@dataclass
class FormulaMarking:
    """The marker's report on the answers to a formula (the surface of
    :class:`~.marking.Marking`)."""

    marks: list[FormulaMark]
    unknown_keys: list[str]
    formula: str

    @property
    def checked(self) -> int:
        return len(self.marks)

    @property
    def correct(self) -> int:
        return sum(1 for m in self.marks if m.status == CORRECT)

    @property
    def root_errors(self) -> list[FormulaMark]:
        return [m for m in self.marks if m.status == WRONG]

    @property
    def consequential(self) -> list[FormulaMark]:
        return []

    @property
    def all_correct(self) -> bool:
        return self.correct == self.checked

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """As :meth:`.marking.Marking.to_dict`."""
        from .words import words

        return {"checked": self.checked, "correct": self.correct,
                "root_errors": [{"path": m.path, "given": m.given, "expected": m.expected,
                                 "misconception": None,
                                 "message": words(lang)["check_recheck"]}
                                for m in self.root_errors],
                "consequential": [], "unknown_keys": list(self.unknown_keys)}

    def document(self, lang: str = "en") -> Any:
        from .chain_rule import symbol, total
        from .document import Document, Row
        from .notation import lit, result
        from .words import words

        S = words(lang)
        doc = Document()
        doc.heading(1, S["check_title"])
        doc.para(S["check_summary"], checked=self.checked, correct=self.correct,
                 wrong=len(self.root_errors), consequential=0)
        if self.all_correct:
            doc.para(S["check_all_right"])
        f = symbol("f")
        for n, m in enumerate(self.root_errors):
            sym = f if m.path == "value" else total(f, symbol(m.path.split(".", 1)[1]))
            doc.heading(2, (S["check_first"] if n == 0 else S["check_next"]).format(
                name=f"{sym.text} ({m.path})"))
            doc.para(S["check_yours"])
            doc.equations([Row(sym, [lit(m.text)])])
            doc.para(S["check_expected"], value=result(m.expected))
            doc.para(S["check_recheck"])
        if self.unknown_keys:
            doc.para(S["check_unknown"], keys=", ".join(self.unknown_keys))
        return doc

    def to_text(self, lang: str = "en") -> str:
        from .text import to_text

        return to_text(self.document(lang))

    def to_markdown(self, lang: str = "en") -> str:
        from .markdown import to_markdown

        return to_markdown(self.document(lang))

    def __repr__(self) -> str:
        return (f"FormulaMarking(checked={self.checked}, correct={self.correct}, "
                f"wrong={len(self.root_errors)})")


def formula_key(spec: Any, raw: Any) -> dict[str, Any] | None:
    """The formula key to mark against: ``spec`` when it is one (a dict or a key file), else
    the answers themselves when they are a key; None when the reference is a network."""
    def is_key(obj: Any) -> bool:
        return isinstance(obj, Mapping) and "formula" in obj and "at" in obj

    if isinstance(spec, (str, os.PathLike)):
        try:
            data = json.loads(Path(spec).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError, RecursionError):
            return None  # the spec reader says what is wrong with it
        return dict(data) if is_key(data) else None
    if is_key(spec):
        return dict(spec)
    if spec is None and is_key(raw):
        return _plain({k: raw[k] for k in ("formula", "at")})
    return None


def mark_formula(raw: Any, key: Mapping[str, Any]) -> FormulaMarking:
    """Mark ``raw`` (from :func:`~.answers.read_answers`) against the formula ``key``."""
    from .graph import chain

    if not isinstance(raw, Mapping):
        raise AnswersError(f"the answers must be a JSON object {{\"value\": ..., \"grad\": "
                           f"{{...}}}}, got {_kind(raw)}")
    if not isinstance(key.get("formula"), str) or not isinstance(key.get("at"), Mapping):
        raise AnswersError("a formula's key has a \"formula\" (text) and \"at\" (an object of "
                           "values)")
    c = chain(key["formula"], at=dict(key["at"]))
    expected = {"value": c.value, **{f"grad.{k}": v for k, v in c.grad.items()}}
    given: list[tuple[str, Written]] = []
    unknown: list[str] = []
    for k, v in raw.items():
        if k in METADATA or k in KEY_ENTRIES or v is None:
            continue
        if k == "grad" and isinstance(v, Mapping):
            for name, g in v.items():
                path = f"grad.{name}"
                if path not in expected:
                    unknown.append(path)
                elif g is not None:
                    given.append((path, _number(g, path)))
        elif k == "value":
            given.append((k, _number(v, k)))
        else:
            unknown.append(k)
    if not given:
        raise AnswersError(f"the answers give no number of this formula (keys not found: "
                           f"{', '.join(unknown[:5]) or 'none'}); write {{\"value\": ..., "
                           f"\"grad\": {{\"x\": ...}}}}")
    marks = []
    for path, w in given:
        true = expected[path]
        unit = 10.0 ** -min(w.decimals, MAX_DECIMALS)
        right = abs(w.value - true) <= max(0.5 * unit, CARRIED) + SLACK * max(1.0, abs(true))
        marks.append(FormulaMark(path, w.value, w.decimals, true,
                                 CORRECT if right else WRONG, w.text))
    return FormulaMarking(marks, unknown, key["formula"])


def _number(value: Any, where: str) -> Written:
    if not isinstance(value, Written):
        raise AnswersError(f"{where} must be a number, got {_kind(value)}")
    return value


__all__ = ["FormulaMark", "FormulaMarking", "formula_key", "mark_formula"]
