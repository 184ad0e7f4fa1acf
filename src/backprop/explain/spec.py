r"""Networks written down as JSON: the format of ``backprop example --spec FILE``.

A spec fixes everything one training step depends on -- the input, the target, every weight and
bias, the activations, the loss and the learning rate -- so that the step can be traced number by
number. The article's example (:file:`examples/article.json`) reads::

    {
      "x": [0.2, 0.4],
      "y": [1.0],
      "layers": [
        {"W": [[0.10, -0.20], [0.30, 0.25]], "b": [0.01, -0.02], "activation": "sigmoid"},
        {"W": [[0.80, 0.90]], "b": [0.10], "activation": "sigmoid"}
      ],
      "loss": "squared",
      "learning_rate": 0.1
    }

Keys
----
``x`` (required)
    One sample as a list of numbers, or a mini-batch as a list of rows (one sample per row).
``y`` (required)
    The target in the same form: a list with one value per output unit for one sample (a bare
    number is accepted when there is one output unit), a list of rows for a batch.
``layers`` (required)
    Input side first. Layer :math:`l` computes :math:`z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}`,
    :math:`a^{[l]} = g^{[l]}(z^{[l]})`; ``W`` has shape ``(n_out, n_in)`` (row ``j`` holds the
    weights into unit ``j``), ``b`` has ``n_out`` entries, ``activation`` is any registered
    element-wise activation (:func:`spec_activations`); the activation's own arguments may be
    given beside it (``"negative_slope": 0.2`` for leaky_relu, ``"approximate": "tanh"`` for
    gelu).
    Other layers name their ``type`` from :data:`backprop.layers.LAYERS`:
    ``{"type": "batchnorm", "gamma", "beta", "running_mean", "running_var", "momentum",
    "eps"}`` (any of them; the width is the input's), ``{"type": "dropout", "p", "mask"}`` with
    a fixed keep-mask (one row of 0 / 1 per sample) or a ``"seed"``, or any registered layer
    with its constructor arguments (and its parameters and buffers by name). ``"type":
    "dense"`` may be written for the form above. ``"trainable": {"W": false}`` (any parameter
    of the layer) freezes a parameter: the optimiser leaves it out, its gradient is still
    computed and shown. The last layer may have ``"activation": "softmax"`` with
    ``softmax_cross_entropy`` (an activation that is the loss's link): the loss takes the
    logits and the trace shows the probabilities as :math:`a^{[L]}`. An element-wise link is
    the loss's alone: ``binary_cross_entropy`` applies the sigmoid itself, so its last layer has
    ``"activation": "identity"``; a sigmoid there would be applied twice and is refused.
``loss`` (default ``"squared"``)
    A name from :data:`backprop.losses.LOSSES`; ``"squared"`` is the article's
    :math:`L = \tfrac12 \sum_k (y_k - \hat y_k)^2`. A loss that takes class labels
    (``softmax_cross_entropy``) takes ``y`` as one-hot rows or as class indices (one integer per
    sample).
``learning_rate`` (default 0.1)
    :math:`\alpha > 0` of plain SGD.
``optimizer`` (optional, instead of ``learning_rate``)
    ``{"name": ..., <torch.optim's arguments>}``: any name of
    :data:`backprop.optim.OPTIMIZERS` (``"sgd"`` with ``lr``, ``momentum``, ``dampening``,
    ``nesterov``, ``weight_decay``; ``"adam"`` / ``"adamw"`` with ``lr``, ``betas``, ``eps``,
    ``weight_decay``, ``amsgrad``; ``"rmsprop"``, ``"nadam"``, ...).
``clip_norm``, ``clip_value`` (optional)
    Clip the gradient by global norm / by value before the optimiser's step.
``schedule`` (optional)
    ``{"name": ..., <torch's arguments>}`` from :data:`backprop.optim.SCHEDULES` (``"step"``
    with ``step_size``, ``gamma``; ...), stepped after every step.
``steps`` (default 1)
    How many training steps to take and explain; every step uses ``x`` and ``y``, unless
    ``batches``, a list of ``{"x", "y"}`` objects, gives one per step (then ``x`` and ``y`` are
    left out, and ``steps`` defaults to the number of batches).
``description`` (optional)
    Free text.

Every problem raises :class:`SpecError` (a ``ValueError``) with one sentence that says where the
problem is; layers are counted from 1 as in the article (layer 1 is the first layer after the
input), array positions from 0 as in JSON and NumPy. That includes JSON that Python's reader
or ``float()`` choke on (a 400-digit integer, lists nested 10,000 deep) and a step whose
numbers overflow (the first non-finite value is named).
"""

