"""Headers on every /moderate response: a strict CSP (scripts and styles only from our own
files, no inline code), no framing, no caching of operators' pages; and the pending count
every page shows in its title."""

from __future__ import annotations

from typing import Any

from flask import Response, g

from commentsvc.moderate import access, queue
from commentsvc.moderate.blueprint import bp

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


@bp.after_request
def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    if not response.headers.get("Cache-Control"):
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.context_processor
def _pending_count() -> dict[str, Any]:
    """Pages show "(N) …" in their title: the queue at a glance from any tab."""
    if "operator" not in g:
        return {}
    return {"pending_count": queue.pending_count(access.site_ids()), "operator": g.operator}
