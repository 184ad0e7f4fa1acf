r"""Recording one training step as the engine performs it.

:func:`trace` copies the network, attaches an observer with :meth:`Sequential.add_hook`, and runs
the real step -- ``net.forward``, ``loss.forward``, ``loss.backward``, ``net.backward`` and
``SGD(...).step()``. The observer copies what each layer receives and returns; nothing here
computes a forward value or a gradient itself, so the trace shows exactly the numbers training
uses.

The article groups a ``Dense`` and the activation after it into one layer :math:`l`:

.. math::
    z^{[l]} = W^{[l]} a^{[l-1]} + b^{[l]}, \qquad a^{[l]} = g^{[l]}(z^{[l]}), \qquad
    \delta^{[l]} = \frac{\partial J}{\partial z^{[l]}}

with :math:`a^{[0]} = x`. :class:`LayerTrace` holds these arrays for one such layer, with
samples in rows (shape ``(m, n)``) as the engine keeps them.

Convention: ``delta`` is :math:`\partial J / \partial z^{[l]}` of the *cost*
:math:`J = \frac1m \sum_i L^{(i)}`, i.e. what arrives at the ``Dense`` output during backward.
For one sample it equals the article's :math:`\delta^{[l]}`; for a batch it is the article's
per-sample :math:`\delta^{[l](i)}` divided by :math:`m` (the loss carries the :math:`\frac1m`),
so that ``dW = delta.T @ a_prev`` with no further factor.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._checks import as_float_array, check_positive
from ..layers import Dense, Identity, Layer, Sequential, activation_names, get_activation
from ..losses import Loss
from ..optim import SGD


def _elementwise(layer: Layer) -> bool:
    """An activation whose slope g'(z) is one number per unit (what a trace explains)."""
    return layer.role == "activation" and bool(getattr(layer, "elementwise", False))


@dataclass
class LayerTrace:
    """One article layer :math:`l` (a ``Dense`` and its activation) during one step.

    Attributes
    ----------
    index : int
        :math:`l`, counted from 1 (the first layer after the input).
    activation : str
        The registry name of the element-wise activation after the ``Dense`` (``"identity"``
        for a ``Dense`` with no activation after it).
    activation_config : dict
        Its constructor arguments (the leaky ReLU's ``negative_slope``, ...).
    W : ndarray of shape (n_out, n_in)
        Weights before the update.
    b : ndarray of shape (n_out,) or None
        Bias before the update (None for a ``Dense`` without bias).
    a_prev : ndarray of shape (m, n_in)
        :math:`a^{[l-1]}`, the layer's input (:math:`x` for :math:`l = 1`).
    z, a : ndarray of shape (m, n_out)
        :math:`z^{[l]}` (the ``Dense`` output) and :math:`a^{[l]} = g(z^{[l]})`.
    g_prime : ndarray of shape (m, n_out)
        :math:`g'(z^{[l]})`, from the activation's own ``backward`` applied to ones.
    grad_a : ndarray of shape (m, n_out)
        :math:`\\partial J / \\partial a^{[l]}`, what arrives at the activation during backward.
    delta : ndarray of shape (m, n_out)
        :math:`\\partial J / \\partial z^{[l]}` (see the module note on :math:`1/m`).
    dW : ndarray of shape (n_out, n_in)
    db : ndarray of shape (n_out,) or None
    W_new, b_new : ndarray or None
        Parameters after the SGD step :math:`W \\leftarrow W - \\alpha\\, \\partial J/\\partial W`.
    """

    index: int
    activation: str
    activation_config: dict[str, Any]
    W: np.ndarray
    b: np.ndarray | None
    a_prev: np.ndarray
    z: np.ndarray
    a: np.ndarray
    g_prime: np.ndarray
    grad_a: np.ndarray
    delta: np.ndarray
    dW: np.ndarray
    db: np.ndarray | None
    W_new: np.ndarray
    b_new: np.ndarray | None

    @property
    def activation_layer(self) -> Layer:
        """A fresh layer of the activation, to ask for its notation and words."""
        return get_activation(self.activation, **self.activation_config)

    @property
    def n_in(self) -> int:
        return int(self.W.shape[1])

    @property
    def n_out(self) -> int:
        return int(self.W.shape[0])


