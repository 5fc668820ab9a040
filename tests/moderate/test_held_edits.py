"""An author's edit that the site's policy holds waits in the queue beside the approved text;
operators approve it (applied, history kept), reject it (approved text stays), or mark the
comment spam or deleted (hidden; restore brings back the approved text)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import AuditEntry, Comment, CommentRevision, CommentStatus, Thread
from tests.moderate.conftest import post_form

PAGE = "https://blog.example.org/post"
SPAM = " ".join(f"https://spam{i}.example/buy" for i in range(10))


def _held_edit(app, site) -> dict:
    """A visible guest comment whose author then edited it into ten links."""
    guest = app.test_client()
    posted = guest.post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "A harmless remark", "name": "Gus", "email": "gus@example.net"},
    ).json
    edited = guest.patch(
        f"/api/comments/{posted['id']}",
        json={"body": SPAM},
        headers={"X-Edit-Token": posted["edit_token"]},
    )
    assert edited.status_code == 202
    return posted


def _thread_html(client) -> list[str]:
    thread = client.get("/api/sites/blog/thread", query_string={"url": PAGE}).json
    return [comment["html"] for comment in thread["comments"]]


def test_held_edit_waits_in_the_queue_with_old_and_new_text(operator_client, app, site) -> None:
    _held_edit(app, site)

    html = operator_client.get("/moderate/").get_data(as_text=True)

    assert "Edit awaiting a decision" in html
    assert "A harmless remark" in html and "spam9.example" in html
    assert "more than 3 links" in html and "Approve edit" in html and "Reject edit" in html
    assert operator_client.get("/moderate/count.json").json == {"pending": 1}


def test_approving_a_held_edit_applies_it_and_keeps_the_history(operator_client, app, site):
    posted = _held_edit(app, site)

    post_form(operator_client, "/moderate/act", {"do": f"approve:c:{posted['id']}"})

    assert "spam9.example" in _thread_html(app.test_client())[0]
    stored = db.session.get(Comment, posted["id"])
    assert stored.pending_body_markdown is None and stored.edited_at is not None
    revision = db.session.scalars(sa.select(CommentRevision)).one()
    assert revision.body_markdown == "A harmless remark"
    assert operator_client.get("/moderate/count.json").json == {"pending": 0}


def test_rejecting_a_held_edit_keeps_the_approved_text(operator_client, app, site) -> None:
    posted = _held_edit(app, site)

    post_form(operator_client, "/moderate/act", {"do": f"reject:c:{posted['id']}"})

    assert _thread_html(app.test_client()) == ["<p>A harmless remark</p>"]
    stored = db.session.get(Comment, posted["id"])
    assert stored.status == CommentStatus.VISIBLE and stored.pending_body_markdown is None
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "reject-edit")
    ).one()
    assert entry.before["held_edit"] == SPAM
    assert operator_client.get("/moderate/count.json").json == {"pending": 0}


def test_spam_on_a_held_edit_hides_the_comment_and_restore_brings_back_the_approved_text(
    operator_client, app, site
) -> None:
    posted = _held_edit(app, site)

    post_form(operator_client, "/moderate/act", {"do": f"spam:c:{posted['id']}"})
    assert _thread_html(app.test_client()) == []

    post_form(operator_client, "/moderate/act", {"do": f"restore:c:{posted['id']}"})
    assert _thread_html(app.test_client()) == ["<p>A harmless remark</p>"]
    assert db.session.get(Comment, posted["id"]).pending_body_markdown is None


def test_deleting_a_held_edit_hides_the_comment(operator_client, app, site) -> None:
    posted = _held_edit(app, site)

    post_form(operator_client, "/moderate/act", {"do": f"delete:c:{posted['id']}"})

    assert _thread_html(app.test_client()) == []
    stored = db.session.get(Comment, posted["id"])
    assert stored.status == CommentStatus.DELETED and stored.pending_body_markdown is None


def test_operator_names_a_page_without_control_characters(operator_client, app, site) -> None:
    posted = _held_edit(app, site)

    post_form(
        operator_client,
        f"/moderate/comments/{posted['id']}/title",
        {"title": "Release notes\r\nBcc: victim@example.org"},
    )

    thread = db.session.scalars(sa.select(Thread)).one()
    assert thread.title == "Release notes Bcc: victim@example.org"
    assert thread.title_checked_at is not None  # the title job leaves it alone
    assert "Release notes" in operator_client.get("/moderate/").get_data(as_text=True)


def test_operators_see_only_deleted_for_a_comment_its_author_deleted(
    operator_client, app, site
) -> None:
    guest = app.test_client()
    posted = guest.post(
        "/api/sites/blog/comments",
        json={"url": PAGE, "body": "Regrettable", "name": "Gus", "email": "gus@example.net"},
    ).json
    guest.delete(f"/api/comments/{posted['id']}", headers={"X-Edit-Token": posted["edit_token"]})

    page = operator_client.get(f"/moderate/comments/{posted['id']}").get_data(as_text=True)
    queue = operator_client.get("/moderate/?status=deleted").get_data(as_text=True)

    for html in (page, queue):
        assert "deleted" in html
        assert "Regrettable" not in html and "gus@example.net" not in html and "Gus" not in html


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_the_audit_log_keeps_no_text_of_a_comment_its_author_deleted(
    operator_client, app, site, decision
) -> None:
    posted = _held_edit(app, site)
    post_form(operator_client, "/moderate/act", {"do": f"{decision}:c:{posted['id']}"})
    audit = operator_client.get("/moderate/audit").get_data(as_text=True)
    assert "spam9.example" in audit  # the decision is shown with the text it was about

    guest = app.test_client()
    deleted = guest.delete(
        f"/api/comments/{posted['id']}", headers={"X-Edit-Token": posted["edit_token"]}
    )
    assert deleted.status_code == 204

    audit = operator_client.get("/moderate/audit").get_data(as_text=True)
    assert "spam9.example" not in audit and "A harmless remark" not in audit
    entries = db.session.scalars(sa.select(AuditEntry)).all()
    assert [entry.action for entry in entries] == [f"{decision}-edit"]
    for entry in entries:
        assert not {"body", "held_edit"} & {*(entry.before or {}), *(entry.after or {})}


def _shown_at(page_html: str) -> str:
    return re.search(r'name="shown_at" value="([^"]+)"', page_html).group(1)


def test_a_decision_leaves_alone_text_changed_after_the_queue_was_shown(
    operator_client, app, site
) -> None:
    """The author swaps the held text after the operator loaded the queue: Approve (one item,
    the selection, or everything matching) must not publish text the operator never saw."""
    posted = _held_edit(app, site)
    shown_at = _shown_at(operator_client.get("/moderate/").get_data(as_text=True))
    worse = SPAM + " https://worse.example/casino"
    app.test_client().patch(
        f"/api/comments/{posted['id']}",
        json={"body": worse},
        headers={"X-Edit-Token": posted["edit_token"]},
    )

    for form in (
        {"do": f"approve:c:{posted['id']}"},
        {"action": "approve", "selected": f"c:{posted['id']}"},
        {"action": "approve", "scope": "all"},
    ):
        answer = post_form(
            operator_client, "/moderate/act", {**form, "shown_at": shown_at}, follow_redirects=True
        )
        assert "changed after this page was shown: 1" in answer.get_data(as_text=True)

    assert _thread_html(app.test_client()) == ["<p>A harmless remark</p>"]
    assert db.session.get(Comment, posted["id"]).pending_body_markdown == worse
    fresh = _shown_at(operator_client.get("/moderate/").get_data(as_text=True))
    post_form(
        operator_client, "/moderate/act", {"do": f"approve:c:{posted['id']}", "shown_at": fresh}
    )
    assert "worse.example" in _thread_html(app.test_client())[0]
