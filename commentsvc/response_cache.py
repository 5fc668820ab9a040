"""Repeated public reads answered from memory, in front of Flask.

Every page view reads its thread (and an index page its counts), and between two writes
every anonymous reader of a page gets the same bytes. The app already skips the database
for them while the page's revisions are remembered (``THREAD_STATE_SECONDS``), but Flask's
own dispatch, its hooks and the limiter still cost most of such a read (bench/README.md,
"Replayed reads"). So this WSGI middleware keeps the last answer to each public read and
replays it, with a request id of its own, for as long as the revisions it was built from
are remembered as they were:

- a view offers its answer with :func:`offer`, naming the remembered page states it used;
  answers with credentials (a cookie, ``Authorization``) are never offered, looked up or
  stored;
- a replay checks that each of those states is still the one remembered and unexpired
  (:meth:`ThreadCache.are_remembered`): a commit of this process that touched the page
  forgot it, so this process's own writes show at once; other processes' writes show when
  the states expire, exactly as without this cache; and never past the site's remembered
  CORS origins (:func:`commentsvc.cors.origins_remembered_until`);
- the key is everything the answer depends on: path, query, whether gzip is accepted and
  ``Origin`` (CORS). Renderings are kept per revision, not per host, so nothing else is;
- only the reads' own parameters are stored (a query with any other one, or a long one, is
  answered but not kept), so a client varying junk cannot fill the memory with copies;
- a replay is counted in the request metrics and, in JSON log mode, logged, like any request.

With ``THREAD_STATE_SECONDS = 0`` (behind the shipped nginx cache) nothing is remembered, so
nothing is replayed either.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask, request
from werkzeug.http import parse_etags

from commentsvc import metrics
from commentsvc.cors import origins_remembered_until
from commentsvc.encodings import accepts_gzip
from commentsvc.request_ids import HEADER, logging_as, new_request_id, sane
from commentsvc.services.thread_cache import RememberedStates, ThreadCache, caches_of

access_log = logging.getLogger("commentsvc.access")

_OFFER_KEY = "commentsvc.response_cache.offer"
_REPLAYED_PATHS = ("/thread", "/counts")
_READ_PARAMETERS = frozenset({"url", "limit", "sort", "after"})
MAX_QUERY_LENGTH = 4096  # counts of ten pages take about 600
# Recomputed on every replay: the request id, and nginx's "until the end of this second".
_PER_REQUEST = frozenset({HEADER.lower(), "x-accel-expires"})
# A 304 carries the caching headers, not the body's.
_BODY_HEADERS = frozenset({"content-length", "content-type", "content-encoding"})

StartResponse = Callable[..., Any]
Key = tuple[str, str, bool, str]


@dataclass(frozen=True)
class Offer:
    site_name: str
    states: RememberedStates
    route: str


@dataclass(frozen=True)
class Stored:
    states: RememberedStates
    not_after: float  # time.monotonic(): the CORS origins its headers were made with expire
    route: str
    status: str
    headers: list[tuple[str, str]]  # without the per-request ones
    has_accel_expires: bool
    etag: str | None
    body: bytes

    def headers_for(self, request_id: str, *, not_modified: bool) -> list[tuple[str, str]]:
        headers = [(HEADER, request_id)]
        for name, value in self.headers:
            if not (not_modified and name.lower() in _BODY_HEADERS):
                headers.append((name, value))
        if self.has_accel_expires:
            headers.append(("X-Accel-Expires", f"@{int(time.time())}"))
        return headers


def offer(site_name: str, states: RememberedStates) -> None:
    """Let the response cache replay this request's answer while ``states`` (the remembered
    page states it was built from) last, if it is a 200 for a reader without credentials."""
    environ = request.environ
    if not states or "HTTP_COOKIE" in environ or "HTTP_AUTHORIZATION" in environ:
        return
    environ[_OFFER_KEY] = Offer(site_name, states, request.url_rule.rule)


def _is_replayable(environ: dict[str, Any]) -> bool:
    path = environ.get("PATH_INFO", "")
    return (
        environ.get("REQUEST_METHOD") == "GET"
        and "HTTP_COOKIE" not in environ
        and "HTTP_AUTHORIZATION" not in environ
        and path.startswith("/api/sites/")
        and path.endswith(_REPLAYED_PATHS)
    )


def _key(environ: dict[str, Any]) -> Key:
    return (
        environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")),
        environ.get("HTTP_ORIGIN", ""),
    )


def _is_worth_keeping(query: str) -> bool:
    if len(query) > MAX_QUERY_LENGTH:
        return False
    return all(name in _READ_PARAMETERS for name, _ in parse_qsl(query, keep_blank_values=True))


def _is_not_modified(environ: dict[str, Any], etag: str | None) -> bool:
    header = environ.get("HTTP_IF_NONE_MATCH")
    if not header or etag is None:
        return False
    tags = parse_etags(header)
    return tags.star_tag or tags.contains_weak(etag.strip('"'))


class ResponseCache:
    """The WSGI middleware (outermost: it needs nothing the inner layers add)."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], app: Flask) -> None:
        self.wsgi_app = wsgi_app
        self.app = app
        self.is_json_log = app.config["LOG_FORMAT"] == "json"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not _is_replayable(environ):
            return self.wsgi_app(environ, start_response)
        caches = caches_of(self.app)
        started = time.perf_counter()
        key = _key(environ)
        stored = caches.responses.peek(key)
        if stored is not None:
            now = time.monotonic()
            if stored.not_after > now and caches.are_remembered(stored.states, now):
                caches.responses.count(is_hit=True)
                return self._replay(environ, start_response, stored, started)
            caches.responses.discard(key)
        caches.responses.count(is_hit=False)
        return self._answer_and_store(environ, start_response, caches, key)

    def _replay(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        stored: Stored,
        started: float,
    ) -> list[bytes]:
        request_id = sane(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        not_modified = _is_not_modified(environ, stored.etag)
        status = "304 NOT MODIFIED" if not_modified else stored.status
        start_response(status, stored.headers_for(request_id, not_modified=not_modified))
        status_code = int(status[:3])
        seconds = time.perf_counter() - started
        metrics.observe_request(stored.route, "GET", status_code, seconds)
        if self.is_json_log:
            with logging_as(request_id):
                access_log.info(
                    "GET %s %s",
                    stored.route,
                    status_code,
                    extra={
                        "method": "GET",
                        "route": stored.route,
                        "status": status_code,
                        "duration": round(seconds, 6),
                    },
                )
        return [] if not_modified else [stored.body]

    def _answer_and_store(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        caches: ThreadCache,
        key: Key,
    ) -> Iterable[bytes]:
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        offered = environ.get(_OFFER_KEY)
        if offered is None or not captured or not captured[0].startswith("200"):
            return body
        try:
            content = b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
        status, headers = captured
        is_kept = _is_worth_keeping(key[1]) and not any(
            name.lower() == "set-cookie" for name, _ in headers
        )
        if is_kept:
            not_after = origins_remembered_until(self.app, offered.site_name)
            caches.responses.put(key, _stored(offered, not_after, status, headers, content))
        return [content]


def _stored(
    offered: Offer, not_after: float, status: str, headers: list[tuple[str, str]], body: bytes
) -> Stored:
    kept = [(name, value) for name, value in headers if name.lower() not in _PER_REQUEST]
    etag = next((value for name, value in headers if name.lower() == "etag"), None)
    has_accel_expires = any(name.lower() == "x-accel-expires" for name, _ in headers)
    return Stored(
        offered.states, not_after, offered.route, status, kept, has_accel_expires, etag, body
    )


def init_app(app: Flask) -> None:
    """Wrap the app (call last, so the cache sits outside every other middleware)."""
    app.wsgi_app = ResponseCache(app.wsgi_app, app)  # type: ignore[method-assign]
