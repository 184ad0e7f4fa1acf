"""Data utilities: input checks, standardisation, splitting, mini-batches, augmentation, loaders.

Everything here is NumPy only and vectorised; randomness always comes from an explicit ``rng``
(an int seed or a :class:`numpy.random.Generator`, see :func:`backprop._checks.as_rng`).

Conventions
-----------
* Samples are rows: ``X`` has shape ``(n_samples, n_features)``.
* Class labels are ``int64`` in ``0 .. n_classes - 1``; :func:`one_hot` turns them into rows.
* Images travel flattened (MNIST: 784 columns, row-major 28 x 28, values in ``[0, 1]``).
* Files are read without pickling (``np.load(..., allow_pickle=False)``).
"""

from __future__ import annotations

import csv
import gzip
import math
import os
import struct
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ._checks import as_float_array, as_rng, check_int, check_range

__all__ = [
    "BatchIterator", "RandomShift", "Standardizer", "check_Xy", "find_mnist_dir", "load_csv",
    "load_dataset", "load_idx", "load_mnist", "load_npz", "one_hot", "random_shift", "save_idx",
    "shift_images", "train_val_split",
]

_TASKS = ("auto", "classification", "binary", "regression")


# --------------------------------------------------------------------------------------------
# input checks
# --------------------------------------------------------------------------------------------

def _first_non_finite(name: str, arr: np.ndarray) -> str | None:
    """Describe the first NaN/inf of ``arr`` (1-D or 2-D), or ``None`` when all are finite."""
    # A sum is finite only if every entry is: one pass and no temporary for the common case.
    # (An overflowing sum of finite values falls through to the exact element-wise check.)
    if np.issubdtype(arr.dtype, np.floating):
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.add.reduce(arr, axis=None)):
                return None
    elif not np.issubdtype(arr.dtype, np.complexfloating):
        return None  # integers and booleans are always finite
    finite = np.isfinite(arr)
    if finite.all():
        return None
    where = np.argwhere(~finite)[0]
    value = float(arr[tuple(where)])
    if arr.ndim == 1:
        return f"{name} contains a non-finite value ({value}) at row {int(where[0])}"
    return (f"{name} contains a non-finite value ({value}) at row {int(where[0])}, "
            f"column {int(where[1])}")


def _as_matrix(name: str, X: Any) -> np.ndarray:
    """A non-empty 2-D float array (float32 stays float32, anything else becomes float64)."""
    X = as_float_array(name, X)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.size == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    return X


def _integer_labels(y: np.ndarray, n_classes: int | None) -> np.ndarray:
    """Check 1-D class labels (integral values, in range) and return them as int64."""
    if not np.issubdtype(y.dtype, np.integer):
        frac = np.mod(y, 1) != 0
        if frac.any():
            row = int(np.argmax(frac))
            raise ValueError(f"label {y[row]} is not an integer (row {row})")
    labels = y.astype(np.int64)
    if labels.size == 0:
        return labels
    if n_classes is None:
        bad = labels < 0
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"label {labels[row]} is negative (row {row})")
        return labels
    bad = (labels < 0) | (labels >= n_classes)
    if bad.any():
        row = int(np.argmax(bad))
        raise ValueError(f"label {labels[row]} is out of range for {n_classes} classes "
                         f"(0..{n_classes - 1}), at row {row}")
    return labels


