r"""The catalogue of misconceptions: each one a small, deliberately wrong variant of one local
step of backpropagation, with what it shows and how to fix it, in every language.

A marker who finds a wrong number asks: which wrong rule, applied to the learner's own numbers,
gives exactly this number? Each :class:`Misconception` answers for one wrong rule: the
quantities it shows in (by the worksheet's kinds and roles, see :class:`~.worksheet.Site`),
its variants (each recomputes the quantity from a :class:`~.worksheet.Values` table the wrong
way, reusing the right rule and the engine's pieces where it can), and its sentence and fix in
every language. Planting one in a worksheet (:func:`plant`) writes the numbers of a learner who
holds it: the wrong rule at one step, the right rules everywhere else, so the consequences are
carried forward.

The catalogue is a :class:`~backprop.registry.Registry`; a new misconception is one entry::

    register_misconception(Misconception("my_slip", ("delta",), (rule,), words={...}))
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..layers import get_activation
from ..optim import Momentum, ScaleByAdam
from ..registry import Registry
from .worksheet import Site, Values, Worksheet

#: ``rule(site, v)``: the quantity at ``site`` computed the wrong way from the numbers in ``v``
Rule = Callable[[Site, Values], Any]


@dataclass(frozen=True)
class Misconception:
    """One wrong rule.

    Attributes
    ----------
    id : str
    shows_in : tuple of str
        The kinds (``"delta"``, ``"W_new"``) or roles (``"new_param"``, ``"param_grad"``) of the
        quantities it changes.
    variants : tuple of Rule
        The ways a learner holding it computes such a quantity (the first is the one
        :func:`plant` writes); a variant may raise ``LookupError`` or ``ValueError`` where it
        does not apply.
    words : mapping of language to (str, str)
        What went wrong and the fix.
    applies : callable, optional
        ``applies(site)``: where it can happen at all (a batch, the output layer, Adam, ...).
    """

    id: str
    shows_in: tuple[str, ...]
    variants: tuple[Rule, ...]
    words: Mapping[str, tuple[str, str]]
    applies: Callable[[Site], bool] = lambda site: True

    def at(self, site: Site) -> bool:
        """Whether this misconception can show in the quantity at ``site``."""
        if site.kind not in self.shows_in and site.role not in self.shows_in:
            return False
        try:
            return bool(self.applies(site))
        except (LookupError, ValueError, AttributeError):
            return False

    def sentence(self, lang: str) -> str:
        return (self.words.get(lang) or self.words["en"])[0]

    def fix(self, lang: str) -> str:
        return (self.words.get(lang) or self.words["en"])[1]

    def values(self, site: Site, v: Values) -> list[np.ndarray]:
        """Every variant's value of the quantity from the numbers in ``v`` (those that
        apply)."""
        assert site.quantity is not None
        out = []
        for rule in self.variants:
            try:
                with np.errstate(all="ignore"):
                    out.append(site.quantity.fit(rule(site, v)))
            except (LookupError, ValueError, AttributeError, ZeroDivisionError):
                continue
        return out


#: every misconception by its id
MISCONCEPTIONS: Registry[Misconception] = Registry("misconception")


def register_misconception(m: Misconception, *, replace: bool = False) -> Misconception:
    """Add a misconception to the catalogue (it needs a sentence and a fix in English)."""
    if "en" not in m.words or len(m.words["en"]) != 2:
        raise ValueError(f"misconception {m.id!r} needs words['en'] = (sentence, fix)")
    return MISCONCEPTIONS.add(m.id, m, replace=replace)


# --- what the rules share ----------------------------------------------------------------------
def _array(v: Values, key: str) -> np.ndarray:
    return np.asarray(v[key], dtype=np.float64)


def _hidden(site: Site) -> bool:
    """An error of a hidden layer, whose next layer is an article layer."""
    return "delta_next" in site.keys


def _slope_not_one(site: Site) -> bool:
    layer = site.layer
    return layer is not None and not layer.fused and not np.allclose(layer.g_prime, 1.0)


def _batch(site: Site) -> bool:
    return site.m > 1


def _trained(site: Site) -> bool:
    """A parameter the optimiser updates (not a frozen one)."""
    return site.keys.get("param") in site.sheet.trained_paths(site.step)


def _rate(site: Site) -> float:
    return float(site.trace.learning_rate)


def _adam(site: Site) -> dict[str, Any]:
    st = site.settings(ScaleByAdam)
    if st is None or not st["alone"] or st["amsgrad"]:
        raise LookupError("no plain Adam step here")
    return st


def _adam_step(site: Site, v: Values, m: np.ndarray, vv: np.ndarray, *, inside: bool = False
               ) -> np.ndarray:
    """:math:`\\alpha\\, m / (\\sqrt{v} + \\varepsilon)`, or with ε under the root."""
    st = _adam(site)
    den = np.sqrt(vv + st["eps"]) if inside else np.sqrt(vv) + st["eps"]
    return st["lr"] * m / den


def _on_update(site: Site, v: Values, step: np.ndarray) -> np.ndarray:
    """The quantity at ``site`` when the step :math:`\\alpha u` is ``step``: the update itself,
    or the parameter minus it."""
    if site.kind == "update":
        return step
    return _array(v, site.keys["param"]) - step


# --- the rules ------------------------------------------------------------------------------------
def _no_slope(site: Site, v: Values) -> np.ndarray:
    return v.scale * site.rows(v, "grad_a")


def _slope_at_z(site: Site, v: Values) -> np.ndarray:
    slope = site.slope_of_output(site.rows(v, "z"))
    if slope is None:
        raise LookupError("the slope is not written with a")
    if site.kind == "g_prime":
        return slope
    return v.scale * site.rows(v, "grad_a") * slope


def _flipped(site: Site, v: Values) -> np.ndarray:
    return -site.correct(v)


def _with_weights(key: str, transpose: bool) -> Rule:
    def rule(site: Site, v: Values) -> np.ndarray:
        W = _array(v, site.keys[key])
        if transpose:
            if W.shape[0] != W.shape[1]:
                raise ValueError("W is not square: Wδ does not fit")
            W = W.T
        return v.scale * site.backward_input(v, W) * site.rows(v, "g_prime")

    return rule


def _times_m(site: Site, v: Values) -> np.ndarray:
    return site.m * site.correct(v)


def _over_m(site: Site, v: Values) -> np.ndarray:
    return site.correct(v) / site.m


def _first_sample(times_m: bool) -> Rule:
    def rule(site: Site, v: Values) -> np.ndarray:
        first = site.rows(v, "delta")[0] / v.scale
        return first * site.m if times_m else first

    return rule


def _added(site: Site, v: Values) -> np.ndarray:
    return _array(v, site.keys["param"]) + site.step_size(v)


def _rate_scaled(power: int) -> Rule:
    """The step with :math:`\\alpha^{power}` more: -1 leaves α out, +1 puts it in twice."""
    def rule(site: Site, v: Values) -> np.ndarray:
        factor = _rate(site) ** power
        if site.kind == "update":
            return site.correct(v) * factor
        return _array(v, site.keys["param"]) - site.step_size(v) * factor

    return rule


def _doubled(site: Site, v: Values) -> np.ndarray:
    return 2.0 * site.correct(v)


def _eps_inside(site: Site, v: Values) -> np.ndarray:
    step = _adam_step(site, v, _array(v, site.keys["exp_avg_hat"]),
                      _array(v, site.keys["exp_avg_sq_hat"]), inside=True)
    return _on_update(site, v, step)


def _uncorrected(site: Site, v: Values) -> np.ndarray:
    _adam(site)
    if site.kind == "exp_avg_hat":
        return _array(v, site.keys["exp_avg"])
    if site.kind == "exp_avg_sq_hat":
        return _array(v, site.keys["exp_avg_sq"])
    step = _adam_step(site, v, _array(v, site.keys["exp_avg"]),
                      _array(v, site.keys["exp_avg_sq"]))
    return _on_update(site, v, step)


def _velocity(sign: float) -> Rule:
    """The buffer in the velocity form, α inside: :math:`\\mu b_{t-1} \\pm \\alpha g_t`."""
    def rule(site: Site, v: Values) -> np.ndarray:
        st = site.settings(Momentum)
        if st is None:
            raise LookupError("no momentum here")
        g = _array(v, site.keys["grad"])
        before = (_array(v, site.keys["prev_momentum_buffer"])
                  if "prev_momentum_buffer" in site.keys else 0.0)
        return st["momentum"] * before + sign * st["lr"] * g

    return rule


def _times_link_slope(diagonal: bool) -> Rule:
    """:math:`p - y` multiplied once more by the link's derivative: element by element
    :math:`p(1-p)`, or through the link's own backward (its Jacobian)."""
    def rule(site: Site, v: Values) -> np.ndarray:
        right = site.correct(v)
        p = site.rows(v, "a")
        if diagonal:
            return right * p * (1.0 - p)
        link = get_activation(site.trace.loss_fn.link)
        link.forward(site.rows(v, "z"))
        return link.backward(np.reshape(right, p.shape))

    return rule


