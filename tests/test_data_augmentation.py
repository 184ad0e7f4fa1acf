"""backprop.data.augmentation: shift_images, random_shift, RandomShift."""

import numpy as np
import pytest

from backprop.data.augmentation import RandomShift, random_shift, shift_images
from backprop.data.batches import BatchIterator


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

