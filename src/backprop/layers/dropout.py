r"""Inverted dropout: randomly silence units during training, do nothing at evaluation."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._checks import as_rng, check_range
from .base import Layer, as_input, register_layer


def _jsonable(value: Any) -> Any:
    """NumPy arrays / integers inside a bit-generator state -> lists / ints (JSON-able)."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.integer):
        return int(value)
    return value


@register_layer
class Dropout(Layer):
    r"""Inverted dropout (Srivastava et al., 2014) with drop probability ``p``.

    In training mode each element is kept with probability :math:`1 - p`, independently, and
    kept elements are scaled up so that the expected output equals the input:

    .. math::
        M_{ij} \sim \mathrm{Bernoulli}(1 - p), \qquad
        Y = \frac{M \odot X}{1 - p}, \qquad \mathbb{E}[Y] = X

    Backward multiplies by the *same* mask and scale: :math:`dX = M \odot dY / (1 - p)`.
    In evaluation mode the layer is the identity (nothing to rescale, thanks to the training-time
    :math:`1/(1-p)`). Backward follows the mode that the matching ``forward`` ran in. ``p = 0`` is
    the identity in both modes and draws no random numbers.

    Parameters
    ----------
    p : float in [0, 1), default 0.5
        Probability of dropping an element.
    rng : int, numpy.random.Generator or None
        The layer's source of masks: an int seed (reproducible), a ``Generator`` (used as is, so
        shared with whoever else holds it) or ``None`` (fresh entropy).

    A worked example can fix the mask instead of drawing it: :meth:`set_mask` hands the layer
    the mask of its next training-mode ``forward`` (used once; nothing is drawn for it).

    Attributes
    ----------
    mask : ndarray of bool or None
        ``True`` where the last training-mode ``forward`` kept the element; ``None`` before any
        such forward, in evaluation mode and for ``p = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> import backprop as bp
    >>> drop = bp.Dropout(0.5, rng=0)
    >>> y = drop.forward(np.ones((2, 4)))
    >>> sorted(set(y.ravel().tolist()))
    [0.0, 2.0]
    >>> drop.eval().forward(np.ones((1, 3)))
    array([[1., 1., 1.]])
    """

    name = "dropout"
    role = "regularization"
    words = {"en": "dropout", "vi": "dropout"}

    def __init__(self, p: float = 0.5, *, rng: Any = None):
        super().__init__()
        self.p = check_range("p", p, 0.0, 1.0)
        self._rng = as_rng(rng)
        self.mask: np.ndarray | None = None
        # the mask already multiplied by 1/(1-p), in the input's dtype; None means identity
        self._factor: np.ndarray | None = None
        self._forwarded = False
        self._next_mask: np.ndarray | None = None  # set_mask's, for the next training forward

    def set_mask(self, mask: Any) -> None:
        """Use ``mask`` in the next training-mode ``forward`` instead of drawing one.

        Parameters
        ----------
        mask : array-like of bool or of 0 / 1, shape of the next input ``(m, n)``
            True (1) keeps an element, False (0) drops it; the kept ones are scaled by
            :math:`1/(1-p)` as always. Used by exactly one forward (the next one in training
            mode), which checks the shape; nothing is drawn from the generator for it.

        Raises
        ------
        ValueError
            For ``p = 0`` (nothing is ever dropped) or entries other than 0 / 1.
        """
        if self.p == 0.0:
            raise ValueError("Dropout(p=0) drops nothing, so it takes no mask")
        arr = np.asarray(mask)
        if arr.dtype == object or not (arr.dtype == np.bool_ or np.issubdtype(arr.dtype,
                                                                             np.number)):
            raise TypeError(f"a dropout mask holds booleans or 0 / 1, got dtype {arr.dtype}")
        if arr.ndim != 2:
            raise ValueError(f"a dropout mask has one row per sample, shape (m, n), got shape "
                             f"{arr.shape}")
        if arr.dtype != np.bool_:
            bad = arr[(arr != 0) & (arr != 1)]
            if bad.size:
                raise ValueError(f"a dropout mask holds 0 (drop) or 1 (keep), got {bad[0]}")
        self._next_mask = arr.astype(bool)

    def forward(self, x: np.ndarray) -> np.ndarray:
        if type(x) is not np.ndarray:
            x = as_input(x, "Dropout.forward")
        self._forwarded = True
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)  # an integer input cannot hold the scaled values
        if not self.training or self.p == 0.0:
            self.mask = None
            self._factor = None
            return x
        if self._next_mask is not None:
            keep, self._next_mask = self._next_mask, None
            if keep.shape != x.shape:
                raise ValueError(f"the mask given to Dropout.set_mask has shape {keep.shape}, "
                                 f"but the input has shape {x.shape}")
        else:
            keep = self._rng.random(x.shape) >= self.p
        self.mask = keep
        self._factor = keep * x.dtype.type(1.0 / (1.0 - self.p))
        return x * self._factor

    def backward(self, dy: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        if not self._forwarded:
            raise RuntimeError("Dropout.backward called before forward")
        if self._factor is None:
            return dy
        if dy.shape != self._factor.shape:
            raise ValueError(f"Dropout.backward expects dy of shape {self._factor.shape} (the "
                             f"forward output's), got {dy.shape}")
        return dy * self._factor

    def observables(self) -> dict[str, np.ndarray]:
        """``mask`` of the last training-mode forward (none in evaluation mode or for p = 0)."""
        return {} if self.mask is None else {"mask": self.mask}

    # --- random state, for checkpoints ----------------------------------------------------
    def get_rng_state(self) -> dict[str, Any]:
        """The mask generator's state as plain dicts, lists and ints (``json.dumps``-able).

        Restoring it with :meth:`set_rng_state` makes the following masks repeat exactly.
        """
        return _jsonable(self._rng.bit_generator.state)

    def set_rng_state(self, state: dict[str, Any]) -> None:
        """Restore a state returned by :meth:`get_rng_state` (also after a JSON round trip)."""
        expected = type(self._rng.bit_generator).__name__
        if not isinstance(state, dict) or "bit_generator" not in state:
            raise TypeError(f"rng state must be a dict from get_rng_state(), got {state!r}")
        if state["bit_generator"] != expected:
            raise ValueError(f"rng state is for bit generator {state['bit_generator']!r}, "
                             f"but this layer's generator is {expected!r}")
        try:
            self._rng.bit_generator.state = state
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"invalid {expected} rng state: {exc}") from exc

    def get_config(self) -> dict[str, Any]:
        # the generator is not a constructor argument worth saving: its state travels through
        # get_rng_state(), so a rebuilt layer can continue the same mask sequence
        return {"p": self.p}
