"""``bp.chain`` / ``backprop chain``: the chain rule of any formula.

Published numbers pinned from outside the project:

* CS231n, "Backpropagation, Intuitions" (https://cs231n.github.io/optimization-2/): the circuit
  ``(x + y) z`` at ``x = -2, y = 5, z = -4`` and the 2-D sigmoid neuron with ``w = [2, -3, -3]``,
  ``x = [-1, -2]``;
* micrograd's README, "Example usage" (https://github.com/karpathy/micrograd, README.md at commit
  c911406e5ace8742e5841a7e0df113ecb5d54685): ``g = 24.7041``, ``dg/da = 138.8338``,
  ``dg/db = 645.5773``;
* the article: the temperature loss ``½(30 − 25)² = 12.5`` and the three-day cost
  ``(12.5 + 8.0 + 15.0)/3 ≈ 11.83``.

Then every gradient against central finite differences (float64) on random formulas, against
torch autograd, the grammar's refusals (one line, exit 2) and its bounds.
"""

from __future__ import annotations

import builtins
import json
import math
import subprocess
import sys
import time

import numpy as np
import pytest

import backprop as bp
from backprop.explain import formula as formula_module
from backprop.explain.operations import FUNCTIONS, OPERATORS
from backprop.layers import activation_names, get_activation

# micrograd's README program, one name per value: "c += c + 1" is c2 = c1 + (c1 + 1), ...
MICROGRAD = """
c1 = a + b
d1 = a * b + b**3
c2 = c1 + (c1 + 1)
c3 = c2 + (1 + c2 + (-a))
d2 = d1 + (d1 * 2 + relu(b + a))
d3 = d2 + (3 * d2 + relu(b - a))
e = c3 - d3
f = e**2
g1 = f / 2.0
g = g1 + 10.0 / f
"""


# --- published numbers ------------------------------------------------------------------------
def test_cs231n_circuit():
    # f = (x + y) z: q = x + y = 3, f = q z = -12; df/dz = q = 3, df/dq = z = -4 = df/dx = df/dy
    c = bp.chain("(x + y) * z", x=-2, y=5, z=-4)
    assert c.value == -12.0
    assert c.grad == {"x": -4.0, "y": -4.0, "z": 3.0}


@pytest.mark.parametrize("formula", [
    "f = sigmoid(w0*x0 + w1*x1 + w2)",
    # the same neuron gate by gate, as CS231n draws it: *, +, *(-1), exp, +1, 1/x
    "dot = w0*x0 + w1*x1 + w2; f = 1.0 / (1 + exp(-dot))",
])
def test_cs231n_sigmoid_neuron(formula):
    c = bp.chain(formula, w0=2, x0=-1, w1=-3, x1=-2, w2=-3)
    # dot = -2 + 6 - 3 = 1; f = sigma(1) = 0.73; ddot = (1 - f) f ~= 0.2
    assert round(c.value, 2) == 0.73
    g = c.grad
    assert [round(g["w0"], 2), round(g["w1"], 2), round(g["w2"], 2)] == [-0.2, -0.39, 0.2]
    assert [round(g["x0"], 2), round(g["x1"], 2)] == [0.39, -0.59]
    ddot = (1 - c.value) * c.value
    assert g["w1"] == pytest.approx(-2 * ddot, rel=1e-12)


def test_micrograd_readme_example():
    c = bp.chain(MICROGRAD, a=-4.0, b=2.0)
    assert c.output_node.id == "g"
    assert f"{c.value:.4f}" == "24.7041"
    assert f"{c.grad['a']:.4f}" == "138.8338"
    assert f"{c.grad['b']:.4f}" == "645.5773"


