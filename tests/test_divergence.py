"""After divergence: the parameters kept are finite and predict finite values, or the run says
it has nothing good to keep (and ``backprop train`` saves nothing); JSON stays JSON."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.training import loop


def _blobs():
    return bp.datasets.blobs(320, rng=0)


class _Blowup(bp.Callback):
    """Multiply every parameter by ``factor`` before the step ``at`` (counted over the run)."""

    def __init__(self, at, factor=1e200, hook="on_batch_begin"):
        self.at, self.factor, self.n = at, factor, 0
        setattr(self, hook, self._maybe)

    def _maybe(self, state, *args):
        self.n += 1
        if self.n == self.at:
            for p in state.net.parameters():
                p.data *= self.factor


def test_parameters_that_already_predict_nan_are_not_kept():
    """The step before the NaN loss holds parameters of ~1e200 (finite, useless): the run goes
    back to the last snapshot, checked on the failing batch."""
    X, y = _blobs()
    net = bp.mlp([2, 16, 3], rng=0)
    with pytest.warns(bp.TrainingDivergedWarning, match="restored"):
        hist = net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.SGD(net.parameters(),
                                                                               lr=0.1),
                       epochs=5, batch_size=8, seed=0, verbose=False,
                       callbacks=[_Blowup(at=loop.SNAPSHOT_EVERY + 5)])
    assert hist.diverged and not hist.no_good_parameters
    assert f"step {loop.SNAPSHOT_EVERY}" in hist.stop_reason
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = net.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.all(np.abs(net.parameters()[0].data) < 1e10)


def test_a_blowup_in_the_first_steps_goes_back_to_the_epoch_start():
    X, y = _blobs()
    net = bp.mlp([2, 16, 3], rng=0)
    with pytest.warns(bp.TrainingDivergedWarning, match="the start of epoch 1"):
        hist = net.fit(X, y, loss="softmax_cross_entropy", optimizer="sgd", epochs=2,
                       batch_size=8, seed=0, verbose=False, callbacks=[_Blowup(at=3)])
    assert not hist.no_good_parameters
    assert np.all(np.isfinite(net.predict_proba(X)))


def test_when_nothing_is_good_the_run_says_so():
    X, y = _blobs()
    net = bp.mlp([2, 16, 3], rng=0)
    with pytest.warns(bp.TrainingDivergedWarning, match="nothing worth keeping"):
        hist = net.fit(X, y, loss="softmax_cross_entropy", optimizer="sgd", epochs=2,
                       batch_size=8, seed=0, verbose=False,
                       callbacks=[_Blowup(at=1, hook="on_epoch_begin")])
    assert hist.diverged and hist.no_good_parameters
    assert hist.to_dict()["no_good_parameters"] is True
    # predicting with such a network is never a silent NaN
    with pytest.warns(bp.training.evaluation.NonFiniteOutputWarning, match="diverged"):
        net.predict(X[:4])


def test_a_gradient_overflow_keeps_the_current_parameters_when_they_are_fine():
    class Exploding(bp.Identity):
        def backward(self, dy, input_grad=True):
            out = dy.copy()
            out[0, 0] = np.inf
            return out

    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(2, 3, rng=rng), Exploding(), bp.Dense(3, 1, rng=rng))
    before = [p.data.copy() for p in net.parameters()]
    with pytest.warns(bp.TrainingDivergedWarning, match="before this step are kept"):
        net.fit(np.ones((4, 2)), np.ones((4, 1)), loss="squared", optimizer="sgd", epochs=2,
                verbose=False)
    for p, b in zip(net.parameters(), before, strict=True):
        assert np.array_equal(p.data, b)


def test_the_cli_saves_nothing_when_nothing_is_good(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(loop, "_usable", lambda *a: False)
    original = loop.run_epochs

    def diverge(state, callbacks):
        callbacks.insert(0, _Blowup(at=1, hook="on_epoch_begin"))
        return original(state, callbacks)

    monkeypatch.setattr(loop, "run_epochs", diverge)
    model = tmp_path / "m.npz"
    code, out, err = run_cli("train", "blobs", "--epochs", "3", "--quiet", "--save", model,
                             "--json")
    assert code == 1 and not model.exists()
    doc = json.loads(out)  # strict JSON: NaN written as null, with a note
    assert doc["model_saved"] is None
    assert any("nothing was saved" in n for n in doc["notes"])
    assert "NaN" not in out and "Traceback" not in err
    code, out, err = run_cli("train", "blobs", "--epochs", "3", "--quiet", "--save", model)
    assert code == 1 and not model.exists() and "nothing was saved" in out
    assert "model saved" not in out


def test_the_cli_keeps_a_checked_state_and_says_where_it_came_from(tmp_path, run_cli):
    model = tmp_path / "m.npz"
    code, out, err = run_cli("train", "moons", "--optimizer", "sgd", "--lr", "1e6",
                             "--no-standardize", "--epochs", "5", "--quiet", "--save", model,
                             "--json", "--dtype", "float64")
    doc = json.loads(out)
    if code == 0:
        net = bp.load(model)
        X, _ = bp.datasets.moons(50, rng=0)
        assert np.all(np.isfinite(net.predict_proba(X)))
    else:
        assert code == 1 and not model.exists()
    assert "NaN" not in out
    assert doc["test_loss"] is None or np.isfinite(doc["test_loss"])
