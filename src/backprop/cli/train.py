"""``backprop train``: train a network on a built-in dataset or a file from the command line.

The choices of ``--activation``, ``--init``, ``--optimizer`` and ``--schedule`` are read from the
registries when the parser is built, so anything registered is offered (schedules built from
Python objects, ``command_line = False``, are not); each optimiser and schedule is given the
options it accepts.

``--warmup-epochs N`` wraps the chosen schedule (or none) into
``SequentialLR([LinearLR(start_factor=0.1, total_iters=N), main], milestones=[N])``: the rate
climbs linearly from a tenth of ``--lr`` to ``--lr`` over the first N epochs, then the main
schedule starts from ``--lr`` and runs over the remaining epochs (its ``T_max`` is
``epochs - N``; step counts such as ``--milestones`` count from the end of the warm-up).
Without a main schedule it is the ``LinearLR`` alone.
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

#: The documented MNIST recipe (``backprop train mnist --recipe mnist-strong``).
RECIPES: dict[str, dict[str, Any]] = {
    "mnist-strong": {
        "hidden": "1024,512", "batch_norm": True, "dropout": 0.3, "optimizer": "adamw",
        "lr": 3e-3, "weight_decay": 1e-2, "schedule": "onecycle", "epochs": 40,
        "batch_size": 128, "augment_shift": 2, "standardize": "global", "dtype": "float32",
    },
}


def _hidden(text: str) -> list[int]:
    try:
        sizes = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes comma-separated widths like 256,128, got {text!r}") from None
    if any(s < 1 for s in sizes):
        raise argparse.ArgumentTypeError(f"--hidden widths must be >= 1, got {text!r}")
    return sizes


def _milestones(text: str) -> list[int]:
    try:
        return [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--milestones takes comma-separated epochs like 10,20, got {text!r}") from None


#: the warm-up's first rate, as a fraction of --lr (LinearLR's start_factor)
WARMUP_START_FACTOR = 0.1


def _accepted(factory: Any, pool: dict[str, Any]) -> dict[str, Any]:
    """The entries of ``pool`` that ``factory`` takes as keyword arguments."""
    params = inspect.signature(factory).parameters  # presets say what they wrap
    return {k: v for k, v in pool.items() if k in params}


HELP = "train a network on a built-in dataset, MNIST or a CSV/npz/IDX file"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from ..init import INITIALIZERS
    from ..layers import activation_names
    from ..optim import OPTIMIZERS, SCHEDULES

    p.add_argument("dataset", nargs="?", default="spirals",
                   help="built-in name (xor, spirals, moons, circles, blobs, mnist) or a "
                        ".csv / .npz / IDX file (default: spirals)")
    p.add_argument("--recipe", choices=sorted(RECIPES),
                   help="a documented set of options; explicit options still override it")
    p.add_argument("--label-column", default="-1",
                   help="CSV label column: index or header name (default: last)")
    p.add_argument("--test-split", type=float, default=None,
                   help="fraction held out for testing (default 0.2; MNIST uses the fixed "
                        "protocol: first 8,000 images train, last 2,000 test)")
    p.add_argument("--train-size", type=int, default=None,
                   help="MNIST: number of leading images used for training (default 8000)")
    p.add_argument("--val-split", type=float, default=0.0,
                   help="fraction of the training data used for validation (default 0)")
    p.add_argument("--hidden", type=_hidden, default=None, help="hidden widths, e.g. 256,128")
    p.add_argument("--activation", choices=activation_names(elementwise=True), default=None,
                   help="hidden activation (default relu)")
    p.add_argument("--init", choices=["auto", *INITIALIZERS.names()], default=None,
                   help="weight initialiser (default auto: the one the activation asks for)")
    p.add_argument("--batch-norm", action="store_true", default=None)
    p.add_argument("--dropout", type=float, default=None, help="dropout probability")
    p.add_argument("--optimizer", choices=OPTIMIZERS.names(), default=None,
                   help="optimiser (default adam)")
    p.add_argument("--lr", type=float, default=None, help="learning rate (peak for onecycle)")
    p.add_argument("--momentum", type=float, default=None)
    p.add_argument("--beta1", type=float, default=0.9)
    p.add_argument("--beta2", type=float, default=0.999)
    p.add_argument("--eps", type=float, default=1e-8)
    p.add_argument("--amsgrad", action="store_true",
                   help="adam/adamw: divide by the largest second moment so far (AMSGrad)")
    p.add_argument("--alpha", type=float, default=0.99,
                   help="rmsprop: smoothing constant of the squared gradients (default 0.99)")
    p.add_argument("--centered", action="store_true",
                   help="rmsprop: normalise by the gradient's variance instead")
    p.add_argument("--momentum-decay", type=float, default=4e-3,
                   help="nadam: psi of the momentum schedule (default 0.004)")
    p.add_argument("--weight-decay", type=float, default=None)
    p.add_argument("--decay-biases", action="store_true",
                   help="apply weight decay to biases and batch-norm parameters too")
    p.add_argument("--clip-norm", type=float, default=None)
    p.add_argument("--clip-norm-type", type=float, default=2.0, metavar="P",
                   help="order of the norm --clip-norm bounds: a number > 0 or inf (default 2)")
    p.add_argument("--clip-value", type=float, default=None)
    # schedules built from Python objects (LambdaLR's callable, SequentialLR's schedules) say
    # command_line = False and are left out
    typed = [name for name, cls in SCHEDULES.items() if cls.command_line]
    p.add_argument("--schedule", choices=["none", *typed], default=None,
                   help="learning-rate schedule (default none)")
    p.add_argument("--step-size", type=int, default=10, help="StepLR period in epochs")
    p.add_argument("--gamma", type=float, default=0.5,
                   help="decay factor (step/multistep/exponential; plateau's factor)")
    p.add_argument("--milestones", type=_milestones, default=None,
                   help="multistep: epochs at which the rate is multiplied by --gamma, e.g. 10,20")
    p.add_argument("--T-0", dest="T_0", type=int, default=10,
                   help="cosine_restarts: epochs until the first restart (default 10)")
    p.add_argument("--T-mult", dest="T_mult", type=int, default=1,
                   help="cosine_restarts: growth of the period after each restart (default 1)")
    p.add_argument("--warmup-epochs", type=int, default=None, metavar="N",
                   help="warm the rate up linearly from lr/10 over N epochs, then run the "
                        "schedule over the remaining epochs (SequentialLR)")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--label-smoothing", type=float, default=None,
                   help="classification: spread this much of each target over all classes")
    p.add_argument("--class-weight", choices=("balanced",), default=None,
                   help="classification: weigh class c by n_samples / (n_classes * count_c), "
                        "as scikit-learn's 'balanced'")
    p.add_argument("--early-stopping", type=int, default=None, metavar="PATIENCE")
    p.add_argument("--augment-shift", type=int, default=None, metavar="PIXELS",
                   help="random image shifts of up to this many pixels (28x28 images)")
    p.add_argument("--standardize", dest="standardize", nargs="?", const="feature",
                   choices=("feature", "global"), default=None,
                   help="standardise with training-set statistics: per feature (default) or "
                        "one mean/std for all features (images)")
    p.add_argument("--no-standardize", dest="standardize", action="store_const", const="none")
    p.add_argument("--dtype", choices=("float32", "float64"), default=None,
                   help="training precision (default float32)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save", type=Path, help="save the trained model (.npz) here")
    p.add_argument("--plot", type=Path, help="write loss/accuracy curves as PNG here")
    p.add_argument("--checkpoint", type=Path, help="checkpoint file written every epoch")
    p.add_argument("--resume", type=Path, help="resume from this checkpoint")
    p.add_argument("--diagnostics", action="store_true",
                   help="record per-layer gradient/weight norms each epoch and warn, naming the "
                        "layer, when a gradient vanishes or explodes (saved with --save)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress output")


DEFAULTS: dict[str, Any] = {
    "hidden": [64, 64], "activation": "relu", "init": "auto", "batch_norm": False,
    "dropout": 0.0, "optimizer": "adam", "lr": None, "momentum": 0.9, "weight_decay": 0.0,
    "schedule": "none", "epochs": 60, "batch_size": 32, "early_stopping": None,
    "augment_shift": 0, "standardize": "feature", "dtype": "float32",
    "warmup_epochs": 0, "label_smoothing": 0.0, "class_weight": "none",
}


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """Defaults, then the recipe, then explicit options."""
    settings = dict(DEFAULTS)
    if args.dataset == "mnist":
        settings.update({"hidden": [256, 128], "epochs": 15, "batch_size": 64,
                         "standardize": "global"})
    if args.recipe:
        recipe = dict(RECIPES[args.recipe])
        if isinstance(recipe.get("hidden"), str):
            recipe["hidden"] = _hidden(recipe["hidden"])
        settings.update(recipe)
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            settings[key] = value
    if settings["lr"] is None:
        settings["lr"] = {"sgd": 0.1, "momentum": 0.05, "nesterov": 0.05}.get(
            settings["optimizer"], 1e-2 if args.dataset != "mnist" else 1e-3)
    return settings


def _load(args: argparse.Namespace, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                         np.ndarray, str]:
    from .. import data
    from ..data.toy import DATASETS

    name = args.dataset
    if name == "mnist" or (Path(name).is_dir()):
        X, y = data.load_mnist(None if name == "mnist" else name)
        n_train = args.train_size if args.train_size is not None else 8000
        if not 0 < n_train < len(X):
            raise ValueError(f"--train-size must be between 1 and {len(X) - 1}, got {n_train}")
        return X[:n_train], y[:n_train], X[n_train:], y[n_train:], (
            f"MNIST: first {n_train} images for training, last {len(X) - n_train} for testing")
    kwargs: dict[str, Any] = {}
    if name.lower() in DATASETS.names():
        kwargs = {"rng": seed}
        if name.lower() == "spirals":
            kwargs.update({"n": 600, "n_classes": 3, "noise": 0.03})
        else:
            kwargs["n"] = 600
    elif name.lower().endswith(".csv"):
        col = args.label_column
        kwargs = {"label_column": int(col) if col.lstrip("-").isdigit() else col}
    loaded = data.load_dataset(name, **kwargs)
    X, y = loaded[0], loaded[1]
    frac = 0.2 if args.test_split is None else args.test_split
    if not 0 < frac < 1:
        raise ValueError(f"--test-split must be in (0, 1), got {frac}")
    classification = np.issubdtype(np.asarray(y).dtype, np.integer)
    X_tr, y_tr, X_te, y_te = data.train_val_split(X, y, frac, rng=seed + 1,
                                                   stratify=bool(classification))
    return X_tr, y_tr, X_te, y_te, f"{name}: {len(X_tr)} training / {len(X_te)} test samples"


def run(args: argparse.Namespace) -> int:
    from .. import data, optim
    from ..losses import SoftmaxCrossEntropy, SquaredError
    from ..models import mlp, save
    from ..training.callbacks import ProgressLogger

    s = _settings(args)
    X_tr, y_tr, X_te, y_te, description = _load(args, args.seed)
    y_arr = np.asarray(y_tr)
    classification = np.issubdtype(y_arr.dtype, np.integer)
    if classification:
        n_out = int(max(y_arr.max(), np.asarray(y_te).max())) + 1
        weight = _balanced_weights(y_arr, n_out) if s["class_weight"] == "balanced" else None
        loss: Any = SoftmaxCrossEntropy(label_smoothing=float(s["label_smoothing"]),
                                        weight=weight)
    else:
        for option, key, unset in (("--label-smoothing", "label_smoothing", 0.0),
                                   ("--class-weight", "class_weight", "none")):
            if s[key] != unset:
                raise ValueError(f"{option} needs class labels, but {args.dataset} has "
                                 f"real-valued targets")
        y_tr = y_arr.reshape(len(y_arr), -1)
        y_te = np.asarray(y_te).reshape(len(y_te), -1)
        n_out = y_tr.shape[1]
        loss = SquaredError()
    scaler = None
    if s["standardize"] != "none":
        scaler = data.Standardizer(per_feature=s["standardize"] == "feature").fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    dtype = np.dtype(s["dtype"])
    X_tr, X_te = X_tr.astype(dtype), X_te.astype(dtype)

    init = None if s["init"] == "auto" else s["init"]
    net = mlp([X_tr.shape[1], *s["hidden"], n_out], activation=s["activation"], init=init,
                 batch_norm=bool(s["batch_norm"]), dropout=float(s["dropout"]), dtype=dtype,
                 rng=args.seed)
    params = net.parameters()
    mask = None if args.decay_biases else "auto"
    common: dict[str, Any] = {"weight_decay": float(s["weight_decay"]), "decay_mask": mask,
                              "clip_norm": args.clip_norm, "clip_value": args.clip_value,
                              "clip_norm_type": args.clip_norm_type}
    kind = s["optimizer"]
    epochs, batch_size = int(s["epochs"]), int(s["batch_size"])
    if batch_size < 1:
        raise ValueError(f"batch size must be >= 1, got {batch_size}")
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    # what the command line knows; each optimiser and schedule takes the arguments it accepts
    opt_pool: dict[str, Any] = {"lr": s["lr"], "momentum": float(s["momentum"]),
                                "betas": (args.beta1, args.beta2), "eps": args.eps,
                                "amsgrad": args.amsgrad, "alpha": args.alpha,
                                "centered": args.centered, "momentum_decay": args.momentum_decay,
                                **common}
    if kind in ("sgd", "rmsprop") and args.momentum is None:
        opt_pool["momentum"] = 0.0  # plain SGD / RMSprop unless --momentum is given
    opt = optim.make_optimizer(kind, params, **_accepted(optim.OPTIMIZERS[kind], opt_pool))
    steps = -(-len(X_tr) // batch_size)
    schedule = _schedule(args, s, opt, epochs, steps)
    augment = None
    if s["augment_shift"]:
        side = int(round(np.sqrt(X_tr.shape[1])))
        if side * side != X_tr.shape[1]:
            raise ValueError(f"--augment-shift needs square images; {X_tr.shape[1]} features "
                             "is not a square")
        shift = data.RandomShift(int(s["augment_shift"]), image_shape=(side, side))
        if scaler is not None:
            # shifting fills with zeros; in standardised space "zero" is each pixel's -mean/std
            augment = _StandardizedShift(shift, scaler, dtype)
        else:
            augment = shift

    log = sys.stderr
    if not args.quiet:
        print(f"{description}; network {net_summary(net)}; {kind} lr {s['lr']:g}, "
              f"{epochs} epochs, batch {batch_size}, {s['dtype']}", file=log)
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = net.fit(X_tr, y_tr, loss=loss, optimizer=opt, epochs=epochs,
                          batch_size=batch_size, validation_split=float(args.val_split),
                          seed=args.seed, augment=augment, schedule=schedule,
                          early_stopping=s["early_stopping"], verbose=False,
                          callbacks=[] if args.quiet else [ProgressLogger(stream=log)],
                          checkpoint=args.checkpoint, resume=args.resume,
                          diagnostics=bool(args.diagnostics))
    seconds = time.perf_counter() - t0
    for w in caught:  # one line each, not Python's file:line warning format
        if issubclass(w.category, (UserWarning, RuntimeWarning)):
            print(f"backprop: warning: {' '.join(str(w.message).split())}", file=log)
    scores = net.evaluate(X_te, y_te)
    result = {"dataset": args.dataset, "test_loss": scores["loss"],
              "test_accuracy": scores.get("accuracy"), "epochs_run": len(history.epochs),
              "seconds": seconds, "stop_reason": history.stop_reason, "settings": s}
    if args.save:
        arrays = {}
        extra = {"loss": loss.name, "loss_config": _jsonable(loss.get_config()),
                 "settings": _jsonable(s), "history": history.to_dict(),
                 "result": _jsonable({k: v for k, v in result.items() if k != "settings"})}
        if scaler is not None:
            arrays = {f"standardizer/{k}": v for k, v in scaler.state_dict().items()
                      if isinstance(v, np.ndarray)}
        save(args.save, net, extra=extra, arrays=arrays)
    if args.plot:
        from ..plots import plot_history

        plot_history(history, args.plot, title=f"backprop train {args.dataset}")
    if args.json:
        print(json.dumps(_jsonable(result)))
    else:
        if scores.get("accuracy") is not None:
            verdict = f"test accuracy {100 * scores['accuracy']:.2f}%"
        else:
            verdict = "test"
        print(f"{verdict} (loss {scores['loss']:.4f}) after {len(history.epochs)} epochs in "
              f"{seconds:.1f} s")
        if history.stop_reason:
            print(f"note: {history.stop_reason}")
        if args.save:
            print(f"model saved to {args.save}")
        if args.plot:
            print(f"curves written to {args.plot}")
    return 0


def _balanced_weights(y: np.ndarray, n_classes: int) -> list[float]:
    """scikit-learn's "balanced" class weights: n_samples / (n_classes * count of the class)."""
    counts = np.bincount(y, minlength=n_classes)
    if np.any(counts == 0):
        missing = int(np.flatnonzero(counts == 0)[0])
        raise ValueError(f"--class-weight balanced: class {missing} has no training samples")
    return [float(w) for w in len(y) / (n_classes * counts.astype(np.float64))]