def test_the_articles_temperature_loss_and_three_day_cost():
    loss = bp.chain("L = 0.5*(y - yhat)**2", y=30, yhat=25)
    assert loss.value == 12.5  # ½(30 − 25)² = ½ · 25
    assert loss.grad == {"y": 5.0, "yhat": -5.0}  # dL/dŷ = −(y − ŷ)
    cost = bp.chain("J = (L1 + L2 + L3) / 3", L1=12.5, L2=8.0, L3=15.0)
    assert round(cost.value, 2) == 11.83  # (12.5 + 8.0 + 15.0)/3
    assert cost.grad == pytest.approx({"L1": 1 / 3, "L2": 1 / 3, "L3": 1 / 3}, rel=1e-15)


def test_the_articles_output_neuron_matches_the_trace(article_spec):
    """One output unit of the article's network, as a formula: the same numbers as the trace."""
    tr = bp.trace(article_spec.net, article_spec.loss, article_spec.x, article_spec.y,
                  lr=article_spec.learning_rate)
    hidden = tr.layers[0].a[0]
    W2, b2 = tr.layers[1].W[0], tr.layers[1].b[0]
    c = bp.chain("z = w1*a1 + w2*a2 + b; yhat = sigmoid(z); L = 0.5*(y - yhat)**2",
                 w1=W2[0], w2=W2[1], a1=hidden[0], a2=hidden[1], b=b2, y=1.0)
    assert c.value == pytest.approx(tr.loss, rel=1e-12)  # L = 0.037700
    assert c.node("z").grad == pytest.approx(tr.layers[1].delta[0, 0], rel=1e-12)  # δ[2]
    assert [c.grad["w1"], c.grad["w2"]] == pytest.approx(tr.layers[1].dW[0].tolist(), rel=1e-12)


