r"""Losses: ``forward(pred, target) -> J`` and ``backward() -> dJ/dpred``.

Every loss returns the **cost** :math:`J = \frac{1}{m}\sum_{i=1}^m L(y^{(i)}, \hat y^{(i)})`, the
mean over the ``m`` samples of the batch (the article's mini-batch cost), with the per-sample loss
summed over output units. ``backward`` therefore carries the :math:`1/m`, and the layers' gradients
are gradients of :math:`J` directly.

``forward(pred, target, sample_weight=s)`` makes it the weighted mean
:math:`J = \sum_i s_i L_i / \sum_i s_i` (``s`` of shape ``(m,)``, :math:`s_i \ge 0`), so a weight
of 2 counts a sample as if it appeared twice in the batch; ``backward`` returns that cost's
gradient. Losses whose own mean is already weighted (:class:`SoftmaxCrossEntropy` with class
``weight`` and integer labels divides by :math:`\sum_i w_{y_i}`, as PyTorch) multiply the sample
weights into both sums, which keeps "weight 2 = twice in the batch" true.

Where libraries differ
----------------------
* :class:`SquaredError` keeps the article's :math:`\tfrac12`: :math:`L = \tfrac12\|y-\hat y\|^2`.
  PyTorch's ``MSELoss`` has no :math:`\tfrac12` and averages over units too; with one output unit
  ``SquaredError = 0.5 * MSELoss``.
* :class:`BinaryCrossEntropy` and :class:`SoftmaxCrossEntropy` take **logits** (raw scores), with
  the sigmoid/softmax fused in so the gradient is the stable :math:`(p - y)/m`. With one output
  unit they equal PyTorch's ``BCEWithLogitsLoss`` / ``CrossEntropyLoss`` (mean reduction).

What the rest of the library asks a loss
----------------------------------------
Every loss is registered in :data:`LOSSES` (``@register_loss``) and answers for itself: its
``name`` and ``words`` (per language), its ``link`` (the function that turns the network's
output into probabilities: ``"identity"``, ``"sigmoid"`` or ``"softmax"``), whether it is a
``classifier``, how it prepares targets (:meth:`Loss.prepare_targets`) and how it counts correct
predictions (:meth:`Loss.count_correct`) and how the explanation writes it
(:meth:`Loss.notation`, a :class:`LossNotation`). The trainer, ``predict`` and the explanation ask
these instead of keeping their own lists of losses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from . import compiled
from ._checks import check_range
from .registry import Registry

#: every loss by name; ``register_loss`` adds one
LOSSES: Registry[type[Loss]] = Registry("loss")


def _as_pred(pred: Any) -> np.ndarray:
    pred = np.asarray(pred)
    if pred.ndim != 2:
        raise ValueError(f"predictions must have shape (m, n_outputs), got {pred.shape}")
    if pred.shape[0] == 0:
        raise ValueError("predictions are empty (m = 0)")
    return pred


def _as_dense_target(pred: np.ndarray, target: Any) -> np.ndarray:
    """Target of the same shape as ``pred``; a 1-D target is accepted for one output unit."""
    t = np.asarray(target, dtype=pred.dtype)
    if t.ndim == 1 and pred.shape[1] == 1:
        t = t.reshape(-1, 1)
    if t.shape != pred.shape:
        raise ValueError(f"target shape {t.shape} does not match prediction shape {pred.shape}")
    return t


def _row_weights(sample_weight: Any, m: int) -> np.ndarray:
    """``sample_weight`` checked: shape ``(m,)``, finite, >= 0 (float64)."""
    s = np.asarray(sample_weight)
    if s.dtype == object or not (np.issubdtype(s.dtype, np.number) or s.dtype == np.bool_):
        raise TypeError(f"sample_weight must hold numbers, got dtype {s.dtype}")
    s = s.astype(np.float64)
    if s.ndim != 1 or s.shape[0] != m:
        raise ValueError(f"sample_weight must have shape ({m},), one weight per sample, got "
                         f"shape {s.shape}")
    _check_weights("sample_weight", s)
    return s


def _check_weights(name: str, w: np.ndarray) -> None:
    """Finite and >= 0, with an error naming the first bad value and where it is."""
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name} must be finite and >= 0, got {w.ravel()[i]:g} at index {i}")


def _normalised(s: np.ndarray, what: str) -> np.ndarray:
    """``s / sum(s)``; a zero sum leaves the weighted mean undefined."""
    total = float(np.sum(s))
    if total <= 0:
        raise ValueError(f"the {what} of this batch sum to 0, so their weighted mean is "
                         f"undefined")
    return s / total


def _class_weights(name: str, value: Any) -> np.ndarray | None:
    """A loss's per-class / per-unit weights: None, or a 1-D float64 array of values >= 0."""
    if value is None:
        return None
    try:
        w = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers, got {value!r}") from None
    if w.ndim > 1:
        raise ValueError(f"{name} must be one number per class (1-D), got shape {w.shape}")
    _check_weights(name, w)
    return w


