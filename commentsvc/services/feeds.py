"""A site's feeds and the posts read from them: what to check when, and what to send.

Services flush, never commit; the CLI, the views and the jobs commit, then enqueue. The
sends themselves are A's (:mod:`commentsvc.services.outbound`): this module decides *which*
links a post's change concerns (all it has now, plus those it lost; all of them when its page
is gone) and hands them to :func:`~commentsvc.services.outbound.queue_sends`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from commentsvc.errors import Conflict, InvalidInput, NotFound
from commentsvc.extensions import db
from commentsvc.jobs import JOB_TIMEOUT_SECONDS
from commentsvc.models import Account, OutboundPost, Site, SiteFeed
from commentsvc.models.base import utcnow
from commentsvc.services.moderation import ensure_operates, record_audit
from commentsvc.services.outbound import queue_sends
from commentsvc.services.outbound_hosts import MAX_BACKOFF_SECONDS
from commentsvc.urls import normalise_url, origin_of

MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 7 * 24 * 3600
MAX_FEEDS_PER_SITE = 20
MAX_SCAN_FAILURES = 5
# Links of a post remembered between reads (what was sent to is capped far lower, by
# OUTBOUND_MAX_LINKS_PER_POST): enough for any real post, and a bounded row.
MAX_KNOWN_LINKS = 1000


@dataclass(frozen=True)
class ListedPost:
    """A post as a feed lists it (``workers.feed_formats.FeedEntry`` crosses into here)."""

    url: str
    fingerprint: str


# ---------------------------------------------------------------- feeds


def own_url(site: Site, url: str, what: str = "A feed") -> str:
    """``url`` normalised, if it is on one of the site's origins: we only ever read the site's
    own documents (the fetcher is no open proxy to anyone who can name a feed)."""
    normal = normalise_url(url)
    if origin_of(normal) not in (site.origins or []):
        raise InvalidInput(
            f"{what} must be on one of the site's origins ({', '.join(site.origins)}): {url}"
        )
    return normal


def feeds_of(site: Site) -> list[SiteFeed]:
    return list(
        db.session.scalars(
            sa.select(SiteFeed).where(SiteFeed.site_id == site.id).order_by(SiteFeed.url)
        )
    )


def _check_interval(seconds: int) -> int:
    if not MIN_INTERVAL_SECONDS <= seconds <= MAX_INTERVAL_SECONDS:
        raise InvalidInput(
            f"A feed's interval is {MIN_INTERVAL_SECONDS} to {MAX_INTERVAL_SECONDS} seconds."
        )
    return seconds


def add_feed(
    actor: Account | None, site: Site, url: str, *, interval_seconds: int | None = None
) -> SiteFeed:
    """Watch ``url`` for the site (``actor`` None: the command line). Due at once."""
    if actor is not None:
        ensure_operates(actor, site.id)
    normal = own_url(site, url)
    existing = db.session.scalar(
        sa.select(SiteFeed).where(SiteFeed.site_id == site.id, SiteFeed.url == normal)
    )
    if existing is not None:
        if interval_seconds is not None:
            existing.interval_seconds = _check_interval(interval_seconds)
            db.session.flush()
        return existing
    if len(feeds_of(site)) >= MAX_FEEDS_PER_SITE:
        raise Conflict(f"A site has at most {MAX_FEEDS_PER_SITE} feeds.")
    feed = SiteFeed(site_id=site.id, url=normal, next_check_at=utcnow())
    if interval_seconds is not None:
        feed.interval_seconds = _check_interval(interval_seconds)
    db.session.add(feed)
    db.session.flush()
    if actor is not None:
        record_audit(actor, site.id, "feed-add", "feed", feed.id, None, {"url": normal})
    return feed


def remove_feed(actor: Account | None, site: Site, url: str) -> None:
    """Stop watching ``url``; its posts stay (with their history), no longer checked."""
    if actor is not None:
        ensure_operates(actor, site.id)
    try:
        normal = normalise_url(url)
    except InvalidInput:
        normal = url
    feed = db.session.scalar(
        sa.select(SiteFeed).where(SiteFeed.site_id == site.id, SiteFeed.url == normal)
    )
    if feed is None:
        raise NotFound(f"The site {site.name!r} has no feed {url}.")
    if actor is not None:
        record_audit(actor, site.id, "feed-remove", "feed", feed.id, {"url": feed.url}, None)
    db.session.delete(feed)
    db.session.flush()


def request_pass(site: Site) -> list[int]:
    """Make every feed of the site due now, reading every post it lists; the feeds' ids.

    Raises Conflict for a site without feeds: there is nothing to pass over."""
    feeds = feeds_of(site)
    if not feeds:
        raise Conflict(
            f"The site {site.name!r} has no feed; add one with "
            f"`commentsvc site update {site.name} --feed URL`."
        )
    now = utcnow()
    for feed in feeds:
        feed.next_check_at = now
        feed.is_pass_requested = True
    db.session.flush()
    return [feed.id for feed in feeds]


def due_feed_ids(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(SiteFeed.id)
            .where(SiteFeed.next_check_at <= now)
            .order_by(SiteFeed.next_check_at)
        )
    )


def overdue_scan_ids(before: datetime) -> list[int]:
    """Posts whose scan was recorded but whose job never ran (lost with Redis), or whose
    read died with its worker (claimed longer than a job may run)."""
    return list(
        db.session.scalars(
            sa.select(OutboundPost.id).where(
                OutboundPost.is_scan_due.is_(True),
                OutboundPost.scan_requested_at <= before,
                _unclaimed(utcnow()),
            )
        )
    )


def _unclaimed(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        OutboundPost.scan_claimed_at.is_(None),
        OutboundPost.scan_claimed_at <= now - timedelta(seconds=JOB_TIMEOUT_SECONDS),
    )


def claim_scan(post_id: int) -> bool:
    """Take a due read of the post for the caller, in SQL (a conditional UPDATE, so two
    readers cannot both win); flush only, the caller commits before it fetches. False when
    the read is not due, waits for a retry, or another reader holds it."""
    now = utcnow()
    result = db.session.execute(
        sa.update(OutboundPost)
        .where(
            OutboundPost.id == post_id,
            OutboundPost.is_scan_due.is_(True),
            sa.or_(OutboundPost.scan_requested_at.is_(None), OutboundPost.scan_requested_at <= now),
            _unclaimed(now),
        )
        .values(scan_claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def note_unchanged(feed: SiteFeed) -> list[int]:
    """A 304: nothing to read, unless a pass was asked for (then the ids of the posts to read);
    the next check after the feed's interval."""
    now = utcnow()
    feed.last_checked_at = now
    feed.last_status = 304
    feed.failures = 0
    feed.last_error = None
    feed.next_check_at = now + timedelta(seconds=feed.interval_seconds)
    posts: list[OutboundPost] = []
    if feed.is_pass_requested:
        # The feed is as it was, yet a pass was asked for: pages may have changed alone.
        feed.is_pass_requested = False
        posts = list(db.session.scalars(_listed(feed)))
        _request_scans(posts, is_forced=False)
    db.session.flush()
    return [post.id for post in posts]


