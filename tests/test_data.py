"""Data utilities: checks, standardiser, splits, batches, augmentation and file loaders."""

import gzip
import json
import struct

import numpy as np
import pytest

from backprop import data
from backprop.data import (
    BatchIterator,
    RandomShift,
    Standardizer,
    check_Xy,
    find_mnist_dir,
    load_csv,
    load_dataset,
    load_idx,
    load_mnist,
    load_npz,
    one_hot,
    random_shift,
    save_idx,
    shift_images,
    train_val_split,
)
from backprop.data.toy import DATASETS

# --------------------------------------------------------------------------------------------
# check_Xy
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# BatchIterator
# --------------------------------------------------------------------------------------------


def _epoch(it):
    return [(xb.copy(), None if yb is None else yb.copy()) for xb, yb in it]


def test_batches_cover_every_sample_once_and_stay_paired():
    X, y = _ids(103)
    it = BatchIterator(X, y, 10, rng=0)
    assert len(it) == 11
    batches = _epoch(it)
    assert len(batches) == 11
    assert [b[0].shape[0] for b in batches] == [10] * 10 + [3]
    seen = np.concatenate([b[0][:, 0] for b in batches])
    np.testing.assert_array_equal(np.sort(seen), np.arange(103))
    for xb, yb in batches:
        np.testing.assert_array_equal(yb, xb[:, 0] * 2)
        assert xb.flags.c_contiguous


def test_batches_reshuffle_each_epoch_and_repeat_for_a_seed():
    X, y = _ids(40)
    it = BatchIterator(X, y, 8, rng=3)
    first = np.concatenate([b[1] for b in _epoch(it)])
    second = np.concatenate([b[1] for b in _epoch(it)])
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(np.sort(first), np.sort(second))
    assert not np.array_equal(first, y)  # actually shuffled
    again = BatchIterator(X, y, 8, rng=3)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in _epoch(again)]), first)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in _epoch(again)]), second)
    assert it.epoch == 2


def test_batch_state_round_trip_resumes_same_order():
    X, y = _ids(30)
    it = BatchIterator(X, y, 7, rng=11, augment=lambda xb, rng: xb + rng.random())
    _epoch(it)
    state = json.loads(json.dumps(it.get_state()))  # JSON-able
    later = [_epoch(it), _epoch(it)]
    resumed = BatchIterator(X, y, 7, rng=999, augment=lambda xb, rng: xb + rng.random())
    resumed.set_state(state)
    assert resumed.epoch == 1
    for expected in later:
        for (xa, ya), (xb, yb) in zip(expected, _epoch(resumed), strict=True):
            np.testing.assert_array_equal(xa, xb)
            np.testing.assert_array_equal(ya, yb)
    with pytest.raises(ValueError, match="invalid BatchIterator state"):
        resumed.set_state({"epoch": 1})


def test_drop_last_and_no_shuffle():
    X, y = _ids(10)
    it = BatchIterator(X, y, 3, drop_last=True, rng=0)
    assert len(it) == 3
    batches = _epoch(it)
    assert [b[0].shape[0] for b in batches] == [3, 3, 3]
    assert len(set(np.concatenate([b[1] for b in batches]).tolist())) == 9
    plain = BatchIterator(X, y, 4, shuffle=False)
    assert len(plain) == 3
    got = list(plain)
    np.testing.assert_array_equal(np.concatenate([b[1] for b in got]), y)
    assert np.shares_memory(got[0][0], plain.X)  # unshuffled batches are views, not copies
    assert len(BatchIterator(X, y, 50)) == 1


def test_batch_iterator_without_labels_and_with_augment():
    X = np.arange(12.0).reshape(6, 2)
    calls = []

    def augment(xb, rng):
        calls.append(isinstance(rng, np.random.Generator))
        return xb * -1.0

    it = BatchIterator(X, None, 4, shuffle=False, augment=augment)
    batches = list(it)
    assert calls == [True, True]
    assert all(yb is None for _, yb in batches)
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), -X)
    np.testing.assert_array_equal(X, np.arange(12.0).reshape(6, 2))  # input untouched


