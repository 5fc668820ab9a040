"""The verify job: fetch a mention's source, check it links to the target, record what it says.

Idempotent: it re-reads the mention and does nothing unless a check is pending, so a
duplicate, a retry after a crash and the sweep's re-enqueue are all harmless. A check ends
only if no new check was requested while it ran (``check_seq``); otherwise what it found is
dropped and the source is checked again, so a webmention re-sent mid-check is never lost.
Failures raise (the queue retries with back-off) until ``MENTION_MAX_ATTEMPTS``; then the
mention is rejected: unreachable for a transient fetch failure, an internal error for any
other exception (logged with its traceback), so no check stays pending forever. A failed
attempt records when the queue will try again (``next_attempt_at``, from the same schedule
the queue uses), so the sweep leaves a check waiting out its back-off alone.

A verified mention's author photo is recorded with the check and, once committed, fetched by
its own job (``workers.photos``) when due: readers get the service's copy, never the author's
host's.
"""

from __future__ import annotations

import logging

from flask import current_app

from commentsvc.extensions import db
from commentsvc.job_names import Job, fetch_photo_job_id, thread_title_job_id
from commentsvc.jobs import enqueue, retry_schedule
from commentsvc.models import Mention, Photo, Verification
from commentsvc.models.mention import Rejection
from commentsvc.models.photo import photo_key
from commentsvc.services.mentions import (
    Found,
    end_check,
    mark_attempt_failed,
    mark_rejected,
    mark_verified,
)
from commentsvc.services.photos import is_due, want_photo
from commentsvc.services.threads import needs_title
from workers.fetch import FetchPolicy, FetchResult, PermanentFetchError, TransientFetchError, fetch
from workers.metrics import count_verification
from workers.parse import read_document
from workers.runtime import job

log = logging.getLogger(__name__)

# Checks in one job when re-sends keep arriving mid-check; past that the mention stays
# pending and the sweep queues it again (re-sends are rate limited per source host anyway).
MAX_ROUNDS = 5
INTERNAL_ERROR = "internal error while checking"


@job
def verify_mention(mention_id: int) -> str:
    """Check mention ``mention_id``; returns its verification state afterwards."""
    for _ in range(MAX_ROUNDS):
        mention = db.session.get(Mention, mention_id, populate_existing=True)
        if mention is None:
            return "missing"
        if not mention.is_check_pending:
            return mention.verification.value
        seen_seq = mention.check_seq
        try:
            _check(mention)
            is_ended = end_check(mention, seen_seq)
            if is_ended:
                db.session.commit()  # inside the try: a failure to store counts as an attempt
        except TransientFetchError as error:
            return _failed(mention_id, seen_seq, Rejection.UNREACHABLE, error.reason, error)
        except Exception as error:
            log.exception("mention %s: the check failed", mention_id)
            return _failed(mention_id, seen_seq, Rejection.INTERNAL, INTERNAL_ERROR, error)
        if is_ended:
            log.info(
                "mention %s: %s (%s)",
                mention_id,
                mention.verification.value,
                mention.rejection_reason or "linked",
            )
            count_verification(mention)
            photo = _photo_to_fetch(mention)  # read first: an inline title job ends the session
            _ask_for_title(mention)
            if photo is not None:
                enqueue(Job.FETCH_PHOTO, photo, job_id=fetch_photo_job_id(photo))
        else:
            db.session.rollback()  # re-sent while checking: what was found is out of date
            log.info("mention %s: re-sent during its check; checking again", mention_id)
    return "pending"


def _check(mention: Mention) -> None:
    try:
        result = fetch(mention.source, FetchPolicy.from_config(current_app.config))
    except PermanentFetchError as error:
        mark_rejected(mention, Rejection.UNREACHABLE, error.reason)
        return
    _apply(mention, result)


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
        if found.author_photo:
            want_photo(found.author_photo)  # fetched by its own job, served by the service


def _ask_for_title(mention: Mention) -> None:
    """A verified mention may be the first response on a page: its thread needs the page's
    title like one a comment created (committed already, so the job finds the thread)."""
    thread = mention.thread
    if thread is not None and needs_title(thread):
        enqueue(Job.FETCH_THREAD_TITLE, thread.id, job_id=thread_title_job_id(thread.id))


def _photo_to_fetch(mention: Mention) -> str | None:
    """The key of the verified mention's author photo if it is due for a fetch (its row was
    committed with the check)."""
    if mention.verification != Verification.VERIFIED or not mention.author_photo:
        return None
    photo = db.session.get(Photo, photo_key(mention.author_photo))
    return photo.key if photo is not None and is_due(photo) else None


def _failed(mention_id: int, seen_seq: int, code: Rejection, reason: str, error: Exception) -> str:
    """Count a failed attempt and raise for a retry; on the last attempt, end the check."""
    db.session.rollback()  # nothing half-applied survives; start from the stored mention
    mention = db.session.get(Mention, mention_id, populate_existing=True)
    if mention is None:
        return "missing"
    limit = int(current_app.config["MENTION_MAX_ATTEMPTS"])
    if mention.attempts + 1 >= limit and mention.check_seq == seen_seq:
        mark_rejected(mention, code, f"{reason} Gave up after {limit} attempts.")
        if end_check(mention, seen_seq):
            db.session.commit()
            log.info("mention %s: %s (%s)", mention_id, mention.verification.value, reason)
            count_verification(mention)
            return mention.verification.value
        db.session.rollback()
        mention = db.session.get(Mention, mention_id, populate_existing=True)
        if mention is None:
            return "missing"
    mark_attempt_failed(mention, reason, _retry_in(mention.attempts + 1))
    db.session.commit()
    log.info("mention %s: attempt %s failed (%s)", mention_id, mention.attempts, reason)
    raise error


def _retry_in(failed_attempt: int) -> float:
    """Seconds until the queue runs attempt ``failed_attempt + 1`` (1-based), by its schedule.

    Past the schedule's end the queue has given up on the job: the check is due at once and
    the sweep re-queues it after its margin.
    """
    delays = retry_schedule(current_app.config)
    return delays[failed_attempt - 1] if failed_attempt <= len(delays) else 0.0
