"""Image augmentation: zero-filled integer shifts (:func:`shift_images`, :func:`random_shift`,
:class:`RandomShift` for :class:`~backprop.data.batches.BatchIterator`).

Images travel flattened (MNIST: 784 columns, row-major 28 x 28) or as ``(n, H, W)``; every
function is vectorised over the batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .._checks import as_rng, check_int

__all__ = ["RandomShift", "random_shift", "shift_images"]


def _image_shape(image_shape: Sequence[int]) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in image_shape)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"image_shape must be (height, width), got {image_shape!r}") from exc
    if h < 1 or w < 1:
        raise ValueError(f"image_shape must be positive, got {image_shape!r}")
    return h, w


def _as_images(X: Any, image_shape: Sequence[int]) -> tuple[np.ndarray, tuple[int, int]]:
    X = np.asarray(X)
    h, w = _image_shape(image_shape)
    if X.ndim == 2:
        if X.shape[1] != h * w:
            raise ValueError(f"image_shape {(h, w)} needs {h * w} features per row, "
                             f"got {X.shape[1]}")
    elif X.ndim == 3:
        if X.shape[1:] != (h, w):
            raise ValueError(f"images have shape {X.shape[1:]}, expected {(h, w)}")
    else:
        raise ValueError(f"X must be (n, height*width) or (n, height, width), got {X.shape}")
    return X.reshape(X.shape[0], h, w), (h, w)


def shift_images(X: Any, shifts: Any, *, image_shape: Sequence[int] = (28, 28)) -> np.ndarray:
    r"""Translate each image by its own integer offset, filling uncovered pixels with zeros.

    For image ``i`` with shift ``(dy_i, dx_i)`` (down, right):

    .. math:: X'_i[r, c] = X_i[r - dy_i,\ c - dx_i] \text{ if inside the image, else } 0

    which is ``np.roll(img, (dy, dx), axis=(0, 1))`` with the wrapped-around pixels zeroed.

    Vectorised: the batch is zero-padded once by ``s = max|shift|`` pixels, and a sliding
    window view of the padded batch, of shape ``(m, 2s+1, 2s+1, H, W)``, is indexed once with
    ``(i, s - dy_i, s - dx_i)``: a single gather of ``m`` windows, no loop over images.

    Parameters
    ----------
    X : ndarray of shape (m, H*W) or (m, H, W)
    shifts : array-like of int, shape (m, 2)
        Rows ``(dy, dx)``.
    image_shape : (H, W), default (28, 28)

    Returns
    -------
    ndarray of the same shape and dtype as ``X``
    """
    X = np.asarray(X)
    imgs, (h, w) = _as_images(X, image_shape)
    m = imgs.shape[0]
    shifts = np.asarray(shifts)
    if shifts.shape != (m, 2):
        raise ValueError(f"shifts must have shape ({m}, 2), got {shifts.shape}")
    if not np.issubdtype(shifts.dtype, np.integer):
        raise TypeError(f"shifts must be integers, got dtype {shifts.dtype}")
    if m == 0:
        return X.copy()
    # Shifts beyond the image size blank it anyway; clipping keeps the padding small.
    dy = np.clip(shifts[:, 0], -h, h)
    dx = np.clip(shifts[:, 1], -w, w)
    s = int(max(np.abs(dy).max(), np.abs(dx).max()))
    if s == 0:
        return X.copy()
    padded = np.zeros((m, h + 2 * s, w + 2 * s), dtype=imgs.dtype)
    padded[:, s:s + h, s:s + w] = imgs
    windows = sliding_window_view(padded, (h, w), axis=(1, 2))
    out = windows[np.arange(m), s - dy, s - dx]
    return out.reshape(X.shape)


def random_shift(X: Any, max_shift: int = 2, *, image_shape: Sequence[int] = (28, 28),
                 rng: Any, return_shifts: bool = False) -> Any:
    """Shift every image by an independent random ``(dy, dx)`` in ``[-max_shift, max_shift]``.

    Zero-filled translation (see :func:`shift_images`), the classic cheap augmentation for
    MNIST. A batch of 512 MNIST images takes well under a millisecond.

    Parameters
    ----------
    X : ndarray of shape (m, H*W) or (m, H, W)
    max_shift : int, default 2
    image_shape : (H, W), default (28, 28)
    rng : int or numpy.random.Generator
        Required: draws the ``(m, 2)`` integer shifts.
    return_shifts : bool, default False
        Also return the ``(m, 2)`` shifts ``(dy, dx)`` that were applied.

    Returns
    -------
    ndarray like ``X``, or ``(ndarray, shifts)``
    """
    max_shift = check_int("max_shift", max_shift, minimum=0)
    gen = as_rng(rng)
    X = np.asarray(X)
    if X.ndim not in (2, 3):
        raise ValueError(f"X must be (n, height*width) or (n, height, width), got {X.shape}")
    shifts = gen.integers(-max_shift, max_shift + 1, size=(X.shape[0], 2))
    out = shift_images(X, shifts, image_shape=image_shape)
    return (out, shifts) if return_shifts else out


class RandomShift:
    """Callable augmentation for :class:`BatchIterator`: ``RandomShift(2)(X_batch, rng)``.

    Parameters
    ----------
    max_shift : int, default 2
    image_shape : (H, W), default (28, 28)
    """

    def __init__(self, max_shift: int = 2, image_shape: Sequence[int] = (28, 28)):
        self.max_shift = check_int("max_shift", max_shift, minimum=0)
        self.image_shape = _image_shape(image_shape)

    def __call__(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        return random_shift(X, self.max_shift, image_shape=self.image_shape, rng=rng)

    def get_config(self) -> dict[str, Any]:
        return {"max_shift": self.max_shift, "image_shape": list(self.image_shape)}

    def __repr__(self) -> str:
        return f"RandomShift(max_shift={self.max_shift}, image_shape={self.image_shape})"

