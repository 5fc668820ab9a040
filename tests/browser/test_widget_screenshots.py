"""Screenshots of the demo post's thread, light and dark, as a reader sees it: comments, replies
down to the indentation cap, a reply by webmention with its author's photo, likes and reposts
as faces. Written to test-artifacts/ to be looked at, not compared."""

from __future__ import annotations

import pytest

from commentsvc.models import MentionType
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    add_mention,
    app_config,
    database_url,
    demo_fixture,
    seed_conversation,
    set_title,
    shadow,
    store_photo,
)

pytestmark = pytest.mark.browser

PHOTOS = {"Ivy": "#3b6ea5", "Eve": "#a5483b", "Finn": "#3ba55c", "Hal": "#8a3ba5"}
FACES = [("Eve", MentionType.LIKE), ("Finn", MentionType.LIKE), ("Gus", MentionType.LIKE)]
FACES += [("Hal", MentionType.REPOST), ("Jo", MentionType.REPOST)]


def seed_responses(demo: Demo) -> None:
    """The demo conversation, a reply by webmention, likes and reposts, photos stored."""
    set_title(demo, "Hello, world")
    for name, colour in PHOTOS.items():
        store_photo(f"https://{name.lower()}.example/photo.jpg", colour)
    seed_conversation(demo)
    add_mention(
        demo,
        source="https://ivy.example/2024/comments-at-home",
        title="Comments at home",
        excerpt="Self-hosting comments was easier than I expected; the pingbacks alone were "
        "worth it. My notes, with the set-up I use.",
        author_name="Ivy",
        author_url="https://ivy.example/",
        author_photo="https://ivy.example/photo.jpg",
    )
    for number, (name, kind) in enumerate(FACES):
        add_mention(
            demo,
            source=f"https://{name.lower()}.example/{kind.value}/{number}",
            type=kind,
            title=None,
            excerpt=None,
            author_name=name,
            author_url=f"https://{name.lower()}.example/",
            author_photo=f"https://{name.lower()}.example/photo.jpg" if name in PHOTOS else None,
        )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_demo_post_thread_screenshot(browser, demo: Demo, artifacts_dir, scheme: str) -> None:
    seed_responses(demo)
    context = browser.new_context(color_scheme=scheme, viewport={"width": 900, "height": 1400})
    page = context.new_page()
    page.goto(demo.page())
    shadow(page, ".cs-count", has_text="responses to “Hello, world”").wait_for()
    shadow(page, ".cs-flat .cs-b").filter(has_text="depth 5").wait_for()
    shadow(page, ".cs-fc", has_text="3 likes").wait_for()
    page.wait_for_function(
        "[...document.querySelector('#comments').shadowRoot.querySelectorAll('img')]"
        ".every((img) => img.complete && img.naturalWidth > 0)"
    )
    assert shadow(page, ".cs").get_attribute("data-theme") == scheme
    page.screenshot(path=artifacts_dir / f"demo-post-thread-{scheme}.png", full_page=True)
    context.close()
