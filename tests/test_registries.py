"""Adding an activation is one class and one registration.

The activation below is defined here, in the test file, registered with
``bp.register_activation`` and nothing else; every part of the library that takes an activation
by name then uses it: ``bp.mlp``, ``backprop train --activation``, specs and the step-by-step
explanation (text, Markdown, HTML, JSON; English and Vietnamese), the gradient checker, model
files and the diagnostics. It has no notation of its own, so the explanation writes it by name.
"""

from __future__ import annotations

import json
import math
import numbers

import numpy as np
import pytest

import backprop as bp

NAME = "scaled_softsign"


class ScaledSoftsign(bp.Activation):
    r"""Softsign scaled by :math:`s`: :math:`g(z) = s\,z / (1 + |z|)`,
    :math:`g'(z) = s / (1 + |z|)^2`.

    Parameters
    ----------
    scale : float > 0, default 1
    """

    name = NAME
    words = {"en": "scaled softsign", "vi": "softsign co giãn"}
    default_init = "xavier_normal"

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, numbers.Real) or not scale > 0:
            raise ValueError(f"scale must be a number > 0, got {scale!r}")
        self.scale = float(scale)
        self._slope: np.ndarray | None = None

    def forward(self, x: np.ndarray) -> np.ndarray:
        d = 1.0 + np.abs(x)
        self._slope = self.scale / (d * d)
        return self.scale * x / d

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray:
        return dy * self._slope

    def gain(self) -> float:
        return 1.0 / self.scale  # g'(0) = s: a gain of 1/s keeps small signals' variance

    def get_config(self) -> dict[str, float]:
        return {"scale": self.scale}


@pytest.fixture(scope="module", autouse=True)
def registered():
    """Register the activation for this module's tests only."""
    bp.register_activation(ScaledSoftsign)
    yield ScaledSoftsign
    bp.LAYERS.remove(NAME)
    assert NAME not in bp.LAYERS


def _spec(scale=2.0):
    return bp.load_spec({
        "x": [[0.5, -1.0], [1.5, 0.25]],
        "y": [[1.0], [0.0]],
        "layers": [
            {"W": [[0.4, -0.6], [0.3, 0.8]], "b": [0.1, -0.2], "activation": NAME,
             "scale": scale},
            {"W": [[0.7, -0.5]], "b": [0.05], "activation": "sigmoid"},
        ],
        "loss": "squared",
        "learning_rate": 0.5,
    })


def test_it_is_registered_and_found_by_name():
    assert bp.LAYERS[NAME] is ScaledSoftsign
    assert NAME in bp.layers.activation_names(elementwise=True)
    assert bp.init.gain(NAME, scale=4.0) == 0.25


def test_mlp_trains_with_it():
    X, y = bp.datasets.moons(120, rng=0)
    net = bp.mlp([2, 16, 16, 2], activation=NAME, rng=0)
    assert [type(layer) for layer in net].count(ScaledSoftsign) == 2
    loss = bp.SoftmaxCrossEntropy()
    opt = bp.Adam(net.parameters(), lr=0.02)
    first = loss.forward(net.forward(X), y)
    for _ in range(20):
        loss.forward(net.forward(X), y)
        net.backward(loss.backward(), input_grad=False)
        opt.step()
    assert loss.forward(net.forward(X), y) < 0.8 * first


