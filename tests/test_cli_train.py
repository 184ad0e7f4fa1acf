"""`backprop train`: trains from the command line, saves, plots, answers bad input in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest

import backprop as bp
from backprop.data import find_mnist_dir


def test_no_arguments_trains_a_builtin_dataset_and_says_how_it_did(run_cli):
    code, out, err = run_cli("train")
    assert code == 0
    assert "spirals" in err and "epoch 60/60" in err
    accuracy = float(out.split("test accuracy ")[1].split("%")[0])
    assert accuracy > 90.0


def test_json_result_save_and_reload(tmp_path, run_cli):
    model = tmp_path / "model.npz"
    code, out, _ = run_cli("train", "moons", "--hidden", "16", "--epochs", "20", "--json",
                           "--quiet", "--save", str(model), "--optimizer", "nesterov",
                           "--weight-decay", "1e-4", "--clip-norm", "5", "--schedule", "cosine",
                           "--seed", "3")
    assert code == 0
    result = json.loads(out)
    assert result["epochs_run"] == 20 and result["test_accuracy"] > 0.8
    net, extra, arrays = bp.load(model, with_extra=True)
    assert extra["loss"] == "softmax_cross_entropy"
    assert extra["settings"]["optimizer"] == "nesterov"
    assert len(extra["history"]["history"]["loss"]) == 20
    # the model carries its standardisation: raw inputs reproduce the CLI's own test accuracy
    X, y = bp.datasets.moons(600, rng=3)
    _, _, X_te, y_te = bp.train_val_split(X, y, 0.2, rng=4, stratify=True)
    assert net.input_transform is not None and arrays == {}
    acc = (net.predict(X_te) == y_te).mean()
    assert acc == pytest.approx(result["test_accuracy"])
    assert net.evaluate(X_te, y_te)["accuracy"] == pytest.approx(result["test_accuracy"])


def test_plot_and_checkpoint_resume(tmp_path, run_cli, assert_png):
    png, ckpt = tmp_path / "curves.png", tmp_path / "ckpt.npz"
    code, out, _ = run_cli("train", "blobs", "--epochs", "4", "--quiet", "--plot", str(png),
                           "--checkpoint", str(ckpt), "--batch-norm", "--dropout", "0.1")
    assert code == 0 and "curves written" in out
    assert_png(png)
    code, out, _ = run_cli("train", "blobs", "--epochs", "6", "--quiet", "--resume", str(ckpt),
                           "--batch-norm", "--dropout", "0.1", "--json")
    assert code == 0 and json.loads(out)["epochs_run"] == 6


def test_csv_file_with_string_labels(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 3))
    names = np.where(X[:, 0] + X[:, 1] > 0, "yes", "no")
    path = tmp_path / "data.csv"
    lines = ["a,b,c,label"] + [f"{r[0]},{r[1]},{r[2]},{n}" for r, n in zip(X, names, strict=True)]
    path.write_text("\n".join(lines))
    code, out, _ = run_cli("train", str(path), "--label-column", "label", "--epochs", "30",
                           "--quiet")
    assert code == 0
    assert float(out.split("test accuracy ")[1].split("%")[0]) > 80


@pytest.mark.parametrize(("argv", "needle"), [
    (["--lr", "-0.1"], "argument --lr: must be > 0, got '-0.1'"),
    (["--momentum", "1.5", "--optimizer", "momentum"], "momentum must be in [0, 1), got 1.5"),
    (["--dropout", "1"], "argument --dropout: must be in [0, 1), got '1'"),
    (["--batch-size", "0"], "argument --batch-size: must be >= 1, got '0'"),
    (["--epochs", "0"], "argument --epochs: must be >= 1, got '0'"),
    (["--hidden", "10,abc"], "--hidden takes comma-separated widths"),
    (["missing.csv"], "missing.csv"),
    (["--optimizer", "adagrad"], "invalid choice: 'adagrad'"),
    (["--test-split", "1.5"], "argument --test-split: must be in (0, 1), got '1.5'"),
])
def test_bad_input_is_one_line_and_nonzero(argv, needle, run_cli):
    code, out, err = run_cli("train", *argv, "--quiet")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("backprop: error:")
    assert needle in err
    assert "Traceback" not in err


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_as_the_data_file_is_named_for_what_it_is(tmp_path):
    """`backprop train x.csv` with x.csv a named pipe said "CSV file not found". Run as a
    process with a timeout: a reader that opened the pipe would wait for a writer forever."""
    import os
    import subprocess
    import sys

    os.mkfifo(tmp_path / "x.csv")
    done = subprocess.run([sys.executable, "-m", "backprop", "train", "x.csv", "--quiet"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == ("backprop: error: CSV file 'x.csv' is not a regular file but a named "
                           "pipe (FIFO); data is read from regular files only\n")


def test_nan_in_data_file_is_refused(tmp_path, run_cli):
    path = tmp_path / "bad.npz"
    X = np.ones((10, 2))
    X[3, 1] = np.nan
    np.savez(path, X=X, y=np.arange(10) % 2)
    code, _, err = run_cli("train", str(path), "--quiet")
    assert code == 2 and "non-finite" in err


@pytest.mark.skipif(find_mnist_dir() is None, reason="MNIST not found (../shared/data/mnist)")
def test_mnist_protocol_trains_quickly(run_cli):
    code, out, err = run_cli("train", "mnist", "--hidden", "64", "--epochs", "2", "--json",
                             "--quiet")
    assert code == 0
    result = json.loads(out)
    assert result["test_accuracy"] > 0.85


def test_lab_command_is_wired(tmp_path, run_cli, assert_png):
    code, out, err = run_cli("lab", "optimizers", "--epochs", "3", "--out", tmp_path)
    assert code == 0, err
    assert "Adam" in out and "Nesterov" in out
    pngs = sorted(tmp_path.iterdir())
    assert pngs and all(p.suffix == ".png" for p in pngs)
    for png in pngs:
        assert_png(png)
    code, _, err = run_cli("lab", "vanishing", "--depth", "3", "--no-plot")
    assert code == 2 and "depth" in err


def test_written_files_get_ordinary_permissions(tmp_path):
    import os

    from backprop.io import atomic_write_text

    path = tmp_path / "note.txt"
    atomic_write_text(path, "hello")
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)
