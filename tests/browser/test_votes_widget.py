"""Votes, order and pins in real Chromium, by keyboard only."""

from __future__ import annotations

import json

import pytest

from commentsvc.extensions import db
from commentsvc.models import Comment
from commentsvc.services.accounts import create_account
from commentsvc.services.pins import set_pinned
from commentsvc.tokens import issue_token
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    add_comments,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser


def test_vote_and_order_by_keyboard_remembered_after_reload(page, demo: Demo) -> None:
    add_comments(demo, 3)
    page.goto(demo.page())
    vote = shadow(page, ".cs-c", has_text="Comment number 2").get_by_role(
        "button", name="Vote up, 0 votes"
    )
    vote.focus()
    page.keyboard.press("Space")
    voted = shadow(page, ".cs-c", has_text="Comment number 2").get_by_role(
        "button", name="Vote up, 1 vote"
    )
    voted.wait_for()
    assert voted.get_attribute("aria-pressed") == "true"
    order = shadow(page, "select")
    assert order.input_value() == "oldest"  # the site's default
    order.focus()
    page.keyboard.press("ArrowDown")  # newest first
    first = shadow(page, ".cs-list > .cs-c .cs-b").first
    first.filter(has_text="Comment number 3").wait_for()
    page.reload()
    shadow(page, ".cs-list > .cs-c .cs-b").first.filter(has_text="Comment number 3").wait_for()
    assert shadow(page, "select").input_value() == "newest"
    remembered = shadow(page, ".cs-c", has_text="Comment number 2").locator(".cs-vote")
    assert remembered.get_attribute("aria-pressed") == "true"
    remembered.focus()
    page.keyboard.press("Enter")  # withdrawn
    shadow(page, ".cs-c", has_text="Comment number 2").get_by_role(
        "button", name="Vote up, 0 votes"
    ).wait_for()
    assert page.console_errors == []


def test_own_comments_offer_no_vote(page, demo: Demo) -> None:
    page.goto(demo.page())
    form = shadow(page, "form.cs-form").first
    form.locator("textarea").fill("My own words")
    form.locator("input[name=name]").fill("Ann")
    form.locator("button[type=submit]").click()
    mine = shadow(page, ".cs-c", has_text="My own words")
    mine.get_by_role("button", name="Reply").wait_for()
    assert mine.locator(".cs-vote").count() == 0


def test_pinned_comment_first_and_operator_pins_from_the_widget(page, demo: Demo) -> None:
    ids = add_comments(demo, 3)
    operator = create_account("op@example.org", "Operator", None, operator_of=["demo"])
    db.session.commit()
    set_pinned(operator, db.session.get(Comment, ids[2]), True)
    db.session.commit()
    token, expires = issue_token(operator, "demo", demo.blog)
    record = {"token": token, "expires_at": expires.isoformat(), "account": {"name": "Op"}}
    key = f"commentsvc:token:{demo.service}:demo"  # the widget's own key for a sign-in
    script = f"localStorage.setItem({json.dumps(key)}, {json.dumps(json.dumps(record))})"
    page.add_init_script(script)
    page.goto(demo.page())
    top = shadow(page, ".cs-list > .cs-c").first
    top.locator(".cs-b", has_text="Comment number 3").wait_for()
    assert top.locator(".cs-pend", has_text="Pinned").count() == 1
    pin = shadow(page, ".cs-c", has_text="Comment number 2").get_by_role("button", name="Pin")
    pin.focus()
    page.keyboard.press("Enter")
    shadow(page, ".cs-list > .cs-c").first.locator(".cs-b", has_text="Comment number 2").wait_for()
    db.session.expire_all()
    assert db.session.get(Comment, ids[1]).is_pinned


def test_focus_stays_on_the_vote_button_when_the_comment_changes_live(page, demo: Demo) -> None:
    from commentsvc.services.moderation import edit_comment

    ids = add_comments(demo, 2)
    operator = create_account("op@example.org", "Operator", None, operator_of=["demo"])
    db.session.commit()
    page.goto(demo.page())
    vote = shadow(page, f"#comment-{ids[0]} .cs-vote")
    vote.focus()
    page.keyboard.press("Enter")
    shadow(page, f"#comment-{ids[0]}").get_by_role("button", name="Vote up, 1 vote").wait_for()
    edit_comment(operator, db.session.get(Comment, ids[0]), "Edited by the operator")
    db.session.commit()
    shadow(page, ".cs-b", has_text="Edited by the operator").wait_for(timeout=2000)
    focused = "document.getElementById('comments').shadowRoot.activeElement?.className"
    assert page.evaluate(focused) == "cs-btn cs-vote"
    page.keyboard.press("Enter")  # the same button, drawn again, takes the vote back
    shadow(page, f"#comment-{ids[0]} .cs-vote[aria-pressed=false]").wait_for()
