"""The marker measured on a corpus the test generates: several networks (the article's 2-2-1, a
2-2-2 sigmoid net, a 3-4-3 softmax cross-entropy net on a batch of 3, a 2-3-2-1 tanh/ReLU net,
an Adam step, two steps of momentum) with weights drawn from seeds.

* every misconception of the catalogue planted where it changes a number (at the first, a middle
  and the last such quantity of each network), as
  a learner who holds it writes the whole worksheet (the wrong rule at that step, the right
  rules after it, every number rounded as with a calculator -- four decimals, four significant
  digits -- and the next computed from it): the first wrong number must be found every time
  and the misconception named in at least 95% of the worksheets;
* correct worksheets rounded to 3, 4 or 6 decimals at every step (each number computed from
  the rounded ones before it): no number may be marked wrong;
* every worksheet is marked in under 200 ms.

Run with ``-s`` to see the figures.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

import backprop as bp
from backprop.explain.misconceptions import MISCONCEPTIONS, plant, sites
from backprop.explain.worksheet import Worksheet, calculator, calculator_decimals

ROOT = Path(__file__).resolve().parents[1]
#: seeds of the planted corpus (each network drawn anew) and of the correct one
PLANTED_SEEDS = range(3)
CORRECT_SEEDS = range(56)  # x 6 networks x 3 roundings = 1008 worksheets
LIMIT_MS = 200.0


def _weights(rng: np.random.Generator, *shape: int, scale: float = 1.0) -> list:
    return np.round(rng.uniform(-scale, scale, size=shape), 2).tolist()


def _relu_alive(spec: dict) -> bool:
    tr = bp.load_spec(spec).trace()
    return all(np.all(t.z > 0.05) for t in tr.layers if t.activation == "relu")


def networks(seed: int) -> dict[str, dict]:
    """The corpus's six networks, their weights (two decimals) drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    out = {"2-2-1 article": json.loads((ROOT / "examples" / "article.json").read_text())}
    out["2-2-2 sigmoid"] = {
        "x": _weights(rng, 2), "y": np.round(rng.uniform(0, 1, 2), 2).tolist(),
        "layers": [{"W": _weights(rng, 2, 2), "b": _weights(rng, 2, scale=0.3),
                    "activation": "sigmoid"},
                   {"W": _weights(rng, 2, 2), "b": _weights(rng, 2, scale=0.3),
                    "activation": "sigmoid"}],
        "loss": "squared", "learning_rate": 0.5}
    out["3-4-3 softmax, batch of 3"] = {
        "x": _weights(rng, 3, 3), "y": rng.permutation(3).tolist(),
        "layers": [{"W": _weights(rng, 4, 3), "b": _weights(rng, 4, scale=0.3),
                    "activation": "tanh"},
                   {"W": _weights(rng, 3, 4), "b": _weights(rng, 3, scale=0.3),
                    "activation": "softmax"}],
        "loss": "softmax_cross_entropy", "learning_rate": 0.5}
    while True:
        relu = {"x": _weights(rng, 2), "y": [0.5],
                "layers": [{"W": _weights(rng, 3, 2), "b": _weights(rng, 3, scale=0.3),
                            "activation": "tanh"},
                           {"W": _weights(rng, 2, 3), "b": np.round(rng.uniform(0.1, 0.5, 2),
                                                                    2).tolist(),
                            "activation": "relu"},
                           {"W": _weights(rng, 1, 2), "b": _weights(rng, 1, scale=0.3),
                            "activation": "identity"}],
                "loss": "squared", "learning_rate": 0.1}
        if _relu_alive(relu):
            break
    out["2-3-2-1 tanh/ReLU"] = relu
    out["2-2-1 Adam step"] = {
        "x": _weights(rng, 2), "y": [float(rng.choice([-1.0, 1.0]))],
        "layers": [{"W": _weights(rng, 2, 2), "b": _weights(rng, 2, scale=0.3),
                    "activation": "tanh"},
                   {"W": _weights(rng, 1, 2), "b": _weights(rng, 1, scale=0.3),
                    "activation": "identity"}],
        "loss": "squared",
        # eps 0.01: large enough that where it sits shows in six decimals
        "optimizer": {"name": "adam", "lr": 0.1, "betas": [0.9, 0.999], "eps": 0.01}}
    out["2-2-1 momentum, two steps"] = {
        "x": _weights(rng, 2), "y": [1.0],
        "layers": [{"W": _weights(rng, 2, 2), "b": _weights(rng, 2, scale=0.3),
                    "activation": "sigmoid"},
                   {"W": _weights(rng, 1, 2), "b": _weights(rng, 1, scale=0.3),
                    "activation": "sigmoid"}],
        "loss": "squared", "optimizer": {"name": "sgd", "lr": 0.5, "momentum": 0.9},
        "steps": 2}
    return out