@dataclass
class Trace:
    """Every number of one training step, layer by layer (see :func:`trace`).

    Attributes
    ----------
    x : ndarray of shape (m, n_0)
    y : ndarray
        The target as given to the loss (shape ``(m, k)``, or ``(m,)`` class labels).
    output : ndarray of shape (m, k)
        :math:`\\hat y = a^{[L]}`.
    loss : float
        The cost :math:`J = \\frac1m \\sum_i L^{(i)}` (:math:`= L` for one sample).
    sample_losses : ndarray of shape (m,)
        :math:`L^{(i)}`, each from the loss applied to sample ``i`` alone.
    grad_output : ndarray of shape (m, k)
        :math:`\\partial J / \\partial \\hat y` from ``loss.backward()``.
    loss_name : str
    learning_rate : float
    loss_fn : Loss
        The loss of the step (a copy), to ask for its notation and words.
    layers : list of LayerTrace
        ``layers[0]`` is the article's layer [1].
    """

    x: np.ndarray
    y: np.ndarray
    output: np.ndarray
    loss: float
    sample_losses: np.ndarray
    grad_output: np.ndarray
    loss_name: str
    learning_rate: float
    loss_fn: Loss = field(repr=False, compare=False)
    layers: list[LayerTrace] = field(default_factory=list)

    @property
    def batch_size(self) -> int:
        """:math:`m`, the number of samples."""
        return int(self.x.shape[0])

    @property
    def single_sample(self) -> bool:
        return self.batch_size == 1

    # --- export -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Plain lists and floats (full precision) for JSON.

        Shape: ``{"loss", "output", "layers": [{"W", "b", "z", "a", "delta", "dW", "db", "W_new",
        "b_new", ...}, ...], ...}``. With one sample, ``z``, ``a``, ``delta``, ``output``,
        ``input`` and ``target`` are 1-D lists; with a batch they are lists of rows.
        """
        one = self.single_sample

        def per_sample(arr: np.ndarray) -> Any:
            return arr[0].tolist() if one and arr.ndim == 2 else arr.tolist()

        def maybe(arr: np.ndarray | None) -> Any:
            return None if arr is None else arr.tolist()

        layers = []
        for t in self.layers:
            item: dict[str, Any] = {
                "index": t.index, "activation": t.activation,
                "W": t.W.tolist(), "b": maybe(t.b),
                "z": per_sample(t.z), "a": per_sample(t.a), "delta": per_sample(t.delta),
                "dW": t.dW.tolist(), "db": maybe(t.db),
                "W_new": t.W_new.tolist(), "b_new": maybe(t.b_new),
                "g_prime": per_sample(t.g_prime),
            }
            item.update(t.activation_config)
            layers.append(item)
        return {
            "loss": self.loss,
            "output": per_sample(self.output),
            "layers": layers,
            "input": per_sample(self.x),
            "target": per_sample(self.y),
            "loss_name": self.loss_name,
            "learning_rate": self.learning_rate,
            "batch_size": self.batch_size,
            "sample_losses": self.sample_losses.tolist(),
        }

    # --- writing (steps.py builds the document, a writer writes it; recording never formats) ---
    def to_text(self, lang: str = "en") -> str:
        """Steps 1-10 as plain text (UTF-8: Greek letters, subscripts written ``z[1]_1``)."""
        from .steps import build_document
        from .text import to_text

        return to_text(build_document(self, lang))

    def to_markdown(self, lang: str = "en") -> str:
        """Steps 1-10 as Markdown with LaTeX (``$...$`` inline, ``$$...$$`` display blocks)."""
        from .markdown import to_markdown
        from .steps import build_document

        return to_markdown(build_document(self, lang))

    def to_html(self, lang: str = "en", *, full: bool = True) -> str:
        """Steps 1-10 as self-contained HTML: math as MathML, the network as SVG, no scripts.

        ``full=False`` gives a fragment (a styled ``<div>``) instead of a whole page. Needs
        latex2mathml (``pip install 'backprop[report]'``).
        """
        from .page import write_page
        from .steps import build_document

        return write_page(build_document(self, lang), lang, full=full)

    def _repr_markdown_(self) -> str:
        return self.to_markdown()

    def _repr_html_(self) -> str | None:
        # typeset MathML even where the notebook has no MathJax; without latex2mathml, None
        # tells Jupyter to fall back to the Markdown
        try:
            return self.to_html(full=False)
        except ImportError:
            return None

    def __repr__(self) -> str:
        widths = [self.layers[0].n_in] + [t.n_out for t in self.layers] if self.layers else []
        return (f"Trace(layers={'-'.join(map(str, widths))}, m={self.batch_size}, "
                f"loss={self.loss:.6f}, lr={self.learning_rate:g})")


# --- recording ------------------------------------------------------------------------------------
def _article_layers(net: Sequential) -> list[tuple[int, int | None]]:
    """Positions ``(dense_index, activation_index or None)`` of each article layer."""
    layers = list(net)
    if not layers:
        raise ValueError("cannot trace an empty Sequential")
    names = ", ".join(activation_names(elementwise=True))
    groups: list[tuple[int, int | None]] = []
    i = 0
    while i < len(layers):
        if layers[i].role != "affine":
            kind = type(layers[i]).__name__
            if _elementwise(layers[i]):
                raise ValueError(f"cannot trace layer {i} ({kind}): an activation must follow "
                                 f"a Dense")
            raise ValueError(f"cannot trace layer {i} ({kind}): a trace explains Dense layers, "
                             f"each optionally followed by one of {names}")
        nxt = layers[i + 1] if i + 1 < len(layers) else None
        if nxt is None or nxt.role == "affine":
            groups.append((i, None))
            i += 1
        elif _elementwise(nxt):
            groups.append((i, i + 1))
            i += 2
        else:
            hint = ("; for a softmax output, trace the logits with SoftmaxCrossEntropy"
                    if nxt.role == "activation" else "")
            raise ValueError(f"cannot trace layer {i + 1} ({type(nxt).__name__}): a trace "
                             f"explains Dense layers, each optionally followed by one of "
                             f"{names}{hint}")
    return groups


class _Recorder:
    """The observer: copies each layer's input/output (forward) and gradients (backward)."""

    def __init__(self) -> None:
        self.forward: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.backward: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, phase: str, index: int, layer: Layer, inp: np.ndarray,
                 out: np.ndarray) -> None:
        # copies: the engine may reuse these buffers on the next call
        store = self.forward if phase == "forward" else self.backward
        store[index] = (np.array(inp, copy=True), np.array(out, copy=True))


