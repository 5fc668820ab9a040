"""The moderation queue in real Chromium: an operator signs in through the sign-in page, judges
a held comment and a held pingback with the mouse and the keyboard, bulk-deletes a page of
spam, and the widget on the demo blog (and the thread API) shows each decision."""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from commentsvc.cli.demo import DEMO_SITE
from commentsvc.extensions import db
from commentsvc.models import (
    Comment,
    CommentStatus,
    Mention,
    MentionKind,
    MentionType,
    ModerationMode,
)
from commentsvc.services.accounts import create_account
from commentsvc.services.sites import get_site, update_site
from commentsvc.services.threads import get_or_create_thread
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser

EMAIL = "ops@demo.example"
PASSWORD = "moderate-me-please"
SPAM_COUNT = 12


def _held_pingback(demo: Demo) -> int:
    """A pingback the worker verified, waiting for a decision (receiving is another test's job)."""
    thread = get_or_create_thread(get_site(DEMO_SITE), demo.page())
    mention = Mention(
        thread_id=thread.id,
        site_id=thread.site_id,
        source="https://other.example/a-post-linking-here",
        target=demo.page(),
        kind=MentionKind.PINGBACK,
        type=MentionType.MENTION,
        verification="verified",
        status=CommentStatus.PENDING,
        title="Someone linked here",
        excerpt="As Hello, world says, <b>comments</b> matter.",
        author_name="Pat Pingback",
        held_reason="mentions are moderated",
    )
    db.session.add(mention)
    db.session.commit()
    return mention.id


def _thread(demo: Demo) -> dict:
    query = urllib.parse.urlencode({"url": demo.page()})
    url = f"{demo.service}/api/sites/{DEMO_SITE}/thread?{query}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


@pytest.fixture
def held(demo: Demo) -> dict:
    """Site moderates everything: a page of spam, then a pingback, then a real comment."""
    update_site(get_site(DEMO_SITE), moderation=ModerationMode.ALL)
    create_account(EMAIL, "Olga Ops", PASSWORD, operator_of=[DEMO_SITE], is_email_verified=True)
    db.session.commit()
    spam = [demo.post(f"cheap pills offer {n}", status=202)["id"] for n in range(SPAM_COUNT)]
    pingback = _held_pingback(demo)
    comment = demo.post("A thoughtful comment worth keeping.", status=202, name="Gus")["id"]
    return {"spam": spam, "pingback": pingback, "comment": comment}


def _sign_in(page, demo: Demo) -> None:
    page.goto(f"{demo.service}/moderate/")
    assert "/auth/login/site?next=/moderate/" in page.url
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{demo.service}/moderate/")
    page.console_errors.clear()  # the sign-in page is not ours to judge (its favicon 404s)


def _widget_shows(browser, demo: Demo, text: str, present: bool) -> None:
    """The blog page, freshly loaded in its own tab, shows (or does not show) ``text``."""
    context = browser.new_context()
    blog = context.new_page()
    blog.goto(demo.page())
    shadow(blog, ".cs-count").wait_for()
    locator = blog.locator("#comments").get_by_text(text)
    if present:
        expect(locator).to_be_visible()
    else:
        shadow(blog, ".cs-count").filter(has_text="response").wait_for()
        expect(locator).to_have_count(0)
    context.close()


def _queue_item(page, key: str):
    return page.locator(f'.queue-item[data-key="{key}"]')


