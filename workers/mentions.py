"""The verify job: fetch a mention's source, check it links to the target, record what it says.

Idempotent: it re-reads the mention and does nothing unless a check is pending, so a
duplicate, a retry after a crash and the sweep's re-enqueue are all harmless. Transient
failures raise (the queue retries with back-off) until ``MENTION_MAX_ATTEMPTS``; then the
mention is rejected as unreachable.
"""

from __future__ import annotations

import logging

from flask import current_app

from commentsvc.extensions import db
from commentsvc.models import Mention
from commentsvc.models.mention import Rejection
from commentsvc.services.mentions import (
    Found,
    mark_attempt_failed,
    mark_rejected,
    mark_verified,
)
from workers.fetch import FetchPolicy, FetchResult, PermanentFetchError, TransientFetchError, fetch
from workers.parse import read_document
from workers.runtime import job

log = logging.getLogger(__name__)


@job
def verify_mention(mention_id: int) -> str:
    """Check mention ``mention_id``; returns its verification state afterwards."""
    mention = db.session.get(Mention, mention_id)
    if mention is None:
        return "missing"
    if not mention.is_check_pending:
        return mention.verification.value
    try:
        result = fetch(mention.source, FetchPolicy.from_config(current_app.config))
    except TransientFetchError as error:
        return _transient(mention, error.reason)
    except PermanentFetchError as error:
        mark_rejected(mention, Rejection.UNREACHABLE, error.reason)
        db.session.commit()
        return mention.verification.value
    _apply(mention, result)
    db.session.commit()
    log.info("mention %s: %s", mention_id, mention.verification.value)
    return mention.verification.value


def _apply(mention: Mention, result: FetchResult) -> None:
    if result.status == 410:
        mark_rejected(mention, Rejection.GONE, "The source answered 410 Gone.")
        return
    reading = read_document(
        result.body, result.content_type, result.charset, result.url, mention.target
    )
    if reading.is_gone:
        mark_rejected(mention, Rejection.GONE, "The source marks itself as gone (410).")
    elif not reading.has_link:
        cut = f" in its first {len(result.body)} bytes" if result.is_truncated else ""
        mark_rejected(mention, Rejection.NO_LINK, f"The source does not link to the target{cut}.")
    else:
        author = reading.author
        found = Found(
            title=reading.title,
            excerpt=reading.excerpt,
            type=reading.type,
            author_name=author.name if author else None,
            author_url=author.url if author else None,
            author_photo=author.photo if author else None,
            published_at=reading.published_at,
        )
        mark_verified(mention, found)


def _transient(mention: Mention, reason: str) -> str:
    limit = int(current_app.config["MENTION_MAX_ATTEMPTS"])
    if mention.attempts + 1 >= limit:
        mark_rejected(mention, Rejection.UNREACHABLE, f"{reason} Gave up after {limit} attempts.")
        db.session.commit()
        return mention.verification.value
    mark_attempt_failed(mention, reason)
    db.session.commit()
    raise TransientFetchError(reason)
