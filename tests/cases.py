"""One table of test cases, one section per registry of the library.

Every name registered in ``LAYERS`` (activations included), ``LOSSES``, ``OPTIMIZERS``,
``SCHEDULES``, ``INITIALIZERS`` and ``DATASETS`` has at least one case here, and
``tests/test_contracts.py`` runs the same generic tests over every case; its completeness tests
fail when a registered entry has no case, or a case names nothing registered. Adding something
to the library is therefore: the class, its registration, and one row here.

This is a plain module (no tests in it); it does not import torch. Where a case names its
PyTorch equivalent it does so with a function that receives the torch module (or
``torch.nn.init``) as an argument.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import backprop as bp

#: the languages every registered entry has words in (the explanation's languages)
LANGUAGES = ("en", "vi")
#: roles a layer may declare (see backprop.layers.base)
ROLES = ("affine", "activation", "normalization", "regularization", "container", "other")

Bad = tuple[dict[str, Any], type[Exception], str]  # (constructor kwargs, exception, regex)


# --- layers ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerCase:
    """One layer to run the layer contract on.

    Attributes
    ----------
    id : str
        Test id.
    make : callable
        Builds the layer in float64 with fixed numbers (seeded weights, non-trivial batch-norm
        statistics), the same on every call.
    shape : (m, n)
        The input batch.
    modes : tuple of "train" / "eval"
        Modes tested; "eval" only for layers whose behaviour depends on the flag (the generic
        tests check that the others compute the same in both).
    random_in_train : bool
        Training mode draws random numbers (dropout): finite differences and the torch twin
        are then compared in evaluation mode only.
    avoid : tuple of float
        Input values to keep inputs away from, besides the layer's declared ``kinks``.
    bad : tuple of (kwargs, exception, regex)
        Constructor arguments that must be refused, with a message matching the regex (which
        names the bad value). Every case is also checked to refuse an unknown keyword.
    """

    id: str
    make: Callable[[], bp.Layer]
    shape: tuple[int, int] = (5, 4)
    modes: tuple[str, ...] = ("train",)
    random_in_train: bool = False
    avoid: tuple[float, ...] = ()
    bad: tuple[Bad, ...] = ()

    @property
    def name(self) -> str:
        """The registry name of the layer the case builds."""
        return self.make().name

    @property
    def is_activation(self) -> bool:
        return isinstance(self.make(), bp.Activation)

    def deterministic(self, mode: str) -> bool:
        return not (self.random_in_train and mode == "train")

    def __repr__(self) -> str:  # pytest ids
        return self.id


def _seeded(n: int, seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed * 1000 + n)


def _dense(**kwargs: Any) -> Callable[[], bp.Layer]:
    def make() -> bp.Layer:
        layer = bp.Dense(4, 3, rng=0, **kwargs)
        if layer.bias:  # non-zero biases, so the forward adds something
            layer.b[...] = _seeded(3).normal(0.0, 0.5, 3)
        return layer

    return make


def _batchnorm(**kwargs: Any) -> Callable[[], bp.Layer]:
    def make() -> bp.Layer:
        rng = _seeded(4, 1)
        bn = bp.BatchNorm(4, **kwargs)
        gamma, beta = rng.uniform(0.5, 1.5, 4), rng.normal(0.0, 0.5, 4)
        mean, var = rng.normal(0.0, 0.5, 4), rng.uniform(0.5, 2.0, 4)
        if bn.affine:
            bn.gamma[...], bn.beta[...] = gamma, beta
        if bn.track_running_stats:
            bn.running_mean[...], bn.running_var[...] = mean, var
        return bn

    return make


def _layernorm(**kwargs: Any) -> Callable[[], bp.Layer]:
    def make() -> bp.Layer:
        rng = _seeded(4, 2)
        ln = bp.LayerNorm(4, **kwargs)
        ln.gamma[...] = rng.uniform(0.5, 1.5, 4)
        ln.beta[...] = rng.normal(0.0, 0.5, 4)
        return ln

    return make


_NORM_BAD: tuple[Bad, ...] = (
    ({"n": 0}, ValueError, "n must be >= 1, got 0"),
    ({"n": 2.5}, TypeError, "n must be an integer, got 2.5"),
    ({"n": 3, "eps": 0.0}, ValueError, "eps must be > 0, got 0"),
    ({"n": 3, "eps": -1e-5}, ValueError, "eps must be > 0, got -1e-05"),
    ({"n": 3, "dtype": np.int32}, ValueError, "dtype must be float32 or float64, got int32"),
)

LAYER_CASES: list[LayerCase] = [
    LayerCase("dense", _dense(), bad=(
        ({"n_in": 0, "n_out": 3}, ValueError, "n_in must be >= 1, got 0"),
        ({"n_in": 2, "n_out": -1}, ValueError, "n_out must be >= 1, got -1"),
        ({"n_in": 2.5, "n_out": 3}, TypeError, "n_in must be an integer, got 2.5"),
        ({"n_in": 2, "n_out": 3, "dtype": np.int32}, ValueError,
         "dtype must be float32 or float64, got int32"),
        ({"n_in": 2, "n_out": 3, "init": "bogus"}, ValueError, "unknown initialiser 'bogus'"),
        ({"n_in": 2, "n_out": 3, "rng": "seed"}, TypeError,
         "rng must be an int seed .*got 'seed'"),
    )),
    LayerCase("dense-no-bias", _dense(bias=False)),
    LayerCase("batchnorm", _batchnorm(), modes=("train", "eval"), shape=(6, 4), bad=(
        *_NORM_BAD,
        ({"n": 3, "momentum": -0.1}, ValueError, r"momentum must be in \[0, 1\], got -0.1"),
        ({"n": 3, "momentum": 1.5}, ValueError, r"momentum must be in \[0, 1\], got 1.5"),
        ({"n": 3, "momentum": None}, TypeError, "momentum must be a number, got None"),
    )),
    LayerCase("batchnorm-no-affine", _batchnorm(affine=False), modes=("train", "eval"),
              shape=(6, 4)),
    # batch statistics in both modes: the flag changes nothing it computes
    LayerCase("batchnorm-batch-statistics-only", _batchnorm(track_running_stats=False),
              shape=(6, 4)),
    LayerCase("batchnorm-momentum-eps", _batchnorm(momentum=0.3, eps=1e-3),
              modes=("train", "eval"), shape=(7, 4)),
    LayerCase("layernorm", _layernorm(), bad=(
        *_NORM_BAD,
        ({"n": 3, "elementwise_affine": "yes"}, TypeError,
         "elementwise_affine must be True or False, got 'yes'"),
    )),
    LayerCase("layernorm-eps", _layernorm(eps=1e-3), shape=(1, 4)),
    LayerCase("layernorm-no-affine", _layernorm(elementwise_affine=False)),
    LayerCase("dropout", lambda: bp.Dropout(0.3, rng=0), modes=("train", "eval"),
              random_in_train=True, bad=(
                  ({"p": -0.1}, ValueError, r"p must be in \[0, 1\), got -0.1"),
                  ({"p": 1.0}, ValueError, r"p must be in \[0, 1\), got 1"),
                  ({"p": 1.5}, ValueError, r"p must be in \[0, 1\), got 1.5"),
                  ({"p": float("nan")}, ValueError, "p must be finite, got nan"),
                  ({"p": "0.5"}, TypeError, "p must be a number, got '0.5'"),
                  ({"p": True}, TypeError, "p must be a number, got True"),
                  ({"p": 0.5, "rng": "seed"}, TypeError, "rng must be an int seed"),
              )),
    LayerCase("dropout-zero", lambda: bp.Dropout(0.0, rng=0)),  # the identity in both modes
    # activations
    LayerCase("identity", bp.Identity),
    LayerCase("sigmoid", bp.Sigmoid),
    LayerCase("tanh", bp.Tanh),
    LayerCase("relu", bp.ReLU),
    LayerCase("leaky_relu", bp.LeakyReLU, bad=(
        ({"negative_slope": -1}, ValueError, "negative_slope must be >= 0, got -1"),
        ({"negative_slope": "x"}, TypeError, "negative_slope must be a number, got 'x'"),
        ({"negative_slope": float("inf")}, ValueError, "negative_slope must be finite, got inf"),
    )),
    LayerCase("leaky_relu-0.2", lambda: bp.LeakyReLU(0.2)),
    LayerCase("leaky_relu-1.5", lambda: bp.LeakyReLU(negative_slope=1.5)),  # steeper below 0
    LayerCase("gelu", bp.GELU, shape=(6, 5), bad=(
        ({"approximate": "erf"}, ValueError, "approximate must be 'none' or 'tanh', got 'erf'"),
        ({"approximate": None}, ValueError, "got None"),
    )),
    LayerCase("gelu-tanh", lambda: bp.GELU(approximate="tanh"), shape=(6, 5)),
    LayerCase("silu", bp.SiLU),
    LayerCase("softplus", bp.Softplus, bad=(
        ({"beta": 0}, ValueError, "beta must be > 0, got 0"),
        ({"beta": -2.0}, ValueError, "beta must be > 0, got -2"),
        ({"threshold": -1}, ValueError, "threshold must be > 0, got -1"),
        ({"threshold": "20"}, TypeError, "threshold must be a number, got '20'"),
    )),
    # beta * z > threshold switches to the identity: at z = 2.5 the function jumps by
    # log1p(e^-5) / 2 (as torch.nn.Softplus does), so inputs keep away from it
    LayerCase("softplus-beta-threshold", lambda: bp.Softplus(beta=2.0, threshold=5.0),
              shape=(8, 4), avoid=(2.5,)),
    LayerCase("softmax", bp.Softmax),
]


def layer_case(case_id: str) -> LayerCase:
    return next(c for c in LAYER_CASES if c.id == case_id)


def activation_cases(*, elementwise: bool | None = None, plain: bool = False) -> list[LayerCase]:
    """The activation cases (only the element-wise ones, if asked). ``plain=True`` leaves out
    cases whose inputs must avoid points the activation does not declare (for whole networks,
    whose inner inputs cannot be steered)."""
    out = []
    for c in LAYER_CASES:
        layer = c.make()
        if not isinstance(layer, bp.Activation):
            continue
        if elementwise is not None and layer.elementwise != elementwise:
            continue
        if plain and c.avoid:
            continue
        out.append(c)
    return out


# --- losses ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LossCase:
    """One loss with targets of one form.

    ``targets(rng, m, k)`` draws targets as backprop takes them; ``reference(torch, out, y)``
    is the cost :math:`J` written with torch (``out`` a tensor, ``y`` the NumPy targets).
    """

    id: str
    make: Callable[[], bp.Loss]
    targets: Callable[[np.random.Generator, int, int], np.ndarray]
    reference: Callable[[Any, Any, np.ndarray], Any]
    k: int = 3  # output units
    m: int = 6

    @property
    def name(self) -> str:
        return self.make().name

    def __repr__(self) -> str:
        return self.id


def _squared_ref(torch: Any, out: Any, y: np.ndarray) -> Any:
    t = torch.as_tensor(np.asarray(y, dtype=np.float64)).reshape(out.shape)
    return 0.5 * ((t - out) ** 2).sum() / out.shape[0]


def _bce_ref(torch: Any, out: Any, y: np.ndarray) -> Any:
    t = torch.as_tensor(np.asarray(y, dtype=np.float64)).reshape(out.shape)
    F = torch.nn.functional
    return F.binary_cross_entropy_with_logits(out, t, reduction="sum") / out.shape[0]


def _ce_ref(torch: Any, out: Any, y: np.ndarray) -> Any:
    y = np.asarray(y)
    if y.ndim == 1:  # class indices
        t = torch.as_tensor(y.astype(np.int64))
    else:  # one-hot or probability rows
        t = torch.as_tensor(y.astype(np.float64))
    return torch.nn.functional.cross_entropy(out, t)  # the mean over the m samples


def _labels(rng: np.random.Generator, m: int, k: int) -> np.ndarray:
    return rng.integers(0, k, m)


CLASS_WEIGHTS = [0.5, 2.0, 1.0, 1.5]


def _ce_options_ref(**options: Any) -> Callable[[Any, Any, np.ndarray], Any]:
    """torch's cross-entropy with its label_smoothing / weight (mean over the weighted batch)."""
    def reference(torch: Any, out: Any, y: np.ndarray) -> Any:
        y = np.asarray(y)
        t = torch.as_tensor(y.astype(np.int64) if y.ndim == 1 else y.astype(np.float64))
        kw = dict(options)
        if "weight" in kw:
            kw["weight"] = torch.as_tensor(np.asarray(kw["weight"], dtype=np.float64))
        return torch.nn.functional.cross_entropy(out, t, **kw)
    return reference


