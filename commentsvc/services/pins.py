"""Pinning: an operator puts a top-level comment first in its thread, in every order."""

from __future__ import annotations

from commentsvc.errors import InvalidInput, NotFound
from commentsvc.extensions import db
from commentsvc.live.batches import stream_key
from commentsvc.live.touched import note_reload
from commentsvc.models import Account, Comment, CommentStatus
from commentsvc.services.moderation import ensure_operates, record_audit
from commentsvc.services.threads import touch_thread

# A held comment may be pinned ahead of its approval: it shows pinned once approved.
_PINNABLE = frozenset({CommentStatus.VISIBLE, CommentStatus.PENDING})


def set_pinned(actor: Account, comment: Comment, is_pinned: bool) -> bool:
    """Pin or unpin ``comment`` as ``actor``, an operator of its site; False when it already
    was. Audited; a visible comment's thread gets a new revision at once (pins are rare and
    change the order every reader sees), and its open live streams read it again (a pin is
    no event they could apply). Flushes; the caller commits."""
    ensure_operates(actor, comment.thread.site_id)
    if comment.status not in _PINNABLE:
        raise NotFound(f"There is no comment {comment.id} to pin.")
    if comment.parent_id is not None:
        raise InvalidInput(
            "Only top-level comments can be pinned; pin the comment this one replies to.",
            field="pinned",
        )
    if comment.is_pinned == is_pinned:
        return False
    record_audit(
        actor,
        comment.thread.site_id,
        "pin" if is_pinned else "unpin",
        "comment",
        comment.id,
        {"pinned": comment.is_pinned},
        {"pinned": is_pinned},
    )
    comment.is_pinned = is_pinned
    db.session.flush()
    if comment.status == CommentStatus.VISIBLE:
        thread = comment.thread
        touch_thread(thread)
        key = stream_key(thread.site.name, thread.identity)
        note_reload(db.session(), thread.id, key, thread.revision)
    return True
