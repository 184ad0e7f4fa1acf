"""The Markdown converter, one construct per case, and LaTeX -> MathML for HTML."""

from __future__ import annotations

import re

import pytest

from backprop.explain.html import escape, latex_to_mathml, markdown_to_html

pytest.importorskip("latex2mathml")

# (id, Markdown, fragments the HTML must contain, fragments it must not contain)
CASES = [
    ("heading-1", "# Title", ["<h1>Title</h1>"], ["#"]),
    ("heading-3-closing-hashes", "### Deep ###", ["<h3>Deep</h3>"], ["#"]),
    ("heading-needs-space", "#hashtag", ["<p>#hashtag</p>"], ["<h1>"]),
    ("paragraph-lines-joined", "one\ntwo\n\nthree", ["<p>one\ntwo</p>", "<p>three</p>"], []),
    ("strong", "a **bold** b", ["a <strong>bold</strong> b"], ["**"]),
    ("emphasis-star", "an *italic* word", ["an <em>italic</em> word"], ["*"]),
    ("emphasis-underscore", "an _italic_ word", ["an <em>italic</em> word"], []),
    ("strong-emphasis", "***both***", ["<em><strong>both</strong></em>"], ["*"]),
    ("snake_case-is-not-emphasis", "call fit_one_epoch_now", ["fit_one_epoch_now"], ["<em>"]),
    ("lone-star", "2 * 3 = 6", ["2 * 3 = 6"], ["<em>"]),
    ("inline-code", "run `make test` now", ["run <code>make test</code> now"], ["`"]),
    ("code-keeps-stars-and-dollars", "`a*b* $x$`", ["<code>a*b* $x$</code>"], ["<em>", "<math"]),
    ("double-backtick-code", "``a ` b``", ["<code>a ` b</code>"], []),
    ("unclosed-backtick", "a ` b", ["a ` b"], ["<code>"]),
    ("inline-math", "so $x^{2}$ here", ['<math display="inline">', "<msup>"], ["$"]),
    ("math-punctuation-kept-on-line", "so $x$, then",
     ['<span class="nowrap"><math display="inline">', "</math>,</span> then"], []),
    ("math-keeps-stars-underscores", "$a_{1} * b_{2} * c$", ["<msub>"], ["<em>", "$"]),
    ("dollar-amounts-are-not-math", "costs $5 and $6", ["costs $5 and $6"], ["<math"]),
    ("escaped-dollars", r"\$x\$ and \*y\*", ["$x$ and *y*"], ["<math", "<em>", "\\"]),
    ("display-math-block", "$$\n\\begin{split}\na &= 1 \\\\\nb &= 2\n\\end{split}\n$$",
     ['<div class="math-display"><math display="block">', "<mtable"], ["$", "split"]),
    ("display-math-one-line", "$$ x + 1 $$", ['<math display="block">'], ["$"]),
    ("unordered-list", "- one\n- two\n  more\n* three",
     ["<ul>\n<li>one</li>\n<li>two more</li>\n<li>three</li>\n</ul>"], ["- "]),
    ("ordered-list-start", "3. c\n4. d", ['<ol start="3">\n<li>c</li>\n<li>d</li>\n</ol>'], []),
    ("ordered-list-from-one", "1. a\n2. b", ["<ol>\n<li>a</li>"], ["start="]),
    ("list-then-paragraph", "- a\n\nafter", ["</ul>\n<p>after</p>"], []),
    ("table-with-alignment", "| a | b | c |\n|:--|:-:|--:|\n| 1 | `x|y` | $z$ |",
     ['<th style="text-align:left">a</th>', '<th style="text-align:center">b</th>',
      '<th style="text-align:right">c</th>', "<td style=\"text-align:center\"><code>x|y</code>",
      '<td style="text-align:right"><math'], ["| a", "--"]),
    ("table-escaped-pipe-and-short-row", "a | b\n--- | ---\nx \\| y\n",
     ["<td>x | y</td><td></td>"], []),
    ("table-needs-a-rule", "a | b\nc | d", ["<p>a | b\nc | d</p>"], ["<table>"]),
    ("fence-with-language", "```python\nx = 1 < 2\n```",
     ['<pre><code class="language-python">x = 1 &lt; 2</code></pre>'], []),
    ("fence-keeps-markdown", "~~~\n# not a heading *x* $y$\n~~~",
     ["<pre><code># not a heading *x* $y$</code></pre>"], ["<h1>", "<math", "<em>"]),
    ("unclosed-fence-runs-to-the-end", "```\ncode", ["<pre><code>code</code></pre>"], []),
    ("thematic-break", "a\n\n---\n\nb", ["<p>a</p>\n<hr>\n<p>b</p>"], []),
    ("raw-html-is-escaped", "<script>alert(1)</script> & <b>",
     ["&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;"], ["<script", "<b>"]),
    ("image", "![a plot](data:image/png;base64,iVBORw0KGgo=)",
     ['<img src="data:image/png;base64,iVBORw0KGgo=" alt="a plot">'], ["!["]),
    ("control-characters-cannot-fake-a-slot", "a \x020\x03 b $x$", ["a \ufffd0\ufffd b"], []),
]


@pytest.mark.parametrize("md, present, absent", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_construct(md, present, absent):
    out = markdown_to_html(md)
    for fragment in present:
        assert fragment in out, (fragment, out)
    # what must be gone is checked outside the math, whose MathML may hold any character
    text = re.sub(r"<math.*?</math>", "", out, flags=re.S)
    for fragment in absent:
        assert fragment not in text, (fragment, out)


def test_fence_callback_replaces_only_what_it_renders():
    seen = []

    def fence(lang, code):
        seen.append((lang, code))
        return "<svg>drawn</svg>" if lang == "mermaid" else None

    out = markdown_to_html("```mermaid\ngraph LR\n  A --> B\n```\n\n```\nplain\n```",
                           fence=fence)
    assert seen == [("mermaid", "graph LR\n  A --> B"), ("", "plain")]
    assert "<svg>drawn</svg>" in out and "graph LR" not in out
    assert "<pre><code>plain</code></pre>" in out


def test_unclosed_display_math_is_an_error_naming_the_line():
    with pytest.raises(ValueError, match="line 3 is never closed"):
        markdown_to_html("text\n\n$$\nx = 1\n")


@pytest.mark.parametrize("text", ["a*b*c", "$5 | `x` [y](z) \\ _u_ #h <i>", "![not](an image)"])
def test_escape_shows_text_literally(text):
    out = markdown_to_html(escape(text))
    assert out == f"<p>{text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}</p>\n"


@pytest.mark.parametrize("tex, display", [("x^{2}", False), (r"\frac{1}{2}", True)])
def test_mathml_for_html_names_no_namespace_url(tex, display):
    mathml = latex_to_mathml(tex, display=display)
    assert mathml.startswith(f'<math display="{"block" if display else "inline"}">')
    assert "xmlns" not in mathml and "http" not in mathml


@pytest.mark.parametrize("tex, unary", [
    ("(-0.2)", 1), ("a = -1", 1), (r"0.1 \cdot -3", 1), (r"a \leftarrow -b", 1),
    ("a - b", 0), ("(a) - b", 0), ("[1] - 2", 0), ("-x", 0),  # first in its row: already prefix
])
def test_a_sign_is_set_without_binary_spacing(tex, unary):
    mathml = latex_to_mathml(tex)
    assert mathml.count('form="prefix"') == unary
    assert mathml.count("&#x02212;") == 1
