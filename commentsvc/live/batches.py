"""One commit's events for one page: the unit that is published, logged and replayed.

A batch spans the thread revisions ``(start, end]``: each ``touch_thread`` of a transaction
bumps the revision by one under the row's lock, so the batches of one page, in commit order,
chain end to start with no gap. A reader holding revision ``R`` has missed exactly the batches
that chain on from ``R``; a hole in that chain (a write that published nothing, a log that was
trimmed) means replay is not possible and the reader reloads the thread instead.

Revisions count per thread, so a page whose thread was merged away and made again counts from
0 a second time: each batch names its thread, and a replay never chains across two. A batch
that takes back what readers were shown (a ``delete``, an ``edit``, a mention sent again, a
``reload``) *resets* the page's log: the log starts again at it, so a replay from before it
meets a hole and reloads instead of sending the words that were taken back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

RETRY_MILLISECONDS = 3000


def stream_key(site_name: str, identity: str) -> str:
    """The name a page's batches travel under: its site and its identity (``Thread.identity``),
    as the thread caches key pages; never the thread id, so a stream opened on a page without
    comments yet hears its first."""
    return hashlib.blake2b(f"{site_name}\n{identity}".encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class Event:
    kind: str  # comment, edit, delete, mention, reload
    data: dict[str, Any]


@dataclass(frozen=True)
class Batch:
    key: str
    start: int
    end: int
    events: tuple[Event, ...] = field(default=())
    thread: int = 0  # the Thread's id: revisions count per thread
    resets: bool = False  # the page's log starts again here (it takes back what was shown)

    def to_json(self) -> str:
        raw: dict[str, Any] = {
            "k": self.key,
            "t": self.thread,
            "s": self.start,
            "e": self.end,
            "v": [[event.kind, event.data] for event in self.events],
        }
        if self.resets:
            raw["x"] = 1
        return json.dumps(raw, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str | bytes) -> Batch:
        raw = json.loads(text)
        events = tuple(Event(kind, data) for kind, data in raw["v"])
        return cls(
            raw["k"], int(raw["s"]), int(raw["e"]), events, int(raw.get("t", 0)), bool(raw.get("x"))
        )

    @cached_property
    def wire(self) -> bytes:
        """The batch as SSE, encoded once however many streams it goes to. Only its last event
        carries the ``id`` (the revision after the commit): a reader cut off in the middle
        reconnects from the previous revision and receives the whole batch again. A batch
        with nothing for readers is a bare ``id:`` block, which moves the browser's
        Last-Event-ID without dispatching an event (HTML, "dispatch the event", step 1)."""
        if not self.events:
            return f"id: {self.end}\n\n".encode()
        parts = []
        for index, event in enumerate(self.events):
            data = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False)
            event_id = f"id: {self.end}\n" if index == len(self.events) - 1 else ""
            parts.append(f"event: {event.kind}\n{event_id}data: {data}\n\n")
        return "".join(parts).encode()


KEEP_ALIVE = b": keep-alive\n\n"


def opening(revision: int) -> bytes:
    """The first bytes of every stream: the reconnection delay, and the revision it starts at
    (an ``id:`` block without data: the browser's Last-Event-ID, no event)."""
    return f"retry: {RETRY_MILLISECONDS}\nid: {revision}\n\n".encode()


def reload_data(revision: int) -> dict[str, int]:
    """What ``reload`` carries: the revision to read the thread at (the widget asks for
    ``&rev=N``, which misses a proxy's copy of the thread made before it)."""
    return {"revision": revision}


def since_resets(batches: list[Batch]) -> list[Batch]:
    """The log as a replay may use it: a batch of a thread published after the reset of that
    thread but made before it (two processes published at once) is dropped with what the
    reset took back."""
    floors: dict[int, int] = {}
    for batch in batches:
        if batch.resets:
            floors[batch.thread] = max(floors.get(batch.thread, 0), batch.start)
    if not floors:
        return batches
    return [b for b in batches if b.end > floors.get(b.thread, -1)]


def chain(batches: list[Batch], after: int, thread: int) -> tuple[list[Batch], int]:
    """The batches of ``thread`` that follow revision ``after`` without a gap, in order, and
    the revision they reach (``after`` itself when none follows on). Nothing follows when the
    log holds a batch of another thread at or after ``after``: the reader's revision may be of
    that thread (the page's thread was merged away and made again)."""
    batches = since_resets(batches)
    if any(b.thread != thread and b.end >= after for b in batches):
        return [], after
    found = []
    cursor = after
    for batch in sorted(batches, key=lambda b: b.start):
        if batch.end <= cursor:
            continue
        if batch.start != cursor:
            break
        found.append(batch)
        cursor = batch.end
    return found, cursor
