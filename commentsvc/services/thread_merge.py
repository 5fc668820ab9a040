"""Putting responses where readers look: merge two threads of one page, move a comment (with
its replies) or a mention to another thread.

Operators use these on responses that went astray, ``commentsvc threads merge`` on the split
threads of one page, and the title job when a page names another as its canonical one. The
row work is plain Core on a connection (:func:`merge_thread_rows`), so a schema migration can
merge colliding threads without the ORM; the ORM operations around it check, audit, recount
and forget cached revisions. Everything flushes; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.live.batches import stream_key
from commentsvc.live.touched import note_reload
from commentsvc.models import AuditEntry, Comment, ImportedItem, Mention, Thread, Verification
from commentsvc.services.thread_cache import forget_after_commit
from commentsvc.services.threads import touch_thread
from commentsvc.urls import page_identity

_comment = Comment.__table__
_mention = Mention.__table__
_thread = Thread.__table__
_imported = ImportedItem.__table__


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved: comments, mentions, and the duplicate mentions it dropped."""

    source_id: int
    into_id: int
    comments: int
    mentions: int
    dropped_mentions: int


def lock_threads(connection: sa.Connection, *thread_ids: int) -> None:
    """Hold the threads' rows until the commit (PostgreSQL; SQLite writes one at a time).

    A comment being posted to ``source`` holds a key-share lock on it until its commit: this
    waits for that commit, so the comment is moved rather than deleted with its thread. A post
    that comes later waits here and then finds its thread gone (a conflict, not a lost comment).
    """
    connection.execute(
        sa.select(_thread.c.id)
        .where(_thread.c.id.in_(thread_ids))
        .order_by(_thread.c.id)
        .with_for_update()
    ).all()


def merge_thread_rows(connection: sa.Connection, source_id: int, into_id: int) -> MergeResult:
    """Move every comment and mention of thread ``source_id`` to ``into_id`` and delete it.

    Plain Core, no ORM session and no cache: what a migration can run. Mentions of one source
    that meet on ``into`` become one (the verified, else the newest). ``into`` keeps its own
    title, or takes the source's when it has none. The caller recounts ``into``.
    """
    lock_threads(connection, source_id, into_id)
    into = connection.execute(
        sa.select(_thread.c.site_id, _thread.c.title).where(_thread.c.id == into_id)
    ).one()
    source = connection.execute(
        sa.select(_thread.c.title, _thread.c.title_checked_at).where(_thread.c.id == source_id)
    ).one()
    comments = connection.execute(
        sa.update(_comment).where(_comment.c.thread_id == source_id).values(thread_id=into_id)
    ).rowcount
    mention_ids = list(
        connection.scalars(sa.select(_mention.c.id).where(_mention.c.thread_id == source_id))
    )
    on_into = sa.select(sa.func.count(_mention.c.id)).where(_mention.c.thread_id == into_id)
    before = connection.scalar(on_into) + len(mention_ids)
    for mention_id in mention_ids:
        move_mention_row(connection, mention_id, into_id)
    dropped = before - connection.scalar(on_into)
    connection.execute(
        sa.update(_imported)
        .where(
            _imported.c.site_id == into.site_id,
            _imported.c.kind == "thread",
            _imported.c.object_id == source_id,
        )
        .values(object_id=into_id)
    )
    if into.title is None and source.title is not None:
        connection.execute(
            sa.update(_thread)
            .where(_thread.c.id == into_id)
            .values(title=source.title, title_checked_at=source.title_checked_at)
        )
    connection.execute(sa.delete(_thread).where(_thread.c.id == source_id))
    return MergeResult(source_id, into_id, comments, len(mention_ids), dropped)


