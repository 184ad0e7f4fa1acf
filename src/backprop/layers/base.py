r"""The layer contract every piece of a network follows, and the one registry of layer kinds.

A layer maps a batch ``x`` of shape ``(m, n_in)`` (one sample per row) to ``y`` of shape
``(m, n_out)``:

* ``forward(x) -> y`` computes the output and keeps exactly what ``backward`` needs;
* ``backward(dy, input_grad=True) -> dx`` takes ``dy = dJ/dy`` of shape ``(m, n_out)``,
  *assigns* (does not accumulate) the gradients of the layer's parameters and returns
  ``dx = dJ/dx`` -- or ``None`` when ``input_grad`` is False: nobody needs ``dJ/dx`` (the first
  layer of a network during training), so a layer may skip computing it. Every layer takes the
  flag; :class:`~backprop.Sequential` asks them all the same way.

Three kinds of state are kept apart:

* **parameters** -- trainable arrays with a gradient (:class:`~backprop.parameters.Parameter`);
  optimisers update them;
* **buffers** -- non-trainable state saved with the model (batch-norm running statistics);
  optimisers and weight decay never touch them;
* the **training flag** -- ``train()`` / ``eval()``; only layers whose behaviour differs read it.

What the rest of the library asks a layer
-----------------------------------------
Instead of lists of layer classes kept elsewhere, each layer class answers for itself:

``name``
    Its registry name (``"dense"``, ``"sigmoid"``): the ``type`` in model files and specs.
``role``
    ``"affine"`` (a weighted sum: the article's :math:`z = Wa + b`), ``"activation"``,
    ``"normalization"``, ``"regularization"`` or ``"container"``; the explanation groups an
    affine layer with the activation after it into one of the article's layers.
``words``
    Its name in every language of the explanation (``{"en": ..., "vi": ...}``).
``input_width`` / ``output_width(n_in)``
    The input width it requires (``None``: any) and the width it produces.
``label()``
    A short name for messages and reports (``"Dense(784->256)"``).
``state_shapes(config)``
    The shapes of the arrays a layer of that configuration holds, without building it (model
    files are checked against them before anything is allocated).

Activations (:class:`Activation`) add what the explanation, the initialisers, the gradient
checker and the diagnostics need: notation, gain, kinks, saturation.

Adding a layer kind is one class and one registration (:func:`register_layer`); see
``docs/extending.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..parameters import Parameter
from ..registry import Registry

#: Every layer kind by name (activations included); model files and specs are read through it.
LAYERS: Registry[type[Layer]] = Registry("layer")

#: the dtype kinds a layer takes: float, signed/unsigned integer, boolean (converted to the
#: layer's float dtype); complex numbers, strings and objects are refused, not cast
REAL_KINDS = "fiub"


def as_input(x: Any, who: str) -> np.ndarray:
    """``x`` as an array of real numbers for ``who``'s forward pass: lists and integer arrays are
    accepted; complex, string and object arrays are a ``TypeError`` (a cast would silently drop
    the imaginary part or fail deep inside NumPy)."""
    if type(x) is not np.ndarray:
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{who} needs a rectangular array of numbers: {exc}") from None
    if x.dtype.kind not in REAL_KINDS:
        what = "complex numbers" if x.dtype.kind == "c" else f"dtype {x.dtype}"
        raise TypeError(f"{who} takes real numbers, got {what}")
    return x


class Layer:
    """Base class: a layer with no parameters that passes nothing through by itself."""

    #: registry name; set by every registered subclass
    name: ClassVar[str] = ""
    #: what the layer does in a network (see the module docstring)
    role: ClassVar[str] = "other"
    #: its name in each language of the explanation
    words: ClassVar[dict[str, str]] = {}

    training: bool

    def __init__(self) -> None:
        self.training = True
        # Set by Sequential for a layer whose output (or dJ/d(input)) only a neighbouring layer
        # reads: the layer may then write it into a buffer reused from step to step. A layer
        # used on its own keeps both False and returns fresh arrays.
        self.reuse_output = False
        self.reuse_input_grad = False

    # --- the contract ---------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dy: np.ndarray,
                 input_grad: bool = True) -> np.ndarray | None:  # pragma: no cover - abstract
        raise NotImplementedError

    # --- state ----------------------------------------------------------------------------
    def parameters(self) -> list[Parameter]:
        """Trainable parameters, in a fixed order."""
        return []

    def buffers(self) -> dict[str, np.ndarray]:
        """Non-trainable state that is saved with the model (name -> array)."""
        return {}

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad[...] = 0

    def train(self, mode: bool = True) -> Layer:
        """Switch training mode on (``mode=True``) or off; returns ``self``."""
        self.training = bool(mode)
        return self

    def eval(self) -> Layer:
        """Switch to evaluation mode (batch norm uses running statistics, dropout is off)."""
        return self.train(False)

    def __getstate__(self) -> dict[str, Any]:
        """For copies and pickles: everything but the arrays kept between a forward and its
        backward or reused as scratch space (private array attributes) -- a copy starts clean,
        and a pickle holds only the parameters, buffers and settings."""
        return {k: (None if k.startswith("_") and isinstance(v, np.ndarray) else v)
                for k, v in self.__dict__.items()}

    # --- observation ----------------------------------------------------------------------
    def observables(self) -> dict[str, np.ndarray]:
        r"""Named arrays of the last ``forward`` that an observer may show besides the input and
        output (batch norm's batch statistics and :math:`\hat x`, dropout's mask); none by
        default. The layer's own arrays: copy what you keep, change nothing."""
        return {}

    # --- description ----------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        """JSON-able constructor arguments; ``type(self)(**config)`` rebuilds the layer."""
        return {}

    @classmethod
    def state_shapes(cls, config: dict[str, Any]
                     ) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]] | None:
        """The shapes of the parameters and buffers a layer built from ``config`` would hold,
        ``({attr: shape}, {buffer: shape})``, computed without building it (``None``: the class
        does not say). A model file's arrays are checked against them before any layer is
        built, so a crafted configuration cannot make the reader allocate what the file does
        not hold. A layer without parameters or buffers holds ``({}, {})``."""
        if cls.parameters is Layer.parameters and cls.buffers is Layer.buffers:
            return {}, {}
        return None

    @property
    def input_width(self) -> int | None:
        """The number of input units this layer requires (``None``: it takes any width)."""
        return None

    def output_width(self, n_in: int | None) -> int | None:
        """The number of output units for ``n_in`` input units (the same, by default)."""
        return n_in

    def label(self) -> str:
        """A short name for messages, diagnostics and reports."""
        return type(self).__name__

    @property
    def n_params(self) -> int:
        return sum(p.size for p in self.parameters())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@dataclass(frozen=True)
