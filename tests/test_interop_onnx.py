"""``bp.to_onnx``: ONNX Runtime reproduces the library on 1,000 random inputs.

One table of architectures (every registered layer kind appears in it; a completeness test
checks that), each exported in float32 and float64 and run by ONNX Runtime; the outputs must
agree with the library's to 1e-6 / 1e-12 (the measure of :mod:`backprop.interop.verify`).
"""

import copy
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import backprop as bp
from backprop.interop import onnx_export, verify
from backprop.layers import LAYERS

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

N_SAMPLES = 1000


@dataclass(frozen=True)
class Arch:
    name: str
    build: Callable[[str, np.random.Generator], list]
    n_in: int
    scale: float = 2.0  # spread of the random inputs


def _dense(n_in, n_out, dtype, rng, bias=True):
    layer = bp.Dense(n_in, n_out, bias=bias, dtype=dtype, rng=rng)
    if bias:
        layer.b[...] = rng.normal(0.0, 0.5, n_out)
    return layer


def _bn(n, dtype, rng):
    bn = bp.BatchNorm(n, momentum=0.3, eps=1e-3, dtype=dtype)
    bn.gamma[...] = rng.uniform(0.5, 1.5, n)
    bn.beta[...] = rng.normal(0.0, 0.5, n)
    bn.running_mean[...] = rng.normal(0.0, 0.5, n)
    bn.running_var[...] = rng.uniform(0.5, 2.0, n)
    return bn


def _ln(n, dtype, rng, affine=True):
    ln = bp.LayerNorm(n, eps=1e-4, elementwise_affine=affine, dtype=dtype)
    if affine:
        ln.gamma[...] = rng.uniform(0.5, 1.5, n)
        ln.beta[...] = rng.normal(0.0, 0.5, n)
    return ln


ARCHS = [
    Arch("linear_regression", lambda dt, r: [_dense(6, 1, dt, r)], 6),
    Arch("sigmoid_article", lambda dt, r: [_dense(2, 2, dt, r), bp.Sigmoid(),
                                           _dense(2, 1, dt, r), bp.Sigmoid()], 2),
    Arch("tanh_softmax", lambda dt, r: [_dense(5, 16, dt, r), bp.Tanh(), _dense(16, 8, dt, r),
                                        bp.Tanh(), _dense(8, 4, dt, r), bp.Softmax()], 5),
    Arch("relu_batchnorm_dropout",
         lambda dt, r: [_dense(8, 32, dt, r, bias=False), _bn(32, dt, r), bp.ReLU(),
                        bp.Dropout(0.3, rng=0), _dense(32, 16, dt, r), _bn(16, dt, r),
                        bp.ReLU(), bp.Dropout(0.1, rng=1), _dense(16, 3, dt, r)], 8),
    Arch("leaky_relu", lambda dt, r: [_dense(4, 12, dt, r), bp.LeakyReLU(0.2),
                                      _dense(12, 12, dt, r), bp.LeakyReLU(),
                                      _dense(12, 2, dt, r)], 4),
    Arch("gelu_exact_layernorm",
         lambda dt, r: [_dense(6, 24, dt, r), _ln(24, dt, r), bp.GELU(), _dense(24, 5, dt, r)],
         6, scale=3.0),
    Arch("gelu_tanh", lambda dt, r: [_dense(3, 20, dt, r), bp.GELU(approximate="tanh"),
                                     _dense(20, 4, dt, r)], 3, scale=3.0),
    Arch("silu_layernorm_plain",
         lambda dt, r: [_dense(7, 16, dt, r), bp.SiLU(), _ln(16, dt, r, affine=False),
                        _dense(16, 3, dt, r)], 7),
    Arch("softplus_threshold",  # beta x crosses the threshold, both branches are used
         lambda dt, r: [_dense(4, 16, dt, r), bp.Softplus(beta=2.0, threshold=3.0),
                        _dense(16, 16, dt, r), bp.Softplus(), _dense(16, 2, dt, r)], 4,
         scale=4.0),
    Arch("identity_and_softmax_regression",
         lambda dt, r: [bp.Identity(), _dense(10, 4, dt, r), bp.Identity(), bp.Softmax()], 10),
    Arch("deep_mixed",
         lambda dt, r: [_dense(12, 32, dt, r, bias=False), _bn(32, dt, r), bp.GELU(),
                        _dense(32, 32, dt, r), _ln(32, dt, r), bp.SiLU(), bp.Dropout(0.5),
                        _dense(32, 16, dt, r), bp.Tanh(), _dense(16, 16, dt, r),
                        bp.Softplus(beta=0.5), _dense(16, 8, dt, r), bp.LeakyReLU(0.05),
                        _dense(8, 3, dt, r), bp.Sigmoid()], 12),
    Arch("wide_relu", lambda dt, r: [_dense(64, 128, dt, r), bp.ReLU(), _dense(128, 10, dt, r)],
         64),
]

