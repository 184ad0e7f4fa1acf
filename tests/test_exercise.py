"""``backprop exercise`` and ``bp.explain.exercises``: a different sheet per student, each with a
key that ``backprop check`` reads, numbers a person can work with, the same sheets from the
same seed.

The generic tests run over every registered topic (a completeness test keeps the registry and
``EXERCISE_CASES`` in step). The conditions on the numbers are checked from the key alone: the
engine's numbers in the key JSON, the key's spec recomputed by the worksheet with a calculator's
rounding, and the marker itself given a calculator user's answers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cases import EXERCISE_CASES, ExerciseCase

import backprop as bp
from backprop.explain import TOPICS, exercises
from backprop.explain.worksheet import Worksheet, calculator, calculator_decimals, split_path

SEED = 20261203
GRADIENT = re.compile(r"\.(dW|db|delta|dgamma|dbeta)$|^grad$")


def made(case: ExerciseCase, lang: str = "en") -> list[Any]:
    return exercises(case.topic, case.students, SEED, lang)


def lookup(obj: Any, path: str) -> Any:
    for part in split_path(path):
        obj = obj[part]
    return obj


def test_every_topic_has_a_case_and_the_issue_s_topics_are_registered():
    assert sorted(TOPICS.names()) == sorted(c.topic for c in EXERCISE_CASES)


@pytest.mark.parametrize("case", EXERCISE_CASES, ids=repr)
def test_sheets_differ_and_the_seed_gives_them_again_bit_for_bit(case):
    first = made(case)
    problems = [json.dumps(ex.problem, sort_keys=True) for ex in first]
    assert len(set(problems)) == case.students
    again = made(case)
    for a, b in zip(first, again, strict=True):
        assert a.to_dict() == b.to_dict()
        for fmt in ("text", "html"):
            assert a.sheet_as(fmt) == b.sheet_as(fmt) and a.key_as(fmt) == b.key_as(fmt)
    # student k's sheet depends on the seed and k, not on how many sheets were made
    assert exercises(case.topic, 2, SEED)[1].problem == first[1].problem
    assert exercises(case.topic, 1, SEED + 1)[0].problem != first[0].problem


@pytest.mark.parametrize("case", EXERCISE_CASES, ids=repr)
def test_the_numbers_are_fit_for_a_person(case):
    for ex in made(case):
        key = ex.key_json
        asks = key["exercise"]["asks"]
        if "formula" in key:
            nodes = {n["id"]: n for n in key["nodes"]}
            assert all(abs(g) >= 1e-3 for g in key["grad"].values()), key["grad"]
            for n in key["nodes"]:
                if n["op"] in ("sigmoid", "tanh"):
                    assert abs(nodes[n["inputs"][0]]["value"]) <= 3, n
                if n["op"] == "relu":
                    assert nodes[n["inputs"][0]]["value"] > 0, n
            for v in ex.problem["at"].values():  # one decimal
                assert round(v, 1) == v
            continue
        spec = key["spec"]
        for layer in spec["layers"]:
            for name in ("W", "b"):
                if name in layer:
                    values = np.asarray(layer[name])
                    assert np.all(np.round(values, 2) == values), layer
        assert np.all(np.round(np.asarray(spec["x"]), 2) == np.asarray(spec["x"]))
        steps = key.get("steps", [key])
        for step in steps:
            for layer in step["layers"]:
                z = np.asarray(layer.get("z", 0.0))
                act = layer.get("activation")
                if act in ("sigmoid", "tanh"):
                    assert np.all(np.abs(z) <= 3), (act, z)
                if act == "relu":
                    assert np.all(z > 0), z
                if act == "softmax":
                    a = np.asarray(layer["a"])
                    assert np.all((a > 0.01) & (a < 0.99)), a
        for path in asks:
            if GRADIENT.search(path):
                assert np.all(np.abs(np.asarray(lookup(key, path))) >= 1e-3), path
        # carrying a calculator's rounding through every step moves no answer by more than 5e-4
        sheet = Worksheet(bp.load_spec(spec))
        rounded = sheet.evaluate(decimals=calculator)
        for path in asks:
            moved = np.max(np.abs(np.asarray(rounded[path]) - np.asarray(lookup(key, path))))
            assert moved <= 5e-4, (path, moved)
        # ... and the marker marks right such a learner, who writes down every number
        text = sheet.to_json_text(rounded, calculator_decimals)
        marking = bp.check(text.encode(), sheet)
        assert marking.all_correct and marking.checked > 0, marking.to_dict()


@pytest.mark.parametrize("case", EXERCISE_CASES, ids=repr)
def test_check_reads_the_key_as_the_reference_and_finds_a_planted_mistake(case, tmp_path,
                                                                          run_cli):
    ex = made(case)[0]
    key = tmp_path / "key.json"
    key.write_text(json.dumps(ex.key_json), encoding="utf-8")
    rc, out, err = run_cli("check", key, "--format", "json")  # the key marked against itself
    assert rc == 0 and err == "" and json.loads(out)["correct"] > 0
    # a student's copy of the asked numbers with one of them wrong
    if "formula" in ex.key_json:
        answers = {"value": ex.key_json["value"], "grad": dict(ex.key_json["grad"])}
        name = list(answers["grad"])[-1]
        answers["grad"][name] = round(answers["grad"][name] + 0.25, 4)
        wrong = f"grad.{name}"
    else:
        asks = ex.key_json["exercise"]["asks"]
        answers = Worksheet(bp.load_spec(ex.key_json["spec"])).answers_object(
            {p: np.asarray(lookup(ex.key_json, p)) for p in asks}, keys=asks)
        cell = split_path(asks[-1])
        target = lookup(answers, asks[-1])
        index: list[int] = []
        while isinstance(target, list):
            index.append(0)
            target = target[0]
        holder = answers
        for part in [*cell, *index][:-1]:
            holder = holder[part]
        holder[[*cell, *index][-1]] = target + 0.25
        wrong = asks[-1] + "".join(f"[{i}]" for i in index)
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(answers), encoding="utf-8")
    rc, out, err = run_cli("check", mine, "--spec", key, "--format", "json")
    report = json.loads(out)
    assert rc == 1 and err == ""
    assert [e["path"] for e in report["root_errors"]] == [wrong]
    assert report["correct"] == report["checked"] - 1


@pytest.mark.parametrize("case", EXERCISE_CASES, ids=repr)
def test_the_sheet_shows_no_answer_and_the_key_shows_the_derivation(case):
    for lang, words in (("en", ("Exercise:", "student 1", "Key:", "The derivation")),
                        ("vi", ("Bài tập:", "học sinh 1", "Đáp án:", "Lời giải chi tiết"))):
        ex = made(ExerciseCase(case.topic, 1), lang)[0]
        sheet, key = ex.sheet_as("text"), ex.key_as("text")
        assert sheet.startswith(words[0]) and words[1] in sheet and str(SEED) in sheet
        assert key.startswith(words[2]) and words[3] in key
        if "formula" in ex.key_json:
            answers = [ex.key_json["value"], *ex.key_json["grad"].values()]
        else:
            answers = np.concatenate([np.ravel(lookup(ex.key_json, p))
                                      for p in ex.key_json["exercise"]["asks"]]).tolist()
        given = set(re.findall(r"-?\d+\.\d+", sheet))
        for x in answers:
            assert f"{x:.6f}" in key  # the key's table of answers
            # the sheet gives no answer (but a number that is also a given one: 0.01 = lr·1)
            assert f"{x:.6f}" not in sheet or repr(x) in given or f"{x:g}" in given


def test_a_new_topic_is_one_entry(run_cli, tmp_path):
    from backprop.explain import Topic, register_topic
    from backprop.explain.topics import tenths

    def draw(rng: np.random.Generator) -> dict[str, Any]:
        return {"x": tenths(rng, 1), "y": [1.0], "loss": "squared",
                "layers": [{"W": tenths(rng, (1, 1)), "b": [0.0], "activation": "tanh"}]}

    register_topic(Topic("tanh-slope", {"en": ("A slope", "Find g'.")}, draw,
                         ("layers[0].g_prime",)))
    try:
        rc, out, _ = run_cli("exercise", "--topic", "tanh-slope", "--students", 3, "--lang",
                             "vi", "--output", tmp_path)
        assert rc == 0 and len(os.listdir(tmp_path)) == 12
        rc, _, _ = run_cli("check", tmp_path / "student-03-key.json")
        assert rc == 0
    finally:
        TOPICS.remove("tanh-slope")


def test_a_formula_is_marked_as_a_step_is():
    from backprop.explain import formula_marking, marking

    for name in ("CORRECT", "WRONG", "SLACK", "MAX_DECIMALS"):
        assert getattr(formula_marking, name) == getattr(marking, name)
    key = {"formula": "(x + y) * z", "at": {"x": -2, "y": 5, "z": -4}}  # CS231n: f = -12
    right = bp.check({"value": -12, "grad": {"x": -4.0, "y": -4.0, "z": 3.0}}, key)
    assert right.all_correct and right.checked == 4
    wrong = bp.check({"value": -12.0, "grad": {"x": 4.0, "w": 1.0}}, key)
    assert [m.path for m in wrong.root_errors] == ["grad.x"] and wrong.unknown_keys == ["grad.w"]
    assert "df/dx (grad.x)" in wrong.to_text() and "df/dx" in wrong.to_text("vi")
    # a calculator's 4 decimals, or a number within 5e-4 of the engine's, is right
    assert bp.check({"value": -12.0004}, key).all_correct
    assert not bp.check({"value": -12.0006}, key).all_correct
    with pytest.raises(ValueError, match="give no number"):
        bp.check({"grad": {}}, key)


def test_an_adam_sheet_by_hand():
    """Student 1 of seed 7: x = (0.8, 0.6), y = 0.8, W = (-0.8, -0.5), b = -0.31, lr 0.01.
    z = -0.64 - 0.30 - 0.31 = -1.25 = y_hat; dL/dz = y_hat - y = -2.05; dW = -2.05 x =
    (-1.64, -1.23); m = 0.1 g; v = 0.001 g^2; m_hat = g, v_hat = g^2, so the first step is
    lr * sign(g): W <- (-0.79, -0.49), b <- -0.30."""
    ex = exercises("adam", 1, 7)[0]
    assert ex.problem["x"] == [0.8, 0.6] and ex.problem["y"] == [0.8]
    assert ex.problem["layers"][0]["W"] == [[-0.8, -0.5]]
    assert ex.problem["layers"][0]["b"] == [-0.31]
    layer = ex.key_json["layers"][0]
    np.testing.assert_allclose(layer["dW"], [[-1.64, -1.23]], atol=1e-12)
    np.testing.assert_allclose(layer["db"], [-2.05], atol=1e-12)
    np.testing.assert_allclose(layer["state"]["W"]["exp_avg"], [[-0.164, -0.123]], atol=1e-12)
    np.testing.assert_allclose(layer["state"]["W"]["exp_avg_sq"], [[0.0026896, 0.0015129]],
                               atol=1e-12)
    np.testing.assert_allclose(layer["W_new"], [[-0.79, -0.49]], atol=1e-9)
    np.testing.assert_allclose(layer["b_new"], [-0.30], atol=1e-9)


def test_bad_arguments_name_the_value():
    for kwargs, words in (({"topic": "backprop"}, "unknown exercise topic 'backprop'"),
                          ({"topic": "adam", "students": 0}, "students must be between 1"),
                          ({"topic": "adam", "students": 501}, "got 501"),
                          ({"topic": "adam", "students": 2.5}, "got 2.5"),
                          ({"topic": "adam", "seed": -1}, "seed must be between 0"),
                          ({"topic": "adam", "seed": "7"}, "got '7'"),
                          ({"topic": "adam", "lang": "xx"}, "'xx'")):
        with pytest.raises(ValueError, match=re.escape(words)):
            exercises(**kwargs)


# --- the command line ---------------------------------------------------------------------------
def test_thirty_adam_sheets_with_keys(run_cli, tmp_path):
    out = tmp_path / "class"
    rc, stdout, err = run_cli("exercise", "--topic", "adam", "--students", 30, "--seed", 5,
                              "--format", "html", "--output", out)
    assert (rc, stdout, err) == (0, "", "")
    names = sorted(os.listdir(out))
    assert len(names) == 30 * 4 and "student-30-key.json" in names
    sheets = {(out / f"student-{k:02d}.html").read_text(encoding="utf-8") for k in
              range(1, 31)}
    assert len(sheets) == 30 and all("<math" in s and "__________" in s for s in sheets)
    rc, _, _ = run_cli("check", out / "student-17-key.json")
    assert rc == 0
    blank = json.loads((out / "student-17-answers.json").read_text(encoding="utf-8"))
    key = json.loads((out / "student-17-key.json").read_text(encoding="utf-8"))
    blank["layers"][0]["W_new"] = key["layers"][0]["W_new"]
    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps(blank), encoding="utf-8")
    rc, text, _ = run_cli("check", mine, "--spec", out / "student-17-key.json")
    assert rc == 0 and "Right: 2" in text


def test_standard_output_in_every_format(run_cli):
    rc, out, _ = run_cli("exercise", "--topic", "forward", "--students", 3, "--format", "json")
    data = json.loads(out)
    assert rc == 0 and [d["student"] for d in data] == [1, 2, 3]
    assert {"problem", "asks", "task"} <= set(data[0]["sheet"]) and "spec" in data[0]["key"]
    rc, out, _ = run_cli("exercise", "--topic", "forward", "--students", 2, "--lang", "vi")
    assert rc == 0 and out.index("Bài tập") < out.index("Đáp án") and out.count("Bài tập:") == 2
    rc, out, _ = run_cli("exercise", "--topic", "forward", "--students", 2, "--format", "html")
    assert rc == 0 and out.count("<!DOCTYPE html>") == 1 and out.count("<h1") == 4
    rc, out, _ = run_cli("exercise", "--topic", "chain-rule", "--format", "markdown")
    assert rc == 0 and "\n---\n" in out


@pytest.mark.parametrize("argv, words", [
    (["--topic", "backprop"], "invalid choice: 'backprop'"),
    (["--topic", "adam", "--students", "0"], "--students must be between 1 and 500, got 0"),
    (["--topic", "adam", "--students", "100000"], "got 100000"),
    (["--topic", "adam", "--seed", "-3"], "--seed must be between 0"),
    (["--topic", "adam", "--seed", "x"], "invalid int value: 'x'"),
    (["--students", "3"], "the following arguments are required: --topic"),
])
def test_bad_input_is_one_line(run_cli, argv, words):
    rc, out, err = run_cli("exercise", *argv)
    assert rc == 2 and out == "" and err.count("\n") == 1 and words in err


def test_the_output_folder_is_checked_before_any_work(run_cli, tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("keep", encoding="utf-8")
    rc, _, err = run_cli("exercise", "--topic", "adam", "--output", a_file)
    assert rc == 2 and "is a file, not a folder" in err and a_file.read_text() == "keep"
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere.html"
    elsewhere.write_text("keep", encoding="utf-8")
    (out / "student-02.html").symlink_to(elsewhere)
    rc, _, err = run_cli("exercise", "--topic", "adam", "--students", 3, "--format", "html",
                         "--output", out)
    assert rc == 2 and err.count("\n") == 1 and "student-02.html" in err and "link" in err
    assert elsewhere.read_text() == "keep" and sorted(os.listdir(out)) == ["student-02.html"]
    rc, _, _ = run_cli("exercise", "--topic", "update", "--output", tmp_path / "new" / "dir")
    assert rc == 0 and (tmp_path / "new" / "dir" / "student-01.txt").is_file()


# --- printing: at most two A4 pages per sheet ---------------------------------------------------
def chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("chromium not installed; .ci/run installs it")


def pages(html: Path, tmp_path: Path) -> int:
    pdf = tmp_path / (html.stem + ".pdf")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer",
             f"--print-to-pdf={pdf}", html.as_uri()]
    proc = subprocess.run([chromium(), *flags], capture_output=True, text=True, timeout=90,
                          check=False)
    assert proc.returncode == 0 and pdf.exists(), proc.stderr[-2000:]
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf.read_bytes()))


@pytest.mark.parametrize("case", EXERCISE_CASES, ids=repr)
def test_a_sheet_prints_on_at_most_two_a4_pages(case, tmp_path):
    pytest.importorskip("latex2mathml")
    path = tmp_path / f"{case.topic}.html"
    for lang in ("en", "vi"):
        ex = exercises(case.topic, 1, SEED, lang)[0]
        # A4 (Chromium prints Letter unless the page says otherwise)
        path.write_text(ex.sheet_as("html").replace(
            "</style>", "@page { size: A4; }\n</style>", 1), encoding="utf-8")
        n = pages(path, tmp_path)
        assert 1 <= n <= 2, (case.topic, lang, n)
