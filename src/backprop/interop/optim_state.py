r"""Optimiser state both ways: continue a run in the other library on the same trajectory.

``optimizer_to_torch(opt, tnet.parameters())`` builds the ``torch.optim`` optimiser that
``opt`` corresponds to, with the same hyper-parameters and its state;
``optimizer_from_torch(torch_opt, net)`` goes back. Together with
:func:`~backprop.interop.to_torch` / :func:`~backprop.interop.from_torch` a run started in
one library continues in the other on the same trajectory (float64: parameters equal to a
relative 1e-12 over 10 further steps, both directions; ``tests/test_interop_optim.py``).

What corresponds to what, with the state per parameter ``i``:

* ``bp.SGD`` <-> ``torch.optim.SGD`` (``momentum``, ``dampening``, ``nesterov``,
  ``weight_decay``): ``momentum.buf.<i>`` <-> ``momentum_buffer`` (absent on both sides before
  the first step);
* ``bp.Adam`` <-> ``torch.optim.Adam`` and ``bp.AdamW`` <-> ``torch.optim.AdamW`` (or
  ``torch.optim.Adam(decoupled_weight_decay=True)``): ``adam.exp_avg.<i>`` <-> ``exp_avg``,
  ``adam.exp_avg_sq.<i>`` <-> ``exp_avg_sq``, and ``adam.t`` <-> ``step`` -- one count for all
  parameters here, one per parameter there (they must agree).

The update rules are the same (backprop follows ``torch.optim``; see :mod:`backprop.optim`), so
nothing is rescaled. What is converted:

* **weight-decay masks** become parameter groups: each run of consecutive parameters with the
  same mask value is one group, whose ``weight_decay`` is the optimiser's or 0; going back,
  groups whose ``weight_decay`` is 0 become masked-out parameters. Groups must otherwise agree
  (one ``lr``, one ``betas``, ...), since backprop's optimisers have one of each.
* **the parameter order**: torch's state is keyed by position in the concatenated groups.
  ``optimizer_to_torch`` keeps ``opt.params``' order, which is ``to_torch(net).parameters()``'s;
  ``optimizer_from_torch`` assumes the groups list the parameters in ``net.parameters()``'s order
  unless given ``torch_params`` in that order.

Not converted: gradient clipping (``clip_norm`` / ``clip_value``: torch clips outside the
optimiser, with ``torch.nn.utils.clip_grad_norm_`` before ``step()``; converting warns),
learning-rate schedules (rebuild them on the other side; a schedule's state is its own), and
options one side lacks (``amsgrad``, ``maximize``: refused with ``ValueError``). Other
optimiser types raise ``TypeError``. ``Optimizer.n_steps`` becomes Adam's step count; torch's SGD
keeps no count, so it starts at 0.

A trap when comparing runs: a parameter whose gradient is 0 in exact arithmetic -- the bias of a
Dense layer right before a batch norm in training mode, which the normalisation subtracts away --
receives gradients of pure rounding noise (~1e-17), and Adam's :math:`m / (\sqrt v + \epsilon)`
turns that noise into steps of up to :math:`\alpha \cdot 10^{-9}` that differ between any two
libraries. Neither is wrong; leave such biases out (``Dense(..., bias=False)``), as is usual.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..optim import SGD, Adam, AdamW, Optimizer
from ..parameters import Parameter
from ._optional import require


def _groups_from_mask(params: list[Any], mask: list[bool] | None, weight_decay: float
                      ) -> list[dict[str, Any]]:
    """Consecutive runs of equal mask values -> torch parameter groups, in order."""
    if mask is None or weight_decay == 0.0:
        return [{"params": params, "weight_decay": weight_decay}]
    groups: list[dict[str, Any]] = []
    for p, decays in zip(params, mask, strict=True):
        wd = weight_decay if decays else 0.0
        if groups and groups[-1]["weight_decay"] == wd:
            groups[-1]["params"].append(p)
        else:
            groups.append({"params": [p], "weight_decay": wd})
    return groups


def _as_numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def optimizer_to_torch(opt: Optimizer, torch_params: Iterable[Any]) -> Any:
    """The ``torch.optim`` optimiser over ``torch_params`` that continues ``opt``'s run.

    Parameters
    ----------
    opt : backprop SGD, Adam or AdamW
    torch_params : iterable of torch.nn.Parameter
        In the order of ``opt.params`` -- ``to_torch(net).parameters()`` for an optimiser made
        with ``net.parameters()``.

    Returns
    -------
    torch.optim.SGD, torch.optim.Adam or torch.optim.AdamW
        With the same hyper-parameters and state (moments, momentum buffers, step count).

    Raises
    ------
    TypeError
        For another optimiser type.
    ValueError
        When the parameters do not match in number or shape, or for an option torch lacks.

    Examples
    --------
    >>> import backprop as bp
    >>> net = bp.mlp([3, 8, 2], rng=0)
    >>> opt = bp.Adam(net.parameters(), lr=1e-2)
    >>> # ... train a while with net.fit(..., optimizer=opt) ...
    >>> tnet = bp.to_torch(net)                                           # doctest: +SKIP
    >>> topt = bp.interop.optimizer_to_torch(opt, tnet.parameters())    # doctest: +SKIP
    """
    torch = require("torch", "optimizer_to_torch")
    tparams = list(torch_params)
    if not isinstance(opt, (SGD, Adam)):
        raise TypeError(f"optimizer_to_torch converts SGD, Adam and AdamW, not "
                        f"{type(opt).__name__}")
    if len(tparams) != len(opt.params):
        raise ValueError(f"the optimiser has {len(opt.params)} parameters, torch_params "
                         f"{len(tparams)}")
    for i, (p, t) in enumerate(zip(opt.params, tparams, strict=True)):
        if tuple(t.shape) != p.shape:
            raise ValueError(f"parameter {i} ({p.name}) has shape {p.shape}, the torch "
                             f"parameter {tuple(t.shape)}")
    for option in ("amsgrad", "maximize"):
        if getattr(opt, option, False):
            raise ValueError(f"{type(opt).__name__}({option}=True) cannot be converted")
    clips = [t.name for t in opt.transforms if t.name in ("clip_norm", "clip_value")]
    if clips:
        warnings.warn(f"{type(opt).__name__} clips gradients ({', '.join(clips)}); torch.optim "
                      f"does not: call torch.nn.utils.clip_grad_norm_ / clip_grad_value_ "
                      f"before each step() to stay on the same trajectory", UserWarning,
                      stacklevel=2)
    decay = opt.transform("weight_decay")
    groups = _groups_from_mask(tparams, decay.mask, float(decay.weight_decay))
    state = opt.state_dict()
    arrays = state["arrays"]
    if isinstance(opt, SGD):
        topt = torch.optim.SGD(groups, lr=opt.lr, momentum=opt.momentum,
                               dampening=opt.dampening, nesterov=opt.nesterov)
        per_param = []
        for i in range(len(tparams)):
            started = state.get("momentum.started", False)
            per_param.append({"momentum_buffer": torch.from_numpy(arrays[f"momentum.buf.{i}"])}
                             if started else None)
    else:
        cls = torch.optim.AdamW if isinstance(opt, AdamW) else torch.optim.Adam
        topt = cls(groups, lr=opt.lr, betas=opt.betas, eps=opt.eps)
        t = int(state["adam.t"])
        per_param = []
        for i in range(len(tparams)):
            per_param.append({"step": torch.tensor(float(t), dtype=torch.float32),
                              "exp_avg": torch.from_numpy(arrays[f"adam.exp_avg.{i}"]),
                              "exp_avg_sq": torch.from_numpy(arrays[f"adam.exp_avg_sq.{i}"])}
                             if t > 0 else None)
    # through load_state_dict, torch's documented way in: it checks the groups and moves each
    # state tensor to its parameter's device and dtype
    sd = topt.state_dict()
    sd["state"] = {i: s for i, s in enumerate(per_param) if s is not None}
    topt.load_state_dict(sd)
    return topt


def _common(groups: list[dict[str, Any]], key: str, default: Any = None) -> Any:
    values = []
    for g in groups:
        v = g.get(key, default)
        v = tuple(float(x) for x in v) if isinstance(v, (tuple, list)) else v
        v = float(v) if hasattr(v, "item") else v
        if v not in values:
            values.append(v)
    if len(values) != 1:
        raise ValueError(f"the parameter groups differ in {key!r} ({values}); backprop's "
                         f"optimisers have one {key} for all parameters")
    return values[0]


def optimizer_from_torch(torch_opt: Any, net: Any,
                         torch_params: Iterable[Any] | None = None) -> Optimizer:
    """The backprop optimiser over ``net.parameters()`` that continues ``torch_opt``'s run.

    Parameters
    ----------
    torch_opt : torch.optim.SGD, torch.optim.Adam or torch.optim.AdamW
    net : backprop Sequential or list of Parameter
        Usually ``from_torch(module)`` for the module ``torch_opt`` trains.
    torch_params : iterable of torch.nn.Parameter, optional
        ``torch_opt``'s parameters in the order of ``net.parameters()`` (e.g.
        ``module.parameters()``); by default the order of ``torch_opt.param_groups``.

    Returns
    -------
    backprop.SGD, backprop.Adam or backprop.AdamW
        With the same hyper-parameters (a decay mask where groups differ in weight decay) and
        state.

    Raises
    ------
    TypeError
        For another optimiser type.
    ValueError
        When groups differ in anything but weight decay, steps differ between parameters, the
        parameters do not match, or for an option backprop lacks (amsgrad, maximize).
    """
    torch = require("torch", "optimizer_from_torch")
    kinds = {torch.optim.SGD: "sgd", torch.optim.Adam: "adam", torch.optim.AdamW: "adamw"}
    kind = kinds.get(type(torch_opt))
    if kind is None:
        raise TypeError(f"optimizer_from_torch converts torch.optim.SGD, Adam and AdamW, not "
                        f"{type(torch_opt).__name__}")
    params: list[Parameter] = (list(net.parameters()) if hasattr(net, "parameters")
                               else list(net))
    groups = torch_opt.param_groups
    in_groups = [p for g in groups for p in g["params"]]
    order = in_groups if torch_params is None else list(torch_params)
    if len(order) != len(params) or len(in_groups) != len(params):
        raise ValueError(f"the torch optimiser has {len(in_groups)} parameters, the network "
                         f"{len(params)}")
    position = {id(t): k for k, t in enumerate(in_groups)}  # index in torch's state dict
    if any(id(t) not in position for t in order):
        raise ValueError("torch_params holds a tensor the torch optimiser does not update")
    for i, (p, t) in enumerate(zip(params, order, strict=True)):
        if tuple(t.shape) != p.shape:
            raise ValueError(f"parameter {i} ({p.name}) has shape {p.shape}, the torch "
                             f"parameter {tuple(t.shape)}")
    for option in ("amsgrad", "maximize"):
        if any(g.get(option, False) for g in groups):
            raise ValueError(f"{type(torch_opt).__name__}({option}=True) has no backprop "
                             f"counterpart")
    # weight decay: one value, or 0 for some groups (a decay mask)
    group_of = {id(t): g for g in groups for t in g["params"]}
    wds = [float(group_of[id(t)]["weight_decay"]) for t in order]
    nonzero = sorted({w for w in wds if w != 0.0})
    if len(nonzero) > 1:
        raise ValueError(f"the parameter groups have weight decays {nonzero}; backprop's "
                         f"optimisers have one (and a mask of which parameters decay)")
    wd = nonzero[0] if nonzero else 0.0
    mask = None if wd == 0.0 or all(w != 0.0 for w in wds) else [w != 0.0 for w in wds]
    lr = float(_common(groups, "lr"))
    state = torch_opt.state_dict()["state"]
    per_param = [state.get(position[id(t)]) for t in order]
    if kind == "sgd":
        opt: Optimizer = SGD(params, lr=lr, momentum=_common(groups, "momentum"),
                             dampening=_common(groups, "dampening"),
                             nesterov=_common(groups, "nesterov"), weight_decay=wd,
                             decay_mask=mask)
        sd = opt.state_dict()
        bufs = [s.get("momentum_buffer") if s else None for s in per_param]
        started = [b is not None for b in bufs]
        if any(started) and not all(started):
            raise ValueError("only some parameters have a momentum buffer; backprop starts the "
                             "buffers of all parameters at the same step")
        sd["momentum.started"] = all(started)
        if all(started):
            sd["arrays"] = {f"momentum.buf.{i}": _as_numpy(b) for i, b in enumerate(bufs)}
    else:
        decoupled = kind == "adamw" or _common(groups, "decoupled_weight_decay", False)
        cls = AdamW if decoupled else Adam
        opt = cls(params, lr=lr, betas=_common(groups, "betas"), eps=_common(groups, "eps"),
                  weight_decay=wd, decay_mask=mask)
        sd = opt.state_dict()
        steps = {float(s["step"]) if s else 0.0 for s in per_param}
        if len(steps) != 1:
            raise ValueError(f"the parameters have taken different numbers of steps "
                             f"{sorted(steps)}; backprop's Adam keeps one count for all")
        t = int(steps.pop())
        sd["adam.t"] = t
        sd["n_steps"] = t
        if t > 0:
            arrays = {}
            for i, s in enumerate(per_param):
                arrays[f"adam.exp_avg.{i}"] = _as_numpy(s["exp_avg"])
                arrays[f"adam.exp_avg_sq.{i}"] = _as_numpy(s["exp_avg_sq"])
            sd["arrays"] = arrays
    opt.load_state_dict(sd)
    return opt