def build(arch: Arch, dtype: str, seed: int = 0) -> bp.Sequential:
    return bp.Sequential(*arch.build(dtype, np.random.default_rng(seed)))


def run_ort(model, X):
    return verify.onnxruntime_outputs(model.SerializeToString(), X)


def test_the_architectures_cover_every_registered_layer():
    used = {type(layer) for arch in ARCHS for layer in build(arch, "float64")}
    assert set(LAYERS.values()) <= used
    assert set(LAYERS.values()) <= set(onnx_export.EMITTERS)
    assert len(ARCHS) >= 10


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("arch", ARCHS, ids=lambda a: a.name)
def test_onnxruntime_matches_the_library(arch, dtype):
    net = build(arch, dtype).train()  # exported in evaluation mode whatever the mode
    model = onnx_export.onnx_model(net)
    assert net.training and all(layer.training for layer in net)  # the mode is untouched
    X = np.random.default_rng(1).normal(0.0, arch.scale, (N_SAMPLES, arch.n_in)).astype(dtype)
    out = run_ort(model, X)
    assert out.dtype == np.dtype(dtype)
    assert out.shape == (N_SAMPLES, net.output_width())
    result = verify.compare(out, net.eval().forward(X), dtype)
    assert result.ok, f"{arch.name} {dtype}: {result}"
    assert result.tolerance == {"float32": 1e-6, "float64": 1e-12}[dtype]


def test_graph_format():
    net = build(ARCHS[3], "float32")
    model = onnx_export.onnx_model(net)
    onnx.checker.check_model(model, full_check=True)
    assert [(o.domain, o.version) for o in model.opset_import] == [("", onnx_export.OPSET)]
    assert model.ir_version == onnx_export.IR_VERSION
    assert model.producer_name == "backprop"
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("input", "output")
    dims = [d.dim_param or d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert dims == ["batch", 8]
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    props = {p.key: p.value for p in model.metadata_props}
    assert '"dense"' in props["backprop.architecture"]
    # weights keep torch.nn.Linear's (n_out, n_in) layout, named after their layer
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    np.testing.assert_array_equal(inits["l0_dense.W"], net[0].W)


def test_ops_that_would_cost_float64_precision_are_composed():
    """No Erf/Softplus (no float64 kernels in ONNX Runtime), no op with a float attribute that
    the library's numbers pass through (ONNX keeps those in 32 bits); see the module."""
    ops = set()
    for arch in ARCHS:
        ops |= {n.op_type for n in onnx_export.onnx_model(build(arch, "float64")).graph.node}
    assert not ops & {"Erf", "Gelu", "Softplus", "LeakyRelu", "LayerNormalization",
                      "BatchNormalization"}
    assert {"Gemm", "Where", "Softmax", "ReduceMean"} <= ops


def test_float32_network_with_float64_layers_gets_casts():
    rng = np.random.default_rng(0)
    net = bp.Sequential(_dense(4, 6, "float32", rng), bp.Tanh(), _bn(6, "float64", rng),
                        _dense(6, 2, "float32", rng))
    model = onnx_export.onnx_model(net)
    assert [n.op_type for n in model.graph.node].count("Cast") == 2
    X = rng.normal(size=(N_SAMPLES, 4)).astype(np.float32)
    out = run_ort(model, X)
    assert out.dtype == np.float32
    assert verify.compare(out, net.eval().forward(X), np.float32).ok


def test_erf_subgraph_matches_the_library_everywhere():
    """The composed erf, on each branch, at the branch edges and in the tails."""
    edges = [0.46875, 4.0]
    xs = np.concatenate([np.linspace(-7, 7, 2001), [0.0, -0.0, 1e-300, 30.0, -30.0],
                         *[[e, np.nextafter(e, 0), np.nextafter(e, 9)] for e in edges]])
    xs = np.concatenate([xs, -xs])
    net = bp.Sequential(bp.GELU())
    # gelu(x) = x * (1 + erf(x / sqrt2)) / 2: compare the erf recovered from both
    X = (xs * np.sqrt(2.0))[:, None]
    model = onnx_export.onnx_model(net)
    dims = model.graph.input[0].type.tensor_type.shape.dim
    assert dims[1].dim_param == "n_in"  # a network of activations takes any width
    got, want = run_ort(model, X), net.forward(X)
    # the same formula, node for node: only the last bits of exp may differ (ONNX Runtime's vs
    # NumPy's), magnified where 1 + erf(z) cancels for negative z
    np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-15)