def trace(net: Sequential, loss: Loss, X: Any, y: Any, *, lr: float) -> Trace:
    r"""Run one SGD step of ``net`` on ``(X, y)`` and record every number of it.

    The step is the engine's own, on a deep copy of ``net`` (the caller's network and loss are
    left as they were):

    .. math::
        \hat Y = \text{net}(X),\quad J = \text{loss}(\hat Y, y),\quad
        \text{net.backward}(\partial J/\partial \hat Y),\quad
        W \leftarrow W - \alpha\,\frac{\partial J}{\partial W}

    Parameters
    ----------
    net : Sequential
        ``Dense`` layers, each optionally followed by one element-wise activation (any
        registered one: identity, sigmoid, tanh, relu, ...); a ``Dense`` with no activation
        after it counts as
        identity.
    loss : Loss
    X : array-like of shape (m, n_0), or (n_0,) for one sample
    y : array-like
        The target in the form ``loss`` accepts.
    lr : float
        Learning rate :math:`\alpha > 0`.

    Returns
    -------
    Trace
    """
    if not isinstance(net, Sequential):
        raise TypeError(f"trace expects a Sequential, got {type(net).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"trace expects a Loss, got {type(loss).__name__}")
    lr = check_positive("learning rate", lr)
    groups = _article_layers(net)
    X = as_float_array("X", X)
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2:
        raise ValueError(f"X must have shape (m, n_features) or (n_features,), got {X.shape}")
    y_arr = np.asarray(y)
    if y_arr.ndim == 0:
        y_arr = y_arr.reshape(1, 1)  # one sample, one output unit, target given as a number
    elif y_arr.ndim == 1 and X.shape[0] == 1 and y_arr.shape[0] != 1:
        y_arr = y_arr[None, :]  # one sample's target given as a flat list of k values

    # A fresh Sequential over copied layers: the caller's hooks are not carried along.
    work = Sequential(*copy.deepcopy(list(net)))
    work.train(net.training)
    work_loss = copy.deepcopy(loss)
    recorder = _Recorder()
    with work.add_hook(recorder):
        output = work.forward(X)
        J = work_loss.forward(output, y_arr)
        grad_output = np.array(work_loss.backward(), copy=True)
        work.backward(grad_output)
    output = np.array(output, copy=True)

    m = X.shape[0]
    if m == 1:
        sample_losses = np.array([J])
    else:
        # each L^(i) from the same loss on sample i alone (a fresh copy: no shared state)
        sample_losses = np.array([copy.deepcopy(loss).forward(output[i:i + 1], y_arr[i:i + 1])
                                  for i in range(m)])

    records = []
    for l, (d, g) in enumerate(groups, start=1):
        dense: Dense = work[d]  # type: ignore[assignment]
        a_prev, z = recorder.forward[d]
        delta = recorder.backward[d][0]
        if g is None:
            act: Layer = Identity()
            a, grad_a = z, delta
            g_prime = np.ones_like(z)
        else:
            act = work[g]
            a = recorder.forward[g][1]
            grad_a = recorder.backward[g][0]
            # the activation's own backward applied to ones is its local slope g'(z)
            g_prime = np.array(act.backward(np.ones_like(z)), copy=True)
        records.append(dict(
            index=l, activation=act.name, activation_config=act.get_config(),
            W=dense.W.copy(), b=dense.b.copy() if dense.bias else None,
            a_prev=a_prev, z=z, a=a, g_prime=g_prime, grad_a=grad_a, delta=delta,
            dW=dense.dW.copy(), db=dense.db.copy() if dense.bias else None,
        ))

    SGD(work.parameters(), lr=lr).step()
    layers = []
    for (d, _), rec in zip(groups, records, strict=True):
        dense = work[d]  # type: ignore[assignment]
        layers.append(LayerTrace(W_new=dense.W.copy(),
                                 b_new=dense.b.copy() if dense.bias else None, **rec))
    return Trace(x=X.copy(), y=y_arr.copy(), output=output, loss=float(J),
                 sample_losses=sample_losses, grad_output=grad_output,
                 loss_name=getattr(loss, "name", type(loss).__name__), learning_rate=lr,
                 loss_fn=work_loss, layers=layers)
