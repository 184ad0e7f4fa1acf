"""The article's worked example (steps 1-10), end to end through ``backprop example``.

The expected values are the numbers printed in the article (six decimals), pinned here as
literals: they are published, not computed by the code under test.
"""

import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from backprop import cli

ROOT = Path(__file__).resolve().parents[1]

from cases import ARTICLE, PRINTED  # noqa: E402  (the article's published numbers)


@pytest.fixture(scope="module")
def article_json(tmp_path_factory):
    # written through --output, which also exercises the atomic write
    path = tmp_path_factory.mktemp("example") / "article.json"
    assert cli.main(["example", "--format", "json", "--output", str(path)]) == 0
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("step, name, get, expected", ARTICLE,
                         ids=[f"step{s}-{n}" for s, n, *_ in ARTICLE])
def test_json_number_matches_article(article_json, step, name, get, expected):
    assert round(get(article_json), 6) == expected


def test_json_from_stdout_equals_file_output(run_cli, article_json):
    rc, out, err = run_cli("example", "--format", "json")
    assert rc == 0 and err == ""
    assert json.loads(out) == article_json


def test_json_shape_is_one_sample(article_json):
    d = article_json
    assert set(d) >= {"loss", "output", "layers"}
    assert len(d["layers"]) == 2
    for layer in d["layers"]:
        assert set(layer) >= {"W", "b", "z", "a", "delta", "dW", "db", "W_new", "b_new"}
        for key in ("z", "a", "delta", "b", "b_new", "db"):
            assert all(isinstance(v, float) for v in layer[key]), key
        for key in ("W", "dW", "W_new"):
            assert all(isinstance(row, list) for row in layer[key]), key
    assert d["layers"][0]["W"] == [[0.10, -0.20], [0.30, 0.25]]
    assert d["input"] == [0.2, 0.4] and d["target"] == [1.0] and d["learning_rate"] == 0.1


def test_console_script_gives_the_same_json(article_json):
    script = Path(sysconfig.get_path("scripts")) / "backprop"
    if not script.exists():
        pytest.skip("console script not installed")
    proc = subprocess.run([str(script), "example", "--format", "json"], capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    for _, _, get, expected in ARTICLE:
        assert round(get(data), 6) == expected
    assert data == article_json


def test_python_dash_m_runs(article_json):
    proc = subprocess.run([sys.executable, "-m", "backprop", "example", "--format", "json"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == article_json


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("lang", ["en", "vi"])
def test_rendered_output_contains_every_article_number(run_cli, fmt, lang):
    rc, out, err = run_cli("example", "--format", fmt, "--lang", lang)
    assert rc == 0 and err == ""
    missing = [n for n in PRINTED if n not in out]
    assert not missing
    # the individual weights of steps 6-9 appear with the article's numbering
    for n in (3, 4, 5, 6):
        assert (f"w_{n} " in out) or (f"w_{{{n}}}" in out)


def test_markdown_has_display_math_that_converts_to_mathml(run_cli):
    latex2mathml = pytest.importorskip("latex2mathml.converter")
    rc, out, _ = run_cli("example", "--format", "markdown")
    assert rc == 0
    blocks = re.findall(r"^\$\$\n(.*?)\n\$\$$", out, flags=re.S | re.M)
    assert len(blocks) >= 10
    assert out.count("$$") == 2 * len(blocks)
    inline = re.findall(r"(?<!\$)\$([^$\n]+)\$(?!\$)", out)
    assert inline
    for tex in blocks + inline:
        mathml = latex2mathml.convert(tex)
        # an unknown command or an unsupported alignment leaks through as text
        assert "\\" not in mathml and "<mi>&</mi>" not in mathml, tex


def test_vietnamese_is_vietnamese_and_differs_from_english(run_cli):
    for fmt in ("text", "markdown"):
        _, en, _ = run_cli("example", "--format", fmt, "--lang", "en")
        _, vi, _ = run_cli("example", "--format", fmt, "--lang", "vi")
        assert vi != en
        for word in ("Bước", "lan truyền", "trọng số", "Tham số mới"):
            assert word in vi
            assert word not in en
        assert "Step 1" in en and "Step 1" not in vi


def test_default_spec_is_the_shipped_copy_of_examples_article_json(run_cli):
    shipped = ROOT / "src" / "backprop" / "explain" / "article.json"
    example = ROOT / "examples" / "article.json"
    assert shipped.read_bytes() == example.read_bytes()
    _, default, _ = run_cli("example", "--format", "json")
    _, explicit, _ = run_cli("example", "--format", "json", "--spec", str(example))
    assert default == explicit


def test_text_shows_the_worked_formulas(run_cli):
    _, out, _ = run_cli("example")
    # step 1 with the numbers put in, step 2 with its factors, step 10 as old - alpha * grad
    assert "0.1·0.2 + (-0.2)·0.4 + 0.01 = -0.050000" in out
    assert "σ(-0.050000) = 0.487503" in out
    assert "½(1 - 0.725409)² = 0.037700" in out
    assert "(0.725409 - 1)·0.725409·(1 - 0.725409)" in out
    assert "(-0.054696)·0.487503 = -0.026665" in out
    assert "(0.8·(-0.054696))" in out
    assert "(-0.010932)·0.2 = -0.002186" in out
    assert "0.8 - 0.1·(-0.026665) = 0.802666" in out
