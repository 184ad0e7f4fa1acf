"""scikit-learn estimators around the engine: ``BackpropClassifier`` and ``BackpropRegressor``.

They are scikit-learn estimators in every sense the library checks
(``sklearn.utils.estimator_checks.check_estimator``): constructor arguments stored as given and
validated at ``fit``, fitted attributes with a trailing underscore, ``fit`` / ``partial_fit`` /
``predict`` / ``score``, ``sample_weight``, ``clone``, ``Pipeline`` and ``GridSearchCV`` (also with
``n_jobs=2``: the objects pickle as every scikit-learn estimator does; model *files* written by
:func:`backprop.save` stay pickle-free). Inside, a :func:`backprop.mlp` network is trained by
:func:`backprop.fit` with any optimiser and schedule of the library, by name and arguments::

    from backprop.sklearn import BackpropClassifier
    clf = BackpropClassifier((64, 64), optimizer="adamw",
                             optimizer_params={"lr": 3e-3, "weight_decay": 1e-2},
                             schedule="cosine", schedule_params={"T_max": 100},
                             batch_norm=True, dropout=0.1, max_iter=100, random_state=0)
    clf.fit(X_train, y_train).score(X_test, y_test)
    clf.net_                           # the trained bp.Sequential
    clf.explain(X_test[:1], y_test[:1]) # every number of one training step (a bp.Trace)

Defaults that serve, and where they differ from ``MLPClassifier`` / ``MLPRegressor``
-------------------------------------------------------------------------------------
* ``standardize=True``: inputs are standardised with (sample-weighted) training statistics
  inside the estimator, and a regressor's targets too (predictions are scaled back). Networks
  train badly on raw features of different scales; scikit-learn leaves this to a
  ``StandardScaler`` in a pipeline, which most users forget.
* Initialisation is Xavier/Glorot uniform for every activation, as scikit-learn's MLP (not
  :func:`backprop.mlp`'s He for ReLU): on these small tabular data sets the smaller start
  matched or beat He in every case measured (``benchmarks/sklearn_defaults.py``);
  ``init=None`` gives the activation's own.
* Weight decay follows ``torch.optim`` (``optimizer_params={"weight_decay": ...}``), not
  scikit-learn's ``alpha / batch_size`` penalty.
* The stopping rule is scikit-learn's: after ``n_iter_no_change`` epochs without the training
  loss (or, with ``early_stopping=True``, the validation loss) improving by ``tol``; the best
  weights are kept when validating.
"""

from __future__ import annotations

import copy
import numbers
import warnings
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from .layers import activation_names
from .losses import LOSSES
from .models import mlp
from .optim import OPTIMIZERS, SCHEDULES, make_optimizer, make_schedule
from .training.callbacks import Callback, EarlyStopping

__all__ = ["BackpropClassifier", "BackpropRegressor"]


class _NoImprovement(Callback):
    """scikit-learn's stopping rule on the training loss: stop after ``patience`` epochs whose
    loss is not below the best by at least ``tol``."""

    def __init__(self, patience: int, tol: float):
        self.patience = patience
        self.tol = tol
        self.best = np.inf
        self.count = 0

    def on_epoch_end(self, state: Any, logs: dict[str, float]) -> None:
        loss = logs["loss"]
        if loss > self.best - self.tol:
            self.count += 1
        else:
            self.count = 0
        self.best = min(self.best, loss)
        if self.count >= self.patience:
            state.stop = True
            state.stop_reason = (f"the training loss did not improve by more than tol="
                                 f"{self.tol:g} for {self.patience} consecutive epochs")


def _seed(random_state: Any) -> int | None:
    """An integer seed from scikit-learn's ``random_state`` conventions."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        if random_state < 0:
            raise ValueError(f"random_state must be >= 0, got {random_state}")
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    raise ValueError(f"random_state must be None, an int, a RandomState or a Generator, got "
                     f"{random_state!r}")


def _weighted_moments(A: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation with sample weights (1 where a column is
    constant, so a constant feature maps to 0)."""
    total = w.sum()
    mean = (w @ A) / total
    var = (w @ (A - mean) ** 2) / total
    scale = np.sqrt(var)
    scale[~(scale > 1e-12 * np.maximum(np.abs(mean), 1.0))] = 1.0
    return mean, scale