@pytest.mark.parametrize("kwargs, exc, message", [
    (dict(X=np.zeros((3, 1)), y=np.zeros(4), batch_size=2), ValueError,
     "X has 3 rows but y has 4"),
    (dict(X=np.zeros((3, 1)), y=None, batch_size=0), ValueError, "batch_size must be >= 1, got 0"),
    (dict(X=np.zeros((3, 1)), y=None, batch_size=2.5), TypeError, "batch_size must be an integer"),
    (dict(X=np.zeros((3, 1)), y=None, batch_size=5, drop_last=True), ValueError,
     "batch_size 5 > 3 samples leaves no batches"),
    (dict(X=np.zeros((3, 1)), y=None, batch_size=2, augment=3), TypeError,
     "augment must be callable"),
    (dict(X=np.zeros((0, 1)), y=None, batch_size=2), ValueError, "X is empty"),
    (dict(X=np.zeros((3, 1)), y=None, batch_size=2, rng="seed"), TypeError, "'seed'"),
])
def test_batch_iterator_errors(kwargs, exc, message):
    with pytest.raises(exc) as info:
        BatchIterator(**kwargs)
    assert message in str(info.value)


# --------------------------------------------------------------------------------------------
# augmentation
# --------------------------------------------------------------------------------------------


def naive_shift(img, dy, dx):
    """Reference: roll the image, then blank the rows/columns that wrapped around."""
    out = np.roll(img, (dy, dx), axis=(0, 1))
    if dy > 0:
        out[:dy, :] = 0
    elif dy < 0:
        out[dy:, :] = 0
    if dx > 0:
        out[:, :dx] = 0
    elif dx < 0:
        out[:, dx:] = 0
    return out


@pytest.mark.parametrize("shape, max_shift", [((28, 28), 2), ((5, 7), 3), ((4, 6), 1)])
def test_random_shift_matches_naive_reference(shape, max_shift):
    h, w = shape
    X = np.random.default_rng(0).random((300, h * w)).astype(np.float32)
    out, shifts = random_shift(X, max_shift, image_shape=shape, rng=1, return_shifts=True)
    assert out.shape == X.shape and out.dtype == np.float32
    assert shifts.shape == (300, 2)
    assert shifts.min() == -max_shift and shifts.max() == max_shift  # whole range drawn
    for i in range(X.shape[0]):
        expected = naive_shift(X[i].reshape(h, w), *shifts[i])
        np.testing.assert_array_equal(out[i].reshape(h, w), expected)


def test_shift_images_direction_and_blanking():
    img = np.zeros((1, 5, 7))
    img[0, 2, 3] = 1.0
    out = shift_images(img, [[1, -2]], image_shape=(5, 7))  # one down, two left
    assert out.shape == (1, 5, 7)
    assert out[0, 3, 1] == 1.0 and out.sum() == 1.0
    # a shift at least as large as the image leaves nothing
    np.testing.assert_array_equal(shift_images(img, [[0, 9]], image_shape=(5, 7)), 0.0)
    np.testing.assert_array_equal(shift_images(img, [[-5, 0]], image_shape=(5, 7)), 0.0)


def test_random_shift_zero_is_identity_and_seeded():
    X = np.random.default_rng(4).random((16, 784))
    out = random_shift(X, 0, rng=0)
    np.testing.assert_array_equal(out, X)
    assert out is not X
    a = random_shift(X, 2, rng=7)
    b = RandomShift(2)(X, np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, X)
    assert RandomShift(3, (5, 5)).get_config() == {"max_shift": 3, "image_shape": [5, 5]}


def test_random_shift_with_batch_iterator_is_reproducible():
    X = np.random.default_rng(5).random((20, 16))
    runs = []
    for _ in range(2):
        it = BatchIterator(X, np.arange(20), 8, rng=2, augment=RandomShift(1, (4, 4)))
        runs.append(np.concatenate([xb for xb, _ in it]))
    np.testing.assert_array_equal(runs[0], runs[1])


@pytest.mark.parametrize("call, exc, message", [
    (lambda: random_shift(np.zeros((2, 780)), rng=0), ValueError,
     "image_shape (28, 28) needs 784 features per row, got 780"),
    (lambda: random_shift(np.zeros((2, 784)), -1, rng=0), ValueError,
     "max_shift must be >= 0, got -1"),
    (lambda: shift_images(np.zeros((2, 4)), [[0, 0]], image_shape=(2, 2)), ValueError,
     "shifts must have shape (2, 2)"),
    (lambda: shift_images(np.zeros((1, 4)), [[0.5, 0]], image_shape=(2, 2)), TypeError,
     "shifts must be integers"),
    (lambda: RandomShift(1, (0, 3)), ValueError, "image_shape must be positive"),
    (lambda: shift_images(np.zeros((1, 3, 3)), [[0, 0]], image_shape=(2, 2)), ValueError,
     "images have shape (3, 3), expected (2, 2)"),
])
def test_augmentation_errors(call, exc, message):
    with pytest.raises(exc) as info:
        call()
    assert message in str(info.value)


