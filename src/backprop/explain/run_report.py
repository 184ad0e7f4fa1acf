"""The report of a training run: the document of a model saved by ``backprop train --save``.

The model file already holds everything (:func:`backprop.io.load` with ``with_extra=True``): the
settings, the result on the test set and the per-epoch history in its JSON metadata, the
network in its arrays. :func:`run_document` shows them as tables, draws the network, and adds
the loss/accuracy curves (and the per-layer gradient heat map when the run recorded
diagnostics) as PNG images; :func:`run_report` writes that document as one self-contained HTML
page (:mod:`.page`), like the trace's.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..io import atomic_write_text
from ..layers import Sequential
from ..losses import LOSSES
from ..models import load
from .diagram import NetworkDiagram, network_diagram
from .document import Code, Document, Inline, Strong
from .page import write_page
from .words import name_of, words


def _cell(value: Any) -> str:
    """A setting's value as a table cell's words."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _layer_rows(net: Sequential, total_word: str) -> list[list[Inline]]:
    rows: list[list[Inline]] = []
    width, total = None, 0
    for i, layer in enumerate(net.layers):
        config = {k: v for k, v in layer.get_config().items()
                  if k not in ("n_in", "n_out", "n", "dtype", "bias")}
        name = type(layer).__name__ + (
            "(" + ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                            for k, v in config.items()) + ")" if config else "")
        if layer.role == "affine":
            units = f"{layer.input_width} → {layer.output_width(width)}"
            width = layer.output_width(width)
        else:
            units = "" if width is None else str(width)
        total += layer.n_params
        rows.append([str(i), name, units, f"{layer.n_params:,}"])
    rows.append(["", Strong(total_word), "", Strong(f"{total:,}")])
    return rows


def net_diagram(net: Sequential, loss: str | None, lang: str) -> NetworkDiagram | None:
    """The diagram of the Dense layers of ``net`` (None if it has none).

    A Dense layer's activation is the first element-wise activation after it, before the next
    Dense (batch norm and dropout in between are not drawn); a last layer without one feeds the
    loss its logits, and is labelled by the loss's link (``softmax`` for the softmax
    cross-entropy, ``sigmoid`` for the binary one, ``identity`` for the squared error).
    """
    dense = [i for i, layer in enumerate(net.layers) if layer.role == "affine"]
    if not dense:
        return None
    known = LOSSES.get(loss) if loss is not None else None
    link = known.link if known is not None else "identity"
    acts = []
    for k, start in enumerate(dense):
        stop = dense[k + 1] if k + 1 < len(dense) else len(net.layers)
        last = k == len(dense) - 1
        acts.append(next((layer.name for layer in net.layers[start + 1:stop]
                          if layer.role == "activation"), link if last else "identity"))
    widths = [net.input_width] + [net.layers[i].output_width(None) for i in dense]
    return network_diagram(widths, acts, lang=lang)


def _png(plot: Callable[[Path], Any]) -> bytes:
    """Run ``plot(path)`` into a temporary PNG and return its bytes."""
    with tempfile.TemporaryDirectory(prefix="backprop-report-") as tmp:
        path = Path(tmp) / "figure.png"
        plot(path)
        return path.read_bytes()


