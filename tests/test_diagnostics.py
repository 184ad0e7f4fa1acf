"""Diagnostics callback: numbers vs independent computation, recording schedule, zero overhead,
warnings that name the layer, JSON round trip, bad arguments."""

import json
import math
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.diagnostics import Diagnostics, GradientWarning, format_record, layer_name


def _quiet_fit(net, X, y, **kw):
    kw.setdefault("loss", "softmax_cross_entropy")
    kw.setdefault("optimizer", bp.SGD(net.parameters(), lr=0.1))
    kw.setdefault("verbose", False)
    kw.setdefault("seed", 0)
    return bp.fit(net, X, y, **kw)


def _small_net(rng=0):
    # one of each recorded activation kind
    return bp.Sequential(bp.Dense(3, 5, rng=rng), bp.Sigmoid(), bp.Dense(5, 4, rng=rng + 1),
                         bp.Tanh(), bp.Dense(4, 6, rng=rng + 2), bp.ReLU(),
                         bp.Dense(6, 2, rng=rng + 3))


def _data(n=12, seed=0):
    gen = np.random.default_rng(seed)
    X = gen.normal(size=(n, 3)) * 2.0
    y = np.arange(n) % 2
    return X, y


class Spy(bp.Callback):
    """Independent record of what happened at each step, from the layers themselves."""

    def __init__(self):
        self.steps = []

    def on_after_backward(self, state):
        dense = [layer for layer in state.net.layers if isinstance(layer, bp.Dense)]
        self.steps.append({"dW": [d.dW.copy() for d in dense], "W0": [d.W.copy() for d in dense],
                           "b0": [d.b.copy() for d in dense]})

    def on_batch_end(self, state, logs):
        dense = [layer for layer in state.net.layers if isinstance(layer, bp.Dense)]
        self.steps[-1]["W1"] = [d.W.copy() for d in dense]


def test_numbers_equal_independent_norms_and_manual_step():
    X, y = _data()
    net = _small_net()
    lr = 0.3
    spy = Spy()
    diag = Diagnostics(unit="step", warn=False)
    # full batch: one step per epoch, so activation statistics can be recomputed on all of X
    h = _quiet_fit(net, X, y, optimizer=bp.SGD(net.parameters(), lr=lr), epochs=3,
                   batch_size=len(X), callbacks=[diag, spy])
    d = h.diagnostics
    assert d["layers"] == ["layer 0 Dense(3->5)", "layer 2 Dense(5->4)", "layer 4 Dense(4->6)",
                           "layer 6 Dense(6->2)"]
    assert d["activations"] == ["layer 1 Sigmoid", "layer 3 Tanh", "layer 5 ReLU"]
    assert [r["step"] for r in d["records"]] == [1, 2, 3]
    for rec, seen in zip(d["records"], spy.steps, strict=True):
        for l in range(4):
            dW, W0 = seen["dW"][l], seen["W0"][l]
            assert rec["grad_norm"][l] == pytest.approx(np.linalg.norm(dW), rel=1e-12)
            assert rec["weight_norm"][l] == pytest.approx(np.linalg.norm(W0), rel=1e-12)
            # plain SGD: W1 = W0 - lr dW, so the ratio is lr ||dW|| / ||W0||
            manual = np.linalg.norm(W0 - (W0 - lr * dW)) / np.linalg.norm(W0)
            assert rec["update_ratio"][l] == pytest.approx(manual, rel=1e-9)
            actual = np.linalg.norm(seen["W1"][l] - W0) / np.linalg.norm(W0)
            assert rec["update_ratio"][l] == pytest.approx(actual, rel=1e-12)
        # forward pass recomputed with plain NumPy at the weights the step started from
        W, b = seen["W0"], seen["b0"]
        a1 = 1 / (1 + np.exp(-(X @ W[0].T + b[0])))
        a2 = np.tanh(a1 @ W[1].T + b[1])
        a3 = np.maximum(a2 @ W[2].T + b[2], 0)
        for k, a in enumerate([a1, a2, a3]):
            assert rec["act_mean"][k] == pytest.approx(a.mean(), rel=1e-12)
            assert rec["act_std"][k] == pytest.approx(a.std(), rel=1e-12)
        assert rec["saturated"][0] == np.mean((a1 < 0.01) | (a1 > 0.99))
        assert rec["saturated"][1] == np.mean(np.abs(a2) > 0.99)
        assert rec["saturated"][2] is None
        assert rec["dead"][:2] == [None, None]
        assert rec["dead"][2] == np.mean(np.all(a3 == 0, axis=0))