# --------------------------------------------------------------------------------------------
# IDX
# --------------------------------------------------------------------------------------------


def test_load_idx_reads_hand_built_file(tmp_path):
    # header written by hand from the format description: 00 00 08 02, dims 2 and 3 (big-endian)
    payload = bytes([0, 0, 0x08, 2]) + struct.pack(">II", 2, 3) + bytes([1, 2, 3, 250, 251, 255])
    raw = tmp_path / "raw-ubyte"
    raw.write_bytes(payload)
    zipped = tmp_path / "zipped.idx"  # gzip detected by magic bytes, not by name
    zipped.write_bytes(gzip.compress(payload))
    for path in (raw, zipped):
        arr = load_idx(path)
        assert arr.dtype == np.uint8
        np.testing.assert_array_equal(arr, [[1, 2, 3], [250, 251, 255]])
    # int16, big-endian on disk: 0x0102 = 258, 0xFFFE = -2; a dimension above 255
    payload = (bytes([0, 0, 0x0B, 1]) + struct.pack(">I", 300)
               + b"\x01\x02\xff\xfe" * 150)
    (tmp_path / "i16").write_bytes(payload)
    arr = load_idx(tmp_path / "i16")
    assert arr.shape == (300,) and arr.dtype == np.int16 and arr.dtype.isnative
    np.testing.assert_array_equal(arr[:4], [258, -2, 258, -2])


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32,
                                   np.float64])
@pytest.mark.parametrize("name", ["a-ubyte", "a-ubyte.gz"])
def test_idx_round_trip_every_type(tmp_path, dtype, name):
    arr = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    if np.issubdtype(dtype, np.floating):
        arr = arr / 3
    path = save_idx(tmp_path / name, arr)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = load_idx(path)
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