def move_mention_row(connection: sa.Connection, mention_id: int, into_id: int) -> int:
    """Put a mention on thread ``into_id``; the id of the mention that stays.

    Its target and claim key stay: they are what the sender claimed (the page the source links
    to), so a re-sent ping finds this mention and its check still looks for that link. Another
    mention of the same source on ``into`` meets it (one response per source and page): the
    verified one stays, else the most recently updated; the other is deleted (its import
    record follows the one that stays).
    """
    source = connection.scalar(sa.select(_mention.c.source).where(_mention.c.id == mention_id))
    rows = connection.execute(
        sa.select(_mention.c.id, _mention.c.verification, _mention.c.updated_at).where(
            sa.or_(
                _mention.c.id == mention_id,
                sa.and_(_mention.c.thread_id == into_id, _mention.c.source == source),
            )
        )
    ).all()
    keep, *others = sorted(rows, key=_rank, reverse=True)
    for other in others:
        connection.execute(sa.delete(_mention).where(_mention.c.id == other.id))
        connection.execute(
            sa.update(_imported)
            .where(_imported.c.kind == "mention", _imported.c.object_id == other.id)
            .values(object_id=keep.id)
        )
    connection.execute(
        sa.update(_mention).where(_mention.c.id == keep.id).values(thread_id=into_id)
    )
    return keep.id


def _rank(row: sa.Row) -> tuple[bool, Any, int]:
    """Verified first, then the most recently updated, then the newest row."""
    return (row.verification == Verification.VERIFIED, row.updated_at, row.id)


def _refuse_other_site(thread: Thread, into: Thread) -> None:
    if thread.site_id != into.site_id:
        raise InvalidInput(
            f"Thread {thread.id} and thread {into.id} belong to different sites; "
            "responses move only within a site."
        )


def _audit(into: Thread, action: str, kind: str, item_id: int, **details: Any) -> None:
    """The moderation audit log; ``actor`` is kept in ``after`` (an operator's name or
    ``cli``), since a command-line or job actor has no account."""
    db.session.add(
        AuditEntry(
            site_id=into.site_id,
            action=action,
            target_kind=kind,
            target_id=item_id,
            before={key: value for key, value in details.items() if key.startswith("from")},
            after={key: value for key, value in details.items() if not key.startswith("from")},
        )
    )


def _reload_readers(thread_id: int, site_name: str, identity: str, revision: int) -> None:
    """Open live streams on the page read it again after the commit (docs/live.md): the rows
    moved here by Core statements give the live hooks no events to send."""
    note_reload(db.session(), thread_id, stream_key(site_name, identity), revision)


def _forget_rows(kind: type, ids: set[int]) -> None:
    """Core statements changed these rows behind the session's back: reload them on next use."""
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, kind) and obj.id in ids:
            db.session.expire(obj)


def merge_threads(source: Thread, into: Thread, *, actor: str) -> MergeResult:
    """Move everything of ``source`` into ``into`` and delete ``source``; flush only.

    Refuses threads of different sites and a thread into itself (:class:`InvalidInput`).
    """
    _refuse_other_site(source, into)
    if source.id == into.id:
        raise InvalidInput(f"Thread {source.id} cannot be merged into itself.")
    db.session.flush()
    lock_threads(db.session.connection(), source.id, into.id)
    source_site, source_identity, source_url = source.site.name, source.identity, source.url
    source_id, source_revision = source.id, source.revision
    moved_comments = set(
        db.session.scalars(sa.select(Comment.id).where(Comment.thread_id == source.id))
    )
    moved_mentions = set(
        db.session.scalars(sa.select(Mention.id).where(Mention.thread_id == source.id))
    )
    result = merge_thread_rows(db.session.connection(), source.id, into.id)
    db.session.expunge(source)
    for mention in [m for m in db.session.identity_map.values() if isinstance(m, Mention)]:
        if mention.id in moved_mentions and not _exists(Mention, mention.id):
            db.session.expunge(mention)
    _forget_rows(Comment, moved_comments)
    _forget_rows(Mention, moved_mentions)
    db.session.expire(into, ["title", "title_checked_at"])
    touch_thread(into)
    forget_after_commit(db.session(), source_site, source_identity)
    _reload_readers(into.id, into.site.name, into.identity, 0)
    _reload_readers(source_id, source_site, source_identity, source_revision)
    _audit(
        into,
        "thread.merge",
        "thread",
        into.id,
        from_thread=source.id,
        from_url=source_url,
        actor=actor,
        comments=result.comments,
        mentions=result.mentions,
        dropped_mentions=result.dropped_mentions,
    )
    return result


def _exists(model: type, row_id: int) -> bool:
    return db.session.scalar(sa.select(model.id).where(model.id == row_id)) is not None


