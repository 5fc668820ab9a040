"""Operators edit a comment's text (earlier texts kept) and reply as the site."""

from __future__ import annotations

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import AuditEntry, Comment, CommentRevision, CommentStatus
from tests.moderate.conftest import add_comment, post_form

PAGE = "https://blog.example.org/post"


def _thread_comments(client) -> list[dict]:
    return client.get("/api/sites/blog/thread", query_string={"url": PAGE}).json["comments"]


def test_edit_keeps_the_old_text_and_renders_the_new_one(operator_client, site, operator) -> None:
    comment = add_comment(site, "Visit http://spam.example now", status=CommentStatus.VISIBLE)

    response = post_form(
        operator_client,
        f"/moderate/comments/{comment.id}/edit",
        {"body": "[link removed by the moderators] <img src=x onerror=alert(1)>"},
        follow_redirects=True,
    )

    assert response.status_code == 200
    db.session.expire_all()
    edited = db.session.get(Comment, comment.id)
    assert edited.body_html == (
        "<p>[link removed by the moderators] &lt;img src=x onerror=alert(1)&gt;</p>"
    )
    assert edited.edited_at is not None
    revision = db.session.scalar(sa.select(CommentRevision))
    assert (revision.body_markdown, revision.edited_by_id) == (
        "Visit http://spam.example now", operator.id,
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert "Earlier texts" in html and "Visit http://spam.example now" in html
    assert _thread_comments(operator_client)[0]["html"] == edited.body_html
    entry = db.session.scalar(sa.select(AuditEntry))
    assert entry.action == "edit"
    assert entry.before == {"body": "Visit http://spam.example now"}


def test_edit_refuses_an_empty_or_oversized_text(operator_client, site) -> None:
    comment = add_comment(site, "fine")
    for body in ["   ", "x" * 10_001]:
        response = post_form(
            operator_client, f"/moderate/comments/{comment.id}/edit", {"body": body}
        )
        assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).body_markdown == "fine"


def test_reply_as_the_site_appears_under_the_comment(operator_client, site, operator) -> None:
    comment = add_comment(site, "Is there a part two?", status=CommentStatus.VISIBLE)

    response = post_form(
        operator_client,
        f"/moderate/comments/{comment.id}/reply",
        {"body": "Yes, **next week**."},
    )

    assert response.status_code == 302
    [node] = _thread_comments(operator_client)
    [reply] = node["replies"]
    assert reply["html"] == "<p>Yes, <strong>next week</strong>.</p>"
    assert reply["author"]["name"] == "blog"
    assert reply["author"]["url"] == "https://blog.example.org"
    reply_row = db.session.get(Comment, reply["id"])
    assert reply_row.account_id == operator.id
    assert reply_row.parent_id == comment.id
    assert db.session.scalar(sa.select(AuditEntry.action)) == "reply"


def test_reply_to_the_deepest_comment_goes_beside_it(operator_client, site) -> None:
    parent = add_comment(site, "top", status=CommentStatus.VISIBLE)
    deepest = add_comment(site, "deep", status=CommentStatus.VISIBLE)
    deepest.parent_id, deepest.depth = parent.id, site.max_depth
    db.session.commit()
    post_form(operator_client, f"/moderate/comments/{deepest.id}/reply", {"body": "answer"})
    reply = db.session.scalar(sa.select(Comment).where(Comment.body_markdown == "answer"))
    assert (reply.parent_id, reply.depth) == (parent.id, site.max_depth)


def test_comment_page_shows_details_and_offers_every_action(operator_client, site) -> None:
    comment = add_comment(site, "held one")
    html = operator_client.get(f"/moderate/comments/{comment.id}").get_data(as_text=True)
    for part in ["held one", "Gus Guest", "gus@example.net", "Held: first-time commenter",
                 f'value="approve:c:{comment.id}"', "Reply as blog", "Ban this commenter",
                 'name="ip_hash" value="ab12']:  # fmt: skip
        assert part in html, part
