"""Networks of every activation and every loss against finite differences (float64).

The analytic gradients come from the engine's backward; the numeric ones from
:func:`backprop.gradcheck` (five-point central differences). A wrong derivative anywhere in a
layer, an activation or a loss makes the relative error jump far above 1e-7. The activations
and losses come from the table of cases (``cases.py``); each layer and loss alone is checked
by ``test_contracts.py``.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from cases import activation_cases, layer_case, loss_case

import backprop as bp

# every activation case whose inputs need not avoid undeclared points (a network's inner
# inputs cannot be steered); kinks the activation declares are stepped around by gradcheck
ACTIVATIONS = [c.id for c in activation_cases(plain=True)]
LOSSES = ["squared", "bce-soft", "ce-labels", "ce-onehot"]


@pytest.mark.parametrize("loss_id", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_layer_and_loss_gradients_match_finite_differences(activation, loss_id, tol):
    rng = np.random.default_rng(zlib.crc32(f"{activation}-{loss_id}".encode()))
    act = layer_case(activation)
    net = bp.Sequential(
        bp.Dense(3, 5, rng=rng), act.make(),
        bp.Dense(5, 4, rng=rng), act.make(),
        bp.Dense(4, 3, rng=rng),
    )
    X = rng.normal(size=(6, 3))
    case = loss_case(loss_id)
    y = case.targets(rng, 6, 3)
    report = bp.gradcheck(net, case.make(), X, y, check_input=True)
    assert [p.name for p in report.params] == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b", "input"]
    assert report.ok, str(report)
    assert report.max_rel_error < tol.gradcheck


def test_gradcheck_catches_a_wrong_derivative():
    """A layer whose backward is off by a factor must fail the check (the checker can fail)."""

    class BrokenTanh(bp.Tanh):
        def backward(self, dy, input_grad=True):
            return 1.01 * super().backward(dy)

    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(2, 3, rng=rng), BrokenTanh(), bp.Dense(3, 1, rng=rng))
    report = bp.gradcheck(net, bp.SquaredError(), rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))
    assert not report.ok
    assert report.worst["0.W"] > 1e-3
    assert report.worst["2.W"] < 1e-7  # the layer after the bug is still right


def test_gradcheck_does_not_modify_the_network_and_handles_float32():
    rng = np.random.default_rng(3)
    net = bp.Sequential(bp.Dense(2, 3, dtype=np.float32, rng=rng), bp.Sigmoid(),
                        bp.Dense(3, 1, dtype=np.float32, rng=rng))
    before = [p.data.copy() for p in net.parameters()]
    report = bp.gradcheck(net, bp.SquaredError(), rng.normal(size=(3, 2)), rng.normal(size=(3, 1)))
    assert report.ok
    for b, p in zip(before, net.parameters(), strict=True):
        assert p.data.dtype == np.float32
        np.testing.assert_array_equal(b, p.data)


def test_gradcheck_reports_relu_kinks_instead_of_failing():
    # z = 1*x1 + 0*x2 = 0 exactly: any perturbation of W[0, 0] or b flips the unit.
    net = bp.Sequential(bp.Dense.from_arrays([[1.0, 0.5]], [-0.5]), bp.ReLU(),
                        bp.Dense.from_arrays([[2.0]], [0.0]))
    report = bp.gradcheck(net, bp.SquaredError(), [[0.0, 1.0]], [[1.0]])
    first_layer = {p.name: p for p in report.params}
    assert first_layer["0.b"].kinks == 1
    assert report.ok


def test_backward_assigns_rather_than_accumulates():
    rng = np.random.default_rng(5)
    net = bp.Sequential(bp.Dense(2, 2, rng=rng), bp.Tanh(), bp.Dense(2, 1, rng=rng))
    loss = bp.SquaredError()
    X, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 1))
    for _ in range(2):
        loss.forward(net.forward(X), y)
        net.backward(loss.backward())
    twice = [p.grad.copy() for p in net.parameters()]
    report = bp.gradcheck(net, loss, X, y)
    assert report.ok
    fresh = bp.gradcheck(net, loss, X, y)  # same gradients as a single pass
    assert fresh.max_rel_error == report.max_rel_error
    for g, p in zip(twice, net.parameters(), strict=True):
        np.testing.assert_array_equal(g, p.grad)


def test_zero_upstream_gradient_gives_zero_gradients():
    rng = np.random.default_rng(9)
    net = bp.Sequential(bp.Dense(3, 4, rng=rng), bp.Sigmoid(), bp.Dense(4, 2, rng=rng),
                        bp.Softmax())
    out = net.forward(rng.normal(size=(5, 3)))
    dx = net.backward(np.zeros_like(out))
    assert not dx.any()
    assert all(not p.grad.any() for p in net.parameters())


def test_classification_losses_stay_exact_for_huge_float32_logits():
    """log-sum-exp and the fused sigmoid neither overflow nor cancel away the answer."""
    z = np.array([[1000.0, 0.0, -5.0], [3.0, 2000.0, 1.0]], dtype=np.float32)
    ce = bp.SoftmaxCrossEntropy()
    assert ce.forward(z, [0, 1]) == 0.0
    assert ce.forward(z, [1, 0]) == pytest.approx((1000.0 + 1997.0) / 2, rel=1e-6)
    assert ce.forward(z, np.eye(3)[[1, 0]]) == pytest.approx((1000.0 + 1997.0) / 2, rel=1e-6)
    g = ce.backward()
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, [[0.5, -0.5, 0.0], [-0.5, 0.5, 0.0]], atol=1e-6)
    bce = bp.BinaryCrossEntropy()
    assert bce.forward(np.array([[800.0], [-800.0]], np.float32), [1.0, 0.0]) == 0.0
    assert bce.forward(np.array([[800.0]], np.float32), [0.0]) == pytest.approx(800.0)
    assert np.all(np.isfinite(bce.backward()))


def test_gradcheck_masks_fix_a_dropout_and_name_a_position_that_is_none():
    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(2, 3, rng=0), bp.Tanh(), bp.Dropout(0.5, rng=1),
                        bp.Dense(3, 1, rng=2))
    X, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    mask = np.array([[1, 0, 1], [0, 1, 1], [1, 1, 0], [1, 0, 0]])
    assert not bp.gradcheck(net, bp.SquaredError(), X, y).ok  # a new mask per evaluation
    assert bp.gradcheck(net, bp.SquaredError(), X, y, masks={2: mask}).ok
    with pytest.raises(ValueError, match="network position 1, which is not a Dropout layer"):
        bp.gradcheck(net, bp.SquaredError(), X, y, masks={1: mask})
