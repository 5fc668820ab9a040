"""Mention authors' photos, served from the service's own origin.

The thread JSON names ``/photos/<key>.webp?v=<digest>``: the version changes when the photo
does (and the thread is bumped then), so the image can be cached for a year; the ETag answers
a revalidation with 304. Readers' browsers never contact the author's host.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from commentsvc.errors import NotFound
from commentsvc.extensions import db
from commentsvc.models import Photo
from commentsvc.service_urls import service_url

bp = Blueprint("photos", __name__)

_KEY = re.compile(r"[0-9a-f]{64}")
CACHE_VERSIONED = "public, max-age=31536000, immutable"
CACHE_UNVERSIONED = "public, max-age=86400"  # the URL without its version may change


def photo_url(key: str, digest: str) -> str:
    """The URL of a stored photo (:func:`~commentsvc.service_urls.service_url`)."""
    return service_url(f"/photos/{key}.webp?v={digest}")


@bp.get("/photos/<key>.webp")
def photo(key: str) -> Response:
    stored = db.session.get(Photo, key) if _KEY.fullmatch(key) else None
    if stored is None or stored.content is None or stored.digest is None:
        raise NotFound("No such photo.")
    response = Response(stored.content, content_type=stored.content_type)
    response.set_etag(stored.digest)
    is_current = request.args.get("v") == stored.digest
    response.headers["Cache-Control"] = CACHE_VERSIONED if is_current else CACHE_UNVERSIONED
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    # Shown by pages on every site's origin, with or without COEP.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response.make_conditional(request)