# --- JSON and the command line ------------------------------------------------------------------
def test_cli_json_has_exactly_the_pinned_keys(run_cli):
    code, out, err = run_cli("chain", "(x + y) * z", "--at", "x=-2,y=5,z=-4", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert list(data) == ["value", "grad", "nodes"]
    assert data["value"] == -12.0 and data["grad"] == {"x": -4.0, "y": -4.0, "z": 3.0}
    for node in data["nodes"]:
        assert {"id", "op", "value", "grad", "inputs"} <= set(node)
    ids = [n["id"] for n in data["nodes"]]
    assert len(set(ids)) == len(ids)
    by_id = {n["id"]: n for n in data["nodes"]}
    assert by_id["f"]["op"] == "mul" and by_id["f"]["inputs"] == ["u1", "z"]
    assert by_id["u1"] == {"id": "u1", "op": "add", "value": 3.0, "grad": -4.0,
                           "inputs": ["x", "y"], "local": [1.0, 1.0]}


def test_cli_grad_holds_every_input_named_in_at(run_cli):
    code, out, _ = run_cli("chain", "x * 2", "--at", "x=3", "--at", "unused=1", "--format",
                           "json")
    assert code == 0
    data = json.loads(out)
    assert data["grad"] == {"x": 2.0, "unused": 0.0}
    assert data["nodes"][2] == {"id": "c1", "op": "const", "value": 2.0, "grad": None,
                                "inputs": [], "local": []}


def test_cli_text_markdown_html_and_vietnamese(run_cli, tmp_path):
    code, out, _ = run_cli("chain", "z = w*x + b; a = sigmoid(z); L = 0.5*(y - a)**2",
                           "--at", "w=0.5,x=2,b=-0.25,y=1")
    assert code == 0
    # a chain-rule product, written out
    assert "dL/da  = dL/du2·∂u2/∂a = 0.320821·(-1) = -0.320821" in out
    assert "∂a/∂z   = a(1 - a)" in out  # sigmoid's slope as the activation writes it
    code, md, _ = run_cli("chain", "(x + y) * z", "--at", "x=-2,y=5,z=-4", "--format",
                          "markdown", "--lang", "vi")
    assert code == 0
    assert "```mermaid\ngraph LR" in md and "$$" in md and "Quy tắc chuỗi" in md
    assert r"\frac{df}{dx}" in md and r"\frac{\partial f}{\partial u_{1}}" in md
    pytest.importorskip("latex2mathml")
    page = tmp_path / "chain.html"
    code, _, _ = run_cli("chain", "(x + y) * z", "--at", "x=-2,y=5,z=-4", "--format", "html",
                         "--output", page)
    assert code == 0
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and '<svg class="graph"' in html
    assert "<math" in html and "<script" not in html and "http" not in html.split("</head>")[1]


@pytest.mark.parametrize("argv, message", [
    (["x.relu()", "--at", "x=1"], "attributes are not part of the grammar"),
    (["x", "--at", "x"], "--at takes NAME=VALUE pairs"),
    (["x", "--at", "x=nan"], "must be finite"),
    (["x", "--at", "x=1,x=2"], "gives x twice"),
    (["__import__('os')"], "a name starts with a letter"),
    (["y * x", "--at", "x=1"], "y has no value"),
])
def test_cli_errors_are_one_line_and_exit_2(run_cli, argv, message):
    code, out, err = run_cli("chain", *argv)
    assert code == 2 and out == ""
    assert err.startswith("backprop: error: ") and err.count("\n") == 1
    assert message in err


def test_cli_lists_the_command(run_cli):
    code, out, _ = run_cli("--help")
    assert code == 0 and "chain" in out


# --- the graph ------------------------------------------------------------------------------------
def test_a_value_used_twice_sums_its_paths():
    c = bp.chain("f = x * y + x", x=3, y=4)
    x = c.node("x")
    assert len(x.users) == 2 and x.grad == 5.0  # y + 1
    text = c.to_text()
    assert "df/dx  = df/df·∂f/∂x + df/du1·∂u1/∂x = 1·1 + 1·4 = 5" in text
    assert "hence a gradient that is a sum of one product per edge: x." in text


def test_the_same_value_twice_in_one_operation():
    c = bp.chain("x * x", x=3)
    assert c.grad == {"x": 6.0}
    assert "df/dx = df/df·∂f/∂x[1] + df/df·∂f/∂x[2] = 1·3 + 1·3 = 6" in c.to_text()


def test_names_ids_and_the_output():
    c = bp.chain("a = x; b = 2; u = a * b + 1", x=5)
    assert [n.id for n in c.nodes] == ["x", "a", "b", "u1", "c1", "u"]
    assert c.node("a").op == "copy" and c.node("b").op == "const"
    assert c.value == 11.0 and c.grad == {"x": 2.0}
    # a formula using u1 pushes the anonymous nodes to another letter
    c = bp.chain("u1 * u2 + 1", u1=2, u2=3)
    assert [n.id for n in c.nodes] == ["u1", "u2", "v1", "c1", "f"]
    # the output is f unless f is taken
    assert bp.chain("f * 2", f=1.5).output_node.id == "u1"
    # a node not on the way to the output has gradient 0
    c = bp.chain("t = x * 3; y = x + 1", x=1)
    assert c.node("t").grad == 0.0 and c.grad == {"x": 1.0}
    assert "On no path to y, hence a gradient of 0: t." in c.to_text()


def test_how_names_and_numbers_are_written():
    c = bp.chain("loss = theta * 1e-9 + w_2 * 1e8 + 0.5", theta=2, w_2=3)
    text, markdown = c.to_text(), c.to_markdown()
    assert "θ·1e-9" in text and "w_2·1e8" in text and "= 300000000.5" not in text
    assert r"\theta \cdot 1 \cdot 10^{-9}" in markdown and r"w_{\mathrm{2}}" in markdown
    assert "dloss/dθ = " in text


def test_a_formula_of_numbers_only():
    c = bp.chain("2 ** 3 + 1")
    assert c.value == 9.0 and c.grad == {} and c.output_node.grad is None
    assert "depends on no input" in c.to_text()


def test_unicode_operators_and_comments():
    c = bp.chain("f = (x − 1) × y ÷ 2  # a comment\n", x=3, y=4)
    assert c.value == 4.0 and c.grad == {"x": 2.0, "y": 1.0}


def test_max_and_min_share_the_gradient_at_a_tie_as_torch_does():
    c = bp.chain("max(x, y, 0.5) + min(x, y)", x=2, y=2)
    assert c.grad == {"x": 1.0, "y": 1.0}
    assert c.node("u1").local == (0.5, 0.5, None)


def test_settings_of_an_activation():
    c = bp.chain("leaky_relu(x, negative_slope=0.2)", x=-3)
    assert c.value == pytest.approx(-0.6) and c.grad["x"] == pytest.approx(0.2)
    assert c.to_dict()["nodes"][-1]["config"] == {"negative_slope": 0.2}
    assert bp.chain("leaky_relu(x)", x=1).to_dict()["nodes"][-1]["config"] == {
        "negative_slope": 0.01}
    c = bp.chain("gelu(x, approximate='tanh')", x=1.0)
    assert c.value == pytest.approx(bp.GELU(approximate="tanh").forward(np.ones((1, 1)))[0, 0])


@pytest.mark.parametrize("name", activation_names(elementwise=True))
def test_every_registered_activation_by_name(name):
    """An activation's value and local derivative are its own forward/backward on 1x1."""
    for z in (-1.3, 0.4, 2.5):
        c = bp.chain(f"a = {name}(z)", z=z)
        layer = get_activation(name)
        a = layer.forward(np.array([[z]]))
        slope = layer.backward(np.ones((1, 1)))
        assert c.value == a[0, 0] and c.grad["z"] == slope[0, 0]
        assert c.output_node.kind == "activation" and c.output_node.op == layer.name
        assert layer.words["en"] in c.to_text() or name in c.to_text()


def test_every_operation_has_its_words():
    for lang in bp.explain.LANGUAGES.names():
        words = bp.explain.words.words(lang)
        for op in OPERATORS:
            assert f"chain_op_{op}" in words, (lang, op)
    for fn in [*OPERATORS.values(), *FUNCTIONS.values()]:
        assert fn.formula and fn.slopes


def test_the_formula_is_never_run_as_python(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("eval/exec/compile called")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, refuse)
    assert bp.chain(MICROGRAD, a=-4.0, b=2.0).value == pytest.approx(24.7041, abs=1e-4)


def test_import_backprop_does_not_load_the_chain():
    code = ("import sys, backprop as bp\n"
            "assert 'backprop.explain.graph' not in sys.modules\n"
            "assert bp.chain('x*2', x=1).grad == {'x': 2.0}\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr


# --- refusals and bounds ---------------------------------------------------------------------
@pytest.mark.parametrize("source, values, message", [
    ("x.relu()", {"x": 1}, "attributes are not part of the grammar"),
    ("import os", {}, "the Python keyword 'import'"),
    ("lambda x: x", {}, "the Python keyword 'lambda'"),
    ("a[0]", {"a": 1}, "subscripts are not part of the grammar"),
    ("x ^ 2", {"x": 1}, "powers are written **"),
    ("2x", {"x": 1}, "expected an operator between '2' and 'x'"),
    ("(x", {"x": 1}, "expected ')' to close the '('"),
    ("x)", {"x": 1}, "unbalanced ')'"),
    ("'text'", {}, "a string is allowed only as a setting"),
    ("", {}, "the formula is empty"),
    ("open(x)", {"x": 1}, "unknown function 'open'"),
    ("x(2)", {"x": 1}, "x is a value, not a function"),
    ("exp", {}, "exp is a function: call it"),
    ("exp(x, x)", {"x": 1}, "exp takes 1 value, got 2"),
    ("max(x)", {"x": 1}, "max takes 2 or more values, got 1"),
    ("exp(x, base=2)", {"x": 1}, "exp takes no settings"),
    ("relu(x, slope=2)", {"x": 1}, "relu has no setting 'slope'"),
    ("leaky_relu(x, negative_slope=-1)", {"x": 1}, "negative_slope must be >= 0"),
    ("softmax(x)", {"x": 1}, "softmax is not element-wise"),
    ("y * x", {"x": 1}, "y has no value"),
    ("a = b + 1; b = 2", {}, "b is used at line 1, column 5 before it is assigned"),
    ("y = x; y = 2", {"x": 1}, "y is assigned twice"),
    ("x = 2", {"x": 1}, "x is an input"),
    ("exp = 2", {}, "exp is a function and cannot be assigned to"),
    ("x + 1; y = 2", {"x": 1}, "neither assigned nor the last line"),
    ("1e400", {}, "the number 1e400 is too large"),
    ("123456789012345678901234567890", {}, "is longer than 24 characters"),
    ("x ** 5000", {"x": 1}, "the exponent 5000 is too large"),
    ("2 ** 2 ** 2 ** 2 ** 2", {}, "the exponent 65536 at line 1"),
    ("x ** y", {"x": 2, "y": 1001}, "the exponent 1001 at line 1"),
    ("exp(x)", {"x": 1000}, "exp at line 1, column 1: the value is inf"),
    ("log(x)", {"x": 0}, "log needs a positive argument"),
    ("x / y", {"x": 1, "y": 0}, "'/' needs a divisor other than 0"),
    ("x ** 0.5", {"x": -1}, "'**' needs a positive base"),
    ("x ** y", {"x": -2, "y": 2}, "'**' at line 1, column 3: the local derivative is nan"),
    ("sqrt(x)", {"x": 0}, "the local derivative is inf"),
    ("x * y", {"x": 1e12, "y": 1e12}, None),  # large but finite: fine
    ("x", {"x": 1e13}, "at most 1e+12 in magnitude"),
    ("x", {"x": True}, "must be a real number"),
    ("x", {"for": 1}, "the Python keyword 'for' cannot name an input"),
    ("x", {"2x": 1}, "an input's name is a letter"),
    ("x", {"exp": 1}, "exp is a function and cannot name an input"),
])
def test_refusals(source, values, message):
    if message is None:
        assert math.isfinite(bp.chain(source, values).value)
        return
    with pytest.raises(bp.FormulaError, match=None) as exc:
        bp.chain(source, values)
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize("source", [
    "(" * 5000 + "x" + ")" * 5000,                    # too long
    "(" * 1000 + "x" + ")" * 1000,                    # too deep
    "-" * 3000 + "x",                                 # too deep
    "exp(" * 100 + "x" + ")" * 100,                   # too deep
    "x**" * 200 + "x",                                # too deep
    "x+" * 1999 + "x",                                # too many terms
    "x=1\n" * 900,                                    # too many statements
    "9" * 10**6,                                      # a huge literal, and too long
])
def test_bounds_refuse_fast(source):
    t0 = time.perf_counter()
    with pytest.raises(bp.FormulaError):
        bp.chain(source, x=0.5)
    assert time.perf_counter() - t0 < 1.0


def test_the_largest_formula_accepted_stays_cheap():
    source = "x*x+" * ((formula_module.MAX_TERMS - 1) // 4) + "x"
    t0 = time.perf_counter()
    c = bp.chain(source, x=0.5)
    text = c.to_text()
    assert len(c.nodes) < formula_module.MAX_TERMS and len(text) < 200_000
    assert time.perf_counter() - t0 < 5.0


# --- gradients against finite differences and torch -----------------------------------------
ACTIVATIONS = activation_names(elementwise=True)


def random_formula(rng: np.random.Generator, names: list[str], depth: int) -> str:
    """A random well-defined formula over ``names`` (every function kept in its domain)."""
    if depth == 0 or rng.random() < 0.2:
        if rng.random() < 0.75:
            return str(rng.choice(names))
        return f"{rng.uniform(-2, 2):.2f}"
    a = random_formula(rng, names, depth - 1)
    b = random_formula(rng, names, depth - 1)
    shapes = [
        f"({a}) + ({b})", f"({a}) - ({b})", f"({a}) * ({b})",
        f"({a}) / (1.5 + sigmoid({b}))", f"-({a})", f"exp(tanh({a}))",
        f"log(1 + ({a})**2)", f"sqrt(1 + ({a})*({a}))", f"abs({a})", f"({a})**2",
        f"max({a}, {b})", f"min({a}, {b}, 0.3)", f"{rng.choice(ACTIVATIONS)}({a})",
        f"(1.1 + sigmoid({a}))**({b})",
    ]
    return shapes[rng.integers(len(shapes))]


def random_program(seed: int) -> tuple[str, dict[str, float]]:
    rng = np.random.default_rng(seed)
    names = ["x", "y", "w", "b"][: rng.integers(1, 5)]
    values = {n: float(rng.uniform(-2, 2)) for n in names}
    lines = []
    for k in range(rng.integers(1, 4)):  # named intermediate values, reused below
        lines.append(f"t{k} = {random_formula(rng, names, 3)}")
        names = [*names, f"t{k}"]
    lines.append(f"out = {random_formula(rng, names, 3)}")
    return "\n".join(lines), values


SEEDS = range(120)


@pytest.mark.parametrize("seed", SEEDS)
def test_gradients_match_central_differences(seed):
    source, values = random_program(seed)
    c = bp.chain(source, values)
    h = 1e-6
    for name, v in values.items():
        up = bp.chain(source, {**values, name: v + h}).value
        down = bp.chain(source, {**values, name: v - h}).value
        numeric = (up - down) / (2 * h)
        assert abs(numeric - c.grad[name]) <= 1e-6 * (1 + abs(c.grad[name])), (source, name)


def _torch_value(torch, node, args, torch_twin):
    ops = {
        "add": lambda a: a[0] + a[1], "sub": lambda a: a[0] - a[1],
        "mul": lambda a: a[0] * a[1], "div": lambda a: a[0] / a[1],
        "pow": lambda a: a[0] ** a[1], "neg": lambda a: -a[0], "copy": lambda a: a[0],
        "exp": lambda a: torch.exp(a[0]), "log": lambda a: torch.log(a[0]),
        "sqrt": lambda a: torch.sqrt(a[0]), "abs": lambda a: torch.abs(a[0]),
        "max": lambda a: torch.stack(a).max(), "min": lambda a: torch.stack(a).min(),
    }
    if node.kind == "activation":
        return torch_twin(node.activation())(args[0].reshape(1, 1)).reshape(())
    return ops[node.op](args)


@pytest.mark.parametrize("seed", range(0, 120, 6))
def test_gradients_match_torch_autograd(seed, torch, torch_twin):
    source, values = random_program(seed)
    c = bp.chain(source, values)
    tensors = []
    for node in c.nodes:
        if node.kind in ("input", "const"):
            tensors.append(torch.tensor(node.value, dtype=torch.float64,
                                        requires_grad=node.kind == "input"))
        else:
            tensors.append(_torch_value(torch, node, [tensors[i] for i in node.inputs],
                                        torch_twin))
    out = tensors[c.output]
    assert out.item() == pytest.approx(c.value, rel=1e-12, abs=1e-15)
    if not out.requires_grad:  # the output is a number
        assert set(c.grad.values()) <= {0.0}
        return
    out.backward()
    for name in values:
        t = tensors[[n.id for n in c.nodes].index(name)]
        expected = 0.0 if t.grad is None else t.grad.item()
        assert c.grad[name] == pytest.approx(expected, rel=1e-10, abs=1e-12), (source, name)


def test_micrograd_against_torch(torch):
    a = torch.tensor(-4.0, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g.backward()
    ours = bp.chain(MICROGRAD, a=-4.0, b=2.0)
    assert ours.value == pytest.approx(g.item(), rel=1e-14)
    assert ours.grad == pytest.approx({"a": a.grad.item(), "b": b.grad.item()}, rel=1e-14)
