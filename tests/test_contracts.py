"""Generic tests over the table of cases (``tests/cases.py``), which covers every registry.

Each layer, loss, optimiser, schedule and initialiser the library registers is held to the same
contract: gradients against finite differences and against PyTorch (float64, relative 1e-12),
rebuilding from its config, a save/load round trip, the train/eval flag, gradients assigned
rather than accumulated, what it says about itself, and clear errors for bad arguments. The
completeness tests at the end fail when something is registered without a case.
"""

from __future__ import annotations

import inspect
import json
import math
import zlib

import numpy as np
import pytest
from cases import (
    DATASET_CASES,
    INIT_CASES,
    LANGUAGES,
    LAYER_CASES,
    LOSS_CASES,
    OPTIMIZER_CASES,
    ROLES,
    SCHEDULE_CASES,
    activation_cases,
    metrics,
)

import backprop as bp


def _id(case) -> str:
    return case.id


def _rng(*key: object) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _away(x: np.ndarray, points: tuple[float, ...], margin: float = 0.1) -> np.ndarray:
    """``x`` with every value closer than ``margin`` to one of ``points`` pushed to ``margin``
    from it (on its side), so a finite-difference stencil never steps over a kink."""
    x = x.copy()
    for k in points:
        near = np.abs(x - k) < margin
        x[near] = k + np.where(x[near] >= k, margin, -margin)
    return x


def _inputs(case, layer):
    """The input batch and an upstream gradient for ``case`` (fixed by its id)."""
    rng = _rng("layer", case.id)
    x = _away(rng.normal(0.3, 1.5, case.shape), (*getattr(layer, "kinks", ()), *case.avoid))
    m = case.shape[0]
    n_out = layer.output_width(case.shape[1])
    return x, rng.normal(size=(m, n_out))


def _grads(layer):
    return [np.array(p.grad, copy=True) for p in layer.parameters()]


MODES = [pytest.param(c, mode, id=f"{c.id}-{mode}") for c in LAYER_CASES for mode in c.modes]
DETERMINISTIC = [pytest.param(c, mode, id=f"{c.id}-{mode}") for c in LAYER_CASES
                 for mode in c.modes if c.deterministic(mode)]
BAD = [pytest.param(c, kwargs, exc, match,
                   id=f"{c.id}-" + ",".join(f"{k}={v!r}" for k, v in kwargs.items()))
       for c in LAYER_CASES for kwargs, exc, match in c.bad]


# --- layers: gradients ----------------------------------------------------------------------------
@pytest.mark.parametrize(("case", "mode"), DETERMINISTIC)
def test_layer_gradients_match_finite_differences(case, mode, tol):
    layer = case.make()
    x, _ = _inputs(case, layer)
    target = _rng("target", case.id).normal(size=(x.shape[0], layer.output_width(x.shape[1])))
    report = bp.gradcheck(layer, bp.SquaredError(), x, target, check_input=True,
                          train_mode=mode == "train", tolerance=tol.gradcheck)
    assert [p.name for p in report.params] == [*(p.name for p in layer.parameters()), "input"]
    assert report.ok, str(report)
    assert sum(p.kinks for p in report.params) == 0  # the inputs keep away from every kink


@pytest.mark.parametrize(("case", "mode"), DETERMINISTIC)
def test_layer_matches_its_torch_twin(case, mode, torch, torch_twin, rel_err, tol):
    """Forward, dJ/dX, every parameter gradient and every buffer, float64, relative 1e-12."""
    layer = case.make().train(mode == "train")
    twin = torch_twin(layer)
    x, dy = _inputs(case, layer)
    y = layer.forward(x)
    dx = layer.backward(dy)
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    ty = twin(tx)
    ty.backward(torch.from_numpy(dy))
    assert y.dtype == dx.dtype == np.float64
    assert rel_err(y, ty.detach().numpy()) < tol.parity64
    assert rel_err(dx, tx.grad.numpy()) < tol.parity64
    ours, theirs = layer.parameters(), list(twin.parameters())
    assert len(ours) == len(theirs)
    for p, tp in zip(ours, theirs, strict=True):
        assert rel_err(p.grad, tp.grad.numpy()) < tol.parity64, p.name
    state = twin.state_dict()
    for name, buf in layer.buffers().items():
        assert rel_err(buf, state[name].numpy()) < tol.parity64, name


