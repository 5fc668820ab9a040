"""The sender's manners: a rate limit per receiving host and a cap on sends in flight.

Both live in Redis when it is configured, so every worker process shares them, and in
memory otherwise (the embedded default's one process). Neither ever sleeps long: a host over
its limit, or no free slot within ``OUTBOUND_SLOT_WAIT_SECONDS``, raises :class:`Postponed`
with the time to come back, and the send waits in the database (the sweep brings it back).
A slot in Redis is a lease that expires with the job timeout, so a worker that died holding
one frees it.
"""

from __future__ import annotations

import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app
from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from commentsvc.jobs import JOB_TIMEOUT_SECONDS
from commentsvc.models.base import utcnow

SLOTS_KEY = "commentsvc:outbound:slots"
POLL_SECONDS = 0.05
# Take a slot if fewer than the cap are held; expired leases (dead workers) are dropped first.
_ACQUIRE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[4])
  return 1
end
return 0
"""


class Postponed(Exception):
    """Not now: come back ``until`` (UTC); ``reason`` says why, for the send's detail."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until
        self.reason = reason


_lock = threading.Lock()
_redis_storages: dict[str, Storage] = {}
_memory_storages: weakref.WeakKeyDictionary[Flask, Storage] = weakref.WeakKeyDictionary()
_semaphores: weakref.WeakKeyDictionary[Flask, tuple[int, threading.BoundedSemaphore]] = (
    weakref.WeakKeyDictionary()
)


def _storage(app: Flask) -> Storage:
    """Redis storage shared by URL; in memory, one storage per app (its own counters)."""
    uri = app.config["RATELIMIT_STORAGE_URI"]
    with _lock:
        if uri == "memory://":
            storage = _memory_storages.get(app)
            if storage is None:
                storage = _memory_storages[app] = storage_from_string(uri)
            return storage
        storage = _redis_storages.get(uri)
        if storage is None:
            storage = _redis_storages[uri] = storage_from_string(uri)
        return storage


def _host_limits(app: Flask) -> list[RateLimitItem]:
    spec = app.config.get("OUTBOUND_RATE_PER_HOST") or ""
    if not spec or not app.config["RATELIMIT_ENABLED"]:
        return []
    return list(parse_many(spec))


def take_host_turn(host: str) -> None:
    """Count one request to ``host``; :class:`Postponed` when it is over its rate limit."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    items = _host_limits(app)
    if not items:
        return
    limiter = MovingWindowRateLimiter(_storage(app))
    for item in items:
        if not limiter.test(item, "outbound-host", host):
            reset = limiter.get_window_stats(item, "outbound-host", host).reset_time
            until = datetime.fromtimestamp(max(reset, time.time() + 1), UTC)
            raise Postponed(until, f"Waiting for the rate limit of {host} ({item}).")
    for item in items:
        limiter.hit(item, "outbound-host", host)


@contextmanager
def slot() -> Iterator[None]:
    """Hold one of ``OUTBOUND_MAX_CONCURRENT`` slots for the body; :class:`Postponed` when
    none frees within ``OUTBOUND_SLOT_WAIT_SECONDS``."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cap = max(1, int(app.config["OUTBOUND_MAX_CONCURRENT"]))
    wait = float(app.config["OUTBOUND_SLOT_WAIT_SECONDS"])
    if app.config["REDIS_URL"]:
        with _redis_slot(app, cap, wait):
            yield
        return
    semaphore = _semaphore(app, cap)
    if not semaphore.acquire(timeout=wait):
        raise _busy(cap, wait)
    try:
        yield
    finally:
        semaphore.release()


def _busy(cap: int, wait: float) -> Postponed:
    until = utcnow() + timedelta(seconds=max(wait, 1.0))
    return Postponed(until, f"All {cap} sending slots stayed busy for {wait:g} s.")


def _semaphore(app: Flask, cap: int) -> threading.BoundedSemaphore:
    with _lock:
        held = _semaphores.get(app)
        if held is None or held[0] != cap:
            held = (cap, threading.BoundedSemaphore(cap))
            _semaphores[app] = held
        return held[1]


@contextmanager
def _redis_slot(app: Flask, cap: int, wait: float) -> Iterator[None]:
    from commentsvc.redis_client import redis_connection

    redis = redis_connection(app)
    acquire = redis.register_script(_ACQUIRE)
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    while True:
        now = time.time()
        if acquire(keys=[SLOTS_KEY], args=[now, cap, now + JOB_TIMEOUT_SECONDS, token]):
            break
        if time.monotonic() >= deadline:
            raise _busy(cap, wait)
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        redis.zrem(SLOTS_KEY, token)
