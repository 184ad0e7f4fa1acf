"""The MNIST figure: the documented `backprop train` recipe, 3 seeds, median test accuracy.

Protocol (issue #3): the genuine MNIST test set (10,000 images) from ../shared/data/mnist; the
first 8,000 images train, the last 2,000 test. Each seed runs in its own process through the real
command line:

    backprop train mnist --recipe mnist-strong --seed S

Run: ``.venv/bin/python benchmarks/mnist_recipe.py [--seeds 0 1 2]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--recipe", default="mnist-strong")
    parser.add_argument("--extra", nargs=argparse.REMAINDER, default=[],
                        help="further `backprop train` options")
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        cmd = [sys.executable, "-m", "backprop", "train", "mnist", "--recipe", args.recipe,
               "--seed", str(seed), "--json", "--quiet", *args.extra]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(done.stderr.strip(), file=sys.stderr)
            return done.returncode
        result = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(result)
        print(f"seed {seed}: test accuracy {100 * result['test_accuracy']:.2f}%  "
              f"training time {result['seconds']:.1f} s", flush=True)
    accs = [r["test_accuracy"] for r in rows]
    secs = [r["seconds"] for r in rows]
    print(f"median of {len(rows)} seeds: test accuracy {100 * statistics.median(accs):.2f}%, "
          f"{statistics.median(secs):.1f} s per seed (goal: >= 98.0% in under 60 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
