"""An import an operator uploaded on the "Sites" page, and how far its job has got.

The row is recorded and committed before the job is enqueued (the job re-reads it); the job
writes its progress and, at the end, the summary or the reason it failed, so the page polls
the database, whether the job runs on RQ or in the web process, and the outcome outlives both.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from commentsvc.extensions import db
from commentsvc.models.base import UTCDateTime, str_enum, utcnow


class ImportState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the file cannot be imported (``error`` says why), or the job gave up


class ImportUpload(db.Model):
    __tablename__ = "import_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(sa.ForeignKey("site.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))  # wordpress, disqus, isso, json
    filename: Mapped[str] = mapped_column(sa.String(255))  # as uploaded, for people to read
    # Under the instance folder's imports/, named by the service (never by the uploader).
    stored_name: Mapped[str] = mapped_column(sa.String(100))
    # Chosen on the page with the file, and kept here because the job (and the sweep that
    # queues a lost one again) knows the upload by its id only: [old prefix, new prefix] pairs
    # for the page URLs, and whether the import only reports what it would do.
    url_map: Mapped[list[list[str]]] = mapped_column(sa.JSON, default=list)
    is_dry_run: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    state: Mapped[ImportState] = mapped_column(str_enum(ImportState), default=ImportState.QUEUED)
    bytes_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bytes_done: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    records_read: Mapped[int] = mapped_column(default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Written with each batch's progress: a running import whose heartbeat stopped lost its
    # worker, and the sweep queues it again (imports are idempotent).
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many times a job started the import: a file that kills its worker each time (out of
    # memory, a crash in a parser) is given up after a few, not queued again forever.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_finished(self) -> bool:
        return self.state in {ImportState.DONE, ImportState.FAILED}
