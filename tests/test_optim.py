"""Optimisers and gradient clipping: torch.optim parity, hand-derived rules, state, validation.

The optimiser cases (``OPTIMIZER_CASES`` in ``cases.py``) cover every registered optimiser and
every option; ``test_contracts.py`` runs each against torch.optim in float64 on the same
gradients. Here each also runs on a small network in float32 and through a state_dict round
trip, and the update rules are re-derived by hand in NumPy, independently of torch.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from cases import OPTIMIZER_CASES

import backprop as bp
from backprop.optim import AddDecayedWeights, ClipByGlobalNorm, Momentum, Optimizer, ScaleByAdam

N_STEPS = 30
SIZES = (5, 8, 6, 3)


def _id(case):
    return case.id


def make_data(dtype=np.float64):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(N_STEPS, 16, SIZES[0])).astype(dtype)
    Y = rng.normal(size=(N_STEPS, 16, SIZES[-1])).astype(dtype)
    return X, Y


def make_net(dtype=np.float64):
    return bp.Sequential(
        bp.Dense(SIZES[0], SIZES[1], rng=1, dtype=dtype), bp.Tanh(),
        bp.Dense(SIZES[1], SIZES[2], rng=2, dtype=dtype), bp.Sigmoid(),
        bp.Dense(SIZES[2], SIZES[3], rng=3, dtype=dtype),
    )


def start_net(dtype=np.float64):
    """The network every run starts from (biases made non-zero)."""
    net = make_net(dtype)
    rng = np.random.default_rng(11)
    for p in net.parameters():
        if not p.decay:  # biases start away from zero so decay and masking are visible
            p.data[...] = rng.normal(scale=0.5, size=p.shape)
    return net


def build_ours(net, case, **override):
    return bp.optim.make_optimizer(case.name, net.parameters(), **{**case.kwargs, **override})


def build_torch(torch, net, tnet, case):
    """torch.optim's optimiser; ``decay_mask="auto"`` becomes a group without weight decay."""
    tparams = list(tnet.parameters())
    if case.options.get("decay_mask") == "auto":
        decay = [p.decay for p in net.parameters()]
        params = [{"params": [t for t, d in zip(tparams, decay, strict=True) if d]},
                  {"params": [t for t, d in zip(tparams, decay, strict=True) if not d],
                   "weight_decay": 0.0}]
    else:
        params = tparams
    return getattr(torch.optim, case.torch_name)(params, **case.torch_kwargs)


def torch_step(torch, tnet, topt, x, y, extra=None):
    extra = extra or {}
    topt.zero_grad()
    pred = tnet(torch.from_numpy(x))
    loss = 0.5 * ((pred - torch.from_numpy(y)) ** 2).sum(dim=1).mean()
    loss.backward()
    params = list(tnet.parameters())
    if "clip_value" in extra:
        torch.nn.utils.clip_grad_value_(params, extra["clip_value"])
    if "clip_norm" in extra:
        torch.nn.utils.clip_grad_norm_(params, extra["clip_norm"])
    topt.step()


LOSS = bp.SquaredError()


def our_step(net, opt, x, y):
    LOSS.forward(net.forward(x), y)
    net.backward(LOSS.backward())
    opt.step()


def torch_arrays(tnet):
    return [p.detach().numpy().copy() for p in tnet.parameters()]


def our_arrays(net):
    return [p.data.copy() for p in net.parameters()]


# --- parity with torch.optim on a network, in float32 ----------------------------------------
@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=_id)
def test_float32_matches_torch_and_stays_float32(case, torch, torch_twin, tol):
    X, Y = make_data(np.float32)
    net = start_net(np.float32)
    tnet = torch_twin(net)
    opt = build_ours(net, case)
    topt = build_torch(torch, net, tnet, case)
    for k in range(10):
        our_step(net, opt, X[k], Y[k])
        torch_step(torch, tnet, topt, X[k], Y[k], case.options)
    for ours, ref in zip(our_arrays(net), torch_arrays(tnet), strict=True):
        assert ours.dtype == np.float32
        np.testing.assert_allclose(ours, ref, rtol=10 * tol.parity32, atol=tol.parity32)
    state = opt.state_dict()
    assert all(a.dtype == np.float32 for a in state["arrays"].values())


