"""The schedules added for PyTorch parity: LinearLR, MultiStepLR, CosineAnnealingWarmRestarts,
LambdaLR and SequentialLR (including how it resets its schedules at construction and restarts
them at milestones), each against torch.optim.lr_scheduler over >= 60 steps in float64, through
a JSON state round trip mid-way, and with their validation.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import backprop as bp
from backprop.optim import SCHEDULES

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

N = 70  # steps per sequence (>= 60)
RTOL = 1e-12


def decay(t):
    return 0.95 ** t


def inverse(t):
    return 1.0 / (1.0 + 0.3 * t)


def wiggle(t):
    return 0.5 + 0.5 * math.cos(t / 3.0)


# A spec is (name, kwargs) or ("SequentialLR", [specs...], milestones); every name and kwarg is
# the same in backprop and torch.optim.lr_scheduler.
CASES = [
    ("linear_default", "sgd", ("LinearLR", {})),
    ("linear_warmup", "sgd", ("LinearLR", {"start_factor": 0.1, "total_iters": 8})),
    ("linear_decay", "adam", ("LinearLR", {"start_factor": 1.0, "end_factor": 0.05,
                                           "total_iters": 50})),
    ("linear_both", "adamw", ("LinearLR", {"start_factor": 0.3, "end_factor": 0.7,
                                           "total_iters": 13})),
    ("multistep", "sgd", ("MultiStepLR", {"milestones": [10, 25, 40]})),
    ("multistep_repeat_gamma", "adam", ("MultiStepLR", {"milestones": [5, 5, 30, 61],
                                                        "gamma": 0.5})),
    ("multistep_zero", "sgd", ("MultiStepLR", {"milestones": [0, 20, 45], "gamma": 0.3})),
    ("warm_restarts", "sgd", ("CosineAnnealingWarmRestarts", {"T_0": 10})),
    ("warm_restarts_mult", "adam", ("CosineAnnealingWarmRestarts",
                                    {"T_0": 5, "T_mult": 2, "eta_min": 0.001})),
    ("warm_restarts_one", "sgd", ("CosineAnnealingWarmRestarts", {"T_0": 1, "T_mult": 3})),
    ("lambda_decay", "sgd", ("LambdaLR", {"lr_lambda": decay})),
    ("lambda_inverse", "adamw", ("LambdaLR", {"lr_lambda": inverse})),
    ("sequential_warmup_cosine", "sgd",
     ("SequentialLR", [("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
                       ("CosineAnnealingLR", {"T_max": 65})], [5])),
    ("sequential_warmup_cosine_eta_min", "adam",
     ("SequentialLR", [("LinearLR", {"start_factor": 0.25, "total_iters": 7}),
                       ("CosineAnnealingLR", {"T_max": 20, "eta_min": 0.003})], [7])),
    ("sequential_warmup_restarts", "sgd",
     ("SequentialLR", [("LinearLR", {"start_factor": 0.5, "total_iters": 4}),
                       ("CosineAnnealingWarmRestarts", {"T_0": 6, "T_mult": 2})], [4])),
    ("sequential_three", "adamw",
     ("SequentialLR", [("ExponentialLR", {"gamma": 0.9}),
                       ("StepLR", {"step_size": 4, "gamma": 0.5}),
                       ("MultiStepLR", {"milestones": [3, 9], "gamma": 0.2})], [10, 30])),
    ("sequential_later_linear", "sgd",
     ("SequentialLR", [("MultiStepLR", {"milestones": [3, 6]}),
                       ("LinearLR", {"start_factor": 0.2, "end_factor": 0.9,
                                     "total_iters": 9}),
                       ("LambdaLR", {"lr_lambda": wiggle})], [8, 30])),
    ("sequential_early_switch", "sgd",
     ("SequentialLR", [("StepLR", {"step_size": 2}),
                       ("ExponentialLR", {"gamma": 0.97})], [1])),
]
IDS = [c[0] for c in CASES]


def make_pair(kind):
    """Our optimiser on a 3x2 Dense layer and torch's on the same values."""
    layer = bp.Dense(2, 3, rng=0)
    tparams = [torch.from_numpy(p.data.copy()).requires_grad_() for p in layer.parameters()]
    if kind == "sgd":
        return (bp.SGD(layer.parameters(), lr=0.1, momentum=0.9),
                torch.optim.SGD(tparams, lr=0.1, momentum=0.9))
    name = "Adam" if kind == "adam" else "AdamW"
    return (getattr(bp, name)(layer.parameters(), lr=0.01),
            getattr(torch.optim, name)(tparams, lr=0.01))


