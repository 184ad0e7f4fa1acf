"""The optimiser options added for PyTorch parity: Adam/AdamW ``amsgrad``, ``RMSprop`` and
``NAdam``, each against torch.optim over 40 steps in float64 (relative 1e-12), their state under
torch's names, a bit-identical state_dict round trip, and their validation.

Both libraries see the same gradient rule, g = c * (p - target) + noise_k, each computed from
its own parameters: a quadratic bowl plus a fixed noise sequence, so the steps change scale and
sign like real ones. torch runs with its default dtype set to float64, because NAdam keeps its
``mu_product`` in the default dtype (float32 otherwise; see ScaleByNAdam).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import backprop as bp
from backprop import compiled
from backprop.optim import OPTIMIZERS, make_optimizer

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

N_STEPS = 40
RTOL = 1e-12
SIZES = (5, 7, 3)

# (id, optimiser name in both libraries, keyword arguments shared verbatim, layout)
# layout "flat": a Sequential's parameters (one flat buffer); "arrays": separate layers
CASES = [
    ("adam_amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}, "flat"),
    ("adam_amsgrad_decay_betas", "Adam",
     {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True},
     "arrays"),
    ("adamw_amsgrad", "AdamW", {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}, "flat"),
    ("rmsprop_default", "RMSprop", {}, "flat"),
    ("rmsprop_alpha_eps", "RMSprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6}, "arrays"),
    ("rmsprop_small_alpha", "RMSprop", {"lr": 0.003, "alpha": 0.3}, "flat"),
    ("rmsprop_weight_decay", "RMSprop", {"lr": 0.01, "weight_decay": 0.2}, "flat"),
    ("rmsprop_momentum", "RMSprop", {"lr": 0.002, "momentum": 0.9}, "flat"),
    ("rmsprop_centered", "RMSprop", {"lr": 0.004, "centered": True}, "arrays"),
    ("rmsprop_centered_alpha", "RMSprop", {"lr": 0.004, "alpha": 0.4, "centered": True},
     "flat"),
    ("rmsprop_everything", "RMSprop",
     {"lr": 0.003, "alpha": 0.95, "eps": 1e-7, "weight_decay": 0.05, "momentum": 0.5,
      "centered": True}, "flat"),
    ("nadam_default", "NAdam", {}, "flat"),
    ("nadam_betas_eps", "NAdam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}, "arrays"),
    ("nadam_small_beta1", "NAdam", {"lr": 0.01, "betas": (0.3, 0.9)}, "flat"),
    ("nadam_weight_decay", "NAdam", {"lr": 0.01, "weight_decay": 0.1}, "flat"),
    ("nadam_decoupled", "NAdam", {"lr": 0.01, "weight_decay": 0.3,
                                  "decoupled_weight_decay": True}, "arrays"),
    ("nadam_no_momentum_decay", "NAdam", {"lr": 0.005, "momentum_decay": 0.0}, "flat"),
    ("nadam_fast_momentum_decay", "NAdam", {"lr": 0.005, "momentum_decay": 0.05}, "flat"),
]
IDS = [c[0] for c in CASES]

# our state key -> torch's state name (torch keeps one dict per parameter)
STATE_NAMES = {"adam.exp_avg": "exp_avg", "adam.exp_avg_sq": "exp_avg_sq",
               "adam.max_exp_avg_sq": "max_exp_avg_sq",
               "rmsprop.square_avg": "square_avg", "rmsprop.grad_avg": "grad_avg",
               "momentum.buf": "momentum_buffer",
               "nadam.exp_avg": "exp_avg", "nadam.exp_avg_sq": "exp_avg_sq"}


class torch_float64:
    """torch's default dtype set to float64 for the duration (NAdam's mu_product uses it)."""

    def __enter__(self):
        self.old = torch.get_default_dtype()
        torch.set_default_dtype(torch.float64)

    def __exit__(self, *exc):
        torch.set_default_dtype(self.old)


def make_params(layout, dtype=np.float64):
    if layout == "flat":
        net = bp.Sequential(bp.Dense(SIZES[0], SIZES[1], rng=1, dtype=dtype), bp.Tanh(),
                            bp.Dense(SIZES[1], SIZES[2], rng=2, dtype=dtype))
        params = net.parameters()
    else:
        params = (bp.Dense(SIZES[0], SIZES[1], rng=1, dtype=dtype).parameters()
                  + bp.Dense(SIZES[1], SIZES[2], rng=2, dtype=dtype).parameters())
    rng = np.random.default_rng(11)
    for p in params:  # biases away from zero so decay is visible
        p.data[...] = rng.normal(scale=0.5, size=p.shape)
    return params


class Problem:
    """The gradient rule both libraries follow: g = c * (p - target) + noise[k]."""

    def __init__(self, params, steps=N_STEPS):
        rng = np.random.default_rng(3)
        self.c = [rng.uniform(0.1, 5.0, size=p.shape) for p in params]
        self.target = [rng.normal(size=p.shape) for p in params]
        self.noise = [[rng.normal(scale=0.3, size=p.shape) for p in params]
                      for _ in range(steps)]
        self.noise[5][0][...] = 0.0  # a step with a zero gradient block

    def grad(self, i, data, k):
        return self.c[i] * (data - self.target[i]) + self.noise[k][i]


def run_ours(opt, params, problem, steps, start=0):
    for k in range(start, start + steps):
        for i, p in enumerate(params):
            p.grad[...] = problem.grad(i, p.data.astype(np.float64), k)
        opt.step()


def run_torch(topt, tparams, problem, steps):
    with torch_float64():
        for k in range(steps):
            for i, t in enumerate(tparams):
                g = problem.grad(i, t.detach().numpy().astype(np.float64), k)
                t.grad = torch.from_numpy(g.astype(t.detach().numpy().dtype))
            topt.step()


def torch_twin(params):
    return [torch.from_numpy(p.data.copy()).requires_grad_() for p in params]


def relative_error(ours, ref):
    return float(np.max(np.abs(ours - ref) / np.maximum(np.abs(ref), 1e-300)))


@pytest.mark.parametrize("id_,name,kw,layout", CASES, ids=IDS)
def test_matches_torch_optim_float64(id_, name, kw, layout):
    params = make_params(layout)
    start = [p.data.copy() for p in params]
    tparams = torch_twin(params)
    problem = Problem(params)
    opt = getattr(bp, name)(params, **kw)
    with torch_float64():
        topt = getattr(torch.optim, name)(tparams, **kw)
    run_ours(opt, params, problem, N_STEPS)
    run_torch(topt, tparams, problem, N_STEPS)
    worst = 0.0
    for p, t, p0 in zip(params, tparams, start, strict=True):
        ref = t.detach().numpy()
        np.testing.assert_allclose(p.data, ref, rtol=RTOL, atol=0)
        worst = max(worst, relative_error(p.data, ref))
        assert np.abs(p.data - p0).max() > 1e-3  # every parameter really moved
    assert worst <= RTOL
    # the state, under torch's names, holds the same numbers
    state = opt.state_dict()
    seen = set()
    for key, array in state["arrays"].items():
        prefix, index = key.rsplit(".", 1)
        tstate = topt.state[tparams[int(index)]]
        ref = tstate[STATE_NAMES[prefix]].numpy()
        np.testing.assert_allclose(array, ref, rtol=1e-11, atol=1e-300)
        seen.add(STATE_NAMES[prefix])
    tnames = set(topt.state[tparams[0]]) - {"step", "mu_product"}
    assert seen == tnames
    if name == "NAdam":
        assert state["nadam.step"] == int(topt.state[tparams[0]]["step"]) == N_STEPS
        assert state["nadam.mu_product"] == pytest.approx(
            float(topt.state[tparams[0]]["mu_product"]), rel=1e-14)


@pytest.mark.parametrize("id_,name,kw,layout", CASES, ids=IDS)
def test_state_dict_round_trip_resumes_bit_identically(id_, name, kw, layout):
    params = make_params(layout)
    problem = Problem(params)
    opt = getattr(bp, name)(params, **kw)
    run_ours(opt, params, problem, 12)
    state = opt.state_dict()
    arrays = state.pop("arrays")
    saved = json.loads(json.dumps(state))  # the scalars survive JSON
    saved["arrays"] = {k: v.copy() for k, v in arrays.items()}
    weights = [p.data.copy() for p in params]
    run_ours(opt, params, problem, N_STEPS - 12, start=12)

    params2 = make_params(layout)
    for p, w in zip(params2, weights, strict=True):
        p.data[...] = w
    opt2 = getattr(bp, name)(params2, **{**kw, "lr": 0.5})  # lr comes from the state
    opt2.load_state_dict(saved)
    run_ours(opt2, params2, problem, N_STEPS - 12, start=12)
    for a, b in zip(params, params2, strict=True):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("kw", [{}, {"momentum": 0.9, "centered": True}],
                         ids=["plain", "momentum-centered"])
def test_rmsprop_counts_its_steps_as_torch_does(kw):
    """torch's RMSprop keeps state["step"]; ours is the same number, in param_state (what the
    explanation shows), in state_dict and after loading it."""
    params = make_params("flat")
    tparams = torch_twin(params)
    problem = Problem(params)
    opt = bp.RMSprop(params, lr=0.01, **kw)
    topt = torch.optim.RMSprop(tparams, lr=0.01, **kw)
    for k in range(4):
        run_ours(opt, params, problem, 1, start=k)
        with torch_float64():
            for i, tp in enumerate(tparams):
                tp.grad = torch.from_numpy(problem.grad(i, tp.detach().numpy(), k))
            topt.step()
        for i, tp in enumerate(tparams):
            ours = {key: v for tr in opt.transforms for key, v in tr.param_state(i).items()}
            assert ours["step"] == int(topt.state[tp]["step"]) == k + 1
    state = opt.state_dict()
    assert state["rmsprop.step"] == 4
    arrays = state.pop("arrays")
    saved = {**json.loads(json.dumps(state)), "arrays": arrays}
    again = bp.RMSprop(make_params("flat"), lr=0.01, **kw)
    again.load_state_dict(saved)
    assert again.state_dict()["rmsprop.step"] == 4
    with pytest.raises(ValueError, match="rmsprop state 'step' must be an integer >= 0, got -1"):
        again.load_state_dict({**saved, "rmsprop.step": -1})


@pytest.mark.parametrize("name,kw", [("RMSprop", {"momentum": 0.5, "centered": True}),
                                     ("NAdam", {"weight_decay": 0.1}),
                                     ("Adam", {"amsgrad": True})])
def test_float32_stays_float32_and_close_to_torch(name, kw):
    params = make_params("flat", np.float32)
    tparams = torch_twin(params)
    problem = Problem(params)
    opt = getattr(bp, name)(params, lr=0.01, **kw)
    topt = getattr(torch.optim, name)(tparams, lr=0.01, **kw)
    run_ours(opt, params, problem, 10)
    run_torch(topt, tparams, problem, 10)
    for p, t in zip(params, tparams, strict=True):
        assert p.data.dtype == np.float32
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert all(a.dtype == np.float32 for a in opt.state_dict()["arrays"].values())


# --- the compiled fast path and the chain ----------------------------------------------------
def test_amsgrad_leaves_the_compiled_adam_path():
    params = make_params("flat")
    assert bp.Adam(params)._fused is not None
    assert bp.Adam(params, amsgrad=True)._fused is None
    assert bp.AdamW(params, amsgrad=True)._fused is None


def test_amsgrad_off_is_plain_adam_bit_for_bit():
    runs = []
    for kw in ({}, {"amsgrad": False}):
        params = make_params("arrays")  # not flat: the NumPy path in both runs
        run_ours(bp.Adam(params, lr=0.01, **kw), params, Problem(params), 10)
        runs.append([p.data.copy() for p in params])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name,kw", [("RMSprop", {"momentum": 0.9, "centered": True}),
                                     ("NAdam", {"decoupled_weight_decay": True,
                                                "weight_decay": 0.1}),
                                     ("AdamW", {"amsgrad": True})])
def test_numpy_fallback_gives_the_same_steps(monkeypatch, name, kw):
    runs = []
    for kernels in (compiled.kernels, None):
        monkeypatch.setattr(compiled, "kernels", kernels)
        params = make_params("flat")
        run_ours(getattr(bp, name)(params, lr=0.01, **kw), params, Problem(params), 15)
        runs.append([p.data.copy() for p in params])
    for a, b in zip(*runs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_chains_are_small_transforms():
    params = make_params("flat")
    assert [t.name for t in bp.RMSprop(params, clip_norm=1.0).transforms] == [
        "clip_norm", "weight_decay", "rmsprop", "momentum"]
    assert [t.name for t in bp.NAdam(params).transforms] == ["weight_decay", "nadam"]
    assert [t.name for t in bp.NAdam(params, decoupled_weight_decay=True).transforms] == [
        "nadam", "weight_decay"]


def test_nadam_hand_worked_first_step():
    # one weight w = 1, gradient 2, defaults: m = 0.2, v = 0.004, denominator sqrt(4) + eps
    layer = bp.Dense.from_arrays([[1.0]])
    opt = bp.NAdam(layer.parameters(), lr=0.1)
    layer.dW[...] = 2.0
    opt.step()
    mu1 = 0.9 * (1 - 0.5 * 0.96 ** 0.004)
    mu2 = 0.9 * (1 - 0.5 * 0.96 ** 0.008)
    d = 2.0 + 1e-8
    step = (1 - mu1) / (1 - mu1) * 2.0 / d + mu2 / (1 - mu1 * mu2) * 0.2 / d
    assert layer.W[0, 0] == pytest.approx(1.0 - 0.1 * step, rel=1e-15)


@pytest.mark.parametrize("name,kw", [("NAdam", {}), ("RMSprop", {"momentum": 0.9})])
def test_onecycle_cycles_beta1_or_momentum_like_torch(name, kw):
    params = make_params("flat")
    tparams = torch_twin(params)
    problem = Problem(params)
    opt = getattr(bp, name)(params, lr=0.01, **kw)
    sched = bp.OneCycleLR(opt, max_lr=0.02, total_steps=N_STEPS)
    with torch_float64():
        topt = getattr(torch.optim, name)(tparams, lr=0.01, **kw)
        tsched = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.02, total_steps=N_STEPS)
    for k in range(N_STEPS - 1):
        run_ours(opt, params, problem, 1, start=k)
        sched.step()
        with torch_float64():
            for i, t in enumerate(tparams):
                t.grad = torch.from_numpy(problem.grad(i, t.detach().numpy(), k))
            topt.step()
            tsched.step()
    for p, t in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=RTOL, atol=0)


# --- registry and validation -----------------------------------------------------------------
def test_registered_by_torch_names_with_torch_defaults():
    params = make_params("flat")
    assert OPTIMIZERS["rmsprop"] is bp.RMSprop is bp.optim.RMSprop
    assert OPTIMIZERS["nadam"] is bp.NAdam is bp.optim.NAdam
    rms = make_optimizer("rmsprop", params)
    assert (rms.lr, rms.alpha, rms.eps, rms.weight_decay, rms.momentum, rms.centered) == (
        1e-2, 0.99, 1e-8, 0.0, 0.0, False)
    nadam = make_optimizer("nadam", params)
    assert (nadam.lr, nadam.betas, nadam.eps, nadam.weight_decay, nadam.momentum_decay,
            nadam.decoupled_weight_decay) == (2e-3, (0.9, 0.999), 1e-8, 0.0, 4e-3, False)
    assert make_optimizer("adamw", params, amsgrad=True).amsgrad is True
    with pytest.raises(TypeError, match="optimizer 'rmsprop' takes no argument 'betas'"):
        make_optimizer("rmsprop", params, betas=(0.9, 0.99))


BAD_ARGS = [
    ("RMSprop", {"alpha": 1.5}, ValueError, r"alpha must be in \[0, 1\], got 1.5"),
    ("RMSprop", {"eps": 0.0}, ValueError, "eps must be > 0, got 0"),
    ("RMSprop", {"momentum": -0.1}, ValueError, "momentum.*-0.1"),
    ("RMSprop", {"weight_decay": -1.0}, ValueError, "weight_decay.*-1"),
    ("RMSprop", {"centered": "yes"}, TypeError, "centered must be True or False, got 'yes'"),
    ("RMSprop", {"lr": -0.01}, ValueError, "-0.01"),
    ("NAdam", {"betas": (0.9, 1.0)}, ValueError, r"beta2 must be in \[0, 1\), got 1"),
    ("NAdam", {"momentum_decay": -0.004}, ValueError, "momentum_decay.*-0.004"),
    ("NAdam", {"decoupled_weight_decay": 1}, TypeError, "decoupled_weight_decay.*got 1"),
    ("NAdam", {"eps": -1e-8}, ValueError, "eps.*-1e-08"),
    ("Adam", {"amsgrad": "true"}, TypeError, "amsgrad must be True or False, got 'true'"),
    ("AdamW", {"amsgrad": None}, TypeError, "amsgrad.*None"),
]


@pytest.mark.parametrize("name,kw,exc,match", BAD_ARGS,
                         ids=[f"{c[0]}-{c[3][:20]}" for c in BAD_ARGS])
def test_bad_hyper_parameters_raise_naming_the_value(name, kw, exc, match):
    with pytest.raises(exc, match=match):
        getattr(bp, name)(make_params("flat"), **kw)


def test_state_of_another_shape_of_chain_is_refused_and_changes_nothing():
    params = make_params("flat")
    problem = Problem(params)
    ams = bp.Adam(params, amsgrad=True)
    run_ours(ams, params, problem, 3)
    plain = bp.Adam(params)
    before = plain.state_dict()
    with pytest.raises(ValueError, match="amsgrad=True, but this optimizer has amsgrad=False"):
        plain.load_state_dict(ams.state_dict())
    after = plain.state_dict()
    assert after["adam.t"] == before["adam.t"] == 0
    centered = bp.RMSprop(params, centered=True)
    run_ours(centered, params, problem, 2)
    with pytest.raises(ValueError, match="centered=True, but this optimizer has centered=False"):
        bp.RMSprop(params).load_state_dict(centered.state_dict())
    with pytest.raises(ValueError, match="'NAdam'"):
        bp.Adam(params).load_state_dict(bp.NAdam(params).state_dict())


def test_settable_hyper_parameters_are_validated():
    params = make_params("flat")
    rms = bp.RMSprop(params, momentum=0.5)
    rms.alpha = 0.5
    rms.momentum = 0.0
    with pytest.raises(ValueError, match="alpha.*-1"):
        rms.alpha = -1.0
    with pytest.raises(AttributeError):
        rms.centered = True  # fixed at construction: it decides which state exists
    nadam = bp.NAdam(params)
    nadam.betas = (0.5, 0.9)
    with pytest.raises(ValueError, match="beta1"):
        nadam.betas = (1.0, 0.9)
    assert nadam.betas == (0.5, 0.9)
    with pytest.raises(AttributeError):
        bp.Adam(params).amsgrad = True
