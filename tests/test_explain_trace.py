"""The trace records the engine's own numbers: identical (==) to running the engine directly."""

import copy
import json

import numpy as np
import pytest

import backprop as bp
from backprop.explain import steps
from backprop.explain.words import LANGUAGES

ACTIVATIONS = {
    "sigmoid": bp.Sigmoid, "tanh": bp.Tanh, "relu": bp.ReLU,
    "leaky_relu": lambda: bp.LeakyReLU(0.1), "identity": bp.Identity,
}

# (name, widths, activations (None: a Dense with no activation after it), batch size)
NETWORKS = [
    ("article", None, None, 1),
    ("tanh-relu-identity-1", (3, 4, 3, 2), ("tanh", "relu", "identity"), 1),
    ("tanh-relu-identity-4", (3, 4, 3, 2), ("tanh", "relu", "identity"), 4),
    ("leaky-sigmoid-tanh-relu-4", (2, 5, 3, 3, 1), ("leaky_relu", "sigmoid", "tanh", "relu"), 4),
    ("relu-leaky-bare-dense-1", (4, 3, 3, 2), ("relu", "leaky_relu", None), 1),
    ("identity-tanh-leaky-bare-4", (2, 3, 4, 2, 3), ("identity", "tanh", "leaky_relu", None), 4),
]


def article_net():
    return bp.Sequential(
        bp.Dense.from_arrays([[0.10, -0.20], [0.30, 0.25]], [0.01, -0.02]), bp.Sigmoid(),
        bp.Dense.from_arrays([[0.80, 0.90]], [0.10]), bp.Sigmoid(),
    )


def make_case(name, widths, acts, m, seed=0):
    if name == "article":
        return article_net(), np.array([[0.2, 0.4]]), np.array([[1.0]])
    rng = np.random.default_rng(seed)
    layers = []
    for i, act in enumerate(acts):
        dense = bp.Dense(widths[i], widths[i + 1], rng=rng)
        dense.b[...] = rng.normal(scale=0.3, size=widths[i + 1])
        layers.append(dense)
        if act is not None:
            layers.append(ACTIVATIONS[act]())
    X = rng.normal(size=(m, widths[0]))
    y = rng.normal(size=(m, widths[-1]))
    return bp.Sequential(*layers), X, y


def engine_step(net, loss, X, y, lr):
    """The engine run directly, layer by layer, on a copy; returns what each Dense saw."""
    net = copy.deepcopy(net)
    loss = copy.deepcopy(loss)
    h, fwd = X, []
    for layer in net:
        out = layer.forward(h)
        fwd.append((h.copy(), out.copy()))
        h = out
    J = loss.forward(h, y)
    g, bwd = loss.backward(), [None] * len(net)
    for i in range(len(net) - 1, -1, -1):
        bwd[i] = g.copy()
        g = net[i].backward(g)
    dense = [i for i, layer in enumerate(net) if isinstance(layer, bp.Dense)]
    grads = {i: (net[i].dW.copy(), net[i].db.copy()) for i in dense}
    bp.SGD(net.parameters(), lr=lr).step()
    return dict(out=h, J=J, fwd=fwd, bwd=bwd, dense=dense, grads=grads, net=net)


@pytest.mark.parametrize("name, widths, acts, m", NETWORKS, ids=[c[0] for c in NETWORKS])
def test_trace_numbers_are_identical_to_the_engine(name, widths, acts, m):
    net, X, y = make_case(name, widths, acts, m)
    loss, lr = bp.SquaredError(), 0.1
    ref = engine_step(net, loss, X, y, lr)
    tr = bp.trace(net, loss, X, y, lr=lr)
    assert tr.loss == ref["J"]
    assert np.array_equal(tr.output, ref["out"])
    assert len(tr.layers) == len(ref["dense"])
    layers = list(ref["net"])
    for t, d in zip(tr.layers, ref["dense"], strict=True):
        has_act = d + 1 < len(layers) and not isinstance(layers[d + 1], bp.Dense)
        a_index = d + 1 if has_act else d
        assert np.array_equal(t.a_prev, ref["fwd"][d][0])
        assert np.array_equal(t.z, ref["fwd"][d][1])
        assert np.array_equal(t.a, ref["fwd"][a_index][1])
        assert np.array_equal(t.delta, ref["bwd"][d])
        assert np.array_equal(t.grad_a, ref["bwd"][a_index])
        assert np.array_equal(t.dW, ref["grads"][d][0])
        assert np.array_equal(t.db, ref["grads"][d][1])
        assert np.array_equal(t.W, net[d].W) and np.array_equal(t.b, net[d].b)
        assert np.array_equal(t.W_new, layers[d].W)
        assert np.array_equal(t.b_new, layers[d].b)
        assert t.activation == (layers[d + 1].name if has_act else "identity")


