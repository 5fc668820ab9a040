"""Mentions: pingbacks, webmentions and trackbacks of a page, verified by a worker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, str_enum, utcnow
from commentsvc.models.comment import CommentStatus
from commentsvc.models.thread import Thread


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


class Mention(db.Model):
    __tablename__ = "mention"
    # One response per source and page, however it arrived and however often.
    __table_args__ = (
        sa.UniqueConstraint("thread_id", "source", name="uq_mention_thread_source"),
        sa.Index("ix_mention_verification", "verification", "updated_at"),
        # The sweep's query: checks asked for and not yet done, oldest first.
        sa.Index("ix_mention_check", "is_check_pending", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("thread.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(2048))
    # The target as the sender gave it (the thread holds the normalised one).
    target: Mapped[str] = mapped_column(sa.String(2048))
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
    ip_hash: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[Thread] = relationship()
