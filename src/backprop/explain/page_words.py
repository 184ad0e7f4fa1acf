"""The words of the HTML pages (the trace's own words are in :mod:`.words`)."""

from __future__ import annotations

from .words import LANGUAGES

EN: dict[str, str] = {
    "footer": "Written by backprop {version}. Self-contained: math typeset as MathML by the "
              "browser, images embedded, no scripts and no links.",
    "run_title": "Training report: {name}",
    "run_intro": "Model file {file}; loss: {loss}.",
    "measure": "Measure",
    "run_untrained": "Model file {file}. It holds no training record (it was not saved by "
                     "backprop train --save), so only the network is shown.",
    "result": "Result",
    "dataset": "Dataset",
    "test_accuracy": "Test accuracy",
    "test_loss": "Test loss",
    "epochs_run": "Epochs run",
    "seconds": "Training time",
    "stop_reason": "Stopped because",
    "best_epoch": "Best epoch",
    "final_loss": "Final training loss",
    "settings": "Settings",
    "setting": "Setting",
    "value": "Value",
    "network": "Network",
    "network_summary": "{widths}: {layers} layers, {params} trainable parameters.",
    "layer": "Layer",
    "units": "Units (in → out)",
    "parameters": "Parameters",
    "total": "Total",
    "curves": "Training curves",
    "curves_alt": "Loss and accuracy per epoch",
    "gradients": "Gradient norms per layer",
    "gradients_alt": "Heat map of the gradient norm of each layer at each recorded step",
    "gradients_intro": "The norm of each layer's weight gradient at each recorded step (log "
                       "colour scale); a band that fades towards the input is a vanishing "
                       "gradient.",
    "seconds_value": "{s:.1f} s",
}

VI: dict[str, str] = {
    "footer": "Tạo bởi backprop {version}. Trang độc lập: công thức được trình duyệt hiển thị "
              "bằng MathML, hình ảnh nhúng sẵn, không có script và không có liên kết.",
    "run_title": "Báo cáo huấn luyện: {name}",
    "run_intro": "Tệp mô hình {file}; hàm mất mát: {loss}.",
    "measure": "Đại lượng",
    "run_untrained": "Tệp mô hình {file}. Tệp không chứa thông tin huấn luyện (không được lưu "
                     "bằng backprop train --save), nên chỉ hiển thị mạng.",
    "result": "Kết quả",
    "dataset": "Tập dữ liệu",
    "test_accuracy": "Độ chính xác trên tập kiểm tra",
    "test_loss": "Mất mát trên tập kiểm tra",
    "epochs_run": "Số epoch đã chạy",
    "seconds": "Thời gian huấn luyện",
    "stop_reason": "Lý do dừng",
    "best_epoch": "Epoch tốt nhất",
    "final_loss": "Mất mát huấn luyện cuối cùng",
    "settings": "Thiết lập",
    "setting": "Tham số thiết lập",
    "value": "Giá trị",
    "network": "Mạng nơ-ron",
    "network_summary": "{widths}: {layers} lớp, {params} tham số huấn luyện được.",
    "layer": "Lớp",
    "units": "Số nơ-ron (vào → ra)",
    "parameters": "Tham số",
    "total": "Tổng",
    "curves": "Đường cong huấn luyện",
    "curves_alt": "Mất mát và độ chính xác theo từng epoch",
    "gradients": "Chuẩn gradient của từng lớp",
    "gradients_alt": "Bản đồ nhiệt chuẩn gradient của từng lớp tại mỗi bước được ghi lại",
    "gradients_intro": "Chuẩn gradient trọng số của mỗi lớp tại mỗi bước được ghi lại (thang "
                       "màu logarit); một dải nhạt dần về phía đầu vào là dấu hiệu gradient "
                       "biến mất.",
    "seconds_value": "{s:.1f} giây",
}

WORDS: dict[str, dict[str, str]] = {"en": EN, "vi": VI}


def words(lang: str) -> dict[str, str]:
    """The table of one language; the languages are the trace's (``"en"``, ``"vi"``)."""
    if lang not in LANGUAGES or lang not in WORDS:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    return WORDS[lang]
