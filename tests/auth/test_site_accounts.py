"""Site accounts: register, confirm by mail, sign in (popup and page), reset a password,
lock-out, and no user enumeration. Mail goes through a real local SMTP server."""

from __future__ import annotations

import re
import time
from urllib.parse import urlencode

import pytest

from commentsvc.extensions import db
from commentsvc.models import Account
from commentsvc.services.accounts import MAX_FAILED_LOGINS, create_account
from tests.auth.conftest import SITE_ORIGIN, csrf_token, local_path, popup_message
from tests.conftest import make_app

PASSWORD = "correct horse battery"


def form_post(client, path: str, data: dict[str, str], page: str | None = None):
    """Submit a form the way a browser does: fetch it, then post with its CSRF token."""
    html = client.get(page or path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_token(html)})


def link_in(message, path: str) -> str:
    body = message.get_payload(decode=True).decode()
    match = re.search(rf"http://comments\.test{path}\S+", body)
    assert match, body
    return local_path(match.group(0))


@pytest.fixture
def ann(app):
    account = create_account("ann@example.org", "Ann", PASSWORD, is_email_verified=True)
    db.session.commit()
    return account


def register(client, email="new@example.org", name="Newcomer", password=PASSWORD):
    return form_post(client, "/auth/register", {"email": email, "name": name, "password": password})


def test_register_confirm_by_mailed_link_then_sign_in(client, mailbox) -> None:
    answer = register(client)
    assert answer.status_code == 200
    assert "Check your email" in answer.get_data(as_text=True)

    (message,) = mailbox.wait_for(1)
    assert message["To"] == "new@example.org"
    assert message["From"] == "Comments <comments@comments.test>"
    confirmed = client.get(link_in(message, "/auth/verify/"))
    assert confirmed.status_code == 200
    assert db.session.get(Account, 1).is_email_verified

    signed_in = form_post(
        client, "/auth/login/site", {"email": "new@example.org", "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/auth/account"


def test_unconfirmed_account_cannot_sign_in_and_gets_a_new_link(client, mailbox) -> None:
    register(client)
    mailbox.wait_for(1)

    answer = form_post(
        client, "/auth/login/site", {"email": "new@example.org", "password": PASSWORD}
    )

    assert answer.status_code == 401
    assert "Confirm your email" in answer.get_data(as_text=True)
    mailbox.wait_for(2)


def test_registering_a_taken_address_looks_the_same_and_mails_the_owner(
    client, ann, mailbox
) -> None:
    fresh = register(client, email="someone@example.org")
    taken = register(client, email="ANN@example.org".lower())

    assert taken.status_code == fresh.status_code == 200
    assert taken.get_data(as_text=True) == fresh.get_data(as_text=True)
    messages = mailbox.wait_for(2)
    owner_mail = next(m for m in messages if m["To"] == "ann@example.org")
    assert owner_mail["Subject"] == "You already have an account"
    assert db.session.query(Account).count() == 2


def test_wrong_password_unknown_email_and_locked_account_get_the_same_answer(client, ann) -> None:
    wrong = form_post(
        client, "/auth/login/site", {"email": "ann@example.org", "password": "x" * 12}
    )
    unknown = form_post(
        client, "/auth/login/site", {"email": "zed@example.org", "password": "x" * 12}
    )

    assert wrong.status_code == unknown.status_code == 401
    text = "do not match an account"
    assert text in wrong.get_data(as_text=True) and text in unknown.get_data(as_text=True)


def test_unknown_email_takes_about_as_long_as_a_wrong_password(client, ann) -> None:
    def timed(email: str) -> float:
        html = client.get("/auth/login/site").get_data(as_text=True)
        data = {"email": email, "password": "wrong password!", "csrf_token": csrf_token(html)}
        started = time.perf_counter()
        client.post("/auth/login/site", data=data)
        return time.perf_counter() - started

    timed("zed@example.org")  # warm the dummy hash
    known = sorted(timed("ann@example.org") for _ in range(5))[2]
    unknown = sorted(timed("zed@example.org") for _ in range(5))[2]

    # Without the throw-away hash an unknown email answers in a few milliseconds, a
    # twentieth of an argon2 check: the medians must be of the same order.
    assert unknown > known * 0.4, (known, unknown)


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, ann) -> None:
    for _ in range(MAX_FAILED_LOGINS):
        form_post(client, "/auth/login/site", {"email": "ann@example.org", "password": "nope" * 3})

    right = form_post(
        client, "/auth/login/site", {"email": "ann@example.org", "password": PASSWORD}
    )

    assert right.status_code == 401
    db.session.refresh(ann)
    assert ann.locked_until is not None


def test_sign_in_posts_are_rate_limited_per_address(app_config) -> None:
    limited = make_app({**app_config, "RATELIMIT_ENABLED": True})
    with limited.app_context():
        client = limited.test_client()
        data = {"email": "x@example.org", "password": "p" * 12}
        statuses = [form_post(client, "/auth/login/site", data).status_code for _ in range(11)]

    assert statuses == [401] * 10 + [429]


def test_password_reset_by_mailed_link_works_once_and_signs_out_elsewhere(
    client, ann, mailbox
) -> None:
    from commentsvc.auth.tokens import issue_token

    old_token, _ = issue_token(ann)
    answer = form_post(client, "/auth/forgot", {"email": "ann@example.org"})
    assert "If an account uses that address" in answer.get_data(as_text=True)
    (message,) = mailbox.wait_for(1)
    reset = link_in(message, "/auth/reset/")

    done = form_post(client, reset, {"password": "a brand new password"})
    assert done.status_code == 200
    again = client.get(reset)
    assert again.status_code == 400
    assert client.get("/api/me", headers={"Authorization": f"Bearer {old_token}"}).get_json() == {
        "authenticated": False
    }
    fresh = form_post(
        client, "/auth/login/site", {"email": "ann@example.org", "password": "a brand new password"}
    )
    assert fresh.status_code == 302


def test_reset_for_an_unknown_address_answers_the_same_and_sends_nothing(
    client, ann, mailbox
) -> None:
    known = form_post(client, "/auth/forgot", {"email": "ann@example.org"})
    unknown = form_post(client, "/auth/forgot", {"email": "zed@example.org"})

    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    mailbox.wait_for(1)
    time.sleep(0.2)
    assert [m["To"] for m in mailbox.messages] == ["ann@example.org"]


def test_site_sign_in_in_the_popup_hands_a_token_to_the_widget(client, site, ann) -> None:
    path = "/auth/login/site?" + urlencode({"site": "blog", "origin": SITE_ORIGIN})
    answer = form_post(client, path, {"email": "ann@example.org", "password": PASSWORD})

    assert answer.headers["Location"] == "/auth/complete"
    message = popup_message(client.get("/auth/complete").get_data(as_text=True))
    assert message["account"]["name"] and "email" not in message["account"]


def test_operator_sign_in_page_goes_on_to_next(client, site, ann) -> None:
    answer = form_post(
        client,
        "/auth/login/site?next=/moderate/",
        {"email": "ann@example.org", "password": PASSWORD},
    )

    assert answer.headers["Location"] == "/moderate/"
    with client.session_transaction() as session:
        assert session["account_id"] == ann.id
        assert session["generation"] == ann.token_generation


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)",
     "/\r\nLocation: https://evil.example", "http:/evil.example"],
)  # fmt: skip
def test_next_pointing_anywhere_but_this_service_is_refused(client, ann, target) -> None:
    answer = client.get("/auth/login/site?" + urlencode({"next": target}))

    assert answer.status_code == 400


