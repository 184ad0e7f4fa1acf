"""One measurement in a fresh process: seconds for one training epoch, and peak RSS.

Options: ``--sizes`` (widths; inputs wider than 784 are random pixels), ``--dtype float64``,
``--samples N`` (default 60,000), ``--threads N`` (BLAS/torch threads; the GEMM floor honours
it too).

Usage: ``python benchmarks/epoch_worker.py LIB BATCH [--threads N] [--sizes 784,256,128,10]
[--activation relu|tanh]`` prints one JSON line.
LIB is one of ``backprop``, ``backprop-loop``, ``torch``, ``sklearn``, ``gemm``.

Task (issue #4): a 784-256-128-10 ReLU network, softmax cross-entropy, Adam lr 1e-3, float32,
60,000 MNIST-shaped samples (the genuine MNIST test images tiled six times when available,
otherwise random pixels), one epoch, shuffled.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time

import numpy as np

SIZES = (784, 256, 128, 10)
ACTIVATION = "relu"
N = 60_000
DTYPE = np.float32


def load_data() -> tuple[np.ndarray, np.ndarray]:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    if SIZES[0] != 784:  # not MNIST-shaped: random pixels of the asked width
        rng = np.random.default_rng(0)
        return rng.random((N, SIZES[0]), dtype=np.float32).astype(DTYPE, copy=False), \
            rng.integers(0, SIZES[-1], N)
    try:
        from backprop.data import find_mnist_dir, load_mnist

        directory = find_mnist_dir()
        if directory is not None:
            X, y = load_mnist(directory)
            reps = -(-N // len(X))
            X_big, y_big = np.tile(X, (reps, 1)), np.tile(y, reps)
            if len(X_big) != N:  # keep the peak-RSS figure free of a second data-set copy
                X_big, y_big = X_big[:N].copy(), y_big[:N].copy()
            return X_big.astype(DTYPE, copy=False), y_big
    except ImportError:
        pass
    rng = np.random.default_rng(0)
    return rng.random((N, SIZES[0]), dtype=np.float32).astype(DTYPE, copy=False), \
        rng.integers(0, 10, N)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_backprop(X: np.ndarray, y: np.ndarray, batch: int, loop: bool,
                 threads: int | None = None) -> float:
    import backprop as bp

    net = bp.mlp(list(SIZES), activation=ACTIVATION, dtype=np.dtype(DTYPE).name, rng=0)
    opt = bp.Adam(net.parameters(), lr=1e-3)
    loss = bp.SoftmaxCrossEntropy()
    if not loop:
        policy = {"threads": threads} if threads else {}  # default: the library's own policy
        net.fit(X[:2048], y[:2048], loss=loss, optimizer=opt, epochs=1, batch_size=batch,
                verbose=False, seed=0, **policy)  # warm-up
        t0 = time.perf_counter()
        net.fit(X, y, loss=loss, optimizer=opt, epochs=1, batch_size=batch, verbose=False, seed=1,
                **policy)
        return time.perf_counter() - t0

    def epoch(Xs: np.ndarray, ys: np.ndarray, seed: int) -> None:
        for xb, yb in bp.BatchIterator(Xs, ys, batch, rng=seed):  # reshuffled batches
            out = net.forward(xb)
            loss.forward(out, yb)
            net.backward(loss.backward(), input_grad=False)
            opt.step()

    epoch(X[:2048], y[:2048], 0)
    t0 = time.perf_counter()
    epoch(X, y, 1)
    return time.perf_counter() - t0


def run_torch(X: np.ndarray, y: np.ndarray, batch: int, threads: int | None) -> float:
    import torch

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[ACTIVATION]
    layers: list = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        layers.append(torch.nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(act())
    model = torch.nn.Sequential(*layers)
    if DTYPE == np.float64:
        model = model.double()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    lossf = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y.astype(np.int64))

    def epoch(Xs: torch.Tensor, ys: torch.Tensor) -> None:
        for i in range(0, len(Xs), batch):
            opt.zero_grad(set_to_none=True)
            out = model(Xs[i:i + batch])
            lossf(out, ys[i:i + batch]).backward()
            opt.step()

    epoch(Xt[:2048], yt[:2048])
    t0 = time.perf_counter()
    perm = torch.randperm(len(Xt))
    epoch(Xt[perm], yt[perm])
    return time.perf_counter() - t0


def run_sklearn(X: np.ndarray, y: np.ndarray, batch: int) -> float:
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    clf = MLPClassifier(hidden_layer_sizes=SIZES[1:-1], activation=ACTIVATION, solver="adam",
                        learning_rate_init=1e-3, batch_size=batch, max_iter=1, shuffle=True,
                        alpha=0.0, random_state=0)
    clf.partial_fit(X[:2048], y[:2048], classes=np.arange(10))  # warm-up
    t0 = time.perf_counter()
    clf.partial_fit(X, y)
    return time.perf_counter() - t0


def run_gemm(X: np.ndarray, batch: int) -> float:
    """Only the matrix products any backprop must do, into preallocated outputs."""
    rng = np.random.default_rng(0)
    Ws = [(rng.standard_normal((o, i)) * 0.05).astype(DTYPE)
          for i, o in zip(SIZES[:-1], SIZES[1:], strict=True)]
    dWs = [np.empty_like(W) for W in Ws]

    def epoch(Xs: np.ndarray) -> None:
        acts: dict[int, list[np.ndarray]] = {}
        for i in range(0, len(Xs), batch):
            xb = Xs[i:i + batch]
            m = xb.shape[0]
            if m not in acts:
                acts[m] = [np.empty((m, s), DTYPE) for s in SIZES]
            A = acts[m]
            A[0] = xb
            for k, W in enumerate(Ws):
                np.matmul(A[k], W.T, out=A[k + 1])
            delta = A[-1]
            for k in range(len(Ws) - 1, -1, -1):
                np.matmul(delta.T, A[k], out=dWs[k])
                if k > 0:
                    delta = delta @ Ws[k]

    epoch(X[:2048])
    perm = np.random.default_rng(1).permutation(len(X))
    X_shuffled = X[perm]  # shuffling is not a matrix product: outside the floor's clock
    t0 = time.perf_counter()
    epoch(X_shuffled)
    return time.perf_counter() - t0


def main() -> None:
    global SIZES, ACTIVATION, DTYPE, N
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("lib")
    parser.add_argument("batch", type=int)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--sizes", default=None)
    parser.add_argument("--activation", default="relu", choices=("relu", "tanh"))
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"))
    parser.add_argument("--samples", type=int, default=N)
    args = parser.parse_args()
    DTYPE = np.dtype(args.dtype).type
    N = args.samples
    lib, batch, threads = args.lib, args.batch, args.threads
    if args.sizes:
        SIZES = tuple(int(s) for s in args.sizes.split(","))
    ACTIVATION = args.activation
    X, y = load_data()
    if threads and lib in ("gemm", "backprop-loop", "sklearn"):
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads, user_api="blas")  # for the rest of this process
    if lib == "backprop":
        seconds = run_backprop(X, y, batch, loop=False, threads=threads)
    elif lib == "backprop-loop":
        seconds = run_backprop(X, y, batch, loop=True)
    elif lib == "torch":
        seconds = run_torch(X, y, batch, threads)
    elif lib == "sklearn":
        seconds = run_sklearn(X, y, batch)
    elif lib == "gemm":
        seconds = run_gemm(X, batch)
    else:
        raise SystemExit(f"unknown library {lib!r}")
    print(json.dumps({"lib": lib, "batch": batch, "threads": threads, "seconds": seconds,
                      "peak_rss_mb": peak_rss_mb()}))


if __name__ == "__main__":
    main()
