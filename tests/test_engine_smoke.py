"""The article's 2-2-1 network, one training step through the public engine (steps 1-10)."""

import numpy as np

import backprop as bp


def test_article_step_numbers_to_six_decimals(article_spec):
    net, loss = article_spec.net, article_spec.loss
    assert isinstance(loss, bp.SquaredError) and article_spec.learning_rate == 0.1
    y_hat = net.forward(article_spec.x)
    J = loss.forward(y_hat, article_spec.y)
    net.backward(loss.backward())
    assert round(J, 6) == 0.037700
    assert round(float(y_hat[0, 0]), 6) == 0.725409
    np.testing.assert_array_equal(np.round(net[2].dW, 6), [[-0.026665, -0.029259]])
    np.testing.assert_array_equal(np.round(net[0].dW, 6),
                                  [[-0.002186, -0.004373], [-0.002449, -0.004899]])
    bp.SGD(net.parameters(), lr=article_spec.learning_rate).step()
    np.testing.assert_array_equal(np.round(net[2].W, 6), [[0.802666, 0.902926]])
    np.testing.assert_array_equal(np.round(net[2].b, 6), [0.105470])
    np.testing.assert_array_equal(np.round(net[0].W, 6),
                                  [[0.100219, -0.199563], [0.300245, 0.250490]])
    np.testing.assert_array_equal(np.round(net[0].b, 6), [0.011093, -0.018775])
