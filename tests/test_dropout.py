"""Dropout: identity at evaluation, inverted Bernoulli masks in training, reproducible masks.

The contract every layer keeps (config, save/load, the mode switch, bad arguments) is checked by
``test_contracts.py`` over the dropout cases of ``cases.py``.
"""

import json
import math

import numpy as np
import pytest

import backprop as bp

N_BIG = 200_000  # elements for the statistical checks


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_kept_fraction_and_scale(p):
    drop = bp.Dropout(p, rng=123)
    x = np.full((400, N_BIG // 400), 3.0)
    y = drop.forward(x)
    kept = y != 0
    # the kept count is Binomial(N, 1 - p): 6 standard deviations is a bound no correct mask breaks
    sd = math.sqrt(p * (1 - p) / N_BIG)
    assert abs(kept.mean() - (1 - p)) < 6 * sd
    np.testing.assert_allclose(y[kept], 3.0 / (1 - p), rtol=1e-15)
    np.testing.assert_array_equal(drop.mask, kept)
    # E[y] = x: the sample mean of y has standard deviation 3 * sqrt(p / (1 - p) / N)
    assert abs(y.mean() - 3.0) < 6 * 3.0 * math.sqrt(p / (1 - p) / N_BIG)


def test_expectation_preserved_per_element():
    # averaging many independent masks over the same input recovers the input element-wise
    drop = bp.Dropout(0.3, rng=9)
    x = np.linspace(-2.0, 2.0, 12).reshape(3, 4)
    draws = 4000
    mean = sum(drop.forward(x) for _ in range(draws)) / draws
    sd = np.abs(x) * math.sqrt(0.3 / 0.7 / draws)
    assert np.all(np.abs(mean - x) <= 6 * sd + 1e-12)


def test_backward_uses_the_same_mask():
    rng = np.random.default_rng(0)
    drop = bp.Dropout(0.4, rng=1)
    x = rng.normal(size=(50, 30))
    y = drop.forward(x)
    dy = rng.normal(size=(50, 30))
    dx = drop.backward(dy)
    np.testing.assert_array_equal(dx == 0, y == 0)
    np.testing.assert_allclose(dx, dy * drop.mask / 0.6, rtol=1e-15)
    # J = sum(dy * y) is linear in x for a fixed mask, so dx is exactly y / x * dy
    np.testing.assert_allclose(dx, dy * y / x, rtol=1e-12)
    # a second backward sees the same mask; a new forward draws a new one
    np.testing.assert_array_equal(drop.backward(dy), dx)
    first_mask = drop.mask.copy()
    drop.forward(x)
    assert not np.array_equal(drop.mask, first_mask)


def test_eval_mode_is_identity_and_draws_nothing():
    drop = bp.Dropout(0.5, rng=2).eval()
    state = drop.get_rng_state()
    x = np.random.default_rng(1).normal(size=(8, 5))
    assert drop.forward(x) is x
    dy = np.ones((8, 5))
    assert drop.backward(dy) is dy
    assert drop.mask is None
    assert drop.get_rng_state() == state


def test_backward_follows_the_mode_of_its_forward():
    drop = bp.Dropout(0.5, rng=3)
    y = drop.forward(np.ones((10, 10)))
    drop.eval()
    np.testing.assert_array_equal(drop.backward(np.ones((10, 10))), y)


def test_p_zero_is_identity_in_training():
    drop = bp.Dropout(0.0, rng=4)
    state = drop.get_rng_state()
    x = np.random.default_rng(2).normal(size=(6, 3))
    assert drop.forward(x) is x
    assert drop.backward(x) is x
    assert drop.get_rng_state() == state


def test_same_seed_same_masks_and_different_seed_different_masks():
    x = np.ones((20, 20))
    a, b, c = bp.Dropout(0.5, rng=7), bp.Dropout(0.5, rng=7), bp.Dropout(0.5, rng=8)
    for _ in range(3):
        ya, yb, yc = a.forward(x), b.forward(x), c.forward(x)
        np.testing.assert_array_equal(ya, yb)
        assert not np.array_equal(ya, yc)


def test_generator_is_used_as_given():
    gen = np.random.default_rng(5)
    drop = bp.Dropout(0.5, rng=gen)
    expected = np.random.default_rng(5).random((4, 4)) >= 0.5
    drop.forward(np.ones((4, 4)))
    np.testing.assert_array_equal(drop.mask, expected)


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937, np.random.Philox])
def test_rng_state_round_trips_through_json(bit_generator):
    drop = bp.Dropout(0.5, rng=np.random.Generator(bit_generator(11)))
    x = np.ones((5, 7))
    drop.forward(x)
    saved = json.dumps(drop.get_rng_state())
    expected = [drop.forward(x).copy() for _ in range(3)]
    # a fresh layer with another seed continues the same sequence once the state is restored
    other = bp.Dropout(0.5, rng=np.random.Generator(bit_generator(99)))
    other.set_rng_state(json.loads(saved))
    for want in expected:
        np.testing.assert_array_equal(other.forward(x), want)


