"""Learning-rate schedules: sequences vs torch.optim.lr_scheduler, closed forms, state, validation.

One registry (SCHEDULES) of schedule configurations; generic tests compare each one's learning
rate (and, for OneCycleLR, momentum / beta1) step by step with PyTorch's, check a state_dict
round trip continues identically, and check the closed forms without torch.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import backprop as bp

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

N = 60  # steps per sequence

# (id, optimiser "sgd" / "sgd0" (no momentum) / "adam" / "adamw", schedule name, kwargs shared
# verbatim by backprop and torch)
SCHEDULES = [
    ("step", "sgd", "StepLR", {"step_size": 7}),
    ("step_gamma", "adam", "StepLR", {"step_size": 4, "gamma": 0.5}),
    ("exponential", "sgd", "ExponentialLR", {"gamma": 0.93}),
    ("cosine", "sgd", "CosineAnnealingLR", {"T_max": N}),
    ("cosine_restart", "adam", "CosineAnnealingLR", {"T_max": 12, "eta_min": 0.002}),
    ("onecycle_sgd", "sgd", "OneCycleLR", {"max_lr": 0.5, "total_steps": N}),
    ("onecycle_sgd_no_momentum", "sgd0", "OneCycleLR", {"max_lr": 0.5, "total_steps": N}),
    ("onecycle_adam", "adam", "OneCycleLR", {"max_lr": 0.01, "total_steps": N}),
    ("onecycle_adamw_linear", "adamw", "OneCycleLR",
     {"max_lr": 0.02, "total_steps": N, "anneal_strategy": "linear", "pct_start": 0.25}),
    ("onecycle_three_phase", "sgd", "OneCycleLR",
     {"max_lr": 1.0, "total_steps": N, "three_phase": True, "div_factor": 10.0,
      "final_div_factor": 100.0, "base_momentum": 0.8, "max_momentum": 0.9}),
    ("onecycle_no_cycle", "adam", "OneCycleLR",
     {"max_lr": 0.01, "total_steps": N, "cycle_momentum": False, "pct_start": 0.5}),
    ("onecycle_short", "sgd", "OneCycleLR", {"max_lr": 0.1, "total_steps": 7}),
]
IDS = [c[0] for c in SCHEDULES]


def make_pair(kind):
    """Our optimiser on a 3x2 Dense layer and torch's on the same values."""
    layer = bp.Dense(2, 3, rng=0)
    tparams = [torch.from_numpy(p.data.copy()).requires_grad_() for p in layer.parameters()]
    if kind == "sgd":
        return (bp.SGD(layer.parameters(), lr=0.1, momentum=0.9),
                torch.optim.SGD(tparams, lr=0.1, momentum=0.9))
    if kind == "sgd0":
        return bp.SGD(layer.parameters(), lr=0.1), torch.optim.SGD(tparams, lr=0.1)
    name = "Adam" if kind == "adam" else "AdamW"
    return (getattr(bp, name)(layer.parameters(), lr=0.01),
            getattr(torch.optim, name)(tparams, lr=0.01))


def momentum_of(opt):
    return opt.betas[0] if hasattr(opt, "betas") else opt.momentum


def torch_momentum_of(topt):
    group = topt.param_groups[0]
    return group["betas"][0] if "betas" in group else group["momentum"]


def n_steps(name, kw):
    return kw["total_steps"] if name == "OneCycleLR" else N


def run_ours(sched, opt, steps):
    lrs, moms = [sched.get_last_lr()[0]], [momentum_of(opt)]
    for _ in range(steps):
        opt.step()  # gradients are zero: only the schedule matters here
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        moms.append(momentum_of(opt))
    return lrs, moms


