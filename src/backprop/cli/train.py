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
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .common import EXIT_OK, MAX_INT_OPTION, MAX_SEED, number

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
    if any(s < 1 or s > MAX_INT_OPTION for s in sizes):
        raise argparse.ArgumentTypeError(f"--hidden widths must be between 1 and "
                                         f"{MAX_INT_OPTION}, got {text!r}")
    return sizes


def _milestones(text: str) -> list[int]:
    try:
        epochs = [int(t) for t in text.split(",") if t.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--milestones takes comma-separated epochs like 10,20, got {text!r}") from None
    if any(e < 1 or e > MAX_INT_OPTION for e in epochs):
        raise argparse.ArgumentTypeError(f"--milestones epochs must be between 1 and "
                                         f"{MAX_INT_OPTION}, got {text!r}")
    return epochs


#: the range checks of the numeric options (argparse names the option in the message)
FRACTION = number(low=0, high=1, low_open=True, high_open=True)
POSITIVE = number(low=0, low_open=True)

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
    p.add_argument("--test-split", type=FRACTION, default=None,
                   help="fraction held out for testing (default 0.2; MNIST uses the fixed "
                        "protocol: first 8,000 images train, last 2,000 test)")
    p.add_argument("--train-size", type=number(int, low=1), default=None,
                   help="MNIST: number of leading images used for training (default 8000)")
    p.add_argument("--val-split", type=number(low=0, high=1, high_open=True), default=0.0,
                   help="fraction of the training data used for validation (default 0)")
    p.add_argument("--hidden", type=_hidden, default=None, help="hidden widths, e.g. 256,128")
    p.add_argument("--activation", choices=activation_names(elementwise=True), default=None,
                   help="hidden activation (default relu)")
    p.add_argument("--init", choices=["auto", *INITIALIZERS.names()], default=None,
                   help="weight initialiser (default auto: the one the activation asks for)")
    p.add_argument("--batch-norm", action="store_true", default=None)
    p.add_argument("--dropout", type=number(low=0, high=1, high_open=True), default=None,
                   help="dropout probability")
    p.add_argument("--optimizer", choices=OPTIMIZERS.names(), default=None,
                   help="optimiser (default adam)")
    p.add_argument("--lr", type=POSITIVE, default=None, help="learning rate (peak for onecycle)")
    p.add_argument("--momentum", type=number(low=0), default=None)
    p.add_argument("--beta1", type=number(low=0, high=1, high_open=True), default=0.9)
    p.add_argument("--beta2", type=number(low=0, high=1, high_open=True), default=0.999)
    p.add_argument("--eps", type=number(low=0, low_open=True), default=1e-8)
    p.add_argument("--amsgrad", action="store_true",
                   help="adam/adamw: divide by the largest second moment so far (AMSGrad)")
    p.add_argument("--alpha", type=number(low=0), default=0.99,
                   help="rmsprop: smoothing constant of the squared gradients (default 0.99)")
    p.add_argument("--centered", action="store_true",
                   help="rmsprop: normalise by the gradient's variance instead")
    p.add_argument("--momentum-decay", type=number(low=0), default=4e-3,
                   help="nadam: psi of the momentum schedule (default 0.004)")
    p.add_argument("--weight-decay", type=number(low=0), default=None)
    p.add_argument("--decay-biases", action="store_true",
                   help="apply weight decay to biases and batch-norm parameters too")
    p.add_argument("--clip-norm", type=number(low=0, low_open=True), default=None)
    p.add_argument("--clip-norm-type", type=number(low=0, low_open=True, allow_inf=True),
                   default=2.0, metavar="P",
                   help="order of the norm --clip-norm bounds: a number > 0 or inf (default 2)")
    p.add_argument("--clip-value", type=number(low=0, low_open=True), default=None)
    # schedules built from Python objects (LambdaLR's callable, SequentialLR's schedules) say
    # command_line = False and are left out
    typed = [name for name, cls in SCHEDULES.items() if cls.command_line]
    p.add_argument("--schedule", choices=["none", *typed], default=None,
                   help="learning-rate schedule (default none)")
    p.add_argument("--step-size", type=number(int, low=1), default=10,
                   help="StepLR period in epochs")
    p.add_argument("--gamma", type=number(low=0, low_open=True), default=0.5,
                   help="decay factor (step/multistep/exponential; plateau's factor)")
    p.add_argument("--milestones", type=_milestones, default=None,
                   help="multistep: epochs at which the rate is multiplied by --gamma, e.g. 10,20")
    p.add_argument("--T-0", dest="T_0", type=number(int, low=1), default=10,
                   help="cosine_restarts: epochs until the first restart (default 10)")
    p.add_argument("--T-mult", dest="T_mult", type=number(int, low=1), default=1,
                   help="cosine_restarts: growth of the period after each restart (default 1)")
    p.add_argument("--warmup-epochs", type=number(int, low=0), default=None, metavar="N",
                   help="warm the rate up linearly from lr/10 over N epochs, then run the "
                        "schedule over the remaining epochs (SequentialLR)")
    p.add_argument("--epochs", type=number(int, low=1), default=None)
    p.add_argument("--batch-size", type=number(int, low=1), default=None)
    p.add_argument("--label-smoothing", type=number(low=0, high=1), default=None,
                   help="classification: spread this much of each target over all classes")
    p.add_argument("--class-weight", choices=("balanced",), default=None,
                   help="classification: weigh class c by n_samples / (n_classes * count_c), "
                        "as scikit-learn's 'balanced'")
    p.add_argument("--early-stopping", type=number(int, low=0), default=None, metavar="PATIENCE")
    p.add_argument("--augment-shift", type=number(int, low=0), default=None, metavar="PIXELS",
                   help="random image shifts of up to this many pixels (28x28 images)")
    p.add_argument("--standardize", dest="standardize", nargs="?", const="feature",
                   choices=("feature", "global"), default=None,
                   help="standardise with training-set statistics: per feature (default) or "
                        "one mean/std for all features (images)")
    p.add_argument("--no-standardize", dest="standardize", action="store_const", const="none")
    p.add_argument("--dtype", choices=("float32", "float64"), default=None,
                   help="training precision (default float32)")
    p.add_argument("--seed", type=number(int, low=0, high=MAX_SEED), default=0)
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


#: the most distinct labels ``backprop train`` treats as classes (more looks like a number to
#: predict, and would make the softmax that wide)
MAX_CLASSES = 1000


@dataclass
class _Data:
    X_tr: np.ndarray
    y_tr: np.ndarray
    X_te: np.ndarray
    y_te: np.ndarray
    description: str
    #: the label of each class (class k is ``classes[k]``), None for real-valued targets
    classes: np.ndarray | None = None
    feature_names: list[str] | None = None


def _encode_classes(y: Any, classes: list[str] | None, source: str
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """Targets as class codes ``0..K-1`` with the label of each (integer or string labels), or
    real-valued targets unchanged (``None``)."""
    y = np.asarray(y)
    if classes is not None:  # string labels, already coded in sorted order
        labels = np.asarray(classes)
        codes = y.astype(np.int64)
    elif y.ndim == 1 and (np.issubdtype(y.dtype, np.integer) or y.dtype.kind in "bUS"):
        labels, codes = np.unique(y, return_inverse=True)
        codes = codes.reshape(-1).astype(np.int64)
    else:
        return y, None
    if len(labels) < 2:
        only = labels[0].item() if len(labels) else None
        raise ValueError(f"{source}: every sample has the label {only!r}: a classifier needs at "
                         f"least two classes")
    if len(labels) > MAX_CLASSES:
        raise ValueError(f"{source}: the labels take {len(labels):,} distinct values, more than "
                         f"{MAX_CLASSES} classes; is this a number to predict rather than a "
                         f"class? (real-valued labels train a regression)")
    return codes, labels


def _load(args: argparse.Namespace, seed: int) -> _Data:
    from .. import data
    from ..data.toy import DATASETS

    name = args.dataset
    if name == "mnist" or (Path(name).is_dir()):
        X, y = data.load_mnist(None if name == "mnist" else name)
        n_train = args.train_size if args.train_size is not None else 8000
        if not 0 < n_train < len(X):
            raise ValueError(f"--train-size must be between 1 and {len(X) - 1}, got {n_train}")
        codes, labels = _encode_classes(y, None, name)
        return _Data(X[:n_train], codes[:n_train], X[n_train:], codes[n_train:],
                     f"MNIST: first {n_train} images for training, last {len(X) - n_train} "
                     f"for testing", labels)
    kwargs: dict[str, Any] = {}
    classes = feature_names = None
    if name.lower() in DATASETS.names():
        kwargs = {"rng": seed}
        if name.lower() == "spirals":
            kwargs.update({"n": 600, "n_classes": 3, "noise": 0.03})
        else:
            kwargs["n"] = 600
        X, y = data.load_dataset(name, **kwargs)[:2]
    elif name.lower().endswith(".csv"):
        col = args.label_column
        X, y, classes, feature_names = data.load_csv(
            name, label_column=int(col) if col.lstrip("-").isdigit() else col,
            return_classes=True, return_names=True)
    else:
        X, y = data.load_dataset(name)[:2]
    if y is None:
        raise ValueError(f"{name}: no labels")
    if np.ndim(y) > 2:  # flattening (n, a, b) targets into a columns would be a silent guess
        raise ValueError(f"{name}: the labels have shape {np.shape(y)}; expected one label per "
                         f"sample, or a 2-D table of real-valued targets")
    X = np.asarray(X)
    frac = 0.2 if args.test_split is None else args.test_split
    if not 0 < frac < 1:
        raise ValueError(f"--test-split must be in (0, 1), got {frac}")
    y, labels = _encode_classes(y, classes, name)
    X_tr, y_tr, X_te, y_te = data.train_val_split(X, y, frac, rng=seed + 1,
                                                   stratify=labels is not None)
    if len(X_tr) < 1 or len(X_te) < 1:
        raise ValueError(f"{name}: {len(X)} samples are too few to hold out a test set")
    return _Data(X_tr, y_tr, X_te, y_te,
                 f"{name}: {len(X_tr)} training / {len(X_te)} test samples", labels,
                 feature_names)


def _check_paths(args: argparse.Namespace) -> None:
    """Every output path, checked before any data is read or any step is taken."""
    from .common import check_outputs

    dataset = args.dataset if Path(args.dataset).is_file() else None
    check_outputs({"--save": args.save, "--plot": args.plot, "--checkpoint": args.checkpoint},
                  inputs={"the data file": dataset, "the --resume checkpoint": args.resume},
                  may_overwrite={"--checkpoint": args.resume})


def run(args: argparse.Namespace) -> int:
    from .. import data, optim
    from ..losses import SoftmaxCrossEntropy, SquaredError
    from ..models import mlp, save
    from ..training.callbacks import LambdaCallback, ProgressLogger
    from .common import EXIT_FAILED, json_text

    _check_paths(args)
    s = _settings(args)
    loaded = _load(args, args.seed)
    X_tr, y_tr, X_te, y_te = loaded.X_tr, loaded.y_tr, loaded.X_te, loaded.y_te
    classification = loaded.classes is not None
    if classification:
        n_out = len(loaded.classes)
        weight = _balanced_weights(y_tr, n_out) if s["class_weight"] == "balanced" else None
        loss: Any = SoftmaxCrossEntropy(label_smoothing=float(s["label_smoothing"]),
                                        weight=weight)
    else:
        for option, key, unset in (("--label-smoothing", "label_smoothing", 0.0),
                                   ("--class-weight", "class_weight", "none")):
            if s[key] != unset:
                raise ValueError(f"{option} needs class labels, but {args.dataset} has "
                                 f"real-valued targets")
        y_tr = np.asarray(y_tr, dtype=np.float64).reshape(len(y_tr), -1)
        y_te = np.asarray(y_te, dtype=np.float64).reshape(len(y_te), -1)
        n_out = y_tr.shape[1]
        loss = SquaredError()
    dtype = np.dtype(s["dtype"])
    X_raw_te = X_te
    scaler = None
    if s["standardize"] != "none":
        scaler = data.Standardizer(per_feature=s["standardize"] == "feature").fit(X_tr)
        X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
    _check_range(X_tr, dtype, scaler is not None)
    X_tr = X_tr.astype(dtype)

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
    progress: list[Any] = []
    if not args.quiet:
        # said when training begins: after fit has checked every argument, so that a bad one
        # is the only line on stderr
        summary = (f"{loaded.description}; network {net_summary(net)}; {kind} lr "
                   f"{s['lr']:g}, {epochs} epochs, batch {batch_size}, {s['dtype']}")
        progress = [LambdaCallback(on_train_begin=lambda state: print(summary, file=log)),
                    ProgressLogger(stream=log)]
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = net.fit(X_tr, y_tr, loss=loss, optimizer=opt, epochs=epochs,
                          batch_size=batch_size, validation_split=float(args.val_split),
                          seed=args.seed, augment=augment, schedule=schedule,
                          early_stopping=s["early_stopping"], verbose=False,
                          callbacks=progress,
                          checkpoint=args.checkpoint, resume=args.resume,
                          diagnostics=bool(args.diagnostics))
        seconds = time.perf_counter() - t0
        # the model takes raw inputs and gives labels from here on, in Python as in the file
        net.input_transform = scaler
        net.classes_ = loaded.classes
        net.feature_names_ = loaded.feature_names
        y_eval = loaded.classes[y_te] if classification else y_te
        scores = net.evaluate(X_raw_te, y_eval)
    for w in caught:  # one line each, not Python's file:line warning format
        if issubclass(w.category, (UserWarning, RuntimeWarning)):
            print(f"backprop: warning: {' '.join(str(w.message).split())}", file=log)
    usable = not getattr(history, "no_good_parameters", False)
    result = {"dataset": args.dataset, "test_loss": scores["loss"],
              "test_accuracy": scores.get("accuracy"), "epochs_run": len(history.epochs),
              "seconds": seconds, "stop_reason": history.stop_reason, "settings": s}
    saved = False
    if args.save and usable:
        extra = {"loss": loss.name, "loss_config": _jsonable(loss.get_config()),
                 "settings": _jsonable(s), "history": history.to_dict(),
                 "result": _jsonable({k: v for k, v in result.items() if k != "settings"})}
        extra, _ = _finite(extra)
        save(args.save, net, extra=extra)
        saved = True
    plotted = False
    if args.plot and history.epochs:
        from ..plots import plot_history

        plot_history(history, args.plot, title=f"backprop train {args.dataset}")
        plotted = True
    elif args.plot:
        result.setdefault("notes", []).append(
            f"no epoch was completed, so there are no curves: nothing was written to "
            f"{args.plot}")
    if args.save and not usable:
        note = (f"no parameters that predict finite values were left after the divergence: "
                f"nothing was saved to {args.save}")
        result.setdefault("notes", []).insert(0, note)
    if args.json:
        print(json_text(_jsonable({**result, "model_saved": str(args.save) if saved else None}),
                        indent=None))
    else:
        if scores.get("accuracy") is not None and np.isfinite(scores["loss"]):
            verdict = f"test accuracy {100 * scores['accuracy']:.2f}%"
        else:
            verdict = "test"
        print(f"{verdict} (loss {scores['loss']:.4f}) after {len(history.epochs)} epochs in "
              f"{seconds:.1f} s")
        if history.stop_reason:
            print(f"note: {history.stop_reason}")
        if saved:
            print(f"model saved to {args.save}")
        if plotted:
            print(f"curves written to {args.plot}")
        for note in result.get("notes", []):
            print(f"note: {note}")
    return EXIT_OK if usable else EXIT_FAILED


def _finite(obj: Any) -> tuple[Any, list[str]]:
    from .common import finite_json

    return finite_json(_jsonable(obj))


def _check_range(X: np.ndarray, dtype: np.dtype, standardized: bool) -> None:
    """Inputs must fit the training precision (float32 ends at 3.4e38)."""
    if dtype != np.float32:
        return
    biggest = float(np.max(np.abs(X))) if X.size else 0.0
    limit = float(np.finfo(np.float32).max)
    if biggest > limit:
        hint = "" if standardized else " or leave standardisation on"
        raise ValueError(f"input values as large as {biggest:.3g}"
                         f"{' after standardising' if standardized else ''} do not fit in "
                         f"float32 (largest {limit:.3g}): use --dtype float64{hint}")


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
