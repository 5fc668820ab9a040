"""Threads: found or created by page identity, and touched whenever what they show changes."""

from __future__ import annotations

import unicodedata
from functools import cache

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from commentsvc.database import as_one_transaction
from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.live.batches import stream_key
from commentsvc.live.touched import note_touch
from commentsvc.models import Comment, CommentStatus, Mention, Site, Thread, Verification
from commentsvc.models.base import utcnow
from commentsvc.services.thread_cache import forget_after_commit
from commentsvc.urls import (
    normalise_url,
    origin_of,
    page_identity,
    site_origin,
    without_non_content_params,
)

MAX_TITLE_LENGTH = 300
_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def page_key(site: Site, url: str) -> str:
    """The link of ``url`` as a page of ``site``: normalised, its scheme that of the listed
    origin it belongs to (:func:`~commentsvc.urls.site_origin`), without the parameters that
    select no content (what feeds and mail link to); refuses other pages."""
    normal = normalise_url(url)
    origin = site_origin(site.origins, normal)
    if origin is None:
        raise InvalidInput(
            f"{url!r} is not on an origin of site {site.name!r} "
            f"(allowed: {', '.join(site.origins)}).",
            field="url",
        )
    return without_non_content_params(origin + normal[len(origin_of(normal)) :])


def find_thread(site: Site, url: str) -> Thread | None:
    """The thread of the page ``url`` names, in whatever spelling (None when it has none)."""
    return _by_identity(site, page_identity(page_key(site, url)))


def _by_identity(site: Site, identity: str) -> Thread | None:
    return db.session.scalar(
        sa.select(Thread).where(Thread.site_id == site.id, Thread.identity == identity)
    )


def get_or_create_thread(
    site: Site, url: str, *, found: Thread | None = None, is_looked_up: bool = False
) -> Thread:
    """The thread of a page of ``site``, created on first use (tolerates a concurrent creator).

    ``found``: the page's thread as the caller has read it already (with the site);
    ``is_looked_up``: the caller has read it, and ``found`` is all there was.
    It starts without a title: ``Job.FETCH_THREAD_TITLE`` reads the page's own once committed
    (and follows the page's ``<link rel=canonical>``).
    """
    key = page_key(site, url)
    identity = page_identity(key)
    thread = found if found is not None or is_looked_up else _by_identity(site, identity)
    if thread is not None:
        return thread
    # INSERT ... ON CONFLICT DO NOTHING, not a savepoint: pysqlite begins no transaction
    # before a SAVEPOINT, so releasing it committed the thread at once, and a post refused
    # afterwards (a ban, a bad parent) left a page behind. A concurrent creator's row wins.
    as_one_transaction()  # for the same reason, if the request commits statement by statement
    insert = _INSERTS[db.session.get_bind().dialect.name](Thread)
    db.session.execute(
        insert.values(site_id=site.id, url=key, identity=identity).on_conflict_do_nothing(
            index_elements=["site_id", "identity"]
        )
    )
    return db.session.scalars(
        sa.select(Thread).where(Thread.site_id == site.id, Thread.identity == identity)
    ).one()


def clean_title(title: str | None) -> str | None:
    """One line of printable text: control characters (CR, LF, tabs...) become spaces, since a
    title ends up in mail subjects, feeds and pages. None when nothing is left."""
    text = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in title or "")
    text = " ".join(text.split())[:MAX_TITLE_LENGTH].strip()
    return text or None


def set_title(thread: Thread, title: str | None) -> bool:
    """Store ``title`` (cleaned) as the thread's title; False when it is unchanged."""
    thread.title_checked_at = utcnow()
    cleaned = clean_title(title)
    if cleaned == thread.title:
        return False
    thread.title = cleaned
    touch_thread(thread)  # the title is part of the cached rendering
    return True


def needs_title(thread: Thread) -> bool:
    """No page title read (nor set by an operator) yet: the title job has work to do."""
    return thread.title_checked_at is None


def touch_thread(thread: Thread) -> None:
    """Recount what readers see and bump the revision that the cache and ETags key on.

    On PostgreSQL the thread's row is locked first, by a statement of its own: an UPDATE that
    waited for another writer's lock would count with the snapshot it started with, missing
    that writer's comment, and the last to commit would store a stale count. Once the lock is
    held, the recount is a new statement and sees every committed row (SQLite has one writer
    at a time, so it needs no lock).
    """
    db.session.flush()
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(_lock(), {"thread_id": thread.id})
    revision = db.session.execute(_recount(), {"thread_id": thread.id}).scalar()
    note_touched(thread, revision)


def note_touched(thread: Thread, revision: int | None) -> None:
    """A statement has moved ``thread`` to ``revision`` (None: the thread is gone): the
    session reads its counts afresh, and once committed this process forgets the page's
    cached state and live streams get the change (docs/live.md)."""
    db.session.expire(thread, ["revision", "visible_count"])
    forget_after_commit(db.session(), thread.site.name, thread.identity)
    if revision is not None:
        key = stream_key(thread.site.name, thread.identity)
        note_touch(db.session(), thread.id, key, revision)


@cache
def _lock() -> sa.Select:
    table = Thread.__table__
    thread_id = sa.bindparam("thread_id", type_=sa.Integer)
    # FOR NO KEY UPDATE, the lock the UPDATE takes anyway: it leaves alone the key-share locks
    # that inserting a comment of the thread takes, so two posters cannot deadlock.
    return sa.select(table.c.id).where(table.c.id == thread_id).with_for_update(key_share=True)


@cache
def _recount() -> sa.Update:
    """Built once, since every write to a thread runs it (building a statement and its cache
    key costs more than running it); a Core UPDATE of the table, which skips the ORM's
    bulk-update bookkeeping: the caller expires what it changed."""
    thread_id = sa.bindparam("thread_id", type_=sa.Integer)
    comments = (
        sa.select(sa.func.count())
        .where(Comment.thread_id == thread_id, Comment.status == CommentStatus.VISIBLE)
        .scalar_subquery()
    )
    mentions = (
        sa.select(sa.func.count())
        .where(
            Mention.thread_id == thread_id,
            Mention.status == CommentStatus.VISIBLE,
            Mention.verification == Verification.VERIFIED,
        )
        .scalar_subquery()
    )
    table = Thread.__table__
    return (
        sa.update(table)
        .where(table.c.id == thread_id)
        .values(revision=table.c.revision + 1, visible_count=comments + mentions)
        .returning(table.c.revision)
    )
