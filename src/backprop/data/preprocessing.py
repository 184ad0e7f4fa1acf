"""Preprocessing before training: :class:`Standardizer`, :func:`one_hot`, :func:`train_val_split`.

Statistics are fitted on the training split only; randomness always comes from an explicit
``rng`` (an int seed or a :class:`numpy.random.Generator`, see :func:`backprop._checks.as_rng`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._checks import as_float_array, as_rng, check_int, check_range
from .checks import _as_matrix, _as_rows, _first_non_finite, _integer_labels, check_Xy

__all__ = ["Standardizer", "one_hot", "train_val_split"]



class NotFittedError(ValueError, RuntimeError):
    """A transform used before ``fit``: a ``ValueError`` (bad input, as every argument error
    of the library) that stays a ``RuntimeError`` for code written against earlier versions."""

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
        """Learn ``mean_`` and ``scale_`` from ``X`` of shape (n_samples, n_features).

        Columns of very large magnitude (beyond ~1e154, whose squares overflow float64) are
        measured in units of their largest value, so their statistics stay exact instead of
        overflowing; statistics that still cannot be represented are a ``ValueError`` naming
        the column."""
        X, _ = check_Xy(X)
        if not self.per_feature:
            mean, std = _moments(X.reshape(-1, 1))
            n = X.shape[1]
            self.mean_ = np.full(n, mean[0])
            self.scale_ = np.full(n, std[0] if std[0] > 0 else 1.0)
            return self
        mean, scale = _moments(X)
        # A constant column can have a tiny non-zero std from rounding in the mean; detecting it
        # exactly (max == min) avoids blowing that rounding noise up to order one.
        constant = X.max(axis=0) == X.min(axis=0)
        scale[constant] = 1.0
        scale[scale == 0] = 1.0
        self.mean_, self.scale_ = mean, scale
        return self

    def _check_input(self, X: Any) -> np.ndarray:
        if self.mean_ is None or self.scale_ is None:
            raise NotFittedError("this Standardizer is not fitted yet: call fit(X_train) first")
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


def _moments(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and population standard deviation in float64, exact for columns whose
    squares would overflow (those are computed on the column divided by its largest value)."""
    with np.errstate(over="ignore", invalid="ignore"):
        mean = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64)
    bad = ~(np.isfinite(mean) & np.isfinite(std))
    if bad.any():
        cols = np.flatnonzero(bad)
        big = np.abs(X[:, cols]).astype(np.float64).max(axis=0)
        with np.errstate(over="ignore", invalid="ignore"):
            unit = X[:, cols].astype(np.float64) / big
            mean[cols] = unit.mean(axis=0) * big
            std[cols] = unit.std(axis=0) * big
        still = ~(np.isfinite(mean) & np.isfinite(std))
        if still.any():
            col = int(np.flatnonzero(still)[0])
            raise ValueError(f"column {col} of X has values too large to standardise (up to "
                             f"{float(np.abs(X[:, col]).max()):.3g}): its mean or spread "
                             f"overflows float64")
    return mean, std


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