from __future__ import annotations

import copy
import inspect
import json
import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..layers import LAYERS, Dense, Layer, activation_names
from ..losses import LOSSES, Loss, get_loss
from ..models import Sequential
from ..optim import OPTIMIZERS, SCHEDULES, Optimizer, make_optimizer, make_schedule
from ..parameters import Parameter


def spec_activations() -> list[str]:
    """Activations a spec may name: the registered element-wise ones (their slope is one
    number per unit, which the trace writes out)."""
    return activation_names(elementwise=True)


_TOP_KEYS = ("x", "y", "layers", "loss", "learning_rate", "optimizer", "clip_norm",
             "clip_value", "schedule", "steps", "batches", "description")
_LAYER_KEYS = ("W", "b", "activation", "type", "trainable")
_DEFAULT_LOSS = "squared"
_DEFAULT_LEARNING_RATE = 0.1
#: steps a spec may ask for (a trace keeps every number of every step)
MAX_STEPS = 1000


class SpecError(ValueError):
    """A spec that cannot describe a network; the message says what and where."""


@dataclass
class Spec:
    """A network, its loss and one batch, as read from a spec.

    Attributes
    ----------
    net : Sequential
        ``Dense, activation, Dense, activation, ...`` (float64), one pair per spec layer.
    loss : Loss
    x : ndarray of shape (m, n_in)
        One sample per row (``m = 1`` for a single sample).
    y : ndarray of shape (m, n_out)
    learning_rate : float
        :math:`\\alpha`.
    single_sample : bool
        True when the spec gave ``x`` as one flat list (one sample) rather than a list of rows.
    description : str
    """

    net: Sequential
    loss: Loss
    x: np.ndarray
    y: np.ndarray
    learning_rate: float
    single_sample: bool
    description: str = ""
    optimizer: tuple[str, dict[str, Any]] | None = None
    clip_norm: float | None = None
    clip_value: float | None = None
    schedule: tuple[str, dict[str, Any]] | None = None
    steps: int = 1
    batches: list[tuple[np.ndarray, np.ndarray]] | None = None
    frozen: tuple[str, ...] = ()
    masks: dict[int, np.ndarray] = field(default_factory=dict)
    link: bool = False

    def make_optimizer(self, params: list[Parameter]) -> Optimizer:
        """The spec's optimiser over ``params``: plain SGD with ``learning_rate`` unless
        ``optimizer`` names another, with the clipping asked for."""
        clip = {k: v for k, v in (("clip_norm", self.clip_norm),
                                  ("clip_value", self.clip_value)) if v is not None}
        if self.optimizer is None:
            return make_optimizer("sgd", params, lr=self.learning_rate, **clip)
        name, kwargs = self.optimizer
        return make_optimizer(name, params, **kwargs, **clip)

    def trace(self) -> Any:
        """Run the spec's steps and record them: a :class:`~.record.Trace` for one step, a
        :class:`~.record.Steps` for several (raises :class:`SpecError` when a number of a step
        overflows, naming the first)."""
        from .record import trace_steps

        batches = self.batches or [(self.x, self.y)] * self.steps
        plain = (self.optimizer is None and self.clip_norm is None and self.clip_value is None
                 and self.schedule is None)
        schedule = None
        if self.schedule is not None:
            name, kwargs = self.schedule
            schedule = lambda opt: make_schedule(name, opt, **kwargs)  # noqa: E731
        try:
            run = trace_steps(self.net, self.loss, batches,
                              lr=self.learning_rate if plain else None,
                              optimizer=None if plain else self.make_optimizer,
                              schedule=schedule, frozen=self.frozen, masks=self.masks,
                              link=self.link)
        except ValueError as exc:
            raise SpecError(str(exc)) from None
        return run.steps[0] if len(run) == 1 and self.batches is None and self.steps == 1 \
            else run

    def dropout_masks(self) -> dict[int, np.ndarray]:
        """The keep-mask of every dropout layer in the first step, by network position: the
        spec's fixed ``mask``, or for a dropout given a ``seed`` the mask it draws from that
        seed on the first forward pass (drawn on a copy; the spec's network is left as it is).
        A gradient check uses them so that every evaluation sees the same network."""
        work = Sequential(*copy.deepcopy(list(self.net)))
        work.train(True)
        for position, mask in self.masks.items():
            work[position].set_mask(mask)
        work.forward(self.x)
        return {i: layer.mask.copy() for i, layer in enumerate(work)
                if hasattr(layer, "set_mask") and getattr(layer, "mask", None) is not None}


