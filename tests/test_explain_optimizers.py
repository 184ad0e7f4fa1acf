"""The trace of steps taken by any optimiser, schedule, batch norm and dropout: every state number
it prints is torch's (float64, relative 1e-12, three steps), and it is the engine's own.

Driven by the optimiser and schedule cases of ``cases.py``: a new optimiser or schedule without
a case turns the completeness tests of ``test_contracts.py`` red, and with a case it is covered
here.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from cases import OPTIMIZER_CASES, SCHEDULE_CASES, metrics

import backprop as bp
from backprop.explain.record import trace_steps
from backprop.explain.words import LANGUAGES

N_STEPS = 3


def _net():
    """Dense (no bias: batch norm would cancel it), tanh, batch norm, Dense: weights, batch-norm
    parameters and a bias, each with its own optimiser state."""
    rng = np.random.default_rng(7)
    net = bp.Sequential(bp.Dense(3, 4, bias=False, rng=1), bp.Tanh(), bp.BatchNorm(4),
                        bp.Dense(4, 3, rng=2))
    net[2].gamma[...] = rng.uniform(0.5, 1.5, 4)
    net[2].beta[...] = rng.normal(0.0, 0.5, 4)
    net[3].b[...] = rng.normal(0.0, 0.5, 3)
    return net


def _batches():
    rng = np.random.default_rng(3)
    return [(rng.normal(size=(6, 3)), rng.integers(0, 3, 6)) for _ in range(N_STEPS)]


def _torch_groups(torch, net, tnet, case):
    tparams = list(tnet.parameters())
    if case.options.get("decay_mask") == "auto":
        flags = [p.decay for p in net.parameters()]
        return [{"params": [t for t, f in zip(tparams, flags, strict=True) if f]},
                {"params": [t for t, f in zip(tparams, flags, strict=True) if not f],
                 "weight_decay": 0.0}]
    return tparams


def _run_torch(torch, net, batches, make_opt, options, make_schedule=None):
    """The same steps in torch; per step: the rate used, parameters, states, BN numbers."""
    from conftest import make_torch_twin

    tnet = make_torch_twin(torch, net)
    topt = make_opt(tnet)
    sched = make_schedule(topt) if make_schedule else None
    params = list(tnet.parameters())
    out = []
    for X, y in batches:
        xt = torch.from_numpy(X).requires_grad_()
        seen = {}
        bn = tnet[2]
        hook = bn.register_forward_hook(
            lambda mod, inp, res, seen=seen: seen.update(x=inp[0].detach()))
        logits = tnet(xt)
        hook.remove()
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(y))
        tnet.zero_grad()
        loss.backward()
        lr = topt.param_groups[0]["lr"]
        before = [p.detach().numpy().copy() for p in params]
        grads = [p.grad.detach().numpy().copy() for p in params]
        if "clip_value" in options:
            torch.nn.utils.clip_grad_value_(params, options["clip_value"])
        norm = None
        if "clip_norm" in options:
            norm = float(torch.nn.utils.clip_grad_norm_(params, options["clip_norm"]))
        topt.step()
        if sched is not None:
            if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
                sched.step(float(loss.detach()))
            else:
                sched.step()
        x = seen["x"]
        out.append({
            "lr": lr, "loss": float(loss.detach()), "norm": norm, "before": before, "grads": grads,
            "after": [p.detach().numpy().copy() for p in params],
            "state": [{k: (v.numpy().copy() if hasattr(v, "numpy") else v)
                       for k, v in topt.state[p].items() if v is not None} for p in params],
            "bn": {"mean": x.mean(0).numpy(), "var": x.var(0, unbiased=False).numpy(),
                   "running_mean": bn.running_mean.numpy().copy(),
                   "running_var": bn.running_var.numpy().copy()},
        })
    return out


def _ours(step):
    """Our numbers of one step in torch's parameter order: W1, gamma, beta, W2, b2."""
    dense1, bn, dense2 = step["layers"]
    values = [("W", dense1), ("gamma", bn), ("beta", bn), ("W", dense2), ("b", dense2)]
    return [(np.array(d[f"{a}_new"]), d.get("state", {}).get(a, {}), np.array(d[a]))
            for a, d in values]


