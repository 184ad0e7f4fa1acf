r"""A stack of layers applied in order.

``forward`` runs :math:`A^{[0]} = X`, :math:`A^{[l]} = \text{layer}_l(A^{[l-1]})`;
``backward`` walks the same layers in reverse, passing each one ``dJ/d(output)`` and receiving
``dJ/d(input)`` -- exactly the article's recursion
:math:`\delta^{[l]} = (W^{[l+1]})^\top \delta^{[l+1]} \odot g'^{[l]}(Z^{[l]})`, split into the
affine step (:class:`Dense`) and the activation step.

Observers (the trace, diagnostics) attach with :meth:`Sequential.add_hook`; they see each layer's
input and output without changing what is computed.

This is the container of the engine; it knows nothing of training. ``bp.Sequential`` -- the class
users build networks with -- is :class:`backprop.models.Sequential`, this container plus ``fit``,
``evaluate``, ``predict`` and ``predict_proba``, which lives above the layers with the trainer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from ..parameters import FlatLayout, Parameter, flatten_parameters
from .base import REAL_KINDS, Layer, as_input

Hook = Callable[[str, int, Layer, np.ndarray, np.ndarray], None]


class _HookHandle:
    def __init__(self, hooks: list[Hook], hook: Hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self) -> _HookHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


class Sequential(Layer):
    """Layers applied one after the other (the engine's container; see the module docstring).

    Parameters
    ----------
    *layers : Layer
        The layers, input side first.

    Examples
    --------
    >>> import backprop as bp
    >>> import numpy as np
    >>> net = bp.Sequential(bp.Dense(2, 2, rng=0), bp.Sigmoid(),
    ...                     bp.Dense(2, 1, rng=1), bp.Sigmoid())
    >>> net.forward(np.zeros((4, 2))).shape
    (4, 1)
    """

    role = "container"

    def __init__(self, *layers: Layer):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(f"Sequential item {i} must be a Layer, got {type(layer).__name__}")
        self.layers: list[Layer] = list(layers)
        self._hooks: list[Hook] = []
        # Layers may write into reused buffers where only a neighbour reads the result: every
        # output but the network's own, every dJ/d(input) but the network's own.
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            layer.reuse_output = i < last
            layer.reuse_input_grad = i > 0
        # Parameters move into one contiguous buffer (and gradients into another): optimisers
        # then update them with whole-vector operations. Layers see views and do not notice.
        self.flat_layout: FlatLayout | None = flatten_parameters(self.parameters())

    def __deepcopy__(self, memo: dict[int, Any]) -> Sequential:
        # deepcopy turns each view into an array of its own: rebuild the flat buffers
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for key, value in self.__dict__.items():
            setattr(new, key, copy.deepcopy(value, memo))
        new.flat_layout = flatten_parameters(new.parameters())
        return new

    def __setstate__(self, state: dict[str, Any]) -> None:
        # unpickling, like deepcopy, gives every view an array of its own: re-flatten. An
        # unpickler may also hand out read-only (memory-mapped) arrays: train on copies.
        self.__dict__.update(state)
        for p in self.parameters():
            if not p.data.flags.writeable:
                p.data = np.array(p.data)
            if not p.grad.flags.writeable:
                p.grad = np.array(p.grad)
        for layer in self.layers:
            for name, arr in layer.buffers().items():
                if not arr.flags.writeable:
                    setattr(layer, name, np.array(arr))
        self.flat_layout = flatten_parameters(self.parameters())

    # --- contract -------------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        if type(x) is not np.ndarray or x.dtype.kind not in REAL_KINDS:
            x = as_input(x, "Sequential.forward")  # lists, and a clear error for complex input
        hooks = self._hooks
        for i, layer in enumerate(self.layers):
            y = layer.forward(x)
            if hooks:
                for hook in hooks:
                    hook("forward", i, layer, x, y)
            x = y
        self._out_shape = x.shape
        return x

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Propagate ``dy = dJ/d(output)`` back through every layer; return ``dJ/dX``.

        With ``input_grad=False`` the gradient with respect to the network's input is not
        computed (``None`` is returned) -- PyTorch likewise skips it for inputs that do not
        require grad. Training loops pass ``False``: it saves the first layer's ``dZ W``
        product, about 40% of the backward products for a 784-wide input.
        """
        if type(dy) is not np.ndarray or dy.dtype.kind not in REAL_KINDS:
            dy = as_input(dy, "Sequential.backward")
        expected = self.__dict__.get("_out_shape")
        if expected is None:
            raise RuntimeError("Sequential.backward called before forward")
        if dy.shape != expected:
            raise ValueError(f"backward takes dJ/d(output) of the last forward's output shape "
                             f"{expected}, got shape {dy.shape}")
        hooks = self._hooks
        for i in range(len(self.layers) - 1, -1, -1):
            layer = self.layers[i]
            dx = layer.backward(dy, input_grad=input_grad or i > 0)
            if hooks:
                for hook in hooks:
                    hook("backward", i, layer, dy, dx)
            dy = dx
        return dy

    def __call__(self, x: Any) -> np.ndarray:
        return self.forward(np.asarray(x))

    # --- observers ------------------------------------------------------------------------
    def add_hook(self, hook: Hook) -> _HookHandle:
        """Call ``hook(phase, index, layer, inp, out)`` after each layer's forward/backward.

        ``phase`` is ``"forward"`` (``inp`` = layer input, ``out`` = its output) or
        ``"backward"`` (``inp`` = dJ/d(output), ``out`` = dJ/d(input)). The arrays may be reused
        by the engine on the next step: copy what you keep. Returns a handle whose ``remove()``
        detaches the hook (also usable as a context manager).
        """
        self._hooks.append(hook)
        return _HookHandle(self._hooks, hook)

    # --- state ----------------------------------------------------------------------------
    def parameters(self) -> list[Parameter]:
        params = []
        for i, layer in enumerate(self.layers):
            for p in layer.parameters():
                p.name = f"{i}.{p.attr}"
                params.append(p)
        return params

    def buffers(self) -> dict[str, np.ndarray]:
        out = {}
        for i, layer in enumerate(self.layers):
            for name, arr in layer.buffers().items():
                out[f"{i}.{name}"] = arr
        return out

    def train(self, mode: bool = True) -> Sequential:
        self.training = bool(mode)
        for layer in self.layers:
            layer.train(mode)
        return self

    # --- description ----------------------------------------------------------------------
    @property
    def input_width(self) -> int | None:
        """The input width the first width-fixing layer requires (None if none does)."""
        for layer in self.layers:
            if layer.input_width is not None:
                return layer.input_width
            if layer.output_width(None) is not None:
                return None  # a layer that sets its own width comes first: any input width
        return None

    def output_width(self, n_in: int | None = None) -> int | None:
        """The width of the output for ``n_in`` inputs (``None`` when it cannot be told)."""
        width = n_in if n_in is not None else self.input_width
        for layer in self.layers:
            width = layer.output_width(width)
        return width

    def label(self) -> str:
        return "Sequential(" + ", ".join(layer.label() for layer in self.layers) + ")"

    # --- container protocol ---------------------------------------------------------------
    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = ",\n".join(f"  ({i}) {layer!r}" for i, layer in enumerate(self.layers))
        return f"Sequential(\n{inner}\n)"
