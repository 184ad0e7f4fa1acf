"""Specs that say everything a step depends on: optimiser, clipping, schedule, several steps or
batches, batch norm, dropout, frozen parameters, a softmax output, class labels -- and the
one-sentence refusal of everything else, overflow and unreadable JSON included."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import backprop as bp
from backprop.explain.record import Steps, Trace
from backprop.explain.spec import SpecError, load_spec
from backprop.explain.words import LANGUAGES

FULL = {
    "x": [[0.5, -1.0], [0.2, 0.3], [1.0, 0.4]], "y": [2, 0, 1],
    "layers": [
        {"W": [[0.1, -0.2], [0.3, 0.25], [0.4, 0.1]], "b": [0.01, -0.02, 0.0],
         "activation": "relu"},
        {"type": "dense", "W": [[0.2, 0.1, -0.3], [0.5, -0.1, 0.2]], "b": [0.0, 0.1],
         "activation": "sigmoid", "trainable": {"b": False}},
        {"type": "batchnorm", "gamma": [1.0, 0.5], "beta": [0.0, 0.1],
         "running_mean": [0.0, 0.0], "running_var": [1.0, 1.0], "momentum": 0.1, "eps": 1e-5},
        {"type": "dropout", "p": 0.5, "mask": [[1, 0], [1, 1], [0, 1]]},
        {"W": [[0.3, -0.2], [0.1, 0.4], [-0.5, 0.2]], "b": [0.0, 0.0, 0.0],
         "activation": "softmax"},
    ],
    "loss": "softmax_cross_entropy",
    "optimizer": {"name": "adamw", "lr": 0.01, "betas": [0.9, 0.999], "eps": 1e-8,
                  "weight_decay": 0.01},
    "clip_norm": 1.0, "schedule": {"name": "step", "step_size": 1, "gamma": 0.5},
    "steps": 3,
}


@pytest.fixture(scope="module")
def full_json(tmp_path_factory):
    from backprop.cli import main

    path = tmp_path_factory.mktemp("spec") / "full.json"
    path.write_text(json.dumps(FULL), encoding="utf-8")
    out = path.with_suffix(".out.json")
    assert main(["example", "--spec", str(path), "--format", "json", "--output", str(out)]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_several_steps_are_a_list_of_one_step_objects(full_json):
    assert set(full_json) == {"steps"}
    steps = full_json["steps"]
    assert len(steps) == 3
    for t, step in enumerate(steps, start=1):
        assert {"loss", "output", "layers", "input", "target", "loss_name", "learning_rate",
                "batch_size", "sample_losses", "optimizer"} <= set(step)
        assert step["optimizer"]["name"] == "adamw" and step["optimizer"]["step"] == t
        assert step["optimizer"]["lr"] == 0.01 * 0.5 ** (t - 1) == step["learning_rate"]
        assert set(step["optimizer"]["clip"]) == {"total_norm", "coef"}
        assert step["target"] == [2, 0, 1]
    # each step starts where the last one ended
    assert steps[1]["layers"][0]["W"] == steps[0]["layers"][0]["W_new"]
    assert steps[2]["layers"][2]["running_mean"] == steps[1]["layers"][2]["running_mean_new"]


def test_layers_are_listed_in_spec_order_with_their_numbers(full_json):
    layers = full_json["steps"][0]["layers"]
    assert [e.get("type") for e in layers] == [None, None, "batchnorm", "dropout", None]
    dense, frozen, bn, drop, out = layers
    assert dense["index"] == 1 and frozen["index"] == 2 and out["index"] == 3
    assert set(dense["state"]) == {"W", "b"}
    assert set(dense["state"]["W"]) >= {"exp_avg", "exp_avg_sq", "step", "exp_avg_hat",
                                        "exp_avg_sq_hat", "update"}
    # a frozen bias: its gradient is shown, its value kept, no optimiser state
    assert frozen["trainable"] == {"W": True, "b": False}
    assert frozen["b_new"] == frozen["b"] and any(v != 0 for v in frozen["db"])
    assert set(frozen["state"]) == {"W"}
    for key in ("input", "mean", "var", "xhat", "output", "dgamma", "dbeta", "grad_x", "gamma",
                "beta", "gamma_new", "beta_new", "running_mean", "running_var",
                "running_mean_new", "running_var_new", "state"):
        assert key in bn, key
    assert drop["mask"] == [[True, False], [True, True], [False, True]]
    assert {"p", "input", "output", "grad_output", "grad_x"} <= set(drop)
    np.testing.assert_allclose(np.array(drop["output"]),
                               np.array(drop["mask"]) * np.array(drop["input"]) * 2.0)
    # the softmax output: a holds the probabilities, delta = (p - y) / m
    p = np.array(out["a"])
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-15)
    assert out["activation"] == "softmax" and "g_prime" not in out
    onehot = np.eye(3)[[2, 0, 1]]
    np.testing.assert_allclose(np.array(out["delta"]), (p - onehot) / 3, rtol=1e-12, atol=1e-17)


def test_one_hot_rows_and_class_indices_give_the_same_step():
    a = load_spec({**FULL, "steps": 1}).trace()
    b = load_spec({**FULL, "steps": 1, "y": np.eye(3)[[2, 0, 1]].tolist()}).trace()
    assert isinstance(a, Trace) and isinstance(b, Trace)
    for ta, tb in zip(a.layers, b.layers, strict=True):
        np.testing.assert_allclose(ta.W_new, tb.W_new, rtol=1e-14)
    out = {"W": [[0.3, -0.2, 0.1], [0.1, 0.4, 0.0], [-0.5, 0.2, 0.3]], "b": [0.0, 0.0, 0.0],
           "activation": "softmax"}
    one = load_spec({**FULL, "steps": 1, "x": [0.5, -1.0], "y": 2,
                     "layers": [FULL["layers"][0], out]}).trace()
    assert one.to_dict()["target"] == 2
    assert one.to_dict()["output"] == one.to_dict()["layers"][1]["a"]


@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_every_step_is_explained_in_words_and_math(lang, full_json):
    spec = load_spec(FULL)
    run = spec.trace()
    assert isinstance(run, Steps)
    text = run.to_text(lang)
    for step in full_json["steps"]:
        assert f"{step['loss']:.6f}" in text
    assert text.count("\n") > 500
    html = run.to_html(lang)  # every formula is converted to MathML (an error would raise)
    assert html.count("<math") > 100 and "\\frac" not in html


def test_the_softmax_output_says_why_delta_is_p_minus_y():
    text = load_spec({**FULL, "steps": 1}).trace().to_text()
    assert "Why p − y: ∂L/∂z_k = -Σ_j y_j·∂log(p_j)/∂z_k" in text
    assert "δ[3]_k = ∂L/∂z[3]_k = p_k - y_k" in text


def test_batches_give_one_step_each():
    data = {k: v for k, v in FULL.items() if k not in ("x", "y", "steps")}
    data["batches"] = [{"x": FULL["x"], "y": FULL["y"]}, {"x": FULL["x"][::-1], "y": [1, 0, 2]}]
    run = load_spec(data).trace()
    assert len(run) == 2
    assert run[1].to_dict()["input"] == FULL["x"][::-1]
    mask = np.array([[1, 0], [1, 1], [0, 1]], dtype=bool)
    np.testing.assert_array_equal(run[1].modules[3].observed["mask"], mask)


def test_a_seeded_dropout_draws_its_masks_and_repeats():
    data = copy.deepcopy({**FULL, "steps": 2})
    data["layers"][3] = {"type": "dropout", "p": 0.5, "seed": 4}
    a, b = load_spec(data).trace(), load_spec(data).trace()
    np.testing.assert_array_equal(a[0].modules[3].observed["mask"],
                                  b[0].modules[3].observed["mask"])


def test_any_registered_layer_is_a_spec_type():
    data = copy.deepcopy({**FULL, "steps": 1})
    data["layers"][2] = {"type": "layernorm", "gamma": [1.5, 0.5]}
    tr = load_spec(data).trace()
    entry = tr.to_dict()["layers"][2]
    assert entry["type"] == "layernorm" and entry["gamma"] == [1.5, 0.5]
    assert f"{tr.modules[2].y[0, 0]:.6f}" in tr.to_text()  # shown by its numbers


def test_plain_sgd_written_as_an_optimizer_is_the_old_object():
    old = {"x": [0.2, 0.4], "y": [1.0], "loss": "squared", "learning_rate": 0.1, "layers": [
        {"W": [[0.10, -0.20], [0.30, 0.25]], "b": [0.01, -0.02], "activation": "sigmoid"},
        {"W": [[0.80, 0.90]], "b": [0.10], "activation": "sigmoid"}]}
    new = {k: v for k, v in old.items() if k != "learning_rate"}
    new["optimizer"] = {"name": "sgd", "lr": 0.1}
    assert load_spec(new).trace().to_dict() == load_spec(old).trace().to_dict()


def _mutated(path, value):
    data = copy.deepcopy(FULL)
    target = data
    for key in path[:-1]:
        target = target[key]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return data


DELETE = object()

BAD = [
    ("type-unknown", (("layers", 2, "type"), "batchnorm2d"), "layer 3: unknown type 'batchnorm2d'"),
    ("bn-width", (("layers", 2, "gamma"), [1.0]),
     "layer 3 (batchnorm): gamma has shape (1,) but the layer needs (2,)"),
    ("bn-unknown-key", (("layers", 2, "scale"), [1.0, 1.0]),
     "layer 3 (batchnorm) has an unknown key 'scale'"),
    ("bn-n", (("layers", 2, "n"), 3), "layer 3 (batchnorm): n is 3 but its input has 2 units"),
    ("dropout-no-mask", (("layers", 3, "mask"), DELETE), "give a fixed \"mask\""),
    ("dropout-mask-rows", (("layers", 3, "mask"), [[1, 0]]),
     "layer 4: mask has 1 rows but x has 3 samples"),
    ("dropout-mask-values", (("layers", 3, "mask"), [[1, 2], [1, 1], [0, 1]]),
     "mask holds 0 (drop) or 1 (keep), got 2"),
    ("dropout-seed", (("layers", 3, "seed"), -1), "seed must be a whole number"),
    ("trainable-unknown", (("layers", 1, "trainable"), {"c": False}),
     "layer 2: trainable names 'c', which is not a parameter of this layer (its parameters: W, b)"),
    ("trainable-not-bool", (("layers", 1, "trainable"), {"b": "no"}),
     "layer 2: trainable.b must be true or false"),
    ("softmax-hidden", (("layers", 0, "activation"), "softmax"),
     "layer 1: softmax acts on all units of a layer together"),
    ("optimizer-unknown", (("optimizer", "name"), "lbfgs"), "unknown optimizer 'lbfgs'; known:"),
    ("optimizer-arg", (("optimizer", "momentum"), 0.9),
     "optimizer 'adamw': optimizer 'adamw' takes no argument 'momentum'"),
    ("optimizer-value", (("optimizer", "betas"), [0.9, 1.5]),
     "optimizer 'adamw': beta2 must be in [0, 1), got 1.5"),
    ("optimizer-huge", (("optimizer", "lr"), 10 ** 400), "optimizer.lr is a number of about"),
    ("optimizer-not-object", (("optimizer",), "adam"), "optimizer must be an object"),
    ("optimizer-and-lr", (("learning_rate",), 0.1), "give the learning rate once"),
    ("schedule-unknown", (("schedule", "name"), "warmup"), "unknown schedule 'warmup'"),
    ("schedule-python-only", (("schedule", "name"), "lambda"),
     "schedule 'lambda' is built from Python objects, not from a spec"),
    ("schedule-arg", (("schedule", "step_size"), 0), "schedule 'step': step_size must be >= 1"),
    ("clip-negative", (("clip_norm",), -1.0), "clip_norm must be > 0, got -1"),
    ("steps-zero", (("steps",), 0), "steps must be a whole number from 1 to 1000, got 0"),
    ("steps-bool", (("steps",), True), "steps must be a whole number"),
    ("steps-many", (("steps",), 10 ** 6), "steps must be a whole number from 1 to 1000"),
    ("label-range", (("y",), [3, 0, 1]), "y[0] must be a class index, a whole number from 0 to 2"),
    ("label-count", (("y",), [2, 0]), "y has 2 class labels but x has 3 samples"),
    ("batches-and-x", (("batches",), [{"x": [[1.0, 2.0]], "y": [0]}]), "not both"),
    ("all-frozen", (("layers",), [{"W": [[1.0, 2.0]], "b": [0.0], "activation": "relu",
                                   "trainable": {"W": False, "b": False}}]),
     "every parameter is frozen"),
]


@pytest.mark.parametrize("change, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_every_problem_is_one_sentence_naming_it(change, words):
    data = _mutated(*change)
    if data.get("loss") == "softmax_cross_entropy" and change[0] == ("layers",):
        data.update(loss="squared", y=[[1.0], [0.0], [1.0]])
    with pytest.raises(SpecError) as info:
        load_spec(data)
    message = str(info.value)
    assert words in message, message
    assert "\n" not in message and "Traceback" not in message


def test_a_batch_spec_needs_matching_batches():
    data = {k: v for k, v in FULL.items() if k not in ("x", "y", "steps")}
    with pytest.raises(SpecError, match=r"batches\[1\].x has 3 values per sample"):
        load_spec({**data, "batches": [{"x": FULL["x"], "y": FULL["y"]},
                                       {"x": [[1.0, 2.0, 3.0]], "y": [0]}]})
    with pytest.raises(SpecError, match="steps is 3 but batches gives 1"):
        load_spec({**data, "steps": 3, "batches": [{"x": FULL["x"], "y": FULL["y"]}]})
    with pytest.raises(SpecError, match=r"batches\[0\] is missing the key 'y'"):
        load_spec({**data, "batches": [{"x": FULL["x"]}]})


# --- hardening: what Python's json and float() choke on, and numbers that overflow -----------
OVERFLOW = {"x": [1e308, 1e308], "y": [1.0],
            "layers": [{"W": [[1e308, 1e308]], "b": [0.0], "activation": "sigmoid"}]}


@pytest.mark.parametrize("text, words", [
    ('{"x": [' + "1" * 400 + '], "y": [1], "layers": []}',
     "x[0] is a number of about 400 digits, too large for a float64"),
    ("[" * 10_000 + "]" * 10_000, "nests lists or objects too deeply to read"),
    ('{"x": [' + "7" * 5000 + "]}", "holds a number too long to read"),
    ('{"x": [1e999], "y": [1], "layers": []}', "x[0] is inf"),
    (json.dumps(OVERFLOW), "step 1 cannot be explained: z of layer 1 is not finite (inf at "
                           "[0, 0])"),
], ids=["400-digit-integer", "10000-levels", "5000-digit-integer", "1e999", "overflowing-step"])
def test_unreadable_or_overflowing_numbers_are_one_line_exit_2(run_cli, tmp_path, text, words):
    path = tmp_path / "spec.json"
    path.write_text(text, encoding="utf-8")
    for fmt in ("json", "text"):
        rc, out, err = run_cli("example", "--spec", path, "--format", fmt)
        assert rc == 2 and out == ""
        assert err.startswith("backprop: error: ") and err.count("\n") == 1, err
        assert words in err, err
        assert "nan" not in err.split("(")[0]


def test_the_same_from_python_is_a_spec_error():
    with pytest.raises(SpecError, match="too deeply"):
        nested: list = []
        for _ in range(10_000):
            nested = [nested]
        load_spec({"x": nested, "y": [1], "layers": []})
    with pytest.raises(SpecError, match="about 400 digits"):
        load_spec({"x": [10 ** 399], "y": [1], "layers": []})
    with pytest.raises(SpecError, match="is not finite"):
        load_spec(OVERFLOW).trace()


def test_an_overflow_in_python_names_the_first_bad_value_without_warnings(recwarn):
    net = bp.Sequential(bp.Dense.from_arrays([[1e308, 1e308]], [0.0]), bp.Tanh())
    with pytest.raises(ValueError, match=r"z of layer 1 is not finite \(inf at \[0, 0\]\)"):
        bp.trace(net, bp.SquaredError(), [[1e308, 1e308]], [[1.0]], lr=0.1)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
