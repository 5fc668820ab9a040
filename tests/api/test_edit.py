"""Authors edit and delete their own comments within the site's edit window, and only then."""

from __future__ import annotations

from datetime import timedelta

from commentsvc.extensions import db
from commentsvc.models import Comment, CommentRevision, CommentStatus, ModerationMode
from commentsvc.services.accounts import create_account
from commentsvc.services.bans import create_ban
from commentsvc.services.sites import update_site
from commentsvc.services.threads import touch_thread
from tests.api.conftest import PAGE, read_thread


def test_guest_edits_with_the_token_and_history_is_kept(client, post, app) -> None:
    posted = post("before").json
    response = client.patch(
        f"/api/comments/{posted['id']}",
        json={"body": "after *edit*"},
        headers={"X-Edit-Token": posted["edit_token"]},
    )
    assert response.status_code == 200
    assert response.json["html"] == "<p>after <em>edit</em></p>" and response.json["edited"]
    assert read_thread(client).json["comments"][0]["html"] == "<p>after <em>edit</em></p>"
    history = db.session.query(CommentRevision).filter_by(comment_id=posted["id"]).one()
    assert history.body_markdown == "before"


def test_edit_without_or_with_a_wrong_token_is_forbidden(client, post) -> None:
    posted = post("mine").json
    url = f"/api/comments/{posted['id']}"
    assert client.patch(url, json={"body": "x"}).status_code == 403
    wrong = client.patch(url, json={"body": "x"}, headers={"X-Edit-Token": "guess"})
    assert wrong.status_code == 403
    assert client.delete(url, headers={"X-Edit-Token": "guess"}).status_code == 403


def test_edit_after_the_window_is_refused(client, post, app) -> None:
    posted = post("old").json
    comment = db.session.get(Comment, posted["id"])
    comment.created_at = comment.created_at - timedelta(hours=1)
    db.session.commit()
    response = client.patch(
        f"/api/comments/{posted['id']}",
        json={"body": "late"},
        headers={"X-Edit-Token": posted["edit_token"]},
    )
    assert response.status_code == 403 and response.json["code"] == "edit-window-closed"


def test_edit_of_missing_comment_is_404(client, site) -> None:
    assert client.patch("/api/comments/404", json={"body": "x"}).status_code == 404
    assert client.delete("/api/comments/404").status_code == 404


def test_edit_to_empty_body_is_refused(client, post) -> None:
    posted = post("x").json
    response = client.patch(
        f"/api/comments/{posted['id']}",
        json={"body": "  "},
        headers={"X-Edit-Token": posted["edit_token"]},
    )
    assert response.status_code == 400


def test_deleted_comment_cannot_be_edited_again(client, post) -> None:
    posted = post("x").json
    headers = {"X-Edit-Token": posted["edit_token"]}
    assert client.delete(f"/api/comments/{posted['id']}", headers=headers).status_code == 204
    again = client.patch(f"/api/comments/{posted['id']}", json={"body": "y"}, headers=headers)
    assert again.status_code == 404


def test_saving_unchanged_text_adds_no_history(client, post, app) -> None:
    posted = post("same").json
    headers = {"X-Edit-Token": posted["edit_token"]}
    for _ in range(3):
        response = client.patch(
            f"/api/comments/{posted['id']}", json={"body": "same"}, headers=headers
        )
        assert response.status_code == 200 and response.json["edited"] is None
    assert db.session.query(CommentRevision).count() == 0


# ---------------------------------------------------------------- edits judged like new comments

TEN_LINKS = " ".join(f"https://spam{i}.example/buy" for i in range(10))


def _approved_guest_comment(client, post, site, body: str = "A harmless remark") -> dict:
    """A guest's first comment on a "first-time" site, held and then approved by an operator."""
    update_site(site, moderation=ModerationMode.FIRST_TIME)
    db.session.commit()
    posted = post(body, email="gus@example.net")
    assert posted.status_code == 202
    comment = db.session.get(Comment, posted.json["id"])
    comment.status = CommentStatus.VISIBLE
    touch_thread(comment.thread)
    db.session.commit()
    return posted.json


def _patch(client, posted: dict, body: str):
    return client.patch(
        f"/api/comments/{posted['id']}",
        json={"body": body},
        headers={"X-Edit-Token": posted["edit_token"]},
    )


