"""Imports uploaded by operators: the file kept under the instance folder, the row its job reads.

:func:`record_upload` saves the file and records the import (flush, never commit); the view
commits, then enqueues ``Job.IMPORT_UPLOAD``, whose worker runs
:func:`commentsvc.imports.run.run_import` on the saved file. With RQ workers on other machines
the instance folder must be shared with them (``COMMENTSVC_INSTANCE_PATH``).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from flask import current_app

from commentsvc.errors import InvalidInput
from commentsvc.extensions import db
from commentsvc.imports.run import KINDS, parse_url_map
from commentsvc.job_names import Job, import_upload_job_id
from commentsvc.jobs import enqueue
from commentsvc.models import Account, ImportState, ImportUpload, Site
from commentsvc.models.base import utcnow
from commentsvc.services.moderation import ensure_operates, record_audit

UPLOAD_FOLDER = "imports"
# An import runs as long as its file needs (100,000 comments take well under a minute; the
# limit is for files far larger, on slow disks): RQ's usual job limit would kill it half-way.
IMPORT_TIMEOUT_SECONDS = 6 * 3600
HEARTBEAT_STALE_SECONDS = 600
# Starts of an import's job in all: one whose worker dies each time (a file that exhausts its
# memory or crashes a parser) is left running, and the sweep would queue it again forever.
MAX_ATTEMPTS = 3
MAX_FILENAME = 255
MAX_URL_MAP_LINES = 50
MAX_URL_MAP_LINE = 1000
COPY_CHUNK = 1024 * 1024
SQLITE_MAGIC = b"SQLite format 3\x00"
KIND_NAMES = {
    "wordpress": "a WordPress export (WXR, XML)",
    "disqus": "a Disqus export (XML)",
    "isso": "an Isso database (SQLite)",
    "json": "a commentsvc export (JSON)",
}


def upload_folder() -> Path:
    folder = Path(current_app.instance_path) / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def upload_path(upload: ImportUpload) -> Path:
    return upload_folder() / upload.stored_name


def _looks_like(kind: str, head: bytes) -> bool:
    """A first look at the file's start: enough to turn a wrong choice away at once."""
    if kind == "isso":
        return head.startswith(SQLITE_MAGIC)
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return text.startswith(b"{") if kind == "json" else text.startswith(b"<")


def _copy(source: IO[bytes], target: Path) -> tuple[int, bytes]:
    """Copy in chunks (never the whole file in memory); the size and the first bytes."""
    size, head = 0, b""
    with target.open("wb") as out:
        while chunk := source.read(COPY_CHUNK):
            if not head:
                head = chunk[:64]
            out.write(chunk)
            size += len(chunk)
    return size, head


def _display_name(filename: str) -> str:
    """The uploaded file's own name, for people: no folders, no control characters (nor NUL,
    which PostgreSQL refuses in text)."""
    name = "".join(char for char in Path(filename or "").name if char.isprintable()).strip()
    return (name or "upload")[:MAX_FILENAME]


def parse_url_map_text(text: str) -> list[tuple[str, str]]:
    """The page's "old address = new address" box: one ``OLD=NEW`` pair a line, blank lines
    ignored; a bad line is refused naming its number (the box may hold many)."""
    lines = [(number, line) for number, line in enumerate(text.splitlines(), 1) if line.strip()]
    if len(lines) > MAX_URL_MAP_LINES:
        raise InvalidInput(
            f"The address map has {len(lines)} lines: at most {MAX_URL_MAP_LINES}.", field="url_map"
        )
    pairs = []
    for number, line in lines:
        is_printable = line.strip().isprintable()
        if len(line) > MAX_URL_MAP_LINE or not is_printable:
            raise InvalidInput(
                f"Line {number} of the address map is not an old address = new address pair.",
                field="url_map",
            )
        try:
            pairs.extend(parse_url_map([line]))
        except InvalidInput:
            raise InvalidInput(
                f"Line {number} of the address map, {line.strip()[:100]!r}, is not "
                "old address = new address (two URL prefixes, e.g. "
                "http://old.example.com/=https://blog.example.org/).",
                field="url_map",
            ) from None
    return pairs


