"""Operators move a comment (with its replies) or a mention to the page it is about."""

from __future__ import annotations

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import AuditEntry, Comment, Mention, Thread

OLD = "https://blog.example.org/posts/old-slug"
NEW = "https://blog.example.org/posts/new-slug"


def _thread(url: str) -> Thread:
    db.session.expire_all()
    return db.session.scalar(sa.select(Thread).where(Thread.url == url))


def test_operator_moves_a_comment_with_its_replies_to_another_page(
    operator_client, post_form, add_comment, thread_of, client
) -> None:
    thread_of(NEW, "The new post")
    moved = add_comment(OLD, "About the post")
    reply = add_comment(OLD, "A reply", parent=moved)
    deeper = add_comment(OLD, "A deeper reply", parent=reply)
    stays = add_comment(OLD, "Stays here")

    page = operator_client.get(f"/moderate/comments/{moved.id}").get_data(as_text=True)
    assert "Move to another page" in page and f'<option value="{NEW}">' in page
    answer = post_form(operator_client, f"/moderate/comments/{moved.id}/move", {"to": NEW})

    assert answer.status_code == 302
    shown = operator_client.get(answer.location).get_data(as_text=True)
    assert f"Comment {moved.id} and its 2 replies moved to {NEW}." in shown
    new, old = _thread(NEW), _thread(OLD)
    assert {
        c.id for c in db.session.scalars(sa.select(Comment).where(Comment.thread_id == new.id))
    } == {
        moved.id,
        reply.id,
        deeper.id,
    }
    assert db.session.get(Comment, stays.id).thread_id == old.id
    assert (new.visible_count, old.visible_count) == (3, 1)
    thread = client.get("/api/sites/blog/thread", query_string={"url": NEW}).get_json()
    (top,) = thread["comments"]
    assert top["id"] == moved.id and top["replies"][0]["replies"][0]["id"] == deeper.id
    log = operator_client.get("/moderate/audit").get_data(as_text=True)
    assert "comment.move" in log and "Olga Ops" in log


def test_a_reply_moved_alone_becomes_a_top_level_comment(
    operator_client, post_form, add_comment, thread_of
) -> None:
    thread_of(NEW)
    parent = add_comment(OLD, "Question")
    reply = add_comment(OLD, "Answer that belongs elsewhere", parent=parent)

    answer = post_form(operator_client, f"/moderate/comments/{reply.id}/move", {"to": NEW})

    assert answer.status_code == 302
    db.session.expire_all()
    moved = db.session.get(Comment, reply.id)
    assert (moved.thread_id, moved.parent_id, moved.depth) == (_thread(NEW).id, None, 0)
    assert f"Comment {reply.id} moved to {NEW}." in operator_client.get(answer.location).get_data(
        as_text=True
    )


def test_operator_moves_a_mention_from_the_queue(
    operator_client, post_form, add_mention, thread_of
) -> None:
    thread_of(NEW, "The new post")
    mention = add_mention(OLD)

    queue = operator_client.get("/moderate/").get_data(as_text=True)
    form_path = f"/moderate/mentions/{mention.id}/move"
    assert f'href="{form_path}"' in queue
    form = operator_client.get(form_path).get_data(as_text=True)
    assert f'<option value="{NEW}">' in form and f'<option value="{OLD}">' not in form
    answer = post_form(operator_client, form_path, {"to": NEW})

    assert answer.status_code == 302
    shown = operator_client.get(answer.location).get_data(as_text=True)
    assert f"The pingback from A reply elsewhere moved to {NEW}." in shown
    assert f"#mention-{mention.id}" in shown  # the queue now shows it on its new page
    db.session.expire_all()
    moved = db.session.get(Mention, mention.id)
    assert moved.thread_id == _thread(NEW).id
    assert moved.target == OLD  # what the sender claimed stays on record
    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc())) == (
        "mention.move"
    )


BAD_DESTINATIONS = [
    ("", "Give the address of the page to move to."),
    ("https://blog.example.org/posts/never-commented", "has no thread on blog yet"),
    ("https://shop.example.org/posts/new-slug", "is not on an origin of site"),
    (OLD, "already"),
    ("not a url at all", "URL"),
    (NEW + "/" + "x" * 2100, "at most 2048 characters"),
]


def test_moving_a_comment_to_a_bad_destination_is_a_clear_400(
    operator_client, post_form, add_comment, thread_of
) -> None:
    thread_of(NEW)
    comment = add_comment(OLD)

    for to, message in BAD_DESTINATIONS:
        answer = post_form(operator_client, f"/moderate/comments/{comment.id}/move", {"to": to})

        assert answer.status_code == 400 and answer.mimetype == "text/html", to
        assert message in answer.get_data(as_text=True), to
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).thread_id == _thread(OLD).id


def test_moving_a_mention_to_a_bad_destination_is_a_clear_400(
    operator_client, post_form, add_mention, thread_of
) -> None:
    thread_of(NEW)
    mention = add_mention(OLD)

    for to, message in BAD_DESTINATIONS:
        answer = post_form(operator_client, f"/moderate/mentions/{mention.id}/move", {"to": to})

        assert answer.status_code == 400 and answer.mimetype == "text/html", to
        assert message in answer.get_data(as_text=True), to
    db.session.expire_all()
    assert db.session.get(Mention, mention.id).thread_id == _thread(OLD).id


def test_a_move_without_the_csrf_token_is_refused(operator_client, add_comment, thread_of) -> None:
    thread_of(NEW)
    comment = add_comment(OLD)

    answer = operator_client.post(f"/moderate/comments/{comment.id}/move", data={"to": NEW})

    assert answer.status_code == 400
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).thread_id == _thread(OLD).id
