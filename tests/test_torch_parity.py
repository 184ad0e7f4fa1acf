"""Whole networks against PyTorch autograd, in float64.

Each case builds a random dense network in backprop, copies every weight into an equivalent
``torch.nn.Sequential`` and runs one forward/backward in both. The loss value, the output, every
parameter gradient, dJ/dX and (with batch norm) the running statistics must agree to a relative
1e-9. The cases live in one table; the tests are generic over it.
"""

import itertools
from dataclasses import dataclass

import numpy as np
import pytest

import backprop as bp

torch = pytest.importorskip("torch")
torch.set_num_threads(1)
F = torch.nn.functional

RTOL = 1e-9


@dataclass(frozen=True)
class Case:
    widths: tuple  # (n_in, hidden..., n_out)
    act: str  # hidden activation: a name, or "leaky_relu:<slope>"
    loss: str  # squared | bce | ce_labels | ce_onehot | ce_soft
    out: str = "identity"  # layer after the last Dense: identity | sigmoid | softmax
    batchnorm: str = "none"  # none | hidden (Dense -> BatchNorm -> act) | all (also the output)
    mode: str = "train"  # train | eval (matters for batch norm only)
    m: int = 8
    seed: int = 0

    @property
    def id(self) -> str:
        parts = ["x".join(map(str, self.widths)), self.act, self.loss, self.out]
        if self.batchnorm != "none":
            parts += [f"bn-{self.batchnorm}", self.mode]
        return "_".join(parts + [f"m{self.m}"])


ACTIVATIONS = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]
LOSSES = ["squared", "bce", "ce_labels", "ce_onehot", "ce_soft"]
HIDDEN = [(5,), (7, 6), (4, 4, 4), (9,), (6, 3, 5, 4)]  # depths 1-4, rotated across cases
N_OUT = {"squared": 2, "bce": 3, "ce_labels": 4, "ce_onehot": 4, "ce_soft": 5}


def _cases() -> list[Case]:
    cases = []
    # every hidden activation with every loss, on networks of varying depth and width
    for i, (act, loss) in enumerate(itertools.product(ACTIVATIONS, LOSSES)):
        hidden = HIDDEN[i % len(HIDDEN)]
        cases.append(Case((3 + i % 3, *hidden, N_OUT[loss]), act, loss, seed=i, m=4 + i % 9))
    # output layers that are not fused with the loss, and the article's sigmoid/squared setting
    for i, act in enumerate(ACTIVATIONS):
        cases.append(Case((4, 6, 3), act, "squared", out="softmax", seed=100 + i))
    cases += [
        Case((2, 2, 1), "sigmoid", "squared", out="sigmoid", m=1, seed=200),
        Case((3, 8, 8, 2), "tanh", "squared", out="sigmoid", m=16, seed=201),
        Case((5, 3), "identity", "ce_labels", seed=202),  # no hidden layer: softmax regression
        Case((5, 1), "identity", "bce", m=10, seed=203),  # logistic regression
        Case((4, 6, 6, 3), "leaky_relu:0.3", "ce_onehot", seed=204),
    ]
    # batch norm between the affine maps and the activations, in both modes
    for i, (act, loss) in enumerate(zip(ACTIVATIONS, LOSSES, strict=True)):
        for mode in ("train", "eval"):
            hidden = HIDDEN[i % len(HIDDEN)]
            cases.append(Case((4, *hidden, N_OUT[loss]), act, loss, batchnorm="hidden",
                              mode=mode, m=6 + i, seed=300 + i))
    cases += [
        Case((3, 5, 2), "relu", "squared", batchnorm="all", m=2, seed=310),
        Case((3, 5, 4), "tanh", "ce_labels", batchnorm="all", mode="eval", m=3, seed=311),
        Case((6, 8, 8, 3), "sigmoid", "squared", out="softmax", batchnorm="hidden", seed=312),
    ]
    return cases


CASES = _cases()


# --- building the twin networks ---------------------------------------------------------------
def make_activation(spec: str) -> bp.Layer:
    if spec.startswith("leaky_relu:"):
        return bp.LeakyReLU(float(spec.split(":")[1]))
    return bp.layers.get_activation(spec)


