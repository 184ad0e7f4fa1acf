"""Learning-rate schedules: closed forms, landmarks, training under a schedule, state, validation.

The schedule cases (``SCHEDULE_CASES`` in ``cases.py``) cover every registered schedule;
``test_contracts.py`` compares each one's learning rate (and, for OneCycleLR, momentum / beta1)
step by step with PyTorch's. Here the same cases go through a state_dict round trip and the
closed forms are checked without torch.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from cases import N_SCHEDULE as N
from cases import SCHEDULE_CASES, metrics

import backprop as bp

EPOCH_CASES = [c for c in SCHEDULE_CASES if not c.needs_metric]
# a sequence of schedules has no closed form of its own (its parts do)
CLOSED_FORM_CASES = [c for c in EPOCH_CASES if c.name not in ("onecycle", "sequential")]
PLATEAU_CASES = [c for c in SCHEDULE_CASES if c.needs_metric]


def _id(case):
    return case.id


def make_opt(kind):
    """Our optimiser on a 3x2 Dense layer."""
    layer = bp.Dense(2, 3, rng=0)
    if kind == "sgd":
        return bp.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    if kind == "sgd0":
        return bp.SGD(layer.parameters(), lr=0.1)
    return {"adam": bp.Adam, "adamw": bp.AdamW}[kind](layer.parameters(), lr=0.01)


def make_pair(kind, torch):
    """Our optimiser and torch's on the same values."""
    opt = make_opt(kind)
    tparams = [torch.from_numpy(p.data.copy()).requires_grad_() for p in opt.params]
    name = {"sgd": "SGD", "sgd0": "SGD", "adam": "Adam", "adamw": "AdamW"}[kind]
    kw = {"lr": opt.lr, "momentum": 0.9} if kind == "sgd" else {"lr": opt.lr}
    return opt, getattr(torch.optim, name)(tparams, **kw)


def momentum_of(opt):
    return opt.betas[0] if hasattr(opt, "betas") else opt.momentum


def run_ours(sched, opt, steps):
    lrs, moms = [sched.get_last_lr()[0]], [momentum_of(opt)]
    for _ in range(steps):
        opt.step()  # gradients are zero: only the schedule matters here
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(momentum_of(opt))
    return lrs, moms


def make_schedule(case, opt):
    return bp.optim.make_schedule(case.name, opt, **case.arguments(opt, bp.optim))


def test_onecycle_turns_on_sgd_momentum_like_torch():
    opt = make_opt("sgd0")
    bp.OneCycleLR(opt, max_lr=0.5, total_steps=10)
    assert opt.momentum == pytest.approx(0.95)