def _bce_pos_weight_ref(pos_weight: list[float]) -> Callable[[Any, Any, np.ndarray], Any]:
    def reference(torch: Any, out: Any, y: np.ndarray) -> Any:
        t = torch.as_tensor(np.asarray(y, dtype=np.float64)).reshape(out.shape)
        pw = torch.as_tensor(np.asarray(pos_weight, dtype=np.float64))
        return torch.nn.functional.binary_cross_entropy_with_logits(
            out, t, pos_weight=pw, reduction="sum") / out.shape[0]
    return reference


LOSS_CASES: list[LossCase] = [
    LossCase("squared", bp.SquaredError, lambda rng, m, k: rng.normal(size=(m, k)), _squared_ref,
             k=2),
    LossCase("squared-1d-target", bp.SquaredError, lambda rng, m, k: rng.normal(size=m),
             _squared_ref, k=1),
    LossCase("bce", bp.BinaryCrossEntropy,
             lambda rng, m, k: (rng.random((m, k)) < 0.5).astype(np.float64), _bce_ref),
    LossCase("bce-soft", bp.BinaryCrossEntropy, lambda rng, m, k: rng.random((m, k)), _bce_ref),
    LossCase("bce-1d-target", bp.BinaryCrossEntropy,
             lambda rng, m, k: (rng.random(m) < 0.5).astype(np.float64), _bce_ref, k=1),
    LossCase("ce-labels", bp.SoftmaxCrossEntropy, _labels, _ce_ref, k=4),
    LossCase("ce-label-smoothing", lambda: bp.SoftmaxCrossEntropy(label_smoothing=0.1), _labels,
             _ce_options_ref(label_smoothing=0.1), k=4),
    LossCase("ce-class-weight", lambda: bp.SoftmaxCrossEntropy(weight=CLASS_WEIGHTS), _labels,
             _ce_options_ref(weight=CLASS_WEIGHTS), k=4),
    LossCase("ce-weight-and-smoothing-soft",
             lambda: bp.SoftmaxCrossEntropy(label_smoothing=0.2, weight=CLASS_WEIGHTS),
             lambda rng, m, k: rng.dirichlet(np.ones(k), size=m),
             _ce_options_ref(label_smoothing=0.2, weight=CLASS_WEIGHTS), k=4),
    LossCase("bce-pos-weight", lambda: bp.BinaryCrossEntropy(pos_weight=[2.0, 0.5, 3.0]),
             lambda rng, m, k: (rng.random((m, k)) < 0.5).astype(np.float64),
             _bce_pos_weight_ref([2.0, 0.5, 3.0])),
    LossCase("ce-onehot", bp.SoftmaxCrossEntropy,
             lambda rng, m, k: np.eye(k)[rng.integers(0, k, m)], _ce_ref, k=4),
    LossCase("ce-soft", bp.SoftmaxCrossEntropy,
             lambda rng, m, k: rng.dirichlet(np.ones(k), size=m), _ce_ref, k=5),
]