# --- layers: the contract of forward and backward -------------------------------------------------
@pytest.mark.parametrize(("case", "mode"), MODES)
def test_zero_upstream_gradient_gives_zero_gradients(case, mode):
    layer = case.make().train(mode == "train")
    x, dy = _inputs(case, layer)
    layer.forward(x)
    layer.backward(dy)  # leave non-zero gradients behind
    dx = layer.backward(np.zeros_like(dy))
    assert dx.shape == x.shape and not np.any(dx)
    for p in layer.parameters():
        assert not np.any(p.grad), p.name


@pytest.mark.parametrize(("case", "mode"), MODES)
def test_gradients_are_assigned_not_accumulated(case, mode):
    layer = case.make().train(mode == "train")
    x, dy = _inputs(case, layer)
    layer.forward(x)
    for p in layer.parameters():
        p.grad[...] = np.nan  # whatever was there must be overwritten
    dx = np.array(layer.backward(dy), copy=True)
    first = _grads(layer)
    assert all(np.all(np.isfinite(g)) for g in first)
    layer.backward(2.0 * dy + 1.0)
    again = layer.backward(dy)  # the same gradients as a single backward, not their sum
    np.testing.assert_array_equal(again, dx)
    for g, p in zip(first, layer.parameters(), strict=True):
        np.testing.assert_array_equal(p.grad, g, err_msg=p.name)


@pytest.mark.parametrize(("case", "mode"), MODES)
def test_backward_without_input_gradient(case, mode):
    """``input_grad=False`` gives the same parameter gradients; dJ/dX is None or unchanged."""
    layer = case.make().train(mode == "train")
    x, dy = _inputs(case, layer)
    layer.forward(x)
    dx = np.array(layer.backward(dy), copy=True)
    full = _grads(layer)
    for p in layer.parameters():
        p.grad[...] = np.nan
    out = layer.backward(dy, input_grad=False)
    assert out is None or np.array_equal(out, dx)
    for g, p in zip(full, layer.parameters(), strict=True):
        np.testing.assert_array_equal(p.grad, g, err_msg=p.name)


@pytest.mark.parametrize("case", LAYER_CASES, ids=_id)
def test_train_eval_switch(case):
    layer = case.make()
    assert layer.training
    assert layer.eval() is layer and not layer.training
    assert layer.train() is layer and layer.training
    assert layer.train(False) is layer and not layer.training
    net = bp.Sequential(case.make())
    net.eval()
    assert not net[0].training
    net.train()
    assert net[0].training
    x, _ = _inputs(case, layer)
    train_out = np.array(case.make().train().forward(x), copy=True)
    eval_out = case.make().eval().forward(x)
    if "eval" in case.modes:  # the flag changes what the layer computes
        assert not np.array_equal(train_out, eval_out)
    else:  # a layer that does not read the flag computes the same in both modes
        np.testing.assert_array_equal(train_out, eval_out)


# --- layers: configuration and files --------------------------------------------------------------
@pytest.mark.parametrize("case", LAYER_CASES, ids=_id)
def test_config_rebuilds_an_equivalent_layer(case):
    layer = case.make()
    config = json.loads(json.dumps(layer.get_config()))  # JSON-able, as files store it
    clone = type(layer)(**config)
    assert clone.get_config() == layer.get_config()
    assert ([(p.attr, p.shape, p.data.dtype) for p in clone.parameters()]
            == [(p.attr, p.shape, p.data.dtype) for p in layer.parameters()])
    assert set(clone.buffers()) == set(layer.buffers())
    for p, q in zip(layer.parameters(), clone.parameters(), strict=True):
        q.data[...] = p.data
    for name, buf in clone.buffers().items():
        buf[...] = layer.buffers()[name]
    x, _ = _inputs(case, layer)
    for mode in case.modes:
        if case.deterministic(mode):
            np.testing.assert_array_equal(clone.train(mode == "train").forward(x),
                                          layer.train(mode == "train").forward(x))


