r"""Gradient clipping on parameters, with ``torch.nn.utils``'s rules.

Call these between ``backward`` and ``step``; they rewrite ``p.grad`` in place. The optimisers'
``clip_norm=`` / ``clip_value=`` options apply the same rules inside the step instead (leaving
``p.grad`` untouched).
"""

from __future__ import annotations

from collections.abc import Iterable

from .._checks import check_positive
from ..parameters import Parameter
from .optimizers import as_parameter_list
from .transforms import clip_arrays_by_norm, clip_arrays_by_value


def clip_grad_norm(params: Iterable[Parameter] | Parameter, max_norm: float) -> float:
    r"""Scale all gradients together so their global L2 norm is at most ``max_norm``.

    .. math::
        \|g\| = \sqrt{\textstyle\sum_i \|g_i\|^2}, \qquad
        c = \frac{\text{max\_norm}}{\|g\| + 10^{-6}}, \qquad
        g_i \leftarrow c\, g_i \quad \text{if } c < 1

    Exactly ``torch.nn.utils.clip_grad_norm_`` (L2 norm): the :math:`10^{-6}` guards a zero
    gradient, so a clipped norm lands just below ``max_norm``.

    Parameters
    ----------
    params : Parameter or iterable of Parameter
        Usually ``net.parameters()``; each ``p.grad`` is scaled in place.
    max_norm : float
        Largest allowed global norm (> 0).

    Returns
    -------
    float
        The global norm **before** clipping (``0.0`` for no parameters); watch it to spot
        exploding gradients.
    """
    max_norm = check_positive("max_norm", max_norm)
    plist = as_parameter_list(params, allow_empty=True)
    return clip_arrays_by_norm([p.grad for p in plist], max_norm)


def clip_grad_value(params: Iterable[Parameter] | Parameter, clip_value: float) -> None:
    r"""Clamp every gradient entry to :math:`[-c, c]` in place, as ``clip_grad_value_``.

    .. math:: g \leftarrow \min(\max(g, -c),\, c)

    Unlike norm clipping this changes the gradient's direction.

    Parameters
    ----------
    params : Parameter or iterable of Parameter
    clip_value : float
        :math:`c > 0`.
    """
    clip_value = check_positive("clip_value", clip_value)
    plist = as_parameter_list(params, allow_empty=True)
    clip_arrays_by_value([p.grad for p in plist], clip_value)