def loss_case(case_id: str) -> LossCase:
    return next(c for c in LOSS_CASES if c.id == case_id)


# --- optimisers -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class OptimizerCase:
    """``make_optimizer(name, params, **kwargs)`` against ``torch.optim.<torch_name>``.

    ``kwargs`` may hold backprop's extra options, which the torch side reproduces: ``clip_norm``
    / ``clip_value`` (``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` before each
    step) and ``decay_mask="auto"`` (a second parameter group with ``weight_decay=0`` for the
    parameters whose ``decay`` flag is False).
    """

    id: str
    name: str
    kwargs: dict[str, Any]
    torch_name: str
    torch_kwargs: dict[str, Any]

    @property
    def options(self) -> dict[str, Any]:
        """The extras torch does not take as optimiser arguments."""
        return {k: v for k, v in self.kwargs.items()
                if k in ("clip_norm", "clip_value", "decay_mask")}

    def __repr__(self) -> str:
        return self.id


def _opt(id_: str, name: str, kwargs: dict[str, Any], torch_name: str,
         torch_kwargs: dict[str, Any] | None = None) -> OptimizerCase:
    """A case whose torch arguments are the same as ours, less backprop's extras."""
    if torch_kwargs is None:
        torch_kwargs = {k: v for k, v in kwargs.items()
                        if k not in ("clip_norm", "clip_value", "decay_mask")}
    return OptimizerCase(id_, name, kwargs, torch_name, torch_kwargs)