def note_failure(feed: SiteFeed, reason: str, status: int | None) -> None:
    """Back off: the interval doubles with each failure in a row, up to a day."""
    now = utcnow()
    feed.failures += 1
    feed.last_checked_at = now
    feed.last_status = status
    feed.last_error = reason[:500]
    delay = min(feed.interval_seconds * 2 ** min(feed.failures, 16), MAX_BACKOFF_SECONDS)
    feed.next_check_at = now + timedelta(seconds=max(delay, feed.interval_seconds))
    db.session.flush()


def _listed(feed: SiteFeed) -> sa.Select:
    return sa.select(OutboundPost).where(
        OutboundPost.feed_id == feed.id, OutboundPost.is_listed.is_(True)
    )


def _request_scans(posts: Iterable[OutboundPost], *, is_forced: bool) -> None:
    now = utcnow()
    for post in posts:
        post.is_scan_due = True
        post.is_scan_forced = post.is_scan_forced or is_forced
        post.scan_requested_at = now


def note_entries(
    feed: SiteFeed, listed: Sequence[ListedPost], *, etag: str | None, last_modified: str | None
) -> list[int]:
    """A feed read: record its posts, ask for a read of the new and changed ones (all of them
    on a requested pass) and of those it no longer lists (a 410 there is a deletion).

    Returns the ids of the posts to scan. Entries off the site's origins are ignored.
    """
    now = utcnow()
    site = feed.site
    known = {
        post.url: post
        for post in db.session.scalars(
            sa.select(OutboundPost).where(OutboundPost.site_id == site.id)
        )
    }
    to_scan: list[OutboundPost] = []
    seen: set[str] = set()
    for entry in listed:
        try:
            url = own_url(site, entry.url, "A post")
        except InvalidInput:
            continue
        seen.add(url)
        post = known.get(url)
        if post is None:
            post = OutboundPost(site_id=site.id, url=url, links=[], is_scan_due=False)
            db.session.add(post)
            known[url] = post
        is_changed = post.entry_hash != entry.fingerprint or not post.is_listed
        post.feed_id, post.entry_hash, post.is_listed, post.last_seen_at = (
            feed.id, entry.fingerprint, True, now,
        )  # fmt: skip
        if is_changed or feed.is_pass_requested:
            to_scan.append(post)
    dropped = [
        post for post in known.values()
        if post.feed_id == feed.id and post.is_listed and post.url not in seen and post.id
    ]  # fmt: skip
    for post in dropped:
        post.is_listed = False
    _request_scans([*to_scan, *dropped], is_forced=False)
    # An over-long validator is dropped, not cut: a cut one would never match (no 304s).
    columns = SiteFeed.__table__.c
    feed.etag = _fits(etag, columns.etag.type.length)
    feed.last_modified = _fits(last_modified, columns.last_modified.type.length)
    feed.last_checked_at, feed.last_status, feed.failures, feed.last_error = now, 200, 0, None
    feed.next_check_at = now + timedelta(seconds=feed.interval_seconds)
    feed.is_pass_requested = False
    db.session.flush()
    return [post.id for post in [*to_scan, *dropped]]


