"""What each import brought in: an item's source and id mapped to the row it became.

This is what makes an import idempotent and resumable: a re-run finds every item already
recorded here and adds nothing twice. ``parent_key`` remembers a reply whose parent had not
arrived yet, so the writer can link it when the parent comes (in this run or a resumed one).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, utcnow

MAX_KEY_LENGTH = 255


class ImportedItem(db.Model):
    __tablename__ = "imported_item"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "source", "kind", "key", name="uq_imported_item_key"),
        sa.Index("ix_imported_item_waiting", "site_id", "source", "parent_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(16))  # wordpress, disqus, isso, json
    kind: Mapped[str] = mapped_column(sa.String(16))  # thread, comment, mention
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    # The thread, comment or mention it became; no foreign key, since it names one of three
    # tables. A row deleted later stays "imported": a re-run must not bring it back.
    object_id: Mapped[int] = mapped_column()
    parent_key: Mapped[str | None] = mapped_column(sa.String(MAX_KEY_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
