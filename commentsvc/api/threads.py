"""Reading threads and counts: the hot path, answered from revision-keyed caches."""

from __future__ import annotations

from functools import lru_cache

from flask import Response, current_app, request

from commentsvc.api import bp, caching
from commentsvc.errors import InvalidInput, NotFound
from commentsvc.extensions import limiter
from commentsvc.services import thread_view
from commentsvc.urls import normalise_url, page_identity, site_origin

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


def _accepts_gzip() -> bool:
    return "gzip" in request.headers.get("Accept-Encoding", "").lower()


@bp.get("/sites/<site_name>/thread")
def read_thread(site_name: str) -> Response:
    url = request.args.get("url")
    if not url:
        raise InvalidInput("Give the page with ?url=PAGE-URL.", field="url")
    url_key = normalise_url(url)
    after = _int_arg("after", None, 1, 2**62)
    default_limit = current_app.config["THREAD_PAGE_SIZE"]
    limit = _int_arg("limit", default_limit, 1, MAX_PAGE_SIZE)
    state = thread_view.thread_state(site_name, page_identity(url_key))
    if state is None:
        raise NotFound(f"There is no site named {site_name!r}.")
    site = thread_view.site_view(state)
    if _site_origin(site.origins, url_key) is None:
        raise InvalidInput(f"{url!r} is not on an origin of site {site_name!r}.", field="url")
    gzip_ok = _accepts_gzip()
    etag = thread_view.page_etag(state, url_key, after, limit)
    if gzip_ok:  # a strong ETag names one content coding (RFC 9110, 8.8.3)
        etag = f'{etag[:-1]}-gz"'
    headers = caching.public_read_headers(etag, vary="Accept-Encoding, Origin")
    if caching.is_not_modified(etag):
        return Response(status=304, headers=headers)
    page = thread_view.render_page(state, site, url_key, after, limit)
    body = page.body
    if len(body) >= thread_view.GZIP_MIN_BYTES and gzip_ok:
        body = page.gzipped()
        headers["Content-Encoding"] = "gzip"
    return Response(body, headers=headers, mimetype="application/json")


@bp.get("/sites/<site_name>/counts")
def read_counts(site_name: str) -> Response:
    """Index pages ask for many pages at once: answered from the remembered page states."""
    urls = request.args.getlist("url")
    if not urls:
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
    return response
