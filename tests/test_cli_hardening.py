"""The command line with bad input: one line on stderr and exit 2 before any work, no traceback,
no silently wrong answer, no lost file. One table of bad inputs per command, plus the cases
that need more than a table."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

import backprop as bp


def _csv(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _good_csv(tmp_path, name="data.csv", n=60):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    y = (X[:, 0] > 0).astype(int)
    rows = ["a,b,label"] + [f"{r[0]:.5f},{r[1]:.5f},{k}" for r, k in zip(X, y, strict=True)]
    return _csv(tmp_path, "\n".join(rows) + "\n", name)


def _one_line(code, out, err, *words):
    assert code == 2, (code, out, err)
    assert err.startswith("backprop: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for w in words:
        assert w in err, (w, err)


# --- every output path is checked before any work ----------------------------------------------
def test_a_missing_output_folder_is_reported_before_training(tmp_path, run_cli, monkeypatch):
    from backprop.training import loop

    def never(*a, **k):
        raise AssertionError("training started")

    monkeypatch.setattr(loop, "run_epochs", never)
    for option in ("--save", "--plot", "--checkpoint"):
        code, out, err = run_cli("train", "--epochs", "50", option, tmp_path / "no" / "x.npz")
        _one_line(code, out, err, option, "does not exist")


@pytest.mark.parametrize("argv, words", [
    (["--save", "{data}"], ["--save", "would overwrite the data file"]),
    (["--plot", "{data}"], ["--plot", "would overwrite the data file"]),
    (["--checkpoint", "{data}"], ["--checkpoint", "would overwrite the data file"]),
    (["--save", "{out}", "--plot", "{out}"], ["--save and --plot are the same file"]),
    (["--save", "{out}", "--checkpoint", "{out}"], ["are the same file"]),
    (["--save", "{link}"], ["--save", "symbolic link"]),
    (["--save", "{dir}"], ["--save", "is a folder"]),
    (["--save", "/dev/null"], ["--save", "not a regular file"]),
    (["--plot", "/dev/stdout"], ["--plot", "symbolic link"]),
    (["--save", "{ckpt}", "--resume", "{ckpt}"], ["would overwrite the --resume checkpoint"]),
])
def test_train_refuses_an_unsafe_output_before_any_work(tmp_path, run_cli, argv, words):
    data = _good_csv(tmp_path)
    before = data.read_bytes()
    (tmp_path / "target.npz").write_bytes(b"keep")
    (tmp_path / "link.npz").symlink_to(tmp_path / "target.npz")
    ckpt = tmp_path / "c.npz"
    ckpt.write_bytes(b"pretend checkpoint")
    subs = {"{data}": data, "{out}": tmp_path / "out.npz", "{link}": tmp_path / "link.npz",
            "{dir}": tmp_path, "{ckpt}": ckpt}
    argv = [str(subs.get(a, a)) for a in argv]
    t0 = time.perf_counter()
    code, out, err = run_cli("train", data, "--epochs", "500", *argv)
    assert time.perf_counter() - t0 < 5  # refused before 500 epochs of work
    _one_line(code, out, err, *words)
    assert data.read_bytes() == before
    assert (tmp_path / "target.npz").read_bytes() == b"keep"
    assert ckpt.read_bytes() == b"pretend checkpoint"
    assert os.path.exists("/dev/null")


def test_the_checkpoint_may_continue_the_checkpoint_it_resumes(tmp_path, run_cli):
    ckpt = tmp_path / "c.npz"
    assert run_cli("train", "blobs", "--epochs", "2", "--quiet", "--checkpoint", ckpt)[0] == 0
    code, out, err = run_cli("train", "blobs", "--epochs", "3", "--quiet", "--checkpoint", ckpt,
                             "--resume", ckpt, "--json")
    assert code == 0, err and json.loads(out)["epochs_run"] == 3


def test_report_and_export_check_their_outputs_first(tmp_path, run_cli):
    model = tmp_path / "m.npz"
    bp.save(model, bp.mlp([2, 3, 2], rng=0), extra={"loss": "softmax_cross_entropy"})
    before = model.read_bytes()
    (tmp_path / "elsewhere.html").write_text("keep")
    (tmp_path / "link.html").symlink_to(tmp_path / "elsewhere.html")
    _one_line(*run_cli("report", model, "--output", model), "would overwrite the model file")
    _one_line(*run_cli("report", model, "--output", tmp_path / "link.html"), "symbolic link")
    _one_line(*run_cli("report", model, "--output", tmp_path), "is a folder")
    _one_line(*run_cli("export", model, "--to", "onnx", "--output", "/dev/null"),
              "not a regular file")
    _one_line(*run_cli("export", model, "--to", "onnx", "--output", tmp_path / "link.html"),
              "symbolic link")
    assert model.read_bytes() == before
    assert (tmp_path / "elsewhere.html").read_text() == "keep"


def test_the_shared_helper_covers_other_commands_outputs(tmp_path):
    """What ``example --output``, ``lab --out`` and ``chain --output`` call (cli/common.py)."""
    from backprop.cli.common import check_output_folder, check_outputs

    spec = tmp_path / "spec.json"
    spec.write_text("{}")
    with pytest.raises(ValueError, match="--output .* would overwrite the spec"):
        check_outputs({"--output": spec}, inputs={"the spec": spec})
    with pytest.raises(ValueError, match="symbolic link"):
        check_outputs({"--output": "/dev/stdout"})
    check_outputs({"--output": tmp_path / "new.md"}, inputs={"the spec": spec})  # fine
    with pytest.raises(ValueError, match="--out: .* is a file"):
        check_output_folder("--out", spec)
    check_output_folder("--out", tmp_path / "new" / "folder")  # created later: fine


# --- JSON is always JSON -------------------------------------------------------------------------
def test_json_output_never_holds_nan():
    from backprop.cli.common import json_text

    text = json_text({"test_loss": float("nan"), "curve": [1.0, float("inf")]})
    doc = json.loads(text)  # strict parsers accept it
    assert "NaN" not in text and "Infinity" not in text
    assert doc["test_loss"] is None and doc["curve"] == [1.0, None]
    assert doc["notes"] == ["test_loss was nan, written as null",
                            "curve[1] was inf, written as null"]


# --- data files ----------------------------------------------------------------------------------
def _label_rows(labels):
    return "x1,x2,label\n" + "".join(f"{i % 7}.5,{(i * 3) % 5}.25,{lab}\n"
                                     for i, lab in enumerate(labels))


@pytest.mark.parametrize("text, words", [
    (_label_rows(["a", "b", "", "a"] * 5), ["line 4", "empty label"]),
    (_label_rows(["only"] * 20), ["every sample has the label 'only'", "two classes"]),
    (_label_rows([3] * 20), ["every sample has the label 3"]),
    ("x,label\n" + "1.0,0\n" * 3 + '"' + "9" * 200_000 + '",1\n', ["line 5", "CSV"]),
    ("x,y,label\n1,2,0\n3,4\n", ["line 3 has 2 fields"]),
    ("x,y,label\n1,zwei,0\n3,4,1\n", ["cannot read 'zwei'", "line 2"]),
    ("x,y,label\n" + "1,2,0\n" * 5 + "1,nan,1\n", ["non-finite"]),
    ("", ["no data"]),
    ("x,y,label\n", ["no data rows"]),
])
def test_bad_csv_files_are_one_line(tmp_path, run_cli, text, words):
    path = _csv(tmp_path, text)
    before = path.read_bytes()
    _one_line(*run_cli("train", path, "--epochs", "1"), *words)
    assert path.read_bytes() == before


def test_a_csv_that_is_not_utf8_is_one_line(tmp_path, run_cli):
    path = tmp_path / "latin.csv"
    path.write_bytes("x,label\n1,caf\xe9\n2,th\xe9\n".encode("latin-1"))
    _one_line(*run_cli("train", path), "not a UTF-8 text file")


def test_sparse_integer_labels_are_classes_not_a_billion_wide_softmax(tmp_path, run_cli):
    labels = [10**9 if i % 2 else -1 for i in range(40)]
    path = _csv(tmp_path, _label_rows(labels))
    model = tmp_path / "m.npz"
    code, out, err = run_cli("train", path, "--epochs", "2", "--quiet", "--save", model)
    assert code == 0, err
    net = bp.load(model)
    assert net.output_width() == 2 and net.classes_.tolist() == [-1, 10**9]
    assert set(net.predict(np.zeros((3, 2))).tolist()) <= {-1, 10**9}


def test_too_many_distinct_labels_is_one_line(tmp_path, run_cli):
    path = _csv(tmp_path, _label_rows(range(1500)))
    _one_line(*run_cli("train", path), "1,500 distinct values", "regression")


def test_huge_feature_values_are_standardised_exactly(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] > 0).astype(int)
    rows = ["a,b,label"] + [f"{float(r[0]) * 1e200!r},{float(r[1])!r},{k}"
                            for r, k in zip(X, y, strict=True)]
    path = _csv(tmp_path, "\n".join(rows) + "\n")
    code, out, err = run_cli("train", path, "--epochs", "20", "--quiet", "--json")
    assert code == 0, err
    assert json.loads(out)["test_accuracy"] > 0.8  # not all zeros: the feature still counts
    st = bp.Standardizer().fit(X * np.array([1e200, 1.0]))
    assert np.allclose(st.scale_[0] / 1e200, X[:, 0].std())
    _one_line(*run_cli("train", path, "--no-standardize"), "float32", "--dtype float64")


@pytest.mark.parametrize("data", [b"PK\x03\x04" + b"\0" * 40, b"not a zip at all"])
def test_a_truncated_npz_data_file_is_one_line(tmp_path, run_cli, data):
    path = tmp_path / "d.npz"
    X, y = np.zeros((10, 2)), np.zeros(10, dtype=int)
    np.savez(path, X=X, y=y)
    path.write_bytes(path.read_bytes()[:120] if data.startswith(b"PK") else data)
    _one_line(*run_cli("train", path), "d.npz")


def test_string_labels_in_an_npz_file_are_classes(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    np.savez(tmp_path / "d.npz", X=X, y=np.where(X[:, 0] > 0, "pos", "neg"))
    code, out, err = run_cli("train", tmp_path / "d.npz", "--epochs", "5", "--quiet",
                             "--save", tmp_path / "m.npz")
    assert code == 0, err
    assert bp.load(tmp_path / "m.npz").classes_.tolist() == ["neg", "pos"]


# --- resuming does not depend on verbosity -------------------------------------------------------
@pytest.mark.parametrize("first, second", [(["--quiet"], []), ([], ["--quiet"])])
def test_resume_gives_the_same_model_whatever_the_verbosity(tmp_path, run_cli, first, second):
    common = ["blobs", "--epochs", "6", "--early-stopping", "3", "--val-split", "0.2",
              "--diagnostics", "--seed", "4"]
    whole, half = tmp_path / "whole.npz", tmp_path / "half.npz"
    assert run_cli("train", *common, "--quiet", "--save", whole)[0] == 0
    ckpt = tmp_path / "c.npz"
    argv = [a if a != "6" else "3" for a in common]
    assert run_cli("train", *argv, *first, "--checkpoint", ckpt)[0] == 0
    code, _, err = run_cli("train", *common, *second, "--resume", ckpt, "--save", half)
    assert code == 0, err
    a, b = bp.load(whole), bp.load(half)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert np.array_equal(p.data, q.data), p.name


def test_more_unsafe_outputs_are_one_line_before_training(tmp_path, run_cli):
    data = _good_csv(tmp_path)
    long_name = tmp_path / ("m" * 250 + ".npz")
    _one_line(*run_cli("train", data, "--save", long_name), "--save", "too long")
    _one_line(*run_cli("train", data, "--save", data / "m.npz"), "Not a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]


def test_export_bounds_its_random_inputs(tmp_path, run_cli):
    model = tmp_path / "m.npz"
    bp.save(model, bp.mlp([2, 2], rng=0))
    _one_line(*run_cli("export", model, "--to", "onnx", "--output", tmp_path / "m.onnx",
                       "--samples", "1000000000"), "argument --samples: must be <= 1000000")


def test_out_of_memory_and_ctrl_c_are_one_line(run_cli, monkeypatch):
    from backprop.cli import train

    def boom(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.28 TiB")

    monkeypatch.setattr(train, "mlp", boom, raising=False)
    monkeypatch.setattr("backprop.models.mlp", boom)
    _one_line(*run_cli("train", "xor", "--hidden", "1000000,1000000"), "not enough memory")

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("backprop.data.load_dataset", interrupt)
    code, out, err = run_cli("train", "xor")
    assert code == 130 and err == "backprop: interrupted\n"


@pytest.mark.parametrize("argv", [
    ["example", "--spec", "{spec}", "--output", "{spec}"],
    ["example", "--output", "{link}"],
    ["chain", "x*y", "--at", "x=1,y=2", "--output", "{link}"],
    ["lab", "vanishing", "--epochs", "1", "--out", "{spec}"],
])
def test_every_command_checks_its_outputs_before_working(run_cli, tmp_path, argv):
    """The explanation's and the labs' commands refuse a bad output before any work: their own
    input, a symbolic link (it would be replaced, not written through), a file as a folder."""
    spec = tmp_path / "spec.json"
    spec.write_text('{"x": [1.0], "y": [1.0], "layers": [{"W": [[0.5]], "b": [0.0], '
                    '"activation": "sigmoid"}]}')
    before = spec.read_bytes()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")
    code, out, err = run_cli(*[a.format(spec=spec, link=link) for a in argv])
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert spec.read_bytes() == before and not (tmp_path / "elsewhere").exists()
