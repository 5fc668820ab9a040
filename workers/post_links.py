"""Read one post of a site and queue the sends its change calls for.

The page is fetched through the guarded fetcher, from the site's own origins only (a redirect
elsewhere is refused). A 410 sends to every link the post had (``gone``); a page read sends to
its links when its content changed (``new``/``changed``) and to the links it lost
(``removed-link``); see :mod:`commentsvc.services.feeds`. Record, commit, then enqueue the
sends. A transient failure is recorded and left due for later (the sweep finds it), up to a
few times; it is never retried at once. A page the parsers choke on (nested too deeply, a
malformed URL where one is needed) is a failure of that read, recorded; any other error is
recorded as a transient failure, so it too is tried a few times and then given up.

A read first claims its post (:func:`claim`, committed before the fetch), so two reads of one
post never run at once: a duplicate job, the sweep's rescue of a read still running, or
``mentions send`` racing a worker find it taken and do nothing (else both would see the old
content hash and both queue the same sends).
"""

from __future__ import annotations

import logging

from flask import current_app

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.jobs import retry_schedule
from commentsvc.models import OutboundPost
from commentsvc.services.feeds import (
    claim_scan,
    note_gone,
    note_read,
    note_scan_failure,
    note_scan_retry,
    own_url,
)
from commentsvc.services.outbound import enqueue_sends
from commentsvc.urls import origin_of
from workers.fetch import (
    FEED_READER,
    FetchPolicy,
    PermanentFetchError,
    TransientFetchError,
    fetch,
)
from workers.parse import HTML_TYPES
from workers.post_content import read_post
from workers.runtime import job

log = logging.getLogger(__name__)


def claim(post_id: int) -> OutboundPost | None:
    """The post, taken for this read (committed); None when it is not ours to read."""
    is_ours = claim_scan(post_id)
    db.session.commit()
    if not is_ours:
        return None
    return db.session.get(OutboundPost, post_id, populate_existing=True)


def read_one(post: OutboundPost) -> list[int]:
    """Read the claimed post now and record the outcome (flush only); the ids of the sends
    queued. Used by the job and by ``commentsvc mentions send`` (which reads synchronously).

    An unexpected error rolls the session back (the claim was committed) and is recorded as
    a transient failure of the read."""
    post_id = post.id
    try:
        return _read(post)
    except Exception as error:  # recorded and backed off, never left due
        log.exception("post %s: unexpected error", post_id)
        db.session.rollback()
        failed = db.session.get(OutboundPost, post_id)
        if failed is not None:
            _retry_later(failed, f"Unexpected error reading the post: {type(error).__name__}.")
        return []


def _retry_later(post: OutboundPost, reason: str) -> None:
    delays = retry_schedule(current_app.config)
    delay = delays[min(post.scan_failures, len(delays) - 1)] if delays else 60.0
    note_scan_retry(post, reason, delay)


def _read(post: OutboundPost) -> list[int]:
    site = post.site
    try:
        own_url(site, post.url, "A post")
        result = fetch(post.url, FetchPolicy.from_config(current_app.config, FEED_READER))
        if origin_of(result.url) not in (site.origins or []):
            raise PermanentFetchError(
                f"The post redirected off the site's origins, to {result.url}."
            )
    except InvalidInput as error:
        note_scan_failure(post, error.detail)
        return []
    except PermanentFetchError as error:
        note_scan_failure(post, error.reason)
        return []
    except TransientFetchError as error:
        _retry_later(post, error.reason)
        return []
    max_links = int(current_app.config["OUTBOUND_MAX_LINKS_PER_POST"])
    if result.status == 410:
        return note_gone(post, max_links)
    if result.content_type not in HTML_TYPES:
        note_scan_failure(post, f"The post is {result.content_type}, not an HTML page.")
        return []
    try:
        content = read_post(result.body, result.charset, result.url, site.origins or [], max_links)
    except (RecursionError, ValueError) as error:
        note_scan_failure(post, f"The post's page could not be read: {type(error).__name__}.")
        return []
    if content.malformed:
        log.warning("post %s: %d malformed link(s) skipped", post.url, content.malformed)
    if content.dropped:
        log.warning(
            "post %s links to %d more pages than OUTBOUND_MAX_LINKS_PER_POST; those are not sent",
            post.url,
            content.dropped,
        )
    return note_read(
        post, content.content_hash, content.known, total=content.total, max_links=max_links
    )


@job
def scan_post(post_id: int) -> int:
    """Read a post whose read is due (a duplicate request finds it read, or being read, and
    does nothing)."""
    post = claim(post_id)
    if post is None:
        return 0
    send_ids = read_one(post)
    db.session.commit()
    enqueue_sends(send_ids)
    return len(send_ids)
