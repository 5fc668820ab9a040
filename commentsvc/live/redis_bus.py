"""The production bus: batches reach every process over Redis pub/sub, and a capped Redis
Stream per page keeps the recent ones for reconnects.

Each process holds one subscription (one connection, one thread), started by its first open
stream, and fans out in memory (:class:`~commentsvc.live.hub.Hub`). One channel carries every
page's batches: writes to a comment service are few next to reads, and a process drops the
batches of pages nobody watches there with one dictionary lookup.

Publishing runs in the writer's request, after its commit, on a client of its own with a short
timeout and no retries: a Redis that hangs costs a write at most ``PUBLISH_TIMEOUT_SECONDS``
(its batch is lost, and its page's readers reload at the next event).

A log is read when a reader reconnects, when a batch arrives out of order, and by every stream
of a process at once after its subscription comes back: the parsed log of a page is kept for
``LOG_CACHE_SECONDS`` and read by one stream at a time, so the streams of one page cost one
read. (The log is read whole: its ids cannot be revisions, since two processes may append a
page's batches out of commit order.)
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from commentsvc.live.batches import Batch
from commentsvc.live.hub import Hub

if TYPE_CHECKING:
    from redis import Redis

CHANNEL = "commentsvc:live"
LOG_PREFIX = "commentsvc:live:log:"
SUBSCRIBE_WAIT_SECONDS = 2.0
POLL_SECONDS = 5.0
PUBLISH_TIMEOUT_SECONDS = 0.25
LOG_CACHE_SECONDS = 1.0
LOG_CACHE_PAGES = 1024
FETCH_LOCKS = 64
RETRY_SECONDS = (0.1, 0.5, 1.0, 2.0)

log = logging.getLogger(__name__)


class RedisBus:
    def __init__(self, redis: Redis, url: str, log_length: int, log_seconds: float) -> None:
        self.hub = Hub()
        self._redis = redis
        self._url = url
        self._log_length = log_length
        self._log_seconds = int(log_seconds)
        self._lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._subscribed = threading.Event()
        self._publisher: Redis | None = None
        self._cache: dict[str, tuple[float, list[Batch]]] = {}
        self._generation = 0  # moves with every batch delivered here: a read begun before is old
        self._fetch_locks = [threading.Lock() for _ in range(FETCH_LOCKS)]

    def _publishing_client(self) -> Redis:
        if self._publisher is None:
            from redis import Redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self._publisher = Redis.from_url(
                self._url,
                socket_timeout=PUBLISH_TIMEOUT_SECONDS,
                socket_connect_timeout=PUBLISH_TIMEOUT_SECONDS,
                retry=Retry(NoBackoff(), 0),
            )
        return self._publisher

    def publish(self, batches: list[Batch]) -> None:
        """Log and announce, in one round trip; raises when Redis does not answer in time. A
        batch that resets its page's log replaces the log."""
        pipe = self._publishing_client().pipeline(transaction=False)
        for batch in batches:
            text = batch.to_json()
            key = LOG_PREFIX + batch.key
            if batch.resets:
                pipe.delete(key)
            pipe.xadd(key, {"b": text}, maxlen=self._log_length, approximate=False)
            pipe.expire(key, self._log_seconds)
            pipe.publish(CHANNEL, text)
        pipe.execute()

    def logged(self, key: str) -> list[Batch]:
        """The page's logged batches (empty when Redis cannot be reached: the caller reloads),
        read at most once per ``LOG_CACHE_SECONDS`` however many streams ask."""
        with self._fetch_locks[hash(key) % FETCH_LOCKS]:
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None and time.monotonic() - cached[0] < LOG_CACHE_SECONDS:
                    return cached[1]
                generation = self._generation
            read_at = time.monotonic()
            try:
                entries = self._redis.xrange(LOG_PREFIX + key)
            except Exception:
                log.warning("live: cannot read the log of %s", key, exc_info=True)
                return []
            batches = [Batch.from_json(fields[b"b"]) for _, fields in entries]
            with self._lock:
                if generation == self._generation:  # no batch arrived during the read
                    if len(self._cache) >= LOG_CACHE_PAGES:
                        self._cache.clear()
                    self._cache[key] = (read_at, batches)
            return batches

    def _arrived(self, batch: Batch) -> None:
        """A batch from the subscription: the page's kept log is older than it."""
        with self._lock:
            self._generation += 1
            self._cache.pop(batch.key, None)
        self.hub.deliver(batch)

    def _forget_logs(self) -> None:
        with self._lock:
            self._generation += 1
            self._cache.clear()

    def listen(self) -> None:
        """Start this process's subscription once, and wait (a little) until it is active, so
        that a stream that subscribes and then reads the log misses nothing in between."""
        with self._lock:
            if self._listener is None:
                self._listener = threading.Thread(
                    target=self._run, name="commentsvc-live-listener", daemon=True
                )
                self._listener.start()
        self._subscribed.wait(SUBSCRIBE_WAIT_SECONDS)

    def _run(self) -> None:
        from redis import Redis

        failures = 0
        while True:
            try:
                client = Redis.from_url(
                    self._url, socket_connect_timeout=2, health_check_interval=10
                )
                with client.pubsub(ignore_subscribe_messages=True) as pubsub:
                    pubsub.subscribe(CHANNEL)
                    pubsub.get_message(timeout=SUBSCRIBE_WAIT_SECONDS)  # the confirmation
                    was_subscribed = failures > 0
                    failures = 0
                    self._subscribed.set()
                    if was_subscribed:
                        self._forget_logs()
                        self.hub.resync()  # batches may have gone by while we were away
                    while True:
                        message = pubsub.get_message(timeout=POLL_SECONDS)
                        if message is not None and message["type"] == "message":
                            self._arrived(Batch.from_json(message["data"]))
            except Exception:
                self._subscribed.clear()
                if not self.hub.stream_count():
                    with self._lock:  # nobody listens here: the next stream starts a new one
                        self._listener = None
                    return
                if failures == 0:
                    log.warning("live: Redis subscription lost; reconnecting", exc_info=True)
                time.sleep(RETRY_SECONDS[min(failures, len(RETRY_SECONDS) - 1)])
                failures += 1