def _weight_list(w: np.ndarray | None) -> Any:
    return None if w is None else (float(w) if w.ndim == 0 else [float(v) for v in w])


def _checked_labels(t: np.ndarray, m: int, k: int) -> np.ndarray:
    """Integer class labels of shape ``(m,)`` within ``0..k-1``."""
    if t.shape[0] != m:
        raise ValueError(f"got {t.shape[0]} labels for {m} predictions")
    if t.dtype.kind not in "iu":
        if not np.all(np.mod(t, 1) == 0):
            raise ValueError("class labels must be integers")
        t = t.astype(np.int64)
    if t.size and (t.min() < 0 or t.max() >= k):
        bad = t[(t < 0) | (t >= k)][0]
        raise ValueError(f"label {bad} is out of range for {k} classes (0..{k - 1})")
    return t


@dataclass(frozen=True)
class LossNotation:
    r"""How the explanation writes a loss :math:`L` of one sample and its slope
    :math:`\partial L / \partial \hat y_k`.

    Each formula is a pair ``(tex, text)`` -- LaTeX and plain UTF-8 -- with placeholders in angle
    brackets that the explanation fills in, as in an activation's
    :class:`~backprop.layers.Notation`:

    ``<y>``, ``<y_hat>``
        the target :math:`y_k` and the prediction :math:`\hat y_k` of output unit :math:`k`, as
        symbols (with the sample's superscript in a batch) or as numbers;
    ``<y:factor>``, ``<y_hat:factor>``
        the same, in parentheses when a negative number;
    ``<target>``, ``<output>``
        the whole target :math:`y` and prediction :math:`\hat y` of the sample, for a loss of all
        output units at once (softmax);
    ``<k>``
        the index of the output unit.

    The explanation puts a slope that is a sum or a difference in parentheses where it is a
    factor of a product.

    Attributes
    ----------
    gradient : (str, str)
        :math:`\partial L / \partial \hat y_k`, e.g. ``("<y_hat> - <y:factor>", ...)`` for the
        squared error.
    loss : (str, str) or None
        :math:`L` written whole, for a network of any width (the sum over units written as
        :math:`\sum_k`). None: :math:`L` is ``scale`` times the sum of ``term`` over the output
        units (with one output unit: ``scale`` times the term, no index).
    term : (str, str) or None
        The loss of one output unit, for a loss that is a sum over the units. A loss that gives
        its term is written out with its numbers: step 1 puts them in each sample's :math:`L`,
        step 2 states :math:`\partial L / \partial \hat y_k` and puts them in it.
    scale : (str, str)
        The factor in front of the sum of the terms (:math:`\tfrac12` for the squared error).
    link_gradient : (str, str) or None
        For a loss that takes logits: why its gradient with respect to the logit :math:`z_k` is
        :math:`p_k - y_k` once the link :math:`p = \text{link}(z)` is part of it, written as
        math (placeholders ``<k>``); shown when the explanation draws the link as the output
        layer's activation.
    """

    gradient: tuple[str, str]
    loss: tuple[str, str] | None = None
    term: tuple[str, str] | None = None
    scale: tuple[str, str] = ("", "")
    link_gradient: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.loss is None and self.term is None:
            raise ValueError("a LossNotation needs the loss written whole or its term per unit")


