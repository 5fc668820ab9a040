"""Writing in the widget: edit and delete within the window, moderation, errors, keyboard."""

from __future__ import annotations

import pytest

from commentsvc.extensions import db
from commentsvc.models import ModerationMode
from commentsvc.services.sites import get_site, update_site
from tests.browser.test_widget_thread import write_comment
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser


def focused(page) -> dict:
    """What has the keyboard focus inside the widget's shadow root."""
    return page.evaluate(
        """() => { const el = document.querySelector('#comments').shadowRoot.activeElement;
        return el ? {tag: el.tagName, name: el.name || '', text: el.textContent} : {}; }"""
    )


def tab_until(page, predicate, limit: int = 15) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        state = focused(page)
        if predicate(state):
            return state
    raise AssertionError(f"Tab never reached the wanted control; last: {focused(page)}")


def test_author_edits_and_deletes_own_comment_within_window(page, demo: Demo) -> None:
    page.goto(demo.page())
    write_comment(page, "Frist post", name="Ann")
    comment = shadow(page, ".cs-list > .cs-c").first
    comment.get_by_role("button", name="Edit").click()
    editor = comment.locator("form textarea")
    assert editor.input_value() == "Frist post"
    editor.fill("First post, *fixed*")
    comment.get_by_role("button", name="Save").click()
    comment.locator(".cs-b em", has_text="fixed").wait_for()
    assert comment.locator(".cs-h", has_text="edited").count() == 1
    page.reload()  # the edit token survives in the page's localStorage
    comment.locator(".cs-b em", has_text="fixed").wait_for()
    comment.get_by_role("button", name="Delete").click()
    comment.get_by_text("Delete this comment?").wait_for()
    comment.get_by_role("button", name="Delete").click()
    shadow(page, ".cs-count", has_text="No responses yet").wait_for()
    assert shadow(page, ".cs-list > .cs-c").count() == 0
    page.reload()
    shadow(page, ".cs-count", has_text="No responses yet").wait_for()
    assert page.console_errors == []


def test_deleting_a_comment_with_replies_leaves_a_placeholder(page, demo: Demo) -> None:
    page.goto(demo.page())
    write_comment(page, "Parent", name="Ann")
    comment = shadow(page, ".cs-list > .cs-c").first
    comment.get_by_role("button", name="Reply").click()
    comment.locator("form textarea").fill("Child")
    comment.locator("form button[type=submit]").click()
    comment.locator(".cs-r .cs-b", has_text="Child").wait_for()
    parent = comment.locator("> article")
    parent.get_by_role("button", name="Delete").click()
    parent.get_by_role("button", name="Delete").click()
    parent.get_by_text("This comment was deleted.").wait_for()
    assert comment.locator(".cs-r .cs-b", has_text="Child").is_visible()


def test_edit_buttons_are_absent_for_other_readers_and_after_the_window(
    browser, page, demo: Demo
) -> None:
    update_site(get_site("demo"), edit_window_seconds=3)
    db.session.commit()
    page.goto(demo.page())
    write_comment(page, "Mine for three seconds", name="Ann")
    comment = shadow(page, ".cs-list > .cs-c").first
    comment.get_by_role("button", name="Edit").wait_for()
    other = browser.new_context().new_page()
    other.goto(demo.page())
    shadow(other, ".cs-list > .cs-c").first.wait_for()
    assert shadow(other, ".cs-list button", has_text="Edit").count() == 0
    other.context.close()
    comment.get_by_role("button", name="Edit").wait_for(state="detached", timeout=6000)
    assert comment.get_by_role("button", name="Reply").is_visible()


def test_held_comment_is_shown_to_its_author_as_awaiting_moderation(
    browser, page, demo: Demo
) -> None:
    update_site(get_site("demo"), moderation=ModerationMode.ALL)
    db.session.commit()
    page.goto(demo.page())
    write_comment(page, "Please approve me", name="Ann")
    pending = shadow(page, ".cs-list > .cs-c").first
    pending.get_by_text("awaiting moderation").wait_for()
    shadow(page, "[role=status]", has_text="awaiting moderation").wait_for()
    assert shadow(page, ".cs-count").inner_text() == "No responses yet"
    page.reload()
    shadow(page, ".cs-list > .cs-c", has_text="Please approve me").get_by_text(
        "awaiting moderation"
    ).wait_for()
    stranger = browser.new_context().new_page()
    stranger.goto(demo.page())
    shadow(stranger, ".cs-count", has_text="No responses yet").wait_for()
    assert shadow(stranger, ".cs-list > .cs-c").count() == 0
    stranger.context.close()


