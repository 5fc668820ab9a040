"""Authors edit and delete their own comments within the site's edit window, and only then."""

from __future__ import annotations

from datetime import timedelta

from commentsvc.extensions import db
from commentsvc.models import Comment, CommentRevision
from tests.api.conftest import read_thread


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