def test_dead_and_saturated_units_are_counted():
    X, y = _data()
    net = _small_net()
    net[0].W *= 40.0  # sigmoid pushed into its tails
    net[4].b[:3] = -1e3  # three of six ReLU units never fire, the other three always do
    net[4].b[3:] = 1e3
    h = _quiet_fit(net, X, y, epochs=1, batch_size=len(X), diagnostics=Diagnostics(warn=False))
    rec = h.diagnostics["records"][0]
    assert rec["saturated"][0] > 0.8
    assert rec["dead"][2] == pytest.approx(0.5)


@pytest.mark.parametrize("unit, every, epochs, n, batch, expected", [
    # 12 samples / batch 4 -> 3 steps per epoch
    ("epoch", 1, 3, 12, 4, [1, 3, 6, 9]),
    ("epoch", 2, 5, 12, 4, [1, 6, 12, 15]),  # every 2nd epoch's last batch, and the final one
    ("step", 1, 2, 12, 4, [1, 2, 3, 4, 5, 6]),
    ("step", 4, 3, 12, 4, [1, 5, 9]),
    ("step", 4, 2, 12, 4, [1, 5, 6]),  # the final step is always recorded
    ("epoch", 1, 2, 12, 12, [1, 2]),  # one step per epoch: the first step is recorded once
])
def test_recording_schedule(unit, every, epochs, n, batch, expected):
    X, y = _data(n)
    net = _small_net()
    h = _quiet_fit(net, X, y, epochs=epochs, batch_size=batch,
                   callbacks=[Diagnostics(every, unit=unit, warn=False)])
    recs = h.diagnostics["records"]
    assert [r["step"] for r in recs] == expected
    per_epoch = math.ceil(n / batch)
    for r in recs:
        assert r["step"] == (r["epoch"] - 1) * per_epoch + r["batch"]
        assert None not in r["update_ratio"]


def test_no_diagnostics_attaches_no_hook():
    X, y = _data()
    net = _small_net()
    seen = []

    def refuse(hook):
        raise AssertionError("fit attached a hook without a Diagnostics callback")

    net.add_hook = refuse
    check = bp.LambdaCallback(
        on_batch_begin=lambda s: seen.append(len(s.net._hooks)),
        on_after_backward=lambda s: seen.append(len(s.net._hooks)),
        on_batch_end=lambda s, logs: seen.append(len(s.net._hooks)))
    h = _quiet_fit(net, X, y, epochs=2, batch_size=4, callbacks=[check])
    assert h.diagnostics is None
    assert seen and set(seen) == {0}
    assert net._hooks == []


def test_hooks_attached_only_on_recorded_steps():
    X, y = _data()
    net = _small_net()
    attached = {}
    # runs after Diagnostics.on_batch_begin and before its on_after_backward
    check = bp.LambdaCallback(on_batch_begin=lambda s: attached.setdefault(
        (s.epoch - 1) * s.steps_per_epoch + s.step, len(s.net._hooks)))
    h = _quiet_fit(net, X, y, epochs=2, batch_size=4, callbacks=[Diagnostics(), check])
    recorded = {r["step"] for r in h.diagnostics["records"]}
    assert recorded == {1, 3, 6}
    assert attached == {s: int(s in recorded) for s in range(1, 7)}
    assert net._hooks == []


def test_diagnostics_do_not_change_training():
    X, y = _data()
    a, b = _small_net(), _small_net()
    ha = _quiet_fit(a, X, y, epochs=3, batch_size=4)
    hb = _quiet_fit(b, X, y, epochs=3, batch_size=4, callbacks=[Diagnostics(1, unit="step")])
    assert ha["loss"] == hb["loss"]
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)


