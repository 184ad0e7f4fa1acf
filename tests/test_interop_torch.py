"""``bp.to_torch`` / ``bp.from_torch``: the same function, the same gradients, both ways.

Each case is a network in one library; the converted twin must give the same outputs, dJ/dX,
parameter gradients and batch-norm running statistics to a relative 1e-12 (float64), with the
train/eval modes carried over. Then: models trained in torch are traced and gradient-checked
here, the state-dict file round trip, and clear errors for what cannot be converted.
"""

import copy
import json
from dataclasses import dataclass

import numpy as np
import pytest

import backprop as bp
from backprop.interop import pytorch, torch_files
from backprop.layers import LAYERS

torch = pytest.importorskip("torch")
torch.set_num_threads(1)
F = torch.nn.functional

RTOL = 1e-12


def close(a, b, rtol=RTOL):
    """Norm-wise relative difference within rtol (with a floor for gradients that are 0)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return np.linalg.norm(a - b) <= rtol * scale + 1e-15


@dataclass(frozen=True)
class Case:
    name: str
    layers: tuple  # callables rng -> layer
    n_in: int
    mode: str = "train"


def dense(n_in, n_out, bias=True):
    def make(rng):
        layer = bp.Dense(n_in, n_out, bias=bias, rng=rng)
        if bias:
            layer.b[...] = rng.normal(0.0, 0.3, n_out)
        return layer
    return make


def bn(n):
    def make(rng):
        layer = bp.BatchNorm(n, momentum=0.25, eps=1e-4)
        layer.gamma[...] = rng.uniform(0.5, 1.5, n)
        layer.beta[...] = rng.normal(0.0, 0.3, n)
        layer.running_mean[...] = rng.normal(0.0, 0.5, n)
        layer.running_var[...] = rng.uniform(0.5, 2.0, n)
        return layer
    return make


def ln(n, affine=True):
    def make(rng):
        layer = bp.LayerNorm(n, eps=1e-6, elementwise_affine=affine)
        if affine:
            layer.gamma[...] = rng.uniform(0.5, 1.5, n)
            layer.beta[...] = rng.normal(0.0, 0.3, n)
        return layer
    return make


def const(factory, **kw):
    return lambda rng: factory(**kw)


CASES = [
    Case("sigmoid", (dense(3, 5), const(bp.Sigmoid), dense(5, 2)), 3),
    Case("tanh_softmax", (dense(4, 6), const(bp.Tanh), dense(6, 3), const(bp.Softmax)), 4),
    Case("relu_bn_train", (dense(5, 8, bias=False), bn(8), const(bp.ReLU), dense(8, 3)), 5),
    Case("relu_bn_eval_dropout", (dense(5, 8), bn(8), const(bp.ReLU),
                                  const(bp.Dropout, p=0.4), dense(8, 3)), 5, mode="eval"),
    Case("leaky_gelu", (dense(4, 7), const(bp.LeakyReLU, negative_slope=0.2), dense(7, 7),
                        const(bp.GELU), dense(7, 2)), 4),
    Case("gelu_tanh_ln", (dense(3, 9), ln(9), const(bp.GELU, approximate="tanh"),
                          dense(9, 2)), 3),
    Case("silu_softplus", (dense(4, 6), const(bp.SiLU), dense(6, 6),
                           const(bp.Softplus, beta=2.0, threshold=2.0), dense(6, 3)), 4),
    Case("ln_plain_identity", (const(bp.Identity), dense(6, 6), ln(6, affine=False),
                               const(bp.Tanh), dense(6, 1)), 6),
    Case("dropout_zero_train", (dense(3, 4), const(bp.Dropout, p=0.0), const(bp.ReLU),
                                dense(4, 2)), 3),
]


def build(case, seed=0):
    rng = np.random.default_rng(seed)
    return bp.Sequential(*[make(rng) for make in case.layers]).train(case.mode == "train")


def both_passes(net, tnet, X, y):
    """One forward/backward with softmax cross-entropy in each library."""
    loss = bp.SoftmaxCrossEntropy()
    out = net.forward(X)
    J = loss.forward(out, y)
    dX = net.backward(loss.backward())
    tX = torch.tensor(X, requires_grad=True)
    tout = tnet(tX)
    tJ = F.cross_entropy(tout, torch.tensor(y))
    tJ.backward()
    return (J, out, dX), (tJ.item(), tout.detach().numpy(), tX.grad.numpy())


def assert_twins(net, tnet, X, y):
    (J, out, dX), (tJ, tout, tdX) = both_passes(net, tnet, X, y)
    assert abs(J - tJ) <= RTOL * abs(J)
    assert close(out, tout)
    assert close(dX, tdX)
    tparams = list(tnet.parameters())
    assert len(tparams) == len(net.parameters())
    for p, tp in zip(net.parameters(), tparams, strict=True):
        assert close(p.data, tp.detach().numpy(), 0.0), p.name
        assert close(p.grad, tp.grad.numpy()), p.name
    tbuffers = [b for name, b in tnet.named_buffers() if "num_batches" not in name]
    for (name, v), tv in zip(net.buffers().items(), tbuffers, strict=True):
        assert close(v, tv.numpy()), name


def test_the_cases_cover_every_registered_layer():
    used = {type(layer) for case in CASES for layer in build(case)}
    assert set(LAYERS.values()) <= used
    assert set(LAYERS.values()) <= set(pytorch.TO_TORCH)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_to_torch_same_outputs_and_gradients(case):
    net = build(case)
    tnet = bp.to_torch(net)
    assert tnet.training == net.training
    assert [m.training for m in tnet] == [layer.training for layer in net]
    X = np.random.default_rng(1).normal(0.0, 1.5, (12, case.n_in))
    y = np.random.default_rng(2).integers(0, net.output_width(), 12)
    assert_twins(net, tnet, X, y)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_from_torch_same_outputs_and_gradients(case):
    torch.manual_seed(0)
    tnet = bp.to_torch(build(case, seed=3))
    for p in tnet.parameters():  # torch-side numbers, not ours
        with torch.no_grad():
            p.add_(0.1 * torch.randn_like(p))
    net = bp.from_torch(tnet)
    assert isinstance(net, bp.Sequential)
    assert net.training == tnet.training
    assert [layer.training for layer in net] == [m.training for m in tnet]
    X = np.random.default_rng(4).normal(0.0, 1.5, (10, case.n_in))
    y = np.random.default_rng(5).integers(0, net.output_width(), 10)
    assert_twins(net, tnet, X, y)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_round_trip_is_exact(case):
    from backprop.io import describe

    net = build(case, seed=7)
    back = bp.from_torch(bp.to_torch(net))
    assert describe(back) == describe(net)
    for p, q in zip(back.parameters(), net.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    for (k, v), w in zip(back.buffers().items(), net.buffers().values(), strict=True):
        np.testing.assert_array_equal(v, w, err_msg=k)


def test_float32_stays_float32():
    net = bp.mlp([3, 5, 2], activation="tanh", batch_norm=True, dtype="float32", rng=0)
    tnet = bp.to_torch(net)
    assert {p.dtype for p in tnet.parameters()} == {torch.float32}
    back = bp.from_torch(tnet)
    assert {p.data.dtype for p in back.parameters()} == {np.dtype(np.float32)}
    X = np.random.default_rng(0).normal(size=(8, 3)).astype(np.float32)
    with torch.no_grad():
        np.testing.assert_allclose(tnet.eval()(torch.from_numpy(X)).numpy(),
                                   net.eval().forward(X), rtol=1e-5, atol=1e-6)


def test_nested_sequentials_are_flattened_and_bn_statistics_follow():
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(4, 6, dtype=torch.float64),
                            torch.nn.BatchNorm1d(6, dtype=torch.float64)),
        torch.nn.ReLU(), torch.nn.Linear(6, 2, dtype=torch.float64))
    tnet(torch.randn(16, 4, dtype=torch.float64))  # running statistics move
    net = bp.from_torch(tnet)
    assert [layer.name for layer in net] == ["dense", "batchnorm", "relu", "dense"]
    np.testing.assert_array_equal(net[1].running_var, tnet[0][1].running_var.numpy())
    assert not np.allclose(net[1].running_var, 1.0)


def test_a_model_trained_in_torch_is_traced_and_gradient_checked_here():
    torch.manual_seed(0)
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh(),
                               torch.nn.Linear(4, 1), torch.nn.Sigmoid()).double()
    opt = torch.optim.SGD(tnet.parameters(), lr=0.5)
    X = torch.randn(32, 2, dtype=torch.float64)
    y = (X[:, :1] > 0).double()
    for _ in range(20):
        opt.zero_grad()
        (0.5 * ((tnet(X) - y) ** 2).sum() / len(X)).backward()
        opt.step()
    net = bp.from_torch(tnet)
    tr = bp.trace(net, bp.SquaredError(), [0.2, 0.4], [1.0], lr=0.1)
    assert len(tr.to_dict()["layers"]) == 2  # the article's layers: affine + activation pairs
    report = bp.gradcheck(net, bp.SquaredError(), X.numpy()[:5], y.numpy()[:5])
    assert report.ok


def test_state_dict_files_round_trip(tmp_path):
    net = build(CASES[3], seed=1)
    path, json_path = torch_files.save_torch(net, tmp_path / "model.pt")
    assert json_path == tmp_path / "model.pt.json"
    meta = json.loads(json_path.read_text())
    assert meta["format"] == "backprop-torch" and meta["state_dict"] == "model.pt"
    assert [m["type"] for m in meta["modules"]] == ["Linear", "BatchNorm1d", "ReLU", "Dropout",
                                                    "Linear"]
    # a plain torch user: the safe loader and the JSON recipe rebuild it without backprop
    state = torch.load(path, weights_only=True)
    modules = [getattr(torch.nn, m["type"])(**m["args"]) for m in meta["modules"]]
    plain = torch.nn.Sequential(*modules).double()
    plain.load_state_dict(state)
    loaded = torch_files.load_torch(path)
    assert loaded.training is False and [m.training for m in loaded] == [False] * 5
    X = torch.randn(7, 5, dtype=torch.float64)
    with torch.no_grad():
        np.testing.assert_array_equal(loaded(X).numpy(), plain.eval()(X).numpy())
        assert close(loaded(X).numpy(), net.eval().forward(X.numpy()))


def test_state_dict_files_refuse_what_they_do_not_know(tmp_path):
    path, json_path = torch_files.save_torch(build(CASES[0]), tmp_path / "m.pt")
    meta = json.loads(json_path.read_text())
    meta["modules"][1]["type"] = "os.system"
    json_path.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="unknown type 'os.system'"):
        torch_files.load_torch(path)
    path.write_bytes(b"not a zip")
    json_path.write_text(json.dumps({**meta, "modules": meta["modules"][:1]}))
    with pytest.raises(ValueError, match="cannot load the state dict"):
        torch_files.load_torch(path)
    json_path.unlink()
    with pytest.raises(FileNotFoundError, match="m.pt.json"):
        torch_files.load_torch(path)


class Twice(torch.nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x)


@pytest.mark.parametrize("module, match", [
    (torch.nn.Conv1d(1, 1, 3), "Conv1d"),
    (torch.nn.Flatten(), "Flatten"),
    (Twice(2, 2), "Twice"),
    (torch.nn.BatchNorm1d(3, momentum=None), "momentum=None"),
    (torch.nn.LayerNorm(3, bias=False), "no bias"),
    (torch.nn.LayerNorm((2, 3)), "normalises over 2 axes"),
    (torch.nn.Softmax(dim=0), "dim=0"),
    (torch.nn.Linear(2, 2, dtype=torch.float16), "float16"),
    (torch.nn.Dropout(1.0), "p must be"),
])
def test_from_torch_names_what_it_cannot_convert(module, match):
    seq = torch.nn.Sequential(torch.nn.Identity(), module)
    with pytest.raises(TypeError, match=match) as info:
        bp.from_torch(seq)
    assert "module 1" in str(info.value)


def test_from_torch_wants_a_sequential():
    with pytest.raises(TypeError, match="Sequential"):
        bp.from_torch(torch.nn.Linear(2, 2))


def test_to_torch_names_what_it_cannot_convert():
    class Doubling(bp.Layer):
        def forward(self, x):
            return 2 * x

    with pytest.raises(TypeError, match=r"layer 1 \(Doubling\) has no PyTorch counterpart"):
        bp.to_torch(bp.Sequential(bp.Dense(2, 2), Doubling()))


def test_conversion_copies_rather_than_shares():
    net = bp.mlp([2, 3, 1], rng=0)
    before = copy.deepcopy(net)
    tnet = bp.to_torch(net)
    with torch.no_grad():
        tnet[0].weight.add_(1.0)
    np.testing.assert_array_equal(net[0].W, before[0].W)
    back = bp.from_torch(tnet)
    back[0].W[...] = 0
    assert float(tnet[0].weight.detach().abs().sum()) > 0


def test_missing_torch_gives_the_pip_command(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match=r"pip install 'backprop\[torch\]'"):
        bp.to_torch(bp.mlp([2, 2], rng=0))
