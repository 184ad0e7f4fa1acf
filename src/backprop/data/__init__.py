"""Data tools, NumPy only and vectorised; one module per job.

* :mod:`~backprop.data.checks` -- input validation (:func:`check_Xy`);
* :mod:`~backprop.data.preprocessing` -- :class:`Standardizer`, :func:`one_hot`,
  :func:`train_val_split`;
* :mod:`~backprop.data.batches` -- :class:`BatchIterator` (mini-batches, reshuffled per epoch);
* :mod:`~backprop.data.augmentation` -- :func:`shift_images`, :func:`random_shift`,
  :class:`RandomShift`;
* :mod:`~backprop.data.files` -- IDX / MNIST, CSV and ``.npz`` readers, and :func:`load_dataset`
  (a name or a path);
* :mod:`~backprop.data.toy` -- the generated 2-D datasets (xor, spirals, moons, circles, blobs),
  also reachable as ``bp.datasets``.

Randomness always comes from an explicit ``rng`` (an int seed or a
:class:`numpy.random.Generator`, see :func:`backprop._checks.as_rng`).

Conventions
-----------
* Samples are rows: ``X`` has shape ``(n_samples, n_features)``.
* Class labels are ``int64`` in ``0 .. n_classes - 1``; :func:`one_hot` turns them into rows.
* Images travel flattened (MNIST: 784 columns, row-major 28 x 28, values in ``[0, 1]``).
* Files are read without pickling (``np.load(..., allow_pickle=False)``).
"""

from __future__ import annotations

from . import toy
from .augmentation import RandomShift, random_shift, shift_images
from .batches import BatchIterator
from .checks import check_Xy
from .files import (
    MNIST_ENV,
    find_mnist_dir,
    load_csv,
    load_dataset,
    load_idx,
    load_mnist,
    load_npz,
    save_idx,
)
from .preprocessing import Standardizer, one_hot, train_val_split
from .toy import DATASETS, register_dataset

__all__ = [
    "BatchIterator", "DATASETS", "MNIST_ENV", "RandomShift", "Standardizer", "check_Xy",
    "find_mnist_dir", "load_csv", "load_dataset", "load_idx", "load_mnist", "load_npz", "one_hot",
    "random_shift", "register_dataset", "save_idx", "shift_images", "toy", "train_val_split",
]
