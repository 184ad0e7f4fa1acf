"""The words of the step-by-step explanation, in English and Vietnamese.

Each language is one table from a key to a template; ``{name}`` fields are filled by the renderer
with numbers or math fragments, so the tables hold words only. A new language is one more table
with the same keys (a test checks that every table has them all).
"""

from __future__ import annotations

from typing import Any

EN: dict[str, str] = {
    "title": "Backpropagation, one training step",
    "network": "The network",
    "layer_rule": "Every layer {l} forms {zdef} and passes it through its activation, {adef}; "
                  "the input is {a0}.",
    "input_single": "Input {x}, target {y}.",
    "input_batch": "A mini-batch of {m} samples, one per row of {X}, with their targets in the "
                   "rows of {Y}:",
    "learning_rate": "Learning rate {alpha}.",
    "loss_single": "Loss ({name}): {formula}.",
    "loss_batch": "Loss of one sample ({name}): {formula}; cost of the batch: {cost}.",
    "layer_line": "Layer {l}, {role} ({n_in} → {n_out}): activation {name}, {g}, with slope "
                  "{gp}.",
    "role_hidden": "hidden layer",
    "role_output": "output layer",
    "params": "Parameters before the step:",
    "loss_other": "the loss {name}",
    "step1": "Step 1: forward pass",
    "step1_layer": "Layer {l}: weighted sum of the inputs plus the bias, then the activation.",
    "prediction": "The prediction is the output of the last layer:",
    "loss_value": "The loss for this prediction:",
    "cost_value": "The loss of each sample, then their mean, the cost:",
    "more_samples": "The other {n} samples go through the same formulas; they are not written "
                    "out.",
    "step2": "Step 2: the error δ at the output layer",
    "step2_intro": "The error of an output unit is the derivative of the loss with respect to its "
                   "weighted sum: {formula}.",
    "step2_gradient": "For the {name} {dl}.",
    "step2_batch": "Each sample has its own error {delta}; the factor {frac} of the cost is "
                   "applied when the gradients are averaged.",
    "step3": "Step 3: gradients of the output layer",
    "step3_intro": "A weight's gradient is the error of the unit it feeds times the activation "
                   "it multiplies; a bias's gradient is the error itself: {gw}, {gb}.",
    "as_matrices": "As matrices:",
    "step4": "Step 4: errors of the hidden layers, from the back to the front",
    "step4_intro": "A hidden unit collects the errors of the next layer through the weights "
                   "that leave it, then scales the sum by the slope of its own activation: "
                   "{formula}.",
    "step4_layer": "Layer {l}:",
    "no_hidden": "This network has no hidden layer, so nothing is propagated further back.",
    "step5": "Step 5: gradients of the hidden layers",
    "step5_intro": "The rule of step 3 again, now with the error of layer {l} and the input it "
                   "receives: {gw}, {gb}.",
    "step6": "Steps 6-9: the derivative of every single weight of the hidden layers",
    "step6_intro": "Weights are numbered from the output layer back towards the input, row by "
                   "row inside each matrix: in a 2-2-1 network {W2} holds {w12} and {W1} holds "
                   "{w36}. Each derivative is the error of the receiving unit times the input "
                   "the weight multiplies, {formula}.",
    "step10": "Step 10: gradient-descent update",
    "step10_intro": "Every parameter takes a step of size {alpha} against its gradient: {rule}.",
    "step10_layer": "Layer {l}:",
    "new_params": "The new parameters:",
    "diagram_input": "Input layer",
    "diagram_hidden": "Hidden layer {l}",
    "diagram_output": "Output layer",
    "diagram_one_unit": "1 unit",
    "diagram_units": "{n} units",
    "diagram_more": "{n} more",
    "diagram_alt": "Network {widths}: every unit is joined to every unit of the next layer",
}