@pytest.mark.parametrize("id_,kind,name,kw", SCHEDULES, ids=IDS)
def test_sequence_matches_torch(id_, kind, name, kw):
    opt, topt = make_pair(kind)
    sched = getattr(bp.optim, name)(opt, **kw)
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    steps = n_steps(name, kw)
    lrs, moms = run_ours(sched, opt, steps)
    tlrs, tmoms = [tsched.get_last_lr()[0]], [torch_momentum_of(topt)]
    for _ in range(steps):
        for p in topt.param_groups[0]["params"]:
            p.grad = torch.zeros_like(p)
        topt.step()
        tsched.step()
        tlrs.append(tsched.get_last_lr()[0])
        tmoms.append(torch_momentum_of(topt))
    assert opt.lr == lrs[-1]
    if kw.get("anneal_strategy") == "linear":
        # one step past the schedule torch's linear extrapolation is negative; ours stops at 0
        assert tlrs[-1] < 0 and lrs[-1] == 0.0
        lrs, tlrs, moms, tmoms = lrs[:-1], tlrs[:-1], moms[:-1], tmoms[:-1]
    np.testing.assert_allclose(lrs, tlrs, rtol=1e-14, atol=0)
    np.testing.assert_allclose(moms, tmoms, rtol=1e-14, atol=0)
    assert len(set(lrs)) > 2  # the schedule really moved the rate
    if name == "OneCycleLR" and kw.get("cycle_momentum", True):
        assert len(set(moms)) > 2


def test_onecycle_turns_on_sgd_momentum_like_torch():
    opt, _ = make_pair("sgd0")
    bp.OneCycleLR(opt, max_lr=0.5, total_steps=10)
    assert opt.momentum == pytest.approx(0.95)