@pytest.mark.parametrize("case", LAYER_CASES, ids=_id)
def test_save_load_round_trip_is_bit_identical(case, tmp_path):
    net = bp.Sequential(case.make())
    x, _ = _inputs(case, net[0])
    if net.buffers():
        net.forward(2.0 * x + 1.0)  # move the running statistics away from their start
    loaded = bp.load(bp.save(tmp_path / "layer.npz", net))
    assert type(loaded[0]) is type(net[0])
    assert loaded[0].get_config() == net[0].get_config()
    for name, buf in net.buffers().items():
        np.testing.assert_array_equal(loaded.buffers()[name], buf)
    for mode in ("eval", *case.modes):
        if case.deterministic(mode):
            np.testing.assert_array_equal(loaded.train(mode == "train").forward(x),
                                          net.train(mode == "train").forward(x))


# --- layers: what they say about themselves, and bad arguments ------------------------------------
@pytest.mark.parametrize("case", LAYER_CASES, ids=_id)
def test_layer_describes_itself(case):
    layer = case.make()
    assert bp.LAYERS[layer.name] is type(layer)
    assert layer.role in ROLES and layer.role != "container"
    for lang in LANGUAGES:
        assert isinstance(layer.words.get(lang), str) and layer.words[lang].strip(), lang
    label = layer.label()
    assert isinstance(label, str) and label.strip()
    assert repr(layer).startswith(f"{type(layer).__name__}(")
    assert all(p.data.dtype == np.float64 for p in layer.parameters())
    m, n = case.shape
    assert layer.input_width in (None, n)
    x, _ = _inputs(case, layer)
    assert layer.forward(x).shape == (m, layer.output_width(n))


