"""Where one BLAS thread stops being faster than all of them: the measurement behind
``backprop.threads.SMALL_FLOPS``.

For several networks and batch sizes, the matrix products of a training step (forward ``X Wᵀ``,
backward ``dW = δᵀ A`` and ``δ W``: what ``flops_per_step`` counts) are timed with one BLAS thread
and with every core, each setting in its own fresh process, medians of ``--repeats``. Prints the
step's floating-point operations, both times and their ratio, and the smallest step size from
which at least three in four of the larger cases gain ``--gain`` or more from more threads -- the
threshold the policy should use on this machine (three in four, not all: one noisy reading must
not move it). Run it on a quiet machine: other programs on the cores make more
threads look worse than they are.

Usage: ``python benchmarks/threads.py [--repeats 3] [--gain 0.05]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

#: label, layer widths, batch sizes
CASES = [
    ("784-256-128-10", (784, 256, 128, 10), (8, 16, 32, 64, 128, 256, 512)),
    ("784-64-10", (784, 64, 10), (16, 64, 256, 1024)),
    ("784-64x6-10", (784, 64, 64, 64, 64, 64, 64, 10), (16, 64, 256)),
    ("784-1024-1024-10", (784, 1024, 1024, 10), (8, 16, 64, 256)),
]


def _worker(sizes: tuple[int, ...], batch: int, threads: int) -> float:
    """Seconds per step of the products alone, ``threads`` BLAS threads."""
    import numpy as np
    from threadpoolctl import threadpool_limits

    threadpool_limits(threads, user_api="blas")
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((o, i)).astype(np.float32) * 0.05
          for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
    dWs = [np.empty_like(W) for W in Ws]
    A = [rng.standard_normal((batch, s)).astype(np.float32) for s in sizes]
    work = sum(batch * i * o for i, o in zip(sizes[:-1], sizes[1:], strict=True))
    steps = max(20, int(2e9 / (6 * work)))  # about a second of products at 1 Gflop/s

    def step() -> None:
        for k, W in enumerate(Ws):
            np.matmul(A[k], W.T, out=A[k + 1])
        delta = A[-1]
        for k in range(len(Ws) - 1, -1, -1):
            np.matmul(delta.T, A[k], out=dWs[k])
            if k > 0:
                delta = delta @ Ws[k]

    for _ in range(max(3, steps // 20)):
        step()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t0) / steps


def _measure(sizes: tuple[int, ...], batch: int, threads: int) -> float:
    cmd = [sys.executable, __file__, "--worker", ",".join(map(str, sizes)), str(batch),
           str(threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["seconds"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gain", type=float, default=0.05,
                        help="the least gain (fraction of time saved) that makes more threads "
                             "worth it (default 0.05)")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        sizes, batch, threads = args.worker
        seconds = _worker(tuple(int(s) for s in sizes.split(",")), int(batch), int(threads))
        print(json.dumps({"seconds": seconds}))
        return 0

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "src"))
    from backprop.threads import SMALL_FLOPS, available_cores, flops_per_step

    cores = available_cores()
    if cores < 2:
        print("one core: there is no thread count to choose")
        return 0
    print(f"products of one step, seconds; 1 thread vs {cores} threads, medians of "
          f"{args.repeats} (each in its own process); the policy's threshold now: "
          f"{SMALL_FLOPS:.2g} flops")
    print(f"| network | batch | flops/step | 1 thread (ms) | {cores} threads (ms) | ratio |")
    print("|---|---|---|---|---|---|")
    rows = []
    for label, sizes, batches in CASES:
        for batch in batches:
            one, many = [], []
            for _ in range(args.repeats):  # alternate, so drifting load hits both alike
                one.append(_measure(sizes, batch, 1))
                many.append(_measure(sizes, batch, cores))
            t1, tn = statistics.median(one), statistics.median(many)
            flops = flops_per_step(list(zip(sizes[:-1], sizes[1:], strict=True)), batch)
            rows.append((flops, t1, tn))
            print(f"| {label} | {batch} | {flops:.3g} | {t1 * 1e3:.3f} | {tn * 1e3:.3f} | "
                  f"{tn / t1:.2f} |", flush=True)
    rows.sort()
    threshold = None
    for i, (flops, _, _) in enumerate(rows):
        wins = [tn <= (1 - args.gain) * t1 for _, t1, tn in rows[i:]]
        if sum(wins) >= 0.75 * len(wins):
            threshold = flops
            break
    if threshold is None:
        print(f"more threads do not gain {args.gain:.0%} on most larger steps here")
    else:
        print(f"from {threshold:.3g} flops per step on, {cores} threads gain at least "
              f"{args.gain:.0%} on three in four cases or more: the threshold for this machine")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
