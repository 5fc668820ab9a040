"""A real HTTP server on loopback serving the linking pages a worker fetches.

Routes are set per test; each answer can be static or computed (slow, trickling, changing).
Every request is recorded so tests can check what the fetcher sent. The ``pages`` fixture
(registered by the conftest of each folder that uses it) hands each test a clean server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pytest
from werkzeug.wrappers import Request, Response

from tests.conftest import LiveServer

Handler = Callable[[Request], Response]


@dataclass
class Pages:
    routes: dict[str, Handler] = field(default_factory=dict)
    requests: list[Request] = field(default_factory=list)
    base: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self.lock:
            self.routes.clear()
            self.requests.clear()

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def html(self, path: str, html: str, status: int = 200, **headers: str) -> str:
        return self.add(path, html.encode(), status=status, headers=headers)

    def add(
        self,
        path: str,
        body: bytes | Iterable[bytes] = b"",
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> str:
        def handler(_request: Request) -> Response:
            response = Response(body, status=status, content_type=content_type)
            for name, value in (headers or {}).items():
                response.headers[name.replace("_", "-")] = value
            return response

        self.routes[path] = handler
        return self.url(path)

    def handle(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def hits(self, path: str) -> int:
        with self.lock:
            return sum(1 for request in self.requests if request.path == path)

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self.lock:
            self.requests.append(request)
        handler = self.routes.get(request.path)
        response = handler(request) if handler else Response("not found", status=404)
        return response(environ, start_response)


@pytest.fixture(scope="session")
def pages_server() -> Iterator[tuple[Pages, LiveServer]]:
    """One threaded loopback server for the session (starting one per test costs ~0.5 s)."""
    site = Pages()
    server = LiveServer(site)
    site.base = server.url
    yield site, server
    server.stop()


@pytest.fixture
def pages(pages_server: tuple[Pages, LiveServer]) -> Pages:
    """The page server with no routes and no recorded requests: each test sets its own."""
    site, _ = pages_server
    site.reset()
    return site


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of the test: a handler stalling on it (a page that would take 30 s)
    lets go then, so no server thread outlives the test."""
    event = threading.Event()
    yield event
    event.set()


def link_page(target: str, title: str = "A linking post", extra: str = "") -> str:
    return f"""<!doctype html><html><head><title>{title}</title></head><body>
<article class="h-entry"><h1 class="p-name">{title}</h1>
<p class="e-content">I read <a href="{target}">this fine post</a> and agree with it.</p>
{extra}</article></body></html>"""