def check_Xy(X: Any, y: Any = None, *, n_features: int | None = None,
             n_classes: int | None = None, task: str = "auto"
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """Validate a design matrix and its targets before training or evaluation.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        Numbers, 2-D, non-empty, finite.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs), optional
        Targets; same number of rows as ``X`` and finite.
    n_features : int, optional
        Required number of columns of ``X`` (the network's input width).
    n_classes : int, optional
        Number of classes; integer labels must lie in ``0 .. n_classes - 1`` and one-hot targets
        must have ``n_classes`` columns.
    task : {"auto", "classification", "binary", "regression"}
        What ``y`` means. ``"classification"``: 1-D integer labels (integral floats are accepted)
        or 2-D one-hot / probability rows. ``"binary"``: values in ``[0, 1]``, shape ``(m,)`` or
        ``(m, 1)``. ``"regression"``: any finite numbers. ``"auto"`` is ``"classification"``
        when ``n_classes`` is given, otherwise only the shape and finiteness checks run.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        float32 input stays float32; everything else becomes float64.
    y : ndarray or None
        ``int64`` for 1-D classification labels, a float array otherwise (float32 stays
        float32).

    Raises
    ------
    ValueError
        With a message naming the values, e.g. ``"X has 3 rows but y has 4"``,
        ``"X contains a non-finite value (nan) at row 5, column 2"``,
        ``"label 12 is out of range for 10 classes (0..9), at row 7"``,
        ``"expected 784 features, got 780"``, ``"X is empty (shape (0, 784))"``.
    TypeError
        When ``X`` or ``y`` does not hold numbers.
    """
    if task not in _TASKS:
        raise ValueError(f"task must be one of {', '.join(_TASKS)}; got {task!r}")
    if n_features is not None:
        n_features = check_int("n_features", n_features, minimum=1)
    if n_classes is not None:
        n_classes = check_int("n_classes", n_classes, minimum=1)
    if task == "auto":
        task = "classification" if n_classes is not None else "auto"

    X = _as_matrix("X", X)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"expected {n_features} features, got {X.shape[1]}")
    problem = _first_non_finite("X", X)
    if problem:
        raise ValueError(problem)
    if y is None:
        return X, None

    y = as_float_array("y", y)
    if y.ndim not in (1, 2):
        raise ValueError(f"y must be 1-D or 2-D, got shape {y.shape}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    problem = _first_non_finite("y", y)
    if problem:
        raise ValueError(problem)

    if task == "classification":
        if y.ndim == 1:
            return X, _integer_labels(y, n_classes)
        if n_classes is not None and y.shape[1] != n_classes:
            raise ValueError(f"one-hot y has {y.shape[1]} columns for {n_classes} classes")
    elif task == "binary":
        if y.ndim == 2 and y.shape[1] != 1:
            raise ValueError(f"binary y must have shape (m,) or (m, 1), got {y.shape}")
        outside = (y < 0) | (y > 1)
        if outside.any():
            row = int(np.argwhere(outside)[0][0])
            raise ValueError(f"binary target {y.reshape(-1)[row]} is outside [0, 1] (row {row})")
    return X, y


# --------------------------------------------------------------------------------------------
# standardisation, one-hot, splitting
# --------------------------------------------------------------------------------------------

class Standardizer:
    r"""Per-feature standardisation fitted on training data only.

    .. math::
        \mu_j = \frac{1}{n}\sum_i X_{ij}, \qquad
        s_j = \sqrt{\frac{1}{n}\sum_i (X_{ij} - \mu_j)^2}, \qquad
        X'_{ij} = \frac{X_{ij} - \mu_j}{s_j}

    The standard deviation is the population one (``ddof=0``), as in scikit-learn's
    ``StandardScaler``. A constant column (all values equal) gets ``s_j = 1`` so it maps to zero
    instead of dividing by zero. Statistics are accumulated in float64; ``transform`` returns the
    input's float dtype.

    Fit on the training split only and reuse the same object for validation/test data, or
    information about the held-out data leaks into the model.

    Parameters
    ----------
    per_feature : bool, default True
        ``False`` uses one mean and one standard deviation over every entry of ``X`` (stored
        repeated per feature). That is the right choice for images: per-pixel statistics blow up
        rarely-lit border pixels (MNIST's usual normalisation is the global 0.1307 / 0.3081).

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
    scale_ : ndarray of shape (n_features,)
        Standard deviations, with 1 for constant columns.
    n_features_in_ : int
    """

    def __init__(self, *, per_feature: bool = True) -> None:
        self.per_feature = bool(per_feature)
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    @property
    def n_features_in_(self) -> int | None:
        return None if self.mean_ is None else int(self.mean_.shape[0])

    @property
    def fitted(self) -> bool:
        return self.mean_ is not None

    def fit(self, X: Any) -> Standardizer:
        """Learn ``mean_`` and ``scale_`` from ``X`` of shape (n_samples, n_features)."""
        X, _ = check_Xy(X)
        if not self.per_feature:
            mean = X.mean(dtype=np.float64)
            std = X.std(dtype=np.float64)
            n = X.shape[1]
            self.mean_ = np.full(n, mean)
            self.scale_ = np.full(n, std if std > 0 else 1.0)
            return self
        self.mean_ = X.mean(axis=0, dtype=np.float64)
        scale = X.std(axis=0, dtype=np.float64)
        # A constant column can have a tiny non-zero std from rounding in the mean; detecting it
        # exactly (max == min) avoids blowing that rounding noise up to order one.
        constant = X.max(axis=0) == X.min(axis=0)
        scale[constant] = 1.0
        self.scale_ = scale
        return self

    def _check_input(self, X: Any) -> np.ndarray:
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("this Standardizer is not fitted yet: call fit(X_train) first")
        X = _as_matrix("X", X)
        if X.shape[1] != self.mean_.shape[0]:
            raise ValueError(f"X has {X.shape[1]} features but the Standardizer was fitted on "
                             f"{self.mean_.shape[0]}")
        return X

    def transform(self, X: Any) -> np.ndarray:
        """Return ``(X - mean_) / scale_`` in ``X``'s float dtype."""
        X = self._check_input(X)
        return ((X - self.mean_.astype(X.dtype)) / self.scale_.astype(X.dtype)).astype(
            X.dtype, copy=False)

    def fit_transform(self, X: Any) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, Z: Any) -> np.ndarray:
        """Return ``Z * scale_ + mean_`` (undoes :meth:`transform`)."""
        Z = self._check_input(Z)
        return (Z * self.scale_.astype(Z.dtype) + self.mean_.astype(Z.dtype)).astype(
            Z.dtype, copy=False)

    def state_dict(self) -> dict[str, np.ndarray]:
        """The fitted statistics as float64 arrays ``{"mean": ..., "scale": ...}``.

        Arrays go straight into an ``.npz``; ``{k: v.tolist() for k, v in d.items()}`` is
        JSON-able and :meth:`from_state_dict` accepts it back exactly (float64 survives a JSON
        round trip through ``repr``).
        """
        if self.mean_ is None or self.scale_ is None:
            raise RuntimeError("this Standardizer is not fitted yet: nothing to save")
        return {"mean": self.mean_.copy(), "scale": self.scale_.copy()}

    @classmethod
    def from_state_dict(cls, state: dict[str, Any]) -> Standardizer:
        """Rebuild a fitted Standardizer from :meth:`state_dict` output (arrays or lists)."""
        missing = {"mean", "scale"} - set(state)
        if missing:
            raise ValueError(f"Standardizer state is missing {sorted(missing)}; "
                             f"got keys {sorted(state)}")
        mean = np.asarray(state["mean"], dtype=np.float64)
        scale = np.asarray(state["scale"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != scale.shape:
            raise ValueError(f"mean and scale must be 1-D of equal length, got shapes "
                             f"{mean.shape} and {scale.shape}")
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale)) and np.all(scale > 0)):
            raise ValueError("Standardizer state must hold finite means and positive scales")
        obj = cls()
        obj.mean_, obj.scale_ = mean, scale
        return obj

    def __repr__(self) -> str:
        if self.mean_ is None:
            return "Standardizer()"
        return f"Standardizer(n_features_in_={self.n_features_in_})"