def test_to_onnx_writes_the_file_atomically(tmp_path):
    net = build(ARCHS[5], "float64")
    target = tmp_path / "net.onnx"
    target.write_bytes(b"old")
    assert bp.to_onnx(net, target) == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.onnx"]  # no temp file left
    onnx.checker.check_model(str(target), full_check=True)
    X = np.random.default_rng(0).normal(size=(50, 6))
    assert verify.compare(verify.onnxruntime_outputs(target, X), net.forward(X), "float64").ok
    result = verify.verify_onnx(net, target)
    assert result.ok and result.n_samples == N_SAMPLES


def test_bad_inputs_are_refused_before_writing(tmp_path):
    class Doubling(bp.Layer):
        def forward(self, x):
            return 2 * x

    net = bp.Sequential(bp.Dense(2, 3, rng=0), Doubling())
    with pytest.raises(TypeError, match=r"layer 1 \(Doubling\) cannot be exported to ONNX"):
        bp.to_onnx(net, tmp_path / "x.onnx")
    with pytest.raises(TypeError, match="Sequential"):
        bp.to_onnx(bp.Dense(2, 3), tmp_path / "x.onnx")
    with pytest.raises(FileNotFoundError):
        bp.to_onnx(bp.Sequential(bp.Dense(2, 3)), tmp_path / "no" / "x.onnx")
    assert list(tmp_path.iterdir()) == []


def test_a_subclass_of_a_supported_layer_is_not_exported_as_its_parent():
    class Scaled(bp.Tanh):
        def forward(self, x):
            return 3 * super().forward(x)

    with pytest.raises(TypeError, match="Scaled"):
        onnx_export.onnx_model(bp.Sequential(bp.Dense(2, 2), Scaled()))


def test_missing_onnx_gives_the_pip_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install 'backprop\[onnx\]'"):
        onnx_export.onnx_model(bp.Sequential(bp.Dense(2, 2)))


def test_import_backprop_imports_neither_onnx_nor_torch():
    code = ("import sys, backprop as bp, backprop.interop; bp.to_onnx; bp.to_torch; "
            "bp.from_torch; print(sorted(m for m in ('torch', 'onnx', 'onnxruntime') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_exporting_leaves_the_network_unchanged():
    net = build(ARCHS[3], "float64").train()
    before = copy.deepcopy(net)
    onnx_export.onnx_model(net)
    for p, q in zip(net.parameters(), before.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    for (k, v), (_, w) in zip(net.buffers().items(), before.buffers().items(), strict=True):
        np.testing.assert_array_equal(v, w, err_msg=k)