def _deep_sigmoid(depth=8, width=16, rng=0):
    return bp.mlp([2] + [width] * depth + [2], activation="sigmoid", init="normal", rng=rng)


def test_vanishing_warning_names_the_first_layer_once():
    X, y = bp.datasets.circles(64, rng=0)
    net = _deep_sigmoid()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = _quiet_fit(net, X, y, epochs=3, batch_size=32, diagnostics=True)
    messages = [str(w.message) for w in caught if issubclass(w.category, GradientWarning)]
    first = [m for m in messages if m.startswith("vanishing gradient in layer 0 Dense(2->16)")]
    assert len(first) == 1  # once per layer and condition, although every record has it
    assert "Xavier" in first[0] and "ReLU instead of sigmoid" in first[0]
    assert "batch normalisation" in first[0]
    assert not any(m.startswith("exploding") for m in messages)
    for rec in h.diagnostics["records"]:
        flagged = {(w["layer"], w["condition"]) for w in rec["warnings"]}
        assert ("layer 0 Dense(2->16)", "vanishing") in flagged
        assert ("layer 16 Dense(16->2)", "vanishing") not in flagged  # the last layer is fine
    # the numbers behind it: the first layer's gradient is many orders below the last one's
    g = h.diagnostics["records"][0]["grad_norm"]
    assert g[0] < 1e-9 * g[-1]


