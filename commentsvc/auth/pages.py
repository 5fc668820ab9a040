"""What every /auth page shares: a strict Content-Security-Policy with a per-request nonce,
no caching, no framing, and errors rendered as a page rather than JSON."""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Response, g, render_template
from werkzeug.exceptions import HTTPException

from commentsvc.errors import ServiceError

log = logging.getLogger(__name__)


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return g.csp_nonce


def _secure_headers(response: Response) -> Response:
    nonce = csp_nonce()
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; "
        "img-src 'self' https: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
        "frame-ancestors 'none'"
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response


def _error_page(status: int, title: str, detail: str) -> Response:
    body = render_template("auth/error.html", status=status, title=title, detail=detail)
    return Response(body, status=status, mimetype="text/html")


def install(bp: Blueprint) -> None:
    """Wire headers, the nonce and HTML error pages into the pages blueprint."""
    bp.after_request(_secure_headers)
    bp.context_processor(lambda: {"csp_nonce": csp_nonce})

    @bp.errorhandler(ServiceError)
    def _service_error(error: ServiceError):
        log.info("auth refused %s %s: %s", error.status, error.code, error.detail)
        return _error_page(error.status, error.title, error.detail)

    @bp.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        detail = error.description or error.name
        if status == 400 and "CSRF" in (error.description or ""):
            detail = "This form expired or did not come from this site. Reload it and try again."
        if status == 429:
            detail = "Too many attempts from your address. Wait a few minutes and try again."
        return _error_page(status, error.name, detail)
