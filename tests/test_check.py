"""backprop check / bp.check: a learner's numbers marked as a marker does -- the first wrong
one, the misconception it shows, what follows from it counted once -- read as written."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop.explain.answers import MAX_DEPTH, AnswersError, Written, flat_name, read_answers
from backprop.explain.worksheet import Worksheet

ROOT = Path(__file__).resolve().parents[1]

#: the article's step, steps 1-5 as a learner writes them by hand (4 decimals), with one slip:
#: the output error without sigma'(z) (the article's -0.054696 is (yhat - y) sigma'(z))
ARTICLE_SLIP = {
    "z[1]_1": -0.05, "z[1]_2": 0.14, "a[1]_1": 0.4875, "a[1]_2": 0.5349,
    "z[2]_1": 0.9715, "ŷ": 0.7254, "L": 0.0377,
    "δ[2]_1": -0.2746,
    "∂L/∂w[2]_11": -0.1339, "∂L/∂w[2]_12": -0.1469, "∂L/∂b[2]_1": -0.2746,
    "δ[1]_1": -0.0549, "δ[1]_2": -0.0615,
    "∂L/∂w_3": -0.0110, "∂L/∂w_4": -0.0220, "∂L/∂w_5": -0.0123, "∂L/∂w_6": -0.0246,
}


@pytest.fixture(scope="module")
def article() -> Worksheet:
    return Worksheet(bp.load_spec(ROOT / "examples" / "article.json"))


def write(tmp_path: Path, obj: object, name: str = "answers.json") -> Path:
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False),
                    encoding="utf-8")
    return path


def test_the_article_s_slip_in_vietnamese(run_cli, tmp_path):
    """A learner writes their numbers for the article's step into a file and is told, in
    Vietnamese, the first wrong one and why; everything after it is counted once."""
    rc, out, err = run_cli("check", write(tmp_path, ARTICLE_SLIP), "--lang", "vi")
    assert rc == 1 and err == ""
    assert "Con số sai đầu tiên: δ[2]_1 (layers[1].delta[0])" in out
    assert "δ[2]_1 = -0.2746" in out                       # the learner's line
    assert "δ[2]_1 = (ŷ_1 - y_1)·a[2]_1(1 - a[2]_1) = -0.054693" in out   # the right one
    assert "Bạn đã bỏ quên đạo hàm g'(z)" in out
    assert ("Số con số đã kiểm tra: 17. Đúng: 7; sai: 1; sai chỉ vì một con số sai trước đó: 9."
            in out)
    rc, out, err = run_cli("check", write(tmp_path, ARTICLE_SLIP), "--format", "json")
    report = json.loads(out)
    assert set(report) == {"checked", "correct", "root_errors", "consequential",
                           "unknown_keys"}
    assert [e["path"] for e in report["root_errors"]] == ["layers[1].delta[0]"]
    root = report["root_errors"][0]
    assert set(root) == {"path", "given", "expected", "misconception", "message"}
    assert root["misconception"] == "missing_activation_derivative"
    assert root["given"] == -0.2746 and root["expected"] == pytest.approx(-0.054696, abs=1e-6)
    assert all(set(c) == {"path", "given", "expected_from_your_values"}
               for c in report["consequential"])
    assert {c["path"] for c in report["consequential"]} == {
        "layers[1].dW[0][0]", "layers[1].dW[0][1]", "layers[1].db[0]", "layers[0].delta[0]",
        "layers[0].delta[1]", "layers[0].dW[0][0]", "layers[0].dW[0][1]",
        "layers[0].dW[1][0]", "layers[0].dW[1][1]"}


def test_the_engine_s_own_numbers_are_all_right(run_cli, tmp_path):
    rc, out, _ = run_cli("example", "--format", "json")
    rc, out, err = run_cli("check", write(tmp_path, out), "--format", "json")
    report = json.loads(out)
    assert rc == 0 and err == "" and report["root_errors"] == report["consequential"] == []
    assert report["checked"] == report["correct"] > 40


def test_one_mistake_at_the_output_error_is_one_root_error(article):
    """δ[2] wrong, and every number after it computed right from it: exactly one root error,
    everything downstream consequential."""
    right = article.evaluate()
    slipped = article.evaluate(decimals=6, planted={"layers[1].delta": lambda v: np.array(
        [-0.2])})
    marking = bp.check(article.to_json_text(slipped, 6).encode(), article)
    assert [m.path for m in marking.root_errors] == ["layers[1].delta[0]"]
    downstream = {m.path for m in marking.marks
                  if not np.isclose(m.given, right[m.quantity.key][m.index], atol=2e-6)}
    assert downstream - {"layers[1].delta[0]"} == {m.path for m in marking.consequential}
    assert len(marking.consequential) > 10 and marking.root_errors[0].misconception is None
    assert "recheck this arithmetic" in marking.to_dict()["root_errors"][0]["message"]


def test_numbers_keep_the_decimals_they_were_written_with():
    raw = read_answers(b'{"loss": 0.10, "output": [7.25e-1], "b": 3}')
    assert raw["loss"] == Written(0.1, 2, "0.10")
    assert raw["output"][0].decimals == 3
    assert raw["b"].decimals == 0
    assert Written.parse("1.6e-05").decimals == 6
    assert read_answers({"loss": 0.0377})["loss"].decimals == 4


@pytest.mark.parametrize(("written", "right"), [
    ("0.0377", True), ("0.038", True), ("0.04", True), ("0.0378", True), ("0.0375", False),
    ("0.036", False), ("0.02", False), ("0.03770022800992374", True),
    ("0.0377002290", False)])
def test_a_number_is_right_within_its_own_rounding(tmp_path, written, right):
    """Right: it rounds to the true 0.03770023 at its decimals, or lies within one unit of its
    last decimal of the value recomputed from the learner's numbers before it."""
    path = write(tmp_path, f'{{"loss": {written}}}')
    marking = bp.check(path)
    assert marking.all_correct is right