def run_document(path: str | Path, lang: str = "en") -> Document:
    """The report of the model file ``path`` as a :class:`~.document.Document`.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing file, or one that is not a backprop model (:class:`backprop.io.ModelFileError`).
    ImportError
        matplotlib is needed for the curves (``pip install 'backprop[report]'`` installs it).
    """
    from .. import plots
    from ..training.callbacks import History

    W = words(lang)
    path = Path(path)
    net, extra, _ = load(path, with_extra=True)
    if not isinstance(extra, dict):
        extra = {}
    history = extra.get("history") if isinstance(extra.get("history"), dict) else None
    settings = extra.get("settings") if isinstance(extra.get("settings"), dict) else None
    result = extra.get("result") if isinstance(extra.get("result"), dict) else {}
    loss = extra.get("loss") if isinstance(extra.get("loss"), str) else None

    doc = Document()
    doc.heading(1, W["run_title"].format(name=path.name))
    if settings is None and history is None:
        doc.para(W["run_untrained"], file=Code(path.name))
    else:
        known = LOSSES.get(loss) if loss is not None else None
        doc.para(W["run_intro"], file=Code(path.name),
                 loss=name_of(known, lang) if known is not None else loss or "?")

    # --- result ----------------------------------------------------------------------------------
    rows: list[list[Inline]] = []
    curve = (history or {}).get("history", {}) if history else {}
    if result.get("dataset") is not None:
        rows.append([W["run_dataset"], _cell(result["dataset"])])
    if result.get("test_accuracy") is not None:
        rows.append([W["run_test_accuracy"], f"{100 * result['test_accuracy']:.2f} %"])
    if result.get("test_loss") is not None:
        rows.append([W["run_test_loss"], f"{result['test_loss']:.4f}"])
    if isinstance(curve.get("loss"), list) and curve["loss"]:
        rows.append([W["run_final_loss"], f"{curve['loss'][-1]:.4f}"])
    if result.get("epochs_run") is not None:
        rows.append([W["run_epochs_run"], str(result["epochs_run"])])
    if history and history.get("best_epoch") is not None:
        rows.append([W["run_best_epoch"], str(history["best_epoch"])])
    if result.get("seconds") is not None:
        rows.append([W["run_seconds"], W["run_seconds_value"].format(s=result["seconds"])])
    if result.get("stop_reason"):
        rows.append([W["run_stop_reason"], _cell(result["stop_reason"])])
    if rows:
        doc.heading(2, W["run_result"])
        doc.table([W["run_measure"], W["run_value"]], rows, align=(None, "right"))

    if settings:
        doc.heading(2, W["run_settings"])
        doc.table([W["run_setting"], W["run_value"]],
                  [[Code(key), _cell(value)] for key, value in settings.items()])

    # --- inputs and outputs: what the loaded model applies and returns ----------------------------
    doc.heading(2, W["run_inputs"])
    doc.para(W["run_inputs_intro"])
    transform = getattr(net, "input_transform", None)
    if transform is None:
        how = W["run_no_transform"]
    else:
        kind = W["run_standardized_feature" if transform.per_feature else
                 "run_standardized_global"]
        how = W["run_standardized_value"].format(kind=kind)
    io_rows: list[list[Inline]] = [[W["run_standardized"], how]]
    if getattr(net, "feature_names_", None):
        io_rows.append([W["run_features"], _cell(list(net.feature_names_))])
    if getattr(net, "classes_", None) is not None:
        io_rows.append([W["run_classes"], _cell(net.classes_.tolist())])
    doc.table([W["run_measure"], W["run_value"]], io_rows)

    # --- network ---------------------------------------------------------------------------------
    doc.heading(2, W["run_network"])
    diagram = net_diagram(net, loss, lang)
    if diagram is not None:
        n_params = sum(layer.n_params for layer in net.layers)
        doc.para(W["run_network_summary"], widths="-".join(map(str, diagram.widths)),
                 layers=len(net.layers), params=f"{n_params:,}")
        doc.figure(diagram)
    doc.table(["#", W["run_layer"], W["run_units"], W["run_parameters"]],
              _layer_rows(net, W["run_total"]), align=("right", None, None, "right"))

    # --- figures ---------------------------------------------------------------------------------
    if isinstance(curve.get("loss"), list) and curve["loss"]:
        png = _png(lambda p: plots.plot_history(History.from_dict(history), p))
        doc.heading(2, W["run_curves"])
        doc.image(png, W["run_curves_alt"])
    heatmap: Callable[..., Any] | None = getattr(plots, "plot_grad_heatmap", None)
    diagnostics = (history or {}).get("diagnostics")
    if heatmap is not None and isinstance(diagnostics, dict) and diagnostics.get("records"):
        try:
            png = _png(lambda p: heatmap(diagnostics, p))
        except ValueError:
            png = None  # every recorded norm is zero or non-finite: nothing to draw
        if png is not None:
            doc.heading(2, W["run_gradients"])
            doc.para(W["run_gradients_intro"])
            doc.image(png, W["run_gradients_alt"])
    return doc


def run_report(path: str | Path, lang: str = "en") -> str:
    """The complete HTML page for the model file ``path`` (see :func:`run_document`)."""
    return write_page(run_document(path, lang), lang)


def write_run_report(path: str | Path, output: str | Path | None = None, *,
                     lang: str = "en") -> Path:
    """Write :func:`run_report` to ``output`` (default: ``path`` with the suffix ``.html``)
    atomically and return where it went."""
    target = Path(output) if output is not None else Path(path).with_suffix(".html")
    if target.resolve() == Path(path).resolve():
        raise ValueError(f"the report would overwrite the model file {str(path)!r}; "
                         "choose another --output")
    atomic_write_text(target, run_report(path, lang))
    return target