def one_hot(labels: Any, n_classes: int | None = None, dtype: Any = np.float64) -> np.ndarray:
    r"""Encode integer labels as one-hot rows: :math:`Y_{ik} = [\,y_i = k\,]`.

    Parameters
    ----------
    labels : array-like of shape (m,)
        Integers in ``0 .. n_classes - 1`` (integral floats are accepted).
    n_classes : int, optional
        Defaults to ``max(labels) + 1``.
    dtype : numpy dtype, default float64

    Returns
    -------
    ndarray of shape (m, n_classes)
    """
    y = as_float_array("labels", labels)
    if y.ndim != 1:
        raise ValueError(f"labels must be 1-D, got shape {y.shape}")
    problem = _first_non_finite("labels", y)
    if problem:
        raise ValueError(problem)
    if n_classes is None:
        if y.size == 0:
            raise ValueError("cannot infer n_classes from empty labels; pass n_classes")
        labels_i = _integer_labels(y, None)
        n_classes = int(labels_i.max()) + 1
    else:
        n_classes = check_int("n_classes", n_classes, minimum=1)
        labels_i = _integer_labels(y, n_classes)
    out = np.zeros((labels_i.shape[0], n_classes), dtype=dtype)
    out[np.arange(labels_i.shape[0]), labels_i] = 1
    return out


def _as_rows(name: str, arr: Any) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have one entry per sample, got a scalar")
    return arr


