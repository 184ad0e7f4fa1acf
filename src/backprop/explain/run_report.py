"""The report of a training run: one HTML page from a model saved by ``backprop train --save``.

The model file already holds everything (:func:`backprop.io.load` with ``with_extra=True``): the
settings, the result on the test set and the per-epoch history in its JSON metadata, the
network in its arrays. The page shows them as tables, draws the network, and embeds the
loss/accuracy curves (and the per-layer gradient heat map when the run recorded diagnostics) as
PNG ``data:`` URIs. It is written as Markdown first and converted like the trace's page.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._version import __version__
from ..io import atomic_write_text
from ..layers import Sequential
from ..models import load
from . import page
from .diagram import NetworkDiagram, network_diagram
from .html import escape, markdown_to_html
from .page_words import words
from .trace_html import diagram_fence
from .words import strings


def _cell(value: Any) -> str:
    """A setting's value as table-cell Markdown."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return escape(f"{value:g}")
    if isinstance(value, list | tuple):
        return escape(", ".join(str(v) for v in value))
    if isinstance(value, str):
        return escape(value)
    return escape(json.dumps(value))


def _table(header: list[str], rows: list[list[str]], align: str = "") -> list[str]:
    """Markdown table lines; ``align`` has one letter per column, ``r`` for right."""
    rule = [("---:" if align[i:i + 1] == "r" else "---") for i in range(len(header))]
    return ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |",
            *("| " + " | ".join(r) + " |" for r in rows), ""]


def _layer_rows(net: Sequential, total_word: str) -> list[list[str]]:
    rows, width, total = [], None, 0
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
        rows.append([str(i), escape(name), units, f"{layer.n_params:,}"])
    rows.append(["", f"**{total_word}**", "", f"**{total:,}**"])
    return rows


def net_diagram(net: Sequential, loss: str | None, lang: str) -> NetworkDiagram | None:
    """The diagram of the Dense layers of ``net`` (None if it has none).

    A Dense layer's activation is the first element-wise activation after it, before the next
    Dense (batch norm and dropout in between are not drawn); a last layer without one feeds a
    softmax cross-entropy loss its logits, and is labelled ``softmax``.
    """
    dense = [i for i, layer in enumerate(net.layers) if layer.role == "affine"]
    if not dense:
        return None
    acts = []
    for k, start in enumerate(dense):
        stop = dense[k + 1] if k + 1 < len(dense) else len(net.layers)
        act = next((layer.name for layer in net.layers[start + 1:stop]
                    if layer.role == "activation"), "identity")
        if k == len(dense) - 1 and act == "identity" and loss == "softmax_cross_entropy":
            act = "softmax"
        acts.append(act)
    widths = [net.input_width] + [net.layers[i].output_width(None) for i in dense]
    return network_diagram(widths, acts, lang=lang)


def _png(plot: Callable[[Path], Any]) -> bytes:
    """Run ``plot(path)`` into a temporary PNG and return its bytes."""
    with tempfile.TemporaryDirectory(prefix="backprop-report-") as tmp:
        path = Path(tmp) / "figure.png"
        plot(path)
        return path.read_bytes()


