"""Comment Markdown renders to HTML with nothing executable in it, whatever the input."""

from __future__ import annotations

import pytest

from commentsvc.markup import render_markdown

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '[x](https://ok.example "title" onmouseover="alert(1)")',
    "![x](javascript:alert(1))",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<form action=https://evil.example><button>go</button></form>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "`<script>alert(1)</script>`",
    "<<script>script>alert(1)<</script>/script>",
    "[a](<javascript:alert(1)>)",
    "<details open ontoggle=alert(1)>",
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
]

FORBIDDEN = (
    "<script", "javascript:", "vbscript:", "data:", "onerror", "onload", "onclick",
    "onmouseover", "ontoggle", "<iframe", "<style", "<svg", "<img", "<form", "style=",
)  # fmt: skip


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_executable_survives(payload: str) -> None:
    html = render_markdown(payload).lower()
    for needle in FORBIDDEN:
        # Escaped text (&lt;script&gt;) is harmless: only live markup counts.
        assert needle not in html.replace("&lt;", "").replace("&gt;", "") or needle not in _tags(
            html
        )


def _tags(html: str) -> str:
    """Only the live markup (what is between < and >): escaped text such as &lt;script&gt;
    is harmless and shown as typed."""
    out, depth = [], 0
    for char in html:
        if char == "<":
            depth += 1
        if depth:
            out.append(char)
        if char == ">":
            depth = max(0, depth - 1)
    return "".join(out)


def test_links_get_nofollow_ugc_noopener() -> None:
    html = render_markdown("[site](https://example.org) and https://auto.example")
    assert html.count('rel="nofollow ugc noopener"') == 2


def test_markdown_basics_render() -> None:
    html = render_markdown("# T\n\n*e* **s** `c` ~~d~~\n\n> q\n\n- a\n- b\n\n```\npre\n```")
    for tag in ("<h1>", "<em>", "<strong>", "<code>", "<s>", "<blockquote>", "<ul>", "<pre>"):
        assert tag in html


def test_raw_html_is_shown_as_text() -> None:
    assert render_markdown("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"
