"""Generated 2-D datasets: one registry, generic tests, then each generator's geometry."""

import numpy as np
import pytest
from cases import DATASET_CASES

import backprop as bp
from backprop.data.toy import DATASETS, blobs, circles, moons, register_dataset, spirals, xor
from backprop.registry import Registry

# the dataset cases (cases.py): every registered generator, its arguments and classes
CASES = {c.id: c for c in DATASET_CASES}


def test_datasets_is_a_registry_in_registration_order():
    assert isinstance(DATASETS, Registry)
    assert DATASETS.names() == ["xor", "spirals", "moons", "circles", "blobs"]
    assert bp.datasets.DATASETS is DATASETS and bp.data.DATASETS is DATASETS
    assert "spirals" in DATASETS and DATASETS["spirals"] is spirals


def test_register_dataset_reaches_load_dataset_and_can_be_removed():
    def line(n=10, *, rng=None):
        X = np.linspace(0.0, 1.0, n)[:, None]
        return X, (X[:, 0] > 0.5).astype(np.int64)

    assert register_dataset("line", line) is line
    try:
        assert "line" in DATASETS and DATASETS.names()[-1] == "line"
        X, y = bp.load_dataset("line", n=7)
        np.testing.assert_array_equal(X[:, 0], np.linspace(0.0, 1.0, 7))
        np.testing.assert_array_equal(y, [0, 0, 0, 0, 1, 1, 1])
        assert bp.load_dataset("LINE")[0].shape == (10, 1)
    finally:
        DATASETS.remove("line")
    assert "line" not in DATASETS
    with pytest.raises(ValueError, match="unknown dataset 'line'"):
        bp.load_dataset("line")


def test_register_dataset_refuses_taken_names_unless_replace():
    def fake(**kw):
        return spirals(n=4, rng=0)

    with pytest.raises(ValueError, match="dataset name 'spirals' is already registered"):
        register_dataset("spirals", fake)
    assert DATASETS["spirals"] is spirals
    try:
        register_dataset("spirals", fake, replace=True)
        assert DATASETS["spirals"] is fake
    finally:
        register_dataset("spirals", spirals, replace=True)
    assert DATASETS["spirals"] is spirals and DATASETS.names()[1] == "spirals"
    with pytest.raises(ValueError, match="must be lower case"):
        register_dataset("Line", fake)
    with pytest.raises(TypeError, match="must be a callable"):
        register_dataset("line", 42)
    assert "line" not in DATASETS and "Line" not in DATASETS


@pytest.mark.parametrize("name", sorted(CASES))
def test_shapes_dtypes_and_balance(name):
    case = CASES[name]
    k = case.n_classes
    X, y = DATASETS[case.name](n=101, rng=0, **case.kwargs)
    assert X.shape == (101, case.n_features) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert counts.size == k and counts.max() - counts.min() <= 1
    assert np.all(np.isfinite(X))
    # rows come shuffled, not in the generation order i mod k
    assert not np.array_equal(y, np.arange(101) % k)


@pytest.mark.parametrize("name", sorted(CASES))
def test_seed_determinism(name):
    case = CASES[name]
    fn = DATASETS[case.name]
    a = fn(n=50, rng=7, **case.kwargs)
    b = fn(n=50, rng=np.random.default_rng(7), **case.kwargs)
    c = fn(n=50, rng=8, **case.kwargs)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_arguments_name_the_value(name):
    fn = DATASETS[CASES[name].name]
    with pytest.raises(ValueError, match="n must be >= 1, got 0"):
        fn(n=0, rng=0)
    with pytest.raises(ValueError, match="noise must be >= 0, got -0.5"):
        fn(noise=-0.5, rng=0)
    with pytest.raises(TypeError, match="rng must be"):
        fn(rng="abc")


def test_xor_noise_free_is_the_truth_table():
    X, y = xor(4, noise=0.0, rng=0)
    rows = sorted(zip(X[:, 0], X[:, 1], y, strict=True))
    assert rows == [(0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)]
    X, y = xor(400, noise=0.0, rng=1)
    np.testing.assert_array_equal(y, X[:, 0].astype(int) ^ X[:, 1].astype(int))


def test_circles_radii():
    X, y = circles(200, noise=0.0, factor=0.3, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)
    with pytest.raises(ValueError, match="factor must be in"):
        circles(factor=1.5)


def test_moons_lie_on_their_half_circles():
    X, y = moons(200, noise=0.0, rng=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    assert np.all(upper[:, 1] >= -1e-12)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
def test_spiral_arms_follow_their_angle(n_classes):
    turns = 1.5
    X, y = spirals(300, n_classes=n_classes, noise=0.0, turns=turns, rng=0)
    r = np.hypot(X[:, 0], X[:, 1])
    theta = np.arctan2(X[:, 1], X[:, 0])
    expected = 2 * np.pi * y / n_classes + 2 * np.pi * turns * r
    # equal up to whole turns
    diff = np.angle(np.exp(1j * (theta - expected)))
    np.testing.assert_allclose(diff, 0.0, atol=1e-9)
    assert r.max() <= 1.0
    with pytest.raises(ValueError, match="n_classes must be >= 2, got 1"):
        spirals(n_classes=1)


def test_blobs_centres_and_dimension():
    X, y = blobs(60, n_classes=3, n_features=5, noise=0.0, rng=0)
    assert X.shape == (60, 5)
    for k in range(3):
        members = X[y == k]
        np.testing.assert_array_equal(members, np.broadcast_to(members[0], members.shape))
        assert np.all(np.abs(members) <= 6.0)
    X, y = blobs(3000, n_classes=2, noise=0.5, rng=1)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].std(axis=0), 0.5, rtol=0.1)
