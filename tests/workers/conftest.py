from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import LiveServer
from tests.workers.pages import Pages


@pytest.fixture(scope="session")
def pages_server() -> Iterator[tuple[Pages, LiveServer]]:
    """One threaded loopback server for the session (starting one per test costs ~0.5 s)."""
    site = Pages()
    server = LiveServer(site)
    site.base = server.url
    yield site, server
    server.stop()


@pytest.fixture
def pages(pages_server) -> Pages:
    """The page server with no routes and no recorded requests: each test sets its own."""
    site, _ = pages_server
    site.reset()
    return site