def test_command_line_trains_with_it(run_cli):
    code, out, err = run_cli("train", "--activation", NAME, "--epochs", "2", "--quiet",
                             "--json")
    assert code == 0, err
    assert json.loads(out)["epochs_run"] == 2


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_explanation_writes_it_by_name(lang):
    spec = _spec()
    tr = bp.trace(spec.net, spec.loss, spec.x, spec.y, lr=spec.learning_rate)
    words = ScaledSoftsign.words[lang]
    text = tr.to_text(lang=lang)
    assert f"{NAME}(" in text  # the default notation: g written by its registry name
    assert words in text
    markdown = tr.to_markdown(lang=lang)
    assert r"\operatorname{" in markdown and words in markdown
    # the JSON holds the engine's numbers: a = g(z) with g = s z / (1 + |z|)
    data = json.loads(json.dumps(tr.to_dict()))
    first = data["layers"][0]
    assert first["activation"] == NAME and first["scale"] == 2.0
    z = np.asarray(first["z"])
    np.testing.assert_allclose(first["a"], 2.0 * z / (1.0 + np.abs(z)), rtol=1e-15)
    np.testing.assert_allclose(first["g_prime"], 2.0 / (1.0 + np.abs(z)) ** 2, rtol=1e-15)
    np.testing.assert_allclose(z, spec.net[0].forward(spec.x), rtol=1e-15)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_explanation_as_html(lang):
    pytest.importorskip("latex2mathml", reason="the HTML page needs the report extra")
    spec = _spec()
    page = bp.trace(spec.net, spec.loss, spec.x, spec.y, lr=spec.learning_rate).to_html(lang)
    assert page.lstrip().lower().startswith("<!doctype html")
    assert ScaledSoftsign.words[lang] in page and "<math" in page


def test_default_notation_escapes_the_name_in_tex():
    """An underscore in a name must not become a subscript in the LaTeX (and the MathML)."""
    tex, text = ScaledSoftsign().notation().g
    assert NAME in text
    assert "_" not in tex.replace(r"\_", "")


def test_chain_calls_it_by_name():
    """``bp.chain`` finds it in the registry: its value and slope are its own forward and
    backward on one number, its settings are keyword arguments."""
    c = bp.chain(f"a = {NAME}(z, scale=2)", z=-3.0)
    assert c.value == 2.0 * -3.0 / 4.0 and c.grad == {"z": 2.0 / 16.0}
    assert c.output_node.config == {"scale": 2.0}
    assert f"{NAME}(z)" in c.to_text() and ScaledSoftsign.words["vi"] in c.to_text("vi")


def test_gradient_check_passes():
    spec = _spec()
    report = bp.gradcheck(spec.net, spec.loss, spec.x, spec.y, check_input=True)
    assert report.ok, str(report)
    X = np.random.default_rng(0).normal(size=(6, 3))
    report = bp.gradcheck(ScaledSoftsign(0.7), bp.SquaredError(), X, np.ones((6, 3)),
                          check_input=True)
    assert report.ok, str(report)


def test_save_load_round_trip_is_bit_identical(tmp_path):
    net = bp.mlp([3, 5, 2], activation=NAME, rng=1)
    net[1].scale = 1.5
    path = bp.save(tmp_path / "net.npz", net)
    loaded = bp.load(path)
    assert isinstance(loaded[1], ScaledSoftsign) and loaded[1].scale == 1.5
    X = np.random.default_rng(2).normal(size=(7, 3))
    np.testing.assert_array_equal(loaded.forward(X), net.forward(X))


def test_diagnostics_record_its_statistics():
    X, y = bp.datasets.blobs(60, n_classes=2, rng=0)
    net = bp.mlp([2, 6, 2], activation=NAME, rng=0)
    history = net.fit(X, y, loss="softmax_cross_entropy",
                      optimizer=bp.SGD(net.parameters(), lr=0.1), epochs=2, batch_size=20,
                      seed=0, verbose=False, diagnostics=True)
    record = history.diagnostics
    index = record["activations"].index(next(a for a in record["activations"]
                                             if "ScaledSoftsign" in a))
    last = record["records"][-1]
    assert math.isfinite(last["act_mean"][index]) and last["act_std"][index] > 0
    assert last["saturated"][index] is None  # saturated() says the idea does not apply
    assert last["dead"][index] is None  # can_die is False


def test_a_name_cannot_be_registered_twice():
    class Other(ScaledSoftsign):
        pass

    with pytest.raises(ValueError, match=f"'{NAME}' is already registered"):
        bp.register_activation(Other)
    assert bp.LAYERS[NAME] is ScaledSoftsign
    bp.register_activation(ScaledSoftsign)  # the same class again is harmless
    try:
        bp.register_activation(Other, replace=True)
        assert bp.LAYERS[NAME] is Other
    finally:
        bp.register_activation(ScaledSoftsign, replace=True)
    assert bp.LAYERS[NAME] is ScaledSoftsign
