"""Labs: the article's claims hold on the returned numbers, runs are deterministic, the command
line prints the table and writes valid PNGs, bad arguments give clear errors."""

import argparse
import dataclasses
import functools
import math
import types

import numpy as np
import pytest

from backprop import cli, labs
from backprop.cli import lab as cli_lab
from backprop.labs import optimizer_comparison

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# small settings: a few tenths of a second per lab
SMALL_VANISHING = {"depth": 8, "width": 16, "epochs": 3, "n_samples": 128, "batch_size": 32}
SMALL_OPTIMIZERS = {"epochs": 60, "hidden": (32, 32), "n_samples": 200}


def assert_png(path):
    data = open(path, "rb").read()
    assert data[:8] == PNG_SIGNATURE
    assert len(data) > 1000
    plt = pytest.importorskip("matplotlib.pyplot")
    image = plt.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100


@pytest.fixture(scope="module")
def vanishing_result(tmp_path_factory):
    pytest.importorskip("matplotlib")
    return labs.vanishing(seed=0, out=tmp_path_factory.mktemp("vanishing"), **SMALL_VANISHING)


@pytest.fixture(scope="module")
def optimizers_result(tmp_path_factory):
    pytest.importorskip("matplotlib")
    return labs.optimizers(seed=0, out=tmp_path_factory.mktemp("optimizers"), **SMALL_OPTIMIZERS)


# --- vanishing ----------------------------------------------------------------------------------

def test_vanishing_shows_the_articles_claims(vanishing_result):
    r = vanishing_result
    naive = r.run("sigmoid + N(0, 0.01²)")
    xavier = r.run("sigmoid + Xavier")
    he = r.run("ReLU + He")
    bn = r.run("ReLU + He + BatchNorm")
    assert len(naive.grad_start) == SMALL_VANISHING["depth"] + 1  # every Dense layer
    # naive init: the first layer's gradient is a vanishing fraction of the last layer's
    assert naive.ratio_start < 1e-9
    assert naive.ratio_end < 1e-9
    # ... and it shrinks layer after layer on the way back (monotone from output to input)
    assert all(a < b for a, b in zip(naive.grad_start[:-1], naive.grad_start[1:], strict=True))
    # Xavier gains orders of magnitude over the naive start
    assert xavier.ratio_start > 1e3 * naive.ratio_start
    # ReLU + He and BatchNorm keep the first layer within two orders of magnitude of the last
    for run in (he, bn):
        assert 1e-2 < run.ratio_start < 1e2
        assert 1e-2 < run.ratio_end < 1e2
        assert run.ratio_start > 1e6 * naive.ratio_start
    # the warnings of the Diagnostics callback name the starved layer
    assert any(w.startswith("vanishing gradient in layer 0 Dense(2->16)") for w in naive.warnings)
    assert not any(w.startswith("vanishing") for w in he.warnings + bn.warnings)


def test_vanishing_is_deterministic():
    a = labs.vanishing(seed=3, **SMALL_VANISHING).to_dict()
    b = labs.vanishing(seed=3, **SMALL_VANISHING).to_dict()
    assert a == b
    c = labs.vanishing(seed=4, **SMALL_VANISHING).to_dict()
    assert c["runs"][0]["grad_start"] != a["runs"][0]["grad_start"]


def test_vanishing_png_table_and_reading(vanishing_result):
    r = vanishing_result
    assert r.png is not None and r.png.endswith("lab-vanishing.png")
    assert_png(r.png)
    for run in r.runs:
        assert run.name in r.table
        assert run.name in r.reading
        # the reading quotes the measured ratio, not a canned number
        assert labs._sci(run.ratio_end) in r.reading
    naive = r.runs[0]
    assert f"is {labs._sci(naive.ratio_start)} of the last layer's" in r.reading
    assert "vanishes" in r.reading and "within a factor of" in r.reading
    per_layer = naive.ratio_start ** (1 / SMALL_VANISHING["depth"])
    assert f"about {per_layer:.2g}" in r.reading


def test_vanishing_reading_in_vietnamese():
    r = labs.vanishing(seed=0, lang="vi", **SMALL_VANISHING)
    assert "triệt tiêu" in r.reading and "lớp" in r.table
    assert labs._sci(r.runs[0].ratio_start) in r.reading


