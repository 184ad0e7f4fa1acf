"""backprop.data.preprocessing: Standardizer, one_hot, train_val_split."""

import json

import numpy as np
import pytest

from backprop.data.preprocessing import Standardizer, one_hot, train_val_split

# --------------------------------------------------------------------------------------------
# Standardizer
# --------------------------------------------------------------------------------------------


def _train_test(seed=0):
    rng = np.random.default_rng(seed)
    X_train = rng.normal(3.0, [1.0, 5.0, 0.1, 2.0], size=(50, 4))
    X_train[:, 2] = 7.3  # constant column: scale must become 1
    X_test = rng.normal(-1.0, 2.0, size=(20, 4))
    return X_train, X_test


def test_standardizer_matches_sklearn_fitted_on_train_only():
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    X_train, X_test = _train_test()
    ours = Standardizer().fit(X_train)
    ref = preprocessing.StandardScaler().fit(X_train)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-12)
    assert ours.scale_[2] == 1.0
    np.testing.assert_allclose(ours.transform(X_test), ref.transform(X_test), atol=1e-12)
    np.testing.assert_allclose(ours.transform(X_train), ref.transform(X_train), atol=1e-12)


def test_standardizer_statistics_from_definition():
    X_train, X_test = _train_test(1)
    s = Standardizer()
    Z = s.fit_transform(X_train)
    # columns with spread become mean 0, std 1; the constant column becomes 0
    np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, [0, 1, 3]].std(axis=0), 1.0, rtol=1e-12)
    np.testing.assert_allclose(Z[:, 2], 0.0, atol=1e-12)
    # transforming test data uses the training statistics, not the test ones
    Zt = s.transform(X_test)
    np.testing.assert_allclose(Zt, (X_test - X_train.mean(0)) / s.scale_, rtol=1e-12)
    assert abs(Zt[:, 0].mean()) > 0.5
    np.testing.assert_allclose(s.inverse_transform(Zt), X_test, rtol=1e-12, atol=1e-12)


def test_standardizer_keeps_float32():
    X = np.random.default_rng(2).random((10, 3)).astype(np.float32)
    s = Standardizer().fit(X)
    assert s.mean_.dtype == np.float64
    assert s.transform(X).dtype == np.float32
    assert s.inverse_transform(s.transform(X)).dtype == np.float32


def test_standardizer_state_dict_json_round_trip():
    X_train, X_test = _train_test(3)
    s = Standardizer().fit(X_train)
    state = s.state_dict()
    assert set(state) == {"mean", "scale"}
    assert all(isinstance(v, np.ndarray) for v in state.values())
    text = json.dumps({k: v.tolist() for k, v in state.items()})
    back = Standardizer.from_state_dict(json.loads(text))
    np.testing.assert_array_equal(back.mean_, s.mean_)
    np.testing.assert_array_equal(back.scale_, s.scale_)
    np.testing.assert_array_equal(back.transform(X_test), s.transform(X_test))


