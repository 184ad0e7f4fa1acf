"""`make bench`: one training epoch in backprop vs PyTorch vs scikit-learn vs the GEMM floor.

Every measurement runs in its own fresh process (two libraries' thread pools in one process fight
over the cores), the libraries alternate within each round, and each figure is the median of
``--repeats`` rounds (default 5). PyTorch is taken at its best of default threads and one thread.
Prints seconds per 60,000-sample epoch, the ratios the issue's targets are stated in, peak RSS and
the time of ``import backprop``.

Usage: ``python benchmarks/run.py [--batches 32 128 512] [--repeats 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {  # batch: (vs torch, vs sklearn, vs gemm floor)
    32: (0.6, 0.6, 2.5),
    128: (0.8, 0.7, 1.7),
    512: (1.0, 0.7, 1.3),
}


#: other networks (issue #4: the speed must come from the engine, not from tuning one shape)
OTHER_SHAPES = [
    ("deeper, tanh", "784,512,256,128,64,10", "tanh"),
    ("narrow", "784,64,10", "relu"),
    ("wide", "784,1024,1024,10", "relu"),
]


def measure(lib: str, batch: int, threads: int | None = None, sizes: str | None = None,
            activation: str = "relu") -> dict:
    cmd = [sys.executable, str(HERE / "epoch_worker.py"), lib, str(batch),
           "--activation", activation]
    if threads:
        cmd += ["--threads", str(threads)]
    if sizes:
        cmd += ["--sizes", sizes]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{lib} (batch {batch}) failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_time(repeats: int) -> float:
    code = "import time; t=time.perf_counter(); import backprop; print(time.perf_counter()-t)"
    times = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True)
        times.append(float(done.stdout.strip()))
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128, 512])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--libs", nargs="+",
                        default=["gemm", "backprop", "backprop-loop", "torch", "torch-1",
                                 "sklearn"])
    parser.add_argument("--shapes-batch", type=int, default=64,
                        help="batch size of the other-shapes table (0 skips it)")
    args = parser.parse_args()
    runs: dict[tuple[str, int], list[dict]] = {}
    for batch in args.batches:
        for r in range(args.repeats):
            for lib in args.libs:
                name, threads = ("torch", 1) if lib == "torch-1" else (lib, None)
                res = measure(name, batch, threads)
                runs.setdefault((lib, batch), []).append(res)
                print(f"  round {r + 1} batch {batch:>4} {lib:<14} {res['seconds']:7.3f} s  "
                      f"{res['peak_rss_mb']:7.1f} MB", file=sys.stderr, flush=True)

    def med(lib: str, batch: int, key: str = "seconds") -> float:
        return statistics.median(x[key] for x in runs[(lib, batch)])

    has = set(args.libs)
    print("\nSeconds per 60,000-sample epoch (median of "
          f"{args.repeats}), 784-256-128-10 ReLU, Adam, float32\n")
    header = ["batch", "GEMM floor", "backprop fit", "backprop loop", "PyTorch (best)",
              "scikit-learn", "bp/PyTorch", "bp/sklearn", "bp/GEMM", "targets met"]
    print(" | ".join(header))
    print(" | ".join("---" for _ in header))
    all_met = True
    for batch in args.batches:
        torch_best = min(med(t, batch) for t in ("torch", "torch-1") if t in has) if (
            {"torch", "torch-1"} & has) else float("nan")
        bp_fit = med("backprop", batch) if "backprop" in has else float("nan")
        bp_loop = med("backprop-loop", batch) if "backprop-loop" in has else float("nan")
        gemm = med("gemm", batch) if "gemm" in has else float("nan")
        skl = med("sklearn", batch) if "sklearn" in has else float("nan")
        r_t, r_s, r_g = bp_fit / torch_best, bp_fit / skl, bp_fit / gemm
        tgt = TARGETS.get(batch)
        met = "n/a"
        if tgt:
            ok = r_t <= tgt[0] and r_s <= tgt[1] and r_g <= tgt[2]
            all_met &= ok
            met = "yes" if ok else f"no (need {tgt[0]}/{tgt[1]}/{tgt[2]})"
        print(f"{batch} | {gemm:.3f} | {bp_fit:.3f} | {bp_loop:.3f} | {torch_best:.3f} | "
              f"{skl:.3f} | {r_t:.2f} | {r_s:.2f} | {r_g:.2f} | {met}")
    print("\nPeak RSS (MB, own process, largest batch):")
    big = max(args.batches)
    for lib in args.libs:
        print(f"  {lib:<14} {med(lib, big, 'peak_rss_mb'):8.1f}")
    if args.shapes_batch:
        b = args.shapes_batch
        print(f"\nOther networks, batch {b}, seconds per epoch (median of {args.repeats}):\n")
        print("network | backprop fit | PyTorch (best) | scikit-learn | bp/PyTorch | bp/sklearn")
        print("--- | --- | --- | --- | --- | ---")
        for label, sizes, act in OTHER_SHAPES:
            res: dict[str, list[float]] = {}
            for _ in range(args.repeats):
                for lib, threads in (("backprop", None), ("torch", None), ("torch", 1),
                                     ("sklearn", None)):
                    key = lib if threads is None else f"{lib}-1"
                    r = measure(lib, b, threads, sizes, act)
                    res.setdefault(key, []).append(r["seconds"])
                    print(f"  {label:<14} {key:<10} {r['seconds']:7.3f} s", file=sys.stderr,
                          flush=True)
            bp_t = statistics.median(res["backprop"])
            t_t = min(statistics.median(res["torch"]), statistics.median(res["torch-1"]))
            s_t = statistics.median(res["sklearn"])
            print(f"{label} ({sizes.replace(',', '-')}, {act}) | {bp_t:.3f} | {t_t:.3f} | "
                  f"{s_t:.3f} | {bp_t / t_t:.2f} | {bp_t / s_t:.2f}")
    print(f"\nimport backprop: {import_time(5) * 1000:.0f} ms (median of 5 fresh processes)")
    print("all speed targets met" if all_met else "some speed targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