class _BackpropEstimator(BaseEstimator):
    """What both estimators share; see the module docstring."""

    _loss_name = ""

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 init: str | None = "xavier_uniform", batch_norm: bool = False,
                 dropout: float = 0.0,
                 optimizer: str = "adam", optimizer_params: dict[str, Any] | None = None,
                 schedule: str | None = None, schedule_params: dict[str, Any] | None = None,
                 batch_size: Any = "auto", max_iter: int = 200, shuffle: bool = True,
                 tol: float = 1e-4, n_iter_no_change: int = 10, early_stopping: bool = False,
                 validation_fraction: float = 0.1, standardize: bool = True,
                 dtype: str = "float64", random_state: Any = None, verbose: bool = False,
                 warm_start: bool = False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.init = init
        self.batch_norm = batch_norm
        self.dropout = dropout
        self.optimizer = optimizer
        self.optimizer_params = optimizer_params
        self.schedule = schedule
        self.schedule_params = schedule_params
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.standardize = standardize
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start

    # --- checks -------------------------------------------------------------------------------
    def _check_params(self) -> None:
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise ValueError(f"hidden_layer_sizes must be an int or a sequence of ints, got "
                             f"{self.hidden_layer_sizes!r}") from None
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
                raise ValueError(f"hidden_layer_sizes must hold integers >= 1, got "
                                 f"{self.hidden_layer_sizes!r}")
        self._sizes = [int(s) for s in sizes]
        if self.activation not in activation_names(elementwise=True):
            raise ValueError(f"activation {self.activation!r} is not one of "
                             f"{activation_names(elementwise=True)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer {self.optimizer!r} is not one of {OPTIMIZERS.names()}")
        if self.schedule is not None and self.schedule not in SCHEDULES:
            raise ValueError(f"schedule {self.schedule!r} is not one of {SCHEDULES.names()}")
        for name in ("optimizer_params", "schedule_params"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, dict):
                raise ValueError(f"{name} must be a dict or None, got {value!r}")
        for name, minimum in (("max_iter", 1), ("n_iter_no_change", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
                    or value < minimum:
                raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
        bs = self.batch_size
        if bs != "auto" and (isinstance(bs, bool) or not isinstance(bs, numbers.Integral)
                             or bs < 1):
            raise ValueError(f"batch_size must be 'auto' or an integer >= 1, got {bs!r}")
        if not (isinstance(self.tol, numbers.Real) and self.tol >= 0):
            raise ValueError(f"tol must be a number >= 0, got {self.tol!r}")
        vf = self.validation_fraction
        if not (isinstance(vf, numbers.Real) and 0 < vf < 1):
            raise ValueError(f"validation_fraction must be in (0, 1), got {vf!r}")
        if not (isinstance(self.dropout, numbers.Real) and 0 <= self.dropout < 1):
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")

    # --- fitting ------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> Any:
        """Train a new network on ``(X, y)`` (or continue the last one with ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        sample_weight : array-like of shape (n_samples,), optional
            Each sample's weight in the cost: the cost is the weighted mean
            :math:`\\sum_i s_i L_i / \\sum_i s_i`, so a weight of 2 counts a sample twice.

        Returns
        -------
        self
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _fit(self, X: Any, y: Any, sample_weight: Any, *, incremental: bool,
             classes: Any = None) -> Any:
        self._check_params()
        first = not (incremental or self.warm_start) or not hasattr(self, "net_")
        X, y = validate_data(self, X, y, reset=first, multi_output=self._multi_output,
                             y_numeric=self._y_numeric, dtype=(np.float64, np.float32))
        sample_weight = _check_sample_weight(sample_weight, X, dtype=np.float64,
                                             ensure_non_negative=True)
        if not np.any(sample_weight > 0):
            raise ValueError("sample_weight has no positive entry: nothing to learn from")
        targets, sample_weight = self._encode_targets(y, sample_weight, first, classes)
        dtype = np.dtype(self.dtype)
        if first:
            self._fit_scalers(X, targets, sample_weight)
        Xs = self._scale_X(X).astype(dtype)
        if first:
            self._build(Xs.shape[1], dtype)
        epochs = 1 if incremental else self.max_iter
        batch = min(200, Xs.shape[0]) if self.batch_size == "auto" else \
            min(int(self.batch_size), Xs.shape[0])
        callbacks: list[Callback] = []
        validation = None
        if self.early_stopping and not incremental:
            validation = self._split_validation(Xs, targets, sample_weight)
            Xs, targets, sample_weight, validation = validation
            callbacks.append(EarlyStopping("val_loss", patience=self.n_iter_no_change,
                                           min_delta=self.tol, restore_best_weights=True))
        elif not incremental:
            callbacks.append(_NoImprovement(self.n_iter_no_change, self.tol))
        from .training.loop import fit as _fit

        self._epoch_seed = getattr(self, "_epoch_seed", 0) + 1
        seed = None if self._seed is None else self._seed + self._epoch_seed
        history = _fit(self.net_, Xs, self._prepare(targets, dtype), loss=self.loss_,
                       optimizer=self.optimizer_, epochs=epochs, batch_size=batch,
                       shuffle=self.shuffle, seed=seed, schedule=self.schedule_,
                       validation_data=validation, callbacks=callbacks,
                       sample_weight=None if np.all(sample_weight == 1.0) else sample_weight,
                       verbose=bool(self.verbose))
        if history.diverged:
            raise ValueError(f"training diverged: {history.stop_reason}")
        self.loss_curve_ = list(getattr(self, "loss_curve_", [])) if not first else []
        self.loss_curve_ += history.history.get("loss", [])
        if validation is not None:
            self.validation_scores_ = [-v for v in history.history.get("val_loss", [])]
            self.best_loss_ = None
        else:
            self.best_loss_ = float(min(self.loss_curve_)) if self.loss_curve_ else None
        self.n_iter_ = (getattr(self, "n_iter_", 0) if not first else 0) + len(history.epochs)
        self.history_ = history
        if not incremental and self.n_iter_ >= self.max_iter and not history.stop_reason:
            from sklearn.exceptions import ConvergenceWarning

            warnings.warn(f"Maximum iterations ({self.max_iter}) reached and the optimization "
                          f"hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> Any:
        """One more epoch over ``(X, y)`` with the same network and optimiser state."""
        return self._fit(X, y, sample_weight, incremental=True, **kwargs)

    def _fit_scalers(self, X: np.ndarray, targets: np.ndarray, w: np.ndarray) -> None:
        if self.standardize:
            self._x_mean, self._x_scale = _weighted_moments(X.astype(np.float64), w)
        else:
            self._x_mean = self._x_scale = None

    def _scale_X(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if self._x_mean is None:
            return X
        return (X - self._x_mean) / self._x_scale

    def _build(self, n_features: int, dtype: np.dtype) -> None:
        self._seed = _seed(self.random_state)
        self._epoch_seed = 0
        sizes = [n_features, *self._sizes, self._n_outputs]
        self.net_ = mlp(sizes, activation=self.activation, init=self.init,
                        batch_norm=bool(self.batch_norm), dropout=float(self.dropout),
                        dtype=dtype, rng=self._seed)
        params = dict(self.optimizer_params or {})
        self.optimizer_ = make_optimizer(self.optimizer, self.net_.parameters(), **params)
        self.schedule_ = (None if self.schedule is None else
                          make_schedule(self.schedule, self.optimizer_,
                                        **dict(self.schedule_params or {})))
        self.loss_ = LOSSES[self._loss_name]()

    def _split_validation(self, X: np.ndarray, t: np.ndarray, w: np.ndarray) -> Any:
        from sklearn.model_selection import train_test_split

        stratify = t if self._stratify and len(np.unique(t)) > 1 else None
        rng = np.random.RandomState(self._seed)
        try:
            Xa, Xb, ta, tb, wa, _ = train_test_split(X, t, w, test_size=self.validation_fraction,
                                                     random_state=rng, stratify=stratify)
        except ValueError:
            Xa, Xb, ta, tb, wa, _ = train_test_split(X, t, w, test_size=self.validation_fraction,
                                                     random_state=rng)
        dtype = np.dtype(self.dtype)
        return Xa, ta, wa, (Xb, self._prepare(tb, dtype))

    # --- using the network --------------------------------------------------------------------
    def _raw(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "net_")
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        from .training.evaluation import predict_raw

        out = predict_raw(self.net_, self._scale_X(X).astype(self.net_[0].dtype))
        return np.asarray(out, dtype=np.float64)

    def explain(self, X: Any, y: Any, *, lr: float | None = None) -> Any:
        """Every number of one training step of the fitted network on ``(X, y)`` (a
        :class:`backprop.Trace`; ``print(tr.to_text())``), on standardised inputs and the
        targets as the network sees them. The fitted network itself is not changed."""
        check_is_fitted(self, "net_")
        from .explain.record import trace

        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        targets, _ = self._encode_targets(np.asarray(y), np.ones(len(X)), False, None)
        rate = lr if lr is not None else self.optimizer_.lr
        net = copy.deepcopy(self.net_).train()
        return trace(net, self.loss_, self._scale_X(X), self._prepare(targets, np.float64),
                     lr=rate)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags

    # pickling: the optimiser's views into the network's flat buffer are rebuilt on load
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        if "optimizer_" in state:
            state["optimizer_"] = None
            state["_optimizer_state"] = self.optimizer_.state_dict()
            state["schedule_"] = None
            state["_schedule_state"] = (None if self.schedule_ is None
                                        else self.schedule_.state_dict())
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        opt_state = state.pop("_optimizer_state", None)
        sched_state = state.pop("_schedule_state", None)
        self.__dict__.update(state)
        if opt_state is not None:
            self.optimizer_ = make_optimizer(self.optimizer, self.net_.parameters(),
                                             **dict(self.optimizer_params or {}))
            self.schedule_ = (None if self.schedule is None else
                              make_schedule(self.schedule, self.optimizer_,
                                            **dict(self.schedule_params or {})))
            self.optimizer_.load_state_dict(opt_state)
            if self.schedule_ is not None and sched_state is not None:
                self.schedule_.load_state_dict(sched_state)


class BackpropClassifier(ClassifierMixin, _BackpropEstimator):
    """A multi-layer perceptron classifier trained by backprop (softmax cross-entropy).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,)
    activation : str, default "relu"
        Any registered element-wise activation (``backprop.layers.activation_names()``).
    init : str or None, default "xavier_uniform"
        Weight initialiser (a name in :data:`backprop.INITIALIZERS`); None: the activation's
        own (He for ReLU).
    batch_norm : bool, default False
    dropout : float, default 0
    optimizer : str, default "adam"
        Any name in :data:`backprop.optim.OPTIMIZERS` ("sgd", "momentum", "nesterov", "adam",
        "adamw", ...), built with ``optimizer_params`` (``torch.optim``'s arguments, e.g.
        ``{"lr": 1e-3, "weight_decay": 1e-4}``).
    optimizer_params : dict, optional
    schedule : str, optional
        Any name in :data:`backprop.optim.SCHEDULES`, built with ``schedule_params``.
    schedule_params : dict, optional
    batch_size : int or "auto", default "auto"
        ``min(200, n_samples)``, as scikit-learn.
    max_iter : int, default 200
        Epochs at most.
    shuffle : bool, default True
    tol, n_iter_no_change : float, int
        Stop after ``n_iter_no_change`` epochs without improvement by ``tol``.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` (stratified) and stop on its loss, keeping the best
        weights.
    validation_fraction : float, default 0.1
    class_weight : dict, "balanced" or None
        Weights per class, multiplied into ``sample_weight`` (``"balanced"``:
        ``n_samples / (n_classes * count)``, as scikit-learn).
    standardize : bool, default True
        Standardise the inputs with the (weighted) training statistics.
    dtype : {"float64", "float32"}, default "float64"
    random_state : int, RandomState or None
    verbose : bool, default False
    warm_start : bool, default False

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    net_ : backprop.Sequential
        The trained network (its last layer outputs logits).
    optimizer_, schedule_, loss_
    n_iter_ : int
        Epochs run.
    loss_curve_ : list of float
        Mean training loss per epoch.
    history_ : backprop.History
    n_features_in_ : int
    feature_names_in_ : ndarray, when fitted on a DataFrame with string column names
    """

    _loss_name = "softmax_cross_entropy"
    _multi_output = False
    _y_numeric = False
    _stratify = True

    def __init__(self, hidden_layer_sizes: Any = (100,), activation: str = "relu", *,
                 init: str | None = "xavier_uniform", batch_norm: bool = False,
                 dropout: float = 0.0,
                 optimizer: str = "adam", optimizer_params: dict[str, Any] | None = None,
                 schedule: str | None = None, schedule_params: dict[str, Any] | None = None,
                 batch_size: Any = "auto", max_iter: int = 200, shuffle: bool = True,
                 tol: float = 1e-4, n_iter_no_change: int = 10, early_stopping: bool = False,
                 validation_fraction: float = 0.1, class_weight: Any = None,
                 standardize: bool = True, dtype: str = "float64", random_state: Any = None,
                 verbose: bool = False, warm_start: bool = False):
        super().__init__(hidden_layer_sizes, activation, init=init, batch_norm=batch_norm,
                         dropout=dropout, optimizer=optimizer,
                         optimizer_params=optimizer_params, schedule=schedule,
                         schedule_params=schedule_params, batch_size=batch_size,
                         max_iter=max_iter, shuffle=shuffle, tol=tol,
                         n_iter_no_change=n_iter_no_change, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, standardize=standardize,
                         dtype=dtype, random_state=random_state, verbose=verbose,
                         warm_start=warm_start)
        self.class_weight = class_weight

    def _encode_targets(self, y: np.ndarray, w: np.ndarray, first: bool,
                        classes: Any) -> tuple[np.ndarray, np.ndarray]:
        y = np.asarray(y)
        if first:
            check_classification_targets(y)
            if type_of_target(y) not in ("binary", "multiclass"):
                raise ValueError(f"BackpropClassifier needs one label per sample (binary or "
                                 f"multiclass targets), got {type_of_target(y)!r}")
            self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(f"the classifier needs samples of at least 2 classes; y has "
                                 f"only one class, {self.classes_[0]!r}")
            self._n_outputs = len(self.classes_)
        index = np.searchsorted(self.classes_, y)
        index = np.clip(index, 0, len(self.classes_) - 1)
        if np.any(self.classes_[index] != y):
            bad = y[self.classes_[index] != y][0]
            bad = bad.item() if isinstance(bad, np.generic) else bad
            raise ValueError(f"label {bad!r} is not one of the classes seen at the first fit "
                             f"{self.classes_.tolist()}")
        if self.class_weight is not None:
            w = w * compute_sample_weight(self.class_weight, y)
        if first and len(np.unique(index[w > 0])) < 2:
            raise ValueError("the classifier needs samples of at least 2 classes with a "
                             "positive sample_weight; only one class has any")
        return index.astype(np.int64), w

    @staticmethod
    def _prepare(targets: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return targets

    def partial_fit(self, X: Any, y: Any, classes: Any = None,
                    sample_weight: Any = None) -> BackpropClassifier:
        """One epoch on ``(X, y)``; ``classes`` (every label that will ever appear) is needed on
        the first call, as in scikit-learn."""
        if not hasattr(self, "net_") and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._fit(X, y, sample_weight, incremental=True, classes=classes)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes): the softmax of the logits."""
        out = self._raw(X)
        e = np.exp(out - out.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each sample (labels as given to ``fit``)."""
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class BackpropRegressor(RegressorMixin, _BackpropEstimator):
    """A multi-layer perceptron regressor trained by backprop (squared error).

    The parameters are :class:`BackpropClassifier`'s without ``class_weight``; with
    ``standardize=True`` the targets are standardised too and predictions scaled back.
    ``predict`` returns shape ``(n_samples,)`` for a 1-D target and ``(n_samples, n_outputs)``
    for several outputs.
    """

    _loss_name = "squared"
    _multi_output = True
    _y_numeric = True
    _stratify = False

    def _encode_targets(self, y: np.ndarray, w: np.ndarray, first: bool,
                        classes: Any) -> tuple[np.ndarray, np.ndarray]:
        y = np.asarray(y, dtype=np.float64)
        if first:
            self._y_ndim = y.ndim
            self._n_outputs = 1 if y.ndim == 1 else y.shape[1]
            Y = y.reshape(len(y), -1)
            if self.standardize:
                self._y_mean, self._y_scale = _weighted_moments(Y, w)
            else:
                self._y_mean, self._y_scale = np.zeros(Y.shape[1]), np.ones(Y.shape[1])
        Y = y.reshape(len(y), -1)
        if Y.shape[1] != self._n_outputs:
            raise ValueError(f"y has {Y.shape[1]} outputs, the network was fitted with "
                             f"{self._n_outputs}")
        return (Y - self._y_mean) / self._y_scale, w

    @staticmethod
    def _prepare(targets: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return targets.astype(dtype)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, in the units of ``y``."""
        out = self._raw(X) * self._y_scale + self._y_mean
        return out[:, 0] if self._y_ndim == 1 else out