class Loss:
    """Base class. Subclasses implement ``forward`` and ``backward`` (and ``get_config`` when
    they take arguments)."""

    name: ClassVar[str] = "loss"
    #: its name in each language of the explanation
    words: ClassVar[dict[str, str]] = {}
    #: the function that turns the network's output into probabilities / predictions
    link: ClassVar[str] = "identity"

    @property
    def classifier(self) -> bool:
        """Whether predictions are classes (the output goes through a sigmoid or softmax)."""
        return self.link != "identity"

    def prepare_targets(self, y: Any, dtype: np.dtype) -> np.ndarray:
        """Targets as the loss takes them during training (by default: values in ``dtype``)."""
        return np.asarray(y).astype(dtype, copy=False)

    def count_correct(self, out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """``(correct, total)`` predictions of a batch; ``(0, 0)`` for a regression loss."""
        return 0.0, 0

    def notation(self) -> LossNotation:
        """How the explanation writes :math:`L` and its slope (by default, by name)."""
        name = self.name or type(self).__name__
        tex_name = name.replace("_", r"\_")
        return LossNotation(
            loss=(r"\operatorname{" + tex_name + "}(<target>, <output>)",
                  f"{name}(<target>, <output>)"),
            gradient=(r"\frac{\partial L}{\partial <y_hat>}", "∂L/∂<y_hat>"))

    def forward(self, pred: Any, target: Any,
                sample_weight: Any = None) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, pred: Any, target: Any, sample_weight: Any = None) -> float:
        return self.forward(pred, target, sample_weight)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, JSON-able: ``LOSSES[name](**loss.get_config())`` rebuilds
        the same loss."""
        return {}

    def __repr__(self) -> str:
        try:  # arguments left at their defaults are not shown
            default = type(self)().get_config()
        except TypeError:
            default = {}
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items()
                         if k not in default or v != default[k])
        return f"{type(self).__name__}({args})"


@LOSSES.decorator()
class SquaredError(Loss):
    r"""Squared error with the article's one half, averaged over the batch.

    .. math::
        J = \frac{1}{m}\sum_{i=1}^{m} \tfrac12 \sum_k \bigl(y^{(i)}_k - \hat y^{(i)}_k\bigr)^2,
        \qquad \frac{\partial J}{\partial \hat Y} = \frac{1}{m}(\hat Y - Y)

    ``pred`` and ``target`` have shape ``(m, k)``; a target of shape ``(m,)`` is accepted when
    ``k = 1``. With ``sample_weight`` :math:`s`:
    :math:`J = \sum_i s_i \tfrac12\|y^{(i)} - \hat y^{(i)}\|^2 / \sum_i s_i` and
    :math:`\partial J / \partial \hat y^{(i)} = s_i (\hat y^{(i)} - y^{(i)}) / \sum_j s_j`.
    """

    name = "squared"
    aliases = ("mse",)
    words = {"en": "squared error", "vi": "sai số bình phương"}

    def __init__(self) -> None:
        self._diff: np.ndarray | None = None
        self._row_scale: np.ndarray | None = None  # s_i / sum(s) with sample weights

    def forward(self, pred: Any, target: Any, sample_weight: Any = None) -> float:
        pred = _as_pred(pred)
        diff = pred - _as_dense_target(pred, target)
        self._diff = diff
        m = pred.shape[0]
        self._row_scale = None
        if sample_weight is not None:
            self._row_scale = _normalised(_row_weights(sample_weight, m), "sample weights")
            return float(0.5 * np.dot(self._row_scale, np.sum(diff * diff, axis=1)))
        return float(0.5 * np.sum(diff * diff) / m)

    def notation(self) -> LossNotation:
        # a sum of one term per unit: the explanation writes it out with its numbers
        return LossNotation(scale=(r"\tfrac{1}{2}", "½"),
                            term=("(<y> - <y_hat:factor>)^{2}", "(<y> - <y_hat:factor>)²"),
                            gradient=("<y_hat> - <y:factor>", "<y_hat> - <y:factor>"))

    def backward(self) -> np.ndarray:
        if self._diff is None:
            raise RuntimeError("backward called before forward")
        if self._row_scale is not None:
            return self._diff * self._row_scale[:, None].astype(self._diff.dtype)
        return self._diff / self._diff.shape[0]


@LOSSES.decorator()
class BinaryCrossEntropy(Loss):
    r"""Binary cross-entropy on logits, with the sigmoid fused in.

    For logits :math:`z` and targets :math:`y \in [0, 1]` (shape ``(m, k)``; ``(m,)`` for one
    unit), :math:`p = \sigma(z)`:

    .. math::
        J = \frac{1}{m}\sum_i\sum_k \bigl[\max(z,0) - z\,y + \log(1 + e^{-|z|})\bigr],
        \qquad \frac{\partial J}{\partial z} = \frac{1}{m}(p - y)

    The first form equals :math:`-[y\log p + (1-y)\log(1-p)]` but never takes the log of 0.

    ``pos_weight`` :math:`w_k` weighs the positive term of unit :math:`k`, as PyTorch's
    ``BCEWithLogitsLoss(pos_weight=)`` (e.g. #negatives / #positives for a rare class):

    .. math::
        L = -\bigl[w_k\, y \log p + (1-y)\log(1-p)\bigr]
          = (1-y)\,z - \bigl(1 + (w_k - 1)\,y\bigr)\log\sigma(z), \qquad
        \frac{\partial L}{\partial z} = \bigl(1 + (w_k - 1) y\bigr)\, p - w_k\, y

    with :math:`\log\sigma(z) = \min(z, 0) - \log(1 + e^{-|z|})`. With ``sample_weight``
    :math:`s`, :math:`J = \sum_i s_i \sum_k L_{ik} / \sum_i s_i`.

    Where libraries differ: PyTorch's mean also divides by the number of output units; here the
    units are summed (the article's cost), so with :math:`k > 1` units ``J`` is :math:`k` times
    ``BCEWithLogitsLoss``'s.

    Parameters
    ----------
    pos_weight : float or sequence of float, optional
        :math:`w \ge 0`: one number for every unit, or one per unit (checked against the
        prediction's width at ``forward``).
    """

    name = "binary_cross_entropy"
    aliases = ("bce",)
    words = {"en": "binary cross-entropy of the logit", "vi": "entropy chéo nhị phân trên logit"}
    link = "sigmoid"

    def count_correct(self, out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """A unit is right when its logit's sign matches its 0/1 target."""
        truth = y.reshape(out.shape)
        return float(np.count_nonzero((out > 0) == (truth > 0.5))), out.size

    def __init__(self, pos_weight: Any = None) -> None:
        self.pos_weight = _class_weights("pos_weight", pos_weight)
        self._grad: np.ndarray | None = None

    def get_config(self) -> dict[str, Any]:
        return {"pos_weight": _weight_list(self.pos_weight)}

    def forward(self, pred: Any, target: Any, sample_weight: Any = None) -> float:
        z = _as_pred(pred)
        y = _as_dense_target(z, target)
        if np.any((y < 0) | (y > 1)):
            bad = y[(y < 0) | (y > 1)][0]
            raise ValueError(f"binary targets must lie in [0, 1], got {bad:g}")
        if self.pos_weight is not None or sample_weight is not None:
            return self._weighted_forward(z, y, sample_weight)
        m = z.shape[0]
        loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-z))
        self._grad = (p - y) / m
        return float(np.sum(loss) / m)

    def _weighted_forward(self, z: np.ndarray, y: np.ndarray, sample_weight: Any) -> float:
        """The cost and gradient with ``pos_weight`` and/or ``sample_weight`` (PyTorch's
        formulas for the positive weight)."""
        m, k = z.shape
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-z))
        if self.pos_weight is None:
            loss = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
            dloss = p - y
        else:
            pw = self.pos_weight
            if pw.ndim == 1 and pw.shape[0] != k:
                raise ValueError(f"pos_weight has {pw.shape[0]} entries for {k} output units")
            pw = pw.astype(z.dtype)
            log_weight = (pw - 1) * y + 1
            log_sigmoid = np.minimum(z, 0) - np.log1p(np.exp(-np.abs(z)))
            loss = (1 - y) * z - log_weight * log_sigmoid
            dloss = log_weight * p - pw * y
        if sample_weight is None:
            self._grad = dloss / m
            return float(np.sum(loss) / m)
        w = _normalised(_row_weights(sample_weight, m), "sample weights")
        self._grad = dloss * w[:, None].astype(z.dtype)
        return float(np.dot(w, np.sum(loss, axis=1)))

    def notation(self) -> LossNotation:
        return LossNotation(
            loss=(r"-\sum_{k} [<y> \cdot \log(\sigma(<y_hat>)) + (1 - <y>) \cdot "
                  r"\log(1 - \sigma(<y_hat>))]",
                  "-Σ_k [<y>·log(σ(<y_hat>)) + (1 - <y>)·log(1 - σ(<y_hat>))]"),
            gradient=(r"\sigma(<y_hat>) - <y>", "σ(<y_hat>) - <y>"),
            link_gradient=(
                r"\frac{\partial L}{\partial z_{<k>}} = -\frac{y_{<k>}}{p_{<k>}}\,p_{<k>}"
                r"(1 - p_{<k>}) + \frac{1 - y_{<k>}}{1 - p_{<k>}}\,p_{<k>}(1 - p_{<k>}) = "
                r"-y_{<k>}(1 - p_{<k>}) + (1 - y_{<k>})\,p_{<k>} = p_{<k>} - y_{<k>}",
                "∂L/∂z_<k> = -(y_<k>/p_<k>)·p_<k>(1 - p_<k>) + ((1 - y_<k>)/(1 - p_<k>))·p_<k>"
                "(1 - p_<k>) = -y_<k>(1 - p_<k>) + (1 - y_<k>)·p_<k> = p_<k> - y_<k>"))

    def backward(self) -> np.ndarray:
        if self._grad is None:
            raise RuntimeError("backward called before forward")
        return self._grad


