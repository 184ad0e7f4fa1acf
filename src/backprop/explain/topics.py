r"""The topics of ``backprop exercise``: for each, the network a sheet is drawn on, how its
numbers are drawn and which numbers the learner is asked to find.

A :class:`Topic` is one entry of :data:`TOPICS`. Its ``draw`` takes a
``numpy.random.Generator`` and returns a problem: a spec (the format of ``backprop example
--spec``, see :mod:`.spec`) -- or, for the chain rule, ``{"formula", "at"}`` (see
:func:`~.graph.chain`). Its ``asks`` are the worksheet's paths of the numbers to find (the
paths of ``backprop example --format json``; ``steps[i].`` first for a spec of several steps),
or ``("value", "grad")`` for a formula. Adding a topic is one :func:`register_topic` call.

Numbers are drawn so that a person can work with them: weights, biases and inputs have one or
two decimals, and :mod:`.sheets` redraws a problem until every number asked for is fit to be
asked (see :func:`.sheets.problems`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..registry import Registry


@dataclass(frozen=True)
class Topic:
    """One kind of exercise.

    Attributes
    ----------
    name : str
        The registry name (``backprop exercise --topic NAME``).
    words : dict of str to (str, str)
        Per language: the topic's title and the task, one or two sentences.
    draw : callable
        ``draw(rng) -> problem``: a spec dict, or ``{"formula", "at"}`` for a formula.
    asks : tuple of str
        The paths of the numbers asked for (every element of each).
    formula : bool
        True for a chain-rule topic (the problem is a formula, not a spec).
    """

    name: str
    words: dict[str, tuple[str, str]]
    draw: Callable[[np.random.Generator], dict[str, Any]]
    asks: tuple[str, ...]
    formula: bool = False

    def title(self, lang: str) -> str:
        return (self.words.get(lang) or self.words["en"])[0]

    def task(self, lang: str) -> str:
        return (self.words.get(lang) or self.words["en"])[1]


#: every topic by name
TOPICS: Registry[Topic] = Registry("exercise topic")


def register_topic(topic: Topic) -> Topic:
    """Add a topic to :data:`TOPICS` (its words must name English at least)."""
    if "en" not in topic.words:
        raise ValueError(f"topic {topic.name!r} needs its words in English")
    return TOPICS.add(topic.name, topic)


# --- drawing numbers --------------------------------------------------------------------------
def tenths(rng: np.random.Generator, shape: Any, lo: float = -1.0, hi: float = 1.0,
           nonzero: bool = True) -> list:
    """Numbers with one decimal in ``[lo, hi]`` (never 0 when ``nonzero``), as nested lists."""
    return _grid(rng, shape, lo, hi, 10, nonzero)


def hundredths(rng: np.random.Generator, shape: Any, lo: float = -0.5, hi: float = 0.5,
               nonzero: bool = False) -> list:
    """Numbers with two decimals in ``[lo, hi]``, as nested lists."""
    return _grid(rng, shape, lo, hi, 100, nonzero)


def _grid(rng: np.random.Generator, shape: Any, lo: float, hi: float, per: int,
          nonzero: bool) -> list:
    k = rng.integers(round(lo * per), round(hi * per) + 1, size=shape)
    while nonzero and np.any(k == 0):
        k = np.where(k == 0, rng.integers(round(lo * per), round(hi * per) + 1, size=shape), k)
    return (k / per).tolist()


def _dense(rng: np.random.Generator, n_in: int, n_out: int, activation: str) -> dict[str, Any]:
    return {"W": tenths(rng, (n_out, n_in)), "b": hundredths(rng, n_out),
            "activation": activation}


def _two_two_one(hidden: str, out: str, **extra: Any) -> Callable[[np.random.Generator], dict]:
    """A 2-2-1 network, one sample, the article's squared loss."""
    def draw(rng: np.random.Generator) -> dict[str, Any]:
        return {"x": tenths(rng, 2), "y": tenths(rng, 1, 0.0, 1.0, nonzero=False),
                "layers": [_dense(rng, 2, 2, hidden), _dense(rng, 2, 1, out)],
                "loss": "squared", **extra}
    return draw


def _learning_rate(rng: np.random.Generator) -> float:
    return float(rng.choice([0.1, 0.2, 0.5]))


def _update(rng: np.random.Generator) -> dict[str, Any]:
    return {**_two_two_one("sigmoid", "sigmoid")(rng), "learning_rate": _learning_rate(rng)}


def _minibatch(rng: np.random.Generator) -> dict[str, Any]:
    m = int(rng.integers(2, 4))
    return {"x": tenths(rng, (m, 2)), "y": tenths(rng, (m, 1)),
            "layers": [_dense(rng, 2, 1, "identity")], "loss": "squared",
            "learning_rate": _learning_rate(rng)}


def _softmax(rng: np.random.Generator) -> dict[str, Any]:
    y = [0.0, 0.0, 0.0]
    y[int(rng.integers(0, 3))] = 1.0
    return {"x": tenths(rng, 2), "y": y, "layers": [_dense(rng, 2, 3, "softmax")],
            "loss": "softmax_cross_entropy", "learning_rate": _learning_rate(rng)}