# --- closed forms, independent of torch ------------------------------------------------------
def closed_form(name, kw, base, t):
    if name == "step":
        return base * kw.get("gamma", 0.1) ** (t // kw["step_size"])
    if name == "exponential":
        return base * kw["gamma"] ** t
    if name == "multistep":
        return base * kw.get("gamma", 0.1) ** sum(t >= m for m in kw["milestones"])
    if name == "linear":
        start, end = kw.get("start_factor", 1 / 3), kw.get("end_factor", 1.0)
        total = kw.get("total_iters", 5)
        return base * (start + (end - start) * min(t, total) / total)
    if name == "lambda":
        return base * kw["lr_lambda"](t)
    eta_min = kw.get("eta_min", 0.0)
    if name == "cosine_restarts":
        T_0, mult = kw["T_0"], kw.get("T_mult", 1)
        if mult == 1:
            t_cur, t_i = t % T_0, T_0
        else:  # restart k begins at T_0 (mult^k - 1) / (mult - 1) and lasts T_0 mult^k
            k = int(math.log(t / T_0 * (mult - 1) + 1, mult))
            t_cur, t_i = t - T_0 * (mult**k - 1) // (mult - 1), T_0 * mult**k
        return eta_min + 0.5 * (base - eta_min) * (1 + math.cos(math.pi * t_cur / t_i))
    return eta_min + 0.5 * (base - eta_min) * (1 + math.cos(math.pi * t / kw["T_max"]))


@pytest.mark.parametrize("case", CLOSED_FORM_CASES, ids=_id)
def test_recursive_forms_follow_the_closed_forms(case):
    opt = make_opt(case.optimizer)
    base = opt.lr
    lrs, _ = run_ours(make_schedule(case, opt), opt, N)
    expected = [closed_form(case.name, case.kwargs, base, t) for t in range(N + 1)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-10, atol=1e-15)


def test_onecycle_landmarks():
    # total 100, warm-up 30 %: phase 1 is steps [0, 29], phase 2 [29, 99]
    opt = make_opt("adam")
    sched = bp.OneCycleLR(opt, max_lr=0.4, total_steps=100, div_factor=20.0,
                          final_div_factor=50.0)
    lrs, moms = run_ours(sched, opt, 100)
    assert lrs[0] == pytest.approx(0.4 / 20)           # initial = max / div
    assert moms[0] == pytest.approx(0.95)              # momentum starts at max
    assert lrs[29] == pytest.approx(0.4)               # the peak at pct_start * T - 1
    assert moms[29] == pytest.approx(0.85)             # momentum at its base at the peak
    assert max(lrs) == lrs[29]
    assert lrs[99] == pytest.approx(0.4 / 20 / 50)     # final = initial / final_div
    # halfway through the cosine warm-up the rate is the mean of its ends
    opt = make_opt("sgd")
    lrs, _ = run_ours(bp.OneCycleLR(opt, max_lr=1.0, total_steps=22, pct_start=0.5), opt, 20)
    assert lrs[5] == pytest.approx((0.04 + 1.0) / 2, rel=1e-15)  # step 5 of warm-up [0, 10]


def test_onecycle_cannot_step_past_total_steps():
    opt = make_opt("sgd")
    sched = bp.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(5):
        sched.step()
    last = opt.lr
    with pytest.raises(ValueError, match="stepped 6 times, but total_steps is 5"):
        sched.step()
    assert sched.last_epoch == 5 and opt.lr == last


# --- parameters under a schedule vs torch (beta1 cycling feeds Adam's bias correction) -------
@pytest.mark.parametrize("kind", ["adam", "sgd0", "adamw"])
def test_onecycle_training_matches_torch(kind, torch):
    rng = np.random.default_rng(5)
    target = rng.normal(size=(3, 2))
    opt, topt = make_pair(kind, torch)
    sched = bp.OneCycleLR(opt, max_lr=0.05, total_steps=30)
    tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.05, total_steps=30)
    W = opt.params[0]
    tW = topt.param_groups[0]["params"][0]
    for _ in range(30):
        W.grad[...] = (W.data - target) ** 3  # a quartic bowl: gradients change scale
        opt.params[1].grad[...] = 0.1
        tW.grad = (tW.detach() - torch.from_numpy(target)) ** 3
        topt.param_groups[0]["params"][1].grad = torch.full((3,), 0.1, dtype=torch.float64)
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
    np.testing.assert_allclose(W.data, tW.detach().numpy(), rtol=1e-9)
    np.testing.assert_allclose(opt.params[1].data,
                               topt.param_groups[0]["params"][1].detach().numpy(), rtol=1e-9)


# --- ReduceLROnPlateau -----------------------------------------------------------------------
@pytest.mark.parametrize("case", PLATEAU_CASES, ids=_id)
def test_plateau_counters_match_torch(case, torch):
    """Beyond the rate (test_contracts.py): the bad-epoch and cooldown counters and the best
    value, step by step."""
    opt, topt = make_pair(case.optimizer, torch)
    sched = make_schedule(case, opt)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **case.kwargs)
    ours, ref = [], []
    for m in metrics(case):
        sched.step(m)
        tsched.step(m)
        ours.append((sched.get_last_lr()[0], sched.num_bad_epochs, sched.cooldown_counter,
                     sched.best))
        ref.append((tsched.get_last_lr()[0], tsched.num_bad_epochs, tsched.cooldown_counter,
                    tsched.best))
    assert ours == ref
    assert len({r[0] for r in ours}) > 1  # the rate was reduced at least once


def test_plateau_accepts_numpy_metric_and_rejects_junk():
    opt = make_opt("sgd")
    sched = bp.ReduceLROnPlateau(opt)
    sched.step(np.float32(0.5))
    sched.step(np.array(0.4))
    assert sched.best == pytest.approx(0.4)
    with pytest.raises(TypeError, match="'low'"):
        sched.step("low")


# --- state_dict round trip -------------------------------------------------------------------
@pytest.mark.parametrize("case", EPOCH_CASES, ids=_id)
def test_state_round_trip_continues_identically(case):
    steps = case.steps
    cut = steps // 3
    opt = make_opt(case.optimizer)
    sched = make_schedule(case, opt)
    run_ours(sched, opt, cut)
    saved_opt = opt.state_dict()
    saved_opt.pop("arrays")
    saved = json.loads(json.dumps({"opt": saved_opt, "sched": sched.state_dict()}))
    rest = run_ours(sched, opt, steps - cut)

    opt2 = make_opt(case.optimizer)
    sched2 = make_schedule(case, opt2)
    opt2.load_state_dict({**saved["opt"], "arrays": opt.state_dict()["arrays"]})
    sched2.load_state_dict(saved["sched"])
    assert sched2.get_last_lr() == [rest[0][0]] and opt2.lr == rest[0][0]
    assert run_ours(sched2, opt2, steps - cut) == rest