def test_problem_details_show_inline_at_the_field(page, demo: Demo) -> None:
    page.goto(demo.page())
    form = shadow(page, "form.cs-form").first
    form.locator("textarea").fill("Tell me about replies")
    form.get_by_label("Email me when someone replies").check()
    form.locator("button[type=submit]").click()
    email = form.locator("input[name=email]")
    form.get_by_text("Give an email address to be told of replies.").wait_for()
    assert email.get_attribute("aria-invalid") == "true"
    assert focused(page)["name"] == "email"
    email.fill("ann@example.org")
    form.locator("button[type=submit]").click()
    shadow(page, ".cs-list > .cs-c", has_text="Tell me about replies").wait_for()
    assert email.get_attribute("aria-invalid") is None


def test_keyboard_alone_posts_a_comment_and_a_reply(page, demo: Demo) -> None:
    page.goto(demo.page())
    shadow(page, "form.cs-form").first.wait_for()
    tab_until(page, lambda el: el.get("tag") == "TEXTAREA")
    page.keyboard.type("Typed without a mouse")
    tab_until(page, lambda el: el.get("name") == "name")
    page.keyboard.type("Kim")
    tab_until(page, lambda el: el.get("text") == "Post comment")
    page.keyboard.press("Enter")
    comment = shadow(page, ".cs-list > .cs-c", has_text="Typed without a mouse")
    comment.wait_for()
    tab_until(page, lambda el: el.get("text") == "Reply", limit=30)
    page.keyboard.press("Enter")
    assert focused(page)["tag"] == "TEXTAREA"
    page.keyboard.type("And a reply, sent with Ctrl+Enter")
    page.keyboard.press("Control+Enter")
    comment.locator(".cs-r .cs-c", has_text="sent with Ctrl+Enter").wait_for()
    assert shadow(page, ".cs-count").inner_text() == "2 responses"


def test_preview_shows_what_posting_will_store_and_never_markup(page, demo: Demo) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(demo.page())
    form = shadow(page, "form.cs-form")
    form.locator("textarea").fill(
        "**bold** and `code`, [a link](https://example.org)\n\n<img src=x onerror=alert(1)>"
    )
    form.get_by_role("button", name="Preview").click()
    pane = form.locator(".cs-pv")
    assert pane.locator("strong").inner_text() == "bold"
    assert pane.locator("a").get_attribute("rel") == "nofollow ugc noopener"
    assert pane.locator("code").inner_text() == "code"
    assert pane.locator("img").count() == 0
    assert "<img src=x onerror=alert(1)>" in pane.inner_text()
    assert form.locator("textarea").is_hidden()
    form.get_by_role("button", name="Write").click()
    assert form.locator("textarea").is_visible() and pane.is_hidden()
    assert dialogs == []


def test_reply_past_the_deepest_level_joins_the_parents_replies(page, demo: Demo) -> None:
    update_site(get_site("demo"), max_depth=1)
    db.session.commit()
    top = demo.post("Top")
    demo.post("Deepest allowed", parent=top["id"])
    page.goto(demo.page())
    deepest = shadow(page, ".cs-r > .cs-c", has_text="Deepest allowed")
    deepest.get_by_role("button", name="Reply").click()
    deepest.locator("form textarea").fill("One more")
    deepest.locator("form button[type=submit]").click()
    shadow(page, ".cs-list > .cs-c > .cs-r > .cs-c", has_text="One more").wait_for()
    assert shadow(page, ".cs-r .cs-r .cs-c").count() == 0
    assert shadow(page, ".cs-count").inner_text() == "3 responses to “Hello, world · Demo blog”"