# --- reading ------------------------------------------------------------------------------------
def _read_json(path: Path) -> Any:
    from ..io import MAX_TEXT_BYTES, read_regular_file

    try:
        # a regular file only: a named pipe would wait for a writer, /dev/zero never ends
        text = read_regular_file(path, "spec file", limit=MAX_TEXT_BYTES).decode("utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec file {str(path)!r} does not exist") from None
    except UnicodeDecodeError:
        raise SpecError(f"spec file {str(path)!r} is not UTF-8 text") from None
    except ValueError as exc:  # a folder, a pipe, a device, too large
        raise SpecError(str(exc)) from None
    except OSError as exc:
        raise SpecError(f"cannot read spec file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"spec file {str(path)!r} is not valid JSON: {exc.msg} at line "
                        f"{exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise SpecError(f"spec file {str(path)!r} nests lists or objects too deeply to read "
                        f"(a spec needs two levels: rows of numbers)") from None
    except ValueError as exc:  # Python refuses integers of more than 4300 digits
        raise SpecError(f"spec file {str(path)!r} holds a number too long to read "
                        f"({str(exc).split(':')[0]})") from None


def _plain(value: Any) -> Any:
    """A dict given in Python may hold NumPy arrays; read them as the lists JSON would give."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, numbers.Number):
        return "a number"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return type(value).__name__


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _number(value: Any, where: str) -> float:
    # bool is an int subclass in Python but never a number in a spec
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise SpecError(f"{where} must be a number, got {_kind(value)} ({_short(value)})")
    try:
        out = float(value)
    except OverflowError:  # an integer with hundreds of digits
        digits = int(int(value).bit_length() * math.log10(2)) + 1
        raise SpecError(f"{where} is a number of about {digits} digits, too large for a "
                        f"float64 (at most about 1.8e308)") from None
    if not math.isfinite(out):
        # Python's json reads NaN / Infinity (and 1e400 overflows to inf): none is a weight
        raise SpecError(f"{where} is {out}; every number in a spec must be finite")
    return out


def _short(value: Any) -> str:
    """``repr(value)``, cut short: a message stays one readable line."""
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        text = f"a {type(value).__name__}"
    return text if len(text) <= 60 else text[:57] + "..."


def _vector(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, (list, tuple)):
        raise SpecError(f"{where} must be a list of numbers, got {_kind(value)}")
    if len(value) == 0:
        raise SpecError(f"{where} is empty; it needs at least one number")
    return np.array([_number(v, f"{where}[{i}]") for i, v in enumerate(value)], dtype=np.float64)


def _matrix(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, (list, tuple)):
        raise SpecError(f"{where} must be a list of rows (lists of numbers), got {_kind(value)}")
    if len(value) == 0:
        raise SpecError(f"{where} is empty; it needs at least one row")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, (list, tuple)):
            raise SpecError(f"{where}[{i}] must be a row (a list of numbers), got {_kind(row)}")
        rows.append(_vector(row, f"{where}[{i}]"))
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise SpecError(f"{where} rows differ in length: row 0 has {width} numbers, "
                            f"row {i} has {len(row)}")
    return np.stack(rows)


def _samples(value: Any, name: str) -> tuple[np.ndarray, bool]:
    """A flat list is one sample -> (1, n); a list of lists is a batch -> (m, n)."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
        return _matrix(value, name), False
    return _vector(value, name)[None, :], True