class Notation:
    r"""How the explanation writes an activation :math:`g` and its slope :math:`g'`.

    Each formula is a pair ``(tex, text)`` -- LaTeX and plain UTF-8 -- with placeholders in angle
    brackets that the explanation fills in:

    ``<z>``, ``<a>``
        the activation's input :math:`z` and output :math:`a = g(z)`, as symbols
        (:math:`z^{[1]}_2`) or as numbers;
    ``<z:factor>``, ``<a:factor>``
        the same, ready to be a factor of a product (a negative number gets parentheses);
    ``<z:base>``, ``<a:base>``
        the same, ready to carry an exponent (parenthesised unless a bare positive number);
    ``<times>``
        a multiplication sign between two factors: nothing between symbols (:math:`a(1-a)`),
        :math:`\cdot` between numbers;
    ``<name>`` for a constructor argument (``<negative_slope>``), written as a number.

    Attributes
    ----------
    g : (str, str)
        :math:`g(z)`, e.g. ``(r"\sigma(<z>)", "σ(<z>)")``.
    slope : (str, str)
        :math:`g'(z)` written with ``<a>`` and/or ``<z>``, e.g. ``("<a><times>(1 - <a>)",
        ...)``; the numbers put in come from the engine.
    definition : (str, str) or None
        The definition line shown once per layer (``\sigma(z) = \frac{1}{1 + e^{-z}}``).
    derivative : (str, str) or None
        The derivative's definition line (``\sigma'(z) = \sigma(z)(1 - \sigma(z))``).
    """

    g: tuple[str, str]
    slope: tuple[str, str]
    definition: tuple[str, str] | None = None
    derivative: tuple[str, str] | None = None


