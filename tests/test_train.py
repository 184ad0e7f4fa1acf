"""The fit loop: learning, reproducibility, early stopping, guards, checkpoints, bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.data import toy as datasets
from backprop.training import TrainingDivergedWarning
from backprop.training.callbacks import Callback, EarlyStopping


def _classifier(seed=0, n_in=2, n_classes=3, dropout=0.0, batchnorm=False, dtype=np.float64):
    rng = np.random.default_rng(seed)
    layers = [bp.Dense(n_in, 32, init="he_uniform", dtype=dtype, rng=rng)]
    if batchnorm:
        layers.append(bp.BatchNorm(32, dtype=dtype))
    layers.append(bp.ReLU())
    if dropout:
        layers.append(bp.Dropout(dropout, rng=seed + 100))
    layers += [bp.Dense(32, n_classes, dtype=dtype, rng=rng)]
    return bp.Sequential(*layers)


@pytest.fixture(scope="module")
def blobs():
    return datasets.blobs(300, n_classes=3, rng=0)


def _params(net):
    return [p.data.copy() for p in net.parameters()] + [b.copy() for b in net.buffers().values()]


def test_fit_learns_and_reports_history(blobs):
    X, y = blobs
    net = _classifier()
    hist = net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.Adam(net.parameters(), lr=1e-2),
                   epochs=15, batch_size=32, validation_split=0.2, seed=0, verbose=False)
    assert hist.epochs == list(range(1, 16))
    assert set(hist.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert hist["loss"][-1] < 0.5 * hist["loss"][0]
    assert hist["val_accuracy"][-1] > 0.9
    scores = net.evaluate(X, y)
    assert scores["accuracy"] > 0.9
    proba = net.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(net.predict(X), proba.argmax(axis=1))
    assert (net.predict(X) == y).mean() == pytest.approx(scores["accuracy"])


def test_same_seed_gives_identical_parameters(blobs):
    X, y = blobs
    runs = []
    for _ in range(2):
        net = _classifier(dropout=0.2, batchnorm=True)
        net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.SGD(net.parameters(), lr=0.05,
                momentum=0.9, nesterov=True), epochs=3, batch_size=16, seed=7, verbose=False,
                augment=lambda xb, rng: xb + rng.normal(0, 0.01, size=xb.shape))
        runs.append(_params(net))
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
    net = _classifier(dropout=0.2, batchnorm=True)
    net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.SGD(net.parameters(), lr=0.05),
            epochs=3, batch_size=16, seed=8, verbose=False)
    assert not all(np.array_equal(a, b) for a, b in zip(runs[0], _params(net), strict=True))


def test_binary_and_regression_tasks():
    X, y = datasets.moons(200, noise=0.1, rng=1)
    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(2, 16, rng=rng), bp.Tanh(), bp.Dense(16, 1, rng=rng))
    hist = net.fit(X, y, loss="binary_cross_entropy", optimizer=bp.Adam(net.parameters(), 0.02),
                   epochs=40, batch_size=32, seed=0, verbose=False)
    assert hist["accuracy"][-1] > 0.85
    assert set(np.unique(net.predict(X))) <= {0, 1}
    Xr = rng.uniform(-1, 1, size=(200, 1))
    yr = np.sin(3 * Xr)
    reg = bp.Sequential(bp.Dense(1, 16, rng=rng), bp.Tanh(), bp.Dense(16, 1, rng=rng))
    hist = reg.fit(Xr, yr, loss=bp.SquaredError(), optimizer=bp.Adam(reg.parameters(), 0.02),
                   epochs=60, batch_size=20, seed=0, verbose=False)
    assert "accuracy" not in hist.history
    assert hist["loss"][-1] < 0.1 * hist["loss"][0]
    assert reg.predict(Xr).shape == (200, 1)
    with pytest.raises(ValueError, match="needs a classifier"):
        reg.predict_proba(Xr)


class _Recorder(Callback):
    def __init__(self):
        self.snapshots = {}

    def on_epoch_end(self, state, logs):
        self.snapshots[state.epoch] = _params(state.net)


def test_early_stopping_restores_the_best_weights(blobs):
    X, y = blobs
    net = _classifier()
    rec = _Recorder()
    # a learning rate this large makes validation loss bounce: early stopping must kick in
    hist = net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.SGD(net.parameters(), lr=2.0),
                   epochs=50, batch_size=8, validation_split=0.3, seed=1, verbose=False,
                   early_stopping=EarlyStopping("val_loss", patience=2), callbacks=[rec])
    assert hist.stop_reason is not None and "early stopping" in hist.stop_reason
    assert len(hist.epochs) < 50
    best = int(np.argmin(hist["val_loss"])) + 1
    assert hist.best_epoch == best
    for a, b in zip(_params(net), rec.snapshots[best], strict=True):
        np.testing.assert_array_equal(a, b)


def test_nonfinite_loss_stops_and_keeps_parameters_that_predict_finite_values(blobs):
    """The parameters of the step before a NaN loss may already be ~1e17 and predict NaN for
    every input: the run keeps a state only after checking it on the failing batch."""
    X, y = blobs
    net = _classifier()
    with pytest.warns(TrainingDivergedWarning, match=r"epoch \d+, step \d+.*layer \d+"):
        hist = net.fit(X * 1e3, y, loss="softmax_cross_entropy",
                       optimizer=bp.SGD(net.parameters(), lr=1e6), epochs=20, batch_size=32,
                       seed=0, verbose=False)
    assert hist.diverged
    if hist.no_good_parameters:
        assert "nothing worth keeping" in hist.stop_reason
    else:
        assert "finite" in hist.stop_reason
        assert all(np.all(np.isfinite(p)) for p in _params(net))
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no NonFiniteOutputWarning
            assert np.all(np.isfinite(net.predict_proba(X * 1e3)))


def test_nonfinite_gradient_names_the_layer():
    class Exploding(bp.Identity):
        def backward(self, dy, input_grad=True):
            out = dy.copy()
            out[0, 0] = np.inf
            return out

    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(2, 3, rng=rng), Exploding(), bp.Dense(3, 1, rng=rng))
    before = _params(net)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        hist = net.fit(np.ones((4, 2)), np.ones((4, 1)), loss="squared",
                       optimizer=bp.SGD(net.parameters(), lr=0.1), epochs=2, verbose=False)
    message = str(caught[0].message)
    assert "epoch 1, step 1" in message and "layer 0 (Dense)" in message
    assert hist.diverged
    for a, b in zip(_params(net), before, strict=True):
        np.testing.assert_array_equal(a, b)


class _Interrupt(Callback):
    def __init__(self, epoch, step):
        self.epoch, self.step = epoch, step

    def on_batch_end(self, state, logs):
        if state.epoch == self.epoch and state.step == self.step:
            raise KeyboardInterrupt


def _resumable_run(tmp_path, callbacks=(), resume=None):
    X, y = datasets.spirals(240, n_classes=3, noise=0.2, rng=3)
    net = _classifier(seed=5, dropout=0.2, batchnorm=True)
    opt = bp.Adam(net.parameters(), lr=5e-3)
    sched = bp.optim.StepLR(opt, step_size=2, gamma=0.5)
    hist = net.fit(X, y, loss="softmax_cross_entropy", optimizer=opt, schedule=sched, epochs=6,
                   batch_size=32, seed=11, validation_split=0.2, verbose=False,
                   early_stopping=EarlyStopping(patience=10), checkpoint=tmp_path / "ckpt.npz",
                   checkpoint_every=1, callbacks=list(callbacks), resume=resume)
    return net, hist


def test_interrupted_and_resumed_run_matches_an_uninterrupted_one(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    full_net, full_hist = _resumable_run(tmp_path / "a")
    _, hist = _resumable_run(tmp_path / "b", callbacks=[_Interrupt(epoch=4, step=3)])
    assert hist.interrupted and "epoch 4" in hist.stop_reason
    resumed_net, resumed_hist = _resumable_run(tmp_path / "b", resume=tmp_path / "b" / "ckpt.npz")
    for a, b in zip(_params(full_net), _params(resumed_net), strict=True):
        np.testing.assert_array_equal(a, b)
    assert resumed_hist.history == full_hist.history


def test_checkpoint_is_refused_for_another_architecture(tmp_path):
    _resumable_run(tmp_path)
    X, y = datasets.spirals(240, n_classes=3, noise=0.2, rng=3)
    other = bp.Sequential(bp.Dense(2, 5, rng=0), bp.ReLU(), bp.Dense(5, 3, rng=0))
    with pytest.raises(ValueError, match="architecture differs"):
        other.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.Adam(other.parameters()),
                  epochs=2, verbose=False, resume=tmp_path / "ckpt.npz")


BAD_FIT = [
    (dict(X=np.zeros((3, 2)), y=np.zeros(4, int)), ValueError, "3 rows but y has 4"),
    (dict(X=np.array([[0.0, np.nan]] * 3), y=np.zeros(3, int)), ValueError, "non-finite"),
    (dict(X=np.zeros((3, 2)), y=np.array([0, 1, 7])), ValueError, "label 7 is out of range"),
    (dict(X=np.zeros((3, 5)), y=np.zeros(3, int)), ValueError, "expected 2 features, got 5"),
    (dict(X=np.zeros((0, 2)), y=np.zeros(0, int)), ValueError, "empty"),
    (dict(batch_size=0), ValueError, "batch size must be >= 1, got 0"),
    (dict(epochs=0), ValueError, "epochs must be >= 1, got 0"),
    (dict(loss="hinge"), ValueError, "unknown loss 'hinge'"),
]


@pytest.mark.parametrize(("override", "exc", "message"), BAD_FIT)
def test_bad_fit_input_is_named(override, exc, message):
    net = _classifier()
    kwargs = dict(X=np.zeros((3, 2)), y=np.zeros(3, int), loss="softmax_cross_entropy",
                  optimizer=bp.SGD(net.parameters(), lr=0.1), verbose=False)
    kwargs.update(override)
    X, y = kwargs.pop("X"), kwargs.pop("y")
    with pytest.raises(exc, match=message):
        net.fit(X, y, **kwargs)


@pytest.mark.parametrize(("make", "message"), [
    (lambda ps: bp.SGD(ps, lr=0), "learning rate must be > 0, got 0"),
    (lambda ps: bp.SGD(ps, lr=0.1, momentum=1.0), "momentum must be in \\[0, 1\\), got 1"),
    (lambda ps: bp.SGD(ps, lr=0.1, momentum=-0.5), "momentum must be in \\[0, 1\\), got -0.5"),
    (lambda ps: bp.Adam(ps, lr=-1e-3), "learning rate must be > 0, got -0.001"),
    (lambda ps: bp.Dropout(1.0), "p must be in \\[0, 1\\), got 1"),
])
def test_bad_hyperparameters_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make(_classifier().parameters())


def test_evaluation_never_leaves_a_last_chunk_of_one_row():
    """1,025 rows in chunks of 1,024 left one row alone, and a batch norm that uses its batch's
    statistics in evaluation mode too has none for one sample: the row joins the chunk
    before it. Row counts that left no single row are chunked as before."""
    from backprop.training.evaluation import predict, predict_raw

    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(3, 4, rng=0), bp.BatchNorm(4, track_running_stats=False),
                        bp.ReLU(), bp.Dense(4, 2, rng=1))
    X, y = rng.normal(size=(1025, 3)), rng.integers(0, 2, 1025)
    whole = net.eval().forward(X).copy()  # the 1,025 rows as one batch
    net.train()
    np.testing.assert_array_equal(predict_raw(net, X), whole)
    np.testing.assert_array_equal(predict(net, X, loss="softmax_cross_entropy"),
                                  whole.argmax(axis=1))
    scores = net.evaluate(X, y, loss="softmax_cross_entropy")
    assert scores["accuracy"] == np.mean(whole.argmax(axis=1) == y)
    assert net.training  # the mode is restored
    from backprop.training.evaluation import row_chunks

    assert row_chunks(1025, 1024) == [slice(0, 1025)]
    assert row_chunks(2049, 1024) == [slice(0, 1024), slice(1024, 2049)]
    for n in (1, 2, 1024, 1026, 2048):  # nothing left alone: the same chunks as before
        assert row_chunks(n, 1024) == [slice(a, min(a + 1024, n)) for a in range(0, n, 1024)]
    assert row_chunks(3, 1) == [slice(0, 1), slice(1, 2), slice(2, 3)]  # one row each, as asked
    # any network's outputs are its forward pass over those chunks (1001: the last joins)
    plain = bp.Sequential(bp.Dense(3, 4, rng=0), bp.Tanh(), bp.Dense(4, 2, rng=1))
    for n in (1000, 1001, 1002):
        np.testing.assert_array_equal(predict_raw(plain, X[:n], batch_size=100),
                                      np.concatenate([plain.forward(X[rows]) for rows in
                                                      row_chunks(n, 100)]))
