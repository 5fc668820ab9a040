"""Threads: found or created by page URL, and touched whenever what they show changes."""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, Mention, Site, Thread, Verification
from commentsvc.models.base import utcnow
from commentsvc.services.thread_cache import forget_after_commit
from commentsvc.urls import normalise_url, origin_of

MAX_TITLE_LENGTH = 300


def page_key(site: Site, url: str) -> str:
    """The thread key of ``url``; refuses pages outside the site's origins."""
    normal = normalise_url(url)
    if origin_of(normal) not in site.origins:
        raise InvalidInput(
            f"{url!r} is not on an origin of site {site.name!r} "
            f"(allowed: {', '.join(site.origins)}).",
            field="url",
        )
    return normal


def find_thread(site: Site, url: str) -> Thread | None:
    return db.session.scalar(
        sa.select(Thread).where(Thread.site_id == site.id, Thread.url == page_key(site, url))
    )


def get_or_create_thread(site: Site, url: str) -> Thread:
    """The thread of a page of ``site``, created on first use (tolerates a concurrent creator).

    It starts without a title: ``Job.FETCH_THREAD_TITLE`` reads the page's own once committed.
    """
    key = page_key(site, url)
    thread = db.session.scalar(
        sa.select(Thread).where(Thread.site_id == site.id, Thread.url == key)
    )
    if thread is not None:
        return thread
    thread = Thread(site_id=site.id, url=key)
    try:
        with db.session.begin_nested():
            db.session.add(thread)
    except sa.exc.IntegrityError:
        thread = db.session.scalars(
            sa.select(Thread).where(Thread.site_id == site.id, Thread.url == key)
        ).one()
    return thread


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

    One UPDATE, so concurrent writers cannot lose a bump or leave a stale count behind.
    """
    db.session.flush()
    comments = (
        sa.select(sa.func.count())
        .where(Comment.thread_id == thread.id, Comment.status == CommentStatus.VISIBLE)
        .scalar_subquery()
    )
    mentions = (
        sa.select(sa.func.count())
        .where(
            Mention.thread_id == thread.id,
            Mention.status == CommentStatus.VISIBLE,
            Mention.verification == Verification.VERIFIED,
        )
        .scalar_subquery()
    )
    db.session.execute(
        sa.update(Thread)
        .where(Thread.id == thread.id)
        .values(revision=Thread.revision + 1, visible_count=comments + mentions)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(thread, ["revision", "visible_count"])
    forget_after_commit(db.session(), thread.site.name, thread.url)
