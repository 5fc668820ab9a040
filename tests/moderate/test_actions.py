"""Decisions from the queue, one by one and in bulk: audited, and visible in the thread API."""

from __future__ import annotations

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import AuditEntry, Comment, CommentStatus, Mention, MentionKind, Thread
from tests.moderate.conftest import add_comment, add_mention, post_form

PAGE = "https://blog.example.org/post"


def _thread(client) -> dict:
    response = client.get("/api/sites/blog/thread", query_string={"url": PAGE})
    assert response.status_code == 200
    return response.json


def _comment_ids(client) -> list[int]:
    return [node["id"] for node in _thread(client)["comments"]]


def _status(model, item_id: int) -> CommentStatus:
    db.session.expire_all()
    return db.session.get(model, item_id).status


def test_approving_a_held_comment_shows_it_in_the_thread(operator_client, site, operator) -> None:
    comment = add_comment(site, "Worth *reading*")
    assert _comment_ids(operator_client) == []
    etag = operator_client.get("/api/sites/blog/thread", query_string={"url": PAGE}).headers["ETag"]

    response = post_form(operator_client, "/moderate/act", {"do": f"approve:c:{comment.id}"})

    assert response.status_code == 302
    assert _status(Comment, comment.id) == CommentStatus.VISIBLE
    thread = _thread(operator_client)
    assert [node["html"] for node in thread["comments"]] == ["<p>Worth <em>reading</em></p>"]
    assert thread["thread"]["count"] == 1
    fresh = operator_client.get(
        "/api/sites/blog/thread", query_string={"url": PAGE}, headers={"If-None-Match": etag}
    )
    assert fresh.status_code == 200  # the old ETag no longer matches
    entry = db.session.scalar(sa.select(AuditEntry))
    assert (entry.actor_id, entry.action, entry.target_kind, entry.target_id) == (
        operator.id, "approve", "comment", comment.id,
    )  # fmt: skip
    assert (entry.before, entry.after) == ({"status": "pending"}, {"status": "visible"})


def test_spam_and_delete_take_a_visible_comment_out_of_the_thread(operator_client, site) -> None:
    first = add_comment(site, "one", status=CommentStatus.VISIBLE)
    second = add_comment(site, "two", status=CommentStatus.VISIBLE)
    db.session.get(Thread, first.thread_id).visible_count = 2
    db.session.commit()
    assert _comment_ids(operator_client) == [first.id, second.id]

    post_form(operator_client, "/moderate/act", {"do": f"spam:c:{first.id}"})
    assert _comment_ids(operator_client) == [second.id]
    post_form(operator_client, "/moderate/act", {"do": f"delete:c:{second.id}"})
    assert _comment_ids(operator_client) == []
    assert _thread(operator_client)["thread"]["count"] == 0


def test_restore_puts_an_item_back_where_it_was(operator_client, site) -> None:
    visible = add_comment(site, "was visible", status=CommentStatus.VISIBLE)
    held = add_comment(site, "was held")
    both = [f"c:{visible.id}", f"c:{held.id}"]
    post_form(operator_client, "/moderate/act", {"action": "delete", "selected": both})
    assert _status(Comment, visible.id) == CommentStatus.DELETED

    response = post_form(
        operator_client,
        "/moderate/act",
        {"action": "restore", "status": "deleted", "selected": both},
    )

    assert response.headers["Location"] == "/moderate/?status=deleted"
    assert _status(Comment, visible.id) == CommentStatus.VISIBLE
    assert _status(Comment, held.id) == CommentStatus.PENDING
    assert _comment_ids(operator_client) == [visible.id]


def test_spam_on_arrival_is_restored_to_the_queue(operator_client, site) -> None:
    spam = add_comment(site, "honeypot victim", status=CommentStatus.SPAM)
    post_form(operator_client, "/moderate/act", {"do": f"restore:c:{spam.id}"})
    assert _status(Comment, spam.id) == CommentStatus.PENDING


