"""Permalinks in real Chromium: #comment-N and #mention-N reach the item inside the widget's
shadow root, on whichever page of the thread it sits, and "copy link" hands out the same URL."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, Mention
from commentsvc.services.threads import touch_thread
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    add_comments,
    add_mention,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser

IN_VIEW = """(id) => { const el = document.querySelector('#comments').shadowRoot.getElementById(id);
  const box = el.getBoundingClientRect();
  return box.top >= 0 && box.bottom <= innerHeight && box.height > 0; }"""
FOCUSED = "document.querySelector('#comments').shadowRoot.activeElement?.id"


def marked(page, anchor: str):
    return shadow(page, f"#{anchor}.cs-target")


def test_permalink_to_a_comment_on_the_third_page_of_a_300_comment_thread(page, demo: Demo) -> None:
    roots = add_comments(demo, 300)  # pages of 50 top-level comments
    target = f"comment-{roots[124]}"
    page.goto(demo.page() + "#" + target)
    marked(page, target).wait_for()
    page.wait_for_function(IN_VIEW, arg=target)
    assert page.evaluate(FOCUSED) == target  # screen readers land on it too
    assert shadow(page, ".cs-list > .cs-c").count() == 150  # three pages, not all six
    assert shadow(page, "button.cs-more").inner_text() == "Show 150 more comments"
    assert shadow(page, ".cs-gone").is_hidden()
    assert page.console_errors == []


def test_permalink_to_a_deep_reply_and_a_later_fragment_change(page, demo: Demo) -> None:
    roots = add_comments(demo, 80)
    chain = add_comments(demo, 7, parent_id=roots[70], is_chain=True)  # on page 2, depth 7
    deepest, first = f"comment-{chain[-1]}", f"comment-{roots[0]}"
    page.goto(demo.page() + "#" + deepest)
    marked(page, deepest).wait_for()
    page.wait_for_function(IN_VIEW, arg=deepest)
    assert "depth 7" in marked(page, deepest).locator(".cs-b").inner_text()
    page.evaluate("(hash) => { location.hash = hash; }", "#" + first)  # a link on the page
    marked(page, first).wait_for()
    page.wait_for_function(IN_VIEW, arg=first)
    assert shadow(page, ".cs-target").count() == 1  # the mark moved


def test_permalink_to_a_mention(page, demo: Demo) -> None:
    add_comments(demo, 40)
    add_mention(demo, title="Linked from elsewhere")
    mention_id = db.session.scalars(db.select(Mention.id)).one()
    page.goto(demo.page() + f"#mention-{mention_id}")
    marked(page, f"mention-{mention_id}").wait_for()
    page.wait_for_function(IN_VIEW, arg=f"mention-{mention_id}")
    assert "Linked from elsewhere" in marked(page, f"mention-{mention_id}").inner_text()


def test_permalink_to_a_deleted_comment_says_it_is_gone(page, demo: Demo) -> None:
    kept, deleted = add_comments(demo, 2)
    comment = db.session.get(Comment, deleted)
    comment.status = CommentStatus.DELETED
    touch_thread(comment.thread)
    db.session.commit()
    page.goto(demo.page() + f"#comment-{deleted}")
    notice = shadow(page, ".cs-gone")
    notice.wait_for()
    assert notice.inner_text() == "The comment this link points to is no longer here."
    assert shadow(page, ".cs-target").count() == 0
    page.evaluate("(hash) => { location.hash = hash; }", f"#comment-{kept}")
    marked(page, f"comment-{kept}").wait_for()
    assert notice.is_hidden()


def test_copy_link_puts_the_permalink_on_the_clipboard(browser, demo: Demo) -> None:
    (comment_id,) = add_comments(demo, 1)
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(demo.page())
    copy = shadow(page, f"#comment-{comment_id} button", has_text="Copy link")
    copy.click()
    shadow(page, f"#comment-{comment_id} button", has_text="Link copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == (
        f"{demo.page()}#comment-{comment_id}"
    )
    time_link = shadow(page, f"#comment-{comment_id} a.cs-pl")
    assert time_link.get_attribute("href") == f"{demo.page()}#comment-{comment_id}"
    context.close()
