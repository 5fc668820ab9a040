"""Moderation pages and reply mail link to the item itself: ``#comment-<id>``, ``#mention-<id>``
on its page (the permalink contract), also after the item moved."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

from commentsvc.extensions import db
from commentsvc.models import Comment
from commentsvc.services.notify_addresses import confirm
from workers.notify import notify_reply

OLD = "https://blog.example.org/posts/old-slug"
NEW = "https://blog.example.org/posts/new-slug"


def test_queue_and_item_pages_link_to_the_item_on_its_page(
    operator_client, add_comment, add_mention
) -> None:
    comment = add_comment(OLD, status="pending")
    mention = add_mention(OLD)

    queue = operator_client.get("/moderate/").get_data(as_text=True)
    assert f'href="{OLD}#comment-{comment.id}"' in queue
    assert f'href="{OLD}#mention-{mention.id}"' in queue
    own_page = operator_client.get(f"/moderate/comments/{comment.id}").get_data(as_text=True)
    assert f'href="{OLD}#comment-{comment.id}"' in own_page
    move_page = operator_client.get(f"/moderate/mentions/{mention.id}/move").get_data(as_text=True)
    assert f'href="{OLD}#mention-{mention.id}"' in move_page


def test_reply_mail_links_to_the_reply_on_the_page_it_moved_to(
    app, operator_client, post_form, add_comment, thread_of
) -> None:
    thread_of(NEW)
    parent = add_comment(OLD, "Question?")
    parent.is_notify = True
    confirm(parent.author_email)
    reply = add_comment(OLD, "An answer", parent=parent)
    reply.author_email = "bob@example.net"
    db.session.commit()
    assert post_form(operator_client, f"/moderate/comments/{parent.id}/move", {"to": NEW})
    reply_id = reply.id

    notify_reply(reply_id)

    (path,) = (Path(app.instance_path) / "outbox").iterdir()
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_content()
    assert f"Read it here: {NEW}#comment-{reply_id}\r\n" in body
    assert db.session.get(Comment, reply_id).reply_notified_at is not None
