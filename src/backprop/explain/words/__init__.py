"""The words of everything the library explains, one table per language.

One table per language (:mod:`.en`, :mod:`.vi`) holds every sentence and label that the
explanation of a step, the HTML pages and the labs print, from a key to a template whose
``{name}`` fields the code fills in. The languages are a :class:`~backprop.registry.Registry`,
so adding one is one table and one call::

    register_language("fr", FR)   # FR: the keys of EN, each with the same {fields}

Things registered elsewhere carry their own names: an activation, a loss or a layer class says
``words = {"en": ..., "vi": ...}``, read with :func:`name_of`.
"""

from __future__ import annotations

from typing import Any

from ...registry import Registry
from .en import EN
from .vi import VI

#: every language by its code (``"en"``, ``"vi"``); ``register_language`` adds one
LANGUAGES: Registry[dict[str, str]] = Registry("language")

#: the language every other one is checked against
REFERENCE = "en"


def fields(template: str) -> list[tuple[str, str]]:
    """The ``{name:spec}`` fields of a template, in order, as ``(name, spec)`` pairs."""
    import string  # on first use, as the rest of the explanation's machinery

    return [(name, spec or "") for _, name, spec, _ in string.Formatter().parse(template)
            if name is not None]


def register_language(code: str, table: dict[str, str], *,
                      replace: bool = False) -> dict[str, str]:
    """Add a language: ``table`` must have every key of the reference table (English), each with
    the same fields, and no other key; returns ``table``."""
    reference = LANGUAGES.get(REFERENCE)
    if reference is not None and code != REFERENCE:
        missing = sorted(set(reference) - set(table))
        extra = sorted(set(table) - set(reference))
        if missing or extra:
            raise ValueError(f"the words of {code!r} must have the keys of {REFERENCE!r}: "
                             f"missing {missing}, unknown {extra}")
        for key, template in table.items():
            if sorted(fields(template)) != sorted(fields(reference[key])):
                raise ValueError(f"the words of {code!r} for {key!r} must have the fields "
                                 f"{fields(reference[key])}, got {fields(template)}")
    return LANGUAGES.add(code, table, replace=replace)


def words(lang: str) -> dict[str, str]:
    """The table of one language (``ValueError`` naming the known ones)."""
    return LANGUAGES[lang]


def name_of(entry: Any, lang: str) -> str:
    """The name of a registered thing (an activation or loss class, or an instance) in
    ``lang``: its own ``words`` first, else its registry name."""
    own = getattr(entry, "words", None) or {}
    return own.get(lang) or own.get(REFERENCE) or getattr(entry, "name", None) or str(entry)


register_language("en", EN)
register_language("vi", VI)

__all__ = ["EN", "LANGUAGES", "VI", "fields", "name_of", "register_language", "words"]