@pytest.mark.parametrize("case", PLATEAU_CASES, ids=_id)
def test_plateau_state_round_trip(case):
    values = metrics(case)
    opt = make_opt(case.optimizer)
    sched = make_schedule(case, opt)
    for m in values[:20]:
        sched.step(m)
    saved = json.loads(json.dumps({"opt": {k: v for k, v in opt.state_dict().items()
                                           if k != "arrays"},
                                   "sched": sched.state_dict()}))
    opt2 = make_opt(case.optimizer)
    sched2 = bp.ReduceLROnPlateau(opt2, patience=7)  # the saved arguments replace these
    opt2.load_state_dict({**saved["opt"], "arrays": opt.state_dict()["arrays"]})
    sched2.load_state_dict(saved["sched"])
    for m in values[20:]:
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert sched2.num_bad_epochs == sched.num_bad_epochs


def test_load_state_rejects_other_schedule():
    opt = make_opt("sgd")
    state = bp.StepLR(opt, step_size=3).state_dict()
    with pytest.raises(ValueError, match="'StepLR'"):
        bp.ExponentialLR(opt, gamma=0.9).load_state_dict(state)
    del state["gamma"]
    with pytest.raises(ValueError, match="gamma"):
        bp.StepLR(opt, step_size=3).load_state_dict(state)


# --- validation ------------------------------------------------------------------------------
BAD = [
    ("StepLR", {"step_size": 0}, ValueError, "step_size must be >= 1, got 0"),
    ("StepLR", {"step_size": 2.5}, TypeError, "2.5"),
    ("StepLR", {"step_size": 3, "gamma": -0.1}, ValueError, "gamma must be > 0, got -0.1"),
    ("ExponentialLR", {"gamma": 0.0}, ValueError, "gamma must be > 0, got 0"),
    ("CosineAnnealingLR", {"T_max": 0}, ValueError, "T_max must be >= 1, got 0"),
    ("CosineAnnealingLR", {"T_max": 5, "eta_min": -1.0}, ValueError, "eta_min.*-1"),
    ("OneCycleLR", {"max_lr": 0.0, "total_steps": 10}, ValueError, "max_lr must be > 0, got 0"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 0}, ValueError, "total_steps.*got 0"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 1.0}, ValueError,
     r"pct_start must be in \[0, 1\), got 1"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.6, "three_phase": True},
     ValueError, "0.6"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.1}, ValueError,
     "pct_start=0.1, total_steps=10"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "anneal_strategy": "cosine"}, ValueError,
     "'cosine'"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "max_momentum": 1.0}, ValueError,
     "max_momentum.*got 1"),
    ("OneCycleLR", {"max_lr": 0.1, "total_steps": 10, "div_factor": 0}, ValueError,
     "div_factor.*got 0"),
    ("ReduceLROnPlateau", {"mode": "lowest"}, ValueError, "'lowest'"),
    ("ReduceLROnPlateau", {"threshold_mode": "relative"}, ValueError, "'relative'"),
    ("ReduceLROnPlateau", {"factor": 1.0}, ValueError, r"factor must be in \(0, 1\), got 1"),
    ("ReduceLROnPlateau", {"patience": -1}, ValueError, "patience must be >= 0, got -1"),
    ("ReduceLROnPlateau", {"min_lr": -0.1}, ValueError, "min_lr.*-0.1"),
]


@pytest.mark.parametrize("name,kw,exc,match", BAD, ids=[f"{c[0]}-{c[3][:24]}" for c in BAD])
def test_bad_arguments_raise_naming_the_value(name, kw, exc, match):
    opt = make_opt("sgd")
    with pytest.raises(exc, match=match):
        getattr(bp, name)(opt, **kw)


def test_needs_a_backprop_optimizer_and_momentum_to_cycle(torch):
    _, topt = make_pair("sgd", torch)
    with pytest.raises(TypeError, match="SGD"):
        bp.StepLR(topt, step_size=2)
    layer = bp.Dense(2, 2, rng=0)
    plain = bp.Optimizer(layer.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="cycle_momentum=False"):
        bp.OneCycleLR(plain, max_lr=0.1, total_steps=10)
    bp.OneCycleLR(plain, max_lr=0.1, total_steps=10, cycle_momentum=False)
    assert plain.lr == pytest.approx(0.1 / 25)


def test_exports():
    for name in ("StepLR", "ExponentialLR", "CosineAnnealingLR", "OneCycleLR",
                 "ReduceLROnPlateau"):
        assert getattr(bp, name) is getattr(bp.optim, name)
