"""Whole networks against PyTorch autograd, in float64.

Each case builds a random dense network in backprop, copies every weight into its torch twin
(``conftest.py``) and runs one forward/backward in both. The loss value, the output, every
parameter gradient, dJ/dX and (with batch norm) the running statistics must agree to a relative
1e-12. The hidden activations and the losses come from the table of cases (``cases.py``): every
registered element-wise activation meets every loss, on networks of varying depth.
"""

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from cases import activation_cases, layer_case, loss_case

import backprop as bp


@dataclass(frozen=True)
class Case:
    widths: tuple  # (n_in, hidden..., n_out)
    act: str  # hidden activation: the id of an activation case
    loss: str  # the id of a loss case
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


# every element-wise activation case (whose inputs need not avoid undeclared points), every loss
ACTIVATIONS = [c.id for c in activation_cases(elementwise=True, plain=True)]
LOSSES = ["squared", "bce", "bce-soft", "ce-labels", "ce-onehot", "ce-soft"]
HIDDEN = [(5,), (7, 6), (4, 4, 4), (9,), (6, 3, 5, 4)]  # depths 1-4, rotated across cases
N_OUT = {name: loss_case(name).k for name in LOSSES}


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
        Case((5, 3), "identity", "ce-labels", seed=202),  # no hidden layer: softmax regression
        Case((5, 1), "identity", "bce-1d-target", m=10, seed=203),  # logistic regression
        Case((4, 6, 6, 3), "leaky_relu-1.5", "ce-onehot", seed=204),
        Case((4, 6, 6, 1), "gelu-tanh", "squared-1d-target", seed=205),
    ]
    # batch norm between the affine maps and the activations, in both modes
    for i, act in enumerate(ACTIVATIONS):
        loss = LOSSES[i % len(LOSSES)]
        for mode in ("train", "eval"):
            hidden = HIDDEN[i % len(HIDDEN)]
            cases.append(Case((4, *hidden, N_OUT[loss]), act, loss, batchnorm="hidden",
                              mode=mode, m=6 + i, seed=300 + i))
    cases += [
        Case((3, 5, 2), "relu", "squared", batchnorm="all", m=2, seed=310),
        Case((3, 5, 4), "tanh", "ce-labels", batchnorm="all", mode="eval", m=3, seed=311),
        Case((6, 8, 8, 3), "sigmoid", "squared", out="softmax", batchnorm="hidden", seed=312),
    ]
    return cases


CASES = _cases()


# --- building the twin networks ---------------------------------------------------------------
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
        layers.append(layer_case(case.out if last else case.act).make())
    return bp.Sequential(*layers).train(case.mode == "train")


def run_both(case: Case, torch, torch_twin):
    rng = np.random.default_rng(case.seed)
    net = build_backprop(case, rng)
    tnet = torch_twin(net)
    X = rng.normal(0.0, 1.5, (case.m, case.widths[0]))
    lc = loss_case(case.loss)
    y = lc.targets(rng, case.m, case.widths[-1])

    loss = lc.make()
    out = net.forward(X)
    J = loss.forward(out, y)
    dX = net.backward(loss.backward())

    tX = torch.from_numpy(X.copy()).requires_grad_(True)
    tout = tnet(tX)
    tJ = lc.reference(torch, tout, y)
    tJ.backward()
    return net, tnet, (J, out, dX), (tJ.item(), tout.detach().numpy(), tX.grad.numpy())


# --- the tests --------------------------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_loss_output_and_input_gradient_match_torch(case, torch, torch_twin, rel_err, tol):
    _, _, (J, out, dX), (tJ, tout, tdX) = run_both(case, torch, torch_twin)
    assert J == pytest.approx(tJ, rel=tol.parity64)
    assert rel_err(out, tout) < tol.parity64
    assert dX.shape == tdX.shape
    assert rel_err(dX, tdX) < tol.parity64


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_every_parameter_gradient_matches_torch(case, torch, torch_twin, rel_err, tol):
    net, tnet, _, _ = run_both(case, torch, torch_twin)
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
            assert rel_err(p.grad, tp.grad.numpy()) < tol.parity64, p.name


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
def test_batchnorm_running_statistics_match_torch(case, torch, torch_twin, rel_err, tol):
    net, tnet, _, _ = run_both(case, torch, torch_twin)
    ours = net.buffers()
    theirs = {k: v.numpy() for k, v in tnet.state_dict().items()
              if k.endswith(("running_mean", "running_var"))}
    assert set(ours) == set(theirs)
    for name, value in ours.items():
        assert rel_err(value, theirs[name]) < tol.parity64, name


def test_table_covers_every_activation_and_loss():
    registered = set(bp.layers.activation_names(elementwise=True))
    assert {layer_case(a).name for a in ACTIVATIONS} == registered
    assert {c.loss for c in CASES} >= set(LOSSES)
    assert {loss_case(c.loss).name for c in CASES} == set(bp.LOSSES.names())
    assert set(itertools.product(ACTIVATIONS, LOSSES)) <= {(c.act, c.loss) for c in CASES}
    assert {c.out for c in CASES} == {"identity", "sigmoid", "softmax"}
    assert {(c.batchnorm, c.mode) for c in CASES} >= {("hidden", "train"), ("hidden", "eval")}
    assert {len(c.widths) - 1 for c in CASES} >= {1, 2, 3, 4, 5}
