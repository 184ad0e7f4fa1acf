"""The article's 2-2-1 network, one training step through the public engine (steps 1-10)."""

import numpy as np

import backprop as bp


def article_net():
    return bp.Sequential(
        bp.Dense.from_arrays([[0.10, -0.20], [0.30, 0.25]], [0.01, -0.02]), bp.Sigmoid(),
        bp.Dense.from_arrays([[0.80, 0.90]], [0.10]), bp.Sigmoid(),
    )


def test_article_step_numbers_to_six_decimals():
    net = article_net()
    loss = bp.SquaredError()
    y_hat = net.forward(np.array([[0.2, 0.4]]))
    J = loss.forward(y_hat, [[1.0]])
    net.backward(loss.backward())
    assert round(J, 6) == 0.037700
    assert round(float(y_hat[0, 0]), 6) == 0.725409
    np.testing.assert_array_equal(np.round(net[2].dW, 6), [[-0.026665, -0.029259]])
    np.testing.assert_array_equal(np.round(net[0].dW, 6),
                                  [[-0.002186, -0.004373], [-0.002449, -0.004899]])
    bp.SGD(net.parameters(), lr=0.1).step()
    np.testing.assert_array_equal(np.round(net[2].W, 6), [[0.802666, 0.902926]])
    np.testing.assert_array_equal(np.round(net[2].b, 6), [0.105470])
    np.testing.assert_array_equal(np.round(net[0].W, 6),
                                  [[0.100219, -0.199563], [0.300245, 0.250490]])
    np.testing.assert_array_equal(np.round(net[0].b, 6), [0.011093, -0.018775])