def _loss_has_half(site: Site) -> bool:
    scale = site.trace.loss_fn.notation().scale
    return scale is not None and scale[1] == "½"


# --- the catalogue --------------------------------------------------------------------------------
_CATALOGUE = (
    Misconception(
        "missing_activation_derivative", ("delta",), (_no_slope,), {
            "en": ("You left out the activation's slope g'(z): the error δ is ∂L/∂a times "
                   "g'(z), not ∂L/∂a alone.",
                   "Multiply by g'(z) (for the sigmoid σ'(z) = a(1 - a), for tanh 1 - a²)."),
            "vi": ("Bạn đã bỏ quên đạo hàm g'(z) của hàm kích hoạt: sai số δ bằng ∂L/∂a nhân "
                   "g'(z), không chỉ ∂L/∂a.",
                   "Hãy nhân thêm g'(z) (với sigmoid σ'(z) = a(1 - a), với tanh 1 - a²)."),
        }, applies=_slope_not_one),
    Misconception(
        "derivative_of_wrong_value", ("g_prime", "delta"), (_slope_at_z,), {
            "en": ("You took the slope at z instead of at a: the formula a(1 - a) (tanh: "
                   "1 - a²) takes the activation a = g(z), not z.",
                   "Put a = g(z), not z, into the slope's formula."),
            "vi": ("Bạn đã tính đạo hàm tại z thay vì tại a: công thức a(1 - a) (tanh: "
                   "1 - a²) dùng giá trị kích hoạt a = g(z), không phải z.",
                   "Hãy thay a = g(z), không phải z, vào công thức đạo hàm."),
        }, applies=lambda site: not site.layer.fused and site.slope_of_output(
            np.zeros(1)) is not None),
    Misconception(
        "error_sign", ("delta",), (_flipped,), {
            "en": ("The output error has the wrong sign: you used y - ŷ where ŷ - y belongs "
                   "(∂L/∂ŷ = ŷ - y).",
                   "Write the output error as (ŷ - y)·g'(z), or p - y with softmax and "
                   "cross-entropy."),
            "vi": ("Sai số ở lớp ra bị ngược dấu: bạn dùng y - ŷ trong khi phải là ŷ - y "
                   "(∂L/∂ŷ = ŷ - y).",
                   "Hãy viết sai số lớp ra là (ŷ - y)·g'(z), hoặc p - y với softmax và "
                   "cross-entropy."),
        }, applies=lambda site: site.output),
    Misconception(
        "updated_weights_in_backward", ("delta",), (_with_weights("W_new_next", False),), {
            "en": ("You sent the error back through the next layer's updated weights; "
                   "backpropagation uses the weights of the forward pass.",
                   "Use W from before the update to compute every δ; update the weights only "
                   "after all the errors are computed."),
            "vi": ("Bạn đã lan truyền sai số ngược qua trọng số đã cập nhật của lớp sau; lan "
                   "truyền ngược dùng trọng số của pha lan truyền tiến.",
                   "Hãy dùng W trước khi cập nhật để tính mọi δ; chỉ cập nhật trọng số sau khi "
                   "đã tính xong mọi sai số."),
        }, applies=_hidden),
    Misconception(
        "transposed_weights", ("delta",), (_with_weights("W_next", True),), {
            "en": ("You multiplied by W instead of its transpose: hidden unit j collects "
                   "Σ_k w_kj·δ_k through the weights that leave it (column j of W).",
                   "Use column j of the next layer's W, i.e. Wᵀδ."),
            "vi": ("Bạn đã nhân với W thay vì ma trận chuyển vị của nó: nơ-ron ẩn j thu về "
                   "Σ_k w_kj·δ_k qua các trọng số đi ra từ nó (cột j của W).",
                   "Hãy dùng cột j của W lớp sau, tức Wᵀδ."),
        }, applies=_hidden),
    Misconception(
        "missing_batch_mean", ("param_grad",), (_times_m,), {
            "en": ("You summed the batch instead of averaging: the cost J is the mean of the "
                   "samples' losses, so its gradient carries 1/m.",
                   "Divide the sum over the m samples by m."),
            "vi": ("Bạn đã cộng dồn cả batch thay vì lấy trung bình: hàm chi phí J là trung "
                   "bình mất mát của các mẫu, nên gradient của nó có thừa số 1/m.",
                   "Hãy chia tổng trên m mẫu cho m."),
        }, applies=_batch),
    Misconception(
        "double_batch_mean", ("param_grad",), (_over_m,), {
            "en": ("You divided by m twice: the 1/m of the mean belongs either in the error "
                   "∂J/∂z or in the gradient's average, not in both.",
                   "Apply the 1/m once."),
            "vi": ("Bạn đã chia cho m hai lần: thừa số 1/m của trung bình nằm trong sai số "
                   "∂J/∂z hoặc trong phép lấy trung bình của gradient, không phải cả hai.",
                   "Chỉ chia cho m một lần."),
        }, applies=_batch),
    Misconception(
        "bias_gradient_not_summed", ("db",), (_first_sample(False), _first_sample(True)), {
            "en": ("The bias gradient is not summed over the batch: ∂J/∂b collects the error "
                   "of every sample, (1/m)·Σ_i δ(i).",
                   "Add up the errors of all m samples, then divide by m."),
            "vi": ("Gradient của bias chưa được cộng trên cả batch: ∂J/∂b gom sai số của mọi "
                   "mẫu, (1/m)·Σ_i δ(i).",
                   "Hãy cộng sai số của cả m mẫu rồi chia cho m."),
        }, applies=_batch),
    Misconception(
        "update_added", ("new_param",), (_added,), {
            "en": ("You added the step instead of subtracting it: gradient descent moves "
                   "against the gradient, θ ← θ - α·∂J/∂θ.",
                   "Subtract α times the gradient (or the optimiser's step)."),
            "vi": ("Bạn đã cộng bước cập nhật thay vì trừ: gradient descent đi ngược chiều "
                   "gradient, θ ← θ - α·∂J/∂θ.",
                   "Hãy trừ α nhân gradient (hoặc bước của bộ tối ưu)."),
        }, applies=_trained),
    Misconception(
        "learning_rate_missing", ("new_param", "update"), (_rate_scaled(-1),), {
            "en": ("You left out the learning rate α: the step is α times the gradient (or the "
                   "optimiser's direction).",
                   "Multiply by α before subtracting."),
            "vi": ("Bạn đã quên tốc độ học α: bước cập nhật là α nhân gradient (hoặc hướng của "
                   "bộ tối ưu).",
                   "Hãy nhân với α trước khi trừ."),
        }, applies=lambda site: _trained(site) and _rate(site) != 1.0),
    Misconception(
        "learning_rate_twice", ("new_param", "update"), (_rate_scaled(1),), {
            "en": ("You applied the learning rate twice: the step is α·g, not α²·g.",
                   "Multiply by α once."),
            "vi": ("Bạn đã nhân tốc độ học hai lần: bước cập nhật là α·g, không phải α²·g.",
                   "Chỉ nhân α một lần."),
        }, applies=lambda site: _trained(site) and _rate(site) != 1.0),
    Misconception(
        "loss_without_half", ("loss", "sample_losses", "delta"), (_doubled,), {
            "en": ("You dropped the ½ of the loss: L = ½(y - ŷ)², whose derivative is ŷ - y; "
                   "without the ½ it would be 2(ŷ - y).",
                   "Keep the ½: L = ½(y - ŷ)² and ∂L/∂ŷ = ŷ - y."),
            "vi": ("Bạn đã bỏ mất hệ số ½ của hàm mất mát: L = ½(y - ŷ)², có đạo hàm ŷ - y; "
                   "không có ½ thì thành 2(ŷ - y).",
                   "Hãy giữ hệ số ½: L = ½(y - ŷ)² và ∂L/∂ŷ = ŷ - y."),
        }, applies=lambda site: _loss_has_half(site) and site.output),
    Misconception(
        "adam_eps_inside_sqrt", ("update", "new_param"), (_eps_inside,), {
            "en": ("You put ε inside the square root: Adam's step is m̂/(√v̂ + ε), ε added after "
                   "the root (PyTorch's form).",
                   "Take √v̂ first, then add ε."),
            "vi": ("Bạn đã đặt ε vào trong dấu căn: bước của Adam là m̂/(√v̂ + ε), ε được cộng "
                   "sau khi lấy căn (dạng của PyTorch).",
                   "Hãy lấy √v̂ trước rồi mới cộng ε."),
        }, applies=lambda site: bool(_adam(site))),
    Misconception(
        "adam_no_bias_correction", ("exp_avg_hat", "exp_avg_sq_hat", "update", "new_param"),
        (_uncorrected,), {
            "en": ("You skipped Adam's bias correction: the moments start at 0, so m and v are "
                   "divided by 1 - β₁^t and 1 - β₂^t before the step.",
                   "Use m̂ = m/(1 - β₁^t) and v̂ = v/(1 - β₂^t) in the step."),
            "vi": ("Bạn đã bỏ qua bước hiệu chỉnh độ lệch của Adam: các moment bắt đầu từ 0, nên "
                   "m và v phải chia cho 1 - β₁^t và 1 - β₂^t trước khi cập nhật.",
                   "Hãy dùng m̂ = m/(1 - β₁^t) và v̂ = v/(1 - β₂^t) trong bước cập nhật."),
        }, applies=lambda site: bool(_adam(site))),
    Misconception(
        "momentum_convention_mixed", ("momentum_buffer",), (_velocity(1.0), _velocity(-1.0)), {
            "en": ("You mixed two conventions of momentum: PyTorch's buffer is "
                   "b_t = μ·b_t-1 + g_t and the rate comes after (θ ← θ - α·b_t); the velocity "
                   "form v_t = μ·v_t-1 - α·g_t puts α inside.",
                   "Keep one convention: here b_t = μ·b_t-1 + g_t, then θ ← θ - α·b_t."),
            "vi": ("Bạn đã trộn hai cách viết momentum: bộ đệm của PyTorch là "
                   "b_t = μ·b_t-1 + g_t và tốc độ học nhân sau (θ ← θ - α·b_t); dạng vận tốc "
                   "v_t = μ·v_t-1 - α·g_t đặt α vào bên trong.",
                   "Hãy giữ một cách viết: ở đây b_t = μ·b_t-1 + g_t, rồi θ ← θ - α·b_t."),
        }, applies=lambda site: site.settings(Momentum) is not None),
    Misconception(
        "softmax_ce_with_activation_derivative", ("delta",),
        (_times_link_slope(True), _times_link_slope(False)), {
            "en": ("You multiplied by the output activation's derivative, but with softmax (or "
                   "sigmoid) and cross-entropy the output error is simply p - y: that "
                   "derivative cancels inside the loss.",
                   "Write δ = p - y (with the 1/m of a batch)."),
            "vi": ("Bạn đã nhân thêm đạo hàm của hàm kích hoạt ở lớp ra, nhưng với softmax (hay "
                   "sigmoid) cùng cross-entropy, sai số lớp ra chỉ là p - y: đạo hàm đó đã "
                   "triệt tiêu bên trong hàm mất mát.",
                   "Hãy viết δ = p - y (cùng thừa số 1/m của batch)."),
        }, applies=lambda site: site.layer is not None and site.layer.fused),
)