def test_operator_moderates_with_mouse_keyboard_and_bulk(
    page, browser, demo: Demo, held: dict, artifacts_dir
) -> None:
    comment_key, pingback_key = f"c:{held['comment']}", f"m:{held['pingback']}"
    _sign_in(page, demo)

    # The queue at a glance: held comment, held pingback and the spam, count in the title.
    expect(page).to_have_title(re.compile(rf"^\({SPAM_COUNT + 2}\) Moderation queue"))
    expect(_queue_item(page, comment_key)).to_contain_text("A thoughtful comment worth keeping.")
    expect(_queue_item(page, comment_key)).to_contain_text("Held: site moderates every comment")
    expect(_queue_item(page, pingback_key)).to_contain_text("pingback")
    expect(_queue_item(page, pingback_key)).to_contain_text("<b>comments</b> matter")
    page.screenshot(path=artifacts_dir / "moderation-queue.png", full_page=True)
    _widget_shows(browser, demo, "A thoughtful comment", present=False)

    # Keyboard: the newest item starts current; j/k move; "a" approves the pingback.
    expect(page.locator(".queue-item.is-current")).to_have_attribute("data-key", comment_key)
    page.keyboard.press("j")
    expect(page.locator(".queue-item.is-current")).to_have_attribute("data-key", pingback_key)
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("a")
    expect(page.locator(".mod-flash")).to_have_text("1 item approved.")
    expect(_queue_item(page, pingback_key)).to_have_count(0)
    assert [m["id"] for m in _thread(demo)["mentions"]] == [held["pingback"]]
    _widget_shows(browser, demo, "Someone linked here", present=True)

    # The mouse: the held comment is approved with its own button.
    _queue_item(page, comment_key).get_by_role("button", name="Approve").click()
    expect(page.locator(".mod-flash")).to_have_text("1 item approved.")
    assert [c["id"] for c in _thread(demo)["comments"]] == [held["comment"]]
    _widget_shows(browser, demo, "A thoughtful comment worth keeping.", present=True)

    # Changing one's mind: "s" on the current item marks it spam; the widget drops it.
    page.goto(f"{demo.service}/moderate/?status=visible")
    expect(page.locator(".queue-item.is-current")).to_have_attribute("data-key", comment_key)
    page.keyboard.press("s")
    expect(page.locator(".mod-flash")).to_have_text("1 item marked as spam.")
    assert _thread(demo)["comments"] == []
    _widget_shows(browser, demo, "A thoughtful comment worth keeping.", present=False)

    # "d" deletes the current spam item; then the rest go in bulk with "select all".
    page.goto(f"{demo.service}/moderate/?q=cheap+pills")
    expect(page.locator(".queue-item")).to_have_count(SPAM_COUNT)
    page.keyboard.press("d")
    expect(page.locator(".mod-flash")).to_have_text("1 item deleted.")
    expect(page.locator(".queue-item")).to_have_count(SPAM_COUNT - 1)
    page.locator("#select-all").check()
    expect(page.locator(".item-select:checked")).to_have_count(SPAM_COUNT - 1)
    page.locator(".mod-bulk").get_by_role("button", name="Delete").click()
    expect(page.locator(".mod-flash")).to_have_text(f"{SPAM_COUNT - 1} items deleted.")
    expect(page.locator(".queue-item")).to_have_count(0)
    expect(page).to_have_title(re.compile(r"^Moderation queue"))
    assert page.evaluate("fetch('/moderate/count.json').then(r => r.json())") == {"pending": 0}

    db.session.expire_all()
    statuses = {db.session.get(Comment, i).status for i in held["spam"]}
    assert statuses == {CommentStatus.DELETED}
    assert page.console_errors == []  # nothing blocked by the CSP, no script errors


def test_audit_log_records_the_operators_decisions(page, demo: Demo, held: dict) -> None:
    _sign_in(page, demo)
    _queue_item(page, f"c:{held['comment']}").get_by_role("button", name="Spam").click()
    expect(page.locator(".mod-flash")).to_have_text("1 item marked as spam.")
    page.get_by_role("link", name="Audit log").click()
    row = page.locator(".mod-audit tbody tr").first
    expect(row).to_contain_text("Olga Ops")
    expect(row).to_contain_text("spam")
    expect(row).to_contain_text('{"status": "pending"}')
    expect(row).to_contain_text('{"status": "spam"}')
    assert page.console_errors == []


def test_open_with_o_then_edit_and_reply_as_the_site(page, browser, demo: Demo, held: dict) -> None:
    _sign_in(page, demo)
    expect(page.locator(".queue-item.is-current")).to_have_attribute(
        "data-key", f"c:{held['comment']}"
    )
    page.keyboard.press("o")
    page.wait_for_url(f"{demo.service}/moderate/comments/{held['comment']}")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".mod-flash")).to_have_text("1 item approved.")

    page.locator("textarea[name=body]").first.fill("A thoughtful comment, **tidied up**.")
    page.get_by_role("button", name="Save text").click()
    expect(page.locator(".mod-flash")).to_contain_text("Text changed")
    expect(page.locator(".mod-revisions")).to_contain_text("A thoughtful comment worth keeping.")

    page.locator("textarea[name=body]").nth(1).fill("Thanks, Gus!")
    page.get_by_role("button", name="Reply").click()
    expect(page.locator(".mod-flash")).to_have_text(f"Replied as {DEMO_SITE}.")

    [node] = _thread(demo)["comments"]
    assert node["html"] == "<p>A thoughtful comment, <strong>tidied up</strong>.</p>"
    assert [reply["author"]["name"] for reply in node["replies"]] == [DEMO_SITE]
    _widget_shows(browser, demo, "Thanks, Gus!", present=True)
    assert page.console_errors == []