def test_bad_rng_states():
    drop = bp.Dropout(0.5, rng=0)
    with pytest.raises(TypeError, match="rng state must be a dict"):
        drop.set_rng_state([1, 2])
    with pytest.raises(ValueError, match="'MT19937'.*'PCG64'"):
        drop.set_rng_state({"bit_generator": "MT19937", "state": {}})
    with pytest.raises(ValueError, match="invalid PCG64 rng state"):
        drop.set_rng_state({"bit_generator": "PCG64", "state": {}})


def test_dtypes():
    drop = bp.Dropout(0.25, rng=6)
    y32 = drop.forward(np.ones((10, 10), dtype=np.float32))
    assert y32.dtype == np.float32
    assert set(np.unique(y32).tolist()) <= {0.0, np.float32(1 / 0.75)}
    assert drop.backward(np.ones((10, 10), dtype=np.float32)).dtype == np.float32
    y_int = drop.forward(np.ones((10, 10), dtype=np.int64))  # integers cannot hold 4/3
    assert y_int.dtype == np.float64
    np.testing.assert_allclose(y_int[y_int != 0], 1 / 0.75, rtol=1e-15)


def test_layer_contract():
    drop = bp.Dropout(0.2, rng=0)
    assert drop.parameters() == [] and drop.buffers() == {}
    config = json.loads(json.dumps(drop.get_config()))
    assert bp.Dropout(**config).p == 0.2
    assert repr(drop) == "Dropout(p=0.2)"
    net = bp.Sequential(bp.Dense(3, 4, rng=0), bp.ReLU(), drop, bp.Dense(4, 1, rng=1))
    net.eval()
    assert not drop.training
    x = np.random.default_rng(0).normal(size=(5, 3))
    without = bp.Sequential(net[0], net[1], net[3])
    np.testing.assert_array_equal(net.forward(x), without.forward(x))


def test_bad_calls():
    drop = bp.Dropout(0.5, rng=0)
    with pytest.raises(RuntimeError, match="before forward"):
        drop.backward(np.ones((2, 2)))
    drop.forward(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"dy of shape \(2, 2\).*got \(3, 2\)"):
        drop.backward(np.ones((3, 2)))
    with pytest.raises(TypeError, match="rng must be an int seed"):
        bp.Dropout(0.5, rng="seed")


# --- a fixed mask (worked examples) ------------------------------------------------------------
def test_set_mask_is_used_by_exactly_one_training_forward_and_draws_nothing():
    drop = bp.Dropout(0.5, rng=7)
    state = drop.get_rng_state()
    x = np.arange(1.0, 7.0).reshape(2, 3)
    drop.set_mask([[1, 0, 1], [0, 0, 1]])
    drop.eval().forward(x)  # evaluation mode leaves it for the next training forward
    y = drop.train().forward(x)
    np.testing.assert_array_equal(y, [[2.0, 0.0, 6.0], [0.0, 0.0, 12.0]])
    np.testing.assert_array_equal(drop.mask, [[True, False, True], [False, False, True]])
    np.testing.assert_array_equal(drop.backward(np.ones_like(x)), [[2, 0, 2], [0, 0, 2]])
    assert drop.get_rng_state() == state  # nothing drawn
    assert drop.observables()["mask"] is drop.mask
    drop.forward(x)  # the next one draws again
    assert drop.get_rng_state() != state


@pytest.mark.parametrize("mask, exc, match", [
    ([[1, 2, 0]], ValueError, "0 \\(drop\\) or 1 \\(keep\\), got 2"),
    ([1, 0, 1], ValueError, r"shape \(m, n\), got shape \(3,\)"),
    ([["a", "b", "c"]], TypeError, "booleans or 0 / 1"),
])
def test_bad_masks_are_refused(mask, exc, match):
    with pytest.raises(exc, match=match):
        bp.Dropout(0.5).set_mask(mask)


def test_a_mask_of_the_wrong_shape_or_for_p_zero_is_refused():
    drop = bp.Dropout(0.5)
    drop.set_mask(np.ones((1, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"shape \(1, 3\), but the input has shape \(2, 3\)"):
        drop.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="drops nothing"):
        bp.Dropout(0.0).set_mask([[1]])