@pytest.mark.parametrize("ratio, lang, expected", [
    (1e-12, "en", "is 1.0e-12 of the last layer's"),
    (1e-12, "en", "vanishes"),
    (1e5, "en", "1.0e+05 times the last layer's: it explodes"),
    (0.25, "en", "within a factor of 4 of"),
    (3.0, "en", "within a factor of 3 of"),
    (1e-12, "vi", "triệt tiêu"),
    (1e5, "vi", "bùng nổ"),
    (math.nan, "en", "not finite"),
])
def test_verdict_follows_the_number(ratio, lang, expected):
    assert expected in labs._verdict(ratio, 10, lang)


# --- optimizers ---------------------------------------------------------------------------------

def test_adaptive_and_momentum_beat_plain_sgd(optimizers_result):
    r = optimizers_result
    assert [run.name for run in r.runs] == ["SGD", "SGD + momentum", "Nesterov", "Adam", "AdamW"]
    sgd = r.run("SGD").final_loss
    for name in ("SGD + momentum", "Nesterov", "Adam", "AdamW"):
        assert r.run(name).final_loss < 0.9 * sgd, name
    for run in r.runs:
        assert len(run.loss) == SMALL_OPTIMIZERS["epochs"]
        assert np.all(np.isfinite(run.loss))
        assert run.seconds > 0
    # decoupled weight decay leaves smaller weights than Adam without it
    assert r.run("AdamW").weight_norm < r.run("Adam").weight_norm


def test_optimizers_outputs(optimizers_result):
    r = optimizers_result
    assert_png(r.png)
    assert_png(r.boundary_png)
    for run in r.runs:
        assert run.name in r.table and f"{run.final_loss:.4f}" in r.table
    best = min(r.runs, key=lambda run: run.final_loss)
    assert f"lowest training loss is {best.name}'s ({best.final_loss:.4f})" in r.reading


def test_optimizers_are_deterministic_apart_from_time():
    small = dict(SMALL_OPTIMIZERS, epochs=5)
    a = labs.optimizers(seed=1, **small).to_dict()
    b = labs.optimizers(seed=1, **small).to_dict()
    for ra, rb in zip(a["runs"], b["runs"], strict=True):
        ra.pop("seconds")
        rb.pop("seconds")
        assert ra == rb


def test_optimizers_print_the_same_table_for_the_same_seed_and_time_apart(capsys, monkeypatch):
    """Two runs with one seed print the same table and reading even when their wall times
    differ (a fake clock makes them differ every time); the time is a line of its own."""
    small = functools.partial(labs.optimizers, hidden=(8,), n_samples=60)
    monkeypatch.setitem(labs.LABS, "optimizers", dataclasses.replace(labs.LABS["optimizers"],
                                                                     run=small))
    printed = []
    for tick in (1.0, 2.5):  # every reading of the clock advances it by `tick` seconds
        now = iter(range(1000))
        clock = types.SimpleNamespace(perf_counter=lambda tick=tick, now=now: tick * next(now))
        monkeypatch.setattr(optimizer_comparison, "time", clock)  # the lab's clock only
        assert cli.main(["lab", "optimizers", "--seed", "3", "--epochs", "2", "--no-plot"]) == 0
        printed.append(capsys.readouterr().out.rsplit("\n\n", 1))  # table + reading, timing
    (first, first_timing), (second, second_timing) = printed
    assert first == second
    assert "Nesterov" in first and "After 2 epochs the lowest training loss" in first
    assert first_timing.startswith("Wall time per run") and "SGD 1.00 s" in first_timing
    assert "SGD 2.50 s" in second_timing


# --- bad arguments ------------------------------------------------------------------------------

