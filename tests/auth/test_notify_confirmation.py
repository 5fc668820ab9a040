"""A guest's address gets reply notifications only after it confirms by a mailed link; the
confirmation mail carries nothing the commenter wrote; every mail has Date and Message-ID."""

from __future__ import annotations

import re
import time

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Thread
from commentsvc.services.notify_addresses import is_confirmed
from commentsvc.services.sites import create_site
from tests.auth.conftest import SITE_ORIGIN, local_path
from tests.conftest import make_app

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


def confirmed_guest(app, mailbox) -> tuple[object, dict]:
    ann = app.test_client()
    first = ask_for_replies(ann)
    (asking,) = mailbox.wait_for(1)
    link = re.search(r"http://comments\.test/notify/confirm/\S+", text_of(asking)).group(0)
    assert ann.post(local_path(link)).status_code == 200
    return ann, first


def test_stop_all_turns_off_every_comment_of_the_address_and_asks_to_confirm_again(
    app, site, mailbox
) -> None:
    ann, first = confirmed_guest(app, mailbox)
    second = ask_for_replies(ann, "Another question?")
    bob = app.test_client()
    post(bob, "A reply.", name="Bob", parent=first["id"])
    notification = mailbox.wait_for(2)[1]
    unsubscribe = re.search(r"http://comments\.test/auth/unsubscribe/\S+", text_of(notification))
    page = ann.get(local_path(unsubscribe.group(0))).get_data(as_text=True)
    assert "Stop all reply emails to this address" in page
    answer = ann.post(local_path(unsubscribe.group(0)), data={"scope": "all"})
    assert answer.status_code == 200 and "any of your comments" in answer.get_data(as_text=True)

    post(bob, "A reply to the other one.", name="Bob", parent=second["id"])
    time.sleep(0.2)
    assert len(mailbox.messages) == 2
    assert not is_confirmed("ann@example.org")  # a comment asking again needs a new "yes"


def test_one_inbox_gets_a_bounded_number_of_reply_mails(app_config, mailbox, monkeypatch) -> None:
    """Someone replying over and over to a confirmed address's comments floods no inbox."""
    monkeypatch.setattr("commentsvc.services.notify_addresses.PER_INBOX_REPLY_LIMIT", "3 per hour")
    lots = "1000 per minute"
    limited = make_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "RATELIMIT_POST": lots,
            "RATELIMIT_POST_PER_IP": lots,
        }
    )
    with limited.app_context():
        create_site("blog", [SITE_ORIGIN])
        db.session.commit()
        _ann, first = confirmed_guest(limited, mailbox)
        bob = limited.test_client()
        for n in range(6):
            post(bob, f"Reply {n}.", name="Bob", parent=first["id"])
    mailbox.wait_for(4)
    time.sleep(0.3)
    assert len(mailbox.messages) == 4  # the confirmation request, then three replies
