"""backprop.data.batches: BatchIterator."""

import json

import numpy as np
import pytest

from backprop.data.batches import BatchIterator


def _ids(n):
    """Rows that name themselves, with labels derived from the id (so pairing can be checked)."""
    X = np.arange(n, dtype=np.float64).reshape(n, 1) * np.ones((1, 3))
    y = np.arange(n) * 2
    return X, y


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