def _momentum(nesterov: bool) -> Callable[[np.random.Generator], dict]:
    """Two steps of SGD with momentum on one neuron (the buffer carries from step 1 to 2)."""
    def draw(rng: np.random.Generator) -> dict[str, Any]:
        layer = {"W": tenths(rng, (1, 2)), "b": [0.0], "activation": "identity",
                 "trainable": {"b": False}}
        opt = {"name": "sgd", "lr": float(rng.choice([0.1, 0.2])),
               "momentum": float(rng.choice([0.5, 0.8, 0.9]))}
        if nesterov:
            opt["nesterov"] = True
        return {"x": tenths(rng, 2), "y": tenths(rng, 1), "layers": [layer], "loss": "squared",
                "optimizer": opt, "steps": 2}
    return draw


def _adam(rng: np.random.Generator) -> dict[str, Any]:
    return {"x": tenths(rng, 2), "y": tenths(rng, 1), "layers": [_dense(rng, 2, 1, "identity")],
            "loss": "squared",
            "optimizer": {"name": "adam", "lr": float(rng.choice([0.01, 0.05, 0.1])),
                          "betas": [0.9, 0.999], "eps": 1e-8}}


def _batchnorm(rng: np.random.Generator) -> dict[str, Any]:
    return {"x": tenths(rng, (3, 2), -2.0, 2.0), "y": tenths(rng, (3, 1)),
            "layers": [{"type": "batchnorm"}, _dense(rng, 2, 1, "identity")],
            "loss": "squared", "learning_rate": _learning_rate(rng)}


#: formulas of the chain-rule topic and their inputs (the values are drawn with one decimal)
FORMULAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sigmoid(w * x + b)", ("w", "x", "b")),
    ("(x + y) * z", ("x", "y", "z")),
    ("tanh(a * x) * c", ("a", "x", "c")),
    ("(w * x - y) ** 2 / 2", ("w", "x", "y")),
    ("exp(-a * b) + a * c", ("a", "b", "c")),
    ("u = x * y; u + sigmoid(u)", ("x", "y")),
)


def _formula(rng: np.random.Generator) -> dict[str, Any]:
    formula, names = FORMULAS[int(rng.integers(0, len(FORMULAS)))]
    values = tenths(rng, len(names), -2.0, 2.0)
    return {"formula": formula, "at": dict(zip(names, values, strict=True))}


# --- the topics -------------------------------------------------------------------------------
_L0, _L1 = "layers[0]", "layers[1]"