@pytest.mark.parametrize(("case", "kwargs", "exc", "match"), BAD)
def test_bad_constructor_arguments_are_named(case, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        type(case.make())(**kwargs)


@pytest.mark.parametrize("case", LAYER_CASES, ids=_id)
def test_unknown_constructor_argument_is_named(case):
    layer = case.make()
    with pytest.raises(TypeError, match="bogus"):
        type(layer)(**layer.get_config(), bogus=1)


@pytest.mark.parametrize("case", activation_cases(), ids=_id)
def test_activation_says_what_the_library_asks(case):
    act = case.make()
    assert isinstance(act.elementwise, bool) and isinstance(act.can_die, bool)
    assert isinstance(act.kinks, tuple) and all(isinstance(k, float) for k in act.kinks)
    gain = act.gain()
    assert isinstance(gain, float) and math.isfinite(gain) and gain > 0
    assert bp.init.gain(act.name, **act.get_config()) == gain
    assert act.default_init in bp.INITIALIZERS
    notation = act.notation()
    assert isinstance(notation, bp.Notation)
    for pair in (notation.g, notation.slope):
        assert len(pair) == 2 and all(isinstance(s, str) and s for s in pair)
    assert all("<z>" in s for s in notation.g)
    x, dy = _inputs(case, act)
    a = act.forward(x)
    saturated = act.saturated(a)
    assert saturated is None or (saturated.dtype == bool and saturated.shape == a.shape)
    if act.elementwise:
        # g acts on each number alone: permuting units permutes outputs, and backward
        # multiplies dy entry by entry with one slope g'(z) per entry
        perm = _rng("perm", case.id).permutation(x.shape[1])
        np.testing.assert_array_equal(case.make().forward(x[:, perm]), a[:, perm])
        slope = np.array(act.backward(np.ones_like(dy)), copy=True)
        np.testing.assert_allclose(act.backward(dy), dy * slope, rtol=1e-15, atol=0)
        # the slope written with the output a = g(z), where the activation offers it, is the
        # slope backward multiplies by
        from_a = act.slope_of_output(a)
        if from_a is not None:
            np.testing.assert_allclose(from_a, slope, rtol=1e-12, atol=1e-15)


# --- losses ---------------------------------------------------------------------------------------
def _loss_data(case):
    rng = _rng("loss", case.id)
    z = rng.normal(0.0, 2.0, (case.m, case.k))
    return z, case.targets(rng, case.m, case.k)


@pytest.mark.parametrize("case", LOSS_CASES, ids=_id)
def test_loss_matches_torch(case, torch, rel_err, tol):
    z, y = _loss_data(case)
    loss = case.make()
    J = loss.forward(z, y)
    grad = loss.backward()
    tz = torch.from_numpy(z.copy()).requires_grad_(True)
    tJ = case.reference(torch, tz, y)
    tJ.backward()
    assert J == pytest.approx(tJ.item(), rel=tol.parity64, abs=0)
    assert grad.shape == z.shape and grad.dtype == np.float64
    assert rel_err(grad, tz.grad.numpy()) < tol.parity64


@pytest.mark.parametrize("case", LOSS_CASES, ids=_id)
def test_loss_gradient_matches_finite_differences(case, rel_err, tol):
    z, y = _loss_data(case)
    loss = case.make()
    loss.forward(z, y)
    analytic = np.array(loss.backward(), copy=True)
    numeric = bp.numerical_gradient(lambda: loss.forward(z, y), z, eps=1e-6)
    assert rel_err(analytic, numeric) < tol.gradcheck


@pytest.mark.parametrize("case", LOSS_CASES, ids=_id)
def test_loss_sample_weight_of_two_is_the_sample_twice(case, tol):
    """The cost is the weighted mean: a weight of 2 counts a sample twice, 0 leaves it out, a
    common factor changes nothing, ones are the unweighted cost (float64, 1e-12)."""
    z, y = _loss_data(case)
    m = z.shape[0]
    s = (np.arange(m) % 4).astype(float)  # 0, 1, 2, 3, 0, ...: 0 drops a sample
    loss = case.make()
    J = loss.forward(z, y, sample_weight=s)
    grad = np.array(loss.backward(), copy=True)
    rows = np.repeat(np.arange(m), s.astype(int))
    dup = case.make()
    J_dup = dup.forward(z[rows], y[rows])
    grad_dup = np.zeros_like(z)
    np.add.at(grad_dup, rows, dup.backward())  # each row's gradient: the sum over its copies
    assert J == pytest.approx(J_dup, rel=tol.parity64, abs=0)
    np.testing.assert_allclose(grad, grad_dup, rtol=tol.parity64, atol=1e-15)
    assert np.all(grad[s == 0] == 0)
    same = case.make()
    assert same.forward(z, y, sample_weight=0.37 * s) == pytest.approx(J, rel=tol.parity64)
    np.testing.assert_allclose(same.backward(), grad, rtol=tol.parity64, atol=1e-15)
    assert case.make().forward(z, y, sample_weight=np.ones(m)) == pytest.approx(
        case.make().forward(z, y), rel=tol.parity64)


@pytest.mark.parametrize("case", LOSS_CASES, ids=_id)
def test_loss_config_survives_the_registry_and_json(case):
    z, y = _loss_data(case)
    loss = case.make()
    config = loss.get_config()
    rebuilt = bp.LOSSES[loss.name](**json.loads(json.dumps(config)))
    assert rebuilt.get_config() == config
    assert rebuilt.forward(z, y) == loss.forward(z, y)
    np.testing.assert_array_equal(rebuilt.backward(), loss.backward())


@pytest.mark.parametrize("case", LOSS_CASES, ids=_id)
def test_loss_answers_for_itself(case):
    """``link``, ``classifier``, ``prepare_targets`` and ``count_correct`` tell one story."""
    loss = case.make()
    assert bp.LOSSES[loss.name] is type(loss)
    for lang in LANGUAGES:
        assert isinstance(loss.words.get(lang), str) and loss.words[lang].strip(), lang
    with pytest.raises(RuntimeError, match="before forward"):
        loss.backward()
    link = bp.LAYERS[loss.link]  # the output's link is a registered activation
    assert issubclass(link, bp.Activation)
    assert loss.classifier == (loss.link != "identity")
    z, y = _loss_data(case)
    for dtype in (np.float64, np.float32):
        prepared = loss.prepare_targets(y, np.dtype(dtype))
        if np.issubdtype(prepared.dtype, np.integer):  # class labels, also when given as floats
            np.testing.assert_array_equal(loss.prepare_targets(y.astype(float), dtype), y)
        else:
            assert prepared.dtype == dtype
        assert loss.forward(z.astype(dtype), prepared) == pytest.approx(
            case.make().forward(z.astype(dtype), y), rel=1e-6)
    prepared = loss.prepare_targets(y, np.dtype(np.float64))
    correct, total = loss.count_correct(z, prepared)
    if not loss.classifier:
        assert (correct, total) == (0, 0)
        return
    p = link().forward(z)  # what the link makes of the outputs
    if loss.link == "softmax":
        truth = prepared if prepared.ndim == 1 else prepared.argmax(axis=1)
        assert (correct, total) == (np.count_nonzero(p.argmax(axis=1) == truth), z.shape[0])
    else:
        truth = prepared.reshape(z.shape) > 0.5
        assert (correct, total) == (np.count_nonzero((p > 0.5) == truth), z.size)


# --- optimisers -----------------------------------------------------------------------------------
N_OPT_STEPS = 10


def _parameters():
    """Weights, biases and batch-norm parameters (flat buffer: the path training uses)."""
    net = bp.Sequential(bp.Dense(5, 4, rng=1), bp.BatchNorm(4), bp.Dense(4, 3, rng=2))
    rng = np.random.default_rng(11)
    for p in net.parameters():
        if not p.decay:  # biases and batch norm start away from 0 and 1: decay shows
            p.data[...] = rng.normal(scale=0.5, size=p.shape)
    return net.parameters()


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=_id)
def test_optimizer_matches_torch(case, torch, rel_err, tol):
    """N steps from the same start on the same gradients, float64, relative 1e-12.

    torch runs with float64 as its default dtype: NAdam keeps its ``mu_product`` in the default
    dtype (float32 otherwise), where backprop keeps it in float64."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        _optimizer_matches_torch(case, torch, rel_err, tol)
    finally:
        torch.set_default_dtype(before)


def _optimizer_matches_torch(case, torch, rel_err, tol):
    params = _parameters()
    start = [p.data.copy() for p in params]
    opt = bp.optim.make_optimizer(case.name, params, **case.kwargs)
    tparams = [torch.from_numpy(p.data.copy()).requires_grad_() for p in params]
    extra = case.options
    if extra.get("decay_mask") == "auto":
        groups = [{"params": [t for t, p in zip(tparams, params, strict=True) if p.decay]},
                  {"params": [t for t, p in zip(tparams, params, strict=True) if not p.decay],
                   "weight_decay": 0.0}]
    else:
        groups = tparams
    topt = getattr(torch.optim, case.torch_name)(groups, **case.torch_kwargs)
    rng = np.random.default_rng(5)
    seen_norm = seen_value = 0.0
    for _ in range(N_OPT_STEPS):
        noise = [rng.normal(size=p.shape) for p in params]
        for p, n in zip(params, noise, strict=True):  # depends on p: errors would compound
            p.grad[...] = n + 0.3 * p.data
        for t, n in zip(tparams, noise, strict=True):
            t.grad = torch.from_numpy(n) + 0.3 * t.detach()
        opt.step()
        if "clip_value" in extra:
            seen_value = max(seen_value, max(float(t.grad.abs().max()) for t in tparams))
            torch.nn.utils.clip_grad_value_(tparams, extra["clip_value"])
        if "clip_norm" in extra:
            norm = torch.nn.utils.clip_grad_norm_(tparams, extra["clip_norm"])
            seen_norm = max(seen_norm, float(norm))
        topt.step()
    for p, t, p0 in zip(params, tparams, start, strict=True):
        assert rel_err(p.data, t.detach().numpy()) < tol.parity64, p.name
        assert np.abs(p.data - p0).max() > 1e-4, p.name  # every parameter moved
    # the state every transform keeps, under torch's names, is torch's state
    for i, t in enumerate(tparams):
        ours = {k: v for tr in opt.transforms for k, v in tr.param_state(i).items()}
        theirs = topt.state[t]
        arrays = {k for k, v in theirs.items() if hasattr(v, "shape") and v.shape == t.shape}
        assert arrays <= set(ours), (case.id, sorted(arrays), sorted(ours))
        for key, value in ours.items():
            assert key in theirs, (case.id, key, sorted(theirs))
            ref = theirs[key]
            ref = ref.detach().numpy() if hasattr(ref, "detach") else ref
            assert rel_err(value, ref) < tol.parity64, (case.id, key)
    # the clipping cases must clip, or they would not test clipping
    if "clip_norm" in extra:
        assert seen_norm > extra["clip_norm"]
    if "clip_value" in extra:
        assert seen_value > extra["clip_value"]


# --- schedules ------------------------------------------------------------------------------------
def _schedule_pair(kind, torch):
    """Our optimiser on a 3x2 Dense layer and torch's on the same values."""
    layer = bp.Dense(2, 3, rng=0)
    tparams = [torch.from_numpy(p.data.copy()).requires_grad_() for p in layer.parameters()]
    if kind == "sgd":
        return (bp.SGD(layer.parameters(), lr=0.1, momentum=0.9),
                torch.optim.SGD(tparams, lr=0.1, momentum=0.9))
    if kind == "sgd0":
        return bp.SGD(layer.parameters(), lr=0.1), torch.optim.SGD(tparams, lr=0.1)
    name = {"adam": "Adam", "adamw": "AdamW"}[kind]
    return (getattr(bp, name)(layer.parameters(), lr=0.01),
            getattr(torch.optim, name)(tparams, lr=0.01))


