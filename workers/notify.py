"""Reply notifications: when a visible reply appears under a comment whose author asked to be
told (``is_notify``) and whose address agreed to it, email them once, with a link that turns
the notifications off; and the mail that asks a guest's address to agree."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from commentsvc.extensions import db
from commentsvc.links import notify_confirm_link, unsubscribe_link
from commentsvc.models import Comment, CommentStatus
from commentsvc.models.base import utcnow
from commentsvc.permalinks import permalink
from commentsvc.services.notify_addresses import (
    inbox_may_get_another_reply,
    is_confirmed,
    may_notify,
)
from commentsvc.services.threads import clean_title
from workers.mail import send_mail
from workers.runtime import job

log = logging.getLogger(__name__)


def _claim(reply: Comment) -> bool:
    """Mark the reply as notified, unless another run did: the row lock serialises two jobs
    for one reply, and a failed send rolls the mark back so the retry sends again."""
    claimed = db.session.execute(
        sa.update(Comment)
        .where(Comment.id == reply.id, Comment.reply_notified_at.is_(None))
        .values(reply_notified_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return claimed.rowcount == 1


def _same_author(reply: Comment, parent: Comment, recipient: str) -> bool:
    if reply.account_id is not None and reply.account_id == parent.account_id:
        return True
    return bool(reply.author_email) and reply.author_email.lower() == recipient.lower()


@job
def notify_reply(comment_id: int) -> None:
    """Enqueued after a reply is committed (or approved); re-checks everything itself."""
    reply = db.session.get(Comment, comment_id)
    if reply is None or reply.status != CommentStatus.VISIBLE or reply.parent_id is None:
        return
    parent = db.session.get(Comment, reply.parent_id)
    if parent is None or not parent.is_notify or parent.status != CommentStatus.VISIBLE:
        return
    recipient = may_notify(parent)
    if recipient is None or _same_author(reply, parent, recipient) or not _claim(reply):
        return
    if not inbox_may_get_another_reply(recipient):
        db.session.commit()  # claimed: this reply goes unannounced, not retried
        log.info("reply %s: its recipient's inbox had its share of notifications", reply.id)
        return
    base_url = current_app.config["PUBLIC_URL"] or "http://localhost:8000"
    unsubscribe = unsubscribe_link(base_url, parent.id)
    page = permalink(reply)
    replier = reply.author_name or (reply.account.display_name if reply.account else "Someone")
    send_mail(
        recipient,
        f"New reply to your comment on {clean_title(reply.thread.title) or reply.thread.url}",
        f"{replier} replied to your comment:\n\n{reply.body_markdown}\n\nRead it here: {page}\n\n"
        f"To stop emails about replies to this comment, or all of them, open:\n{unsubscribe}\n",
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    db.session.commit()


@job
def send_notify_confirmation(comment_id: int) -> None:
    """Ask the address of guest comment ``comment_id`` to agree to reply notifications.

    Enqueued after the comment (and the request, :func:`ask_to_confirm`) is committed. The
    mail carries nothing the commenter chose (no name, text or page): anyone can type anyone's
    address into the form, and this must not become a way to mail strangers their words.
    """
    comment = db.session.get(Comment, comment_id)
    if comment is None or not comment.is_notify or not comment.author_email:
        return
    address = comment.author_email
    if is_confirmed(address):
        return
    base_url = current_app.config["PUBLIC_URL"] or "http://localhost:8000"
    site = comment.thread.site.name
    send_mail(
        address,
        "Confirm reply notifications",
        f"Someone commented on the site {site!r} with this address and asked to be emailed "
        "about replies. To get these emails, open this link within three days and confirm:"
        f"\n\n{notify_confirm_link(base_url, address)}\n\n"
        "If it was not you, ignore this message: nothing more will be sent.\n",
    )