def test_masked_decay_equals_torch_groups_and_differs_from_unmasked():
    # the registry covers parity; here: masking changes the result, and only through biases
    X, Y = make_data()
    results = {}
    for mask in (None, "auto"):
        net = start_net()
        opt = bp.SGD(net.parameters(), lr=0.1, weight_decay=0.2, decay_mask=mask)
        for k in range(5):
            our_step(net, opt, X[k], Y[k])
        results[mask] = our_arrays(net)
    assert not np.allclose(results[None][1], results["auto"][1])  # a bias


@pytest.mark.parametrize("opt_name", ["SGD", "Adam", "AdamW"])
def test_masked_decay_leaves_biases_alone_with_zero_gradients(opt_name):
    net = start_net()
    params = net.parameters()
    before = our_arrays(net)
    opt = getattr(bp, opt_name)(params, lr=0.1, weight_decay=0.3, decay_mask="auto")
    for p in params:
        p.grad[...] = 0.0
    opt.step()
    for p, p0 in zip(params, before, strict=True):
        if p.decay and opt_name == "Adam":
            # L2 through Adam: the first step is lr * d / (|d| + eps), d = wd p: ~lr towards 0
            d = 0.3 * p0
            np.testing.assert_allclose(p.data, p0 - 0.1 * d / (np.abs(d) + 1e-8), rtol=1e-12)
        elif p.decay:  # SGD and AdamW: exactly p (1 - lr wd)
            np.testing.assert_allclose(p.data, p0 * (1 - 0.1 * 0.3), rtol=1e-15)
        else:
            np.testing.assert_array_equal(p.data, p0)


@pytest.mark.parametrize("mask_form", ["list", "callable"])
def test_mask_forms_agree_with_auto(mask_form):
    X, Y = make_data()
    runs = []
    for form in ("auto", mask_form):
        net = start_net()
        params = net.parameters()
        if form == "list":
            mask = [p.decay for p in params]
        elif form == "callable":
            mask = lambda p: p.attr == "W"  # noqa: E731
        else:
            mask = "auto"
        opt = bp.AdamW(params, lr=0.01, weight_decay=0.5, decay_mask=mask)
        for k in range(4):
            our_step(net, opt, X[k], Y[k])
        runs.append(our_arrays(net))
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


