"""Optimiser state both ways: a run continued in the other library follows the same trajectory.

Each case trains a float64 network a few steps in one library, converts the network and the
optimiser (``to_torch`` + ``optimizer_to_torch``, or ``from_torch`` + ``optimizer_from_torch``),
then takes 10 more steps in both from there; the parameters must agree to a relative 1e-12
after every step.
"""

import copy
import warnings

import numpy as np
import pytest

import backprop as bp
from backprop.interop import optimizer_from_torch, optimizer_to_torch

torch = pytest.importorskip("torch")
torch.set_num_threads(1)
F = torch.nn.functional

RTOL = 1e-12
WARMUP, FURTHER = 5, 10

OPTIMIZERS = {
    "sgd_momentum": lambda ps: bp.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1),
    "sgd_nesterov_l2_masked": lambda ps: bp.SGD(ps, lr=0.05, momentum=0.8, nesterov=True,
                                                weight_decay=1e-2, decay_mask="auto"),
    "sgd_plain": lambda ps: bp.SGD(ps, lr=0.1),
    "adam": lambda ps: bp.Adam(ps, lr=1e-2),
    "adam_l2": lambda ps: bp.Adam(ps, lr=5e-3, betas=(0.8, 0.99), eps=1e-7, weight_decay=1e-2),
    "adamw_masked": lambda ps: bp.AdamW(ps, lr=1e-2, weight_decay=0.1, decay_mask="auto"),
    "adamw": lambda ps: bp.AdamW(ps, lr=1e-2),
}


def make_net():
    # no bias before the training-mode batch norm: its gradient is exactly 0 in theory, so
    # Adam would amplify rounding noise (m / sqrt(v) of noise is O(1)) and no two libraries
    # could agree on it
    return bp.Sequential(bp.Dense(4, 8, bias=False, rng=0), bp.BatchNorm(8), bp.Tanh(),
                         bp.Dense(8, 8, rng=1), bp.LayerNorm(8), bp.GELU(), bp.Dense(8, 3, rng=2))


DATA = np.random.default_rng(0).normal(size=(24, 4))
LABELS = np.random.default_rng(1).integers(0, 3, 24)


def flat(params):
    return np.concatenate([np.asarray(p).ravel() for p in params])


def steps_here(net, opt, n):
    loss = bp.SoftmaxCrossEntropy()
    out = []
    for _ in range(n):
        loss.forward(net.forward(DATA), LABELS)
        net.backward(loss.backward(), input_grad=False)
        opt.step()
        out.append(flat([p.data.copy() for p in net.parameters()]))
    return out


def steps_torch(tnet, topt, n):
    X, y = torch.tensor(DATA), torch.tensor(LABELS)
    out = []
    for _ in range(n):
        topt.zero_grad()
        F.cross_entropy(tnet(X), y).backward()
        topt.step()
        out.append(flat([p.detach().numpy().copy() for p in tnet.parameters()]))
    return out


def max_rel(a_steps, b_steps):
    return max(float(np.linalg.norm(a - b) / np.linalg.norm(b))
               for a, b in zip(a_steps, b_steps, strict=True))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_backprop_run_continues_in_torch(name):
    net = make_net()
    opt = OPTIMIZERS[name](net.parameters())
    steps_here(net, opt, WARMUP)
    tnet = bp.to_torch(net)
    topt = optimizer_to_torch(opt, tnet.parameters())
    assert max_rel(steps_torch(tnet, topt, FURTHER), steps_here(net, opt, FURTHER)) <= RTOL


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_torch_run_continues_in_backprop(name):
    tnet = bp.to_torch(make_net())
    topt = optimizer_to_torch(OPTIMIZERS[name](make_net().parameters()), tnet.parameters())
    steps_torch(tnet, topt, WARMUP)
    net = bp.from_torch(tnet)
    opt = optimizer_from_torch(topt, net)
    assert type(opt).__name__ == type(OPTIMIZERS[name](make_net().parameters())).__name__
    assert max_rel(steps_here(net, opt, FURTHER), steps_torch(tnet, topt, FURTHER)) <= RTOL


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_state_round_trip_is_exact(name):
    net = make_net()
    opt = OPTIMIZERS[name](net.parameters())
    steps_here(net, opt, 3)
    tnet = bp.to_torch(net)
    back = optimizer_from_torch(optimizer_to_torch(opt, tnet.parameters()), net)
    a, b = opt.state_dict(), back.state_dict()
    assert a.pop("arrays").keys() == b["arrays"].keys()
    for k, v in opt.state_dict()["arrays"].items():
        np.testing.assert_array_equal(v, b["arrays"][k], err_msg=k)
    b.pop("arrays")
    if "adam.t" not in a:
        a["n_steps"] = b["n_steps"] = 0  # torch's SGD keeps no step count
    assert a == b