VI: dict[str, str] = {
    "title": "Lan truyền ngược: một bước huấn luyện",
    "network": "Mạng nơ-ron",
    "layer_rule": "Mỗi lớp {l} lập tổng có trọng số {zdef} rồi đưa qua hàm kích hoạt, {adef}; "
                  "đầu vào là {a0}.",
    "input_single": "Đầu vào {x}, giá trị đích {y}.",
    "input_batch": "Một mini-batch gồm {m} mẫu, mỗi hàng của {X} là một mẫu, giá trị đích nằm "
                   "ở các hàng tương ứng của {Y}:",
    "learning_rate": "Tốc độ học {alpha}.",
    "loss_single": "Hàm mất mát ({name}): {formula}.",
    "loss_batch": "Mất mát của một mẫu ({name}): {formula}; chi phí trên cả batch: {cost}.",
    "layer_line": "Lớp {l}, {role} ({n_in} → {n_out}): hàm kích hoạt {name}, {g}, với độ dốc "
                  "{gp}.",
    "role_hidden": "lớp ẩn",
    "role_output": "lớp đầu ra",
    "params": "Tham số trước khi cập nhật:",
    "loss_other": "hàm mất mát {name}",
    "step1": "Bước 1: lan truyền tiến",
    "step1_layer": "Lớp {l}: cộng các đầu vào nhân trọng số với bias, sau đó áp dụng hàm kích "
                   "hoạt.",
    "prediction": "Dự đoán chính là đầu ra của lớp cuối cùng:",
    "loss_value": "Mất mát ứng với dự đoán này:",
    "cost_value": "Mất mát của từng mẫu, rồi lấy trung bình để có chi phí:",
    "more_samples": "{n} mẫu còn lại được tính theo đúng các công thức trên; không in ra ở "
                    "đây.",
    "step2": "Bước 2: sai số δ ở lớp đầu ra",
    "step2_intro": "Sai số của một nơ-ron đầu ra là đạo hàm của hàm mất mát theo tổng có trọng "
                   "số của nơ-ron đó: {formula}.",
    "step2_gradient": "Với {name} thì {dl}.",
    "step2_batch": "Mỗi mẫu có sai số riêng {delta}; hệ số {frac} của chi phí được áp dụng khi "
                   "lấy trung bình các gradient.",
    "step3": "Bước 3: gradient của lớp đầu ra",
    "step3_intro": "Gradient của một trọng số bằng sai số của nơ-ron mà nó dẫn vào nhân với "
                   "kích hoạt mà nó nhân; gradient của bias chính là sai số: {gw}, {gb}.",
    "as_matrices": "Viết dưới dạng ma trận:",
    "step4": "Bước 4: sai số của các lớp ẩn, đi từ sau ra trước",
    "step4_intro": "Một nơ-ron ẩn gom sai số của lớp kế tiếp qua các trọng số đi ra từ nó, rồi "
                   "nhân tổng đó với độ dốc của hàm kích hoạt của chính nó: {formula}.",
    "step4_layer": "Lớp {l}:",
    "no_hidden": "Mạng này không có lớp ẩn nên không cần lan truyền ngược thêm.",
    "step5": "Bước 5: gradient của các lớp ẩn",
    "step5_intro": "Lại là quy tắc của bước 3, giờ với sai số của lớp {l} và đầu vào mà lớp đó "
                   "nhận: {gw}, {gb}.",
    "step6": "Bước 6-9: đạo hàm theo từng trọng số của các lớp ẩn",
    "step6_intro": "Trọng số được đánh số từ lớp đầu ra lùi dần về phía đầu vào, lần lượt theo "
                   "từng hàng của mỗi ma trận: trong mạng 2-2-1, {W2} gồm {w12} còn {W1} gồm "
                   "{w36}. Mỗi đạo hàm bằng sai số của nơ-ron nhận nhân với đầu vào mà trọng số "
                   "đó nhân, {formula}.",
    "step10": "Bước 10: cập nhật bằng gradient descent",
    "step10_intro": "Mỗi tham số dịch một bước có độ lớn {alpha} ngược hướng gradient của nó: "
                    "{rule}.",
    "step10_layer": "Lớp {l}:",
    "new_params": "Tham số mới:",
    "diagram_input": "Lớp đầu vào",
    "diagram_hidden": "Lớp ẩn {l}",
    "diagram_output": "Lớp đầu ra",
    "diagram_one_unit": "1 nơ-ron",
    "diagram_units": "{n} nơ-ron",
    "diagram_more": "thêm {n}",
    "diagram_alt": "Mạng {widths}: mỗi nơ-ron nối với mọi nơ-ron của lớp kế tiếp",
}

LANGUAGES: dict[str, dict[str, str]] = {"en": EN, "vi": VI}


def name_of(entry: Any, lang: str) -> str:
    """The name of a registered thing (an activation or loss class, or an instance) in
    ``lang``: its own ``words`` first, else its registry name."""
    own = getattr(entry, "words", None) or {}
    return own.get(lang) or own.get("en") or getattr(entry, "name", None) or str(entry)


def strings(lang: str) -> dict[str, str]:
    """The table of one language (``"en"`` or ``"vi"``)."""
    try:
        return LANGUAGES[lang]
    except (KeyError, TypeError):
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}") from None