# --- each rule re-derived by hand, without torch --------------------------------------------
def quadratic_holder():
    """A 2x3 weight and a 2-vector bias; J = 1/2 sum c (w - w*)^2, so dJ/dw = c (w - w*)."""
    layer = bp.Dense.from_arrays([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [0.3, -0.2])
    cW = np.array([[1.0, 3.0, 0.5], [2.0, 0.1, 4.0]])
    cb = np.array([0.7, 5.0])

    def set_grads():
        layer.dW[...] = cW * (layer.W - 1.0)
        layer.db[...] = cb * (layer.b + 0.5)
    return layer, set_grads


def reference(kind, kw, steps):
    """The update rules written out literally, one parameter array at a time."""
    W = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
    b = np.array([0.3, -0.2])
    cW = np.array([[1.0, 3.0, 0.5], [2.0, 0.1, 4.0]])
    cb = np.array([0.7, 5.0])
    ps = [W, b]
    lr = kw["lr"]
    wd = kw.get("weight_decay", 0.0)
    mu, tau, nest = kw.get("momentum", 0.0), kw.get("dampening", 0.0), kw.get("nesterov", False)
    b1, b2 = kw.get("betas", (0.9, 0.999))
    eps = kw.get("eps", 1e-8)
    bufs = [None, None]
    m = [np.zeros_like(W), np.zeros_like(b)]
    v = [np.zeros_like(W), np.zeros_like(b)]
    for t in range(1, steps + 1):
        gs = [cW * (ps[0] - 1.0), cb * (ps[1] + 0.5)]
        if "clip_norm" in kw:
            norm = np.sqrt(sum((g ** 2).sum() for g in gs))
            if norm > kw["clip_norm"]:
                gs = [g * (kw["clip_norm"] / (norm + 1e-6)) for g in gs]
        new = []
        for i, (p, g) in enumerate(zip(ps, gs, strict=True)):
            if kind == "sgd":
                d = g + wd * p                               # L2: gradient of wd/2 |p|^2
                if mu > 0:
                    bufs[i] = d if t == 1 else mu * bufs[i] + (1 - tau) * d
                    d = d + mu * bufs[i] if nest else bufs[i]
                new.append(p - lr * d)
            else:
                d = g + wd * p if kind == "adam" else g
                m[i] = b1 * m[i] + (1 - b1) * d
                v[i] = b2 * v[i] + (1 - b2) * d * d
                m_hat = m[i] / (1 - b1 ** t)
                v_hat = v[i] / (1 - b2 ** t)
                step = m_hat / (np.sqrt(v_hat) + eps)
                if kind == "adamw":
                    new.append(p - lr * wd * p - lr * step)  # decoupled: p(1 - lr wd) - lr step
                else:
                    new.append(p - lr * step)
        ps = new
    return ps


HAND_CASES = [
    ("sgd", "SGD", {"lr": 0.1}),
    ("sgd", "SGD", {"lr": 0.05, "momentum": 0.9}),
    ("sgd", "SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.5}),
    ("sgd", "SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    ("sgd", "SGD", {"lr": 0.05, "momentum": 0.6, "weight_decay": 0.2}),
    ("sgd", "SGD", {"lr": 0.05, "momentum": 0.6, "clip_norm": 0.5}),
    ("adam", "Adam", {"lr": 0.1}),
    ("adam", "Adam", {"lr": 0.1, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.3}),
    ("adamw", "AdamW", {"lr": 0.1, "weight_decay": 0.3}),
    ("adamw", "AdamW", {"lr": 0.1, "weight_decay": 0.3, "clip_norm": 0.5}),
]


@pytest.mark.parametrize("kind,opt_name,kw", HAND_CASES,
                         ids=[f"{c[1]}-{'-'.join(c[2])}" for c in HAND_CASES])
def test_rule_matches_hand_derivation(kind, opt_name, kw):
    layer, set_grads = quadratic_holder()
    opt = getattr(bp, opt_name)(layer.parameters(), **kw)
    for _ in range(3):
        set_grads()
        opt.step()
    W_ref, b_ref = reference(kind, kw, 3)
    np.testing.assert_allclose(layer.W, W_ref, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(layer.b, b_ref, rtol=1e-13, atol=1e-15)


def test_hand_worked_numbers():
    # one scalar weight w = 1 with constant gradient g = 2
    layer = bp.Dense.from_arrays([[1.0]])
    # momentum 0.9, lr 0.1: buffers 2, 0.9*2 + 2 = 3.8, 0.9*3.8 + 2 = 5.42
    # w = 1 - 0.1 * (2 + 3.8 + 5.42) = 1 - 1.122 = -0.122
    opt = bp.SGD(layer.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        layer.dW[...] = 2.0
        opt.step()
    assert layer.W[0, 0] == pytest.approx(-0.122, abs=1e-15)
    # Adam's first step: m_hat = g, v_hat = g^2, so w moves by lr * g / (|g| + eps) ~ lr
    # w = 1 - 0.01 * 2 / (2 + 1e-8) = 0.99000000005
    layer = bp.Dense.from_arrays([[1.0]])
    opt = bp.Adam(layer.parameters(), lr=0.01)
    layer.dW[...] = 2.0
    opt.step()
    assert layer.W[0, 0] == pytest.approx(0.99000000005, abs=1e-15)


def test_custom_chain_equals_named_optimizer():
    X, Y = make_data()
    runs = []
    for build in (
        lambda ps: bp.SGD(ps, lr=0.1, momentum=0.9, weight_decay=0.01, clip_norm=0.05),
        lambda ps: Optimizer(ps, lr=0.1, transforms=[ClipByGlobalNorm(0.05),
                                                    AddDecayedWeights(0.01), Momentum(0.9)]),
    ):
        net = start_net()
        opt = build(net.parameters())
        for k in range(5):
            our_step(net, opt, X[k], Y[k])
        runs.append(our_arrays(net))
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)


def test_adamw_is_adam_then_decoupled_decay():
    net = start_net()
    opt = bp.AdamW(net.parameters())
    assert [type(t) for t in opt.transforms] == [ScaleByAdam, AddDecayedWeights]
    opt = bp.Adam(net.parameters(), clip_value=1.0, clip_norm=1.0)
    assert [t.name for t in opt.transforms] == ["clip_value", "clip_norm", "weight_decay", "adam"]


# --- in-place behaviour ----------------------------------------------------------------------
def test_step_updates_in_place_and_leaves_gradients_alone():
    X, Y = make_data()
    net = start_net()
    opt = bp.SGD(net.parameters(), lr=0.1, momentum=0.9, clip_norm=0.01)
    arrays = [p.data for p in net.parameters()]
    loss = bp.SquaredError()
    loss.forward(net.forward(X[0]), Y[0])
    net.backward(loss.backward())
    grads = [p.grad.copy() for p in net.parameters()]
    opt.step()
    for p, a, g in zip(net.parameters(), arrays, grads, strict=True):
        assert p.data is a
        np.testing.assert_array_equal(p.grad, g)
    assert opt.transform("clip_norm").last_norm > 0.01


def test_zero_grad_and_lr_attribute():
    net = start_net()
    opt = bp.SGD(net.parameters(), lr=0.1)
    for p in net.parameters():
        p.grad[...] = 1.0
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in net.parameters())
    opt.lr = 0.0  # allowed: a cosine schedule ends at 0
    before = our_arrays(net)
    for p in net.parameters():
        p.grad[...] = 1.0
    opt.step()
    for a, b in zip(our_arrays(net), before, strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="-0.5"):
        opt.lr = -0.5


def test_momentum_switched_on_later_starts_its_buffer_like_torch(torch, torch_twin, tol):
    X, Y = make_data()
    net = start_net()
    tnet = torch_twin(net)
    opt = bp.SGD(net.parameters(), lr=0.1)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1)
    for k in range(6):
        if k == 3:
            opt.momentum = 0.9
            topt.param_groups[0]["momentum"] = 0.9
        our_step(net, opt, X[k], Y[k])
        torch_step(torch, tnet, topt, X[k], Y[k])
    for a, b in zip(our_arrays(net), torch_arrays(tnet), strict=True):
        np.testing.assert_allclose(a, b, rtol=tol.parity64, atol=1e-14)


# --- clipping functions vs torch.nn.utils ----------------------------------------------------
def grads_pair(torch, dtype, scale=1.0, zero=False):
    net = make_net(dtype)
    rng = np.random.default_rng(3)
    tensors = []
    for p in net.parameters():
        p.grad[...] = 0.0 if zero else rng.normal(scale=scale, size=p.shape)
        t = torch.from_numpy(p.data.copy()).requires_grad_()
        t.grad = torch.from_numpy(p.grad.copy())
        tensors.append(t)
    return net.parameters(), tensors


CLIP_NORM_CASES = [  # max_norm as a multiple of the actual norm
    (np.float64, 0.1), (np.float64, 0.999), (np.float64, 1.0), (np.float64, 1.0 + 1e-7),
    (np.float64, 10.0), (np.float32, 0.25), (np.float32, 4.0),
]


@pytest.mark.parametrize("dtype,ratio", CLIP_NORM_CASES)
def test_clip_grad_norm_matches_torch(dtype, ratio, torch):
    params, tensors = grads_pair(torch, dtype)
    true_norm = float(torch.nn.utils.get_total_norm([t.grad for t in tensors]))
    max_norm = ratio * true_norm
    ours = bp.clip_grad_norm(params, max_norm)
    ref = float(torch.nn.utils.clip_grad_norm_(tensors, max_norm))
    tol = 1e-12 if dtype == np.float64 else 1e-6
    assert ours == pytest.approx(ref, rel=tol)
    for p, t in zip(params, tensors, strict=True):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad, t.grad.numpy(), rtol=tol, atol=tol * 1e-3)
    after = np.sqrt(sum((p.grad.astype(np.float64) ** 2).sum() for p in params))
    assert after <= max_norm * (1 + tol)


def test_clip_grad_norm_zero_gradient_and_empty(torch):
    params, _ = grads_pair(torch, np.float64, zero=True)
    assert bp.clip_grad_norm(params, 1.0) == 0.0
    assert all(np.all(p.grad == 0) for p in params)
    assert bp.clip_grad_norm([], 1.0) == 0.0


@pytest.mark.parametrize("dtype,clip_value", [(np.float64, 0.3), (np.float64, 10.0),
                                              (np.float32, 0.05)])
def test_clip_grad_value_matches_torch(dtype, clip_value, torch):
    params, tensors = grads_pair(torch, dtype)
    bp.clip_grad_value(params, clip_value)
    torch.nn.utils.clip_grad_value_(tensors, clip_value)
    for p, t in zip(params, tensors, strict=True):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())
        assert np.abs(p.grad).max() <= clip_value


