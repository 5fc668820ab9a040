"""Live-thread fixtures: the app served on a loopback port with Redis, and an SSE reader.

The reader is http.client on a real socket, parsing the stream as a browser's EventSource does
(blocks of fields ended by a blank line), on a thread of its own so a test can wait for the
next event with a deadline.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import requests
from flask import Flask

from commentsvc.extensions import db
from commentsvc.models import ModerationMode
from commentsvc.services.sites import create_site

SITE_ORIGIN = "https://blog.example.org"  # the origin of the "blog" site the root fixture makes
PAGE = f"{SITE_ORIGIN}/posts/live"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: a stream reads one row and then only Redis or memory; the
    writes that publish are the API's and moderation's, run on PostgreSQL in their suites."""
    return f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app_config(app_config: dict[str, object], redis_url: str) -> dict[str, object]:
    """Production's bus (Redis); idle streams write a keep-alive line every half second, so a
    reader that left is noticed at once; room for the streams a test opens (test_capacity.py
    tests the cap)."""
    return {
        **app_config,
        "REDIS_URL": redis_url,
        "LIVE_KEEP_ALIVE_SECONDS": 0.5,
        "LIVE_MAX_STREAMS": 32,
    }


class StoppableRedis:
    """A redis-server of one test's own that can go down and come back on the same port."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        command = [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                   "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                   "--dir", str(self._folder)]  # fmt: skip
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        pytest.fail("redis-server did not start")

    def pause(self) -> None:
        """SIGSTOP: connections are still accepted by the kernel, nothing is answered."""
        assert self._process is not None
        self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        assert self._process is not None
        self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)
            self._process.kill()
            self._process.wait(10)


@pytest.fixture
def stoppable_redis(tmp_path: Path) -> Iterator[StoppableRedis]:
    server = StoppableRedis(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def held_site(app: Flask):
    """A site that holds every comment for an operator."""
    created = create_site("held", [SITE_ORIGIN], ModerationMode.ALL)
    db.session.commit()
    return created


@dataclass
class Block:
    """One SSE block: its fields (the last of each name) and comment lines."""

    fields: dict[str, str] = field(default_factory=dict)
    comments: list[str] = field(default_factory=list)

    @property
    def event(self) -> str | None:
        return self.fields.get("event", "message") if "data" in self.fields else None

    def json(self) -> Any:
        return json.loads(self.fields["data"])


class EventReader:
    """An open stream; ``next_event()`` is the next block that dispatches an event."""

    def __init__(self, base_url: str, path: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        self._connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self._connection.request("GET", path, headers=headers)
        self._socket = self._connection.sock  # the response's file keeps it open after close()
        self.response = self._connection.getresponse()
        self.status = self.response.status
        self.headers = self.response.headers
        self.blocks: queue.Queue[Block | None] = queue.Queue()
        self.last_event_id: str | None = None
        self.seen: list[Block] = []
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        block = Block()
        try:
            while True:
                line = self.response.readline()
                if not line:
                    break
                text = line.decode().rstrip("\r\n")
                if text == "":
                    self.blocks.put(block)
                    block = Block()
                elif text.startswith(":"):
                    block.comments.append(text[1:].strip())
                else:
                    name, _, value = text.partition(":")
                    block.fields[name] = value[1:] if value.startswith(" ") else value
        except Exception:  # noqa: S110 - hung up, cut mid-chunk or closed under it: the end
            pass
        self.blocks.put(None)

    def next_block(self, timeout: float = 5.0) -> Block:
        block = self.blocks.get(timeout=timeout)
        if block is None:
            raise EOFError("the stream ended")
        self.seen.append(block)
        if "id" in block.fields:
            self.last_event_id = block.fields["id"]
        return block

    def next_event(self, timeout: float = 5.0) -> Block:
        while True:
            block = self.next_block(timeout)
            if block.event is not None:
                return block

    def events_within(self, seconds: float) -> list[Block]:
        """Every event dispatched in the next ``seconds``."""
        found = []
        deadline = threading.Event()
        timer = threading.Timer(seconds, deadline.set)
        timer.start()
        try:
            while not deadline.is_set():
                try:
                    block = self.next_block(timeout=0.05)
                except queue.Empty:
                    continue
                if block.event is not None:
                    found.append(block)
        finally:
            timer.cancel()
        return found

    def close(self) -> None:
        """Hang up, as a browser leaving the page does: the server sees the connection end."""
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._connection.close()


@pytest.fixture
def listen() -> Iterator[Callable[..., EventReader]]:
    """``listen(base_url, site="blog", page=PAGE, last_event_id=None, origin=None,
    since=None)``."""
    readers: list[EventReader] = []

    def open_stream(
        base_url: str,
        site: str = "blog",
        page: str = PAGE,
        last_event_id: str | None = None,
        origin: str | None = None,
        since: str | None = None,
    ) -> EventReader:
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        if origin is not None:
            headers["Origin"] = origin
        query = {"url": page} if since is None else {"url": page, "since": since}
        path = f"/api/sites/{site}/thread/events?{urlencode(query)}"
        reader = EventReader(base_url, path, headers)
        readers.append(reader)
        return reader

    yield open_stream
    for reader in readers:
        reader.close()


@pytest.fixture
def post() -> Callable[..., dict[str, Any]]:
    """``post(base_url, body, site="blog", **fields) -> the 201/202 answer's JSON``."""

    def send(base_url: str, body: str, site: str = "blog", **fields: Any) -> dict[str, Any]:
        payload = {"url": PAGE, "body": body, "name": "Ann", **fields}
        answer = requests.post(f"{base_url}/api/sites/{site}/comments", json=payload, timeout=10)
        assert answer.status_code in (201, 202), answer.text
        return answer.json()

    return send
