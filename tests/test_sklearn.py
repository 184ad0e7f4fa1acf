"""The scikit-learn estimators: scikit-learn's own checks, pipelines, grid search, weights."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

import backprop as bp

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_iris, make_classification, make_regression  # noqa: E402
from sklearn.metrics import recall_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import MinMaxScaler  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from backprop.sklearn import BackpropClassifier, BackpropRegressor  # noqa: E402


@parametrize_with_checks([BackpropClassifier(random_state=0), BackpropRegressor(random_state=0)])
def test_scikit_learn_estimator_checks(estimator, check):
    """Every check of ``sklearn.utils.estimator_checks`` passes (no expected failures)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def _iris():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def test_classifier_learns_iris_and_keeps_the_labels_it_was_given():
    Xa, Xb, ya, yb = _iris()
    names = np.array(["setosa", "versicolor", "virginica"])
    clf = BackpropClassifier((16,), max_iter=400, random_state=0).fit(Xa, names[ya])
    assert clf.classes_.tolist() == names.tolist()
    assert set(clf.predict(Xb)) <= set(names)
    assert clf.score(Xb, names[yb]) >= 0.9
    proba = clf.predict_proba(Xb)
    assert proba.shape == (len(Xb), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert clf.n_iter_ == len(clf.loss_curve_) and clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert isinstance(clf.net_, bp.Sequential) and clf.n_features_in_ == 4


def test_regressor_1d_target_gives_1d_predictions_and_multi_output_works():
    X, y = make_regression(200, 6, n_informative=4, noise=0.1, random_state=0)
    fast = {"lr": 1e-2}
    reg = BackpropRegressor((32,), optimizer_params=fast, max_iter=150, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (200,)
    assert reg.score(X, y) > 0.9
    X2, Y2 = make_regression(200, 6, n_informative=4, n_targets=3, noise=0.1, random_state=1)
    reg2 = BackpropRegressor((32,), optimizer_params=fast, max_iter=150,
                             random_state=0).fit(X2, Y2)
    assert reg2.predict(X2).shape == (200, 3) and reg2.score(X2, Y2) > 0.9


def test_pipeline_grid_search_with_two_jobs_and_clone():
    Xa, Xb, ya, yb = _iris()
    pipe = make_pipeline(MinMaxScaler(), BackpropClassifier(max_iter=300, random_state=0))
    grid = GridSearchCV(pipe, {"backpropclassifier__hidden_layer_sizes": [(8,), (16,)],
                               "backpropclassifier__optimizer": ["adam", "nesterov"]},
                        cv=2, n_jobs=2)
    grid.fit(Xa, ya)
    assert grid.best_score_ > 0.85 and grid.score(Xb, yb) > 0.85
    fresh = clone(grid.best_estimator_)
    assert not hasattr(fresh[-1], "net_")
    assert fresh.get_params()["backpropclassifier__max_iter"] == 300


def test_pickled_estimator_predicts_the_same_and_keeps_training():
    Xa, Xb, ya, yb = _iris()
    clf = BackpropClassifier((8,), max_iter=20, random_state=0).fit(Xa, ya)
    again = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(again.predict_proba(Xb), clf.predict_proba(Xb))
    # the optimiser state came along: one more epoch gives the same parameters in both
    clf.partial_fit(Xa, ya)
    again.partial_fit(Xa, ya)
    for p, q in zip(clf.net_.parameters(), again.net_.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_every_registered_optimizer_and_schedule_by_name():
    Xa, _, ya, _ = _iris()
    for name in bp.OPTIMIZERS.names():
        clf = BackpropClassifier((8,), optimizer=name, max_iter=3, random_state=0)
        clf.fit(Xa, ya)
        assert clf.n_iter_ == 3 and np.all(np.isfinite(clf.loss_curve_)), name
    args = {"step": {"step_size": 1}, "exponential": {"gamma": 0.9}, "cosine": {"T_max": 3},
            "onecycle": {"max_lr": 0.01, "total_steps": 3}, "plateau": {}}
    for name in bp.SCHEDULES.names():
        if name not in args:
            continue  # schedules with arguments of their own are covered by the optimiser tests
        clf = BackpropClassifier((8,), schedule=name, schedule_params=args[name], max_iter=3,
                                 random_state=0)
        clf.fit(Xa, ya)
        assert clf.n_iter_ == 3, name


def test_batch_norm_dropout_early_stopping_and_validation_scores():
    X, y = make_classification(600, 10, n_informative=6, random_state=0)
    clf = BackpropClassifier((32, 32), batch_norm=True, dropout=0.2, early_stopping=True,
                             n_iter_no_change=5, max_iter=300, random_state=0).fit(X, y)
    assert clf.n_iter_ < 300 and len(clf.validation_scores_) == clf.n_iter_
    assert clf.history_.best_epoch is not None
    assert clf.score(X, y) > 0.85


def test_partial_fit_needs_classes_first_and_refuses_new_labels():
    Xa, _, ya, _ = _iris()
    clf = BackpropClassifier((8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(Xa, ya)
    clf.partial_fit(Xa[:20], ya[:20], classes=[0, 1, 2])
    for _ in range(5):
        clf.partial_fit(Xa, ya)
    assert clf.n_iter_ == 6 and clf.classes_.tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="label 7"):
        clf.partial_fit(Xa[:3], [0, 7, 1])


def test_explain_returns_the_trace_of_one_step_of_the_fitted_network():
    Xa, _, ya, _ = _iris()
    clf = BackpropClassifier((5,), activation="tanh", max_iter=10, random_state=0).fit(Xa, ya)
    before = [p.data.copy() for p in clf.net_.parameters()]
    tr = clf.explain(Xa[:1], ya[:1])
    assert isinstance(tr, bp.Trace) and tr.batch_size == 1
    # the recorded output is the network's logits for the standardised sample
    raw = clf.net_.forward((Xa[:1] - clf._x_mean) / clf._x_scale)
    np.testing.assert_allclose(tr.output, raw, rtol=1e-12)
    assert "tanh" in tr.to_text()
    for p, b in zip(clf.net_.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, b)  # explaining trains nothing


def test_explain_shows_the_batch_norm_of_the_fitted_network_and_changes_nothing():
    Xa, _, ya, _ = _iris()
    clf = BackpropClassifier((6,), batch_norm=True, max_iter=10, random_state=0).fit(Xa, ya)
    def state() -> dict[str, np.ndarray]:
        arrays = {p.name: p.data.copy() for p in clf.net_.parameters()}
        return arrays | {k: v.copy() for k, v in clf.net_.buffers().items()}

    before = state()
    assert any("running_mean" in key for key in before)
    tr = clf.explain(Xa[:5], ya[:5], lr=0.1)
    (bn,) = [mod for mod in tr.modules if getattr(mod, "name", None) == "batchnorm"]
    # the normalisation, by its formula from what the layer received (biased batch variance)
    x = bn.x
    eps = bn.config["eps"]
    xhat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    np.testing.assert_allclose(bn.observed["xhat"], xhat, rtol=1e-10, atol=1e-12)
    grads = {p.attr: p for p in bn.params}
    np.testing.assert_allclose(grads["gamma"].grad, (bn.grad_y * xhat).sum(axis=0), rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_allclose(grads["beta"].grad, bn.grad_y.sum(axis=0), rtol=1e-12,
                               atol=1e-14)
    for p in bn.params:  # one plain gradient step at the rate asked for
        np.testing.assert_allclose(p.after, p.before - 0.1 * p.grad, rtol=1e-12, atol=1e-15)
    # the running statistics move in the trace, not in the fitted network
    assert not np.array_equal(bn.buffers_after["running_mean"], bn.buffers_before["running_mean"])
    for key, value in state().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)


def test_class_weight_balanced_raises_minority_recall():
    X, y = make_classification(2000, 8, n_informative=3, n_redundant=0, weights=[0.95, 0.05],
                               class_sep=0.6, flip_y=0.02, random_state=3)
    Xa, Xb, ya, yb = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)
    plain = BackpropClassifier((16,), max_iter=60, random_state=0).fit(Xa, ya)
    balanced = BackpropClassifier((16,), max_iter=60, class_weight="balanced",
                                  random_state=0).fit(Xa, ya)
    r_plain = recall_score(yb, plain.predict(Xb))
    r_bal = recall_score(yb, balanced.predict(Xb))
    assert r_bal > r_plain + 0.1, (r_plain, r_bal)


def test_bad_parameters_name_the_value():
    X, y = _iris()[0], _iris()[2]
    cases = [({"optimizer": "adagrad"}, "adagrad"), ({"hidden_layer_sizes": (0,)}, "(0,)"),
             ({"activation": "elu"}, "elu"), ({"schedule": "poly"}, "poly"),
             ({"batch_size": 0}, "0"), ({"dtype": "float16"}, "float16"),
             ({"max_iter": 0}, "0"), ({"validation_fraction": 1.5}, "1.5")]
    for kwargs, word in cases:
        with pytest.raises(ValueError, match=word.replace("(", r"\(").replace(")", r"\)")):
            BackpropClassifier(**kwargs).fit(X, y)


@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_a_sample_weight_of_two_equals_the_sample_twice(kind):
    """Full batch, float64, no shuffling effect: the same parameters to 1e-12."""
    if kind == "classifier":
        X, y = make_classification(40, 5, n_informative=3, random_state=0)
        make = BackpropClassifier
    else:
        X, y = make_regression(40, 5, noise=0.5, random_state=0)
        make = BackpropRegressor
    w = np.ones(len(X))
    w[[3, 17]] = 2.0
    twice = np.concatenate([np.arange(len(X)), [3, 17]])
    kw = {"hidden_layer_sizes": (8,), "max_iter": 25, "batch_size": 64, "tol": 0.0,
          "n_iter_no_change": 100, "random_state": 0}
    weighted = make(**kw).fit(X, y, sample_weight=w)
    duplicated = make(**kw).fit(X[twice], y[twice])
    for p, q in zip(weighted.net_.parameters(), duplicated.net_.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-14)
    # and a weight of 0 is a sample left out
    w0 = np.ones(len(X))
    w0[[5, 9]] = 0.0
    keep = np.setdiff1d(np.arange(len(X)), [5, 9])
    zero = make(**kw).fit(X, y, sample_weight=w0)
    dropped = make(**kw).fit(X[keep], y[keep])
    for p, q in zip(zero.net_.parameters(), dropped.net_.parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.data, rtol=1e-12, atol=1e-14)
