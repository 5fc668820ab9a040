"""Moving a site's comments in and out from the "Sites" page: upload a file to import (a job
does the work, the page follows its progress and shows the summary) and download an export.

Every view finds its site through :func:`commentsvc.moderate.access.site_named` (404 for a
site the operator does not moderate) and every form carries the CSRF token. An upload may be
far larger than any other request (``IMPORT_MAX_UPLOAD_BYTES``), but only for an operator of
the site named in its URL: the limit is raised before the body is read (the CSRF check reads
it), after the session has shown who is asking.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from commentsvc.auth.tokens import current_account
from commentsvc.errors import InvalidInput, NotFound
from commentsvc.exports.formats import FORMATS
from commentsvc.extensions import db
from commentsvc.imports.run import KINDS
from commentsvc.models import ImportState, ImportUpload, Site
from commentsvc.models.base import MAX_ID
from commentsvc.moderate import access
from commentsvc.moderate.blueprint import bp
from commentsvc.services.sites import get_site
from commentsvc.services.uploads import (
    KIND_NAMES,
    enqueue_import,
    parse_url_map_text,
    progress_of,
    record_upload,
    upload_of,
    uploads_of,
)

UPLOAD_ENDPOINT = "moderate.import_upload"
UPLOAD_ID = f"<int(min=1, max={MAX_ID}):upload_id>"


@bp.url_value_preprocessor
def _allow_large_upload(endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Runs before every ``before_request`` hook, so before the CSRF check reads the body."""
    if endpoint != UPLOAD_ENDPOINT or not values:
        return
    account = current_account()
    if account is None:
        return
    try:
        site = get_site(str(values.get("name")))
    except NotFound:
        return
    if account.operates(site.id):
        request.max_content_length = int(current_app.config["IMPORT_MAX_UPLOAD_BYTES"])
        g.upload_site_id = site.id


def _megabytes(size: int) -> str:
    """A limit as people read it: 256 MB, or 200 KB below one megabyte."""
    if size < 1024 * 1024:
        return f"{size // 1024} KB"
    return f"{size / (1024 * 1024):.0f} MB"


def _page(
    site: Site,
    error: str | None = None,
    status: int = 200,
    url_map: str = "",
    is_dry_run: bool = False,
) -> tuple[str, int]:
    """The page; after a refused upload, with its error and the options as they were sent (the
    body is never read here: over the size limit, reading it fails again)."""
    page = render_template(
        "moderate/transfer.html",
        site=site,
        uploads=uploads_of(site),
        kinds=[(kind, KIND_NAMES[kind]) for kind in KINDS],
        formats=sorted(FORMATS),
        max_upload=_megabytes(int(current_app.config["IMPORT_MAX_UPLOAD_BYTES"])),
        error=error,
        url_map=url_map,
        is_dry_run=is_dry_run,
    )
    return page, status


@bp.get("/sites/<name>/transfer")
def transfer(name: str) -> tuple[str, int]:
    return _page(access.site_named(name))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A file over the limit gets the upload page back, saying what the limit is."""
    site = db.session.get(Site, g.get("upload_site_id") or 0)
    if site is None:  # not an upload, or not by an operator of the site: the usual page
        detail = "The request is larger than this page accepts."
        return render_template("error.html", status=413, title=error.name, detail=detail), 413
    limit = _megabytes(int(current_app.config["IMPORT_MAX_UPLOAD_BYTES"]))
    return _page(site, f"The file is larger than the {limit} an upload may be.", 413)


def _is_importing(site: Site) -> bool:
    """An import of the site is queued or running: a second one at the same time would store
    the same items as the first one does (and fail on their unique keys)."""
    unfinished = sa.select(ImportUpload.id).where(
        ImportUpload.site_id == site.id,
        ImportUpload.state.in_([ImportState.QUEUED, ImportState.RUNNING]),
    )
    return db.session.scalar(sa.select(unfinished.exists())) is True


@bp.post("/sites/<name>/imports")
def import_upload(name: str) -> Response | tuple[str, int]:
    site = access.site_named(name)
    sent = request.files.get("file")
    url_text, is_dry_run = request.form.get("url_map", ""), request.form.get("dry_run") == "1"
    if _is_importing(site):
        busy = "An import of this site is under way: upload when it has ended."
        return _page(site, busy, 409, url_text, is_dry_run)
    try:
        url_map = parse_url_map_text(url_text)
        if sent is None or not sent.filename:
            raise InvalidInput("Choose the export file to upload.", field="file")
        upload = record_upload(
            access.operator(),
            site,
            request.form.get("kind", ""),
            sent.filename,
            sent.stream,
            url_map,
            is_dry_run,
        )
    except InvalidInput as error:
        db.session.rollback()
        return _page(site, error.detail, 400, url_text, is_dry_run)
    db.session.commit()
    enqueue_import(upload.id)
    return redirect(url_for("moderate.import_status", name=site.name, upload_id=upload.id))


def _upload(site: Site, upload_id: int) -> ImportUpload:
    upload = upload_of(site, upload_id)
    if upload is None:
        raise NotFound(f"There is no import {upload_id} of {site.name}.")
    return upload


@bp.get(f"/sites/<name>/imports/{UPLOAD_ID}")
def import_status(name: str, upload_id: int) -> str:
    site = access.site_named(name)
    upload = _upload(site, upload_id)
    return render_template(
        "moderate/import.html", site=site, upload=upload, progress=progress_of(upload)
    )


@bp.get(f"/sites/<name>/imports/{UPLOAD_ID}/progress.json")
def import_progress(name: str, upload_id: int) -> Response:
    site = access.site_named(name)
    return jsonify(progress_of(_upload(site, upload_id)))


@bp.get("/sites/<name>/export.<format_name>")
def export_download(name: str, format_name: str) -> Response:
    site = access.site_named(name)
    chosen = FORMATS.get(format_name)
    if chosen is None:
        raise NotFound(f"There is no export format {format_name[:20]!r}: json or wxr.")
    chunks = (chunk.encode("utf-8") for chunk in chosen.write(site))
    response = Response(stream_with_context(chunks), mimetype=chosen.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{chosen.filename(site)}"'
    return response
