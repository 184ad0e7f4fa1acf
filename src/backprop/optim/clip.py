r"""Gradient clipping on parameters, with ``torch.nn.utils``'s rules.

Call these between ``backward`` and ``step``; they rewrite ``p.grad`` in place. The optimisers'
``clip_norm=`` / ``clip_value=`` options apply the same rules inside the step instead (leaving
``p.grad`` untouched).
"""

from __future__ import annotations

from collections.abc import Iterable

from .._checks import check_bool, check_norm_type, check_positive
from ..parameters import Parameter
from .optimizers import as_parameter_list
from .transforms import clip_arrays_by_norm, clip_arrays_by_value


def clip_grad_norm(params: Iterable[Parameter] | Parameter, max_norm: float,
                   norm_type: float = 2.0, error_if_nonfinite: bool = False) -> float:
    r"""Scale all gradients together so their global p-norm is at most ``max_norm``.

    .. math::
        \|g\|_p = \Bigl(\textstyle\sum_i \|g_i\|_p^{\,p}\Bigr)^{1/p}, \qquad
        c = \frac{\text{max\_norm}}{\|g\|_p + 10^{-6}}, \qquad
        g_i \leftarrow c\, g_i \quad \text{if } c < 1

    with :math:`\|g\|_\infty = \max_{i,k} |g_{i,k}|`. Exactly
    ``torch.nn.utils.clip_grad_norm_``: the :math:`10^{-6}` guards a zero gradient, so a clipped
    norm lands just below ``max_norm``; a NaN or infinite norm scales the gradients to NaN / 0
    as PyTorch does, unless ``error_if_nonfinite=True``.

    Parameters
    ----------
    params : Parameter or iterable of Parameter
        Usually ``net.parameters()``; each ``p.grad`` is scaled in place.
    max_norm : float
        Largest allowed global norm (> 0).
    norm_type : float, default 2
        The order :math:`p > 0` of the norm, or ``inf`` (``float("inf")`` or ``"inf"``).
    error_if_nonfinite : bool, default False
        Raise instead of clipping when the total norm is NaN or infinite.

    Returns
    -------
    float
        The global norm **before** clipping (``0.0`` for no parameters); watch it to spot
        exploding gradients.

    Raises
    ------
    RuntimeError
        With ``error_if_nonfinite=True`` and a NaN or infinite total norm (the gradients are
        left untouched).
    """
    max_norm = check_positive("max_norm", max_norm)
    norm_type = check_norm_type("norm_type", norm_type)
    error_if_nonfinite = check_bool("error_if_nonfinite", error_if_nonfinite)
    plist = as_parameter_list(params, allow_empty=True)
    return clip_arrays_by_norm([p.grad for p in plist], max_norm, norm_type, error_if_nonfinite)


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