# --- closed forms, independent of torch ------------------------------------------------------
def closed_form(name, kw, base, t):
    if name == "StepLR":
        return base * kw.get("gamma", 0.1) ** (t // kw["step_size"])
    if name == "ExponentialLR":
        return base * kw["gamma"] ** t
    eta_min = kw.get("eta_min", 0.0)
    return eta_min + 0.5 * (base - eta_min) * (1 + math.cos(math.pi * t / kw["T_max"]))


@pytest.mark.parametrize("id_,kind,name,kw",
                         [c for c in SCHEDULES if c[2] != "OneCycleLR"],
                         ids=[c[0] for c in SCHEDULES if c[2] != "OneCycleLR"])
def test_recursive_forms_follow_the_closed_forms(id_, kind, name, kw):
    opt, _ = make_pair(kind)
    base = opt.lr
    lrs, _ = run_ours(getattr(bp.optim, name)(opt, **kw), opt, N)
    expected = [closed_form(name, kw, base, t) for t in range(N + 1)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-10, atol=1e-15)


def test_onecycle_landmarks():
    # total 100, warm-up 30 %: phase 1 is steps [0, 29], phase 2 [29, 99]
    opt, _ = make_pair("adam")
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
    opt, _ = make_pair("sgd")
    lrs, _ = run_ours(bp.OneCycleLR(opt, max_lr=1.0, total_steps=22, pct_start=0.5), opt, 20)
    assert lrs[5] == pytest.approx((0.04 + 1.0) / 2, rel=1e-15)  # step 5 of warm-up [0, 10]


def test_onecycle_cannot_step_past_total_steps():
    opt, _ = make_pair("sgd")
    sched = bp.OneCycleLR(opt, max_lr=0.1, total_steps=5)
    for _ in range(5):
        sched.step()
    last = opt.lr
    with pytest.raises(ValueError, match="stepped 6 times, but total_steps is 5"):
        sched.step()
    assert sched.last_epoch == 5 and opt.lr == last


# --- parameters under a schedule vs torch (beta1 cycling feeds Adam's bias correction) -------
@pytest.mark.parametrize("kind", ["adam", "sgd0", "adamw"])
def test_onecycle_training_matches_torch(kind):
    rng = np.random.default_rng(5)
    target = rng.normal(size=(3, 2))
    opt, topt = make_pair(kind)
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
def plateau_metrics():
    rng = np.random.default_rng(2)
    falling = np.linspace(1.0, 0.5, 15)
    flat = 0.5 + 0.002 * rng.standard_normal(30)
    again = np.linspace(0.49, 0.3, 10)
    return [float(x) for x in np.concatenate([falling, flat, again, np.full(10, 0.3)])]


PLATEAU = [
    {"patience": 3},
    {"patience": 2, "factor": 0.5, "cooldown": 3},
    {"patience": 1, "factor": 0.2, "min_lr": 1e-3},
    {"patience": 2, "threshold": 0.01, "threshold_mode": "abs"},
    {"mode": "max", "patience": 2},
    {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.0, "cooldown": 1},
    {"patience": 0, "factor": 0.9, "eps": 0.005},
]


@pytest.mark.parametrize("kw", PLATEAU, ids=[",".join(f"{k}={v}" for k, v in c.items())
                                             for c in PLATEAU])
def test_plateau_matches_torch(kw):
    opt, topt = make_pair("sgd")
    sched = bp.ReduceLROnPlateau(opt, **kw)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    metrics = plateau_metrics()
    if kw.get("mode") == "max":
        metrics = [-m for m in metrics]
    ours, ref = [], []
    for m in metrics:
        sched.step(m)
        tsched.step(m)
        ours.append((sched.get_last_lr()[0], sched.num_bad_epochs, sched.cooldown_counter,
                     sched.best))
        ref.append((tsched.get_last_lr()[0], tsched.num_bad_epochs, tsched.cooldown_counter,
                    tsched.best))
    assert ours == ref
    assert len({r[0] for r in ours}) > 1  # the rate was reduced at least once


def test_plateau_accepts_numpy_metric_and_rejects_junk():
    opt, _ = make_pair("sgd")
    sched = bp.ReduceLROnPlateau(opt)
    sched.step(np.float32(0.5))
    sched.step(np.array(0.4))
    assert sched.best == pytest.approx(0.4)
    with pytest.raises(TypeError, match="'low'"):
        sched.step("low")


# --- state_dict round trip -------------------------------------------------------------------
@pytest.mark.parametrize("id_,kind,name,kw", SCHEDULES, ids=IDS)
def test_state_round_trip_continues_identically(id_, kind, name, kw):
    steps = n_steps(name, kw)
    cut = steps // 3
    opt, _ = make_pair(kind)
    sched = getattr(bp.optim, name)(opt, **kw)
    run_ours(sched, opt, cut)
    saved_opt = opt.state_dict()
    saved_opt.pop("arrays")
    saved = json.loads(json.dumps({"opt": saved_opt, "sched": sched.state_dict()}))
    rest = run_ours(sched, opt, steps - cut)

    opt2, _ = make_pair(kind)
    sched2 = getattr(bp.optim, name)(opt2, **kw)
    opt2.load_state_dict({**saved["opt"], "arrays": opt.state_dict()["arrays"]})
    sched2.load_state_dict(saved["sched"])
    assert sched2.get_last_lr() == [rest[0][0]] and opt2.lr == rest[0][0]
    assert run_ours(sched2, opt2, steps - cut) == rest


def test_plateau_state_round_trip():
    metrics = plateau_metrics()
    opt, _ = make_pair("sgd")
    sched = bp.ReduceLROnPlateau(opt, patience=2, cooldown=1)
    for m in metrics[:20]:
        sched.step(m)
    saved = json.loads(json.dumps({"opt": {k: v for k, v in opt.state_dict().items()
                                           if k != "arrays"},
                                   "sched": sched.state_dict()}))
    opt2, _ = make_pair("sgd")
    sched2 = bp.ReduceLROnPlateau(opt2, patience=7)
    opt2.load_state_dict({**saved["opt"], "arrays": opt.state_dict()["arrays"]})
    sched2.load_state_dict(saved["sched"])
    for m in metrics[20:]:
        sched.step(m)
        sched2.step(m)
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert sched2.num_bad_epochs == sched.num_bad_epochs


def test_load_state_rejects_other_schedule():
    opt, _ = make_pair("sgd")
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
    opt, _ = make_pair("sgd")
    with pytest.raises(exc, match=match):
        getattr(bp, name)(opt, **kw)


def test_needs_a_backprop_optimizer_and_momentum_to_cycle():
    _, topt = make_pair("sgd")
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
