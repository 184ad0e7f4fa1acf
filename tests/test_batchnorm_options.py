"""BatchNorm(affine=, track_running_stats=) against torch.nn.BatchNorm1d with the same flags, in
float64: forward, backward and running statistics over several training batches, then
evaluation mode; the configuration and bp.save / bp.load round trips.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

import backprop as bp

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

RTOL = 1e-12
FLAGS = list(itertools.product([True, False], [True, False]))
FLAG_IDS = [f"affine={a}-track={t}" for a, t in FLAGS]
N = 6


def pair(affine, track, rng):
    bn = bp.BatchNorm(N, momentum=0.3, eps=1e-4, affine=affine, track_running_stats=track)
    ref = torch.nn.BatchNorm1d(N, momentum=0.3, eps=1e-4, affine=affine,
                               track_running_stats=track, dtype=torch.float64)
    if affine:  # start away from 1 and 0 so the affine map shows
        bn.gamma[...] = rng.uniform(0.5, 2.0, size=N)
        bn.beta[...] = rng.normal(size=N)
        with torch.no_grad():
            ref.weight.copy_(torch.from_numpy(bn.gamma))
            ref.bias.copy_(torch.from_numpy(bn.beta))
    return bn, ref


def close(ours, ref):
    """Entry-wise relative 1e-12, with entries far below the array's largest one measured
    against that largest one: dx of a two-sample batch is a near-cancellation."""
    ref = ref.detach().numpy() if hasattr(ref, "detach") else ref
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())


def step_both(bn, ref, x, dy):
    y = bn.forward(x)
    dx = bn.backward(dy)
    xt = torch.from_numpy(x).requires_grad_()
    yt = ref(xt)
    yt.backward(torch.from_numpy(dy))
    close(y, yt)
    close(dx, xt.grad)
    if bn.affine:
        close(bn.dgamma, ref.weight.grad)
        close(bn.dbeta, ref.bias.grad)
        ref.weight.grad = None
        ref.bias.grad = None


@pytest.mark.parametrize("affine,track", FLAGS, ids=FLAG_IDS)
def test_train_and_eval_match_torch(affine, track):
    rng = np.random.default_rng(4)
    bn, ref = pair(affine, track, rng)
    for m in (8, 5, 16, 2):  # several training batches, a two-sample one included
        x = rng.normal(loc=rng.normal(size=N), scale=rng.uniform(0.5, 3.0, size=N), size=(m, N))
        step_both(bn, ref, x, rng.normal(size=(m, N)))
        if track:
            close(bn.running_mean, ref.running_mean)
            close(bn.running_var, ref.running_var)
        else:
            assert bn.running_mean is None and ref.running_mean is None
    bn.eval()
    ref.eval()
    x = rng.normal(size=(7, N)) * 2.0 + 1.0
    step_both(bn, ref, x, rng.normal(size=(7, N)))
    if not track:  # batch statistics in eval too: the output is normalised per batch
        y = bn.forward(x)
        xhat = (y - bn.beta) / bn.gamma
        np.testing.assert_allclose(xhat.mean(axis=0), 0.0, atol=1e-12)


@pytest.mark.parametrize("affine,track", FLAGS, ids=FLAG_IDS)
def test_parameters_buffers_and_config_follow_the_flags(affine, track):
    bn = bp.BatchNorm(N, affine=affine, track_running_stats=track, dtype="float32")
    assert [p.attr for p in bn.parameters()] == (["gamma", "beta"] if affine else [])
    assert sorted(bn.buffers()) == (["running_mean", "running_var"] if track else [])
    config = json.loads(json.dumps(bn.get_config()))
    assert config["affine"] is affine and config["track_running_stats"] is track
    clone = bp.BatchNorm(**config)
    assert clone.get_config() == bn.get_config()


@pytest.mark.parametrize("affine,track", FLAGS, ids=FLAG_IDS)
def test_save_and_load_round_trip(tmp_path, affine, track):
    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(3, N, rng=1),
                        bp.BatchNorm(N, affine=affine, track_running_stats=track),
                        bp.ReLU(), bp.Dense(N, 2, rng=2))
    X = rng.normal(size=(32, 3))
    y = rng.integers(0, 2, size=32)
    net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.Adam(net.parameters(), lr=0.01),
            epochs=3, batch_size=8, seed=0, verbose=False)
    bp.save(tmp_path / "bn.npz", net)
    loaded = bp.load(tmp_path / "bn.npz")
    assert loaded.layers[1].get_config() == net.layers[1].get_config()
    assert set(loaded.buffers()) == set(net.buffers())
    for name, buf in net.buffers().items():
        np.testing.assert_array_equal(loaded.buffers()[name], buf)
    for a, b in zip(loaded.parameters(), net.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)
    np.testing.assert_array_equal(loaded.predict_proba(X), net.predict_proba(X))
    if affine:  # the scale was trained
        assert not np.allclose(net.layers[1].gamma, 1.0)
    else:
        assert np.all(net.layers[1].gamma == 1.0) and np.all(net.layers[1].beta == 0.0)


def test_files_from_before_the_flags_still_load(tmp_path):
    net = bp.Sequential(bp.Dense(2, 3, rng=0), bp.BatchNorm(3), bp.Dense(3, 1, rng=1))
    bp.save(tmp_path / "a.npz", net)
    arrays = dict(np.load(tmp_path / "a.npz", allow_pickle=False))
    meta = json.loads(arrays["__meta__"].tobytes().decode("utf-8"))
    for layer in meta["layers"]:
        layer["config"].pop("affine", None)
        layer["config"].pop("track_running_stats", None)
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    np.savez(tmp_path / "old.npz", **arrays)
    loaded = bp.load(tmp_path / "old.npz")
    assert loaded.layers[1].affine and loaded.layers[1].track_running_stats


def test_one_sample_needs_running_statistics_even_in_eval():
    bn = bp.BatchNorm(3, track_running_stats=False)
    bn.eval()
    with pytest.raises(ValueError, match="track_running_stats=False.*eval mode too.*"
                                         r"more than 1 sample.*\(1, 3\)"):
        bn.forward(np.ones((1, 3)))
    ref = torch.nn.BatchNorm1d(3, track_running_stats=False, dtype=torch.float64).eval()
    with pytest.raises(ValueError, match="more than 1 value"):
        ref(torch.ones((1, 3), dtype=torch.float64))
    tracked = bp.BatchNorm(3)
    tracked.eval()
    tracked.forward(np.ones((1, 3)))  # running statistics: one sample is fine


@pytest.mark.parametrize("kw,match", [({"affine": 1}, "affine must be True or False, got 1"),
                                      ({"track_running_stats": "no"},
                                       "track_running_stats must be True or False, got 'no'")])
def test_flags_must_be_bools(kw, match):
    with pytest.raises(TypeError, match=match):
        bp.BatchNorm(3, **kw)


def test_no_affine_skips_the_parameter_sums_when_no_input_gradient_is_needed():
    bn = bp.BatchNorm(3, affine=False)
    bn.forward(np.arange(12.0).reshape(4, 3))
    assert bn.backward(np.ones((4, 3)), input_grad=False) is None
    assert np.all(bn.dgamma == 0)  # nothing to assign: the layer has no parameters
