"""Live threads in real Chromium: two readers on one page, new comments behind a button, an
approval reaching everyone, and a stream that comes back after its server process dies."""

from __future__ import annotations

import time

import pytest

from commentsvc.cli.demo import DEMO_SITE
from commentsvc.extensions import db
from commentsvc.models import Comment, ModerationMode
from commentsvc.services.accounts import create_account
from commentsvc.services.moderation import Decision, decide
from commentsvc.services.sites import get_site, update_site
from tests.browser.test_widget_thread import write_comment
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    add_comments,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser


def open_reader(browser, demo: Demo):
    """Another browser (its own storage), on the demo post, with the thread loaded."""
    reader = browser.new_context().new_page()
    reader.goto(demo.page())
    shadow(reader, ".cs-count").filter(has_text="response").wait_for()
    reader.evaluate("window.sameDocument = true")  # gone if the page reloads
    return reader


def test_a_comment_by_one_reader_reaches_the_other_within_two_seconds(page, browser, demo):
    demo.post("Already here", name="Dee")
    page.goto(demo.page())
    shadow(page, ".cs-count").filter(has_text="1 response").wait_for()
    other = open_reader(browser, demo)
    started = time.monotonic()
    write_comment(page, "Hello from the first reader", name="Ann")
    news = shadow(other, "button.cs-new")
    news.filter(has_text="1 new comment — show").wait_for(timeout=2000)
    assert time.monotonic() - started < 2
    assert shadow(other, ".cs-b", has_text="Hello from the first reader").count() == 0
    news.press("Enter")
    shadow(other, ".cs-list > .cs-c .cs-b", has_text="Hello from the first reader").wait_for()
    assert news.is_hidden()
    assert shadow(other, ".cs-count").inner_text().startswith("2 responses")
    assert other.evaluate("window.sameDocument")
    # The writer's own comment came down the stream too: shown once, no "new" button.
    assert shadow(page, ".cs-b", has_text="Hello from the first reader").count() == 1
    assert shadow(page, "button.cs-new").is_hidden()
    assert page.console_errors == []


def test_replies_go_under_their_parent_without_moving_what_the_reader_looks_at(page, demo):
    first = demo.post("The parent comment", name="Ann")
    add_comments(demo, 12)
    page.set_viewport_size({"width": 800, "height": 500})
    page.goto(demo.page())
    last = shadow(page, ".cs-b", has_text="Comment number 12")
    last.wait_for()
    last.scroll_into_view_if_needed()
    top = last.bounding_box()["y"]
    demo.post("A reply far above", parent=first["id"], name="Cleo")
    demo.post("Another one far above", parent=first["id"], name="Cleo")
    news = shadow(page, "button.cs-new", has_text="2 new comments — show")
    news.wait_for(timeout=2000)
    news.focus()
    page.keyboard.press("Enter")
    parent = shadow(page, ".cs-list > .cs-c", has_text="The parent comment")
    parent.locator(".cs-r .cs-b", has_text="Another one far above").wait_for(state="attached")
    assert abs(last.bounding_box()["y"] - top) < 2  # the reader's place did not move


def test_an_approved_comment_reaches_both_readers(page, browser, demo):
    site = get_site(DEMO_SITE)
    site.moderation = ModerationMode.ALL
    operator = create_account("op@example.org", "Operator", None, operator_of=[DEMO_SITE])
    db.session.commit()
    page.goto(demo.page())
    shadow(page, ".cs-count").filter(has_text="No responses yet").wait_for()
    other = open_reader(browser, demo)
    write_comment(page, "Please let me in", name="Ann")
    shadow(page, ".cs-pend", has_text="awaiting moderation").wait_for()
    other.wait_for_timeout(500)
    assert shadow(other, "button.cs-new").is_hidden()  # held: nobody else is told
    held = db.session.scalar(db.select(Comment).where(Comment.author_name == "Ann"))
    decide(operator, [held], Decision.APPROVE)
    db.session.commit()
    shadow(other, "button.cs-new", has_text="1 new comment — show").click(timeout=2000)
    shadow(other, ".cs-b", has_text="Please let me in").wait_for()
    # The author's own copy turns from held to published in place.
    shadow(page, ".cs-c", has_text="Please let me in").locator(".cs-pend").wait_for(
        state="detached", timeout=2000
    )
    assert shadow(page, ".cs-count").inner_text().startswith("1 response")
    assert shadow(page, ".cs-b", has_text="Please let me in").count() == 1


# Every EventSource the page makes, so the test can tell the browser's own reconnect (the same
# object, sending Last-Event-ID) from a new stream the widget would open (with ?since=).
COUNT_STREAMS = """(() => {
  const Native = EventSource;
  window.streams = [];
  window.EventSource = function (url) {
    const stream = new Native(url);
    window.streams.push(stream);
    return stream;
  };
})()"""


def test_the_stream_is_open_only_while_the_thread_is_on_screen(page, demo):
    page.add_init_script(COUNT_STREAMS)
    page.set_viewport_size({"width": 800, "height": 400})
    page.goto(demo.page())
    shadow(page, ".cs-count").filter(has_text="response").wait_for()
    page.evaluate("document.getElementById('comments').scrollIntoView()")
    page.wait_for_function("streams.length == 1 && streams[0].readyState == 1")
    demo.post("Seen live", name="Ann")
    shadow(page, "button.cs-new", has_text="1 new comment — show").wait_for(timeout=2000)
    page.evaluate("document.getElementById('comments').style.marginTop = '3000px'")
    page.evaluate("scrollTo(0, 0)")
    page.wait_for_function("streams[0].readyState == 2")  # closed while off screen
    demo.post("Written while nobody looks", name="Bob")
    page.evaluate("document.getElementById('comments').scrollIntoView()")
    page.wait_for_function("streams.length == 2")
    assert "&since=" in page.evaluate("streams[1].url")  # from the last revision seen
    shadow(page, "button.cs-new", has_text="2 new comments — show").wait_for(timeout=2000)