@pytest.mark.parametrize("name, widths, acts, m", NETWORKS, ids=[c[0] for c in NETWORKS])
def test_callers_net_loss_and_hooks_are_untouched(name, widths, acts, m):
    net, X, y = make_case(name, widths, acts, m)
    loss = bp.SquaredError()
    before = [(p.data.copy(), p.grad.copy()) for p in net.parameters()]
    calls = []
    net.add_hook(lambda *args: calls.append(args[0]))
    bp.trace(net, loss, X, y, lr=0.5)
    for p, (data, grad) in zip(net.parameters(), before, strict=True):
        assert np.array_equal(p.data, data) and np.array_equal(p.grad, grad)
    assert calls == []  # the caller's observer does not see the trace's private run
    with pytest.raises(RuntimeError):
        loss.backward()  # the caller's loss never ran forward


@pytest.mark.parametrize("name, widths, acts, m", NETWORKS, ids=[c[0] for c in NETWORKS])
def test_to_dict_shape(name, widths, acts, m):
    net, X, y = make_case(name, widths, acts, m)
    tr = bp.trace(net, bp.SquaredError(), X, y, lr=0.1)
    d = json.loads(json.dumps(tr.to_dict()))
    assert isinstance(d["loss"], float)
    assert d["batch_size"] == m
    for t, layer in zip(tr.layers, d["layers"], strict=True):
        assert np.array_equal(np.array(layer["W"]), t.W)
        assert np.array_equal(np.array(layer["W_new"]), t.W_new)
        assert np.array_equal(np.array(layer["b"]), t.b)
        for key in ("z", "a", "delta"):
            arr = np.array(layer[key])
            if m == 1:
                assert arr.shape == (t.n_out,)  # one sample: plain vectors
                assert np.array_equal(arr, getattr(t, key)[0])
            else:
                assert arr.shape == (m, t.n_out)
                assert np.array_equal(arr, getattr(t, key))
    out = np.array(d["output"])
    assert out.shape == ((tr.output.shape[1],) if m == 1 else tr.output.shape)


def test_batch_sample_losses_average_to_the_cost():
    net, X, y = make_case("b", (3, 4, 2), ("tanh", "sigmoid"), 5)
    tr = bp.trace(net, bp.SquaredError(), X, y, lr=0.1)
    per_sample = [bp.SquaredError().forward(net.forward(X[i:i + 1]), y[i:i + 1]) for i in range(5)]
    assert np.allclose(tr.sample_losses, per_sample, rtol=1e-15, atol=0)
    assert np.isclose(tr.sample_losses.mean(), tr.loss, rtol=1e-14)


def test_float32_network_is_traced_in_float32():
    net, X, y = make_case("f32", (3, 4, 2), ("tanh", "relu"), 3)
    net32 = bp.Sequential(*(bp.Dense.from_arrays(l.W, l.b, dtype=np.float32)
                            if isinstance(l, bp.Dense) else l for l in net))
    X32 = X.astype(np.float32)
    ref = engine_step(net32, bp.SquaredError(), X32, y, 0.1)
    tr = bp.trace(net32, bp.SquaredError(), X32, y, lr=0.1)
    assert tr.layers[0].z.dtype == np.float32
    assert np.array_equal(tr.layers[1].W_new, ref["net"][2].W)


def test_one_flat_sample_and_flat_target_are_accepted():
    tr = bp.trace(article_net(), bp.SquaredError(), [0.2, 0.4], 1.0, lr=0.1)
    assert round(tr.loss, 6) == 0.037700
    assert tr.single_sample


