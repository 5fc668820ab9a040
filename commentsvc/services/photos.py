"""Author photos of mentions and foreign avatars of comments: which to fetch, what was
stored, which threads show them.

The verify job records the photo a verified mention names (:func:`want_photo`), commits, and
enqueues the photo job when :func:`is_due`; a post, a sign-in or a profile change does the
same for a commenter's foreign avatar (:func:`avatar_to_fetch`); the job stores what it
made or counts a failure, and bumps every thread that shows the photo, so cached thread pages
name the served image.
Operations flush; the caller commits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa

from commentsvc.avatars import is_foreign_avatar
from commentsvc.extensions import db
from commentsvc.models import Comment, CommentStatus, Mention, Photo, Thread, Verification
from commentsvc.models.base import utcnow
from commentsvc.models.photo import photo_key
from commentsvc.services.threads import touch_thread

# How long a photo (or a failure to get one) stands before a new mention naming it asks again.
REFRESH_AFTER = timedelta(days=7)
MAX_REASON = 300


def want_photo(url: str) -> Photo:
    """The photo row of ``url``, recorded if new; flush only.

    Two mentions naming one photo may be verified at once: the loser of the insert race
    re-reads the winner's row.
    """
    key = photo_key(url)
    photo = db.session.get(Photo, key)
    if photo is not None:
        return photo
    photo = Photo(key=key, url=url, failures=0)
    try:
        with db.session.begin_nested():
            db.session.add(photo)
    except sa.exc.IntegrityError:
        photo = db.session.get(Photo, key, populate_existing=True)
    return photo


def is_due(photo: Photo) -> bool:
    """Never tried, or tried longer ago than :data:`REFRESH_AFTER`."""
    return photo.checked_at is None or photo.checked_at <= utcnow() - REFRESH_AFTER


def is_fresh(photo: Photo) -> bool:
    """Stored recently enough that the job has nothing to do (a duplicate run). A failure
    does not count: the queue's retries of a failed fetch must run."""
    fetched = photo.fetched_at
    return photo.content is not None and fetched is not None and fetched > utcnow() - REFRESH_AFTER


def store_photo(photo: Photo, content: bytes, content_type: str) -> bool:
    """Keep the image made from the photo; True if readers should get a new one."""
    digest = hashlib.sha256(content).hexdigest()[:16]
    is_changed = digest != photo.digest
    now = utcnow()
    photo.content = content
    photo.content_type = content_type
    photo.digest = digest
    photo.fetched_at = now
    photo.checked_at = now
    photo.failures = 0
    photo.failure_reason = None
    db.session.flush()
    return is_changed


def record_failure(photo: Photo, reason: str) -> None:
    """Count a failed attempt; whatever was stored before stays on show."""
    photo.checked_at = utcnow()
    photo.failures += 1
    photo.failure_reason = reason[:MAX_REASON]
    db.session.flush()


def avatar_to_fetch(url: str | None) -> str | None:
    """For a commenter's avatar: the key of the photo job to enqueue once the caller commits
    (a foreign avatar never fetched, or due again); None when there is nothing to fetch."""
    if not is_foreign_avatar(url):
        return None
    photo = want_photo(url)
    return photo.key if is_due(photo) else None


def touch_threads_showing(photo: Photo) -> int:
    """Bump the threads whose shown mentions or comments name the photo; returns how many (a
    background job: the comments' avatars are read without an index, once per photo)."""
    mention_threads = sa.select(Mention.thread_id).where(
        Mention.author_photo == photo.url, Mention.verification == Verification.VERIFIED
    )
    comment_threads = sa.select(Comment.thread_id).where(
        Comment.author_avatar == photo.url, Comment.status == CommentStatus.VISIBLE
    )
    thread_ids = sa.union(mention_threads, comment_threads)
    threads = db.session.scalars(  # in id order, as every writer locks threads: no deadlock
        sa.select(Thread).where(Thread.id.in_(thread_ids)).order_by(Thread.id)
    ).all()
    for thread in threads:
        touch_thread(thread)
    return len(threads)


def shown_avatars(avatars: Iterable[str | None]) -> dict[str, tuple[str, str]]:
    """:func:`stored_versions` of the foreign ones among these comment avatars."""
    return stored_versions({url for url in avatars if url and is_foreign_avatar(url)})


def stored_versions(urls: set[str]) -> dict[str, tuple[str, str]]:
    """``{photo URL: (key, digest)}`` of the photos stored for these URLs (never the bytes)."""
    if not urls:
        return {}
    keys = {photo_key(url): url for url in urls}
    rows = db.session.execute(
        sa.select(Photo.key, Photo.digest).where(Photo.key.in_(keys), Photo.digest.is_not(None))
    )
    return {keys[row.key]: (row.key, row.digest) for row in rows}
