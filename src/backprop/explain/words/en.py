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
    "lab_optimizers_time": "Wall time per run (measured on this machine, so it changes from run "
                           "to run): {per_run}. The fastest is {fastest}, the slowest {slowest}.",
    "lab_optimizers_plot": "Optimisers on {dataset} ({arch} ReLU, seed {seed})",
    "lab_optimizers_boundary": "{name} after {epochs} epochs",
    # --- chain rule (backprop chain, bp.chain) -------------------------------------------------
    "chain_title": "The chain rule, node by node",
    "chain_formula": "Formula: {formula}",
    "chain_at": "At {values}.",
    "chain_no_inputs": "No input is given: every value is a number.",
    "chain_rule": "The article opens with the chain rule of a composite function, {rule}: the "
                  "derivative of the whole is the product of the local derivatives along the "
                  "way. A formula is a composite of small operations. Drawn as a graph, each "
                  "node applies one operation to the values that flow into it; the forward pass "
                  "computes every node's value, and the backward pass starts from {seed} at the "
                  "output and multiplies, edge by edge, by each operation's local derivative, "
                  "adding up the products where a value is used more than once. Below, {grad} "
                  "is the gradient of the output with respect to a node u, along every path, "
                  "and {local} the local derivative of one operation c with respect to one of "
                  "its inputs u.",
    "chain_graph": "The computational graph",
    "chain_graph_intro": "{n} nodes: {inputs} inputs, {ops} operations and {consts} numbers; "
                         "the output is {f}. Each arrow carries a value forward and a gradient "
                         "back.",
    "chain_graph_alt": "Computational graph of {f}: {n} nodes, inputs {inputs}",
    "chain_forward": "Forward pass: the value of every node",
    "chain_forward_intro": "Each operation in turn, from the values that flow into it:",
    "chain_activation": "{name}: {formula}.",
    "chain_local": "Local derivatives",
    "chain_local_intro": "The derivative of each operation with respect to each of its inputs, "
                         "at the values of the forward pass (an activation's comes from its own "
                         "backward pass, as in training):",
    "chain_backward": "Backward pass: the chain rule from the output back",
    "chain_backward_intro": "At the output, {seed}. Going back from the last node to the "
                            "first, a node's gradient is the gradient of each node it feeds "
                            "times the local derivative of that edge, summed over its edges:",
    "chain_shared": "Used on more than one edge, hence a gradient that is a sum of one product "
                    "per edge: {names}.",
    "chain_unused": "On no path to {f}, hence a gradient of 0: {names}.",
    "chain_table": "Every node",
    "chain_col_node": "node",
    "chain_col_op": "operation",
    "chain_col_value": "value",
    "chain_col_local": "local derivatives",
    "chain_col_grad": "gradient",
    "chain_result": "The gradient of {f} with respect to its inputs: {grads}.",
    "chain_result_none": "{f} depends on no input: it is a number, and there is nothing to "
                         "differentiate.",
    "chain_op_input": "input",
    "chain_op_add": "sum",
    "chain_op_sub": "difference",
    "chain_op_mul": "product",
    "chain_op_div": "quotient",
    "chain_op_pow": "power",
    "chain_op_neg": "change of sign",
    "chain_op_copy": "the same value, named",
    "chain_op_function": "function {name}",
    "chain_op_activation": "activation {name}",
    # --- labs: exploding, normalization, batch-size, weight-decay -----------------------------
    "lab_ratio": "ratio",
    "lab_plot_dense_layer": "Dense layer (1 = next to the input)",
    "lab_plot_step": "step",
    "lab_plot_epoch": "epoch",
    "lab_exploding_title": "Gradient norm ||dW|| of each Dense layer at initialisation (1 = next "
                           "to the input); {dataset}, {depth} hidden ReLU layers of {width}, seed "
                           "{seed}",
    "lab_exploding_training": "Training: SGD, learning rate {lr:g}, {epochs} epochs of batches of "
                              "{batch_size}; ||g|| is the gradient norm the backward pass wrote, "
                              "||Δθ||/lr the length of the step taken",
    "lab_grad_first": "||g||, step 1",
    "lab_grad_largest": "largest ||g||",
    "lab_step_largest": "largest ||Δθ||/lr",
    "lab_diverged_at": "diverged at step",
    "lab_exploding_start": "At initialisation, multiplying He's weights by {scale} multiplies the "
                           "gradient of every Dense layer by {low} to {high} (about "
                           "{per_layer:.2f} per layer over {layers} layers): the gradient "
                           "explodes.",
    "lab_exploding_start_mild": "At initialisation, multiplying He's weights by {scale} "
                                "multiplies the gradient of the Dense layers by {low} to {high} "
                                "(about {per_layer:.2f} per layer over {layers} layers): too "
                                "little to call an explosion.",
    "lab_exploding_diverged": "Without clipping ({name}) the gradient norm went from {first} at "
                              "the first step to {largest}, and at step {step} the loss or a "
                              "gradient stopped being a finite number: training broke down.",
    "lab_exploding_unclipped": "Without clipping ({name}) the gradient norm reached {largest}; "
                               "the loss went from {start:.3g} to {end:.3g} (accuracy "
                               "{accuracy:.0f}%).",
    "lab_exploding_clipped": "Clipped at {clip} ({name}), the raw gradient norm still reached "
                             "{largest}, {times} times the threshold, but no step used a "
                             "gradient longer than {step}: the loss went from {start:.3g} to "
                             "{end:.3g} and the accuracy reached {accuracy:.0f}%.",
    "lab_exploding_clipped_diverged": "Even clipped at {clip} ({name}), the loss stopped being "
                                      "finite at step {step}.",
    "lab_exploding_ratio": "The longest step without clipping was {ratio} times the longest "
                           "clipped one.",
    "lab_exploding_baseline": "With He's own scale ({name}) the gradient norm is at most "
                              "{largest} and, unclipped, training ends at loss {end:.3g} and "
                              "{accuracy:.0f}% accuracy.",
    "lab_exploding_plot_start": "||dW|| of each layer at initialisation",
    "lab_exploding_plot_steps": "gradient norm at each step (dashed: the step taken)",
    "lab_exploding_plot_title": "Exploding gradients: {depth} hidden ReLU layers of {width}, "
                                "{dataset}",
    "lab_lr": "learning rate",
    "lab_feature": "feature",
    "lab_spread": "spread (raw)",
    "lab_grad_raw": "||dJ/dW1[:, j]||, raw",
    "lab_grad_standardised": "standardised",
    "lab_inputs_raw": "raw",
    "lab_inputs_standardised": "standardised",
    "lab_val_accuracy": "val. accuracy",
    "lab_dead": "dead units",
    "lab_diverged": "diverged",
    "lab_normalization_title": "{dataset}, {n_train} training and {n_val} validation samples, "
                               "the last feature replaced by {transform}; network {arch} "
                               "(ReLU, He), SGD, {epochs} epochs of batches of {batch_size}, "
                               "seed {seed}. The spread is the standard deviation of the raw "
                               "feature; ||dJ/dW1[:, j]|| the first layer's gradient on the "
                               "weights of feature j at initialisation",
    "lab_normalization_gradient": "Raw, the second feature spreads {spread} times as wide as "
                                  "the first, and at initialisation the first layer's gradient "
                                  "on its weights is {raw} times that on the first feature's "
                                  "({standardised} once standardised): no single learning rate "
                                  "suits both directions.",
    "lab_normalization_best": "Best validation accuracy: {raw:.1f}% with raw inputs (learning "
                              "rate {raw_lr}), {standardised:.1f}% standardised (learning rate "
                              "{standardised_lr}).",
    "lab_normalization_wins": "Standardised inputs do at least as well as raw ones at {wins} of "
                              "the {n} learning rates.",
    "lab_normalization_collapse": "With raw inputs, training at learning rate {lrs} ends no "
                                  "better than always answering the largest class "
                                  "({chance:.0f}%), with up to {dead:.0f}% of the hidden units "
                                  "dead.",
    "lab_and": "and",
    "lab_inputs": "inputs",
    "lab_normalization_plot_title": "Raw against standardised inputs: {dataset}, second feature "
                                    "times {scale}",
    "lab_normalization_plot_accuracy": "validation accuracy after training",
    "lab_normalization_plot_loss": "training loss per epoch",
    "lab_plot_lr": "learning rate (log scale)",
    "lab_batch": "batch B",
    "lab_updates": "updates/epoch",
    "lab_grad_error": "gradient error",
    "lab_epochs_to": "epochs to loss < {target}",
    "lab_batch_size_title": "{dataset}, {n} samples, SGD at learning rate {lr:g} for {epochs} "
                            "epochs, seed {seed}. Gradient error: ||g_B - g|| / ||g|| at the "
                            "initial weights, root mean square over {draws} random batches (g: "
                            "the gradient of the whole data set)",
    "lab_batch_size_noise": "A batch's gradient misses the whole data set's by {small_error:.2f} "
                            "of its length at B = {small} and by {big_error:.3f} at B = {big}; "
                            "a log-log fit of the error against B gives the exponent "
                            "{slope:.2f} (1/√B would be -0.5).",
    "lab_batch_size_full": "B = {n} is the whole data set: its gradient is exact, gradient "
                           "descent without noise.",
    "lab_batch_size_speed": "In {epochs} epochs at learning rate {lr}, B = {small} makes "
                            "{small_updates} updates and ends at loss {small_loss:.4f}; B = "
                            "{big} makes {big_updates} and ends at {big_loss:.4f}.",
    "lab_batch_size_target": "Epochs to bring the training loss below {target}: {reached}.",
    "lab_batch_size_never": "Never below {target} within {epochs} epochs: {never}.",
    "lab_batch_size_timing": "Wall time per epoch (measured on this machine, so it changes from "
                             "run to run): {per_epoch}. The fastest epoch is B = {fast}'s; one "
                             "of B = {small} takes {ratio:.1f} times as long.",
    "lab_batch_size_plot_title": "Batch size: {dataset}, {n} samples, SGD at learning rate {lr:g}",
    "lab_batch_size_plot_noise": "gradient error at the start",
    "lab_batch_size_plot_loss": "training loss per epoch",
    "lab_plot_batch": "batch size B (log scale)",
    "lab_weight_norm": "||W||",
    "lab_train_accuracy": "train accuracy",
    "lab_gap": "gap (points)",
    "lab_val_loss": "val. loss",
    "lab_weight_decay_title": "{dataset} (noise {noise}), {n_train} training and {n_val} "
                              "validation points; network {arch} (ReLU, He), SGD at learning "
                              "rate {lr} with momentum {momentum}, {epochs} epochs of batches of "
                              "{batch_size}, seed {seed}. λ adds λW to each weight's gradient "
                              "(the penalty λ/2 ||W||² of the cost); ||W|| is the norm of all "
                              "weights after training, the gap training minus validation "
                              "accuracy",
    "lab_weight_decay_norms": "The weights' norm falls with every step up in λ, from "
                              "{low_norm:.3g} at λ = {low} to {high_norm:.3g} at λ = {high}.",
    "lab_weight_decay_norms_not_monotone": "The weights' norm goes from {low_norm:.3g} at λ = "
                                           "{low} to {high_norm:.3g} at λ = {high}, though not "
                                           "at every step.",
    "lab_weight_decay_fit": "At λ = {decay} the network fits its {n_train} training points to "
                            "{train:.1f}% but scores {val:.1f}% on the {n_val} validation points, "
                            "a gap of {gap:.1f} points.",
    "lab_weight_decay_best": "The best validation accuracy is at λ = {decay}: {val:.1f}% "
                             "({gain:+.1f} points), with a gap of {gap:.1f} points and a "
                             "validation loss of {val_loss:.3f} against {base_loss:.3f}.",
    "lab_weight_decay_no_gain": "No strength tried beats λ = {decay} on validation accuracy.",
    "lab_weight_decay_too_much": "Too much decay underfits: at λ = {decay} the training "
                                 "accuracy falls to {train:.1f}% and the validation accuracy is "
                                 "{val:.1f}%.",
    "lab_weight_decay_plot_title": "L2 weight decay: {dataset}, {n_train} training points, "
                                   "network {arch}",
    "lab_weight_decay_plot_norm": "norm of the weights after training",
    "lab_weight_decay_plot_accuracy": "accuracy after training",
    "lab_plot_train": "training",
    "lab_plot_validation": "validation",
    # --- optimiser, batch norm, dropout, schedule steps --------------------------------------
    "steps_title": "Backpropagation, {n} training steps",
    "steps_step": "Training step {t} of {n} (loss {loss})",
    "labels_one_hot": "The targets are class labels {labels}; the formulas use them as one-hot "
                      "rows: y_k = 1 for the labelled class, 0 for the others.",
    "optimizer_line": "Optimiser {name} (PyTorch's rules): {settings}.",
    "schedule_line": "The learning rate follows the schedule {name}; at training step {t} it is "
                     "{alpha}.",
    "layer_line_fused": "Layer {l}, {role} ({n_in} → {n_out}): activation {name}, {g}, taken "
                        "inside the {loss} (step 2 shows why).",
    "frozen": "The parameter {theta} is frozen: the optimiser leaves it out, so it keeps its "
              "value; its gradient is still computed.",
    "frozen_kept": "{theta} is frozen: it keeps its value.",
    "frozen_module": "The frozen parameters of the {name} keep their values.",
    "module_line": "A {name} layer reads {u} and writes {y}; it is shown by its numbers.",
    "module_forward": "The {name} layer turns {u} into {y}:",
    "module_backward": "Back through the {name} layer: {dy} arrives, {du} leaves (gradients of "
                       "the cost J):",
    "bn_line": "Batch normalisation of the {n} units of {u} gives {y}, with {eps} and running "
               "statistics updated with {rho}.",
    "bn_forward": "Batch normalisation of {u} over the {m} samples of the batch, unit by unit: "
                  "the batch mean {mu}, the batch variance {var} (divided by m), the normalised "
                  "value {xhat} ({eps}) and the output {out}, with the learned scale γ and "
                  "shift β:",
    "bn_forward_running": "Batch normalisation of {u} with the running statistics μ̄ and σ̄² in "
                          "place of the batch's: {xhat} ({eps}), then {out}:",
    "bn_running": "The running statistics, kept for evaluation, move towards the batch's: "
                  "{mean} and {var} (the variance unbiased), with {rho}:",
    "bn_backward": "Back through the batch normalisation, with dy = ∂J/∂{y} arriving: {dgamma} "
                   "and {dbeta}; μ and σ² depend on every sample, so the gradient of each input "
                   "collects all of them: {du} with {s}.",
    "dropout_line": "Dropout on {u} gives {y}: each element is kept with probability {keep} "
                    "({p}), and the kept ones are scaled by {scale} so that the expected output "
                    "equals the input.",
    "dropout_forward": "Dropout with the mask {M} (1 keeps, 0 drops): {rule}.",
    "dropout_identity": "Dropout passes {u} on unchanged as {y} here (evaluation mode or p = "
                        "0).",
    "dropout_backward": "Back through the dropout, with the same mask and scale: {rule}.",
    "step2_through": "The loss is taken of {y_hat}, so its gradient flows back through the "
                     "layers after the last Dense before it reaches a[L]; then {formula}.",
    "step2_fused": "The output layer's {link} is part of the {loss}: the loss takes z[L] itself, "
                   "with the probabilities {p}, and gives the output error directly as {delta}.",
    "step2_fused_why": "Why p − y: {why}.",
    "step10_module": "The parameters of the {name}:",
    "opt_step10": "Step 10: the update ({name})",
    "opt_intro": "The optimiser turns each gradient into an update u through its chain {chain}; "
                 "then every parameter takes the step {rule} with {alpha}.",
    "opt_schedule": "The schedule {name} sets the rate of each training step: at step {t}, "
                    "{alpha}; it has set {next} for the next one.",
    "opt_gradient": "Each chain starts from the gradient {g} of steps 3-9.",
    "opt_clip_value": "Clipping by value: every entry is clamped, {rule} with {c}. Entries that "
                      "changed:",
    "opt_clip_norm": "Clipping by global norm, as torch.nn.utils.clip_grad_norm_: the norm of "
                     "all gradients together is {norm}, and the factor is {c}.",
    "opt_clip_none": "c ≥ 1: the gradients are left as they are.",
    "opt_clip_scaled": "c < 1: every gradient is multiplied by c, which keeps the direction of "
                       "the step and shortens it:",
    "opt_decay_l2": "Coupled weight decay (L2), as weight_decay in torch.optim.SGD and Adam: "
                    "the penalty {penalty} adds its gradient to the gradient, {rule} with {lam}, "
                    "before the rest of the chain rescales it:",
    "opt_decay_decoupled": "Decoupled weight decay, as torch.optim.AdamW: {lam} is added after "
                           "the adaptive step, {rule}, so that {step}: every weight shrinks by "
                           "the same factor {factor}, whatever its gradient:",
    "opt_decay_masked": "{name} is not decayed (decay mask).",
    "opt_momentum": "Momentum in PyTorch's form: the buffer {rule}, with {first} at the first "
                    "step and {mu}:",
    "opt_momentum_u": "The update is the buffer itself, {u}.",
    "opt_nesterov_torch": "Nesterov, in PyTorch's form: the update looks one step ahead along "
                          "the buffer, {u}.",
    "opt_nesterov_article": "The article's look-ahead form of Nesterov's method evaluates the "
                            "gradient ahead of the parameters: {v}, {theta}.",
    "opt_nesterov_change": "It is the same method: PyTorch stores the look-ahead point itself, "
                           "{change}. Writing the look-ahead update in these variables gives "
                           "exactly PyTorch's buffer and step, so the article's parameters "
                           "after this step are {theta}:",
    "opt_adam": "Adam's moments, as torch.optim.Adam: {m} and {v}, with {settings}:",
    "opt_adam_hat": "They start at 0, so early on they are too small; the bias corrections "
                    "{m_hat} and {v_hat} undo that. The update is {u}: ε sits outside the square "
                    "root, after the correction (PyTorch's and optax's form).",
    "opt_amsgrad": "AMSGrad divides by the largest second moment so far, {rule}.",
    "opt_rms": "RMSprop, as torch.optim.RMSprop: the running mean of squared gradients {s} and "
               "the update {u}, with {settings} (ε outside the root):",
    "opt_nadam": "NAdam, as torch.optim.NAdam: Adam's moments m and v with the momentum "
                 "schedule {mu}, and the update {u} where {d}; {settings}:",
    "opt_other": "The transform {name} rewrites the update:",
    "opt_update": "The step: {rule} with {alpha}:",
    # --- checking a learner's numbers (backprop check, bp.check) ------------------------------
    "check_title": "Checking your numbers",
    "check_summary": "Numbers checked: {checked}. Right: {correct}; wrong: {wrong}; wrong only "
                     "because of an earlier wrong number: {consequential}.",
    "check_all_right": "Every number is right, within the rounding you used.",
    "check_first": "The first wrong number: {name}",
    "check_next": "Another wrong number: {name}",
    "check_yours": "You wrote:",
    "check_right": "The right line, from your own numbers before it:",
    "check_expected": "(With every number before it right, it would be {value}.)",
    "check_what": "What went wrong: {sentence}",
    "check_fix": "Fix: {fix}",
    "check_recheck": "This is none of the usual mistakes: recheck this arithmetic.",
    "check_consequential": "Wrong only because of an earlier number",
    "check_consequential_intro": "These numbers follow correctly from the wrong ones before "
                                 "them: once those are fixed, recompute them the same way.",
    "check_number": "Number",
    "check_path": "In the JSON",
    "check_given": "Yours",
    "check_from_yours": "From your numbers",
    "check_unknown": "Not checked, no such number in this step: {keys}.",
    # --- exercise sheets (backprop exercise, bp.explain.exercises) -----------------------------
    "exercise_title": "Exercise: {title} (student {student})",
    "exercise_key_title": "Key: {title} (student {student})",
    "exercise_who": "Sheet of student {student}, seed {seed}: {command} gives it again.",
    "exercise_given": "Given",
    "exercise_quantity": "Quantity",
    "exercise_value": "Value",
    "exercise_rows": "W[l] has one row per unit of layer l: row j holds the weights into unit "
                     "j. A list of rows (X, Y) is a mini-batch, one sample per row.",
    "exercise_layer": "{name} (layer {n} of the network)",
    "exercise_loss": "Loss",
    "exercise_optimizer": "Optimiser (torch.optim's arguments)",
    "exercise_steps": "Training steps (each on the same sample)",
    "exercise_find": "Find",
    "exercise_find_intro": "Write every number with at least 4 decimals, computing each from "
                           "your own numbers before it. To have them checked, put them in a "
                           "JSON file under the names of the first column (\"delta[2]_1\") or "
                           "the paths of the second, and give it to backprop check with your "
                           "sheet's key.",
    "exercise_find_formula": "Write every number with at least 4 decimals. To have them "
                             "checked, put them in a JSON file as {{\"value\": ..., \"grad\": "
                             "{{\"x\": ...}}}} and give it to backprop check with your sheet's "
                             "key.",
    "exercise_yours": "Your answer",
    "exercise_answer": "Answer",
    "exercise_step": "Step {step}",
    "exercise_answers": "The answers",
    "exercise_check": "A student's numbers are marked against this key by {command}.",
    "exercise_derivation": "The derivation",
}