def _one_hot_from(labels: np.ndarray, k: int, dtype: np.dtype) -> np.ndarray:
    out = np.zeros((labels.shape[0], k), dtype=dtype)
    out[np.arange(labels.shape[0]), labels] = 1
    return out


@LOSSES.decorator()
class SoftmaxCrossEntropy(Loss):
    r"""Softmax cross-entropy on logits, computed with log-sum-exp.

    For logits :math:`Z` of shape ``(m, k)`` and targets given as integer labels of shape ``(m,)``
    or as one-hot / probability rows of shape ``(m, k)``:

    .. math::
        J = \frac{1}{m}\sum_i \Bigl[\log\sum_j e^{z^{(i)}_j} - \sum_j y^{(i)}_j z^{(i)}_j\Bigr],
        \qquad \frac{\partial J}{\partial Z} = \frac{1}{m}\bigl(\mathrm{softmax}(Z) - Y\bigr)

    **Label smoothing and class weights**, as PyTorch's
    ``CrossEntropyLoss(label_smoothing=, weight=)`` (mean reduction). With :math:`K` classes,
    :math:`\varepsilon` = ``label_smoothing``, :math:`w` = ``weight`` (all ones if not given),
    :math:`\ell_{ic} = -\log \mathrm{softmax}(z^{(i)})_c` and sample weights :math:`s_i`
    (all ones if not given), every case is one weighted target :math:`q_{ic}`:

    .. math::
        J = \frac{\sum_i s_i \sum_c q_{ic}\, \ell_{ic}}{\sum_i s_i\, b_i}, \qquad
        \frac{\partial J}{\partial z^{(i)}_c}
            = \frac{s_i \bigl(p_{ic} \sum_{c'} q_{ic'} - q_{ic}\bigr)}{\sum_j s_j\, b_j}

    * integer labels :math:`y_i`: :math:`q_{ic} = (1-\varepsilon)\, w_{y_i} [c = y_i]
      + \tfrac{\varepsilon}{K}\, w_c` and :math:`b_i = w_{y_i}` -- PyTorch divides both the
      NLL term and the smoothing term by the summed weight of the target classes;
    * probability / one-hot rows :math:`y_i`: :math:`q_{ic} = w_c \bigl((1-\varepsilon)
      y_{ic} + \tfrac{\varepsilon}{K}\bigr)` and :math:`b_i = 1` -- PyTorch divides by the
      number of samples here, not by the weights.

    Where libraries differ: smoothing spreads :math:`\varepsilon` over all :math:`K` classes
    *including the true one* (the target becomes :math:`1 - \varepsilon + \varepsilon/K`), as
    PyTorch, Keras and Szegedy et al.; some code spreads it over the :math:`K-1` others. With class
    weights, the same one-hot targets given as labels or as rows give different costs (the two
    denominators above), exactly as in PyTorch. The default case (no smoothing, weights or
    sample weights) keeps the compiled fast path and its numbers.

    Parameters
    ----------
    label_smoothing : float in [0, 1], default 0
    weight : sequence of float, optional
        One weight :math:`w_c \ge 0` per class (its length is checked at ``forward``).
    """

    name = "softmax_cross_entropy"
    aliases = ("cross_entropy",)
    words = {"en": "softmax cross-entropy of the logits",
             "vi": "entropy chéo softmax trên các logit"}
    link = "softmax"

    def prepare_targets(self, y: Any, dtype: np.dtype) -> np.ndarray:
        """Integer class labels stay int64 labels; one-hot / probability rows become ``dtype``."""
        y = np.asarray(y)
        if y.ndim == 1:
            if not np.issubdtype(y.dtype, np.integer):
                if y.size and not np.all(np.mod(y, 1) == 0):
                    raise ValueError("class labels must be integers")
                y = y.astype(np.int64)
            return y
        return y.astype(dtype, copy=False)

    def count_correct(self, out: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """A sample is right when its largest logit is its class (the first largest, as
        ``argmax``). The compiled forward counts them in the same pass: asked about the very
        output it just saw, the loss answers from that count."""
        counted = self._counted
        if counted is not None and counted[0] is out:
            return float(counted[1]), out.shape[0]
        pred = out.argmax(axis=1)
        truth = y if y.ndim == 1 else y.argmax(axis=1)
        return float(np.count_nonzero(pred == truth)), out.shape[0]

    def __init__(self, label_smoothing: float = 0.0, weight: Any = None) -> None:
        self.label_smoothing = check_range("label_smoothing", label_smoothing, 0.0, 1.0,
                                           high_open=False)
        self.weight = _class_weights("weight", weight)
        if self.weight is not None and self.weight.ndim == 0:
            raise ValueError(f"weight must be one number per class (1-D), got {weight!r}")
        self._grad: np.ndarray | None = None
        self._counted: tuple[np.ndarray, int] | None = None  # (the output, its correct rows)

    def get_config(self) -> dict[str, Any]:
        return {"label_smoothing": self.label_smoothing, "weight": _weight_list(self.weight)}

    def forward(self, pred: Any, target: Any, sample_weight: Any = None) -> float:
        z = _as_pred(pred)
        m, k = z.shape
        t = np.asarray(target)
        self._counted = None
        if sample_weight is not None or self.label_smoothing != 0.0 or self.weight is not None:
            return self._weighted_forward(z, t, sample_weight)
        kernels = compiled.kernels
        if (kernels is not None and t.ndim == 1 and t.dtype == np.int64 and t.shape[0] == m
                and z.dtype in (np.float32, np.float64) and z.flags.c_contiguous):
            # the same formulas in one compiled pass per row (about 10x fewer memory passes)
            grad = np.empty_like(z)
            try:
                total, correct = kernels.softmax_xent(z, t, grad)
            except IndexError:
                pass  # fall through: the NumPy path below names the bad label
            else:
                self._grad = grad
                self._counted = (pred, correct)
                return total / m
        # log-sum-exp with the row maximum subtracted: exp never overflows, the largest term is 1
        row_max = z.max(axis=1, keepdims=True)
        shifted = z - row_max  # <= 0; the per-row loss is log(sum_e) - shifted[target]
        e = np.exp(shifted)
        sum_e = e.sum(axis=1, keepdims=True)
        log_sum_e = np.log(sum_e)
        grad = e
        grad /= sum_e  # softmax probabilities p, in place
        if t.ndim == 1:
            if t.shape[0] != m:
                raise ValueError(f"got {t.shape[0]} labels for {m} predictions")
            if t.dtype.kind not in "iu":
                if not np.all(np.mod(t, 1) == 0):
                    raise ValueError("class labels must be integers")
                t = t.astype(np.int64)
            if t.size and (t.min() < 0 or t.max() >= k):
                bad = t[(t < 0) | (t >= k)][0]
                raise ValueError(f"label {bad} is out of range for {k} classes (0..{k - 1})")
            rows = np.arange(m)
            # subtract per row before summing: large logits would cancel badly in float32
            loss = float(np.sum(log_sum_e[:, 0] - shifted[rows, t])) / m
            grad[rows, t] -= 1
        else:
            y = _as_dense_target(z, t)
            loss = float(np.sum(y * (log_sum_e - shifted))) / m
            grad -= y
        grad /= m
        self._grad = grad
        return loss

    def _weighted_forward(self, z: np.ndarray, t: np.ndarray, sample_weight: Any) -> float:
        """Label smoothing, class weights and/or sample weights: the weighted target ``q`` and
        the denominator terms ``b`` of the class docstring, then one formula for all."""
        m, k = z.shape
        eps, w = self.label_smoothing, self.weight
        if w is not None and w.shape[0] != k:
            raise ValueError(f"weight has {w.shape[0]} entries for {k} classes")
        shifted = z - z.max(axis=1, keepdims=True)
        e = np.exp(shifted)
        sum_e = e.sum(axis=1, keepdims=True)
        nll = np.log(sum_e) - shifted  # -log softmax, every class
        p = e / sum_e
        wc = np.ones(k) if w is None else w
        if t.ndim == 1:
            t = _checked_labels(t, m, k)
            rows = np.arange(m)
            q = np.broadcast_to((eps / k) * wc, (m, k)).copy()
            q[rows, t] += (1.0 - eps) * wc[t]
            b = wc[t]
        else:
            y = _as_dense_target(z, t).astype(np.float64)
            q = (y * (1.0 - eps) + eps / k if eps > 0 else y) * wc
            b = np.ones(m)
        s = np.ones(m) if sample_weight is None else _row_weights(sample_weight, m)
        denom = float(np.dot(s, b))
        if not denom > 0:
            raise ValueError("the sample and class weights of this batch sum to 0 (over the "
                             "target classes), so their weighted mean is undefined")
        self._grad = ((s / denom)[:, None] * (p * q.sum(axis=1, keepdims=True) - q)).astype(
            z.dtype, copy=False)
        return float(np.dot(s, np.sum(q * nll, axis=1)) / denom)

    def notation(self) -> LossNotation:
        return LossNotation(
            loss=(r"-\sum_{k} <y> \cdot \log(\mathrm{softmax}(<output>)_{<k>})",
                  "-Σ_k <y>·log(softmax(<output>)_<k>)"),
            gradient=(r"\mathrm{softmax}(<output>)_{<k>} - <y>", "softmax(<output>)_<k> - <y>"),
            link_gradient=(
                r"\frac{\partial L}{\partial z_{<k>}} = -\sum_{j} y_{j}\,\frac{\partial \log "
                r"p_{j}}{\partial z_{<k>}} = -\sum_{j} y_{j}\,([j = <k>] - p_{<k>}) = "
                r"p_{<k>} \sum_{j} y_{j} - y_{<k>} = p_{<k>} - y_{<k>}",
                "∂L/∂z_<k> = -Σ_j y_j·∂log(p_j)/∂z_<k> = -Σ_j y_j·([j = <k>] - p_<k>) = "
                "p_<k>·Σ_j y_j - y_<k> = p_<k> - y_<k>"))

    def backward(self) -> np.ndarray:
        if self._grad is None:
            raise RuntimeError("backward called before forward")
        return self._grad


def register_loss(cls: type[Loss] | None = None, *, replace: bool = False) -> Any:
    """Register a :class:`Loss` subclass under its ``name`` (a class decorator)."""

    def apply(c: type[Loss]) -> type[Loss]:
        if not (isinstance(c, type) and issubclass(c, Loss)):
            raise TypeError(f"register_loss expects a Loss subclass, got {c!r}")
        return LOSSES.decorator()(c, replace=replace)

    return apply if cls is None else apply(cls)


def get_loss(name: str, **config: Any) -> Loss:
    """A loss from its name (``"squared"``, ``"binary_cross_entropy"``, ...)."""
    return LOSSES[name](**config)


def resolve_loss(loss: Loss | str) -> Loss:
    """``loss`` itself, or the loss a name stands for."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        return get_loss(loss)
    raise TypeError(f"loss must be a Loss or a loss name, got {type(loss).__name__}")