def _momentum(opt):
    return opt.betas[0] if hasattr(opt, "betas") else opt.momentum


def _torch_momentum(topt):
    group = topt.param_groups[0]
    return group["betas"][0] if "betas" in group else group["momentum"]


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=_id)
def test_schedule_matches_torch(case, torch):
    """The learning rate (and a cycled momentum / beta1) step by step."""
    opt, topt = _schedule_pair(case.optimizer, torch)
    sched = bp.optim.make_schedule(case.name, opt, **case.arguments(opt, bp.optim))
    tsched = getattr(torch.optim.lr_scheduler, case.torch_name)(
        topt, **case.arguments(topt, torch.optim.lr_scheduler))
    lrs, moms = [opt.lr], [_momentum(opt)]
    tlrs, tmoms = [topt.param_groups[0]["lr"]], [_torch_momentum(topt)]
    args = [(m,) for m in metrics(case)] if case.needs_metric else [()] * case.steps
    for arg in args:
        opt.step()  # the gradients are zero: only the schedule matters
        for t in topt.param_groups[0]["params"]:
            t.grad = torch.zeros_like(t)
        topt.step()
        sched.step(*arg)
        tsched.step(*arg)
        lrs.append(opt.lr)
        moms.append(_momentum(opt))
        tlrs.append(topt.param_groups[0]["lr"])
        tmoms.append(_torch_momentum(topt))
    assert sched.get_last_lr() == [opt.lr]
    if case.kwargs.get("anneal_strategy") == "linear":
        # one step past the schedule torch's linear extrapolation is negative; ours stops at 0
        assert tlrs[-1] < 0 and lrs[-1] == 0.0
        lrs, tlrs, moms, tmoms = lrs[:-1], tlrs[:-1], moms[:-1], tmoms[:-1]
    # the same recursions with the same arithmetic as torch's: far inside tol.parity64
    np.testing.assert_allclose(lrs, tlrs, rtol=1e-14, atol=0)
    np.testing.assert_allclose(moms, tmoms, rtol=1e-14, atol=0)
    assert len(set(lrs)) > (1 if case.needs_metric else 2)  # the schedule moved the rate
    if case.name == "onecycle" and case.kwargs.get("cycle_momentum", True):
        assert len(set(moms)) > 2