@pytest.mark.parametrize("lab, kwargs, error, match", [
    (labs.vanishing, {"depth": 7}, ValueError, "depth must be >= 8 hidden layers.*got 7"),
    (labs.vanishing, {"depth": 8.5}, TypeError, "depth must be an integer, got 8.5"),
    (labs.vanishing, {"lang": "fr"}, ValueError, r"lang must be one of \('en', 'vi'\), got 'fr'"),
    (labs.vanishing, {"dataset": "mnist"}, ValueError, "unknown dataset 'mnist'"),
    (labs.vanishing, {"lr": -1.0}, ValueError, "learning rate must be > 0, got -1"),
    (labs.vanishing, {"seed": -1}, ValueError, "seed must be >= 0, got -1"),
    (labs.optimizers, {"epochs": 0}, ValueError, "epochs must be >= 1, got 0"),
    (labs.optimizers, {"hidden": (8, 0)}, ValueError, "hidden width must be >= 1, got 0"),
    (labs.optimizers, {"lang": "fr"}, ValueError, r"lang must be one of \('en', 'vi'\), got 'fr'"),
    (labs.exploding, {"scale": 0}, ValueError, "scale must be > 0, got 0"),
    (labs.exploding, {"clip": -1.0}, ValueError, "clip must be > 0, got -1"),
    (labs.exploding, {"depth": 1}, ValueError, "depth must be >= 2, got 1"),
    (labs.normalization, {"lrs": ()}, ValueError, "lrs needs at least one learning rate"),
    (labs.normalization, {"lrs": (0.1, -1.0)}, ValueError, "learning rate must be > 0"),
    (labs.normalization, {"scale": 0}, ValueError, "scale must be > 0"),
    (labs.batch_size, {"sizes": (8, 5000)}, ValueError,
     r"a batch size is at most the number of samples \(1024\), got 5000"),
    (labs.batch_size, {"sizes": ()}, ValueError, "sizes needs at least one batch size"),
    (labs.batch_size, {"sizes": (0, 4)}, ValueError, "batch size must be >= 1, got 0"),
    (labs.batch_size, {"draws": 1}, ValueError, "draws must be >= 2, got 1"),
    (labs.weight_decay, {"decays": (0.0, -1e-3)}, ValueError, "weight decay must be >= 0"),
    (labs.weight_decay, {"decays": ()}, ValueError, "decays needs at least one strength"),
    (labs.weight_decay, {"dataset": "mnist"}, ValueError, "unknown dataset 'mnist'"),
])
def test_bad_arguments(lab, kwargs, error, match):
    with pytest.raises(error, match=match):
        lab(**kwargs)


# --- the table of labs --------------------------------------------------------------------------

def test_each_lab_is_a_module_of_the_labs_package_and_in_the_table_once():
    """One module per lab, each holding its function and its table entry; a lab module left out
    of :data:`backprop.labs.LABS` fails here."""
    import importlib
    import pkgutil

    names = {m.name for m in pkgutil.iter_modules(labs.__path__)}
    assert "base" in names
    entries = [importlib.import_module(f"backprop.labs.{name}").LAB for name in sorted(names)
               if name != "base"]
    assert sorted(e.name for e in entries) == sorted(labs.LABS)
    for entry in entries:
        assert labs.LABS[entry.name] is entry
        assert entry.run.__module__ != "backprop.labs"  # its own module, not the package
        assert getattr(labs, entry.run.__name__) is entry.run  # bp.labs.vanishing(...) works


# --- command line -------------------------------------------------------------------------------

def parse(argv):
    parser = argparse.ArgumentParser(prog="backprop lab")
    cli_lab.add_arguments(parser)
    return parser.parse_args(argv)


