"""A thread: the comments and mentions of one page, keyed by the page's identity."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, utcnow
from commentsvc.models.site import Site
from commentsvc.urls import page_identity


def _identity_default(context: sa.engine.interfaces.ExecutionContext) -> str:
    """Writers that give only the URL (imports, benchmarks) get the identity it implies."""
    return page_identity(context.get_current_parameters()["url"])


class Thread(db.Model):
    __tablename__ = "thread"
    __table_args__ = (sa.UniqueConstraint("site_id", "identity", name="uq_thread_site_identity"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"))
    # The page's link: the first spelling seen, its scheme one of the site's listed origins'.
    url: Mapped[str] = mapped_column(sa.String(2048))
    # What every spelling of the page shares (``commentsvc.urls.page_identity``): the key that
    # finds the thread, whatever form of the page's URL a reader or a sender used.
    identity: Mapped[str] = mapped_column(sa.String(2048), default=_identity_default)
    # The page's own title (fetched from the page by a worker) or an operator's; never a
    # commenter's. ``title_checked_at``: when the page was read or an operator set it; while
    # it is empty the title job has yet to run.
    title: Mapped[str | None] = mapped_column(sa.String(300))
    title_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Visible comments and mentions; kept by the writers so counts need no COUNT(*).
    visible_count: Mapped[int] = mapped_column(default=0)
    # Bumped by every write that changes what readers see: the cache key and the ETag.
    revision: Mapped[int] = mapped_column(default=0)
    # Set by the first vote the rendering does not show yet, cleared by the bump that shows it:
    # votes move scores at once but the revision at most once per VOTE_SHOW_SECONDS.
    scores_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    site: Mapped[Site] = relationship(lazy="joined")