def _schedule(args: argparse.Namespace, s: dict[str, Any], opt: Any, epochs: int,
              steps: int) -> Any:
    """The schedule the options ask for, warm-up included (None for none)."""
    from .. import optim

    name, warmup = s["schedule"], int(s["warmup_epochs"] or 0)
    if warmup and not 0 < warmup < epochs:
        raise ValueError(f"--warmup-epochs must be between 1 and epochs - 1 = {epochs - 1}, "
                         f"got {warmup}")
    warm = None
    if warmup:  # built first: its construction records --lr as the optimiser's initial_lr
        warm = optim.LinearLR(opt, start_factor=WARMUP_START_FACTOR, total_iters=warmup)
        if name == "none":
            return warm
    if name == "none":
        return None
    cls = optim.SCHEDULES[name]
    if warm is not None and (cls.needs_metric or cls.interval != "epoch"):
        raise ValueError(f"--warmup-epochs cannot run before the {name} schedule: it "
                         f"{'needs a metric to step' if cls.needs_metric else 'steps per batch'}"
                         f"{' and has its own warm-up (pct_start)' if name == 'onecycle' else ''}")
    if name == "multistep" and args.milestones is None:
        raise ValueError("--schedule multistep needs --milestones, e.g. --milestones 10,20")
    main_epochs = epochs - warmup
    pool = {"step_size": args.step_size, "gamma": args.gamma, "T_max": main_epochs,
            "max_lr": s["lr"], "total_steps": epochs * steps, "factor": args.gamma,
            "patience": 3, "milestones": args.milestones, "T_0": args.T_0,
            "T_mult": args.T_mult}
    main = optim.make_schedule(name, opt, **_accepted(cls, pool))
    if warm is None:
        return main
    return optim.SequentialLR(opt, [warm, main], milestones=[warmup])


class _StandardizedShift:
    """Shift images that were standardised: un-standardise, shift, standardise again."""

    def __init__(self, shift: Any, scaler: Any, dtype: np.dtype):
        self.shift = shift
        self.mean = scaler.mean_.astype(dtype)
        self.scale = scaler.scale_.astype(dtype)

    def __call__(self, X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raw = X * self.scale + self.mean
        return (self.shift(raw, rng) - self.mean) / self.scale


def net_summary(net: Any) -> str:
    widths = [net.input_width] + [layer.output_width(None) for layer in net.layers
                                  if layer.role == "affine"]
    return "-".join(str(w) for w in widths) + f" ({net.n_params:,} parameters)"


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, Path):
        return str(obj)
    return obj