def test_cli_vanishing_prints_and_writes(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    small = functools.partial(labs.vanishing, width=16, n_samples=128, batch_size=32)
    monkeypatch.setitem(labs.LABS, "vanishing", dataclasses.replace(labs.LABS["vanishing"],
                                                                    run=small))
    out = tmp_path / "new" / "dir"
    args = parse(["vanishing", "--out", str(out), "--seed", "2", "--depth", "8",
                  "--epochs", "2", "--lang", "vi"])
    assert cli_lab.run(args) == 0
    text = capsys.readouterr().out
    assert "sigmoid + Xavier" in text and "triệt tiêu" in text
    assert_png(out / "lab-vanishing.png")
    assert f"wrote {out / 'lab-vanishing.png'}" in text


def test_cli_optimizers_no_plot(tmp_path, capsys, monkeypatch):
    small = functools.partial(labs.optimizers, hidden=(8,), n_samples=60)
    monkeypatch.setitem(labs.LABS, "optimizers", dataclasses.replace(labs.LABS["optimizers"],
                                                                     run=small))
    args = parse(["optimizers", "--out", str(tmp_path), "--epochs", "2", "--no-plot"])
    assert cli_lab.run(args) == 0
    assert "Nesterov" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_cli_optimizers_in_vietnamese(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lab", "optimizers", "--lang", "vi", "--no-plot", "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    assert "bộ tối ưu" in out and "mất mát cuối" in out and "độ chính xác" in out
    assert "Sau 2 epoch, mất mát huấn luyện thấp nhất là của" in out
    assert "So với mất mát cuối của SGD thường" in out and "Nesterov" in out
    for english in ("optimizer", "final loss", "lowest training loss", "Against plain SGD"):
        assert english not in out
    assert list(tmp_path.iterdir()) == []


def test_optimizers_reading_follows_the_language():
    small = dict(SMALL_OPTIMIZERS, epochs=3, hidden=(8,), n_samples=60)
    en, vi = labs.optimizers(seed=0, **small), labs.optimizers(seed=0, lang="vi", **small)
    assert vi.lang == "vi" and en.lang == "en"
    assert [r.loss for r in vi.runs] == [r.loss for r in en.runs]  # the same numbers
    best = min(vi.runs, key=lambda run: run.final_loss)
    assert f"thấp nhất là của {best.name} ({best.final_loss:.4f})" in vi.reading
    assert en.table.split("\n")[2].startswith("optimizer")
    assert vi.table.split("\n")[2].startswith("bộ tối ưu")


def test_cli_errors(capsys):
    with pytest.raises(SystemExit) as exc:
        parse(["fourier"])
    assert exc.value.code == 2
    assert "invalid choice: 'fourier'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown lab 'fourier'; known: .*optimizers, vanishing"):
        cli_lab.run(argparse.Namespace(lab_name="fourier"))
    with pytest.raises(ValueError, match="depth must be >= 8 hidden layers"):
        cli_lab.run(parse(["vanishing", "--depth", "4", "--no-plot"]))
    assert cli_lab.main(["vanishing", "--depth", "4", "--no-plot"]) == 2
    assert "backprop lab: error: depth must be >= 8 hidden layers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse(["vanishing", "--lang", "de"])


# --- exploding ----------------------------------------------------------------------------------

SMALL_EXPLODING = {"depth": 8, "width": 16, "epochs": 5, "n_samples": 128, "batch_size": 32}


@pytest.fixture(scope="module")
def exploding_result(tmp_path_factory):
    pytest.importorskip("matplotlib")
    return labs.exploding(seed=0, out=tmp_path_factory.mktemp("exploding"), **SMALL_EXPLODING)


def test_exploding_shows_the_blow_up_and_the_clip_holding_it(exploding_result):
    r = exploding_result
    base, big, clipped = r.runs
    assert [run.name for run in r.runs] == ["He", "He ×2", "He ×2 + clip 1"]
    # every layer's gradient is ~scale^L times He's: over 9 Dense layers, 2^9 = 512
    assert all(b > 100 * a for a, b in zip(base.grad_start, big.grad_start, strict=True))
    assert big.grad_start == clipped.grad_start  # the same start
    # unclipped, the norm runs away and training stops at a non-finite loss or gradient
    assert big.diverged_at is not None and big.largest_raw > 1e10
    assert math.isnan(big.final_loss)
    # clipped: the raw gradient is as large as at the start, every step is at most the clip
    assert clipped.diverged_at is None and clipped.largest_raw > 100 * r.clip
    assert clipped.largest_step <= r.clip * (1 + 1e-9)
    assert clipped.final_loss < clipped.loss_start
    # He's own scale needs no clipping
    assert base.diverged_at is None and base.largest_raw < 10


def test_exploding_table_reading_and_png(exploding_result):
    r = exploding_result
    base, big, clipped = r.runs
    assert_png(r.png)
    for run in r.runs:
        assert run.name in r.table and run.name in r.reading
    assert f"at step {big.diverged_at} the loss or a gradient stopped being a finite number" \
        in r.reading
    assert f"still reached {labs._sci(clipped.largest_raw)}" in r.reading
    ratio = big.largest_step / clipped.largest_step
    assert f"The longest step without clipping was {labs._sci(ratio)} times" in r.reading
    assert "the gradient explodes" in r.reading


def test_exploding_is_deterministic_and_speaks_vietnamese():
    a = labs.exploding(seed=1, **SMALL_EXPLODING)
    b = labs.exploding(seed=1, lang="vi", **SMALL_EXPLODING)
    assert a.to_dict()["runs"] == b.to_dict()["runs"]
    assert labs.exploding(seed=1, **SMALL_EXPLODING).table == a.table
    assert "bùng nổ" in b.reading and "phân kỳ ở bước" in b.table


def test_exploding_with_a_mild_scale_says_so():
    r = labs.exploding(scale=1.1, seed=0, **SMALL_EXPLODING)
    assert r.runs[1].diverged_at is None
    assert "too little to call an explosion" in r.reading


def test_every_lab_of_the_table_is_a_command_with_its_own_options(capsys):
    for name, lab in labs.LABS.items():
        args = parse([name, "--no-plot"])
        assert args.lab_name == name
        for option in lab.options:
            assert getattr(args, option.name) is None  # the lab's own default applies
        assert lab.default(lab.options[0]) is not None
    capsys.readouterr()
    assert cli.main(["lab", "--help"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in labs.LABS)


def test_cli_exploding_takes_its_options(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lab", "exploding", "--depth", "6", "--width", "8", "--epochs", "2",
                     "--scale", "3", "--clip", "0.5", "--lr", "0.05", "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "He ×3 + clip 0.5" in out and "learning rate 0.05, 2 epochs" in out
    assert list(tmp_path.iterdir()) == []


# --- normalization ------------------------------------------------------------------------------

SMALL_NORMALIZATION = {"epochs": 10, "lrs": (1e-3, 0.1, 1.0), "n_samples": 200,
                       "hidden": (16, 16)}


@pytest.fixture(scope="module")
def normalization_result(tmp_path_factory):
    pytest.importorskip("matplotlib")
    return labs.normalization(seed=0, out=tmp_path_factory.mktemp("normalization"),
                              **SMALL_NORMALIZATION)


def test_normalization_shows_why_standardising_helps(normalization_result):
    r = normalization_result
    assert len(r.runs) == 2 * len(SMALL_NORMALIZATION["lrs"])
    assert r.spread[1] > 30 * r.spread[0]  # the second feature times 100
    raw, std = r.grad_columns["raw"], r.grad_columns["standardised"]
    assert raw[1] / raw[0] > 100 and 0.1 < std[1] / std[0] < 10
    best = {kind: max(run.final_val_accuracy for run in r.runs if run.inputs == kind)
            for kind in ("raw", "standardised")}
    assert best["standardised"] > best["raw"] + 0.05
    # a learning rate standardised inputs take in their stride kills raw inputs' units
    big_raw, big_std = r.run("raw", 1.0), r.run("standardised", 1.0)
    assert big_raw.final_val_accuracy <= r.chance + 0.05 and big_raw.dead_units >= 0.4
    assert big_std.final_val_accuracy > 0.85


def test_normalization_table_reading_and_png(normalization_result):
    r = normalization_result
    assert_png(r.png)
    assert "100·x2" in r.table and "standardised" in r.table
    raw = r.grad_columns["raw"]
    assert f"is {labs._sci(raw[1] / raw[0])} times that on the first feature's" in r.reading
    best = max((run for run in r.runs if run.inputs == "standardised"),
               key=lambda run: (run.final_val_accuracy, -run.final_loss))
    assert f"{100 * best.final_val_accuracy:.1f}% standardised (learning rate {best.lr:g})" \
        in r.reading
    assert "training at learning rate 0.1 and 1 ends no better than" in r.reading


def test_normalization_is_deterministic_and_speaks_vietnamese():
    small = dict(SMALL_NORMALIZATION, epochs=3)
    a = labs.normalization(seed=2, **small)
    b = labs.normalization(seed=2, **small)
    assert a.table == b.table and a.to_dict() == b.to_dict()
    vi = labs.normalization(seed=2, lang="vi", **small)
    assert "đã chuẩn hoá" in vi.table and "tốc độ học" in vi.reading
    assert [run.loss for run in vi.runs] == [run.loss for run in a.runs]


def test_cli_normalization_takes_its_options(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lab", "normalization", "--scale", "10", "--shift", "-3", "--lrs",
                     "0.01,0.1", "--epochs", "2", "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "10·x2 - 3" in out and "0.01" in out
    assert cli.main(["lab", "normalization", "--lrs", "fast"]) == 2
    assert "invalid float_list value: 'fast'" in capsys.readouterr().err


# --- batch size -----------------------------------------------------------------------------------

SMALL_BATCH = {"sizes": (2, 8, 32, 256), "epochs": 4, "n_samples": 256, "draws": 20,
               "hidden": (8,), "target": 0.4}


@pytest.fixture(scope="module")
def batch_result(tmp_path_factory):
    pytest.importorskip("matplotlib")
    return labs.batch_size(seed=0, out=tmp_path_factory.mktemp("batch"), **SMALL_BATCH)


def test_batch_size_noise_falls_like_one_over_root_b_and_small_batches_update_more(batch_result):
    r = batch_result
    assert [run.batch_size for run in r.runs] == [2, 8, 32, 256]
    errors = [run.grad_error for run in r.runs]
    assert all(a > b for a, b in zip(errors, errors[1:], strict=False))
    assert errors[-1] < 1e-12  # the whole data set: the exact gradient
    assert -0.8 < r.slope < -0.3  # measured, near the -1/2 of sampling theory
    assert [run.updates_per_epoch for run in r.runs] == [128, 32, 8, 1]
    # per epoch, more (noisier) updates go further than one exact step
    assert r.run(2).final_loss < r.run(256).final_loss
    assert all(run.seconds > 0 for run in r.runs)


def test_batch_size_table_reading_timing_and_png(batch_result):
    r = batch_result
    assert_png(r.png)
    assert f"gives the exponent {r.slope:.2f}" in r.reading
    assert f"B = 2 makes {128 * 4} updates and ends at loss {r.run(2).final_loss:.4f}" \
        in r.reading
    assert "B = 256 is the whole data set" in r.reading
    assert "ms" in r.timing and "ms" not in r.table  # wall time stays out of the table


def test_batch_size_is_deterministic_and_speaks_vietnamese():
    a = labs.batch_size(seed=3, **SMALL_BATCH)
    b = labs.batch_size(seed=3, lang="vi", **SMALL_BATCH)
    assert labs.batch_size(seed=3, **SMALL_BATCH).table == a.table
    assert [run.loss for run in a.runs] == [run.loss for run in b.runs]
    assert "sai số gradient" in b.table and "số mũ" in b.reading


def test_cli_batch_size_takes_its_options(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lab", "batch-size", "--sizes", "8,1024", "--epochs", "2", "--lr", "0.1",
                     "--target", "0.5", "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "epochs to loss < 0.5" in out and "learning rate 0.1" in out and "ms" in out


# --- weight decay ---------------------------------------------------------------------------------

SMALL_DECAY = {"hidden": (32, 32), "epochs": 80, "n_val": 200, "decays": (0.0, 1e-2, 0.1)}


@pytest.fixture(scope="module")
def decay_result(tmp_path_factory):
    pytest.importorskip("matplotlib")
    return labs.weight_decay(seed=0, out=tmp_path_factory.mktemp("decay"), **SMALL_DECAY)


def test_weight_decay_shrinks_the_weights_and_closes_the_gap(decay_result):
    r = decay_result
    none, some, much = (r.run(d) for d in SMALL_DECAY["decays"])
    assert none.weight_norm > some.weight_norm > much.weight_norm
    assert none.gap > 0.1  # without decay the big network memorises its 40 noisy points
    assert some.final_val_accuracy > none.final_val_accuracy + 0.05
    assert some.final_val_loss < none.final_val_loss
    assert much.final_accuracy < none.final_accuracy  # too much decay underfits


def test_weight_decay_table_reading_and_png(decay_result):
    r = decay_result
    assert_png(r.png)
    none, some = r.run(0.0), r.run(1e-2)
    assert f"from {none.weight_norm:.3g} at λ = 0 to" in r.reading
    assert f"a gap of {100 * none.gap:.1f} points" in r.reading
    assert f"The best validation accuracy is at λ = 0.01: {100 * some.final_val_accuracy:.1f}%" \
        in r.reading
    assert "Too much decay underfits: at λ = 0.1" in r.reading


def test_weight_decay_is_deterministic_and_speaks_vietnamese():
    small = dict(SMALL_DECAY, epochs=5)
    a = labs.weight_decay(seed=1, **small)
    b = labs.weight_decay(seed=1, lang="vi", **small)
    assert labs.weight_decay(seed=1, **small).table == a.table
    assert [run.val_loss for run in a.runs] == [run.val_loss for run in b.runs]
    assert "chênh lệch" in b.table and "Chuẩn của các trọng số" in b.reading


def test_cli_weight_decay_takes_its_options(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lab", "weight-decay", "--decays", "0,0.05", "--epochs", "2",
                     "--n-train", "20", "--noise", "0.2", "--lr", "0.01", "--no-plot"]) == 0
    out = capsys.readouterr().out
    assert "(noise 0.2), 20 training" in out and "0.05" in out
