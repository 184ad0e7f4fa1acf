"""The JSON spec format: good specs build the right network, every bad one names its problem."""

import copy
import json

import numpy as np
import pytest

import backprop as bp
from backprop.explain.spec import Spec, SpecError, load_spec, spec_activations, spec_to_dict

ARTICLE = {
    "x": [0.2, 0.4],
    "y": [1.0],
    "layers": [
        {"W": [[0.10, -0.20], [0.30, 0.25]], "b": [0.01, -0.02], "activation": "sigmoid"},
        {"W": [[0.80, 0.90]], "b": [0.10], "activation": "sigmoid"},
    ],
    "loss": "squared",
    "learning_rate": 0.1,
}

#: the article's network with a linear output: the logits a loss with a link takes
LOGITS = {**ARTICLE, "layers": [ARTICLE["layers"][0],
                                {**ARTICLE["layers"][1], "activation": "identity"}]}

BATCH = {
    "x": [[0.5, -1.0, 2.0], [0.0, 0.3, -0.2], [1.5, 0.1, 0.0], [-0.4, 0.9, 1.1]],
    "y": [[0.1, 0.0], [0.2, 1.0], [-0.3, 0.5], [0.0, 0.0]],
    "layers": [
        {"W": [[0.2, -0.1, 0.4], [0.3, 0.3, -0.5], [-0.6, 0.1, 0.2]], "b": [0.0, 0.1, -0.1],
         "activation": "leaky_relu", "negative_slope": 0.2},
        {"W": [[0.5, -0.4, 0.3], [0.1, 0.2, 0.3]], "b": [0.05, -0.05], "activation": "identity"},
    ],
    "loss": "squared",
    "learning_rate": 0.05,
}


def test_article_spec_builds_the_article_network():
    spec = load_spec(ARTICLE)
    assert isinstance(spec, Spec)
    assert spec.single_sample and spec.learning_rate == 0.1
    assert spec.x.shape == (1, 2) and spec.y.shape == (1, 1)
    assert isinstance(spec.loss, bp.SquaredError)
    kinds = [type(layer) for layer in spec.net]
    assert kinds == [bp.Dense, bp.Sigmoid, bp.Dense, bp.Sigmoid]
    assert np.array_equal(spec.net[0].W, [[0.10, -0.20], [0.30, 0.25]])
    assert np.array_equal(spec.net[2].b, [0.10])
    assert spec.net[0].W.dtype == np.float64


def test_batch_spec():
    spec = load_spec(BATCH)
    assert not spec.single_sample
    assert spec.x.shape == (4, 3) and spec.y.shape == (4, 2)
    assert isinstance(spec.net[1], bp.LeakyReLU) and spec.net[1].negative_slope == 0.2
    assert isinstance(spec.net[3], bp.Identity)


@pytest.mark.parametrize("data", [ARTICLE, BATCH], ids=["article", "batch"])
def test_round_trip(data):
    assert spec_to_dict(load_spec(data)) == data


def test_round_trip_keeps_the_description_and_the_file_loads(tmp_path):
    data = {"description": "a note", **ARTICLE}
    path = tmp_path / "net.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    assert spec_to_dict(load_spec(path)) == data
    assert spec_to_dict(load_spec(str(path))) == data


def test_numpy_arrays_in_a_dict_are_accepted():
    data = {**BATCH, "x": np.array(BATCH["x"]), "y": np.array(BATCH["y"])}
    assert spec_to_dict(load_spec(data)) == BATCH


def test_defaults_and_a_bare_number_target():
    data = copy.deepcopy(ARTICLE)
    del data["loss"], data["learning_rate"]
    data["y"] = 1
    spec = load_spec(data)
    assert spec.learning_rate == 0.1 and isinstance(spec.loss, bp.SquaredError)
    assert spec.y.shape == (1, 1)


@pytest.mark.parametrize("name, cls", [("squared", bp.SquaredError), ("mse", bp.SquaredError),
                                       ("binary_cross_entropy", bp.BinaryCrossEntropy),
                                       ("cross_entropy", bp.SoftmaxCrossEntropy)])
def test_losses_by_name(name, cls):
    assert isinstance(load_spec({**LOGITS, "loss": name}).loss, cls)


def _link_pairs() -> list[tuple[str, str]]:
    """(loss, activation) of every loss that applies an element-wise link of its own (not the
    identity), under each name of the activation: from the registries, not a list here."""
    pairs = []
    for loss, cls in bp.LOSSES.items():
        link = bp.LAYERS.get(cls.link)
        if cls().classifier and link is not None and cls.link in spec_activations():
            pairs += [(loss, n) for n in bp.LAYERS.names(aliases=True) if bp.LAYERS.get(n) is link]
    return pairs


