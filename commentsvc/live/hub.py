"""The fan-out inside one process: each open stream has a queue, the hub drops each batch
into the queues of the streams on its page. Publishing never waits on a reader."""

from __future__ import annotations

import queue
import threading
from collections import defaultdict

from commentsvc.live.batches import Batch

# Put into every queue when this process may have missed batches (its Redis subscription was
# lost and has come back): each stream then replays its page's log from where it is.
RESYNC = "resync"


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[str, set[queue.SimpleQueue]] = defaultdict(set)
        self._count = 0

    def subscribe(self, key: str, limit: int | None = None) -> queue.SimpleQueue | None:
        """A new stream's queue; None when this process already holds ``limit`` streams (a
        stream holds a server thread: the cap keeps some for the requests that work)."""
        inbox: queue.SimpleQueue[Batch | str] = queue.SimpleQueue()
        with self._lock:
            if limit is not None and self._count >= limit:
                return None
            self._listeners[key].add(inbox)
            self._count += 1
        return inbox

    def unsubscribe(self, key: str, inbox: queue.SimpleQueue) -> None:
        with self._lock:
            listeners = self._listeners.get(key)
            if listeners is not None:
                if inbox in listeners:
                    listeners.discard(inbox)
                    self._count -= 1
                if not listeners:
                    del self._listeners[key]

    def deliver(self, batch: Batch) -> None:
        with self._lock:
            inboxes = tuple(self._listeners.get(batch.key, ()))
        for inbox in inboxes:
            inbox.put(batch)

    def resync(self) -> None:
        with self._lock:
            inboxes = [inbox for group in self._listeners.values() for inbox in group]
        for inbox in inboxes:
            inbox.put(RESYNC)

    def stream_count(self) -> int:
        with self._lock:
            return self._count