OPTIMIZER_CASES: list[OptimizerCase] = [
    _opt("sgd", "sgd", {"lr": 0.2}, "SGD"),
    _opt("sgd-momentum", "sgd", {"lr": 0.1, "momentum": 0.9}, "SGD"),
    _opt("sgd-dampening", "sgd", {"lr": 0.1, "momentum": 0.8, "dampening": 0.3}, "SGD"),
    _opt("sgd-nesterov", "sgd", {"lr": 0.1, "momentum": 0.9, "nesterov": True}, "SGD"),
    _opt("sgd-weight-decay", "sgd", {"lr": 0.1, "momentum": 0.9, "weight_decay": 0.05}, "SGD"),
    _opt("sgd-masked-decay", "sgd",
         {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1, "decay_mask": "auto"}, "SGD"),
    _opt("sgd-clip-norm", "sgd", {"lr": 0.1, "momentum": 0.9, "clip_norm": 0.05}, "SGD"),
    _opt("sgd-clip-value", "sgd",
         {"lr": 0.1, "nesterov": True, "momentum": 0.7, "clip_value": 0.01}, "SGD"),
    # the presets: SGD with momentum 0.9 (and Nesterov), lr given or make_optimizer's 0.01
    _opt("momentum", "momentum", {"lr": 0.05}, "SGD", {"lr": 0.05, "momentum": 0.9}),
    _opt("momentum-default-lr", "momentum", {}, "SGD", {"lr": 0.01, "momentum": 0.9}),
    _opt("nesterov", "nesterov", {"lr": 0.05, "weight_decay": 0.01}, "SGD",
         {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    _opt("adam-defaults", "adam", {}, "Adam"),
    _opt("adam", "adam", {"lr": 0.01}, "Adam"),
    _opt("adam-betas-eps", "adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6}, "Adam"),
    _opt("adam-weight-decay", "adam", {"lr": 0.01, "weight_decay": 0.1}, "Adam"),
    _opt("adam-masked-decay", "adam", {"lr": 0.01, "weight_decay": 0.1, "decay_mask": "auto"},
         "Adam"),
    _opt("adam-clip-value", "adam", {"lr": 0.01, "clip_value": 0.01}, "Adam"),
    _opt("adamw-defaults", "adamw", {}, "AdamW"),
    _opt("adamw", "adamw", {"lr": 0.01}, "AdamW"),
    _opt("adamw-strong-decay", "adamw", {"lr": 0.01, "weight_decay": 0.5}, "AdamW"),
    _opt("adamw-masked-decay", "adamw",
         {"lr": 0.01, "weight_decay": 0.5, "decay_mask": "auto"}, "AdamW"),
    _opt("adamw-clip-norm", "adamw", {"lr": 0.01, "clip_norm": 0.05}, "AdamW"),
    _opt("adamw-clip-both", "adamw", {"lr": 0.01, "clip_norm": 0.05, "clip_value": 0.02},
         "AdamW"),
    _opt("adam-amsgrad", "adam", {"lr": 0.01, "amsgrad": True}, "Adam"),
    _opt("adamw-amsgrad-decay", "adamw", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
         "AdamW"),
    _opt("rmsprop-defaults", "rmsprop", {}, "RMSprop"),
    _opt("rmsprop", "rmsprop", {"lr": 0.005, "alpha": 0.9, "eps": 1e-6}, "RMSprop"),
    _opt("rmsprop-momentum-centered", "rmsprop",
         {"lr": 0.005, "momentum": 0.8, "centered": True, "weight_decay": 0.01}, "RMSprop"),
    _opt("nadam-defaults", "nadam", {}, "NAdam"),
    _opt("nadam", "nadam", {"lr": 0.01, "betas": (0.85, 0.99), "momentum_decay": 0.01},
         "NAdam"),
    _opt("nadam-decoupled", "nadam",
         {"lr": 0.01, "weight_decay": 0.05, "decoupled_weight_decay": True}, "NAdam"),
]


# --- schedules ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ScheduleCase:
    """``make_schedule(name, opt, **kwargs)`` against ``torch.optim.lr_scheduler.<torch_name>``
    with the same keyword arguments.

    ``per_batch``: meant to be stepped after every optimiser step (else once per epoch);
    ``needs_metric``: ``step(metric)`` takes the monitored value (:func:`metrics` gives it).
    ``optimizer``: ``"sgd"`` (momentum 0.9), ``"sgd0"`` (none), ``"adam"`` or ``"adamw"``.
    """

    id: str
    name: str
    kwargs: dict[str, Any]
    torch_name: str
    per_batch: bool = False
    needs_metric: bool = False
    optimizer: str = "sgd"
    steps: int = 60
    #: arguments that depend on the optimiser (a sequence's children): ``(opt, module)`` ->
    #: kwargs, ``module`` being ``backprop.optim`` or ``torch.optim.lr_scheduler``
    build: Callable[[Any, Any], dict[str, Any]] | None = None

    def arguments(self, opt: Any, module: Any) -> dict[str, Any]:
        """The constructor's keyword arguments for one library's schedule on ``opt``."""
        return {**self.kwargs, **(self.build(opt, module) if self.build else {})}

    def __repr__(self) -> str:
        return self.id


N_SCHEDULE = 60


def _warmup_then_cosine(opt: Any, module: Any) -> dict[str, Any]:
    return {"schedulers": [module.LinearLR(opt, start_factor=0.1, total_iters=5),
                           module.CosineAnnealingLR(opt, T_max=N_SCHEDULE - 5)],
            "milestones": [5]}


def _warmup_then_steps(opt: Any, module: Any) -> dict[str, Any]:
    return {"schedulers": [module.LinearLR(opt, start_factor=0.25, total_iters=4),
                           module.MultiStepLR(opt, milestones=[10, 30], gamma=0.5),
                           module.ExponentialLR(opt, gamma=0.97)],
            "milestones": [4, 40]}

SCHEDULE_CASES: list[ScheduleCase] = [
    ScheduleCase("step", "step", {"step_size": 7}, "StepLR"),
    ScheduleCase("step-gamma", "step", {"step_size": 4, "gamma": 0.5}, "StepLR",
                 optimizer="adam"),
    ScheduleCase("exponential", "exponential", {"gamma": 0.93}, "ExponentialLR"),
    ScheduleCase("cosine", "cosine", {"T_max": N_SCHEDULE}, "CosineAnnealingLR"),
    ScheduleCase("cosine-restart", "cosine", {"T_max": 12, "eta_min": 0.002},
                 "CosineAnnealingLR", optimizer="adam"),
    ScheduleCase("onecycle-sgd", "onecycle", {"max_lr": 0.5, "total_steps": N_SCHEDULE},
                 "OneCycleLR", per_batch=True),
    ScheduleCase("onecycle-sgd-no-momentum", "onecycle",
                 {"max_lr": 0.5, "total_steps": N_SCHEDULE}, "OneCycleLR", per_batch=True,
                 optimizer="sgd0"),
    ScheduleCase("onecycle-adam", "onecycle", {"max_lr": 0.01, "total_steps": N_SCHEDULE},
                 "OneCycleLR", per_batch=True, optimizer="adam"),
    ScheduleCase("onecycle-adamw-linear", "onecycle",
                 {"max_lr": 0.02, "total_steps": N_SCHEDULE, "anneal_strategy": "linear",
                  "pct_start": 0.25}, "OneCycleLR", per_batch=True, optimizer="adamw"),
    ScheduleCase("onecycle-three-phase", "onecycle",
                 {"max_lr": 1.0, "total_steps": N_SCHEDULE, "three_phase": True,
                  "div_factor": 10.0, "final_div_factor": 100.0, "base_momentum": 0.8,
                  "max_momentum": 0.9}, "OneCycleLR", per_batch=True),
    ScheduleCase("onecycle-no-cycle", "onecycle",
                 {"max_lr": 0.01, "total_steps": N_SCHEDULE, "cycle_momentum": False,
                  "pct_start": 0.5}, "OneCycleLR", per_batch=True, optimizer="adam"),
    ScheduleCase("onecycle-short", "onecycle", {"max_lr": 0.1, "total_steps": 7}, "OneCycleLR",
                 per_batch=True, steps=7),
    ScheduleCase("plateau", "plateau", {"patience": 3}, "ReduceLROnPlateau",
                 needs_metric=True),
    ScheduleCase("plateau-cooldown", "plateau", {"patience": 2, "factor": 0.5, "cooldown": 3},
                 "ReduceLROnPlateau", needs_metric=True),
    ScheduleCase("plateau-min-lr", "plateau", {"patience": 1, "factor": 0.2, "min_lr": 1e-3},
                 "ReduceLROnPlateau", needs_metric=True),
    ScheduleCase("plateau-abs", "plateau",
                 {"patience": 2, "threshold": 0.01, "threshold_mode": "abs"},
                 "ReduceLROnPlateau", needs_metric=True),
    ScheduleCase("plateau-max", "plateau", {"mode": "max", "patience": 2}, "ReduceLROnPlateau",
                 needs_metric=True),
    ScheduleCase("plateau-max-abs-cooldown", "plateau",
                 {"mode": "max", "patience": 1, "threshold_mode": "abs", "threshold": 0.0,
                  "cooldown": 1}, "ReduceLROnPlateau", needs_metric=True),
    ScheduleCase("linear-warmup", "linear", {}, "LinearLR"),
    ScheduleCase("linear-decay", "linear",
                 {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 40}, "LinearLR",
                 optimizer="adam"),
    ScheduleCase("multistep", "multistep", {"milestones": [10, 25, 40], "gamma": 0.3},
                 "MultiStepLR"),
    ScheduleCase("cosine_restarts", "cosine_restarts", {"T_0": 10}, "CosineAnnealingWarmRestarts"),
    ScheduleCase("cosine_restarts-mult", "cosine_restarts",
                 {"T_0": 5, "T_mult": 2, "eta_min": 0.001}, "CosineAnnealingWarmRestarts",
                 optimizer="adamw"),
    ScheduleCase("lambda", "lambda", {"lr_lambda": lambda epoch: 0.95 ** epoch}, "LambdaLR"),
    ScheduleCase("lambda-warmup", "lambda",
                 {"lr_lambda": lambda epoch: min(1.0, (epoch + 1) / 8)}, "LambdaLR",
                 optimizer="adam"),
    ScheduleCase("sequential-warmup-cosine", "sequential", {}, "SequentialLR",
                 build=_warmup_then_cosine),
    ScheduleCase("sequential-three", "sequential", {}, "SequentialLR", optimizer="adam",
                 build=_warmup_then_steps),
    ScheduleCase("plateau-eps", "plateau", {"patience": 0, "factor": 0.9, "eps": 0.005},
                 "ReduceLROnPlateau", needs_metric=True),
]


def metrics(case: ScheduleCase) -> list[float]:
    """The monitored values fed to a schedule that needs them: falling, flat and noisy,
    falling again, flat (negated for ``mode="max"``); one per step."""
    rng = np.random.default_rng(2)
    falling = np.linspace(1.0, 0.5, 15)
    flat = 0.5 + 0.002 * rng.standard_normal(30)
    again = np.linspace(0.49, 0.3, 10)
    values = np.concatenate([falling, flat, again, np.full(max(case.steps - 55, 0), 0.3)])
    sign = -1.0 if case.kwargs.get("mode") == "max" else 1.0
    return [float(sign * v) for v in values[:case.steps]]


# --- initialisers ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class InitCase:
    """An initialiser with the distribution its formula promises.

    ``scale(fan_in, fan_out)`` is the bound ``a`` of ``U(-a, a)`` or the standard deviation of
    ``N(0, s^2)``; ``torch_init(tinit, tensor, generator)`` draws the same distribution with
    ``torch.nn.init`` (None: no torch counterpart worth comparing).
    """

    id: str
    name: str
    kwargs: dict[str, Any]
    dist: str  # "uniform" | "normal" | "zeros"
    scale: Callable[[int, int], float]
    torch_init: Callable[[Any, Any, Any], Any] | None = None

    def __repr__(self) -> str:
        return self.id


LEAKY = 0.2

INIT_CASES: list[InitCase] = [
    InitCase("xavier_uniform", "xavier_uniform", {}, "uniform",
             lambda fi, fo: np.sqrt(6 / (fi + fo)),
             lambda ti, t, g: ti.xavier_uniform_(t, generator=g)),
    InitCase("xavier_uniform-tanh", "xavier_uniform", {"gain": 5 / 3}, "uniform",
             lambda fi, fo: 5 / 3 * np.sqrt(6 / (fi + fo)),
             lambda ti, t, g: ti.xavier_uniform_(t, gain=ti.calculate_gain("tanh"), generator=g)),
    InitCase("xavier_normal", "xavier_normal", {}, "normal",
             lambda fi, fo: np.sqrt(2 / (fi + fo)),
             lambda ti, t, g: ti.xavier_normal_(t, generator=g)),
    InitCase("he_uniform", "he_uniform", {}, "uniform", lambda fi, fo: np.sqrt(6 / fi),
             lambda ti, t, g: ti.kaiming_uniform_(t, nonlinearity="relu", generator=g)),
    InitCase("he_uniform-leaky", "he_uniform", {"gain": np.sqrt(2 / (1 + LEAKY**2))}, "uniform",
             lambda fi, fo: np.sqrt(6 / ((1 + LEAKY**2) * fi)),
             lambda ti, t, g: ti.kaiming_uniform_(t, a=LEAKY, generator=g)),
    InitCase("he_normal", "he_normal", {}, "normal", lambda fi, fo: np.sqrt(2 / fi),
             lambda ti, t, g: ti.kaiming_normal_(t, nonlinearity="relu", generator=g)),
    InitCase("he_normal-leaky", "he_normal", {"gain": np.sqrt(2 / (1 + LEAKY**2))}, "normal",
             lambda fi, fo: np.sqrt(2 / ((1 + LEAKY**2) * fi)),
             lambda ti, t, g: ti.kaiming_normal_(t, a=LEAKY, generator=g)),
    # nn.Linear's default weights: kaiming_uniform_ with a = sqrt(5), i.e. U(-1/sqrt(fan_in), .)
    InitCase("uniform", "uniform", {}, "uniform", lambda fi, fo: 1 / np.sqrt(fi),
             lambda ti, t, g: ti.kaiming_uniform_(t, a=np.sqrt(5), generator=g)),
    InitCase("uniform-gain", "uniform", {"gain": 2.0}, "uniform", lambda fi, fo: 2 / np.sqrt(fi)),
    InitCase("normal", "normal", {}, "normal", lambda fi, fo: 0.01,
             lambda ti, t, g: ti.normal_(t, std=0.01, generator=g)),
    InitCase("normal-gain", "normal", {"gain": 3.0}, "normal", lambda fi, fo: 0.03,
             lambda ti, t, g: ti.normal_(t, std=0.03, generator=g)),
    InitCase("zeros", "zeros", {}, "zeros", lambda fi, fo: 0.0, lambda ti, t, g: ti.zeros_(t)),
]


# --- datasets -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetCase:
    """A generator in ``DATASETS`` with arguments, and the classes and features it gives."""

    id: str
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    n_classes: int = 2
    n_features: int = 2

    def __repr__(self) -> str:
        return self.id


DATASET_CASES: list[DatasetCase] = [
    DatasetCase("xor", "xor"),
    DatasetCase("spirals", "spirals", {"n_classes": 3}, n_classes=3),
    DatasetCase("moons", "moons"),
    DatasetCase("circles", "circles"),
    DatasetCase("blobs", "blobs", {"n_classes": 4}, n_classes=4),
    DatasetCase("blobs-3d", "blobs", {"n_classes": 2, "n_features": 3}, n_features=3),
]


# --- the article's worked example -----------------------------------------------------------
# (step, description, how to read it from the JSON, the article's number)
ARTICLE = [
    ("1", "z[1]_1", lambda d: d["layers"][0]["z"][0], -0.050000),
    ("1", "z[1]_2", lambda d: d["layers"][0]["z"][1], 0.140000),
    ("1", "a[1]_1", lambda d: d["layers"][0]["a"][0], 0.487503),
    ("1", "a[1]_2", lambda d: d["layers"][0]["a"][1], 0.534943),
    ("1", "z[2]", lambda d: d["layers"][1]["z"][0], 0.971451),
    ("1", "y_hat = a[2]", lambda d: d["layers"][1]["a"][0], 0.725409),
    ("1", "output", lambda d: d["output"][0], 0.725409),
    ("1", "loss", lambda d: d["loss"], 0.037700),
    ("2", "delta[2]", lambda d: d["layers"][1]["delta"][0], -0.054696),
    ("3", "dL/dW[2]_11", lambda d: d["layers"][1]["dW"][0][0], -0.026665),
    ("3", "dL/dW[2]_12", lambda d: d["layers"][1]["dW"][0][1], -0.029259),
    ("3", "dL/db[2]", lambda d: d["layers"][1]["db"][0], -0.054696),
    ("4", "delta[1]_1", lambda d: d["layers"][0]["delta"][0], -0.010932),
    ("4", "delta[1]_2", lambda d: d["layers"][0]["delta"][1], -0.012247),
    ("5", "dL/db[1]_1", lambda d: d["layers"][0]["db"][0], -0.010932),
    ("5", "dL/db[1]_2", lambda d: d["layers"][0]["db"][1], -0.012247),
    ("6", "dL/dw3", lambda d: d["layers"][0]["dW"][0][0], -0.002186),
    ("7", "dL/dw4", lambda d: d["layers"][0]["dW"][0][1], -0.004373),
    ("8", "dL/dw5", lambda d: d["layers"][0]["dW"][1][0], -0.002449),
    ("9", "dL/dw6", lambda d: d["layers"][0]["dW"][1][1], -0.004899),
    ("10", "W[2]_11 new", lambda d: d["layers"][1]["W_new"][0][0], 0.802666),
    ("10", "W[2]_12 new", lambda d: d["layers"][1]["W_new"][0][1], 0.902926),
    ("10", "b[2] new", lambda d: d["layers"][1]["b_new"][0], 0.105470),
    ("10", "W[1]_11 new", lambda d: d["layers"][0]["W_new"][0][0], 0.100219),
    ("10", "W[1]_12 new", lambda d: d["layers"][0]["W_new"][0][1], -0.199563),
    ("10", "W[1]_21 new", lambda d: d["layers"][0]["W_new"][1][0], 0.300245),
    ("10", "W[1]_22 new", lambda d: d["layers"][0]["W_new"][1][1], 0.250490),
    ("10", "b[1]_1 new", lambda d: d["layers"][0]["b_new"][0], 0.011093),
    ("10", "b[1]_2 new", lambda d: d["layers"][0]["b_new"][1], -0.018775),
]
#: every number the article prints in steps 1-10, as it prints it
PRINTED = sorted({f"{v:.6f}" for *_, v in ARTICLE} - {"0.140000"})


# --- exercise topics ------------------------------------------------------------------------
@dataclass(frozen=True)
class ExerciseCase:
    """A topic of ``backprop exercise`` (``backprop.explain.TOPICS``) and how many sheets the
    generic tests draw of it."""

    topic: str
    students: int = 6

    def __repr__(self) -> str:
        return self.topic


#: issue 12's topics, at least
EXERCISE_CASES: list[ExerciseCase] = [ExerciseCase(t) for t in (
    "forward", "output-delta", "hidden-delta", "gradients", "update", "minibatch", "softmax-ce",
    "momentum", "nesterov", "adam", "batchnorm", "chain-rule")]
