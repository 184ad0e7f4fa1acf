"""``backprop export``: ONNX and torch exports of a saved model, --verify, and one-line errors
checked before any work."""

import copy
import re
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import cli
from backprop.interop import onnx_export, torch_files

torch = pytest.importorskip("torch")
torch.set_num_threads(1)
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


def run(capsys, *argv):
    rc = cli.main(["export", *[str(a) for a in argv]])
    out, err = capsys.readouterr()
    return rc, out, err


def saved_model(tmp_path, dtype="float64", name="model.npz"):
    net = bp.mlp([5, 16, 8, 3], activation="gelu", batch_norm=True, dropout=0.2, dtype=dtype,
                 rng=0)
    net.fit(np.random.default_rng(0).normal(size=(64, 5)), np.arange(64) % 3,
            loss="softmax_cross_entropy", optimizer=bp.Adam(net.parameters(), lr=1e-2),
            epochs=2, batch_size=16, seed=0, verbose=False)
    path = tmp_path / name
    bp.save(path, net)
    return path


def measured(out):
    m = re.search(r"max absolute difference (\S+), max relative difference (\S+)", out)
    return float(m.group(1)), float(m.group(2).rstrip(","))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_onnx_export_with_verify(capsys, tmp_path, dtype):
    model = saved_model(tmp_path, dtype)
    rc, out, err = run(capsys, model, "--to", "onnx", "--output", tmp_path / "m.onnx",
                       "--verify")
    assert rc == 0 and err == "", err
    assert f"ONNX opset 17, {dtype}" in out
    assert "verify (ONNX Runtime vs backprop): OK" in out and "1000 random inputs" in out
    abs_diff, rel_diff = measured(out)
    assert min(abs_diff, rel_diff) <= {"float32": 1e-6, "float64": 1e-12}[dtype]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.onnx", "model.npz"]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_export_with_verify(capsys, tmp_path, dtype):
    model = saved_model(tmp_path, dtype)
    target = tmp_path / "m.pt"
    rc, out, err = run(capsys, model, "--to", "torch", "--output", target, "--verify",
                       "--samples", 200, "--seed", 3)
    assert rc == 0 and err == "", err
    assert "verify (torch vs backprop): OK" in out and "200 random inputs" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt", "m.pt.json", "model.npz"]
    module = torch_files.load_torch(target)
    net = bp.load(model)
    X = np.random.default_rng(0).normal(size=(20, 5)).astype(dtype)
    with torch.no_grad():
        np.testing.assert_allclose(module(torch.from_numpy(X)).numpy(), net.forward(X),
                                   rtol=1e-5 if dtype == "float32" else 1e-12, atol=1e-6)


def test_export_without_verify_prints_one_line(capsys, tmp_path):
    model = saved_model(tmp_path)
    rc, out, err = run(capsys, model, "--to", "onnx", "--output", tmp_path / "m.onnx")
    assert rc == 0 and err == "" and out.count("\n") == 1 and "random inputs" not in out


def test_verify_fails_with_exit_1_when_the_onnx_graph_is_off(capsys, tmp_path, monkeypatch):
    real = onnx_export.to_onnx

    def corrupted(net, path):  # one weight nudged on its way into the graph
        bad = copy.deepcopy(net)
        bad[0].W[0, 0] += 1e-3
        return real(bad, path)

    monkeypatch.setattr(onnx_export, "to_onnx", corrupted)
    rc, out, err = run(capsys, saved_model(tmp_path), "--to", "onnx", "--output",
                       tmp_path / "m.onnx", "--verify")
    assert rc == 1 and err == ""
    assert "verify (ONNX Runtime vs backprop): FAILED" in out
    assert measured(out)[0] > 1e-6


