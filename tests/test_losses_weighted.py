"""Weighted losses: SoftmaxCrossEntropy(label_smoothing=, weight=) and BinaryCrossEntropy(
pos_weight=) against torch.nn's CrossEntropyLoss / BCEWithLogitsLoss in float64, and the
validation messages. (Every loss case's sample weights and config round trip are generic
contract tests over tests/cases.py.)
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import compiled
from backprop.losses import LOSSES

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

RTOL = 1e-12
M = 9  # samples per batch


def batch(name, k, rng, form="labels"):
    """Logits / predictions of shape (M, k) and a target for the loss ``name``."""
    z = rng.normal(scale=2.0, size=(M, k))
    if name == "squared":
        return z, rng.normal(size=(M, k))
    if name == "binary_cross_entropy":
        return z, rng.integers(0, 2, size=(M, k)).astype(float)
    labels = rng.integers(0, k, size=M)
    if form == "labels":
        return z, labels
    if form == "onehot":
        return z, np.eye(k)[labels]
    return z, rng.dirichlet(np.ones(k), size=M)  # probability rows




def test_defaults_keep_the_compiled_fast_path_and_others_leave_it(monkeypatch):
    rng = np.random.default_rng(0)
    z, t = batch("softmax_cross_entropy", 5, rng)
    if compiled.available():
        calls = []
        real = compiled.kernels

        class Spy:
            def softmax_xent(self, *args):
                calls.append(1)
                return real.softmax_xent(*args)

        monkeypatch.setattr(compiled, "kernels", Spy())
        bp.SoftmaxCrossEntropy().forward(z, t)
        assert calls == [1]
        for kw, sw in (({"label_smoothing": 0.1}, None), ({"weight": np.ones(5)}, None),
                       ({}, np.ones(M))):
            bp.SoftmaxCrossEntropy(**kw).forward(z, t, sample_weight=sw)
        assert calls == [1]
    # and the weighted formula with neutral settings gives the default numbers
    plain = bp.SoftmaxCrossEntropy()
    neutral = bp.SoftmaxCrossEntropy(weight=np.ones(5))
    assert neutral.forward(z, t) == pytest.approx(plain.forward(z, t), rel=1e-14)
    np.testing.assert_allclose(neutral.backward(), plain.backward(), rtol=1e-13, atol=1e-17)


# --- parity with torch.nn --------------------------------------------------------------------
def torch_value_and_grad(fn, z):
    zt = torch.from_numpy(z.copy()).requires_grad_()
    out = fn(zt)
    out.backward()
    return float(out.detach()), zt.grad.numpy()


CE_TORCH = [
    ({"label_smoothing": 0.1}, "labels"),
    ({"label_smoothing": 0.1}, "onehot"),
    ({"label_smoothing": 0.35}, "probs"),
    ({"label_smoothing": 1.0}, "labels"),
    ({"weight": [0.3, 2.0, 1.0, 5.0, 0.0]}, "labels"),
    ({"weight": [0.3, 2.0, 1.0, 5.0, 0.0]}, "onehot"),
    ({"weight": [0.3, 2.0, 1.0, 5.0, 0.5]}, "probs"),
    ({"label_smoothing": 0.2, "weight": [0.3, 2.0, 1.0, 5.0, 0.5]}, "labels"),
    ({"label_smoothing": 0.2, "weight": [0.3, 2.0, 1.0, 5.0, 0.5]}, "onehot"),
    ({"label_smoothing": 0.2, "weight": [0.3, 2.0, 1.0, 5.0, 0.5]}, "probs"),
]


@pytest.mark.parametrize("kw,form", CE_TORCH,
                         ids=[f"{f}-{','.join(kw)}" for kw, f in CE_TORCH])
def test_cross_entropy_matches_torch(kw, form):
    rng = np.random.default_rng(17)
    z, t = batch("softmax_cross_entropy", 5, rng, form)
    loss = bp.SoftmaxCrossEntropy(**kw)
    J = loss.forward(z, t)
    grad = loss.backward()
    tkw = dict(kw)
    if "weight" in tkw:
        tkw["weight"] = torch.tensor(tkw["weight"], dtype=torch.float64)
    ref = torch.nn.CrossEntropyLoss(**tkw)
    tt = torch.from_numpy(t)
    tJ, tgrad = torch_value_and_grad(lambda zt: ref(zt, tt), z)
    assert J == pytest.approx(tJ, rel=RTOL, abs=0)
    np.testing.assert_allclose(grad, tgrad, rtol=RTOL, atol=1e-16)


def test_weighted_labels_and_rows_differ_as_in_torch():
    # the same one-hot targets: labels divide by sum w_y, rows by m (PyTorch's two rules)
    rng = np.random.default_rng(2)
    z, labels = batch("softmax_cross_entropy", 3, rng)
    w = [1.0, 4.0, 0.5]
    as_labels = bp.SoftmaxCrossEntropy(weight=w).forward(z, labels)
    as_rows = bp.SoftmaxCrossEntropy(weight=w).forward(z, np.eye(3)[labels])
    assert as_labels == pytest.approx(as_rows * M / np.take(w, labels).sum(), rel=1e-13)


@pytest.mark.parametrize("kw,form", [({"label_smoothing": 0.1, "weight": [1, 2, 3, 0.5, 1]},
                                      "labels"),
                                     ({"label_smoothing": 0.3}, "probs"), ({}, "labels")])
def test_cross_entropy_sample_weight_is_torch_none_reduction_weighted(kw, form):
    rng = np.random.default_rng(4)
    z, t = batch("softmax_cross_entropy", 5, rng, form)
    s = rng.uniform(0.0, 3.0, size=M)
    loss = bp.SoftmaxCrossEntropy(**kw)
    J = loss.forward(z, t, sample_weight=s)
    grad = loss.backward()
    tkw = dict(kw)
    w = np.ones(5) if "weight" not in kw else np.asarray(kw["weight"], dtype=float)
    if "weight" in tkw:
        tkw["weight"] = torch.from_numpy(w)
    per_sample = torch.nn.CrossEntropyLoss(reduction="none", **tkw)
    b = w[t] if form == "labels" else np.ones(M)  # torch's mean denominators, per sample
    st, tt = torch.from_numpy(s), torch.from_numpy(t)
    tJ, tgrad = torch_value_and_grad(
        lambda zt: (st * per_sample(zt, tt)).sum() / float(np.dot(s, b)), z)
    assert J == pytest.approx(tJ, rel=RTOL, abs=0)
    np.testing.assert_allclose(grad, tgrad, rtol=RTOL, atol=1e-16)


@pytest.mark.parametrize("pos_weight,k", [(3.0, 1), ([0.25], 1), ([0.5, 2.0, 7.0], 3),
                                          (2.0, 4), (None, 3)])
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_pos_weight_matches_torch(pos_weight, k, weighted):
    rng = np.random.default_rng(8)
    z, y = batch("binary_cross_entropy", k, rng)
    z[0, 0] = 40.0  # a saturated logit: the stable forms must hold
    z[1, 0] = -40.0
    s = rng.uniform(0.1, 2.0, size=M) if weighted else None
    loss = bp.BinaryCrossEntropy(pos_weight=pos_weight)
    J = loss.forward(z, y, sample_weight=s)
    grad = loss.backward()
    pw = None if pos_weight is None else torch.tensor(np.broadcast_to(pos_weight, (k,)).copy(),
                                                      dtype=torch.float64)
    per_element = torch.nn.BCEWithLogitsLoss(pos_weight=pw, reduction="none")
    yt = torch.from_numpy(y)
    sw = np.ones(M) if s is None else s
    # the units are summed (the article's cost), the samples averaged with their weights
    tJ, tgrad = torch_value_and_grad(
        lambda zt: (torch.from_numpy(sw) * per_element(zt, yt).sum(dim=1)).sum() / sw.sum(), z)
    assert J == pytest.approx(tJ, rel=RTOL, abs=0)
    np.testing.assert_allclose(grad, tgrad, rtol=RTOL, atol=1e-16)
    if k == 1 and not weighted:  # one unit: exactly BCEWithLogitsLoss's mean
        ref = torch.nn.BCEWithLogitsLoss(pos_weight=pw)(torch.from_numpy(z), yt)
        assert J == pytest.approx(float(ref), rel=RTOL)


def test_squared_error_sample_weight_matches_torch():
    rng = np.random.default_rng(9)
    z, y = batch("squared", 2, rng)
    s = rng.uniform(0.0, 3.0, size=M)
    loss = bp.SquaredError()
    J = loss.forward(z, y, sample_weight=s)
    grad = loss.backward()
    st, yt = torch.from_numpy(s), torch.from_numpy(y)
    tJ, tgrad = torch_value_and_grad(
        lambda zt: (st * 0.5 * ((zt - yt) ** 2).sum(dim=1)).sum() / st.sum(), z)
    assert J == pytest.approx(tJ, rel=RTOL, abs=0)
    np.testing.assert_allclose(grad, tgrad, rtol=RTOL, atol=1e-16)


def test_float32_stays_float32():
    rng = np.random.default_rng(1)
    z, t = batch("softmax_cross_entropy", 4, rng)
    z = z.astype(np.float32)
    loss = bp.SoftmaxCrossEntropy(label_smoothing=0.1, weight=[1, 2, 3, 4])
    loss.forward(z, t, sample_weight=np.arange(M))
    assert loss.backward().dtype == np.float32
    loss = bp.BinaryCrossEntropy(pos_weight=2.0)
    loss.forward(z, (z > 0).astype(np.float32), sample_weight=np.ones(M))
    assert loss.backward().dtype == np.float32
    loss = bp.SquaredError()
    loss.forward(z, z * 0, sample_weight=np.ones(M))
    assert loss.backward().dtype == np.float32


# --- validation ------------------------------------------------------------------------------
BAD_CONSTRUCTION = [
    ("softmax_cross_entropy", {"label_smoothing": 1.5}, ValueError,
     r"label_smoothing must be in \[0, 1\], got 1.5"),
    ("softmax_cross_entropy", {"label_smoothing": -0.1}, ValueError, "got -0.1"),
    ("softmax_cross_entropy", {"label_smoothing": "some"}, TypeError, "'some'"),
    ("softmax_cross_entropy", {"weight": [1.0, -2.0, 1.0]}, ValueError,
     "weight must be finite and >= 0, got -2 at index 1"),
    ("softmax_cross_entropy", {"weight": [1.0, np.nan]}, ValueError, "got nan at index 1"),
    ("softmax_cross_entropy", {"weight": 2.0}, ValueError, "one number per class"),
    ("softmax_cross_entropy", {"weight": [[1.0, 2.0]]}, ValueError, r"shape \(1, 2\)"),
    ("softmax_cross_entropy", {"weight": ["a", "b"]}, TypeError, "sequence of numbers"),
    ("binary_cross_entropy", {"pos_weight": -1.0}, ValueError,
     "pos_weight must be finite and >= 0, got -1 at index 0"),
    ("binary_cross_entropy", {"pos_weight": [1.0, -0.5]}, ValueError, "-0.5 at index 1"),
]


@pytest.mark.parametrize("name,kw,exc,match", BAD_CONSTRUCTION,
                         ids=[c[3][:30] for c in BAD_CONSTRUCTION])
def test_bad_constructor_arguments_name_the_value(name, kw, exc, match):
    with pytest.raises(exc, match=match):
        LOSSES[name](**kw)


def test_bad_forward_arguments_name_the_value():
    rng = np.random.default_rng(0)
    z, t = batch("softmax_cross_entropy", 4, rng)
    with pytest.raises(ValueError, match="weight has 3 entries for 4 classes"):
        bp.SoftmaxCrossEntropy(weight=[1, 2, 3]).forward(z, t)
    z2, y2 = batch("binary_cross_entropy", 2, rng)
    with pytest.raises(ValueError, match="pos_weight has 3 entries for 2 output units"):
        bp.BinaryCrossEntropy(pos_weight=[1, 2, 3]).forward(z2, y2)
    for name in LOSSES.names():
        z, t = batch(name, 3, rng)
        loss = LOSSES[name]()
        with pytest.raises(ValueError, match=r"shape \(9,\).*got shape \(8,\)"):
            loss.forward(z, t, sample_weight=np.ones(8))
        with pytest.raises(ValueError, match=r"sample_weight must be finite and >= 0, got -1 "
                                             r"at index 3"):
            loss.forward(z, t, sample_weight=[1, 1, 1, -1, 1, 1, 1, 1, 1])
        with pytest.raises(ValueError, match="got inf at index 0"):
            loss.forward(z, t, sample_weight=[np.inf] + [1] * 8)
        with pytest.raises(ValueError, match="sum to 0"):
            loss.forward(z, t, sample_weight=np.zeros(M))
        with pytest.raises(TypeError, match="sample_weight must hold numbers"):
            loss.forward(z, t, sample_weight=["a"] * M)
    # class weights that vanish on every target of the batch leave J undefined
    labels = np.zeros(M, dtype=np.int64)
    with pytest.raises(ValueError, match="sum to 0"):
        bp.SoftmaxCrossEntropy(weight=[0.0, 1.0]).forward(rng.normal(size=(M, 2)), labels)