def _check_keys(data: Mapping, allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            raise SpecError(f"{where} has an unknown key {key!r}; allowed keys: "
                            f"{', '.join(allowed)}")


def _activation_arguments(cls: type[Layer]) -> list[str]:
    return [name for name in inspect.signature(cls).parameters if name not in ("self",)]


def _links(name: str) -> list[str]:
    """The losses whose link (the function fused into them) is the activation ``name``."""
    canonical = LAYERS.canonical(name)
    return [n for n, cls in LOSSES.items()
            if LAYERS.get(cls.link) is not None and LAYERS.canonical(cls.link) == canonical]


def _trainable(item: Mapping, layer: Layer, where: str, position: int) -> list[str]:
    """The names (``"2.b"``) of the parameters ``"trainable"`` freezes."""
    if "trainable" not in item:
        return []
    flags = item["trainable"]
    attrs = [p.attr for p in layer.parameters()]
    if not isinstance(flags, Mapping):
        raise SpecError(f"{where}: trainable must be an object such as {{\"b\": false}}, got "
                        f"{_kind(flags)}")
    frozen = []
    for attr, flag in flags.items():
        if attr not in attrs:
            known = ", ".join(attrs) if attrs else "none"
            raise SpecError(f"{where}: trainable names {attr!r}, which is not a parameter of "
                            f"this layer (its parameters: {known})")
        if not isinstance(flag, bool):
            raise SpecError(f"{where}: trainable.{attr} must be true or false, got "
                            f"{_kind(flag)}")
        if not flag:
            frozen.append(f"{position}.{attr}")
    return frozen


def _dense(item: Mapping, l: int, n_in: int, loss_name: str, last: bool
           ) -> tuple[list[Layer], bool]:
    """A dense spec layer: ``[Dense, activation]`` (``[Dense]`` when the activation is the
    loss's link, fused into the loss) and whether it was fused."""
    where = f"layer {l}"
    for key in ("W", "b", "activation"):
        if key not in item:
            raise SpecError(f"{where} is missing the key {key!r}")
    W = _matrix(item["W"], f"{where}: W")
    b = _vector(item["b"], f"{where}: b")
    if W.shape[1] != n_in:
        source = "x has" if l == 1 else f"layer {l - 1} has"
        raise SpecError(f"{where}: W has shape {W.shape} but its input has {n_in} units "
                        f"({source} {n_in}); W must have {n_in} columns")
    if b.shape[0] != W.shape[0]:
        raise SpecError(f"{where}: b has {_count(b.shape[0], 'entry', 'entries')} but W has "
                        f"{_count(W.shape[0], 'row')} (one bias per unit)")
    name = item["activation"]
    known = spec_activations()
    fused = False
    if isinstance(name, str) and LAYERS.get(name) is not None \
            and LAYERS.canonical(name) not in known \
            and LAYERS.canonical(name) in activation_names():
        # an activation of a whole layer (softmax): only as the loss's own link
        links = _links(name)
        if not (last and loss_name in links):
            losses = " or ".join(links) if links else "no loss"
            raise SpecError(f"{where}: {name} acts on all units of a layer together, so it can "
                            f"only be the last layer's activation with the loss it belongs to "
                            f"({losses}), which takes the logits")
        fused = True
    elif not isinstance(name, str) or LAYERS.get(name) is None \
            or LAYERS.canonical(name) not in known:
        raise SpecError(f"{where}: unknown activation {name!r}; known: {', '.join(known)}")
    cls = LAYERS[name]
    arguments = _activation_arguments(cls)
    config = {}
    for key, value in item.items():
        if key in _LAYER_KEYS:
            continue
        if key in arguments:
            config[key] = _number(value, f"{where}: {key}") if not isinstance(value, str) \
                else value
            continue
        owner = next((n for n in known if key in _activation_arguments(LAYERS[n])), None)
        if owner is not None:
            raise SpecError(f"{where}: {key} applies to {owner} only, not to {name}")
        allowed = ", ".join([*_LAYER_KEYS, *arguments])
        raise SpecError(f"{where} has an unknown key {key!r}; allowed keys: {allowed}")
    try:
        activation = cls(**config)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: {exc}") from None
    dense = Dense.from_arrays(W, b)
    return ([dense] if fused else [dense, activation]), fused


def _other(item: Mapping, l: int, n_in: int, kind: str) -> tuple[Layer, Any]:
    """A spec layer of any other registered type: built from its constructor arguments, its
    parameters and buffers set by name, a dropout mask or seed. Returns the layer and its
    fixed mask (or None)."""
    where = f"layer {l} ({kind})"
    cls = LAYERS[kind]
    signature = inspect.signature(cls)
    arguments = [n for n in signature.parameters if n not in ("self", "dtype", "rng")]
    config: dict[str, Any] = {}
    arrays: dict[str, Any] = {}
    mask = None
    probe = None
    for key, value in item.items():
        if key in ("type", "trainable"):
            continue
        if key in arguments:
            if isinstance(value, (str, bool)) or value is None:
                config[key] = value
            elif isinstance(value, numbers.Integral) and key == "n":
                config[key] = value
            else:
                config[key] = _number(value, f"{where}: {key}")
        elif key == "seed" and "rng" in signature.parameters:
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
                    or not 0 <= value < 2 ** 63:
                raise SpecError(f"{where}: seed must be a whole number from 0 to 2**63 - 1, "
                                f"got {_short(value)}")
            config["rng"] = int(value)
        else:
            arrays[key] = value
    if "n" in arguments and "n" not in config:
        config["n"] = n_in  # the width of a normalisation is its input's
    if config.get("n", n_in) != n_in:
        raise SpecError(f"{where}: n is {config['n']} but its input has {n_in} units")
    try:
        layer = cls(**config)
    except (TypeError, ValueError) as exc:
        raise SpecError(f"{where}: {exc}") from None
    settable = {p.attr: p.data for p in layer.parameters()}
    settable.update(layer.buffers())
    for key, value in arrays.items():
        if key == "mask" and hasattr(layer, "set_mask"):
            mask = _matrix(value, f"{where}: mask")
            if mask.shape[1] != n_in:
                raise SpecError(f"{where}: mask has {mask.shape[1]} columns but the layer's "
                                f"input has {n_in} units")
            bad = mask[(mask != 0) & (mask != 1)]
            if bad.size:
                raise SpecError(f"{where}: mask holds 0 (drop) or 1 (keep), got {bad[0]:g}")
            probe = layer
            continue
        if key not in settable:
            allowed = ", ".join(["type", "trainable", *arguments, *settable,
                                 *(["mask"] if hasattr(layer, "set_mask") else []),
                                 *(["seed"] if "rng" in signature.parameters else [])])
            raise SpecError(f"{where} has an unknown key {key!r}; allowed keys: {allowed}")
        target = settable[key]
        arr = _vector(value, f"{where}: {key}") if target.ndim == 1 else \
            _matrix(value, f"{where}: {key}")
        if arr.shape != target.shape:
            raise SpecError(f"{where}: {key} has shape {arr.shape} but the layer needs "
                            f"{target.shape}")
        target[...] = arr
    if "running_var" in arrays and np.any(layer.buffers().get("running_var", 1.0) < 0):
        raise SpecError(f"{where}: running_var must be >= 0")
    needs_seed = "rng" in signature.parameters and getattr(layer, "p", 0.0)
    if needs_seed and probe is None and "rng" not in config:
        raise SpecError(f"{where}: give a fixed \"mask\" (one row of 0 / 1 per sample) or a "
                        f"\"seed\", so the step is explained with the masks it used")
    if probe is not None and getattr(layer, "p", 1.0) == 0.0:
        raise SpecError(f"{where}: a mask needs p > 0 (with p = 0 nothing is dropped)")
    return layer, mask


def load_spec(source: str | os.PathLike[str] | Mapping[str, Any]) -> Spec:
    """Read and check a spec from a JSON file or from an already-parsed dict.

    Parameters
    ----------
    source : str, path-like or mapping
        A path to a UTF-8 JSON file, or the parsed object itself.

    Returns
    -------
    Spec

    Raises
    ------
    SpecError
        For a missing or unreadable file, invalid JSON (with line and column), JSON nested too
        deeply or holding a number too long or too large for a float, a missing or unknown key,
        a value of the wrong type, a non-finite number, shapes that do not chain (``"layer 2: W
        has shape (1, 3) but its input has 2 units ..."``), an unknown activation, layer type,
        loss, optimiser or schedule (the known names are listed), or a bad setting (one
        sentence naming it).
    """
    try:
        if isinstance(source, Mapping):
            data: Any = _plain(source)
        elif isinstance(source, (str, os.PathLike)):
            data = _read_json(Path(source))
        else:
            raise SpecError(f"a spec is a file path or a dict, got {type(source).__name__}")
        return _load(data)
    except RecursionError:
        raise SpecError("the spec nests lists or objects too deeply to read (a spec needs two "
                        "levels: rows of numbers)") from None


def _load(data: Any) -> Spec:
    if not isinstance(data, Mapping):
        raise SpecError(f"a spec must be a JSON object with keys x, y, layers, got {_kind(data)}")
    _check_keys(data, _TOP_KEYS, "the spec")
    batches_given = "batches" in data
    required = ("layers",) if batches_given else ("x", "y", "layers")
    for key in required:
        if key not in data:
            raise SpecError(f"the spec is missing the key {key!r}")
    if batches_given and ("x" in data or "y" in data):
        raise SpecError("give either x and y (the same batch every step) or batches (one per "
                        "step), not both")

    name = data.get("loss", _DEFAULT_LOSS)
    if not isinstance(name, str) or name not in LOSSES:
        raise SpecError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    loss = get_loss(name)
    loss_name = LOSSES.canonical(name)

    if batches_given:
        raw = data["batches"]
        if not isinstance(raw, (list, tuple)) or not raw:
            raise SpecError("batches must be a non-empty list of {\"x\", \"y\"} objects, got "
                            + (_kind(raw) if not isinstance(raw, (list, tuple)) else "[]"))
        for i, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise SpecError(f"batches[{i}] must be an object with keys x and y, got "
                                f"{_kind(item)}")
            _check_keys(item, ("x", "y"), f"batches[{i}]")
            for key in ("x", "y"):
                if key not in item:
                    raise SpecError(f"batches[{i}] is missing the key {key!r}")
        x, single = _samples(raw[0]["x"], "batches[0].x")
    else:
        x, single = _samples(data["x"], "x")
    layers = data["layers"]
    if not isinstance(layers, (list, tuple)):
        raise SpecError(f"layers must be a list of layer objects, got {_kind(layers)}")
    if len(layers) == 0:
        raise SpecError("layers is empty; a network needs at least one layer")
    modules: list[Layer] = []
    frozen: list[str] = []
    masks: dict[int, np.ndarray] = {}
    mask_layer: dict[int, int] = {}  # network position -> the spec's layer number
    owner: list[int] = []  # the spec's layer number of each network position
    link = False
    width = x.shape[1]
    for l, item in enumerate(layers, start=1):
        if not isinstance(item, Mapping):
            raise SpecError(f"layer {l} must be an object with keys W, b, activation (or a "
                            f"\"type\"), got {_kind(item)}")
        kind = item.get("type", "dense")
        if not isinstance(kind, str) or LAYERS.get(kind) is None:
            raise SpecError(f"layer {l}: unknown type {_short(kind)}; known: "
                            f"{', '.join(LAYERS.names())}")
        position = len(modules)
        if LAYERS[kind] is Dense:
            built, fused = _dense(item, l, width, loss_name, last=l == len(layers))
            link = link or fused
            frozen += _trainable(item, built[0], f"layer {l}", position)
            modules += built
            owner += [l] * len(built)
            width = built[0].n_out
            continue
        layer, mask = _other(item, l, width, kind)
        frozen += _trainable(item, layer, f"layer {l} ({kind})", position)
        if mask is not None:
            masks[position] = mask
            mask_layer[position] = l
        modules.append(layer)
        owner.append(l)
        out = layer.output_width(width)
        width = width if out is None else out

    # the last layer that computes something (a dropout only masks) must not apply the link the
    # loss applies itself: sigmoid then binary cross-entropy would take the sigmoid twice
    if loss.repeats_link(modules):
        last = max(k for k in range(len(modules)) if modules[k].role != "regularization")
        l, act = owner[last], modules[last].name
        if LAYERS.get(layers[l - 1].get("type", "dense")) is Dense:
            raise SpecError(f"layer {l}: the {name} loss applies the {act} itself (it takes the "
                            f"logits), so \"activation\": \"{layers[l - 1]['activation']}\" here "
                            f"would apply it twice; write \"activation\": \"identity\" instead")
        raise SpecError(f"layer {l} ({layers[l - 1]['type']}): the {name} loss applies the {act} "
                        f"itself (it takes the logits), so this layer would apply it twice; leave "
                        f"it out")

    if batches_given:
        batches = []
        for i, item in enumerate(data["batches"]):
            bx, bsingle = _samples(item["x"], f"batches[{i}].x")
            if bx.shape[1] != x.shape[1]:
                raise SpecError(f"batches[{i}].x has {bx.shape[1]} values per sample but "
                                f"batches[0].x has {x.shape[1]}")
            by = _targets(item["y"], single=bsingle, m=bx.shape[0], n_out=width, loss=loss,
                          loss_name=name, where=f"batches[{i}].y", x_name=f"batches[{i}].x")
            batches.append((bx, by))
        x, y = batches[0]
    else:
        y = _targets(data["y"], single=single, m=x.shape[0], n_out=width, loss=loss,
                     loss_name=name)
        batches = None
    for i, (bx, _) in enumerate(batches or [(x, y)]):
        for position, mask in masks.items():
            if mask.shape[0] != bx.shape[0]:
                which = f"batches[{i}]" if batches else "x"
                raise SpecError(f"layer {mask_layer[position]}: mask has {mask.shape[0]} rows "
                                f"but {which} has {bx.shape[0]} samples (one row per sample)")

    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"description must be a string, got {_kind(description)}")
    if "optimizer" in data and "learning_rate" in data:
        raise SpecError("give the learning rate once: as optimizer.lr when there is an "
                        "optimizer, else as learning_rate")
    lr = _number(data.get("learning_rate", _DEFAULT_LEARNING_RATE), "learning_rate")
    if lr <= 0:
        raise SpecError(f"learning_rate must be > 0, got {lr:g}")
    optimizer = _named(data["optimizer"], "optimizer", OPTIMIZERS) \
        if "optimizer" in data else None
    clip = {}
    for key in ("clip_norm", "clip_value"):
        if key in data:
            clip[key] = _number(data[key], key)
            if clip[key] <= 0:
                raise SpecError(f"{key} must be > 0, got {clip[key]:g}")
    schedule = _named(data["schedule"], "schedule", SCHEDULES) if "schedule" in data else None
    steps = data.get("steps", len(batches) if batches else 1)
    if isinstance(steps, bool) or not isinstance(steps, numbers.Integral) \
            or not 1 <= steps <= MAX_STEPS:
        raise SpecError(f"steps must be a whole number from 1 to {MAX_STEPS}, got "
                        f"{_short(steps)}")
    if batches and steps != len(batches):
        raise SpecError(f"steps is {steps} but batches gives {len(batches)} (one per step)")

    spec = Spec(net=Sequential(*modules), loss=loss, x=x, y=y, learning_rate=lr,
                single_sample=single, description=description, optimizer=optimizer,
                clip_norm=clip.get("clip_norm"), clip_value=clip.get("clip_value"),
                schedule=schedule, steps=int(steps), batches=batches, frozen=tuple(frozen),
                masks=masks, link=link)
    _check_training_settings(spec)
    return spec


