"""A commenter's own data: everything we hold about them (export) and erasing it (delete)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from commentsvc.extensions import db
from commentsvc.models import Account, Comment, Thread
from commentsvc.services.comments import erase_comment, forget_author
from commentsvc.services.threads import touch_thread
from commentsvc.services.votes import withdraw_account_votes

DELETED_USER = "deleted user"


class CommentFate(StrEnum):
    """What deleting an account does to its comments: the commenter chooses."""

    ANONYMISE = "anonymise"  # kept, shown as by "deleted user"
    REMOVE = "remove"  # text erased; a placeholder only where replies hang below


def _iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def export_account(account: Account) -> dict[str, Any]:
    """Everything stored about ``account`` and its comments, as JSON-ready data."""
    comments = db.session.execute(
        sa.select(Comment, Thread.url)
        .join(Thread, Comment.thread_id == Thread.id)
        .where(Comment.account_id == account.id)
        .order_by(Comment.id)
    ).all()
    return {
        "account": {
            "id": account.id,
            "email": account.email,
            "is_email_verified": account.is_email_verified,
            "display_name": account.display_name,
            "avatar_url": account.avatar_url,
            "website": account.website,
            "has_password": account.password_hash is not None,
            "created_at": _iso(account.created_at),
        },
        "identities": [
            {
                "provider": identity.provider,
                "subject": identity.subject,
                "display_name": identity.display_name,
                "avatar_url": identity.avatar_url,
                "profile_url": identity.profile_url,
                "created_at": _iso(identity.created_at),
            }
            for identity in account.identities
        ],
        "comments": [
            {
                "id": comment.id,
                "page": url,
                "parent": comment.parent_id,
                "body_markdown": comment.body_markdown,
                "status": comment.status.value,
                "author_name": comment.author_name,
                "author_email": comment.author_email,
                "author_website": comment.author_website,
                "is_notify": comment.is_notify,
                "created_at": _iso(comment.created_at),
                "edited_at": _iso(comment.edited_at),
            }
            for comment, url in comments
        ],
    }


def delete_account(account: Account, fate: CommentFate) -> int:
    """Erase ``account`` (identities and roles go with it); returns how many comments it had.

    Anonymised comments keep their text under the name "deleted user"; removed ones lose
    their text and revisions and become deleted (the thread shows a placeholder only where
    replies need one). Either way the link to the account, email, website and address hash go,
    and its votes come off the scores of the comments it voted for.
    """
    comments = db.session.scalars(sa.select(Comment).where(Comment.account_id == account.id)).all()
    touched: dict[int, Thread] = {}
    for comment in comments:
        if fate is CommentFate.REMOVE:
            erase_comment(comment)
        else:
            forget_author(comment)
            comment.author_name = DELETED_USER
        touched[comment.thread_id] = comment.thread
    withdraw_account_votes(account)  # before its votes go with it
    db.session.delete(account)
    db.session.flush()
    for thread_id in sorted(touched):  # in id order, as every writer locks threads
        touch_thread(touched[thread_id])
    return len(comments)