def test_standardizer_errors():
    with pytest.raises(RuntimeError, match="not fitted"):
        Standardizer().transform(np.zeros((2, 3)))
    with pytest.raises(RuntimeError, match="not fitted"):
        Standardizer().state_dict()
    s = Standardizer().fit(np.random.default_rng(0).random((5, 4)))
    with pytest.raises(ValueError, match="X has 3 features but the Standardizer was fitted on 4"):
        s.transform(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"non-finite value \(nan\) at row 1, column 0"):
        Standardizer().fit([[1.0, 2.0], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="missing"):
        Standardizer.from_state_dict({"mean": [0.0]})
    with pytest.raises(ValueError, match="positive scales"):
        Standardizer.from_state_dict({"mean": [0.0], "scale": [0.0]})
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(1,\)"):
        Standardizer.from_state_dict({"mean": [0.0, 1.0], "scale": [1.0]})

def test_global_standardizer_uses_one_mean_and_std():
    X = np.random.default_rng(0).random((50, 6)) * np.arange(1, 7)
    st = Standardizer(per_feature=False).fit(X)
    np.testing.assert_allclose(st.mean_, np.full(6, X.mean()))
    np.testing.assert_allclose(st.scale_, np.full(6, X.std()))
    Z = st.transform(X)
    assert abs(Z.mean()) < 1e-12 and abs(Z.std() - 1) < 1e-12
    assert np.ptp(Z.std(axis=0)) > 0.1  # columns keep their relative spread



# --------------------------------------------------------------------------------------------
# one_hot
# --------------------------------------------------------------------------------------------


def test_one_hot_matches_identity_rows():
    labels = np.array([2, 0, 1, 2, 4])
    np.testing.assert_array_equal(one_hot(labels), np.eye(5)[labels])
    out = one_hot(labels, 7, dtype=np.float32)
    assert out.shape == (5, 7) and out.dtype == np.float32
    np.testing.assert_array_equal(out.argmax(axis=1), labels)
    np.testing.assert_array_equal(out.sum(axis=1), 1.0)
    np.testing.assert_array_equal(one_hot([1.0, 0.0], 2), [[0, 1], [1, 0]])
    assert one_hot([], 3).shape == (0, 3)


@pytest.mark.parametrize("labels, n_classes, message", [
    ([0, 10], 10, "label 10 is out of range for 10 classes"),
    ([0, -2], None, "label -2 is negative"),
    ([0.5], 2, "label 0.5 is not an integer"),
    ([[0, 1]], 2, "labels must be 1-D"),
    ([], None, "cannot infer n_classes"),
    ([0, np.nan], 2, "non-finite value (nan)"),
])
def test_one_hot_errors(labels, n_classes, message):
    with pytest.raises(ValueError) as info:
        one_hot(labels, n_classes)
    assert message in str(info.value)


# --------------------------------------------------------------------------------------------
# train_val_split
# --------------------------------------------------------------------------------------------


def _ids(n):
    """Rows that name themselves, with labels derived from the id (so pairing can be checked)."""
    X = np.arange(n, dtype=np.float64).reshape(n, 1) * np.ones((1, 3))
    y = np.arange(n) * 2
    return X, y


@pytest.mark.parametrize("n, fraction, n_val", [(100, 0.2, 20), (10, 0.25, 3), (30, 0.1, 3),
                                                (7, 0.0, 0)])
def test_split_sizes_partition_and_pairing(n, fraction, n_val):
    X, y = _ids(n)
    Xtr, ytr, Xv, yv = train_val_split(X, y, fraction, rng=0)
    assert Xv.shape == (n_val, 3) and yv.shape == (n_val,)
    assert Xtr.shape == (n - n_val, 3)
    ids = np.concatenate([Xtr[:, 0], Xv[:, 0]])
    np.testing.assert_array_equal(np.sort(ids), np.arange(n))
    np.testing.assert_array_equal(ytr, Xtr[:, 0] * 2)
    np.testing.assert_array_equal(yv, Xv[:, 0] * 2)


def test_split_reproducible_and_seed_dependent():
    X, y = _ids(50)
    a = train_val_split(X, y, 0.3, rng=5)
    b = train_val_split(X, y, 0.3, rng=np.random.default_rng(5))
    c = train_val_split(X, y, 0.3, rng=6)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(a[3], c[3])
    # shuffled: the validation rows are not simply the last ones
    assert not np.array_equal(np.sort(a[3]), y[-15:])


def test_split_without_shuffle_holds_out_last_rows():
    X, y = _ids(10)
    Xtr, ytr, Xv, yv = train_val_split(X, y, 0.3, shuffle=False)
    np.testing.assert_array_equal(ytr, y[:7])
    np.testing.assert_array_equal(yv, y[7:])


def test_split_stratified_keeps_class_shares():
    y = np.repeat([0, 1, 2], [60, 30, 10])
    X = np.arange(100.0).reshape(100, 1)
    Xtr, ytr, Xv, yv = train_val_split(X, y, 0.2, rng=1, stratify=True)
    np.testing.assert_array_equal(np.bincount(yv), [12, 6, 2])
    np.testing.assert_array_equal(np.bincount(ytr), [48, 24, 8])
    np.testing.assert_array_equal(y[Xv[:, 0].astype(int)], yv)  # rows stay paired
    np.testing.assert_array_equal(np.sort(np.concatenate([Xtr[:, 0], Xv[:, 0]])), X[:, 0])


def test_split_stratified_rounding_and_one_hot():
    # 7 + 3 samples, 5 held out: quotas 3.5 and 1.5 -> floors 3 + 1, one extra to a class
    y = np.repeat([0, 1], [7, 3])
    _, _, _, yv = train_val_split(np.zeros((10, 2)), y, 0.5, rng=0, stratify=True)
    counts = np.bincount(yv, minlength=2)
    assert counts.sum() == 5 and 3 <= counts[0] <= 4 and 1 <= counts[1] <= 2
    Y = one_hot(np.repeat([0, 1, 2], [50, 25, 25]))
    _, _, _, Yv = train_val_split(np.zeros((100, 1)), Y, 0.2, rng=0, stratify=True)
    np.testing.assert_array_equal(Yv.sum(axis=0), [10, 5, 5])
    # without shuffle each class gives its last rows; quotas 1.4 and 0.6 -> 1 + 0, and the
    # missing row goes to the larger remainder (class 1): row 6 of class 0, row 9 of class 1
    _, _, Xv, yv = train_val_split(np.arange(10.0)[:, None], y, 0.2, shuffle=False,
                                   stratify=True)
    np.testing.assert_array_equal(Xv[:, 0], [6, 9])


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(X=np.zeros((3, 1)), y=np.zeros(4)), ValueError, "X has 3 rows but y has 4"),
    (dict(X=np.zeros((3, 1)), y=np.zeros(3), val_fraction=1.0), ValueError,
     "val_fraction must be in [0, 1), got 1"),
    (dict(X=np.zeros((3, 1)), y=np.zeros(3), val_fraction=-0.1), ValueError, "got -0.1"),
    (dict(X=np.zeros((1, 1)), y=np.zeros(1), val_fraction=0.5), ValueError,
     "leaves no training samples"),
    (dict(X=np.zeros((3, 1)), y=np.zeros(3), val_fraction="0.1"), TypeError, "'0.1'"),
])
def test_split_errors(kwargs, exc, message):
    with pytest.raises(exc) as info:
        train_val_split(**kwargs)
    assert message in str(info.value)

