"""Argument checks shared by every module.

Each check raises with a message that names the argument and the offending value, e.g.
``ValueError: learning rate must be > 0, got -0.1``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_real(name: str, value: object) -> float:
    if not _is_real(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)  # type: ignore[arg-type]
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def check_positive(name: str, value: object) -> float:
    value = check_real(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be > 0, got {value:g}")
    return value


def check_non_negative(name: str, value: object) -> float:
    value = check_real(name, value)
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value:g}")
    return value


def check_range(name: str, value: object, low: float, high: float, *, high_open: bool = True,
                low_open: bool = False) -> float:
    """Check ``low <= value < high`` (the bracket style is configurable)."""
    value = check_real(name, value)
    ok_low = value > low if low_open else value >= low
    ok_high = value < high if high_open else value <= high
    if not (ok_low and ok_high):
        lb = "(" if low_open else "["
        rb = ")" if high_open else "]"
        raise ValueError(f"{name} must be in {lb}{low:g}, {high:g}{rb}, got {value:g}")
    return value


def check_norm_type(name: str, value: object) -> float:
    """The order p of a p-norm: a number > 0, or infinity (``float("inf")`` or ``"inf"``)."""
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
        return float("inf")
    if not _is_real(value):
        raise TypeError(f"{name} must be a number > 0 or inf, got {value!r}")
    p = float(value)  # type: ignore[arg-type]
    if not p > 0:  # also refuses NaN
        raise ValueError(f"{name} must be > 0 or inf, got {p:g}")
    return p


def check_int(name: str, value: object, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)  # type: ignore[arg-type]
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value}")
    return value


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_dtype(dtype: object) -> np.dtype:
    """Accept float32 / float64 only (names, NumPy types or dtypes)."""
    try:
        dt = np.dtype(dtype)  # type: ignore[call-overload]
    except TypeError as exc:
        raise TypeError(f"dtype must be float32 or float64, got {dtype!r}") from exc
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dt}")
    return dt


def check_finite_array(name: str, array: np.ndarray) -> None:
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        where = ", ".join(str(int(i)) for i in bad)
        raise ValueError(f"{name} contains a non-finite value ({array[tuple(bad)]}) at [{where}]")


def as_float_array(name: str, value: object, dtype: np.dtype | None = None) -> np.ndarray:
    """Turn array-like input into a float ndarray, with a clear error for junk."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name} is not a rectangular array of numbers: {exc}") from exc
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.dtype.kind == "c":  # a cast to float would silently drop the imaginary part
        raise TypeError(f"{name} holds complex numbers ({arr.dtype}); only real numbers are "
                        f"accepted")
    if dtype is None:
        dtype = arr.dtype if arr.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    return arr.astype(dtype, copy=False)


def as_rng(rng: object) -> np.random.Generator:
    """An explicit random generator from a seed, a ``Generator`` or ``None`` (fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if int(rng) < 0:
            raise ValueError(f"seed must be >= 0, got {rng}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be an int seed or a numpy.random.Generator, got {rng!r}")


class Hyper:
    """A hyper-parameter: a plain attribute that validates every value assigned to it.

    ``check(label, value, *args, **kwargs)`` is one of the checks above and returns the value to
    store; ``label`` (default: the attribute's name) is the name the error message uses. A
    ``guard`` names a method of the owner called as ``guard(name, value)`` before the value is
    stored, for rules that involve other attributes (Nesterov needs momentum > 0)::

        class Adam:
            eps = Hyper(check_positive)                      # adam.eps = -1 -> ValueError
            b1 = Hyper(check_range, 0.0, 1.0, label="beta1")

    Schedules and loaded states assign through the same check, so an invalid value never gets
    in, whoever sets it.
    """

    def __init__(self, check: Any, *args: Any, label: str | None = None,
                 guard: str | None = None, **kwargs: Any):
        self.check = check
        self.args = args
        self.kwargs = kwargs
        self.label = label
        self.guard = guard
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = "_" + name
        if self.label is None:
            self.label = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(obj, self.slot)

    def __set__(self, obj: Any, value: Any) -> None:
        value = self.check(self.label, value, *self.args, **self.kwargs)
        if self.guard is not None:
            getattr(obj, self.guard)(self.name, value)
        setattr(obj, self.slot, value)


class Alias:
    """An attribute that reads and writes an attribute of a part: ``opt.momentum`` is the
    momentum of the optimiser's momentum transform (``Alias("_momentum", "momentum")``).
    Validation stays with the part's own :class:`Hyper`."""

    def __init__(self, part: str, attr: str, doc: str | None = None):
        self.part = part
        self.attr = attr
        self.__doc__ = doc

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(getattr(obj, self.part), self.attr)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(getattr(obj, self.part), self.attr, value)