def train_val_split(X: Any, y: Any, val_fraction: float = 0.1, *, rng: Any = None,
                    shuffle: bool = True, stratify: bool = False
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Hold out a validation set: returns ``(X_train, y_train, X_val, y_val)``.

    The validation set has :math:`n_{val} = \lceil f\, n \rceil` rows (rounded up, as
    scikit-learn does). With ``shuffle=False`` the split is deterministic and the *last* rows
    are held out (as Keras' ``validation_split`` does); ``rng`` is then unused.

    With ``stratify=True`` each class keeps its share: class ``c`` with :math:`n_c` rows gives
    :math:`\lfloor n_{val} n_c / n \rfloor` validation rows, and the rows still missing from
    :math:`n_{val}` go to the classes with the largest remainders. One-hot ``y`` is
    stratified on its arg-max.

    Parameters
    ----------
    X : array-like of shape (n, ...)
    y : array-like of shape (n,) or (n, k)
    val_fraction : float in [0, 1)
        0 gives an empty validation set.
    rng : int or numpy.random.Generator, optional
    shuffle : bool, default True
    stratify : bool, default False

    Returns
    -------
    X_train, y_train, X_val, y_val : ndarray
        Rows of the inputs; both parts are in shuffled order when ``shuffle`` is True,
        otherwise in their original order.
    """
    X = _as_rows("X", X)
    y = _as_rows("y", y)
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]}")
    val_fraction = check_range("val_fraction", val_fraction, 0.0, 1.0)
    n = X.shape[0]
    n_val = math.ceil(round(val_fraction * n, 9))  # round: 0.1 * 30 is 3.0000000000000004
    if n_val >= n and n_val > 0:
        raise ValueError(f"val_fraction {val_fraction:g} of {n} samples leaves no training "
                         "samples")
    gen = as_rng(rng) if shuffle else None

    if not stratify:
        order = gen.permutation(n) if gen is not None else np.arange(n)
        train_idx, val_idx = order[:n - n_val], order[n - n_val:]
        return X[train_idx], y[train_idx], X[val_idx], y[val_idx]

    labels = np.argmax(y, axis=1) if y.ndim == 2 else y
    classes, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    quota = n_val * counts / n
    take = np.floor(quota).astype(np.int64)
    short = n_val - int(take.sum())
    if short > 0:
        # largest remainder first; ties broken by class order so the split is reproducible
        by_remainder = np.argsort(-(quota - take), kind="stable")
        take[by_remainder[:short]] += 1
    val_parts, train_parts = [], []
    for k in range(classes.shape[0]):
        members = np.flatnonzero(inverse == k)
        if gen is not None:
            members = gen.permutation(members)
        cut = members.shape[0] - take[k]
        train_parts.append(members[:cut])
        val_parts.append(members[cut:])
    train_idx = np.concatenate(train_parts)
    val_idx = np.concatenate(val_parts)
    if gen is not None:
        train_idx = gen.permutation(train_idx)
        val_idx = gen.permutation(val_idx)
    else:
        train_idx.sort()
        val_idx.sort()
    return X[train_idx], y[train_idx], X[val_idx], y[val_idx]


# --------------------------------------------------------------------------------------------
# mini-batches
# --------------------------------------------------------------------------------------------

Augment = Callable[[np.ndarray, np.random.Generator], np.ndarray]


class BatchIterator:
    """Mini-batches over ``(X, y)``, reshuffled every epoch from one explicit Generator.

    Each epoch draws one permutation; each batch gathers its rows into a new contiguous array
    (``np.take`` of B rows). Gathering batch by batch copies the same bytes as one whole-array
    gather per epoch but keeps the working set in cache and never asks the system for a fresh
    data-set-sized block (on a virtual machine the page faults of a 188 MB copy cost up to half a
    second an epoch, against ~20 ms for the per-batch gathers). With ``shuffle=False`` the batches
    are views of the caller's arrays.

    Iterating starts a new epoch; ``len()`` is the number of batches per epoch:
    :math:`\\lceil n / B \\rceil`, or :math:`\\lfloor n / B \\rfloor` with ``drop_last``.

    Parameters
    ----------
    X : array-like of shape (n, ...)
    y : array-like of shape (n, ...) or None
        ``None`` yields ``(X_batch, None)``.
    batch_size : int
    shuffle : bool, default True
    rng : int or numpy.random.Generator, optional
        The same seed gives the same batch order in every run.
    drop_last : bool, default False
        Skip the final smaller batch.
    augment : callable ``(X_batch, rng) -> X_batch``, optional
        Applied to each batch with this iterator's Generator (e.g. :class:`RandomShift`). It must
        return a new array, not modify its input (which may be the caller's data).

    Notes
    -----
    :meth:`get_state` / :meth:`set_state` capture the Generator's ``bit_generator.state`` (a
    JSON-able dict) and the epoch count. Take the state between epochs: a run restored from it
    replays the same permutations and augmentations as the original run.
    """

    def __init__(self, X: Any, y: Any, batch_size: int, *, shuffle: bool = True,
                 rng: Any = None, drop_last: bool = False, augment: Augment | None = None):
        self.X = _as_rows("X", X)
        self.y = None if y is None else _as_rows("y", y)
        if self.y is not None and self.y.shape[0] != self.X.shape[0]:
            raise ValueError(f"X has {self.X.shape[0]} rows but y has {self.y.shape[0]}")
        if self.X.shape[0] == 0:
            raise ValueError("X is empty (0 samples)")
        self.batch_size = check_int("batch_size", batch_size, minimum=1)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if augment is not None and not callable(augment):
            raise TypeError(f"augment must be callable (X_batch, rng) -> X_batch, "
                            f"got {augment!r}")
        self.augment = augment
        self.rng = as_rng(rng)
        self.epoch = 0
        if self.drop_last and self.batch_size > self.n_samples:
            raise ValueError(f"drop_last=True with batch_size {self.batch_size} > "
                             f"{self.n_samples} samples leaves no batches")

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    def __len__(self) -> int:
        full, rest = divmod(self.n_samples, self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        X, y = self.X, self.y
        perm = self.rng.permutation(self.n_samples) if self.shuffle else None
        self.epoch += 1
        bs = self.batch_size
        for b in range(len(self)):
            if perm is not None:
                rows = perm[b * bs:(b + 1) * bs]
                xb = np.take(X, rows, axis=0)
                yb = None if y is None else np.take(y, rows, axis=0)
            else:
                xb = X[b * bs:(b + 1) * bs]
                yb = None if y is None else y[b * bs:(b + 1) * bs]
            if self.augment is not None:
                xb = self.augment(xb, self.rng)
            yield xb, yb

    def get_state(self) -> dict[str, Any]:
        """JSON-able state: the Generator's ``bit_generator.state`` and the epoch count."""
        return {"bit_generator": self.rng.bit_generator.state, "epoch": self.epoch}

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore :meth:`get_state` output; the next epoch replays the saved run's next one."""
        try:
            self.rng.bit_generator.state = state["bit_generator"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid BatchIterator state: {exc}") from exc
        self.epoch = int(state.get("epoch", 0))

    def __repr__(self) -> str:
        return (f"BatchIterator(n_samples={self.n_samples}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, drop_last={self.drop_last})")


# --------------------------------------------------------------------------------------------
# augmentation
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# IDX files (MNIST, Fashion-MNIST)
# --------------------------------------------------------------------------------------------

# IDX type code -> element type (big-endian on disk, as the format specifies)
_IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_maybe_gzip(path: Path) -> bytes:
    """File contents, gunzipped when the file starts with the gzip magic bytes."""
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: gzip data is corrupt or truncated ({exc})") from exc


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not, into a native-endian array.

    Layout: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
    0x0D float32, 0x0E float64), the number of dimensions ``d``, then ``d`` big-endian uint32
    sizes, then the elements, big-endian, row-major. Compression is detected from the gzip
    magic bytes, not from the file name.

    Raises
    ------
    FileNotFoundError
        When ``path`` does not exist.
    ValueError
        Naming the path and the problem: bad magic, unknown type code, truncated data, trailing
        bytes, corrupt gzip.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found: {path}")
    data = _read_maybe_gzip(path)
    if len(data) < 4:
        raise ValueError(f"{path}: not an IDX file (only {len(data)} bytes, the header needs 4)")
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise ValueError(f"{path}: not an IDX file (magic starts with bytes "
                         f"{data[:4].hex(' ')}, expected 00 00 <type> <ndim>)")
    if code not in _IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_TYPES)
        raise ValueError(f"{path}: unknown IDX type code 0x{code:02X} (known: {known})")
    if ndim == 0:
        raise ValueError(f"{path}: IDX header declares 0 dimensions")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{path}: truncated IDX header ({len(data)} bytes, {ndim} dimensions "
                         f"need {header_len})")
    dims = struct.unpack(f">{ndim}I", data[4:header_len])
    dtype = _IDX_TYPES[code]
    expected = math.prod(dims) * dtype.itemsize
    found = len(data) - header_len
    if found < expected:
        raise ValueError(f"{path}: truncated IDX data: shape {dims} of {dtype.name} needs "
                         f"{expected} bytes after the header, found {found}")
    if found > expected:
        raise ValueError(f"{path}: {found - expected} unexpected bytes after the IDX data "
                         f"(shape {dims} of {dtype.name} needs {expected})")
    arr = np.frombuffer(data, dtype=dtype, count=math.prod(dims), offset=header_len)
    return arr.reshape(dims).astype(dtype.newbyteorder("="))


def save_idx(path: str | os.PathLike[str], array: Any, *, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file (inverse of :func:`load_idx`).

    Parameters
    ----------
    path : path-like
    array : ndarray of uint8, int8, int16, int32, float32 or float64, at least 1-D
    compress : bool, optional
        gzip the file; defaults to whether ``path`` ends in ``.gz``.
    """
    path = Path(path)
    arr = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in _IDX_TYPES.items()}
    native = arr.dtype.newbyteorder("=")
    if native not in codes:
        raise TypeError(f"IDX cannot store dtype {arr.dtype}; use one of "
                        f"{', '.join(dt.name for dt in _IDX_TYPES.values())}")
    if arr.ndim == 0 or arr.ndim > 255:
        raise ValueError(f"IDX stores 1 to 255 dimensions, got shape {arr.shape}")
    code = codes[native]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    payload = header + np.ascontiguousarray(arr, dtype=_IDX_TYPES[code]).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


# --------------------------------------------------------------------------------------------
# MNIST
# --------------------------------------------------------------------------------------------

MNIST_ENV = "BACKPROP_MNIST_DIR"
_MNIST_KINDS = {"t10k": "t10k", "test": "t10k", "train": "train"}


def _mnist_file(directory: Path, kind: str, what: str) -> Path | None:
    """The images/labels file of ``kind`` in ``directory``, under its usual names."""
    ndim = 3 if what == "images" else 1
    for stem in (f"{kind}-{what}-idx{ndim}-ubyte", f"{kind}-{what}.idx{ndim}-ubyte"):
        for name in (stem + ".gz", stem):
            if (directory / name).is_file():
                return directory / name
    return None


def _has_mnist(directory: Path) -> bool:
    return directory.is_dir() and any(
        _mnist_file(directory, kind, "images") is not None for kind in ("t10k", "train"))


def find_mnist_dir() -> Path | None:
    """Where the MNIST files are, or ``None``.

    Looks at ``$BACKPROP_MNIST_DIR`` first, then for ``shared/data/mnist`` in the current
    directory, the package directory and each of their parents (a checkout at ``<root>/repo``
    finds ``<root>/shared/data/mnist``). A directory counts when it holds a ``t10k`` or
    ``train`` images file.
    """
    env = os.environ.get(MNIST_ENV)
    if env:
        return Path(env) if _has_mnist(Path(env)) else None
    starts = [Path.cwd().resolve(), Path(__file__).resolve().parent]
    for start in starts:
        for base in (start, *start.parents):
            candidate = base / "shared" / "data" / "mnist"
            if _has_mnist(candidate):
                return candidate
    return None


def load_mnist(directory: str | os.PathLike[str] | None = None, *, kind: str = "t10k"
               ) -> tuple[np.ndarray, np.ndarray]:
    """Load MNIST (or Fashion-MNIST, same format) from IDX files.

    Parameters
    ----------
    directory : path-like, optional
        Folder holding ``{kind}-images-idx3-ubyte[.gz]`` and ``{kind}-labels-idx1-ubyte[.gz]``.
        Default: :func:`find_mnist_dir` (``$BACKPROP_MNIST_DIR``, else ``shared/data/mnist``
        found by walking up from the working directory and from the package).
    kind : {"t10k", "test", "train"}
        ``"test"`` is an alias of ``"t10k"`` (the 10,000 test images).

    Returns
    -------
    X : ndarray of float32, shape (n, 784)
        Pixels scaled to ``[0, 1]`` (divided by 255), rows are row-major 28 x 28 images.
    y : ndarray of int64, shape (n,)
        Digits 0..9.
    """
    if kind not in _MNIST_KINDS:
        raise ValueError(f"kind must be one of {', '.join(_MNIST_KINDS)}; got {kind!r}")
    kind = _MNIST_KINDS[kind]
    if directory is None:
        found = find_mnist_dir()
        if found is None:
            env = os.environ.get(MNIST_ENV)
            where = (f"${MNIST_ENV}={env} holds no MNIST files" if env else
                     f"${MNIST_ENV} is not set and no shared/data/mnist was found above "
                     f"{Path.cwd()} or the package")
            raise FileNotFoundError(f"MNIST not found: {where}. Put the IDX files "
                                    f"({kind}-images-idx3-ubyte.gz, ...) in a folder and pass "
                                    f"it, or set ${MNIST_ENV}.")
        directory = found
    directory = Path(directory)
    images = _mnist_file(directory, kind, "images")
    labels = _mnist_file(directory, kind, "labels")
    if images is None or labels is None:
        missing = [f"{kind}-{w}-idx{d}-ubyte[.gz]" for w, d, f in
                   (("images", 3, images), ("labels", 1, labels)) if f is None]
        raise FileNotFoundError(f"MNIST files {', '.join(missing)} not found in {directory}")
    X = load_idx(images)
    y = load_idx(labels)
    if X.ndim != 3 or X.dtype != np.uint8:
        raise ValueError(f"{images}: expected uint8 images of shape (n, rows, cols), got "
                         f"{X.dtype} {X.shape}")
    if y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ValueError(f"{labels}: expected {X.shape[0]} labels, got shape {y.shape}")
    X = X.reshape(X.shape[0], -1).astype(np.float32) / np.float32(255.0)
    return X, y.astype(np.int64)


# --------------------------------------------------------------------------------------------
# CSV and NPZ
# --------------------------------------------------------------------------------------------

def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_csv(path: str | os.PathLike[str], *, label_column: int | str | None = -1,
             header: bool | str = "auto", delimiter: str = ",",
             return_classes: bool = False) -> Any:
    """Read a numeric table with one label column.

    Parameters
    ----------
    path : path-like
    label_column : int, str or None, default -1
        Index (negative counts from the end) or header name of the label column; ``None``
        means every column is a feature and ``y`` is ``None``.
    header : bool or "auto"
        ``"auto"``: the first row is a header when one of its feature fields is not a number
        (or when ``label_column`` is a name).
    delimiter : str, default ","
    return_classes : bool, default False
        Also return ``classes``: for string labels the list of label names, where ``y == k``
        means ``classes[k]``; ``None`` for numeric labels.

    Returns
    -------
    X : ndarray of float64, shape (n, n_features)
    y : ndarray or None
        Numeric labels that are all integral become ``int64``, other numbers stay ``float64``
        (regression targets). String labels become ``int64`` codes in *sorted* order of the
        names (as scikit-learn's ``LabelEncoder``), so the mapping does not depend on row order.
    classes : list of str or None
        Only with ``return_classes=True``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"CSV file not found: {path}")
    if header not in (True, False, "auto"):
        raise ValueError(f"header must be True, False or 'auto', got {header!r}")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        rows = [(line_no, [f.strip() for f in row])
                for line_no, row in enumerate(csv.reader(fh, delimiter=delimiter), start=1)
                if row and any(f.strip() for f in row)]
    if not rows:
        raise ValueError(f"{path}: no data (the file is empty)")
    width = len(rows[0][1])
    for line_no, row in rows:
        if len(row) != width:
            raise ValueError(f"{path}: line {line_no} has {len(row)} fields, expected {width}")

    first = rows[0][1]
    if isinstance(label_column, str):
        if header is False:
            raise ValueError(f"label_column {label_column!r} is a name but header=False")
        header = True
    lab: int | None = None
    if label_column is not None and not isinstance(label_column, str):
        lab = check_int("label_column", label_column)
        if not -width <= lab < width:
            raise ValueError(f"label_column {lab} is out of range for {width} columns")
        lab %= width
    if header == "auto":
        header = any(not _is_number(f) for j, f in enumerate(first) if j != lab)
    names = first if header else None
    body = rows[1:] if header else rows
    if not body:
        raise ValueError(f"{path}: no data rows after the header")
    if isinstance(label_column, str):
        if names is None or label_column not in names:
            raise ValueError(f"label_column {label_column!r} not found in header {names}")
        lab = names.index(label_column)

    table = np.array([row for _, row in body], dtype=str)
    feature_cols = [j for j in range(width) if j != lab]
    if not feature_cols:
        raise ValueError(f"{path}: no feature columns besides the label column")
    X = _parse_numbers(path, table[:, feature_cols], body, feature_cols)
    y: np.ndarray | None = None
    classes: list[str] | None = None
    if lab is not None:
        raw = table[:, lab]
        if all(_is_number(v) for v in raw):
            y = np.array([float(v) for v in raw], dtype=np.float64)
            if np.all(np.isfinite(y)) and np.all(np.mod(y, 1) == 0):
                y = y.astype(np.int64)
        else:
            uniq, codes = np.unique(raw, return_inverse=True)
            classes = [str(u) for u in uniq]
            y = codes.reshape(-1).astype(np.int64)
    return (X, y, classes) if return_classes else (X, y)


def _parse_numbers(path: Path, cells: np.ndarray, body: list[tuple[int, list[str]]],
                   cols: list[int]) -> np.ndarray:
    """Convert the string table ``cells`` (rows of ``body``, columns ``cols``) to float64.

    The conversion runs in NumPy; only when that fails are the fields re-read one by one with
    Python's ``float`` (which also accepts a few spellings NumPy refuses, such as ``1_000``),
    naming the first field that is not a number.
    """
    try:
        return cells.astype(np.float64)
    except ValueError:
        pass
    out = np.empty(cells.shape, dtype=np.float64)
    for i, (line_no, row) in enumerate(body):
        for k, col in enumerate(cols):
            try:
                out[i, k] = float(row[col])
            except ValueError:
                raise ValueError(f"{path}: cannot read {row[col]!r} as a number at line "
                                 f"{line_no}, column {col}") from None
    return out


def load_npz(path: str | os.PathLike[str], x_key: str = "X", y_key: str | None = "y"
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """Read ``X`` (and ``y``) from an ``.npz`` archive, never unpickling.

    Returns
    -------
    X : ndarray
        float32/float64 as stored; other numeric types become float64.
    y : ndarray or None
        Integer labels become int64; other dtypes are returned as stored. ``None`` when
        ``y_key`` is None.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"npz file not found: {path}")
    try:
        archive = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as exc:
        raise ValueError(f"{path}: cannot read as .npz ({exc})") from exc
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError(f"{path}: is a single .npy array, not an .npz archive")
    with archive:
        keys = sorted(archive.files)
        for key in (x_key, y_key):
            if key is not None and key not in archive.files:
                raise ValueError(f"{path}: no array {key!r} in the archive (has {keys})")
        try:
            X = archive[x_key]
            y = None if y_key is None else archive[y_key]
        except ValueError as exc:  # object arrays need pickling, which we refuse
            raise ValueError(f"{path}: {exc}") from exc
    X = as_float_array(f"{path}[{x_key!r}]", X)
    if y is not None and np.issubdtype(y.dtype, np.integer):
        y = y.astype(np.int64)
    return X, y


# --------------------------------------------------------------------------------------------
# one entry point
# --------------------------------------------------------------------------------------------

_IDX_SUFFIXES = (".gz", ".idx", "-ubyte")


def _idx_pair(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """An IDX images/labels pair from the path of either file (MNIST naming)."""
    name = path.name
    if "images" in name:
        partner = name.replace("images", "labels").replace("idx3", "idx1")
    elif "labels" in name:
        partner = name.replace("labels", "images").replace("idx1", "idx3")
    else:
        raise ValueError(f"{path}: cannot tell whether this IDX file holds images or labels "
                         "(expected 'images' or 'labels' in its name)")
    # the partner may be compressed when this one is not, or the other way round
    stem = partner.removesuffix(".gz")
    candidates = [path.with_name(stem + ".gz"), path.with_name(stem)]
    other = next((c for c in candidates if c.is_file()), path.with_name(partner))
    images, labels = (path, other) if "images" in name else (other, path)
    X = load_idx(images)
    y = load_idx(labels)
    if X.shape[0] != y.shape[0] or y.ndim != 1:
        raise ValueError(f"{images} has {X.shape[0]} samples but {labels} has shape {y.shape}")
    X = X.reshape(X.shape[0], -1)
    X = X.astype(np.float32) / np.float32(255) if X.dtype == np.uint8 else X.astype(np.float64)
    return X, y.astype(np.int64)


def load_dataset(name_or_path: str | os.PathLike[str], **kw: Any) -> Any:
    """Load a dataset by name or path and return ``(X, y)``.

    * a built-in generator name (:data:`backprop.datasets.DATASETS`: ``xor``, ``spirals``,
      ``moons``, ``circles``, ``blobs``) -- ``kw`` goes to the generator (``n``, ``noise``,
      ``rng``...);
    * ``"mnist"`` -- :func:`load_mnist` with ``kw`` (``directory``, ``kind``);
    * a directory -- :func:`load_mnist` on it;
    * a file by extension: ``.csv`` (:func:`load_csv`), ``.npz`` (:func:`load_npz`), ``.gz``,
      ``.idx`` or ``-ubyte`` (an IDX images or labels file; its partner is found by the MNIST
      naming, ``images-idx3`` <-> ``labels-idx1``).
    """
    from .datasets import DATASETS

    if isinstance(name_or_path, str) and name_or_path.lower() in DATASETS:
        return DATASETS[name_or_path.lower()](**kw)
    if isinstance(name_or_path, str) and name_or_path.lower() == "mnist":
        return load_mnist(**kw)
    if not isinstance(name_or_path, (str, os.PathLike)):
        raise TypeError(f"name_or_path must be a name or a path, got {name_or_path!r}")
    path = Path(name_or_path)
    if path.is_dir():
        return load_mnist(path, **kw)
    name = path.name.lower()
    if name.endswith(".csv"):
        return load_csv(path, **kw)
    if name.endswith(".npz"):
        return load_npz(path, **kw)
    if name.endswith(_IDX_SUFFIXES):
        if kw:
            raise TypeError(f"IDX files take no options, got {sorted(kw)}")
        return _idx_pair(path)
    known = ", ".join([*DATASETS, "mnist"])
    raise ValueError(f"unknown dataset {str(name_or_path)!r}: expected one of {known}, or a "
                     ".csv / .npz / IDX (.gz, .idx, -ubyte) file or an MNIST folder")