def _fits(value: str | None, length: int) -> str | None:
    return value if value is not None and len(value) <= length else None


# ---------------------------------------------------------------- posts


def post_for_scan(site: Site, url: str) -> OutboundPost:
    """The post at ``url`` (created if no feed listed it yet), due for a forced read: an
    explicit request sends to every link it has even if nothing changed."""
    normal = own_url(site, url, "A post")
    post = db.session.scalar(
        sa.select(OutboundPost).where(OutboundPost.site_id == site.id, OutboundPost.url == normal)
    )
    if post is None:
        post = OutboundPost(site_id=site.id, url=normal, links=[])
        db.session.add(post)
    post.is_gone = False
    _request_scans([post], is_forced=True)
    db.session.flush()
    return post


def _keys(links: Iterable[str]) -> set[str]:
    """One spelling per page (host case, default ports), as the sends tell targets apart."""
    keys = set()
    for link in links:
        try:
            keys.add(normalise_url(link))
        except InvalidInput:
            keys.add(link)
    return keys


def note_read(
    post: OutboundPost, content_hash: str, links: Sequence[str], *, total: int, max_links: int
) -> list[int]:
    """The post's page was read: queue sends for its links if it is new or changed (or the
    read was forced), and for the links it lost. Returns the new send ids.

    ``links`` are all of the post's links in document order (up to :data:`MAX_KNOWN_LINKS`;
    ``total`` counts them all); the first ``max_links`` are sent to. A link is lost when it
    is in none of the current links, however far down; when the post has more links than are
    remembered, nothing is taken for lost (it may be past the bound)."""
    site = post.site
    known = list(links[:MAX_KNOWN_LINKS])
    is_new = post.content_hash is None
    is_changed = post.content_hash != content_hash
    ids: list[int] = []
    if is_changed or post.is_scan_forced:
        reason = "new" if is_new else "changed"
        ids += queue_sends(site, post.url, known[:max_links], reason=reason)
        current = _keys(known)
        lost = [link for link in post.links or [] if not _keys([link]) & current]
        if lost and total <= len(known):
            ids += queue_sends(site, post.url, lost[:max_links], reason="removed-link")
    post.content_hash, post.links = content_hash, known
    post.dropped_links = max(0, total - max_links)
    post.is_gone = False
    _scanned(post, None)
    return ids


def note_gone(post: OutboundPost, max_links: int) -> list[int]:
    """The post's page answered 410: the links it had (the first ``max_links``) learn of
    it, once."""
    ids: list[int] = []
    if not post.is_gone and post.links:
        ids = queue_sends(post.site, post.url, list(post.links)[:max_links], reason="gone")
    post.is_gone = True
    _scanned(post, None)
    return ids


def note_scan_failure(post: OutboundPost, reason: str) -> None:
    """A read that will not succeed by trying again (refused, 404, not HTML)."""
    _scanned(post, reason[:500])


def note_scan_retry(post: OutboundPost, reason: str, delay_seconds: float) -> bool:
    """A read that may succeed later (timeout, 5xx): due again after ``delay_seconds`` (the
    sweep finds it then), given up after :data:`MAX_SCAN_FAILURES` in a row. Returns whether
    it stays due."""
    post.scan_failures += 1
    if post.scan_failures >= MAX_SCAN_FAILURES:
        _scanned(post, f"{reason[:400]} (gave up after {post.scan_failures} attempts)")
        return False
    post.last_error = reason[:500]
    post.scan_requested_at = utcnow() + timedelta(seconds=delay_seconds)
    post.scan_claimed_at = None
    db.session.flush()
    return True


def _scanned(post: OutboundPost, error: str | None) -> None:
    """The read is done. A read asked for while this one ran (a feed check, ``mentions
    send``: their jobs found the post taken) stays due, decided in SQL against the row as it
    is now, and the sweep runs it."""
    claimed = post.scan_claimed_at
    if claimed is None:
        post.is_scan_due = False
        post.is_scan_forced = False
    else:
        asked_meanwhile = OutboundPost.scan_requested_at > claimed
        post.is_scan_due = sa.case((asked_meanwhile, True), else_=False)
        post.is_scan_forced = sa.case((asked_meanwhile, OutboundPost.is_scan_forced), else_=False)
    post.scan_claimed_at = None
    post.scan_failures = 0
    post.scanned_at = utcnow()
    post.last_error = error
    db.session.flush()


def posts_of(site: Site, limit: int = 200) -> list[OutboundPost]:
    return list(
        db.session.scalars(
            sa.select(OutboundPost)
            .where(OutboundPost.site_id == site.id)
            .order_by(OutboundPost.last_seen_at.desc(), OutboundPost.id.desc())
            .limit(limit)
        )
    )
