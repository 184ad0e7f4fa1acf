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
    "lab_optimizers_time": "Thời gian thực mỗi lần chạy (đo trên máy này nên thay đổi giữa các "
                           "lần chạy): {per_run}. Nhanh nhất là {fastest}, chậm nhất là {slowest}.",
    "lab_optimizers_plot": "Các bộ tối ưu trên {dataset} ({arch} ReLU, seed {seed})",
    "lab_optimizers_boundary": "{name} sau {epochs} epoch",
    # --- chain rule (backprop chain, bp.chain) -------------------------------------------------
    "chain_title": "Quy tắc chuỗi, từng nút một",
    "chain_formula": "Công thức: {formula}",
    "chain_at": "Tại {values}.",
    "chain_no_inputs": "Không có đầu vào nào: mọi giá trị đều là hằng số.",
    "chain_rule": "Bài viết mở đầu bằng quy tắc chuỗi cho hàm hợp, {rule}: đạo hàm của cả hàm "
                  "là tích các đạo hàm cục bộ dọc đường đi. Một công thức là hàm hợp của những "
                  "phép toán nhỏ. Vẽ thành đồ thị, mỗi nút áp dụng một phép toán lên các giá trị "
                  "đi vào nó; pha lan truyền tiến tính giá trị của mọi nút, còn pha lan truyền "
                  "ngược bắt đầu từ {seed} tại đầu ra rồi nhân, qua từng cạnh, với đạo hàm cục "
                  "bộ của mỗi phép toán, và cộng các tích lại khi một giá trị được dùng nhiều "
                  "lần. Dưới đây, {grad} là gradient của đầu ra theo một nút u, qua mọi đường "
                  "đi, còn {local} là đạo hàm cục bộ của một phép toán c theo một đầu vào u "
                  "của nó.",
    "chain_graph": "Đồ thị tính toán",
    "chain_graph_intro": "{n} nút: {inputs} đầu vào, {ops} phép toán và {consts} hằng số; đầu "
                         "ra là {f}. Mỗi mũi tên mang một giá trị đi tới và một gradient đi "
                         "ngược về.",
    "chain_graph_alt": "Đồ thị tính toán của {f}: {n} nút, đầu vào {inputs}",
    "chain_forward": "Lan truyền tiến: giá trị của từng nút",
    "chain_forward_intro": "Lần lượt từng phép toán, từ các giá trị đi vào nó:",
    "chain_activation": "{name}: {formula}.",
    "chain_local": "Đạo hàm cục bộ",
    "chain_local_intro": "Đạo hàm của mỗi phép toán theo từng đầu vào của nó, tại các giá trị "
                         "của pha lan truyền tiến (đạo hàm của hàm kích hoạt lấy từ chính pha "
                         "lan truyền ngược của nó, như khi huấn luyện):",
    "chain_backward": "Lan truyền ngược: quy tắc chuỗi từ đầu ra trở về",
    "chain_backward_intro": "Tại đầu ra, {seed}. Đi ngược từ nút cuối về nút đầu, gradient "
                            "của một nút bằng gradient của mỗi nút mà nó đi vào nhân với đạo "
                            "hàm cục bộ của cạnh đó, cộng trên mọi cạnh của nó:",
    "chain_shared": "Được dùng trên nhiều hơn một cạnh, nên gradient là tổng của các tích, "
                    "mỗi cạnh một tích: {names}.",
    "chain_unused": "Không nằm trên đường nào tới {f}, nên gradient bằng 0: {names}.",
    "chain_table": "Tất cả các nút",
    "chain_col_node": "nút",
    "chain_col_op": "phép toán",
    "chain_col_value": "giá trị",
    "chain_col_local": "đạo hàm cục bộ",
    "chain_col_grad": "gradient",
    "chain_result": "Gradient của {f} theo các đầu vào: {grads}.",
    "chain_result_none": "{f} không phụ thuộc vào đầu vào nào: nó là một hằng số, không có gì "
                         "để lấy đạo hàm.",
    "chain_op_input": "đầu vào",
    "chain_op_add": "tổng",
    "chain_op_sub": "hiệu",
    "chain_op_mul": "tích",
    "chain_op_div": "thương",
    "chain_op_pow": "lũy thừa",
    "chain_op_neg": "đổi dấu",
    "chain_op_copy": "cùng giá trị, đặt tên mới",
    "chain_op_function": "hàm {name}",
    "chain_op_activation": "hàm kích hoạt {name}",
    # --- labs: exploding, normalization, batch-size, weight-decay -----------------------------
    "lab_ratio": "tỉ lệ",
    "lab_plot_dense_layer": "lớp Dense (1 = sát đầu vào)",
    "lab_plot_step": "bước",
    "lab_plot_epoch": "epoch",
    "lab_exploding_title": "Chuẩn gradient ||dW|| của từng lớp Dense lúc khởi tạo (1 = sát đầu "
                           "vào); {dataset}, {depth} lớp ẩn ReLU, mỗi lớp {width} nơ-ron, seed "
                           "{seed}",
    "lab_exploding_training": "Huấn luyện: SGD, tốc độ học {lr:g}, {epochs} epoch với batch "
                              "{batch_size}; ||g|| là chuẩn gradient do pha lan truyền ngược "
                              "tính ra, ||Δθ||/lr là độ dài bước cập nhật thực sự",
    "lab_grad_first": "||g||, bước 1",
    "lab_grad_largest": "||g|| lớn nhất",
    "lab_step_largest": "||Δθ||/lr lớn nhất",
    "lab_diverged_at": "phân kỳ ở bước",
    "lab_exploding_start": "Lúc khởi tạo, nhân các trọng số He với {scale} làm gradient của mọi "
                           "lớp Dense lớn lên {low} đến {high} lần (khoảng {per_layer:.2f} lần "
                           "mỗi lớp qua {layers} lớp): gradient bùng nổ.",
    "lab_exploding_start_mild": "Lúc khởi tạo, nhân các trọng số He với {scale} làm gradient "
                                "của các lớp Dense lớn lên {low} đến {high} lần (khoảng "
                                "{per_layer:.2f} lần mỗi lớp qua {layers} lớp): chưa đủ để gọi "
                                "là bùng nổ.",
    "lab_exploding_diverged": "Không cắt gradient ({name}), chuẩn gradient đi từ {first} ở bước "
                              "đầu lên {largest}, và đến bước {step} mất mát hoặc một gradient "
                              "không còn là số hữu hạn: quá trình huấn luyện đổ vỡ.",
    "lab_exploding_unclipped": "Không cắt gradient ({name}), chuẩn gradient lên tới {largest}; "
                               "mất mát đi từ {start:.3g} xuống {end:.3g} (độ chính xác "
                               "{accuracy:.0f}%).",
    "lab_exploding_clipped": "Cắt ở ngưỡng {clip} ({name}), chuẩn gradient gốc vẫn lên tới "
                             "{largest}, gấp {times} lần ngưỡng, nhưng không bước nào dùng "
                             "gradient dài hơn {step}: mất mát đi từ {start:.3g} xuống "
                             "{end:.3g} và độ chính xác đạt {accuracy:.0f}%.",
    "lab_exploding_clipped_diverged": "Ngay cả khi cắt ở ngưỡng {clip} ({name}), mất mát không "
                                      "còn hữu hạn ở bước {step}.",
    "lab_exploding_ratio": "Bước dài nhất khi không cắt dài gấp {ratio} lần bước dài nhất khi "
                           "có cắt.",
    "lab_exploding_baseline": "Với đúng thang đo của He ({name}), chuẩn gradient không vượt "
                              "quá {largest} và, không cần cắt, huấn luyện kết thúc với mất mát "
                              "{end:.3g} và độ chính xác {accuracy:.0f}%.",
    "lab_exploding_plot_start": "||dW|| của từng lớp lúc khởi tạo",
    "lab_exploding_plot_steps": "chuẩn gradient ở mỗi bước (nét đứt: bước thực sự)",
    "lab_exploding_plot_title": "Gradient bùng nổ: {depth} lớp ẩn ReLU, mỗi lớp {width} nơ-ron, "
                                "{dataset}",
    "lab_lr": "tốc độ học",
    "lab_feature": "đặc trưng",
    "lab_spread": "độ trải (thô)",
    "lab_grad_raw": "||dJ/dW1[:, j]||, thô",
    "lab_grad_standardised": "đã chuẩn hoá",
    "lab_inputs_raw": "thô",
    "lab_inputs_standardised": "đã chuẩn hoá",
    "lab_val_accuracy": "độ chính xác kiểm định",
    "lab_dead": "nơ-ron chết",
    "lab_diverged": "phân kỳ",
    "lab_normalization_title": "{dataset}, {n_train} mẫu huấn luyện và {n_val} mẫu kiểm định, "
                               "đặc trưng cuối thay bằng {transform}; mạng {arch} (ReLU, "
                               "He), SGD, {epochs} epoch với batch {batch_size}, seed {seed}. Độ "
                               "trải là độ lệch chuẩn của đặc trưng thô; ||dJ/dW1[:, j]|| là "
                               "gradient của lớp đầu theo các trọng số của đặc trưng j lúc khởi "
                               "tạo",
    "lab_normalization_gradient": "Với dữ liệu thô, đặc trưng thứ hai trải rộng gấp {spread} lần "
                                  "đặc trưng thứ nhất, và lúc khởi tạo gradient của lớp đầu theo "
                                  "các trọng số của nó gấp {raw} lần theo các trọng số của đặc "
                                  "trưng thứ nhất ({standardised} lần sau khi chuẩn hoá): không "
                                  "có tốc độ học nào hợp với cả hai hướng.",
    "lab_normalization_best": "Độ chính xác kiểm định tốt nhất: {raw:.1f}% với dữ liệu thô (tốc "
                              "độ học {raw_lr}), {standardised:.1f}% với dữ liệu đã chuẩn hoá "
                              "(tốc độ học {standardised_lr}).",
    "lab_normalization_wins": "Dữ liệu đã chuẩn hoá cho kết quả không kém dữ liệu thô ở {wins} "
                              "trên {n} tốc độ học.",
    "lab_normalization_collapse": "Với dữ liệu thô, huấn luyện ở tốc độ học {lrs} kết thúc "
                                  "không hơn gì việc luôn trả lời lớp đông nhất "
                                  "({chance:.0f}%), với tới {dead:.0f}% nơ-ron ẩn đã chết.",
    "lab_and": "và",
    "lab_inputs": "đầu vào",
    "lab_normalization_plot_title": "Dữ liệu thô và dữ liệu đã chuẩn hoá: {dataset}, đặc trưng "
                                    "thứ hai nhân {scale}",
    "lab_normalization_plot_accuracy": "độ chính xác kiểm định sau huấn luyện",
    "lab_normalization_plot_loss": "mất mát huấn luyện theo epoch",
    "lab_plot_lr": "tốc độ học (thang logarit)",
    "lab_batch": "batch B",
    "lab_updates": "số bước/epoch",
    "lab_grad_error": "sai số gradient",
    "lab_epochs_to": "số epoch tới mất mát < {target}",
    "lab_batch_size_title": "{dataset}, {n} mẫu, SGD với tốc độ học {lr:g} trong {epochs} epoch, "
                            "seed {seed}. Sai số gradient: ||g_B - g|| / ||g|| tại trọng số khởi "
                            "tạo, căn trung bình bình phương trên {draws} batch ngẫu nhiên (g: "
                            "gradient trên toàn bộ dữ liệu)",
    "lab_batch_size_noise": "Gradient của một batch lệch khỏi gradient của toàn bộ dữ liệu "
                            "{small_error:.2f} lần độ dài của nó khi B = {small} và "
                            "{big_error:.3f} khi B = {big}; khớp log-log sai số theo B cho số mũ "
                            "{slope:.2f} (1/√B sẽ là -0.5).",
    "lab_batch_size_full": "B = {n} là toàn bộ dữ liệu: gradient của nó chính xác, đó là "
                           "gradient descent không nhiễu.",
    "lab_batch_size_speed": "Trong {epochs} epoch với tốc độ học {lr}, B = {small} thực hiện "
                            "{small_updates} bước cập nhật và kết thúc ở mất mát "
                            "{small_loss:.4f}; B = {big} thực hiện {big_updates} bước và kết "
                            "thúc ở {big_loss:.4f}.",
    "lab_batch_size_target": "Số epoch để mất mát huấn luyện xuống dưới {target}: {reached}.",
    "lab_batch_size_never": "Không xuống dưới {target} trong {epochs} epoch: {never}.",
    "lab_batch_size_timing": "Thời gian thực mỗi epoch (đo trên máy này nên thay đổi giữa các "
                             "lần chạy): {per_epoch}. Epoch nhanh nhất là của B = {fast}; một "
                             "epoch với B = {small} lâu gấp {ratio:.1f} lần.",
    "lab_batch_size_plot_title": "Kích thước batch: {dataset}, {n} mẫu, SGD với tốc độ học "
                                 "{lr:g}",
    "lab_batch_size_plot_noise": "sai số gradient lúc đầu",
    "lab_batch_size_plot_loss": "mất mát huấn luyện theo epoch",
    "lab_plot_batch": "kích thước batch B (thang logarit)",
    "lab_weight_norm": "||W||",
    "lab_train_accuracy": "độ chính xác huấn luyện",
    "lab_gap": "chênh lệch (điểm)",
    "lab_val_loss": "mất mát kiểm định",
    "lab_weight_decay_title": "{dataset} (nhiễu {noise}), {n_train} điểm huấn luyện và {n_val} "
                              "điểm kiểm định; mạng {arch} (ReLU, He), SGD với tốc độ học {lr} "
                              "và momentum {momentum}, {epochs} epoch với batch {batch_size}, "
                              "seed {seed}. λ cộng λW vào gradient của mỗi trọng số (hạng phạt "
                              "λ/2 ||W||² trong hàm chi phí); ||W|| là chuẩn của mọi trọng số "
                              "sau huấn luyện, chênh lệch là độ chính xác huấn luyện trừ độ "
                              "chính xác kiểm định",
    "lab_weight_decay_norms": "Chuẩn của các trọng số giảm theo từng nấc tăng của λ, từ "
                              "{low_norm:.3g} khi λ = {low} xuống {high_norm:.3g} khi λ = "
                              "{high}.",
    "lab_weight_decay_norms_not_monotone": "Chuẩn của các trọng số đi từ {low_norm:.3g} khi λ = "
                                           "{low} tới {high_norm:.3g} khi λ = {high}, nhưng "
                                           "không giảm ở mọi nấc.",
    "lab_weight_decay_fit": "Khi λ = {decay}, mạng khớp {n_train} điểm huấn luyện tới "
                            "{train:.1f}% nhưng chỉ đạt {val:.1f}% trên {n_val} điểm kiểm định, "
                            "chênh lệch {gap:.1f} điểm.",
    "lab_weight_decay_best": "Độ chính xác kiểm định tốt nhất ở λ = {decay}: {val:.1f}% "
                             "({gain:+.1f} điểm), chênh lệch {gap:.1f} điểm và mất mát kiểm "
                             "định {val_loss:.3f} so với {base_loss:.3f}.",
    "lab_weight_decay_no_gain": "Không mức nào đã thử vượt được λ = {decay} về độ chính xác "
                                "kiểm định.",
    "lab_weight_decay_too_much": "Suy giảm quá mạnh thì mô hình chưa khớp đủ: khi λ = {decay}, "
                                 "độ chính xác huấn luyện giảm còn {train:.1f}% và độ chính xác "
                                 "kiểm định là {val:.1f}%.",
    "lab_weight_decay_plot_title": "Suy giảm trọng số L2: {dataset}, {n_train} điểm huấn luyện, "
                                   "mạng {arch}",
    "lab_weight_decay_plot_norm": "chuẩn các trọng số sau huấn luyện",
    "lab_weight_decay_plot_accuracy": "độ chính xác sau huấn luyện",
    "lab_plot_train": "huấn luyện",
    "lab_plot_validation": "kiểm định",
    # --- optimiser, batch norm, dropout, schedule steps --------------------------------------
    "steps_title": "Lan truyền ngược: {n} bước huấn luyện",
    "steps_step": "Bước huấn luyện {t}/{n} (mất mát {loss})",
    "labels_one_hot": "Giá trị đích là nhãn lớp {labels}; các công thức dùng chúng dưới dạng "
                      "one-hot: y_k = 1 với lớp được gán nhãn, 0 với các lớp khác.",
    "optimizer_line": "Bộ tối ưu {name} (theo quy tắc của PyTorch): {settings}.",
    "schedule_line": "Tốc độ học đi theo lịch {name}; ở bước huấn luyện {t} nó bằng {alpha}.",
    "layer_line_fused": "Lớp {l}, {role} ({n_in} → {n_out}): hàm kích hoạt {name}, {g}, được "
                        "tính bên trong {loss} (bước 2 giải thích vì sao).",
    "frozen": "Tham số {theta} bị đóng băng: bộ tối ưu bỏ qua nó nên nó giữ nguyên giá trị; "
              "gradient của nó vẫn được tính.",
    "frozen_kept": "{theta} bị đóng băng: giữ nguyên giá trị.",
    "frozen_module": "Các tham số bị đóng băng của lớp {name} giữ nguyên giá trị.",
    "module_line": "Lớp {name} đọc {u} và ghi ra {y}; lớp này được trình bày bằng các con số.",
    "module_forward": "Lớp {name} biến {u} thành {y}:",
    "module_backward": "Lan truyền ngược qua lớp {name}: {dy} đi vào, {du} đi ra (gradient "
                       "của chi phí J):",
    "bn_line": "Chuẩn hoá theo batch {n} nơ-ron của {u} cho ra {y}, với {eps}; các thống kê "
               "trượt được cập nhật với {rho}.",
    "bn_forward": "Chuẩn hoá {u} theo batch gồm {m} mẫu, từng nơ-ron một: trung bình batch "
                  "{mu}, phương sai batch {var} (chia cho m), giá trị chuẩn hoá {xhat} ({eps}) "
                  "và đầu ra {out}, với hệ số co giãn γ và độ dịch β được học:",
    "bn_forward_running": "Chuẩn hoá {u} bằng các thống kê trượt μ̄ và σ̄² thay cho thống kê "
                          "của batch: {xhat} ({eps}), rồi {out}:",
    "bn_running": "Các thống kê trượt, giữ lại cho lúc đánh giá, dịch dần về thống kê của "
                  "batch: {mean} và {var} (phương sai không chệch), với {rho}:",
    "bn_backward": "Lan truyền ngược qua lớp chuẩn hoá theo batch, với dy = ∂J/∂{y} đi vào: "
                   "{dgamma} và {dbeta}; μ và σ² phụ thuộc vào mọi mẫu nên gradient của mỗi "
                   "đầu vào gom tất cả các mẫu: {du} với {s}.",
    "dropout_line": "Dropout trên {u} cho ra {y}: mỗi phần tử được giữ lại với xác suất {keep} "
                    "({p}), các phần tử được giữ nhân với {scale} để kỳ vọng của đầu ra bằng "
                    "đầu vào.",
    "dropout_forward": "Dropout với mặt nạ {M} (1 giữ lại, 0 bỏ đi): {rule}.",
    "dropout_identity": "Ở đây dropout chuyển {u} đi nguyên vẹn thành {y} (chế độ đánh giá "
                        "hoặc p = 0).",
    "dropout_backward": "Lan truyền ngược qua dropout, với cùng mặt nạ và hệ số: {rule}.",
    "step2_through": "Hàm mất mát được tính trên {y_hat}, nên gradient của nó đi ngược qua "
                     "các lớp nằm sau lớp Dense cuối trước khi tới a[L]; sau đó {formula}.",
    "step2_fused": "Hàm {link} của lớp đầu ra là một phần của {loss}: hàm mất mát nhận trực "
                   "tiếp z[L], với các xác suất {p}, và cho ngay sai số đầu ra {delta}.",
    "step2_fused_why": "Vì sao là p − y: {why}.",
    "step10_module": "Các tham số của lớp {name}:",
    "opt_step10": "Bước 10: cập nhật ({name})",
    "opt_intro": "Bộ tối ưu biến mỗi gradient thành một bước cập nhật u qua chuỗi {chain}; rồi "
                 "mỗi tham số đi một bước {rule} với {alpha}.",
    "opt_schedule": "Lịch {name} đặt tốc độ học cho từng bước huấn luyện: ở bước {t}, {alpha}; "
                    "nó đã đặt {next} cho bước kế tiếp.",
    "opt_gradient": "Mỗi chuỗi bắt đầu từ gradient {g} của các bước 3-9.",
    "opt_clip_value": "Cắt theo giá trị: mỗi phần tử bị kẹp lại, {rule} với {c}. Các phần tử "
                      "bị thay đổi:",
    "opt_clip_norm": "Cắt theo chuẩn toàn cục, như torch.nn.utils.clip_grad_norm_: chuẩn của "
                     "toàn bộ gradient là {norm}, và hệ số là {c}.",
    "opt_clip_none": "c ≥ 1: gradient được giữ nguyên.",
    "opt_clip_scaled": "c < 1: mọi gradient được nhân với c, giữ nguyên hướng của bước và làm "
                       "nó ngắn lại:",
    "opt_decay_l2": "Suy giảm trọng số gắn liền (L2), như weight_decay trong torch.optim.SGD và "
                    "Adam: hạng phạt {penalty} cộng gradient của nó vào gradient, {rule} với "
                    "{lam}, trước khi phần còn lại của chuỗi co giãn nó:",
    "opt_decay_decoupled": "Suy giảm trọng số tách rời, như torch.optim.AdamW: {lam} được cộng "
                           "sau bước thích nghi, {rule}, nên {step}: mọi trọng số co lại theo "
                           "cùng một hệ số {factor}, bất kể gradient của nó:",
    "opt_decay_masked": "{name} không bị suy giảm (mặt nạ suy giảm).",
    "opt_momentum": "Momentum theo dạng của PyTorch: bộ đệm {rule}, với {first} ở bước đầu "
                    "tiên và {mu}:",
    "opt_momentum_u": "Bước cập nhật chính là bộ đệm, {u}.",
    "opt_nesterov_torch": "Nesterov theo dạng của PyTorch: bước cập nhật nhìn trước một bước "
                          "theo bộ đệm, {u}.",
    "opt_nesterov_article": "Dạng nhìn trước của phương pháp Nesterov trong bài viết tính "
                            "gradient tại điểm phía trước tham số: {v}, {theta}.",
    "opt_nesterov_change": "Đây là cùng một phương pháp: PyTorch lưu chính điểm nhìn trước, "
                           "{change}. Viết bước nhìn trước theo các biến này cho đúng bộ đệm và "
                           "bước của PyTorch, nên tham số theo bài viết sau bước này là "
                           "{theta}:",
    "opt_adam": "Các moment của Adam, như torch.optim.Adam: {m} và {v}, với {settings}:",
    "opt_adam_hat": "Chúng bắt đầu từ 0 nên lúc đầu quá nhỏ; hiệu chỉnh độ chệch {m_hat} và "
                    "{v_hat} bù lại điều đó. Bước cập nhật là {u}: ε nằm ngoài căn bậc hai, sau "
                    "khi hiệu chỉnh (dạng của PyTorch và optax).",
    "opt_amsgrad": "AMSGrad chia cho moment bậc hai lớn nhất từ trước tới nay, {rule}.",
    "opt_rms": "RMSprop, như torch.optim.RMSprop: trung bình trượt của bình phương gradient "
               "{s} và bước cập nhật {u}, với {settings} (ε nằm ngoài căn):",
    "opt_nadam": "NAdam, như torch.optim.NAdam: các moment m và v của Adam với lịch momentum "
                 "{mu}, và bước cập nhật {u} trong đó {d}; {settings}:",
    "opt_other": "Phép biến đổi {name} viết lại bước cập nhật:",
    "opt_update": "Bước đi: {rule} với {alpha}:",
    # --- checking a learner's numbers (backprop check, bp.check) ------------------------------
    "check_title": "Kiểm tra các con số của bạn",
    "check_summary": "Số con số đã kiểm tra: {checked}. Đúng: {correct}; sai: {wrong}; sai chỉ "
                     "vì một con số sai trước đó: {consequential}.",
    "check_all_right": "Mọi con số đều đúng, trong phạm vi làm tròn bạn đã dùng.",
    "check_first": "Con số sai đầu tiên: {name}",
    "check_next": "Một con số sai khác: {name}",
    "check_yours": "Bạn đã viết:",
    "check_right": "Dòng đúng, tính từ chính các con số trước đó của bạn:",
    "check_expected": "(Nếu mọi con số trước đó đều đúng, giá trị này là {value}.)",
    "check_what": "Sai ở đâu: {sentence}",
    "check_fix": "Cách sửa: {fix}",
    "check_recheck": "Đây không phải một lỗi thường gặp: hãy kiểm tra lại phép tính này.",
    "check_consequential": "Sai chỉ vì một con số trước đó",
    "check_consequential_intro": "Các con số này được tính đúng từ những con số sai trước "
                                 "chúng: sửa những con số đó rồi tính lại theo cùng cách.",
    "check_number": "Con số",
    "check_path": "Trong JSON",
    "check_given": "Của bạn",
    "check_from_yours": "Tính từ số của bạn",
    "check_unknown": "Không kiểm tra, bước này không có con số như vậy: {keys}.",
    # --- phiếu bài tập (backprop exercise, bp.explain.exercises) -------------------------------
    "exercise_title": "Bài tập: {title} (học sinh {student})",
    "exercise_key_title": "Đáp án: {title} (học sinh {student})",
    "exercise_who": "Phiếu của học sinh {student}, hạt giống {seed}: lệnh {command} tạo lại "
                    "đúng phiếu này.",
    "exercise_given": "Cho biết",
    "exercise_quantity": "Đại lượng",
    "exercise_value": "Giá trị",
    "exercise_rows": "W[l] có một hàng cho mỗi nơ-ron của lớp l: hàng j chứa các trọng số đi "
                     "vào nơ-ron j. Một danh sách các hàng (X, Y) là một mini-batch, mỗi hàng "
                     "một mẫu.",
    "exercise_layer": "{name} (lớp thứ {n} của mạng)",
    "exercise_loss": "Hàm mất mát",
    "exercise_optimizer": "Bộ tối ưu (tham số như torch.optim)",
    "exercise_steps": "Số bước huấn luyện (mỗi bước trên cùng một mẫu)",
    "exercise_find": "Cần tìm",
    "exercise_find_intro": "Viết mỗi con số với ít nhất 4 chữ số thập phân, tính từ chính các "
                           "con số trước đó của bạn. Để được kiểm tra, hãy ghi chúng vào một "
                           "tệp JSON theo tên ở cột đầu (\"delta[2]_1\") hoặc theo đường dẫn ở "
                           "cột thứ hai, rồi đưa tệp đó cho backprop check cùng với đáp án của "
                           "phiếu.",
    "exercise_find_formula": "Viết mỗi con số với ít nhất 4 chữ số thập phân. Để được kiểm tra, "
                             "hãy ghi chúng vào một tệp JSON dạng {{\"value\": ..., \"grad\": "
                             "{{\"x\": ...}}}} rồi đưa tệp đó cho backprop check cùng với đáp "
                             "án của phiếu.",
    "exercise_yours": "Đáp số của bạn",
    "exercise_answer": "Đáp số",
    "exercise_step": "Bước {step}",
    "exercise_answers": "Đáp số",
    "exercise_check": "Các con số của học sinh được chấm theo đáp án này bằng lệnh {command}.",
    "exercise_derivation": "Lời giải chi tiết",
}
