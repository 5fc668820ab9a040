"""Operators' decisions on comments and mentions: each one audited and reflected in its thread.

Every operation takes the acting operator and flushes; the caller (a view) has already checked
that the operator moderates the item's site and commits afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app

from commentsvc.avatars import avatar_url
from commentsvc.errors import Forbidden, InvalidInput
from commentsvc.extensions import db
from commentsvc.markup import render_markdown
from commentsvc.models import (
    Account,
    AuditEntry,
    Comment,
    CommentRevision,
    CommentStatus,
    Mention,
    Site,
    Thread,
)
from commentsvc.models.base import utcnow
from commentsvc.services.threads import set_title, touch_thread

Item = Comment | Mention


class Decision(StrEnum):
    """What an operator can decide about a comment or mention."""

    APPROVE = "approve"
    SPAM = "spam"
    DELETE = "delete"
    RESTORE = "restore"
    REJECT = "reject"  # a held edit only: drop the new text, keep the approved one


_REVIVING = frozenset({Decision.APPROVE, Decision.RESTORE})
_TARGET_STATUS = {
    Decision.APPROVE: CommentStatus.VISIBLE,
    Decision.SPAM: CommentStatus.SPAM,
    Decision.DELETE: CommentStatus.DELETED,
}


def record_audit(
    actor: Account,
    site_id: int,
    action: str,
    target_kind: str,
    target_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> AuditEntry:
    """One line of the audit log: who did what to which thing, and what it was before."""
    entry = AuditEntry(
        site_id=site_id,
        actor_id=actor.id,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        before=before,
        after=after,
    )
    db.session.add(entry)
    return entry


def ensure_operates(actor: Account, site_id: int) -> None:
    """The views look items up through the operator's sites; this is the second lock."""
    if not actor.operates(site_id):
        raise Forbidden("You do not moderate this site.")


def target_kind(item: Item) -> str:
    return "comment" if isinstance(item, Comment) else "mention"


def _restored_status(item: Item) -> CommentStatus:
    """Restore undoes the last spam/delete: back to what the audit log says it was before.

    Without such a record (marked spam on arrival) the item goes back to the queue.
    """
    entry = db.session.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.target_kind == target_kind(item), AuditEntry.target_id == item.id)
        .where(AuditEntry.action.in_([Decision.SPAM.value, Decision.DELETE.value]))
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    previous = (entry.before or {}).get("status") if entry is not None else None
    if previous in {CommentStatus.VISIBLE.value, CommentStatus.PENDING.value}:
        return CommentStatus(previous)
    return CommentStatus.PENDING


def _apply_held_edit(actor: Account, comment: Comment) -> None:
    """Approve: the author's held text replaces the approved one (which joins the history)."""
    before = {"body": comment.body_markdown}
    db.session.add(
        CommentRevision(
            comment_id=comment.id,
            body_markdown=comment.body_markdown,
            edited_by_id=comment.account_id,
        )
    )
    comment.body_markdown = comment.pending_body_markdown or ""
    comment.body_html = comment.pending_body_html or ""
    comment.edited_at = comment.pending_edited_at or utcnow()
    comment.drop_held_edit()
    comment.held_reason = None
    record_audit(
        actor,
        comment.thread.site_id,
        "approve-edit",
        "comment",
        comment.id,
        before,
        {"body": comment.body_markdown},
    )


def _decide_held_edit(actor: Account, comment: Comment, decision: Decision) -> bool:
    """A visible comment whose author's edit waits. Approve applies the edit; reject drops it
    and the approved text stays; spam and delete drop it and hide the whole comment (restore
    brings back the approved text). The dropped text stays in the audit log."""
    if decision is Decision.APPROVE:
        _apply_held_edit(actor, comment)
        return True
    if decision is Decision.RESTORE:
        return False
    held = {"held_edit": comment.pending_body_markdown, "held_reason": comment.held_reason}
    comment.drop_held_edit()
    comment.held_reason = None
    if decision is Decision.REJECT:
        record_audit(
            actor, comment.thread.site_id, "reject-edit", "comment", comment.id, held, None
        )
        return True
    before = {"status": comment.status.value, **held}
    comment.status = _TARGET_STATUS[decision]
    record_audit(
        actor,
        comment.thread.site_id,
        decision.value,
        "comment",
        comment.id,
        before,
        {"status": comment.status.value},
    )
    return True


def _decide_one(actor: Account, item: Item, decision: Decision) -> bool:
    """Apply ``decision`` to one item; False when it changes nothing (already in that state)."""
    ensure_operates(actor, item.thread.site_id)
    if isinstance(item, Comment) and item.has_held_edit:
        return _decide_held_edit(actor, item, decision)
    if decision is Decision.REJECT:
        return False  # no edit waits
    if isinstance(item, Comment) and not item.body_markdown and decision in _REVIVING:
        return False  # its author deleted it and its text is gone: nothing to bring back
    if decision is Decision.RESTORE:
        if item.status not in {CommentStatus.SPAM, CommentStatus.DELETED}:
            return False
        status = _restored_status(item)
    else:
        status = _TARGET_STATUS[decision]
    if item.status == status:
        return False
    before = {"status": item.status.value}
    item.status = status
    if isinstance(item, Mention):
        item.updated_at = utcnow()
    record_audit(
        actor,
        item.thread.site_id,
        decision.value,
        target_kind(item),
        item.id,
        before,
        {"status": status.value},
    )
    return True


