"""The offline HTML pages: `backprop example --format html`, `backprop report RUN`,
`Trace._repr_html_`. Self-contained: math as MathML, no `$$`, no scripts, no URLs at all."""

from __future__ import annotations

import base64
import re
import sys

import numpy as np
import pytest

import backprop as bp
from backprop import cli
from backprop.cli.common import load_spec_or_article
from backprop.explain.run_report import net_diagram, run_report

pytest.importorskip("latex2mathml")

from cases import PRINTED  # noqa: E402  (the article's published numbers)

DATA_PNG = re.compile(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"')




def assert_self_contained(page: str) -> None:
    assert "$$" not in page
    assert "<script" not in page.lower()
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)=["'](?!data:)""", page)  # nothing fetched or linked
    assert "@import" not in page and "url(" not in page


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The article's step as Markdown and HTML, in both languages, through the CLI."""
    out = {}
    folder = tmp_path_factory.mktemp("html")
    for lang in ("en", "vi"):
        path = folder / f"article-{lang}.html"
        assert cli.main(["example", "--format", "html", "--lang", lang, "--output",
                         str(path)]) == 0
        out[lang] = path.read_text(encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def article_trace():
    spec = load_spec_or_article(None)
    return bp.trace(spec.net, spec.loss, spec.x, spec.y, lr=spec.learning_rate)


# --- the article's step --------------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_example_page_is_a_self_contained_document(pages, lang):
    page = pages[lang]
    assert page.startswith("<!DOCTYPE html>\n")
    assert f'<html lang="{lang}">' in page
    assert '<meta charset="utf-8">' in page
    assert_self_contained(page)


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_formula_is_mathml(pages, article_trace, lang):
    md = article_trace.to_markdown(lang)
    display = len(re.findall(r"^\$\$$", md, flags=re.M)) // 2
    inline = len(re.findall(r"(?<!\$)\$[^$\n]+\$(?!\$)", md))
    assert display >= 10 and inline >= 10
    page = pages[lang]
    assert page.count('<math display="block">') == display
    assert page.count('<math display="inline">') == inline
    assert page.count("<math") >= display
    assert page.count("</math>") == display + inline
    # no LaTeX left outside the MathML (an unknown command would leak as text)
    outside = re.sub(r"<math.*?</math>", "", page, flags=re.S)
    assert "\\" not in outside and "begin{" not in outside


@pytest.mark.parametrize("lang", ["en", "vi"])
def test_every_article_number_is_on_the_page(pages, lang):
    # in MathML a number is an <mn>; a negative one is a minus <mo> and then the <mn>
    def shown(n: str) -> bool:
        minus = r"<mo[^>]*>&#x02212;</mo>" if n.startswith("-") else r"(?<!&#x02212;</mo>)"
        return re.search(minus + "<mn>" + re.escape(n.lstrip("-")) + "</mn>", pages[lang])

    missing = [n for n in PRINTED if not shown(n)]
    assert not missing


def test_network_is_drawn_as_svg_not_mermaid(pages):
    page = pages["en"]
    assert page.count("<svg") == 1 and "graph LR" not in page and "mermaid" not in page
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert svg.count("<circle") == 2 + 2 + 1  # the article's 2-2-1 network
    assert "xmlns" not in svg  # inline SVG in HTML needs none


def test_vietnamese_page_differs(pages):
    en, vi = pages["en"], pages["vi"]
    assert en != vi
    for word in ("Bước 1", "Lớp đầu vào", "Tạo bởi backprop"):
        assert word in vi and word not in en
    assert "Step 1" in en and "Step 1" not in vi


def test_stdout_is_the_same_page(run_cli, pages):
    code, out, err = run_cli("example", "--format", "html")
    assert code == 0 and err == ""
    assert out == pages["en"]


def test_other_networks_render():
    rng = np.random.default_rng(0)
    net = bp.Sequential(bp.Dense(10, 3, rng=0), bp.Tanh(), bp.Dense(3, 2, rng=1))
    tr = bp.trace(net, bp.SquaredError(), rng.normal(size=(3, 10)), rng.normal(size=(3, 2)),
                  lr=0.05)
    page = tr.to_html("en")
    assert_self_contained(page)
    assert f"{tr.loss:.6f}" in page
    svg = page[page.index("<svg"):page.index("</svg>")]
    assert "4 more" in svg  # 10 inputs: 3 + ⋮ + 3


# --- Jupyter -------------------------------------------------------------------------------------
def test_repr_html_is_a_fragment_with_mathml(article_trace):
    html = article_trace._repr_html_()
    assert html.startswith('<div class="backprop-report">')
    assert "<html" not in html and "<!DOCTYPE" not in html and "<body" not in html
    assert "<math" in html and "$$" not in html and "<svg" in html
    assert_self_contained(html)
    assert html == article_trace.to_html(full=False)


def block_latex2mathml(monkeypatch):
    monkeypatch.setitem(sys.modules, "latex2mathml", None)
    monkeypatch.setitem(sys.modules, "latex2mathml.converter", None)


def test_without_latex2mathml_notebooks_fall_back_to_markdown(monkeypatch, article_trace):
    block_latex2mathml(monkeypatch)
    assert article_trace._repr_html_() is None
    assert article_trace._repr_markdown_().startswith("# ")
    with pytest.raises(ImportError, match=r"pip install 'backprop\[report\]'"):
        article_trace.to_html()


def test_without_latex2mathml_the_cli_says_what_to_install(run_cli, monkeypatch):
    block_latex2mathml(monkeypatch)
    code, out, err = run_cli("example", "--format", "html")
    assert code == 2 and out == ""
    assert err.count("\n") == 1
    assert err.startswith("backprop: error: ") and "pip install 'backprop[report]'" in err


# --- backprop report RUN -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny run saved by `backprop train --save`."""
    folder = tmp_path_factory.mktemp("run")
    model = folder / "moons.npz"
    assert cli.main(["train", "moons", "--hidden", "8", "--epochs", "3", "--quiet",
                     "--val-split", "0.2", "--optimizer", "momentum", "--save",
                     str(model)]) == 0
    return model


def pngs(page: str) -> list[bytes]:
    return [base64.b64decode(b, validate=True) for b in DATA_PNG.findall(page)]


def test_report_of_a_trained_model(run_cli, trained):
    code, out, err = run_cli("report", str(trained))
    target = trained.with_suffix(".html")
    assert code == 0 and err == ""
    assert out == f"report written to {target}\n"
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert_self_contained(page)
    net, extra, _ = bp.load(trained, with_extra=True)
    # the settings, as saved by train
    assert extra["settings"]["optimizer"] == "momentum"
    for key in extra["settings"]:
        assert f"<code>{key}</code>" in page
    assert "<td>momentum</td>" in page and "<td>8</td>" in page
    # the result, as saved
    accuracy = f"{100 * extra['result']['test_accuracy']:.2f} %"
    assert accuracy in page
    assert f"{extra['result']['test_loss']:.4f}" in page
    # network: the layer table adds up to the network's parameter count, and it is drawn
    assert f"<strong>{net.n_params:,}</strong>" in page
    assert page.count("<svg") == 1
    # the curves: one embedded image that is a PNG
    images = pngs(page)
    assert len(images) == 1 and images[0][:8] == b"\x89PNG\r\n\x1a\n" and len(images[0]) > 1000


def test_report_names_the_loss_in_words(trained):
    assert "loss: softmax cross-entropy of the logits." in run_report(trained)
    assert "hàm mất mát: entropy chéo softmax trên các logit." in run_report(trained, "vi")


@pytest.mark.parametrize("loss, label", [
    ("softmax_cross_entropy", "softmax"), ("binary_cross_entropy", "sigmoid"),
    ("squared", "identity"), (None, "identity"), ("not_a_loss", "identity"),
])
def test_report_labels_the_logits_by_the_losss_link(loss, label):
    net = bp.Sequential(bp.Dense(2, 3, rng=0), bp.Tanh(), bp.Dense(3, 2, rng=1))
    diagram = net_diagram(net, loss, "en")
    assert diagram.columns[1].subtitle == "tanh · 3 units"
    assert diagram.columns[-1].subtitle == f"{label} · 2 units"


def test_report_language_and_output(run_cli, trained, tmp_path):
    out_file = tmp_path / "rapport.html"
    code, out, _ = run_cli("report", str(trained), "--lang", "vi", "--output", str(out_file))
    assert code == 0 and str(out_file) in out
    vi = out_file.read_text(encoding="utf-8")
    assert '<html lang="vi">' in vi and "Báo cáo huấn luyện" in vi and "Thiết lập" in vi
    assert "Settings" not in vi
    assert_self_contained(vi)


def test_report_draws_the_gradient_heat_map_when_diagnostics_were_recorded(tmp_path, capsys):
    model = tmp_path / "diag.npz"
    assert cli.main(["train", "moons", "--hidden", "8,8", "--epochs", "3", "--quiet",
                     "--diagnostics", "--save", str(model)]) == 0
    _, extra, _ = bp.load(model, with_extra=True)
    records = extra["history"]["diagnostics"]["records"]
    assert len(records) >= 3 and len(records[0]["grad_norm"]) == 3  # one norm per Dense layer
    page = run_report(model)
    images = pngs(page)
    assert len(images) == 2 and all(i[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "Gradient norms per layer" in page


def test_report_of_a_model_saved_without_training_record(tmp_path):
    model = tmp_path / "plain.npz"
    net = bp.Sequential(bp.Dense(3, 4, rng=0), bp.ReLU(), bp.Dense(4, 1, rng=1))
    bp.save(model, net)
    page = run_report(model)
    assert "no training record" in page and "<img" not in page
    assert f"<strong>{net.n_params:,}</strong>" in page and "<svg" in page
    assert_self_contained(page)


@pytest.mark.parametrize("make, words", [
    (lambda d: d / "missing.npz", "no such file"),
    (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt",
     "not a backprop model file"),
    (lambda d: d / "no-such-dir" / "x.npz", "no such file"),
])
def test_bad_run_is_one_line_exit_2(run_cli, tmp_path, make, words):
    path = make(tmp_path)
    code, out, err = run_cli("report", str(path))
    assert code == 2 and out == ""
    assert err.startswith("backprop: error: ") and err.count("\n") == 1
    assert words in err and str(path.name) in err


def test_report_will_not_overwrite_the_model_or_write_into_a_missing_folder(
        run_cli, trained, tmp_path):
    code, _, err = run_cli("report", str(trained), "--output", str(trained))
    assert code == 2 and "would overwrite the model file" in err and err.count("\n") == 1
    assert bp.load(trained) is not None  # untouched
    missing = tmp_path / "nope" / "r.html"
    code, _, err = run_cli("report", str(trained), "--output", str(missing))
    assert code == 2 and "nope" in err and err.count("\n") == 1


def test_report_is_a_command():
    assert "report" in [c.name for c in cli.COMMANDS]
    help_text = cli.build_parser().format_help()
    assert "report" in help_text
