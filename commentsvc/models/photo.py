"""Author photos of mentions, fetched once and served by the service itself.

A reader's browser never loads a mention author's photo from its own host (which would learn
who reads which page); a job fetches it with the safe fetcher, makes a small image of it and
stores it here, keyed by a hash of the photo's URL, however many mentions name it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, utcnow


def photo_key(url: str) -> str:
    """The key of the photo at ``url``: its URL's digest (URLs may be 2,048 characters)."""
    return hashlib.sha256(url.encode()).hexdigest()


class Photo(db.Model):
    __tablename__ = "photo"

    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(2048))
    # The small image readers get; None until a fetch succeeded.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    content_type: Mapped[str | None] = mapped_column(sa.String(40))
    # A digest of ``content``: the ETag, and the version in the photo's URL, so a changed
    # photo gets a new URL while an unchanged one stays cached in readers' browsers.
    digest: Mapped[str | None] = mapped_column(sa.String(16))
    fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last attempt, good or bad: a photo is fetched again a while after it (a refresh, or
    # another try at one that failed), never on every mention that names it.
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failures: Mapped[int] = mapped_column(default=0)  # in a row; a success resets it
    failure_reason: Mapped[str | None] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
