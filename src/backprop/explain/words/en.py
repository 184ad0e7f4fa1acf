"""English: every word the explanation, the HTML pages and the labs print.

A key names one sentence or label; ``{name}`` fields are filled in by the code that uses it
(numbers, math, names), so the table holds words only. Every other language's table has the same
keys with the same fields (:func:`backprop.explain.words.register_language` checks).
"""

EN: dict[str, str] = {
    # --- the explanation of a step (backprop example, Trace.to_text / to_markdown / to_html) ---
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
    # --- the HTML pages and the report of a run (backprop report) -----------------------------
    "page_footer": "Written by backprop {version}. Self-contained: math typeset as MathML by the "
                   "browser, images embedded, no scripts and no links.",
    "run_title": "Training report: {name}",
    "run_intro": "Model file {file}; loss: {loss}.",
    "run_measure": "Measure",
    "run_untrained": "Model file {file}. It holds no training record (it was not saved by "
                     "backprop train --save), so only the network is shown.",
    "run_result": "Result",
    "run_dataset": "Dataset",
    "run_test_accuracy": "Test accuracy",
    "run_test_loss": "Test loss",
    "run_epochs_run": "Epochs run",
    "run_seconds": "Training time",
    "run_stop_reason": "Stopped because",
    "run_best_epoch": "Best epoch",
    "run_final_loss": "Final training loss",
    "run_settings": "Settings",
    "run_setting": "Setting",
    "run_value": "Value",
    "run_network": "Network",
    "run_network_summary": "{widths}: {layers} layers, {params} trainable parameters.",
    "run_layer": "Layer",
    "run_units": "Units (in → out)",
    "run_parameters": "Parameters",
    "run_total": "Total",
    "run_curves": "Training curves",
    "run_curves_alt": "Loss and accuracy per epoch",
    "run_gradients": "Gradient norms per layer",
    "run_gradients_alt": "Heat map of the gradient norm of each layer at each recorded step",
    "run_gradients_intro": "The norm of each layer's weight gradient at each recorded step (log "
                           "colour scale); a band that fades towards the input is a vanishing "
                           "gradient.",
    "run_seconds_value": "{s:.1f} s",
    "run_inputs": "Inputs and outputs",
    "run_inputs_intro": "What the model does to its inputs before the first layer and what "
                        "its outputs mean; bp.load applies and returns these.",
    "run_standardized": "Standardisation",
    "run_standardized_value": "{kind}: x' = (x - mean) / scale, with the training set's "
                              "statistics",
    "run_standardized_feature": "per feature",
    "run_standardized_global": "one mean and scale for all features",
    "run_no_transform": "none (the inputs go to the first layer as they are)",
    "run_features": "Input features",
    "run_classes": "Classes (output unit order)",
    # --- labs (backprop lab) ------------------------------------------------------------------
    "lab_layer": "layer",
    "lab_config": "configuration",
    "lab_final_loss": "final loss",
    "lab_accuracy": "accuracy",
    "lab_vanishing_title": "Gradient norm ||dW|| of each Dense layer (1 = next to the input); "
                           "{dataset}, {depth} hidden layers of {width}, seed {seed}",
    "lab_vanishing_start": "at initialisation (step 1)",
    "lab_vanishing_end": "after {epochs} epochs",
    "lab_ratio_start": "first/last, start",
    "lab_ratio_end": "first/last, end",
    "lab_verdict_not_finite": "the gradient is not finite",
    "lab_verdict_vanishes": "the first layer's gradient is {ratio} of the last layer's (each layer "
                            "scales it by about {per_layer:.2g} on the way back): it vanishes "
                            "and the layers near the input barely learn",
    "lab_verdict_explodes": "the first layer's gradient is {ratio} times the last layer's: it "
                            "explodes",
    "lab_verdict_within": "the first layer's gradient stays within a factor of {factor:.2g} of "
                          "the last layer's",
    "lab_vanishing_run": "With {name}, at the start {verdict}. After {epochs} epochs the "
                         "first/last ratio is {ratio} and training accuracy {accuracy:.0f}% "
                         "(loss {loss:.3f}).",
    "lab_vanishing_xavier": "Xavier instead of the naive start changes the first/last ratio by "
                            "{gain:+.0f} orders of magnitude.",
    "lab_vanishing_xavier_still": "Xavier instead of the naive start changes the first/last "
                                  "ratio by {gain:+.0f} orders of magnitude, yet with sigmoid "
                                  "(whose derivative is at most 0.25) the gradient still "
                                  "vanishes at this depth.",
    "lab_vanishing_best": "Best after {epochs} epochs: {best} ({best_accuracy:.0f}%); worst: "
                          "{worst} ({worst_accuracy:.0f}%).",
    "lab_optimizer": "optimizer",
    "lab_settings": "settings",
    "lab_time": "time",
    "lab_optimizers_title": "{dataset}, {n_samples} samples, network {arch} (ReLU, He init), "
                            "{epochs} epochs, seed {seed}",
    "lab_optimizers_lowest": "After {epochs} epochs the lowest training loss is {best}'s "
                             "({best_loss:.4f}), the highest {worst}'s ({worst_loss:.4f}).",
    "lab_optimizers_against_sgd": "Against plain SGD's final loss: {comparisons}.",
    "lab_optimizers_lower": "{name} {ratio:.2g}x lower",
    "lab_optimizers_higher": "{name} {ratio:.2g}x higher",
    "lab_optimizers_nesterov_below": "Nesterov's look-ahead ends below classical momentum "
                                     "({nesterov:.4f} vs {momentum:.4f}).",
    "lab_optimizers_nesterov_above": "Nesterov's look-ahead ends above classical momentum "
                                     "({nesterov:.4f} vs {momentum:.4f}).",
    "lab_optimizers_adamw_smaller": "AdamW ends at {adamw:.4f} against Adam's {adam:.4f}; its "
                                    "decoupled decay leaves smaller weights (norm "
                                    "{adamw_norm:.3g} vs {adam_norm:.3g}).",
    "lab_optimizers_adamw_not_smaller": "AdamW ends at {adamw:.4f} against Adam's {adam:.4f}; "
                                        "its weights end no smaller (norm {adamw_norm:.3g} vs "
                                        "{adam_norm:.3g}).",
    "lab_optimizers_time": "Wall time per run: {fastest_seconds:.2f}s ({fastest}) to "
                           "{slowest_seconds:.2f}s ({slowest}).",
    "lab_optimizers_plot": "Optimisers on {dataset} ({arch} ReLU, seed {seed})",
    "lab_optimizers_boundary": "{name} after {epochs} epochs",
}
