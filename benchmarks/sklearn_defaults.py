"""The estimators' defaults against scikit-learn's MLP defaults on scikit-learn's bundled data.

Two tables:

* **held-out score** (accuracy, or R² for regression) of ``BackpropClassifier()`` /
  ``BackpropRegressor()`` and ``MLPClassifier()`` / ``MLPRegressor()`` with every default left
  alone, on a stratified 75/25 split, median over 5 seeds (the seed drives the split and both
  estimators' ``random_state``);
* **fit time for the same architecture and epochs**: both libraries train (100,) ReLU networks
  with Adam (lr 1e-3, batch min(200, n)) for exactly ``--epochs`` epochs (no early stopping on
  either side), each measurement in a fresh process after one warm-up fit of one epoch (both
  libraries load code on first use), median of ``--repeats``.

Usage: ``python benchmarks/sklearn_defaults.py [--seeds 5] [--epochs 100] [--repeats 3]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import warnings

DATASETS = ("iris", "wine", "breast_cancer", "digits", "diabetes", "regression_5_outputs")


def load(name: str):
    from sklearn import datasets

    if name == "regression_5_outputs":
        X, y = datasets.make_regression(n_samples=500, n_features=20, n_informative=10,
                                        n_targets=5, noise=1.0, random_state=0)
        return X, y, False
    loader = getattr(datasets, f"load_{name}")
    X, y = loader(return_X_y=True)
    return X, y, name != "diabetes"


def scores(name: str, seeds: int) -> tuple[float, float]:
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from backprop.sklearn import BackpropClassifier, BackpropRegressor

    X, y, classification = load(name)
    ours, theirs = [], []
    for seed in range(seeds):
        Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.25, random_state=seed,
                                          stratify=y if classification else None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mine = (BackpropClassifier if classification else BackpropRegressor)(
                random_state=seed).fit(Xa, ya)
            ref = (MLPClassifier if classification else MLPRegressor)(
                random_state=seed).fit(Xa, ya)
        ours.append(mine.score(Xb, yb))
        theirs.append(ref.score(Xb, yb))
    return statistics.median(ours), statistics.median(theirs)


def time_one(lib: str, name: str, epochs: int) -> float:
    """Seconds of one fit, measured in this process (run by ``--worker``)."""
    import time

    X, y, classification = load(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if lib == "backprop":
            from backprop.sklearn import BackpropClassifier as C
            from backprop.sklearn import BackpropRegressor as R
        else:
            from sklearn.neural_network import MLPClassifier as C
            from sklearn.neural_network import MLPRegressor as R
        make = C if classification else R
        # one short fit first: both libraries load code on first use; time the steady state
        make(max_iter=1, random_state=0).fit(X, y)
        est = make(max_iter=epochs, tol=0.0, n_iter_no_change=epochs + 1, random_state=0)
        t0 = time.perf_counter()
        est.fit(X, y)
        seconds = time.perf_counter() - t0
    assert est.n_iter_ == epochs, (lib, est.n_iter_)
    return seconds


def timed(lib: str, name: str, epochs: int, repeats: int) -> float:
    runs = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, __file__, "--worker", lib, name, str(epochs)],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{lib} on {name} failed:\n{done.stderr.strip()}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", nargs=3, metavar=("LIB", "DATASET", "EPOCHS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        lib, name, epochs = args.worker
        print(json.dumps(time_one(lib, name, int(epochs))))
        return
    print(f"held-out score with every default (median of {args.seeds} seeds), and fit time for "
          f"the same (100,) network and {args.epochs} epochs (median of {args.repeats}, each "
          f"in its own process)\n")
    print("| data set | backprop | scikit-learn | backprop s | scikit-learn s | time ratio |")
    print("|---|---|---|---|---|---|")
    for name in DATASETS:
        ours, theirs = scores(name, args.seeds)
        t_ours = timed("backprop", name, args.epochs, args.repeats)
        t_theirs = timed("sklearn", name, args.epochs, args.repeats)
        flag = "" if ours >= theirs else " (below)"
        print(f"| {name} | {ours:.4f}{flag} | {theirs:.4f} | {t_ours:.3f} | {t_theirs:.3f} | "
              f"{t_ours / t_theirs:.2f} |", flush=True)


if __name__ == "__main__":
    main()
