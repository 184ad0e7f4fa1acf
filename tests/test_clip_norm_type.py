"""Gradient clipping by any p-norm: ``clip_grad_norm(norm_type=, error_if_nonfinite=)`` against
``torch.nn.utils.clip_grad_norm_``, and the optimisers' ``clip_norm_type=`` (ClipByGlobalNorm's
``norm_type``) against clip_grad_norm_ followed by torch.optim's step, in float64.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import backprop as bp
from backprop.optim import ClipByGlobalNorm

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

RTOL = 1e-12
NORM_TYPES = [1.0, 2.0, 3.0, 0.5, 1.5, math.inf, "inf"]


def grads_pair(dtype=np.float64, scale=1.0):
    net = bp.Sequential(bp.Dense(5, 8, rng=1, dtype=dtype), bp.Tanh(),
                        bp.Dense(8, 3, rng=2, dtype=dtype))
    rng = np.random.default_rng(3)
    tensors = []
    for p in net.parameters():
        p.grad[...] = rng.normal(scale=scale, size=p.shape)
        t = torch.from_numpy(p.data.copy()).requires_grad_()
        t.grad = torch.from_numpy(p.grad.copy())
        tensors.append(t)
    return net.parameters(), tensors


@pytest.mark.parametrize("ratio", [0.1, 0.999, 10.0])
@pytest.mark.parametrize("norm_type", NORM_TYPES, ids=[str(p) for p in NORM_TYPES])
def test_clip_grad_norm_matches_torch(norm_type, ratio):
    params, tensors = grads_pair()
    p = float(norm_type)
    true_norm = float(torch.nn.utils.get_total_norm([t.grad for t in tensors], p))
    ours = bp.clip_grad_norm(params, ratio * true_norm, norm_type=norm_type)
    ref = float(torch.nn.utils.clip_grad_norm_(tensors, ratio * true_norm, norm_type=p))
    assert ours == pytest.approx(ref, rel=RTOL, abs=0)
    for param, t in zip(params, tensors, strict=True):
        np.testing.assert_allclose(param.grad, t.grad.numpy(), rtol=RTOL, atol=0)
    after = bp.optim.transforms.global_norm([q.grad for q in params], p)
    assert after <= ratio * true_norm * (1 + 1e-12) or ratio > 1


@pytest.mark.parametrize("norm_type", [1.0, math.inf])
def test_float32_clip_grad_norm_close_to_torch(norm_type):
    params, tensors = grads_pair(np.float32)
    ours = bp.clip_grad_norm(params, 0.5, norm_type=norm_type)
    ref = float(torch.nn.utils.clip_grad_norm_(tensors, 0.5, norm_type=norm_type))
    assert ours == pytest.approx(ref, rel=1e-6)
    for param, t in zip(params, tensors, strict=True):
        assert param.grad.dtype == np.float32
        np.testing.assert_allclose(param.grad, t.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_inf_norm_is_the_largest_entry_and_default_is_unchanged():
    params, _ = grads_pair()
    biggest = max(float(np.abs(p.grad).max()) for p in params)
    assert bp.clip_grad_norm(params, 1e9, norm_type="inf") == biggest
    params, _ = grads_pair()
    expected = math.sqrt(sum(float(np.dot(p.grad.ravel(), p.grad.ravel())) for p in params))
    assert bp.clip_grad_norm(params, 1e9) == expected  # the 2-norm path, bit for bit


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # inf * 0, as torch
@pytest.mark.parametrize("bad", [math.nan, math.inf])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_error_if_nonfinite_raises_like_torch_and_touches_nothing(bad, norm_type):
    params, tensors = grads_pair()
    params[1].grad[2] = bad
    tensors[1].grad[2] = bad
    before = [p.grad.copy() for p in params]
    with pytest.raises(RuntimeError, match=f"order {norm_type:g}.* is {float(bad)}, so they "
                                           f"cannot be clipped"):
        bp.clip_grad_norm(params, 1.0, norm_type=norm_type, error_if_nonfinite=True)
    with pytest.raises(RuntimeError, match="non-finite"):
        torch.nn.utils.clip_grad_norm_(tensors, 1.0, norm_type=norm_type,
                                       error_if_nonfinite=True)
    for p, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.grad, b)
    # without the flag both scale by the non-finite norm, the same way
    ours = bp.clip_grad_norm(params, 1.0, norm_type=norm_type)
    ref = float(torch.nn.utils.clip_grad_norm_(tensors, 1.0, norm_type=norm_type))
    assert (math.isnan(ours) and math.isnan(ref)) or ours == ref
    for p, t in zip(params, tensors, strict=True):
        np.testing.assert_array_equal(p.grad, t.grad.numpy())


def test_zero_and_empty():
    params, _ = grads_pair(scale=0.0)
    assert bp.clip_grad_norm(params, 1.0, norm_type=math.inf) == 0.0
    assert bp.clip_grad_norm([], 1.0, norm_type=3.0, error_if_nonfinite=True) == 0.0


BAD = [
    ({"norm_type": 0.0}, ValueError, "norm_type must be > 0 or inf, got 0"),
    ({"norm_type": -2.0}, ValueError, "norm_type must be > 0 or inf, got -2"),
    ({"norm_type": math.nan}, ValueError, "norm_type must be > 0 or inf, got nan"),
    ({"norm_type": "two"}, TypeError, "norm_type must be a number > 0 or inf, got 'two'"),
    ({"error_if_nonfinite": "yes"}, TypeError, "error_if_nonfinite.*'yes'"),
]


@pytest.mark.parametrize("kw,exc,match", BAD, ids=[c[2][:30] for c in BAD])
def test_bad_arguments_name_the_value(kw, exc, match):
    params, _ = grads_pair()
    with pytest.raises(exc, match=match):
        bp.clip_grad_norm(params, 1.0, **kw)


# --- the optimisers' clip_norm_type ----------------------------------------------------------
OPT_CASES = [
    ("SGD", {"lr": 0.1, "momentum": 0.9}, 1.0),
    ("Adam", {"lr": 0.01}, math.inf),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1}, 3.0),
    ("RMSprop", {"lr": 0.005, "momentum": 0.5}, math.inf),
    ("NAdam", {"lr": 0.01}, 1.0),
]


@pytest.mark.parametrize("name,kw,norm_type", OPT_CASES, ids=[c[0] for c in OPT_CASES])
def test_optimizer_clip_norm_type_matches_clip_then_step_in_torch(name, kw, norm_type):
    net = bp.Sequential(bp.Dense(4, 6, rng=1), bp.Tanh(), bp.Dense(6, 2, rng=2))
    params = net.parameters()
    tparams = [torch.from_numpy(p.data.copy()).requires_grad_() for p in params]
    max_norm = 0.3 if norm_type == math.inf else 0.6
    opt = getattr(bp, name)(params, clip_norm=max_norm, clip_norm_type=norm_type, **kw)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # NAdam's mu_product follows the default dtype
    try:
        topt = getattr(torch.optim, name)(tparams, **kw)
        rng = np.random.default_rng(0)
        clipped = 0
        for _ in range(30):
            noise = [rng.normal(size=p.shape) for p in params]
            for p, t, n in zip(params, tparams, noise, strict=True):
                p.grad[...] = 2.0 * p.data + n  # a bowl plus noise, from each one's own weights
                t.grad = 2.0 * t.detach() + torch.from_numpy(n)
            norm = float(torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type))
            clipped += norm > max_norm
            opt.step()
            topt.step()
    finally:
        torch.set_default_dtype(old)
    assert clipped >= 20  # the cases do clip
    assert opt.transform("clip_norm").last_norm > max_norm
    for p, t in zip(params, tparams, strict=True):
        np.testing.assert_allclose(p.data, t.detach().numpy(), rtol=RTOL, atol=0)


def test_clip_by_global_norm_state_and_validation():
    net = bp.Sequential(bp.Dense(3, 2, rng=0))
    opt = bp.SGD(net.parameters(), lr=0.1, clip_norm=1.0, clip_norm_type="inf")
    state = opt.state_dict()
    assert state["clip_norm.norm_type"] == math.inf
    back = json.loads(json.dumps({k: v for k, v in state.items() if k != "arrays"}))
    other = bp.SGD(net.parameters(), lr=0.1, clip_norm=1.0)
    other.load_state_dict({**back, "arrays": {}})
    assert other.transform("clip_norm").norm_type == math.inf
    old = {k: v for k, v in back.items() if k != "clip_norm.norm_type"}  # saved before the option
    other.load_state_dict({**old, "arrays": {}})
    assert other.transform("clip_norm").norm_type == 2.0
    assert repr(ClipByGlobalNorm(1.0, 3)) == "ClipByGlobalNorm(max_norm=1.0, norm_type=3.0)"
    with pytest.raises(ValueError, match="clip_norm_type=1.0 has no effect without clip_norm"):
        bp.Adam(net.parameters(), clip_norm_type=1.0)
    with pytest.raises(ValueError, match="clip_norm_type must be > 0 or inf, got -1"):
        bp.Adam(net.parameters(), clip_norm_type=-1)
    with pytest.raises(ValueError, match="norm_type must be > 0 or inf, got 0"):
        opt.transform("clip_norm").norm_type = 0
