"""CORS for the JSON API: only the origins of registered sites may read it from a browser."""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import Flask, Response, current_app, request

from commentsvc.extensions import db
from commentsvc.models import Comment, Site, Thread
from commentsvc.models.base import MAX_ID

ALLOWED_HEADERS = "Content-Type, Authorization, X-Edit-Token, X-Commentsvc-Voter"
ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
_ALL_ORIGINS_TTL = 30.0


_SITES_KEY = "commentsvc.cors_sites"  # in ``app.extensions``: site name -> (expiry, origins)


def _site_origins(site_name: str) -> frozenset[str]:
    """The site's origins, read at most once per ``THREAD_STATE_SECONDS`` (a hot path)."""
    remembered = current_app.extensions.setdefault(_SITES_KEY, {})
    hit = remembered.get(site_name)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    origins = frozenset(
        db.session.scalar(sa.select(Site.origins).where(Site.name == site_name)) or ()
    )
    if len(remembered) > 4096:
        remembered.clear()
    remembered[site_name] = (time.monotonic() + current_app.config["THREAD_STATE_SECONDS"], origins)
    return origins


def forget_site_origins() -> None:
    """After this process changed a site: its origins are read again at once."""
    current_app.extensions.pop(_SITES_KEY, None)


def origins_remembered_until(app: Flask, site_name: str) -> float:
    """When the site's remembered origins expire (``time.monotonic()``; infinity when none
    are remembered): an answer replayed with their CORS headers must not outlive them."""
    hit = app.extensions.get(_SITES_KEY, {}).get(site_name)
    return hit[0] if hit else float("inf")


def _comment_site_origins(comment_id: int) -> frozenset[str]:
    """The origins of the comment's site: a page of another site may not vote on it, nor
    edit it (writes, so one query each is no cost)."""
    if not 0 < comment_id <= MAX_ID:
        return frozenset()
    origins = db.session.scalar(
        sa.select(Site.origins)
        .join(Thread, Thread.site_id == Site.id)
        .join(Comment, Comment.thread_id == Thread.id)
        .where(Comment.id == comment_id)
    )
    return frozenset(origins or ())


def _all_origins() -> set[str]:
    """Every site's origins, for endpoints not tied to one site or comment (``/api/me``)."""
    cached = current_app.extensions.get("commentsvc.cors_origins")
    if cached and cached[0] > time.monotonic():
        return cached[1]
    origins: set[str] = set()
    for site_origins in db.session.scalars(sa.select(Site.origins)):
        origins.update(site_origins or ())
    current_app.extensions["commentsvc.cors_origins"] = (
        time.monotonic() + _ALL_ORIGINS_TTL,
        origins,
    )
    return origins


def _add_cors_headers(response: Response) -> Response:
    origin = request.environ.get("HTTP_ORIGIN")
    if not origin or not request.path.startswith("/api/"):
        return response
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Origin"
    elif "origin" not in {name.strip().lower() for name in vary.split(",")}:
        response.vary.add("Origin")  # the thread read names it already: no parse and rewrite
    args = request.view_args or {}
    if "site_name" in args:
        allowed = _site_origins(args["site_name"])
    elif "comment_id" in args:
        allowed = _comment_site_origins(args["comment_id"])
    else:
        allowed = _all_origins()
    if origin not in allowed:
        return response
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Expose-Headers"] = "ETag, Location, Retry-After"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
        response.headers["Access-Control-Max-Age"] = "600"
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_cors_headers)
