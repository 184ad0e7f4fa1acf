"""Initialisers: their draws match torch.nn.init's, gains match calculate_gain, lookups, errors.

The initialiser cases (``INIT_CASES`` in ``cases.py``) cover every registered initialiser;
``test_contracts.py`` checks each one's mean and spread against its published formula. Random
draws of two libraries never coincide, so the comparison with torch here is statistical: a
two-sample Kolmogorov-Smirnov statistic between backprop's and torch's draws.
"""

import math

import numpy as np
import pytest
from cases import INIT_CASES

import backprop as bp
from backprop import init

SHAPE = (200, 1000)  # (n_out, n_in): fan_in = 1000, fan_out = 200, unequal so a swap shows
FAN_IN, FAN_OUT = SHAPE[1], SHAPE[0]
N = SHAPE[0] * SHAPE[1]

TORCH_CASES = [c for c in INIT_CASES if c.torch_init is not None and c.dist != "zeros"]


def torch_draw(torch, case, seed=0):
    t = torch.empty(SHAPE, dtype=torch.float64)
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        case.torch_init(torch.nn.init, t, g)
    return t.numpy()


def ks_statistic(a, b):
    """Two-sample Kolmogorov-Smirnov statistic: largest gap between the empirical CDFs."""
    a, b = np.sort(a.ravel()), np.sort(b.ravel())
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / a.size
    cdf_b = np.searchsorted(b, grid, side="right") / b.size
    return float(np.max(np.abs(cdf_a - cdf_b)))


def check_distribution(w, kind, scale):
    """Assert that ``w`` looks like U(-scale, scale) or N(0, scale^2)."""
    std = scale / math.sqrt(3) if kind == "uniform" else scale
    # the sample std of N draws is within ~1/sqrt(2N) (relative) of the true one: 0.16% here
    assert abs(w.std() / std - 1) < 0.01
    assert abs(w.mean()) < 6 * std / math.sqrt(w.size)
    inside = np.mean(np.abs(w) <= std)  # separates the two shapes at equal std
    if kind == "uniform":
        assert np.abs(w).max() <= scale
        assert np.abs(w).max() > scale * (1 - 1e-3)  # 200 000 draws reach the bound closely
        assert abs(inside - 1 / math.sqrt(3)) < 0.01
    else:
        assert abs(inside - math.erf(1 / math.sqrt(2))) < 0.01


@pytest.mark.parametrize("case", TORCH_CASES, ids=lambda c: c.id)
def test_same_distribution_as_torch(case, torch):
    theirs = torch_draw(torch, case)
    check_distribution(theirs, case.dist, case.scale(FAN_IN, FAN_OUT))  # torch's formula too
    ours = bp.INITIALIZERS[case.name](SHAPE, rng=2, **case.kwargs)
    # KS critical value at significance 1e-6 for two samples of N: c * sqrt(2 / N)
    critical = math.sqrt(-math.log(1e-6 / 2) / 2) * math.sqrt(2 / N)
    assert ks_statistic(ours, theirs) < critical


def test_uniform_matches_nn_linear_default(torch):
    lin = torch.nn.Linear(FAN_IN, FAN_OUT, dtype=torch.float64)
    check_distribution(lin.weight.detach().numpy(), "uniform", 1 / math.sqrt(FAN_IN))


