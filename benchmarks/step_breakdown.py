"""Where the time of a training step goes: matrix products, element-wise work, the optimiser,
data, and Python -- measured with cProfile on ``fit``.

The bench task (784-256-128-10 ReLU, softmax cross-entropy, Adam, float32, batches of
``--batch``), one epoch of ``--samples`` samples after a warm-up, profiled with cProfile. Each
profiled function's own time is put in one category:

* **products** -- the matrix products alone, timed separately on the same shapes, thread count
  and batches (the GEMM floor per step: forward ``X Wᵀ``, ``dW = δᵀ A``, ``δ W``);
* **element-wise** -- the rest of the layers' forward/backward (bias add, bias gradient,
  activations and their masks), the loss, the finiteness guard;
* **optimiser** -- ``Optimizer.step`` and its kernels;
* **data** -- gathering the shuffled batches;
* **Python** -- everything else: the loop, callbacks, bookkeeping, and profiler overhead.

cProfile adds a little to every Python call, so the Python share is an upper bound; the
products are measured without it. Usage: ``python benchmarks/step_breakdown.py [--batch 32]
[--samples 20000] [--src PATH]`` (``--src`` runs another checkout's ``src``, e.g. the code
before a change, in this process).
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

import numpy as np

SIZES = (784, 256, 128, 10)

# (file fragment, function name) -> category; anything not listed is "Python"
CATEGORIES = {
    "products and element-wise": [("layers/dense.py", "forward"), ("layers/dense.py", "backward")],
    "element-wise": [("layers/activations.py", "forward"), ("layers/activations.py", "backward"),
                     ("losses.py", "forward"), ("losses.py", "backward"),
                     ("losses.py", "count_correct"), ("softmax_xent", ""),
                     ("relu_forward", ""), ("all_finite", ""), ("_nonfinite_grad", "")],
    "optimiser": [("optim/", ""), ("adam_step", ""), ("adam_direction", ""), ("axpy", "")],
    "data": [("data/batches.py", ""), ("method 'take'", "")],
}


def category(key: tuple[str, int, str]) -> str:
    filename, _, func = key
    for name, entries in CATEGORIES.items():
        for fragment, fname in entries:
            if fragment in filename or fragment in func:
                if not fname or fname == func:
                    return name
    return "Python"


def gemm_per_step(X: np.ndarray, batch: int, Ws: list[np.ndarray]) -> float:
    """Seconds per step of the products alone (as benchmarks/epoch_worker.py's floor)."""
    A = [np.empty((batch, W.shape[1]), np.float32) for W in Ws] + [
        np.empty((batch, Ws[-1].shape[0]), np.float32)]
    dWs = [np.empty_like(W) for W in Ws]
    steps = 0
    t0 = time.perf_counter()
    for i in range(0, len(X) - batch + 1, batch):
        A[0] = X[i:i + batch]
        for k, W in enumerate(Ws):
            np.matmul(A[k], W.T, out=A[k + 1])
        delta = A[-1]
        for k in range(len(Ws) - 1, -1, -1):
            np.matmul(delta.T, A[k], out=dWs[k])
            if k > 0:
                delta = delta @ Ws[k]
        steps += 1
    return (time.perf_counter() - t0) / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--src", default=None, help="import backprop from this src folder")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads for both the fit and the products (default 1)")
    args = parser.parse_args()
    if args.src:
        sys.path.insert(0, args.src)
    from threadpoolctl import threadpool_limits

    import backprop as bp

    rng = np.random.default_rng(0)
    X = rng.random((args.samples, SIZES[0]), dtype=np.float32)
    y = rng.integers(0, SIZES[-1], args.samples)
    net = bp.mlp(list(SIZES), activation="relu", dtype="float32", rng=0)
    opt = bp.Adam(net.parameters(), lr=1e-3)
    loss = bp.SoftmaxCrossEntropy()
    steps = args.samples // args.batch + (args.samples % args.batch > 0)
    with threadpool_limits(args.threads, user_api="blas"):
        extra = {"threads": None} if "threads" in bp.fit.__code__.co_varnames else {}
        net.fit(X[:2048], y[:2048], loss=loss, optimizer=opt, epochs=1, batch_size=args.batch,
                verbose=False, seed=0, **extra)
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.runcall(net.fit, X, y, loss=loss, optimizer=opt, epochs=1,
                        batch_size=args.batch, verbose=False, seed=1, **extra)
        wall = time.perf_counter() - t0
        Ws = [layer.W for layer in net.layers if hasattr(layer, "W")]
        gemm = min(gemm_per_step(X, args.batch, Ws) for _ in range(3))
    stats = pstats.Stats(profile)
    shares: dict[str, float] = {}
    for key, (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        name = category(key)
        shares[name] = shares.get(name, 0.0) + tottime
    dense = shares.pop("products and element-wise", 0.0)
    products = gemm * steps
    shares["products"] = products
    shares["element-wise"] = shares.get("element-wise", 0.0) + max(0.0, dense - products)
    total = sum(shares.values())
    print(f"batch {args.batch}, {args.samples} samples ({steps} steps), {args.threads} BLAS "
          f"thread(s); per step, profiled (wall {1e6 * wall / steps:.0f} us):")
    for name in ("products", "element-wise", "optimiser", "data", "Python"):
        t = shares.get(name, 0.0)
        print(f"  {name:<13} {1e6 * t / steps:7.1f} us  {100 * t / total:5.1f} %")
    print(f"  {'total':<13} {1e6 * total / steps:7.1f} us   fit / products: {total / products:.2f}")


if __name__ == "__main__":
    main()
