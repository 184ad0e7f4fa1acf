"""``backprop export``: a saved model as ONNX or as a PyTorch state dict, optionally verified.

Every input is checked before any work (one line on stderr, exit 2): the output must differ from
the model file, be a regular file or a new one (not a symbolic link, a device or a folder) and
its folder must exist and be writable, the model must be a backprop model
file, every layer must have a translation, and the optional packages must be installed.
``--verify`` runs the exported file (ONNX Runtime, or torch after loading it back) and the
library on the same random inputs and prints the measured differences; exit 1 when they exceed
the tolerance (:mod:`backprop.interop.verify`), 0 otherwise.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from .common import EXIT_FAILED, EXIT_OK, MAX_SEED, _same_file, check_outputs, emit, number

#: the most random inputs --verify draws (a million rows of the model's width)
MAX_SAMPLES = 1_000_000

HELP = "export a saved model to ONNX or PyTorch, and check the export's outputs (--verify)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL",
                   help="a model saved by bp.save or 'backprop train --save' (.npz)")
    p.add_argument("--to", choices=("onnx", "torch"), required=True,
                   help="onnx: one .onnx file (opset 17); torch: a state dict (FILE, loadable "
                        "with torch.load(weights_only=True)) and its architecture (FILE.json)")
    p.add_argument("--output", metavar="FILE", required=True, help="where to write the export")
    p.add_argument("--verify", action="store_true",
                   help="run the export and the library on random inputs and compare; exit 1 "
                        "when they differ by more than 1e-6 (float32) / 1e-12 (float64)")
    p.add_argument("--samples", type=number(int, low=1, high=MAX_SAMPLES), default=1000,
                   metavar="N",
                   help="number of random inputs for --verify (default: 1000)")
    p.add_argument("--seed", type=number(int, low=0, high=MAX_SEED), default=0,
                   help="seed of the random inputs (default: 0)")


def run(args: argparse.Namespace) -> int:
    from ..interop import _optional, onnx_export, pytorch, torch_files, verify
    from ..models import load

    model, output = Path(args.model), Path(args.output)
    outputs = {"--output": output}
    if args.to == "torch":
        outputs["--output's architecture file"] = torch_files.architecture_path(output)
    for out in outputs.values():
        if _same_file(model, out):
            raise ValueError(f"the output {str(out)!r} is the model file itself; choose another "
                             f"--output")
    check_outputs(outputs, inputs=[model])
    if not 1 <= args.samples <= MAX_SAMPLES:
        raise ValueError(f"--samples must be between 1 and {MAX_SAMPLES:,}, got {args.samples}")
    if not model.is_file():
        raise ValueError(f"no such model file: {str(model)!r}")
    net = load(model)  # a file that is not a model: ModelFileError (ValueError), exit 2
    if args.to == "onnx":
        onnx_export.check_exportable(net)
        _optional.require("onnx", "backprop export --to onnx")
        if args.verify:
            _optional.require("onnxruntime", "backprop export --to onnx --verify")
    else:
        pytorch.check_convertible(net)
        _optional.require("torch", "backprop export --to torch")
    if args.verify and net.input_width is None:
        raise ValueError("--verify needs the model's input width, and this model has no layer "
                         "that fixes it")

    dtype = onnx_export.network_dtype(net).name
    if args.to == "onnx":
        onnx_export.to_onnx(net, output)
        emit(f"exported {model} to {output} (ONNX opset {onnx_export.OPSET}, {dtype})", None)
    else:
        _, json_path = torch_files.save_torch(net, output)
        emit(f"exported {model} to {output} (torch state dict, {dtype}) and {json_path} "
             f"(architecture)", None)
    if not args.verify:
        return EXIT_OK
    check = verify.verify_onnx if args.to == "onnx" else verify.verify_torch
    result = check(net, output, n=args.samples, seed=args.seed)
    runtime = "ONNX Runtime" if args.to == "onnx" else "torch"
    emit(f"verify ({runtime} vs backprop): {result}", None)
    return EXIT_OK if result.ok else EXIT_FAILED