for _topic in (
    Topic("forward", {
        "en": ("The forward pass", "Compute every unit's weighted input z and output a, the "
                                   "prediction ŷ and the loss L."),
        "vi": ("Lan truyền tiến", "Tính đầu vào có trọng số z và đầu ra a của mọi nơ-ron, dự "
                                  "đoán ŷ và hàm mất mát L.")},
        _two_two_one("sigmoid", "sigmoid"),
        (f"{_L0}.z", f"{_L0}.a", f"{_L1}.z", "output", "loss")),
    Topic("output-delta", {
        "en": ("The output layer's error", "Compute the prediction ŷ, the slope g' of the "
                                           "output unit and its error δ."),
        "vi": ("Sai số của lớp đầu ra", "Tính dự đoán ŷ, đạo hàm g' của nơ-ron đầu ra và sai "
                                        "số δ của nó.")},
        _two_two_one("sigmoid", "sigmoid"),
        ("output", f"{_L1}.g_prime", f"{_L1}.delta")),
    Topic("hidden-delta", {
        "en": ("The hidden layer's errors", "Compute the output error δ[2], then send it back: "
                                            "the slopes g' and the errors δ[1] of the hidden "
                                            "units."),
        "vi": ("Sai số của lớp ẩn", "Tính sai số đầu ra δ[2], rồi truyền ngược: đạo hàm g' và "
                                    "sai số δ[1] của các nơ-ron ẩn.")},
        _two_two_one("tanh", "sigmoid"),
        (f"{_L1}.delta", f"{_L0}.g_prime", f"{_L0}.delta")),
    Topic("gradients", {
        "en": ("The gradients", "Compute the errors δ of both layers and the gradient of the "
                                "loss with respect to every weight and bias."),
        "vi": ("Các gradient", "Tính sai số δ của cả hai lớp và gradient của hàm mất mát theo "
                               "mọi trọng số và độ lệch.")},
        _two_two_one("relu", "identity"),
        (f"{_L1}.delta", f"{_L1}.dW", f"{_L1}.db", f"{_L0}.delta", f"{_L0}.dW", f"{_L0}.db")),
    Topic("update", {
        "en": ("The update", "Compute every gradient and the new weights and biases after one "
                             "step of gradient descent."),
        "vi": ("Cập nhật trọng số", "Tính mọi gradient và các trọng số, độ lệch mới sau một "
                                    "bước hạ gradient.")},
        _update,
        (f"{_L1}.dW", f"{_L1}.db", f"{_L1}.W_new", f"{_L1}.b_new", f"{_L0}.dW", f"{_L0}.db",
         f"{_L0}.W_new", f"{_L0}.b_new")),
    Topic("minibatch", {
        "en": ("A mini-batch", "One step on a mini-batch: the cost J is the mean of the "
                               "samples' losses, so every gradient is the 1/m average of the "
                               "samples' gradients. Compute the outputs, the errors, the "
                               "gradients and the new parameters."),
        "vi": ("Một mini-batch", "Một bước trên một mini-batch: chi phí J là trung bình mất "
                                 "mát của các mẫu, nên mỗi gradient là trung bình 1/m gradient "
                                 "của các mẫu. Tính các đầu ra, sai số, gradient và tham số "
                                 "mới.")},
        _minibatch,
        ("output", f"{_L0}.delta", f"{_L0}.dW", f"{_L0}.db", f"{_L0}.W_new", f"{_L0}.b_new")),
    Topic("softmax-ce", {
        "en": ("Softmax and cross-entropy", "Compute the probabilities p, the cross-entropy "
                                            "loss, the error δ = p − y and the gradients."),
        "vi": ("Softmax và entropy chéo", "Tính các xác suất p, hàm mất mát entropy chéo, sai "
                                          "số δ = p − y và các gradient.")},
        _softmax,
        ("output", "loss", f"{_L0}.delta", f"{_L0}.dW", f"{_L0}.db")),
    Topic("momentum", {
        "en": ("SGD with momentum", "Two steps of SGD with momentum on the same sample (the "
                                    "bias stays fixed): the gradient, the buffer b and the new "
                                    "weights of each step."),
        "vi": ("SGD với momentum", "Hai bước SGD với momentum trên cùng một mẫu (độ lệch giữ "
                                   "nguyên): gradient, bộ đệm b và trọng số mới của mỗi "
                                   "bước.")},
        _momentum(False),
        tuple(f"steps[{s}].{_L0}.{k}" for s in (0, 1)
              for k in ("dW", "state.W.momentum_buffer", "W_new"))),
    Topic("nesterov", {
        "en": ("Nesterov momentum", "Two steps of SGD with Nesterov momentum (PyTorch's form; "
                                    "the bias stays fixed): the gradient, the buffer b and the "
                                    "new weights of each step."),
        "vi": ("Momentum Nesterov", "Hai bước SGD với momentum Nesterov (dạng của PyTorch; độ "
                                    "lệch giữ nguyên): gradient, bộ đệm b và trọng số mới của "
                                    "mỗi bước.")},
        _momentum(True),
        tuple(f"steps[{s}].{_L0}.{k}" for s in (0, 1)
              for k in ("dW", "state.W.momentum_buffer", "W_new"))),
    Topic("adam", {
        "en": ("An Adam step", "One Adam step from rest: the gradients, the moments m and v, "
                               "their bias corrections m̂ and v̂, the step α·u and the new "
                               "parameters."),
        "vi": ("Một bước Adam", "Một bước Adam từ trạng thái ban đầu: các gradient, các moment "
                                "m và v, bản hiệu chỉnh độ lệch m̂ và v̂, bước đi α·u và các "
                                "tham số mới.")},
        _adam,
        tuple(f"{_L0}.{k}" for k in ("dW", "db")) + tuple(
            f"{_L0}.state.{p}.{k}" for p in ("W", "b")
            for k in ("exp_avg", "exp_avg_sq", "exp_avg_hat", "exp_avg_sq_hat", "update"))
        + (f"{_L0}.W_new", f"{_L0}.b_new")),
    Topic("batchnorm", {
        "en": ("Batch normalisation", "A batch norm (γ = 1, β = 0) before one neuron, in "
                                      "training: the batch's mean μ and variance σ² (divided "
                                      "by m), the normalised inputs x̂, the predictions ŷ and "
                                      "the gradients of γ and β."),
        "vi": ("Chuẩn hoá theo lô", "Một lớp chuẩn hoá theo lô (γ = 1, β = 0) trước một "
                                    "nơ-ron, khi huấn luyện: trung bình μ và phương sai σ² "
                                    "(chia cho m) của lô, các đầu vào đã chuẩn hoá x̂, các dự "
                                    "đoán ŷ và gradient theo γ và β.")},
        _batchnorm,
        (f"{_L0}.mean", f"{_L0}.var", f"{_L0}.xhat", "output", f"{_L0}.dgamma",
         f"{_L0}.dbeta")),
    Topic("chain-rule", {
        "en": ("The chain rule", "Draw the computational graph of f, compute its value and, "
                                 "with the chain rule, the derivative of f with respect to "
                                 "every input."),
        "vi": ("Quy tắc dây chuyền", "Vẽ đồ thị tính toán của f, tính giá trị của nó và, bằng "
                                     "quy tắc dây chuyền, đạo hàm của f theo mọi đầu vào.")},
        _formula, ("value", "grad"), formula=True),
):
    register_topic(_topic)


def topic_names() -> list[str]:
    return list(TOPICS.names())


__all__ = ["FORMULAS", "TOPICS", "Topic", "hundredths", "register_topic", "tenths",
           "topic_names"]
