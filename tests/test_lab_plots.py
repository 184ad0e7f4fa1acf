"""Plots of diagnostics and labs: each writes a valid PNG atomically; bad input is refused."""

import numpy as np
import pytest

import backprop as bp
from backprop import plots

pytest.importorskip("matplotlib")
plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture
def assert_image(assert_png):
    """A PNG (conftest's check) that decodes to an image of plausible size."""

    def check(path):
        assert_png(path)
        image = plt.imread(path)
        assert image.ndim == 3 and min(image.shape[:2]) > 100

    return check


def _train(net, X, y, loss="softmax_cross_entropy", **kw):
    return bp.fit(net, X, y, loss=loss, optimizer=bp.Adam(net.parameters(), lr=0.02),
                  epochs=kw.pop("epochs", 15), batch_size=32, seed=0, verbose=False, **kw)


@pytest.fixture(scope="module")
def trained():
    X, y = bp.datasets.moons(120, rng=0)
    net = bp.mlp([2, 16, 16, 2], activation="tanh", rng=0)
    history = _train(net, X, y, diagnostics=bp.Diagnostics(unit="step", every=2))
    return net, X, y, history


def test_grad_heatmap(tmp_path, trained, assert_image):
    _, _, _, history = trained
    assert_image(plots.plot_grad_heatmap(history, tmp_path / "heat.png"))
    # the diagnostics dict alone works too, and nothing but the PNG is left in the directory
    assert_image(plots.plot_grad_heatmap(history.diagnostics, tmp_path / "heat2.png"))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["heat.png", "heat2.png"]


def test_grad_heatmap_needs_diagnostics(tmp_path):
    with pytest.raises(ValueError, match=r"no diagnostics to plot: train with fit\(\.\.\., "):
        plots.plot_grad_heatmap(bp.History(), tmp_path / "x.png")
    with pytest.raises(ValueError, match="no diagnostics"):
        plots.plot_grad_heatmap({"layers": ["a"], "records": []}, tmp_path / "x.png")
    bad = {"layers": ["a"], "records": [{"step": 1, "grad_norm": [None]}]}
    with pytest.raises(ValueError, match="zero or non-finite"):
        plots.plot_grad_heatmap(bad, tmp_path / "x.png")
    assert list(tmp_path.iterdir()) == []


def test_decision_boundary_softmax(tmp_path, trained, assert_image):
    net, X, y, _ = trained
    assert_image(plots.plot_decision_boundary(net, X, y, tmp_path / "b.png", resolution=60))


def test_decision_boundary_single_logit(tmp_path, assert_image):
    X, y = bp.datasets.circles(100, rng=1)
    net = bp.mlp([2, 12, 1], activation="tanh", rng=1)
    net.fit(X, y.reshape(-1, 1).astype(float), loss="binary_cross_entropy",
            optimizer=bp.Adam(net.parameters(), lr=0.02), epochs=5, verbose=False, seed=0)
    assert_image(plots.plot_decision_boundary(net, X, y, tmp_path / "b.png", resolution=40))


@pytest.mark.parametrize("X, y, match", [
    (np.zeros((10, 3)), np.zeros(10),
     r"needs 2-D points, X of shape \(n, 2\); got shape \(10, 3\)"),
    (np.zeros(10), np.zeros(10), r"got shape \(10,\)"),
    (np.zeros((10, 2)), np.zeros(9), "y has 9 labels for 10 points"),
])
def test_decision_boundary_bad_data(tmp_path, trained, X, y, match):
    net = trained[0]
    with pytest.raises(ValueError, match=match):
        plots.plot_decision_boundary(net, X, y, tmp_path / "b.png")


def test_loss_curves(tmp_path, trained, assert_image):
    history = trained[3]
    path = plots.plot_loss_curves({"tanh": history, "by hand": [1.0, 0.5, 0.25]},
                                  tmp_path / "loss.png", log=False)
    assert_image(path)
    with pytest.raises(ValueError, match="at least one history"):
        plots.plot_loss_curves({}, tmp_path / "none.png")


def test_lab_vanishing_plot_from_a_dict(tmp_path, assert_image):
    result = {"depth": 8, "width": 4, "epochs": 1, "dataset": "toy",
              "runs": [{"name": "a", "grad_start": [1e-9, 1e-3, 1.0],
                        "grad_end": [1e-8, None, 1.0]},
                       {"name": "b", "grad_start": [0.5, 0.7, 1.0], "grad_end": [1, 1, 1]}]}
    assert_image(plots.plot_lab_vanishing(result, tmp_path / "v.png"))
    with pytest.raises(ValueError, match=r"needs the result of backprop.labs.vanishing\(\)"):
        plots.plot_lab_vanishing({"runs": []}, tmp_path / "w.png")


def test_missing_directory_is_an_error(tmp_path, trained):
    with pytest.raises(FileNotFoundError, match="No such file or directory"):
        plots.plot_loss_curves({"x": [1.0, 0.5]}, tmp_path / "missing" / "loss.png")
