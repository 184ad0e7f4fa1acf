r"""The article's general (vectorised) formulas, re-derived in NumPy with samples in COLUMNS.

The engine keeps samples in rows (Z = X W^T + b); the article writes them in columns:

    Z^[l] = W^[l] A^[l-1] + b^[l],            A^[l] = g(Z^[l])
    delta^[L] = dL/dA^[L] * g'(Z^[L]),         delta^[l] = (W^[l+1])^T delta^[l+1] * g'(Z^[l])
    dJ/dW^[l] = (1/m) delta^[l] (A^[l-1])^T,   dJ/db^[l] = (1/m) sum_i delta^[l](i)

Here dL/dA^[L] is the derivative of each sample's own loss (column i: yhat^(i) - y^(i) for the
squared error); the 1/m of the cost J is applied once, in the gradient formulas. Everything below
is written independently of the engine and compared with its dW/db and the trace's delta.
"""

import numpy as np
import pytest

import backprop as bp

# activation name -> (engine layer, g, g') with g' written from its own formula
FORMULAS = {
    "sigmoid": (bp.Sigmoid, lambda z: 1 / (1 + np.exp(-z)),
                lambda z: (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z)))),
    "tanh": (bp.Tanh, np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (bp.ReLU, lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda: bp.LeakyReLU(0.2), lambda z: np.where(z > 0, z, 0.2 * z),
                   lambda z: np.where(z > 0, 1.0, 0.2)),
    "identity": (bp.Identity, lambda z: z, np.ones_like),
}

CASES = [
    ("sigmoid-sigmoid", (2, 2, 1), ("sigmoid", "sigmoid"), 1),
    ("sigmoid-sigmoid-batch", (2, 2, 1), ("sigmoid", "sigmoid"), 6),
    ("tanh-relu-identity", (3, 5, 4, 2), ("tanh", "relu", "identity"), 7),
    ("leaky-tanh-sigmoid-relu", (4, 3, 3, 2, 2), ("leaky_relu", "tanh", "sigmoid", "relu"), 5),
    ("identity-leaky", (3, 4, 3), ("identity", "leaky_relu"), 4),
]


def columns_backprop(Ws, bs, acts, X_cols, Y_cols):
    """Forward and backward in the article's column convention; returns Zs, deltas, grads."""
    m = X_cols.shape[1]
    A, As, Zs = X_cols, [X_cols], []
    for W, b, act in zip(Ws, bs, acts, strict=True):
        Z = W @ A + b[:, None]
        A = FORMULAS[act][1](Z)
        Zs.append(Z)
        As.append(A)
    L = len(Ws)
    deltas = [None] * L
    dL_dA = As[-1] - Y_cols  # per-sample squared-error derivative, one column per sample
    deltas[L - 1] = dL_dA * FORMULAS[acts[L - 1]][2](Zs[L - 1])
    for l in range(L - 2, -1, -1):
        deltas[l] = (Ws[l + 1].T @ deltas[l + 1]) * FORMULAS[acts[l]][2](Zs[l])
    dWs = [(1 / m) * deltas[l] @ As[l].T for l in range(L)]
    dbs = [(1 / m) * deltas[l].sum(axis=1) for l in range(L)]
    J = (1 / m) * np.sum(0.5 * np.sum((Y_cols - As[-1]) ** 2, axis=0))
    return Zs, deltas, dWs, dbs, J


@pytest.mark.parametrize("name, widths, acts, m", CASES, ids=[c[0] for c in CASES])
def test_vectorised_formulas_match_the_engine(name, widths, acts, m):
    rng = np.random.default_rng(sum(map(ord, name)))
    Ws = [rng.normal(scale=0.8, size=(widths[i + 1], widths[i])) for i in range(len(acts))]
    bs = [rng.normal(scale=0.3, size=widths[i + 1]) for i in range(len(acts))]
    X = rng.normal(size=(m, widths[0]))
    Y = rng.normal(size=(m, widths[-1]))

    layers = []
    for W, b, act in zip(Ws, bs, acts, strict=True):
        layers += [bp.Dense.from_arrays(W, b), FORMULAS[act][0]()]
    net = bp.Sequential(*layers)
    tr = bp.trace(net, bp.SquaredError(), X, Y, lr=0.1)

    Zs, deltas, dWs, dbs, J = columns_backprop(Ws, bs, acts, X.T, Y.T)
    tol = dict(rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(tr.loss, J, **tol)
    for l, t in enumerate(tr.layers):
        np.testing.assert_allclose(t.z, Zs[l].T, **tol)
        # the trace's delta is dJ/dz (carrying the cost's 1/m); the article's is per sample
        np.testing.assert_allclose(t.delta * m, deltas[l].T, **tol)
        np.testing.assert_allclose(t.dW, dWs[l], **tol)
        np.testing.assert_allclose(t.db, dbs[l], **tol)
        np.testing.assert_allclose(t.W_new, Ws[l] - 0.1 * dWs[l], **tol)
        np.testing.assert_allclose(t.b_new, bs[l] - 0.1 * dbs[l], **tol)


def test_mini_batch_gradient_is_the_mean_of_per_sample_gradients():
    """dJ/dW over a batch = (1/m) sum of each sample's own gradient (the article's J)."""
    rng = np.random.default_rng(7)
    net = bp.Sequential(bp.Dense(3, 4, rng=rng), bp.Tanh(), bp.Dense(4, 2, rng=rng), bp.Sigmoid())
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    batch = bp.trace(net, bp.SquaredError(), X, Y, lr=0.1)
    singles = [bp.trace(net, bp.SquaredError(), X[i], Y[i], lr=0.1) for i in range(5)]
    for l in range(2):
        mean_dW = np.mean([s.layers[l].dW for s in singles], axis=0)
        np.testing.assert_allclose(batch.layers[l].dW, mean_dW, rtol=1e-12, atol=1e-14)
        for i, s in enumerate(singles):
            np.testing.assert_allclose(batch.layers[l].delta[i] * 5, s.layers[l].delta[0],
                                       rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(batch.loss, np.mean([s.loss for s in singles]), rtol=1e-13)