def _json_argument(value: Any, where: str) -> Any:
    """An optimiser's or schedule's argument from JSON: numbers checked (a bool stays a bool, a
    whole number an int), lists of numbers as tuples (betas), strings as they are."""
    if isinstance(value, bool) or isinstance(value, str) or value is None:
        return value
    if isinstance(value, numbers.Integral):
        if abs(value) >= 2 ** 63:
            _number(value, where)  # too large for a float: says so
            raise SpecError(f"{where} is too large, got a number of "
                            f"{int(value).bit_length()} bits")
        return int(value)
    if isinstance(value, numbers.Real):
        return _number(value, where)
    if isinstance(value, (list, tuple)):
        return tuple(_json_argument(v, f"{where}[{i}]") for i, v in enumerate(value))
    raise SpecError(f"{where} must be a number, a boolean, a string or a list, got "
                    f"{_kind(value)}")


def _named(value: Any, what: str, registry: Any) -> tuple[str, dict[str, Any]]:
    """``{"name": ..., <arguments>}`` of an optimiser or a schedule."""
    if not isinstance(value, Mapping):
        raise SpecError(f"{what} must be an object such as {{\"name\": ...}}, got "
                        f"{_kind(value)}")
    if "name" not in value:
        raise SpecError(f"{what} is missing the key 'name'")
    name = value["name"]
    if not isinstance(name, str) or name not in registry:
        allowed = registry.names()
        if what == "schedule":
            allowed = [n for n in allowed if getattr(registry[n], "command_line", True)]
        raise SpecError(f"unknown {what} {_short(name)}; known: {', '.join(allowed)}")
    kwargs = {k: _json_argument(v, f"{what}.{k}") for k, v in value.items() if k != "name"}
    return name, kwargs


