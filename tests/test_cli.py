"""The ``backprop`` command line: subcommands, --spec for any network, one-line errors."""

import json
import subprocess
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import cli, gradient_check

# networks other than the article's, written as specs
SPECS = {
    "deep-tanh-relu": {
        "x": [0.5, -0.3, 0.8],
        "y": [0.2, -0.1],
        "layers": [
            {"W": [[0.1, 0.2, -0.3], [0.4, -0.5, 0.6], [-0.7, 0.8, 0.9], [0.05, 0.1, -0.2]],
             "b": [0.0, 0.1, -0.1, 0.2], "activation": "tanh"},
            {"W": [[0.3, -0.2, 0.1, 0.5], [0.2, 0.4, -0.6, 0.1], [-0.3, 0.3, 0.2, 0.2]],
             "b": [0.05, 0.0, -0.05], "activation": "relu"},
            {"W": [[0.5, -0.5, 0.25], [0.1, 0.2, 0.3]], "b": [0.0, 0.0],
             "activation": "identity"},
        ],
        "loss": "squared",
        "learning_rate": 0.05,
    },
    "batch-leaky": {
        "x": [[0.5, -1.0], [0.0, 0.3], [1.5, 0.1], [-0.4, 0.9]],
        "y": [[1.0], [0.0], [1.0], [0.0]],
        "layers": [
            {"W": [[0.2, -0.1], [0.3, 0.3], [-0.6, 0.1]], "b": [0.0, 0.1, -0.1],
             "activation": "leaky_relu", "negative_slope": 0.1},
            {"W": [[0.5, -0.4, 0.3]], "b": [0.05], "activation": "sigmoid"},
        ],
        "loss": "squared",
        "learning_rate": 0.5,
    },
    "one-layer-bce": {
        "x": [1.0, 2.0],
        "y": [1.0],
        "layers": [{"W": [[0.3, -0.1]], "b": [0.2], "activation": "identity"}],
        "loss": "binary_cross_entropy",
        "learning_rate": 1.0,
    },
}




def write(tmp_path, data, name="spec.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", [["--help"], ["example", "--help"], ["gradcheck", "--help"], []])
def test_help(run_cli, argv):
    rc, out, err = run_cli(*argv)
    assert rc == 0 and err == ""
    assert out.startswith("usage: backprop")
    assert "--spec" in out or "example" in out


def test_gradcheck_defaults_to_the_article_and_names_its_layers(run_cli):
    rc, out, err = run_cli("gradcheck")
    assert rc == 0 and err == "" and "PASS" in out
    assert [line.split()[0] for line in out.splitlines()[1:5]] == ["W[1]", "b[1]", "W[2]", "b[2]"]


def test_python_dash_m_without_a_command_shows_the_help():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "backprop"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith("usage: backprop") and "gradcheck" in proc.stdout


def test_help_lists_every_subcommand(run_cli):
    _, out, _ = run_cli("--help")
    for cmd in cli.COMMANDS:
        assert cmd.name in out


def test_version(run_cli):
    rc, out, _ = run_cli("--version")
    assert rc == 0 and out.strip() == f"backprop {bp.__version__}"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_example_with_other_networks_matches_the_trace(run_cli, tmp_path, name):
    path = write(tmp_path, SPECS[name])
    rc, out, err = run_cli("example", "--spec", path, "--format", "json")
    assert rc == 0 and err == ""
    got = json.loads(out)
    spec = bp.load_spec(SPECS[name])
    want = bp.trace(spec.net, spec.loss, spec.x, spec.y, lr=spec.learning_rate).to_dict()
    assert got == json.loads(json.dumps(want))
    assert len(got["layers"]) == len(SPECS[name]["layers"])
    for fmt in ("text", "markdown"):
        for lang in ("en", "vi"):
            rc, out, err = run_cli("example", "--spec", path, "--format", fmt,
                               "--lang", lang)
            assert rc == 0 and err == ""
            assert f"{want['loss']:.6f}" in out


def test_output_is_written_atomically(run_cli, tmp_path):
    _, expected, _ = run_cli("example", "--format", "markdown")
    target = tmp_path / "out.md"
    target.write_text("old content", encoding="utf-8")
    rc, out, err = run_cli("example", "--format", "markdown", "--output", target)
    assert rc == 0 and out == "" and err == ""
    assert target.read_text(encoding="utf-8") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.md"]  # no temp file left


def test_output_into_a_missing_directory_is_one_line(run_cli, tmp_path):
    rc, out, err = run_cli("example", "--output", tmp_path / "no" / "such" / "out.txt")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("backprop: error: ")
    assert "No such file or directory" in err


# (case id, spec file text, words the one-line error must contain)
BAD_FILES = [
    ("invalid-json", '{"x": [0.2, 0.4],\n "y": [1.0]\n "layers": []}', "line 3, column 2"),
    ("nan", json.dumps(SPECS["batch-leaky"]).replace("0.05", "NaN"), "layer 2: b[0] is nan"),
    ("infinity", json.dumps(SPECS["batch-leaky"]).replace("-0.4", "-Infinity"),
     "x[3][0] is -inf"),
    ("missing-key", json.dumps({"x": [1.0], "layers": []}), "missing the key 'y'"),
    ("wrong-type", json.dumps({**SPECS["one-layer-bce"], "x": "1, 2"}),
     "x must be a list of numbers, got a string"),
    ("shape", json.dumps({**SPECS["one-layer-bce"], "x": [1.0, 2.0, 3.0]}),
     "layer 1: W has shape (1, 2) but its input has 3 units"),
    ("bias", json.dumps({**SPECS["one-layer-bce"],
                         "layers": [{"W": [[0.3, -0.1]], "b": [0.2, 0.1],
                                     "activation": "identity"}]}),
     "layer 1: b has 2 entries but W has 1 row (one bias per unit)"),
    ("y-width", json.dumps({**SPECS["one-layer-bce"], "y": [1.0, 0.0]}),
     "y has 2 value(s) per sample but the last layer has 1 unit(s)"),
    ("activation", json.dumps({**SPECS["one-layer-bce"],
                               "layers": [{"W": [[0.3, -0.1]], "b": [0.2], "activation": "elu"}]}),
     "unknown activation 'elu'; known: identity, sigmoid, tanh, relu, leaky_relu, gelu"),
    ("loss", json.dumps({**SPECS["one-layer-bce"], "loss": "l1"}), "unknown loss 'l1'; known:"),
    ("learning-rate", json.dumps({**SPECS["one-layer-bce"], "learning_rate": -1}),
     "learning_rate must be > 0, got -1"),
    ("not-an-object", "[1, 2, 3]", "a spec must be a JSON object"),
    ("empty-file", "", "is not valid JSON"),
]


