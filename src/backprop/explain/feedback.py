r"""The marker's report as a :class:`~.document.Document`: for every wrong number the learner's
line, the right line (its rule with symbols, the number recomputed from the learner's own
numbers) and what went wrong, then the numbers that are wrong only because of an earlier one.

Symbols and rules are written by :mod:`.symbols`, as the explanation of a step writes them, so
the report speaks the learner's notation; the numbers are the marker's (:mod:`.marking`).
Nothing here computes a gradient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .document import Code, Document, Row
from .notation import Math, as_factor, lit, result
from .symbols import Symbols
from .words import words

if TYPE_CHECKING:
    from .marking import Mark, Marking


class _Writer:
    """The report of one marking, in one language."""

    def __init__(self, marking: Marking, lang: str):
        self.marking = marking
        self.lang = lang
        self.S = words(lang)
        self.sheet = marking.sheet
        self.symbols = Symbols(marking.sheet, lang)

    def symbol(self, mark: Mark) -> tuple[Math, Math]:
        return self.symbols.symbol(mark.quantity, mark.index)

    def rule(self, mark: Mark) -> list[Math]:
        return self.symbols.rule(mark.quantity, mark.index)

    def heading_name(self, mark: Mark) -> str:
        return f"{self.symbol(mark)[0].text} ({mark.path})"

    # --- the document ----------------------------------------------------------------------
    def build(self) -> Document:
        S, marking = self.S, self.marking
        doc = Document()
        doc.heading(1, S["check_title"])
        roots, follows = marking.root_errors, marking.consequential
        doc.para(S["check_summary"], checked=marking.checked, correct=marking.correct,
                 wrong=len(roots), consequential=len(follows))
        if marking.all_correct:
            doc.para(S["check_all_right"])
        for n, mark in enumerate(roots):
            self.root(doc, mark, first=mark is marking.first_wrong or n == 0)
        if follows:
            doc.heading(2, S["check_consequential"])
            doc.para(S["check_consequential_intro"])
            rows = []
            for mark in follows:
                symbol, _ = self.symbol(mark)
                rows.append([symbol, Code(mark.path), mark.text,
                             self.number(mark, mark.from_yours)])
            doc.table([S["check_number"], S["check_path"], S["check_given"],
                       S["check_from_yours"]], rows, align=(None, None, "right", "right"))
        if marking.unknown_keys:
            doc.para(S["check_unknown"], keys=", ".join(marking.unknown_keys))
        return doc

    def number(self, mark: Mark, value: float) -> str:
        decimals = max(mark.decimals, 6)
        return result(value).text if decimals == 6 else f"{value:.{decimals}f}"

    def root(self, doc: Document, mark: Mark, first: bool) -> None:
        S = self.S
        name = self.heading_name(mark)
        doc.heading(2, (S["check_first"] if first else S["check_next"]).format(name=name))
        symbol, rel = self.symbol(mark)
        doc.para(S["check_yours"])
        doc.equations([Row(symbol, [lit(mark.text)], rel)])
        doc.para(S["check_right"])
        chain = [as_factor(m) for m in self.rule(mark)]
        doc.equations([Row(symbol, [*chain, lit(self.number(mark, mark.from_yours))], rel)])
        if abs(mark.expected - mark.from_yours) > 0.5 * 10.0 ** -max(mark.decimals, 6):
            doc.para(S["check_expected"], value=lit(self.number(mark, mark.expected)))
        if mark.misconception is None:
            doc.para(S["check_what"], sentence=S["check_recheck"])
            return
        from .misconceptions import MISCONCEPTIONS

        m = MISCONCEPTIONS[mark.misconception]
        doc.para(S["check_what"], sentence=m.sentence(self.lang))
        doc.para(S["check_fix"], fix=m.fix(self.lang))


def build_marking_document(marking: Marking, lang: str = "en") -> Document:
    """The marker's report in ``lang`` as a :class:`~.document.Document`."""
    return _Writer(marking, lang).build()


__all__ = ["build_marking_document"]