def test_rounding_carried_through_the_step_is_accepted(article):
    """A learner who rounds every number to 2 decimals and computes on from the rounded ones
    is right, though their later numbers miss the rounded true value."""
    rounded = article.evaluate(decimals=2)
    marking = bp.check(article.to_json_text(rounded, 2).encode(), article)
    assert marking.all_correct
    drifted = [m for m in marking.marks if abs(m.given - m.expected) > 0.005 + 1e-12]
    assert drifted  # rule 1 alone would have marked these wrong


@pytest.mark.parametrize(("name", "path"), [
    ("z[1]_2", "layers[0].z[1]"), ("a[2]_1", "layers[1].a[0]"), ("a[2]", "layers[1].a[0]"),
    ("delta[2]_1", "layers[1].delta[0]"), ("δ[1]_2", "layers[0].delta[1]"),
    ("δ [2]", "layers[1].delta[0]"), ("g'[1]_1", "layers[0].g_prime[0]"),
    ("σ′[1]_2", "layers[0].g_prime[1]"),
    ("dW[1]_21", "layers[0].dW[1][0]"), ("∂L/∂w[2]_12", "layers[1].dW[0][1]"),
    ("dL/dW[1]_2,2", "layers[0].dW[1][1]"), ("db[2]_1", "layers[1].db[0]"),
    ("∂L/∂b[1]_2", "layers[0].db[1]"), ("W[2]_11_new", "layers[1].W_new[0][0]"),
    ("w[1]_12 ←", "layers[0].W_new[0][1]"), ("b[1]_2_new", "layers[0].b_new[1]"),
    ("W[1]_21", "layers[0].W[1][0]"), ("w_1", "layers[1].W[0][0]"),
    ("w_3", "layers[0].W[0][0]"), ("w_6", "layers[0].W[1][1]"),
    ("∂L/∂w_3", "layers[0].dW[0][0]"), ("dL/dw_5", "layers[0].dW[1][0]"),
    ("w_4_new", "layers[0].W_new[0][1]"), ("ŷ", "output[0]"), ("y_hat", "output[0]"),
    ("ŷ_1", "output[0]"), ("L", "loss"), ("J", "loss"), ("loss", "loss"),
    ("x_2", "input[1]"), ("y", "target[0]"),
])
def test_names_written_by_hand(article, name, path):
    assert flat_name(name, article) == path


@pytest.mark.parametrize("name", ["z[3]_1", "w_7", "z[1]_3", "dW[1]_31", "δ[1]", "foo",
                                  "z[1](2)_1", "∂L/∂z[1]_1"])
def test_names_of_no_number(article, name):
    assert flat_name(name, article) is None


def test_unknown_keys_are_listed_not_refused():
    marking = bp.check({"loss": 0.0377, "lost": 1.0, "layers": [{"zz": 1.0}, None]})
    assert marking.unknown_keys == ["lost", "layers[0].zz"]
    assert marking.to_dict()["unknown_keys"] == ["lost", "layers[0].zz"]


@pytest.mark.parametrize(("content", "match"), [
    ("{", "is not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"loss": "0.03"}', "loss must be a number, got a string"),
    ('{"loss": NaN}', "NaN is not a number a learner writes"),
    ('{"loss": 1e999}', "too large"),
    ('{"layers": [{"z": [1, 2, 3]}, null]}', r"layers\[0\].z has 3 entries but the step has 2"),
    ('{"layers": {"z": 1}}', "layers must be a list of 2 entries"),
    ('{"output": [[0.5]]}', r"output\[0\] must be a number, got a list"),
    ('{"delta[2]_1": [1]}', r"delta\[2\]_1 must be a number"),
    ('{"lost": 1}', "the answers give no number of this step"),
    ('{"δ[2]_1": -0.05, "layers": [null, {"delta": [-0.05]}]}', "are the same number"),
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "deeper than"),
])
def test_bad_answers_are_one_line_and_exit_2(run_cli, tmp_path, content, match):
    path = write(tmp_path, content)
    rc, out, err = run_cli("check", path)
    assert rc == 2 and out == ""
    assert err.startswith("backprop: error: ") and err.count("\n") == 1
    with pytest.raises(AnswersError, match=match):
        bp.check(path)


