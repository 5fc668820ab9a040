"""Reading threads and counts: the hot path, answered from revision-keyed caches."""

from __future__ import annotations

import logging
from functools import lru_cache

import sqlalchemy as sa
from flask import Response, current_app, request

from commentsvc import response_cache
from commentsvc.api import bp, caching
from commentsvc.encodings import accepts_gzip
from commentsvc.errors import InvalidInput, NotFound
from commentsvc.extensions import db, limiter
from commentsvc.services import thread_view
from commentsvc.services.thread_cache import ThreadState
from commentsvc.services.votes import show_scores
from commentsvc.urls import normalise_url, page_identity, site_origin

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200
MAX_COUNT_URLS = 100


# The reads every page view makes carry no rate limit of their own (and the app sets no
# default limits): the limiter skips them before resolving limits for them.
UNLIMITED_READS = frozenset({"api.read_thread", "api.read_counts"})


@limiter.request_filter
def _is_unlimited_read() -> bool:
    return request.endpoint in UNLIMITED_READS


# Pure, and every page view asks it of the same few pages (counts: of ten at a time).
_site_origin = lru_cache(maxsize=4096)(site_origin)


def _int_arg(name: str, default: int | None, low: int, high: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not low <= int(raw) <= high:
        raise InvalidInput(f"'{name}' must be a whole number from {low} to {high}.", field=name)
    return int(raw)


@bp.get("/sites/<site_name>/thread")
def read_thread(site_name: str) -> Response:
    url = request.args.get("url")
    if not url:
        raise InvalidInput("Give the page with ?url=PAGE-URL.", field="url")
    url_key = normalise_url(url)
    default_limit = current_app.config["THREAD_PAGE_SIZE"]
    limit = _int_arg("limit", default_limit, 1, MAX_PAGE_SIZE)
    identity = page_identity(url_key)
    state = thread_view.thread_state(site_name, identity)
    if state is None:
        raise NotFound(f"There is no site named {site_name!r}.")
    if thread_view.has_votes_due(state):
        state = _show_votes(site_name, identity, state)
    site = thread_view.site_view(state)
    if _site_origin(site.origins, url_key) is None:
        raise InvalidInput(f"{url!r} is not on an origin of site {site_name!r}.", field="url")
    order = request.args.get("sort") or site.public["sort"]
    page = thread_view.page_request(order, request.args.get("after"), limit)
    gzip_ok = accepts_gzip(request.headers.get("Accept-Encoding", ""))
    etag = thread_view.page_etag(state, url_key, page)
    if gzip_ok:  # a strong ETag names one content coding (RFC 9110, 8.8.3)
        etag = f'{etag[:-1]}-gz"'
    headers = caching.public_read_headers(etag, vary="Accept-Encoding, Origin")
    if caching.is_not_modified(etag):
        return Response(status=304, headers=headers)
    rendered = thread_view.render_page(state, site, url_key, page)
    body = rendered.body
    if len(body) >= thread_view.GZIP_MIN_BYTES and gzip_ok:
        body = rendered.gzipped()
        headers["Content-Encoding"] = "gzip"
    response_cache.offer(site_name, thread_view.remembered_entries(site_name, {identity: state}))
    return Response(body, headers=headers, mimetype="application/json")


def _show_votes(site_name: str, identity: str, state: ThreadState) -> ThreadState:
    """Votes are due to show (docs/votes.md): this read gives the thread its new revision,
    at most once per ``VOTE_SHOW_SECONDS``, and reads the state afresh. A database that
    refuses the write (a read-only replica, a lock timeout) leaves the votes for a later
    read: this one is served as it stands."""
    try:
        show_scores(site_name, identity, state.thread_id)
        db.session.commit()
    except sa.exc.DBAPIError:
        db.session.rollback()
        log.warning(
            "votes on thread %s not shown: the database refused the write "
            "(thread reads must reach the primary)",
            state.thread_id,
            exc_info=True,
        )
        thread_view.keep_state(site_name, identity, state)
        return state
    return thread_view.thread_state(site_name, identity) or state


@bp.get("/sites/<site_name>/counts")
def read_counts(site_name: str) -> Response:
    """Index pages ask for many pages at once: answered from the remembered page states."""
    urls = request.args.getlist("url")
    if not urls or not all(urls):
        raise InvalidInput("Give one or more pages with ?url=A&url=B.", field="url")
    if len(urls) > MAX_COUNT_URLS:
        raise InvalidInput(f"Ask for at most {MAX_COUNT_URLS} pages at once.", field="url")
    keys = {url: normalise_url(url) for url in urls}
    identities = {url: page_identity(key) for url, key in keys.items()}
    states = thread_view.thread_states(site_name, set(identities.values()))
    if states is None:
        raise NotFound(f"There is no site named {site_name!r}.")
    site = thread_view.site_view(next(iter(states.values())))
    for url, key in keys.items():
        if _site_origin(site.origins, key) is None:
            raise InvalidInput(f"{url!r} is not on an origin of site {site_name!r}.", field="url")
    response = current_app.json.response({url: states[i].count for url, i in identities.items()})
    etag = caching.body_etag(response.get_data())
    headers = caching.public_read_headers(etag, vary="Origin")
    if caching.is_not_modified(etag):
        return Response(status=304, headers=headers)
    response.headers.update(headers)
    response_cache.offer(site_name, thread_view.remembered_entries(site_name, states))
    return response
