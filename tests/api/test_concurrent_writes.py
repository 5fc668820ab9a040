"""Writers that meet on one row at the same time (PostgreSQL's READ COMMITTED: a statement
that waited for a lock still sees its own snapshot): counts stay exact, and nothing a delete
took away comes back."""

from __future__ import annotations

import threading
import time

import pytest
import sqlalchemy as sa

from commentsvc.errors import NotFound
from commentsvc.extensions import db
from commentsvc.models import (
    Account,
    Comment,
    CommentRevision,
    CommentStatus,
    ModerationMode,
    Thread,
)
from commentsvc.services.accounts import (
    MAX_FAILED_LOGINS,
    SignInRefused,
    authenticate,
    create_account,
)
from commentsvc.services.comments import delete_comment, edit_comment
from commentsvc.services.drafts import Sender
from commentsvc.services.moderation import Decision, decide
from commentsvc.services.sites import create_site
from commentsvc.services.threads import get_or_create_thread, touch_thread
from commentsvc.services.votes import Voter, cast_vote, withdraw_account_votes

PAGE = "https://blog.example.org/posts/busy"


def add_visible(thread_id: int, body: str) -> Thread:
    thread = db.session.get(Thread, thread_id)
    db.session.add(
        Comment(
            thread_id=thread_id,
            author_name="Ann",
            body_markdown=body,
            body_html=f"<p>{body}</p>",
            status=CommentStatus.VISIBLE,
            ip_hash="0" * 64,
        )
    )
    return thread


def waiting_for_a_lock(app) -> bool:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return True  # SQLite: this test's transaction committed before the writer started
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        return db.session.scalar(sa.text(query)) > 0


def test_a_recount_that_waited_for_another_writer_counts_its_comment(app) -> None:
    site = create_site("blog", ["https://blog.example.org"])
    thread_id = get_or_create_thread(site, PAGE).id
    db.session.commit()
    first = add_visible(thread_id, "first")
    touch_thread(first)  # holds the thread's row until it commits
    raised = while_this_transaction_holds_its_locks(
        app, lambda: touch_thread(add_visible(thread_id, "second"))
    )
    assert raised == []
    db.session.expire_all()
    visible = db.session.scalar(sa.select(sa.func.count()).select_from(Comment))
    assert visible == 2
    assert db.session.get(Thread, thread_id).visible_count == 2


def while_this_transaction_holds_its_locks(app, other_writer) -> list[BaseException]:
    """Run ``other_writer`` in a thread of its own until it waits for a lock this test's
    transaction holds; commit; return what it raised, once it is done."""
    raised: list[BaseException] = []

    def run() -> None:
        with app.app_context():
            try:
                other_writer()
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                raised.append(error)

    if db.engine.dialect.name != "postgresql":
        # SQLite has one writer at a time and no row locks: the other writer runs after this
        # commit (started sooner, its reads could see the state before it, racily).
        db.session.commit()
    writer = threading.Thread(target=run)
    writer.start()
    deadline = time.monotonic() + 10
    while not waiting_for_a_lock(app) and time.monotonic() < deadline:
        time.sleep(0.02)
    db.session.commit()
    writer.join(10)
    assert not writer.is_alive()
    return raised


def posted_by_a_guest(client, site) -> tuple[int, str]:
    payload = {"url": PAGE, "body": "secret original", "name": "Ann"}
    answer = client.post(f"/api/sites/{site.name}/comments", json=payload).get_json()
    return answer["id"], answer["edit_token"]


def test_an_edit_racing_its_authors_delete_brings_no_text_back(app, client) -> None:
    site = create_site("blog", ["https://blog.example.org"])
    db.session.commit()
    comment_id, token = posted_by_a_guest(client, site)
    delete_comment(comment_id, None, token)  # not committed: holds the comment's row
    sender = Sender(ip_hash="0" * 64, client_address="127.0.0.1", user_agent="", referrer="")
    raised = while_this_transaction_holds_its_locks(
        app, lambda: edit_comment(comment_id, "edited back", None, token, sender)
    )
    assert [type(error) for error in raised] == [NotFound]
    db.session.expire_all()
    comment = db.session.get(Comment, comment_id)
    assert (comment.status, comment.body_markdown, comment.edited_at) == (
        CommentStatus.DELETED,
        "",
        None,
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CommentRevision)) == 0


def test_an_approval_racing_its_authors_delete_shows_no_blank_comment(app, client) -> None:
    site = create_site("blog", ["https://blog.example.org"], ModerationMode.ALL)
    operator = create_account("op@example.org", "Op", None, operator_of=["blog"])
    db.session.commit()
    comment_id, token = posted_by_a_guest(client, site)
    held = db.session.get(Comment, comment_id)
    assert held.status == CommentStatus.PENDING
    delete_comment(comment_id, None, token)  # not committed: holds the comment's row

    def approve() -> None:
        actor = db.session.get(Account, operator.id)
        decide(actor, [db.session.get(Comment, comment_id)], Decision.APPROVE)

    raised = while_this_transaction_holds_its_locks(app, approve)
    assert raised == []
    db.session.expire_all()
    assert db.session.get(Comment, comment_id).status == CommentStatus.DELETED


def test_deleting_an_account_while_it_takes_a_vote_back_counts_the_vote_off_once(
    app, client
) -> None:
    site = create_site("blog", ["https://blog.example.org"])
    site.is_voting_enabled = True
    db.session.commit()
    comment_id, _token = posted_by_a_guest(client, site)
    reader = create_account("reader@example.org", "Reader", None)
    voter = Voter(reader, None, "1" * 64, "2" * 64)
    assert cast_vote(comment_id, voter, 1).score == 1
    db.session.commit()
    assert cast_vote(comment_id, voter, 0).score == 0  # not committed: holds the vote's row
    raised = while_this_transaction_holds_its_locks(
        app, lambda: withdraw_account_votes(db.session.get(Account, reader.id))
    )
    assert raised == []
    db.session.expire_all()
    assert db.session.get(Comment, comment_id).score == 0


def test_a_guess_sent_with_the_lock_taking_one_waits_for_it_and_is_refused(app) -> None:
    """A burst of guesses from one address: each is checked after the last one's count, so the
    one that locks the address out also stops those sent with it, right password or not."""
    password = "the right password"
    account = create_account("ann@example.org", "Ann", password, is_email_verified=True)
    db.session.commit()
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(SignInRefused):
            authenticate("ann@example.org", "wrong guess", "address-key")
        db.session.commit()
    with pytest.raises(SignInRefused):  # the locking one; not committed: holds the record
        authenticate("ann@example.org", "wrong guess", "address-key")
    raised = while_this_transaction_holds_its_locks(
        app, lambda: authenticate("ann@example.org", password, "address-key")
    )
    assert [type(error) for error in raised] == [SignInRefused]
    assert authenticate("ann@example.org", password, "another-address") == account
