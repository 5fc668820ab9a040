"""Reply notifications: the job mails the parent's author once per reply, through a real SMTP
server, with an unsubscribe link that works; a guest's address gets them only once it has
confirmed by a mailed link."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Comment, Thread
from commentsvc.services.accounts import create_account
from commentsvc.services.notify_addresses import confirm
from commentsvc.tokens import issue_token
from tests.auth.conftest import SITE_ORIGIN, local_path, sign_in_popup

PAGE = f"{SITE_ORIGIN}/post"


def post(client, body: str, token: str | None = None, **fields) -> dict:
    payload = {"url": PAGE, "body": body, "elapsed_ms": 60_000, **fields}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.post("/api/sites/blog/comments", json=payload, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def name_page(title: str) -> None:
    """What the title job (or an operator) does once the page is read."""
    db.session.execute(sa.update(Thread).values(title=title))
    db.session.commit()


def confirmation_link(message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"http://comments\.test/notify/confirm/\S+", body).group(0)


def test_reply_mails_the_author_who_asked_and_unsubscribe_stops_it(app, site, mailbox) -> None:
    ann, bob = app.test_client(), app.test_client()
    confirm("ann@example.org")  # confirmed by a mailed link before
    first = post(ann, "Question?", name="Ann", email="ann@example.org", notify=True)
    name_page("A post")

    post(bob, "An *answer*.", name="Bob", parent=first["id"])

    (message,) = mailbox.wait_for(1)
    assert message["To"] == "ann@example.org"
    assert message["Subject"] == "New reply to your comment on A post"
    body = message.get_payload(decode=True).decode()
    assert "Bob replied to your comment" in body and "An *answer*." in body
    unsubscribe = re.search(r"http://comments\.test/auth/unsubscribe/\S+", body).group(0)
    assert message["List-Unsubscribe"] == f"<{unsubscribe}>"

    assert bob.get(local_path(unsubscribe)).status_code == 200  # a link scanner only asks
    assert db.session.get(Comment, first["id"]).is_notify is True
    assert bob.post(local_path(unsubscribe)).status_code == 200
    db.session.expire_all()
    assert db.session.get(Comment, first["id"]).is_notify is False
    post(bob, "Another answer.", name="Bob", parent=first["id"])
    time.sleep(0.2)
    assert len(mailbox.messages) == 1


def test_no_mail_for_own_replies_or_without_notify(app, site, mailbox) -> None:
    ann, bob = app.test_client(), app.test_client()
    confirm("ann@example.org")
    asked = post(ann, "Tell me.", name="Ann", email="ann@example.org", notify=True)
    silent = post(ann, "Don't tell me.", name="Ann", email="ann@example.org")

    post(ann, "Replying to myself.", name="Ann", email="ann@example.org", parent=asked["id"])
    post(bob, "A reply.", name="Bob", parent=silent["id"])

    time.sleep(0.2)
    assert mailbox.messages == []


def test_signed_in_author_is_mailed_at_the_account_address(app, site, mailbox) -> None:
    account = create_account(
        "ann@example.org", "Ann", "correct horse battery", is_email_verified=True
    )
    db.session.commit()
    token, _ = issue_token(account, "blog", SITE_ORIGIN)
    first = post(app.test_client(), "Signed in.", token=token, notify=True)

    post(app.test_client(), "Reply.", name="Bob", parent=first["id"])

    (message,) = mailbox.wait_for(1)  # no confirmation: the account's address is verified
    assert message["To"] == "ann@example.org" and message["Subject"].startswith("New reply")


def test_forged_unsubscribe_link_is_refused(client, site) -> None:
    assert client.get("/auth/unsubscribe/eyJjIjoxfQ.forged.sig").status_code == 400
    assert client.post("/auth/unsubscribe/eyJjIjoxfQ.forged.sig").status_code == 400


def test_a_reply_is_mailed_once_however_often_the_job_runs(app, site, mailbox) -> None:
    from workers.notify import notify_reply

    confirm("ann@example.org")
    first = post(app.test_client(), "Q", name="Ann", email="ann@example.org", notify=True)
    reply = post(app.test_client(), "A", name="Bob", parent=first["id"])
    mailbox.wait_for(1)
    notify_reply(reply["id"])
    notify_reply(reply["id"])
    time.sleep(0.2)
    assert len(mailbox.messages) == 1


def test_without_smtp_mail_goes_to_the_instance_outbox_not_the_log(app, caplog) -> None:
    from pathlib import Path

    from workers.mail import send_mail

    app.config["SMTP_URL"] = None  # the embedded default
    send_mail("ann@example.org", "Reset", "secret link https://x/auth/reset/TOKEN")
    (message,) = (Path(app.instance_path) / "outbox").iterdir()
    assert "TOKEN" in message.read_text() and message.stat().st_mode & 0o077 == 0
    assert "TOKEN" not in caplog.text


def test_popup_signed_in_commenter_can_ask_for_notifications_without_email(app, site) -> None:
    message = sign_in_popup(app.test_client(), "twitter")
    answer = app.test_client().post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "hi", "notify": True, "elapsed_ms": 60_000},
        headers={"Authorization": f"Bearer {message['token']}"},
    )
    assert answer.status_code == 201
