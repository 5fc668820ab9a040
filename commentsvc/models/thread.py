"""A thread: the comments and mentions of one page, keyed by its normalised URL."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, utcnow
from commentsvc.models.site import Site


class Thread(db.Model):
    __tablename__ = "thread"
    __table_args__ = (sa.UniqueConstraint("site_id", "url", name="uq_thread_site_url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(sa.String(2048))
    # The page's own title (fetched from the page by a worker) or an operator's; never a
    # commenter's. ``title_checked_at``: when the page was read or an operator set it; while
    # it is empty the title job has yet to run.
    title: Mapped[str | None] = mapped_column(sa.String(300))
    title_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Visible comments and mentions; kept by the writers so counts need no COUNT(*).
    visible_count: Mapped[int] = mapped_column(default=0)
    # Bumped by every write that changes what readers see: the cache key and the ETag.
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship(lazy="joined")
