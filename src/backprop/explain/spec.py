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
``loss`` (default ``"squared"``)
    A name from :data:`backprop.losses.LOSSES`; ``"squared"`` is the article's
    :math:`L = \tfrac12 \sum_k (y_k - \hat y_k)^2`.
``learning_rate`` (default 0.1)
    :math:`\alpha > 0`.
``description`` (optional)
    Free text.

Every problem raises :class:`SpecError` (a ``ValueError``) with one sentence that says where the
problem is; layers are counted from 1 as in the article (layer 1 is the first layer after the
input), array positions from 0 as in JSON and NumPy.
"""

from __future__ import annotations

import inspect
import json
import math
import numbers
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..layers import LAYERS, Dense, Layer, activation_names
from ..losses import LOSSES, Loss, get_loss
from ..models import Sequential


def spec_activations() -> list[str]:
    """Activations a spec may name: the registered element-wise ones (their slope is one
    number per unit, which the trace writes out)."""
    return activation_names(elementwise=True)


_TOP_KEYS = ("x", "y", "layers", "loss", "learning_rate", "description")
_LAYER_KEYS = ("W", "b", "activation")
_DEFAULT_LOSS = "squared"
_DEFAULT_LEARNING_RATE = 0.1


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


# --- reading ------------------------------------------------------------------------------------
def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError(f"spec file {str(path)!r} does not exist") from None
    except IsADirectoryError:
        raise SpecError(f"spec file {str(path)!r} is a directory, not a file") from None
    except UnicodeDecodeError:
        raise SpecError(f"spec file {str(path)!r} is not UTF-8 text") from None
    except OSError as exc:
        raise SpecError(f"cannot read spec file {str(path)!r}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError(f"spec file {str(path)!r} is not valid JSON: {exc.msg} at line "
                        f"{exc.lineno}, column {exc.colno}") from None


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
        raise SpecError(f"{where} must be a number, got {_kind(value)} ({value!r})")
    out = float(value)
    if not math.isfinite(out):
        # Python's json reads NaN / Infinity (and 1e400 overflows to inf): none is a weight
        raise SpecError(f"{where} is {out}; every number in a spec must be finite")
    return out


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


def _layer(item: Any, l: int, n_in: int) -> tuple[Dense, Layer]:
    where = f"layer {l}"
    if not isinstance(item, Mapping):
        raise SpecError(f"{where} must be an object with keys W, b, activation, "
                        f"got {_kind(item)}")
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
    if not isinstance(name, str) or LAYERS.get(name) is None or LAYERS.canonical(name) not in known:
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
    return Dense.from_arrays(W, b), activation


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
        For a missing or unreadable file, invalid JSON (with line and column), a missing or
        unknown key, a value of the wrong type, a non-finite number, shapes that do not chain
        (``"layer 2: W has shape (1, 3) but its input has 2 units ..."``), an unknown activation
        or loss (the known names are listed), or a learning rate that is not > 0.
    """
    if isinstance(source, Mapping):
        data: Any = _plain(source)
    elif isinstance(source, (str, os.PathLike)):
        data = _read_json(Path(source))
    else:
        raise SpecError(f"a spec is a file path or a dict, got {type(source).__name__}")
    if not isinstance(data, Mapping):
        raise SpecError(f"a spec must be a JSON object with keys x, y, layers, got {_kind(data)}")
    _check_keys(data, _TOP_KEYS, "the spec")
    for key in ("x", "y", "layers"):
        if key not in data:
            raise SpecError(f"the spec is missing the key {key!r}")

    x, single = _samples(data["x"], "x")
    layers = data["layers"]
    if not isinstance(layers, (list, tuple)):
        raise SpecError(f"layers must be a list of layer objects, got {_kind(layers)}")
    if len(layers) == 0:
        raise SpecError("layers is empty; a network needs at least one layer")
    modules: list[Layer] = []
    width = x.shape[1]
    for l, item in enumerate(layers, start=1):
        dense, activation = _layer(item, l, width)
        modules += [dense, activation]
        width = dense.n_out

    y = _targets(data["y"], single=single, m=x.shape[0], n_out=width)

    name = data.get("loss", _DEFAULT_LOSS)
    if not isinstance(name, str) or name not in LOSSES:
        raise SpecError(f"unknown loss {name!r}; known: {', '.join(LOSSES)}")
    loss = get_loss(name)
    if loss.classifier and np.any((y < 0) | (y > 1)):  # targets of a classifier: 0 to 1
        bad = y[(y < 0) | (y > 1)][0]
        raise SpecError(f"y must lie in [0, 1] for the {name} loss, got {bad:g}")

    lr = _number(data.get("learning_rate", _DEFAULT_LEARNING_RATE), "learning_rate")
    if lr <= 0:
        raise SpecError(f"learning_rate must be > 0, got {lr:g}")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise SpecError(f"description must be a string, got {_kind(description)}")
    return Spec(net=Sequential(*modules), loss=loss, x=x, y=y, learning_rate=lr,
                single_sample=single, description=description)


def _targets(value: Any, *, single: bool, m: int, n_out: int) -> np.ndarray:
    if single:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            y = np.array([[_number(value, "y")]])
        elif isinstance(value, (list, tuple)) and value and isinstance(value[0], (list, tuple)):
            raise SpecError("y is a list of rows but x is one sample; give y as one flat list")
        else:
            y = _vector(value, "y")[None, :]
    else:
        if not (isinstance(value, (list, tuple)) and value
                and isinstance(value[0], (list, tuple))):
            raise SpecError(f"x is a batch of {m} rows, so y must be a list of {m} rows too")
        y = _matrix(value, "y")
        if y.shape[0] != m:
            raise SpecError(f"y has {y.shape[0]} rows but x has {m} (one target per sample)")
    if y.shape[1] != n_out:
        raise SpecError(f"y has {y.shape[1]} value(s) per sample but the last layer has "
                        f"{n_out} unit(s)")
    return y


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