@pytest.mark.parametrize("layers", [
    [bp.Sigmoid(), bp.Dense(2, 1, rng=0)],
    [bp.Dense(2, 3, rng=0), bp.Softmax(), bp.Dense(3, 1, rng=1)],
    [bp.Dense(2, 3, rng=0), bp.Tanh(), bp.Tanh(), bp.Dense(3, 1, rng=1)],
    [bp.Dense(2, 3, rng=0), bp.LayerNorm(3), bp.Dense(3, 1, rng=1)],
], ids=["activation-first", "softmax-between", "two-activations", "layernorm"])
def test_a_layer_without_formulas_is_shown_by_its_numbers(layers):
    net = bp.Sequential(*layers)
    tr = bp.trace(net, bp.SquaredError(), np.array([[0.2, -0.4], [0.5, 0.1]]), [[0.3], [0.1]],
                  lr=0.1)
    ref = engine_step(net, bp.SquaredError(), np.array([[0.2, -0.4], [0.5, 0.1]]),
                      np.array([[0.3], [0.1]]), 0.1)
    others = [m for m in tr.modules if not hasattr(m, "W_new")]
    assert others
    for m in others:
        assert np.array_equal(m.x, ref["fwd"][m.position][0])
        assert np.array_equal(m.y, ref["fwd"][m.position][1])
        assert np.array_equal(m.grad_y, ref["bwd"][m.position])
    d = json.loads(json.dumps(tr.to_dict()))
    assert [e.get("type") for e in d["layers"]] == [
        None if isinstance(layer, bp.Dense) else layer.name for layer in net
        if not (layer.role == "activation" and getattr(layer, "elementwise", False)
                and net.layers.index(layer) > 0
                and isinstance(net.layers[net.layers.index(layer) - 1], bp.Dense))]
    for lang in LANGUAGES:
        text = tr.to_text(lang)
        assert f"{tr.loss:.6f}" in text
        for m in others:
            assert f"{m.y[0, 0]:.6f}" in text


def test_an_empty_network_is_refused():
    with pytest.raises(ValueError, match="empty"):
        bp.trace(bp.Sequential(), bp.SquaredError(), np.zeros((1, 2)), [[0.0]], lr=0.1)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(net=bp.Dense(2, 1, rng=0)), TypeError, "Sequential, got Dense"),
    (dict(loss="squared"), TypeError, "Loss, got str"),
    (dict(lr=0.0), ValueError, "learning rate must be > 0, got 0"),
    (dict(lr=-0.1), ValueError, "learning rate must be > 0, got -0.1"),
    (dict(X=np.zeros((1, 2, 2))), ValueError, r"X must have shape"),
])
def test_bad_arguments_name_the_value(kwargs, exc, match):
    args = dict(net=article_net(), loss=bp.SquaredError(), X=[[0.2, 0.4]], y=[[1.0]], lr=0.1)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        bp.trace(args["net"], args["loss"], args["X"], args["y"], lr=args["lr"])


# --- rendering of networks other than the article's ----------------------------------------
@pytest.mark.parametrize("name, widths, acts, m", NETWORKS[1:], ids=[c[0] for c in NETWORKS[1:]])
@pytest.mark.parametrize("lang", sorted(LANGUAGES))
def test_rendering_shows_every_result(name, widths, acts, m, lang):
    net, X, y = make_case(name, widths, acts, m)
    tr = bp.trace(net, bp.SquaredError(), X, y, lr=0.1)
    text, md = tr.to_text(lang), tr.to_markdown(lang)
    for t in tr.layers:
        for v in [*t.W_new.ravel(), *t.b_new, *t.dW.ravel(), *t.db]:
            s = f"{v:.6f}"
            s = "0.000000" if s == "-0.000000" else s
            assert s in text and s in md
        for v in (t.delta * m).ravel():  # the article's per-sample errors
            s = f"{v:.6f}"
            assert ("0.000000" if s == "-0.000000" else s) in text
    assert f"{tr.loss:.6f}" in text
    if m > 1:
        assert "(1/4)" in text and r"\frac{1}{4}" in md
    assert md == tr._repr_markdown_() or lang != "en"


def test_each_activation_writes_its_own_derivative():
    derivative = {
        "sigmoid": "(1 - a[1]_1)", "tanh": "(1 - (a[1]_1)²)", "relu": "1[z[1]_1 > 0]",
        "leaky_relu": "0.1·1[z[1]_1 ≤ 0]",
    }
    for act, expected in derivative.items():
        net = bp.Sequential(bp.Dense(2, 2, rng=0), ACTIVATIONS[act](), bp.Dense(2, 1, rng=1))
        text = bp.trace(net, bp.SquaredError(), [[0.3, -0.7]], [[0.5]], lr=0.1).to_text()
        assert expected in text, act


def test_large_batch_is_summarised():
    net, X, y = make_case("big", (2, 3, 1), ("tanh", "identity"), steps.MAX_SAMPLES + 3)
    tr = bp.trace(net, bp.SquaredError(), X, y, lr=0.1)
    text = tr.to_text()
    assert "The other 3 samples" in text
    assert f"z[1]({steps.MAX_SAMPLES + 1})" not in text
    assert f"{tr.loss:.6f}" in text


def test_wide_layer_uses_a_summation_sign():
    net, X, y = make_case("wide", (steps.MAX_TERMS + 2, 2, 1), ("relu", "sigmoid"), 1)
    text = bp.trace(net, bp.SquaredError(), X, y, lr=0.1).to_text()
    assert "Σ_k w[1]_1k·x_k + b[1]_1" in text