# --- state_dict round trip -------------------------------------------------------------------
@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=_id)
def test_state_dict_round_trip_is_bit_identical(case):
    X, Y = make_data()
    net = start_net()
    opt = build_ours(net, case)
    for k in range(7):
        our_step(net, opt, X[k], Y[k])
    state = opt.state_dict()
    arrays = state.pop("arrays")
    saved = json.loads(json.dumps(state))  # the scalars survive JSON
    saved["arrays"] = {k: v.copy() for k, v in arrays.items()}
    weights = our_arrays(net)
    for k in range(7, 15):  # the uninterrupted run; must not alter the saved arrays
        our_step(net, opt, X[k], Y[k])
    for key, a in arrays.items():
        np.testing.assert_array_equal(a, saved["arrays"][key])

    net2 = start_net()
    for p, w in zip(net2.parameters(), weights, strict=True):
        p.data[...] = w
    opt2 = build_ours(net2, case, lr=0.5)  # lr comes from the state
    opt2.load_state_dict(saved)
    for k in range(7, 15):
        our_step(net2, opt2, X[k], Y[k])
    for a, b in zip(our_arrays(net), our_arrays(net2), strict=True):
        np.testing.assert_array_equal(a, b)
    assert opt2.n_steps == opt.n_steps == 15


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=_id)
def test_param_state_loaded_back_continues_the_run(case):
    """load_param_state is param_state's inverse: an optimiser given each parameter's state
    under torch's names continues exactly as the one that kept it (as checking a learner's
    next step from the state they wrote needs)."""
    X, Y = make_data()
    net = start_net()
    opt = build_ours(net, case)
    for k in range(5):
        our_step(net, opt, X[k], Y[k])
    states = [{k: v for tr in opt.transforms for k, v in tr.param_state(i).items()}
              for i in range(len(opt.params))]
    weights = our_arrays(net)
    net2 = start_net()
    for p, w in zip(net2.parameters(), weights, strict=True):
        p.data[...] = w
    opt2 = build_ours(net2, case)
    for tr in opt2.transforms:
        for i, state in enumerate(states):
            tr.load_param_state(i, state)
    opt2.lr = opt.lr
    for k in range(5, 9):
        our_step(net, opt, X[k], Y[k])
        our_step(net2, opt2, X[k], Y[k])
    for a, b in zip(our_arrays(net), our_arrays(net2), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)


