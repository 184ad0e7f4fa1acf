"""The speed machinery changes no number: flat buffers, compiled kernels, skipped input grads."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from cases import OPTIMIZER_CASES

import backprop as bp
from backprop import compiled
from backprop.parameters import contiguous_run


def _net(dtype="float64", seed=0, batch_norm=True):
    return bp.mlp([6, 8, 5, 3], activation="tanh", batch_norm=batch_norm, dtype=dtype, rng=seed)


def _unflatten(net):
    """Give every parameter an array of its own: the per-array optimiser path."""
    for p in net.parameters():
        p.data = p.data.copy()
        p.grad = p.grad.copy()
    assert contiguous_run(net.parameters()) is None
    return net


def test_sequential_keeps_parameters_in_one_buffer_without_changing_them():
    ref = [p.data.copy() for p in _net().parameters()]
    net = _net()
    data, grad, layout = contiguous_run(net.parameters())
    assert data.ndim == grad.ndim == 1 and data.size == net.n_params
    for p, r in zip(net.parameters(), ref, strict=True):
        np.testing.assert_array_equal(p.data, r)
        assert np.shares_memory(p.data, data) and np.shares_memory(p.grad, grad)
    assert contiguous_run(copy.deepcopy(net).parameters()) is not None  # deepcopy re-flattens


def test_shared_layers_are_not_moved_twice():
    first = bp.Sequential(bp.Dense(3, 4, rng=0), bp.ReLU(), bp.Dense(4, 2, rng=1))
    shared = first[0]
    second = bp.Sequential(shared, bp.Tanh(), bp.Dense(4, 1, rng=2))
    assert second.flat_layout is None  # it would have stolen the first network's views
    assert contiguous_run(first.parameters()) is not None


def _optimizer(case):
    return lambda params: bp.optim.make_optimizer(case.name, params, **case.kwargs)


def _train(net, make_opt, steps=12):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(16, 6))
    y = rng.integers(0, 3, 16)
    opt = make_opt(net.parameters())
    loss = bp.SoftmaxCrossEntropy()
    for _ in range(steps):
        loss.forward(net.forward(X), y)
        net.backward(loss.backward(), input_grad=False)
        opt.step()
    return [p.data.copy() for p in net.parameters()], opt


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_flat_and_per_array_optimiser_paths_agree(case, dtype):
    # Adam after clipping by norm: the two paths sum the norm in different orders, and a bias
    # feeding batch norm (true gradient exactly 0) keeps only rounding noise, which Adam turns
    # into full-size steps of either sign -- so that pairing is checked without batch norm
    bn = not (case.name in ("adam", "adamw") and "clip_norm" in case.kwargs)
    flat, opt_flat = _train(_net(dtype, batch_norm=bn), _optimizer(case))
    per_array, opt_arrays = _train(_unflatten(_net(dtype, batch_norm=bn)), _optimizer(case))
    rtol = 1e-5 if dtype == "float32" else 1e-12
    for a, b in zip(flat, per_array, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * 1e-2)
    # the saved state has the same per-parameter layout either way (checkpoints interchange)
    sa, sb = opt_flat.state_dict()["arrays"], opt_arrays.state_dict()["arrays"]
    assert sorted(sa) == sorted(sb)
    for key in sa:
        assert sa[key].shape == sb[key].shape


@pytest.mark.skipif(not compiled.available(), reason="compiled kernels not built (no compiler)")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_adam_kernel_matches_the_numpy_arithmetic(dtype):
    rng = np.random.default_rng(2)
    n = 1001
    g = rng.normal(size=n).astype(dtype)
    m0, v0 = rng.normal(size=n).astype(dtype), rng.random(n).astype(dtype)
    b1, b2, eps_hat, scale = 0.9, 0.999, 1e-8 * 0.3, 0.7
    u, m, v = g.copy(), m0.copy(), v0.copy()
    compiled.kernels.adam_direction(u, m, v, b1, b2, eps_hat, scale)
    m_ref = m0 + dtype(1 - b1) * (g - m0)
    v_ref = dtype(b2) * v0 + dtype(1 - b2) * (g * g)
    u_ref = dtype(scale) * (m_ref / (np.sqrt(v_ref) + dtype(eps_hat)))
    tol = 1e-6 if dtype == np.float32 else 1e-15
    np.testing.assert_allclose(m, m_ref, rtol=tol)
    np.testing.assert_allclose(v, v_ref, rtol=tol)
    np.testing.assert_allclose(u, u_ref, rtol=tol)
    y, x = m0.copy(), g.copy()
    compiled.kernels.axpy(y, x, -0.25)
    np.testing.assert_allclose(y, m0 - dtype(0.25) * g, rtol=tol)


@pytest.mark.skipif(not compiled.available(), reason="compiled kernels not built (no compiler)")
def test_kernels_refuse_mismatched_arrays():
    with pytest.raises(TypeError, match="float32 or float64"):
        compiled.kernels.axpy(np.zeros(3), np.zeros(4), 1.0)
    with pytest.raises(TypeError, match="float32 or float64"):
        compiled.kernels.axpy(np.zeros(3, np.float32), np.zeros(3), 1.0)
    with pytest.raises(TypeError, match="float32 or float64"):
        compiled.kernels.axpy(np.zeros(3, np.int64), np.zeros(3, np.int64), 1.0)


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_fallback_gives_the_same_training(monkeypatch, dtype, case):
    """Compiled kernels (fused Adam/AdamW step, fused softmax cross-entropy) against NumPy.

    No batch norm here: a bias feeding batch norm has a true gradient of exactly 0, and Adam
    turns the rounding noise left in its place into full-size steps of either sign, so the two
    paths' different (equally right) roundings would send such biases different ways.
    """
    with_kernels, _ = _train(_net(dtype, batch_norm=False), _optimizer(case))
    monkeypatch.setattr(compiled, "kernels", None)
    without, _ = _train(_net(dtype, batch_norm=False), _optimizer(case))
    # float32: RMSprop divides by sqrt(v) + eps, which magnifies a last-bit difference in a
    # tiny gradient (the fused softmax cross-entropy rounds differently) on parameters of
    # size ~1; 1e-6 absolute is still far below any real difference of the two paths
    rtol, atol = (1e-5, 1e-6) if dtype == "float32" else (1e-13, 1e-15)
    for a, b in zip(with_kernels, without, strict=True):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_skipping_the_input_gradient_changes_no_parameter_gradient():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(5, 6)), rng.integers(0, 3, 5)
    net = _net()
    loss = bp.SoftmaxCrossEntropy()
    loss.forward(net.forward(X), y)
    dX = net.backward(loss.backward())
    full = [p.grad.copy() for p in net.parameters()]
    loss.forward(net.forward(X), y)
    assert net.backward(loss.backward(), input_grad=False) is None
    assert dX.shape == X.shape
    for a, p in zip(full, net.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.grad)


def test_training_steps_do_not_grow_memory():
    """Once warm, a step frees what it allocates: no growth over hundreds of steps (issue #4)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    X = rng.random((512, 20), dtype=np.float32)
    y = rng.integers(0, 4, 512)
    net = bp.mlp([20, 32, 16, 4], batch_norm=True, dropout=0.1, dtype="float32", rng=0)
    opt = bp.AdamW(net.parameters(), lr=1e-3, decay_mask="auto", clip_norm=1.0)
    loss = bp.SoftmaxCrossEntropy()

    def steps(n):
        for i in range(n):
            j = (i * 32) % 512
            loss.forward(net.forward(X[j:j + 32]), y[j:j + 32])
            net.backward(loss.backward(), input_grad=False)
            opt.step()

    steps(20)
    tracemalloc.start()
    steps(50)
    warm, _ = tracemalloc.get_traced_memory()
    steps(500)
    later, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert later - warm < 16 * 1024, f"memory grew by {later - warm} bytes over 500 steps"


def test_replacing_a_parameter_array_after_creating_the_optimiser_is_refused():
    net = _net()
    opt = bp.SGD(net.parameters(), lr=0.1)
    net[0].W = np.zeros_like(net[0].W)  # rebinding: the optimiser would update a stale buffer
    with pytest.raises(RuntimeError, match=r"'0.W' was replaced.*W\[\.\.\.\] = values"):
        opt.step()
    # assigning before the optimiser exists is fine: the optimiser then works per array
    net = _net()
    net[0].W = np.ones_like(net[0].W)
    _, opt = _train(net, lambda ps: bp.Adam(ps, lr=1e-2), steps=2)
    assert not np.all(net[0].W == 1.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_softmax_cross_entropy_matches_numpy(monkeypatch, dtype):
    rng = np.random.default_rng(8)
    z = (rng.normal(size=(64, 10)) * 5).astype(dtype)
    t = rng.integers(0, 10, 64)
    loss = bp.SoftmaxCrossEntropy()
    fused_J = loss.forward(z, t)
    fused_g = loss.backward().copy()
    monkeypatch.setattr(compiled, "kernels", None)
    plain_J = loss.forward(z, t)
    tol = 1e-5 if dtype == np.float32 else 1e-13
    assert fused_J == pytest.approx(plain_J, rel=tol)
    np.testing.assert_allclose(fused_g, loss.backward(), rtol=tol, atol=tol * 1e-2)
    assert fused_g.dtype == dtype


def test_arrays_handed_to_the_caller_are_never_reused_buffers():
    """Inner layers write into reused buffers; the network's output and dJ/dX stay fresh."""
    rng = np.random.default_rng(6)
    net = bp.Sequential(bp.Dense(4, 5, rng=rng), bp.Identity(), bp.Dense(5, 3, rng=rng),
                        bp.Tanh(), bp.Dense(3, 2, rng=rng))
    X1, X2 = rng.normal(size=(7, 4)), rng.normal(size=(7, 4))
    out1 = net.forward(X1)
    kept = out1.copy()
    dX1 = net.backward(np.ones_like(out1))
    kept_dX = dX1.copy()
    out2 = net.forward(X2)
    net.backward(np.ones_like(out2) * 2)
    np.testing.assert_array_equal(out1, kept)
    np.testing.assert_array_equal(dX1, kept_dX)
    # and the buffered network computes exactly what unbuffered layers compute
    fresh = [bp.Dense.from_arrays(net[i].W, net[i].b) for i in (0, 2, 4)]
    expected = fresh[2].forward(np.tanh(fresh[1].forward(fresh[0].forward(X2))))
    np.testing.assert_allclose(out2, expected, rtol=1e-12)


def _observed(make_opt):
    """An optimiser factory whose optimiser has a hook attached: the observed path."""
    def make(params):
        opt = make_opt(params)
        opt.add_hook(lambda stage, arrays: None)
        return opt
    return make


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=lambda c: c.id)
def test_an_observed_step_is_the_chain_with_numpy_arithmetic(monkeypatch, case):
    """A hook turns the compiled pass off: the numbers are the NumPy chain's, to the bit, and
    the compiled pass's to rounding (the loss's kernel is on or off in both runs compared)."""
    observed, _ = _train(_net(batch_norm=False), _observed(_optimizer(case)), steps=6)
    compiled_run, _ = _train(_net(batch_norm=False), _optimizer(case), steps=6)
    monkeypatch.setattr(compiled, "kernels", None)
    plain, _ = _train(_net(batch_norm=False), _optimizer(case), steps=6)
    observed_plain, _ = _train(_net(batch_norm=False), _observed(_optimizer(case)), steps=6)
    for a, b, c, d in zip(observed, plain, compiled_run, observed_plain, strict=True):
        np.testing.assert_array_equal(d, b)
        np.testing.assert_allclose(a, c, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-array"])
def test_the_hook_sees_every_stage_and_the_exact_change(flat):
    net = _net(batch_norm=False)
    if not flat:
        _unflatten(net)
    opt = bp.AdamW(net.parameters(), lr=1e-2, weight_decay=0.1, clip_norm=0.5)
    seen = []

    def hook(stage, arrays):
        assert len(arrays) == len(opt.params)
        assert all(a.shape == p.shape for a, p in zip(arrays, opt.params, strict=True))
        seen.append((stage, [a.copy() for a in arrays]))

    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(9, 6)), rng.integers(0, 3, 9)
    loss = bp.SoftmaxCrossEntropy()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    before = [p.data.copy() for p in opt.params]
    grads = [p.grad.copy() for p in opt.params]
    with opt.add_hook(hook):
        opt.step()
    assert [s for s, _ in seen] == ["gradient", "clip_norm", "adam", "weight_decay", "apply"]
    for g, a in zip(grads, seen[0][1], strict=True):
        np.testing.assert_array_equal(g, a)
    for p, b, change in zip(opt.params, before, seen[-1][1], strict=True):
        np.testing.assert_array_equal(p.data, b + change)  # exactly the change applied
    seen.clear()
    loss.forward(net.forward(X), y)
    net.backward(loss.backward())
    opt.step()  # the handle left the with block: nobody observes
    assert seen == []


@pytest.mark.skipif(not compiled.available(), reason="compiled kernels not built (no compiler)")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_kernel_gives_numpys_numbers_with_infinities_and_nan(monkeypatch, dtype):
    x = np.array([[1.5, -2.0, 0.0, -0.0, np.inf, -np.inf, np.nan, 3e38]], dtype=dtype)
    fast = bp.ReLU()
    y_fast = fast.forward(x)
    monkeypatch.setattr(compiled, "kernels", None)
    slow = bp.ReLU()
    y_slow = slow.forward(x)
    np.testing.assert_array_equal(y_fast, y_slow)  # NaN == NaN here
    np.testing.assert_array_equal(fast._mask, slow._mask)
    assert y_fast[0, 5] == 0.0 and np.isnan(y_fast[0, 6])  # ReLU(-inf) = 0, NaN stays
    dy = np.arange(8, dtype=dtype).reshape(1, 8)
    np.testing.assert_array_equal(fast.backward(dy), slow.backward(dy))


@pytest.mark.skipif(not compiled.available(), reason="compiled kernels not built (no compiler)")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_all_finite_kernel_finds_any_nan_or_infinity(dtype):
    big = np.finfo(dtype).max
    for n in (1, 7, 8, 9, 1000, 4099):
        x = np.random.default_rng(n).normal(size=n).astype(dtype)
        x[0] = big  # the largest finite number is finite
        assert compiled.kernels.all_finite(x)
        for bad in (np.nan, np.inf, -np.inf):
            for where in {0, n // 2, n - 1}:
                y = x.copy()
                y[where] = bad
                assert not compiled.kernels.all_finite(y), (n, bad, where)
