"""A model file carries its preprocessing and its labels.

What ``backprop train`` learned about the inputs (standardisation, column names, class names)
is part of the model (``net.input_transform``, ``net.feature_names_``, ``net.classes_``): saved
by ``bp.save``, restored by ``bp.load``, applied by ``predict`` / ``predict_proba`` /
``evaluate`` -- never by ``forward``, which stays the engine -- and exported to ONNX.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import backprop as bp


def _iris_like(tmp_path, n=150, seed=0):
    """Three classes named by strings, features on very different scales (as iris in mm/km)."""
    rng = np.random.default_rng(seed)
    names = np.array(["setosa", "versicolor", "virginica"])
    y = np.repeat(np.arange(3), n // 3)
    X = rng.normal(size=(n, 4)) * 0.3 + y[:, None]
    X = X * np.array([1000.0, 0.001, 50.0, 1.0]) + np.array([5e3, -2.0, 300.0, 7.0])
    path = tmp_path / "iris.csv"
    lines = ["sepal_len,sepal_wid,petal_len,petal_wid,species"]
    lines += [",".join(repr(float(v)) for v in row) + f",{names[k]}" for row, k in zip(X, y,
                                                                                   strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, X, names[y]


def test_a_model_trained_by_the_cli_predicts_in_python_on_raw_inputs(tmp_path, run_cli):
    path, X, labels = _iris_like(tmp_path)
    model = tmp_path / "model.npz"
    code, out, err = run_cli("train", path, "--epochs", "30", "--quiet", "--json", "--save",
                             model, "--seed", "1")
    assert code == 0, err
    result = json.loads(out)
    net = bp.load(model)
    assert net.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert net.feature_names_ == ["sepal_len", "sepal_wid", "petal_len", "petal_wid"]
    assert net.input_transform is not None
    predicted = net.predict(X)
    assert predicted.dtype.kind == "U" and set(predicted) <= set(labels)
    assert (predicted == labels).mean() > 0.9
    # the CLI's own test score is what Python computes on the same raw rows
    _, _, X_te, y_te = bp.train_val_split(X, labels, 0.2, rng=2, stratify=True)
    assert net.evaluate(X_te, y_te)["accuracy"] == pytest.approx(result["test_accuracy"])
    proba = net.predict_proba(X[:5])
    assert proba.shape == (5, 3) and np.allclose(proba.sum(axis=1), 1)
    # forward is the engine: it takes standardised inputs and is not changed
    Z = net.input_transform.transform(X[:5]).astype(np.float32)
    assert np.array_equal(net.forward(Z).argmax(axis=1), proba.argmax(axis=1))


def test_the_report_shows_what_the_model_applies(tmp_path, run_cli):
    path, _, _ = _iris_like(tmp_path)
    model = tmp_path / "model.npz"
    assert run_cli("train", path, "--epochs", "2", "--quiet", "--save", model)[0] == 0
    code, _, err = run_cli("report", model)
    assert code == 0, err
    page = (tmp_path / "model.html").read_text(encoding="utf-8")
    for words in ("Standardisation", "per feature", "setosa", "petal_wid"):
        assert words in page


def test_python_users_get_the_same_front(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2)) * 100 + 1e4
    y = np.where(X[:, 0] > 1e4, "big", "small")
    net = bp.mlp([2, 8, 2], rng=0)
    net.input_transform = bp.Standardizer().fit(X)
    net.fit(X, y, loss="softmax_cross_entropy", optimizer=bp.Adam(net.parameters(), lr=0.05),
            epochs=30, verbose=False, seed=0)
    assert net.classes_.tolist() == ["big", "small"]
    assert (net.predict(X) == y).mean() > 0.9
    path = bp.save(tmp_path / "m.npz", net)
    again = bp.load(path)
    assert np.array_equal(again.predict(X), net.predict(X))
    assert again.evaluate(X, y) == pytest.approx(net.evaluate(X, y))
    with pytest.raises(ValueError, match=r"y\[0\] = 'huge' is not one of the network's classes"):
        net.evaluate(X[:1], ["huge"])


@pytest.mark.parametrize("bad, exc, words", [
    (lambda: bp.Standardizer(), ValueError, "must be fitted"),
    (lambda: "standardize", TypeError, "bp.Standardizer or None"),
    (lambda: bp.Standardizer().fit(np.zeros((3, 5))), ValueError, "fitted on 5 features"),
])
def test_a_bad_input_transform_is_named(bad, exc, words):
    net = bp.mlp([2, 3], rng=0)
    with pytest.raises(exc, match=words):
        net.input_transform = bad()


def test_classes_must_fit_the_outputs():
    net = bp.mlp([2, 3], rng=0)
    with pytest.raises(ValueError, match="2 classes for a network with 3 output"):
        net.classes_ = ["a", "b"]
    with pytest.raises(ValueError, match="must not repeat"):
        net.classes_ = ["a", "a", "b"]
    with pytest.raises(ValueError, match="3 distinct class label"):
        bp.mlp([2, 2], rng=0).fit(np.zeros((3, 2)), ["a", "b", "c"],
                                  loss="softmax_cross_entropy", optimizer="sgd", verbose=False)


def test_onnx_export_carries_the_standardisation(tmp_path, run_cli):
    pytest.importorskip("onnxruntime")
    path, X, _ = _iris_like(tmp_path)
    model = tmp_path / "model.npz"
    assert run_cli("train", path, "--epochs", "3", "--quiet", "--save", model)[0] == 0
    code, out, err = run_cli("export", model, "--to", "onnx", "--output", tmp_path / "m.onnx",
                             "--verify")
    assert code == 0, err
    from backprop.interop.verify import onnxruntime_outputs

    net = bp.load(model)
    raw = onnxruntime_outputs(tmp_path / "m.onnx", X[:20].astype(np.float32))
    assert np.array_equal(net.classes_[raw.argmax(axis=1)], net.predict(X[:20]))


def test_torch_export_refuses_a_standardising_model_in_one_line(tmp_path, run_cli):
    pytest.importorskip("torch")
    path, _, _ = _iris_like(tmp_path)
    model = tmp_path / "model.npz"
    assert run_cli("train", path, "--epochs", "1", "--quiet", "--save", model)[0] == 0
    code, out, err = run_cli("export", model, "--to", "torch", "--output", tmp_path / "m.pt")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "standardises its inputs" in err and "ONNX" in err
    assert not (tmp_path / "m.pt").exists()


def test_a_file_from_before_keeps_its_standardisation(tmp_path):
    """``backprop train`` used to store the standardiser as ``array/standardizer/*`` beside a
    model that did not apply it; loading such a file now applies it."""
    X = np.random.default_rng(0).normal(size=(20, 2)) * 10 + 3
    st = bp.Standardizer().fit(X)
    net = bp.mlp([2, 2], rng=0)
    bp.save(tmp_path / "old.npz", net, arrays={f"standardizer/{k}": v
                                               for k, v in st.state_dict().items()},
            extra={"loss": "softmax_cross_entropy"})
    loaded = bp.load(tmp_path / "old.npz")
    assert np.array_equal(loaded.predict(X), net.forward(st.transform(X)).argmax(axis=1))
