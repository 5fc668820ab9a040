"""Pins: operators of the comment's site pin through the API and the moderation pages."""

from __future__ import annotations

import re

import pytest

from commentsvc.extensions import db
from commentsvc.live.batches import stream_key
from commentsvc.live.bus import live_bus
from commentsvc.models import AuditEntry, Comment, CommentStatus, Thread
from commentsvc.tokens import issue_token


def is_pinned(comment_id: int) -> bool:
    db.session.expire_all()
    return db.session.get(Comment, comment_id).is_pinned


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html)[1]


def test_operator_pins_and_unpins_through_the_api_with_an_audit_entry(
    posted, reader, operator
) -> None:
    comment_id = posted()
    reader.sign_in(operator)
    assert reader.pin(comment_id, True).json == {"id": comment_id, "pinned": True}
    assert is_pinned(comment_id)
    assert reader.thread().json["comments"][0]["pinned"] is True
    assert reader.pin(comment_id, False).json == {"id": comment_id, "pinned": False}
    assert not is_pinned(comment_id)
    actions = db.session.scalars(db.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["pin", "unpin"]


def test_operator_pins_with_a_bearer_token_of_the_site(posted, reader, operator) -> None:
    comment_id = posted()
    token, _ = issue_token(operator, "blog", "https://blog.example.org")
    response = reader.client.put(
        f"/api/comments/{comment_id}/pin",
        json={"pinned": True},
        headers={"Authorization": f"Bearer {token}", "Origin": "https://blog.example.org"},
    )
    assert response.status_code == 200, response.json
    assert is_pinned(comment_id)


def test_reader_cannot_pin(posted, reader, reader_account) -> None:
    comment_id = posted()
    response = reader.sign_in(reader_account).pin(comment_id)
    assert response.status_code == 403
    assert response.content_type == "application/problem+json"
    assert not is_pinned(comment_id)


def test_guest_cannot_pin(posted, reader) -> None:
    assert reader.pin(posted()).status_code == 401


def test_operator_of_another_site_cannot_pin(posted, reader, other_operator) -> None:
    comment_id = posted()
    assert reader.sign_in(other_operator).pin(comment_id).status_code == 403
    token, _ = issue_token(other_operator, "shop", "https://shop.example.org")
    response = reader.client.put(
        f"/api/comments/{comment_id}/pin",
        json={"pinned": True},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert not is_pinned(comment_id)


@pytest.mark.parametrize(
    "status", [CommentStatus.PENDING, CommentStatus.SPAM, CommentStatus.DELETED]
)
def test_a_hidden_comment_is_no_comment_to_those_who_do_not_operate_its_site(
    posted, reader, reader_account, other_operator, status
) -> None:
    comment_id = posted()
    db.session.get(Comment, comment_id).status = status
    db.session.commit()
    for account in (reader_account, other_operator):
        response = reader.sign_in(account).pin(comment_id)
        assert response.status_code == 404, account
        assert response.json["detail"] == f"There is no comment {comment_id}."
    assert (
        reader.sign_in(reader_account).pin(424242).json["detail"] == "There is no comment 424242."
    )


def test_reply_cannot_be_pinned(posted, reader, operator) -> None:
    reply = posted("re", parent=posted())
    response = reader.sign_in(operator).pin(reply)
    assert response.status_code == 400
    assert "top-level" in response.json["detail"]


def test_deleted_comment_cannot_be_pinned(posted, reader, operator) -> None:
    comment_id = posted()
    db.session.get(Comment, comment_id).status = CommentStatus.DELETED
    db.session.commit()
    assert reader.sign_in(operator).pin(comment_id).status_code == 404


def test_hostile_pin_bodies_get_400(posted, reader, operator) -> None:
    comment_id = posted()
    reader.sign_in(operator)
    for body in [{"pinned": 1}, {"pinned": "true"}, {}, {"pinned": None}]:
        response = reader.client.put(f"/api/comments/{comment_id}/pin", json=body)
        assert response.status_code == 400, body
        assert response.json["field"] == "pinned"


@pytest.mark.parametrize("comment_id", [424242, 2**40])
def test_pin_of_missing_comment_gets_404(reader, operator, comment_id) -> None:
    assert reader.sign_in(operator).pin(comment_id).status_code == 404


def test_pin_button_on_the_comment_page_pins_and_unpins(posted, reader, operator) -> None:
    comment_id = posted()
    client = reader.sign_in(operator).client
    page = client.get(f"/moderate/comments/{comment_id}").get_data(as_text=True)
    assert f'formaction="/moderate/comments/{comment_id}/pin"' in page
    assert ">Pin</button>" in page
    form = {"csrf_token": csrf_of(page), "pinned": "1", "back": "comment"}
    response = client.post(f"/moderate/comments/{comment_id}/pin", data=form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/moderate/comments/{comment_id}")
    assert is_pinned(comment_id)
    page = client.get(f"/moderate/comments/{comment_id}").get_data(as_text=True)
    assert ">Unpin</button>" in page
    client.post(f"/moderate/comments/{comment_id}/pin", data={**form, "pinned": "0"})
    assert not is_pinned(comment_id)
    entries = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.target_id) for e in entries] == [
        ("pin", comment_id),
        ("unpin", comment_id),
    ]


def test_pin_button_in_the_queue_returns_to_the_queue(posted, reader, operator) -> None:
    comment_id = posted()
    client = reader.sign_in(operator).client
    page = client.get("/moderate/?status=visible").get_data(as_text=True)
    assert f'formaction="/moderate/comments/{comment_id}/pin"' in page
    response = client.post(
        f"/moderate/comments/{comment_id}/pin",
        data={"csrf_token": csrf_of(page), "pinned": "1", "status": "visible"},
    )
    assert response.status_code == 302
    assert "/moderate/" in response.headers["Location"]
    assert is_pinned(comment_id)
    assert "mod-pinned" in client.get("/moderate/?status=visible").get_data(as_text=True)


def test_pin_form_without_csrf_token_is_refused(posted, reader, operator) -> None:
    comment_id = posted()
    client = reader.sign_in(operator).client
    response = client.post(f"/moderate/comments/{comment_id}/pin", data={"pinned": "1"})
    assert response.status_code == 400
    assert not is_pinned(comment_id)


def test_operator_of_another_site_gets_404_from_the_pin_form(
    posted, reader, other_operator
) -> None:
    comment_id = posted()
    client = reader.sign_in(other_operator).client
    page = client.get("/moderate/").get_data(as_text=True)
    response = client.post(
        f"/moderate/comments/{comment_id}/pin", data={"csrf_token": csrf_of(page), "pinned": "1"}
    )
    assert response.status_code == 404
    assert not is_pinned(comment_id)


def test_damaged_pin_form_gets_400(posted, reader, operator) -> None:
    comment_id = posted()
    client = reader.sign_in(operator).client
    page = client.get("/moderate/").get_data(as_text=True)
    response = client.post(
        f"/moderate/comments/{comment_id}/pin", data={"csrf_token": csrf_of(page), "pinned": "yes"}
    )
    assert response.status_code == 400


def test_pin_form_with_a_bad_queue_filter_changes_nothing(posted, reader, operator) -> None:
    comment_id = posted()
    client = reader.sign_in(operator).client
    page = client.get("/moderate/").get_data(as_text=True)
    response = client.post(
        f"/moderate/comments/{comment_id}/pin",
        data={"csrf_token": csrf_of(page), "pinned": "1", "page": "-5"},
    )
    assert response.status_code == 400
    assert not is_pinned(comment_id)
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry)) == 0


def test_pin_and_unpin_make_open_live_streams_read_the_thread_again(
    app, posted, reader, operator
) -> None:
    comment_id = posted()
    reader.sign_in(operator)
    thread = db.session.scalar(db.select(Thread))
    key = stream_key("blog", thread.identity)
    for pinned in (True, False):
        db.session.expire_all()
        revision = db.session.get(Thread, thread.id).revision
        assert reader.pin(comment_id, pinned).status_code == 200
        batch = live_bus(app).logged(key)[-1]
        assert (batch.start, batch.end) == (revision, revision + 1)
        assert [event.kind for event in batch.events] == ["reload"]
