r"""Marking a learner's numbers as a good marker does.

:func:`check` takes the numbers a learner wrote for a training step (any part of the object
``backprop example --format json`` prints, or the names they write by hand, see
:mod:`.answers`) and classes each one:

* **correct** -- equal to the right value within the learner's own rounding: a number written
  with :math:`k` decimals rounds to the engine's value at :math:`k` decimals, or lies within one
  unit of its last decimal of the value recomputed from the learner's own (rounded, correct)
  numbers before it;
* **wrong** (a root error) -- wrong even when recomputed from the learner's own numbers before
  it; the catalogue (:mod:`.misconceptions`) is asked which wrong rule, applied to the learner's
  numbers, gives it, and names the misconception when one does;
* **consequential** -- wrong only because a number before it was: right when recomputed from
  the learner's values. One slip is counted once, not twenty times.

Numbers the learner did not write are carried forward from the ones they did, by the right
rules (:class:`~.worksheet.Worksheet`). The reference numbers are the engine's (the spec's
trace); recomputing uses the engine's pieces on the learner's numbers.

For a mini-batch a learner may write the errors :math:`\delta` as the JSON's
:math:`\partial J/\partial z` or as the article's per-sample errors (:math:`m` times as large);
both are marked, and the reading with fewer mistakes is kept.

The result is a :class:`Marking`: ``to_dict()`` (what ``backprop check --format json``
prints), ``to_text(lang)`` and ``to_markdown(lang)`` (a document built by :mod:`.feedback`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .answers import Answers, AnswersError, place, read_answers
from .misconceptions import MISCONCEPTIONS, candidates
from .worksheet import Quantity, Values, Worksheet, element_path

CORRECT, WRONG, CONSEQUENTIAL = "correct", "wrong", "consequential"
#: absolute and relative slack on every comparison: numbers written in full (a key copied from
#: the engine) differ from a recomputation by float rounding only
SLACK = 1e-12
#: decimals beyond these count as these (a number written with 17 digits is not held to 1e-17)
MAX_DECIMALS = 12


@dataclass
class Mark:
    """One number the learner wrote, and what the marker made of it.

    Attributes
    ----------
    quantity : Quantity
        Where it sits on the worksheet.
    index : tuple of int
        Its position in the quantity's array.
    name : str
        How the learner named it (their hand-written name, or the JSON path).
    status : str
        ``"correct"``, ``"wrong"`` or ``"consequential"``.
    given : float
    decimals : int
    expected : float
        The right value (the engine's).
    from_yours : float
        The value recomputed from the learner's own numbers before it.
    misconception : str or None
        The catalogue's id of the wrong rule that gives ``given``, for a wrong number.
    text : str
        The number as written.
    """

    quantity: Quantity
    index: tuple[int, ...]
    name: str
    status: str
    given: float
    decimals: int
    expected: float
    from_yours: float
    misconception: str | None = None
    text: str = ""

    @property
    def path(self) -> str:
        return element_path(self.quantity.key, self.index)


@dataclass
class Marking:
    """The marker's report on one set of answers (see :func:`check`)."""

    marks: list[Mark]
    unknown_keys: list[str]
    sheet: Worksheet = field(repr=False)
    scale: float = 1.0

    @property
    def checked(self) -> int:
        return len(self.marks)

    @property
    def correct(self) -> int:
        return sum(1 for m in self.marks if m.status == CORRECT)

    @property
    def root_errors(self) -> list[Mark]:
        return [m for m in self.marks if m.status == WRONG]

    @property
    def consequential(self) -> list[Mark]:
        return [m for m in self.marks if m.status == CONSEQUENTIAL]

    @property
    def all_correct(self) -> bool:
        return self.correct == self.checked

    @property
    def first_wrong(self) -> Mark | None:
        return next((m for m in self.marks if m.status != CORRECT), None)

    def message(self, mark: Mark, lang: str = "en") -> str:
        """What the marker says about a wrong number: the misconception and its fix, or to
        recheck the arithmetic."""
        from .words import words

        if mark.misconception is None:
            return words(lang)["check_recheck"]
        m = MISCONCEPTIONS[mark.misconception]
        return f"{m.sentence(lang)} {m.fix(lang)}"

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """``{"checked", "correct", "root_errors": [{"path", "given", "expected",
        "misconception", "message"}], "consequential": [{"path", "given",
        "expected_from_your_values"}], "unknown_keys"}``."""
        return {
            "checked": self.checked,
            "correct": self.correct,
            "root_errors": [{"path": m.path, "given": m.given, "expected": m.expected,
                             "misconception": m.misconception,
                             "message": self.message(m, lang)} for m in self.root_errors],
            "consequential": [{"path": m.path, "given": m.given,
                               "expected_from_your_values": m.from_yours}
                              for m in self.consequential],
            "unknown_keys": list(self.unknown_keys),
        }

    def to_text(self, lang: str = "en") -> str:
        from .feedback import build_marking_document
        from .text import to_text

        return to_text(build_marking_document(self, lang))

    def to_markdown(self, lang: str = "en") -> str:
        from .feedback import build_marking_document
        from .markdown import to_markdown

        return to_markdown(build_marking_document(self, lang))

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def __repr__(self) -> str:
        return (f"Marking(checked={self.checked}, correct={self.correct}, "
                f"wrong={len(self.root_errors)}, consequential={len(self.consequential)})")


# --- marking --------------------------------------------------------------------------------------
def check(answers: Any, spec: Any = None) -> Marking:
    """Mark a learner's numbers for one training step.

    Parameters
    ----------
    answers : dict, str or path
        Any part of the object ``backprop example --spec SPEC --format json`` prints (numbers as
        the learner wrote them; ``null`` for one left out), and/or hand-written names
        (``"delta[2]_1"``, ``"w_3"``, ...); a file path is read as JSON text, keeping every
        number's decimals. An exercise key carries its spec under ``"spec"``.
    spec : Spec, Worksheet, dict, str or path, optional
        The step: a spec (or its file), an exercise key file (its ``"spec"``), or a
        :class:`~.worksheet.Worksheet` built once for many answers. By default the spec the
        answers carry, else the article's 2-2-1 example. A chain-rule exercise's key (a
        ``"formula"`` and its ``"at"``) marks answers ``{"value", "grad": {...}}`` instead (see
        :mod:`.formula_marking`).

    Returns
    -------
    Marking
        (:class:`~.formula_marking.FormulaMarking`, with the same surface, for a formula)

    Raises
    ------
    ValueError
        :class:`~.answers.AnswersError` for answers that cannot be read or do not fit the step
        (one sentence naming where), :class:`~.spec.SpecError` for a bad spec.
    """
    raw = read_answers(answers)
    from .formula_marking import formula_key, mark_formula

    key = formula_key(spec, raw)
    if key is not None:  # a chain-rule exercise: the formula's value and derivatives
        return mark_formula(raw, key)  # type: ignore[return-value]
    sheet = _worksheet(spec, raw)
    placed = place(raw, sheet)
    return mark(sheet, placed)


def _worksheet(spec: Any, raw: Any) -> Worksheet:
    from .spec import Spec, load_spec

    if isinstance(spec, Worksheet):
        return spec
    if isinstance(spec, Spec):
        return Worksheet(spec)
    if spec is None and isinstance(raw, Mapping) and isinstance(raw.get("spec"), Mapping):
        spec = place_spec(raw["spec"])
    if spec is None:
        from importlib import resources

        text = resources.files("backprop.explain").joinpath("article.json").read_text(
            encoding="utf-8")
        return Worksheet(load_spec(json.loads(text)))
    if isinstance(spec, (str, os.PathLike)):
        spec = read_spec_or_key(spec)
    return Worksheet(load_spec(spec))


def place_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A spec carried in answers (its numbers parsed as :class:`~.answers.Written`) as plain
    JSON values."""
    from .answers import _plain

    return _plain(spec)


def read_spec_or_key(path: str | os.PathLike) -> Any:
    """A spec file, or an exercise key (an object with the spec under ``"spec"``): the spec as
    a dict, or the path itself for the spec reader to report on."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return path  # the spec reader says what is wrong with it
    if isinstance(data, dict) and isinstance(data.get("spec"), dict):
        return data["spec"]  # a spec has no key "spec": this is an exercise key
    return path


def mark(sheet: Worksheet, answers: Answers) -> Marking:
    """Mark placed answers on a worksheet (see :func:`check`)."""
    if answers.count == 0:
        if not answers.unknown:
            raise AnswersError("the answers hold no number yet: every one is null or left out")
        raise AnswersError(f"the answers give no number of this step (keys not found: "
                           f"{', '.join(answers.unknown[:5])}); use the keys of 'backprop "
                           f"example --spec SPEC --format json' or names such as delta[2]_1")
    scales = [1.0]
    m = sheet.traces[0].batch_size
    if any(m_ > 1 for m_ in (t.batch_size for t in sheet.traces)) and any(
            sheet.by_key[k].role == "delta" for k in answers.given):
        scales.append(float(m))
    best: tuple[tuple[int, int, int], list[Mark], float] | None = None
    for scale in scales:
        if best is not None and best[0][:1] == (0,):
            break  # nothing wrong when read the JSON's way: no other reading is needed
        marks = _mark(sheet, answers, scale)
        # the reading with the fewest mistakes (a wrong rule applied to one quantity is one
        # mistake, however many numbers it spoils), then the one the catalogue explains best
        wrong = {mk.quantity.key for mk in marks if mk.status == WRONG}
        named = {mk.quantity.key for mk in marks if mk.misconception}
        score = (len(wrong), -len(named),
                 sum(1 for mk in marks if mk.status == CONSEQUENTIAL))
        if best is None or score < best[0]:
            best = (score, marks, scale)
    assert best is not None
    return Marking(best[1], list(answers.unknown), sheet, best[2])


def _tolerance(decimals: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    unit = 10.0 ** -np.minimum(decimals, MAX_DECIMALS)
    return unit, SLACK * np.maximum(1.0, np.abs(value))


def _close(a: np.ndarray, b: np.ndarray, tol: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.abs(a - b) <= tol


def _mark(sheet: Worksheet, answers: Answers, scale: float) -> list[Mark]:
    """Mark every given number with the errors read in the convention ``scale``."""
    given = answers.given
    learner = Values({q.key: q.true(scale) for q in sheet.quantities}, scale=scale)
    clean = Values({q.key: q.true(scale) for q in sheet.quantities}, scale=scale)
    for key, (values, _, mask) in given.items():
        learner[key] = np.where(mask, values, learner[key])
    marks: list[Mark] = []
    # until the first wrong number the clean numbers are the learner's: computed once
    same = True
    for q in sheet.quantities:
        mine = _first(q, learner, scale)
        fair = mine if same else _first(q, clean, scale)
        if q.key not in given:
            learner[q.key], clean[q.key] = mine[0], fair[0]
            continue
        values, decimals, mask = given[q.key]
        true = q.true(scale)
        unit, slack = _tolerance(decimals, values)
        right = _close(values, true, 0.5 * unit + slack) | _close(values, fair[0], unit + slack)
        if not np.all(right | ~mask):  # the other rules, only when the first did not fit
            fair = fair + q.other_ways(clean if not same else learner, 1)
            mine = mine if not same else fair
            for w in fair[1:]:
                right |= _close(values, w, unit + slack)
        follows = np.zeros(q.shape, dtype=bool)
        if not np.all(right | ~mask):
            if len(mine) == 1:
                mine = mine + q.other_ways(learner, 1)
            for w in mine:
                follows |= _close(values, w, unit + slack)
        new_learner = np.where(mask, values, mine[0])
        new_clean = np.where(mask & right, values, fair[0])
        site_candidates = None
        flat = (values.ravel().tolist(), decimals.ravel().tolist(), true.ravel().tolist(),
                mine[0].ravel().tolist(), right.ravel().tolist(), follows.ravel().tolist(),
                (unit + slack).ravel().tolist())
        for n, index in enumerate(np.ndindex(q.shape)):
            if not mask[index]:
                continue
            value, dec, ref, yours, ok, follow, tol = (f[n] for f in flat)
            status = CORRECT if ok else CONSEQUENTIAL if follow else WRONG
            named = None
            if status == WRONG:
                if site_candidates is None:
                    site_candidates = [(mc, mc.values(q.site, learner))
                                       for mc in candidates(q.site)]
                named = _name(site_candidates, value, index, tol)
            marks.append(Mark(q, index, answers.names.get((q.key, index), element_path(
                q.key, index)), status, value, dec, ref, yours, named,
                answers.texts.get((q.key, index), repr(value))))
        learner[q.key], clean[q.key] = new_learner, new_clean
        same = same and bool(np.all(right | ~mask))
    return marks


def _first(q: Quantity, v: Values, scale: float) -> list[np.ndarray]:
    """The quantity as a person computes it from ``v`` (the engine's value when no rule takes
    these numbers), as a one-element list the other rules may join."""
    try:
        return [q.by_hand_value(v)]
    except ValueError:
        return [q.true(scale)]


def _name(found: list[tuple[Any, list[np.ndarray]]], given: float, index: tuple[int, ...],
          tol: float) -> str | None:
    """The id of the misconception whose rule gives ``given`` (the closest, if several)."""
    best: tuple[float, str] | None = None
    for m, values in found:
        for value in values:
            err = abs(float(value[index]) - given)
            if err <= tol and (best is None or err < best[0]):
                best = (err, m.id)
    return None if best is None else best[1]


__all__ = ["CONSEQUENTIAL", "CORRECT", "Mark", "Marking", "WRONG", "check", "mark"]
