"""The HTML page in a real browser: headless Chromium builds a DOM with MathML and takes a
screenshot. Skipped where Chromium is not installed (.ci/run installs it when it can)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from backprop import cli

pytest.importorskip("latex2mathml")

TIMEOUT = 60  # seconds; a browser that hangs must not hang the suite


def chromium() -> str:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("chromium not installed; .ci/run installs it")


def headless(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # no network, no sync, no first-run work: the page must render from the file alone
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    return subprocess.run([chromium(), *flags, *args], capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("browser") / "article.html"
    assert cli.main(["example", "--format", "html", "--output", str(path)]) == 0
    return path


def test_rendered_dom_has_mathml_and_no_raw_latex(page, tmp_path):
    proc = headless(tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    source = page.read_text(encoding="utf-8")
    # the parser kept every formula as a MathML element (none dropped or turned into text)
    assert len(re.findall(r"<math\b", dom)) == source.count("<math") >= 10
    assert dom.count("<mtable") == source.count("<mtable") > 0
    assert "$$" not in dom and "\\begin" not in dom
    assert "<svg" in dom and dom.count("<circle") == 5


def test_screenshot_is_a_png(page, tmp_path):
    shot = tmp_path / "shot.png"
    proc = headless(tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
