"""Mentions as readers see them: a reply by webmention with its own text, its author's name,
link and photo (served by the service); likes and reposts as rows of faces, not full rows."""

from __future__ import annotations

import pytest

from commentsvc.models import MentionType
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    add_mention,
    app_config,
    database_url,
    demo_fixture,
    shadow,
    store_photo,
)

pytestmark = pytest.mark.browser

LOADED = "img => img.complete && img.naturalWidth > 0"


def test_a_reply_by_webmention_shows_its_text_author_link_and_photo(page, demo: Demo) -> None:
    store_photo("https://ivy.example/me.jpg", "#3b6ea5")
    add_mention(
        demo,
        title="Why comments belong on the page",
        excerpt="I disagree: a comment thread is where the readers are.",
        author_name="Ivy",
        author_url="https://ivy.example/",
        author_photo="https://ivy.example/me.jpg",
    )
    page.goto(demo.page())
    mention = shadow(page, ".cs-mn")
    text = mention.locator(".cs-b")
    text.wait_for()
    assert text.inner_text() == "I disagree: a comment thread is where the readers are."
    name = mention.locator("a.cs-n")
    assert name.inner_text() == "Ivy" and name.get_attribute("href") == "https://ivy.example/"
    photo = mention.locator("img.cs-av")
    assert photo.get_attribute("src").startswith(f"{demo.service}/photos/")
    page.wait_for_function(
        f"({LOADED})(document.querySelector('#comments').shadowRoot"
        ".querySelector('.cs-mn img.cs-av'))"
    )
    source = mention.get_by_role("link", name="Why comments belong on the page")
    assert source.get_attribute("href") == "https://other.example/notes/1"
    assert mention.get_by_text("replied").is_visible()
    assert page.console_errors == []


def test_likes_and_reposts_show_as_rows_of_faces(page, demo: Demo) -> None:
    likers = ["Eve", "Finn", "Gus"]
    for number, name in enumerate(likers):
        add_mention(
            demo,
            source=f"https://{name.lower()}.example/likes/{number}",
            type=MentionType.LIKE,
            title=None,
            excerpt=None,
            author_name=name,
            author_url=f"https://{name.lower()}.example/",
        )
    add_mention(
        demo,
        source="https://hal.example/reposts/1",
        type=MentionType.REPOST,
        title=None,
        excerpt=None,
        author_name="Hal",
        author_url="https://hal.example/",
    )
    page.goto(demo.page())
    likes = shadow(page, ".cs-fc", has_text="3 likes")
    likes.wait_for()
    faces = likes.locator(".cs-fl a")
    assert [faces.nth(i).get_attribute("href") for i in range(3)] == [
        f"https://{name.lower()}.example/" for name in likers
    ]
    images = likes.locator(".cs-fl a img")
    assert [images.nth(i).get_attribute("alt") for i in range(3)] == likers
    assert images.first.get_attribute("title") == "Eve"
    assert all(
        images.nth(i).get_attribute("src").startswith(f"{demo.service}/avatar/") for i in range(3)
    )
    images.first.evaluate(LOADED)
    page.wait_for_function(
        "[...document.querySelector('#comments').shadowRoot.querySelectorAll('.cs-fl img')]"
        f".every({LOADED})"
    )
    reposts = shadow(page, ".cs-fc", has_text="1 repost")
    assert reposts.locator("a[href='https://hal.example/'] img[alt=Hal]").count() == 1
    assert shadow(page, ".cs-mn").count() == 0  # faces, not full rows
    assert shadow(page, ".cs-ms h3").count() == 0
    assert page.console_errors == []