class Activation(Layer):
    r"""Base class of activations: :math:`a = g(z)`, and backward multiplies by :math:`g'(z)`.

    A subclass implements ``forward`` / ``backward`` like any layer and says, as class attributes
    or methods, what the rest of the library needs to know about it:

    ``name``, ``words``
        registry name and its name in every language;
    ``elementwise``
        True when :math:`g'` is one number per unit (the article's :math:`\odot g'(z)`); softmax
        is not element-wise;
    ``kinks``
        the inputs :math:`z` where :math:`g'` jumps (ReLU: 0); the gradient checker notices a
        finite difference that steps over one and does not count it;
    ``gain()``
        the initialisation gain that keeps the variance of signals (``torch.nn.init``'s
        ``calculate_gain``), used by :func:`backprop.init.gain` and He initialisation;
    ``default_init``
        the initialiser :func:`backprop.mlp` gives the layers this activation follows;
    ``notation()``
        a :class:`Notation` for the explanation; the default writes :math:`g` by its name;
    ``saturated(a)``
        a boolean mask of outputs in a flat region (sigmoid near 0 or 1), or None;
    ``can_die``
        True when a unit can stop passing any gradient for good (ReLU: never positive);
    ``slope_of_output(a)``
        :math:`g'` written as a function of the output :math:`a = g(z)` (sigmoid
        :math:`a(1-a)`, tanh :math:`1-a^2`), as a learner computes it by hand, or None when the
        slope is not a function of the output alone. Checking a learner's numbers uses it (a
        slope taken from their own :math:`a`, and the slip of putting :math:`z` where
        :math:`a` belongs).
    """

    role: ClassVar[str] = "activation"
    elementwise: ClassVar[bool] = True
    kinks: ClassVar[tuple[float, ...]] = ()
    default_init: ClassVar[str] = "xavier_uniform"
    can_die: ClassVar[bool] = False

    def gain(self) -> float:
        """Initialisation gain (1 unless the activation says otherwise)."""
        return 1.0

    def notation(self) -> Notation:
        """How the explanation writes :math:`g` and :math:`g'` (by default, by name)."""
        name = self.name or type(self).__name__
        tex = name.replace("_", r"\_")  # an underscore would start a subscript
        return Notation(
            g=(r"\operatorname{" + tex + "}(<z>)", f"{name}(<z>)"),
            slope=(r"\operatorname{" + tex + "}'(<z>)", f"{name}'(<z>)"),
        )

    def saturated(self, a: np.ndarray) -> np.ndarray | None:
        """Which outputs sit where :math:`g'` is nearly 0 (None: the idea does not apply)."""
        return None

    def slope_of_output(self, a: np.ndarray) -> np.ndarray | None:
        """:math:`g'(z)` from the output :math:`a = g(z)` alone, when the slope is a function of
        it (None otherwise, the default); equal to ``backward(ones)`` after ``forward(z)``."""
        return None


def register_layer(cls: type[Layer] | None = None, *, replace: bool = False) -> Any:
    """Register a layer class under its ``name`` (a class decorator, also callable directly).

    The class must subclass :class:`Layer`, set ``name`` and rebuild from ``get_config()``.
    Registered layers are saved and loaded by :func:`backprop.save` / :func:`backprop.load`,
    named in specs by ``"type"``, and covered by the generic tests.
    """

    def apply(c: type[Layer]) -> type[Layer]:
        if not (isinstance(c, type) and issubclass(c, Layer)):
            raise TypeError(f"register_layer expects a Layer subclass, got {c!r}")
        if not c.name:
            raise ValueError(f"{c.__name__} needs a class attribute 'name' to be registered")
        LAYERS.add(c.name, c, aliases=tuple(getattr(c, "aliases", ())), replace=replace)
        return c

    return apply if cls is None else apply(cls)


def register_activation(cls: type[Activation] | None = None, *, replace: bool = False) -> Any:
    """Register an activation class (see :class:`Activation` for what it should say about
    itself). It then works everywhere a name is accepted: ``bp.mlp(activation=...)``,
    ``backprop train --activation``, specs, the explanation, files and diagnostics."""

    def apply(c: type[Activation]) -> type[Activation]:
        if not (isinstance(c, type) and issubclass(c, Activation)):
            raise TypeError(f"register_activation expects an Activation subclass, got {c!r}")
        return register_layer(c, replace=replace)

    return apply if cls is None else apply(cls)


def activation_names(*, elementwise: bool | None = None) -> list[str]:
    """Names of the registered activations (only the element-wise ones, if asked)."""
    return [name for name, cls in LAYERS.items() if issubclass(cls, Activation)
            and (elementwise is None or cls.elementwise == elementwise)]


def activation_class(name: str) -> type[Activation]:
    """The activation class registered as ``name`` (``ValueError`` listing the known names)."""
    cls = LAYERS.get(name) if isinstance(name, str) else None
    if cls is None or not issubclass(cls, Activation):
        known = ", ".join(activation_names())
        raise ValueError(f"unknown activation {name!r}; known: {known}")
    return cls


def get_activation(name: str, **config: Any) -> Activation:
    """A fresh activation layer from its name (``"sigmoid"``, ``"relu"``, ...) and arguments."""
    return activation_class(name)(**config)