def _check_training_settings(spec: Spec) -> None:
    """Build the optimiser and schedule once, on copies of the parameters, so that a bad name,
    argument or value is a one-sentence SpecError now rather than a failure in the trace."""
    import copy

    net = copy.deepcopy(spec.net)
    frozen = set(spec.frozen)
    params = [p for p in net.parameters() if p.name not in frozen]
    if not params:
        raise SpecError("every parameter is frozen (trainable: false): there is nothing to "
                        "train")
    where = spec.optimizer[0] if spec.optimizer else "sgd"
    try:
        opt = spec.make_optimizer(params)
    except (TypeError, ValueError, OverflowError) as exc:
        raise SpecError(f"optimizer {where!r}: {exc}") from None
    if spec.schedule is not None:
        name, kwargs = spec.schedule
        if not getattr(SCHEDULES[name], "command_line", True):
            raise SpecError(f"schedule {name!r} is built from Python objects, not from a spec")
        try:
            make_schedule(name, opt, **kwargs)
        except (TypeError, ValueError, OverflowError) as exc:
            raise SpecError(f"schedule {name!r}: {exc}") from None


def _targets(value: Any, *, single: bool, m: int, n_out: int, loss: Loss, loss_name: str,
             where: str = "y", x_name: str = "x") -> np.ndarray:
    labels = _takes_labels(loss) and n_out > 1
    if single:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            if labels:
                return _labels([value], where, n_out)
            y = np.array([[_number(value, where)]])
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
            raise SpecError(f"{where} is a list of rows but {x_name} is one sample; give "
                            f"{where} as one flat list")
        elif labels and isinstance(value, (list, tuple)) and len(value) == 1:
            return _labels(value, where, n_out)
        else:
            y = _vector(value, where)[None, :]
    else:
        flat = isinstance(value, (list, tuple)) and value and not isinstance(value[0],
                                                                             (list, tuple))
        if labels and flat:
            y = _labels(value, where, n_out)
            if y.shape[0] != m:
                raise SpecError(f"{where} has {y.shape[0]} class labels but {x_name} has {m} "
                                f"samples (one label per sample)")
            return y
        if not (isinstance(value, (list, tuple)) and value
                and isinstance(value[0], (list, tuple))):
            raise SpecError(f"{x_name} is a batch of {m} rows, so {where} must be a list of {m} "
                            f"rows too")
        y = _matrix(value, where)
        if y.shape[0] != m:
            raise SpecError(f"{where} has {y.shape[0]} rows but {x_name} has {m} (one target "
                            f"per sample)")
    if y.shape[1] != n_out:
        hint = (" (or one class index per sample)" if labels else "")
        raise SpecError(f"{where} has {y.shape[1]} value(s) per sample but the last layer has "
                        f"{n_out} unit(s){hint}")
    if loss.classifier and np.any((y < 0) | (y > 1)):  # targets of a classifier: 0 to 1
        bad = y[(y < 0) | (y > 1)][0]
        raise SpecError(f"{where} must lie in [0, 1] for the {loss_name} loss, got {bad:g}")
    return y