@pytest.mark.parametrize("loss, y", [
    (bp.BinaryCrossEntropy(), [[1.0, 0.0]]),
    (bp.SoftmaxCrossEntropy(), [[0.0, 1.0]]),
])
def test_logit_losses_render(loss, y):
    net = bp.Sequential(bp.Dense(2, 3, rng=0), bp.Tanh(), bp.Dense(3, 2, rng=1))
    tr = bp.trace(net, loss, [[0.2, 0.4]], y, lr=0.1)
    text = tr.to_text("vi")
    assert f"{tr.loss:.6f}" in text
    assert all(f"{v:.6f}" in text for v in tr.layers[-1].delta.ravel())
    md = tr.to_markdown()
    assert r"\log" in md


def test_unknown_language_is_rejected():
    tr = bp.trace(article_net(), bp.SquaredError(), [[0.2, 0.4]], [[1.0]], lr=0.1)
    with pytest.raises(ValueError, match="unknown language 'fr'; known: en, vi"):
        tr.to_text("fr")


def test_repr_is_short():
    tr = bp.trace(article_net(), bp.SquaredError(), [[0.2, 0.4]], [[1.0]], lr=0.1)
    assert repr(tr) == "Trace(layers=2-2-1, m=1, loss=0.037700, lr=0.1)"


class _Halved(bp.Loss):
    """The squared error under another name, with no notation of its own (not registered)."""

    name = "halved_squares"

    def __init__(self):
        self._inner = bp.SquaredError()

    def forward(self, pred, target):
        return self._inner.forward(pred, target)

    def backward(self):
        return self._inner.backward()


def test_a_loss_without_notation_is_written_by_its_name():
    tr = bp.trace(article_net(), _Halved(), [[0.2, 0.4]], [[1.0]], lr=0.1)
    text = tr.to_text()
    assert "Loss (the loss halved_squares): L = halved_squares(y, ŷ)." in text
    assert "δ[2]_k = ∂L/∂ŷ_k·g'(z[2]_k) = ∂L/∂ŷ_k·a[2]_k(1 - a[2]_k)" in text
    assert f"{tr.loss:.6f}" in text and "-0.054696" in text
    assert r"\operatorname{halved\_squares}(y, \hat{y})" in tr.to_markdown()


def test_a_loss_writes_itself_with_its_own_notation():
    class Quartic(_Halved):
        name = "quartic"

        def notation(self):
            return bp.LossNotation(term=("(<y> - <y_hat:factor>)^{4}", "(<y> - <y_hat:factor>)⁴"),
                                   gradient=("2(<y_hat> - <y:factor>)^{3}",
                                             "2(<y_hat> - <y:factor>)³"))

    text = bp.trace(article_net(), Quartic(), [[0.2, 0.4]], [[1.0]], lr=0.1).to_text()
    assert "L = (y - ŷ)⁴" in text and "(1 - 0.725409)⁴" in text
    assert "∂L/∂ŷ_k = 2(ŷ_k - y_k)³" in text and "2(0.725409 - 1)³·" in text


class _Scale(bp.Layer):
    """A user's layer, not registered and with no words: y = s * x, one parameter s per unit."""

    def __init__(self, n):
        super().__init__()
        self.s = np.linspace(0.5, 1.5, n)
        self.ds = np.zeros(n)

    def forward(self, x):
        self._x = x
        return x * self.s

    def backward(self, dy, input_grad=True):
        self.ds[...] = np.sum(dy * self._x, axis=0)
        return dy * self.s

    def parameters(self):
        return [bp.Parameter(self, "s", "ds")]


def test_a_users_layer_is_shown_by_its_numbers_and_trained():
    net = bp.Sequential(bp.Dense(2, 3, rng=0), bp.Tanh(), _Scale(3), bp.Dense(3, 1, rng=1))
    X, y = np.array([[0.2, -0.4], [0.5, 0.1]]), np.array([[0.3], [0.1]])
    tr = bp.explain.trace(net, bp.SquaredError(), X, y,
                          optimizer=lambda ps: bp.Adam(ps, lr=0.01))
    entry = tr.to_dict()["layers"][1]
    assert entry["type"] == "_Scale" and set(entry["state"]) == {"s"}
    assert entry["s_new"] != entry["s"] and len(entry["ds"]) == 3
    text = tr.to_text()
    assert "_Scale" in text and f"{tr.modules[1].y[0, 0]:.6f}" in text
