"""The window that registered waits for the mailed link to be confirmed, then finishes the
sign-in by itself; the link alone signs nobody in, and a taken address never completes."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.links import verify_token
from commentsvc.models import Account
from commentsvc.services.accounts import create_account, set_password
from tests.first_minutes.conftest import POPUP_QUERY, SITE_ORIGIN

PASSWORD = "correct horse battery staple"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def register(form_post, email: str = "new@example.org"):
    data = {"email": email, "name": "Newcomer", "password": PASSWORD}
    return form_post(f"/auth/register?{POPUP_QUERY}", data)


def status(client) -> str:
    answer = client.get("/auth/confirmation/status")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    return answer.json["state"]


def confirm_by_link(client, email: str) -> str:
    account = db.session.scalars(sa.select(Account).where(Account.email == email)).one()
    page = client.post(f"/auth/verify/{verify_token(account)}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_popup_that_registered_finishes_sign_in_once_the_address_is_confirmed(
    client, site, form_post
) -> None:
    waiting = register(form_post)
    html = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and "Check your email" in html
    assert "connect-src 'self'" in waiting.headers["Content-Security-Policy"]
    assert status(client) == "waiting"

    confirmed = confirm_by_link(client, "new@example.org")
    assert "You can close this tab" in confirmed and "BroadcastChannel" in confirmed
    assert client.get("/auth/account").status_code == 302  # the link itself signed nobody in
    assert status(client) == "confirmed"

    done = client.post("/auth/confirmation/finish", data={"csrf_token": csrf_of(html)})
    assert done.status_code == 200
    message = json.loads(re.search(r"var message = (\{.*?\});\n", done.get_data(as_text=True))[1])
    assert message["type"] == "commentsvc:signed-in" and message["account"]["name"] == "Newcomer"
    assert f'var origin = "{SITE_ORIGIN}"' in done.get_data(as_text=True)
    assert status(client) == "none"  # finished once; the session no longer waits


def test_finishing_before_the_address_is_confirmed_is_refused(client, site, form_post) -> None:
    html = register(form_post).get_data(as_text=True)
    early = client.post("/auth/confirmation/finish", data={"csrf_token": csrf_of(html)})
    assert early.status_code == 409 and "not confirmed yet" in early.get_data(as_text=True)
    assert "var message" not in early.get_data(as_text=True)


def test_registering_a_taken_address_never_completes(client, site, form_post) -> None:
    create_account("ann@example.org", "Ann", "Ann's own password", is_email_verified=True)
    db.session.commit()
    html = register(form_post, email="ann@example.org").get_data(as_text=True)
    assert "Check your email" in html  # the same page as for a new address
    assert status(client) == "waiting"
    stolen = client.post("/auth/confirmation/finish", data={"csrf_token": csrf_of(html)})
    assert stolen.status_code == 409 and "var message" not in stolen.get_data(as_text=True)


def test_sign_in_to_an_unconfirmed_account_is_refused_as_a_wrong_password_is(
    client, site, form_post
) -> None:
    """No wait there: whoever registered a taken address with a password of their own would
    tell a free address from a taken one by it. The registering window waits instead."""
    create_account("late@example.org", "Late", PASSWORD)
    db.session.commit()
    answers = [
        form_post(f"/auth/login/site?{POPUP_QUERY}", {"email": "late@example.org", "password": p})
        for p in (PASSWORD, "not the password at all")
    ]
    right, wrong = (answer.get_data(as_text=True) for answer in answers)
    assert [answer.status_code for answer in answers] == [401, 401]
    assert "awaiting-finish" not in right and "Follow the link we mailed" in right

    def alert(html: str) -> str:
        return re.search(r'role="alert">([^<]*)<', html)[1]

    assert alert(right) == alert(wrong)
    assert status(client) == "none"


def test_a_password_reset_meanwhile_ends_the_wait(client, site, form_post) -> None:
    html = register(form_post).get_data(as_text=True)
    account = db.session.scalars(sa.select(Account)).one()
    set_password(account, "somebody else's new password")
    db.session.commit()
    confirm_by_link(client, "new@example.org")
    assert status(client) == "waiting"
    refused = client.post("/auth/confirmation/finish", data={"csrf_token": csrf_of(html)})
    assert refused.status_code == 409


def test_status_without_a_wait_says_none(client) -> None:
    assert status(client) == "none"
