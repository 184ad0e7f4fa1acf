"""Vietnamese (tiếng Việt): the same keys and fields as :mod:`.en`."""

VI: dict[str, str] = {
    # --- the explanation of a step (backprop example, Trace.to_text / to_markdown / to_html) ---
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
    # --- the HTML pages and the report of a run (backprop report) -----------------------------
    "page_footer": "Tạo bởi backprop {version}. Trang độc lập: công thức được trình duyệt hiển thị "
                   "bằng MathML, hình ảnh nhúng sẵn, không có script và không có liên kết.",
    "run_title": "Báo cáo huấn luyện: {name}",
    "run_intro": "Tệp mô hình {file}; hàm mất mát: {loss}.",
    "run_measure": "Đại lượng",
    "run_untrained": "Tệp mô hình {file}. Tệp không chứa thông tin huấn luyện (không được lưu "
                     "bằng backprop train --save), nên chỉ hiển thị mạng.",
    "run_result": "Kết quả",
    "run_dataset": "Tập dữ liệu",
    "run_test_accuracy": "Độ chính xác trên tập kiểm tra",
    "run_test_loss": "Mất mát trên tập kiểm tra",
    "run_epochs_run": "Số epoch đã chạy",
    "run_seconds": "Thời gian huấn luyện",
    "run_stop_reason": "Lý do dừng",
    "run_best_epoch": "Epoch tốt nhất",
    "run_final_loss": "Mất mát huấn luyện cuối cùng",
    "run_settings": "Thiết lập",
    "run_setting": "Tham số thiết lập",
    "run_value": "Giá trị",
    "run_network": "Mạng nơ-ron",
    "run_network_summary": "{widths}: {layers} lớp, {params} tham số huấn luyện được.",
    "run_layer": "Lớp",
    "run_units": "Số nơ-ron (vào → ra)",
    "run_parameters": "Tham số",
    "run_total": "Tổng",
    "run_curves": "Đường cong huấn luyện",
    "run_curves_alt": "Mất mát và độ chính xác theo từng epoch",
    "run_gradients": "Chuẩn gradient của từng lớp",
    "run_gradients_alt": "Bản đồ nhiệt chuẩn gradient của từng lớp tại mỗi bước được ghi lại",
    "run_gradients_intro": "Chuẩn gradient trọng số của mỗi lớp tại mỗi bước được ghi lại (thang "
                           "màu logarit); một dải nhạt dần về phía đầu vào là dấu hiệu gradient "
                           "biến mất.",
    "run_seconds_value": "{s:.1f} giây",
    "run_inputs": "Đầu vào và đầu ra",
    "run_inputs_intro": "Mô hình làm gì với đầu vào trước lớp đầu tiên và đầu ra của nó có "
                        "nghĩa là gì; bp.load áp dụng và trả về những điều này.",
    "run_standardized": "Chuẩn hoá",
    "run_standardized_value": "{kind}: x' = (x - mean) / scale, với thống kê của tập huấn "
                              "luyện",
    "run_standardized_feature": "theo từng đặc trưng",
    "run_standardized_global": "một mean và scale cho mọi đặc trưng",
    "run_no_transform": "không có (đầu vào đi thẳng vào lớp đầu tiên)",
    "run_features": "Các đặc trưng đầu vào",
    "run_classes": "Các lớp (theo thứ tự nơ-ron đầu ra)",
    # --- labs (backprop lab) ------------------------------------------------------------------
    "lab_layer": "lớp",
    "lab_config": "cấu hình",
    "lab_final_loss": "mất mát cuối",
    "lab_accuracy": "độ chính xác",
    "lab_vanishing_title": "Chuẩn gradient ||dW|| của từng lớp Dense (1 = sát đầu vào); "
                           "{dataset}, {depth} lớp ẩn, mỗi lớp {width} nơ-ron, seed {seed}",
    "lab_vanishing_start": "lúc khởi tạo (bước 1)",
    "lab_vanishing_end": "sau {epochs} epoch",
    "lab_ratio_start": "đầu/cuối, lúc đầu",
    "lab_ratio_end": "đầu/cuối, lúc cuối",
    "lab_verdict_not_finite": "gradient không hữu hạn",
    "lab_verdict_vanishes": "gradient của lớp đầu chỉ bằng {ratio} lần gradient của lớp cuối "
                            "(mỗi lớp nhân nó với khoảng {per_layer:.2g} trên đường lan truyền "
                            "ngược): gradient bị triệt tiêu, các lớp gần đầu vào hầu như không "
                            "học",
    "lab_verdict_explodes": "gradient của lớp đầu lớn gấp {ratio} lần gradient của lớp cuối: "
                            "gradient bùng nổ",
    "lab_verdict_within": "gradient của lớp đầu chỉ chênh tối đa {factor:.2g} lần so với lớp "
                          "cuối",
    "lab_vanishing_run": "Với {name}, lúc bắt đầu {verdict}. Sau {epochs} epoch tỉ lệ đầu/cuối "
                         "là {ratio}, độ chính xác huấn luyện {accuracy:.0f}% (mất mát "
                         "{loss:.3f}).",
    "lab_vanishing_xavier": "Dùng Xavier thay cho khởi tạo N(0, 0.01²) làm tỉ lệ đầu/cuối thay "
                            "đổi {gain:+.0f} bậc độ lớn.",
    "lab_vanishing_xavier_still": "Dùng Xavier thay cho khởi tạo N(0, 0.01²) làm tỉ lệ đầu/cuối "
                                  "thay đổi {gain:+.0f} bậc độ lớn, nhưng với sigmoid (đạo hàm "
                                  "không quá 0.25) gradient vẫn bị triệt tiêu ở độ sâu này.",
    "lab_vanishing_best": "Tốt nhất sau {epochs} epoch: {best} ({best_accuracy:.0f}%); kém nhất: "
                          "{worst} ({worst_accuracy:.0f}%).",
    "lab_optimizer": "bộ tối ưu",
    "lab_settings": "thiết lập",
    "lab_time": "thời gian",
    "lab_optimizers_title": "{dataset}, {n_samples} mẫu, mạng {arch} (ReLU, khởi tạo He), "
                            "{epochs} epoch, seed {seed}",
    "lab_optimizers_lowest": "Sau {epochs} epoch, mất mát huấn luyện thấp nhất là của {best} "
                             "({best_loss:.4f}), cao nhất là của {worst} ({worst_loss:.4f}).",
    "lab_optimizers_against_sgd": "So với mất mát cuối của SGD thường: {comparisons}.",
    "lab_optimizers_lower": "{name} thấp hơn {ratio:.2g} lần",
    "lab_optimizers_higher": "{name} cao hơn {ratio:.2g} lần",
    "lab_optimizers_nesterov_below": "Nhờ bước nhìn trước, Nesterov kết thúc thấp hơn momentum "
                                     "cổ điển ({nesterov:.4f} so với {momentum:.4f}).",
    "lab_optimizers_nesterov_above": "Dù có bước nhìn trước, Nesterov kết thúc cao hơn momentum "
                                     "cổ điển ({nesterov:.4f} so với {momentum:.4f}).",
    "lab_optimizers_adamw_smaller": "AdamW kết thúc ở {adamw:.4f}, Adam ở {adam:.4f}; suy giảm "
                                    "trọng số tách rời của AdamW để lại các trọng số nhỏ hơn "
                                    "(chuẩn {adamw_norm:.3g} so với {adam_norm:.3g}).",
    "lab_optimizers_adamw_not_smaller": "AdamW kết thúc ở {adamw:.4f}, Adam ở {adam:.4f}; các "
                                        "trọng số của AdamW không nhỏ hơn (chuẩn "
                                        "{adamw_norm:.3g} so với {adam_norm:.3g}).",
    "lab_optimizers_time": "Thời gian mỗi lần chạy: từ {fastest_seconds:.2f} giây ({fastest}) "
                           "đến {slowest_seconds:.2f} giây ({slowest}).",
    "lab_optimizers_plot": "Các bộ tối ưu trên {dataset} ({arch} ReLU, seed {seed})",
    "lab_optimizers_boundary": "{name} sau {epochs} epoch",
}
