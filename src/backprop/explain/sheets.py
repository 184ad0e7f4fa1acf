r"""Exercise sheets: every student their own numbers, and a key for each sheet.

:func:`exercises` draws, for one topic of :data:`~.topics.TOPICS`, one problem per student from
``numpy.random.default_rng([seed, student])`` -- so student :math:`k`'s sheet depends on the seed
and on :math:`k` only, never on how many sheets are made -- and redraws it until it is fit to be
worked by hand (:func:`problems`):

* no unit on the network is saturated or dead, as the activation itself says: every slope
  :math:`g'(z) \ge 0.04` (a sigmoid's :math:`|z| \le 3`, a tanh's :math:`|z| \le 2.4`; a
  dead ReLU's slope is 0), no :math:`z` within 0.05 of a kink, a softmax's probabilities within
  :math:`[0.02, 0.98]`; in a formula the same for every activation's node, and
  :math:`|u| \le 3` under an ``exp``;
* every gradient asked for is at least :math:`10^{-3}` in magnitude;
* a person who writes every number with a calculator's rounding (four decimals, and four
  significant digits for a number below :math:`10^{-3}`: :func:`~.worksheet.calculator`) and
  computes the next numbers from the rounded ones ends at most :math:`5\cdot 10^{-4}` from every
  answer (for a formula: along the backward pass, from the rounded local derivatives);
* no two students of one call get the same numbers.

Each :class:`Exercise` holds the sheet (the network, the numbers given and a blank for every
number to find, no answer) and the key (the answers, then the derivation ``backprop example``
prints for the same spec) as :class:`~.document.Document` objects, and the key as JSON: the
object ``backprop example --spec SPEC --format json`` prints, with the ``"spec"`` and
``"exercise"`` (``topic``, ``seed``, ``student``, ``asks``) that ``backprop check`` reads as the
reference. A chain-rule key is ``backprop chain``'s JSON with the ``"formula"`` and ``"at"``.

Nothing here computes a gradient: the numbers are the engine's (:mod:`.record`,
:mod:`.graph`), the rounding check runs the worksheet's rules (:mod:`.worksheet`).
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .document import Code, Document, Heading
from .notation import ARROW, Math, lit, result, value
from .topics import TOPICS, Topic
from .words import name_of, words

#: the most sheets one call makes
MAX_STUDENTS = 500
#: the largest seed (numpy takes any non-negative integer; this keeps a seed printable)
MAX_SEED = 2**63 - 1
#: draws tried for one sheet before giving up (a topic whose numbers never fit is a bug)
MAX_DRAWS = 2000
#: how far carrying a calculator's rounding may move an answer
ROUNDING = 5e-4
#: the smallest magnitude of a gradient asked for
SMALLEST_GRADIENT = 1e-3
#: the smallest slope g'(z) of a unit on the network (a sigmoid's |z| <= 3, a tanh's
#: |z| <= 2.4; a dead ReLU's is 0)
FLAT = 0.04
#: the least distance of z from an activation's kink (ReLU: 0), so rounding never crosses it
ALIVE = 0.05
#: the largest |u| under exp in a formula
SPREAD = 3.0
#: the blank a learner writes an answer in
BLANK = "__________"


@dataclass
class Exercise:
    """One student's sheet and key.

    Attributes
    ----------
    topic : Topic
    seed : int
    student : int
        From 1.
    problem : dict
        The spec (or ``{"formula", "at"}``) the sheet was drawn with.
    sheet, key : Document
        The question sheet (no answers) and the key (answers and derivation).
    key_json : dict
        What ``backprop check`` reads as the reference.
    lang : str
    """

    topic: Topic
    seed: int
    student: int
    problem: dict[str, Any]
    sheet: Document
    key: Document
    key_json: dict[str, Any]
    lang: str = "en"

    def sheet_dict(self) -> dict[str, Any]:
        """The sheet as data: the topic, the task, the problem and the paths to find."""
        return {"topic": self.topic.name, "title": self.topic.title(self.lang),
                "task": self.topic.task(self.lang), "problem": self.problem,
                "asks": list(self.topic.asks)}

    def to_dict(self) -> dict[str, Any]:
        """``{"student", "seed", "sheet", "key"}`` (``backprop exercise --format json``)."""
        return {"student": self.student, "seed": self.seed, "sheet": self.sheet_dict(),
                "key": self.key_json}

    def sheet_as(self, fmt: str) -> str:
        """The sheet as ``"text"``, ``"markdown"``, ``"html"`` or ``"json"``."""
        if fmt == "json":
            return json.dumps(self.sheet_dict(), indent=2, ensure_ascii=False)
        return render(self.sheet, fmt, self.lang)

    def key_as(self, fmt: str) -> str:
        """The key as ``"text"``, ``"markdown"``, ``"html"`` or ``"json"`` (:attr:`key_json`)."""
        if fmt == "json":
            return json.dumps(self.key_json, indent=2, ensure_ascii=False)
        return render(self.key, fmt, self.lang)

    def blank_answers(self) -> dict[str, Any]:
        """An answers file to fill in: the numbers asked for, each ``null`` (for a formula
        ``{"value": null, "grad": {"x": null, ...}}``)."""
        if self.topic.formula:
            return {"value": None, "grad": {k: None for k in self.problem["at"]}}
        from .spec import load_spec
        from .worksheet import Worksheet

        ws = Worksheet(load_spec(self.problem))
        empty = {k: np.full(ws.by_key[k].shape, np.nan) for k in self.topic.asks}
        return ws.answers_object(empty, keys=self.topic.asks)

    def __repr__(self) -> str:
        return f"Exercise(topic={self.topic.name!r}, seed={self.seed}, student={self.student})"


def render(doc: Document, fmt: str, lang: str) -> str:
    """A document as text, Markdown or a self-contained HTML page."""
    if fmt == "markdown":
        from .markdown import to_markdown

        return to_markdown(doc)
    if fmt == "html":
        from .page import write_page

        return write_page(doc, lang)
    if fmt == "text":
        from .text import to_text

        return to_text(doc)
    raise ValueError(f"unknown format {fmt!r}; known: text, markdown, html, json")


# --- the API ------------------------------------------------------------------------------------
def exercises(topic: str, students: int = 1, seed: int = 0, lang: str = "en") -> list[Exercise]:
    """Draw ``students`` different sheets of one topic, each with its key.

    Parameters
    ----------
    topic : str
        A name of :data:`~.topics.TOPICS` (``"adam"``, ``"chain-rule"``, ...).
    students : int
        How many sheets, 1 to :data:`MAX_STUDENTS`.
    seed : int
        0 to :data:`MAX_SEED`; the same seed gives the same sheets and keys, bit for bit.
    lang : str
        ``"en"`` or ``"vi"`` (any registered language).

    Returns
    -------
    list of Exercise
        Student 1 first; student :math:`k`'s sheet does not depend on ``students``.

    Raises
    ------
    ValueError
        Naming the bad argument.
    """
    entry = TOPICS[topic] if isinstance(topic, str) else None
    if entry is None:
        raise ValueError(f"topic must be a name, got {type(topic).__name__}")
    count = _integer("students", students, 1, MAX_STUDENTS)
    seed = _integer("seed", seed, 0, MAX_SEED)
    words(lang)  # an unknown language is named before any work
    out: list[Exercise] = []
    seen: set[str] = set()
    for student in range(1, count + 1):
        problem = draw(entry, seed, student, seen)
        out.append(build(entry, seed, student, problem, lang))
    return out


def _integer(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    if not lo <= int(value) <= hi:
        raise ValueError(f"{name} must be between {lo} and {hi}, got {int(value)}")
    return int(value)


def draw(topic: Topic, seed: int, student: int, seen: set[str] | None = None
         ) -> dict[str, Any]:
    """Student ``student``'s problem: the first draw of ``default_rng([seed, student])`` that
    :func:`problems` passes and that no earlier student of ``seen`` has."""
    rng = np.random.default_rng([seed, student])
    for _ in range(MAX_DRAWS):
        problem = topic.draw(rng)
        fingerprint = json.dumps(problem, sort_keys=True)
        if seen is not None and fingerprint in seen:
            continue
        if not problems(topic, problem):
            if seen is not None:
                seen.add(fingerprint)
            return problem
    raise RuntimeError(f"topic {topic.name!r} drew no fit problem in {MAX_DRAWS} tries")


# --- is a problem fit to be worked by hand? -------------------------------------------------------
def problems(topic: Topic, problem: dict[str, Any]) -> list[str]:
    """What makes a problem unfit to be worked by hand (empty: it is fit)."""
    if topic.formula:
        return _formula_problems(problem)
    from .spec import load_spec
    from .worksheet import Worksheet, calculator

    sheet = Worksheet(load_spec(problem))
    found: list[str] = []
    for tr in sheet.traces:
        for t in tr.layers:
            found += unit_problems(t.activation_layer, np.asarray(t.z), np.asarray(t.a),
                                   None if t.fused else np.asarray(t.g_prime),
                                   f"layer {t.index}")
    rounded = sheet.evaluate(decimals=calculator)
    for key in topic.asks:
        q = sheet.by_key[key]
        ref = np.asarray(q.reference, dtype=np.float64)
        if q.role in ("delta", "param_grad") and np.any(np.abs(ref) < SMALLEST_GRADIENT):
            found.append(f"{key} has a gradient smaller than {SMALLEST_GRADIENT}")
        if np.max(np.abs(np.asarray(rounded[key]) - ref), initial=0.0) > ROUNDING:
            found.append(f"{key} moves more than {ROUNDING} when every number is rounded")
    return found


def unit_problems(act: Any, z: np.ndarray, a: np.ndarray, slope: np.ndarray | None,
                  where: str) -> list[str]:
    """A unit the exercise should not ask about, asking the activation object: a slope below
    :data:`FLAT` (saturated, or dead), a ``z`` within :data:`ALIVE` of a kink, or an output of
    a softmax-like activation outside ``[0.02, 0.98]`` (nearly one-hot)."""
    name = name_of(act, "en")
    if not act.elementwise:
        if np.any((a < 0.02) | (a > 0.98)):
            return [f"the {name} of {where} is nearly one-hot"]
        return []
    if slope is not None and np.any(np.abs(slope) < FLAT):
        return [f"a {name} unit of {where} is saturated or dead"]
    if any(np.any(np.abs(z - k) < ALIVE) for k in act.kinks):
        return [f"a {name} unit of {where} is at its kink"]
    return []


def _formula_problems(problem: dict[str, Any]) -> list[str]:
    from .graph import chain
    from .worksheet import calculator

    c = chain(problem["formula"], at=problem["at"])
    found: list[str] = []
    for n in c.nodes:
        arg = c.nodes[n.inputs[0]].value if n.inputs else 0.0
        if n.kind == "activation":
            found += unit_problems(n.activation(), np.asarray([arg]), np.asarray([n.value]),
                                   np.asarray([n.local[0]]), f"node {n.id}")
        if n.op == "exp" and abs(arg) > SPREAD:
            found.append(f"exp of node {n.id} reads {arg}")
    if abs(c.value) > 100:
        found.append("f is larger than 100")
    # the backward pass from rounded numbers: each local derivative and each product written
    # down with a calculator's rounding
    grads = [0.0] * len(c.nodes)
    grads[c.output] = 1.0
    for k in reversed(range(len(c.nodes))):
        n = c.nodes[k]
        if k != c.output and n.users:
            grads[k] = float(calculator(sum(
                float(calculator(grads[u] * float(calculator(c.nodes[u].local[slot] or 0.0))))
                for u, slot in n.users)))
    for name, g in c.grad.items():
        if abs(g) < SMALLEST_GRADIENT:
            found.append(f"df/d{name} is smaller than {SMALLEST_GRADIENT}")
        if abs(grads[_position(c, name)] - g) > ROUNDING:
            found.append(f"df/d{name} moves more than {ROUNDING} when every number is rounded")
    return found


def _position(c: Any, name: str) -> int:
    return next(i for i, n in enumerate(c.nodes) if n.id == name)


# --- the documents --------------------------------------------------------------------------------
def build(topic: Topic, seed: int, student: int, problem: dict[str, Any],
          lang: str = "en") -> Exercise:
    """The sheet and key of one drawn problem."""
    meta = {"topic": topic.name, "seed": seed, "student": student, "asks": list(topic.asks)}
    if topic.formula:
        return _Formula(topic, seed, student, problem, lang, meta).exercise()
    return _Step(topic, seed, student, problem, lang, meta).exercise()


class _Builder:
    def __init__(self, topic: Topic, seed: int, student: int, problem: dict[str, Any],
                 lang: str, meta: dict[str, Any]):
        self.topic, self.seed, self.student, self.problem = topic, seed, student, problem
        self.lang, self.meta = lang, meta
        self.S = words(lang)

    def head(self, doc: Document, key: bool) -> None:
        S, topic = self.S, self.topic
        doc.heading(1, (S["exercise_key_title"] if key else S["exercise_title"]).format(
            title=topic.title(self.lang), student=self.student))
        doc.para(S["exercise_who"], student=self.student, seed=self.seed,
                 command=Code(f"backprop exercise --topic {topic.name} --seed {self.seed} "
                              f"--students {self.student}"))
        if not key:
            doc.para(topic.task(self.lang))

    def exercise(self) -> Exercise:
        raise NotImplementedError


def _demoted(doc: Document) -> list[Any]:
    """A document's blocks one heading level down (the derivation inside the key)."""
    return [Heading(min(b.level + 1, 6), b.text) if isinstance(b, Heading) else b
            for b in doc.blocks]


