"""Nothing a commenter writes runs as script, on the host page or in the widget."""

from __future__ import annotations

import json

import pytest

from commentsvc.markup import ALLOWED_TAGS
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser

MARK = "window.__pwned = 1; alert(1)"
BODIES = [
    f"<script>{MARK}</script>",
    f'<img src=x onerror="{MARK}">',
    f"<svg onload='{MARK}'></svg>",
    "<iframe src='javascript:alert(1)'></iframe>",
    "[click me](javascript:alert(1))",
    '<a href="javascript:alert(1)">raw link</a>',
    "![pixel](javascript:alert(1))",
    f"`<script>{MARK}</script>` in code",
    "<style>* { display: none }</style>",
    f'<p onclick="{MARK}" style="position:fixed">attr</p>',
]
BODY_ELEMENTS = ", ".join(sorted(ALLOWED_TAGS))


def watch(page) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def assert_inert(page, dialogs: list[str]) -> None:
    page.wait_for_timeout(300)  # onerror/onload handlers would have fired by now
    assert dialogs == []
    assert page.evaluate("window.__pwned") is None
    assert page.console_errors == []
    stray = page.evaluate(
        f"""() => [...document.querySelector('#comments').shadowRoot
            .querySelectorAll('.cs-b *')].filter(el => !el.matches('{BODY_ELEMENTS}'))
            .map(el => el.tagName)"""
    )
    assert stray == []
    handlers = page.evaluate(
        """() => [...document.querySelector('#comments').shadowRoot.querySelectorAll('*')]
            .flatMap(el => [...el.attributes].map(a => a.name))
            .filter(name => name.startsWith('on') || name === 'style' || name === 'srcdoc')"""
    )
    assert handlers == []
    hrefs = shadow(page, "a[href]").evaluate_all("els => els.map(el => el.href)")
    assert all(href.split(":")[0] in {"http", "https", "mailto"} for href in hrefs), hrefs


def test_script_payloads_posted_through_the_api_never_run(page, demo: Demo) -> None:
    for body in BODIES:
        demo.post(body, name=f'<img src=x onerror="{MARK}">')
    demo.post("named link", name="Eve", website='https://eve.example/"><script>alert(1)</script>')
    dialogs = watch(page)
    page.goto(demo.page())
    shadow(page, ".cs-count", has_text=f"{len(BODIES) + 1} responses").wait_for()
    page.wait_for_function(
        "document.querySelector('#comments').shadowRoot.querySelectorAll('.cs-c').length === 11"
    )
    names = shadow(page, ".cs-n").all_text_contents()
    assert names.count(f'<img src=x onerror="{MARK}">') == len(BODIES)  # shown as text
    assert shadow(page, ".cs-b code", has_text="<script>").count() == 1
    assert_inert(page, dialogs)


def test_widget_strips_hostile_html_even_if_the_server_sent_it(page, demo: Demo) -> None:
    """Defence in depth: a compromised or buggy server response still cannot run script."""
    hostile = {
        "thread": {"id": 1, "url": demo.page(), "title": "t", "count": 2},
        "site": {"name": "demo", "guests": True, "moderation": "none", "edit_window": 900,
                 "max_depth": 6, "mentions_display": "separate", "providers": []},
        "comments": [
            {"id": 1, "parent": None, "depth": 0, "status": "visible",
             "author": {"name": "<b>Mallory</b>", "avatar": "javascript:alert(1)",
                        "url": "javascript:alert(1)", "provider": None},
             "html": "<p onmouseover='alert(1)'>kept <strong>bold</strong></p>"
                     f"<script>{MARK}</script><img src=x onerror='{MARK}'>"
                     "<svg><script>alert(1)</script></svg>"
                     "<iframe srcdoc='<script>alert(1)</script>'></iframe>"
                     "<a href='javascript:alert(1)' onclick='alert(1)'>js</a>"
                     "<a href='https://ok.example/' target='_top'>ok</a><math><mi>x</mi></math>"
                     "<form action='https://evil.example'><input name=q></form>",
             "created": "2026-01-01T00:00:00Z", "edited": None, "replies": []},
        ],
        "mentions": [
            {"id": 1, "kind": "webmention", "type": "reply", "source": "javascript:alert(1)",
             "title": "<img src=x onerror=alert(1)>", "excerpt": "<script>alert(1)</script>",
             "author": None, "created": "2026-01-01T00:00:00Z"},
        ],
        "next": None,
        "total_top_level": 1,
    }  # fmt: skip
    page.route(
        "**/api/sites/demo/thread?*",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(hostile),
        ),
    )
    dialogs = watch(page)
    page.goto(demo.page())
    body = shadow(page, ".cs-list .cs-b")
    body.locator("strong", has_text="bold").wait_for()
    assert body.locator("a").evaluate_all("els => els.map(el => el.getAttribute('href'))") == [
        None,
        "https://ok.example/",
    ]
    assert body.locator("a").nth(1).get_attribute("target") is None
    assert shadow(page, ".cs-n").text_content() == "<b>Mallory</b>"
    assert shadow(page, ".cs-list .cs-h a:not(.cs-pl), .cs-list img").count() == 0
    permalink = shadow(page, "#comment-1 .cs-pl").get_attribute("href")
    assert permalink == demo.page() + "#comment-1"  # the one link: to this very page
    assert shadow(page, ".cs-mn").text_content().count("<img src=x onerror=alert(1)>") == 1
    assert_inert(page, dialogs)