def test_zeros(torch):
    w = init.zeros(SHAPE, rng=0)
    t = torch.nn.init.zeros_(torch.empty(SHAPE, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(w, t)
    assert w.dtype == np.float64


@pytest.mark.parametrize("name, kwargs, torch_args", [
    ("linear", {}, ("linear",)),
    ("identity", {}, ("linear",)),
    ("softmax", {}, ("linear",)),
    ("sigmoid", {}, ("sigmoid",)),
    ("tanh", {}, ("tanh",)),
    ("relu", {}, ("relu",)),
    ("leaky_relu", {}, ("leaky_relu",)),
    ("leaky_relu", {"negative_slope": 0.2}, ("leaky_relu", 0.2)),
    ("leaky_relu", {"negative_slope": 0.0}, ("relu",)),
    ("leaky_relu", {"negative_slope": 1}, ("linear",)),
])
def test_gain_equals_torch_calculate_gain(name, kwargs, torch_args, torch):
    assert init.gain(name, **kwargs) == pytest.approx(
        torch.nn.init.calculate_gain(*torch_args), rel=1e-15)


def test_he_defaults_to_the_relu_gain():
    np.testing.assert_array_equal(init.he_normal((3, 4), rng=5),
                                  init.he_normal((3, 4), rng=5, gain=init.gain("relu")))


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_seeds_reproduce(name):
    fn = init.get(name)
    a = fn((6, 5), rng=42)
    np.testing.assert_array_equal(a, fn((6, 5), rng=42))
    if name == "zeros":
        return
    assert not np.array_equal(a, fn((6, 5), rng=43))
    # a Generator is used as is: consecutive calls continue one stream
    gen = np.random.default_rng(42)
    first, second = fn((6, 5), rng=gen), fn((6, 5), rng=gen)
    np.testing.assert_array_equal(first, a)
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("name", sorted(init.INITIALIZERS))
def test_float32(name):
    fn = init.get(name)
    w32 = fn((6, 5), rng=3, dtype=np.float32)
    assert w32.dtype == np.float32
    np.testing.assert_array_equal(w32, fn((6, 5), rng=3).astype(np.float32))


def test_lookup_and_aliases():
    assert init.get("glorot_uniform") is init.xavier_uniform
    assert init.get("glorot_normal") is init.xavier_normal
    assert init.get("kaiming_uniform") is init.he_uniform
    assert init.get("kaiming_normal") is init.he_normal
    assert init.get(init.he_normal) is init.he_normal

    def custom(shape, *, rng=None, dtype=np.float64):
        return np.full(shape, 0.5, dtype=dtype)

    assert init.get(custom) is custom
    np.testing.assert_array_equal(bp.Dense(3, 2, init=custom).W, np.full((2, 3), 0.5))


def test_dense_draws_through_the_named_initialiser():
    layer = bp.Dense(7, 4, init="he_normal", rng=9)
    np.testing.assert_array_equal(layer.W, init.he_normal((4, 7), rng=9))


@pytest.mark.parametrize("call, error, match", [
    (lambda: init.get("glorot"), ValueError, "unknown initialiser 'glorot'; known: .*he_normal"),
    (lambda: init.get(None), ValueError, "unknown initialiser None"),
    (lambda: init.gain("selu"), ValueError, "unknown activation 'selu'; known: "),
    (lambda: init.gain("leaky_relu", "x"), TypeError, "negative_slope must be a number, got 'x'"),
    (lambda: init.gain("leaky_relu", True), TypeError, "negative_slope must be a number"),
    (lambda: init.he_uniform((3,), rng=0), ValueError, r"2-D weight shape .*got \(3,\)"),
    (lambda: init.zeros((2, 3, 4)), ValueError, r"2-D weight shape .*got \(2, 3, 4\)"),
    (lambda: init.xavier_normal(5, rng=0), TypeError, "shape must be a pair .*got 5"),
    (lambda: init.xavier_normal("ab", rng=0), TypeError, "shape must be a pair .*got 'ab'"),
    (lambda: init.he_normal((2.5, 3), rng=0), TypeError, r"integers, got \(2.5, 3\)"),
    (lambda: init.he_normal((True, 3), rng=0), TypeError, r"integers, got \(True, 3\)"),
    (lambda: init.he_uniform((4, 0), rng=0), ValueError, r">= 1, got \(4, 0\)"),
    (lambda: init.xavier_uniform((0, 0), rng=0), ValueError, r">= 1, got \(0, 0\)"),
    (lambda: init.uniform((-1, 3), rng=0), ValueError, r">= 1, got \(-1, 3\)"),
    (lambda: init.xavier_uniform((3, 4), rng=0, gain=0), ValueError, "gain must be > 0, got 0"),
    (lambda: init.he_normal((3, 4), rng=0, gain=-1.0), ValueError, "gain must be > 0, got -1"),
    (lambda: init.normal((3, 4), rng=0, dtype=np.int64), ValueError,
     "dtype must be float32 or float64, got int64"),
    (lambda: init.he_normal((3, 4), rng=-1), ValueError, "seed must be >= 0, got -1"),
    (lambda: init.he_normal((3, 4), rng=1.5), TypeError, "rng must be an int seed"),
])
def test_bad_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_list_and_numpy_integer_shapes_work():
    w = init.he_uniform([np.int64(3), 4], rng=0)
    assert w.shape == (3, 4)