def build_backprop(case: Case, rng: np.random.Generator) -> bp.Sequential:
    layers: list[bp.Layer] = []
    n_dense = len(case.widths) - 1
    for k in range(n_dense):
        dense = bp.Dense(case.widths[k], case.widths[k + 1], rng=rng)
        dense.b[...] = rng.normal(0.0, 0.3, dense.n_out)  # non-zero biases exercise the forward
        layers.append(dense)
        last = k == n_dense - 1
        if case.batchnorm == "all" or (case.batchnorm == "hidden" and not last):
            bn = bp.BatchNorm(dense.n_out, momentum=0.2)
            bn.gamma[...] = rng.uniform(0.5, 1.5, bn.n)
            bn.beta[...] = rng.normal(0.0, 0.3, bn.n)
            bn.running_mean[...] = rng.normal(0.0, 0.5, bn.n)
            bn.running_var[...] = rng.uniform(0.5, 2.0, bn.n)
            layers.append(bn)
        layers.append(make_activation(case.out if last else case.act))
    return bp.Sequential(*layers).train(case.mode == "train")


def _as_tensor(a: np.ndarray) -> "torch.Tensor":
    return torch.tensor(np.asarray(a, dtype=np.float64))


def to_torch(layer: bp.Layer) -> "torch.nn.Module":
    """The torch module computing the same function, holding copies of the same numbers."""
    if isinstance(layer, bp.Dense):
        mod = torch.nn.Linear(layer.n_in, layer.n_out, dtype=torch.float64)
        with torch.no_grad():
            mod.weight.copy_(_as_tensor(layer.W))
            mod.bias.copy_(_as_tensor(layer.b))
        return mod
    if isinstance(layer, bp.BatchNorm):
        mod = torch.nn.BatchNorm1d(layer.n, eps=layer.eps, momentum=layer.momentum,
                                   dtype=torch.float64)
        with torch.no_grad():
            mod.weight.copy_(_as_tensor(layer.gamma))
            mod.bias.copy_(_as_tensor(layer.beta))
            mod.running_mean.copy_(_as_tensor(layer.running_mean))
            mod.running_var.copy_(_as_tensor(layer.running_var))
        return mod
    if isinstance(layer, bp.LeakyReLU):
        return torch.nn.LeakyReLU(layer.negative_slope)
    simple = {bp.Sigmoid: torch.nn.Sigmoid, bp.Tanh: torch.nn.Tanh, bp.ReLU: torch.nn.ReLU,
              bp.Identity: torch.nn.Identity}
    if type(layer) in simple:
        return simple[type(layer)]()
    if isinstance(layer, bp.Softmax):
        return torch.nn.Softmax(dim=1)
    raise TypeError(f"no torch twin for {layer!r}")


def make_targets(case: Case, rng: np.random.Generator):
    """Targets as backprop takes them, and as torch takes them."""
    m, k = case.m, case.widths[-1]
    if case.loss == "squared":
        if case.out == "softmax":
            y = rng.dirichlet(np.ones(k), size=m)
        elif case.out == "sigmoid":
            y = rng.uniform(0.0, 1.0, (m, k))
        else:
            y = rng.normal(0.0, 1.0, (m, k))
        return y, _as_tensor(y)
    if case.loss == "bce":
        y = (rng.random((m, k)) < 0.5).astype(np.float64)
        return y, _as_tensor(y)
    labels = rng.integers(0, k, m)
    if case.loss == "ce_labels":
        return labels, torch.tensor(labels, dtype=torch.long)
    y = np.eye(k)[labels] if case.loss == "ce_onehot" else rng.dirichlet(np.ones(k), size=m)
    return y, _as_tensor(y)


BP_LOSS = {"squared": bp.SquaredError, "bce": bp.BinaryCrossEntropy,
           "ce_labels": bp.SoftmaxCrossEntropy, "ce_onehot": bp.SoftmaxCrossEntropy,
           "ce_soft": bp.SoftmaxCrossEntropy}


def torch_loss(kind: str, out, target):
    m = out.shape[0]
    if kind == "squared":
        return 0.5 * ((target - out) ** 2).sum() / m
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(out, target, reduction="sum") / m
    # cross_entropy takes class indices or probability rows; the mean is over the m samples
    return F.cross_entropy(out, target)


def rel_err(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-300))


