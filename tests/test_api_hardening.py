"""The Python API with what NumPy users pass: lists and integer arrays work; complex, object and
text arrays, NaN in ``predict``/``evaluate``, wrong shapes to ``backward``, an optimiser of
another network and every bad argument of ``fit`` are a ``ValueError``/``TypeError`` naming the
value -- before the first step."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import backprop as bp


def _net():
    return bp.mlp([2, 4, 3], rng=0)


def _data(n=40):
    X, y = bp.datasets.blobs(n, rng=0)
    return X, y


# --- forward / backward --------------------------------------------------------------------------
def test_forward_takes_lists_and_integer_arrays():
    net = _net()
    expected = net.forward(np.array([[1.0, 2.0]]))
    assert np.array_equal(net.forward([[1, 2]]), expected)
    assert np.array_equal(net.forward(np.array([[1, 2]], dtype=np.int32)), expected)
    assert np.array_equal(net([[1.0, 2.0]]), expected)
    assert np.array_equal(bp.Dense(2, 3, rng=0).forward([[1, 2]]),
                          bp.Dense(2, 3, rng=0).forward(np.array([[1.0, 2.0]])))


@pytest.mark.parametrize("x, exc, words", [
    (np.array([[1 + 2j, 0]]), TypeError, "complex"),
    (np.array([["a", "b"]]), TypeError, "real numbers"),
    (np.array([[object(), 1]], dtype=object), TypeError, "real numbers"),
    ([[1, 2], [3]], ValueError, "rectangular"),
    (np.zeros((2, 5)), ValueError, r"expects input of shape \(m, 2\), got \(2, 5\)"),
    (np.zeros(2), ValueError, r"got \(2,\)"),
])
def test_forward_refuses_what_it_cannot_compute(x, exc, words):
    with pytest.raises(exc, match=words):
        _net().forward(x)
    with pytest.raises(exc, match=words):
        bp.Dense(2, 3).forward(x)


@pytest.mark.parametrize("dy, words", [
    (np.zeros((5, 3)), r"last forward's output shape \(4, 3\), got shape \(5, 3\)"),
    (np.zeros((4, 2)), r"got shape \(4, 2\)"),
    (np.zeros(3), r"got shape \(3,\)"),
])
def test_backward_names_a_wrong_shape(dy, words):
    net = _net()
    net.forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=words):
        net.backward(dy)
    dense = bp.Dense(2, 3, rng=0)
    dense.forward(np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"takes dJ/dZ of shape \(4, 3\)"):
        dense.backward(np.zeros((5, 3)))


def test_backward_takes_a_list():
    net = _net()
    net.forward(np.zeros((1, 2)))
    assert net.backward([[0.1, 0.2, 0.3]]).shape == (1, 2)


def test_relu_of_minus_infinity_is_zero_and_nan_stays_nan():
    x = np.array([[-np.inf, -1.0, 0.0, 2.0, np.inf, np.nan]])
    for layer in (bp.ReLU(), bp.ReLU().eval()):
        y = layer.forward(x)
        assert y[0, :5].tolist() == [0.0, 0.0, 0.0, 2.0, np.inf]
        assert np.isnan(y[0, 5])
    y32 = bp.ReLU().forward(x.astype(np.float32))
    assert y32[0, 0] == 0 and y32.dtype == np.float32


# --- predict / evaluate ---------------------------------------------------------------------------
@pytest.mark.parametrize("X, exc, words", [
    (np.array([[np.nan, 1.0]]), ValueError, r"non-finite value \(nan\) at row 0, column 0"),
    (np.array([[1.0, 1.0], [np.inf, 0]]), ValueError, "row 1, column 0"),
    (np.array([[1 + 1j, 0]]), TypeError, "complex"),
    (np.array([["1", "2"]]), TypeError, "must hold numbers"),
    (np.zeros((0, 2)), ValueError, "empty"),
    (np.zeros((3, 4)), ValueError, "4 features per sample, the network takes 2"),
    (np.zeros((2, 2, 2)), ValueError, "2-D"),
])
def test_predict_and_evaluate_refuse_bad_inputs(X, exc, words):
    X_tr, y_tr = _data()
    net = _net()
    net.fit(X_tr, y_tr, loss="softmax_cross_entropy", optimizer="adam", epochs=1,
            verbose=False)
    for call in (net.predict, net.predict_proba, lambda X: net.evaluate(X, [0] * len(X))):
        with pytest.raises(exc, match=words):
            call(X)


def test_predict_takes_lists_and_one_sample():
    X, y = _data()
    net = _net()
    net.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=1, verbose=False)
    assert net.predict(X[:3].tolist()).tolist() == net.predict(X[:3]).tolist()
    assert net.predict(X[0]).shape == (1,)


def test_evaluate_names_a_bad_label():
    X, y = _data()
    net = _net()
    net.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=1, verbose=False)
    with pytest.raises(ValueError, match=r"label 7 is out of range for 3 classes"):
        net.evaluate(X[:2], [0, 7])
    with pytest.raises(ValueError, match="non-finite"):
        net.evaluate(X[:2], [0.0, np.nan])


# --- fit: every argument checked before the first step ----------------------------------------
class _NoStep(bp.Callback):
    def on_batch_begin(self, state):
        raise AssertionError("a step was taken")


@pytest.mark.parametrize("kwargs, exc, words", [
    ({"callbacks": [1]}, TypeError, r"callbacks\[0\] must be a Callback"),
    ({"callbacks": _NoStep()}, TypeError, "wrap it"),
    ({"callbacks": 5}, TypeError, "list of Callback"),
    ({"seed": -1}, ValueError, "seed must be >= 0, got -1"),
    ({"seed": 1.5}, TypeError, "seed must be an integer, got 1.5"),
    ({"seed": "0"}, TypeError, "seed must be an integer"),
    ({"schedule": "step"}, TypeError, r"needs step_size.*make_schedule\('step'"),
    ({"schedule": "warp"}, ValueError, "unknown schedule 'warp'"),
    ({"schedule": 3}, TypeError, "schedule must be a learning-rate schedule"),
    ({"shuffle": "yes"}, TypeError, "shuffle must be True or False"),
    ({"augment": 3}, TypeError, "augment must be a callable"),
    ({"validation_data": np.zeros((2, 2))}, TypeError, r"pair \(X_val, y_val\)"),
    ({"epochs": 0}, ValueError, "epochs must be >= 1"),
    ({"batch_size": 2.5}, TypeError, "batch size must be an integer"),
    ({"validation_split": 1.5}, ValueError, "validation_split"),
    ({"early_stopping": "yes"}, TypeError, "early_stopping"),
    ({"checkpoint": "/no/such/folder/c.npz"}, FileNotFoundError, "does not exist"),
    ({"checkpoint": "/dev/null"}, ValueError, "not a regular file"),
    ({"resume": "/no/such/ckpt.npz"}, FileNotFoundError, "no such checkpoint"),
    ({"sample_weight": [1.0, -1.0]}, ValueError, "sample_weight has 2 entries"),
])
def test_fit_checks_every_argument_before_the_first_step(kwargs, exc, words):
    X, y = _data()
    net = _net()
    before = [p.data.copy() for p in net.parameters()]
    args = {"loss": "softmax_cross_entropy", "optimizer": "sgd", "epochs": 2, "verbose": False}
    args.update(kwargs)
    if "callbacks" not in kwargs:
        args["callbacks"] = [_NoStep()]
    with pytest.raises(exc, match=words):
        bp.fit(net, X, y, **args)
    for p, b in zip(net.parameters(), before, strict=True):
        assert np.array_equal(p.data, b)


def test_a_schedule_name_is_built_from_fits_own_arguments():
    X, y = _data()
    net = _net()
    opt = bp.SGD(net.parameters(), lr=0.1)
    hist = net.fit(X, y, loss="softmax_cross_entropy", optimizer=opt, epochs=4, batch_size=10,
                   schedule="cosine", verbose=False)
    assert hist["lr"][-1] < hist["lr"][0] and opt.lr == pytest.approx(0.0, abs=1e-12)
    net2 = _net()
    hist = net2.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=2,
                    schedule="onecycle", verbose=False)
    assert len(hist.epochs) == 2


def test_a_schedule_of_another_optimiser_is_refused():
    X, y = _data()
    net = _net()
    other = bp.SGD(_net().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.SGD(net.parameters(), lr=0.1),
                schedule=bp.optim.StepLR(other, step_size=1), verbose=False)


def test_an_optimiser_of_another_network_is_refused():
    X, y = _data()
    net, other = _net(), _net()
    with pytest.raises(ValueError, match="not this network's .*net.parameters"):
        net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.Adam(other.parameters()),
                verbose=False)
    # an optimiser of some of the network's parameters (frozen layers) is fine
    first = bp.SGD(net.parameters()[:2], lr=0.1)
    net.fit(X, y, loss="softmax_cross_entropy", optimizer=first, epochs=1, verbose=False)


def test_text_labels_are_explained_by_bp_fit_and_encoded_by_net_fit():
    X, _ = _data()
    y = np.where(X[:, 0] > np.median(X[:, 0]), "right", "left")
    with pytest.raises(TypeError, match=r"text labels \('.*'.*net.fit.*classes_"):
        bp.fit(bp.mlp([2, 2], rng=0), X, y, loss="softmax_cross_entropy", optimizer="sgd",
               verbose=False)
    net = bp.mlp([2, 4, 2], rng=0)
    net.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=20, verbose=False)
    assert set(net.predict(X).tolist()) <= {"left", "right"}
    binary = bp.mlp([2, 4, 1], rng=0)
    binary.fit(X, y, loss="binary_cross_entropy", optimizer="adam", epochs=5, verbose=False)
    assert binary.classes_.tolist() == ["left", "right"]
    assert set(binary.predict(X).tolist()) <= {"left", "right"}


# --- batch normalisation with a last batch of one row -------------------------------------------
def test_a_last_batch_of_one_row_is_left_out_with_a_note():
    X, y = _data(33)
    net = bp.mlp([2, 8, 3], batch_norm=True, rng=0)
    with pytest.warns(UserWarning, match="last batch of one sample"):
        hist = net.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=2,
                       batch_size=8, verbose=False, seed=0)
    assert len(hist.epochs) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # without batch norm nothing is left out
        bp.mlp([2, 8, 3], rng=0).fit(X, y, loss="softmax_cross_entropy", optimizer="adam",
                                     epochs=1, batch_size=8, verbose=False)


def test_the_cli_trains_batch_norm_with_a_last_batch_of_one_row(run_cli):
    # spirals: 600 samples, 480 for training; 480 = 479 * 1 + 1 in batches of 479
    code, out, err = run_cli("train", "--batch-norm", "--batch-size", "479", "--epochs", "2",
                             "--quiet")
    assert code == 0, err
    assert "backprop: warning:" in err and "left out" in err and "eval()" not in err


# --- a table of bad calls, one row per entry point and mistake -----------------------------------
def _fitted():
    X, y = _data(60)
    net = bp.mlp([2, 5, 3], rng=0)
    net.fit(X, y, loss="softmax_cross_entropy", optimizer="adam", epochs=1, verbose=False)
    return net, X, y


def _fit(**kw):
    net, X, y = _fitted()
    args = {"loss": "softmax_cross_entropy", "optimizer": "sgd", "epochs": 1, "verbose": False}
    args.update(kw)
    X_ = args.pop("X", X)
    y_ = args.pop("y", y)
    return net.fit(X_, y_, **args)


BAD_CALLS = {
    "mlp: sizes as text": lambda: bp.mlp("2,3"),
    "mlp: a negative width": lambda: bp.mlp([2, -1]),
    "mlp: an unknown activation": lambda: bp.mlp([2, 3], activation="elu"),
    "mlp: an integer dtype": lambda: bp.mlp([2, 3], dtype="int32"),
    "Sequential: not layers": lambda: bp.Sequential(1, 2),
    "BatchNorm: a ragged list": lambda: bp.BatchNorm(2).forward([[1, 2], [3]]),
    "fit: X is None": lambda: _fit(X=None),
    "fit: y is None": lambda: _fit(y=None),
    "fit: an unknown loss": lambda: _fit(loss="mse2"),
    "fit: an unknown optimiser": lambda: _fit(optimizer="adamx"),
    "fit: one-hot y of the wrong width": lambda: _fit(y=np.zeros((60, 5))),
    "fit: negative labels": lambda: _fit(y=-1 - np.arange(60) % 3),
    "fit: a label of 1e9": lambda: _fit(y=np.full(60, 10**9)),
    "fit: validation data of another length": lambda: _fit(validation_data=(np.zeros((4, 2)),
                                                                           [0, 1])),
    "fit: NaN in validation data": lambda: _fit(validation_data=(np.full((4, 2), np.nan),
                                                                 [0, 1, 2, 0])),
    "fit: text sample weights": lambda: _fit(sample_weight=["a"] * 60),
    "fit: NaN sample weights": lambda: _fit(sample_weight=[np.nan] * 60),
    "fit: checkpoint_every 0": lambda: _fit(checkpoint_every=0),
    "fit: diagnostics='yes'": lambda: _fit(diagnostics="yes"),
    "fit: a schedule built from callables": lambda: _fit(schedule="lambda"),
    "fit: early stopping on an unknown metric": lambda: _fit(
        early_stopping=bp.EarlyStopping("val_acc2")),
    "fit: infinite inputs": lambda: _fit(X=np.full((60, 2), np.inf)),
    "predict: a regression net asked for probabilities": lambda: bp.mlp([2, 3]).predict_proba(
        np.zeros((2, 2))),
    "evaluate: a net that was never fitted": lambda: bp.mlp([2, 3]).evaluate(np.zeros((2, 2)),
                                                                             [0, 1]),
    "evaluate: y of another length": lambda: _fitted()[0].evaluate(np.zeros((3, 2)), [0]),
    "evaluate: text labels for a net without classes": lambda: _fitted()[0].evaluate(
        np.zeros((2, 2)), ["a", "b"]),
    "save: metadata that is not JSON": lambda: bp.save("/tmp/never.npz", _fitted()[0],
                                                       extra={"a": object()}),
    "save: NaN in the metadata": lambda: bp.save("/tmp/never.npz", _fitted()[0],
                                                 extra={"a": float("nan")}),
    "save: an object array": lambda: bp.save("/tmp/never.npz", _fitted()[0],
                                             arrays={"a": np.array([object()])}),
    "save: not a network": lambda: bp.save("/tmp/never.npz", "net"),
    "load: a folder": lambda: bp.load("/tmp"),
    "load: None": lambda: bp.load(None),
    "Standardizer: text": lambda: bp.Standardizer().fit([["a"]]),
    "Standardizer: 1-D": lambda: bp.Standardizer().fit([1, 2, 3]),
    "one_hot: a fractional label": lambda: bp.one_hot([0, 1.5]),
    "classes_: a string": lambda: setattr(_fitted()[0], "classes_", "abc"),
    "classes_: NaN": lambda: setattr(_fitted()[0], "classes_", [np.nan, 1, 2]),
    "feature_names_: numbers": lambda: setattr(_fitted()[0], "feature_names_", [1, 2]),
    "Adam: negative rate": lambda: bp.Adam(_fitted()[0].parameters(), lr=-1),
    "Adam: not parameters": lambda: bp.Adam([1, 2]),
    "gradcheck: a loss name": lambda: bp.gradcheck(bp.mlp([2, 2], rng=0), "nope",
                                                   np.zeros((2, 2)), [0, 1]),
    "load_dataset: an unknown name": lambda: bp.load_dataset("spiralz"),
    "load_csv: a two-character delimiter": lambda: bp.data.load_csv(__file__, delimiter=";;"),
}


@pytest.mark.parametrize("name", sorted(BAD_CALLS))
def test_a_bad_call_is_a_named_value_or_type_error(name):
    if name.startswith("save:"):
        import os

        assert not os.path.exists("/tmp/never.npz")
    with pytest.raises((ValueError, TypeError, FileNotFoundError)) as info:
        BAD_CALLS[name]()
    assert str(info.value).strip()


def test_relu_of_minus_infinity_is_zero_inside_a_network_when_predicting():
    net = bp.Sequential(bp.Dense.from_arrays([[1.0], [-1.0]], [0.0, 0.0]), bp.ReLU(),
                        bp.Dense.from_arrays([[1.0, 1.0]], [0.0]))
    net.eval()
    with np.errstate(invalid="ignore", over="ignore"):
        out = net.forward(np.array([[np.inf]]))
    assert out[0, 0] == np.inf  # relu(inf) + relu(-inf) = inf + 0, not NaN