def _takes_labels(loss: Loss) -> bool:
    """Whether the loss keeps integer class labels as they are (it takes class indices)."""
    return np.asarray(loss.prepare_targets(np.array([0]), np.dtype(np.float64))).dtype.kind \
        in "iu"


def _labels(value: Any, where: str, k: int) -> np.ndarray:
    """Class indices: whole numbers from 0 to k - 1."""
    out = []
    for i, v in enumerate(value):
        here = f"{where}[{i}]" if len(value) > 1 or isinstance(value, (list, tuple)) else where
        f = _number(v, here)
        if f != int(f) or not 0 <= f < k:
            raise SpecError(f"{here} must be a class index, a whole number from 0 to {k - 1}, "
                            f"got {v:g}")
        out.append(int(f))
    return np.array(out, dtype=np.int64)


# --- writing ------------------------------------------------------------------------------------
def spec_to_dict(spec: Spec) -> dict[str, Any]:
    """The JSON-able dict of a spec; ``load_spec(spec_to_dict(s))`` rebuilds the same network.

    The network must be ``Dense, activation, Dense, activation, ...`` as :func:`load_spec` builds
    it; the current weights are written (after training, the trained ones).
    """
    layers = list(spec.net)
    if len(layers) % 2:
        raise SpecError(f"a spec network alternates Dense and activation layers; this one has "
                        f"an odd number of layers ({len(layers)})")
    out_layers = []
    for l, (dense, activation) in enumerate(zip(layers[0::2], layers[1::2], strict=True), start=1):
        name = getattr(activation, "name", None)
        if not isinstance(dense, Dense) or not dense.bias or name not in spec_activations():
            raise SpecError(f"layer {l} is not a Dense with bias followed by one of "
                            f"{', '.join(spec_activations())}")
        item: dict[str, Any] = {"W": dense.W.tolist(), "b": dense.b.tolist(), "activation": name}
        item.update(activation.get_config())
        out_layers.append(item)
    x = spec.x[0].tolist() if spec.single_sample else spec.x.tolist()
    y = spec.y[0].tolist() if spec.single_sample else spec.y.tolist()
    out: dict[str, Any] = {}
    if spec.description:
        out["description"] = spec.description
    out.update({"x": x, "y": y, "layers": out_layers, "loss": spec.loss.name,
                "learning_rate": spec.learning_rate})
    return out