@pytest.mark.parametrize("command", ["example", "gradcheck"])
@pytest.mark.parametrize("text, words", [b[1:] for b in BAD_FILES], ids=[b[0] for b in BAD_FILES])
def test_bad_spec_is_one_line_on_stderr(run_cli, tmp_path, command, text, words):
    path = write(tmp_path, text)
    rc, out, err = run_cli(command, "--spec", path)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("backprop: error: ")
    assert words in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv, words", [
    (["example", "--spec", "/no/such/spec.json"], "spec file '/no/such/spec.json' does not exist"),
    (["example", "--format", "pdf"], "invalid choice: 'pdf'"),
    (["example", "--lang", "fr"], "invalid choice: 'fr'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["example", "--bogus"], "unrecognized arguments: --bogus"),
])
def test_usage_errors_are_one_line(run_cli, argv, words):
    rc, out, err = run_cli(*argv)
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("backprop: error: ")
    assert words in err


def test_error_from_a_real_process_has_no_traceback(tmp_path):
    path = write(tmp_path, '{"x": [0.2, NaN], "y": [1], "layers": []}')
    proc = subprocess.run([sys.executable, "-m", "backprop", "example", "--spec", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr == "backprop: error: x[1] is nan; every number in a spec must be finite\n"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_gradcheck_passes_and_reports_every_parameter(run_cli, tmp_path, name):
    path = write(tmp_path, SPECS[name])
    rc, out, err = run_cli("gradcheck", "--spec", path)
    assert rc == 0 and err == ""
    assert "PASS" in out
    n_layers = len(SPECS[name]["layers"])
    names = [f"{p}[{i + 1}]" for i in range(n_layers) for p in ("W", "b")]  # the article's
    for pname in names:
        assert pname in out
    rc, out, _ = run_cli("gradcheck", "--spec", path, "--format", "json")
    report = json.loads(out)
    assert rc == 0 and report["ok"] is True
    assert [p["name"] for p in report["params"]] == names
    assert all(p["max_rel_error"] < 1e-7 for p in report["params"])
    shapes = [list(np.shape(layer[k])) for layer in SPECS[name]["layers"] for k in ("W", "b")]
    assert [p["shape"] for p in report["params"]] == shapes


def _dropout_spec(fixed):
    """Three samples through tanh, a dropout with ``fixed`` (its mask or seed), a linear unit."""
    return {"x": [[0.5, -1.0], [0.2, 0.3], [1.0, 0.4]], "y": [[0.1], [0.7], [-0.2]],
            "layers": [{"W": [[0.1, -0.2], [0.3, 0.25], [0.4, 0.1]], "b": [0.01, -0.02, 0.0],
                        "activation": "tanh"},
                       {"type": "dropout", "p": 0.5, **fixed},
                       {"W": [[0.3, -0.2, 0.5]], "b": [0.05], "activation": "identity"}],
            "loss": "squared"}


@pytest.mark.parametrize("fixed", [{"mask": [[1, 0, 1], [1, 1, 0], [0, 1, 1]]}, {"seed": 7}],
                         ids=["mask", "seed"])
def test_gradcheck_of_a_spec_with_dropout_uses_one_mask_for_every_evaluation(run_cli, tmp_path,
                                                                             fixed):
    """A new mask at every evaluation made the finite differences meaningless (a relative
    error near 1); the spec's mask -- or one drawn once from its seed, the one the explanation's
    first step uses -- makes the check pass."""
    path = write(tmp_path, _dropout_spec(fixed))
    rc, out, err = run_cli("gradcheck", "--spec", path, "--format", "json")
    report = json.loads(out)
    assert rc == 0 and err == "" and report["ok"] is True, out
    assert [p["name"] for p in report["params"]] == ["W[1]", "b[1]", "W[2]", "b[2]"]
    assert all(p["max_rel_error"] < 1e-7 for p in report["params"])
    spec = bp.load_spec(path)
    masks = spec.dropout_masks()
    assert list(masks) == [2]
    first_step = next(m for m in spec.trace().modules if m.position == 2)
    assert np.array_equal(masks[2], first_step.observed["mask"])
    if "mask" in fixed:
        assert np.array_equal(masks[2], np.array(fixed["mask"], dtype=bool))


def test_gradcheck_failure_exits_1(run_cli, tmp_path, monkeypatch):
    real = gradient_check.gradcheck

    def strict(*args, **kwargs):
        return real(*args, **{**kwargs, "tolerance": 0.0})  # nothing passes 0

    monkeypatch.setattr(gradient_check, "gradcheck", strict)
    rc, out, _ = run_cli("gradcheck", "--spec", write(tmp_path, SPECS["batch-leaky"]))
    assert rc == 1 and "FAIL" in out