def changed_since(item: Item, shown_at: datetime) -> bool:
    """The item's text changed after the operator's page showed it (an author's edit, a
    re-verified mention): a decision taken on that page must not apply to text never seen."""
    if isinstance(item, Comment):
        times = (item.edited_at, item.pending_edited_at)
    else:
        times = (item.updated_at,)
    return any(time is not None and time > shown_at for time in times)


def locked_afresh(items: Iterable[Item]) -> list[Item]:
    """``items`` read again under a row lock, in one order (two operators' bulk actions cannot
    deadlock): an author's delete or edit committed since the page loaded them is what the
    decision sees, and none can commit in between (PostgreSQL; SQLite has one writer)."""
    ordered = sorted(items, key=lambda item: (target_kind(item), item.id))
    for kind in (Comment, Mention):
        ids = [item.id for item in ordered if isinstance(item, kind)]
        if ids:  # one statement per kind, rows in id order, read afresh into these objects
            db.session.scalars(
                sa.select(kind)
                .where(kind.id.in_(ids))
                .order_by(kind.id)
                .with_for_update(key_share=True)
                .execution_options(populate_existing=True)
            ).all()
    return ordered


def decide(actor: Account, items: Iterable[Item], decision: Decision) -> list[Item]:
    """Approve, spam, delete or restore ``items``; touches each changed thread once.

    Returns the items that changed (the caller tells the authors of approved replies' parents
    once it has committed).
    """
    decision = Decision(decision)
    changed: list[Item] = []
    threads: dict[int, Thread] = {}
    for item in locked_afresh(items):
        if _decide_one(actor, item, decision):
            changed.append(item)
            threads[item.thread_id] = item.thread
    for thread_id in sorted(threads):  # in id order, as every writer locks threads
        touch_thread(threads[thread_id])
    db.session.flush()
    return changed


def visible_reply_ids(items: Iterable[Item]) -> list[int]:
    """The comments among ``items`` that are now visible replies: their parents' authors may
    have asked to be told."""
    return [
        item.id
        for item in items
        if isinstance(item, Comment)
        and item.parent_id is not None
        and item.status == CommentStatus.VISIBLE
    ]


def _clean_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise InvalidInput("The text cannot be empty.", field="body")
    limit = int(current_app.config["MAX_COMMENT_LENGTH"])
    if len(body) > limit:
        raise InvalidInput(f"The text is longer than {limit} characters.", field="body")
    return body


def edit_comment(actor: Account, comment: Comment, body_markdown: str) -> bool:
    """Replace a comment's text, keeping the old one as a revision; False when unchanged."""
    ensure_operates(actor, comment.thread.site_id)
    body_markdown = _clean_body(body_markdown)
    if body_markdown == comment.body_markdown:
        return False
    db.session.add(
        CommentRevision(
            comment_id=comment.id, body_markdown=comment.body_markdown, edited_by_id=actor.id
        )
    )
    before = {"body": comment.body_markdown}
    comment.body_markdown = body_markdown
    comment.body_html = render_markdown(body_markdown)
    comment.edited_at = utcnow()
    record_audit(
        actor,
        comment.thread.site_id,
        "edit",
        "comment",
        comment.id,
        before,
        {"body": body_markdown},
    )
    touch_thread(comment.thread)
    return True


def reply_as_site(actor: Account, comment: Comment, body_markdown: str, ip_hash: str) -> Comment:
    """A visible reply under ``comment``, signed with the site's name, by ``actor``."""
    ensure_operates(actor, comment.thread.site_id)
    body_markdown = _clean_body(body_markdown)
    thread = comment.thread
    site: Site = thread.site
    # At the deepest level the answer goes beside the comment, as the widget would place it.
    is_nested = comment.depth + 1 <= site.max_depth
    reply = Comment(
        thread_id=thread.id,
        parent_id=comment.id if is_nested else comment.parent_id,
        depth=comment.depth + 1 if is_nested else comment.depth,
        account_id=actor.id,
        author_name=site.name,
        author_website=site.origins[0] if site.origins else None,
        author_avatar=avatar_url(f"site:{site.name}"),
        author_provider="site",
        body_markdown=body_markdown,
        body_html=render_markdown(body_markdown),
        status=CommentStatus.VISIBLE,
        held_reason=None,
        ip_hash=ip_hash,
    )
    db.session.add(reply)
    db.session.flush()
    record_audit(
        actor,
        site.id,
        "reply",
        "comment",
        reply.id,
        None,
        {"parent": comment.id, "body": body_markdown},
    )
    touch_thread(thread)
    return reply


def revisions(comment: Comment) -> list[CommentRevision]:
    """Earlier texts of ``comment``, newest first."""
    return list(
        db.session.scalars(
            sa.select(CommentRevision)
            .where(CommentRevision.comment_id == comment.id)
            .order_by(CommentRevision.id.desc())
        )
    )


def set_thread_title(actor: Account, thread: Thread, title: str) -> bool:
    """An operator names a page (the title job leaves it alone afterwards); False if unchanged."""
    ensure_operates(actor, thread.site_id)
    before = {"title": thread.title}
    if not set_title(thread, title):
        return False
    record_audit(
        actor, thread.site_id, "title", "thread", thread.id, before, {"title": thread.title}
    )
    return True