def test_approving_a_pingback_lists_it_among_the_thread_mentions(operator_client, site) -> None:
    mention = add_mention(site, kind=MentionKind.PINGBACK)
    assert _thread(operator_client)["mentions"] == []

    post_form(operator_client, "/moderate/act", {"do": f"approve:m:{mention.id}"})

    mentions = _thread(operator_client)["mentions"]
    assert [(m["id"], m["kind"], m["source"]) for m in mentions] == [
        (mention.id, "pingback", "https://elsewhere.example/reply")
    ]
    post_form(operator_client, "/moderate/act", {"do": f"spam:m:{mention.id}"})
    assert _thread(operator_client)["mentions"] == []
    assert _status(Mention, mention.id) == CommentStatus.SPAM


def test_bulk_selected_items_are_decided_together(operator_client, site) -> None:
    items = [add_comment(site, f"spam {n}") for n in range(3)]
    keep = add_comment(site, "a real comment")
    mention = add_mention(site)

    response = post_form(
        operator_client,
        "/moderate/act",
        {"action": "spam", "selected": [f"c:{c.id}" for c in items] + [f"m:{mention.id}"]},
        follow_redirects=True,
    )

    assert "4 items marked as spam." in response.get_data(as_text=True)
    assert {_status(Comment, c.id) for c in items} == {CommentStatus.SPAM}
    assert _status(Mention, mention.id) == CommentStatus.SPAM
    assert _status(Comment, keep.id) == CommentStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 4


def test_bulk_all_matching_covers_every_page_of_the_filter(operator_client, site) -> None:
    for n in range(55):  # more than one page of the queue
        add_comment(site, f"cheap pills {n}")
    other = add_comment(site, "a thoughtful comment")
    mention = add_mention(site)

    response = post_form(
        operator_client,
        "/moderate/act",
        {"action": "delete", "scope": "all", "q": "cheap pills"},
    )

    assert response.headers["Location"] == "/moderate/?q=cheap+pills"
    db.session.expire_all()
    deleted = db.session.scalar(
        sa.select(sa.func.count()).where(Comment.status == CommentStatus.DELETED)
    )
    assert deleted == 55
    assert _status(Comment, other.id) == CommentStatus.PENDING
    assert _status(Mention, mention.id) == CommentStatus.PENDING
    assert operator_client.get("/moderate/count.json").json == {"pending": 2}


def test_deciding_again_changes_nothing_and_is_not_audited(operator_client, site) -> None:
    comment = add_comment(site, "once")
    post_form(operator_client, "/moderate/act", {"do": f"approve:c:{comment.id}"})
    response = post_form(
        operator_client, "/moderate/act", {"do": f"approve:c:{comment.id}"}, follow_redirects=True
    )
    assert "0 items approved." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 1


def test_bulk_without_a_selection_says_what_to_do(operator_client, site) -> None:
    response = post_form(operator_client, "/moderate/act", {"action": "approve"})
    assert response.status_code == 400
    assert "Select at least one item" in response.get_data(as_text=True)


def test_a_comment_its_author_deleted_cannot_be_brought_back(operator_client, site) -> None:
    gone = add_comment(site, "", status=CommentStatus.DELETED, name=None, email=None)
    for decision in ["restore", "approve"]:
        post_form(operator_client, "/moderate/act", {"do": f"{decision}:c:{gone.id}"})
        assert _status(Comment, gone.id) == CommentStatus.DELETED


def test_approving_a_held_reply_tells_the_parent_author(operator_client, site, app) -> None:
    from pathlib import Path

    from commentsvc.services.notify_addresses import confirm

    parent = add_comment(site, "Asked", status=CommentStatus.VISIBLE, email="ann@example.org")
    parent.is_notify = True
    confirm("ann@example.org")  # the guest confirmed by the mailed link
    held = add_comment(site, "An answer", name="Bob", email="bob@example.org")
    held.parent_id, held.depth = parent.id, 1
    db.session.commit()
    app.config["SMTP_URL"] = None  # mail lands in the instance outbox

    post_form(operator_client, "/moderate/act", {"do": f"approve:c:{held.id}"})

    (message,) = (Path(app.instance_path) / "outbox").iterdir()
    assert "To: ann@example.org" in message.read_text()