def test_idx_bad_files_give_clear_errors(tmp_path):
    good = bytes([0, 0, 0x08, 2]) + struct.pack(">II", 2, 3) + bytes(6)
    cases = {
        "trunc-data": (good[:-2], "truncated IDX data: shape (2, 3) of uint8 needs 6 bytes "
                                  "after the header, found 4"),
        "trunc-header": (good[:9], "truncated IDX header"),
        "tiny": (b"\x00\x00", "only 2 bytes"),
        "foreign": (b"PK\x03\x04rest", "not an IDX file (magic starts with bytes 50 4b 03 04"),
        "badtype": (bytes([0, 0, 0x0A, 1, 0, 0, 0, 1, 0]), "unknown IDX type code 0x0A"),
        "extra": (good + b"\x00\x00", "2 unexpected bytes after the IDX data"),
        "zero-dims": (bytes([0, 0, 0x08, 0]), "0 dimensions"),
        "badgz": (gzip.compress(good)[:-10], "gzip data is corrupt or truncated"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(ValueError) as info:
            load_idx(path)
        assert message in str(info.value), name
        assert str(path) in str(info.value)
    with pytest.raises(FileNotFoundError, match="nope"):
        load_idx(tmp_path / "nope")
    with pytest.raises(TypeError, match="IDX cannot store dtype int64"):
        save_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------


def _fake_mnist(directory, n=6, kind="t10k"):
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    save_idx(directory / f"{kind}-images-idx3-ubyte.gz", images)
    save_idx(directory / f"{kind}-labels-idx1-ubyte", labels)  # mixed: one zipped, one raw
    return images, labels


def test_real_mnist_test_set_loads():
    directory = find_mnist_dir()
    if directory is None:
        pytest.skip("MNIST not found: set BACKPROP_MNIST_DIR or provide shared/data/mnist")
    X, y = load_mnist(directory, kind="t10k")
    assert X.shape == (10000, 784) and X.dtype == np.float32
    assert y.shape == (10000,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    counts = np.bincount(y, minlength=10)
    assert counts.size == 10 and counts.sum() == 10000
    assert counts.min() > 800 and counts.max() < 1200
    np.testing.assert_array_equal(y[:5], [7, 2, 1, 0, 4])  # the well-known first test digits
    # digits have ink in the middle and mostly blank borders
    img = X.reshape(-1, 28, 28)
    assert img[:, 10:18, 10:18].mean() > 5 * img[:, :3, :].mean()


def test_load_mnist_scales_and_finds_files(tmp_path, monkeypatch):
    images, labels = _fake_mnist(tmp_path / "m")
    X, y = load_mnist(tmp_path / "m", kind="test")
    np.testing.assert_array_equal(X, images.reshape(6, 784).astype(np.float32) / 255)
    np.testing.assert_array_equal(y, labels)
    assert y.dtype == np.int64
    # the environment variable wins
    monkeypatch.setenv("BACKPROP_MNIST_DIR", str(tmp_path / "m"))
    assert find_mnist_dir() == tmp_path / "m"
    np.testing.assert_array_equal(load_mnist()[1], labels)
    monkeypatch.setenv("BACKPROP_MNIST_DIR", str(tmp_path / "empty"))
    assert find_mnist_dir() is None
    with pytest.raises(FileNotFoundError, match="BACKPROP_MNIST_DIR=.*empty holds no MNIST"):
        load_mnist()


def test_find_mnist_dir_walks_up_from_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("BACKPROP_MNIST_DIR", raising=False)
    _fake_mnist(tmp_path / "shared" / "data" / "mnist")
    deep = tmp_path / "repo" / "sub"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert find_mnist_dir() == (tmp_path / "shared" / "data" / "mnist").resolve()


def test_load_mnist_errors(tmp_path):
    _fake_mnist(tmp_path)
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte.*not found in"):
        load_mnist(tmp_path, kind="train")
    with pytest.raises(ValueError, match="kind must be one of .*'validation'"):
        load_mnist(tmp_path, kind="validation")
    save_idx(tmp_path / "t10k-labels-idx1-ubyte", np.zeros(5, dtype=np.uint8))
    with pytest.raises(ValueError, match="expected 6 labels, got shape"):
        load_mnist(tmp_path)


# --------------------------------------------------------------------------------------------
# CSV and NPZ
# --------------------------------------------------------------------------------------------


def test_csv_with_header_names_and_string_labels(tmp_path):
    path = tmp_path / "iris.csv"
    path.write_text("sepal, species ,petal\n1.5,virginica,2\n"
                    "3,setosa,4.25\n\n5,virginica,-6\n")
    X, y, classes = load_csv(path, label_column="species", return_classes=True)
    np.testing.assert_array_equal(X, [[1.5, 2.0], [3.0, 4.25], [5.0, -6.0]])
    assert classes == ["setosa", "virginica"]  # sorted names
    np.testing.assert_array_equal(y, [1, 0, 1])
    assert y.dtype == np.int64
    X2, y2 = load_csv(path, label_column=1)  # auto header: 'sepal' is not a number
    np.testing.assert_array_equal(X2, X)
    np.testing.assert_array_equal(y2, y)


def test_csv_numeric_labels_and_options(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text("0.5;1;2\n1.5;-1;0\n")
    X, y, classes = load_csv(path, delimiter=";", return_classes=True)
    np.testing.assert_array_equal(X, [[0.5, 1.0], [1.5, -1.0]])
    assert y.dtype == np.int64 and classes is None
    np.testing.assert_array_equal(y, [2, 0])
    X, y = load_csv(path, delimiter=";", label_column=0)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, [0.5, 1.5])
    X, y = load_csv(path, delimiter=";", label_column=None)
    assert X.shape == (2, 3) and y is None
    # a numeric first row taken as a header when asked
    X, y = load_csv(path, delimiter=";", header=True)
    assert X.shape == (1, 2)


@pytest.mark.parametrize("text, kwargs, message", [
    ("a,b,c\n1,2,3\n1,2\n", {}, "line 3 has 2 fields, expected 3"),
    ("a,b,c\n1,x,3\n", {}, "cannot read 'x' as a number at line 2, column 1"),
    ("a,b,c\n1,,3\n", {}, "cannot read '' as a number at line 2, column 1"),
    ("a,b,c\n1,2,3\n", dict(label_column="d"), "label_column 'd' not found in header"),
    ("1,2,3\n", dict(label_column="c", header=False), "is a name but header=False"),
    ("1,2,3\n", dict(label_column=3), "label_column 3 is out of range for 3 columns"),
    ("a,b\n", {}, "no data rows after the header"),
    ("", {}, "the file is empty"),
    ("1\n2\n", {}, "no feature columns"),
    ("1,2\n", dict(header="yes"), "header must be True, False or 'auto'"),
])
def test_csv_errors(tmp_path, text, kwargs, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        load_csv(path, **kwargs)
    assert message in str(info.value)


def test_npz_round_trip_and_errors(tmp_path):
    X = np.arange(6, dtype=np.float32).reshape(3, 2)
    y = np.array([0, 1, 1], dtype=np.uint8)
    np.savez(tmp_path / "d.npz", X=X, y=y, inputs=X * 2)
    Xo, yo = load_npz(tmp_path / "d.npz")
    assert Xo.dtype == np.float32 and yo.dtype == np.int64
    np.testing.assert_array_equal(Xo, X)
    np.testing.assert_array_equal(yo, y)
    Xo, yo = load_npz(tmp_path / "d.npz", x_key="inputs", y_key=None)
    np.testing.assert_array_equal(Xo, X * 2)
    assert yo is None
    with pytest.raises(ValueError, match=r"no array 'labels' in the archive \(has \['X', "):
        load_npz(tmp_path / "d.npz", y_key="labels")
    np.savez(tmp_path / "obj.npz", X=np.array([{"a": 1}], dtype=object), y=y)
    with pytest.raises(ValueError, match="obj.npz"):
        load_npz(tmp_path / "obj.npz")
    np.save(tmp_path / "single.npy", X)
    with pytest.raises(ValueError, match="not an .npz archive"):
        load_npz(tmp_path / "single.npy")
    with pytest.raises(FileNotFoundError):
        load_npz(tmp_path / "missing.npz")


# --------------------------------------------------------------------------------------------
# load_dataset
# --------------------------------------------------------------------------------------------


def test_load_dataset_dispatch(tmp_path):
    for name, fn in DATASETS.items():
        X, y = load_dataset(name, n=30, rng=4)
        Xr, yr = fn(n=30, rng=4)
        np.testing.assert_array_equal(X, Xr)
        np.testing.assert_array_equal(y, yr)
    assert load_dataset("XOR", n=8, rng=0)[0].shape == (8, 2)

    images, labels = _fake_mnist(tmp_path / "m")
    for target in ("mnist", tmp_path / "m", tmp_path / "m" / "t10k-images-idx3-ubyte.gz",
                   str(tmp_path / "m" / "t10k-labels-idx1-ubyte")):
        kw = {"directory": tmp_path / "m"} if target == "mnist" else {}
        X, y = load_dataset(target, **kw)
        np.testing.assert_array_equal(X, images.reshape(6, -1).astype(np.float32) / 255)
        np.testing.assert_array_equal(y, labels)

    (tmp_path / "t.csv").write_text("a,b,label\n1,2,cat\n3,4,dog\n")
    X, y = load_dataset(tmp_path / "t.csv")
    np.testing.assert_array_equal(y, [0, 1])
    np.savez(tmp_path / "t.npz", X=np.ones((2, 2)), y=np.array([1, 0]))
    np.testing.assert_array_equal(load_dataset(str(tmp_path / "t.npz"))[1], [1, 0])


def test_load_dataset_errors(tmp_path):
    with pytest.raises(ValueError, match="unknown dataset 'spiral': expected one of xor, "):
        load_dataset("spiral")
    with pytest.raises(TypeError, match="name or a path"):
        load_dataset(42)
    (tmp_path / "data-ubyte").write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 0]))
    with pytest.raises(ValueError, match="images or labels"):
        load_dataset(tmp_path / "data-ubyte")
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "absent.csv")


def test_public_names_are_exported():
    for name in data.__all__:
        assert hasattr(data, name)


def test_global_standardizer_uses_one_mean_and_std():
    X = np.random.default_rng(0).random((50, 6)) * np.arange(1, 7)
    st = Standardizer(per_feature=False).fit(X)
    np.testing.assert_allclose(st.mean_, np.full(6, X.mean()))
    np.testing.assert_allclose(st.scale_, np.full(6, X.std()))
    Z = st.transform(X)
    assert abs(Z.mean()) < 1e-12 and abs(Z.std() - 1) < 1e-12
    assert np.ptp(Z.std(axis=0)) > 0.1  # columns keep their relative spread