def test_verify_fails_with_exit_1_when_the_torch_file_is_off(capsys, tmp_path, monkeypatch):
    real = torch_files.load_torch

    def corrupted(path):
        module = real(path)
        with torch.no_grad():
            module[0].bias[0] += 1e-9
        return module

    monkeypatch.setattr(torch_files, "load_torch", corrupted)
    rc, out, _ = run(capsys, saved_model(tmp_path), "--to", "torch", "--output",
                     tmp_path / "m.pt", "--verify")
    assert rc == 1 and "FAILED" in out


def test_verify_uses_the_tolerance_table(capsys, tmp_path, monkeypatch):
    from backprop.interop import verify

    model = saved_model(tmp_path, "float32")
    monkeypatch.setitem(verify.TOLERANCE, "float32", -1.0)  # nothing can pass
    rc, out, _ = run(capsys, model, "--to", "onnx", "--output", tmp_path / "m.onnx", "--verify")
    assert rc == 1 and "tolerance -1, float32" in out


def bad_run(capsys, tmp_path, *argv):
    before = sorted(p.name for p in tmp_path.iterdir())
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.startswith("backprop: error: ") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing was written
    return err


def test_missing_model(capsys, tmp_path):
    err = bad_run(capsys, tmp_path, tmp_path / "none.npz", "--to", "onnx", "--output",
                  tmp_path / "m.onnx")
    assert "no such model file" in err


def test_not_a_model(capsys, tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    err = bad_run(capsys, tmp_path, text, "--to", "torch", "--output", tmp_path / "m.pt")
    assert "not a backprop model file" in err


@pytest.mark.parametrize("to", ["onnx", "torch"])
def test_output_equal_to_the_input(capsys, tmp_path, monkeypatch, to):
    model = saved_model(tmp_path)
    monkeypatch.chdir(tmp_path)
    err = bad_run(capsys, tmp_path, model, "--to", to, "--output", "./model.npz")
    assert "is the model file itself" in err


def test_torch_architecture_file_equal_to_the_input(capsys, tmp_path):
    model = saved_model(tmp_path, name="m.pt.json")
    err = bad_run(capsys, tmp_path, model, "--to", "torch", "--output", tmp_path / "m.pt")
    assert "is the model file itself" in err


def test_unwritable_output(capsys, tmp_path):
    model = saved_model(tmp_path)
    err = bad_run(capsys, tmp_path, model, "--to", "onnx", "--output",
                  tmp_path / "no" / "m.onnx")
    assert "does not exist" in err
    err = bad_run(capsys, tmp_path, model, "--to", "onnx", "--output", tmp_path)
    assert "is a folder" in err


def test_unsupported_layer(capsys, tmp_path):
    @bp.register_layer
    class Doubling(bp.Layer):
        name = "doubling_for_export_test"

        def forward(self, x):
            return 2 * x

    try:
        model = tmp_path / "model.npz"
        bp.save(model, bp.Sequential(bp.Dense(2, 2, rng=0), Doubling()))
        for to, words in (("onnx", "cannot be exported to ONNX"),
                          ("torch", "has no PyTorch counterpart")):
            err = bad_run(capsys, tmp_path, model, "--to", to, "--output", tmp_path / "m.out")
            assert "layer 1 (Doubling)" in err and words in err
    finally:
        bp.LAYERS.remove("doubling_for_export_test")


def test_missing_package(capsys, tmp_path, monkeypatch):
    model = saved_model(tmp_path)
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    err = bad_run(capsys, tmp_path, model, "--to", "onnx", "--output", tmp_path / "m.onnx",
                  "--verify")
    assert "pip install 'backprop[onnx]'" in err


def test_bad_samples_and_bad_target(capsys, tmp_path):
    model = saved_model(tmp_path)
    err = bad_run(capsys, tmp_path, model, "--to", "onnx", "--output", tmp_path / "m.onnx",
                  "--verify", "--samples", 0)
    assert "--samples" in err
    err = bad_run(capsys, tmp_path, model, "--to", "keras", "--output", tmp_path / "m.h5")
    assert "invalid choice" in err