@pytest.mark.parametrize("case", SCHEDULE_CASES, ids=_id)
def test_schedule_says_how_it_is_stepped(case):
    opt = bp.SGD(bp.Dense(2, 3, rng=0).parameters(), lr=0.1, momentum=0.9)
    sched = bp.optim.make_schedule(case.name, opt, **case.arguments(opt, bp.optim))
    assert bp.SCHEDULES[case.name] is type(sched)
    assert sched.interval == ("step" if case.per_batch else "epoch")
    assert sched.needs_metric is case.needs_metric
    takes = list(inspect.signature(sched.step).parameters)
    assert len(takes) == (1 if case.needs_metric else 0), takes


# --- initialisers ---------------------------------------------------------------------------------
INIT_SHAPE = (300, 500)  # (n_out, n_in): unequal fans, so a swapped formula shows


@pytest.mark.parametrize("case", INIT_CASES, ids=_id)
def test_initializer_draws_what_its_formula_says(case):
    """Mean and spread within 4 standard errors of the formula's: a wrong fan, a missing gain
    or the other distribution breaks that by tens of standard errors."""
    fn = bp.INITIALIZERS[case.name]
    w = fn(INIT_SHAPE, rng=1, **case.kwargs)
    assert w.shape == INIT_SHAPE and w.dtype == np.float64
    w32 = fn(INIT_SHAPE, rng=1, dtype=np.float32, **case.kwargs)
    assert w32.dtype == np.float32
    np.testing.assert_array_equal(w32, w.astype(np.float32))
    np.testing.assert_array_equal(fn(INIT_SHAPE, rng=1, **case.kwargs), w)  # seeded
    scale = case.scale(INIT_SHAPE[1], INIT_SHAPE[0])
    if case.dist == "zeros":
        assert not w.any()
        return
    n = w.size
    std = scale / math.sqrt(3) if case.dist == "uniform" else scale
    kurtosis = 1.8 if case.dist == "uniform" else 3.0
    assert abs(w.mean()) < 4 * std / math.sqrt(n)
    assert abs(w.std() / std - 1) < 4 * 0.5 * math.sqrt((kurtosis - 1) / n)
    # the shape at equal spread: the share within one standard deviation
    inside = 1 / math.sqrt(3) if case.dist == "uniform" else math.erf(1 / math.sqrt(2))
    share = np.mean(np.abs(w) <= std)
    assert abs(share - inside) < 4 * math.sqrt(inside * (1 - inside) / n)
    if case.dist == "uniform":
        assert scale * (1 - 1e-3) < np.abs(w).max() <= scale


