"""Watch a site's feeds: a polite conditional GET, then a read of every new or changed post.

A check is due when its feed's ``next_check_at`` has passed (the feed's interval after a
success, doubled per failure in a row up to a day after an error). The sweep enqueues the due
checks (:func:`enqueue_due_work`, every ``SWEEP_INTERVAL_SECONDS``, under the worker's Redis
lock or in the embedded default's web process) along with post reads lost with Redis. A check
records what it found, commits, then enqueues one read per post (``workers.post_links``).
Failures are recorded and backed off here, never retried by the queue: a feed that keeps
failing is asked less often, not more. That holds for any error, expected or not: one that
escaped the check would leave the feed due, fetched again every sweep.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.job_names import Job, check_feed_job_id, scan_post_job_id
from commentsvc.jobs import enqueue
from commentsvc.models import SiteFeed
from commentsvc.models.base import utcnow
from commentsvc.services.feeds import (
    ListedPost,
    due_feed_ids,
    note_entries,
    note_failure,
    note_unchanged,
    overdue_scan_ids,
    own_url,
)
from commentsvc.urls import origin_of
from workers.feed_formats import FeedFormatError, parse_feed
from workers.fetch import FEED_READER, FetchError, FetchPolicy, PermanentFetchError, fetch
from workers.runtime import job

log = logging.getLogger(__name__)

FEED_ACCEPT = (
    "application/feed+json, application/atom+xml, application/rss+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, application/json;q=0.8, text/html;q=0.7"
)


def conditional_headers(feed: SiteFeed) -> dict[str, str]:
    """What the feed's server told us last time, sent back so that it may answer 304."""
    headers = {"Accept": FEED_ACCEPT}
    if feed.etag:
        headers["If-None-Match"] = feed.etag
    if feed.last_modified:
        headers["If-Modified-Since"] = feed.last_modified
    return headers


def enqueue_scans(post_ids: list[int]) -> None:
    """After the commit: one read job per post."""
    for post_id in post_ids:
        enqueue(Job.SCAN_POST, post_id, job_id=scan_post_job_id(post_id), retry_delays=())


def read_feed(feed: SiteFeed) -> list[int]:
    """Fetch and read one feed now, recording the outcome (flush only); the post ids to read.

    Used by the job and by ``commentsvc mentions send`` (which reads synchronously); both
    commit before calling it, since an unexpected error rolls the session back to record
    itself as the feed's failure (backed off like any other)."""
    feed_id = feed.id
    try:
        return _read(feed)
    except Exception as error:  # recorded and backed off, never left due
        log.exception("feed %s: unexpected error", feed_id)
        db.session.rollback()
        failed = db.session.get(SiteFeed, feed_id)
        if failed is not None:
            note_failure(
                failed, f"Unexpected error reading the feed: {type(error).__name__}.", None
            )
        return []


def _read(feed: SiteFeed) -> list[int]:
    try:
        own_url(feed.site, feed.url)
        result = fetch(
            feed.url,
            FetchPolicy.from_config(current_app.config, FEED_READER),
            headers=conditional_headers(feed),
        )
        if origin_of(result.url) not in (feed.site.origins or []):
            raise PermanentFetchError(
                f"The feed redirected off the site's origins, to {result.url}."
            )
        if result.status == 304:
            return note_unchanged(feed)
        if result.status != 200:
            raise PermanentFetchError(
                f"The feed answered HTTP {result.status}.", status=result.status
            )
        parsed = parse_feed(result.body, result.content_type, result.url)
    except InvalidInput as error:
        note_failure(feed, error.detail, None)
        return []
    except FetchError as error:
        log.info("feed %s: %s", feed.url, error.reason)
        note_failure(feed, error.reason, error.status)
        return []
    except FeedFormatError as error:
        note_failure(feed, str(error), 200)
        return []
    if parsed.skipped:
        log.warning("feed %s: %d entries with a malformed link skipped", feed.url, parsed.skipped)
    return note_entries(
        feed,
        [ListedPost(entry.url, entry.fingerprint) for entry in parsed.entries],
        etag=result.headers.get("etag"),
        last_modified=result.headers.get("last-modified"),
    )


@job
def check_feed(feed_id: int) -> int:
    """Check one feed if it is due (a duplicate request finds it checked and does nothing)."""
    feed = db.session.get(SiteFeed, feed_id)
    if feed is None or feed.next_check_at > utcnow():
        return 0
    post_ids = read_feed(feed)
    db.session.commit()
    enqueue_scans(post_ids)
    return len(post_ids)


def enqueue_due_work() -> int:
    """For the sweep: enqueue the due feed checks and the post reads whose job was lost."""
    now = utcnow()
    margin = timedelta(seconds=float(current_app.config["SWEEP_STALE_SECONDS"]))
    feed_ids = due_feed_ids(now)
    post_ids = overdue_scan_ids(now - margin)
    db.session.rollback()  # nothing to write; end the read before jobs start elsewhere
    for feed_id in feed_ids:
        enqueue(Job.CHECK_FEED, feed_id, job_id=check_feed_job_id(feed_id), retry_delays=())
    for post_id in post_ids:
        enqueue(
            Job.SCAN_POST,
            post_id,
            job_id=scan_post_job_id(post_id),
            retry_delays=(),
            is_rescue=True,
        )
    if feed_ids or post_ids:
        log.info("sweep: %d feed check(s), %d lost post read(s)", len(feed_ids), len(post_ids))
    return len(feed_ids) + len(post_ids)