def _array_text(x: Any) -> str:
    return json.dumps(x, ensure_ascii=False)


class _Step(_Builder):
    """A sheet on a spec: the engine's trace and the worksheet's symbols."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        from .spec import load_spec
        from .symbols import Symbols
        from .worksheet import Worksheet

        self.spec = load_spec(self.problem)
        self.run = self.spec.trace()
        self.ws = Worksheet(self.spec)
        self.symbols = Symbols(self.ws, self.lang)

    def exercise(self) -> Exercise:
        key_json = {"exercise": self.meta, "spec": self.problem, **self.run.to_dict()}
        return Exercise(self.topic, self.seed, self.student, self.problem, self.sheet(),
                        self.key(), key_json, self.lang)

    def sheet(self) -> Document:
        S = self.S
        doc = Document()
        self.head(doc, key=False)
        tr = self.ws.traces[0]
        if all(m is t for m, t in zip(tr.modules, tr.layers, strict=False)) and \
                len(tr.modules) == len(tr.layers):
            from .diagram import trace_diagram

            doc.figure(trace_diagram(tr, self.lang))
        doc.heading(2, S["exercise_given"])
        doc.table([S["exercise_quantity"], S["exercise_value"]], self.given_rows())
        doc.para(S["exercise_rows"])
        doc.heading(2, S["exercise_find"])
        doc.para(S["exercise_find_intro"])
        self.find(doc, None)
        return doc

    def given_rows(self) -> list[list[Any]]:
        """The numbers the sheet gives: the sample(s), every layer's parameters and
        activation (a layer other than Dense by its name, parameters and settings), the loss
        and the optimiser."""
        from ..losses import LOSSES
        from .record import LayerTrace

        S, p, tr = self.S, self.problem, self.ws.traces[0]
        one = tr.single_sample
        rows: list[list[Any]] = [[lit("x" if one else "X"), Code(_array_text(p["x"]))],
                                 [lit("y" if one else "Y"), Code(_array_text(p["y"]))]]
        for mod in tr.modules:
            if isinstance(mod, LayerTrace):
                l = mod.index
                rows.append([Math(f"W^{{[{l}]}}", f"W[{l}]"), Code(_array_text(mod.W.tolist()))])
                if mod.b is not None:
                    rows.append([Math(f"b^{{[{l}]}}", f"b[{l}]"),
                                 Code(_array_text(mod.b.tolist()))])
                rows.append([Math(f"g^{{[{l}]}}", f"g[{l}]"),
                             name_of(mod.activation_layer, self.lang)])
                continue
            settings = {prm.attr: prm.before.tolist() for prm in mod.params}
            settings.update({k: v.tolist() for k, v in mod.buffers_before.items()})
            settings.update({k: v for k, v in mod.config.items()
                             if isinstance(v, float) and not isinstance(v, bool)})
            rows.append([S["exercise_layer"].format(name=name_of(mod.layer, self.lang),
                                                    n=mod.position + 1),
                         Code(_array_text(settings))])
        rows.append([S["exercise_loss"], name_of(LOSSES[p.get("loss", "squared")], self.lang)])
        opt = p.get("optimizer")
        if opt is None:
            rows.append([Math(r"\alpha", "α"), value(p.get("learning_rate", 0.1))])
        else:
            settings = {k: v for k, v in opt.items() if k != "name"}
            rows.append([S["exercise_optimizer"], Code(f"{opt['name']} {_array_text(settings)}")])
        if p.get("steps", 1) > 1:
            rows.append([S["exercise_steps"], str(p["steps"])])
        return rows

    def _elements(self) -> list[tuple[Any, tuple[int, ...]]]:
        out = []
        for key in self.topic.asks:
            q = self.ws.by_key[key]
            out += [(q, idx) for idx in np.ndindex(q.shape)]
        return out

    def find(self, doc: Document, answers: bool | None) -> None:
        S = self.S
        header = [S["check_number"], S["check_path"],
                  S["exercise_answer"] if answers else S["exercise_yours"]]
        by_step: dict[int, list[list[Any]]] = {}
        for q, idx in self._elements():
            from .worksheet import element_path

            symbol, rel = self.symbols.symbol(q, idx)
            if rel is ARROW:  # a new value: w[1]_11 ←
                symbol = symbol + ARROW
            cell: Any = result(float(q.reference[idx])) if answers else BLANK
            by_step.setdefault(q.site.step, []).append([symbol, Code(element_path(q.key, idx)),
                                                        cell])
        for step, rows in by_step.items():
            if self.ws.multi:
                doc.heading(3, S["exercise_step"].format(step=step + 1))
            doc.table(header, rows, align=(None, None, "right"))

    def key(self) -> Document:
        S = self.S
        doc = Document()
        self.head(doc, key=True)
        doc.heading(2, S["exercise_answers"])
        self.find(doc, True)
        doc.para(S["exercise_check"], command=Code(
            f"backprop check ANSWERS.json --spec student-{self.student:02d}-key.json"))
        doc.heading(2, S["exercise_derivation"])
        from .steps import build_document, build_steps_document

        derivation = build_steps_document(self.ws.traces, self.lang) if self.ws.multi else \
            build_document(self.ws.traces[0], self.lang)
        doc.blocks += _demoted(derivation)
        return doc


class _Formula(_Builder):
    """A sheet on a formula: ``backprop chain``'s record."""

    def __init__(self, *args: Any):
        super().__init__(*args)
        from .graph import chain

        self.chain = chain(self.problem["formula"], at=self.problem["at"])

    def exercise(self) -> Exercise:
        key_json = {"exercise": self.meta, "formula": self.problem["formula"],
                    "at": self.problem["at"], **self.chain.to_dict()}
        return Exercise(self.topic, self.seed, self.student, self.problem, self.sheet(),
                        self.key(), key_json, self.lang)

    def rows(self, answers: bool) -> list[list[Any]]:
        from .chain_rule import symbol, total

        f = symbol("f")
        out: list[list[Any]] = [[f, Code("value"),
                                 result(self.chain.value) if answers else BLANK]]
        for name, g in self.chain.grad.items():
            out.append([total(f, symbol(name)), Code(f"grad.{name}"),
                        result(g) if answers else BLANK])
        return out

    def sheet(self) -> Document:
        from .chain_rule import symbol

        S = self.S
        doc = Document()
        self.head(doc, key=False)
        doc.heading(2, S["exercise_given"])
        rows: list[list[Any]] = [[symbol("f"), Code(self.problem["formula"])]]
        rows += [[symbol(k), value(v)] for k, v in self.problem["at"].items()]
        doc.table([S["exercise_quantity"], S["exercise_value"]], rows)
        doc.heading(2, S["exercise_find"])
        doc.para(S["exercise_find_formula"])
        doc.table([S["check_number"], S["check_path"], S["exercise_yours"]], self.rows(False),
                  align=(None, None, "right"))
        return doc

    def key(self) -> Document:
        from .chain_rule import build_document

        S = self.S
        doc = Document()
        self.head(doc, key=True)
        doc.heading(2, S["exercise_answers"])
        doc.table([S["check_number"], S["check_path"], S["exercise_answer"]], self.rows(True),
                  align=(None, None, "right"))
        doc.para(S["exercise_check"], command=Code(
            f"backprop check ANSWERS.json --spec student-{self.student:02d}-key.json"))
        doc.heading(2, S["exercise_derivation"])
        doc.blocks += _demoted(build_document(self.chain, self.lang))
        return doc


__all__ = ["BLANK", "Exercise", "MAX_SEED", "MAX_STUDENTS", "build", "draw", "exercises",
           "problems", "render", "unit_problems"]
