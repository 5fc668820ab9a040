"""The embedded default's bus: batches go straight to this process's streams, and a capped
log per page is kept in memory for reconnects (one process serves every stream there)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque

from commentsvc.live.batches import Batch
from commentsvc.live.hub import Hub

MAX_PAGES = 4096  # pages whose logs are kept; the least recently written go first


class MemoryBus:
    def __init__(self, log_length: int, log_seconds: float) -> None:
        self.hub = Hub()
        self._log_length = log_length
        self._log_seconds = log_seconds
        self._lock = threading.Lock()
        self._logs: OrderedDict[str, tuple[float, deque[Batch]]] = OrderedDict()

    def publish(self, batches: list[Batch]) -> None:
        now = time.monotonic()
        with self._lock:
            for batch in batches:
                expires, log = self._logs.pop(batch.key, (0.0, None))
                if log is None or expires < now or batch.resets:
                    log = deque(maxlen=self._log_length)
                log.append(batch)
                self._logs[batch.key] = (now + self._log_seconds, log)
            while len(self._logs) > MAX_PAGES:
                self._logs.popitem(last=False)
        for batch in batches:
            self.hub.deliver(batch)

    def logged(self, key: str) -> list[Batch]:
        with self._lock:
            expires, log = self._logs.get(key, (0.0, None))
            if log is None or expires < time.monotonic():
                return []
            return list(log)
