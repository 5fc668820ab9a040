"""Mentions: pingbacks, webmentions and trackbacks of a page, verified by a worker."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, str_enum, utcnow
from commentsvc.models.comment import CommentStatus
from commentsvc.models.site import Site
from commentsvc.models.thread import Thread
from commentsvc.urls import page_identity


class MentionKind(StrEnum):
    """How it arrived."""

    PINGBACK = "pingback"
    WEBMENTION = "webmention"
    TRACKBACK = "trackback"


class MentionType(StrEnum):
    """What the source page is, from its microformats."""

    REPLY = "reply"
    LIKE = "like"
    REPOST = "repost"
    MENTION = "mention"


class Verification(StrEnum):
    """Where the worker is with it; moderation status is separate (``status``)."""

    QUEUED = "queued"
    VERIFIED = "verified"
    REJECTED = "rejected"  # the source does not link to the target, or cannot be fetched
    GONE = "gone"  # the source answered 410, or dropped the link on re-verification


class Rejection(StrEnum):
    """Why a check did not verify a mention."""

    UNREACHABLE = "unreachable"  # no usable answer from the source (refused, 4xx, timeouts)
    NO_LINK = "no-link"  # the source was read and does not link to the target
    GONE = "gone"  # the source answered 410 or says so in a meta tag
    INTERNAL = "internal-error"  # the check itself failed on every attempt (a bug, logged)


def claim_key(target: str, source: str) -> str:
    """What makes a mention one: its page (by identity, so every spelling of the page is one)
    and its source (a digest: both URLs may be 2,048 characters, more than PostgreSQL indexes
    in one row)."""
    return hashlib.sha256(f"{page_identity(target)}\n{source}".encode()).hexdigest()


def _claim_key_default(context: sa.engine.interfaces.ExecutionContext) -> str:
    row = context.get_current_parameters()
    return claim_key(row["target"], row["source"])


class Mention(db.Model):
    __tablename__ = "mention"
    __table_args__ = (
        # One response per source and page, however it arrived and however often.
        sa.UniqueConstraint("site_id", "claim_key", name="uq_mention_site_claim"),
        sa.Index("ix_mention_thread", "thread_id"),
        sa.Index("ix_mention_verification", "verification", "updated_at"),
        # The sweep's query: checks asked for and not done, whose attempt is overdue.
        sa.Index("ix_mention_check", "is_check_pending", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    # None until the source is verified: a claim nobody checked makes no thread. The worker
    # finds or creates the thread of ``target`` when it verifies the mention.
    thread_id: Mapped[int | None] = mapped_column(sa.ForeignKey("thread.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(2048))
    # The page, normalised: the key of its thread (found or created once verified).
    target: Mapped[str] = mapped_column(sa.String(2048))
    claim_key: Mapped[str] = mapped_column(sa.String(64), default=_claim_key_default)
    kind: Mapped[MentionKind] = mapped_column(str_enum(MentionKind))
    type: Mapped[MentionType] = mapped_column(str_enum(MentionType), default=MentionType.MENTION)
    verification: Mapped[Verification] = mapped_column(
        str_enum(Verification), default=Verification.QUEUED
    )
    status: Mapped[CommentStatus] = mapped_column(
        str_enum(CommentStatus), default=CommentStatus.PENDING, index=True
    )
    rejection_reason: Mapped[str | None] = mapped_column(sa.String(300))
    # Stable reason code for machines (pingback faults, the status URL): see Rejection.
    rejection_code: Mapped[str | None] = mapped_column(sa.String(20))
    held_reason: Mapped[str | None] = mapped_column(sa.String(200))
    title: Mapped[str | None] = mapped_column(sa.String(300))
    excerpt: Mapped[str | None] = mapped_column(sa.Text)
    author_name: Mapped[str | None] = mapped_column(sa.String(200))
    author_url: Mapped[str | None] = mapped_column(sa.String(2048))
    author_photo: Mapped[str | None] = mapped_column(sa.String(2048))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A sender asked for a (re-)check the worker has not finished; the verification result
    # above stays as it was meanwhile, so a re-sent webmention never hides a shown response.
    is_check_pending: Mapped[bool] = mapped_column(default=True)
    # Bumped by every request for a check: a check ends (clears is_check_pending) only if no
    # new request came while it ran, so a webmention re-sent mid-check is checked again.
    check_seq: Mapped[int] = mapped_column(default=1, server_default="1")
    attempts: Mapped[int] = mapped_column(default=0)
    # When the pending check's next attempt is due: at once when asked for, later when an
    # attempt failed and waits out its back-off. The sweep re-queues only overdue checks, so
    # a job waiting for its retry is never taken for lost.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()
    thread: Mapped[Thread | None] = relationship()
