"""One open stream: replay from the reader's revision, then the page's batches as they come.

It runs after the request has returned its worker's app context and database connection: it
holds only its queue on the process's hub and the bus's log reader. Batches of one page can
arrive out of commit order (two processes publish at once); a batch that does not follow on
waits up to ``GAP_SECONDS`` for the one before it, then the log is read once more and, if the
hole is still there, the reader is told to reload the thread. A batch of another thread (the
page's thread was merged away and made again) is never chained on: the reader reloads.
"""

from __future__ import annotations

import json
import queue
import time
from collections.abc import Iterator

from commentsvc.live.batches import KEEP_ALIVE, Batch, chain, opening, reload_data
from commentsvc.live.hub import RESYNC
from commentsvc.live.memory import MemoryBus
from commentsvc.live.redis_bus import RedisBus

GAP_SECONDS = 1.0


def reload_from(revision: int) -> bytes:
    """Tell the reader to read the thread again, at ``revision`` or later (docs/live.md); its
    Last-Event-ID moves there."""
    data = json.dumps(reload_data(revision), separators=(",", ":"))
    return f"event: reload\nid: {revision}\ndata: {data}\n\n".encode()


class EventStream:
    """The response body: iterated by the server, closed by it when the reader goes away
    (even before the first byte: the subscription made in the view is dropped then too)."""

    def __init__(
        self,
        bus: MemoryBus | RedisBus,
        key: str,
        inbox: queue.SimpleQueue,
        last_event_id: int | None,
        keep_alive_seconds: float,
    ) -> None:
        self._bus = bus
        self._key = key
        self._last_event_id = last_event_id  # the reader's, when it reconnects
        self._keep_alive = keep_alive_seconds
        self._revision = 0
        self._thread = 0
        self._inbox = inbox  # subscribed before the view read the page: nothing is missed
        self._body = self._run()

    def begin_at(self, thread: int, revision: int) -> None:
        """The page's thread and its revision, read after subscribing (0, 0: no thread yet)."""
        self._thread = thread
        self._revision = revision

    def __iter__(self) -> Iterator[bytes]:
        return self._body

    def close(self) -> None:
        self._body.close()
        self._bus.hub.unsubscribe(self._key, self._inbox)

    def _replay(self, after: int, also: tuple[Batch, ...] = ()) -> tuple[list[Batch], int]:
        return chain([*self._bus.logged(self._key), *also], after, self._thread)

    def _run(self) -> Iterator[bytes]:
        revision = self._revision
        yield opening(revision)
        cursor = revision
        last = self._last_event_id
        if last is not None and last != revision:
            found, reached = self._replay(last) if last < revision else ([], last)
            if reached == revision:
                yield b"".join(batch.wire for batch in found)
            else:
                yield reload_from(revision)
        pending: dict[int, Batch] = {}
        gap_deadline: float | None = None
        next_keep_alive = time.monotonic() + self._keep_alive
        while True:
            now = time.monotonic()
            wait = next_keep_alive - now
            if gap_deadline is not None:
                wait = min(wait, gap_deadline - now)
            try:
                item = self._inbox.get(timeout=max(wait, 0.0))
            except queue.Empty:
                item = None
            out: list[bytes] = []
            if item == RESYNC:
                found, cursor = self._replay(cursor, tuple(pending.values()))
                out.extend(batch.wire for batch in found)
            elif isinstance(item, Batch) and item.thread != self._thread:
                if self._thread or cursor:  # not the first comment of a page without one
                    cursor = item.end
                    out.append(reload_from(cursor))
                    pending.clear()
                self._thread = item.thread
                if item.end > cursor:
                    pending[item.start] = item
            elif isinstance(item, Batch) and item.end > cursor:
                pending[item.start] = item
            while cursor in pending:
                batch = pending.pop(cursor)
                out.append(batch.wire)
                cursor = batch.end
            pending = {s: b for s, b in pending.items() if b.end > cursor}
            now = time.monotonic()
            if not pending:
                gap_deadline = None
            elif gap_deadline is None:
                gap_deadline = now + GAP_SECONDS
            elif now >= gap_deadline:
                found, cursor = self._replay(cursor, tuple(pending.values()))
                out.extend(batch.wire for batch in found)
                pending = {s: b for s, b in pending.items() if b.end > cursor}
                if pending:
                    cursor = max(batch.end for batch in pending.values())
                    out.append(reload_from(cursor))
                    pending.clear()
                gap_deadline = None
            if now >= next_keep_alive:
                out.append(KEEP_ALIVE)
            if out:
                next_keep_alive = now + self._keep_alive
                yield b"".join(out)
