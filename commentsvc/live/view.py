"""``GET /api/sites/<site>/thread/events?url=PAGE-URL[&since=REVISION]``: a page's thread as
Server-Sent Events.

The view resolves the page with one short query (the site, its origins, the thread's current
revision) and subscribes before it reads, so nothing published in between is lost; the
request's database connection goes back to the pool when the view returns, before the first
byte of the stream. CORS as for the thread read (:mod:`commentsvc.cors`, no credentials).

A process holds at most ``COMMENTSVC_LIVE_MAX_STREAMS`` streams, each a server thread for as
long as it is open: past that a reader gets 503 with ``Retry-After`` (its EventSource gives up
and the widget works as without streams), and the process keeps threads for the requests that
work, its health checks among them.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, current_app, request

from commentsvc.api import bp
from commentsvc.errors import InvalidInput, NotFound, Unavailable
from commentsvc.extensions import db
from commentsvc.live.batches import stream_key
from commentsvc.live.bus import live_bus
from commentsvc.live.redis_bus import RedisBus
from commentsvc.live.stream import EventStream
from commentsvc.models import Site, Thread
from commentsvc.urls import normalise_url, page_identity, site_origin

MAX_EVENT_ID = 2**62
FULL_RETRY_SECONDS = 30  # a full process's Retry-After


def _revision_given(raw: str | None, name: str) -> int | None:
    """A revision the reader holds; a value the service never sent is refused."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or int(raw) > MAX_EVENT_ID:
        raise InvalidInput(f"{name} must be a revision this service sent.", field=name)
    return int(raw)


def _last_event_id() -> int | None:
    """Where the reader resumes: the browser's ``Last-Event-ID`` on its own reconnects, else
    ``?since=``, the ``thread.revision`` of the thread JSON it rendered (possibly from the
    proxy's cache), so a first connection replays what happened between that read and now.
    Both are checked; the header wins (EventSource keeps ``since`` in its URL when it
    reconnects, and the header is newer)."""
    since = _revision_given(request.args.get("since"), "since")
    header = _revision_given(request.headers.get("Last-Event-ID"), "Last-Event-ID")
    return header if header is not None else since


def _page(site_name: str, identity: str) -> tuple[list[str], int, int] | None:
    """The site's origins, the page's thread and its revision (0, 0 before its first comment);
    None: no site."""
    row = db.session.execute(
        sa.select(Site.origins, Thread.id, Thread.revision)
        .select_from(Site)
        .outerjoin(Thread, sa.and_(Thread.site_id == Site.id, Thread.identity == identity))
        .where(Site.name == site_name)
    ).first()
    if row is None:
        return None
    return list(row[0] or ()), row[1] or 0, row[2] or 0


def _checked_page(site_name: str, identity: str, url: str, url_key: str) -> tuple[int, int]:
    """The page's thread and revision; 404 for no site, 400 for a page off its origins."""
    page = _page(site_name, identity)
    if page is None:
        raise NotFound(f"There is no site named {site_name!r}.")
    origins, thread, revision = page
    if site_origin(origins, url_key) is None:
        raise InvalidInput(f"{url!r} is not on an origin of site {site_name!r}.", field="url")
    return thread, revision


@bp.get("/sites/<site_name>/thread/events")
def thread_events(site_name: str) -> Response:
    url = request.args.get("url")
    if not url:
        raise InvalidInput("Give the page with ?url=PAGE-URL.", field="url")
    url_key = normalise_url(url)
    identity = page_identity(url_key)
    last_event_id = _last_event_id()
    bus = live_bus()
    if isinstance(bus, RedisBus):
        bus.listen()
    keep_alive = float(current_app.config["LIVE_KEEP_ALIVE_SECONDS"])
    key = stream_key(site_name, identity)
    inbox = bus.hub.subscribe(key, limit=int(current_app.config["LIVE_MAX_STREAMS"]))
    stream = None if inbox is None else EventStream(bus, key, inbox, last_event_id, keep_alive)
    try:
        thread, revision = _checked_page(site_name, identity, url, url_key)
    except BaseException:
        if stream is not None:
            stream.close()
        raise
    if stream is None:  # said only once the site and page check out: a 404 stays a 404
        raise Unavailable(
            "This server holds as many live streams as it can; the thread still reads as usual.",
            retry_after=FULL_RETRY_SECONDS,
        )
    stream.begin_at(thread, revision)
    db.session.remove()  # the connection goes back now, not when the stream ends
    return Response(
        stream,
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
