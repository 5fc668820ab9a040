"""Mentions: record what a sender claims, then apply what the worker found.

A pingback, a webmention and a trackback of the same source for the same page are one
mention (unique per site, page and source). Recording only stores the claim and marks a check
pending; the worker (``workers.mentions.verify_mention``) decides, through the functions
below, whether it shows. A claim makes no thread: the page's thread is found or created when
the source is verified, so unchecked (or unreachable) sources leave no rows behind but their
own. Operations flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.models import (
    CommentStatus,
    Mention,
    MentionKind,
    MentionType,
    ModerationMode,
    Site,
    Verification,
)
from commentsvc.models.base import utcnow
from commentsvc.models.mention import Rejection, claim_key
from commentsvc.services.threads import get_or_create_thread, page_key, touch_thread
from commentsvc.urls import normalise_url, page_identity

MAX_REASON = 300


class BadSource(InvalidInput):
    code = "bad-source"
    title = "The source URL is not valid"


class SameSourceAndTarget(BadSource):
    code = "same-source-and-target"


class BadTarget(InvalidInput):
    code = "bad-target"
    title = "The target URL is not valid"


class ForeignTarget(BadTarget):
    code = "foreign-target"
    title = "The target URL is not a page of this site"


@dataclass(frozen=True)
class Claim:
    """A checked request: ``source`` links to ``target`` (both normalised, fragment dropped)."""

    source: str
    target: str
    target_key: str


@dataclass(frozen=True)
class Recorded:
    mention: Mention
    was_verified: bool  # already verified before this request (pingback's 0x0030)


@dataclass(frozen=True)
class Found:
    """What the worker read on a source that links to the target (plain text only)."""

    title: str | None
    excerpt: str | None
    type: str
    author_name: str | None
    author_url: str | None
    author_photo: str | None
    published_at: datetime | None


def check_claim(site: Site, source: str, target: str) -> Claim:
    """Validate a source/target pair as the Webmention spec asks; raise with the reason."""
    if not isinstance(source, str) or not source.strip():
        raise BadSource("The source URL is missing.", field="source")
    if not isinstance(target, str) or not target.strip():
        raise BadTarget("The target URL is missing.", field="target")
    try:
        source_url = normalise_url(source)
    except InvalidInput as error:
        raise BadSource(f"The source is not valid: {error.detail}", field="source") from error
    try:
        target_url = normalise_url(target)
    except InvalidInput as error:
        raise BadTarget(f"The target is not valid: {error.detail}", field="target") from error
    try:
        key = page_key(site, target_url)
    except InvalidInput as error:
        raise ForeignTarget(error.detail, field="target") from error
    if page_identity(source_url) == page_identity(key):
        raise SameSourceAndTarget("The source and the target are the same page.", field="source")
    return Claim(source=source_url, target=target_url, target_key=key)


def record_mention(site: Site, claim: Claim, kind: MentionKind, ip_hash: str | None) -> Recorded:
    """Store the claim (or ask the existing mention to be checked again); flush only.

    A concurrent insert of the same pair loses the race on the unique constraint and
    re-reads the winner, so one source and page never make two mentions.
    """
    key = claim_key(claim.target_key, claim.source)
    query = sa.select(Mention).where(Mention.site_id == site.id, Mention.claim_key == key)
    mention = db.session.scalar(query)
    if mention is None:
        mention = Mention(
            site_id=site.id,
            source=claim.source,
            target=claim.target,  # as sent: what the source must link to
            claim_key=key,
            kind=kind,
            verification=Verification.QUEUED,
            status=CommentStatus.PENDING,
            is_check_pending=True,
            next_attempt_at=utcnow(),
            ip_hash=ip_hash,
        )
        try:
            with db.session.begin_nested():
                db.session.add(mention)
            return Recorded(mention=mention, was_verified=False)
        except sa.exc.IntegrityError:
            mention = db.session.scalars(query).one()
    was_verified = mention.verification == Verification.VERIFIED
    request_check(mention)
    return Recorded(mention=mention, was_verified=was_verified)


def request_check(mention: Mention) -> None:
    """Mark a (re-)check wanted; what the thread shows stays until the worker decides.

    ``check_seq`` is bumped in SQL (not read-modify-write), so a check already running
    learns of this request when it tries to end (:func:`end_check`). A check already waiting
    out a retry's back-off keeps its due time: its job absorbs this request.
    """
    now = utcnow()
    if not mention.is_check_pending or mention.next_attempt_at is None:
        mention.next_attempt_at = now
    mention.is_check_pending = True
    mention.check_seq = Mention.check_seq + 1
    mention.attempts = 0
    mention.updated_at = now
    db.session.flush()


def end_check(mention: Mention, seen_seq: int) -> bool:
    """End the check that started at ``seen_seq``; flush only.

    False (nothing cleared) when a new check was requested meanwhile: the caller rolls back
    what it found, which described the source as it was before, and checks again.
    """
    db.session.flush()
    result = db.session.execute(
        sa.update(Mention)
        .where(Mention.id == mention.id, Mention.check_seq == seen_seq)
        .values(is_check_pending=False)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(mention, ["is_check_pending"])
    return result.rowcount == 1


def _finish(mention: Mention) -> None:
    mention.attempts += 1
    mention.updated_at = utcnow()


def mark_verified(mention: Mention, found: Found) -> None:
    """The source links to the target: store what it says and show it per site policy."""
    is_first = mention.verified_at is None
    mention.verification = Verification.VERIFIED
    mention.rejection_reason = None
    mention.rejection_code = None
    mention.title = found.title
    mention.excerpt = found.excerpt
    mention.type = MentionType(found.type)
    mention.author_name = found.author_name
    mention.author_url = found.author_url
    mention.author_photo = found.author_photo
    mention.published_at = found.published_at
    mention.verified_at = utcnow()
    if mention.thread is None:
        mention.thread = get_or_create_thread(mention.site, mention.target)
    if is_first and mention.status == CommentStatus.PENDING:
        site = mention.site
        if site.moderation == ModerationMode.ALL:
            mention.held_reason = "the site moderates every response"
        else:
            mention.status = CommentStatus.VISIBLE
    _finish(mention)
    touch_thread(mention.thread)


def mark_rejected(mention: Mention, code: Rejection, reason: str) -> None:
    """The source does not (or no longer) link to the target, or cannot be fetched.

    A mention that was shown and loses its link (or answers 410) becomes ``gone``: it
    leaves the thread but keeps its row, so a later re-send brings it back.
    """
    was_verified = mention.verification == Verification.VERIFIED
    if code == Rejection.GONE or was_verified:
        mention.verification = Verification.GONE
    else:
        mention.verification = Verification.REJECTED
    mention.rejection_code = code.value
    mention.rejection_reason = reason[:MAX_REASON]
    _finish(mention)
    if was_verified:
        touch_thread(mention.thread)


def mark_attempt_failed(mention: Mention, reason: str, retry_in: float) -> None:
    """A failed attempt: count it and keep the check pending, due again in ``retry_in`` s
    (the queue's back-off for this attempt, which the sweep must not mistake for a loss)."""
    now = utcnow()
    mention.attempts += 1
    mention.rejection_reason = reason[:MAX_REASON]
    mention.updated_at = now
    mention.next_attempt_at = now + timedelta(seconds=retry_in)


def overdue_checks(due_before: datetime, limit: int = 500) -> list[int]:
    """Ids of pending checks whose next attempt was due before ``due_before`` and never ran:
    their job was lost (a flushed Redis, a dead worker or process), not waiting."""
    return list(
        db.session.scalars(
            sa.select(Mention.id)
            .where(
                Mention.is_check_pending.is_(True),
                sa.or_(Mention.next_attempt_at < due_before, Mention.next_attempt_at.is_(None)),
            )
            .order_by(Mention.next_attempt_at)
            .limit(limit)
        )
    )
