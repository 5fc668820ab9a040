"""The thread read's caches: revisions remembered briefly, renderings kept per revision.

Kept apart from :mod:`commentsvc.services.thread_view` (which builds the renderings) so that
every writer can ask for its page to be forgotten without importing the reader.
"""

from __future__ import annotations

import gzip
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import sqlalchemy as sa
from flask import Flask, current_app

from commentsvc.cors import forget_site_origins
from commentsvc.metrics import cache_counters

if TYPE_CHECKING:
    from commentsvc.response_cache import Stored

K = TypeVar("K")
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A small thread-safe least-recently-used map (gunicorn threads share a process) that
    counts its hits and misses under ``name`` (commentsvc_thread_cache_lookups_total).

    Counts are added up under the lock it takes anyway and handed to the metric every
    ``COUNT_BATCH`` lookups (and at each scrape of this process): a metric write per lookup
    would cost the hot read more than the lookup itself."""

    COUNT_BATCH = 64

    def __init__(self, size: int, name: str) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._hit_metric, self._miss_metric = cache_counters(name)
        self._hits = self._misses = 0

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            is_due = self._tally(value is not None)
        if is_due:
            self.flush_counts()
        return value

    def count(self, is_hit: bool) -> None:
        """Count one lookup made with :meth:`peek`, by a caller that judges what it found
        before calling it a hit."""
        with self._lock:
            is_due = self._tally(is_hit)
        if is_due:
            self.flush_counts()

    def _tally(self, is_hit: bool) -> bool:
        if is_hit:
            self._hits += 1
        else:
            self._misses += 1
        return self._hits + self._misses >= self.COUNT_BATCH

    def flush_counts(self) -> None:
        with self._lock:
            hits, misses = self._hits, self._misses
            self._hits = self._misses = 0
        if hits:
            self._hit_metric.inc(hits)
        if misses:
            self._miss_metric.inc(misses)

    def peek(self, key: K) -> V | None:
        """The value, without counting a lookup or refreshing its place (one dict read, safe
        without the lock under the GIL)."""
        return self._items.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def discard(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


@dataclass(frozen=True)
class SiteView:
    id: int
    revision: int
    name: str
    origins: frozenset[str]
    public: dict[str, Any]


@dataclass(frozen=True)
class ThreadState:
    """What one query tells about a request: enough to answer 304 or hit the cache."""

    site_id: int
    site_revision: int
    thread_id: int | None
    thread_revision: int
    count: int = 0  # visible comments and mentions: what /counts answers
    # The first vote the revision does not show yet (None: it shows every vote); see
    # :mod:`commentsvc.services.votes`.
    scores_changed_at: datetime | None = None


# Remembered states as :meth:`ThreadCache.are_remembered` checks them: ((site, identity),
# (expiry, state)) pairs, the entries themselves, compared by identity.
RememberedStates = tuple[tuple[tuple[str, str], tuple[float, ThreadState | None]], ...]


@dataclass(frozen=True)
class Snapshot:
    thread: dict[str, Any]
    roots: list[dict[str, Any]]
    root_ids: list[int]
    mentions: list[dict[str, Any]]


@dataclass(frozen=True)
class Ordering:
    """A snapshot's top-level comments in one order (pinned first), with the sort key of each:
    a page starts after the key its cursor names."""

    roots: list[dict[str, Any]]
    keys: list[tuple[int, ...]]


@dataclass
class RenderedPage:
    etag: str
    body: bytes
    _gzipped: bytes | None = None

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, compresslevel=6)
        return self._gzipped


class ThreadCache:
    """Per-app caches. Renderings are keyed by revisions, so a write never evicts them; the
    revisions themselves (``states``) are remembered for ``THREAD_STATE_SECONDS``, forgotten
    at once by this process's own commits, so other processes converge within that time.
    Answers replayed by :mod:`commentsvc.response_cache` last while the remembered states they
    were built from do (:meth:`are_remembered`)."""

    def __init__(self, state_seconds: float) -> None:
        self.state_seconds = state_seconds
        self.states: LRU[tuple[str, str], tuple[float, ThreadState | None]] = LRU(8192, "states")
        self.sites: LRU[tuple[int, int], SiteView] = LRU(256, "sites")
        self.snapshots: LRU[tuple[int, int], Snapshot] = LRU(256, "snapshots")
        self.orders: LRU[tuple[int, int, str], Ordering] = LRU(256, "orders")
        self.pages: LRU[str, RenderedPage] = LRU(1024, "pages")
        # Whole answers to public reads (commentsvc.response_cache), by request key; as many
        # as ``pages``, whose bodies they share.
        self.responses: LRU[tuple[str, str, bool, str], Stored] = LRU(1024, "responses")

    def are_remembered(self, entries: RememberedStates, now: float) -> bool:
        """Whether each of these remembered states is still the one remembered, unexpired:
        a commit of this process that touched its page forgot it, and a later read
        remembers another."""
        states = self.states
        return all(states.peek(key) is entry and entry[0] > now for key, entry in entries)

    def flush_counts(self) -> None:
        lrus = (self.states, self.sites, self.snapshots, self.orders, self.pages, self.responses)
        for lru in lrus:
            lru.flush_counts()


CACHE_KEY = "commentsvc.thread_cache"  # in ``app.extensions``


def cache() -> ThreadCache:
    return caches_of(current_app)


def caches_of(app: Flask) -> ThreadCache:
    """``app``'s caches, outside an app context too (the WSGI middleware in front)."""
    caches = app.extensions.get(CACHE_KEY)
    if caches is None:
        seconds = float(app.config["THREAD_STATE_SECONDS"])
        caches = app.extensions.setdefault(CACHE_KEY, ThreadCache(seconds))
    return caches


_FORGET_KEY = "commentsvc.forget_states"
ALL_PAGES = ("*", "*")


def forget_after_commit(session: sa.orm.Session, site_name: str, identity: str) -> None:
    """Once ``session`` commits, this process reads the page's revisions afresh (the page by
    its identity, ``Thread.identity``: the key the states are remembered under)."""
    session.info.setdefault(_FORGET_KEY, set()).add((site_name, identity))


def _forget_committed(session: sa.orm.Session) -> None:
    keys = session.info.pop(_FORGET_KEY, None)
    if not keys or not current_app:
        return
    states = cache().states
    if ALL_PAGES in keys:  # a site's settings or origins changed
        states.clear()
        forget_site_origins()
    for key in keys:
        states.discard(key)


def _drop_pending(session: sa.orm.Session, *_: object) -> None:
    session.info.pop(_FORGET_KEY, None)


def install_commit_hooks() -> None:
    """Once per process: forget cached revisions after the commits that changed them, and
    publish what they changed to live streams (:mod:`commentsvc.live.changes`)."""
    from commentsvc.live.changes import install_hooks

    install_hooks()
    if not sa.event.contains(sa.orm.Session, "after_commit", _forget_committed):
        sa.event.listen(sa.orm.Session, "after_commit", _forget_committed)
        sa.event.listen(sa.orm.Session, "after_soft_rollback", _drop_pending)