def small_pages(demo: Demo) -> None:
    """Five top-level comments a page (the setting is read on every thread request)."""
    demo.app.config["THREAD_PAGE_SIZE"] = 5


def open_thread(page, demo: Demo) -> None:
    """The demo post with the thread loaded and its stream open."""
    page.add_init_script(COUNT_STREAMS)
    page.goto(demo.page())
    shadow(page, ".cs-count").filter(has_text="response").wait_for()
    page.wait_for_function("streams.length == 1 && streams[0].readyState == 1")


def test_a_comment_hidden_then_restored_comes_back_for_open_readers(page, demo):
    ids = add_comments(demo, 2)
    operator = create_account("op@example.org", "Operator", None, operator_of=[DEMO_SITE])
    db.session.commit()
    open_thread(page, demo)
    decide(operator, [db.session.get(Comment, ids[0])], Decision.SPAM)
    db.session.commit()
    shadow(page, ".cs-count").filter(has_text="1 response").wait_for(timeout=2000)
    assert shadow(page, ".cs-b", has_text="Comment number 1").count() == 0
    decide(operator, [db.session.get(Comment, ids[0])], Decision.RESTORE)
    db.session.commit()
    shadow(page, "button.cs-new", has_text="1 new comment — show").click(timeout=2000)
    shadow(page, ".cs-b", has_text="Comment number 1").wait_for()
    assert shadow(page, ".cs-count").inner_text().startswith("2 responses")
    assert page.console_errors == []


def test_a_new_last_comment_while_later_pages_wait_comes_once_with_the_last_page(page, demo):
    small_pages(demo)
    add_comments(demo, 7)
    open_thread(page, demo)
    demo.post("A newcomer", name="Zed")
    # Oldest first: its place is after the unloaded page, so it is counted, not offered.
    shadow(page, ".cs-count").filter(has_text="8 responses").wait_for(timeout=2000)
    assert shadow(page, "button.cs-new").is_hidden()
    shadow(page, "button.cs-more").click()
    shadow(page, ".cs-b", has_text="A newcomer").wait_for()
    page.wait_for_timeout(300)
    assert shadow(page, ".cs-b", has_text="A newcomer").count() == 1
    assert shadow(page, "button.cs-new").is_hidden()
    assert shadow(page, ".cs-count").inner_text().startswith("8 responses")


def test_a_reply_to_a_comment_on_a_later_page_is_counted_and_comes_with_that_page(page, demo):
    small_pages(demo)
    ids = add_comments(demo, 7)
    open_thread(page, demo)
    demo.post("An answer to number 7", parent=ids[6], name="Zed")
    shadow(page, ".cs-count").filter(has_text="8 responses").wait_for(timeout=2000)
    assert shadow(page, "button.cs-new").is_hidden()  # nothing to show on this page
    shadow(page, "button.cs-more").click()
    parent = shadow(page, ".cs-list > .cs-c", has_text="Comment number 7")
    parent.locator(".cs-r .cs-b", has_text="An answer to number 7").wait_for()
    assert shadow(page, ".cs-count").inner_text().startswith("8 responses")


def test_approving_an_authors_held_edit_counts_the_comment_once(page, demo):
    operator = create_account("op@example.org", "Operator", None, operator_of=[DEMO_SITE])
    db.session.commit()
    open_thread(page, demo)
    write_comment(page, "First words", name="Ann")
    mine = shadow(page, ".cs-list > .cs-c").first
    mine.get_by_text("First words").wait_for()
    update_site(get_site(DEMO_SITE), moderation=ModerationMode.ALL)
    db.session.commit()
    mine.get_by_role("button", name="Edit").click()
    mine.locator("form textarea").fill("Second words")
    mine.get_by_role("button", name="Save").click()
    held = mine
    held.get_by_text("Second words").wait_for()
    held.locator(".cs-pend", has_text="awaiting moderation").wait_for()
    # Still published under its earlier text: answerable and linkable while the edit waits.
    assert held.get_by_role("button", name="Reply").count() == 1
    assert held.get_by_role("button", name="Copy link").count() == 1
    decide(operator, [db.session.scalar(db.select(Comment))], Decision.APPROVE)
    db.session.commit()
    held.locator(".cs-pend").wait_for(state="detached", timeout=2000)
    assert shadow(page, ".cs-count").inner_text().startswith("1 response")
    assert page.console_errors == []


def test_a_stream_that_keeps_failing_backs_off_whatever_the_reader_does(page, demo):
    attempts = []
    page.add_init_script(COUNT_STREAMS)

    def cut(route) -> None:  # answered, then closed at once: the browser retries every 100 ms
        attempts.append(time.monotonic())
        route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body="retry: 100\n\n"
        )

    page.route("**/thread/events*", cut)
    page.goto(demo.page())
    shadow(page, ".cs-count").filter(has_text="response").wait_for()
    page.wait_for_function("streams.length == 1 && streams[0].readyState == 2")
    for _ in range(3):  # off screen and back, the tab hidden and shown: no retry before its time
        page.evaluate("document.getElementById('comments').style.marginTop = '3000px'")
        page.wait_for_timeout(100)
        page.evaluate("document.getElementById('comments').style.marginTop = '0'")
        page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_timeout(100)
    page.wait_for_timeout(1000)
    assert len(attempts) == 3
    assert page.evaluate("streams.length") == 1