for _m in _CATALOGUE:
    register_misconception(_m)


# --- using the catalogue --------------------------------------------------------------------------
def candidates(site: Site) -> list[Misconception]:
    """The misconceptions that can show in the quantity at ``site``."""
    return [m for m in MISCONCEPTIONS.values() if m.at(site)]


def sites(sheet: Worksheet, m: Misconception) -> list[str]:
    """The paths of the quantities where ``m`` changes a number of ``sheet``'s step (its rule
    gives another value than the right one, from the engine's numbers)."""
    ref = Values({q.key: q.reference for q in sheet.quantities})
    out = []
    for q in sheet.answerable():
        if not m.at(q.site):
            continue
        wrong = m.values(q.site, ref)
        if wrong and not np.allclose(wrong[0], q.reference, rtol=1e-9, atol=1e-12):
            out.append(q.key)
    return out


def plant(sheet: Worksheet, m: Misconception, key: str, *, decimals: int | None = None
          ) -> Values:
    """The worksheet of a learner who holds ``m`` at the quantity ``key`` and computes every
    other number right, from their own numbers (rounded to ``decimals`` if given)."""
    q = sheet.by_key[key]
    rule = m.variants[0]
    return sheet.evaluate(decimals=decimals, planted={key: lambda v: rule(q.site, v)})
