"""backprop.data.checks: check_Xy names the bad value and where it is."""

import numpy as np
import pytest

from backprop.data.checks import check_Xy


def _nan_at_5_2():
    X = np.zeros((8, 4))
    X[5, 2] = np.nan
    return X


BAD_XY = [
    # (description, kwargs for check_Xy, exception, message fragment)
    ("1-D X", dict(X=np.zeros(5)), ValueError, "X must be 2-D"),
    ("3-D X", dict(X=np.zeros((2, 2, 2))), ValueError, "got shape (2, 2, 2)"),
    ("no rows", dict(X=np.zeros((0, 3))), ValueError, "X is empty"),
    ("no columns", dict(X=np.zeros((3, 0))), ValueError, "X is empty"),
    ("strings", dict(X=np.array([["a", "b"]])), TypeError, "X must hold numbers"),
    ("row mismatch", dict(X=np.zeros((3, 2)), y=np.zeros(4)), ValueError,
     "X has 3 rows but y has 4"),
    ("nan in X", dict(X=_nan_at_5_2()), ValueError,
     "X contains a non-finite value (nan) at row 5, column 2"),
    ("inf in X", dict(X=np.array([[0.0, -np.inf]])), ValueError,
     "X contains a non-finite value (-inf) at row 0, column 1"),
    ("inf in y", dict(X=np.zeros((3, 2)), y=np.array([0.0, np.inf, 1.0])), ValueError,
     "y contains a non-finite value (inf) at row 1"),
    ("label too big", dict(X=np.zeros((3, 2)), y=np.array([1, 12, 3]), n_classes=10),
     ValueError, "label 12 is out of range for 10 classes"),
    ("negative label in range check", dict(X=np.zeros((2, 2)), y=[0, -1], n_classes=10),
     ValueError, "label -1 is out of range for 10 classes"),
    ("negative label", dict(X=np.zeros((2, 2)), y=[0, -1], task="classification"),
     ValueError, "label -1 is negative"),
    ("fractional label", dict(X=np.zeros((2, 2)), y=[0.0, 1.5], n_classes=3), ValueError,
     "label 1.5 is not an integer"),
    ("feature count", dict(X=np.zeros((2, 780)), n_features=784), ValueError,
     "expected 784 features, got 780"),
    ("one-hot width", dict(X=np.zeros((2, 2)), y=np.eye(3)[[0, 1]], n_classes=4), ValueError,
     "one-hot y has 3 columns for 4 classes"),
    ("binary outside", dict(X=np.zeros((2, 2)), y=[0, 2], task="binary"), ValueError,
     "binary target 2.0 is outside [0, 1]"),
    ("binary width", dict(X=np.zeros((2, 2)), y=np.zeros((2, 2)), task="binary"), ValueError,
     "binary y must have shape"),
    ("3-D y", dict(X=np.zeros((2, 2)), y=np.zeros((2, 1, 1))), ValueError, "y must be 1-D"),
    ("unknown task", dict(X=np.zeros((2, 2)), task="ranking"), ValueError, "'ranking'"),
]


@pytest.mark.parametrize("case", BAD_XY, ids=[c[0] for c in BAD_XY])
def test_check_Xy_rejects_bad_input_naming_values(case):
    _, kwargs, exc, fragment = case
    with pytest.raises(exc) as info:
        check_Xy(**kwargs)
    assert fragment in str(info.value)


def test_check_Xy_accepts_and_converts():
    X32 = np.ones((3, 2), dtype=np.float32)
    Xo, yo = check_Xy(X32, [0.0, 2.0, 1.0], n_classes=3, n_features=2)
    assert Xo.dtype == np.float32 and yo.dtype == np.int64
    np.testing.assert_array_equal(yo, [0, 2, 1])
    Xo, yo = check_Xy([[1, 2], [3, 4]], [[0.5], [1.0]], task="binary")
    assert Xo.dtype == np.float64 and yo.shape == (2, 1)
    Xo, yo = check_Xy(np.zeros((2, 2)), [-3.5, 7.25], task="regression")
    np.testing.assert_array_equal(yo, [-3.5, 7.25])
    # with no n_classes and task "auto", labels are left as numbers
    assert check_Xy(np.zeros((2, 2)), [-3.5, 7.25])[1].dtype == np.float64
    assert check_Xy(np.zeros((2, 2)))[1] is None