def record_upload(
    actor: Account,
    site: Site,
    kind: str,
    filename: str,
    source: IO[bytes],
    url_map: Sequence[tuple[str, str]] = (),
    is_dry_run: bool = False,
) -> ImportUpload:
    """Save ``source`` and record its import, queued, with the page URL prefixes to rewrite
    (``url_map``, as :func:`parse_url_map_text` gives them) and whether it is only a dry run;
    a wrong or empty file is refused here."""
    ensure_operates(actor, site.id)
    if kind not in KINDS:
        raise InvalidInput(f"Choose what the file is: {', '.join(KINDS)}.", field="kind")
    stored_name = f"{secrets.token_hex(16)}.{kind}"
    target = upload_folder() / stored_name
    try:
        size, head = _copy(source, target)
        if size == 0:
            raise InvalidInput("The file is empty: choose the export file to upload.", field="file")
        if not _looks_like(kind, head):
            raise InvalidInput(
                f"This file is not {KIND_NAMES[kind]}: check the file, or the kind chosen.",
                field="file",
            )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    upload = ImportUpload(
        site_id=site.id,
        kind=kind,
        filename=_display_name(filename),
        stored_name=stored_name,
        url_map=[[old, new] for old, new in url_map],
        is_dry_run=is_dry_run,
        bytes_total=size,
        created_by_id=actor.id,
    )
    db.session.add(upload)
    db.session.flush()
    details = {"kind": kind, "size": size, "url_map": upload.url_map, "dry_run": is_dry_run}
    record_audit(actor, site.id, "import", "import", upload.id, None, details)
    return upload


def uploads_of(site: Site, limit: int = 20) -> list[ImportUpload]:
    """The site's latest imports, newest first."""
    return list(
        db.session.scalars(
            sa.select(ImportUpload)
            .where(ImportUpload.site_id == site.id)
            .order_by(ImportUpload.id.desc())
            .limit(limit)
        )
    )


def upload_of(site: Site, upload_id: int) -> ImportUpload | None:
    upload = db.session.get(ImportUpload, upload_id)
    return upload if upload is not None and upload.site_id == site.id else None


def progress_of(upload: ImportUpload) -> dict[str, Any]:
    """What the page polls: the state, bytes read of the file, records, then the outcome."""
    return {
        "id": upload.id,
        "state": upload.state.value,
        "dry_run": upload.is_dry_run,
        "bytes_done": upload.bytes_done,
        "bytes_total": upload.bytes_total,
        "records": upload.records_read,
        "summary": upload.summary,
        "error": upload.error,
    }


def enqueue_import(upload_id: int, *, is_rescue: bool = False) -> None:
    """Queue the upload's job (after the commit that recorded it), without retries: a file
    that fails fails at once, for the operator to read why."""
    enqueue(
        Job.IMPORT_UPLOAD,
        upload_id,
        job_id=import_upload_job_id(upload_id),
        retry_delays=(),
        is_rescue=is_rescue,
        timeout=IMPORT_TIMEOUT_SECONDS,
    )


def start_attempt(upload: ImportUpload) -> bool:
    """Mark ``upload`` running for one more start of its job (flush, no commit); or, once it
    has had :data:`MAX_ATTEMPTS` starts that never finished, mark it failed and return False
    (the job then deletes its file)."""
    now = utcnow()
    if upload.attempts >= MAX_ATTEMPTS:
        upload.state, upload.finished_at = ImportState.FAILED, now
        upload.error = (
            f"The import stopped its worker {upload.attempts} times without finishing (a file "
            "too large for the worker's memory, or made to crash it?): it was given up and the "
            "file deleted. Check the file before uploading it again."
        )
    else:
        upload.attempts += 1
        upload.state, upload.started_at, upload.heartbeat_at = ImportState.RUNNING, now, now
    db.session.flush()
    return upload.state == ImportState.RUNNING


def lost_uploads(margin: timedelta, limit: int = 100) -> list[int]:
    """Uploads whose job was lost (a flushed Redis, a killed worker, a stopped web process):
    queued for longer than ``margin``, or running with no heartbeat for longer than ``margin``
    and :data:`HEARTBEAT_STALE_SECONDS` (a heartbeat is committed with each batch; a long
    stretch of skipped items commits none, and must not pass for a dead worker)."""
    now = utcnow()
    silent = max(margin, timedelta(seconds=HEARTBEAT_STALE_SECONDS))
    return list(
        db.session.scalars(
            sa.select(ImportUpload.id)
            .where(
                sa.or_(
                    sa.and_(
                        ImportUpload.state == ImportState.QUEUED,
                        ImportUpload.created_at < now - margin,
                    ),
                    sa.and_(
                        ImportUpload.state == ImportState.RUNNING,
                        sa.func.coalesce(ImportUpload.heartbeat_at, ImportUpload.started_at)
                        < now - silent,
                    ),
                )
            )
            .order_by(ImportUpload.id)
            .limit(limit)
        )
    )
