"""A guest's address gets reply notifications only after it confirms by a mailed link; the
confirmation mail carries nothing the commenter wrote; every mail has Date and Message-ID."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Thread
from tests.auth.conftest import SITE_ORIGIN, local_path

PAGE = f"{SITE_ORIGIN}/post"


def post(client, body: str, **fields) -> dict:
    payload = {"url": PAGE, "body": body, "elapsed_ms": 60_000, **fields}
    answer = client.post("/api/sites/blog/comments", json=payload)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def ask_for_replies(client, body: str = "Question?") -> dict:
    return post(client, body, name="Mallory <b>", email="ann@example.org", notify=True)


def text_of(message) -> str:
    return message.get_payload(decode=True).decode()


def test_guest_gets_no_reply_mail_until_the_address_confirms(app, site, mailbox) -> None:
    ann, bob = app.test_client(), app.test_client()
    first = ask_for_replies(ann, "Buy cheap pills at pills.example")

    (asking,) = mailbox.wait_for(1)
    assert asking["To"] == "ann@example.org" and asking["Subject"] == "Confirm reply notifications"
    body = text_of(asking)
    assert "Mallory" not in body and "pills" not in body  # nothing the commenter chose
    link = re.search(r"http://comments\.test/notify/confirm/\S+", body).group(0)

    post(bob, "A reply before confirming.", name="Bob", parent=first["id"])
    time.sleep(0.2)
    assert len(mailbox.messages) == 1

    assert bob.get(local_path(link)).status_code == 200  # a link scanner only asks
    post(bob, "Still not confirmed.", name="Bob", parent=first["id"])
    time.sleep(0.2)
    assert len(mailbox.messages) == 1

    assert ann.post(local_path(link)).status_code == 200
    post(bob, "After confirming.", name="Bob", parent=first["id"])
    reply = mailbox.wait_for(2)[1]
    assert reply["To"] == "ann@example.org" and "After confirming." in text_of(reply)


def test_a_confirmed_address_is_not_asked_again(app, site, mailbox) -> None:
    client = app.test_client()
    ask_for_replies(client)
    link = re.search(r"/notify/confirm/\S+", text_of(mailbox.wait_for(1)[0])).group(0)
    assert client.post(link).status_code == 200

    second = ask_for_replies(client, "Another question")
    post(app.test_client(), "Answer", name="Bob", parent=second["id"])

    reply = mailbox.wait_for(2)[1]
    assert reply["Subject"].startswith("New reply")


def test_an_address_is_asked_at_most_once_a_day(app, site, mailbox) -> None:
    for number in range(3):
        ask_for_replies(app.test_client(), f"Question {number}")
    mailbox.wait_for(1)
    time.sleep(0.2)
    assert len(mailbox.messages) == 1


def test_forged_or_foreign_confirmation_links_are_refused(app, site, mailbox) -> None:
    from commentsvc.links import unsubscribe_link

    client = app.test_client()
    assert client.post("/notify/confirm/eyJlIjoiYUBiLm9yZyJ9.forged.sig").status_code == 400
    foreign = unsubscribe_link("", 1).replace("/auth/unsubscribe/", "/notify/confirm/")
    assert client.post(foreign).status_code == 400  # another kind of link is no confirmation


def test_every_mail_has_a_date_and_a_message_id(app, site, mailbox) -> None:
    ask_for_replies(app.test_client())

    (message,) = mailbox.wait_for(1)

    assert message["Date"] and message["Date"].datetime.tzinfo is not None
    assert re.fullmatch(r"<[^<>@\s]+@comments\.test>", message["Message-ID"])


def test_a_title_with_line_breaks_cannot_break_reply_mail(app, site, mailbox) -> None:
    from commentsvc.services.notify_addresses import confirm

    confirm("ann@example.org")
    first = ask_for_replies(app.test_client())
    db.session.execute(sa.update(Thread).values(title="Hi\r\nBcc: victim@example.org"))
    db.session.commit()  # a title stored before titles were cleaned

    post(app.test_client(), "Reply", name="Bob", parent=first["id"])

    (message,) = mailbox.wait_for(1)
    assert message["Subject"] == "New reply to your comment on Hi Bcc: victim@example.org"
    assert message["Bcc"] is None and mailbox.envelopes[0][1] == ["ann@example.org"]


def test_a_comment_caught_as_spam_mails_nobody(app, site, mailbox) -> None:
    answer = app.test_client().post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "hi", "email": "victim@example.org", "notify": True, "hp": "x"},
    )
    assert answer.status_code == 202
    time.sleep(0.2)
    assert mailbox.messages == []
