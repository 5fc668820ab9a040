"""Outbound mentions: one row per webmention or pingback this service sends for a site.

A row is one send for one (post, target, change): it is recorded (``queued``) and committed
before its job is enqueued, and the job re-reads it, so a lost queue loses no send and a
repeated job sends nothing twice. ``next_attempt_at`` is when a queued send is due (at once,
after a retry's back-off, or after a host's back-off); the sweep re-enqueues the overdue.
:class:`OutboundHost` remembers how a receiving host behaves (failures, back-off) and whether
an operator stopped sending to it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, str_enum, utcnow
from commentsvc.models.site import Site


class SendReason(StrEnum):
    """Why the send was queued."""

    NEW = "new"  # a new post links to the target
    CHANGED = "changed"  # the post changed and still links to it
    REMOVED_LINK = "removed-link"  # the post changed and no longer links to it
    GONE = "gone"  # the post was deleted (410)


class SendProtocol(StrEnum):
    WEBMENTION = "webmention"
    PINGBACK = "pingback"
    NONE = "none"  # not discovered yet, or the target advertises neither


class SendState(StrEnum):
    QUEUED = "queued"  # waiting for (another) attempt
    SENT = "sent"  # the receiver accepted it (2xx; pingback: a result or fault 0x0030)
    FAILED = "failed"  # the receiver or the target page refused, or we gave up retrying
    REFUSED = "refused"  # the fetcher refused an address, or an operator stopped the host
    NO_ENDPOINT = "no-endpoint"  # the target advertises neither webmention nor pingback


class OutboundSend(db.Model):
    __tablename__ = "outbound_send"
    __table_args__ = (
        sa.Index("ix_outbound_send_post", "site_id", "post_url"),
        # The sweep's query: queued sends whose attempt is overdue.
        sa.Index("ix_outbound_send_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    post_url: Mapped[str] = mapped_column(sa.String(2048))  # the source
    target_url: Mapped[str] = mapped_column(sa.String(2048))
    reason: Mapped[SendReason] = mapped_column(str_enum(SendReason))
    protocol: Mapped[SendProtocol] = mapped_column(
        str_enum(SendProtocol), default=SendProtocol.NONE
    )
    endpoint: Mapped[str | None] = mapped_column(sa.String(2048))
    state: Mapped[SendState] = mapped_column(str_enum(SendState), default=SendState.QUEUED)
    http_status: Mapped[int | None] = mapped_column()
    status_url: Mapped[str | None] = mapped_column(sa.String(2048))  # the receiver's Location
    detail: Mapped[str | None] = mapped_column(sa.String(300))  # a short reason, no secrets
    attempts: Mapped[int] = mapped_column(default=0)  # attempts made (a postponement is none)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()

    def __repr__(self) -> str:
        return f"<OutboundSend {self.id} {self.target_url} {self.state.value}>"


class OutboundHost(db.Model):
    """A receiving host, across sites: its failures and back-off, and the operators' stop.

    Back-off protects the host (and us) whichever site links to it. A stop is per site (an
    operator decides for the sites they run, not for everyone's), so it is a row of
    :class:`OutboundHostStop`, not a flag here.
    """

    __tablename__ = "outbound_host"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(sa.String(255), unique=True)
    failures: Mapped[int] = mapped_column(default=0)  # consecutive, reset by a success
    backoff_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboundHostStop(db.Model):
    """An operator's "stop sending to this host" for one site (deleted to resume)."""

    __tablename__ = "outbound_host_stop"
    __table_args__ = (sa.UniqueConstraint("site_id", "host", name="uq_outbound_host_stop"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"))
    host: Mapped[str] = mapped_column(sa.String(255))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
