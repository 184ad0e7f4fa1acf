"""Small generated 2-D datasets for watching a network learn a decision boundary.

Every generator returns ``(X, y)``: ``X`` float64 of shape ``(n, n_features)`` (2 features unless
stated), ``y`` int64 class labels ``0 .. n_classes - 1``. Classes are balanced (sample ``i``
belongs to class ``i mod n_classes`` before shuffling) and the rows come in random order. The
same ``rng`` seed always gives the same arrays.

``DATASETS`` is the dataset :class:`~backprop.registry.Registry`: the command line and
:func:`backprop.data.load_dataset` look names up in it, and :func:`register_dataset` adds one::

    def rings(n=200, *, rng=None): ...          # returns (X, y) like the generators here
    bp.data.register_dataset("rings", rings)
    X, y = bp.load_dataset("rings", n=300, rng=0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .._checks import as_rng, check_int, check_non_negative, check_range
from ..registry import Registry

__all__ = ["DATASETS", "blobs", "circles", "moons", "register_dataset", "spirals", "xor"]

DatasetFn = Callable[..., tuple[np.ndarray, np.ndarray]]


def _balanced_labels(n: int, n_classes: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64) % n_classes


def _shuffled(X: np.ndarray, y: np.ndarray, gen: np.random.Generator
              ) -> tuple[np.ndarray, np.ndarray]:
    perm = gen.permutation(X.shape[0])
    return X[perm], y[perm]


def xor(n: int = 200, noise: float = 0.1, *, rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    r"""The XOR problem: points around the four corners of the unit square.

    Corner :math:`(a, b) \in \{0, 1\}^2` has label :math:`a \oplus b`; each point is its corner
    plus Gaussian noise :math:`\mathcal{N}(0, \sigma^2 I)`. ``xor(4, noise=0)`` is the truth
    table (rows in shuffled order). Not linearly separable: a network needs a hidden layer.

    Parameters
    ----------
    n : int, default 200
        Number of points (spread evenly over the four corners).
    noise : float, default 0.1
        Standard deviation :math:`\sigma`.
    rng : int or numpy.random.Generator, optional
    """
    n = check_int("n", n, minimum=1)
    noise = check_non_negative("noise", noise)
    gen = as_rng(rng)
    corner = np.arange(n) % 4
    a, b = corner // 2, corner % 2
    X = np.stack([a, b], axis=1).astype(np.float64) + noise * gen.standard_normal((n, 2))
    y = (a ^ b).astype(np.int64)
    return _shuffled(X, y, gen)


def spirals(n: int = 200, n_classes: int = 2, noise: float = 0.05, *, turns: float = 1.5,
            rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Interleaved spiral arms, one per class.

    A point of class :math:`k` at random position :math:`t \sim U(0, 1)` along its arm is

    .. math::
        r = t, \qquad \theta = \frac{2\pi k}{K} + 2\pi\,\text{turns}\; t, \qquad
        x = r(\cos\theta, \sin\theta) + \mathcal{N}(0, \sigma^2 I)

    Parameters
    ----------
    n : int, default 200
    n_classes : int, default 2
        Number of arms :math:`K` (2 or 3 are the usual choices).
    noise : float, default 0.05
    turns : float, default 1.5
        How many times each arm winds around the centre.
    rng : int or numpy.random.Generator, optional
    """
    n = check_int("n", n, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    noise = check_non_negative("noise", noise)
    turns = check_range("turns", turns, 0.0, float("inf"), low_open=True)
    gen = as_rng(rng)
    y = _balanced_labels(n, n_classes)
    t = gen.uniform(0.0, 1.0, size=n)
    theta = 2 * np.pi * y / n_classes + 2 * np.pi * turns * t
    X = t[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    X += noise * gen.standard_normal((n, 2))
    return _shuffled(X, y, gen)


def moons(n: int = 200, noise: float = 0.1, *, rng: Any = None
          ) -> tuple[np.ndarray, np.ndarray]:
    r"""Two interleaving half circles.

    With :math:`\theta \sim U(0, \pi)`: class 0 is :math:`(\cos\theta, \sin\theta)`, class 1 is
    :math:`(1 - \cos\theta,\ 0.5 - \sin\theta)`, each plus :math:`\mathcal{N}(0, \sigma^2 I)`.

    Parameters
    ----------
    n : int, default 200
    noise : float, default 0.1
    rng : int or numpy.random.Generator, optional
    """
    n = check_int("n", n, minimum=1)
    noise = check_non_negative("noise", noise)
    gen = as_rng(rng)
    y = _balanced_labels(n, 2)
    theta = gen.uniform(0.0, np.pi, size=n)
    upper = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    lower = np.stack([1.0 - np.cos(theta), 0.5 - np.sin(theta)], axis=1)
    X = np.where(y[:, None] == 0, upper, lower) + noise * gen.standard_normal((n, 2))
    return _shuffled(X, y, gen)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, *, rng: Any = None
            ) -> tuple[np.ndarray, np.ndarray]:
    r"""A circle of radius 1 (class 0) around a circle of radius ``factor`` (class 1).

    With :math:`\theta \sim U(0, 2\pi)`: :math:`x = \rho_y(\cos\theta, \sin\theta) +
    \mathcal{N}(0, \sigma^2 I)`, :math:`\rho_0 = 1`, :math:`\rho_1 = \text{factor}`.

    Parameters
    ----------
    n : int, default 200
    noise : float, default 0.05
    factor : float in (0, 1), default 0.5
        Inner radius relative to the outer one.
    rng : int or numpy.random.Generator, optional
    """
    n = check_int("n", n, minimum=1)
    noise = check_non_negative("noise", noise)
    factor = check_range("factor", factor, 0.0, 1.0, low_open=True)
    gen = as_rng(rng)
    y = _balanced_labels(n, 2)
    theta = gen.uniform(0.0, 2 * np.pi, size=n)
    radius = np.where(y == 0, 1.0, factor)
    X = radius[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    X += noise * gen.standard_normal((n, 2))
    return _shuffled(X, y, gen)


def blobs(n: int = 200, n_classes: int = 3, n_features: int = 2, *, noise: float = 1.0,
          box: float = 6.0, rng: Any = None) -> tuple[np.ndarray, np.ndarray]:
    r"""Isotropic Gaussian clusters, one per class.

    Centres :math:`c_k \sim U(-\text{box}, \text{box})^{d}`; a point of class :math:`k` is
    :math:`c_k + \mathcal{N}(0, \sigma^2 I)`.

    Parameters
    ----------
    n : int, default 200
    n_classes : int, default 3
    n_features : int, default 2
        Dimension :math:`d`.
    noise : float, default 1.0
        Cluster standard deviation :math:`\sigma`.
    box : float, default 6.0
        Half-width of the cube the centres are drawn from.
    rng : int or numpy.random.Generator, optional

    Returns
    -------
    X : ndarray of float64, shape (n, n_features)
    y : ndarray of int64, shape (n,)
    """
    n = check_int("n", n, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=1)
    n_features = check_int("n_features", n_features, minimum=1)
    noise = check_non_negative("noise", noise)
    box = check_range("box", box, 0.0, float("inf"), low_open=True)
    gen = as_rng(rng)
    centres = gen.uniform(-box, box, size=(n_classes, n_features))
    y = _balanced_labels(n, n_classes)
    X = centres[y] + noise * gen.standard_normal((n, n_features))
    return _shuffled(X, y, gen)


#: name -> generator, in registration order (the built-ins first)
DATASETS: Registry[DatasetFn] = Registry("dataset")
DATASETS.add("xor", xor)
DATASETS.add("spirals", spirals)
DATASETS.add("moons", moons)
DATASETS.add("circles", circles)
DATASETS.add("blobs", blobs)


def register_dataset(name: str, fn: DatasetFn, *, replace: bool = False) -> DatasetFn:
    """Make the generator ``fn`` reachable by ``name`` through :data:`DATASETS` (so
    ``bp.load_dataset(name, **kw)`` finds it); returns ``fn``.

    Parameters
    ----------
    name : str
        Lower case, as :func:`backprop.data.load_dataset` lower-cases the name it is given.
    fn : callable ``(**kw) -> (X, y)``
        Called with the keyword arguments of ``load_dataset``. ``backprop train`` (run in a
        process where the registration happened) passes ``n`` and ``rng`` (an int seed), so a
        generator meant for it should accept both.
    replace : bool, default False
        A name already registered (a built-in included) is refused with a ``ValueError``
        naming it, unless ``replace=True``.

    Remove an entry again with ``DATASETS.remove(name)``.
    """
    if not callable(fn):
        raise TypeError(f"dataset {name!r} must be a callable returning (X, y), got {fn!r}")
    if isinstance(name, str) and name != name.lower():
        raise ValueError(f"dataset name {name!r} must be lower case: load_dataset lower-cases "
                         "the name it looks up")
    return DATASETS.add(name, fn, replace=replace)
