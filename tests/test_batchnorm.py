"""BatchNorm against torch.nn.BatchNorm1d (float64): batch sizes, running statistics over many
batches, the mode switch, and its own formulas.

The contract every layer keeps (finite differences, torch parity of one step in each mode,
zero upstream gradient, repeatable backward, config, bad arguments) is checked by
``test_contracts.py`` over the batch-norm cases of ``cases.py``.
"""

import json

import numpy as np
import pytest

import backprop as bp


def random_bn(n, rng, **kwargs):
    """A BatchNorm with non-trivial gamma, beta and running statistics."""
    bn = bp.BatchNorm(n, **kwargs)
    bn.gamma[...] = rng.normal(1.0, 0.5, n)
    bn.beta[...] = rng.normal(0.0, 0.5, n)
    bn.running_mean[...] = rng.normal(0.0, 1.0, n)
    bn.running_var[...] = rng.uniform(0.5, 2.0, n)
    return bn


def torch_step(torch, t, x, dy):
    """Forward + backward through torch; returns y, dx, dgamma, dbeta as NumPy arrays."""
    xt = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    t.zero_grad()
    y = t(xt)
    y.backward(torch.from_numpy(dy))
    return (y.detach().numpy(), xt.grad.numpy(), t.weight.grad.numpy(), t.bias.grad.numpy())


@pytest.fixture
def check_against_torch(torch, rel_err):
    # 1e-9, not 1e-12: with two samples the training-mode dJ/dX is the small difference of
    # nearly equal terms (x-hat is +-1 up to eps), and both sides round it differently
    def check(bn, t, x, dy, tol=1e-9):
        y = bn.forward(x)
        dx = bn.backward(dy)
        ty, tdx, tdg, tdb = torch_step(torch, t, x, dy)
        assert rel_err(y, ty) < tol
        assert rel_err(dx, tdx) < tol
        assert rel_err(bn.dgamma, tdg) < tol
        assert rel_err(bn.dbeta, tdb) < tol
        assert rel_err(bn.running_mean, t.running_mean.numpy()) < tol
        assert rel_err(bn.running_var, t.running_var.numpy()) < tol

    return check


# --- PyTorch parity ---------------------------------------------------------------------------
@pytest.mark.parametrize("m, n", [(2, 1), (5, 3), (32, 7)])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_forward_backward_match_torch(m, n, mode, torch_twin, check_against_torch):
    rng = np.random.default_rng(m * 100 + n)
    bn = random_bn(n, rng).train(mode == "train")
    t = torch_twin(bn)
    x = rng.normal(2.0, 3.0, (m, n))
    dy = rng.normal(size=(m, n))
    check_against_torch(bn, t, x, dy)


@pytest.mark.parametrize("momentum", [0.0, 0.1, 0.5, 1.0])
def test_running_statistics_over_several_batches_match_torch(momentum, torch_twin,
                                                            check_against_torch):
    rng = np.random.default_rng(7)
    n = 4
    bn = bp.BatchNorm(n, momentum=momentum, eps=1e-3)
    t = torch_twin(bn)
    # batches of different sizes and scales, so the unbiased factor m/(m-1) changes every step
    for step, m in enumerate([3, 8, 2, 17, 5]):
        x = rng.normal(step - 2.0, 1.0 + step, (m, n))
        dy = rng.normal(size=(m, n))
        check_against_torch(bn, t, x, dy)
    if momentum == 0.0:
        np.testing.assert_array_equal(bn.running_mean, np.zeros(n))
        np.testing.assert_array_equal(bn.running_var, np.ones(n))
    # evaluation after training uses the accumulated statistics, in both libraries
    bn.eval()
    t.eval()
    x = rng.normal(size=(6, n))
    check_against_torch(bn, t, x, rng.normal(size=(6, n)))


def test_running_var_is_unbiased_and_normalisation_is_biased():
    x = np.array([[1.0], [2.0], [6.0]])  # mean 3, sum of squares 14: biased 14/3, unbiased 7
    bn = bp.BatchNorm(1, momentum=1.0, eps=1e-5)
    y = bn.forward(x)
    np.testing.assert_allclose(bn.running_mean, [3.0], rtol=1e-15)
    np.testing.assert_allclose(bn.running_var, [7.0], rtol=1e-15)
    np.testing.assert_allclose(y[:, 0], (x[:, 0] - 3.0) / np.sqrt(14.0 / 3.0 + 1e-5), rtol=1e-14)


def test_eval_mode_is_the_affine_map_of_running_statistics():
    rng = np.random.default_rng(3)
    bn = random_bn(5, rng).eval()
    x = rng.normal(size=(1, 5))  # one sample is fine outside training
    s = bn.gamma / np.sqrt(bn.running_var + bn.eps)
    np.testing.assert_allclose(bn.forward(x), (x - bn.running_mean) * s + bn.beta, rtol=1e-14)
    before = (bn.running_mean.copy(), bn.running_var.copy())
    dy = rng.normal(size=(1, 5))
    np.testing.assert_allclose(bn.backward(dy), dy * s, rtol=1e-14)
    np.testing.assert_array_equal(bn.running_mean, before[0])
    np.testing.assert_array_equal(bn.running_var, before[1])


