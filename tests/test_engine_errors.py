"""Bad input to the engine gets a clear error naming the offending value.

Bad constructor arguments of every registered layer are in ``cases.py`` (``LayerCase.bad``) and
checked by ``test_contracts.py``; here: bad calls.
"""

import numpy as np
import pytest

import backprop as bp

CASES = [
    (lambda: bp.Dense(2, 3).forward(np.zeros((4, 3))), ValueError,
     r"Dense\(2, 3\) expects input of shape \(m, 2\), got \(4, 3\)"),
    (lambda: bp.Dense.from_arrays([[1.0, 2.0]], [1.0, 2.0]), ValueError,
     r"b must have shape \(1,\) to match W \(1, 2\), got \(2,\)"),
    (lambda: bp.Sequential(bp.Dense(2, 2), "relu"), TypeError, "Sequential item 1 must be a Layer"),
    (lambda: bp.SquaredError().forward(np.zeros((3, 2)), np.zeros((3, 3))), ValueError,
     r"target shape \(3, 3\) does not match prediction shape \(3, 2\)"),
    (lambda: bp.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), [0, 3]), ValueError,
     r"label 3 is out of range for 3 classes \(0..2\)"),
    (lambda: bp.SoftmaxCrossEntropy().forward(np.zeros((2, 3)), [0, 1, 2]), ValueError,
     "got 3 labels for 2 predictions"),
    (lambda: bp.BinaryCrossEntropy().forward(np.zeros((2, 1)), [0.0, 2.0]), ValueError,
     r"binary targets must lie in \[0, 1\], got 2"),
    (lambda: bp.SGD(bp.Dense(2, 2).parameters(), lr=-0.1), ValueError,
     "learning rate must be > 0, got -0.1"),
    (lambda: bp.SGD([], lr=0.1), ValueError, "empty parameter list"),
]


@pytest.mark.parametrize(("make", "exc", "message"), CASES)
def test_bad_input_is_named(make, exc, message):
    with pytest.raises(exc, match=message):
        make()


def test_float32_network_runs_in_float32():
    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(3, 4, dtype="float32", rng=rng), bp.ReLU(),
                        bp.Dense(4, 2, dtype="float32", rng=rng))
    out = net.forward(rng.normal(size=(5, 3)))  # float64 input is cast once
    assert out.dtype == np.float32
    loss = bp.SoftmaxCrossEntropy()
    loss.forward(out, [0, 1, 0, 1, 1])
    net.backward(loss.backward())
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