def move_comment(comment: Comment, into: Thread, *, actor: str) -> int:
    """Move ``comment`` and all its replies to ``into``; how many moved. The comment becomes
    top-level there (its parent stays behind); its replies keep their places under it."""
    old = comment.thread
    _refuse_other_site(old, into)
    if old.id == into.id:
        raise InvalidInput(f"Comment {comment.id} is in thread {into.id} already.")
    db.session.flush()
    ids = _subtree(old.id, comment.id)
    db.session.execute(
        sa.update(_comment)
        .where(_comment.c.id.in_(ids))
        .values(thread_id=into.id, depth=_comment.c.depth - comment.depth)
    )
    db.session.execute(
        sa.update(_comment).where(_comment.c.id == comment.id).values(parent_id=None)
    )
    _forget_rows(Comment, ids)
    touch_thread(old)
    touch_thread(into)
    for thread in (old, into):
        _reload_readers(thread.id, thread.site.name, thread.identity, 0)
    _audit(
        into,
        "comment.move",
        "comment",
        comment.id,
        from_thread=old.id,
        actor=actor,
        thread=into.id,
        moved=len(ids),
    )
    return len(ids)


def _subtree(thread_id: int, root_id: int) -> set[int]:
    """``root_id`` and every reply below it (one query for the thread's parent links)."""
    children: dict[int, list[int]] = {}
    rows = db.session.execute(
        sa.select(Comment.id, Comment.parent_id).where(Comment.thread_id == thread_id)
    )
    for row_id, parent_id in rows:
        children.setdefault(parent_id, []).append(row_id)
    found, todo = set(), [root_id]
    while todo:
        current = todo.pop()
        found.add(current)
        todo.extend(children.get(current, ()))
    return found


def move_mention(mention: Mention, into: Thread, *, actor: str) -> None:
    """Move ``mention`` to ``into`` (its thread; its target and claim key stay what the sender
    claimed, see :func:`move_mention_row`); flush only.

    When ``into`` has a mention of the same source already, one stays (the verified, else the
    newest) and the other is deleted: ``mention`` itself may be the one that goes.
    """
    if mention.site_id != into.site_id:
        raise InvalidInput(
            f"Mention {mention.id} and thread {into.id} belong to different sites; "
            "responses move only within a site."
        )
    if mention.thread_id == into.id:
        raise InvalidInput(f"Mention {mention.id} is in thread {into.id} already.")
    db.session.flush()
    old = mention.thread
    mention_id = mention.id
    kept = move_mention_row(db.session.connection(), mention_id, into.id)
    if kept != mention_id:
        db.session.expunge(mention)
    _forget_rows(Mention, {kept})
    if old is not None:
        touch_thread(old)
        _reload_readers(old.id, old.site.name, old.identity, 0)
    touch_thread(into)
    _reload_readers(into.id, into.site.name, into.identity, 0)
    _audit(into, "mention.move", "mention", kept, from_thread=old.id if old else None, actor=actor)


@dataclass(frozen=True)
class SplitPage:
    """Threads of one site that share an identity once it is recomputed: one page, split."""

    identity: str
    into: Thread
    sources: tuple[Thread, ...]


def split_pages(site_id: int) -> tuple[list[SplitPage], list[Thread]]:
    """The site's split pages, and the threads whose stored identity is stale (all of them
    rekeyed by :func:`rekey_threads`). Each page keeps the thread readers see most (the most
    visible responses), the oldest of those on a tie; the others merge into it."""
    groups: dict[str, list[Thread]] = {}
    stale = []
    threads = db.session.scalars(sa.select(Thread).where(Thread.site_id == site_id))
    for thread in threads:
        identity = page_identity(thread.url)
        groups.setdefault(identity, []).append(thread)
        if identity != thread.identity:
            stale.append(thread)
    split = []
    for identity, members in sorted(groups.items()):
        if len(members) > 1:
            into, *sources = sorted(members, key=lambda t: (-t.visible_count, t.id))
            split.append(SplitPage(identity, into, tuple(sources)))
    return split, stale


def rekey_threads(threads: list[Thread]) -> None:
    """Store each thread's recomputed identity (merged duplicates gone already); flush only.
    Through a unique placeholder first: a thread's new identity may be another's old one."""
    for thread in threads:
        thread.identity = f"~{thread.id}"
    db.session.flush()
    for thread in threads:
        thread.identity = page_identity(thread.url)
        forget_after_commit(db.session(), thread.site.name, thread.identity)
    db.session.flush()