def run_both(case: Case):
    rng = np.random.default_rng(case.seed)
    net = build_backprop(case, rng)
    tnet = torch.nn.Sequential(*[to_torch(layer) for layer in net]).train(case.mode == "train")
    X = rng.normal(0.0, 1.5, (case.m, case.widths[0]))
    y, ty = make_targets(case, rng)

    loss = BP_LOSS[case.loss]()
    out = net.forward(X)
    J = loss.forward(out, y)
    dX = net.backward(loss.backward())

    tX = _as_tensor(X).requires_grad_(True)
    tout = tnet(tX)
    tJ = torch_loss(case.loss, tout, ty)
    tJ.backward()
    return net, tnet, (J, out, dX), (tJ.item(), tout.detach().numpy(), tX.grad.numpy())


# --- the tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_loss_output_and_input_gradient_match_torch(case):
    _, _, (J, out, dX), (tJ, tout, tdX) = run_both(case)
    assert J == pytest.approx(tJ, rel=RTOL)
    assert rel_err(out, tout) < RTOL
    assert dX.shape == tdX.shape
    assert rel_err(dX, tdX) < RTOL


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_parameter_gradient_matches_torch(case):
    net, tnet, _, _ = run_both(case)
    ours = net.parameters()
    theirs = list(tnet.parameters())
    assert len(ours) == len(theirs)
    grads = {p.name: p.grad for p in ours}
    zero = zero_shift_gradients(net)
    if case.batchnorm == "none" or case.mode == "eval":
        assert not zero  # the exemption below is only for shifts cancelled by batch statistics
    for p, tp in zip(ours, theirs, strict=True):
        assert p.grad.shape == tuple(tp.shape), p.name
        if p.name in zero:
            # the exact gradient is 0, so both sides hold only rounding noise: compare each to
            # the scale of the same layer's other gradient (dW, dgamma) instead of to each other
            scale = np.linalg.norm(grads[zero[p.name]])
            assert np.linalg.norm(p.grad) <= 1e-12 * scale, p.name
            assert np.linalg.norm(tp.grad.numpy()) <= 1e-12 * scale, p.name
        else:
            assert rel_err(p.grad, tp.grad.numpy()) < RTOL, p.name


SHIFTS = {bp.Dense: ("b", "W"), bp.BatchNorm: ("beta", "gamma")}


def zero_shift_gradients(net: bp.Sequential) -> dict[str, str]:
    """Shift parameters whose gradient is exactly 0, mapped to their layer's scale parameter.

    A training-mode BatchNorm subtracts the batch mean, so a constant shift of its input changes
    nothing. A bias (Dense ``b``, BatchNorm ``beta``) whose shift reaches such a layer through
    affine maps only (Dense, Identity, evaluation-mode BatchNorm) therefore has dJ/db = 0.
    """
    zero = {}
    layers = list(net)
    for i, layer in enumerate(layers):
        if type(layer) not in SHIFTS:
            continue
        for after in layers[i + 1:]:
            if isinstance(after, bp.BatchNorm) and after.training:
                shift, scale = SHIFTS[type(layer)]
                zero[f"{i}.{shift}"] = f"{i}.{scale}"
                break
            if not isinstance(after, (bp.Dense, bp.Identity, bp.BatchNorm)):
                break
    return zero


@pytest.mark.parametrize("case", [c for c in CASES if c.batchnorm != "none"],
                         ids=lambda c: c.id)
def test_batchnorm_running_statistics_match_torch(case):
    net, tnet, _, _ = run_both(case)
    ours = net.buffers()
    theirs = {k: v.numpy() for k, v in tnet.state_dict().items()
              if k.endswith(("running_mean", "running_var"))}
    assert set(ours) == set(theirs)
    for name, value in ours.items():
        assert rel_err(value, theirs[name]) < RTOL, name


def test_table_covers_every_activation_and_loss():
    assert {c.act for c in CASES} >= set(ACTIVATIONS)
    assert {c.loss for c in CASES} == set(LOSSES)
    assert set(itertools.product(ACTIVATIONS, LOSSES)) <= {(c.act, c.loss) for c in CASES}
    assert {c.out for c in CASES} == {"identity", "sigmoid", "softmax"}
    assert {(c.batchnorm, c.mode) for c in CASES} >= {("hidden", "train"), ("hidden", "eval")}
    assert {len(c.widths) - 1 for c in CASES} >= {1, 2, 3, 4, 5}