def run_markdown(path: str | Path, lang: str = "en") -> tuple[str, list[NetworkDiagram]]:
    """The run report as Markdown (images as ``data:`` URIs) and the diagrams it draws."""
    from .. import plots
    from ..training.callbacks import History

    W, S = words(lang), strings(lang)
    path = Path(path)
    net, extra, _ = load(path, with_extra=True)
    if not isinstance(extra, dict):
        extra = {}
    history = extra.get("history") if isinstance(extra.get("history"), dict) else None
    settings = extra.get("settings") if isinstance(extra.get("settings"), dict) else None
    result = extra.get("result") if isinstance(extra.get("result"), dict) else {}
    loss = extra.get("loss") if isinstance(extra.get("loss"), str) else None

    md = [f"# {escape(W['run_title'].format(name=path.name))}", ""]
    # a code span shows any name as it is, except one holding a backtick
    file = escape(path.name) if "`" in path.name else f"`{path.name}`"
    if settings is None and history is None:
        md += [W["run_untrained"].format(file=file), ""]
    else:
        loss_word = S.get(f"loss_{loss}", loss or "?")
        md += [W["run_intro"].format(file=file, loss=escape(loss_word)), ""]

    # --- result ----------------------------------------------------------------------------------
    rows = []
    curve = (history or {}).get("history", {}) if history else {}
    if result.get("dataset") is not None:
        rows.append([W["dataset"], _cell(result["dataset"])])
    if result.get("test_accuracy") is not None:
        rows.append([W["test_accuracy"], f"{100 * result['test_accuracy']:.2f} %"])
    if result.get("test_loss") is not None:
        rows.append([W["test_loss"], f"{result['test_loss']:.4f}"])
    if isinstance(curve.get("loss"), list) and curve["loss"]:
        rows.append([W["final_loss"], f"{curve['loss'][-1]:.4f}"])
    if result.get("epochs_run") is not None:
        rows.append([W["epochs_run"], str(result["epochs_run"])])
    if history and history.get("best_epoch") is not None:
        rows.append([W["best_epoch"], str(history["best_epoch"])])
    if result.get("seconds") is not None:
        rows.append([W["seconds"], W["seconds_value"].format(s=result["seconds"])])
    if result.get("stop_reason"):
        rows.append([W["stop_reason"], _cell(result["stop_reason"])])
    if rows:
        md += [f"## {W['result']}", "", *_table([W["measure"], W["value"]], rows, "lr")]

    if settings:
        md += [f"## {W['settings']}", ""]
        md += _table([W["setting"], W["value"]],
                     [[f"`{key}`", _cell(value)] for key, value in settings.items()])

    # --- network ---------------------------------------------------------------------------------
    md += [f"## {W['network']}", ""]
    diagram = net_diagram(net, loss, lang)
    diagrams = [] if diagram is None else [diagram]
    if diagram is not None:
        n_params = sum(layer.n_params for layer in net.layers)
        md += [W["network_summary"].format(widths="-".join(map(str, diagram.widths)),
                                           layers=len(net.layers), params=f"{n_params:,}"), ""]
        md += ["```mermaid", diagram.to_mermaid(), "```", ""]
    md += _table(["#", W["layer"], W["units"], W["parameters"]],
                 _layer_rows(net, W["total"]), "rllr")

    # --- figures ---------------------------------------------------------------------------------
    if isinstance(curve.get("loss"), list) and curve["loss"]:
        png = _png(lambda p: plots.plot_history(History.from_dict(history), p))
        md += [f"## {W['curves']}", "", f"![{escape(W['curves_alt'])}]({page.png_data_uri(png)})",
               ""]
    heatmap: Callable[..., Any] | None = getattr(plots, "plot_grad_heatmap", None)
    diagnostics = (history or {}).get("diagnostics")
    if heatmap is not None and isinstance(diagnostics, dict) and diagnostics.get("records"):
        try:
            png = _png(lambda p: heatmap(diagnostics, p))
        except ValueError:
            png = None  # every recorded norm is zero or non-finite: nothing to draw
        if png is not None:
            md += [f"## {W['gradients']}", "", W["gradients_intro"], "",
                   f"![{escape(W['gradients_alt'])}]({page.png_data_uri(png)})", ""]
    return "\n".join(md), diagrams


def run_report(path: str | Path, lang: str = "en") -> str:
    """The complete HTML page for the model file ``path`` (see the module docstring).

    Raises
    ------
    FileNotFoundError, ValueError
        A missing file, or one that is not a backprop model (:class:`backprop.io.ModelFileError`).
    ImportError
        matplotlib is needed for the curves (``pip install 'backprop[report]'`` installs it).
    """
    W = words(lang)
    md, diagrams = run_markdown(path, lang)
    body = markdown_to_html(md, fence=diagram_fence(diagrams))
    body += page.footer(W["footer"].format(version=__version__)) + "\n"
    return page.document(body, title=W["run_title"].format(name=Path(path).name), lang=lang)


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

