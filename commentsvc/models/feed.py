"""What a site publishes: the feeds workers watch, and the posts read from them.

A :class:`SiteFeed` is fetched politely (conditional GET, a per-feed interval, back-off on
errors). Each post it lists becomes an :class:`OutboundPost` that remembers the links its
content had the last time it was read, so that a change sends to the links it has and to the
links it lost, and a deletion (410) to all of them. ``is_scan_due`` is the recorded work of a
post scan: set and committed before the job is enqueued, cleared by the job, found again by
the sweep when the job was lost. ``scan_claimed_at`` makes a read exclusive: a duplicate job,
a rescue or ``mentions send`` racing a worker finds the post taken and does nothing.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, utcnow
from commentsvc.models.site import Site

DEFAULT_FEED_INTERVAL_SECONDS = 3600


class SiteFeed(db.Model):
    __tablename__ = "site_feed"
    __table_args__ = (sa.UniqueConstraint("site_id", "url", name="uq_site_feed_site_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2048))
    etag: Mapped[str | None] = mapped_column(sa.String(512))
    last_modified: Mapped[str | None] = mapped_column(sa.String(128))
    interval_seconds: Mapped[int] = mapped_column(default=DEFAULT_FEED_INTERVAL_SECONDS)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A pass asked for (CLI, API, operators' page): the next check reads every listed post.
    is_pass_requested: Mapped[bool] = mapped_column(default=False)
    failures: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    last_status: Mapped[int | None] = mapped_column()
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # ``Site.feeds`` (read-only: feeds change through commentsvc.services.feeds).
    site: Mapped[Site] = relationship(
        backref=backref("feeds", order_by="SiteFeed.url", viewonly=True)
    )

    def __repr__(self) -> str:
        return f"<SiteFeed {self.url}>"


class OutboundPost(db.Model):
    __tablename__ = "outbound_post"
    __table_args__ = (sa.UniqueConstraint("site_id", "url", name="uq_outbound_post_site_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    feed_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("site_feed.id", ondelete="SET NULL"), index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2048))
    # What the feed said of the post (link, dates, content): a change asks for a new read.
    entry_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Of the content read from the post's page; None until it was first read.
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # Every link of the last read (up to MAX_KNOWN_LINKS), not only those sent to: a link is
    # lost when it leaves this list, not when it slips past OUTBOUND_MAX_LINKS_PER_POST.
    links: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    dropped_links: Mapped[int] = mapped_column(default=0)  # beyond OUTBOUND_MAX_LINKS_PER_POST
    is_listed: Mapped[bool] = mapped_column(default=True)  # in its feed at the last check
    is_gone: Mapped[bool] = mapped_column(default=False)  # its page answered 410
    is_scan_due: Mapped[bool] = mapped_column(default=True, index=True)
    is_scan_forced: Mapped[bool] = mapped_column(default=False)  # send even if unchanged
    scan_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow)
    # When a read took the post (committed before it fetches): one read of a post at a time.
    scan_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scan_failures: Mapped[int] = mapped_column(default=0)  # transient failures in a row
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    scanned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site] = relationship()

    def __repr__(self) -> str:
        return f"<OutboundPost {self.url}>"


class SiteToken(db.Model):
    """The one token a site's build scripts use to ask for a pass; only its digest is kept."""

    __tablename__ = "site_token"

    site_id: Mapped[int] = mapped_column(
        sa.ForeignKey("site.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
