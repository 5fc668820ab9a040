"""A site: a set of origins whose pages embed the service, and its policies."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, str_enum, utcnow


class ModerationMode(StrEnum):
    NONE = "none"
    FIRST_TIME = "first-time"
    ALL = "all"


class MentionsDisplay(StrEnum):
    SEPARATE = "separate"
    INLINE = "inline"


class ThreadOrder(StrEnum):
    """The order of a thread's top-level comments (replies stay under their parent)."""

    OLDEST = "oldest"
    NEWEST = "newest"
    TOP = "top"


class Site(db.Model):
    __tablename__ = "site"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    origins: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    moderation: Mapped[ModerationMode] = mapped_column(
        str_enum(ModerationMode), default=ModerationMode.NONE
    )
    is_guest_allowed: Mapped[bool] = mapped_column(default=True)
    edit_window_seconds: Mapped[int] = mapped_column(default=15 * 60)
    max_depth: Mapped[int] = mapped_column(default=6)
    link_limit: Mapped[int] = mapped_column(default=3)
    blocklist: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Sign-in providers offered on this site; an empty list offers every configured one.
    providers: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    mentions_display: Mapped[MentionsDisplay] = mapped_column(
        str_enum(MentionsDisplay), default=MentionsDisplay.SEPARATE
    )
    is_gravatar_enabled: Mapped[bool] = mapped_column(default=False)
    # The order a thread opens in when the reader chose none, and whether readers may vote.
    default_order: Mapped[ThreadOrder] = mapped_column(
        str_enum(ThreadOrder), default=ThreadOrder.OLDEST, server_default=ThreadOrder.OLDEST.value
    )
    is_voting_enabled: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Bumped by every policy change: cached thread renderings include the site's settings.
    revision: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Site {self.name}>"