def test_the_link_pairs_include_sigmoid_with_binary_cross_entropy():
    assert ("binary_cross_entropy", "sigmoid") in _link_pairs()
    assert not any(loss == "squared" for loss, _ in _link_pairs())  # identity: nothing twice


@pytest.mark.parametrize("loss, activation", _link_pairs())
def test_a_last_activation_that_the_loss_applies_again_is_refused(loss, activation):
    """binary_cross_entropy takes logits and applies the sigmoid itself: a sigmoid on the last
    layer would be applied twice, a silently wrong answer; the spec says where and what to
    write."""
    last = {**LOGITS["layers"][1], "activation": activation}
    with pytest.raises(SpecError) as info:
        load_spec({**LOGITS, "loss": loss, "layers": [LOGITS["layers"][0], last]})
    message = str(info.value)
    assert message.startswith(f"layer 2: the {loss} loss applies the ")
    assert f'"activation": "{activation}" here would apply it twice' in message
    assert message.endswith('write "activation": "identity" instead')
    # behind a dropout (which only masks) it is the same double application
    dropout = {"type": "dropout", "p": 0.5, "mask": [[1.0]]}
    with pytest.raises(SpecError, match=f'layer 2: the {loss} loss applies'):
        load_spec({**LOGITS, "loss": loss, "layers": [LOGITS["layers"][0], last, dropout]})
    # as a layer of its own it is left out instead
    alone = {"type": activation}
    with pytest.raises(SpecError, match=rf"layer 3 \({activation}\): the {loss} loss applies "
                                        r"the .* twice; leave it out"):
        load_spec({**LOGITS, "loss": loss, "layers": [*LOGITS["layers"], alone]})
    # an identity output with the loss is the network meant; a hidden one may be the link
    spec = load_spec({**LOGITS, "loss": loss})
    assert type(spec.net[1]) is bp.LAYERS[activation] and isinstance(spec.net[-1], bp.Identity)


def test_softmax_with_its_cross_entropy_is_still_folded_into_the_loss():
    data = {**LOGITS, "y": [1], "loss": "softmax_cross_entropy",
            "layers": [LOGITS["layers"][0], {"W": [[0.8, 0.9], [0.1, -0.3]], "b": [0.1, 0.0],
                                             "activation": "softmax"}]}
    spec = load_spec(data)
    assert spec.link and isinstance(spec.net[-1], bp.Dense)


@pytest.mark.parametrize("act", spec_activations())
def test_every_activation_name(act):
    data = copy.deepcopy(ARTICLE)
    data["layers"][0]["activation"] = act
    assert load_spec(data).net[1].name == act


def test_shipped_article_spec_is_the_article():
    from importlib import resources

    text = resources.files("backprop.explain").joinpath("article.json").read_text("utf-8")
    data = json.loads(text)
    assert {k: v for k, v in data.items() if k != "description"} == ARTICLE


def _mutate(path_and_value):
    """A deep copy of the article spec with one change: ((key, ...), value or DELETE)."""
    data = copy.deepcopy(ARTICLE)
    keys, new = path_and_value
    target = data
    for key in keys[:-1]:
        target = target[key]
    if new is DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = new
    return data


DELETE = object()