def test_torch_groups_become_a_decay_mask_and_back():
    net = make_net()
    opt = bp.AdamW(net.parameters(), lr=1e-2, weight_decay=0.05, decay_mask="auto")
    topt = optimizer_to_torch(opt, bp.to_torch(net).parameters())
    decays = [p.decay for p in net.parameters()]
    # consecutive parameters with the same mask value share a group
    runs = [decays[0]] + [d for prev, d in zip(decays, decays[1:], strict=False) if d != prev]
    assert [g["weight_decay"] for g in topt.param_groups] == [0.05 if d else 0.0 for d in runs]
    back = optimizer_from_torch(topt, net)
    assert back.transform("weight_decay").mask == decays


def test_torch_params_in_another_order():
    tnet = bp.to_torch(make_net())
    params = list(tnet.parameters())
    topt = torch.optim.Adam([{"params": params[::2]}, {"params": params[1::2]}], lr=1e-2)
    steps_torch(tnet, topt, 2)
    net = bp.from_torch(tnet)
    opt = optimizer_from_torch(topt, net, torch_params=tnet.parameters())
    assert max_rel(steps_here(net, opt, 3), steps_torch(tnet, topt, 3)) <= RTOL
    with pytest.raises(ValueError, match="shape"):
        optimizer_from_torch(topt, net)  # the groups' order is not the network's


def test_adam_with_decoupled_weight_decay_is_adamw():
    tnet = bp.to_torch(make_net())
    topt = torch.optim.Adam(tnet.parameters(), lr=1e-2, weight_decay=0.1,
                            decoupled_weight_decay=True)
    steps_torch(tnet, topt, 2)
    net = bp.from_torch(tnet)
    opt = optimizer_from_torch(topt, net)
    assert isinstance(opt, bp.AdamW)
    assert max_rel(steps_here(net, opt, 3), steps_torch(tnet, topt, 3)) <= RTOL


def test_a_fresh_optimiser_converts_too():
    net = make_net()
    tnet = bp.to_torch(net)
    topt = optimizer_to_torch(bp.Adam(net.parameters(), lr=1e-2), tnet.parameters())
    assert topt.state_dict()["state"] == {}
    opt = optimizer_from_torch(topt, net)
    assert opt.state_dict()["adam.t"] == 0
    assert max_rel(steps_here(net, opt, 3), steps_torch(tnet, topt, 3)) <= RTOL


def test_what_cannot_be_converted():
    net = make_net()
    tnet = bp.to_torch(net)
    params = list(tnet.parameters())
    with pytest.raises(TypeError, match="RMSprop"):
        optimizer_from_torch(torch.optim.RMSprop(params), net)
    with pytest.raises(ValueError, match="amsgrad"):
        optimizer_from_torch(torch.optim.Adam(params, amsgrad=True), net)
    with pytest.raises(ValueError, match="maximize"):
        optimizer_from_torch(torch.optim.SGD(params, lr=0.1, maximize=True), net)
    with pytest.raises(ValueError, match="'lr'"):
        optimizer_from_torch(torch.optim.SGD([{"params": params[:2], "lr": 0.1},
                                              {"params": params[2:]}], lr=0.2), net)
    with pytest.raises(ValueError, match="weight decays"):
        optimizer_from_torch(torch.optim.SGD([{"params": params[:2], "weight_decay": 0.1},
                                              {"params": params[2:]}], lr=0.2,
                                             weight_decay=0.2), net)
    with pytest.raises(ValueError, match="parameters"):
        optimizer_to_torch(bp.SGD(net.parameters(), lr=0.1), params[1:])
    with pytest.raises(TypeError, match="Optimizer"):
        optimizer_to_torch(bp.Optimizer(net.parameters(), lr=0.1), params)
    # different step counts: the first parameter stepped once more
    topt = torch.optim.Adam(params, lr=1e-2)
    steps_torch(tnet, topt, 2)
    topt.state[params[0]]["step"] += 1
    with pytest.raises(ValueError, match="different numbers of steps"):
        optimizer_from_torch(topt, net)


def test_clipping_is_not_carried_and_says_so():
    net = make_net()
    opt = bp.SGD(net.parameters(), lr=0.1, clip_norm=1.0)
    with pytest.warns(UserWarning, match="clip_grad_norm_"):
        optimizer_to_torch(opt, bp.to_torch(net).parameters())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer_to_torch(bp.SGD(net.parameters(), lr=0.1), bp.to_torch(net).parameters())


def test_conversion_does_not_touch_the_source_state():
    net = make_net()
    opt = bp.Adam(net.parameters(), lr=1e-2)
    steps_here(net, opt, 2)
    before = copy.deepcopy(opt.state_dict())
    topt = optimizer_to_torch(opt, bp.to_torch(net).parameters())
    for s in topt.state.values():
        s["exp_avg"].mul_(0)
    after = opt.state_dict()
    for k, v in before["arrays"].items():
        np.testing.assert_array_equal(v, after["arrays"][k])