def test_forms_without_the_csrf_token_are_refused(client, ann) -> None:
    for path, data in [
        ("/auth/login/site", {"email": "ann@example.org", "password": PASSWORD}),
        ("/auth/register", {"email": "b@example.org", "name": "B", "password": PASSWORD}),
        ("/auth/forgot", {"email": "ann@example.org"}),
    ]:
        answer = client.post(path, data=data)
        assert answer.status_code == 400, path
        assert "form expired" in answer.get_data(as_text=True)


def test_confirmation_link_confirms_but_does_not_sign_in(client, mailbox) -> None:
    register(client)
    link = link_in(mailbox.wait_for(1)[0], "/auth/verify/")

    assert client.get(link).status_code == 200
    assert client.get("/auth/account").status_code == 302  # still signed out


def test_forged_confirmation_and_reset_links_are_refused(client, ann) -> None:
    assert client.get("/auth/verify/eyJhIjoxfQ.forged.sig").status_code == 400
    assert client.get("/auth/reset/eyJhIjoxfQ.forged.sig").status_code == 400
    assert not db.session.get(Account, ann.id).password_hash.startswith("forged")


@pytest.mark.redis
def test_mail_is_queued_by_the_request_and_sent_by_an_rq_worker(
    app_config, redis_url, mailbox
) -> None:
    from rq import SimpleWorker

    from commentsvc.jobs import queue

    queued = make_app({**app_config, "REDIS_URL": redis_url})
    with queued.app_context():
        answer = register(queued.test_client())
        assert answer.status_code == 200
        assert mailbox.messages == []  # the request only queued the job
        assert queue(queued).count == 1

        SimpleWorker([queue(queued)], connection=queue(queued).connection).work(burst=True)

    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "Confirm your email address"