# --- every registry has its cases -----------------------------------------------------------------
def _registries():
    from backprop.data import DATASETS

    return [
        ("LAYERS", bp.LAYERS, [c.name for c in LAYER_CASES], LAYER_CASES),
        ("LOSSES", bp.LOSSES, [c.name for c in LOSS_CASES], LOSS_CASES),
        ("OPTIMIZERS", bp.OPTIMIZERS, [c.name for c in OPTIMIZER_CASES], OPTIMIZER_CASES),
        ("SCHEDULES", bp.SCHEDULES, [c.name for c in SCHEDULE_CASES], SCHEDULE_CASES),
        ("INITIALIZERS", bp.INITIALIZERS, [c.name for c in INIT_CASES], INIT_CASES),
        ("DATASETS", DATASETS, [c.name for c in DATASET_CASES], DATASET_CASES),
    ]


@pytest.mark.parametrize("index", range(6), ids=[r[0] for r in _registries()])
def test_every_registered_entry_has_a_case(index):
    kind, registry, names, cases = _registries()[index]
    missing = [n for n in registry.names() if n not in names]
    assert not missing, (f"registered in {kind} without a test case in tests/cases.py: "
                         f"{missing}")
    unknown = [n for n in names if n not in registry or registry.canonical(n) != n]
    assert not unknown, f"cases name what {kind} does not register (by canonical name): {unknown}"
    ids = [c.id for c in cases]
    assert len(set(ids)) == len(ids), f"duplicate case ids in {kind}"
