"""HTTP caching of the public reads (thread pages and counts) by a shared cache in front.

Every page view reads a thread, and the answer is the same for every reader: the widget asks
for it without credentials and keeps a reader's own data (pending comments, edit tokens, the
sign-in token) in the browser. So a shared cache (the shipped nginx, a CDN) may keep it for a
moment, and a new or approved comment still shows within a second:

- ``s-maxage=1`` for shared caches, ``max-age=0`` for browsers: a browser revalidates every
  time (the ETag makes that a 304), so the reader who just posted never reads an old copy
  from their own browser cache.
- ``X-Accel-Expires: @<this second>``: nginx counts lifetimes in whole seconds from the
  second it stored the response, so ``s-maxage=1`` would keep a copy for up to two seconds;
  "until the end of this second" keeps it for at most one. nginx reads this header itself
  and never passes it on.
- ``stale-while-revalidate=0``: once the copy has expired, the first reader waits for a
  fresh answer instead of getting the old one (a cache that answered it from the stale copy
  would show a comment posted a second ago only after another second). The shipped nginx
  still answers the readers that arrive *while* that one refresh is in flight from the old
  copy (``proxy_cache_use_stale updating``), so an expiry costs one render, not a stampede.
- ``stale-if-error``: while the service is down or failing, the last copy beats an error.

Every other answer of the JSON API is someone's own or a write's (``/api/me``, a posted
comment with its edit token, an error) and is ``private, no-store`` unless its view says
otherwise.

A request that carries credentials (an ``Authorization`` header or any cookie) gets
``private, no-store``: its answer may not depend on them today, but nothing a signed-in
reader is sent is ever kept for somebody else. The shipped nginx also sends such requests
past its cache (docs/deployment.md, "Caching").
"""

from __future__ import annotations

import hashlib
import time

from flask import Response, request

from commentsvc.api import bp

SHARED_SECONDS = 1
STALE_WHILE_REVALIDATE_SECONDS = 0
STALE_IF_ERROR_SECONDS = 86400
PUBLIC = (
    f"public, max-age=0, s-maxage={SHARED_SECONDS}, "
    f"stale-while-revalidate={STALE_WHILE_REVALIDATE_SECONDS}, "
    f"stale-if-error={STALE_IF_ERROR_SECONDS}"
)
PRIVATE = "private, no-store"


def has_credentials() -> bool:
    """Whether the request carries anything that could make its answer someone's own."""
    environ = request.environ
    return "HTTP_AUTHORIZATION" in environ or "HTTP_COOKIE" in environ


def public_read_headers(etag: str, vary: str) -> dict[str, str]:
    """The caching headers of a public read (also on its 304, which renews a cached copy).

    ``vary`` names exactly what the body and headers depend on besides the URL: ``Origin``
    always (CORS answers the site's own origins only, so a copy made for one origin, or for
    none, must not be handed to another), ``Accept-Encoding`` where the body may be gzipped.
    """
    headers = {"ETag": etag, "Vary": vary}
    if has_credentials():
        headers["Cache-Control"] = PRIVATE
    else:
        headers["Cache-Control"] = PUBLIC
        # After Cache-Control: nginx 1.22 skips a Cache-Control that follows X-Accel-Expires,
        # and with it the stale-while-revalidate and stale-if-error above. Public answers
        # only: nginx 1.23+ lets X-Accel-Expires override an earlier "private, no-store".
        headers["X-Accel-Expires"] = f"@{int(time.time())}"
    return headers


def body_etag(body: bytes) -> str:
    """An ETag for a small body with no revision of its own (counts): a hash of its bytes."""
    return f'"b{hashlib.blake2b(body, digest_size=12).hexdigest()}"'


def is_not_modified(etag: str) -> bool:
    """Whether the client's ``If-None-Match`` names this ETag (or ``*``)."""
    return request.if_none_match.contains_weak(etag.strip('"')) or request.if_none_match.star_tag


@bp.after_request
def _private_unless_said(response: Response) -> Response:
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = PRIVATE
    return response
