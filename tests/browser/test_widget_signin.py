"""The widget's side of sign-in: popup, origin- and source-checked message, bearer, sign-out."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from commentsvc.cli.demo import DEMO_SITE
from commentsvc.extensions import db
from commentsvc.services.accounts import create_account
from commentsvc.tokens import issue_token
from tests.widget.env import (  # noqa: F401  (fixtures)
    Demo,
    app_config,
    database_url,
    demo_fixture,
    shadow,
)

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"
FORGED = """() => window.postMessage({type: 'commentsvc:signed-in', token: 'forged',
    expires_at: '2999-01-01T00:00:00Z', account: {name: 'Mallory'}}, '*')"""


def test_sign_in_popup_hands_the_widget_a_token_it_uses_and_forgets(page, demo: Demo) -> None:
    create_account("ann@example.org", "Ann Account", PASSWORD, is_email_verified=True)
    db.session.commit()
    authorised: list[str] = []
    page.on(
        "request",
        lambda request: (
            request.method == "POST"
            and "/comments" in request.url
            and authorised.append(request.headers.get("authorization", ""))
        ),
    )
    page.goto(demo.page())
    with page.expect_popup() as opened:
        shadow(page, "button", has_text="Sign in with Email").click()
    popup = opened.value
    popup.wait_for_load_state()
    assert popup.url.startswith(f"{demo.service}/auth/login/site?site=demo&origin=")
    page.evaluate(FORGED)  # the host page's own message: wrong origin and source, ignored
    popup.get_by_label("Email").fill("ann@example.org")
    popup.get_by_label("Password").fill(PASSWORD)
    with popup.expect_event("close", timeout=10_000):  # listening before it can happen
        popup.get_by_role("button", name="Sign in").click()
    shadow(page, ".cs-who", has_text="Signed in as Ann Account.").wait_for()
    assert shadow(page, "input[name=name]").count() == 0  # no guest fields when signed in
    key = f"commentsvc:token:{demo.service}:demo"
    token = page.evaluate(f"JSON.parse(localStorage.getItem('{key}')).token")
    assert token and token != "forged"

    shadow(page, "form.cs-form textarea").fill("Signed-in comment")
    shadow(page, "form.cs-form button[type=submit]").click()
    comment = shadow(page, ".cs-list > .cs-c", has_text="Signed-in comment")
    comment.wait_for()
    assert comment.locator(".cs-n").text_content() == "Ann Account"
    assert authorised == [f"Bearer {token}"]

    page.reload()
    shadow(page, ".cs-who", has_text="Signed in as Ann Account.").wait_for()
    shadow(page, "button", has_text="Sign out").click()
    shadow(page, "button", has_text="Sign in with Email").wait_for()
    assert page.evaluate(f"localStorage.getItem('{key}')") is None
    me = demo.app.test_client().get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json == {"authenticated": False}  # sign-out revoked the token on the server


def test_a_forged_message_without_a_popup_signs_nobody_in(page, demo: Demo) -> None:
    page.goto(demo.page())
    shadow(page, "button", has_text="Sign in with Email").wait_for()
    page.evaluate(FORGED)
    page.wait_for_timeout(200)
    assert shadow(page, ".cs-who", has_text="Signed in").count() == 0
    assert page.evaluate(f"localStorage.getItem('commentsvc:token:{demo.service}:demo')") is None


def store_token(page, demo: Demo, token: str, expires_at: str, name: str = "Ann Account") -> None:
    record = {"token": token, "expires_at": expires_at, "account": {"name": name}}
    key = f"commentsvc:token:{demo.service}:demo"
    page.add_init_script(f"localStorage.setItem('{key}', {json.dumps(json.dumps(record))})")


def test_a_token_about_to_expire_is_renewed_before_use(page, demo: Demo) -> None:
    account = create_account("ann@example.org", "Ann Account", PASSWORD, is_email_verified=True)
    db.session.commit()
    token, _ = issue_token(account, DEMO_SITE, demo.blog)
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    store_token(page, demo, token, soon)
    sent: list[str] = []
    page.on(
        "request",
        lambda request: request.method == "POST" and sent.append(request.url.split("/api/")[-1]),
    )
    page.goto(demo.page())
    shadow(page, "form.cs-form textarea").fill("After a renewal")
    shadow(page, "form.cs-form button[type=submit]").click()
    shadow(page, ".cs-list > .cs-c .cs-n", has_text="Ann Account").wait_for()
    assert sent == ["auth/refresh", "sites/demo/comments"]
    renewed = page.evaluate(
        f"JSON.parse(localStorage.getItem('commentsvc:token:{demo.service}:demo'))"
    )
    assert renewed["expires_at"] > soon


def test_a_token_that_cannot_be_renewed_is_forgotten_and_nothing_is_posted(
    page, demo: Demo
) -> None:
    soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat().replace("+00:00", "Z")
    store_token(page, demo, "not-a-token", soon, name="Ghost")
    page.goto(demo.page())
    shadow(page, ".cs-who", has_text="Signed in as Ghost.").wait_for()
    shadow(page, "form.cs-form textarea").fill("Kept across the redraw")
    shadow(page, "form.cs-form button[type=submit]").click()
    shadow(page, "input[name=name]").wait_for()
    assert shadow(page, "form.cs-form textarea").input_value() == "Kept across the redraw"
    shadow(page, ".cs-err", has_text="Your sign-in has expired").wait_for()
    assert shadow(page, ".cs-count").inner_text() == "No responses yet"
    assert page.evaluate(f"localStorage.getItem('commentsvc:token:{demo.service}:demo')") is None