def _timed_check(text: str, sheet: Worksheet) -> tuple[bp.Marking, float]:
    """The marking and its time; a slow one is timed again (best of three), so that another
    process on a shared machine does not count."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        marking = bp.check(text.encode(), sheet)
        best = min(best, (time.perf_counter() - start) * 1e3)
        if best < LIMIT_MS / 4:
            break
    return marking, best


@pytest.fixture(scope="module")
def planted() -> dict:
    """Every misconception planted at every quantity it changes, in every network."""
    rows, times, invisible = [], [], 0
    per_network: dict[str, int] = {}
    for seed in PLANTED_SEEDS:
        for name, spec in networks(seed).items():
            sheet = Worksheet(bp.load_spec(spec))
            for m in MISCONCEPTIONS.values():
                where = sites(sheet, m)
                # at most three places per network: the first, one in the middle, the last
                for key in sorted({where[0], where[len(where) // 2], where[-1]} if where
                                  else set(), key=where.index):
                    # written as with a calculator: four decimals, four significant digits
                    values = plant(sheet, m, key, decimals=calculator)
                    marking, ms = _timed_check(
                        sheet.to_json_text(values, calculator_decimals), sheet)
                    times.append(ms)
                    if marking.all_correct:  # the slip vanishes in the rounding
                        invisible += 1
                        continue
                    first = marking.first_wrong
                    rows.append({"network": name, "misconception": m.id, "at": key,
                                 "found": first.quantity.key == key and first.status == "wrong",
                                 "named": first.misconception == m.id,
                                 "named_as": first.misconception})
                    per_network[name] = per_network.get(name, 0) + 1
    return {"rows": rows, "times": times, "invisible": invisible, "per_network": per_network}


@pytest.fixture(scope="module")
def correct() -> dict:
    """Right worksheets, every number rounded and the next computed from the rounded ones."""
    wrong, times, count = [], [], 0
    for seed in CORRECT_SEEDS:
        for name, spec in networks(seed).items():
            sheet = Worksheet(bp.load_spec(spec))
            for decimals in (3, 4, 6):
                values = sheet.evaluate(decimals=decimals)
                marking, ms = _timed_check(sheet.to_json_text(values, decimals), sheet)
                times.append(ms)
                count += 1
                if not marking.all_correct:
                    wrong.append((seed, name, decimals, [m.path for m in marking.marks
                                                         if m.status != "correct"][:3]))
    return {"count": count, "wrong": wrong, "times": times}


def test_the_first_wrong_number_is_found_every_time(planted):
    rows = planted["rows"]
    assert len(rows) >= 300 and set(planted["per_network"]) == set(networks(0))
    assert {r["misconception"] for r in rows} == set(MISCONCEPTIONS.names())
    missed = [r for r in rows if not r["found"]]
    assert not missed, missed[:5]


def test_the_misconception_is_named_in_at_least_95_percent(planted):
    rows = planted["rows"]
    named = sum(r["named"] for r in rows) / len(rows)
    print(f"\nplanted corpus: {len(rows)} worksheets ({planted['invisible']} more where the "
          f"slip vanished in the rounding), first wrong number found in "
          f"{100 * sum(r['found'] for r in rows) / len(rows):.1f}%, misconception named in "
          f"{100 * named:.1f}%; by network {planted['per_network']}")
    for m in MISCONCEPTIONS.names():
        mine = [r for r in rows if r["misconception"] == m]
        print(f"  {m:40s} {len(mine):4d} worksheets, named {sum(r['named'] for r in mine):4d}")
    assert named >= 0.95, [r for r in rows if not r["named"]][:10]


def test_correct_worksheets_are_never_marked_wrong(correct):
    print(f"\ncorrect corpus: {correct['count']} worksheets rounded to 3, 4 or 6 decimals, "
          f"{len(correct['wrong'])} with a number marked wrong")
    assert correct["count"] >= 1000
    assert not correct["wrong"], correct["wrong"][:5]


def test_a_worksheet_is_marked_in_under_200_ms(planted, correct):
    times = np.array(planted["times"] + correct["times"])
    print(f"\nmarking time per worksheet: mean {times.mean():.1f} ms, median "
          f"{np.median(times):.1f} ms, max {times.max():.1f} ms over {times.size}")
    assert times.max() < LIMIT_MS
