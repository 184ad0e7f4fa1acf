"""Ready-made network builders."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._checks import as_rng, check_dtype, check_int, check_range
from .layers import Dense, Sequential, get_activation
from .layers.base import Layer

_RELU_LIKE = ("relu", "leaky_relu")


def mlp(sizes: Sequence[int], *, activation: str = "relu", init: str | None = None,
        batch_norm: bool = False, dropout: float = 0.0, dtype: Any = "float64",
        rng: Any = None) -> Sequential:
    """A multi-layer perceptron whose last layer is linear (losses take logits).

    Parameters
    ----------
    sizes : sequence of int
        Widths from input to output, e.g. ``[784, 256, 128, 10]``.
    activation : str, default "relu"
        Hidden activation: sigmoid, tanh, relu, leaky_relu or identity.
    init : str, optional
        Weight initialiser; by default He uniform for ReLU-like activations and Xavier uniform
        otherwise (each matched to the variance its activation preserves).
    batch_norm : bool, default False
        Insert :class:`BatchNorm` between each hidden Dense layer and its activation.
    dropout : float, default 0
        Dropout probability after each hidden activation (0 = none).
    dtype : float32 or float64
    rng : int or numpy.random.Generator, optional
        One generator feeds every layer in order, so one seed fixes the whole network.

    Returns
    -------
    Sequential
        ``Dense -> [BatchNorm] -> act -> [Dropout] -> ... -> Dense``.
    """
    from .layers import BatchNorm, Dropout

    sizes = [check_int("layer size", s, minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"mlp needs at least an input and an output size, got {sizes}")
    dropout = check_range("dropout p", dropout, 0.0, 1.0)
    dtype = check_dtype(dtype)
    gen = as_rng(rng)
    get_activation(activation)  # validate the name early
    if init is None:
        init = "he_uniform" if activation in _RELU_LIKE else "xavier_uniform"
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        last = i == len(sizes) - 2
        layers.append(Dense(n_in, n_out, init="xavier_uniform" if last else init, dtype=dtype,
                            rng=gen))
        if last:
            break
        if batch_norm:
            layers.append(BatchNorm(n_out, dtype=dtype))
        layers.append(get_activation(activation))
        if dropout > 0:
            layers.append(Dropout(dropout, rng=int(gen.integers(2**63))))
    return Sequential(*layers)