def test_load_state_dict_rejects_mismatches_and_changes_nothing():
    X, Y = make_data()
    net = start_net()
    adam = bp.Adam(net.parameters(), lr=0.01)
    our_step(net, adam, X[0], Y[0])
    state = adam.state_dict()
    with pytest.raises(ValueError, match="'Adam'"):
        bp.AdamW(net.parameters()).load_state_dict(state)
    with pytest.raises(ValueError, match="clip_norm"):
        other = bp.Adam(net.parameters(), clip_norm=1.0)
        other_state = other.state_dict()
        adam.load_state_dict(other_state)
    fresh = bp.Adam(net.parameters(), lr=0.03)
    before = fresh.state_dict()
    bad = {**state, "arrays": dict(state["arrays"])}
    bad["arrays"]["adam.exp_avg_sq.2"] = np.zeros((2, 2))
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        fresh.load_state_dict(bad)
    after = fresh.state_dict()
    assert after["lr"] == before["lr"] == 0.03
    assert after["adam.t"] == 0
    assert all(np.all(a == 0) for a in after["arrays"].values())


# --- validation ------------------------------------------------------------------------------
def _params():
    return make_net().parameters()


BAD_ARGS = [
    ("SGD", {"lr": 0.0}, ValueError, "learning rate must be > 0, got 0"),
    ("SGD", {"lr": -0.1}, ValueError, "-0.1"),
    ("SGD", {"lr": "fast"}, TypeError, "'fast'"),
    ("SGD", {"lr": 0.1, "momentum": 1.0}, ValueError, r"momentum must be in \[0, 1\), got 1"),
    ("SGD", {"lr": 0.1, "momentum": -0.2}, ValueError, "-0.2"),
    ("SGD", {"lr": 0.1, "dampening": 1.5}, ValueError, "1.5"),
    ("SGD", {"lr": 0.1, "weight_decay": -1e-4}, ValueError, "weight_decay.*-0.0001"),
    ("SGD", {"lr": 0.1, "nesterov": True}, ValueError, "nesterov.*momentum=0"),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "nesterov": True}, ValueError,
     "dampening=0.1"),
    ("SGD", {"lr": 0.1, "clip_norm": 0.0}, ValueError, "max_norm must be > 0, got 0"),
    ("SGD", {"lr": 0.1, "clip_value": -1.0}, ValueError, "clip_value.*-1"),
    ("SGD", {"lr": 0.1, "decay_mask": "biases"}, ValueError, "'biases'"),
    ("SGD", {"lr": 0.1, "decay_mask": [True, False]}, ValueError, "2 entries for 6"),
    ("SGD", {"lr": 0.1, "decay_mask": [1, 0, 1, 0, 1, 0]}, TypeError, "got 1 at index 0"),
    ("Adam", {"betas": (1.0, 0.999)}, ValueError, r"beta1 must be in \[0, 1\), got 1"),
    ("Adam", {"betas": (0.9, -0.5)}, ValueError, "beta2.*-0.5"),
    ("Adam", {"betas": 0.9}, ValueError, "pair.*0.9"),
    ("Adam", {"eps": 0.0}, ValueError, "eps must be > 0, got 0"),
    ("Adam", {"weight_decay": -0.1}, ValueError, "-0.1"),
    ("AdamW", {"lr": -1e-3}, ValueError, "-0.001"),
    ("AdamW", {"weight_decay": -0.01}, ValueError, "-0.01"),
]


