"""Input validation: :func:`check_Xy` and the helpers the other data modules share.

Conventions
-----------
* Samples are rows: ``X`` has shape ``(n_samples, n_features)``.
* Class labels are ``int64`` in ``0 .. n_classes - 1``.
* Error messages name the offending value and where it is (row, column), so a bad file or array
  is found without a debugger.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_float_array, check_int

__all__ = ["check_Xy"]

_TASKS = ("auto", "classification", "binary", "regression")


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


def _as_rows(name: str, arr: Any) -> np.ndarray:
    arr = np.asarray(arr)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have one entry per sample, got a scalar")
    return arr


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