def build(lib, opt, spec):
    if spec[0] == "SequentialLR":
        children = [build(lib, opt, child) for child in spec[1]]
        return lib.SequentialLR(opt, children, milestones=list(spec[2]))
    name, kw = spec
    return getattr(lib, name)(opt, **kw)


def run_ours(sched, opt, steps):
    lrs = [sched.get_last_lr()[0]]
    for _ in range(steps):
        opt.step()  # gradients are zero: only the schedule matters here
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        assert opt.lr == lrs[-1]
    return lrs


def run_torch(tsched, topt, steps):
    lrs = [tsched.get_last_lr()[0]]
    for _ in range(steps):
        for p in topt.param_groups[0]["params"]:
            p.grad = torch.zeros_like(p)
        topt.step()
        tsched.step()
        lrs.append(tsched.get_last_lr()[0])
    return lrs


def worst_relative(a, b):
    """max |a - b| / |b| (0 where both are 0)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    diff = np.abs(a - b)
    assert np.all(diff[b == 0] == 0)
    return float(np.max(diff[b != 0] / np.abs(b[b != 0]), initial=0.0))


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("id_,kind,spec", CASES, ids=IDS)
def test_sequence_matches_torch(id_, kind, spec):
    opt, topt = make_pair(kind)
    lrs = run_ours(build(bp.optim, opt, spec), opt, N)
    tlrs = run_torch(build(torch.optim.lr_scheduler, topt, spec), topt, N)
    np.testing.assert_allclose(lrs, tlrs, rtol=RTOL, atol=0)
    assert worst_relative(lrs, tlrs) <= RTOL
    assert len(set(lrs)) > 2  # the schedule really moved the rate


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("id_,kind,spec", CASES, ids=IDS)
def test_state_round_trip_mid_way_continues_like_torch(id_, kind, spec):
    cut = N // 3 + 2
    opt, topt = make_pair(kind)
    sched = build(bp.optim, opt, spec)
    run_ours(sched, opt, cut)
    saved_opt = opt.state_dict()
    arrays = saved_opt.pop("arrays")
    saved = json.loads(json.dumps({"opt": saved_opt, "sched": sched.state_dict()}))
    rest = run_ours(sched, opt, N - cut)

    opt2, _ = make_pair(kind)
    sched2 = build(bp.optim, opt2, spec)  # a fresh schedule (LambdaLR: the same function)
    opt2.load_state_dict({**saved["opt"], "arrays": arrays})
    sched2.load_state_dict(saved["sched"])
    assert sched2.get_last_lr() == [rest[0]] and opt2.lr == rest[0]
    assert run_ours(sched2, opt2, N - cut) == rest  # bit-identical to the uninterrupted run

    tlrs = run_torch(build(torch.optim.lr_scheduler, topt, spec), topt, N)
    np.testing.assert_allclose(rest, tlrs[cut:], rtol=RTOL, atol=0)


def test_every_new_schedule_is_registered_and_covered_here():
    new = {"LinearLR": "linear", "MultiStepLR": "multistep",
           "CosineAnnealingWarmRestarts": "cosine_restarts", "LambdaLR": "lambda",
           "SequentialLR": "sequential"}
    covered = set()

    def walk(spec):
        covered.add(spec[0])
        if spec[0] == "SequentialLR":
            for child in spec[1]:
                walk(child)

    for _, _, spec in CASES:
        walk(spec)
    for cls_name, name in new.items():
        cls = SCHEDULES[name]
        assert cls is getattr(bp.optim, cls_name) is getattr(bp, cls_name)
        assert cls.name == name and cls_name in covered
        assert cls.interval == "epoch" and cls.needs_metric is False
    assert SCHEDULES["lambda"].command_line is False
    assert SCHEDULES["sequential"].command_line is False
    assert all(SCHEDULES[n].command_line for n in ("linear", "multistep", "cosine_restarts"))


# --- SequentialLR's construction, step by step ----------------------------------------------
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_sequential_resets_the_rate_and_undoes_the_later_schedules_construction():
    opt, topt = make_pair("sgd")
    warm = bp.LinearLR(opt, start_factor=0.1, total_iters=5)
    main = bp.MultiStepLR(opt, milestones=[0, 3], gamma=0.5)  # its construction halves the rate
    assert opt.lr == pytest.approx(0.1 * 0.1 * 0.5)
    assert opt.initial_lr == 0.1  # set by the first schedule, kept by the second
    assert warm.base_lr == main.base_lr == 0.1
    sched = bp.SequentialLR(opt, [warm, main], milestones=[5])
    # only the warm-up's construction step remains: 0.1 * start_factor
    assert opt.lr == pytest.approx(0.01) and sched.get_last_lr() == [opt.lr]
    assert warm.last_epoch == 0 and main.last_epoch == -1
    twarm = torch.optim.lr_scheduler.LinearLR(topt, start_factor=0.1, total_iters=5)
    tmain = torch.optim.lr_scheduler.MultiStepLR(topt, milestones=[0, 3], gamma=0.5)
    tsched = torch.optim.lr_scheduler.SequentialLR(topt, [twarm, tmain], milestones=[5])
    assert tsched.get_last_lr() == sched.get_last_lr()
    assert (tmain.last_epoch, twarm.last_epoch) == (main.last_epoch, warm.last_epoch)
    lrs = run_ours(sched, opt, 12)
    tlrs = run_torch(tsched, topt, 12)
    assert lrs == tlrs
    # at the milestone the main schedule restarts at its step 0 in closed form: base * gamma^1
    assert lrs[5] == pytest.approx(0.1 * 0.5)


def test_sequential_in_fit_resumes_from_a_checkpoint_identically(tmp_path):
    X, y = bp.datasets.spirals(120, n_classes=3, noise=0.2, rng=3)

    def run(folder, resume=None, stop_after=None):
        net = bp.mlp([2, 8, 3], activation="tanh", rng=5)
        opt = bp.SGD(net.parameters(), lr=0.05, momentum=0.9)
        warm = bp.LinearLR(opt, start_factor=0.2, total_iters=2)
        main = bp.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2)
        sched = bp.SequentialLR(opt, [warm, main], milestones=[2])
        callbacks = []
        if stop_after is not None:
            callbacks.append(bp.LambdaCallback(
                on_epoch_end=lambda state, logs: (_ for _ in ()).throw(KeyboardInterrupt)
                if state.epoch == stop_after else None))
        net.fit(X, y, loss="softmax_cross_entropy", optimizer=opt, schedule=sched, epochs=7,
                batch_size=40, seed=1, verbose=False, checkpoint=folder / "ckpt.npz",
                callbacks=callbacks, resume=resume)
        return net, sched

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    full, full_sched = run(tmp_path / "a")
    run(tmp_path / "b", stop_after=3)
    resumed, resumed_sched = run(tmp_path / "b", resume=tmp_path / "b" / "ckpt.npz")
    assert resumed_sched.get_last_lr() == full_sched.get_last_lr()
    for a, b in zip(full.parameters(), resumed.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)


# --- closed forms, independent of torch ------------------------------------------------------
def test_linear_and_multistep_follow_their_closed_forms():
    opt, _ = make_pair("sgd")
    lrs = run_ours(bp.LinearLR(opt, start_factor=0.2, end_factor=0.8, total_iters=6), opt, 10)
    expected = [0.1 * (0.2 + 0.6 * min(t, 6) / 6) for t in range(11)]
    np.testing.assert_allclose(lrs, expected, rtol=1e-14)
    opt, _ = make_pair("sgd")
    lrs = run_ours(bp.MultiStepLR(opt, milestones=[2, 2, 5], gamma=0.5), opt, 7)
    np.testing.assert_allclose(lrs, [0.1, 0.1, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125],
                               rtol=1e-15)


def test_warm_restarts_landmarks():
    # T_0 = 4, T_mult = 2: restarts at steps 4 and 12; the rate at a restart is the base rate
    opt, _ = make_pair("sgd")
    sched = bp.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=2, eta_min=0.01)
    lrs = run_ours(sched, opt, 13)
    assert lrs[0] == lrs[4] == lrs[12] == pytest.approx(0.1)
    assert lrs[2] == pytest.approx(0.01 + 0.09 * 0.5)  # halfway through the first period
    assert lrs[8] == pytest.approx(0.01 + 0.09 * 0.5)  # halfway through the second (8 steps)
    assert (sched.T_i, sched.T_cur) == (16, 1)


def test_lambda_state_leaves_the_callable_out():
    opt, _ = make_pair("sgd")
    sched = bp.LambdaLR(opt, lr_lambda=lambda t: 1.0 / (t + 1))
    run_ours(sched, opt, 3)
    state = sched.state_dict()
    assert "lr_lambda" not in state and json.loads(json.dumps(state)) == state
    assert state["last_epoch"] == 3 and opt.lr == pytest.approx(0.1 / 4)
    assert "LambdaLR(lr_lambda=<lambda>" in repr(sched)


# --- validation ------------------------------------------------------------------------------
BAD = [
    ("LinearLR", {"start_factor": 0.0}, ValueError, r"start_factor must be in \(0, 1\], got 0"),
    ("LinearLR", {"start_factor": 1.5}, ValueError, "start_factor.*1.5"),
    ("LinearLR", {"end_factor": -0.1}, ValueError, r"end_factor must be in \[0, 1\], got -0.1"),
    ("LinearLR", {"total_iters": 0}, ValueError, "total_iters must be >= 1, got 0"),
    ("MultiStepLR", {"milestones": [5, 3]}, ValueError, r"non-decreasing order, got \[5, 3\]"),
    ("MultiStepLR", {"milestones": [2, -1]}, ValueError, "milestones entry must be >= 0, got -1"),
    ("MultiStepLR", {"milestones": 10}, TypeError, "list of integers, got 10"),
    ("MultiStepLR", {"milestones": [2.5]}, TypeError, "2.5"),
    ("MultiStepLR", {"milestones": [2], "gamma": 0.0}, ValueError, "gamma must be > 0, got 0"),
    ("CosineAnnealingWarmRestarts", {"T_0": 0}, ValueError, "T_0 must be >= 1, got 0"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 0}, ValueError, "T_mult.*got 0"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3.5}, TypeError, "3.5"),
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "eta_min": -1.0}, ValueError, "eta_min.*-1"),
    ("LambdaLR", {"lr_lambda": 0.5}, TypeError, "callable.*0.5"),
    ("LambdaLR", {"lr_lambda": lambda t: "fast"}, TypeError, r"lr_lambda\(0\).*'fast'"),
    ("LambdaLR", {"lr_lambda": lambda t: -1.0}, ValueError, "learning rate.*-0.1"),
]


@pytest.mark.parametrize("name,kw,exc,match", BAD, ids=[f"{c[0]}-{c[3][:24]}" for c in BAD])
def test_bad_arguments_raise_naming_the_value(name, kw, exc, match):
    opt, _ = make_pair("sgd")
    with pytest.raises(exc, match=match):
        getattr(bp, name)(opt, **kw)


def test_sequential_refuses_what_torch_refuses_or_breaks_on():
    opt, _ = make_pair("sgd")
    other, _ = make_pair("sgd")
    warm = bp.LinearLR(opt)
    with pytest.raises(ValueError, match="at least one"):
        bp.SequentialLR(opt, [], milestones=[])
    with pytest.raises(ValueError, match="ReduceLROnPlateau.*metric"):
        bp.SequentialLR(opt, [warm, bp.ReduceLROnPlateau(opt)], milestones=[3])
    with pytest.raises(ValueError, match="another optimizer"):
        bp.SequentialLR(opt, [warm, bp.StepLR(other, step_size=2)], milestones=[3])
    with pytest.raises(ValueError, match="one milestone fewer.*2 schedules.*\\[3, 6\\]"):
        bp.SequentialLR(opt, [warm, bp.StepLR(opt, step_size=2)], milestones=[3, 6])
    with pytest.raises(ValueError, match=r"increasing order, got \[4, 4\]"):
        bp.SequentialLR(opt, [warm, bp.LinearLR(opt), bp.LinearLR(opt)], milestones=[4, 4])
    with pytest.raises(ValueError, match="must be >= 1, got 0"):
        bp.SequentialLR(opt, [warm, bp.LinearLR(opt)], milestones=[0])
    with pytest.raises(TypeError, match="schedulers\\[1\\].*str"):
        bp.SequentialLR(opt, [warm, "cosine"], milestones=[3])
    inner = bp.SequentialLR(opt, [warm, bp.LinearLR(opt)], milestones=[2])
    with pytest.raises(ValueError, match="nesting"):
        bp.SequentialLR(opt, [inner, bp.LinearLR(opt)], milestones=[5])
    onecycle = bp.OneCycleLR(opt, max_lr=0.1, total_steps=20)
    with pytest.raises(ValueError, match=r"intervals \['epoch', 'step'\]"):
        bp.SequentialLR(opt, [bp.LinearLR(opt), onecycle], milestones=[5])


def test_sequential_state_is_all_or_nothing():
    opt, _ = make_pair("sgd")
    sched = bp.SequentialLR(opt, [bp.LinearLR(opt), bp.StepLR(opt, step_size=3)], milestones=[4])
    run_ours(sched, opt, 6)
    good = sched.state_dict()
    assert [s["type"] for s in good["schedulers"]] == ["LinearLR", "StepLR"]
    bad = json.loads(json.dumps(good))
    bad["schedulers"][1]["type"] = "ExponentialLR"
    fresh_opt, _ = make_pair("sgd")
    fresh = bp.SequentialLR(fresh_opt, [bp.LinearLR(fresh_opt), bp.StepLR(fresh_opt, step_size=3)],
                            milestones=[4])
    before = fresh.state_dict()
    with pytest.raises(ValueError, match="'ExponentialLR'"):
        fresh.load_state_dict(bad)
    assert fresh.state_dict() == before
    with pytest.raises(ValueError, match="2 schedule states"):
        fresh.load_state_dict({**good, "schedulers": good["schedulers"][:1]})