def test_backward_follows_the_mode_of_its_forward(torch, torch_twin, rel_err, tol):
    # torch's autograd keeps the graph of the forward; switching mode in between changes nothing
    rng = np.random.default_rng(11)
    bn = random_bn(3, rng)
    t = torch_twin(bn)
    x, dy = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    bn.forward(x)
    bn.eval()
    dx = bn.backward(dy)
    _, tdx, tdg, _ = torch_step(torch, t, x, dy)
    assert rel_err(dx, tdx) < tol.parity64
    assert rel_err(bn.dgamma, tdg) < tol.parity64


def test_training_output_is_standardised_per_unit():
    rng = np.random.default_rng(5)
    bn = bp.BatchNorm(4)
    y = bn.forward(rng.normal(10.0, 5.0, (200, 4)))
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=0), 1.0, rtol=1e-5)  # slightly below 1 because of eps


# --- its own formulas -------------------------------------------------------------------------
def test_training_gradient_ignores_shifts_of_a_unit():
    # y does not change when a constant is added to a column, so sum(dx) over the batch is 0
    rng = np.random.default_rng(2)
    bn = random_bn(3, rng)
    bn.forward(rng.normal(size=(9, 3)))
    dx = bn.backward(rng.normal(size=(9, 3)))
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)


# --- state, dtype, configuration --------------------------------------------------------------
def test_parameters_buffers_and_zero_grad():
    bn = bp.BatchNorm(3)
    params = bn.parameters()
    assert [p.name for p in params] == ["gamma", "beta"]
    assert all(not p.decay for p in params)
    np.testing.assert_array_equal(bn.gamma, np.ones(3))
    np.testing.assert_array_equal(bn.beta, np.zeros(3))
    buffers = bn.buffers()
    assert set(buffers) == {"running_mean", "running_var"}
    bn.forward(np.arange(12.0).reshape(4, 3))
    # the buffers are the live arrays, updated in place (so a loader can write into them)
    assert buffers["running_mean"] is bn.running_mean
    assert np.all(buffers["running_mean"] != 0)
    bn.backward(np.ones((4, 3)))
    assert np.any(bn.dbeta != 0)
    bn.zero_grad()
    np.testing.assert_array_equal(bn.dbeta, np.zeros(3))
    assert bn.n_params == 6


def test_sequential_sees_batchnorm_state():
    net = bp.Sequential(bp.Dense(2, 3, rng=0), bp.BatchNorm(3), bp.ReLU())
    assert [p.name for p in net.parameters()] == ["0.W", "0.b", "1.gamma", "1.beta"]
    assert set(net.buffers()) == {"1.running_mean", "1.running_var"}
    net.eval()
    assert not net[1].training


def test_config_rebuilds_the_layer():
    bn = bp.BatchNorm(4, momentum=0.2, eps=1e-3, dtype="float32")
    config = json.loads(json.dumps(bn.get_config()))
    clone = bp.BatchNorm(**config)
    assert clone.get_config() == bn.get_config()
    assert clone.gamma.dtype == np.float32
    assert repr(bn) == ("BatchNorm(n=4, momentum=0.2, eps=0.001, affine=True, "
                        "track_running_stats=True, dtype='float32')")


def test_float32_works_and_agrees_with_float64(rel_err):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(16, 5))
    dy = rng.normal(size=(16, 5))
    results = {}
    for dtype in (np.float32, np.float64):
        bn = bp.BatchNorm(5, dtype=dtype)
        y = bn.forward(x.astype(dtype))
        dx = bn.backward(dy.astype(dtype))
        for arr in (y, dx, bn.dgamma, bn.dbeta, bn.running_mean, bn.running_var):
            assert arr.dtype == dtype
        results[dtype] = (y, dx, bn.dgamma.copy(), bn.running_var.copy())
    for a32, a64 in zip(results[np.float32], results[np.float64], strict=True):
        assert rel_err(a32, a64) < 1e-5


def test_bad_inputs():
    bn = bp.BatchNorm(3)
    with pytest.raises(RuntimeError, match="before forward"):
        bn.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expects input of shape \(m, 3\), got \(4, 2\)"):
        bn.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"got \(3,\)"):
        bn.forward(np.ones(3))
    with pytest.raises(ValueError, match=r"more than 1 sample.*\(1, 3\)"):
        bn.forward(np.ones((1, 3)))
    bn.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"dy of shape \(2, 3\).*got \(3, 3\)"):
        bn.backward(np.ones((3, 3)))


def test_observables_are_the_batch_statistics_and_xhat(torch):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(6, 3))
    bn = random_bn(3, rng)
    y = bn.forward(x)
    seen = bn.observables()
    xt = torch.from_numpy(x)
    np.testing.assert_allclose(seen["mean"], xt.mean(0).numpy(), rtol=1e-14)
    np.testing.assert_allclose(seen["var"], xt.var(0, unbiased=False).numpy(), rtol=1e-13)
    np.testing.assert_allclose(bn.gamma * seen["xhat"] + bn.beta, y, rtol=1e-15)
    bn.eval().forward(x)  # running statistics: no batch statistics to show
    assert set(bn.observables()) == {"xhat", "inv_std"}