def test_exploding_warning_names_the_layer():
    # tanh with weights N(0, 100 / fan_in): the "chaotic" regime where each layer's Jacobian
    # W^T diag(1 - a^2) stretches the backward signal, so the gradient grows toward the input
    # (scaling a ReLU net would not do: its homogeneity scales every layer's dW alike)
    X, y = bp.datasets.circles(64, rng=0)
    net = bp.mlp([2] + [32] * 16 + [2], activation="tanh", init="he_normal", rng=0)
    for layer in net.layers[:-1]:
        if isinstance(layer, bp.Dense):
            layer.W *= 10.0 / np.sqrt(2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        h = _quiet_fit(net, X, y, epochs=1, batch_size=64,
                       optimizer=bp.SGD(net.parameters(), lr=1e-12), diagnostics=True)
    messages = [str(w.message) for w in caught if issubclass(w.category, GradientWarning)]
    first = [m for m in messages if m.startswith("exploding gradient in layer 0 Dense(2->32)")]
    assert len(first) == 1
    assert "gradient clipping" in first[0] and "lower learning rate" in first[0]
    assert not any(m.startswith("vanishing") for m in messages)
    g = h.diagnostics["records"][0]["grad_norm"]
    assert g[0] > 1e3 * g[-1]


def _inf_net():
    # an infinite weight saturates the sigmoid after it (a finite loss) but 0 * inf = NaN flows
    # back into the gradient of the first layer
    net = bp.Sequential(bp.Dense(2, 4, rng=0), bp.Sigmoid(), bp.Dense(4, 4, rng=1), bp.Sigmoid(),
                        bp.Dense(4, 2, rng=2))
    return net


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_non_finite_gradient_warning_names_the_layer():
    X, y = bp.datasets.circles(16, rng=0)
    net = _inf_net()
    net[2].W[0, 0] = np.inf
    with pytest.warns(GradientWarning, match=r"non-finite gradient in layer 0 Dense\(2->4\)"):
        with pytest.warns(bp.TrainingDivergedWarning):
            h = _quiet_fit(net, X, y, epochs=2, batch_size=8, diagnostics=True)
    rec = h.diagnostics["records"][-1]
    assert rec["grad_norm"][0] is None and rec["grad_norm"][2] is not None
    assert rec["update_ratio"] == [None, None, None]  # the step was not taken
    json.dumps(h.to_dict(), allow_nan=False)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_non_finite_gradient_on_an_unrecorded_step_is_still_recorded():
    X, y = bp.datasets.circles(32, rng=0)
    net = _inf_net()

    def poison(state):
        if state.step == 2:
            net[2].W[0, 0] = np.inf

    with pytest.warns(GradientWarning, match=r"non-finite gradient in layer 0 Dense\(2->4\)"):
        with pytest.warns(bp.TrainingDivergedWarning):
            h = _quiet_fit(net, X, y, epochs=2, batch_size=8, diagnostics=True,
                           callbacks=[bp.LambdaCallback(on_batch_begin=poison)])
    steps = [r["step"] for r in h.diagnostics["records"]]
    assert steps == [1, 2]
    assert h.diagnostics["records"][1]["act_mean"] == [None, None]


def test_history_round_trips_through_json():
    X, y = _data()
    net = _small_net()
    h = _quiet_fit(net, X, y, epochs=2, batch_size=4, diagnostics=Diagnostics(unit="step"))
    text = json.dumps(h.to_dict(), allow_nan=False)
    back = bp.History.from_dict(json.loads(text))
    assert back.diagnostics == h.diagnostics
    assert back.to_dict() == h.to_dict()
    assert bp.History.from_dict({"history": {}}).diagnostics is None


def test_batchnorm_and_float32_networks():
    X, y = bp.datasets.circles(64, rng=0)
    net = bp.mlp([2, 8, 8, 2], activation="relu", batch_norm=True, dtype="float32", rng=0)
    h = _quiet_fit(net, X, y, epochs=1, diagnostics=True)
    d = h.diagnostics
    assert d["layers"][:2] == ["layer 0 Dense(2->8)", "layer 1 BatchNorm(8)"]
    rec = d["records"][-1]
    assert all(isinstance(g, float) and g > 0 for g in rec["grad_norm"])
    assert rec["weight_norm"][1] == pytest.approx(np.linalg.norm(net[1].gamma), rel=1e-5)


def test_format_record_lists_every_layer():
    X, y = _data()
    h = _quiet_fit(_small_net(), X, y, epochs=1, batch_size=4, diagnostics=True)
    text = format_record(h.diagnostics)
    for name in h.diagnostics["layers"] + h.diagnostics["activations"]:
        assert name in text
    with pytest.raises(ValueError, match="no diagnostics"):
        format_record({"records": []})


def test_layer_names():
    assert layer_name(0, bp.Dense(784, 256, rng=0)) == "layer 0 Dense(784->256)"
    assert layer_name(3, bp.BatchNorm(7)) == "layer 3 BatchNorm(7)"
    assert layer_name(1, bp.ReLU()) == "layer 1 ReLU"


@pytest.mark.parametrize("kwargs, error, match", [
    ({"every": 0}, ValueError, "every must be >= 1, got 0"),
    ({"every": 1.5}, TypeError, "every must be an integer, got 1.5"),
    ({"unit": "batch"}, ValueError, "unit must be 'epoch' or 'step', got 'batch'"),
    ({"vanish_ratio": 2.0}, ValueError, r"vanish_ratio must be in \(0, 1\), got 2"),
    ({"explode_ratio": 0.5}, ValueError, r"explode_ratio must be in \(1, inf\), got 0.5"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        Diagnostics(**kwargs)


def test_fit_rejects_a_bad_diagnostics_value():
    X, y = _data()
    with pytest.raises(TypeError, match="diagnostics must be True, False or a Diagnostics"):
        _quiet_fit(_small_net(), X, y, epochs=1, diagnostics="yes")


def test_resumed_run_continues_the_records_and_remembers_its_warnings(tmp_path):
    X, y = bp.datasets.circles(64, rng=0)
    ckpt = tmp_path / "ckpt.npz"

    def run(epochs, resume=None):
        net = _deep_sigmoid()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            h = _quiet_fit(net, X, y, epochs=epochs, batch_size=32, checkpoint=ckpt,
                           resume=resume, optimizer=bp.SGD(net.parameters(), lr=0.1),
                           diagnostics=Diagnostics())
        return h, [str(w.message) for w in caught if issubclass(w.category, GradientWarning)]

    full, _ = run(4)
    first, warned_first = run(2)
    resumed, warned_again = run(4, resume=ckpt)
    assert [r["step"] for r in resumed.diagnostics["records"]] == [1, 2, 4, 6, 8]
    assert resumed.diagnostics == full.diagnostics
    assert warned_first and not warned_again  # each layer's warning was already given
