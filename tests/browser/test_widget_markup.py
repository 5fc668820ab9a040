"""Every construct the server's Markdown allows reaches the reader: the widget's second filter
keeps exactly the server's allow-list (commentsvc/markup.py), built into embed.js."""

from __future__ import annotations

import json

import pytest

from commentsvc.markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser

EVERYTHING = """# Heading one
## Heading two
### Heading three
#### Heading four
##### Heading five
###### Heading six

Plain *emphasised*, **strong**, ~~struck out~~, `inline code`,
a [titled link](https://example.org/ "A title"), https://auto.example/ and <ann@example.org>.
A hard break\\
after it.

> quoted words

- bullet one
- bullet two

3. third item
4. fourth item

```python
print("fenced")
```

    indented code

---

The end."""

# [tag, its attributes, its text] for every element under ``root``, in document order.
ELEMENTS = """root => [...root.querySelectorAll('*')].map(el =>
    [el.tagName, [...el.attributes].map(a => a.name + '=' + a.value).sort(), el.textContent])"""
SERVER_ELEMENTS = f"""html => {{ const t = document.createElement('template'); t.innerHTML = html;
    return ({ELEMENTS})(t.content); }}"""


def test_every_markdown_construct_survives_in_the_widget_with_its_text(page, demo: Demo) -> None:
    posted = demo.post(EVERYTHING)
    page.goto(demo.page())
    body = shadow(page, ".cs-list .cs-b")
    body.locator("h1").wait_for()
    shown = body.evaluate(ELEMENTS)
    assert shown == page.evaluate(SERVER_ELEMENTS, posted["html"])
    texts = {tag: text for tag, _, text in shown}
    assert texts["S"] == "struck out"
    assert texts["EM"] == "emphasised" and texts["STRONG"] == "strong"
    assert texts["BLOCKQUOTE"].strip() == "quoted words"
    assert {tag for tag, _, _ in shown} == {
        "H1", "H2", "H3", "H4", "H5", "H6", "P", "EM", "STRONG", "S", "CODE", "A", "BR",
        "BLOCKQUOTE", "UL", "OL", "LI", "PRE", "HR",
    }  # fmt: skip
    assert ["OL", ["start=3"], "\nthird item\nfourth item\n"] in shown
    assert ["CODE", ["class=language-python"], 'print("fenced")\n'] in shown
    assert body.text_content().count("struck out") == 1
    assert page.console_errors == []


def test_the_widget_keeps_exactly_the_servers_allowed_tags_and_attributes(page, demo: Demo) -> None:
    """Even tags Markdown never produces (``del``) are kept if the server allows them, and
    nothing else is: the widget's list is the server's, not a copy that can drift."""
    allowed = "".join(
        f"<{tag} {' '.join(f'{name}=x' for name in ALLOWED_ATTRIBUTES.get(tag, ()))}>{tag} text"
        + ("" if tag in {"br", "hr"} else f"</{tag}>")
        for tag in sorted(ALLOWED_TAGS)
    )
    refused = "<u>underlined</u><mark>marked</mark><img src=x alt=img><span>span</span>"
    posted = demo.post("placeholder")
    page.route(
        "**/api/sites/demo/thread?*",
        lambda route: route.fulfill(
            status=200,
            content_type="application/json",
            headers={"Access-Control-Allow-Origin": "*"},
            body=json.dumps(thread(demo, posted, allowed + refused)),
        ),
    )
    page.goto(demo.page())
    body = shadow(page, ".cs-list .cs-b")
    body.locator("strong").wait_for()
    shown = body.evaluate(ELEMENTS)
    assert {tag.lower() for tag, _, _ in shown} == ALLOWED_TAGS
    for tag, attributes, _ in shown:
        names = {attribute.split("=")[0] for attribute in attributes}
        assert names == set(ALLOWED_ATTRIBUTES.get(tag.lower(), ())) | (
            {"rel"} if tag == "A" else set()
        ), tag
    assert body.evaluate("el => el.textContent").count("underlined") == 0


def thread(demo: Demo, posted: dict, html: str) -> dict:
    """The thread document the API would send, with one comment whose HTML is ``html``."""
    comment = {**posted, "html": html, "replies": []}
    return {
        "thread": {"id": 1, "url": demo.page(), "title": "t", "count": 1},
        "site": {"name": "demo", "guests": True, "moderation": "none", "edit_window": 900,
                 "max_depth": 6, "mentions_display": "separate", "providers": []},
        "comments": [comment],
        "mentions": [],
        "next": None,
        "total_top_level": 1,
    }  # fmt: skip