@pytest.mark.parametrize("opt_name,kw,exc,match", BAD_ARGS,
                         ids=[f"{c[0]}-{c[3][:20]}" for c in BAD_ARGS])
def test_bad_hyper_parameters_raise_naming_the_value(opt_name, kw, exc, match):
    with pytest.raises(exc, match=match):
        getattr(bp, opt_name)(_params(), **kw)


def test_bad_params_and_setters():
    with pytest.raises(ValueError, match="empty parameter list"):
        bp.SGD([], lr=0.1)
    net = make_net()
    with pytest.raises(TypeError, match="Dense"):
        bp.SGD(net, lr=0.1)  # the network itself, not net.parameters()
    with pytest.raises(ValueError, match="more than once"):
        bp.Adam(net.parameters() + net.parameters()[:1])
    opt = bp.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    with pytest.raises(ValueError, match="momentum=0"):
        opt.momentum = 0.0
    with pytest.raises(ValueError, match="1.2"):
        opt.momentum = 1.2
    adam = bp.Adam(net.parameters())
    with pytest.raises(ValueError, match="beta2"):
        adam.betas = (0.5, 1.0)
    assert adam.betas == (0.9, 0.999)  # a bad pair changes nothing
    with pytest.raises(ValueError, match="max_norm"):
        bp.clip_grad_norm(net.parameters(), -1.0)
    with pytest.raises(ValueError, match="clip_value"):
        bp.clip_grad_value(net.parameters(), 0)


def test_exports():
    for name in ("SGD", "Adam", "AdamW", "Optimizer", "clip_grad_norm", "clip_grad_value"):
        assert getattr(bp, name) is getattr(bp.optim, name)
