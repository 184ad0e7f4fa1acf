"""The words: one table per language for the explanation, the pages and the labs, every table
with every key and the same fields; every registered thing named in every language."""

from __future__ import annotations

import re

import pytest

import backprop as bp
from backprop.explain import words
from backprop.explain.words import LANGUAGES, fields, name_of, register_language


def test_every_language_has_every_key():
    keys = set(LANGUAGES["en"])
    for lang, table in LANGUAGES.items():
        assert set(table) == keys, lang
        for key, template in table.items():
            fields_ = set(re.findall(r"\{(\w+)", template))
            assert fields_ == set(re.findall(r"\{(\w+)", LANGUAGES["en"][key])), (lang, key)


@pytest.mark.parametrize("lang", LANGUAGES.names())
def test_every_language_has_the_same_fields_and_formats(lang):
    for key, template in LANGUAGES["en"].items():
        assert sorted(fields(LANGUAGES[lang][key])) == sorted(fields(template)), (lang, key)
        LANGUAGES[lang][key].format(**{name: 1.5 for name, _ in fields(template)})


def test_one_table_serves_the_trace_the_pages_and_the_labs():
    keys = set(words.words("en"))
    for prefix in ("step1", "diagram_", "page_", "run_", "lab_vanishing_", "lab_optimizers_"):
        assert any(k.startswith(prefix) for k in keys), prefix


@pytest.mark.parametrize("lang", LANGUAGES.names())
def test_every_registered_activation_layer_and_loss_has_a_name_in_every_language(lang):
    for registry in (bp.LAYERS, bp.LOSSES):
        for name, cls in registry.items():
            assert cls.words.get(lang), (name, lang)
            assert name_of(cls, lang) == cls.words[lang]


def test_a_thing_without_words_is_named_by_its_registry_name():
    class Plain(bp.Loss):
        name = "plain"

    assert name_of(Plain, "vi") == "plain"
    assert name_of(bp.Tanh(), "vi") == "tanh"


def test_unknown_language_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown language 'fr'; known: en, vi"):
        words.words("fr")


def test_a_language_is_one_table_and_one_registration():
    pirate = {key: template.replace("Step", "Leg") for key, template in words.EN.items()}
    register_language("en-pirate", pirate)
    try:
        net = bp.Sequential(bp.Dense(2, 1, rng=0), bp.Sigmoid())
        text = bp.trace(net, bp.SquaredError(), [[0.2, 0.4]], [[1.0]], lr=0.1).to_text("en-pirate")
        assert "Leg 1: forward pass" in text and "Step 1" not in text
    finally:
        LANGUAGES.remove("en-pirate")
    assert "en-pirate" not in LANGUAGES


@pytest.mark.parametrize("change, match", [
    (lambda t: t.pop("title"), r"missing \['title'\]"),
    (lambda t: t.update(extra="x"), r"unknown \['extra'\]"),
    (lambda t: t.update(more_samples="{m} more"), r"'more_samples' must have the fields"),
    (lambda t: t.update(lab_settings="{x:.2f}"), r"'lab_settings' must have the fields \[\]"),
])
def test_a_table_that_does_not_fit_is_refused(change, match):
    table = dict(words.EN)
    change(table)
    with pytest.raises(ValueError, match=match):
        register_language("xx", table)
    assert "xx" not in LANGUAGES
