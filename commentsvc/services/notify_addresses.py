"""Whether an address may get reply notifications: a guest's address only once it has
confirmed, by a mailed link, that it wants them; a signed-in reader's verified account address
at once. Anyone can type any address into the form, so without this the service would mail
strangers on a commenter's say-so."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from limits import parse_many

from commentsvc.extensions import db, limiter
from commentsvc.models import Comment, CommentStatus
from commentsvc.models.base import utcnow
from commentsvc.models.comment import ConfirmedAddress

# However often a form names an address, it gets at most one confirmation mail a day.
ASK_AGAIN_AFTER = timedelta(days=1)
# Reply notifications one inbox gets, however many comments of its own are replied to: past
# it, replies go unannounced (a confirmed address must not become a channel for a flood).
PER_INBOX_REPLY_LIMIT = "10 per hour;50 per day"


def address_hash(address: str) -> str:
    return hashlib.sha256(address.strip().lower().encode()).hexdigest()


def _row(address: str) -> ConfirmedAddress | None:
    return db.session.get(ConfirmedAddress, address_hash(address))


def _row_for(address: str) -> ConfirmedAddress:
    """The address's row, added if missing (a concurrent request may add it first)."""
    row = _row(address)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = ConfirmedAddress(address_hash=address_hash(address))
            db.session.add(row)
    except sa.exc.IntegrityError:
        row = db.session.get(ConfirmedAddress, address_hash(address), populate_existing=True)
    return row


def is_confirmed(address: str) -> bool:
    row = _row(address)
    return row is not None and row.confirmed_at is not None


def may_notify(comment: Comment) -> str | None:
    """The address that gets notifications of replies to ``comment``, if any has agreed."""
    account = comment.account
    if account is not None and account.is_email_verified and account.email:
        return account.email
    if comment.author_email and is_confirmed(comment.author_email):
        return comment.author_email
    return None


def ask_to_confirm(comment: Comment) -> bool:
    """Record that ``comment``'s address is asked to confirm; True when a mail should go (once
    committed): it asked for notifications, has not agreed yet and was not asked lately.
    Flushes; the caller commits, then enqueues ``Job.SEND_NOTIFY_CONFIRMATION``."""
    address = comment.author_email
    if comment.status == CommentStatus.SPAM:
        return False  # a bot's comment must not make us mail whatever address it typed
    if not comment.is_notify or not address or may_notify(comment) is not None:
        return False
    row = _row_for(address)
    now = utcnow()
    if row.requested_at is not None and now - row.requested_at < ASK_AGAIN_AFTER:
        return False
    row.requested_at = now
    db.session.flush()
    return True


def confirm(address: str) -> None:
    """The owner of ``address`` opened its confirmation link. Flushes."""
    row = _row_for(address)
    if row.confirmed_at is None:
        row.confirmed_at = utcnow()
    db.session.flush()


def inbox_may_get_another_reply(address: str) -> bool:
    """Count one reply notification to ``address``; False once it had its share for now."""
    if not current_app.config["RATELIMIT_ENABLED"]:
        return True
    inbox = address_hash(address)
    return all(
        limiter.limiter.hit(item, "reply-mail", inbox) for item in parse_many(PER_INBOX_REPLY_LIMIT)
    )


def stop_all_replies(comment: Comment) -> int:
    """The recipient of ``comment``'s notifications wants none at all: every comment mailing
    that address (or that account) stops, and a guest's address must confirm again before
    any other comment of its mails it. Returns how many comments stopped. Flushes."""
    address = may_notify(comment) or comment.author_email
    matches = [Comment.id == comment.id]
    if comment.account_id is not None:
        matches.append(Comment.account_id == comment.account_id)
    if address:
        matches.append(sa.func.lower(Comment.author_email) == address.lower())
        row = _row(address)
        if row is not None:
            row.confirmed_at = None
    stopped = db.session.execute(
        sa.update(Comment)
        .where(sa.or_(*matches), Comment.is_notify.is_(True))
        .values(is_notify=False)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.flush()
    return stopped
