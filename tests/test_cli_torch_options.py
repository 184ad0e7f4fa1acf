"""`backprop train` with the torch options: each option reaches the object it should (the
optimiser, schedule and loss handed to fit are captured), the saved settings record them, and
each bad value is one line on stderr with exit status 2.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import backprop as bp
from backprop import cli
from backprop.models import Sequential

SMALL = ["blobs", "--hidden", "8", "--epochs", "4", "--batch-size", "64", "--quiet"]


@pytest.fixture
def fit_calls(monkeypatch):
    """Every call of Sequential.fit made by the command, with its arguments (fit still runs)."""
    calls = []
    real = Sequential.fit

    def spy(self, X, y, **kwargs):
        calls.append({"X": X, "y": y, **kwargs})
        return real(self, X, y, **kwargs)

    monkeypatch.setattr(Sequential, "fit", spy)
    return calls


def train(capsys, *argv):
    code = cli.main(["train", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def run_ok(capsys, fit_calls, *argv, dataset="blobs"):
    code, _, err = train(capsys, dataset, *SMALL[1:], *argv)
    assert code == 0, err
    assert len(fit_calls) == 1
    return fit_calls[0]


def test_schedules_built_from_python_objects_are_not_offered(capsys):
    for name in ("lambda", "sequential"):
        code, _, err = train(capsys, *SMALL, "--schedule", name)
        assert code == 2 and f"invalid choice: '{name}'" in err


def test_rmsprop_options(capsys, fit_calls):
    opt = run_ok(capsys, fit_calls, "--optimizer", "rmsprop", "--alpha", "0.9", "--centered",
                 "--momentum", "0.5", "--eps", "1e-7")["optimizer"]
    assert isinstance(opt, bp.RMSprop)
    assert (opt.alpha, opt.centered, opt.momentum, opt.eps) == (0.9, True, 0.5, 1e-7)
    fit_calls.clear()
    opt = run_ok(capsys, fit_calls, "--optimizer", "rmsprop")["optimizer"]
    assert (opt.alpha, opt.centered, opt.momentum) == (0.99, False, 0.0)  # torch's defaults


def test_nadam_and_amsgrad_options(capsys, fit_calls):
    opt = run_ok(capsys, fit_calls, "--optimizer", "nadam", "--momentum-decay", "0.01",
                 "--beta1", "0.8")["optimizer"]
    assert isinstance(opt, bp.NAdam)
    assert opt.momentum_decay == 0.01 and opt.betas == (0.8, 0.999)
    fit_calls.clear()
    opt = run_ok(capsys, fit_calls, "--optimizer", "adamw", "--amsgrad")["optimizer"]
    assert isinstance(opt, bp.AdamW) and opt.amsgrad and opt._fused is None
    fit_calls.clear()
    assert run_ok(capsys, fit_calls, "--optimizer", "adam")["optimizer"].amsgrad is False


def test_clip_norm_type(capsys, fit_calls):
    opt = run_ok(capsys, fit_calls, "--clip-norm", "1", "--clip-norm-type", "inf")["optimizer"]
    clip = opt.transform("clip_norm")
    assert clip.max_norm == 1.0 and clip.norm_type == math.inf


def test_label_smoothing_and_balanced_class_weights(tmp_path, capsys, fit_calls):
    model = tmp_path / "m.npz"
    call = run_ok(capsys, fit_calls, "--label-smoothing", "0.1", "--class-weight", "balanced",
                  "--save", str(model))
    loss, y = call["loss"], call["y"]
    assert isinstance(loss, bp.SoftmaxCrossEntropy) and loss.label_smoothing == 0.1
    counts = np.bincount(y)
    np.testing.assert_allclose(loss.weight, len(y) / (len(counts) * counts), rtol=1e-15)
    _, extra, _ = bp.load(model, with_extra=True)
    assert extra["loss_config"] == loss.get_config()
    assert extra["settings"]["label_smoothing"] == 0.1
    assert extra["settings"]["class_weight"] == "balanced"
    assert bp.LOSSES[extra["loss"]](**extra["loss_config"]).get_config() == loss.get_config()


def test_unbalanced_data_gets_larger_weights_for_rare_classes(tmp_path, capsys, fit_calls):
    rng = np.random.default_rng(0)
    y = np.r_[np.zeros(150, int), np.ones(40, int), np.full(10, 2)]
    X = rng.normal(size=(200, 2)) + y[:, None]
    np.savez(tmp_path / "d.npz", X=X, y=y)
    call = run_ok(capsys, fit_calls, "--class-weight", "balanced",
                  dataset=str(tmp_path / "d.npz"))
    weight = call["loss"].weight
    assert weight[0] < 1 < weight[1] < weight[2]


@pytest.mark.parametrize("argv,cls,attrs", [
    (["--schedule", "multistep", "--milestones", "1,3", "--gamma", "0.2"], "MultiStepLR",
     {"milestones": [1, 3], "gamma": 0.2}),
    (["--schedule", "cosine_restarts", "--T-0", "2", "--T-mult", "2"],
     "CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.0}),
    (["--schedule", "linear"], "LinearLR",
     {"start_factor": 1.0 / 3, "end_factor": 1.0, "total_iters": 5}),
    (["--warmup-epochs", "2"], "LinearLR", {"start_factor": 0.1, "total_iters": 2}),
])
def test_schedule_options(capsys, fit_calls, argv, cls, attrs):
    sched = run_ok(capsys, fit_calls, *argv)["schedule"]
    assert type(sched) is getattr(bp, cls)
    for key, value in attrs.items():
        assert getattr(sched, key) == value


def test_warmup_wraps_the_schedule_into_sequential(tmp_path, capsys, fit_calls):
    model = tmp_path / "m.npz"
    sched = run_ok(capsys, fit_calls, "--schedule", "cosine", "--warmup-epochs", "1", "--lr",
                   "0.02", "--save", str(model))["schedule"]
    assert isinstance(sched, bp.SequentialLR) and sched.milestones == [1]
    warm, main = sched.schedulers
    assert isinstance(warm, bp.LinearLR) and warm.total_iters == 1
    assert warm.start_factor == 0.1
    assert isinstance(main, bp.CosineAnnealingLR) and main.T_max == 3  # the epochs after it
    assert warm.base_lr == main.base_lr == 0.02
    # epochs 0..4 of the 4-epoch run: lr/10, then the cosine from lr over 3 epochs
    assert sched.last_epoch == 4
    _, extra, _ = bp.load(model, with_extra=True)
    assert extra["settings"]["warmup_epochs"] == 1 and extra["settings"]["schedule"] == "cosine"


BAD = [
    (["--optimizer", "rmsprop", "--alpha", "1.5"], "alpha must be in [0, 1], got 1.5"),
    (["--optimizer", "nadam", "--momentum-decay", "-1"], "--momentum-decay: must be >= 0"),
    (["--label-smoothing", "1.5"], "argument --label-smoothing: must be in [0, 1], got '1.5'"),
    (["--class-weight", "equal"], "invalid choice: 'equal'"),
    (["--milestones", "10,x"], "--milestones takes comma-separated epochs like 10,20"),
    (["--schedule", "multistep", "--milestones", "3,1"], "non-decreasing order, got [3, 1]"),
    (["--schedule", "multistep"], "--schedule multistep needs --milestones"),
    (["--schedule", "cosine_restarts", "--T-0", "0"], "--T-0: must be >= 1, got '0'"),
    (["--schedule", "cosine_restarts", "--T-mult", "0"], "--T-mult: must be >= 1, got '0'"),
    (["--warmup-epochs", "4"], "--warmup-epochs must be between 1 and epochs - 1 = 3, got 4"),
    (["--warmup-epochs", "-1"], "got '-1'"),
    (["--warmup-epochs", "2", "--schedule", "onecycle"], "steps per batch and has its own"),
    (["--warmup-epochs", "2", "--schedule", "plateau"], "needs a metric"),
    (["--clip-norm", "1", "--clip-norm-type", "0"], "--clip-norm-type: must be > 0, got '0'"),
    (["--clip-norm-type", "inf"], "clip_norm_type=inf has no effect without clip_norm"),
    (["--optimizer", "adam", "--amsgrad", "--clip-norm-type", "x"], "expected a number, got 'x'"),
]


@pytest.mark.parametrize("argv,needle", BAD, ids=[b[1][:30] for b in BAD])
def test_bad_values_are_one_line_and_exit_2(capsys, argv, needle):
    code, out, err = train(capsys, *SMALL, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("backprop: error:")
    assert needle in err
    assert "Traceback" not in err


@pytest.mark.parametrize("option", [["--label-smoothing", "0.1"], ["--class-weight", "balanced"]])
def test_classification_options_on_a_regression_dataset(tmp_path, capsys, option):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "r.npz", X=rng.normal(size=(50, 2)), y=rng.normal(size=50))
    code, _, err = train(capsys, str(tmp_path / "r.npz"), "--epochs", "2", "--quiet", *option)
    assert code == 2 and err.count("\n") == 1
    assert f"{option[0]} needs class labels" in err