def test_edit_with_ten_links_is_held_and_readers_keep_approved_text(client, post, site) -> None:
    posted = _approved_guest_comment(client, post, site)

    edited = _patch(client, posted, TEN_LINKS)

    assert edited.status_code == 202
    assert edited.json["status"] == "pending" and edited.json["edit_held"] is True
    assert "spam9.example" in edited.json["html"]  # the author sees their own pending text
    thread = read_thread(client).json
    assert thread["comments"][0]["html"] == "<p>A harmless remark</p>"
    assert thread["comments"][0]["edited"] is None and thread["thread"]["count"] == 1
    feed = client.get("/feeds/blog/thread.atom", query_string={"url": PAGE}).get_data(True)
    assert "harmless" in feed and "spam9" not in feed
    stored = db.session.get(Comment, posted["id"])
    assert stored.status == CommentStatus.VISIBLE and stored.held_reason == "more than 3 links"
    # the same text posted fresh by the same guest is held too
    assert post(TEN_LINKS, email="gus@example.net").status_code == 202


def test_edit_with_a_blocklisted_word_is_held(client, post, site) -> None:
    posted = _approved_guest_comment(client, post, site)
    update_site(site, blocklist=["casino"])
    db.session.commit()

    assert _patch(client, posted, "Visit my casino").status_code == 202
    assert read_thread(client).json["comments"][0]["html"] == "<p>A harmless remark</p>"


def test_edit_on_a_site_that_moderates_everything_is_held(client, post, site) -> None:
    posted = post("first").json
    update_site(site, moderation=ModerationMode.ALL)
    db.session.commit()

    assert _patch(client, posted, "second thoughts").status_code == 202
    assert read_thread(client).json["comments"][0]["html"] == "<p>first</p>"


def test_banned_author_cannot_edit(client, post, site) -> None:
    posted = post("before", email="gus@example.net").json
    operator = create_account(
        "ops@blog.example.org", "Ops", "correct horse battery", operator_of=["blog"]
    )
    db.session.commit()
    create_ban(operator, site, email="gus@example.net", reason="spam")
    db.session.commit()

    refused = _patch(client, posted, "after")

    assert refused.status_code == 403
    assert refused.headers["Content-Type"] == "application/problem+json"
    assert read_thread(client).json["comments"][0]["html"] == "<p>before</p>"


def test_edit_of_a_pending_comment_replaces_the_pending_text(client, post, site) -> None:
    update_site(site, moderation=ModerationMode.ALL)
    db.session.commit()
    posted = post("draft one").json

    edited = _patch(client, posted, "draft two")

    assert edited.status_code == 202 and edited.json["html"] == "<p>draft two</p>"
    stored = db.session.get(Comment, posted["id"])
    assert stored.status == CommentStatus.PENDING and stored.body_markdown == "draft two"
    assert stored.pending_body_markdown is None
    assert read_thread(client).json["comments"] == []


def test_acceptable_edit_replaces_a_held_one_and_shows_at_once(client, post, site) -> None:
    posted = _approved_guest_comment(client, post, site)
    assert _patch(client, posted, TEN_LINKS).status_code == 202

    fixed = _patch(client, posted, "A harmless remark, corrected")

    assert fixed.status_code == 200 and fixed.json["edit_held"] is False
    assert read_thread(client).json["comments"][0]["html"] == "<p>A harmless remark, corrected</p>"
    stored = db.session.get(Comment, posted["id"])
    assert stored.pending_body_markdown is None and stored.held_reason is None


# ---------------------------------------------------------------- deletion


def test_deleting_keeps_only_what_the_thread_structure_needs(client, post, app) -> None:
    posted = post("first", email="gus@example.net", website="gus.example").json
    headers = {"X-Edit-Token": posted["edit_token"]}
    client.patch(f"/api/comments/{posted['id']}", json={"body": "second"}, headers=headers)
    reply = post("a reply", parent=posted["id"]).json

    assert client.delete(f"/api/comments/{posted['id']}", headers=headers).status_code == 204

    stored = db.session.get(Comment, posted["id"])
    assert stored.status == CommentStatus.DELETED and stored.thread_id and stored.created_at
    kept = {
        "body_markdown": stored.body_markdown,
        "body_html": stored.body_html,
        "author": (stored.author_name, stored.author_email, stored.author_website),
        "avatar": (stored.author_avatar, stored.author_provider),
        "ip_hash": stored.ip_hash,
        "edit_token_hash": stored.edit_token_hash,
        "account_id": stored.account_id,
    }
    assert kept == {
        "body_markdown": "",
        "body_html": "",
        "author": (None, None, None),
        "avatar": (None, None),
        "ip_hash": "",
        "edit_token_hash": None,
        "account_id": None,
    }
    assert db.session.query(CommentRevision).filter_by(comment_id=posted["id"]).count() == 0
    placeholder = read_thread(client).json["comments"][0]
    assert placeholder["status"] == "deleted" and placeholder["replies"][0]["id"] == reply["id"]