def test_a_missing_or_huge_file_is_refused(run_cli, tmp_path, monkeypatch):
    rc, _, err = run_cli("check", tmp_path / "none.json")
    assert rc == 2 and "does not exist" in err
    import backprop.explain.answers as answers

    monkeypatch.setattr(answers, "MAX_BYTES", 10)
    rc, _, err = run_cli("check", write(tmp_path, {"loss": 0.0377}))
    assert rc == 2 and "larger than 10 bytes" in err


def test_several_steps_and_their_paths(run_cli, tmp_path):
    """A slip in step 3 of 4: the next step starts from the learner's own weights, so its
    numbers follow from the slip."""
    spec = ROOT / "examples" / "specs" / "momentum.json"
    sheet = Worksheet(bp.load_spec(spec))
    key = "steps[2].layers[0].W_new"
    slipped = sheet.evaluate(decimals=6, planted={key: lambda v: sheet.by_key[key].compute(v)
                                                  + 0.5})
    rc, out, _ = run_cli("check", write(tmp_path, sheet.to_json_text(slipped, 6)), "--spec",
                         spec, "--format", "json")
    report = json.loads(out)
    assert rc == 1
    assert [e["path"] for e in report["root_errors"]] == [f"{key}[0][0]", f"{key}[0][1]"]
    assert {c["path"] for c in report["consequential"]} >= {"steps[3].layers[0].W[0][0]",
                                                            "steps[3].layers[0].z[0]"}


def test_a_batch_s_errors_in_either_convention(tmp_path):
    """In a mini-batch the JSON's delta is dJ/dz (the cost's 1/m in it); the article's
    per-sample error is m times that. A learner may write either."""
    sheet = Worksheet(bp.load_spec(ROOT / "examples" / "specs" / "batch_gd.json"))
    values = sheet.evaluate()
    m = sheet.traces[0].batch_size
    answers = json.loads(sheet.to_json_text(values, 6))
    for layer in answers["steps"][0]["layers"] if sheet.multi else answers["layers"]:
        layer["delta"] = (np.array(layer["delta"]) * m).round(6).tolist()
    marking = bp.check(answers, sheet)
    assert marking.all_correct and marking.scale == m


def test_an_exercise_key_carries_its_spec(run_cli, tmp_path):
    spec = json.loads((ROOT / "examples" / "specs" / "adam_first_step.json").read_text())
    _, out, _ = run_cli("example", "--spec", ROOT / "examples" / "specs" /
                        "adam_first_step.json", "--format", "json")
    key = {"spec": spec, **json.loads(out)}
    rc, _, err = run_cli("check", write(tmp_path, key, "key.json"))
    assert rc == 0 and err == ""
    answers = {"layers": [{"state": {"W": {"exp_avg": [[4.0]]}}}]}  # m = 0.1 g, not g
    rc, out, _ = run_cli("check", write(tmp_path, answers), "--spec", tmp_path / "key.json",
                         "--format", "json")
    assert rc == 1 and json.loads(out)["root_errors"][0]["path"] == \
        "layers[0].state.W.exp_avg[0][0]"


def test_text_and_markdown_in_both_languages(article):
    marking = bp.check(ARTICLE_SLIP, article)
    for lang, first in (("en", "The first wrong number: δ[2]_1"),
                        ("vi", "Con số sai đầu tiên: δ[2]_1")):
        assert first in marking.to_text(lang)
        md = marking.to_markdown(lang)
        assert md.startswith("# ") and "\\delta^{[2]}_{1} &= -0.2746" in md
    assert "Every number is right" in bp.check({"L": 0.0377}, article).to_text()


def test_the_catalogue_has_every_misconception_in_every_language():
    from backprop.explain.misconceptions import MISCONCEPTIONS

    ids = {"missing_activation_derivative", "derivative_of_wrong_value", "error_sign",
           "updated_weights_in_backward", "transposed_weights", "missing_batch_mean",
           "double_batch_mean", "bias_gradient_not_summed", "update_added",
           "learning_rate_missing", "learning_rate_twice", "loss_without_half",
           "adam_eps_inside_sqrt", "adam_no_bias_correction", "momentum_convention_mixed",
           "softmax_ce_with_activation_derivative"}
    assert ids <= set(MISCONCEPTIONS.names())
    for m in MISCONCEPTIONS.values():
        for lang in ("en", "vi"):
            sentence, fix = m.words[lang]
            assert sentence and fix and m.sentence(lang) == sentence and m.fix(lang) == fix
        assert m.variants and m.shows_in


def test_a_new_misconception_is_one_entry(article):
    from backprop.explain.misconceptions import (
        MISCONCEPTIONS,
        Misconception,
        register_misconception,
    )

    halved = Misconception("halved_error", ("delta",), (lambda site, v: site.correct(v) / 2,),
                           {"en": ("You halved the error.", "Don't."), "vi": ("Sai.", "Sửa.")},
                           applies=lambda site: site.output)
    register_misconception(halved)
    try:
        marking = bp.check({"delta[2]_1": -0.027348}, article)
        assert marking.root_errors[0].misconception == "halved_error"
    finally:
        MISCONCEPTIONS.remove("halved_error")