def _compare(ours, theirs, rel_err, tol, label):
    """Every number of every step: parameters, the rate, the state under torch's names, the
    update actually applied, batch norm's statistics. Returns the worst relative error."""
    worst = 0.0

    def check(a, b, what):
        nonlocal worst
        err = rel_err(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
        worst = max(worst, err)
        assert err < tol.parity64, (label, what, err)

    assert len(ours["steps"]) == len(theirs)
    for t, (step, ref) in enumerate(zip(ours["steps"], theirs, strict=True), start=1):
        plain = "optimizer" not in step  # plain SGD: today's object, nothing more
        assert step["learning_rate"] == pytest.approx(ref["lr"], rel=1e-15)
        assert plain or step["learning_rate"] == step["optimizer"]["lr"]
        check(step["loss"], ref["loss"], f"step {t} loss")
        if ref["norm"] is not None and not plain:
            check(step["optimizer"]["clip"]["total_norm"], ref["norm"], "clip norm")
        for i, ((new, state, old), after, tstate, before) in enumerate(zip(
                _ours(step), ref["after"], ref["state"], ref["before"], strict=True)):
            check(new, after, f"step {t} param {i}")
            check(old, before, f"step {t} param {i} before")
            for key, val in tstate.items():
                # every array torch keeps is shown; a count (step) where we keep one
                if np.shape(val) == np.shape(new):
                    assert key in state, (label, key, sorted(state))
                if key in state:
                    check(state[key], val, f"step {t} param {i} {key}")
            # the update recorded is the change applied, to the last bit
            assert plain or np.array_equal(old - np.array(state["update"]), new), (label, t, i)
        bn = step["layers"][1]
        for key in ("mean", "var"):
            check(bn[key], ref["bn"][key], f"step {t} batch {key}")
        check(bn["running_mean_new"], ref["bn"]["running_mean"], "running mean")
        check(bn["running_var_new"], ref["bn"]["running_var"], "running var")
    return worst


@pytest.fixture
def float64_default(torch):
    """NAdam keeps mu_product in torch's default dtype (float32 otherwise)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=lambda c: c.id)
def test_every_optimiser_state_number_is_torchs(case, torch, float64_default, rel_err, tol):
    net, batches = _net(), _batches()
    run = trace_steps(net, bp.SoftmaxCrossEntropy(), batches, optimizer=lambda ps: (
        bp.optim.make_optimizer(case.name, ps, **case.kwargs)))
    ours = json.loads(json.dumps(run.to_dict()))
    theirs = _run_torch(torch, net, batches, lambda tnet: getattr(torch.optim, case.torch_name)(
        _torch_groups(torch, net, tnet, case), **case.torch_kwargs), case.options)
    _compare(ours, theirs, rel_err, tol, case.id)
    assert "optimizer" not in ours["steps"][-1] or ours["steps"][-1]["optimizer"]["step"] == N_STEPS


def test_the_explanation_shows_rmsprops_step_count():
    net, batches = _net(), _batches()
    run = trace_steps(net, bp.SoftmaxCrossEntropy(), batches,
                      optimizer=lambda ps: bp.RMSprop(ps, lr=0.01))
    steps = json.loads(json.dumps(run.to_dict()))["steps"]
    for t, step in enumerate(steps, start=1):
        assert step["layers"][0]["state"]["W"]["step"] == t


_KINDS = {"sgd": ("sgd", {"lr": 0.1, "momentum": 0.9}, "SGD"), "sgd0": ("sgd", {"lr": 0.1}, "SGD"),
          "adam": ("adam", {"lr": 0.01}, "Adam"), "adamw": ("adamw", {"lr": 0.01}, "AdamW")}


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=lambda c: c.id)
def test_every_schedule_sets_torchs_rate_and_the_steps_follow(case, torch, rel_err, tol):
    name, kwargs, torch_name = _KINDS[case.optimizer]
    net, batches = _net(), _batches()
    run = trace_steps(
        net, bp.SoftmaxCrossEntropy(), batches,
        optimizer=lambda ps: bp.optim.make_optimizer(name, ps, **kwargs),
        schedule=lambda o: bp.optim.make_schedule(case.name, o, **case.arguments(o, bp.optim)))
    ours = json.loads(json.dumps(run.to_dict()))
    theirs = _run_torch(
        torch, net, batches, lambda tnet: getattr(torch.optim, torch_name)(
            tnet.parameters(), **kwargs), {},
        lambda topt: getattr(torch.optim.lr_scheduler, case.torch_name)(
            topt, **case.arguments(topt, torch.optim.lr_scheduler)))
    _compare(ours, theirs, rel_err, tol, case.id)
    assert all(s["optimizer"]["name"] == name for s in ours["steps"])  # a schedule: not plain
    assert metrics(case)  # the plateau cases' metric here is each step's loss instead


def _nesterov_net():
    rng = np.random.default_rng(5)
    net = bp.Sequential(bp.Dense(3, 5, rng=rng), bp.Tanh(), bp.Dense(5, 2, rng=rng))
    X, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    return net, X, y


def test_the_articles_look_ahead_and_pytorchs_nesterov_are_one_method_over_50_steps(rel_err):
    """Sutskever's form, as the article describes Nesterov (the gradient taken ahead of the
    parameters), run here by hand with the engine's gradients; PyTorch's form is the trace's.
    With p = θ + μv and v = -αb the two give the same parameters: θ_t = p_t + αμ b_t."""
    net, X, y = _nesterov_net()
    lr, mu, steps = 0.05, 0.9, 50
    run = trace_steps(net, bp.SquaredError(), [(X, y)] * steps, optimizer=lambda ps: bp.SGD(
        ps, lr=lr, momentum=mu, nesterov=True))
    ref = bp.Sequential(*[bp.Dense.from_arrays(l.W, l.b) if isinstance(l, bp.Dense) else
                          bp.Tanh() for l in net])
    theta = [p.data.copy() for p in ref.parameters()]
    v = [np.zeros_like(t) for t in theta]
    loss = bp.SquaredError()
    worst = 0.0
    for t in range(steps):
        for p, th, vi in zip(ref.parameters(), theta, v, strict=True):
            p.data[...] = th + mu * vi  # the look-ahead point
        loss.forward(ref.forward(X), y)
        ref.backward(loss.backward())
        for p, th, vi in zip(ref.parameters(), theta, v, strict=True):
            vi *= mu
            vi -= lr * p.grad
            th += vi
        d = run[t].to_dict()
        for (layer, attr), th in zip([(0, "W"), (0, "b"), (1, "W"), (1, "b")], theta,
                                     strict=True):
            entry = d["layers"][layer]
            p_t = np.array(entry[f"{attr}_new"])
            b_t = np.array(entry["state"][attr]["momentum_buffer"])
            worst = max(worst, rel_err(p_t + lr * mu * b_t, th))
    assert worst < 1e-12, worst


def test_the_nesterov_change_of_variable_is_explained_with_its_numbers():
    net, X, y = _nesterov_net()
    run = trace_steps(net, bp.SquaredError(), [(X[:1], y[:1])] * 2,
                      optimizer=lambda ps: bp.SGD(ps, lr=0.05, momentum=0.9, nesterov=True))
    d = run[1].to_dict()["layers"][1]
    theta = np.array(d["b_new"]) + 0.05 * 0.9 * np.array(d["state"]["b"]["momentum_buffer"])
    for lang in LANGUAGES:
        text = run.to_text(lang)
        assert f"{theta[0]:.6f}" in text
        assert "θ_t = p_t + αμ·b_t" in text
        assert "u_t = g_t + μ·b_t" in text
    md = run.to_markdown()
    assert r"\nabla J" in md


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=lambda c: c.id)
def test_every_optimiser_is_explained_in_every_language(case):
    net, batches = _net(), _batches()[:2]
    run = trace_steps(net, bp.SoftmaxCrossEntropy(), batches, optimizer=lambda ps: (
        bp.optim.make_optimizer(case.name, ps, **case.kwargs)))
    for lang in LANGUAGES:
        text = run.to_text(lang)
        last = run[-1]
        for t in last.layers:
            assert f"{t.W_new[0, 0]:.6f}" in text
        assert f"{last.loss:.6f}" in text
    assert "{" not in run.to_text()  # no LaTeX left in the plain text


def test_the_recorded_numbers_are_the_engines_own():
    """The trace watches the real optimiser: the same steps run directly give the same bits."""
    net, batches = _net(), _batches()
    make = lambda ps: bp.AdamW(ps, lr=0.01, weight_decay=0.1, clip_norm=0.5)  # noqa: E731
    run = trace_steps(net, bp.SoftmaxCrossEntropy(), batches, optimizer=make)
    direct = bp.Sequential(*[__import__("copy").deepcopy(layer) for layer in net])
    opt = make(direct.parameters())
    opt.add_hook(lambda stage, arrays: None)  # observed: the same (NumPy) arithmetic
    loss = bp.SoftmaxCrossEntropy()
    for X, y in batches:
        loss.forward(direct.forward(X), y)
        direct.backward(loss.backward())
        opt.step()
    last = run[-1]
    assert np.array_equal(last.layers[0].W_new, direct[0].W)
    assert np.array_equal(last.layers[1].b_new, direct[3].b)
    bn = last.modules[1]
    assert np.array_equal(bn.params[0].after, direct[2].gamma)
    assert np.array_equal(bn.buffers_after["running_var"], direct[2].running_var)
