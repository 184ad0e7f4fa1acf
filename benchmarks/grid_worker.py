"""One grid search in a fresh process: ``python benchmarks/grid_worker.py N_JOBS`` prints its wall
seconds. ``GridSearchCV`` over ``BackpropClassifier`` (two learning rates, 2-fold) on 20,000
MNIST-shaped samples: with ``n_jobs=2`` the two workers share the cores, and the thread policy
must keep them from collapsing."""

from __future__ import annotations

import sys
import time
import warnings

import numpy as np


def main() -> None:
    from sklearn.model_selection import GridSearchCV

    from backprop.sklearn import BackpropClassifier

    n_jobs = int(sys.argv[1])
    rng = np.random.default_rng(0)
    X = rng.random((20_000, 784), dtype=np.float32)
    y = (X[:, :10].sum(axis=1) * 3).astype(int) % 10
    grid = GridSearchCV(BackpropClassifier((256, 128), max_iter=3, batch_size=128,
                                           dtype="float32", random_state=0),
                        {"optimizer_params": [{"lr": 1e-3}, {"lr": 3e-3}]}, cv=2, n_jobs=n_jobs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        grid.fit(X, y)
        print(time.perf_counter() - t0)


if __name__ == "__main__":
    main()
