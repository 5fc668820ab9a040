"""The import job of the operators' page: runs an uploaded file through ``run_import``.

It re-reads its :class:`~commentsvc.models.ImportUpload` row, marks it running, writes the
progress ``run_import`` reports into the row (the page polls it), and ends with the summary or
the reason the file could not be imported. It is enqueued without retries: a failure is shown
to the operator at once, and since imports are idempotent, uploading the file again finishes
the work without doubling anything. A finished row is left alone, so a duplicate job does
nothing; a job lost while the row says queued or running (its heartbeat stopped) is queued
again by the sweep, and resumes where the committed batches end; after
:data:`~commentsvc.services.uploads.MAX_ATTEMPTS` starts that never finished (its worker died
each time) the import is given up and its file deleted.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import sqlalchemy as sa

from commentsvc.errors import Conflict, ImportFileError
from commentsvc.extensions import db
from commentsvc.imports.run import Progress, run_import
from commentsvc.models import ImportState, ImportUpload, Site
from commentsvc.models.base import utcnow
from commentsvc.services.uploads import start_attempt, upload_path
from workers.runtime import job

log = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5
MAX_ERROR = 500


class ProgressRecorder:
    """Writes progress into the upload's row, at most every half second (and at the end).

    An UPDATE in the import's own transaction, which the writer commits with its next batch:
    a second connection would wait on SQLite's write lock the import holds.
    """

    def __init__(self, upload_id: int) -> None:
        self.upload_id = upload_id
        self.last_at = 0.0

    def __call__(self, progress: Progress) -> None:
        now = time.monotonic()
        is_end = progress.total is not None and progress.done >= progress.total
        if now - self.last_at < PROGRESS_EVERY_SECONDS and not is_end:
            return
        self.last_at = now
        values = {
            "bytes_done": progress.done,
            "records_read": progress.records,
            "heartbeat_at": utcnow(),
        }
        if progress.total is not None:
            values["bytes_total"] = progress.total
        db.session.execute(
            sa.update(ImportUpload).where(ImportUpload.id == self.upload_id).values(**values)
        )


def _finish(upload_id: int, state: ImportState, **values: object) -> None:
    db.session.execute(
        sa.update(ImportUpload)
        .where(ImportUpload.id == upload_id)
        .values(state=state, finished_at=utcnow(), **values)
    )
    db.session.commit()


@job
def import_upload(upload_id: int) -> None:
    upload = db.session.get(ImportUpload, upload_id)
    if upload is None or upload.is_finished:
        return
    path = upload_path(upload)
    site = db.session.get(Site, upload.site_id)
    if site is None or not path.is_file():
        _finish(upload_id, ImportState.FAILED, error="The uploaded file is gone: upload it again.")
        return
    is_started = start_attempt(upload)
    kind, is_dry_run = upload.kind, upload.is_dry_run
    url_map = [(old, new) for old, new in upload.url_map]
    db.session.commit()
    if not is_started:
        log.warning("import %s of %s given up: its worker died each time", upload_id, path.name)
        path.unlink(missing_ok=True)
        return
    try:
        summary = run_import(
            kind, path, site, url_map, is_dry_run, progress=ProgressRecorder(upload_id)
        )
    except (ImportFileError, Conflict) as error:  # a bad file, or another import of the site
        db.session.rollback()
        _finish(upload_id, ImportState.FAILED, error=error.detail[:MAX_ERROR])
    except Exception:
        log.exception("import %s of %s failed", upload_id, path.name)
        db.session.rollback()
        _finish(
            upload_id,
            ImportState.FAILED,
            error="The import stopped on an error of ours (it is logged). What was imported "
            "stays: upload the file again to import the rest; nothing is imported twice.",
        )
    else:
        summary_values = dataclasses.asdict(summary)
        _finish(
            upload_id, ImportState.DONE, summary=summary_values, bytes_done=ImportUpload.bytes_total
        )
    path.unlink(missing_ok=True)
