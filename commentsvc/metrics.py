"""The service's Prometheus metrics: what each process records, and where.

Web processes record into prometheus-client's metrics. Under gunicorn these live in
``PROMETHEUS_MULTIPROC_DIR`` (set by deploy/gunicorn.conf.py before any worker starts), one
file per process, and a scrape of any process sums them all; in the embedded default (one
process) they live in memory. Job outcomes, mention verifications and mails are recorded
where the job runs: with Redis, RQ workers on any machine add to counters kept in Redis
(:mod:`commentsvc.job_tallies`); without it, the jobs run in a web process and use the local
counters here. Queue depths are read from Redis at scrape time (:mod:`commentsvc.metrics_views`).

The hot path pays one dictionary lookup and three increments per request: label children are
made once and remembered.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# prometheus-client chooses its mode once, when first imported, from this variable: so do we.
IS_MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))

# Job tallies have their own registry: a scrape shows them from here (no Redis) or from Redis,
# never both under one name.
LOCAL_TALLIES = CollectorRegistry(auto_describe=True)

# Every label value is one the service chose, never one a client made up: the URL rule, not the
# path; the status the app answered; a method from this list, else "other" (a client can send
# any token as a method, and each would otherwise start a series of its own).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD = "other"

REQUESTS = Counter(
    "commentsvc_http_requests",
    "HTTP requests answered, by URL rule (never the raw path), method (GET, HEAD, POST, PUT, "
    "PATCH, DELETE, OPTIONS, or other) and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "commentsvc_http_request_duration_seconds",
    "Time from the first request hook to the response, by URL rule.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CACHE_LOOKUPS = Counter(
    "commentsvc_thread_cache_lookups",
    "Thread read cache lookups, by cache (states, sites, snapshots, pages) and result.",
    ["cache", "result"],
)
POOL_CHECKED_OUT = Gauge(
    "commentsvc_db_pool_checked_out",
    "Database connections lent to a request or job right now, over all web processes.",
    multiprocess_mode="livesum",
)
POOL_SIZE = Gauge(
    "commentsvc_db_pool_size",
    "Connections the database pools keep open (pool_size), over all web processes.",
    multiprocess_mode="livesum",
)
POOL_OVERFLOW = Gauge(
    "commentsvc_db_pool_overflow",
    "Connections open beyond pool_size right now, over all web processes.",
    multiprocess_mode="livesum",
)


@dataclass(frozen=True)
class Tally:
    """A counter that jobs add to (see :mod:`commentsvc.job_tallies`)."""

    name: str
    documentation: str
    labels: tuple[str, ...]


TALLY_SPECS: dict[str, Tally] = {
    "jobs": Tally(
        "commentsvc_jobs",
        "Background job attempts, by kind (the job function) and outcome (succeeded, failed).",
        ("kind", "outcome"),
    ),
    "mention_verifications": Tally(
        "commentsvc_mention_verifications",
        "Mention checks ended, by outcome (verified, rejected, gone) and rejection reason.",
        ("outcome", "reason"),
    ),
    "mails": Tally(
        "commentsvc_mails",
        "Mail handed to SMTP (sent), refused or lost on the way (failed), or written to the "
        "instance outbox because no SMTP server is configured (outbox).",
        ("outcome",),
    ),
}
TALLIES: dict[str, Counter] = {
    key: Counter(spec.name, spec.documentation, spec.labels, registry=LOCAL_TALLIES)
    for key, spec in TALLY_SPECS.items()
}


class _Children:
    """Label children made once: ``labels()`` takes a lock and builds a tuple every call."""

    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, int], object] = {}
        self.latency: dict[str, object] = {}


_children = _Children()


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    if method not in KNOWN_METHODS:
        method = OTHER_METHOD
    key = (route, method, status)
    counter = _children.requests.get(key)
    if counter is None:
        counter = _children.requests.setdefault(key, REQUESTS.labels(route, method, str(status)))
    histogram = _children.latency.get(route)
    if histogram is None:
        histogram = _children.latency.setdefault(route, LATENCY.labels(route))
    counter.inc()  # type: ignore[attr-defined]
    histogram.observe(seconds)  # type: ignore[attr-defined]


def cache_counters(cache: str) -> tuple[Counter, Counter]:
    """The (hit, miss) counters of one cache, for it to keep."""
    return CACHE_LOOKUPS.labels(cache, "hit"), CACHE_LOOKUPS.labels(cache, "miss")


_watched_engines: weakref.WeakSet = weakref.WeakSet()


def watch_pool(engine) -> None:  # type: ignore[no-untyped-def]
    """Keep the pool gauges of ``engine`` current: lent connections on every checkout and
    checkin; size and overflow only when they change (they rarely do)."""
    import sqlalchemy as sa

    pool = engine.pool
    if not hasattr(pool, "overflow"):
        return  # a pool without a size (SQLite in memory, NullPool): nothing to watch
    last = {"size": None, "overflow": None}

    def shape() -> None:
        current = engine.pool
        size, overflow = current.size(), max(0, current.overflow())
        if size != last["size"]:
            last["size"] = size
            POOL_SIZE.set(size)
        if overflow != last["overflow"]:
            last["overflow"] = overflow
            POOL_OVERFLOW.set(overflow)

    def lent(*_: object) -> None:
        # The pool's own count, not +1/-1 per event: a connection lent before the listener was
        # attached, or invalidated by a database restart, would make a running sum drift.
        POOL_CHECKED_OUT.set(engine.pool.checkedout())
        shape()

    if engine not in _watched_engines:
        _watched_engines.add(engine)
        sa.event.listen(engine, "checkout", lent)
        sa.event.listen(engine, "checkin", lent)
    lent()


def watch_app_pool(app) -> None:  # type: ignore[no-untyped-def]
    """:func:`watch_pool` on the app's engine (its pool is made on first use, once)."""
    from commentsvc.extensions import db

    with app.app_context():
        watch_pool(db.engine)