# (case id, change to the article spec, words the message must contain)
BAD = [
    ("missing-x", (("x",), DELETE), "missing the key 'x'"),
    ("missing-y", (("y",), DELETE), "missing the key 'y'"),
    ("missing-layers", (("layers",), DELETE), "missing the key 'layers'"),
    ("unknown-key", (("learning-rate",), 0.1), "unknown key 'learning-rate'"),
    ("x-string", (("x",), "0.2, 0.4"), "x must be a list of numbers, got a string"),
    ("x-empty", (("x",), []), "x is empty"),
    ("x-bool", (("x",), [True, 0.4]), "x[0] must be a number, got a boolean"),
    ("x-ragged", (("x",), [[0.2, 0.4], [0.1]]), "x rows differ in length"),
    ("x-nan", (("x",), [float("nan"), 0.4]), "x[0] is nan; every number in a spec must be finite"),
    ("W-inf", (("layers", 0, "W", 1, 0), float("inf")), "layer 1: W[1][0] is inf"),
    ("W-not-list", (("layers", 0, "W"), 0.5), "layer 1: W must be a list of rows"),
    ("W-flat", (("layers", 0, "W"), [0.1, 0.2]), "layer 1: W[0] must be a row"),
    ("W-ragged", (("layers", 0, "W"), [[0.1, 0.2], [0.3]]), "layer 1: W rows differ in length"),
    ("W-input-1", (("layers", 0, "W"), [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]]),
     "layer 1: W has shape (2, 3) but its input has 2 units"),
    ("W-input-2", (("layers", 1, "W"), [[0.8, 0.9, 1.0]]),
     "layer 2: W has shape (1, 3) but its input has 2 units"),
    ("b-length", (("layers", 0, "b"), [0.01]), "layer 1: b has 1 entry but W has 2 rows"),
    ("b-missing", (("layers", 1, "b"), DELETE), "layer 2 is missing the key 'b'"),
    ("layer-unknown-key", (("layers", 0, "bias"), [0.0, 0.0]), "layer 1 has an unknown key 'bias'"),
    ("layer-not-object", (("layers", 1), [0.8, 0.9]), "layer 2 must be an object"),
    ("layers-empty", (("layers",), []), "layers is empty"),
    ("layers-not-list", (("layers",), {"W": [[1.0]]}), "layers must be a list"),
    ("activation-unknown", (("layers", 0, "activation"), "elu"),
     "layer 1: unknown activation 'elu'; known: identity, sigmoid, tanh, relu, leaky_relu, "
     "gelu, silu, softplus"),
    ("activation-softmax", (("layers", 1, "activation"), "softmax"),
     "layer 2: softmax acts on all units of a layer together, so it can only be the last layer's "
     "activation with the loss it belongs to (softmax_cross_entropy)"),
    ("activation-not-string", (("layers", 0, "activation"), 3), "unknown activation 3"),
    ("slope-on-sigmoid", (("layers", 0, "negative_slope"), 0.1),
     "negative_slope applies to leaky_relu only"),
    ("y-width", (("y",), [1.0, 0.0]), "y has 2 value(s) per sample but the last layer has 1"),
    ("y-rows-for-one-sample", (("y",), [[1.0]]), "y is a list of rows but x is one sample"),
    ("y-nan", (("y",), [float("-inf")]), "y[0] is -inf"),
    ("loss-unknown", (("loss",), "hinge"),
     "unknown loss 'hinge'; known: squared, binary_cross_entropy"),
    ("lr-zero", (("learning_rate",), 0), "learning_rate must be > 0, got 0"),
    ("lr-negative", (("learning_rate",), -0.1), "learning_rate must be > 0, got -0.1"),
    ("lr-string", (("learning_rate",), "0.1"), "learning_rate must be a number, got a string"),
    ("lr-nan", (("learning_rate",), float("nan")), "learning_rate is nan"),
    ("description-number", (("description",), 5), "description must be a string"),
]


@pytest.mark.parametrize("change, words", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_spec_names_the_problem(change, words):
    with pytest.raises(SpecError) as info:
        load_spec(_mutate(change))
    message = str(info.value)
    assert words in message
    assert "\n" not in message


@pytest.mark.parametrize("data, words", [
    ({**BATCH, "y": [[0.1, 0.0]]}, "y has 1 rows but x has 4"),
    ({**BATCH, "y": [0.1, 0.2, 0.3, 0.4]}, "y must be a list of 4 rows"),
    ({**BATCH, "layers": [{**BATCH["layers"][0], "negative_slope": -1}, BATCH["layers"][1]]},
     "layer 1: negative_slope must be >= 0, got -1"),
    ({**LOGITS, "loss": "bce", "y": [2.0]}, "y must lie in [0, 1] for the bce loss, got 2"),
    ([1, 2], "a spec must be a JSON object"),
])
def test_more_bad_specs(data, words, tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(SpecError, match=None) as info:
        load_spec(path)
    assert words in str(info.value)


def test_file_errors(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(SpecError, match=f"spec file '{missing}' does not exist"):
        load_spec(missing)
    with pytest.raises(SpecError, match="folder"):
        load_spec(tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text('{\n  "x": [0.2, 0.4],\n  "y": [1.0\n}\n', encoding="utf-8")
    with pytest.raises(SpecError, match=r"is not valid JSON: .* at line 4, column 1"):
        load_spec(broken)
    nan = tmp_path / "nan.json"
    nan.write_text(json.dumps(ARTICLE).replace("0.25", "NaN"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"layer 1: W\[1\]\[1\] is nan"):
        load_spec(nan)
    latin = tmp_path / "latin.json"
    latin.write_bytes(b'{"description": "\xe9"}')
    with pytest.raises(SpecError, match="is not UTF-8"):
        load_spec(latin)
    with pytest.raises(SpecError, match="a spec is a file path or a dict, got int"):
        load_spec(3)


def test_spec_error_is_a_value_error():
    assert issubclass(SpecError, ValueError)


def test_spec_to_dict_rejects_a_network_it_cannot_write():
    spec = load_spec(ARTICLE)
    spec.net = bp.Sequential(bp.Dense(2, 1, rng=0))
    with pytest.raises(SpecError, match="odd number of layers"):
        spec_to_dict(spec)
